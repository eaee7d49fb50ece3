/* SPDX-License-Identifier: MIT */
#include "fill.h"

#include <string.h>

#include "clock.h"
#include "guest.h"
#include "hw.h"

static void check(unsigned bad, const char *loop)
{
	if (bad)
		cb_fail("%s: %u faults did not come back SMMU_FAULT_FIXED",
			loop, bad);
}

struct cb_fill cb_fill_every(struct cb_vm *m, unsigned v, unsigned first,
			     unsigned n)
{
	struct smmu_vcpu *vcpu = m->vcpu[v];
	struct smmu_access a;
	struct smmu_fault f;
	unsigned bad = 0;
	memset(&a, 0, sizeof(a));
	memset(&f, 0, sizeof(f));

	uint64_t w0 = cb_wall_ns(), t0 = cb_cpu_ns(), k0 = cb_tsc();
	for (unsigned page = first; page < first + n; page++) {
		a.la = cb_la(page);
		smmu_vcpu_page_fault(vcpu, &a, &f);
		bad += f.action != SMMU_FAULT_FIXED;
	}
	uint64_t k1 = cb_tsc(), t1 = cb_cpu_ns(), w1 = cb_wall_ns();

	check(bad, "fill, a fault per page");
	return (struct cb_fill){ .ns = t1 - t0,
				 .ticks = k1 - k0,
				 .wall0 = w0,
				 .wall1 = w1,
				 .faults = n };
}

struct cb_fill cb_fill_missing(struct cb_vm *m, unsigned v, unsigned first,
			       unsigned n)
{
	struct smmu_vcpu *vcpu = m->vcpu[v];
	const struct cb_host *h = &m->host;
	uint64_t cr3 = m->entry[v].cr3;
	struct smmu_access a;
	struct smmu_fault f;
	unsigned bad = 0, faults = 0;
	memset(&a, 0, sizeof(a));
	memset(&f, 0, sizeof(f));

	uint64_t w0 = cb_wall_ns(), t0 = cb_cpu_ns(), k0 = cb_tsc();
	for (unsigned page = first; page < first + n; page++) {
		a.la = cb_la(page);
		if (cb_hw_walk(h, cr3, a.la) & X86_PTE_P)
			continue;
		smmu_vcpu_page_fault(vcpu, &a, &f);
		bad += f.action != SMMU_FAULT_FIXED;
		faults++;
	}
	uint64_t k1 = cb_tsc(), t1 = cb_cpu_ns(), w1 = cb_wall_ns();

	check(bad, "fill, faults where nothing is mapped");
	return (struct cb_fill){ .ns = t1 - t0,
				 .ticks = k1 - k0,
				 .wall0 = w0,
				 .wall1 = w1,
				 .faults = faults };
}
