/* SPDX-License-Identifier: MIT */
/*
 * The naive shadow MMU; see naive_shadow.h. Every decision here takes the
 * simple, obviously safe side: any guest invalidation drops every shadow
 * root of the vCPU and flushes its hardware context. What is not simple
 * is only what the oracle must be able to test: roots cached per
 * (CR3, PCID) with their own hardware PCIDs, a bounded pool whose
 * pressure steals roots across vCPUs, and RCU-deferred freeing.
 */
#include "naive_shadow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#define NAIVE_SLOTS 4 /* cached roots per vCPU */
#define PAGE	    4096u
#define SPTE_TABLE  (X86_PTE_P | X86_PTE_RW | X86_PTE_US)

const struct sim_knob naive_shadow_knobs[] = {
	{ "no-flush-on-cr3", NAIVE_NO_FLUSH_ON_CR3,
	  "MOV CR3 that must flush keeps the old shadow and hardware TLB" },
	{ "ignore-invlpg", NAIVE_IGNORE_INVLPG,
	  "INVLPG drops no shadow entry and flushes nothing" },
	{ "seed000-reuse-root", NAIVE_REUSE_ROOT_NOFLUSH,
	  "seed 000 (XSA-294): a root slot rebuilt for another CR3/PCID keeps "
	  "its hardware PCID unflushed" },
	{ "seed004-flush-before-sync", NAIVE_FLUSH_BEFORE_SYNC,
	  "seed 004: the PV flush flushes the hardware TLB without dropping "
	  "stale shadow entries first" },
	{ "seed003-free-after-assisted", NAIVE_FREE_AFTER_ASSISTED,
	  "seed 003: a stolen root is freed right after an assisted flush, "
	  "while its owner's lock-free walker may still read it" },
	{ NULL, 0, NULL },
};

/* Pages of one shadow root: all of them go together. */
struct page_list {
	uint64_t *hpa;
	unsigned n, cap;
	struct rcu_head rcu;
	struct sim_pool *pool;
};

struct slot {
	bool valid;
	uint64_t cr3;  /* guest CR3 address bits, the key */
	uint16_t pcid; /* guest PCID, the key */
	uint64_t root_hpa;
	void *root_hva;
	struct page_list *pages;
	uint64_t last_used;
	bool hw_stale; /* the hardware PCID may hold a previous root's */
};

struct naive_vcpu {
	struct smmu_vcpu *lib; /* guest paging registers and walker */
	struct slot slot[NAIVE_SLOTS];
	int cur; /* slot in use, -1 before the first entry */
};

struct naive_stats {
	uint64_t roots_built, pages, zaps, steals, steals_current;
	uint64_t local_flushes, kicks;
};

struct naive_vm {
	struct smmu_vm *lib;
	pthread_mutex_t lock; /* every slot of every vCPU, the clock */
	uint64_t clock;
	struct naive_stats stats;
};

static struct naive_vm *nvm(struct sim *s)
{
	return s->mmu;
}

static struct naive_vcpu *nvc(struct sim_vcpu *v)
{
	return v->mmu;
}

static bool knob(struct sim_vcpu *v, uint32_t bit)
{
	return v->sim->cfg.inject & bit;
}

static uint16_t hw_pcid(int slot)
{
	return (uint16_t)(slot + 1);
}

/* ---- pages ---- */

static struct page_list *page_list_new(struct sim_pool *pool)
{
	struct page_list *l = calloc(1, sizeof(*l));
	if (!l)
		abort();
	l->pool = pool;
	return l;
}

static void page_list_add(struct page_list *l, uint64_t hpa)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->hpa = realloc(l->hpa, l->cap * sizeof(uint64_t));
		if (!l->hpa)
			abort();
	}
	l->hpa[l->n++] = hpa;
}

static void page_list_free_now(struct page_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		sim_pool_free(l->pool, l->hpa[i]);
	free(l->hpa);
	free(l);
}

static void page_list_free_rcu_cb(struct rcu_head *head)
{
	page_list_free_now(caa_container_of(head, struct page_list, rcu));
}

/* Free after a grace period: no CPU can be walking them by then, the
 * hardware walker or a lock-free software walker (DESIGN 4.6). */
static void page_list_free_rcu(struct page_list *l)
{
	call_rcu(&l->rcu, page_list_free_rcu_cb);
}

/* Unlink a slot's root; the caller flushes and frees the pages. */
static struct page_list *slot_unlink(struct naive_vm *vm, struct slot *sl)
{
	struct page_list *l = sl->pages;
	sl->valid = false;
	sl->pages = NULL;
	sl->root_hpa = 0;
	sl->root_hva = NULL;
	sl->hw_stale = true;
	vm->stats.zaps++;
	return l;
}

/* Drop every root of this vCPU and flush its hardware context: the
 * answer to any guest invalidation. */
static void zap_all_local(struct sim_vcpu *v)
{
	struct naive_vm *vm = nvm(v->sim);
	struct naive_vcpu *c = nvc(v);
	for (int i = 0; i < NAIVE_SLOTS; i++) {
		if (c->slot[i].valid)
			page_list_free_rcu(slot_unlink(vm, &c->slot[i]));
		c->slot[i].hw_stale = false; /* flushed just below */
	}
	hw_tlb_invvpid(sim_vcpu_tlb(v), HW_INVVPID_SINGLE, v->vpid, 0);
	vm->stats.local_flushes++;
}

struct kick {
	uint16_t vpid, pcid;
};

static void kick_fn(struct sim_cpu *cpu, void *arg)
{
	struct kick *k = arg;
	struct sim_vcpu *owner = cpu->user;
	hw_tlb_invpcid(cpu->tlb, k->vpid, HW_INVPCID_SINGLE, k->pcid, 0);
	owner->need_entry = true; /* reload the root before guest code */
	free(k);
}

static void flush_fn(struct sim_cpu *cpu, void *arg)
{
	struct kick *k = arg;
	hw_tlb_invpcid(cpu->tlb, k->vpid, HW_INVPCID_SINGLE, k->pcid, 0);
}

/* Under pool pressure: take the least recently used root of any vCPU
 * other than `self`'s current one. Called with the VM lock held; drops
 * and retakes it around the remote flush. */
static bool steal(struct sim_vcpu *self)
{
	struct sim *s = self->sim;
	struct naive_vm *vm = nvm(s);
	struct sim_vcpu *owner = NULL;
	int victim = -1;
	bool victim_current = false;

	/* Prefer roots nobody is running: stealing those needs no remote
	 * flush, their hardware PCID is flushed when the slot is reused. */
	for (int pass = 0; pass < 2 && victim < 0; pass++) {
		uint64_t best = UINT64_MAX;
		for (unsigned i = 0; i < s->cfg.nr_vcpus; i++) {
			struct naive_vcpu *c = nvc(&s->vcpu[i]);
			for (int k = 0; k < NAIVE_SLOTS; k++) {
				struct slot *sl = &c->slot[k];
				bool current = k == c->cur;
				if (!sl->valid || current != (pass == 1))
					continue;
				if (&s->vcpu[i] == self && current)
					continue;
				if (sl->last_used < best) {
					best = sl->last_used;
					owner = &s->vcpu[i];
					victim = k;
					victim_current = current;
				}
			}
		}
	}
	if (victim < 0)
		return false;

	struct page_list *l = slot_unlink(vm, &nvc(owner)->slot[victim]);
	vm->stats.steals++;
	if (!victim_current || owner == self) {
		page_list_free_rcu(l);
		return true;
	}
	/* The owner runs on that root: its CPU must drop what it cached and
	 * the owner must reload before running guest code again. */
	vm->stats.steals_current++;
	uint64_t target = 1ull << owner->cpu->id;
	struct kick *k = malloc(sizeof(*k));
	if (!k)
		abort();
	*k = (struct kick){ owner->vpid, hw_pcid(victim) };
	pthread_mutex_unlock(&vm->lock);
	if (knob(self, NAIVE_FREE_AFTER_ASSISTED)) {
		/* The seed-003 bug: the assisted flush does not wait for the
		 * owner, and nothing else does either. */
		struct kick flush = *k;
		sim_assisted(self->cpu, target, flush_fn, &flush);
		sim_ipi(self->cpu, target, kick_fn, k, false);
		page_list_free_now(l);
	} else if (s->cfg.assisted_flush) {
		/* Safe with an assisted flush because of RCU: the owner
		 * passes a quiescent state only after taking the kick. */
		struct kick flush = *k;
		sim_assisted(self->cpu, target, flush_fn, &flush);
		sim_ipi(self->cpu, target, kick_fn, k, false);
		page_list_free_rcu(l);
	} else {
		sim_ipi(self->cpu, target, kick_fn, k, true);
		page_list_free_rcu(l);
	}
	vm->stats.kicks++;
	pthread_mutex_lock(&vm->lock);
	return true;
}

/* A zeroed shadow page for `sl`, stealing under pool pressure. NULL when
 * the pool cannot give one now (or `sl` was stolen meanwhile): the caller
 * gives up and the vCPU retries after re-entry. Called with the VM lock
 * held; may drop it. */
static void *alloc_page(struct sim_vcpu *v, struct slot *sl, uint64_t *hpa)
{
	struct naive_vm *vm = nvm(v->sim);
	bool waited = false;
	void *hva;
	while (!sim_pool_alloc(&v->sim->pool, hpa, &hva)) {
		if (!steal(v)) {
			if (waited)
				return NULL;
			/* What zaps freed may still wait for its grace
			 * period. Wait for it without the lock and offline:
			 * a QSBR thread that waits for a grace period must
			 * not hold a lock online threads block on. */
			pthread_mutex_unlock(&vm->lock);
			rcu_thread_offline();
			rcu_barrier();
			rcu_thread_online();
			pthread_mutex_lock(&vm->lock);
			waited = true;
		}
		if (!sl->pages)
			return NULL; /* our own slot was stolen meanwhile */
	}
	page_list_add(sl->pages, *hpa);
	vm->stats.pages++;
	return hva;
}

/* ---- roots ---- */

static bool shadow_la57(const struct smmu_paging_regs *r)
{
	return (r->efer & X86_EFER_LMA) && (r->cr4 & X86_CR4_LA57);
}

static uint64_t root_key(const struct smmu_paging_regs *r, uint16_t *pcid)
{
	*pcid = (r->cr4 & X86_CR4_PCIDE) ? (uint16_t)(r->cr3 & 0xfff) : 0;
	if (!(r->cr0 & X86_CR0_PG))
		return UINT64_MAX; /* paging off: one identity root */
	return r->cr3 & ~0xfffull;
}

/* Make c->cur a valid root for the current (CR3, PCID). Returns false if
 * the pool cannot give a root page now. */
static bool load_root(struct sim_vcpu *v)
{
	struct naive_vm *vm = nvm(v->sim);
	struct naive_vcpu *c = nvc(v);
	struct smmu_paging_regs regs;
	uint16_t pcid;
	smmu_vcpu_get_paging(c->lib, &regs);
	uint64_t key = root_key(&regs, &pcid);

	for (int i = 0; i < NAIVE_SLOTS; i++) {
		struct slot *sl = &c->slot[i];
		if (sl->valid && sl->cr3 == key && sl->pcid == pcid) {
			c->cur = i;
			sl->last_used = ++vm->clock;
			return true;
		}
	}
	/* Reuse an empty slot, else evict this vCPU's LRU one. */
	int pick = -1;
	for (int i = 0; i < NAIVE_SLOTS && pick < 0; i++)
		if (!c->slot[i].valid)
			pick = i;
	if (pick < 0) {
		pick = 0;
		for (int i = 1; i < NAIVE_SLOTS; i++)
			if (c->slot[i].last_used < c->slot[pick].last_used)
				pick = i;
		page_list_free_rcu(slot_unlink(vm, &c->slot[pick]));
	}
	struct slot *sl = &c->slot[pick];
	sl->pages = page_list_new(&v->sim->pool);
	sl->cr3 = key;
	sl->pcid = pcid;
	c->cur = pick;
	void *hva = alloc_page(v, sl, &sl->root_hpa);
	if (!hva) {
		page_list_free_rcu(sl->pages);
		sl->pages = NULL;
		c->cur = -1;
		return false;
	}
	sl->root_hva = hva;
	sl->valid = true;
	sl->last_used = ++vm->clock;
	vm->stats.roots_built++;
	return true;
}

static void naive_vcpu_enter(struct sim_vcpu *v, struct hw_mmu_ctx *ctx)
{
	struct naive_vm *vm = nvm(v->sim);
	struct naive_vcpu *c = nvc(v);
	struct smmu_paging_regs regs;

	pthread_mutex_lock(&vm->lock);
	for (int tries = 0; !load_root(v); tries++) {
		if (tries == 8) {
			fprintf(stderr,
				"naive: a pool of %u pages cannot hold a root "
				"for each of %u vCPUs\n",
				v->sim->pool.limit, v->sim->cfg.nr_vcpus);
			abort();
		}
	}
	struct slot *sl = &c->slot[c->cur];
	if (sl->hw_stale) {
		/* A new root under a hardware PCID that tagged another one:
		 * flush it (the seed-000 rule), unless told to be buggy. */
		if (!knob(v, NAIVE_REUSE_ROOT_NOFLUSH)) {
			hw_tlb_invpcid(sim_vcpu_tlb(v), v->vpid,
				       HW_INVPCID_SINGLE, hw_pcid(c->cur), 0);
			vm->stats.local_flushes++;
		}
		sl->hw_stale = false;
	}
	smmu_vcpu_get_paging(c->lib, &regs);
	*ctx = (struct hw_mmu_ctx){
		.vpid = v->vpid,
		.cr3 = sl->root_hpa | hw_pcid(c->cur),
		.la57 = shadow_la57(&regs),
		.pcide = true,
		.pge = false, /* no global shadow entries: simpler */
		/* Hardware WP stays on so that a clean shadow leaf traps
		 * supervisor writes; the guest's WP=0 is emulated. */
		.wp = true,
		.smep = regs.cr4 & X86_CR4_SMEP,
		.smap = regs.cr4 & X86_CR4_SMAP,
		.pke = (regs.cr4 & X86_CR4_PKE) && (regs.efer & X86_EFER_LMA),
		.nxe = true,
		.maxphyaddr = 46,
	};
	pthread_mutex_unlock(&vm->lock);
}

/* ---- faults ---- */

/* What a host's spurious-fault check does before taking any lock: walk
 * the current shadow root with interrupts off, trusting that no page it
 * reads can be freed under it (shared/seeds 003). It reports a page that
 * was freed or recycled while it looked. */
static void spurious_fault_check(struct sim_vcpu *v, uint64_t la)
{
	struct naive_vcpu *c = nvc(v);
	struct sim_pool *pool = &v->sim->pool;
	if (c->cur < 0)
		return;
	uint64_t table =
		__atomic_load_n(&c->slot[c->cur].root_hpa, __ATOMIC_ACQUIRE);
	if (!table)
		return;
	sim_cpu_irq_disable(v->cpu);
	int levels = v->hw.la57 ? 5 : 4;
	for (int l = levels; l >= 1 && table; l--) {
		uint32_t gen0, gen1;
		if (!sim_pool_page_live(pool, table, &gen0)) {
			sim_report_violation(v->sim, v,
					     "lock-free walker: shadow page "
					     "%#llx was freed under it",
					     (unsigned long long)table);
			break;
		}
		uint64_t *e = sim_hpa_ptr(
			&v->sim->hpa,
			table + 8 * ((la >> (12 + 9 * (l - 1))) & 511), 8);
		uint64_t val = __atomic_load_n(e, __ATOMIC_ACQUIRE);
		/* Linger, as a real walker doing real work would. */
		for (volatile int spin = 0; spin < 2000; spin++)
			;
		if (!sim_pool_page_live(pool, table, &gen1) || gen1 != gen0) {
			sim_report_violation(
				v->sim, v,
				"lock-free walker: shadow page "
				"%#llx was freed or recycled while "
				"it read it",
				(unsigned long long)table);
			break;
		}
		table = (val & X86_PTE_P) ? (val & X86_BITS(51, 12)) : 0;
		if (table &&
		    sim_hpa_classify(&v->sim->hpa, table) == SIM_HPA_GUEST_RAM)
			break; /* reached the leaf's page */
	}
	sim_cpu_irq_enable(v->cpu);
}

/* Install the 4 KiB shadow leaf `spte` for la; false if out of pages. */
static bool install(struct sim_vcpu *v, uint64_t la, uint64_t spte)
{
	struct naive_vcpu *c = nvc(v);
	struct slot *sl = &c->slot[c->cur];
	uint64_t *table = sl->root_hva;
	int levels = v->hw.la57 ? 5 : 4;

	for (int l = levels; l > 1; l--) {
		uint64_t *e = &table[(la >> (12 + 9 * (l - 1))) & 511];
		uint64_t val = __atomic_load_n(e, __ATOMIC_ACQUIRE);
		if (!(val & X86_PTE_P)) {
			uint64_t hpa;
			void *hva = alloc_page(v, sl, &hpa);
			if (!hva || !sl->valid)
				return false;
			val = hpa | SPTE_TABLE;
			__atomic_store_n(e, val, __ATOMIC_RELEASE);
		}
		table = sim_hpa_ptr(&v->sim->hpa, val & X86_BITS(51, 12), PAGE);
	}
	__atomic_store_n(&table[(la >> 12) & 511], spte, __ATOMIC_RELEASE);
	return true;
}

static struct sim_pf_result naive_page_fault(struct sim_vcpu *v,
					     const struct smmu_access *acc,
					     uint32_t hw_error)
{
	struct naive_vm *vm = nvm(v->sim);
	struct naive_vcpu *c = nvc(v);
	struct sim_pf_result res = { .action = SIM_PF_FIXED };

	spurious_fault_check(v, acc->la);
	pthread_mutex_lock(&vm->lock);
	if (c->cur < 0 || !c->slot[c->cur].valid)
		goto out; /* our root was stolen: re-enter, rebuild */

	struct smmu_translation t;
	switch (smmu_vcpu_translate(c->lib, acc, &t)) {
	case SMMU_XLATE_OK:
		break;
	case SMMU_XLATE_PAGE_FAULT:
		/* The guest takes #PF: its TLB loses la (SDM 4.10.4.2), so
		 * must the shadow. Dropping everything is the naive way. */
		res.action = SIM_PF_INJECT;
		res.pf_error = t.pf_error;
		zap_all_local(v);
		goto out;
	case SMMU_XLATE_RETRY:
		goto out;
	default:
		res.action = SIM_PF_ERROR;
		goto out;
	}

	bool write = acc->flags & SMMU_ACCESS_WRITE;
	bool ram =
		smmu_posix_ram_ptr(&v->sim->host.ram, t.gpa & ~0xfffull, PAGE);
	struct smmu_paging_regs regs;
	smmu_vcpu_get_paging(c->lib, &regs);
	bool wp0_supervisor_write = write && !(acc->flags & SMMU_ACCESS_USER) &&
				    !(regs.cr0 & X86_CR0_WP);
	/* MMIO, or a supervisor write under the guest's CR0.WP=0: the
	 * hardware runs with WP=1 (so clean leaves trap writes), which makes
	 * it stricter than the guest for these — read-only pages and
	 * write-disabled protection keys — so the host emulates them. */
	if (!ram || wp0_supervisor_write) {
		res.action = SIM_PF_EMULATE;
		res.gpa = t.gpa;
		goto out;
	}
	uint64_t spte = (SIM_GUEST_HPA_BASE + (t.gpa & ~0xfffull)) | X86_PTE_P;
	/* Writable only once the guest's dirty flag is set: the walk just
	 * set it for this write. */
	if (write)
		spte |= X86_PTE_RW;
	if (t.rights & SMMU_RIGHT_U)
		spte |= X86_PTE_US;
	if (!(t.rights & SMMU_RIGHT_X))
		spte |= X86_PTE_XD;
	spte |= (uint64_t)t.pkey << X86_PTE_PKEY_SHIFT;
	c->slot[c->cur].last_used = ++vm->clock;
	if (!install(v, acc->la, spte))
		goto out; /* out of pages: retry after re-entry */
	/* The hardware may hold a stale, weaker translation for la (that
	 * may be why it faulted): drop it. */
	hw_tlb_invpcid(sim_vcpu_tlb(v), v->vpid, HW_INVPCID_ADDR,
		       hw_pcid(c->cur), acc->la);
out:
	pthread_mutex_unlock(&vm->lock);
	(void)hw_error;
	return res;
}

/* ---- guest instructions ---- */

static void locked_zap_all(struct sim_vcpu *v)
{
	struct naive_vm *vm = nvm(v->sim);
	pthread_mutex_lock(&vm->lock);
	zap_all_local(v);
	pthread_mutex_unlock(&vm->lock);
}

static bool naive_write_cr(struct sim_vcpu *v, enum gop_kind which,
			   uint64_t val)
{
	struct naive_vm *vm = nvm(v->sim);
	struct naive_vcpu *c = nvc(v);
	enum smmu_cr_result r;
	struct smmu_paging_regs before, after;

	smmu_vcpu_get_paging(c->lib, &before);
	switch (which) {
	case GOP_MOV_CR0:
		r = smmu_vcpu_write_cr0(c->lib, val);
		break;
	case GOP_MOV_CR3:
		r = smmu_vcpu_write_cr3(c->lib, val);
		break;
	case GOP_MOV_CR4:
		r = smmu_vcpu_write_cr4(c->lib, val);
		break;
	default:
		r = smmu_vcpu_write_efer(c->lib, val);
		break;
	}
	if (r != SMMU_CR_DONE)
		return false;
	smmu_vcpu_get_paging(c->lib, &after);

	if (which != GOP_MOV_CR3) {
		/* Any other paging change: start over. */
		locked_zap_all(v);
		return true;
	}
	/* MOV CR3 flushes the new PCID's non-global translations unless
	 * NOFLUSH (with PCIDs); the naive shadow has no global entries, so
	 * dropping every root of that PCID is exactly enough. */
	bool pcide = after.cr4 & X86_CR4_PCIDE;
	if ((pcide && (val & X86_CR3_NOFLUSH)) ||
	    knob(v, NAIVE_NO_FLUSH_ON_CR3))
		return true;
	uint16_t pcid;
	root_key(&after, &pcid);
	pthread_mutex_lock(&vm->lock);
	for (int i = 0; i < NAIVE_SLOTS; i++) {
		struct slot *sl = &c->slot[i];
		if (sl->valid && sl->pcid == pcid) {
			page_list_free_rcu(slot_unlink(vm, sl));
			hw_tlb_invpcid(sim_vcpu_tlb(v), v->vpid,
				       HW_INVPCID_SINGLE, hw_pcid(i), 0);
			sl->hw_stale = false;
			vm->stats.local_flushes++;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return true;
}

static void naive_invlpg(struct sim_vcpu *v, uint64_t la)
{
	if (!knob(v, NAIVE_IGNORE_INVLPG))
		locked_zap_all(v);
}

static void naive_invpcid(struct sim_vcpu *v, unsigned type, uint16_t pcid,
			  uint64_t la)
{
	locked_zap_all(v);
}

static void naive_pv_flush(struct sim_vcpu *v)
{
	if (knob(v, NAIVE_FLUSH_BEFORE_SYNC)) {
		/* Seed 004: the hardware flush without the sync. */
		hw_tlb_invvpid(sim_vcpu_tlb(v), HW_INVVPID_SINGLE, v->vpid, 0);
		return;
	}
	locked_zap_all(v);
}

static void naive_emulated_write(struct sim_vcpu *v, uint64_t gpa,
				 unsigned size)
{
	/* Nothing is write-protected: there is no shadow to update. */
}

/* ---- lifecycle ---- */

static int naive_vm_init(struct sim *s)
{
	struct naive_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -1;
	struct smmu_vm_config cfg = { .maxphyaddr = s->cfg.maxphyaddr,
				      .gbpages = s->cfg.gbpages };
	if (smmu_vm_create(&cfg, &smmu_posix_host_ops, &s->host, &vm->lib) !=
	    SMMU_OK) {
		free(vm);
		return -1;
	}
	pthread_mutex_init(&vm->lock, NULL);
	s->mmu = vm;
	return 0;
}

static void naive_vm_fini(struct sim *s)
{
	struct naive_vm *vm = nvm(s);
	rcu_barrier();
	smmu_vm_destroy(vm->lib);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
	s->mmu = NULL;
}

static int naive_vcpu_init(struct sim_vcpu *v)
{
	struct naive_vcpu *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	if (smmu_vcpu_create(nvm(v->sim)->lib, v->id, &c->lib) != SMMU_OK) {
		free(c);
		return -1;
	}
	c->cur = -1;
	v->mmu = c;
	return 0;
}

static void naive_vcpu_fini(struct sim_vcpu *v)
{
	struct naive_vcpu *c = nvc(v);
	for (int i = 0; i < NAIVE_SLOTS; i++)
		if (c->slot[i].pages)
			page_list_free_now(c->slot[i].pages);
	smmu_vcpu_destroy(c->lib);
	free(c);
	v->mmu = NULL;
}

static int naive_set_regs(struct sim_vcpu *v, const struct smmu_paging_regs *r)
{
	if (smmu_vcpu_set_paging(nvc(v)->lib, r) != SMMU_OK)
		return -1;
	locked_zap_all(v);
	v->need_entry = true;
	return 0;
}

static void naive_get_regs(struct sim_vcpu *v, struct smmu_paging_regs *out)
{
	smmu_vcpu_get_paging(nvc(v)->lib, out);
}

static void naive_print_stats(struct sim *s, FILE *out)
{
	struct naive_stats *st = &nvm(s)->stats;
	fprintf(out,
		"naive: roots built %llu, pages %llu, zaps %llu, steals %llu "
		"(%llu of running roots, %llu kicks), local flushes %llu\n",
		(unsigned long long)st->roots_built,
		(unsigned long long)st->pages, (unsigned long long)st->zaps,
		(unsigned long long)st->steals,
		(unsigned long long)st->steals_current,
		(unsigned long long)st->kicks,
		(unsigned long long)st->local_flushes);
}

const struct sim_mmu_ops naive_shadow_ops = {
	.name = "naive",
	.vm_init = naive_vm_init,
	.vm_fini = naive_vm_fini,
	.vcpu_init = naive_vcpu_init,
	.vcpu_fini = naive_vcpu_fini,
	.set_regs = naive_set_regs,
	.get_regs = naive_get_regs,
	.vcpu_enter = naive_vcpu_enter,
	.page_fault = naive_page_fault,
	.write_cr = naive_write_cr,
	.invlpg = naive_invlpg,
	.invpcid = naive_invpcid,
	.pv_flush = naive_pv_flush,
	.emulated_write = naive_emulated_write,
	.print_stats = naive_print_stats,
};
