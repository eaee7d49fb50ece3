/* SPDX-License-Identifier: MIT */
/*
 * The naive shadow MMU; see naive_shadow.h. Every decision here takes the
 * simple, obviously safe side: any guest invalidation drops every shadow
 * root of the vCPU and flushes its hardware context. What is not simple
 * is only what the oracle must be able to test: roots cached per
 * (CR3, PCID) with their own hardware PCIDs, a bounded pool whose
 * pressure steals roots across vCPUs, and RCU-deferred freeing.
 */
#include "naive_internal.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim_rcu.h"

#define PAGE	   4096u
#define SPTE_TABLE (X86_PTE_P | X86_PTE_RW | X86_PTE_US)

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
	{ "seed001-prev-roots-across-pcide", NAIVE_PREV_ROOTS_ACROSS_PCIDE,
	  "seed 001: roots the guest flushed while CR4.PCIDE=0 are kept and "
	  "their sync forgotten when PCIDE is set" },
	{ NULL, 0, NULL },
};

/* Drop every root of this vCPU and flush its hardware context: the
 * answer to any guest invalidation. */
static void zap_all_local(struct sim_vcpu *v)
{
	struct naive_vm *vm = nvm(v->sim);
	struct naive_vcpu *c = nvc(v);
	for (int i = 0; i < NAIVE_SLOTS; i++) {
		if (c->slot[i].valid)
			page_list_free_rcu(vm, slot_unlink(vm, &c->slot[i]));
		c->slot[i].hw_stale = false; /* flushed just below */
	}
	hw_tlb_invvpid(sim_vcpu_tlb(v), HW_INVVPID_SINGLE, v->vpid, 0);
	vm->stats.local_flushes++;
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

/* Make c->cur a valid root for the current (CR3, PCID); the reserve must
 * hold a page. */
static void load_root(struct sim_vcpu *v)
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
			if (sl->need_sync) {
				/* Flushed by the guest: build it anew. */
				page_list_free_rcu(vm, slot_unlink(vm, sl));
				sl->need_sync = false;
				break;
			}
			c->cur = i;
			sl->last_used = ++vm->clock;
			return;
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
		page_list_free_rcu(vm, slot_unlink(vm, &c->slot[pick]));
	}
	struct slot *sl = &c->slot[pick];
	sl->pages = page_list_new(&v->sim->pool);
	sl->cr3 = key;
	sl->pcid = pcid;
	c->cur = pick;
	uint64_t root_hpa;
	sl->root_hva = naive_take_page(v, sl, &root_hpa);
	/* Read without the lock by the lock-free walker. */
	__atomic_store_n(&sl->root_hpa, root_hpa, __ATOMIC_RELEASE);
	sl->valid = true;
	sl->last_used = ++vm->clock;
	vm->stats.roots_built++;
}

/* Fill the reserve, waiting for other vCPUs to finish their faults when
 * every page is in use by one (VM lock held; drops it while waiting).
 * The caller holds nothing a grace period could free, so waiting at
 * instruction boundaries — taking IPIs, passing quiescent states — is
 * what a host's exit path does too. */
static void reserve_or_wait(struct sim_vcpu *v)
{
	struct naive_vm *vm = nvm(v->sim);
	for (long tries = 0; !naive_reserve(v); tries++) {
		if (tries == 1000000) {
			fprintf(stderr,
				"naive: vCPU %u cannot reserve %u pages from a "
				"pool of %u\n",
				v->id, NAIVE_RESERVE, v->sim->pool.limit);
			abort();
		}
		vm->stats.reserve_waits++;
		pthread_mutex_unlock(&vm->lock);
		sim_cpu_boundary(v->cpu);
		sched_yield();
		pthread_mutex_lock(&vm->lock);
	}
}

static void naive_vcpu_enter(struct sim_vcpu *v, struct hw_mmu_ctx *ctx)
{
	struct naive_vm *vm = nvm(v->sim);
	struct naive_vcpu *c = nvc(v);
	struct smmu_paging_regs regs;

	pthread_mutex_lock(&vm->lock);
	reserve_or_wait(v);
	load_root(v);
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
		/* Rights checks, which exist only with paging (SDM 4.6). */
		.smep = (regs.cr0 & X86_CR0_PG) && (regs.cr4 & X86_CR4_SMEP),
		.smap = (regs.cr0 & X86_CR0_PG) && (regs.cr4 & X86_CR4_SMAP),
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
	sim_cpu_irq_disable(v->cpu);
	uint64_t table =
		__atomic_load_n(&c->slot[c->cur].root_hpa, __ATOMIC_ACQUIRE);
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

/* Install the 4 KiB shadow leaf `spte` for la, with pages from the
 * reserve. */
static void install(struct sim_vcpu *v, uint64_t la, uint64_t spte)
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
			naive_take_page(v, sl, &hpa);
			val = hpa | SPTE_TABLE;
			__atomic_store_n(e, val, __ATOMIC_RELEASE);
		}
		table = sim_hpa_ptr(&v->sim->hpa, val & X86_BITS(51, 12), PAGE);
	}
	__atomic_store_n(&table[(la >> 12) & 511], spte, __ATOMIC_RELEASE);
}

/* Remove the shadow leaf for la in the current root, if any, and what
 * the hardware cached for it. */
static void drop_leaf(struct sim_vcpu *v, uint64_t la)
{
	struct naive_vcpu *c = nvc(v);
	uint64_t *table = c->slot[c->cur].root_hva;
	int levels = v->hw.la57 ? 5 : 4;
	for (int l = levels; l > 1 && table; l--) {
		uint64_t e = __atomic_load_n(
			&table[(la >> (12 + 9 * (l - 1))) & 511],
			__ATOMIC_ACQUIRE);
		table = (e & X86_PTE_P)
				? sim_hpa_ptr(&v->sim->hpa,
					      e & X86_BITS(51, 12), PAGE)
				: NULL;
	}
	if (table)
		__atomic_store_n(&table[(la >> 12) & 511], 0, __ATOMIC_RELEASE);
	hw_tlb_invpcid(sim_vcpu_tlb(v), v->vpid, HW_INVPCID_ADDR,
		       hw_pcid(c->cur), la);
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
	/* Reserve first: from here to the shadow update the lock is held,
	 * so nobody can take the root this fault extends. */
	reserve_or_wait(v);
	if (c->cur < 0 || !c->slot[c->cur].valid)
		goto out; /* our root was taken meanwhile: re-enter */

	struct smmu_translation t;
	switch (smmu_vcpu_translate(c->lib, acc, &t)) {
	case SMMU_XLATE_OK:
		break;
	case SMMU_XLATE_PAGE_FAULT:
		/* The guest takes #PF: its TLB loses la (SDM 4.10.4.1), so
		 * must the shadow and the hardware. */
		res.action = SIM_PF_INJECT;
		res.pf_error = t.pf_error;
		drop_leaf(v, acc->la);
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
	install(v, acc->la, spte);
	if (c->protected_faults)
		c->protected_faults--;
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
		if (knob(v, NAIVE_PREV_ROOTS_ACROSS_PCIDE) &&
		    (before.cr4 ^ after.cr4) == X86_CR4_PCIDE &&
		    (after.cr4 & X86_CR4_PCIDE)) {
			/* Seed 001's bug: the roots kept from PCIDE=0 are
			 * treated as clean under the new PCID scheme. */
			pthread_mutex_lock(&vm->lock);
			for (int i = 0; i < NAIVE_SLOTS; i++)
				c->slot[i].need_sync = false;
			pthread_mutex_unlock(&vm->lock);
			return true;
		}
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
		if (sl->valid && sl->pcid == pcid &&
		    knob(v, NAIVE_PREV_ROOTS_ACROSS_PCIDE)) {
			/* KVM-style: keep it as a previous root, to be synced
			 * (here: rebuilt) before it is used again. */
			sl->need_sync = true;
			continue;
		}
		if (sl->valid && sl->pcid == pcid) {
			page_list_free_rcu(vm, slot_unlink(vm, sl));
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

static bool naive_invpcid(struct sim_vcpu *v, unsigned type, uint16_t pcid,
			  uint64_t la)
{
	/* The library's register view knows the #GP conditions. */
	if (smmu_vcpu_invpcid(nvc(v)->lib, type, pcid, la) != SMMU_CR_DONE)
		return false;
	locked_zap_all(v);
	return true;
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

static void naive_emulated_write(struct sim_vcpu *v, uint64_t gpa, uint64_t val)
{
	/* Nothing is write-protected: there is no shadow to update, only
	 * the store to make (MMIO, or a CR0.WP=0 supervisor write). */
	sim_guest_store(v->sim, gpa, val);
}

/* ---- lifecycle ---- */

static int naive_vm_init(struct sim *s)
{
	/* Each vCPU keeps a reserve and needs a root and a path besides,
	 * with room to spare for pages waiting for a grace period. */
	if (s->cfg.pool_pages < NAIVE_MIN_POOL_PER_VCPU * s->cfg.nr_vcpus) {
		fprintf(stderr,
			"naive: a pool of %u pages is too small for %u vCPUs "
			"(at least %u)\n",
			s->cfg.pool_pages, s->cfg.nr_vcpus,
			NAIVE_MIN_POOL_PER_VCPU * s->cfg.nr_vcpus);
		return -1;
	}
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
	/* After the run no CPU walks anything: free what waits directly. */
	naive_free_deferred_now(vm);
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
	naive_release_reserve(v);
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
		"(%llu of running roots, %llu kicks), reserve waits %llu, "
		"local flushes %llu, grace periods waited %llu\n",
		(unsigned long long)st->roots_built,
		(unsigned long long)st->pages, (unsigned long long)st->zaps,
		(unsigned long long)st->steals,
		(unsigned long long)st->steals_current,
		(unsigned long long)st->kicks,
		(unsigned long long)st->reserve_waits,
		(unsigned long long)st->local_flushes,
		(unsigned long long)st->grace_periods);
}

const struct sim_mmu_ops naive_shadow_ops = {
	.name = "naive",
	.knobs = naive_shadow_knobs,
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
