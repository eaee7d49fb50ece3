/* SPDX-License-Identifier: MIT */
/*
 * Simulated CPUs: IPIs are taken only with interrupts enabled and a waiting
 * sender waits for that; assisted calls interrupt nobody; a CPU that has
 * finished its work still answers the CPUs that have not.
 *
 * The last three tests are the seed-003 property (shared/seeds 003): a
 * lock-free walker that holds a page-table page with interrupts disabled is
 * protected by a flush IPI the freeing CPU waits for, not by an assisted
 * flush, and again by an RCU grace period (the library's fix).
 *
 * CPU bodies run on their own threads, where Criterion's asserts must not
 * be used: they count failures with expect(), and the test thread asserts
 * after sim_cpus_run. Every wait in a body gives up after a second.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "sim_cpu.h"

#define BIT(n) (UINT64_C(1) << (n))

static struct sim_cpus cpus;
static unsigned failures;

#define expect(cond)                                                           \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: expected %s\n", __FILE__,      \
				__LINE__, #cond);                              \
			__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);    \
		}                                                              \
	} while (0)

static unsigned load(const unsigned *v)
{
	return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}

static void store(unsigned *v, unsigned value)
{
	__atomic_store_n(v, value, __ATOMIC_RELEASE);
}

static unsigned next_seq(unsigned *seq)
{
	return __atomic_add_fetch(seq, 1, __ATOMIC_ACQ_REL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wait until *v == value, passing boundaries on `cpu` unless it is NULL
 * (inside a section that must not contain one). */
static bool wait_for(const unsigned *v, unsigned value, struct sim_cpu *cpu)
{
	uint64_t deadline = now_ns() + 1000000000u;
	while (load(v) != value) {
		if (now_ns() > deadline) {
			expect(!"timed out");
			return false;
		}
		if (cpu)
			sim_cpu_boundary(cpu);
		sched_yield();
	}
	return true;
}

static bool ipi_pending(struct sim_cpu *cpu)
{
	return __atomic_load_n(&cpu->mailbox, __ATOMIC_ACQUIRE) != NULL;
}

static void run(unsigned nr, sim_cpu_fn body, void *arg)
{
	cr_assert_eq(sim_cpus_init(&cpus, nr, NULL), 0);
	failures = 0;
	sim_cpus_run(&cpus, body, arg);
	cr_assert_eq(failures, 0, "%u expectation(s) failed in CPU bodies",
		     failures);
}

static void fini(void)
{
	sim_cpus_fini(&cpus);
}

static uint64_t stat(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

TestSuite(sim_cpu, .fini = fini, .timeout = 4);

/* --- Lifecycle --- */

Test(sim_cpu, init_refuses_zero_and_too_many_cpus)
{
	cr_assert_neq(sim_cpus_init(&cpus, 0, NULL), 0);
	cr_assert_neq(sim_cpus_init(&cpus, SIM_MAX_CPUS + 1, NULL), 0);
	cr_assert_eq(sim_cpus_init(&cpus, SIM_MAX_CPUS, NULL), 0);
	cr_assert_eq(cpus.nr, SIM_MAX_CPUS);
	cr_assert_eq(cpus.cpu[SIM_MAX_CPUS - 1].id, SIM_MAX_CPUS - 1);
	cr_assert_null(cpus.cpu[0].tlb, "no TLB config, no TLB");
}

Test(sim_cpu, init_gives_each_cpu_its_own_tlb)
{
	const struct hw_tlb_config config = { .seed = 1 };
	cr_assert_eq(sim_cpus_init(&cpus, 3, &config), 0);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_not_null(cpus.cpu[i].tlb);
		cr_assert_eq(hw_tlb_size(cpus.cpu[i].tlb), 0);
		for (unsigned j = 0; j < i; j++)
			cr_assert_neq(cpus.cpu[i].tlb, cpus.cpu[j].tlb);
	}
}

struct self_check {
	struct sim_cpu *seen[4];
};

static void record_self(struct sim_cpu *cpu, void *arg)
{
	struct self_check *c = arg;
	c->seen[cpu->id] = sim_cpu_self();
	expect(!cpu->irq_disabled);
}

Test(sim_cpu, each_body_runs_on_its_own_cpu_thread)
{
	struct self_check c = { 0 };
	cr_assert_null(sim_cpu_self());
	run(4, record_self, &c);
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(c.seen[i], &cpus.cpu[i]);
	cr_assert_null(sim_cpu_self(), "the test thread is no CPU");
}

/* --- IPIs --- */

struct ipi_test {
	unsigned ran_mask;   /* bit per CPU that ran the handler */
	unsigned wrong_self; /* handler ran off its target's thread */
	unsigned sender_done;
	unsigned body_returned;
	unsigned handled;
};

static void mark_ran(struct sim_cpu *cpu, void *arg)
{
	struct ipi_test *t = arg;
	if (sim_cpu_self() != cpu)
		__atomic_fetch_add(&t->wrong_self, 1, __ATOMIC_RELAXED);
	__atomic_fetch_or(&t->ran_mask, 1u << cpu->id, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&t->handled, 1, __ATOMIC_ACQ_REL);
}

/* CPU 0 sends to everyone with wait; the others pass boundaries. */
static void broadcast_body(struct sim_cpu *cpu, void *arg)
{
	struct ipi_test *t = arg;
	if (cpu->id == 0) {
		sim_ipi(cpu, UINT64_MAX, mark_ran, t, true);
		expect(load(&t->ran_mask) == ((1u << cpus.nr) - 2));
		store(&t->sender_done, 1);
	} else {
		wait_for(&t->sender_done, 1, cpu);
	}
}

Test(sim_cpu, ipi_with_wait_runs_on_target_before_sim_ipi_returns)
{
	struct ipi_test t = { 0 };
	run(2, broadcast_body, &t);
	cr_assert_eq(t.ran_mask, 0x2);
	cr_assert_eq(t.wrong_self, 0);
	cr_assert_eq(stat(&cpus.cpu[0].stats.ipis_sent), 1);
	cr_assert_eq(stat(&cpus.cpu[1].stats.ipis_received), 1);
	cr_assert_eq(stat(&cpus.cpu[1].stats.ipis_delayed), 0);
}

Test(sim_cpu, ipi_reaches_every_target_and_never_the_sender)
{
	struct ipi_test t = { 0 };
	run(4, broadcast_body, &t);
	cr_assert_eq(t.ran_mask, 0xe, "ran on %#x", t.ran_mask);
	cr_assert_eq(t.wrong_self, 0);
	cr_assert_eq(stat(&cpus.cpu[0].stats.ipis_sent), 3,
		     "interrupts, not requests, are counted");
	cr_assert_eq(stat(&cpus.cpu[0].stats.ipis_received), 0);
	for (unsigned i = 1; i < 4; i++)
		cr_assert_eq(stat(&cpus.cpu[i].stats.ipis_received), 1);
}

struct cli_test {
	unsigned seq; /* orders the events below */
	unsigned cli_done, sti_seq, handler_seq, return_seq;
};

static void note_handler(struct sim_cpu *cpu, void *arg)
{
	struct cli_test *t = arg;
	store(&t->handler_seq, next_seq(&t->seq));
}

static void cli_body(struct sim_cpu *cpu, void *arg)
{
	struct cli_test *t = arg;
	if (cpu->id == 0) {
		wait_for(&t->cli_done, 1, cpu);
		sim_ipi(cpu, BIT(1), note_handler, t, true);
		store(&t->return_seq, next_seq(&t->seq));
		return;
	}
	sim_cpu_irq_disable(cpu);
	store(&t->cli_done, 1);
	uint64_t deadline = now_ns() + 1000000000u;
	while (!ipi_pending(cpu) && now_ns() < deadline)
		sched_yield();
	expect(ipi_pending(cpu));
	/* Boundaries with interrupts off do not take the IPI. */
	for (unsigned i = 0; i < 100; i++)
		sim_cpu_boundary(cpu);
	expect(load(&t->handler_seq) == 0);
	store(&t->sti_seq, next_seq(&t->seq));
	sim_cpu_irq_enable(cpu);
	expect(load(&t->handler_seq) != 0);
}

Test(sim_cpu, ipi_to_cpu_with_interrupts_disabled_waits_until_it_enables)
{
	struct cli_test t = { 0 };
	run(2, cli_body, &t);
	cr_assert_lt(t.sti_seq, t.handler_seq, "taken only after STI");
	cr_assert_lt(t.handler_seq, t.return_seq,
		     "the sender waited for the handler");
	cr_assert_eq(stat(&cpus.cpu[1].stats.ipis_received), 1);
	cr_assert_eq(stat(&cpus.cpu[1].stats.ipis_delayed), 1);
}

#define PINGPONG_ROUNDS 200

struct pingpong {
	unsigned handled[3];
};

static void count_handled(struct sim_cpu *cpu, void *arg)
{
	struct pingpong *p = arg;
	__atomic_fetch_add(&p->handled[cpu->id], 1, __ATOMIC_RELAXED);
}

static void pingpong_body(struct sim_cpu *cpu, void *arg)
{
	for (unsigned i = 0; i < PINGPONG_ROUNDS; i++)
		sim_ipi(cpu, UINT64_MAX, count_handled, arg, true);
}

Test(sim_cpu, cpus_waiting_on_each_others_ipis_all_complete)
{
	struct pingpong p = { 0 };
	run(3, pingpong_body, &p);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(p.handled[i], 2 * PINGPONG_ROUNDS,
			     "CPU %u took %u", i, p.handled[i]);
}

#define LATE_IPIS 100

struct late_test {
	unsigned body_returned;
	unsigned order[LATE_IPIS];
	unsigned nr_run;
	unsigned wrong_self;
};

static void log_order(struct sim_cpu *cpu, void *arg)
{
	struct late_test *t = sim_cpu_self()->user;
	if (sim_cpu_self() != cpu)
		t->wrong_self++;
	t->order[t->nr_run++] = (unsigned)(uintptr_t)arg;
}

static void early_return_body(struct sim_cpu *cpu, void *arg)
{
	struct late_test *t = arg;
	cpu->user = t;
	if (cpu->id == 1) {
		store(&t->body_returned, 1);
		return;
	}
	wait_for(&t->body_returned, 1, cpu);
	for (unsigned i = 0; i < LATE_IPIS - 1; i++)
		sim_ipi(cpu, BIT(1), log_order, (void *)(uintptr_t)i, false);
	/* The last one waits, so all are in before this body returns. */
	sim_ipi(cpu, BIT(1), log_order, (void *)(uintptr_t)(LATE_IPIS - 1),
		true);
	expect(load(&t->nr_run) == LATE_IPIS);
}

Test(sim_cpu, body_that_returns_early_still_takes_ipis_in_order)
{
	struct late_test t = { 0 };
	run(2, early_return_body, &t);
	cr_assert_eq(t.nr_run, LATE_IPIS);
	cr_assert_eq(t.wrong_self, 0);
	for (unsigned i = 0; i < LATE_IPIS; i++)
		cr_assert_eq(t.order[i], i, "oldest first");
}

/* CPU 0 sends without waiting and returns at once; CPU 1's handler sends
 * on to CPU 2, again without waiting. Both must run before the run ends,
 * although every body has returned by then. */
struct chain_test {
	unsigned ran[3];
};

static void chain_last(struct sim_cpu *cpu, void *arg)
{
	struct chain_test *t = arg;
	t->ran[cpu->id]++;
}

static void chain_first(struct sim_cpu *cpu, void *arg)
{
	struct chain_test *t = arg;
	t->ran[cpu->id]++;
	sim_ipi(cpu, BIT(2), chain_last, t, false);
}

static void chain_body(struct sim_cpu *cpu, void *arg)
{
	if (cpu->id == 0)
		sim_ipi(cpu, BIT(1), chain_first, arg, false);
}

Test(sim_cpu, ipis_sent_by_handlers_are_taken_before_the_run_ends)
{
	struct chain_test t = { 0 };
	for (unsigned round = 0; round < 20; round++) {
		run(3, chain_body, &t);
		sim_cpus_fini(&cpus);
	}
	cr_assert_eq(t.ran[0], 0);
	cr_assert_eq(t.ran[1], 20);
	cr_assert_eq(t.ran[2], 20);
}

static void wait_with_interrupts_off_body(struct sim_cpu *cpu, void *arg)
{
	if (cpu->id != 0)
		return;
	sim_cpu_irq_disable(cpu);
	sim_ipi(cpu, BIT(1), chain_last, arg, true);
}

Test(sim_cpu, waiting_for_an_ipi_with_interrupts_disabled_aborts,
     .signal = SIGABRT)
{
	struct chain_test t = { 0 };
	run(2, wait_with_interrupts_off_body, &t);
}

/* --- Assisted calls --- */

struct assisted_test {
	unsigned cli_done, assisted_done;
	unsigned target_in_cli; /* the call ran while the target had IF=0 */
	unsigned ran_on_sender;
	unsigned target_ok;
};

static void assisted_fn(struct sim_cpu *cpu, void *arg)
{
	struct assisted_test *t = arg;
	t->target_ok = cpu->id == 1;
	t->ran_on_sender = sim_cpu_self() == &cpus.cpu[0];
	t->target_in_cli = load(&t->cli_done) == 1;
}

static void assisted_body(struct sim_cpu *cpu, void *arg)
{
	struct assisted_test *t = arg;
	if (cpu->id == 0) {
		wait_for(&t->cli_done, 1, cpu);
		sim_assisted(cpu, BIT(0) | BIT(1), assisted_fn, t);
		store(&t->assisted_done, 1);
		return;
	}
	sim_cpu_irq_disable(cpu);
	store(&t->cli_done, 1);
	/* Had sim_assisted waited for this CPU, this would time out. */
	expect(wait_for(&t->assisted_done, 1, NULL));
	store(&t->cli_done, 2);
	sim_cpu_irq_enable(cpu);
}

Test(sim_cpu, assisted_call_runs_now_without_waiting_for_target_sti)
{
	struct assisted_test t = { 0 };
	run(2, assisted_body, &t);
	cr_assert(t.target_ok, "run for the target, never for the sender");
	cr_assert(t.ran_on_sender);
	cr_assert(t.target_in_cli);
	cr_assert_eq(stat(&cpus.cpu[0].stats.assisted_sent), 1);
	cr_assert_eq(stat(&cpus.cpu[1].stats.assisted_received), 1);
	cr_assert_eq(stat(&cpus.cpu[1].stats.ipis_received), 0);
}

/* A guest access the target began before the flush (translated, not yet
 * stored) has finished when sim_assisted returns. */
struct in_flight_test {
	unsigned access_begun;
	unsigned store_done;
	unsigned seen_after_flush;
};

static void nothing(struct sim_cpu *cpu, void *arg)
{
	(void)cpu;
	(void)arg;
}

static void in_flight_body(struct sim_cpu *cpu, void *arg)
{
	struct in_flight_test *t = arg;
	if (cpu->id == 0) {
		wait_for(&t->access_begun, 1, cpu);
		sim_assisted(cpu, BIT(1), nothing, NULL);
		store(&t->seen_after_flush, load(&t->store_done));
		return;
	}
	sim_cpu_access_begin(cpu);
	store(&t->access_begun, 1);
	/* Give the sender time to return early if it does not wait. */
	uint64_t until = now_ns() + 20000000u;
	while (now_ns() < until)
		sched_yield();
	store(&t->store_done, 1);
	sim_cpu_access_end(cpu);
}

Test(sim_cpu, assisted_call_returns_after_the_targets_access_in_flight)
{
	struct in_flight_test t = { 0 };
	run(2, in_flight_body, &t);
	cr_assert_eq(t.seen_after_flush, 1,
		     "sim_assisted returned while the target's access was "
		     "still in flight");
}

/* --- Seed 003: what keeps a page-table page alive under a CLI walker --- */

#define SEED_ROUNDS 50
#define EXTRA_READS 2000
#define PT_MAGIC    UINT64_C(0x5eed0003)
#define PT_POISON   UINT64_C(0xa5a5a5a5a5a5a5a5)

struct pt_page {
	uint64_t magic; /* PT_POISON once freed */
	unsigned round;
	struct rcu_head rcu;
};

enum flush_kind {
	FLUSH_IPI,	    /* flush IPI, waited for, then free */
	FLUSH_ASSISTED,	    /* assisted flush, then free: seed 003's bug */
	FLUSH_ASSISTED_RCU, /* assisted flush, free after a grace period */
};

struct seed3 {
	enum flush_kind kind;
	struct pt_page *published; /* the page the walker may find */
	unsigned inside;	   /* round whose page the walker holds, IF=0 */
	unsigned freed;		   /* round whose page the freer has retired */
	unsigned left;		   /* round whose section the walker has left */
	unsigned stop;
	unsigned poisoned_rounds; /* rounds in which the walker saw poison */
	unsigned flushes, rcu_frees;
	/* Freeing is simulated by poisoning (as the shadow-page pool does):
	 * the memory itself goes back after the run. */
	struct pt_page *pages[SEED_ROUNDS];
};

static void free_page(struct pt_page *pg)
{
	__atomic_store_n(&pg->magic, PT_POISON, __ATOMIC_RELAXED);
}

static struct seed3 *rcu_test; /* for the RCU callback */

static void free_page_rcu(struct rcu_head *head)
{
	free_page(caa_container_of(head, struct pt_page, rcu));
	__atomic_fetch_add(&rcu_test->rcu_frees, 1, __ATOMIC_RELAXED);
}

static void flush_tlb(struct sim_cpu *cpu, void *arg)
{
	struct seed3 *s = arg;
	__atomic_fetch_add(&s->flushes, 1, __ATOMIC_RELAXED);
}

static void freer(struct sim_cpu *cpu, struct seed3 *s)
{
	for (unsigned r = 1; r <= SEED_ROUNDS; r++) {
		struct pt_page *pg = calloc(1, sizeof(*pg));
		pg->magic = PT_MAGIC;
		pg->round = r;
		s->pages[r - 1] = pg;
		__atomic_store_n(&s->published, pg, __ATOMIC_RELEASE);
		if (!wait_for(&s->inside, r, cpu))
			break;

		__atomic_store_n(&s->published, NULL, __ATOMIC_RELEASE);
		switch (s->kind) {
		case FLUSH_IPI:
			sim_ipi(cpu, BIT(1), flush_tlb, s, true);
			free_page(pg);
			break;
		case FLUSH_ASSISTED:
			sim_assisted(cpu, BIT(1), flush_tlb, s);
			free_page(pg);
			break;
		case FLUSH_ASSISTED_RCU:
			sim_assisted(cpu, BIT(1), flush_tlb, s);
			call_rcu(&pg->rcu, free_page_rcu);
			break;
		}
		store(&s->freed, r);
		if (!wait_for(&s->left, r, cpu))
			break;
	}
	store(&s->stop, 1);
}

static bool is_poisoned(const struct pt_page *pg)
{
	return __atomic_load_n(&pg->magic, __ATOMIC_RELAXED) != PT_MAGIC;
}

/* Walks with interrupts disabled and no boundary inside, like Xen's
 * spurious_page_fault(): it keeps the page it found until the freer has
 * retired it or a flush IPI is pending, then reads it some more. */
static void walker(struct sim_cpu *cpu, struct seed3 *s)
{
	unsigned last = 0;
	while (!load(&s->stop)) {
		sim_cpu_irq_disable(cpu);
		struct pt_page *pg =
			__atomic_load_n(&s->published, __ATOMIC_ACQUIRE);
		if (pg && pg->round != last) {
			unsigned r = last = pg->round;
			bool poisoned = false;
			uint64_t deadline = now_ns() + 1000000000u;
			store(&s->inside, r);
			while (load(&s->freed) != r && !ipi_pending(cpu)) {
				poisoned |= is_poisoned(pg);
				if (now_ns() > deadline) {
					expect(!"freer made no progress");
					break;
				}
				sched_yield();
			}
			for (unsigned i = 0; i < EXTRA_READS; i++)
				poisoned |= is_poisoned(pg);
			s->poisoned_rounds += poisoned;
			sim_cpu_irq_enable(cpu);
			store(&s->left, r);
		} else {
			sim_cpu_irq_enable(cpu);
			sched_yield();
		}
		sim_cpu_boundary(cpu);
	}
}

static void seed3_body(struct sim_cpu *cpu, void *arg)
{
	if (cpu->id == 0)
		freer(cpu, arg);
	else
		walker(cpu, arg);
}

static void seed3_run(struct seed3 *s, enum flush_kind kind)
{
	s->kind = kind;
	rcu_test = s;
	run(2, seed3_body, s);
	rcu_barrier();
	cr_assert_eq(s->left, SEED_ROUNDS);
	cr_assert_eq(s->flushes, SEED_ROUNDS);
	for (unsigned i = 0; i < SEED_ROUNDS; i++) {
		cr_assert(is_poisoned(s->pages[i]), "page %u freed", i);
		free(s->pages[i]);
	}
}

Test(sim_cpu, seed003_free_after_waited_flush_ipi_never_reaches_cli_walker)
{
	struct seed3 s = { 0 };
	seed3_run(&s, FLUSH_IPI);
	cr_assert_eq(s.poisoned_rounds, 0);
	cr_assert_eq(stat(&cpus.cpu[1].stats.ipis_delayed), SEED_ROUNDS,
		     "every flush IPI waited for the walker's STI");
}

Test(sim_cpu, seed003_free_after_assisted_flush_reaches_cli_walker)
{
	struct seed3 s = { 0 };
	seed3_run(&s, FLUSH_ASSISTED);
	cr_assert_eq(s.poisoned_rounds, SEED_ROUNDS,
		     "the walker read a freed page in %u of %u rounds",
		     s.poisoned_rounds, SEED_ROUNDS);
	cr_assert_eq(stat(&cpus.cpu[1].stats.assisted_received), SEED_ROUNDS);
}

Test(sim_cpu, seed003_rcu_deferred_free_after_assisted_flush_is_safe)
{
	struct seed3 s = { 0 };
	seed3_run(&s, FLUSH_ASSISTED_RCU);
	cr_assert_eq(s.poisoned_rounds, 0);
	cr_assert_eq(s.rcu_frees, SEED_ROUNDS);
}

/* --- Lockstep (smmu-bench's reproducible runs) --- */

struct turns {
	unsigned log[64];
	unsigned n;
};

/* Each CPU notes its turn, then passes a boundary; CPU 0 also waits
 * for a grace period once, which it must get while the others wait for
 * their turns. */
static void take_turns(struct sim_cpu *cpu, void *arg)
{
	struct turns *t = arg;
	for (unsigned i = 0; i < 8; i++) {
		unsigned k = __atomic_fetch_add(&t->n, 1, __ATOMIC_ACQ_REL);
		t->log[k] = cpu->id;
		if (cpu->id == 0 && i == 3) {
			rcu_thread_offline();
			synchronize_rcu();
			rcu_thread_online();
		}
		sim_cpu_boundary(cpu);
	}
}

Test(sim_cpu, lockstep_cpus_take_turns_at_each_boundary_in_id_order)
{
	struct turns t = { .n = 0 };
	cr_assert_eq(sim_cpus_init(&cpus, 3, NULL), 0);
	cpus.lockstep = true;
	failures = 0;
	sim_cpus_run(&cpus, take_turns, &t);
	cr_assert_eq(t.n, 24);
	for (unsigned i = 0; i < 24; i++)
		cr_expect_eq(t.log[i], i % 3, "turn %u went to CPU %u", i,
			     t.log[i]);
}
