/* SPDX-License-Identifier: MIT */
/*
 * emul: smmu_vm_emulated_write of a guest PTE whose table is shadowed
 * (in sync, write-protected) and whose spte is present: the host's half
 * of a guest store to a page table. Two variants: the store writes the
 * value the PTE already holds (`same`), or toggles a flag the CPU
 * ignores, bit 9 (`toggle`).
 *
 * The guest stores to every PTE once per pass, in blocks of two stores
 * to each of the 32 tables; between blocks, untimed, it touches the
 * pages whose sptes the stores dropped, which refills them. A third
 * store in a row to one table with no fault through its shadow would be
 * taken for a table reused as data and unshadow it (the library's write
 * flood rule), which is a different figure; how many tables were
 * unshadowed anyway is in the note. A block is short (64 stores), so
 * the CPU clock's own cost, measured apart, is subtracted from each.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "figures.h"
#include "guest.h"
#include "machine.h"
#include "report.h"

#define PER_TABLE 2 /* stores to a table per block */

static void run(struct cb_ctx *c, bool toggle)
{
	unsigned passes = cb_n(c, 7, 1); /* 7 x 16,384 = 114,688 stores */
	unsigned entries = cb_n(c, 512, 8);
	double overhead = cb_cpu_clock_overhead_ns();
	double *ns = calloc(c->repeat, sizeof(*ns));
	uint64_t zapped = 0, unshadowed = 0, remote = 0, writes = 0;

	for (unsigned r = 0; r < c->repeat; r++) {
		struct cb_vm m;
		struct cb_vm_opts o = { .prefetch = 8,
					.unsync_after = SMMU_UNSYNC_NEVER };
		cb_vm_create(&m, &o);
		cb_enter(&m, 0);
		cb_touch(&m, 0, 0, CB_PAGES);
		struct smmu_stats s0 = cb_stats(&m);
		uint64_t remote0 = m.host.flush_all_cpus;
		double total = 0;
		unsigned n = 0;

		for (unsigned p = 0; p < passes; p++) {
			for (unsigned e = 0; e < entries; e += PER_TABLE) {
				uint64_t val[CB_NR_PTS][PER_TABLE];
				for (unsigned t = 0; t < CB_NR_PTS; t++)
					for (unsigned d = 0; d < PER_TABLE; d++)
						val[t][d] =
							*cb_pte(&m.host,
								t * 512 + e +
									d) ^
							(toggle ? CB_PTE_AVL9
								: 0);
				int bad = 0;
				uint64_t t0 = cb_cpu_ns();
				for (unsigned t = 0; t < CB_NR_PTS; t++)
					for (unsigned d = 0; d < PER_TABLE; d++)
						bad |= smmu_vm_emulated_write(
							m.vm,
							cb_pte_gpa(t * 512 + e +
								   d),
							&val[t][d], 8);
				uint64_t t1 = cb_cpu_ns();
				total += (double)(t1 - t0) - overhead;
				n += CB_NR_PTS * PER_TABLE;
				if (bad)
					cb_fail("emul: an emulated store to "
						"guest RAM failed");
				/* The guest uses the pages again. */
				for (unsigned t = 0; t < CB_NR_PTS; t++)
					for (unsigned d = 0; d < PER_TABLE;
					     d++) {
						unsigned page = t * 512 + e + d;
						if (*cb_pte(&m.host, page) !=
						    val[t][d])
							cb_fail("emul: guest "
								"RAM does not "
								"hold the "
								"store");
						cb_touch(&m, 0, page, 1);
					}
			}
		}
		cb_verify(&m, 0, 0, CB_PAGES, true, "emul");
		struct smmu_stats s1 = cb_stats(&m);
		zapped += s1.sptes_zapped - s0.sptes_zapped;
		unshadowed += s1.unshadowed - s0.unshadowed;
		remote += m.host.flush_all_cpus - remote0;
		writes += n;
		cb_vm_destroy(&m);
		ns[r] = total / n;
	}
	double v = cb_median(ns, c->repeat);
	cb_report_time(
		toggle ? "emul.toggle" : "emul.same", v, "ns/store",
		"%s; sptes zapped %.2f/store, remote flushes %.3f/store, "
		"tables unshadowed %.0f/pass",
		toggle ? "bit 9 toggled" : "same value",
		(double)zapped / (double)writes,
		(double)remote / (double)writes,
		(double)unshadowed / ((double)passes * c->repeat));
	free(ns);
}

void cb_fig_emul(struct cb_ctx *c)
{
	run(c, false);
	run(c, true);
}
