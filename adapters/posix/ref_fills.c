/* SPDX-License-Identifier: MIT */
#include "ref_fills.h"

#include <stdlib.h>
#include <string.h>

#include "ref_walk.h"

struct ref_fill_interval {
	uint64_t start, end; /* end REF_FOREVER while loaded */
};

struct ref_fill_list {
	struct ref_fill_interval *v;
	unsigned head, n, cap; /* live intervals are v[head..n) */
};

void ref_fills_begin(struct ref_fills *f, unsigned key, uint64_t start)
{
	struct ref_fill_list *l = f->list[key];
	if (!l) {
		l = f->list[key] = calloc(1, sizeof(*l));
		if (!l)
			abort();
		f->used[f->nr_used++] = (uint16_t)key;
	}
	if (l->n > l->head && l->v[l->n - 1].end == start) {
		l->v[l->n - 1].end = REF_FOREVER; /* touching: one interval */
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = (struct ref_fill_interval){ start, REF_FOREVER };
}

void ref_fills_end(struct ref_fills *f, unsigned key, uint64_t end)
{
	struct ref_fill_list *l = f->list[key];
	if (l && l->n > l->head && l->v[l->n - 1].end == REF_FOREVER)
		l->v[l->n - 1].end = end;
}

static void prune_list(struct ref_fill_list *l, uint64_t floor)
{
	while (l->head < l->n && l->v[l->head].end <= floor)
		l->head++;
	if (l->head > 64 && l->head * 2 > l->n) {
		memmove(l->v, l->v + l->head, (l->n - l->head) * sizeof(*l->v));
		l->n -= l->head;
		l->head = 0;
	}
}

void ref_fills_prune(struct ref_fills *f, const uint64_t *pcid_floor,
		     uint64_t nonglobal_floor, uint64_t global_floor)
{
	for (unsigned i = 0; i < f->nr_used; i++) {
		unsigned k = f->used[i];
		uint64_t floor = k == REF_FILL_GLOBAL ? global_floor
				 : pcid_floor[k] > nonglobal_floor
					 ? pcid_floor[k]
					 : nonglobal_floor;
		prune_list(f->list[k], floor);
	}
}

uint64_t ref_fills_first(const struct ref_fills *f, unsigned key, uint64_t t)
{
	const struct ref_fill_list *l = f->list[key];
	if (!l)
		return REF_FOREVER;
	/* The first interval that ends after t: ends rise with time. */
	unsigned lo = l->head, hi = l->n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (l->v[mid].end <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == l->n)
		return REF_FOREVER;
	return l->v[lo].start > t ? l->v[lo].start : t;
}

void ref_fills_fini(struct ref_fills *f)
{
	for (unsigned k = 0; k <= REF_FILL_GLOBAL; k++) {
		if (f->list[k])
			free(f->list[k]->v);
		free(f->list[k]);
		f->list[k] = NULL;
	}
	f->nr_used = 0;
}
