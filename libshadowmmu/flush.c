/* SPDX-License-Identifier: MIT */
#include "lock_check.h"
#include "flush.h"

#include "vcpu.h"

/* The narrowest scope the host can do that covers `scope`. */
static enum smmu_flush_scope doable(uint32_t caps, enum smmu_flush_scope scope)
{
	switch (scope) {
	case SMMU_FLUSH_PCID_ADDR:
		if (caps & SMMU_HOST_FLUSH_PCID_ADDR)
			return scope;
		return doable(caps, SMMU_FLUSH_ADDR);
	case SMMU_FLUSH_ADDR:
		return (caps & SMMU_HOST_FLUSH_ADDR) ? scope
						     : SMMU_FLUSH_VCPU_ALL;
	case SMMU_FLUSH_PCID:
		return (caps & SMMU_HOST_FLUSH_PCID) ? scope : SMMU_FLUSH_VCPU;
	case SMMU_FLUSH_VCPU:
	case SMMU_FLUSH_VCPU_ALL:
		break;
	}
	return scope;
}

/* A whole-vCPU flush without globals makes the per-PCID ones moot;
 * per-address ones that reach global translations stay. */
static void drop_non_global(struct flush_queue *q)
{
	unsigned kept = 0;
	for (unsigned i = 0; i < q->n; i++)
		if (q->item[i].scope == SMMU_FLUSH_ADDR)
			q->item[kept++] = q->item[i];
	q->n = kept;
}

void flush_local(struct smmu_vcpu *vcpu, enum smmu_flush_scope scope,
		 uint16_t pcid, uint64_t la)
{
	struct flush_queue *q = &vcpu->flushes;
	scope = doable(vcpu->vm->host_caps, scope);
	if (q->vcpu_all)
		return;
	if (scope == SMMU_FLUSH_VCPU_ALL) {
		*q = (struct flush_queue){ .vcpu_all = true };
		return;
	}
	if (scope == SMMU_FLUSH_VCPU) {
		q->vcpu = true;
		drop_non_global(q);
		if (q->n == SMMU_ENTRY_MAX_FLUSHES) /* no room for it */
			*q = (struct flush_queue){ .vcpu_all = true };
		return;
	}
	if (q->vcpu && scope != SMMU_FLUSH_ADDR)
		return;
	for (unsigned i = 0; i < q->n; i++) {
		const struct smmu_flush *f = &q->item[i];
		if (f->scope == scope && f->pcid == pcid && f->la == la)
			return;
		/* A PCID's flush covers its addresses (not globals). */
		if (f->scope == SMMU_FLUSH_PCID && f->pcid == pcid &&
		    scope == SMMU_FLUSH_PCID_ADDR)
			return;
	}
	/* A queued SMMU_FLUSH_VCPU takes the last place in the entry. */
	if (q->n == SMMU_ENTRY_MAX_FLUSHES - (q->vcpu ? 1u : 0u)) {
		/* Full: one wider flush instead. Per-address flushes of
		 * every PCID reach global translations, so only a flush of
		 * everything covers them. */
		bool global = scope == SMMU_FLUSH_ADDR;
		for (unsigned i = 0; i < q->n; i++)
			global |= q->item[i].scope == SMMU_FLUSH_ADDR;
		flush_local(vcpu,
			    global ? SMMU_FLUSH_VCPU_ALL : SMMU_FLUSH_VCPU, 0,
			    0);
		return;
	}
	q->item[q->n++] = (struct smmu_flush){ .scope = (uint8_t)scope,
					       .pcid = pcid,
					       .la = la };
}

bool flush_queued_covers_pcid(const struct smmu_vcpu *vcpu, uint16_t pcid)
{
	const struct flush_queue *q = &vcpu->flushes;
	if (q->vcpu || q->vcpu_all)
		return true;
	for (unsigned i = 0; i < q->n; i++)
		if (q->item[i].scope == SMMU_FLUSH_PCID &&
		    q->item[i].pcid == pcid)
			return true;
	return false;
}

static void take_one(struct smmu_vcpu *vcpu, struct smmu_entry *e,
		     struct smmu_flush f)
{
	VCPU_STAT(vcpu, flushes[f.scope]);
	e->flush[e->nr_flushes++] = f;
}

void flush_take(struct smmu_vcpu *vcpu, struct smmu_entry *e)
{
	struct flush_queue *q = &vcpu->flushes;
	e->nr_flushes = 0;
	if (q->vcpu_all) {
		take_one(vcpu, e,
			 (struct smmu_flush){ .scope = SMMU_FLUSH_VCPU_ALL });
	} else {
		for (unsigned i = 0; i < q->n; i++)
			take_one(vcpu, e, q->item[i]);
		if (q->vcpu) /* flush_local kept a place for it */
			take_one(vcpu, e,
				 (struct smmu_flush){
					 .scope = SMMU_FLUSH_VCPU });
	}
	q->n = 0;
	q->vcpu = q->vcpu_all = false;
}

/* ---- remote requests ---- */

/* flush_all_cpus, for a host that cannot be told which CPUs to reach. */
static void flush_every_cpu(struct smmu_vm *vm, unsigned flags)
{
	for (struct smmu_vcpu *v = vm->vcpus; v; v = v->next)
		if (flags & REMOTE_STATE)
			__atomic_or_fetch(&v->place.pending, PENDING_RELOAD,
					  __ATOMIC_SEQ_CST);
	vm->ops->flush_all_cpus(vm->host);
	__atomic_add_fetch(&vm->shadow.remote_flushes, 1, __ATOMIC_RELEASE);
}

static void cpu_set_add(struct smmu_cpu_set *s, unsigned cpu)
{
	s->bits[cpu / 64] |= 1ull << (cpu % 64);
}

void flush_remote(struct smmu_vm *vm, unsigned flags)
{
	MMU_LOCK_HELD(vm);
	const struct smmu_policy *pol = &vm->policy;
	vm->shadow.writable_dropped = false;
	SHADOW_STAT(vm, remote_requests);
	if (!vm->ops->kick_cpus ||
	    __atomic_load_n(&vm->placement_unknown, __ATOMIC_ACQUIRE)) {
		flush_every_cpu(vm, flags);
		return;
	}
	bool assist = vm->ops->assisted_flush && pol->use_assisted &&
		      !(flags & REMOTE_STATE) &&
		      !((flags & REMOTE_FREES) && pol->ipi_for_frees);
	uint32_t owed =
		PENDING_FLUSH | ((flags & REMOTE_STATE) ? PENDING_RELOAD : 0);
	struct smmu_cpu_set kick = { { 0 } }, assisted = { { 0 } };
	bool any_kick = false, any_assisted = false, unplaced = false;
	unsigned nr_kicked = 0, nr_assisted = 0;
	/* What the caller changed (sptes zapped or write-protected) is
	 * visible before the TLB clock is read: a vCPU found clean either
	 * enters after this (flush_entering's sequentially consistent store
	 * orders its walks after its dirty mark) and walks the changed
	 * tables, or is seen dirty. Without the fence the read of `dirty`
	 * may pass the caller's last stores. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	for (struct smmu_vcpu *v = vm->vcpus; v; v = v->next) {
		struct vcpu_placement *p = &v->place;
		/* Nothing cached since its last full flush, and nothing to
		 * change but the TLB: nothing to do (the TLB clock). */
		if (pol->tlb_clock && !(flags & REMOTE_STATE) &&
		    !__atomic_load_n(&p->dirty, __ATOMIC_ACQUIRE)) {
			SHADOW_STAT(vm, remote_skipped);
			continue;
		}
		SHADOW_STAT(vm, remote_targets);
		/* Owed first, then look: a vCPU entering meanwhile either
		 * sees what it owes, or is seen in guest mode (the pair of
		 * sequentially consistent accesses in flush_entering). */
		__atomic_or_fetch(&p->pending, owed, __ATOMIC_SEQ_CST);
		bool in_guest = __atomic_load_n(&p->in_guest, __ATOMIC_SEQ_CST);
		int cpu = __atomic_load_n(&p->cpu, __ATOMIC_ACQUIRE);
		if (in_guest && cpu < 0) {
			/* In guest mode on no CPU the library knows: an entry
			 * without smmu_vcpu_load that set placement_unknown
			 * after this request read it. Only flush_all_cpus
			 * reaches it; later requests see the flag. */
			unplaced = true;
			continue;
		}
		if ((!in_guest && pol->defer_idle && !pol->whole_vm) ||
		    cpu < 0) {
			/* It flushes before it caches anything again. */
			__atomic_store_n(&p->dirty, 0, __ATOMIC_RELEASE);
			SHADOW_STAT(vm, remote_deferred);
			continue;
		}
		if (assist && in_guest) {
			/* Flushed where it runs; it need not do it again. */
			cpu_set_add(&assisted, (unsigned)cpu);
			__atomic_and_fetch(&p->pending, ~PENDING_FLUSH,
					   __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&p->emptied, 1, __ATOMIC_RELEASE);
			any_assisted = true;
			nr_assisted++;
		} else {
			__atomic_store_n(&p->dirty, 0, __ATOMIC_RELEASE);
			cpu_set_add(&kick, (unsigned)cpu);
			any_kick = true;
			nr_kicked++;
		}
	}
	if (any_assisted) {
		vm->ops->assisted_flush(vm->host, &assisted);
		SHADOW_STAT(vm, assisted);
		SHADOW_STAT_ADD(vm, assisted_cpus, nr_assisted);
	}
	if (any_kick) {
		vm->ops->kick_cpus(vm->host, &kick);
		SHADOW_STAT(vm, kicks);
		SHADOW_STAT_ADD(vm, kicked_cpus, nr_kicked);
	}
	if (unplaced)
		flush_every_cpu(vm, flags);
}

uint32_t flush_take_pending(struct smmu_vcpu *vcpu)
{
	return __atomic_exchange_n(&vcpu->place.pending, 0, __ATOMIC_SEQ_CST);
}

bool flush_entering(struct smmu_vcpu *vcpu)
{
	struct vcpu_placement *p = &vcpu->place;
	__atomic_store_n(&p->dirty, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&p->in_guest, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&p->pending, __ATOMIC_SEQ_CST) ||
	    bug_planted(vcpu->vm, SMMU_INJECT_ENTRY_MISSES_REQUESTS))
		return true;
	__atomic_store_n(&p->in_guest, 0, __ATOMIC_SEQ_CST);
	return false;
}
