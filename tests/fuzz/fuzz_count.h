/* SPDX-License-Identifier: MIT */
/*
 * What a fuzzing process ran, printed once when it exits: "NAME: counted
 * I inputs, O operations". scripts/long-run.sh adds these lines up into
 * the long run's figures; an operation is one guest operation the
 * simulated machine executed (fuzz-guest), one API call (fuzz-api) or one
 * trace parsed and written back (fuzz-trace).
 */
#ifndef SMMU_FUZZ_COUNT_H
#define SMMU_FUZZ_COUNT_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct fuzz_count {
	const char *name;
	uint64_t inputs, ops;
	int registered;
};

static struct fuzz_count fuzz_counted;

static void fuzz_count_print(void)
{
	fprintf(stderr,
		"%s: counted %" PRIu64 " inputs, %" PRIu64 " operations\n",
		fuzz_counted.name, fuzz_counted.inputs, fuzz_counted.ops);
}

/* One input done, with `ops` operations run. libFuzzer ends a timed run
 * with exit(), which runs the handler; a crash does not (its input is
 * the figure then). */
static inline void fuzz_count(const char *name, uint64_t ops)
{
	if (!fuzz_counted.registered) {
		fuzz_counted.registered = 1;
		fuzz_counted.name = name;
		atexit(fuzz_count_print);
	}
	fuzz_counted.inputs++;
	fuzz_counted.ops += ops;
}

#endif
