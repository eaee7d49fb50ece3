/* SPDX-License-Identifier: MIT */
/*
 * walk: smmu_vcpu_translate of every guest page in order, warm (A and D
 * already set: the walk reads and writes nothing else), per page. The
 * raw guest walk, the physical limit's main part of a fault fill: every
 * other time is also given as a multiple of it.
 *
 * Being the reference, it is sampled across the whole run: its own
 * repetitions first, then one more after every other figure, so that a
 * busy moment of the machine moves it less; its value is the median of
 * all of them, and the ratios are worked out against that at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "figures.h"
#include "guest.h"
#include "machine.h"
#include "report.h"

static struct cb_vm vm;
static bool up;
static double *samples;
static unsigned nr_samples, max_samples, passes;

static void pass(void)
{
	struct smmu_access a;
	struct smmu_translation t;
	memset(&a, 0, sizeof(a));
	unsigned bad = 0;
	for (unsigned page = 0; page < CB_PAGES; page++) {
		a.la = cb_la(page);
		bad += smmu_vcpu_translate(vm.vcpu[0], &a, &t) !=
			       SMMU_XLATE_OK ||
		       t.gpa != (uint64_t)page << 12;
	}
	if (bad)
		cb_fail("walk: %u pages did not translate to their frame", bad);
}

static void sample(void)
{
	uint64_t t0 = cb_cpu_ns();
	for (unsigned p = 0; p < passes; p++)
		pass();
	uint64_t t1 = cb_cpu_ns();
	if (nr_samples < max_samples)
		samples[nr_samples++] =
			(double)(t1 - t0) / ((double)passes * CB_PAGES);
	double *sorted = calloc(nr_samples, sizeof(*sorted));
	if (!sorted)
		cb_fail("walk: out of memory");
	memcpy(sorted, samples, nr_samples * sizeof(*sorted));
	cb_report_set_walk(cb_median(sorted, nr_samples));
	free(sorted);
}

void cb_fig_walk(struct cb_ctx *c, unsigned later_samples)
{
	struct cb_vm_opts o = { .nr_vcpus = 1 };
	passes = cb_n(c, 7, 1); /* 7 x 16,384 = 114,688 walks a sample */
	max_samples = c->repeat + later_samples;
	samples = calloc(max_samples, sizeof(*samples));
	if (!samples)
		cb_fail("walk: out of memory");
	cb_vm_create(&vm, &o);
	up = true;
	pass(); /* warm */
	cb_report_time("walk", 0, "ns/page",
		       "smmu_vcpu_translate, warm: the reference");
	for (unsigned r = 0; r < c->repeat; r++)
		sample();
}

void cb_walk_sample(void)
{
	if (up)
		sample();
}

void cb_walk_done(void)
{
	if (!up)
		return;
	cb_vm_destroy(&vm);
	up = false;
	free(samples);
	samples = 0;
}
