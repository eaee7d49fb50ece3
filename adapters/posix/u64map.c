/* SPDX-License-Identifier: MIT */
#include "u64map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(uint64_t k)
{
	/* splitmix64 finaliser: cheap and spreads page numbers well. */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	return k ^ (k >> 31);
}

static void alloc_table(struct u64map *m, uint64_t cap)
{
	m->keys = calloc(cap, sizeof(uint64_t));
	m->vals = calloc(cap, sizeof(uint64_t));
	m->used = calloc(cap, 1);
	if (!m->keys || !m->vals || !m->used) {
		fprintf(stderr, "u64map: out of memory\n");
		abort();
	}
	m->cap = cap;
	m->count = 0;
}

void u64map_init(struct u64map *m)
{
	alloc_table(m, 64);
}

void u64map_fini(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	memset(m, 0, sizeof(*m));
}

void u64map_clear(struct u64map *m)
{
	memset(m->used, 0, m->cap);
	m->count = 0;
}

static uint64_t slot_of(const struct u64map *m, uint64_t key, bool *found)
{
	uint64_t i = hash(key) & (m->cap - 1);
	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	*found = m->used[i];
	return i;
}

uint64_t *u64map_get(const struct u64map *m, uint64_t key)
{
	bool found;
	uint64_t i = slot_of(m, key, &found);
	return found ? &m->vals[i] : NULL;
}

static void grow(struct u64map *m)
{
	struct u64map old = *m;
	alloc_table(m, old.cap * 2);
	for (uint64_t i = 0; i < old.cap; i++)
		if (old.used[i])
			*u64map_put(m, old.keys[i], 0) = old.vals[i];
	u64map_fini(&old);
}

uint64_t *u64map_put(struct u64map *m, uint64_t key, uint64_t init)
{
	if (2 * (m->count + 1) > m->cap)
		grow(m);
	bool found;
	uint64_t i = slot_of(m, key, &found);
	if (!found) {
		m->used[i] = 1;
		m->keys[i] = key;
		m->vals[i] = init;
		m->count++;
	}
	return &m->vals[i];
}
