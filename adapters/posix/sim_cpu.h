/* SPDX-License-Identifier: MIT */
/*
 * Simulated physical CPUs: one thread each, with an interrupt flag, an IPI
 * mailbox polled at simulated instruction boundaries, and a hardware TLB.
 *
 * IPIs behave like the real thing in the one way that matters to the seed
 * bugs (shared/seeds 003): a CPU with interrupts disabled does not take
 * them, so a sender that waits for acknowledgement also waits for the
 * target's interrupts-disabled section to end. An *assisted* flush (an L0
 * hypervisor's flush hypercall) does not interrupt the targets at all: it
 * acts on their TLBs immediately, whatever they are doing.
 *
 * RCU is liburcu's QSBR flavour: a simulated CPU is a thread that runs
 * guest code between VM exits, so "between two instruction boundaries"
 * is a natural read-side critical section and each boundary a natural
 * quiescent state; QSBR makes read-side sections free, which matters
 * because the hardware walker runs in one on every simulated access.
 */
#ifndef SMMU_POSIX_SIM_CPU_H
#define SMMU_POSIX_SIM_CPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw_mmu.h"

#define SIM_MAX_CPUS 64

struct sim_cpu;
/* Work delivered to a CPU by IPI or assisted flush. */
typedef void (*sim_cpu_fn)(struct sim_cpu *cpu, void *arg);

struct sim_ipi_msg;

struct sim_cpu_stats {
	uint64_t ipis_sent, ipis_received; /* interrupts, not requests */
	uint64_t ipis_delayed; /* delivered late: interrupts were off */
	uint64_t assisted_sent, assisted_received;
	uint64_t boundaries; /* instruction boundaries passed */
	/* sim_ipi and sim_assisted calls that reached at least one target
	 * (the counts above are per target) */
	uint64_t ipi_requests, assisted_requests;
	uint64_t turn_wait_ns; /* lockstep: time spent waiting for a turn */
};

struct sim_cpu {
	unsigned id;
	struct hw_tlb *tlb;
	pthread_mutex_t lock;	     /* protects the mailbox */
	struct sim_ipi_msg *mailbox; /* pending IPIs, oldest first */
	bool irq_disabled;	     /* written only by the CPU's thread */
	bool in_ipi; /* running an IPI handler (written by its thread) */
	/* Odd while a guest access is between its translation and its
	 * memory operation (sim_cpu_access_begin/end). */
	uint64_t access_seq;
	void *user; /* the caller's per-CPU data */
	struct sim_cpu_stats stats;
};

struct sim_cpus {
	unsigned nr;
	struct sim_cpu cpu[SIM_MAX_CPUS];
	/* Run the CPUs in lockstep (sim_cpus_run); set before the run. */
	bool lockstep;
};

/* `nr` CPUs (1..SIM_MAX_CPUS), each with a TLB made from `tlb`. */
int sim_cpus_init(struct sim_cpus *cpus, unsigned nr,
		  const struct hw_tlb_config *tlb);
void sim_cpus_fini(struct sim_cpus *cpus);

/* Run body(cpu, arg) on one thread per CPU, each registered with RCU;
 * returns when all bodies have returned and their IPIs are drained.
 *
 * With cpus->lockstep the CPUs take turns: one runs at a time and hands
 * over at each of its instruction boundaries to the next CPU in id
 * order whose body has not returned (sim_lockstep.c). What happens
 * between two boundaries is then a function of the inputs alone, and so
 * is a whole run: its every count is reproducible. Waiting for a turn
 * is an extended quiescent state, so a CPU that waits for a grace
 * period keeps its turn and gets it. Whatever a body waits for must be
 * waited for at boundaries (as sim_ipi does); an IPI sent to a CPU whose
 * body has returned is taken outside the turns. */
void sim_cpus_run(struct sim_cpus *cpus, sim_cpu_fn body, void *arg);

/* The CPU the calling thread simulates; NULL outside sim_cpus_run. */
struct sim_cpu *sim_cpu_self(void);

/* An instruction boundary: run pending IPIs (unless interrupts are off)
 * and report an RCU quiescent state. Called by the CPU's own thread. */
void sim_cpu_boundary(struct sim_cpu *cpu);

/* A guest access on the CPU's own thread: from before its translation to
 * after its load or store, with no boundary, lock or exit in between. */
void sim_cpu_access_begin(struct sim_cpu *cpu);
void sim_cpu_access_end(struct sim_cpu *cpu);

/* CLI / STI. Enabling runs IPIs that arrived meanwhile. */
void sim_cpu_irq_disable(struct sim_cpu *cpu);
void sim_cpu_irq_enable(struct sim_cpu *cpu);

/* Send an IPI running fn(target, arg) on every CPU in `targets` (a bit
 * per CPU id; the sender's own bit is ignored) at its next boundary with
 * interrupts enabled. With `wait`, return only after every target ran it;
 * the sender keeps passing boundaries meanwhile, so two CPUs waiting on
 * each other make progress. Waiting with interrupts disabled is a
 * programming error (it deadlocks on real hardware) and aborts. */
void sim_ipi(struct sim_cpu *self, uint64_t targets, sim_cpu_fn fn, void *arg,
	     bool wait);

/* Assisted remote operation: run fn(target, arg) for every target now,
 * from the calling thread, without interrupting the targets. fn may only
 * touch target state that is safe to touch concurrently (its TLB). It
 * returns once no target is still inside a guest access that began
 * before fn ran on it: an L0 hypervisor's flush completes only when the
 * instruction a running vCPU was executing has retired and its store is
 * visible (x86 stores drain in order before the vCPU is interrupted).
 * It does not wait for anything else: host code on the targets, such as
 * a lock-free shadow walk, keeps running (shared/seeds 003). */
void sim_assisted(struct sim_cpu *self, uint64_t targets, sim_cpu_fn fn,
		  void *arg);

#endif
