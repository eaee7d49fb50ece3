/* SPDX-License-Identifier: MIT */
/*
 * libshadowmmu as the MMU under test; see lib_mmu.h. The exit handlers
 * are one library call each; what is here is the host side a hypervisor
 * writes: the shadow-paging host ops over the simulated machine, and
 * turning struct smmu_entry into what the CPU runs with.
 */
#include "lib_mmu.h"

#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include "sim_rcu.h"

struct lib_vm {
	struct smmu_vm *vm;
	struct smmu_host_ops ops; /* the posix host's, plus shadow paging */
	pthread_mutex_t lock;	  /* the library's MMU lock */
	unsigned long lock_owner; /* pthread_self() of its holder, or 0 */
	uint64_t remote_flushes;  /* flush_all_cpus calls */
	uint64_t kicks;		  /* kick_cpus calls */
	/* By simulated CPU: odd while it is in an RCU read-side section of
	 * the library (a lock-free shadow walk). */
	uint64_t reader[SIM_MAX_CPUS];
	/* Evicted shadow pages waiting for a grace period (defer_free). */
	pthread_mutex_t deferred_lock;
	struct smmu_rcu_head *deferred;
	uint64_t grace_periods; /* waited for in alloc_page */
};

static struct lib_vm *lvm(struct sim *s)
{
	return s->mmu;
}

struct smmu_vm *lib_mmu_vm(struct sim *s)
{
	return lvm(s)->vm;
}

static struct smmu_vcpu *lvc(struct sim_vcpu *v)
{
	return v->mmu;
}

/* The library's host pointer is the posix host embedded in the sim. */
static struct sim *sim_of(void *host)
{
	return (struct sim *)((char *)host - offsetof(struct sim, host));
}

static const char *status_name(enum smmu_status st)
{
	switch (st) {
	case SMMU_OK:
		return "SMMU_OK";
	case SMMU_EINVAL:
		return "SMMU_EINVAL";
	case SMMU_ENOMEM:
		return "SMMU_ENOMEM";
	case SMMU_EBUSY:
		return "SMMU_EBUSY";
	case SMMU_ENOSPC:
		return "SMMU_ENOSPC";
	}
	return "unknown status";
}

/* ---- shadow-paging host ops ---- */

/* Set while this thread runs deferred frees after a grace period. */
static __thread bool after_grace_period;

/* Run every deferred free queued before a grace period that ends now. */
static bool reclaim_deferred(struct sim *s)
{
	struct lib_vm *lv = lvm(s);
	pthread_mutex_lock(&lv->deferred_lock);
	struct smmu_rcu_head *batch = lv->deferred;
	lv->deferred = NULL;
	pthread_mutex_unlock(&lv->deferred_lock);
	if (!batch)
		return false;
	/* Called with the library's MMU lock held: safe with QSBR only
	 * because vCPUs waiting for that lock pass quiescent states while
	 * they spin (host_lock). */
	bool online = sim_cpu_self() != NULL;
	if (online)
		sim_rcu_thread_offline();
	sim_synchronize_rcu();
	if (online)
		sim_rcu_thread_online();
	__atomic_add_fetch(&lv->grace_periods, 1, __ATOMIC_RELAXED);
	after_grace_period = true;
	while (batch) {
		struct smmu_rcu_head *next = batch->next;
		batch->func(batch);
		batch = next;
	}
	after_grace_period = false;
	return true;
}

/* When the budget is spent, pages the library evicted may only be waiting
 * for their grace period: wait for it rather than fail. */
static bool host_alloc_page(void *host, uint64_t *hpa, void **hva)
{
	struct sim *s = sim_of(host);
	while (!sim_pool_alloc(&s->pool, hpa, hva))
		if (!reclaim_deferred(s))
			return false;
	return true;
}

static struct sim_cpu *own_cpu(struct sim *s);

/* While the machine runs, a shadow page goes back only after a grace
 * period: a lock-free walker on another CPU may hold it until then. One
 * freed at once while such a walker is in its section is seed 003's bug
 * (the walker may read the page recycled). */
static void host_free_page(void *host, uint64_t hpa, void *hva)
{
	(void)hva;
	struct sim *s = sim_of(host);
	struct sim_cpu *self = own_cpu(s);
	if (self && !after_grace_period) {
		for (unsigned c = 0; c < s->cpus.nr; c++)
			if (c != self->id &&
			    (__atomic_load_n(&lvm(s)->reader[c],
					     __ATOMIC_ACQUIRE) &
			     1))
				sim_report_violation(s, NULL,
						     "shadow page %#llx freed "
						     "without a grace "
						     "period while CPU %u "
						     "walks shadow tables "
						     "lock-free (seed 003)",
						     (unsigned long long)hpa,
						     c);
	}
	sim_pool_free(&s->pool, hpa);
}

static void host_rcu_read_enter(void *host)
{
	struct sim *s = sim_of(host);
	struct sim_cpu *self = own_cpu(s);
	if (!self)
		return;
	__atomic_add_fetch(&lvm(s)->reader[self->id], 1, __ATOMIC_SEQ_CST);
	/* A walker preempted in its section, as a host's would be by an
	 * interrupt: the window seed 003's bug needs to show. */
	if (s->cfg.slow_readers)
		sched_yield();
}

static void host_rcu_read_exit(void *host)
{
	struct sim *s = sim_of(host);
	struct sim_cpu *self = own_cpu(s);
	if (self)
		__atomic_add_fetch(&lvm(s)->reader[self->id], 1,
				   __ATOMIC_SEQ_CST);
}

static int host_gfn_to_hpa(void *host, uint64_t gfn, uint64_t *hpa)
{
	struct sim *s = sim_of(host);
	if (gfn > (UINT64_MAX >> 12) ||
	    !smmu_posix_ram_ptr(&s->host.ram, gfn << 12, 4096))
		return SMMU_GPA_NOT_RAM;
	*hpa = SIM_GUEST_HPA_BASE + (gfn << 12);
	return SMMU_GPA_OK;
}

static bool host_backing_is_2m(void *host, uint64_t gfn, uint64_t *hpa)
{
	struct sim *s = sim_of(host);
	/* Guest RAM is one block from SIM_GUEST_HPA_BASE (2 MiB aligned):
	 * contiguous wherever there is no hole. */
	if ((gfn & 511) || gfn > (UINT64_MAX >> 12) ||
	    !smmu_posix_ram_ptr(&s->host.ram, gfn << 12, 2u << 20))
		return false;
	*hpa = SIM_GUEST_HPA_BASE + (gfn << 12);
	return true;
}

/* The CPU the calling thread simulates, if it is one of this machine's. */
static struct sim_cpu *own_cpu(struct sim *s)
{
	struct sim_cpu *self = sim_cpu_self();
	if (!self || self->id >= s->cpus.nr || &s->cpus.cpu[self->id] != self)
		return NULL;
	return self;
}

/* A hypervisor's MMU lock is a spinlock taken with interrupts enabled:
 * its holder may be waiting in flush_all_cpus for this very CPU to take
 * a flush IPI, so a CPU waits for it at instruction boundaries rather
 * than asleep in the mutex. */
/* The thread holding the MMU lock, for lock_held (the library's lock
 * checks): set once it is taken, cleared before it is dropped. */
static void note_owner(struct sim *s, bool owned)
{
	__atomic_store_n(&lvm(s)->lock_owner,
			 owned ? (unsigned long)pthread_self() : 0ul,
			 __ATOMIC_RELAXED);
}

static void host_lock(void *host)
{
	struct sim *s = sim_of(host);
	struct sim_cpu *self = own_cpu(s);
	if (!self) {
		pthread_mutex_lock(&lvm(s)->lock);
		note_owner(s, true);
		return;
	}
	while (pthread_mutex_trylock(&lvm(s)->lock)) {
		sim_cpu_boundary(self);
		sched_yield();
	}
	note_owner(s, true);
}

static bool host_lock_held(void *host)
{
	return __atomic_load_n(&lvm(sim_of(host))->lock_owner,
			       __ATOMIC_RELAXED) ==
	       (unsigned long)pthread_self();
}

static void host_unlock(void *host)
{
	note_owner(sim_of(host), false);
	pthread_mutex_unlock(&lvm(sim_of(host))->lock);
}

/* Drop every translation of the VM from one CPU's TLB. The simulated
 * machine runs this VM only, so its vCPUs are every VPID but the host's. */
static void flush_vm_tlb(struct sim_cpu *cpu, void *arg)
{
	(void)arg;
	hw_tlb_invvpid(cpu->tlb, HW_INVVPID_ALL, 0, 0);
}

/* The same as an interrupt: it takes the CPU out of guest mode, so every
 * vCPU there goes through smmu_vcpu_enter again before guest code. */
static void flush_vm_ipi(struct sim_cpu *cpu, void *arg)
{
	struct sim_pcpu *pc = cpu->user;
	flush_vm_tlb(cpu, arg);
	for (unsigned i = 0; i < pc->nr; i++)
		pc->vcpu[i]->need_entry = true;
}

/* Called with the MMU lock held. IPI targets acknowledge at instruction
 * boundaries, which they pass while they spin in host_lock, and the
 * caller is in an exit handler, where interrupts are enabled. An assisted
 * flush interrupts nobody: it cleans the TLBs only. */
static void host_defer_free(void *host, struct smmu_rcu_head *head)
{
	struct lib_vm *lv = lvm(sim_of(host));
	pthread_mutex_lock(&lv->deferred_lock);
	head->next = lv->deferred;
	lv->deferred = head;
	pthread_mutex_unlock(&lv->deferred_lock);
}

static void host_flush_all_cpus(void *host)
{
	struct sim *s = sim_of(host);
	struct sim_cpu *self = own_cpu(s);

	__atomic_add_fetch(&lvm(s)->remote_flushes, 1, __ATOMIC_RELAXED);
	if (!self) {
		/* Setup or teardown: no CPU runs guest code. */
		for (unsigned c = 0; c < s->cpus.nr; c++)
			flush_vm_tlb(&s->cpus.cpu[c], NULL);
		return;
	}
	/* The caller's own vCPU enters again after this exit anyway, and the
	 * others sharing its CPU do when they are switched in. */
	flush_vm_tlb(self, NULL);
	if (s->cfg.assisted_flush)
		sim_assisted(self, UINT64_MAX, flush_vm_tlb, NULL);
	else
		sim_ipi(self, UINT64_MAX, flush_vm_ipi, NULL, true);
}

/* The simulated CPUs in a library CPU set (CPU numbers are sim_cpu ids,
 * given to smmu_vcpu_load). */
static uint64_t sim_mask(const struct smmu_cpu_set *cpus)
{
	return cpus->bits[0]; /* SIM_MAX_CPUS is 64 */
}

/* A kick: an interrupt that takes the CPU's vCPU out of guest mode; it
 * enters again through smmu_vcpu_enter, which does what it owes. */
static void kick_ipi(struct sim_cpu *cpu, void *arg)
{
	(void)arg;
	struct sim_pcpu *pc = cpu->user;
	for (unsigned i = 0; i < pc->nr; i++) {
		pc->vcpu[i]->need_entry = true;
		smmu_vcpu_exit(pc->vcpu[i]->mmu);
	}
}

static void host_kick_cpus(void *host, const struct smmu_cpu_set *cpus)
{
	struct sim *s = sim_of(host);
	struct sim_cpu *self = own_cpu(s);
	uint64_t mask = sim_mask(cpus);
	__atomic_add_fetch(&lvm(s)->kicks, 1, __ATOMIC_RELAXED);
	if (!self)
		return; /* setup or teardown: nothing runs guest code */
	/* This CPU is in an exit already. */
	mask &= ~(1ull << self->id);
	if (mask)
		sim_ipi(self, mask, kick_ipi, NULL, true);
}

static void host_assisted_flush(void *host, const struct smmu_cpu_set *cpus)
{
	struct sim *s = sim_of(host);
	struct sim_cpu *self = own_cpu(s);
	uint64_t mask = sim_mask(cpus);
	if (!self) {
		for (unsigned c = 0; c < s->cpus.nr; c++)
			if (mask & (1ull << c))
				flush_vm_tlb(&s->cpus.cpu[c], NULL);
		return;
	}
	if (mask & (1ull << self->id))
		flush_vm_tlb(self, NULL);
	mask &= ~(1ull << self->id);
	if (mask)
		sim_assisted(self, mask, flush_vm_tlb, NULL);
}

/* ---- lifecycle ---- */

static int lib_vm_init(struct sim *s)
{
	struct lib_vm *lv = calloc(1, sizeof(*lv));
	if (!lv)
		return -1;
	lv->ops = smmu_posix_host_ops;
	lv->ops.alloc_page = host_alloc_page;
	lv->ops.free_page = host_free_page;
	lv->ops.write_gpa = smmu_posix_write_gpa;
	lv->ops.gfn_to_hpa = host_gfn_to_hpa;
	lv->ops.lock = host_lock;
	lv->ops.lock_held = host_lock_held;
	lv->ops.unlock = host_unlock;
	lv->ops.flush_all_cpus = host_flush_all_cpus;
	lv->ops.defer_free = host_defer_free;
	lv->ops.rcu_read_enter = host_rcu_read_enter;
	lv->ops.rcu_read_exit = host_rcu_read_exit;
	if (!s->cfg.host_4k_only)
		lv->ops.backing_is_2m = host_backing_is_2m;
	if (!s->cfg.no_flush_engine) {
		lv->ops.kick_cpus = host_kick_cpus;
		if (s->cfg.assisted_flush)
			lv->ops.assisted_flush = host_assisted_flush;
	}
	pthread_mutex_init(&lv->lock, NULL);
	pthread_mutex_init(&lv->deferred_lock, NULL);
	/* The host ops find the VM state through s->mmu. */
	s->mmu = lv;

	struct smmu_vm_config cfg = {
		.maxphyaddr = s->cfg.maxphyaddr,
		.gbpages = s->cfg.gbpages,
		.inject = s->cfg.inject,
		.unsync_after_stores = s->cfg.unsync_after_stores,
		.unsync_quiet_syncs = s->cfg.unsync_quiet_syncs,
		.prefetch_window = s->cfg.prefetch_window,
		.cached_roots = s->cfg.cached_roots,
		.policy = s->cfg.policy,
		/* The simulated CPU does every flush the library can name;
		 * a test may ask for fewer (SIM_HOST_NO_CAPS: none). */
		.host_caps = s->cfg.host_caps == 0 ? SMMU_HOST_ALL
			     : s->cfg.host_caps == SIM_HOST_NO_CAPS
				     ? 0
				     : s->cfg.host_caps,
	};
	if (s->cfg.vm_config) {
		/* A whole set of knobs (a smmu-bench policy); the guest CPU's
		 * properties and the host's flushes stay the machine's. */
		struct smmu_vm_config machine = cfg;
		cfg = *s->cfg.vm_config;
		cfg.maxphyaddr = machine.maxphyaddr;
		cfg.gbpages = machine.gbpages;
		cfg.cpu_features = machine.cpu_features;
		cfg.host_caps = machine.host_caps;
		cfg.inject |= machine.inject;
	}
	enum smmu_status st = smmu_vm_create(&cfg, &lv->ops, &s->host, &lv->vm);
	if (st != SMMU_OK) {
		fprintf(stderr, "lib: smmu_vm_create: %s\n", status_name(st));
		pthread_mutex_destroy(&lv->lock);
		free(lv);
		s->mmu = NULL;
		return -1;
	}
	return 0;
}

static void lib_vm_fini(struct sim *s)
{
	struct lib_vm *lv = lvm(s);
	/* Evicted pages waiting for their grace period go back first; no
	 * CPU walks anything any more. */
	while (lv->deferred) {
		struct smmu_rcu_head *h = lv->deferred;
		lv->deferred = h->next;
		h->func(h);
	}
	enum smmu_status st = smmu_vm_destroy(lv->vm);
	if (st != SMMU_OK)
		sim_report_violation(s, NULL, "smmu_vm_destroy: %s",
				     status_name(st));
	else if (s->pool.allocated)
		sim_report_violation(s, NULL,
				     "smmu_vm_destroy left %u shadow pages "
				     "allocated",
				     s->pool.allocated);
	pthread_mutex_destroy(&lv->lock);
	free(lv);
	s->mmu = NULL;
}

static int lib_vcpu_init(struct sim_vcpu *v)
{
	struct smmu_vcpu *vcpu;
	enum smmu_status st = smmu_vcpu_create(lvm(v->sim)->vm, v->id, &vcpu);
	if (st != SMMU_OK) {
		fprintf(stderr, "lib: smmu_vcpu_create(%u): %s\n", v->id,
			status_name(st));
		return -1;
	}
	v->mmu = vcpu;
	return 0;
}

static void lib_vcpu_load(struct sim_vcpu *v, bool loaded)
{
	if (v->sim->cfg.no_flush_engine)
		return;
	if (loaded)
		smmu_vcpu_load(lvc(v), v->cpu->id);
	else
		smmu_vcpu_put(lvc(v));
}

static void lib_vcpu_fini(struct sim_vcpu *v)
{
	smmu_vcpu_destroy(lvc(v));
	v->mmu = NULL;
}

static int lib_set_regs(struct sim_vcpu *v, const struct smmu_paging_regs *r)
{
	if (smmu_vcpu_set_paging(lvc(v), r) != SMMU_OK)
		return -1;
	v->need_entry = true;
	return 0;
}

static void lib_get_regs(struct sim_vcpu *v, struct smmu_paging_regs *out)
{
	smmu_vcpu_get_paging(lvc(v), out);
}

/* ---- entry and exits ---- */

/* VM entry in legacy PAE mode loads the four PDPTEs from CR3, which must
 * lie below 4 GiB; a reserved bit in one fails the entry (SDM 4.4.1,
 * 27.3.1.6). The run goes on with the entry's faults counted. */
static void load_pdptes(struct sim_vcpu *v, struct hw_mmu_ctx *ctx)
{
	const uint64_t rsvd =
		X86_BITS(63, ctx->maxphyaddr) | X86_BITS(8, 5) | X86_BITS(2, 1);
	const uint64_t *p =
		ctx->cr3 >> 32
			? NULL
			: sim_hpa_ptr(&v->sim->hpa, ctx->cr3 & ~0xfffull, 32);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t e = p ? __atomic_load_n(&p[i], __ATOMIC_ACQUIRE) : 0;
		if (!p || ((e & X86_PTE_P) && (e & rsvd))) {
			sim_report_violation(
				v->sim, v,
				"VM entry: PAE root 0x%llx %s (PDPTE %u = "
				"0x%llx)",
				(unsigned long long)ctx->cr3,
				p ? "has a reserved bit set"
				  : "is not a page below 4 GiB",
				i, (unsigned long long)e);
			e = 0;
		}
		ctx->pdpte[i] = e;
	}
}

/* Perform one flush the library asked for, on the vCPU's TLB, as the
 * hardware instruction named in enum smmu_flush_scope would. */
static void do_flush(struct sim_vcpu *v, const struct smmu_flush *f)
{
	struct hw_tlb *tlb = sim_vcpu_tlb(v);
	switch (f->scope) {
	case SMMU_FLUSH_ADDR:
		hw_tlb_invvpid(tlb, HW_INVVPID_ADDR, v->vpid, f->la);
		return;
	case SMMU_FLUSH_PCID_ADDR:
		hw_tlb_invpcid(tlb, v->vpid, HW_INVPCID_ADDR, f->pcid, f->la);
		return;
	case SMMU_FLUSH_PCID:
		hw_tlb_invpcid(tlb, v->vpid, HW_INVPCID_SINGLE, f->pcid, 0);
		return;
	case SMMU_FLUSH_VCPU:
		hw_tlb_invvpid(tlb, HW_INVVPID_SINGLE_NONGLOBAL, v->vpid, 0);
		return;
	case SMMU_FLUSH_VCPU_ALL:
		hw_tlb_invvpid(tlb, HW_INVVPID_SINGLE, v->vpid, 0);
		return;
	}
	sim_report_violation(v->sim, v, "smmu_vcpu_enter: unknown flush %u",
			     f->scope);
	hw_tlb_invvpid(tlb, HW_INVVPID_SINGLE, v->vpid, 0);
}

static void lib_vcpu_enter(struct sim_vcpu *v, struct hw_mmu_ctx *ctx)
{
	struct smmu_entry e = { 0 };
	enum smmu_status st;

	/* A flush IPI taken while the library waited for its lock sends the
	 * CPU back through the entry path, as a host that finds a request
	 * pending just before VM entry does; each entry's flushes are done
	 * as they come. */
	do {
		v->need_entry = false;
		st = smmu_vcpu_enter(lvc(v), &e);
		for (unsigned i = 0; st == SMMU_OK && i < e.nr_flushes; i++)
			do_flush(v, &e.flush[i]);
	} while (st == SMMU_OK && v->need_entry);

	if (st != SMMU_OK) {
		/* cr3 0 is no shadow root: every access reports a bad hpa,
		 * and the run goes on to count them. Out of shadow pages
		 * means every page is a root or on a fault's path: a pool
		 * too small for the vCPUs, or a library that cannot evict
		 * (PAE/32-bit private pages once could not: test
		 * late_vcpus_evict_for_their_private_pages). */
		sim_report_violation(
			v->sim, v, "smmu_vcpu_enter: %s%s", status_name(st),
			st == SMMU_ENOSPC ? " (no shadow page left for a "
					    "root: a pool too small?)"
					  : "");
		e = (struct smmu_entry){ 0 };
		hw_tlb_invvpid(sim_vcpu_tlb(v), HW_INVVPID_SINGLE, v->vpid, 0);
	}
	if (e.nr_flushes > SMMU_ENTRY_MAX_FLUSHES)
		sim_report_violation(v->sim, v,
				     "smmu_vcpu_enter: %u flushes asked for",
				     e.nr_flushes);

	struct smmu_paging_regs regs;
	smmu_vcpu_get_paging(lvc(v), &regs);
	/* SMEP and SMAP are rights checks, which exist only with paging. */
	bool paging = regs.cr0 & X86_CR0_PG;
	*ctx = (struct hw_mmu_ctx){
		.vpid = v->vpid,
		.cr3 = e.cr3, /* hardware PCID included */
		.la57 = e.la57,
		.pae = e.pae,
		.pcide = e.pcide,
		.pge = e.pge,
		/* Clean shadow leaves are read-only to trap the write that
		 * sets the guest's D flag, supervisor writes included. */
		.wp = true,
		.smep = paging && (regs.cr4 & X86_CR4_SMEP),
		.smap = paging && (regs.cr4 & X86_CR4_SMAP),
		.pke = (regs.cr4 & X86_CR4_PKE) && (regs.efer & X86_EFER_LMA),
		.nxe = true,
		.maxphyaddr = 46,
	};
	if (e.pae)
		load_pdptes(v, ctx);
}

static struct sim_pf_result lib_page_fault(struct sim_vcpu *v,
					   const struct smmu_access *access,
					   uint32_t hw_error)
{
	struct smmu_fault f = { .action = SMMU_FAULT_ERROR,
				.reason = "smmu_fault left unset" };
	(void)hw_error; /* the library walks the guest's tables itself */
	smmu_vcpu_exit(lvc(v));
	smmu_vcpu_page_fault(lvc(v), access, &f);
	switch (f.action) {
	case SMMU_FAULT_FIXED:
		return (struct sim_pf_result){ .action = SIM_PF_FIXED };
	case SMMU_FAULT_INJECT:
		return (struct sim_pf_result){ .action = SIM_PF_INJECT,
					       .pf_error = f.pf_error };
	case SMMU_FAULT_EMULATE:
		return (struct sim_pf_result){ .action = SIM_PF_EMULATE,
					       .gpa = f.gpa };
	case SMMU_FAULT_ERROR:
		break;
	}
	sim_report_violation(v->sim, v,
			     "la %#llx: smmu_vcpu_page_fault: action %d, %s",
			     (unsigned long long)access->la, (int)f.action,
			     f.reason ? f.reason : "no reason given");
	return (struct sim_pf_result){ .action = SIM_PF_ERROR };
}

static bool lib_write_cr(struct sim_vcpu *v, enum gop_kind which, uint64_t val)
{
	enum smmu_cr_result r;
	smmu_vcpu_exit(lvc(v));
	switch (which) {
	case GOP_MOV_CR0:
		r = smmu_vcpu_write_cr0(lvc(v), val);
		break;
	case GOP_MOV_CR3:
		r = smmu_vcpu_write_cr3(lvc(v), val);
		break;
	case GOP_MOV_CR4:
		r = smmu_vcpu_write_cr4(lvc(v), val);
		break;
	default:
		r = smmu_vcpu_write_efer(lvc(v), val);
		break;
	}
	return r != SMMU_CR_INJECT_GP;
}

static void lib_invlpg(struct sim_vcpu *v, uint64_t la)
{
	smmu_vcpu_exit(lvc(v));
	smmu_vcpu_invlpg(lvc(v), la);
}

static bool lib_invpcid(struct sim_vcpu *v, unsigned type, uint16_t pcid,
			uint64_t la)
{
	smmu_vcpu_exit(lvc(v));
	return smmu_vcpu_invpcid(lvc(v), type, pcid, la) == SMMU_CR_DONE;
}

static void lib_pv_flush(struct sim_vcpu *v)
{
	smmu_vcpu_exit(lvc(v));
	smmu_vcpu_pv_flush(lvc(v));
}

static void lib_emulated_write(struct sim_vcpu *v, uint64_t gpa, uint64_t val)
{
	/* The library stores and updates its shadows in one step; MMIO
	 * (not RAM) stores go nowhere, as on the naive MMU. */
	(void)smmu_vm_emulated_write(lvm(v->sim)->vm, gpa, &val, 8);
}

static void lib_host_changed(struct sim_vcpu *v, uint64_t gfn, uint64_t count,
			     unsigned how)
{
	enum smmu_status st = smmu_vm_invalidate_gfn_range(
		lvm(v->sim)->vm, gfn, count, (enum smmu_gfn_change)how);
	if (st != SMMU_OK)
		sim_report_violation(v->sim, v,
				     "smmu_vm_invalidate_gfn_range: %s",
				     status_name(st));
}

static void lib_print_stats(struct sim *s, FILE *out)
{
	struct smmu_stats st;
	smmu_vm_get_stats(lvm(s)->vm, &st);
	fprintf(out,
		"lib:    shadow pages built %llu, evicted %llu; cache lookups "
		"%llu, hits %llu, chain steps %llu\n"
		"        faults fixed %llu, injected %llu, emulated %llu; "
		"emulated writes %llu; tables write-protected %llu; sptes "
		"zapped %llu; walk races %llu; tables unshadowed %llu\n"
		"        shadow pages zapped %llu, made out of sync %llu, "
		"back in sync %llu, checked and left out of sync %llu "
		"(found unwritten by the write watch %llu); sptes prefetched "
		"%llu, 2 MiB sptes %llu\n"
		"        remote flushes %llu (%s), grace periods waited %llu\n"
		"        flush engine: requests %llu reaching %llu vCPUs, "
		"%llu deferred to entry, %llu skipped (TLB clock); kicks "
		"%llu (%llu CPUs), assisted %llu (%llu CPUs)\n"
		"        faults settled lock-free %llu, filled lock-free %llu\n"
		"        entry flushes: addr %llu, pcid+addr %llu, pcid %llu, "
		"vcpu %llu, vcpu+global %llu; roots loaded %llu (cached "
		"%llu, built %llu); NOFLUSH honoured %llu\n",
		(unsigned long long)st.sp_created,
		(unsigned long long)st.sp_evicted,
		(unsigned long long)st.sp_lookups,
		(unsigned long long)st.sp_hits,
		(unsigned long long)st.sp_chain_steps,
		(unsigned long long)st.faults_fixed,
		(unsigned long long)st.faults_injected,
		(unsigned long long)st.faults_emulated,
		(unsigned long long)st.emulated_writes,
		(unsigned long long)st.write_protects,
		(unsigned long long)st.sptes_zapped,
		(unsigned long long)st.walk_races,
		(unsigned long long)st.unshadowed,
		(unsigned long long)st.sp_zapped,
		(unsigned long long)st.sp_unsynced,
		(unsigned long long)st.sp_synced,
		(unsigned long long)st.sp_unsync_checks,
		(unsigned long long)st.sync_skipped,
		(unsigned long long)st.prefetched,
		(unsigned long long)st.large_sptes,
		(unsigned long long)lvm(s)->remote_flushes,
		s->cfg.assisted_flush ? "assisted" : "IPI",
		(unsigned long long)lvm(s)->grace_periods,
		(unsigned long long)st.remote_requests,
		(unsigned long long)st.remote_targets,
		(unsigned long long)st.remote_deferred,
		(unsigned long long)st.remote_skipped,
		(unsigned long long)st.kicks,
		(unsigned long long)st.kicked_cpus,
		(unsigned long long)st.assisted,
		(unsigned long long)st.assisted_cpus,
		(unsigned long long)st.faults_spurious,
		(unsigned long long)st.faults_lockfree,
		(unsigned long long)st.flushes[SMMU_FLUSH_ADDR],
		(unsigned long long)st.flushes[SMMU_FLUSH_PCID_ADDR],
		(unsigned long long)st.flushes[SMMU_FLUSH_PCID],
		(unsigned long long)st.flushes[SMMU_FLUSH_VCPU],
		(unsigned long long)st.flushes[SMMU_FLUSH_VCPU_ALL],
		(unsigned long long)st.root_loads,
		(unsigned long long)st.root_cache_hits,
		(unsigned long long)st.roots_built,
		(unsigned long long)st.noflush_honoured);
}

const struct sim_mmu_ops lib_mmu_ops = {
	.name = "lib",
	.knobs = lib_mmu_knobs,
	.vm_init = lib_vm_init,
	.vm_fini = lib_vm_fini,
	.vcpu_init = lib_vcpu_init,
	.vcpu_fini = lib_vcpu_fini,
	.set_regs = lib_set_regs,
	.get_regs = lib_get_regs,
	.vcpu_enter = lib_vcpu_enter,
	.vcpu_load = lib_vcpu_load,
	.page_fault = lib_page_fault,
	.write_cr = lib_write_cr,
	.invlpg = lib_invlpg,
	.invpcid = lib_invpcid,
	.pv_flush = lib_pv_flush,
	.emulated_write = lib_emulated_write,
	.host_changed = lib_host_changed,
	.print_stats = lib_print_stats,
};
