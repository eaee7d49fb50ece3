/* SPDX-License-Identifier: MIT */
/*
 * walk: smmu_vcpu_translate of every guest page in order, warm (A and D
 * already set: the walk reads and writes nothing else), per page. The
 * raw guest walk, the physical limit's main part of a fault fill: every
 * other time is also given as a multiple of it.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "figures.h"
#include "guest.h"
#include "machine.h"
#include "report.h"

static void pass(struct cb_vm *m)
{
	struct smmu_access a;
	struct smmu_translation t;
	memset(&a, 0, sizeof(a));
	unsigned bad = 0;
	for (unsigned page = 0; page < CB_PAGES; page++) {
		a.la = cb_la(page);
		bad += smmu_vcpu_translate(m->vcpu[0], &a, &t) !=
			       SMMU_XLATE_OK ||
		       t.gpa != (uint64_t)page << 12;
	}
	if (bad)
		cb_fail("walk: %u pages did not translate to their frame", bad);
}

void cb_fig_walk(struct cb_ctx *c)
{
	struct cb_vm m;
	struct cb_vm_opts o = { .nr_vcpus = 1 };
	unsigned passes = cb_n(c, 7, 1); /* 7 x 16,384 = 114,688 walks */
	double *ns = calloc(c->repeat, sizeof(*ns));
	cb_vm_create(&m, &o);
	pass(&m); /* warm */
	for (unsigned r = 0; r < c->repeat; r++) {
		uint64_t t0 = cb_cpu_ns();
		for (unsigned p = 0; p < passes; p++)
			pass(&m);
		uint64_t t1 = cb_cpu_ns();
		ns[r] = (double)(t1 - t0) / ((double)passes * CB_PAGES);
	}
	cb_vm_destroy(&m);
	c->walk_ns = cb_median(ns, c->repeat);
	cb_report("walk", c->walk_ns, "ns/page", 1, "walk",
		  "smmu_vcpu_translate, warm: the reference");
	free(ns);
}
