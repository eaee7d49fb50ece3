/* SPDX-License-Identifier: MIT */
/*
 * Guest memory changes through the reference model (ref_model.h): the
 * guest's stores, a device's, the MMU's accessed/dirty updates and frames
 * the host takes away. Each change and the record of the old value in the
 * model's history happen together under the model's lock, so that no
 * check sees one without the other. The MMU's own writes are also judged
 * here: it may only set A/D on entries a walk of the access in flight
 * uses, and D only with a write through that leaf.
 */
#include "ref_model_internal.h"

/* Keep the value history as short as the vCPUs allow, or long runs slow
 * down with it. */
static void maybe_forget(struct ref_model *m)
{
	if (++m->writes_since_forget < 4096)
		return;
	m->writes_since_forget = 0;
	uint64_t floor = m->epoch;
	for (unsigned i = 0; i < m->cfg.nr_vcpus; i++) {
		uint64_t f = ref_model_vcpu_floor(m, &m->vcpu[i]);
		if (f < floor)
			floor = f;
	}
	ref_memory_forget(&m->mem, floor);
}

struct on_path {
	uint64_t gpa;
	bool found, leaf;
};

static bool visit_on_path(const struct ref_cand *c, void *arg)
{
	struct on_path *p = arg;
	if (c->fault)
		return false;
	for (int i = 0; i < c->nr_slots; i++) {
		if (c->slot[i] == p->gpa) {
			p->found = true;
			p->leaf |= i == c->nr_slots - 1;
		}
	}
	return p->found && p->leaf;
}

/* Is `gpa` an entry on some walk vCPU v could be making for `la`? */
static void find_on_path(struct ref_model *m, struct rvcpu *c, uint64_t la,
			 struct on_path *p)
{
	uint64_t floor = ref_model_vcpu_floor(m, c);
	for (unsigned i = 0; i < c->nr_roots; i++) {
		struct ref_walk w = { .mem = &m->mem,
				      .maxphyaddr = m->cfg.maxphyaddr,
				      .gbpages = m->cfg.gbpages,
				      .root = &c->roots[i],
				      .la = la,
				      .floor = floor,
				      .visit = visit_on_path,
				      .arg = p };
		ref_walk_run(&w);
		if (p->found && p->leaf)
			return;
	}
}

/* May the MMU have changed `old` to `new_val` at gpa while handling
 * `inflight`? Only accessed/dirty flags, set by a walk of that access. */
static bool mmu_change_allowed(struct ref_model *m, unsigned v, uint64_t gpa,
			       uint64_t old, uint64_t new_val,
			       const struct smmu_access *inflight,
			       struct ref_verdict *verdict)
{
	uint64_t changed = old ^ new_val;
	uint64_t set = changed & new_val;
	if (changed & ~(X86_PTE_A | X86_PTE_D)) {
		ref_model_describe(
			verdict,
			"MMU changed guest memory at %#llx beyond A/D: %#llx "
			"-> %#llx",
			(unsigned long long)gpa, (unsigned long long)old,
			(unsigned long long)new_val);
		return false;
	}
	if (changed != set) {
		ref_model_describe(verdict, "MMU cleared A/D at %#llx",
				   (unsigned long long)gpa);
		return false;
	}
	if (!set)
		return true;
	struct on_path p = { .gpa = gpa };
	struct rvcpu *c = &m->vcpu[v];
	if (inflight)
		find_on_path(m, c, ref_model_la_of_mode(&c->regs, inflight->la),
			     &p);
	if (!p.found) {
		ref_model_describe(
			verdict,
			"vcpu %u: MMU set A/D at %#llx, which no walk of the "
			"access in flight uses",
			v, (unsigned long long)gpa);
		return false;
	}
	if ((set & X86_PTE_D) &&
	    !(p.leaf && (inflight->flags & SMMU_ACCESS_WRITE))) {
		ref_model_describe(
			verdict,
			"vcpu %u: MMU set D at %#llx without a write through "
			"that leaf",
			v, (unsigned long long)gpa);
		return false;
	}
	return true;
}

bool ref_model_store(struct ref_model *m, uint64_t gpa, uint64_t val)
{
	uint64_t *p = smmu_posix_ram_ptr(m->cfg.ram, gpa, 8);
	if (!p || (gpa & 7))
		return false;
	pthread_mutex_lock(&m->lock);
	uint64_t old = __atomic_exchange_n(p, val, __ATOMIC_SEQ_CST);
	m->epoch++;
	ref_memory_record(&m->mem, gpa, 8, old, m->epoch);
	maybe_forget(m);
	pthread_mutex_unlock(&m->lock);
	return true;
}

bool ref_model_device_store(struct ref_model *m, uint64_t gpa, uint64_t val)
{
	uint64_t *p = smmu_posix_ram_ptr(m->cfg.ram, gpa, 8);
	if (!p || (gpa & 7))
		return false;
	pthread_mutex_lock(&m->lock);
	uint64_t old = __atomic_exchange_n(p, val, __ATOMIC_SEQ_CST);
	ref_memory_record(&m->mem, gpa, 8, old, REF_FOREVER);
	pthread_mutex_unlock(&m->lock);
	return true;
}

void ref_model_device_store_done(struct ref_model *m, uint64_t gpa)
{
	pthread_mutex_lock(&m->lock);
	m->epoch++;
	ref_memory_close(&m->mem, gpa & ~7ull, m->epoch);
	maybe_forget(m);
	pthread_mutex_unlock(&m->lock);
}

int ref_model_cmpxchg(struct ref_model *m, unsigned v, uint64_t gpa,
		      unsigned size, uint64_t old, uint64_t new_val,
		      const struct smmu_access *inflight,
		      struct ref_verdict *verdict, bool *allowed)
{
	void *p = smmu_posix_ram_ptr(m->cfg.ram, gpa, size);
	*allowed = true;
	if (!p || (size != 4 && size != 8) || (gpa & (size - 1)))
		return SMMU_GPA_NOT_RAM;
	pthread_mutex_lock(&m->lock);
	bool done = smmu_posix_cmpxchg(p, size, old, new_val);
	if (done) {
		*allowed = mmu_change_allowed(m, v, gpa, old, new_val, inflight,
					      verdict);
		m->epoch++;
		ref_memory_record(&m->mem, gpa, size, old, m->epoch);
		maybe_forget(m);
	}
	pthread_mutex_unlock(&m->lock);
	return done ? SMMU_GPA_OK : SMMU_GPA_CHANGED;
}

int ref_model_take_away(struct ref_model *m, struct smmu_posix_ram *ram,
			uint64_t gpa, uint64_t len)
{
	pthread_mutex_lock(&m->lock);
	m->epoch++;
	for (uint64_t slot = gpa & ~7ull; slot < gpa + len; slot += 8) {
		const uint64_t *p = smmu_posix_ram_ptr(m->cfg.ram, slot, 8);
		if (p)
			ref_memory_record(&m->mem, slot, 8,
					  __atomic_load_n(p, __ATOMIC_ACQUIRE),
					  m->epoch);
	}
	int r = smmu_posix_ram_take_away(ram, gpa, len);
	maybe_forget(m);
	pthread_mutex_unlock(&m->lock);
	return r;
}
