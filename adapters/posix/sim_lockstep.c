/* SPDX-License-Identifier: MIT */
/*
 * Lockstep turns (sim_lockstep.h). A CPU waiting for its turn is
 * RCU-offline: it sits at an instruction boundary, a quiescent state, so
 * the CPU whose turn it is may wait for a grace period (the library's
 * host does, to reuse shadow pages) without handing its turn over.
 */
#include "sim_lockstep.h"

#include <time.h>
#include "sim_rcu.h"

static uint64_t bit(unsigned id)
{
	return UINT64_C(1) << id;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The member after `id` in id order, wrapping; `id` itself if it is the
 * only one. Lock held, members not empty. */
static unsigned next_member(const struct sim_lockstep *ls, unsigned id)
{
	uint64_t after = id == 63 ? 0 : ls->members & ~(bit(id + 1) - 1);
	uint64_t pick = after ? after : ls->members;
	return (unsigned)__builtin_ctzll(pick);
}

/* Give the turn to `next` (lock held). */
static void hand_to(struct sim_lockstep *ls, unsigned next)
{
	ls->turn = next;
	pthread_cond_signal(&ls->cond[next]);
}

static void wait_turn(struct sim_lockstep *ls, struct sim_cpu *cpu)
{
	uint64_t start = now_ns();
	sim_rcu_thread_offline();
	pthread_mutex_lock(&ls->lock);
	while (ls->turn != cpu->id)
		pthread_cond_wait(&ls->cond[cpu->id], &ls->lock);
	pthread_mutex_unlock(&ls->lock);
	sim_rcu_thread_online();
	/* Only the CPU's own thread writes it; others may read it. */
	__atomic_store_n(&cpu->stats.turn_wait_ns,
			 cpu->stats.turn_wait_ns + (now_ns() - start),
			 __ATOMIC_RELAXED);
}

void sim_lockstep_init(struct sim_lockstep *ls, unsigned nr)
{
	pthread_mutex_init(&ls->lock, NULL);
	for (unsigned i = 0; i < SIM_MAX_CPUS; i++)
		pthread_cond_init(&ls->cond[i], NULL);
	ls->members = nr == 64 ? UINT64_MAX : bit(nr) - 1;
	ls->turn = 0;
}

void sim_lockstep_fini(struct sim_lockstep *ls)
{
	for (unsigned i = 0; i < SIM_MAX_CPUS; i++)
		pthread_cond_destroy(&ls->cond[i]);
	pthread_mutex_destroy(&ls->lock);
}

void sim_lockstep_join(struct sim_lockstep *ls, struct sim_cpu *cpu)
{
	wait_turn(ls, cpu);
}

void sim_lockstep_pass(struct sim_lockstep *ls, struct sim_cpu *cpu)
{
	pthread_mutex_lock(&ls->lock);
	bool handed = false;
	if (ls->members & bit(cpu->id)) {
		unsigned next = next_member(ls, cpu->id);
		if (next != cpu->id) {
			hand_to(ls, next);
			handed = true;
		}
	}
	pthread_mutex_unlock(&ls->lock);
	if (handed)
		wait_turn(ls, cpu);
}

void sim_lockstep_leave(struct sim_lockstep *ls, struct sim_cpu *cpu)
{
	pthread_mutex_lock(&ls->lock);
	ls->members &= ~bit(cpu->id);
	if (ls->members && ls->turn == cpu->id)
		hand_to(ls, next_member(ls, cpu->id));
	pthread_mutex_unlock(&ls->lock);
}
