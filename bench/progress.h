/* SPDX-License-Identifier: MIT */
/*
 * Progress of a series of runs on stderr: one line that updates itself
 * when stderr is a terminal, otherwise a line every few seconds while a
 * run lasts. A thread of its own samples the guest operations done.
 */
#ifndef SMMU_BENCH_PROGRESS_H
#define SMMU_BENCH_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sim;

struct bench_progress {
	pthread_mutex_t lock; /* everything below */
	pthread_t thread;
	bool started, stop;
	bool tty;
	FILE *out;
	unsigned run, nr_runs;
	char label[160];
	struct sim *sim; /* the run in progress, or NULL */
	uint64_t total;	 /* its guest operations */
	uint64_t run_start_ns, last_line_ns;
};

/* Show progress of nr_runs runs on `out` (stderr) unless !enabled. */
void bench_progress_start(struct bench_progress *p, bool enabled, FILE *out,
			  unsigned nr_runs);
/* The next run, by its label. */
void bench_progress_next(struct bench_progress *p, const char *label);
/* Its machine, while it runs (bench_run calls these). */
void bench_progress_attach(struct bench_progress *p, struct sim *s,
			   uint64_t total_ops);
void bench_progress_detach(struct bench_progress *p);
/* Clear the line, stop the thread. */
void bench_progress_stop(struct bench_progress *p);

#endif
