/* SPDX-License-Identifier: MIT */
/*
 * Accesses that may fault. A probe arms a recovery point, makes one
 * access and disarms; if the access raises an exception, trap_handle()
 * records vector, error code and CR2 and resumes at the recovery point,
 * so a check sees a fault as a result instead of losing the run. Every
 * access through a test mapping goes through a probe: an unexpected fault
 * becomes one FAIL line, not the end.
 */
#ifndef GUEST_FAULT_PROBE_H
#define GUEST_FAULT_PROBE_H

#include <stdbool.h>
#include <stdint.h>

struct fault {
	unsigned long vector;
	unsigned long error;
	unsigned long cr2;
	unsigned long flags; /* RFLAGS in the exception's frame */
};

/* Each returns true if the access faulted; *fault then describes it. */
bool probe_read(uintptr_t va, uint32_t *value, struct fault *fault);
bool probe_write(uintptr_t va, uint32_t value, struct fault *fault);
/* Calls va; the code there returns a value in EAX (see pt_checks.c). */
bool probe_exec(uintptr_t va, uint32_t *value, struct fault *fault);

/* Calls fn(arg), which may fault anywhere (a WRMSR, a MOV to CR4, an
 * instruction that may not exist): the first exception abandons it and
 * returns true with *fault describing it; callee-saved registers are
 * restored either way. flags gets RFLAGS as the exception pushed them. */
bool probe_call(void (*fn)(void *), void *arg, struct fault *fault);

/* For trap_handle(): takes the exception and sets *ip to the recovery
 * point if a probe is armed. */
bool fault_probe_catch(unsigned long vector, unsigned long error,
		       unsigned long cr2, unsigned long flags, uintptr_t *ip);

#endif /* GUEST_FAULT_PROBE_H */
