/* SPDX-License-Identifier: MIT */
/*
 * Lockstep turns for the simulated CPUs of one run (sim_cpu.h,
 * sim_cpus_run): a ring of the CPUs whose bodies are still running, and
 * the one whose turn it is. Only that CPU's thread runs simulated code;
 * it hands the turn to the next member in id order at its next
 * instruction boundary. Used by sim_cpu.c only.
 */
#ifndef SMMU_POSIX_SIM_LOCKSTEP_H
#define SMMU_POSIX_SIM_LOCKSTEP_H

#include <pthread.h>
#include <stdint.h>

#include "sim_cpu.h"

struct sim_lockstep {
	pthread_mutex_t lock;		   /* everything below */
	pthread_cond_t cond[SIM_MAX_CPUS]; /* cond[i]: CPU i's turn came */
	uint64_t members;		   /* a bit per CPU in the ring */
	unsigned turn;			   /* the CPU whose turn it is */
};

/* All `nr` CPUs are members; CPU 0 has the first turn. */
void sim_lockstep_init(struct sim_lockstep *ls, unsigned nr);
void sim_lockstep_fini(struct sim_lockstep *ls);
/* On the CPU's own thread, before its body: wait for its first turn. */
void sim_lockstep_join(struct sim_lockstep *ls, struct sim_cpu *cpu);
/* At an instruction boundary: hand the turn on and wait for the next one.
 * Nothing for a CPU that has left, or that is the only member. */
void sim_lockstep_pass(struct sim_lockstep *ls, struct sim_cpu *cpu);
/* After its body: leave the ring, handing the turn on. */
void sim_lockstep_leave(struct sim_lockstep *ls, struct sim_cpu *cpu);

#endif
