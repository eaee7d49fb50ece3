/* SPDX-License-Identifier: MIT */
/*
 * Between smmu-sim's command line (smmu_sim_cli.c: the options, their
 * usage text and their parsing) and its run (smmu_sim.c): what a run was
 * asked for, and the exit statuses both of them return.
 */
#ifndef SMMU_POSIX_SMMU_SIM_CLI_H
#define SMMU_POSIX_SMMU_SIM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"
#include "workload.h"

#define EXIT_VIOLATIONS 1
#define EXIT_USAGE	2

struct options {
	struct workload_config wc;
	const struct sim_mmu_ops *mmu;
	unsigned pcpus; /* 0: one per vCPU */
	uint32_t pool_pages;
	uint8_t unsync_after; /* 0: the library's default */
	uint8_t unsync_quiet; /* 0: the library's default */
	uint16_t prefetch;    /* 0: the library's default */
	uint8_t cached_roots; /* 0: the library's default */
	uint32_t host_caps;   /* sim_config.host_caps */
	bool no_flush_engine, slow_readers;
	enum smmu_policy_preset policy;
	bool host_4k;
	unsigned tlb_capacity;
	bool assisted;
	uint32_t inject;
#define MAX_KNOB_ARGS 16
	const char
		*knob_args[MAX_KNOB_ARGS]; /* --inject, until --mmu is known */
	unsigned nr_knobs;
	unsigned report;
	bool quiet;
	int progress; /* -1: when stderr is a terminal, 0: never, 1: always */
};

/* Parse smmu-sim's command line into *o (--help prints the usage text).
 * Returns -1 to go on, else the exit status. */
int smmu_sim_parse_args(int argc, char **argv, struct options *o);

/* The --mode name of a paging mode, for the run's configuration line. */
const char *smmu_sim_mode_name(enum smmu_paging_mode mode);

#endif
