/* SPDX-License-Identifier: MIT */
/*
 * Workloads: named guests with parameters, each built into a trace
 * (trace.h) from a seed. A spec on the command line names one and sets
 * its parameters: "ctxsw:kpti:procs=8" (an enumeration's value may stand
 * alone), or "replay:FILE" for a recorded trace.
 */
#ifndef SMMU_BENCH_WORKLOAD_H
#define SMMU_BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define BENCH_MAX_PARAMS 8
#define BENCH_LABEL_LEN	 128

struct bench_param {
	const char *name;
	const char *help;
	uint64_t def, min, max;
	/* An enumeration (NULL-terminated names; the value is an index),
	 * or NULL for a number. */
	const char *const *choices;
	bool scaled; /* a length: its default is multiplied by --scale */
};

struct bench_workload {
	const char *name;
	const char *summary;
	const struct bench_param *params; /* ends with a NULL name */
	/* Build the guest into t (initialised, empty) from the parameter
	 * values (in params order) and the seed. 0, or -1 with a message
	 * in err. */
	int (*build)(struct bench_trace *t, const uint64_t *val, uint64_t seed,
		     char *err, size_t err_len);
};

/* Every workload, NULL-terminated. */
extern const struct bench_workload *const bench_workloads[];

/* A workload with its parameters chosen, or a trace file to replay. */
struct bench_spec {
	const struct bench_workload *wl; /* NULL: replay `path` */
	uint64_t val[BENCH_MAX_PARAMS];
	char path[4096];
	char label[BENCH_LABEL_LEN]; /* for tables: name and what was set */
};

/* Parse "NAME[:VALUE|:KEY=VALUE]..." or "replay:FILE"; lengths that
 * were not given are scaled by `scale`. 0, or -1 with a message. */
int bench_spec_parse(const char *text, double scale, struct bench_spec *out,
		     char *err, size_t err_len);
/* The spec's trace: built from the seed, or read from its file. */
int bench_spec_trace(const struct bench_spec *s, uint64_t seed,
		     struct bench_trace *t, char *err, size_t err_len);

/* The workloads' builders (one file each). */
extern const struct bench_workload bench_wl_ctxsw, bench_wl_shootdown,
	bench_wl_forkexec, bench_wl_pressure;

/* Deterministic randomness for the builders: splitmix64. */
struct bench_rng {
	uint64_t s;
};
uint64_t bench_rng_next(struct bench_rng *r);
/* Uniform in [0, n), n > 0. */
uint64_t bench_rng_below(struct bench_rng *r, uint64_t n);

#endif
