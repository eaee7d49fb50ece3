/* SPDX-License-Identifier: MIT */
/*
 * smmu-bench's command line: the options, the default comparison and
 * --help, which documents every option (options.c). main.c runs what
 * they ask for.
 */
#ifndef SMMU_BENCH_OPTIONS_H
#define SMMU_BENCH_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

#define EXIT_VIOLATIONS 1
#define EXIT_USAGE	2
#define EXIT_FAILED	3
#define MAX_SPECS	64
#define MAX_POLICIES	16
#define MAX_REPEAT	99

struct bench_options {
	const struct bench_policy *policy[MAX_POLICIES];
	unsigned nr_policies;
	enum bench_remote remote[BENCH_NR_REMOTE];
	unsigned nr_remotes;
	uint64_t seed;
	double scale;
	bool oracle, free_running, progress, verbose, quiet;
	uint32_t pool_pages, inject;
	unsigned cached_roots; /* 0: each policy's own */
	unsigned tlb_capacity, report, repeat;
	const char *csv, *json, *plot, *trace_out, *out, *raw;
	const char *spec_text[MAX_SPECS];
	unsigned nr_specs;
};

/* Parse the command line: -1 to go on, else the exit status (--help
 * prints the manual and gives 0). */
int bench_options_parse(int argc, char **argv, struct bench_options *o);
/* The subcommand (probe, record, replay, costs) if the first word that
 * is not an option names one, taken out of the workloads; else "". */
const char *bench_options_command(struct bench_options *o);
/* Without workloads: the default comparison. false if too many. */
bool bench_options_add_workload(struct bench_options *o, const char *text);
void bench_options_add_defaults(struct bench_options *o);

#endif
