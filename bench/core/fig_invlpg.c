/* SPDX-License-Identifier: MIT */
/*
 * invlpg: a guest INVLPG of a mapped page (its table in sync) and the
 * next entry, per operation, with the flushes that entry asks for; on a
 * host that flushes the whole vCPU for anything (no PCIDs, host_caps 0)
 * and on one that does every flush the library names (CR4.PCIDE=1,
 * SMMU_HOST_ALL).
 */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "figures.h"
#include "guest.h"
#include "machine.h"
#include "report.h"

static void run(struct cb_ctx *c, bool pcid)
{
	unsigned n = cb_n(c, 100000, 2000);
	double *ns = calloc(c->repeat, sizeof(*ns));
	uint64_t scopes[CB_NR_SCOPES] = { 0 };
	for (unsigned r = 0; r < c->repeat; r++) {
		struct cb_vm m;
		struct cb_vm_opts o = { .prefetch = 8,
					.pcide = pcid,
					.host_all = pcid };
		cb_vm_create(&m, &o);
		cb_enter(&m, 0);
		cb_touch(&m, 0, 0, CB_PAGES);
		cb_enter(&m, 0);
		struct smmu_vcpu *vcpu = m.vcpu[0];
		struct smmu_entry e;
		unsigned bad = 0;

		uint64_t t0 = cb_cpu_ns();
		for (unsigned i = 0; i < n; i++) {
			smmu_vcpu_invlpg(vcpu, cb_la(i % CB_PAGES));
			bad += smmu_vcpu_enter(vcpu, &e) != SMMU_OK;
			cb_entry_flushes(&e, scopes);
		}
		uint64_t t1 = cb_cpu_ns();

		if (bad)
			cb_fail("invlpg: %u entries failed", bad);
		m.entry[0] = e;
		/* What is still mapped maps the right frame, and the rest
		 * faults back in. */
		cb_verify(&m, 0, 0, CB_PAGES, false, "after INVLPG");
		cb_touch(&m, 0, 0, CB_PAGES);
		cb_vm_destroy(&m);
		ns[r] = (double)(t1 - t0) / n;
	}
	double v = cb_median(ns, c->repeat);
	cb_report_time(pcid ? "invlpg.pcid" : "invlpg.nopcid", v, "ns/op",
		       "INVLPG + the next entry%s",
		       pcid ? "; PCIDE=1, host does every flush scope"
			    : "; host flushes the whole vCPU");
	cb_report_flushes(pcid ? "invlpg.pcid.flushes"
			       : "invlpg.nopcid.flushes",
			  scopes, (double)n * c->repeat);
	free(ns);
}

void cb_fig_invlpg(struct cb_ctx *c)
{
	run(c, false);
	run(c, true);
}
