/* SPDX-License-Identifier: MIT */
/*
 * The figures: one function each, reporting its rows (report.h). Each
 * measures CPU time of the calling thread around a loop of at least
 * 100k operations where that makes sense, repeated ctx->repeat times on
 * fresh machines where the state must be cold, and reports the median.
 */
#ifndef CB_FIGURES_H
#define CB_FIGURES_H

#include <stdbool.h>
#include <stdint.h>

#include "compat.h"

struct cb_ctx {
	unsigned repeat; /* repetitions; each figure is their median */
	bool quick;	 /* a few operations: the smoke test */
	double walk_ns;	 /* the reference: `walk`, per page */
};

/* How many: the full count, or the smoke test's. */
static inline unsigned cb_n(const struct cb_ctx *c, unsigned full,
			    unsigned quick)
{
	return c->quick ? quick : full;
}

/* A time as a multiple of the raw guest walk (-1 without one). */
static inline double cb_vs_walk(const struct cb_ctx *c, double ns)
{
	return c->walk_ns > 0 ? ns / c->walk_ns : -1;
}

/* Rows `name` (flushes per operation, by scope in the note) for the
 * flushes smmu_vcpu_enter asked for over `ops` operations. */
void cb_report_flushes(const char *name, const uint64_t by_scope[CB_NR_SCOPES],
		       double ops);

void cb_fig_walk(struct cb_ctx *c);
void cb_fig_fill1(struct cb_ctx *c);
void cb_fig_fill8(struct cb_ctx *c);
void cb_fig_lock(struct cb_ctx *c);
void cb_fig_enter(struct cb_ctx *c);
void cb_fig_switch(struct cb_ctx *c);
void cb_fig_emul(struct cb_ctx *c);
void cb_fig_invlpg(struct cb_ctx *c);
void cb_fig_sync(struct cb_ctx *c);
void cb_fig_scale(struct cb_ctx *c);
void cb_fig_memory(struct cb_ctx *c);

#endif
