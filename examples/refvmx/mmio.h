/* SPDX-License-Identifier: MIT */
/*
 * Guest accesses to guest-physical addresses that are not RAM. The only
 * device there is the local APIC's page (vapic.c); the guest reaches it
 * with ordinary loads and stores, which refvmx decodes and performs:
 * the MOV forms (88, 89, 8A, 8B, C6 /0, C7 /0, A0-A3 with their 32- or
 * 64-bit moffs) and MOVZX/MOVSX loads (0F B6/B7/BE/BF). Anything else
 * there, or an access elsewhere outside RAM, ends the run with a report
 * (no other device is modelled).
 */
#ifndef REFVMX_MMIO_H
#define REFVMX_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu.h"

/* The instruction at RIP accessed linear address la = gpa (not RAM);
 * `write` from the #PF error code. */
void mmio_access(struct vcpu *v, uint64_t la, uint64_t gpa, bool write);

#endif
