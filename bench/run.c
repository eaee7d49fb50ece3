/* SPDX-License-Identifier: MIT */
/*
 * One run (run.h). The MMU under test is lib_mmu_ops, the library with
 * the posix adapter's host ops, unchanged; its exit handlers are wrapped
 * here to count exits by kind, the guest's own invalidations (the native
 * floor), the roots the library returns, and the time spent inside it.
 * Hardware flushes are counted where they happen, in the TLBs
 * (tlb_account.c).
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib_mmu.h"
#include "machine.h"
#include "progress.h"

#define DEFAULT_POOL_PAGES 4096u

static struct bench_machine *machine_of(struct sim *s)
{
	return (struct bench_machine *)((char *)s -
					offsetof(struct bench_machine, sim));
}

static struct bench_vcpu_acct *acct_of(struct sim_vcpu *v)
{
	return &machine_of(v->sim)->vcpu[v->id];
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Library time: the wall time of a call less the time its CPU waited
 * for its turn (lockstep) meanwhile, which belongs to other CPUs. */
struct stopwatch {
	uint64_t start, waited;
};

static void enter_library(struct sim_vcpu *v, enum bench_phase phase,
			  struct stopwatch *w)
{
	acct_of(v)->phase = phase;
	w->waited =
		__atomic_load_n(&v->cpu->stats.turn_wait_ns, __ATOMIC_RELAXED);
	w->start = now_ns();
}

static void leave_library(struct sim_vcpu *v, const struct stopwatch *w)
{
	uint64_t spent = now_ns() - w->start;
	uint64_t waited =
		__atomic_load_n(&v->cpu->stats.turn_wait_ns, __ATOMIC_RELAXED) -
		w->waited;
	struct bench_vcpu_acct *a = acct_of(v);
	a->lib_ns += spent > waited ? spent - waited : 0;
	a->phase = BENCH_IN_GUEST;
}

/* Which shadow root the vCPU runs on: a switch when it changes, a
 * rebuild when the guest root it shadows had another shadow page (or
 * the same page reallocated) the last time. Roots outside IA-32e mode
 * are the vCPU's private PAE page and are not followed. */
static void note_root(struct sim_vcpu *v, const struct hw_mmu_ctx *ctx)
{
	struct bench_machine *m = machine_of(v->sim);
	struct bench_vcpu_acct *a = acct_of(v);
	uint64_t hpa = ctx->cr3 & X86_BITS(51, 12);
	uint32_t gen = 0;
	if (ctx->pae || !hpa)
		return;
	if (hpa != a->last_root) {
		a->root_switches += a->last_root != 0;
		a->last_root = hpa;
	}
	struct smmu_paging_regs r;
	lib_mmu_ops.get_regs(v, &r);
	uint64_t key =
		(r.cr3 & X86_BITS(51, 12)) | ((r.cr4 & X86_CR4_LA57) ? 1 : 0);
	sim_pool_page_live(&m->sim.pool, hpa, &gen);
	uint64_t val = hpa | (gen & 0xfff);
	uint64_t *was = u64map_get(&a->roots, key);
	if (was && *was != val)
		a->roots_rebuilt++;
	*u64map_put(&a->roots, key, 0) = val;
}

static void wrap_enter(struct sim_vcpu *v, struct hw_mmu_ctx *ctx)
{
	struct stopwatch w;
	enter_library(v, BENCH_IN_ENTRY, &w);
	lib_mmu_ops.vcpu_enter(v, ctx);
	leave_library(v, &w);
	acct_of(v)->entries++;
	note_root(v, ctx);
}

static struct sim_pf_result wrap_page_fault(struct sim_vcpu *v,
					    const struct smmu_access *access,
					    uint32_t hw_error)
{
	static const enum bench_exit kind[] = {
		[SIM_PF_FIXED] = BENCH_EXIT_PF_FIXED,
		[SIM_PF_INJECT] = BENCH_EXIT_PF_INJECTED,
		[SIM_PF_EMULATE] = BENCH_EXIT_PF_EMULATED,
		[SIM_PF_ERROR] = BENCH_EXIT_PF_ERROR,
	};
	struct stopwatch w;
	enter_library(v, BENCH_IN_HANDLER, &w);
	struct sim_pf_result r = lib_mmu_ops.page_fault(v, access, hw_error);
	leave_library(v, &w);
	acct_of(v)->exits[kind[r.action]]++;
	return r;
}

/* The flush a native CPU does for a control-register write that
 * succeeded (SDM 4.10.4.1), or -1 for none. */
static int native_cr_flush(enum gop_kind which, uint64_t val,
			   const struct smmu_paging_regs *old,
			   const struct smmu_paging_regs *now)
{
	uint64_t d0 = old->cr0 ^ now->cr0, d4 = old->cr4 ^ now->cr4;
	switch (which) {
	case GOP_MOV_CR3:
		/* Without PCIDs, PCID 000H; with them, the new PCID unless
		 * NOFLUSH. Globals stay either way. */
		if ((now->cr4 & X86_CR4_PCIDE) && (val & X86_CR3_NOFLUSH))
			return -1;
		return BENCH_SCOPE_PCID;
	case GOP_MOV_CR4:
		if ((d4 & X86_CR4_PGE) ||
		    ((d4 & X86_CR4_PCIDE) && !(now->cr4 & X86_CR4_PCIDE)))
			return BENCH_SCOPE_ALL;
		if ((d4 & X86_CR4_PAE) ||
		    ((d4 & X86_CR4_SMEP) && (now->cr4 & X86_CR4_SMEP)))
			return BENCH_SCOPE_PCID;
		return -1;
	case GOP_MOV_CR0:
		return (d0 & X86_CR0_PG) && !(now->cr0 & X86_CR0_PG)
			       ? BENCH_SCOPE_ALL
			       : -1;
	default:
		return -1; /* WRMSR EFER invalidates nothing */
	}
}

static bool wrap_write_cr(struct sim_vcpu *v, enum gop_kind which, uint64_t val)
{
	struct bench_vcpu_acct *a = acct_of(v);
	struct smmu_paging_regs old, now;
	struct stopwatch w;
	lib_mmu_ops.get_regs(v, &old);
	enter_library(v, BENCH_IN_HANDLER, &w);
	bool done = lib_mmu_ops.write_cr(v, which, val);
	leave_library(v, &w);
	a->exits[BENCH_EXIT_CR]++;
	if (!done)
		return false;
	lib_mmu_ops.get_regs(v, &now);
	int scope = native_cr_flush(which, val, &old, &now);
	if (scope >= 0)
		a->required[scope]++;
	if (which == GOP_MOV_CR3) {
		a->cr3_flush += scope >= 0;
		a->cr3_noflush += scope < 0;
	}
	return true;
}

static void wrap_invlpg(struct sim_vcpu *v, uint64_t la)
{
	struct stopwatch w;
	enter_library(v, BENCH_IN_HANDLER, &w);
	lib_mmu_ops.invlpg(v, la);
	leave_library(v, &w);
	acct_of(v)->exits[BENCH_EXIT_INVLPG]++;
	acct_of(v)->required[BENCH_SCOPE_ADDR]++;
}

static bool wrap_invpcid(struct sim_vcpu *v, unsigned type, uint16_t pcid,
			 uint64_t la)
{
	static const enum bench_scope scope[] = {
		[0] = BENCH_SCOPE_ADDR,
		[1] = BENCH_SCOPE_PCID,
		[2] = BENCH_SCOPE_ALL,
		[3] = BENCH_SCOPE_VCPU,
	};
	struct stopwatch w;
	enter_library(v, BENCH_IN_HANDLER, &w);
	bool done = lib_mmu_ops.invpcid(v, type, pcid, la);
	leave_library(v, &w);
	acct_of(v)->exits[BENCH_EXIT_INVPCID]++;
	/* One that faults invalidates nothing, natively either. */
	if (done && type < 4)
		acct_of(v)->required[scope[type]]++;
	return done;
}

static void wrap_pv_flush(struct sim_vcpu *v)
{
	struct stopwatch w;
	enter_library(v, BENCH_IN_HANDLER, &w);
	lib_mmu_ops.pv_flush(v);
	leave_library(v, &w);
	acct_of(v)->exits[BENCH_EXIT_PV_FLUSH]++;
	acct_of(v)->required[BENCH_SCOPE_ALL]++;
}

static void wrap_emulated_write(struct sim_vcpu *v, uint64_t gpa, uint64_t val)
{
	struct stopwatch w;
	enter_library(v, BENCH_IN_HANDLER, &w);
	lib_mmu_ops.emulated_write(v, gpa, val);
	leave_library(v, &w);
}

static void wrap_host_changed(struct sim_vcpu *v, uint64_t gfn, uint64_t count,
			      unsigned how)
{
	struct stopwatch w;
	enter_library(v, BENCH_IN_HANDLER, &w);
	lib_mmu_ops.host_changed(v, gfn, count, how);
	leave_library(v, &w);
}

static void load_trace(struct bench_machine *m, const struct bench_trace *t)
{
	const struct u64map *mem = &t->mem;
	for (uint64_t i = 0; i < mem->cap; i++)
		if (mem->used[i])
			smmu_posix_ram_write64(&m->sim.host.ram, mem->keys[i],
					       mem->vals[i]);
	for (unsigned v = 0; v < t->nr_vcpus; v++)
		for (unsigned i = 0; i < t->vcpu[v].nr; i++)
			guest_prog_add(&m->sim.vcpu[v].prog,
				       t->vcpu[v].ev[i].op);
}

static void collect(struct bench_machine *m, const struct bench_trace *t,
		    struct bench_result *r)
{
	struct sim_totals tot;
	struct smmu_stats st;
	sim_get_totals(&m->sim, &tot);
	smmu_vm_get_stats(lib_mmu_vm(&m->sim), &st);

	r->vcpus = t->nr_vcpus;
	r->ops = tot.ops;
	r->accesses = tot.accesses;
	r->stores = tot.sum.stores;
	r->guest_shootdowns = tot.sum.shootdowns;
	r->tlb_walks = tot.tlb.walks;
	for (unsigned v = 0; v < t->nr_vcpus; v++)
		for (unsigned i = 0; i < t->vcpu[v].nr; i++)
			r->pt_stores += t->vcpu[v].ev[i].pt;
	for (unsigned v = 0; v < t->nr_vcpus; v++) {
		const struct bench_vcpu_acct *a = &m->vcpu[v];
		for (unsigned e = 0; e < BENCH_NR_EXITS; e++)
			r->exits[e] += a->exits[e];
		for (unsigned s = 0; s < BENCH_NR_SCOPES; s++)
			r->required[s] += a->required[s];
		r->entries += a->entries;
		r->cr3_flush += a->cr3_flush;
		r->cr3_noflush += a->cr3_noflush;
		r->root_switches += a->root_switches;
		r->roots_rebuilt += a->roots_rebuilt;
		r->lib_ns += a->lib_ns;
	}
	for (unsigned c = 0; c < m->sim.cpus.nr; c++) {
		const struct sim_cpu_stats *cs = &m->sim.cpus.cpu[c].stats;
		r->ipis += cs->ipis_sent;
		r->ipi_requests += cs->ipi_requests;
		r->assisted += cs->assisted_sent;
		r->assisted_requests += cs->assisted_requests;
		/* A flush IPI takes a running vCPU out of the guest. */
		r->exits[BENCH_EXIT_INTERRUPT] += cs->ipis_received;
	}
	memcpy(r->flushes, m->flushes, sizeof(r->flushes));
	r->dropped = m->dropped;
	r->dropped_invalidated = m->dropped_invalidated;
	r->dropped_stale = m->dropped_stale;
	r->collateral_tlb = m->collateral_tlb;
	r->collateral_psc = m->collateral_psc;
	r->sp_built = st.sp_created;
	r->sp_zapped = st.sp_zapped;
	r->sp_synced = st.sp_synced;
	r->sp_evicted = st.sp_evicted;
	r->emulated_writes = st.emulated_writes;
	r->remote_requests = st.remote_requests;
	r->remote_targets = st.remote_targets;
	r->remote_deferred = st.remote_deferred;
	r->remote_skipped = st.remote_skipped;
	r->kicks = st.kicks;
	r->kicked_cpus = st.kicked_cpus;
	r->engine_assisted = st.assisted;
	r->engine_assisted_cpus = st.assisted_cpus;
}

static struct bench_machine *machine_create(const struct bench_trace *t,
					    const struct bench_run_config *c,
					    const struct smmu_vm_config *vm,
					    bool assisted, char *err,
					    size_t err_len)
{
	uint32_t pool = c->pool_pages	? c->pool_pages
			: t->pool_pages ? t->pool_pages
					: DEFAULT_POOL_PAGES;
	if (pool < 5 * t->nr_vcpus + 4) {
		snprintf(err, err_len,
			 "a pool of %u shadow pages is below the library's "
			 "minimum for %u vCPUs (%u)",
			 pool, t->nr_vcpus, 5 * t->nr_vcpus + 4);
		return NULL;
	}
	struct bench_machine *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	m->ops = lib_mmu_ops;
	m->ops.vcpu_enter = wrap_enter;
	m->ops.page_fault = wrap_page_fault;
	m->ops.write_cr = wrap_write_cr;
	m->ops.invlpg = wrap_invlpg;
	m->ops.invpcid = wrap_invpcid;
	m->ops.pv_flush = wrap_pv_flush;
	m->ops.emulated_write = wrap_emulated_write;
	if (lib_mmu_ops.host_changed)
		m->ops.host_changed = wrap_host_changed;
	for (unsigned v = 0; v < SIM_MAX_CPUS; v++)
		u64map_init(&m->vcpu[v].roots);

	struct sim_config sc = {
		.nr_vcpus = t->nr_vcpus,
		.ram_size = t->ram_size,
		.maxphyaddr = t->maxphyaddr,
		.gbpages = t->gbpages,
		.pool_pages = pool,
		.host_4k_only = c->policy->host_4k_only,
		.host_caps = c->policy->host_caps,
		.no_flush_engine = c->policy->no_flush_engine,
		.vm_config = vm,
		.tlb = { .tlb_capacity = c->tlb_capacity,
			 .psc_capacity = c->tlb_capacity,
			 .seed = c->seed },
		.mmu = &m->ops,
		.inject = c->inject,
		.assisted_flush = assisted,
		.lockstep = !c->free_running,
		.no_oracle = !c->oracle,
		.report_max = c->report_max,
		.report = c->report,
	};
	if (sim_init(&m->sim, &sc)) {
		/* sim_init leaves nothing behind when it fails. */
		snprintf(err, err_len, "cannot set up the simulated machine");
		free(m);
		return NULL;
	}
	return m;
}

/* Tear down (which checks that no shadow page leaked); the run's
 * violations. */
static uint64_t machine_destroy(struct bench_machine *m)
{
	sim_fini(&m->sim);
	uint64_t violations = m->sim.violations;
	for (unsigned v = 0; v < SIM_MAX_CPUS; v++)
		u64map_fini(&m->vcpu[v].roots);
	free(m);
	return violations;
}

int bench_run(const struct bench_trace *t, const struct bench_run_config *c,
	      struct bench_result *out, char *err, size_t err_len)
{
	const struct bench_policy *p = c->policy;
	enum bench_remote remote =
		p->remote >= 0 ? (enum bench_remote)p->remote : c->remote;
	/* The library's knobs, the policy's (the machine's own are set by
	 * lib_mmu from the sim config). */
	struct smmu_vm_config vm = p->vm;
	if (c->cached_roots)
		vm.cached_roots = c->cached_roots;

	memset(out, 0, sizeof(*out));
	out->policy = p->name;
	out->remote = remote;
	out->oracle = c->oracle;
	struct bench_machine *m = machine_create(
		t, c, &vm, remote == BENCH_REMOTE_ASSISTED, err, err_len);
	if (!m)
		return -1;
	load_trace(m, t);
	for (unsigned v = 0; v < t->nr_vcpus; v++) {
		if (sim_vcpu_set_regs(&m->sim, v, &t->vcpu[v].regs)) {
			snprintf(err, err_len,
				 "vCPU %u: the library refuses the trace's "
				 "registers (smmu_vcpu_set_paging)",
				 v);
			machine_destroy(m);
			return -1;
		}
	}
	bench_tlb_account_attach(m);
	if (c->progress)
		bench_progress_attach(c->progress, &m->sim,
				      bench_trace_events(t));
	sim_run(&m->sim);
	if (c->progress)
		bench_progress_detach(c->progress);
	bench_tlb_account_detach(m);
	collect(m, t, out);
	out->violations = machine_destroy(m);
	return 0;
}

bool bench_same_counts(const struct bench_result *a,
		       const struct bench_result *b)
{
	struct bench_result x = *a, y = *b;
	x.lib_ns = y.lib_ns = 0;
	x.oracle = y.oracle;
	return !memcmp(&x, &y, sizeof(x));
}
