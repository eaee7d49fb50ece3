/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM for the user-space (posix) host: one host allocation backing
 * guest-physical [0, size), minus ranges punched out as holes or MMIO. Any
 * access outside RAM reports SMMU_GPA_NOT_RAM, never touches host memory.
 */
#ifndef SMMU_POSIX_GUEST_RAM_H
#define SMMU_POSIX_GUEST_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMMU_POSIX_RAM_MAX_HOLES 16

struct smmu_posix_ram {
	uint8_t *base; /* host mapping of guest-physical 0 */
	uint64_t size; /* bytes of guest-physical space backed */
	unsigned nr_holes;
	/* Holes the MMU has been told of (the first ones): their pages are
	 * gone for the CPUs too. A newer hole is not RAM for the host's
	 * lookups already, but its old pages stay until the MMU's
	 * invalidation returns, as a host frees them only then. */
	unsigned nr_holes_invalidated;
	struct {
		uint64_t start, end; /* [start, end) is not RAM */
	} holes[SMMU_POSIX_RAM_MAX_HOLES];
};

/* Map `size` bytes (a multiple of 4 KiB) of zeroed guest RAM. */
int smmu_posix_ram_init(struct smmu_posix_ram *ram, uint64_t size);
void smmu_posix_ram_fini(struct smmu_posix_ram *ram);
/* Make [gpa, gpa+len) a hole or MMIO range. -1 when out of slots. */
int smmu_posix_ram_add_hole(struct smmu_posix_ram *ram, uint64_t gpa,
			    uint64_t len);
/* The same, for memory a host takes away while the guest runs: a hole for
 * its lookups at once, gone for the CPUs only at the next
 * smmu_posix_ram_holes_invalidated. */
int smmu_posix_ram_take_away(struct smmu_posix_ram *ram, uint64_t gpa,
			     uint64_t len);
/* The MMU has been told of every hole added so far. */
void smmu_posix_ram_holes_invalidated(struct smmu_posix_ram *ram);
/* May a CPU still reach the page at gpa: RAM, or a hole whose
 * invalidation has not returned yet. */
bool smmu_posix_ram_reachable(const struct smmu_posix_ram *ram, uint64_t gpa);
/* Host pointer for `len` bytes at `gpa`, or NULL unless all of it is RAM. */
void *smmu_posix_ram_ptr(const struct smmu_posix_ram *ram, uint64_t gpa,
			 uint64_t len);

/* Compare-exchange of the naturally aligned 4- or 8-byte value at `p`
 * (a pointer into guest RAM): true if it held `old_val` and now holds
 * `new_val`. */
bool smmu_posix_cmpxchg(void *p, unsigned size, uint64_t old_val,
			uint64_t new_val);

/* Convenience accessors for tests and tools; abort on a non-RAM gpa, since a
 * test that writes outside its own RAM is a broken test. */
uint64_t smmu_posix_ram_read64(const struct smmu_posix_ram *ram, uint64_t gpa);
uint32_t smmu_posix_ram_read32(const struct smmu_posix_ram *ram, uint64_t gpa);
void smmu_posix_ram_write64(struct smmu_posix_ram *ram, uint64_t gpa,
			    uint64_t val);
void smmu_posix_ram_write32(struct smmu_posix_ram *ram, uint64_t gpa,
			    uint32_t val);

#endif
