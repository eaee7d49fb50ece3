/* SPDX-License-Identifier: MIT */
/*
 * fill1, fill8: shadow fault fill of the whole guest on a fresh VM, with
 * prefetch_window 1 (every page faults once: per fault) and 8 (a fault
 * only where the software hardware walk finds nothing: per fault and per
 * page mapped, the hardware walks included; fill8.hwwalk is that walk's
 * own cost per page, measured alone on the filled shadow).
 */
#include <stdlib.h>

#include "clock.h"
#include "figures.h"
#include "fill.h"
#include "guest.h"
#include "hw.h"
#include "machine.h"
#include "report.h"

/* Fresh VMs per repetition: 7 x 16,384 pages = 114,688 faults at
 * prefetch 1. */
#define VMS_PER_REP 7

/* The hardware walk alone over the filled shadow, ns per page. */
static double hw_walk_ns(const struct cb_vm *m, unsigned passes)
{
	uint64_t sum = 0;
	uint64_t t0 = cb_cpu_ns();
	for (unsigned p = 0; p < passes; p++)
		for (unsigned page = 0; page < CB_PAGES; page++)
			sum += cb_hw_walk(&m->host, m->entry[0].cr3,
					  cb_la(page)) &
			       X86_PTE_P;
	uint64_t t1 = cb_cpu_ns();
	if (sum != (uint64_t)passes * CB_PAGES)
		cb_fail("fill8: the filled shadow lost pages");
	return (double)(t1 - t0) / ((double)passes * CB_PAGES);
}

void cb_fig_fill1(struct cb_ctx *c)
{
	unsigned vms = cb_n(c, VMS_PER_REP, 1);
	double *ns = calloc(c->repeat, sizeof(*ns));
	for (unsigned r = 0; r < c->repeat; r++) {
		uint64_t total = 0, faults = 0;
		for (unsigned i = 0; i < vms; i++) {
			struct cb_vm m;
			struct cb_vm_opts o = { .prefetch = 1 };
			cb_vm_create(&m, &o);
			cb_enter(&m, 0);
			struct cb_fill f = cb_fill_every(&m, 0, 0, CB_PAGES);
			cb_verify(&m, 0, 0, CB_PAGES, true, "fill1");
			total += f.ns;
			faults += f.faults;
			cb_vm_destroy(&m);
		}
		ns[r] = (double)total / (double)faults;
	}
	double v = cb_median(ns, c->repeat);
	cb_report_time("fill1", v, "ns/fault",
		       "prefetch 1, every page faults once, fresh VM");
	free(ns);
}

void cb_fig_fill8(struct cb_ctx *c)
{
	unsigned vms = cb_n(c, VMS_PER_REP, 1);
	double *fault = calloc(c->repeat, sizeof(*fault));
	double *page = calloc(c->repeat, sizeof(*page));
	double *hw = calloc(c->repeat, sizeof(*hw));
	double faults_per_page = 0;
	for (unsigned r = 0; r < c->repeat; r++) {
		uint64_t total = 0, faults = 0, pages = 0;
		double hw_sum = 0;
		for (unsigned i = 0; i < vms; i++) {
			struct cb_vm m;
			struct cb_vm_opts o = { .prefetch = 8 };
			cb_vm_create(&m, &o);
			cb_enter(&m, 0);
			struct cb_fill f = cb_fill_missing(&m, 0, 0, CB_PAGES);
			cb_verify(&m, 0, 0, CB_PAGES, true, "fill8");
			total += f.ns;
			faults += f.faults;
			pages += CB_PAGES;
			hw_sum += hw_walk_ns(&m, 1);
			cb_vm_destroy(&m);
		}
		if (!faults)
			cb_fail("fill8: no fault on a fresh VM");
		fault[r] = (double)total / (double)faults;
		page[r] = (double)total / (double)pages;
		hw[r] = hw_sum / vms;
		faults_per_page = (double)faults / (double)pages;
	}
	double f = cb_median(fault, c->repeat), p = cb_median(page, c->repeat);
	double w = cb_median(hw, c->repeat);
	cb_report_time(
		"fill8.per_fault", f, "ns/fault",
		"prefetch 8, fresh VM; the loop's hardware walks included");
	cb_report_time("fill8.per_page", p, "ns/page",
		       "per page mapped; includes one hardware walk per page");
	cb_report("fill8.faults", faults_per_page, "faults/page", -1, 0,
		  "%.0f faults for 16,384 pages", faults_per_page * CB_PAGES);
	cb_report_time("fill8.hwwalk", w, "ns/page",
		       "the software hardware walk alone (part of per_page)");
	free(fault);
	free(page);
	free(hw);
}
