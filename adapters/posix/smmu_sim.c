/* SPDX-License-Identifier: MIT */
/*
 * smmu-sim: run a random guest workload (workload.h) on the simulated
 * machine (sim.h) with a shadow MMU under test — the naive one or
 * libshadowmmu's — check every access against the architectural reference
 * model, and report what the oracle found.
 *
 * The last line of the output is always
 *     ops=<n> accesses=<n> violations=<n>
 * and the exit status is 0 without violations, 1 with, 2 on usage or
 * setup errors. Progress lines go to stderr (when it is a terminal, or
 * with --progress).
 *
 * This file runs the simulation and reports on it; the command line (the
 * options, their usage text and their parsing) is in smmu_sim_cli.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "smmu_sim_cli.h"
#include "workload.h"

static void print_config(const struct options *o, uint64_t ram_size)
{
	const struct workload_config *wc = &o->wc;
	printf("smmu-sim: mmu=%s mode=%s vcpus=%u ops/vcpu=%u seed=%" PRIu64
	       " spaces=%u pages/space=%u flush-prob=%g\n",
	       o->mmu->name, smmu_sim_mode_name(wc->mode), wc->nr_vcpus,
	       wc->ops, wc->seed, wc->nr_spaces, wc->pages_per_space,
	       wc->flush_prob);
	printf("  features:%s%s%s%s%s%s%s%s%s%s%s\n", wc->pcid ? " pcid" : "",
	       wc->global ? " global" : "", wc->large ? " large" : "",
	       wc->nx ? " nx" : "", wc->smep ? " smep" : "",
	       wc->smap ? " smap" : "", wc->pke ? " pke" : "",
	       wc->wp_toggle ? " wp-toggle" : "",
	       wc->nx_toggle ? " nx-toggle" : "",
	       wc->pcide_toggle ? " pcide-toggle" : "",
	       wc->paging_toggle ? " paging-toggle" : "");
	printf("  mix:");
	for (unsigned k = 0; k < WL_NR_OPS; k++)
		printf(" %s=%u", workload_op_names[k], wc->weight[k]);
	printf(" recent=%u%%\n", wc->recent_pct);
	printf("  machine: cpus=%u ram=%" PRIu64 " KiB pool-pages=%u "
	       "tlb-capacity=%u remote=%s",
	       o->pcpus ? o->pcpus : wc->nr_vcpus, ram_size >> 10,
	       o->pool_pages, o->tlb_capacity,
	       o->assisted ? "assisted" : "ipi");
	if (o->inject) {
		printf(" inject:");
		for (const struct sim_knob *k = o->mmu->knobs; k && k->name;
		     k++)
			if (o->inject & k->bit)
				printf(" %s", k->name);
	}
	printf("\n");
}

/*
 * Progress of a run on stderr: a line every PROGRESS_NS of wall time,
 * the first after PROGRESS_NS (a short run prints none). A thread of its
 * own samples the guest operations done: each vCPU's thread counts its
 * own, and a relaxed read of those counters is a sample, as smmu-bench's
 * progress takes it; the run is neither touched nor slowed.
 */
#define PROGRESS_NS (2 * 1000000000ull)

struct progress {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct sim *sim;
	uint64_t total, start_ns;
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void progress_line(const struct progress *p)
{
	uint64_t done = 0;
	for (unsigned i = 0; i < p->sim->cfg.nr_vcpus; i++)
		done += __atomic_load_n(&p->sim->vcpu[i].stats.ops,
					__ATOMIC_RELAXED);
	if (done > p->total)
		done = p->total;
	double secs = (double)(now_ns() - p->start_ns) / 1e9;
	unsigned pct = p->total ? (unsigned)(100 * done / p->total) : 100;
	char left[48] = "";
	if (done && done < p->total)
		snprintf(left, sizeof(left), ", about %.0f s to go",
			 secs * (double)(p->total - done) / (double)done);
	fprintf(stderr,
		"smmu-sim: %u%% (%" PRIu64 "/%" PRIu64 " ops, %.1f s%s)\n", pct,
		done, p->total, secs, left);
	fflush(stderr);
}

static void *progress_main(void *arg)
{
	struct progress *p = arg;
	pthread_mutex_lock(&p->lock);
	for (uint64_t next = p->start_ns + PROGRESS_NS; !p->stop;) {
		struct timespec until = {
			.tv_sec = (time_t)(next / 1000000000u),
			.tv_nsec = (long)(next % 1000000000u),
		};
		if (pthread_cond_timedwait(&p->wake, &p->lock, &until) ==
			    ETIMEDOUT &&
		    !p->stop) {
			progress_line(p);
			next += PROGRESS_NS;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Start the progress thread for the run of s; false if there is none. */
static bool progress_start(struct progress *p, struct sim *s)
{
	pthread_condattr_t attr;
	memset(p, 0, sizeof(*p));
	p->sim = s;
	for (unsigned i = 0; i < s->cfg.nr_vcpus; i++)
		p->total += s->vcpu[i].prog.nr;
	p->start_ns = now_ns();
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&p->thread, NULL, progress_main, p) == 0)
		return true;
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	return false;
}

static void progress_stop(struct progress *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
}

static void print_stats(struct sim *s, const struct sim_totals *t)
{
	const struct sim_vcpu_stats *v = &t->sum;
	printf("guest:  ops %" PRIu64 ", accesses %" PRIu64 ", stores %" PRIu64
	       ", cr writes %" PRIu64 " (#GP %" PRIu64 ")\n"
	       "        invalidations %" PRIu64 ", shootdowns %" PRIu64
	       ", switches between vCPUs on a CPU %" PRIu64 "\n",
	       v->ops, v->accesses, v->stores, v->cr_writes, v->gp,
	       v->invalidations, v->shootdowns, v->switched_in);
	printf("exits:  #PF %" PRIu64 ": fixed %" PRIu64 ", injected %" PRIu64
	       ", emulated %" PRIu64 "\n",
	       v->exits_pf, v->fixed, v->injected, v->emulated);
	printf("tlb:    lookups %" PRIu64 ", hits %" PRIu64 ", walks %" PRIu64
	       ", faults %" PRIu64 ", invalidations %" PRIu64
	       ", evictions %" PRIu64 "\n",
	       t->tlb.lookups, t->tlb.hits, t->tlb.walks, t->tlb.faults,
	       t->tlb.invalidations, t->tlb.evictions);
	printf("oracle: checks %" PRIu64 ", stale allowed %" PRIu64
	       ", candidates %" PRIu64 ", history %" PRIu64 " slots / %" PRIu64
	       " values\n",
	       t->model.checks, t->model.stale_allowed, t->model.candidates,
	       t->model.history_slots, t->model.history_values);
	if (s->cfg.mmu->print_stats)
		s->cfg.mmu->print_stats(s, stdout);
}

int main(int argc, char **argv)
{
	struct options o;
	int status = smmu_sim_parse_args(argc, argv, &o);
	if (status >= 0)
		return status;

	uint64_t ram_size = workload_ram_size(&o.wc);
	if (!ram_size)
		return EXIT_USAGE;

	struct sim_config cfg = {
		.nr_vcpus = o.wc.nr_vcpus,
		.nr_pcpus = o.pcpus,
		.ram_size = ram_size,
		.maxphyaddr = 40,
		.gbpages = false,
		.pool_pages = o.pool_pages,
		.unsync_after_stores = o.unsync_after,
		.unsync_quiet_syncs = o.unsync_quiet,
		.prefetch_window = o.prefetch,
		.cached_roots = o.cached_roots,
		.host_caps = o.host_caps,
		.no_flush_engine = o.no_flush_engine,
		.slow_readers = o.slow_readers,
		.policy = o.policy,
		.host_4k_only = o.host_4k,
		.tlb = { .tlb_capacity = o.tlb_capacity,
			 .psc_capacity = o.tlb_capacity,
			 .seed = o.wc.seed },
		.mmu = o.mmu,
		.inject = o.inject,
		.assisted_flush = o.assisted,
		.report_max = o.report,
		.report = stdout,
	};
	struct sim *s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "smmu-sim: out of memory\n");
		return EXIT_USAGE;
	}
	if (sim_init(s, &cfg)) {
		fprintf(stderr, "smmu-sim: cannot set up the simulation\n");
		free(s);
		return EXIT_USAGE;
	}
	if (workload_build(s, &o.wc)) {
		sim_fini(s);
		free(s);
		return EXIT_USAGE;
	}
	if (!o.quiet)
		print_config(&o, ram_size);
	fflush(stdout);

	/* By default, progress when someone watches: stderr a terminal. */
	bool progress = o.progress == 1 ||
			(o.progress < 0 && !o.quiet && isatty(STDERR_FILENO));
	struct progress prog;
	if (progress)
		progress = progress_start(&prog, s);
	sim_run(s);
	if (progress)
		progress_stop(&prog);

	struct sim_totals t;
	sim_get_totals(s, &t);
	if (!o.quiet)
		print_stats(s, &t);
	printf("ops=%" PRIu64 " accesses=%" PRIu64 " violations=%" PRIu64 "\n",
	       t.ops, t.accesses, t.violations);
	sim_fini(s);
	free(s);
	return t.violations ? EXIT_VIOLATIONS : 0;
}
