/* SPDX-License-Identifier: MIT */
/*
 * smmu-corebench: the library core's micro-benchmark (bench/README.md,
 * "Core micro-benchmark"). Each figure is one file (fig_*.c); `walk`,
 * the reference every ratio is given against, always runs first, and
 * once more after each figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "figures.h"
#include "host.h"
#include "report.h"

static const struct figure {
	const char *name;
	void (*run)(struct cb_ctx *c);
	const char *what;
} figures[] = {
	{ "walk", 0, "smmu_vcpu_translate, warm, per page" },
	{ "fill1", cb_fig_fill1, "shadow fault fill, prefetch 1, per fault" },
	{ "fill8", cb_fig_fill8,
	  "prefetch 8: per fault, per page mapped; the hardware walk alone" },
	{ "lock", cb_fig_lock, "share of fill time under the MMU lock" },
	{ "enter", cb_fig_enter, "smmu_vcpu_enter, nothing changed" },
	{ "switch", cb_fig_switch,
	  "CR3 switch among K = 2..16 spaces, without and with PCIDs" },
	{ "emul", cb_fig_emul, "smmu_vm_emulated_write of a shadowed PTE" },
	{ "invlpg", cb_fig_invlpg, "INVLPG and the next entry" },
	{ "sync", cb_fig_sync,
	  "CR3 reload with 0/1/8/32 out-of-sync tables, unchanged or changed" },
	{ "scale", cb_fig_scale,
	  "T = 1..8 threads faulting: vCPUs of one VM, VMs sharing nothing" },
	{ "memory", cb_fig_memory, "host memory per leaf shadow page" },
};
#define NR_FIGURES (sizeof(figures) / sizeof(figures[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smmu-corebench [--only NAME[,NAME...]] [--repeat N] "
		"[--quick] [--csv FILE] [--no-rcu]\n"
		"  --only     run these figures (walk, the reference, always "
		"runs)\n"
		"  --repeat   repetitions; each figure is their median "
		"(default 7)\n"
		"  --quick    a few operations, one repetition: checks that "
		"it runs\n"
		"  --csv      also write the rows to FILE\n"
		"  --no-rcu   a host without the RCU read-side ops: every "
		"fault takes the\n"
		"             MMU lock (the library's lock-free paths need "
		"them)\n"
		"figures:\n");
	for (unsigned i = 0; i < NR_FIGURES; i++)
		fprintf(f, "  %-8s %s\n", figures[i].name, figures[i].what);
	fprintf(f, "CPU time per thread (CLOCK_THREAD_CPUTIME_ID), but "
		   "`scale` (wall clock); on a shared\nmachine, the ratios "
		   "mean more than the absolute times.\n");
}

/* Mark the figures a comma-separated list names; false for an unknown
 * one. */
static bool select_figures(const char *list, bool *on)
{
	char *copy = strdup(list), *save = 0;
	bool ok = copy != 0;
	for (char *n = copy ? strtok_r(copy, ",", &save) : 0; n;
	     n = strtok_r(0, ",", &save)) {
		unsigned i = 0;
		while (i < NR_FIGURES && strcmp(figures[i].name, n))
			i++;
		if (i == NR_FIGURES) {
			fprintf(stderr, "smmu-corebench: no figure '%s'\n", n);
			ok = false;
			continue;
		}
		on[i] = true;
	}
	free(copy);
	return ok;
}

int main(int argc, char **argv)
{
	struct cb_ctx c = { .repeat = 7 };
	bool on[NR_FIGURES], only = false, repeat_given = false;
	const char *csv = 0;
	memset(on, 0, sizeof(on));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_arg = i + 1 < argc;
		if (!strcmp(a, "--only") && has_arg) {
			if (!select_figures(argv[++i], on))
				return 2;
			only = true;
		} else if (!strcmp(a, "--repeat") && has_arg) {
			char *end;
			unsigned long n = strtoul(argv[++i], &end, 10);
			if (*end || n < 1 || n > 1001) {
				fprintf(stderr, "smmu-corebench: --repeat "
						"takes 1..1001\n");
				return 2;
			}
			c.repeat = (unsigned)n;
			repeat_given = true;
		} else if (!strcmp(a, "--no-rcu")) {
			cb_host_rcu = false;
		} else if (!strcmp(a, "--quick")) {
			c.quick = true;
		} else if (!strcmp(a, "--csv") && has_arg) {
			csv = argv[++i];
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	cb_rcu_thread_online();
	if (c.quick && !repeat_given)
		c.repeat = 1;
	for (unsigned i = 0; i < NR_FIGURES; i++)
		if (!only || i == 0)
			on[i] = true;

	printf("smmu-corebench: libshadowmmu API %d; median of %u "
	       "repetition%s%s; CPU time per thread (scale: wall clock); "
	       "a CPU clock read costs %.0f ns\n",
	       SMMU_API_VERSION, c.repeat, c.repeat == 1 ? "" : "s",
	       c.quick ? ", quick (few operations)" : "",
	       cb_cpu_clock_overhead_ns());
	fflush(stdout);
	/* walk first: the reference, sampled again after each figure. */
	cb_fig_walk(&c, NR_FIGURES);
	for (unsigned i = 1; i < NR_FIGURES; i++) {
		if (!on[i])
			continue;
		figures[i].run(&c);
		cb_walk_sample();
	}
	cb_walk_done();
	cb_report_print(stdout);
	if (csv && !cb_report_csv(csv))
		return 1;
	return 0;
}
