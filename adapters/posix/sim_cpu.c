/* SPDX-License-Identifier: MIT */
/*
 * Simulated physical CPUs (sim_cpu.h).
 *
 * Ownership of an IPI: sim_ipi builds one request (function, argument,
 * completion counter) with one mailbox message per target inside it. Each
 * target runs the function, then decrements the counter; that decrement is
 * its last access to the request. A request the sender waits for lives in
 * the sender's stack frame, which the wait keeps alive until the counter is
 * 0. A request nobody waits for is heap-allocated and the target whose
 * decrement reaches 0 frees it.
 *
 * Shutdown: a CPU whose body has returned is idle, not gone: it keeps
 * taking IPIs until every body has returned and no IPI of the run is still
 * unserviced (an IPI handler may itself send one), so a CPU that is still
 * running never waits on a CPU that has left.
 *
 * RCU: every boundary is a QSBR quiescent state, and so is every wait in
 * sim_ipi (it passes boundaries): a caller must not hold an RCU-protected
 * pointer across either. Idle CPUs are RCU-offline, so they do not hold up
 * grace periods. liburcu is used through its library calls, not its
 * _LGPL_SOURCE inline versions, and through sim_rcu.h, which shows its
 * grace periods to ThreadSanitizer.
 *
 * Conventions the header leaves open: IPI handlers run with interrupts
 * disabled; target bits of CPUs that do not exist are ignored, so
 * UINT64_MAX means "all others"; a body that returns with interrupts
 * disabled has them enabled for it; a NULL TLB config makes CPUs without
 * a TLB. The mailbox is written under its lock but also read without it,
 * to keep a boundary with nothing pending free of locks.
 */
#define _GNU_SOURCE
#include "sim_cpu.h"
#include "sim_lockstep.h"

#include <assert.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim_rcu.h"

/* One sim_cpus_run: what idle CPUs watch to know when they may leave. */
struct sim_run {
	sim_cpu_fn body;
	void *arg;
	unsigned bodies_running;
	unsigned long ipis_in_flight; /* sent in this run, not yet serviced */
	struct sim_lockstep *ring;    /* with cpus->lockstep, else NULL */
};

struct sim_ipi_req;

struct sim_ipi_msg {
	struct sim_ipi_msg *next; /* in the target's mailbox */
	struct sim_ipi_req *req;
};

struct sim_ipi_req {
	sim_cpu_fn fn;
	void *arg;
	unsigned pending;    /* targets that have not run fn yet */
	bool sender_waits;   /* on the sender's stack, else on the heap */
	struct sim_run *run; /* the sender's run, NULL outside one */
	struct sim_ipi_msg msg[SIM_MAX_CPUS]; /* msg[i] goes to CPU i */
};

#ifdef SIM_RCU_TSAN
char sim_rcu_tsan_gp;
#endif

static _Thread_local struct sim_cpu *tls_self;
static _Thread_local struct sim_run *tls_run;

/* For counters other threads may also bump. */
static void stat_inc(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* For counters only the CPU's own thread bumps (boundaries are the hot
 * path): no locked instruction, yet safe for others to read. */
static void stat_inc_own(uint64_t *counter)
{
	__atomic_store_n(counter,
			 __atomic_load_n(counter, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

/* The array a CPU belongs to: cpu[id] is the CPU itself. */
static struct sim_cpus *cpus_of(struct sim_cpu *cpu)
{
	return (struct sim_cpus *)((char *)(cpu - cpu->id) -
				   offsetof(struct sim_cpus, cpu));
}

/* Target bits of CPUs that exist, the sender's own bit removed. */
static uint64_t valid_targets(struct sim_cpu *self, uint64_t targets)
{
	unsigned nr = cpus_of(self)->nr;
	uint64_t all = nr == 64 ? UINT64_MAX : (UINT64_C(1) << nr) - 1;
	return targets & all & ~(UINT64_C(1) << self->id);
}

int sim_cpus_init(struct sim_cpus *cpus, unsigned nr,
		  const struct hw_tlb_config *tlb)
{
	memset(cpus, 0, sizeof(*cpus));
	if (nr == 0 || nr > SIM_MAX_CPUS)
		return -1;
	for (unsigned i = 0; i < nr; i++) {
		struct sim_cpu *cpu = &cpus->cpu[i];
		cpu->id = i;
		pthread_mutex_init(&cpu->lock, NULL);
		cpus->nr = i + 1;
		/* No config: a CPU without a TLB, for tests of the CPU
		 * machinery alone. */
		if (tlb) {
			cpu->tlb = hw_tlb_create(tlb);
			if (!cpu->tlb) {
				sim_cpus_fini(cpus);
				return -1;
			}
		}
	}
	return 0;
}

static void complete(struct sim_ipi_msg *msg)
{
	struct sim_ipi_req *req = msg->req;
	/* Read before the decrement: after it, a waited-for request may be
	 * gone with its sender's stack frame. */
	bool owned_by_targets = !req->sender_waits;
	struct sim_run *run = req->run;

	if (run)
		__atomic_fetch_sub(&run->ipis_in_flight, 1, __ATOMIC_RELEASE);
	if (__atomic_sub_fetch(&req->pending, 1, __ATOMIC_ACQ_REL) == 0 &&
	    owned_by_targets)
		free(req);
}

void sim_cpus_fini(struct sim_cpus *cpus)
{
	for (unsigned i = 0; i < cpus->nr; i++) {
		struct sim_cpu *cpu = &cpus->cpu[i];
		/* IPIs sent outside a run to a CPU that never ran again: only
		 * unwaited ones can be left, and their memory is ours. */
		struct sim_ipi_msg *msg = cpu->mailbox;
		while (msg) {
			struct sim_ipi_msg *next = msg->next;
			complete(msg);
			msg = next;
		}
		if (cpu->tlb)
			hw_tlb_destroy(cpu->tlb);
		pthread_mutex_destroy(&cpu->lock);
	}
	memset(cpus, 0, sizeof(*cpus));
}

struct sim_cpu *sim_cpu_self(void)
{
	return tls_self;
}

static struct sim_ipi_msg *take_mailbox(struct sim_cpu *cpu)
{
	/* Unlocked peek: a boundary with nothing pending is the hot path. */
	if (!__atomic_load_n(&cpu->mailbox, __ATOMIC_ACQUIRE))
		return NULL;
	pthread_mutex_lock(&cpu->lock);
	struct sim_ipi_msg *msgs = cpu->mailbox;
	__atomic_store_n(&cpu->mailbox, NULL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&cpu->lock);
	return msgs;
}

/* Take the interrupts that are pending now, oldest first. Handlers run
 * with interrupts disabled, as through an x86 interrupt gate: a handler
 * cannot be interrupted by the next IPI, and one that waits for an IPI of
 * its own aborts in sim_ipi. */
static void run_mailbox(struct sim_cpu *cpu, bool delayed)
{
	struct sim_ipi_msg *msg = take_mailbox(cpu);
	if (!msg)
		return;
	bool was_disabled = cpu->irq_disabled;
	cpu->irq_disabled = true;
	cpu->in_ipi = true;
	while (msg) {
		struct sim_ipi_msg *next = msg->next;
		msg->req->fn(cpu, msg->req->arg);
		stat_inc_own(&cpu->stats.ipis_received);
		if (delayed)
			stat_inc_own(&cpu->stats.ipis_delayed);
		complete(msg);
		msg = next;
	}
	cpu->in_ipi = false;
	cpu->irq_disabled = was_disabled;
}

void sim_cpu_boundary(struct sim_cpu *cpu)
{
	assert(cpu == tls_self);
	if (tls_run && tls_run->ring)
		sim_lockstep_pass(tls_run->ring, cpu);
	if (!cpu->irq_disabled)
		run_mailbox(cpu, false);
	stat_inc_own(&cpu->stats.boundaries);
	sim_rcu_quiescent_state();
}

void sim_cpu_irq_disable(struct sim_cpu *cpu)
{
	assert(cpu == tls_self);
	cpu->irq_disabled = true;
}

void sim_cpu_irq_enable(struct sim_cpu *cpu)
{
	assert(cpu == tls_self);
	cpu->irq_disabled = false;
	/* Whatever is pending now waited for this: it arrived while
	 * interrupts were off, or just before and was not yet taken. */
	run_mailbox(cpu, true);
}

static void post(struct sim_cpu *target, struct sim_ipi_msg *msg)
{
	pthread_mutex_lock(&target->lock);
	struct sim_ipi_msg **tail = &target->mailbox;
	while (*tail)
		tail = &(*tail)->next;
	msg->next = NULL;
	__atomic_store_n(tail, msg, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&target->lock);
}

void sim_ipi(struct sim_cpu *self, uint64_t targets, sim_cpu_fn fn, void *arg,
	     bool wait)
{
	struct sim_cpus *cpus = cpus_of(self);
	targets = valid_targets(self, targets);
	if (!targets)
		return;
	if (wait && self != tls_self) {
		fprintf(stderr, "sim_ipi: waiting as CPU %u off its thread\n",
			self->id);
		abort();
	}
	if (wait && self->irq_disabled) {
		fprintf(stderr,
			"sim_ipi: CPU %u waits for an IPI with interrupts "
			"disabled\n",
			self->id);
		abort();
	}

	struct sim_ipi_req on_stack;
	struct sim_ipi_req *req = wait ? &on_stack : malloc(sizeof(*req));
	if (!req)
		abort();
	req->fn = fn;
	req->arg = arg;
	req->pending = (unsigned)__builtin_popcountll(targets);
	req->sender_waits = wait;
	req->run = tls_run;
	if (req->run)
		__atomic_fetch_add(&req->run->ipis_in_flight, req->pending,
				   __ATOMIC_RELAXED);

	stat_inc(&self->stats.ipi_requests);
	/* Posting to the last target is the sender's last access to a heap
	 * request: that target may run it and free it at once. */
	for (uint64_t t = targets; t; t &= t - 1) {
		unsigned id = (unsigned)__builtin_ctzll(t);
		req->msg[id].req = req;
		stat_inc(&self->stats.ipis_sent);
		post(&cpus->cpu[id], &req->msg[id]);
	}

	if (!wait)
		return;
	while (__atomic_load_n(&req->pending, __ATOMIC_ACQUIRE) != 0) {
		sim_cpu_boundary(self);
		sched_yield();
	}
}

void sim_assisted(struct sim_cpu *self, uint64_t targets, sim_cpu_fn fn,
		  void *arg)
{
	struct sim_cpus *cpus = cpus_of(self);
	targets = valid_targets(self, targets);
	uint64_t seq[SIM_MAX_CPUS];
	if (targets)
		stat_inc(&self->stats.assisted_requests);
	for (uint64_t t = targets; t; t &= t - 1) {
		struct sim_cpu *target = &cpus->cpu[__builtin_ctzll(t)];
		fn(target, arg);
		seq[target->id] =
			__atomic_load_n(&target->access_seq, __ATOMIC_ACQUIRE);
		stat_inc(&self->stats.assisted_sent);
		stat_inc(&target->stats.assisted_received);
	}
	/* An access in flight ends without waiting for anything: spinning
	 * here cannot deadlock. */
	for (uint64_t t = targets; t; t &= t - 1) {
		struct sim_cpu *target = &cpus->cpu[__builtin_ctzll(t)];
		if (!(seq[target->id] & 1))
			continue;
		while (__atomic_load_n(&target->access_seq, __ATOMIC_ACQUIRE) ==
		       seq[target->id])
			sched_yield();
	}
}

void sim_cpu_access_begin(struct sim_cpu *cpu)
{
	__atomic_store_n(&cpu->access_seq, cpu->access_seq + 1,
			 __ATOMIC_SEQ_CST);
}

void sim_cpu_access_end(struct sim_cpu *cpu)
{
	__atomic_store_n(&cpu->access_seq, cpu->access_seq + 1,
			 __ATOMIC_RELEASE);
}

/* No body can send any more IPIs, and every IPI sent has been taken (a
 * handler may send another before its own is counted done). */
static bool run_is_over(struct sim_run *run)
{
	return __atomic_load_n(&run->bodies_running, __ATOMIC_ACQUIRE) == 0 &&
	       __atomic_load_n(&run->ipis_in_flight, __ATOMIC_ACQUIRE) == 0;
}

struct cpu_start {
	struct sim_run *run;
	struct sim_cpu *cpu;
};

static void *cpu_main(void *p)
{
	struct cpu_start *start = p;
	struct sim_cpu *cpu = start->cpu;
	struct sim_run *run = start->run;

	rcu_register_thread();
	tls_self = cpu;
	tls_run = run;

	if (run->ring)
		sim_lockstep_join(run->ring, cpu);
	run->body(cpu, run->arg);
	if (cpu->irq_disabled)
		sim_cpu_irq_enable(cpu);
	if (run->ring)
		sim_lockstep_leave(run->ring, cpu);
	__atomic_fetch_sub(&run->bodies_running, 1, __ATOMIC_RELEASE);

	/* Idle: take IPIs from CPUs still running, offline in between. */
	sim_rcu_thread_offline();
	while (!run_is_over(run)) {
		if (__atomic_load_n(&cpu->mailbox, __ATOMIC_ACQUIRE)) {
			sim_rcu_thread_online();
			sim_cpu_boundary(cpu);
			sim_rcu_thread_offline();
		}
		sched_yield();
	}
	/* IPIs posted from outside the run are not counted in flight. */
	sim_rcu_thread_online();
	sim_cpu_boundary(cpu);

	tls_self = NULL;
	tls_run = NULL;
	sim_rcu_thread_offline();
	rcu_unregister_thread();
	return NULL;
}

void sim_cpus_run(struct sim_cpus *cpus, sim_cpu_fn body, void *arg)
{
	struct sim_run run = {
		.body = body,
		.arg = arg,
		.bodies_running = cpus->nr,
	};
	struct cpu_start start[SIM_MAX_CPUS];
	pthread_t thread[SIM_MAX_CPUS];
	struct sim_lockstep ring;

	/* One CPU takes its turns alone: nothing to hand over. */
	if (cpus->lockstep && cpus->nr > 1) {
		sim_lockstep_init(&ring, cpus->nr);
		run.ring = &ring;
	}

	for (unsigned i = 0; i < cpus->nr; i++) {
		start[i] = (struct cpu_start){ &run, &cpus->cpu[i] };
		if (pthread_create(&thread[i], NULL, cpu_main, &start[i])) {
			fprintf(stderr, "sim_cpus_run: cannot start CPU %u\n",
				i);
			abort();
		}
	}
	for (unsigned i = 0; i < cpus->nr; i++)
		pthread_join(thread[i], NULL);
	if (run.ring)
		sim_lockstep_fini(run.ring);
}
