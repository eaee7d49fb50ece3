/* SPDX-License-Identifier: MIT */
/*
 * Shadow pages of the naive MMU: who owns them, how a fault reserves the
 * pages it needs before touching any root, how pool pressure takes pages
 * back from other vCPUs, and how freed pages wait for an RCU grace period.
 *
 * The order of means under pressure matters for progress: unused roots
 * first (no remote flush), then pages already waiting for a grace period,
 * then the running root of a vCPU that is not itself reserving (kicked by
 * IPI); if none is left the vCPU waits for others to finish. A vCPU never
 * takes the root of one that is reserving or was just robbed: vCPUs that
 * take each other's running roots between reserve and use never finish a
 * fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim_rcu.h"

#include "naive_internal.h"

struct page_list *page_list_new(struct sim_pool *pool)
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

void page_list_free_now(struct page_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		sim_pool_free(l->pool, l->hpa[i]);
	free(l->hpa);
	free(l);
}

/* No CPU can be walking the pages once a grace period has passed, neither
 * the hardware walker nor a lock-free software walker (DESIGN 4.6). */
void page_list_free_rcu(struct naive_vm *vm, struct page_list *l)
{
	l->next = vm->deferred;
	vm->deferred = l;
}

void naive_free_deferred_now(struct naive_vm *vm)
{
	while (vm->deferred) {
		struct page_list *next = vm->deferred->next;
		page_list_free_now(vm->deferred);
		vm->deferred = next;
	}
}

/* Wait for a grace period, then free what was deferred before it. Drops
 * the VM lock around the wait, offline: a QSBR thread that waits for a
 * grace period must not hold a lock that online threads block on. */
static void reclaim(struct naive_vm *vm)
{
	struct page_list *batch = vm->deferred;
	vm->deferred = NULL;
	pthread_mutex_unlock(&vm->lock);
	sim_rcu_thread_offline();
	sim_synchronize_rcu();
	sim_rcu_thread_online();
	pthread_mutex_lock(&vm->lock);
	vm->stats.grace_periods++;
	while (batch) {
		struct page_list *next = batch->next;
		page_list_free_now(batch);
		batch = next;
	}
}

struct page_list *slot_unlink(struct naive_vm *vm, struct slot *sl)
{
	struct page_list *l = sl->pages;
	sl->valid = false;
	sl->pages = NULL;
	/* Read without the lock by the owner's lock-free walker. */
	__atomic_store_n(&sl->root_hpa, 0, __ATOMIC_RELEASE);
	sl->root_hva = NULL;
	sl->hw_stale = true;
	sl->need_sync = false;
	vm->stats.zaps++;
	return l;
}

struct kick {
	struct sim_vcpu *owner;
	uint16_t vpid, pcid;
};

static void kick_fn(struct sim_cpu *cpu, void *arg)
{
	struct kick *k = arg;
	hw_tlb_invpcid(cpu->tlb, k->vpid, HW_INVPCID_SINGLE, k->pcid, 0);
	/* Runs on the owner's CPU, the only thread that touches this. */
	k->owner->need_entry = true; /* reload the root before guest code */
	free(k);
}

/* Send a kick to the owner's CPU. An owner that shares the sender's CPU
 * is not running, and a CPU does not interrupt itself (sim_ipi ignores
 * the sender's own bit, which left the kick unrun and its memory
 * leaked): the kick is done here, as the interrupt would have done it. */
static void send_kick(struct sim_vcpu *self, uint64_t target, struct kick *k,
		      bool wait)
{
	if (target & (1ull << self->cpu->id))
		kick_fn(self->cpu, k);
	else
		sim_ipi(self->cpu, target, kick_fn, k, wait);
}

static void flush_fn(struct sim_cpu *cpu, void *arg)
{
	struct kick *k = arg;
	hw_tlb_invpcid(cpu->tlb, k->vpid, HW_INVPCID_SINGLE, k->pcid, 0);
}

/* The least recently used root that `self` may take: one nobody runs,
 * or (with `running`) the running root of another vCPU that is not
 * reserving. */
static bool pick_victim(struct sim_vcpu *self, bool running,
			struct sim_vcpu **owner, int *slot)
{
	struct sim *s = self->sim;
	uint64_t best = UINT64_MAX;
	*slot = -1;
	for (unsigned i = 0; i < s->cfg.nr_vcpus; i++) {
		struct naive_vcpu *c = nvc(&s->vcpu[i]);
		for (int k = 0; k < NAIVE_SLOTS; k++) {
			struct slot *sl = &c->slot[k];
			bool current = k == c->cur;
			if (!sl->valid || current != running)
				continue;
			if (current && (&s->vcpu[i] == self || c->reserving ||
					c->protected_faults))
				continue;
			if (sl->last_used < best) {
				best = sl->last_used;
				*owner = &s->vcpu[i];
				*slot = k;
			}
		}
	}
	return *slot >= 0;
}

/* Take another vCPU's running root: its CPU must drop what it cached and
 * it must reload before running guest code. Drops the VM lock around the
 * remote operation. */
static void steal_running(struct sim_vcpu *self, struct sim_vcpu *owner,
			  int victim)
{
	struct sim *s = self->sim;
	struct naive_vm *vm = nvm(s);
	struct page_list *l = slot_unlink(vm, &nvc(owner)->slot[victim]);
	uint64_t target = 1ull << owner->cpu->id;
	struct kick *k = malloc(sizeof(*k));
	if (!k)
		abort();
	*k = (struct kick){ owner, owner->vpid, hw_pcid(victim) };
	struct kick flush = *k;

	nvc(owner)->protected_faults = 2;
	vm->stats.steals_current++;
	vm->stats.kicks++;
	pthread_mutex_unlock(&vm->lock);
	if (knob(self, NAIVE_FREE_AFTER_ASSISTED)) {
		/* The seed-003 bug: the assisted flush waits for nobody, and
		 * the pages are freed at once. */
		sim_assisted(self->cpu, target, flush_fn, &flush);
		send_kick(self, target, k, false);
		pthread_mutex_lock(&vm->lock);
		page_list_free_now(l);
		return;
	}
	if (s->cfg.assisted_flush) {
		/* Safe with an assisted flush because of RCU: the owner
		 * passes a quiescent state only after taking the kick. */
		sim_assisted(self->cpu, target, flush_fn, &flush);
		send_kick(self, target, k, false);
	} else {
		send_kick(self, target, k, true);
	}
	pthread_mutex_lock(&vm->lock);
	page_list_free_rcu(vm, l);
}

bool naive_reserve(struct sim_vcpu *v)
{
	struct naive_vm *vm = nvm(v->sim);
	struct naive_vcpu *c = nvc(v);
	struct sim_vcpu *owner;
	int victim;
	bool ok = true;

	c->reserving = true;
	while (c->nr_reserve < NAIVE_RESERVE) {
		uint64_t hpa;
		void *hva;
		if (sim_pool_alloc(&v->sim->pool, &hpa, &hva)) {
			c->reserve_hpa[c->nr_reserve] = hpa;
			c->reserve_hva[c->nr_reserve++] = hva;
		} else if (pick_victim(v, false, &owner, &victim)) {
			/* Nobody runs it: its hardware PCID is flushed when
			 * the slot is used again. */
			page_list_free_rcu(
				vm, slot_unlink(vm, &nvc(owner)->slot[victim]));
			vm->stats.steals++;
		} else if (vm->deferred) {
			reclaim(vm);
		} else if (pick_victim(v, true, &owner, &victim)) {
			vm->stats.steals++;
			steal_running(v, owner, victim);
		} else {
			/* Everything is in use by vCPUs mid-fault: the caller
			 * waits for them. A robbed vCPU that has to wait
			 * gives up its protection, or all could wait on each
			 * other. */
			c->protected_faults = 0;
			ok = false;
			break;
		}
	}
	c->reserving = false;
	return ok;
}

void *naive_take_page(struct sim_vcpu *v, struct slot *sl, uint64_t *hpa)
{
	struct naive_vcpu *c = nvc(v);
	if (c->nr_reserve == 0) {
		fprintf(stderr, "naive: a fault used more than its reserve\n");
		abort();
	}
	c->nr_reserve--;
	*hpa = c->reserve_hpa[c->nr_reserve];
	page_list_add(sl->pages, *hpa);
	nvm(v->sim)->stats.pages++;
	return c->reserve_hva[c->nr_reserve];
}

void naive_release_reserve(struct sim_vcpu *v)
{
	struct naive_vcpu *c = nvc(v);
	while (c->nr_reserve)
		sim_pool_free(&v->sim->pool, c->reserve_hpa[--c->nr_reserve]);
}
