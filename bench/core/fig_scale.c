/* SPDX-License-Identifier: MIT */
/*
 * scale: T = 1, 2, 4, 8 threads fault the guest in at once, prefetch 1,
 * each over its own 64 MiB / T of it: as T vCPUs of one VM (one MMU
 * lock, one shadow), and as T VMs that share nothing (a host each).
 * Throughput is faults per second of wall-clock time, from the first
 * thread's start to the last one's end, summed over threads; each is
 * given relative to T = 1 of the same kind. Thread i is pinned to online
 * CPU i mod the CPU count: unpinned, the host scheduler's placement
 * decided the curve (on a 2-CPU machine one VM's T = 2 ranged 1.14x to
 * 2.05x between runs, two VMs sharing nothing 0.81x to 1.64x); the
 * machine's core count bounds it (printed with it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "figures.h"
#include "fill.h"
#include "guest.h"
#include "machine.h"
#include "report.h"

static const unsigned threads[] = { 1, 2, 4, 8 };

struct worker {
	pthread_t thread;
	pthread_barrier_t *start, *done;
	struct cb_vm *m;
	unsigned v, first, n, pin;
	struct cb_fill fill;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	/* Pinned, as a hypervisor pins vCPU threads: a thread the host
	 * scheduler moves (or stacks on one CPU for a while) measures the
	 * scheduler. */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(w->pin, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	cb_rcu_thread_online();
	cb_enter(w->m, w->v);
	pthread_barrier_wait(w->start);
	w->fill = cb_fill_every(w->m, w->v, w->first, w->n);
	/* Checked once every thread is done, so that no check runs while
	 * another thread's time runs. Another vCPU may have write-protected
	 * a table frame in this range: what is gone faults back in, and all
	 * of it must map the right frames. */
	pthread_barrier_wait(w->done);
	cb_touch(w->m, w->v, w->first, w->n);
	cb_rcu_thread_offline();
	return 0;
}

/* One round: fresh machines, T threads; the wall-clock time from the
 * first start to the last end, and the faults. */
static uint64_t round_ns(unsigned t, bool one_vm, uint64_t *faults)
{
	struct cb_vm *vms = calloc(t, sizeof(*vms));
	struct worker w[8];
	pthread_barrier_t start, done;
	unsigned per = CB_PAGES / t;
	if (!vms)
		cb_fail("scale: out of memory");
	pthread_barrier_init(&start, 0, t);
	pthread_barrier_init(&done, 0, t);
	for (unsigned i = 0; i < (one_vm ? 1 : t); i++) {
		struct cb_vm_opts o = { .prefetch = 1,
					.nr_vcpus = one_vm ? t : 1 };
		cb_vm_create(&vms[i], &o);
	}
	for (unsigned i = 0; i < t; i++) {
		w[i] = (struct worker){
			.start = &start,
			.done = &done,
			.m = one_vm ? &vms[0] : &vms[i],
			.v = one_vm ? i : 0,
			.first = i * per,
			.pin = i % (unsigned)sysconf(_SC_NPROCESSORS_ONLN),
			.n = per
		};
		if (pthread_create(&w[i].thread, 0, work, &w[i]))
			cb_fail("scale: pthread_create");
	}
	uint64_t first = UINT64_MAX, last = 0;
	for (unsigned i = 0; i < t; i++) {
		pthread_join(w[i].thread, 0);
		if (w[i].fill.wall0 < first)
			first = w[i].fill.wall0;
		if (w[i].fill.wall1 > last)
			last = w[i].fill.wall1;
		*faults += w[i].fill.faults;
	}
	for (unsigned i = 0; i < (one_vm ? 1 : t); i++)
		cb_vm_destroy(&vms[i]);
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&done);
	free(vms);
	return last - first;
}

static void run(struct cb_ctx *c, bool one_vm)
{
	unsigned rounds = cb_n(c, 7, 1); /* 7 x 16,384 faults */
	double *rate = calloc(c->repeat, sizeof(*rate));
	double base = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (unsigned i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		unsigned t = threads[i];
		uint64_t warm = 0;
		round_ns(t, one_vm, &warm); /* threads' heaps, caches */
		for (unsigned r = 0; r < c->repeat; r++) {
			uint64_t ns = 0, faults = 0;
			for (unsigned k = 0; k < rounds; k++)
				ns += round_ns(t, one_vm, &faults);
			rate[r] = (double)faults / ((double)ns / 1e9) / 1e6;
		}
		double v = cb_median(rate, c->repeat);
		if (t == 1)
			base = v;
		char name[40];
		snprintf(name, sizeof(name), "scale.%s.t%u",
			 one_vm ? "vm" : "vms", t);
		cb_report(
			name, v, "Mfaults/s", base > 0 ? v / base : -1, "T=1",
			"%u %s, %ld CPUs online", t,
			one_vm ? (t == 1 ? "vCPU in one VM" : "vCPUs in one VM")
			       : (t == 1 ? "VM" : "VMs sharing nothing"),
			cpus);
	}
	free(rate);
}

void cb_fig_scale(struct cb_ctx *c)
{
	run(c, true);
	run(c, false);
}
