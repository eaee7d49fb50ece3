/* SPDX-License-Identifier: MIT */
/*
 * A deliberately naive shadow MMU, written only to exercise the oracle
 * before (and besides) libshadowmmu's own shadow core: correct, slow,
 * simple enough to trust by reading it.
 *
 * Each vCPU keeps a few shadow roots keyed by (guest CR3, PCID), each with
 * its own hardware PCID, built on demand from guest walks (the library's
 * walker) with 4 KiB shadow leaves. It never write-protects guest tables:
 * every guest page table is "out of sync", so any guest invalidation drops
 * the shadow it covers. Pool pressure steals the least recently used root
 * of any vCPU, kicking its owner with an IPI and freeing the pages after
 * an RCU grace period.
 *
 * Fault-injection knobs turn it into the broken MMUs of shared/seeds, so
 * tests can prove the oracle catches each bug class.
 */
#ifndef SMMU_POSIX_NAIVE_SHADOW_H
#define SMMU_POSIX_NAIVE_SHADOW_H

#include "sim.h"

enum naive_knob {
	/* MOV CR3 that must flush keeps the old shadow and hardware TLB. */
	NAIVE_NO_FLUSH_ON_CR3 = 1u << 0,
	/* INVLPG drops nothing and flushes nothing. */
	NAIVE_IGNORE_INVLPG = 1u << 1,
	/* Seed 000 (XSA-294): a root slot reused for another guest
	 * (CR3, PCID) keeps its hardware PCID without a flush, so a NOFLUSH
	 * switch can see translations of the slot's previous root. */
	NAIVE_REUSE_ROOT_NOFLUSH = 1u << 2,
	/* Seed 004: the paravirtual flush flushes the hardware TLB without
	 * first dropping the stale shadow entries it covers. */
	NAIVE_FLUSH_BEFORE_SYNC = 1u << 3,
	/* Seed 003: a stolen root is freed right after an assisted flush of
	 * its owner's CPU: no IPI, no RCU grace period. The owner's
	 * lock-free walker (its spurious-fault check) can read freed pages. */
	NAIVE_FREE_AFTER_ASSISTED = 1u << 4,
	/* Seed 001: roots cached while CR4.PCIDE=0 are kept across flushing
	 * MOV CR3s as "sync before use" (KVM's prev_roots), and setting
	 * CR4.PCIDE forgets the marks, so a NOFLUSH switch afterwards runs
	 * on a root the guest had flushed. */
	NAIVE_PREV_ROOTS_ACROSS_PCIDE = 1u << 5,
};

/* The smallest shadow pool per vCPU the naive MMU runs with. */
#define NAIVE_MIN_POOL_PER_VCPU 16

/* The knobs above by name, ending with {NULL, 0, NULL}. */
extern const struct sim_knob naive_shadow_knobs[];

extern const struct sim_mmu_ops naive_shadow_ops;

#endif
