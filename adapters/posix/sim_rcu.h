/* SPDX-License-Identifier: MIT */
/*
 * liburcu QSBR as the simulated machine uses it, with the happens-before
 * edge of a grace period made visible to ThreadSanitizer.
 *
 * QSBR's guarantee: synchronize_rcu() returns only after every registered
 * thread that was online when it started has passed a quiescent state
 * (rcu_quiescent_state(), or going offline). So whatever a thread did
 * before one of its quiescent states happens before the return of any
 * synchronize_rcu() that waited for that quiescent state, and before the
 * frees done after it. liburcu announces quiescent states with plain
 * volatile stores and memory barriers, and waits with futexes; TSan sees
 * none of that and would report each free after a grace period as a race
 * with the last reads of a lock-free walker (the library's or the
 * simulated hardware's) on another CPU.
 *
 * Under TSan, then, every quiescent state releases one sync object, and
 * every return from synchronize_rcu() acquires it. That edge is a little
 * wider than the real one (the acquire also takes quiescent states passed
 * after the grace period began, which happen before its end anyway), but
 * it adds nothing for code that frees without a grace period: such a free
 * (seed 003's bug, --inject free-before-grace) is still reported, as is a
 * read made after the reader's last quiescent state before the free.
 *
 * Only these wrappers may announce quiescent states or wait for grace
 * periods in the posix host, or TSan misses an edge and reports a race
 * that is not there.
 */
#ifndef SMMU_POSIX_SIM_RCU_H
#define SMMU_POSIX_SIM_RCU_H

#include <urcu-qsbr.h>

#if defined(__SANITIZE_THREAD__)
#define SIM_RCU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIM_RCU_TSAN 1
#endif
#endif

#ifdef SIM_RCU_TSAN
#include <sanitizer/tsan_interface.h>

/* The one sync object of QSBR's grace periods: they are global too. */
extern char sim_rcu_tsan_gp;

static inline void sim_rcu_tsan_release(void)
{
	__tsan_release(&sim_rcu_tsan_gp);
}

static inline void sim_rcu_tsan_acquire(void)
{
	__tsan_acquire(&sim_rcu_tsan_gp);
}
#else
static inline void sim_rcu_tsan_release(void)
{
}

static inline void sim_rcu_tsan_acquire(void)
{
}
#endif

/* A quiescent state: nothing RCU-protected read before it is held after. */
static inline void sim_rcu_quiescent_state(void)
{
	sim_rcu_tsan_release();
	rcu_quiescent_state();
}

/* Offline: an extended quiescent state until sim_rcu_thread_online. */
static inline void sim_rcu_thread_offline(void)
{
	sim_rcu_tsan_release();
	rcu_thread_offline();
}

static inline void sim_rcu_thread_online(void)
{
	rcu_thread_online();
}

/* Wait for a grace period: everything done before the quiescent states
 * it waited for happens before the return. The caller must be offline
 * (or unregistered). */
static inline void sim_synchronize_rcu(void)
{
	synchronize_rcu();
	sim_rcu_tsan_acquire();
}

#endif
