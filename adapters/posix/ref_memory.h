/* SPDX-License-Identifier: MIT */
/*
 * The reference model's view of guest memory: RAM as it is now, plus every
 * value a slot held before, with the epoch at which it stopped holding it.
 * A CPU may have cached a translation made from any of those values, so
 * the model needs them all until an invalidation makes them irrelevant.
 * Not thread-safe: the model's lock covers it.
 */
#ifndef SMMU_POSIX_REF_MEMORY_H
#define SMMU_POSIX_REF_MEMORY_H

#include <stdint.h>

#include "guest_ram.h"
#include "u64map.h"

/* An old value of an 8-byte slot: held until epoch `end`. */
struct ref_old_value {
	uint64_t val;
	uint64_t end;
};

struct ref_history {
	struct ref_old_value *v;
	unsigned n, cap;
};

struct ref_memory {
	const struct smmu_posix_ram *ram;
	struct u64map slot_index; /* 8-byte slot gpa -> index into hists */
	struct ref_history *hists;
	unsigned nr_hists, cap_hists;
	uint64_t nr_values;    /* old values recorded */
	uint64_t nr_forgotten; /* of those, dropped by ref_memory_forget */
};

void ref_memory_init(struct ref_memory *mem, const struct smmu_posix_ram *ram);
void ref_memory_fini(struct ref_memory *mem);
/* The 8-byte slot at `slot` now; all ones outside RAM, as real platforms
 * read nonexistent memory. */
uint64_t ref_memory_read(const struct ref_memory *mem, uint64_t slot);
/* Old values of a slot, or NULL if it never changed. */
const struct ref_history *ref_memory_history(const struct ref_memory *mem,
					     uint64_t slot);
/* Drop old values that ended at or before `epoch`: no walk can use them
 * any more. */
void ref_memory_forget(struct ref_memory *mem, uint64_t epoch);
/* The `size` bytes at gpa held `old` until `epoch`; RAM already holds the
 * new value. */
void ref_memory_record(struct ref_memory *mem, uint64_t gpa, unsigned size,
		       uint64_t old, uint64_t epoch);
/* The slot's old value recorded with end REF_FOREVER (a store not yet
 * complete for the guest) ended at `epoch`, now the newest end. */
void ref_memory_close(struct ref_memory *mem, uint64_t slot, uint64_t epoch);

#endif
