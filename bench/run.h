/* SPDX-License-Identifier: MIT */
/*
 * One run: a trace (trace.h) under one policy on the simulated machine,
 * with libshadowmmu's shadow core as the MMU, measured (metrics.h).
 *
 * Determinism: every vCPU has a simulated CPU of its own and the CPUs
 * run in lockstep (sim_cpu.h): one at a time, handing over at each
 * instruction boundary in CPU order. The guest, the policy and the
 * settings below then decide every count a run produces; only lib_ns
 * is a measurement of this host.
 */
#ifndef SMMU_BENCH_RUN_H
#define SMMU_BENCH_RUN_H

#include <stdio.h>

#include "metrics.h"
#include "policy.h"
#include "trace.h"

struct bench_progress;

struct bench_run_config {
	const struct bench_policy *policy;
	enum bench_remote remote; /* unless the policy insists */
	bool oracle;		  /* check every access (else: time only) */
	bool free_running; /* CPUs as free threads: faster, not reproducible */
	uint32_t pool_pages;   /* 0: the trace's, else 4096 */
	uint8_t cached_roots;  /* 0: the policy's */
	unsigned tlb_capacity; /* entries per TLB and per PSC; 0: unbounded */
	uint64_t seed;	       /* the TLBs' eviction choices */
	uint32_t inject;       /* the library's SMMU_INJECT_* (testing) */
	unsigned report_max;   /* violations printed in full */
	FILE *report;	       /* where (NULL: stderr) */
	struct bench_progress *progress; /* NULL: none */
};

/* Run t; fill *out. 0, or -1 with a message in err when the machine
 * cannot be set up (violations are results, not errors). */
int bench_run(const struct bench_trace *t, const struct bench_run_config *c,
	      struct bench_result *out, char *err, size_t err_len);

/* Whether two runs counted the same: everything but the host's time. */
bool bench_same_counts(const struct bench_result *a,
		       const struct bench_result *b);

#endif
