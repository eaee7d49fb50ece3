/* SPDX-License-Identifier: MIT */
/*
 * memory: host memory per leaf shadow page once the whole guest is
 * mapped (prefetch 8): the control structures the library has from
 * ops.alloc live, plus 4096 bytes per shadow page from alloc_page, over
 * the level-1 shadow pages the root reaches (32: one per guest page
 * table), and that as a multiple of the 4 KiB table itself. The fixed
 * part (VM and vCPU, before any fault) is in it, and printed apart.
 */
#include "figures.h"
#include "guest.h"
#include "hw.h"
#include "machine.h"
#include "report.h"

void cb_fig_memory(struct cb_ctx *c)
{
	struct cb_vm m;
	struct cb_vm_opts o = { .prefetch = 8 };
	cb_vm_create(&m, &o);
	double fixed = (double)m.host.alloc_bytes;
	cb_enter(&m, 0);
	cb_touch(&m, 0, 0, CB_PAGES);
	cb_host_run_deferred(&m.host);
	unsigned leaves = cb_hw_leaf_tables(&m.host, m.entry[0].cr3);
	if (!leaves)
		cb_fail("memory: no leaf shadow page");
	double alloc = (double)m.host.alloc_bytes;
	double pages = 4096.0 * m.host.pages_out;
	double per = (alloc + pages) / leaves;
	cb_report("memory.per_leaf", per / 1024, "KiB/leaf", per / 4096, "4KiB",
		  "(alloc'd bytes + 4096 x shadow pages) / %u leaf shadow "
		  "pages",
		  leaves);
	cb_report("memory.tables", pages / leaves / 1024, "KiB/leaf",
		  pages / leaves / 4096, "4KiB", "%u shadow pages of 4 KiB",
		  m.host.pages_out);
	cb_report("memory.bookkeeping", alloc / leaves / 1024, "KiB/leaf",
		  alloc / leaves / 4096, "4KiB",
		  "%.0f bytes in %llu allocations", alloc,
		  (unsigned long long)m.host.alloc_live);
	cb_report("memory.fixed", fixed / 1024, "KiB", -1, 0,
		  "ops.alloc bytes with the VM and its vCPU, before any fault");
	cb_vm_destroy(&m);
	(void)c;
}
