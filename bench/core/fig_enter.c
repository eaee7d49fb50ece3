/* SPDX-License-Identifier: MIT */
/*
 * enter: smmu_vcpu_enter with nothing changed since the last entry (the
 * whole guest mapped), per entry, and the flushes it asks for.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "figures.h"
#include "guest.h"
#include "machine.h"
#include "report.h"

void cb_fig_enter(struct cb_ctx *c)
{
	unsigned n = cb_n(c, 1000000, 10000);
	double *ns = calloc(c->repeat, sizeof(*ns));
	uint64_t scopes[CB_NR_SCOPES] = { 0 };
	struct cb_vm m;
	struct cb_vm_opts o = { .prefetch = 8 };
	cb_vm_create(&m, &o);
	cb_enter(&m, 0);
	cb_touch(&m, 0, 0, CB_PAGES);
	cb_enter(&m, 0);
	uint64_t cr3 = m.entry[0].cr3;
	struct smmu_vcpu *vcpu = m.vcpu[0];
	for (unsigned r = 0; r < c->repeat; r++) {
		struct smmu_entry e;
		unsigned bad = 0;
		uint64_t t0 = cb_cpu_ns();
		for (unsigned i = 0; i < n; i++) {
			bad += smmu_vcpu_enter(vcpu, &e) != SMMU_OK;
			cb_entry_flushes(&e, scopes);
			bad += e.cr3 != cr3;
		}
		uint64_t t1 = cb_cpu_ns();
		if (bad)
			cb_fail("enter: %u entries failed or changed root",
				bad);
		ns[r] = (double)(t1 - t0) / n;
	}
	cb_verify(&m, 0, 0, CB_PAGES, true, "after the entries");
	cb_vm_destroy(&m);
	double v = cb_median(ns, c->repeat);
	cb_report_time("enter", v, "ns/entry",
		       "smmu_vcpu_enter, nothing changed");
	cb_report_flushes("enter.flushes", scopes, (double)n * c->repeat);
	free(ns);
}
