/* SPDX-License-Identifier: MIT */
/* Emulating the guest store the library could not let run: to a guest
 * page table it write-protects, or one only the guest's CR0.WP=0 allows. */
#ifndef REFVMX_EMULATE_H
#define REFVMX_EMULATE_H

#include <stdint.h>

#include "vcpu.h"

/* The instruction at the guest's RIP stores to linear address la, which
 * is guest-physical gpa: decode it, do the store through the library
 * (smmu_vm_emulated_write) and step over it. Known: MOV (88, 89, A2,
 * A3, C6 /0, C7 /0), STOS (AA, AB) and MOVS (A4, A5), with REP a page's
 * worth per exit, XCHG (86, 87), and with
 * or without LOCK: OR, AND, XOR, ADD, SUB (00/01, 08/09, 20/21, 28/29,
 * 30/31, 80/81/83 /0 /1 /4 /5 /6), INC, DEC (FE/FF /0 /1), XADD (0F
 * C0/C1), CMPXCHG (0F B0/B1), BTS, BTR, BTC (0F AB/B3/BB, 0F BA /5-/7).
 * Anything else, or a store crossing into another page, is not
 * emulated: the frame is unprotected and the instruction retried
 * (emulate_unprotect_retry). */
void emulate_store(struct vcpu *v, uint64_t la, uint64_t gpa);

/* refvmx cannot perform the store to gpa that the instruction (or the
 * CPU delivering an event) makes: have the library stop shadowing the
 * frame (smmu_vm_unprotect_gfn) and let the guest retry, so that the
 * store runs on the hardware. Ends the run if the frame is a root in
 * use, or if one instruction keeps needing it. `why` is for the
 * message. */
void emulate_unprotect_retry(struct vcpu *v, uint64_t gpa, const char *why);

#endif
