/* SPDX-License-Identifier: MIT */
/*
 * A test-and-set lock for guests that run more than one vCPU. The word
 * is a plain uint32_t so that it can live in structures both stages
 * share (their layouts must agree). XCHG with memory is locked on its
 * own (SDM vol. 3, 9.1.2.1), and the __atomic builtins keep the compiler
 * from moving the protected accesses across it.
 */
#ifndef GUEST_SPINLOCK_H
#define GUEST_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

static inline bool spin_try_lock(volatile uint32_t *lock)
{
	return __atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void spin_unlock(volatile uint32_t *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* In every busy-wait loop: lets a sibling hyperthread run and tells the
 * CPU the loop is one (SDM vol. 2, PAUSE). */
static inline void cpu_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

#endif /* GUEST_SPINLOCK_H */
