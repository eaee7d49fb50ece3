/* SPDX-License-Identifier: MIT */
/*
 * A hand-built world for the simulated hardware MMU (hw_mmu.h): guest RAM,
 * a shadow-page pool, shadow tables written entry by entry, and one CPU
 * context. Shared by test_hw_mmu.c (the walk) and test_hw_tlb.c (the
 * caches and their invalidation).
 */
#ifndef SMMU_TESTS_HW_FIXTURE_H
#define SMMU_TESTS_HW_FIXTURE_H

#include "hw_mmu.h"

/* Non-leaf entries grant everything: leaves decide. */
#define DIR  (X86_PTE_P | X86_PTE_RW | X86_PTE_US)
#define RWU  DIR
#define ADDR X86_BITS(51, 12)

extern struct smmu_posix_ram hw_ram;
extern struct sim_pool pool;
extern struct sim_hpa_space space;
extern struct hw_tlb *tlb;
extern struct hw_mmu_ctx ctx; /* vpid 1, PCID 0, 4-level, PGE, WP, NXE */
extern uint64_t root;	      /* the shadow root of ctx */
extern uint32_t pkru;	      /* PKRU of every access */

void hw_fixture_setup(void);
void hw_fixture_teardown(void);

/* Replace the TLB by one with these capacities (0 = unbounded). */
void make_tlb(unsigned tlb_capacity, unsigned psc_capacity);
uint64_t new_table(void);
uint64_t hpa_of_gpa(uint64_t gpa);
void use_pcid(uint16_t pcid); /* CR4.PCIDE=1, CR3 = root | pcid */

/* Entry `level` of `table` for la. */
uint64_t *entry_in(uint64_t table, uint64_t la, unsigned level);
/* The level-`level` entry that translates la under `top`, creating the
 * missing tables above it. */
uint64_t *slot_in(uint64_t top, uint64_t la, unsigned level);
uint64_t *slot(uint64_t la, unsigned level); /* under root */
/* A leaf at `level` (PS set above level 1). */
void map_in(uint64_t top, uint64_t la, uint64_t hpa, unsigned level,
	    uint64_t flags);
void map(uint64_t la, uint64_t gpa, uint64_t flags); /* 4 KiB, under root */

enum hw_status xlate(uint64_t la, uint32_t flags, struct hw_result *r);
/* Error code of an access that must fault. */
uint32_t pf(uint64_t la, uint32_t flags);
/* Host-physical address of an access that must succeed. */
uint64_t ok(uint64_t la, uint32_t flags);

#endif
