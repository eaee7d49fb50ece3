/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine; see sim.h. This file is the hypervisor's run
 * loop in miniature: run guest operations on the simulated hardware, turn
 * hardware page faults into calls to the MMU under test, and hand every
 * guest-visible outcome to the reference model.
 */
#include "sim.h"

#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "sim_rcu.h"

/* Bound on hardware faults for one access. A correct MMU usually fixes a
 * fault in one or two exits, but under pool pressure vCPUs may steal each
 * other's roots many times; a bound this high only trips on livelock. */
#define MAX_FAULTS_PER_ACCESS 1000

static __thread struct sim_vcpu *current_vcpu;

struct sim_vcpu *sim_current_vcpu(void)
{
	return current_vcpu;
}

struct hw_tlb *sim_vcpu_tlb(struct sim_vcpu *v)
{
	return v->cpu->tlb;
}

static void print_recent(FILE *out, const struct sim_vcpu *v)
{
	unsigned n =
		v->nr_recent < SIM_RECENT_OPS ? v->nr_recent : SIM_RECENT_OPS;
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (v->nr_recent - n + i) % SIM_RECENT_OPS;
		char buf[160];
		gop_describe(&v->recent[k], buf, sizeof(buf));
		fprintf(out, "    %s%s\n", buf, i == n - 1 ? "   <- now" : "");
	}
}

void sim_report_violation(struct sim *s, struct sim_vcpu *v, const char *fmt,
			  ...)
{
	uint64_t n = __atomic_add_fetch(&s->violations, 1, __ATOMIC_RELAXED);
	if (n > s->cfg.report_max)
		return;
	FILE *out = s->cfg.report ? s->cfg.report : stderr;
	pthread_mutex_lock(&s->report_lock);
	fprintf(out,
		"violation %llu (%s, vcpu %u, op %u): ", (unsigned long long)n,
		s->cfg.mmu->name, v ? v->id : 0, v ? v->pc : 0);
	/* gcc's -Wformat-overflow, under UBSan's instrumentation, cannot tell
	 * that fmt (a literal at every call) is not NULL. */
	if (!fmt)
		fmt = "(no description)";
	va_list ap;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	if (v) {
		fprintf(out, "  last guest operations:\n");
		print_recent(out, v);
	}
	pthread_mutex_unlock(&s->report_lock);
}

/* The library (through the MMU under test) changes guest memory: only
 * accessed/dirty flags, only for the access in flight. The model performs
 * the change so that no check can see it half done. */
static int library_cmpxchg(void *arg, uint64_t gpa, unsigned size,
			   uint64_t old_val, uint64_t new_val)
{
	struct sim *s = arg;
	struct sim_vcpu *v = current_vcpu;
	struct ref_verdict why;
	bool allowed;
	/* Only vCPU threads run the library during a run. */
	unsigned id = v ? v->id : 0;
	int r = ref_model_cmpxchg(s->model, id, gpa, size, old_val, new_val,
				  v ? v->inflight : NULL, &why, &allowed);
	if (!allowed)
		sim_report_violation(s, v, "%s", why.why);
	return r;
}

int sim_init(struct sim *s, const struct sim_config *config)
{
	memset(s, 0, sizeof(*s));
	if (!config->mmu || config->nr_vcpus == 0 ||
	    config->nr_vcpus > SIM_MAX_CPUS ||
	    config->nr_pcpus > config->nr_vcpus)
		return -1;
	s->cfg = *config;
	if (!s->cfg.nr_pcpus)
		s->cfg.nr_pcpus = config->nr_vcpus;
	if (!s->cfg.slice)
		s->cfg.slice = 8;
	pthread_mutex_init(&s->report_lock, NULL);
	if (smmu_posix_ram_init(&s->host.ram, config->ram_size))
		return -1;
	if (sim_pool_init(&s->pool, config->pool_pages, config->pool_pages))
		goto no_pool;
	s->hpa.ram = &s->host.ram;
	s->hpa.pool = &s->pool;
	if (sim_cpus_init(&s->cpus, s->cfg.nr_pcpus, &config->tlb))
		goto no_cpus;
	for (unsigned c = 0; c < s->cfg.nr_pcpus; c++)
		s->cpus.cpu[c].user = &s->pcpu[c];
	for (unsigned i = 0; i < config->nr_vcpus; i++) {
		struct sim_vcpu *v = &s->vcpu[i];
		struct sim_pcpu *pc = &s->pcpu[i % s->cfg.nr_pcpus];
		v->sim = s;
		v->id = i;
		v->vpid = (uint16_t)(i + 1);
		v->cpu = &s->cpus.cpu[i % s->cfg.nr_pcpus];
		pc->vcpu[pc->nr++] = v;
		v->need_entry = true;
		guest_prog_init(&v->prog);
		pthread_mutex_init(&v->lock, NULL);
	}
	/* An MMU that refuses the configuration (a pool too small, say)
	 * leaves nothing behind: sim_fini undoes what got done. */
	bool ok = config->mmu->vm_init(s) == 0;
	for (unsigned i = 0; ok && i < config->nr_vcpus; i++)
		ok = config->mmu->vcpu_init(&s->vcpu[i]) == 0;
	if (!ok) {
		sim_fini(s);
		return -1;
	}
	return 0;
no_cpus:
	sim_pool_fini(&s->pool);
no_pool:
	smmu_posix_ram_fini(&s->host.ram);
	return -1;
}

void sim_fini(struct sim *s)
{
	for (unsigned i = 0; i < s->cfg.nr_vcpus; i++) {
		if (s->vcpu[i].mmu)
			s->cfg.mmu->vcpu_fini(&s->vcpu[i]);
		guest_prog_fini(&s->vcpu[i].prog);
		pthread_mutex_destroy(&s->vcpu[i].lock);
	}
	if (s->mmu)
		s->cfg.mmu->vm_fini(s);
	ref_model_destroy(s->model);
	sim_cpus_fini(&s->cpus);
	sim_pool_fini(&s->pool);
	smmu_posix_ram_fini(&s->host.ram);
	pthread_mutex_destroy(&s->report_lock);
}

int sim_vcpu_set_regs(struct sim *s, unsigned v,
		      const struct smmu_paging_regs *regs)
{
	if (v >= s->cfg.nr_vcpus)
		return -1;
	return s->cfg.mmu->set_regs(&s->vcpu[v], regs);
}

static void enter(struct sim_vcpu *v)
{
	v->sim->cfg.mmu->vcpu_enter(v, &v->hw);
	v->need_entry = false;
}

static bool is_canonical(const struct smmu_paging_regs *r, uint64_t la)
{
	if (!(r->efer & X86_EFER_LMA))
		return true;
	unsigned bits = (r->cr4 & X86_CR4_LA57) ? 57 : 48;
	int64_t sext = (int64_t)(la << (64 - bits)) >> (64 - bits);
	return (uint64_t)sext == la;
}

static const char *hpa_kind_name(enum sim_hpa_kind k)
{
	switch (k) {
	case SIM_HPA_NONE:
		return "nothing";
	case SIM_HPA_GUEST_RAM:
		return "guest RAM";
	case SIM_HPA_POOL_LIVE:
		return "a live shadow page";
	case SIM_HPA_POOL_FREE:
		return "a freed shadow page";
	}
	return "?";
}

bool sim_guest_store(struct sim *s, uint64_t gpa, uint64_t val)
{
	if (s->cfg.no_oracle) {
		uint64_t *p = smmu_posix_ram_ptr(&s->host.ram, gpa, 8);
		if (!p || (gpa & 7))
			return false;
		__atomic_store_n(p, val, __ATOMIC_RELEASE);
		return true;
	}
	return ref_model_store(s->model, gpa, val);
}

/* Guest stores the library makes (emulated writes) go through the model
 * too, so that the store and its record are one step. */
static int library_write(void *arg, uint64_t gpa, const void *buf, size_t len)
{
	struct sim *s = arg;
	uint64_t val;
	if (len != 8 || (gpa & 7))
		return SMMU_GPA_NOT_RAM; /* the sim's guests store 8 bytes */
	memcpy(&val, buf, 8);
	return sim_guest_store(s, gpa, val) ? SMMU_GPA_OK : SMMU_GPA_NOT_RAM;
}

/* Perform a guest store that was translated to `gpa`. */
static void store(struct sim_vcpu *v, uint64_t gpa, uint64_t val, bool emulated)
{
	struct sim *s = v->sim;
	gpa &= ~7ull;
	if (emulated && s->cfg.mmu->emulated_write)
		s->cfg.mmu->emulated_write(v, gpa, val);
	else
		sim_guest_store(s, gpa, val); /* MMIO: nothing stored */
}

static void do_access(struct sim_vcpu *v, const struct gop *op, bool is_store)
{
	struct sim *s = v->sim;
	const struct sim_mmu_ops *mmu = s->cfg.mmu;
	struct smmu_access acc = {
		.la = op->la,
		.flags = op->flags | (is_store ? SMMU_ACCESS_WRITE : 0),
		.pkru = op->pkru,
	};
	struct ref_outcome got = { 0 };
	bool emulated = false;
	bool translated = false; /* by the hardware: an access in flight */
	struct smmu_paging_regs regs;

	v->stats.accesses++;
	v->stats.stores += is_store;
	uint64_t started = s->cfg.no_oracle ? 0 : ref_model_now(s->model);
	mmu->get_regs(v, &regs);
	if (!is_canonical(&regs, acc.la)) {
		v->stats.gp++; /* #GP, not a paging event */
		return;
	}
	for (int faults = 0;; faults++) {
		if (faults == MAX_FAULTS_PER_ACCESS) {
			sim_report_violation(
				s, v,
				"la %#llx: %d hardware faults without "
				"progress",
				(unsigned long long)acc.la, faults);
			return;
		}
		if (v->need_entry)
			enter(v);
		struct hw_result r;
		/* Translation and memory operation are one instruction: an
		 * assisted flush waits for it to finish (sim_assisted). */
		sim_cpu_access_begin(v->cpu);
		hw_translate(v->cpu->tlb, &v->hw, &s->hpa, &acc, &r);
		if (r.status != HW_OK)
			sim_cpu_access_end(v->cpu);
		if (r.status == HW_OK) {
			enum sim_hpa_kind k = sim_hpa_classify(&s->hpa, r.hpa);
			if (k != SIM_HPA_GUEST_RAM) {
				sim_cpu_access_end(v->cpu);
				sim_report_violation(s, v,
						     "la %#llx: shadow maps "
						     "hpa %#llx, which "
						     "is %s",
						     (unsigned long long)acc.la,
						     (unsigned long long)r.hpa,
						     hpa_kind_name(k));
				return;
			}
			got.gpa = r.hpa - SIM_GUEST_HPA_BASE;
			translated = true;
			break;
		}
		if (r.status == HW_BAD_HPA || r.status == HW_FREED_TABLE) {
			sim_report_violation(s, v,
					     "la %#llx: hardware walk reached "
					     "%s at hpa %#llx",
					     (unsigned long long)acc.la,
					     r.status == HW_BAD_HPA
						     ? "nothing"
						     : "a freed shadow page",
					     (unsigned long long)r.bad_hpa);
			return;
		}
		/* A hardware #PF: VM exit into the MMU under test. */
		v->stats.exits_pf++;
		v->inflight = &acc;
		struct sim_pf_result res = mmu->page_fault(v, &acc, r.pf_error);
		v->inflight = NULL;
		v->need_entry = true;
		/* Between the exit and the next entry the host runs with
		 * interrupts on: pending IPIs are taken here, and it is a
		 * quiescent state (the vCPU reloads its root on entry). */
		sim_cpu_boundary(v->cpu);
		if (res.action == SIM_PF_FIXED) {
			v->stats.fixed++;
			continue;
		}
		if (res.action == SIM_PF_INJECT) {
			v->stats.injected++;
			got.fault = true;
			got.pf_error = res.pf_error;
			break;
		}
		if (res.action == SIM_PF_EMULATE) {
			v->stats.emulated++;
			got.gpa = res.gpa;
			emulated = true;
			break;
		}
		sim_report_violation(s, v, "la %#llx: the MMU failed the fault",
				     (unsigned long long)acc.la);
		return;
	}

	struct ref_verdict why;
	if (!s->cfg.no_oracle &&
	    !ref_model_check(s->model, v->id, &acc, started, &got, &why))
		sim_report_violation(s, v, "%s", why.why);
	if (is_store && !got.fault)
		store(v, got.gpa, op->val, emulated);
	if (translated)
		sim_cpu_access_end(v->cpu);
}

static enum ref_reg_event reg_event(enum gop_kind k)
{
	switch (k) {
	case GOP_MOV_CR0:
		return REF_MOV_CR0;
	case GOP_MOV_CR3:
		return REF_MOV_CR3;
	case GOP_MOV_CR4:
		return REF_MOV_CR4;
	default:
		return REF_WRMSR_EFER;
	}
}

static void do_write_cr(struct sim_vcpu *v, const struct gop *op)
{
	struct sim *s = v->sim;
	v->stats.cr_writes++;
	v->need_entry = true;
	if (!s->cfg.mmu->write_cr(v, (enum gop_kind)op->kind, op->val)) {
		v->stats.gp++;
		return;
	}
	struct smmu_paging_regs regs;
	s->cfg.mmu->get_regs(v, &regs);
	ref_model_regs(s->model, v->id, reg_event((enum gop_kind)op->kind),
		       op->val, &regs);
}

/* The model takes an invalidation where it starts, before the MMU
 * handles it: a guest store another vCPU makes before then must be seen
 * after it, one made while the MMU handles it is concurrent with the
 * invalidation and may be seen or not (an MMU that syncs shadow tables
 * in its handler reads the guest's entries at some point inside it). */
static void invalidate(struct sim_vcpu *v, uint64_t la)
{
	struct sim *s = v->sim;
	v->stats.invalidations++;
	v->need_entry = true;
	if (la == GOP_ALL) {
		ref_model_flush_all(s->model, v->id);
		s->cfg.mmu->pv_flush(v);
	} else {
		ref_model_invlpg(s->model, v->id, la);
		s->cfg.mmu->invlpg(v, la);
	}
}

/* Take the guest IPIs other vCPUs sent: each is an invalidation. */
static void service_mailbox(struct sim_vcpu *v)
{
	if (!__atomic_load_n(&v->mailbox, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&v->lock);
	struct sim_shootdown *list = v->mailbox;
	v->mailbox = NULL;
	pthread_mutex_unlock(&v->lock);
	while (list) {
		struct sim_shootdown *next = list->next;
		unsigned *pending = list->pending;
		invalidate(v, list->la);
		/* After this the sender may reuse the request's memory. */
		__atomic_sub_fetch(pending, 1, __ATOMIC_RELEASE);
		list = next;
	}
}

/* Send a guest shootdown: one request to each target's mailbox. The
 * sender then waits (sim_vcpu.waiting) like a guest kernel spinning on
 * its shootdown, without holding its CPU. */
static void send_shootdown(struct sim_vcpu *v, const struct gop *op)
{
	struct sim *s = v->sim;
	unsigned n = 0;

	v->stats.shootdowns++;
	for (unsigned t = 0; t < s->cfg.nr_vcpus; t++)
		if (t != v->id && (op->targets & (1ull << t)))
			n++;
	__atomic_store_n(&v->sent_pending, n, __ATOMIC_RELEASE);
	v->waiting = n > 0;
	n = 0;
	for (unsigned t = 0; t < s->cfg.nr_vcpus; t++) {
		if (t == v->id || !(op->targets & (1ull << t)))
			continue;
		struct sim_vcpu *tv = &s->vcpu[t];
		struct sim_shootdown *req = &v->sent[n++];
		*req = (struct sim_shootdown){ op->la, &v->sent_pending, NULL };
		pthread_mutex_lock(&tv->lock);
		req->next = tv->mailbox;
		__atomic_store_n(&tv->mailbox, req, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&tv->lock);
	}
}

/* SDM vol. 2, INVPCID: the #GP(0) conditions of the descriptor and the
 * paging registers (CPL 0 assumed). */
static bool invpcid_faults(const struct smmu_paging_regs *r,
			   const struct gop *op)
{
	if (op->type > 3 || op->pcid > 0xfff)
		return true;
	if (op->type == 0 && !is_canonical(r, op->la))
		return true;
	return op->type <= 1 && op->pcid && !(r->cr4 & X86_CR4_PCIDE);
}

static void do_invpcid(struct sim_vcpu *v, const struct gop *op)
{
	struct sim *s = v->sim;
	struct smmu_paging_regs regs;
	s->cfg.mmu->get_regs(v, &regs);
	bool gp = invpcid_faults(&regs, op);
	v->need_entry = true;
	if (gp) {
		v->stats.gp++;
	} else {
		v->stats.invalidations++;
		/* Taken where it starts, as in invalidate(). */
		ref_model_invpcid(s->model, v->id, op->type, op->pcid, op->la);
	}
	bool done = s->cfg.mmu->invpcid(v, op->type, op->pcid, op->la);
	if (done == gp)
		sim_report_violation(
			s, v, "INVPCID type %u pcid %#x la %#llx: %s", op->type,
			op->pcid, (unsigned long long)op->la,
			gp ? "done, where the CPU raises #GP"
			   : "#GP, where the CPU invalidates");
}

/* What the host, or a device, does to guest memory behind the guest's
 * back, reported to the MMU as a hypervisor's host would. */
/* Frames [gfn, gfn + count) stop being RAM; the oracle remembers what
 * they held for the walks that read them before. */
static int take_away(struct sim *s, uint64_t gfn, uint64_t count)
{
	uint64_t gpa = gfn << X86_PAGE_SHIFT, len = count << X86_PAGE_SHIFT;
	if (s->cfg.no_oracle)
		return smmu_posix_ram_take_away(&s->host.ram, gpa, len);
	return ref_model_take_away(s->model, &s->host.ram, gpa, len);
}

static void host_change(struct sim_vcpu *v, const struct gop *op)
{
	struct sim *s = v->sim;
	const struct sim_mmu_ops *mmu = s->cfg.mmu;
	uint64_t gfn = op->la >> X86_PAGE_SHIFT;
	/* The vCPU's thread leaves guest mode to stand in for the host: the
	 * vCPU enters again after it, and the flushes the MMU asked of this
	 * CPU (which a kick of its own CPU does not reach) happen then. */
	v->need_entry = true;
	if (op->kind == GOP_DMA_STORE) {
		uint64_t gpa = op->la & ~7ull;
		if (s->cfg.no_oracle) {
			sim_guest_store(s, gpa, op->val);
		} else if (!ref_model_device_store(s->model, gpa, op->val)) {
			return; /* not RAM: nothing written */
		}
		if (mmu->host_changed)
			mmu->host_changed(v, gfn, 1, SMMU_GFN_CONTENT);
		if (!s->cfg.no_oracle)
			ref_model_device_store_done(s->model, gpa);
		return;
	}
	/* The backing changes first, then the MMU hears of it (which
	 * retries the faults that looked the frames up before). */
	uint64_t count = (op->val + X86_PAGE_SIZE - 1) >> X86_PAGE_SHIFT;
	if (op->kind == GOP_HOST_UNMAP && take_away(s, gfn, count))
		sim_report_violation(s, v, "host unmap: out of hole slots");
	if (mmu->host_changed)
		mmu->host_changed(v, gfn, count, SMMU_GFN_UNMAP);
	/* Only now may the host reuse the pages: an access that raced with
	 * the invalidation reached them while they were still there. */
	smmu_posix_ram_holes_invalidated(&s->host.ram);
}

static void exec_op(struct sim_vcpu *v, const struct gop *op)
{
	v->recent[v->nr_recent++ % SIM_RECENT_OPS] = *op;
	v->stats.ops++;
	if (v->need_entry)
		enter(v);
	switch ((enum gop_kind)op->kind) {
	case GOP_ACCESS:
		do_access(v, op, false);
		break;
	case GOP_STORE:
		do_access(v, op, true);
		break;
	case GOP_MOV_CR0:
	case GOP_MOV_CR3:
	case GOP_MOV_CR4:
	case GOP_WRMSR_EFER:
		do_write_cr(v, op);
		break;
	case GOP_INVLPG:
		invalidate(v, op->la);
		break;
	case GOP_INVPCID:
		do_invpcid(v, op);
		break;
	case GOP_PV_FLUSH:
		invalidate(v, GOP_ALL);
		break;
	case GOP_SHOOTDOWN:
		send_shootdown(v, op);
		break;
	case GOP_DMA_STORE:
	case GOP_HOST_UNMAP:
	case GOP_HOST_REMAP:
		host_change(v, op);
		break;
	}
}

/* One turn of vCPU v on its CPU: up to a slice of guest operations.
 * Returns true once v's program is done. */
static bool run_turn(struct sim_vcpu *v)
{
	struct sim *s = v->sim;
	for (unsigned n = 0; n < s->cfg.slice; n++) {
		sim_cpu_boundary(v->cpu);
		service_mailbox(v);
		if (v->waiting) {
			if (__atomic_load_n(&v->sent_pending, __ATOMIC_ACQUIRE))
				return false; /* let the CPU's others run */
			v->waiting = false;
			v->pc++; /* the shootdown is complete */
			continue;
		}
		if (v->pc >= v->prog.nr)
			return true;
		exec_op(v, &v->prog.ops[v->pc]);
		if (!v->waiting)
			v->pc++;
	}
	return v->pc >= v->prog.nr && !v->waiting;
}

/* A simulated CPU: run its vCPUs in turns until every vCPU of the
 * machine is done (until then, finished ones still take shootdowns). */
static void cpu_body(struct sim_cpu *cpu, void *arg)
{
	struct sim *s = arg;
	struct sim_pcpu *pc = cpu->user;
	bool finished[SIM_MAX_CPUS] = { false };
	struct sim_vcpu *last = NULL;

	while (__atomic_load_n(&s->remaining, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < pc->nr; i++) {
			struct sim_vcpu *v = pc->vcpu[i];
			current_vcpu = v;
			if (last != v) {
				/* Another vCPU was running here: this one is
				 * loaded again, a VM entry first. */
				if (last && s->cfg.mmu->vcpu_load)
					s->cfg.mmu->vcpu_load(last, false);
				if (s->cfg.mmu->vcpu_load)
					s->cfg.mmu->vcpu_load(v, true);
				v->need_entry = true;
				if (last)
					v->stats.switched_in++;
			}
			last = v;
			if (run_turn(v) && !finished[i]) {
				finished[i] = true;
				__atomic_sub_fetch(&s->remaining, 1,
						   __ATOMIC_ACQ_REL);
			}
		}
		sched_yield();
	}
	if (last && s->cfg.mmu->vcpu_load)
		s->cfg.mmu->vcpu_load(last, false);
	current_vcpu = NULL;
}

uint64_t sim_run(struct sim *s)
{
	struct ref_model_config mc = {
		.ram = &s->host.ram,
		.nr_vcpus = s->cfg.nr_vcpus,
		.maxphyaddr = s->cfg.maxphyaddr,
		.gbpages = s->cfg.gbpages,
	};
	if (!s->model)
		s->model = ref_model_create(&mc);
	if (!s->model) {
		fprintf(stderr, "sim: cannot create the reference model\n");
		abort();
	}
	for (unsigned i = 0; i < s->cfg.nr_vcpus; i++) {
		struct smmu_paging_regs regs;
		s->cfg.mmu->get_regs(&s->vcpu[i], &regs);
		ref_model_regs(s->model, i, REF_SET, 0, &regs);
	}
	/* From here on every guest-memory change goes through the model. */
	if (!s->cfg.no_oracle) {
		s->host.cmpxchg_hook = library_cmpxchg;
		s->host.write_hook = library_write;
		s->host.hook_arg = s;
	}
	s->remaining = s->cfg.nr_vcpus;
	s->cpus.lockstep = s->cfg.lockstep;
	sim_cpus_run(&s->cpus, cpu_body, s);
	s->host.cmpxchg_hook = NULL;
	s->host.write_hook = NULL;
	/* Deferred frees of the MMU under test land before anyone looks at
	 * the pool. */
	rcu_barrier();
	return s->violations;
}

void sim_get_totals(struct sim *s, struct sim_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < s->cfg.nr_vcpus; i++) {
		const struct sim_vcpu_stats *a = &s->vcpu[i].stats;
		struct sim_vcpu_stats *t = &out->sum;
		t->ops += a->ops;
		t->accesses += a->accesses;
		t->stores += a->stores;
		t->exits_pf += a->exits_pf;
		t->fixed += a->fixed;
		t->injected += a->injected;
		t->emulated += a->emulated;
		t->cr_writes += a->cr_writes;
		t->gp += a->gp;
		t->invalidations += a->invalidations;
		t->shootdowns += a->shootdowns;
		t->switched_in += a->switched_in;
	}
	for (unsigned c = 0; c < s->cfg.nr_pcpus; c++) {
		struct hw_tlb_stats ts;
		hw_tlb_get_stats(s->cpus.cpu[c].tlb, &ts);
		out->tlb.lookups += ts.lookups;
		out->tlb.hits += ts.hits;
		out->tlb.walks += ts.walks;
		out->tlb.faults += ts.faults;
		out->tlb.invalidations += ts.invalidations;
		out->tlb.evictions += ts.evictions;
	}
	out->ops = out->sum.ops;
	out->accesses = out->sum.accesses;
	out->violations = s->violations;
	if (s->model)
		ref_model_get_stats(s->model, &out->model);
}
