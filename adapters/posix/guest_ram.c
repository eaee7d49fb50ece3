/* SPDX-License-Identifier: MIT */
#include "guest_ram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int smmu_posix_ram_init(struct smmu_posix_ram *ram, uint64_t size)
{
	memset(ram, 0, sizeof(*ram));
	if (size == 0 || (size & 0xfff))
		return -1;
	/* mmap rather than calloc: large sparse guests cost only what they
	 * touch. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	ram->base = p;
	ram->size = size;
	return 0;
}

void smmu_posix_ram_fini(struct smmu_posix_ram *ram)
{
	if (ram->base)
		munmap(ram->base, ram->size);
	memset(ram, 0, sizeof(*ram));
}

int smmu_posix_ram_add_hole(struct smmu_posix_ram *ram, uint64_t gpa,
			    uint64_t len)
{
	if (smmu_posix_ram_take_away(ram, gpa, len))
		return -1;
	smmu_posix_ram_holes_invalidated(ram);
	return 0;
}

int smmu_posix_ram_take_away(struct smmu_posix_ram *ram, uint64_t gpa,
			     uint64_t len)
{
	if (ram->nr_holes == SMMU_POSIX_RAM_MAX_HOLES || gpa + len < gpa)
		return -1;
	ram->holes[ram->nr_holes].start = gpa;
	ram->holes[ram->nr_holes].end = gpa + len;
	/* Published after the hole: simulated CPUs look it up meanwhile
	 * (a host taking memory away while the guest runs). */
	__atomic_store_n(&ram->nr_holes, ram->nr_holes + 1, __ATOMIC_RELEASE);
	return 0;
}

void smmu_posix_ram_holes_invalidated(struct smmu_posix_ram *ram)
{
	__atomic_store_n(&ram->nr_holes_invalidated,
			 __atomic_load_n(&ram->nr_holes, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
}

bool smmu_posix_ram_reachable(const struct smmu_posix_ram *ram, uint64_t gpa)
{
	if (gpa >= ram->size)
		return false;
	unsigned holes =
		__atomic_load_n(&ram->nr_holes_invalidated, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < holes; i++)
		if (gpa < ram->holes[i].end && gpa >= ram->holes[i].start)
			return false;
	return true;
}

void *smmu_posix_ram_ptr(const struct smmu_posix_ram *ram, uint64_t gpa,
			 uint64_t len)
{
	if (len == 0 || gpa >= ram->size || len > ram->size - gpa)
		return NULL;
	unsigned holes = __atomic_load_n(&ram->nr_holes, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < holes; i++)
		if (gpa < ram->holes[i].end && gpa + len > ram->holes[i].start)
			return NULL;
	return ram->base + gpa;
}

bool smmu_posix_cmpxchg(void *p, unsigned size, uint64_t old_val,
			uint64_t new_val)
{
	if (size == 8) {
		uint64_t expected = old_val;
		return __atomic_compare_exchange_n(
			(uint64_t *)p, &expected, new_val, false,
			__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
	uint32_t expected = (uint32_t)old_val;
	return __atomic_compare_exchange_n((uint32_t *)p, &expected,
					   (uint32_t)new_val, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static void *checked_ptr(const struct smmu_posix_ram *ram, uint64_t gpa,
			 uint64_t len)
{
	void *p = smmu_posix_ram_ptr(ram, gpa, len);
	if (!p) {
		fprintf(stderr, "smmu_posix_ram: gpa %#llx is not RAM\n",
			(unsigned long long)gpa);
		abort();
	}
	return p;
}

uint64_t smmu_posix_ram_read64(const struct smmu_posix_ram *ram, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, checked_ptr(ram, gpa, 8), 8);
	return v;
}

uint32_t smmu_posix_ram_read32(const struct smmu_posix_ram *ram, uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, checked_ptr(ram, gpa, 4), 4);
	return v;
}

void smmu_posix_ram_write64(struct smmu_posix_ram *ram, uint64_t gpa,
			    uint64_t val)
{
	memcpy(checked_ptr(ram, gpa, 8), &val, 8);
}

void smmu_posix_ram_write32(struct smmu_posix_ram *ram, uint64_t gpa,
			    uint32_t val)
{
	memcpy(checked_ptr(ram, gpa, 4), &val, 4);
}
