/* SPDX-License-Identifier: MIT */
#include "ref_memory.h"

#include <stdlib.h>
#include <string.h>

void ref_memory_init(struct ref_memory *mem, const struct smmu_posix_ram *ram)
{
	memset(mem, 0, sizeof(*mem));
	mem->ram = ram;
	u64map_init(&mem->slot_index);
}

void ref_memory_fini(struct ref_memory *mem)
{
	for (unsigned i = 0; i < mem->nr_hists; i++)
		free(mem->hists[i].v);
	free(mem->hists);
	u64map_fini(&mem->slot_index);
	memset(mem, 0, sizeof(*mem));
}

uint64_t ref_memory_read(const struct ref_memory *mem, uint64_t slot)
{
	const uint64_t *p = smmu_posix_ram_ptr(mem->ram, slot, 8);
	return p ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : ~0ull;
}

const struct ref_history *ref_memory_history(const struct ref_memory *mem,
					     uint64_t slot)
{
	const uint64_t *idx = u64map_get(&mem->slot_index, slot);
	return idx ? &mem->hists[*idx] : NULL;
}

static struct ref_history *history_for(struct ref_memory *mem, uint64_t slot)
{
	uint64_t *idx = u64map_put(&mem->slot_index, slot, UINT64_MAX);
	if (*idx == UINT64_MAX) {
		if (mem->nr_hists == mem->cap_hists) {
			mem->cap_hists =
				mem->cap_hists ? 2 * mem->cap_hists : 256;
			mem->hists =
				realloc(mem->hists,
					mem->cap_hists * sizeof(*mem->hists));
			if (!mem->hists)
				abort();
		}
		*idx = mem->nr_hists;
		memset(&mem->hists[mem->nr_hists++], 0,
		       sizeof(struct ref_history));
	}
	return &mem->hists[*idx];
}

void ref_memory_record(struct ref_memory *mem, uint64_t gpa, unsigned size,
		       uint64_t old, uint64_t epoch)
{
	uint64_t slot = gpa & ~7ull;
	uint64_t old8 = old;
	if (size == 4) {
		/* The other half of the slot is unchanged. */
		unsigned shift = (gpa & 4) ? 32 : 0;
		old8 = (ref_memory_read(mem, slot) &
			~(0xffffffffull << shift)) |
		       ((old & 0xffffffffull) << shift);
	}
	struct ref_history *h = history_for(mem, slot);
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 4;
		h->v = realloc(h->v, h->cap * sizeof(*h->v));
		if (!h->v)
			abort();
	}
	h->v[h->n++] = (struct ref_old_value){ old8, epoch };
	mem->nr_values++;
}

void ref_memory_close(struct ref_memory *mem, uint64_t slot, uint64_t epoch)
{
	struct ref_history *h = history_for(mem, slot);
	for (unsigned i = h->n; i-- > 0;) {
		if (h->v[i].end != UINT64_MAX)
			continue;
		/* Ends stay in order: this one is the newest now. */
		struct ref_old_value v = { h->v[i].val, epoch };
		memmove(h->v + i, h->v + i + 1, (h->n - i - 1) * sizeof(*h->v));
		h->v[h->n - 1] = v;
		return;
	}
}

void ref_memory_forget(struct ref_memory *mem, uint64_t epoch)
{
	for (unsigned i = 0; i < mem->nr_hists; i++) {
		struct ref_history *h = &mem->hists[i];
		unsigned k = 0;
		while (k < h->n && h->v[k].end <= epoch)
			k++;
		if (!k)
			continue;
		memmove(h->v, h->v + k, (h->n - k) * sizeof(*h->v));
		h->n -= k;
		mem->nr_forgotten += k;
	}
}
