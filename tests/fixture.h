/* SPDX-License-Identifier: MIT */
/*
 * A guest for tests: posix host with guest RAM, one VM, one vCPU, and a
 * bump allocator for guest page-table pages.
 */
#ifndef SMMU_TEST_FIXTURE_H
#define SMMU_TEST_FIXTURE_H

#include <shadowmmu/shadowmmu.h>

#include "host.h"

struct fixture {
	struct smmu_posix_host host;
	struct smmu_vm *vm;
	struct smmu_vcpu *vcpu;
	uint64_t next_table; /* next free gpa for fixture_alloc_table() */
};

/* Guest RAM of `ram_size` bytes; tables are handed out from `table_base`. */
void fixture_init(struct fixture *f, uint64_t ram_size, uint8_t maxphyaddr,
		  bool gbpages, uint64_t table_base);
void fixture_fini(struct fixture *f);
/* A zeroed 4 KiB page of guest RAM for a page table; returns its gpa. */
uint64_t fixture_alloc_table(struct fixture *f);
/* Load paging registers; aborts the test if the library rejects them. */
void fixture_set_paging(struct fixture *f, uint64_t cr0, uint64_t cr3,
			uint64_t cr4, uint64_t efer);
/* Translate with the given access flags and PKRU 0. */
enum smmu_xlate_status fixture_translate(struct fixture *f, uint64_t la,
					 uint32_t flags,
					 struct smmu_translation *out);

#endif
