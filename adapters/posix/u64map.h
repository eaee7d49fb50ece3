/* SPDX-License-Identifier: MIT */
/* A hash map from 64-bit keys to 64-bit values (open addressing). Not
 * thread-safe: its users hold their own lock. */
#ifndef SMMU_POSIX_U64MAP_H
#define SMMU_POSIX_U64MAP_H

#include <stdbool.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;
	uint64_t *vals;
	uint8_t *used;
	uint64_t cap; /* power of two */
	uint64_t count;
};

void u64map_init(struct u64map *m);
void u64map_fini(struct u64map *m);
/* Pointer to the value for `key`, or NULL. */
uint64_t *u64map_get(const struct u64map *m, uint64_t key);
/* Pointer to the value for `key`, inserting `init` if absent. */
uint64_t *u64map_put(struct u64map *m, uint64_t key, uint64_t init);
void u64map_clear(struct u64map *m);

#endif
