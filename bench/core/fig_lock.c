/* SPDX-License-Identifier: MIT */
/*
 * lock: the share of fill time spent holding the MMU lock, for fill1 and
 * fill8. The host's lock ops add up the TSC ticks between lock and
 * unlock; the share is that over the TSC ticks of the whole fill loop.
 * Separate runs from fill1/fill8, whose lock reads no clock.
 */
#include <stdlib.h>

#include "figures.h"
#include "fill.h"
#include "guest.h"
#include "machine.h"
#include "report.h"

#include "clock.h"

static void share(struct cb_ctx *c, uint16_t prefetch, const char *name)
{
	unsigned vms = cb_n(c, 7, 1);
	double *pct = calloc(c->repeat, sizeof(*pct));
	double *locks = calloc(c->repeat, sizeof(*locks));
	for (unsigned r = 0; r < c->repeat; r++) {
		uint64_t held = 0, loop = 0, count = 0, faults = 0;
		for (unsigned i = 0; i < vms; i++) {
			struct cb_vm m;
			struct cb_vm_opts o = { .prefetch = prefetch,
						.time_lock = true };
			cb_vm_create(&m, &o);
			cb_enter(&m, 0);
			uint64_t held0 = m.host.lock_ticks;
			uint64_t count0 = m.host.lock_count;
			struct cb_fill f =
				prefetch == 1
					? cb_fill_every(&m, 0, 0, CB_PAGES)
					: cb_fill_missing(&m, 0, 0, CB_PAGES);
			cb_verify(&m, 0, 0, CB_PAGES, true, name);
			held += m.host.lock_ticks - held0;
			count += m.host.lock_count - count0;
			loop += f.ticks;
			faults += f.faults;
			cb_vm_destroy(&m);
		}
		pct[r] = 100.0 * (double)held / (double)loop;
		locks[r] = (double)count / (double)faults;
	}
	double p = cb_median(pct, c->repeat), l = cb_median(locks, c->repeat);
	cb_report(name, p, "%", -1, 0,
		  "of %s's loop under the MMU lock; %.2f lock sections/fault",
		  prefetch == 1 ? "fill1" : "fill8", l);
	free(pct);
	free(locks);
}

void cb_fig_lock(struct cb_ctx *c)
{
	share(c, 1, "lock.fill1");
	share(c, 8, "lock.fill8");
}
