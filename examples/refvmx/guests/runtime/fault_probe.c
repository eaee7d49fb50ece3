/* SPDX-License-Identifier: MIT */
#include "fault_probe.h"

/* The accesses themselves, in fault_probe_access.S. */
uint32_t probe_access_read(uintptr_t va);
void probe_access_write(uintptr_t va, uint32_t value);
uint32_t probe_access_exec(uintptr_t va);
void probe_access_call(void (*fn)(void *), void *arg);

/* Set by the access while it is armed: where to resume after a fault. */
extern volatile uintptr_t probe_resume;

static volatile bool probe_faulted;
static struct fault probe_fault;

bool fault_probe_catch(unsigned long vector, unsigned long error,
		       unsigned long cr2, unsigned long flags, uintptr_t *ip)
{
	if (!probe_resume)
		return false;
	probe_fault = (struct fault){ vector, error, cr2, flags };
	probe_faulted = true;
	*ip = probe_resume;
	return true;
}

bool probe_read(uintptr_t va, uint32_t *value, struct fault *fault)
{
	probe_faulted = false;
	*value = probe_access_read(va);
	*fault = probe_fault;
	return probe_faulted;
}

bool probe_write(uintptr_t va, uint32_t value, struct fault *fault)
{
	probe_faulted = false;
	probe_access_write(va, value);
	*fault = probe_fault;
	return probe_faulted;
}

bool probe_exec(uintptr_t va, uint32_t *value, struct fault *fault)
{
	probe_faulted = false;
	*value = probe_access_exec(va);
	*fault = probe_fault;
	return probe_faulted;
}

bool probe_call(void (*fn)(void *), void *arg, struct fault *fault)
{
	probe_faulted = false;
	probe_access_call(fn, arg);
	*fault = probe_fault;
	return probe_faulted;
}
