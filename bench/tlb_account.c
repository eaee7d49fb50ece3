/* SPDX-License-Identifier: MIT */
/*
 * The TLB observer of a run (machine.h): every hardware invalidation is
 * counted by scope and by where it ran, and every entry it drops is
 * judged.
 *
 * A dropped entry was needed by nobody if the guest had not invalidated
 * it since it was cached (the reference model knows every guest
 * invalidation, the implied ones included) and the shadow tables still
 * gave exactly it (a walk of them from the root it was cached under).
 * Such an entry is collateral: a native CPU would have kept it, and so
 * could the hardware under a more precise flush. An entry the guest had
 * invalidated was owed; one the shadows no longer give had to go for the
 * library's own reasons.
 */
#include "machine.h"

#define ADDR_MASK X86_BITS(51, 12)

/* tag[0]: the fill's model epoch, guest PCID and kind; tag[1]: the root
 * it was cached under, with the paging form in bits 0 and 1. */
#define TAG_EPOCH_MASK ((UINT64_C(1) << 48) - 1)
#define TAG_PCID_SHIFT 48
#define TAG_GLOBAL     (UINT64_C(1) << 60)
#define TAG_SET	       (UINT64_C(1) << 61)
#define ROOT_PAE       UINT64_C(1)
#define ROOT_LA57      UINT64_C(2)

static void count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static enum bench_scope scope_of(const struct hw_flush_info *f)
{
	switch (f->op) {
	case HW_OP_INVLPG:
		return BENCH_SCOPE_ADDR;
	case HW_OP_INVPCID:
		/* Inside a guest, INVPCID reaches its own VPID only. */
		return f->type == HW_INVPCID_ADDR     ? BENCH_SCOPE_ADDR
		       : f->type == HW_INVPCID_SINGLE ? BENCH_SCOPE_PCID
						      : BENCH_SCOPE_VCPU;
	case HW_OP_INVVPID:
		return f->type == HW_INVVPID_ADDR  ? BENCH_SCOPE_ADDR
		       : f->type == HW_INVVPID_ALL ? BENCH_SCOPE_ALL
						   : BENCH_SCOPE_VCPU;
	case HW_OP_FLUSH_PCID:
		return BENCH_SCOPE_PCID;
	case HW_OP_FLUSH_ALL:
		break;
	}
	return BENCH_SCOPE_ALL;
}

static void on_flush(void *arg, const struct hw_flush_info *f)
{
	struct bench_cpu_acct *c = arg;
	struct bench_machine *m = c->m;
	struct sim_cpu *self = sim_cpu_self();
	enum bench_where where;

	/* Outside the run (setup, teardown) nothing is measured. */
	c->counting = self != NULL;
	if (!self)
		return;
	if (self != c->cpu) {
		where = BENCH_BY_ASSISTED; /* another CPU cleaned this TLB */
	} else if (self->in_ipi) {
		where = BENCH_BY_IPI;
	} else {
		/* At entry, a flush of the entering vCPU's own tag is the one
		 * the entry asked for; one of every VPID is the library
		 * flushing every CPU on its way (flush_all_cpus). */
		struct sim_vcpu *v = sim_current_vcpu();
		bool own = f->op != HW_OP_FLUSH_ALL &&
			   !(f->op == HW_OP_INVVPID &&
			     f->type == HW_INVVPID_ALL) &&
			   v && f->vpid == v->vpid;
		where = own && m->vcpu[v->id].phase == BENCH_IN_ENTRY
				? BENCH_AT_ENTRY
				: BENCH_IN_EXIT;
	}
	count(&m->flushes[scope_of(f)][where]);
}

/* The vCPU a VPID tags: VPID 0 is the host's. */
static bool vcpu_of(const struct bench_machine *m, uint16_t vpid, unsigned *v)
{
	if (!vpid || vpid > m->sim.cfg.nr_vcpus)
		return false;
	*v = vpid - 1u;
	return true;
}

static void on_fill(void *arg, struct hw_tlb_entry_info *e)
{
	struct bench_cpu_acct *c = arg;
	struct bench_machine *m = c->m;
	unsigned v;
	if (!m->sim.model || !vcpu_of(m, e->vpid, &v))
		return;
	struct ref_fill_info fi;
	ref_model_fill_info(m->sim.model, v, e->la, !e->psc, &fi);
	/* The CPU runs with the context vCPU v entered with. */
	const struct hw_mmu_ctx *ctx = &m->sim.vcpu[v].hw;
	e->tag[0] = TAG_SET | (fi.epoch & TAG_EPOCH_MASK) |
		    ((uint64_t)fi.pcid << TAG_PCID_SHIFT) |
		    (fi.global ? TAG_GLOBAL : 0);
	e->tag[1] = (ctx->cr3 & ADDR_MASK) | (ctx->pae ? ROOT_PAE : 0) |
		    (ctx->la57 ? ROOT_LA57 : 0);
}

static uint8_t entry_rights(uint64_t e)
{
	return (uint8_t)(((e & X86_PTE_RW) ? SMMU_RIGHT_W : 0) |
			 ((e & X86_PTE_US) ? SMMU_RIGHT_U : 0) |
			 ((e & X86_PTE_XD) ? 0 : SMMU_RIGHT_X));
}

static bool live(const struct bench_machine *m, uint64_t hpa, uint32_t *gen)
{
	uint32_t g;
	return sim_pool_page_live(m->sim.hpa.pool, hpa, gen ? gen : &g);
}

static uint64_t load(const struct bench_machine *m, uint64_t hpa)
{
	const uint64_t *p = sim_hpa_ptr(&m->sim.hpa, hpa, 8);
	return p ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : 0;
}

/* Would a walk of the shadow tables from the entry's root cache exactly
 * this entry now? (Reserved bits aside: the library writes none.) */
static bool shadows_still_give(const struct bench_machine *m,
			       const struct hw_tlb_entry_info *e)
{
	uint64_t root = e->tag[1] & ADDR_MASK, table = root;
	bool pae = e->tag[1] & ROOT_PAE;
	unsigned level = pae ? 2 : (e->tag[1] & ROOT_LA57) ? 5 : 4;
	uint8_t rights = SMMU_RIGHT_W | SMMU_RIGHT_U | SMMU_RIGHT_X;

	if (!live(m, root, NULL))
		return false; /* the root itself is gone */
	if (pae) {
		uint64_t pdpte = load(m, root + 8 * ((e->la >> 30) & 3));
		if (!(pdpte & X86_PTE_P))
			return false;
		table = pdpte & ADDR_MASK;
	}
	for (;; level--) {
		if (!live(m, table, NULL))
			return false;
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t spte = load(m, table + 8 * ((e->la >> shift) & 511));
		if (!(spte & X86_PTE_P))
			return false;
		rights &= entry_rights(spte);
		bool leaf = level == 1 || (spte & X86_PTE_PS);
		uint64_t next = spte & ADDR_MASK;
		if (level == e->level) {
			uint32_t gen;
			if (!e->psc)
				return leaf && rights == e->rights &&
				       (next & ~((UINT64_C(1) << shift) - 1)) ==
					       e->hpa;
			return !leaf && rights == e->rights && next == e->hpa &&
			       (!e->pooled ||
				(live(m, next, &gen) && gen == e->gen));
		}
		if (leaf || level == 1)
			return false;
		table = next;
	}
}

static void on_leave(void *arg, const struct hw_tlb_entry_info *e,
		     enum hw_leave_cause cause)
{
	struct bench_cpu_acct *c = arg;
	struct bench_machine *m = c->m;
	unsigned v;

	if (cause != HW_LEAVE_FLUSH || !c->counting)
		return;
	count(&m->dropped);
	if (!(e->tag[0] & TAG_SET) || !vcpu_of(m, e->vpid, &v))
		return; /* cached before the run: not judged */
	enum ref_cached_kind kind = e->psc ? REF_CACHED_PSC
				    : (e->tag[0] & TAG_GLOBAL)
					    ? REF_CACHED_GLOBAL
					    : REF_CACHED_TRANSLATION;
	uint64_t size = e->psc ? X86_PAGE_SIZE
			       : UINT64_C(1) << (12 + 9 * (e->level - 1));
	uint16_t pcid = (uint16_t)((e->tag[0] >> TAG_PCID_SHIFT) & 0xfff);
	if (ref_model_invalidated_since(m->sim.model, v, kind, pcid, e->la,
					size, e->tag[0] & TAG_EPOCH_MASK))
		count(&m->dropped_invalidated);
	else if (!shadows_still_give(m, e))
		count(&m->dropped_stale);
	else if (e->psc)
		count(&m->collateral_psc);
	else
		count(&m->collateral_tlb);
}

void bench_tlb_account_attach(struct bench_machine *m)
{
	for (unsigned i = 0; i < m->sim.cpus.nr; i++) {
		struct bench_cpu_acct *c = &m->cpu[i];
		c->m = m;
		c->cpu = &m->sim.cpus.cpu[i];
		c->obs = (struct hw_tlb_observer){ .fill = on_fill,
						   .flush = on_flush,
						   .leave = on_leave,
						   .arg = c };
		hw_tlb_set_observer(c->cpu->tlb, &c->obs);
	}
}

void bench_tlb_account_detach(struct bench_machine *m)
{
	for (unsigned i = 0; i < m->sim.cpus.nr; i++)
		hw_tlb_set_observer(m->sim.cpus.cpu[i].tlb, NULL);
}
