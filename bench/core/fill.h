/* SPDX-License-Identifier: MIT */
/*
 * Filling the shadow of the whole guest on vCPU 0, timed: the loops of
 * the fill figures (fill1, fill8, lock, scale). Both check every fault's
 * action; the caller checks what the hardware then finds (cb_verify), out
 * of the timed part.
 */
#ifndef CB_FILL_H
#define CB_FILL_H

#include <stdint.h>

#include "machine.h"

struct cb_fill {
	uint64_t ns;	/* CPU time of the loop */
	uint64_t ticks; /* TSC ticks of the loop */
	uint64_t wall0; /* CLOCK_MONOTONIC at its start and end */
	uint64_t wall1;
	unsigned faults; /* #PF exits taken */
};

/* Guest pages [first, first + n) each fault once, in order, with no
 * look at the shadow in between (prefetch 1: every page needs it). */
struct cb_fill cb_fill_every(struct cb_vm *m, unsigned v, unsigned first,
			     unsigned n);
/* Guest pages [first, first + n) in order: the hardware walks each, and
 * only where it finds nothing is there a fault (prefetch > 1). */
struct cb_fill cb_fill_missing(struct cb_vm *m, unsigned v, unsigned first,
			       unsigned n);

#endif
