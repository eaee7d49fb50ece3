/* SPDX-License-Identifier: MIT */
#include "progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

#define TICK_NS	    (200 * 1000000ull)	/* terminal updates */
#define LINE_NS	    (5 * 1000000000ull) /* lines otherwise */
#define LONG_RUN_NS (2 * 1000000000ull) /* a run worth a line */

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Guest operations done: each vCPU's thread counts its own; a read of a
 * counter another thread bumps is a sample, good enough for a bar. */
static uint64_t ops_done(struct sim *s)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < s->cfg.nr_vcpus; i++)
		n += __atomic_load_n(&s->vcpu[i].stats.ops, __ATOMIC_RELAXED);
	return n;
}

static void show(struct bench_progress *p, uint64_t now)
{
	unsigned pct = 0;
	if (!p->run)
		return; /* no run has started */
	if (p->sim && p->total)
		pct = (unsigned)(100 * ops_done(p->sim) / p->total);
	if (pct > 100)
		pct = 100;
	if (p->tty) {
		fprintf(p->out, "\r\033[K[%u/%u] %s %3u%%", p->run, p->nr_runs,
			p->label, pct);
	} else {
		if (now - p->run_start_ns < LONG_RUN_NS ||
		    now - p->last_line_ns < LINE_NS)
			return;
		fprintf(p->out, "smmu-bench: [%u/%u] %s: %u%%\n", p->run,
			p->nr_runs, p->label, pct);
		p->last_line_ns = now;
	}
	fflush(p->out);
}

static void *progress_main(void *arg)
{
	struct bench_progress *p = arg;
	const struct timespec tick = { 0, TICK_NS };
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		show(p, now_ns());
		pthread_mutex_unlock(&p->lock);
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void bench_progress_start(struct bench_progress *p, bool enabled, FILE *out,
			  unsigned nr_runs)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->out = out;
	p->nr_runs = nr_runs;
	p->tty = isatty(fileno(out));
	if (enabled && !pthread_create(&p->thread, NULL, progress_main, p))
		p->started = true;
}

void bench_progress_next(struct bench_progress *p, const char *label)
{
	pthread_mutex_lock(&p->lock);
	p->run++;
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->run_start_ns = p->last_line_ns = now_ns();
	pthread_mutex_unlock(&p->lock);
}

void bench_progress_attach(struct bench_progress *p, struct sim *s,
			   uint64_t total_ops)
{
	pthread_mutex_lock(&p->lock);
	p->sim = s;
	p->total = total_ops;
	pthread_mutex_unlock(&p->lock);
}

void bench_progress_detach(struct bench_progress *p)
{
	pthread_mutex_lock(&p->lock);
	p->sim = NULL;
	pthread_mutex_unlock(&p->lock);
}

void bench_progress_stop(struct bench_progress *p)
{
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		if (p->tty)
			fputs("\r\033[K", p->out);
		fflush(p->out);
	}
	pthread_mutex_destroy(&p->lock);
}
