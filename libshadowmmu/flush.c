/* SPDX-License-Identifier: MIT */
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
		flush_local(vcpu, global ? SMMU_FLUSH_VCPU_ALL : SMMU_FLUSH_VCPU,
			    0, 0);
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
	SHADOW_STAT(vcpu->vm, flushes[f.scope]);
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
				 (struct smmu_flush){ .scope =
							      SMMU_FLUSH_VCPU });
	}
	*q = (struct flush_queue){ 0 };
}

void flush_remote_all(struct smmu_vm *vm)
{
	vm->shadow.writable_dropped = false;
	vm->ops->flush_all_cpus(vm->host);
	__atomic_add_fetch(&vm->shadow.remote_flushes, 1, __ATOMIC_RELEASE);
}
