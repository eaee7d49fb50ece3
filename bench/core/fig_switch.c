/* SPDX-License-Identifier: MIT */
/*
 * switch: the guest switches round robin among K = 2, 4, 8, 16 address
 * spaces (PML4s sharing everything below), each switch a MOV to CR3 and
 * the next entry. Without PCIDs (CR4.PCIDE=0, a host that flushes the
 * whole vCPU) and with them (CR4.PCIDE=1, each space its own PCID, every
 * switch with NOFLUSH once the PCID was used; host_caps SMMU_HOST_ALL).
 * Per switch: the time, the hardware flushes the entry asks for, by
 * scope, and (on revisions that count them) how often the root was
 * found in the vCPU's root cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "figures.h"
#include "guest.h"
#include "machine.h"
#include "report.h"

static const unsigned spaces[] = { 2, 4, 8, 16 };

/* Load every space once (first without NOFLUSH, as a guest does for a
 * PCID it has not used) and touch page 0 in each, then check the shadow
 * maps it in each. */
static void visit_all(struct cb_vm *m, unsigned k_max, bool noflush)
{
	for (unsigned k = 0; k < k_max; k++) {
		cb_write_cr3(m, 0, cb_guest_cr3(k, m->pcide, noflush));
		cb_enter(m, 0);
		cb_touch(m, 0, 0, 1);
	}
}

static void run(struct cb_ctx *c, bool pcid, unsigned k_max)
{
	unsigned n = cb_n(c, 100000, 2000);
	double *ns = calloc(c->repeat, sizeof(*ns));
	uint64_t scopes[CB_NR_SCOPES] = { 0 };
	uint64_t loads = 0, hits = 0;
	bool have_roots = false;
	uint64_t cr3[CB_MAX_SPACES];
	for (unsigned k = 0; k < k_max; k++)
		cr3[k] = cb_guest_cr3(k, pcid, true);

	for (unsigned r = 0; r < c->repeat; r++) {
		struct cb_vm m;
		struct cb_vm_opts o = { .prefetch = 8,
					.pcide = pcid,
					.host_all = pcid };
		cb_vm_create(&m, &o);
		cb_enter(&m, 0);
		visit_all(&m, k_max, false);
		visit_all(&m, k_max, true);
		struct smmu_vcpu *vcpu = m.vcpu[0];
		struct smmu_stats s0 = cb_stats(&m);
		struct smmu_entry e;
		unsigned bad = 0;

		uint64_t t0 = cb_cpu_ns();
		for (unsigned i = 0; i < n; i++) {
			bad += smmu_vcpu_write_cr3(vcpu, cr3[i % k_max]) !=
			       SMMU_CR_DONE;
			bad += smmu_vcpu_enter(vcpu, &e) != SMMU_OK;
			cb_entry_flushes(&e, scopes);
		}
		uint64_t t1 = cb_cpu_ns();

		if (bad)
			cb_fail("switch: %u MOV CR3 or entries failed", bad);
		struct smmu_stats s1 = cb_stats(&m);
		uint64_t l0, h0, l1, h1;
		have_roots = cb_root_stats(&s0, &l0, &h0);
		cb_root_stats(&s1, &l1, &h1);
		loads += l1 - l0;
		hits += h1 - h0;
		m.entry[0] = e;
		/* Every space still reaches page 0 through its root. */
		visit_all(&m, k_max, true);
		cb_vm_destroy(&m);
		ns[r] = (double)(t1 - t0) / n;
	}

	char name[40], note[80];
	const char *variant = pcid ? "pcid" : "nopcid";
	if (have_roots && loads)
		snprintf(note, sizeof(note),
			 "root cache: %.0f%% of %.2f loads/switch hit",
			 100.0 * (double)hits / (double)loads,
			 (double)loads / ((double)n * c->repeat));
	else
		snprintf(note, sizeof(note), "%s",
			 have_roots ? "smmu_stats counted no root loads" : "");
	double v = cb_median(ns, c->repeat);
	snprintf(name, sizeof(name), "switch.%s.k%u", variant, k_max);
	cb_report_time(name, v, "ns/switch", "%s", note);
	snprintf(name, sizeof(name), "switch.%s.k%u.flushes", variant, k_max);
	cb_report_flushes(name, scopes, (double)n * c->repeat);
	free(ns);
}

void cb_fig_switch(struct cb_ctx *c)
{
	for (unsigned pcid = 0; pcid < 2; pcid++)
		for (unsigned i = 0; i < sizeof(spaces) / sizeof(spaces[0]);
		     i++)
			run(c, pcid, spaces[i]);
}
