/* SPDX-License-Identifier: MIT */
/*
 * Privileged instructions that may fault, run under probe_call() so that
 * a #GP or #UD becomes a result (fault_probe.h): each returns the vector
 * it raised, or 0 when it completed. For the checks of what a CPU (or
 * refvmx's model of one) allows: an MSR that does not exist, a CR4 bit of
 * a feature the CPU lacks, an XCR0 value the rules forbid.
 */
#ifndef GUEST_INSN_PROBE_H
#define GUEST_INSN_PROBE_H

#include <stdint.h>

#define VEC_UD 6
#define VEC_GP 13

unsigned try_rdmsr(uint32_t msr, uint64_t *value);
unsigned try_wrmsr(uint32_t msr, uint64_t value);
unsigned try_write_cr4(unsigned long value);
unsigned try_xgetbv(uint32_t xcr, uint64_t *value);
unsigned try_xsetbv(uint32_t xcr, uint64_t value);
/* INVPCID of `type` with the descriptor (pcid, la): its #GP or #UD. */
unsigned try_invpcid(unsigned long type, uint64_t pcid, uint64_t la);

#endif /* GUEST_INSN_PROBE_H */
