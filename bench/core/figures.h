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
};

/* How many: the full count, or the smoke test's. */
static inline unsigned cb_n(const struct cb_ctx *c, unsigned full,
			    unsigned quick)
{
	return c->quick ? quick : full;
}

/* Rows `name` (flushes per operation, by scope in the note) for the
 * flushes smmu_vcpu_enter asked for over `ops` operations. */
void cb_report_flushes(const char *name, const uint64_t by_scope[CB_NR_SCOPES],
		       double ops);

/* walk, the reference: its repetitions now, and room for later_samples
 * more, one after each other figure (cb_walk_sample); cb_walk_done
 * frees its VM. */
void cb_fig_walk(struct cb_ctx *c, unsigned later_samples);
void cb_walk_sample(void);
void cb_walk_done(void);
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
