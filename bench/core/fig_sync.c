/* SPDX-License-Identifier: MIT */
/*
 * sync: a CR3 reload (MOV CR3 of the same value, no PCIDs, so it
 * invalidates everything non-global) and the next entry, which syncs the
 * out-of-sync page tables, with N = 0, 1, 8, 32 of the guest's 32 page
 * tables out of sync and every one of their 512 entries mapped.
 *
 * Tables go out of sync as a guest's do: stores to a shadowed table come
 * back from smmu_vcpu_page_fault as SMMU_FAULT_EMULATE and are done with
 * smmu_vm_emulated_write, until (after unsync_after_stores of them) a
 * store's write fault is fixed instead and the table is writable.
 * unsync_quiet_syncs is 255, so that tables the guest leaves alone stay
 * out of sync across reloads; the reloads run in batches of 200, and
 * between batches (untimed) the guest changes one entry in each table
 * and reloads once, so that no table reaches 255 quiet syncs, then
 * reloads 8 more times: a library may trust a table only after a few
 * quiet syncs (the write watch arms after 2), and what is timed is the
 * steady state of a guest that leaves its tables alone.
 *
 * `sync.nN`: the guest changed nothing since the last reload.
 * `sync.changed.nN`: before each reload it changed one entry in each
 * table (a plain store to guest RAM, as an out-of-sync table allows:
 * the entry now maps the neighbouring frame), timed with the reload;
 * every 16 reloads, untimed, it touches the pages whose entries it
 * changed. Every store the guest makes without an exit goes through the
 * hardware, which sets D in the spte it writes through (hw.h): that is
 * what the library's write watch, on revisions that have it, looks at to
 * skip a table the guest left alone.
 *
 * The number of tables each reload synced is the library's own count
 * (smmu_stats.sp_unsync_checks), printed next to the time, with how many
 * of them it skipped as unwritten (smmu_stats.sync_skipped, where the
 * revision counts them) rather than compared entry by entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "figures.h"
#include "guest.h"
#include "hw.h"
#include "machine.h"
#include "report.h"

#define QUIET_BATCH   200 /* timed reloads between two changes */
#define SETTLE	      8	  /* untimed ones before them: in all < 255 */
#define CHANGED_BATCH 16  /* reloads between two refills */

static const unsigned tables[] = { 0, 1, 8, 32 };

/* The hardware's mapping of the guest table frame holding gpa. */
static uint64_t table_spte(const struct cb_vm *m, uint64_t gpa)
{
	return cb_hw_page(m, 0, (unsigned)(gpa >> 12));
}

/* A guest store of val to the page-table entry at gpa, through the
 * guest's linear map: directly if the hardware maps the frame writable,
 * else the #PF exit and what it asks for. true if it ran directly. */
static bool guest_store(struct cb_vm *m, uint64_t gpa, uint64_t val)
{
	uint64_t la = cb_la((unsigned)(gpa >> 12)) + (gpa & 0xfff);
	for (unsigned tries = 0; tries < 8; tries++) {
		if (cb_hw_store(&m->host, m->entry[0].cr3, la)) {
			__atomic_store_n((uint64_t *)cb_host_ram(&m->host, gpa),
					 val, __ATOMIC_RELAXED);
			return true;
		}
		struct smmu_fault f = cb_fault(m, 0, la, SMMU_ACCESS_WRITE);
		if (f.action == SMMU_FAULT_EMULATE) {
			if (f.gpa != gpa)
				cb_fail("sync: store to %#llx emulated at "
					"%#llx",
					(unsigned long long)gpa,
					(unsigned long long)f.gpa);
			if (smmu_vm_emulated_write(m->vm, gpa, &val, 8) !=
			    SMMU_GPA_OK)
				cb_fail("sync: emulated store failed");
			return false;
		}
		if (f.action != SMMU_FAULT_FIXED)
			cb_fail("sync: write fault on a page table: action %d",
				(int)f.action);
		cb_enter(m, 0);
	}
	cb_fail("sync: a store to a page table neither ran nor was emulated");
}

/* Page table t goes out of sync: the guest stores its entry 0's own
 * value until a store runs without an exit. */
static void unsync_table(struct cb_vm *m, unsigned t)
{
	uint64_t gpa = (uint64_t)CB_PT_GFN(t) << 12;
	for (unsigned stores = 0; stores < 64; stores++)
		if (guest_store(m, gpa,
				*(uint64_t *)cb_host_ram(&m->host, gpa)))
			return;
	cb_fail("sync: page table %u did not go out of sync after 64 stores",
		t);
}

static bool writable(const struct cb_vm *m, unsigned t)
{
	uint64_t spte = table_spte(m, (uint64_t)CB_PT_GFN(t) << 12);
	return (spte & X86_PTE_P) && (spte & X86_PTE_RW);
}

static void reload(struct cb_vm *m)
{
	cb_write_cr3(m, 0, cb_guest_cr3(0, false, false));
	cb_enter(m, 0);
}

/* Entry e of page table t maps the neighbouring frame from now on. */
static uint64_t moved(const struct cb_vm *m, unsigned t, unsigned e)
{
	return *cb_pte(&m->host, t * 512 + e) ^ X86_BIT(12);
}

/* Reloads the library may need before it trusts unchanged tables. */
static void settle(struct cb_vm *m)
{
	for (unsigned i = 0; i < SETTLE; i++)
		reload(m);
}

/* Between quiet batches: each table changes (entry e), one reload
 * syncs it, the guest touches the page again; a table that went back
 * in sync meanwhile goes out of sync again (counted). Then it settles. */
static unsigned refresh(struct cb_vm *m, unsigned n, unsigned e)
{
	unsigned again = 0;
	for (unsigned t = 0; t < n; t++)
		guest_store(m, cb_pte_gpa(t * 512 + e), moved(m, t, e));
	reload(m);
	for (unsigned t = 0; t < n; t++) {
		if (!writable(m, t)) {
			unsync_table(m, t);
			again++;
		}
	}
	cb_touch(m, 0, 0, CB_PAGES);
	settle(m);
	return again;
}

struct result {
	double ns;	/* per reload */
	double checks;	/* tables synced per reload */
	double skipped; /* of which skipped as unwritten */
	double resyncs; /* tables back in sync per reload */
	unsigned again; /* tables made out of sync again */
};

/* Counts over a batch: tables synced, of which skipped, back in sync. */
static void count(const struct smmu_stats *s0, const struct smmu_stats *s1,
		  uint64_t *checks, uint64_t *skipped, uint64_t *synced)
{
	uint64_t k0, k1;
	cb_sync_skipped(s0, &k0);
	cb_sync_skipped(s1, &k1);
	*checks += s1->sp_unsync_checks - s0->sp_unsync_checks;
	*skipped += k1 - k0;
	*synced += s1->sp_synced - s0->sp_synced;
}

static struct result quiet(struct cb_vm *m, unsigned n, unsigned reloads)
{
	struct smmu_vcpu *vcpu = m->vcpu[0];
	uint64_t cr3 = cb_guest_cr3(0, false, false);
	double overhead = cb_cpu_clock_overhead_ns(), total = 0;
	uint64_t checks = 0, skipped = 0, synced = 0;
	unsigned again = 0, done = 0, round = 0;
	while (done < reloads) {
		unsigned b = reloads - done < QUIET_BATCH ? reloads - done
							  : QUIET_BATCH;
		struct smmu_stats s0 = cb_stats(m);
		struct smmu_entry e;
		unsigned bad = 0;
		uint64_t t0 = cb_cpu_ns();
		for (unsigned i = 0; i < b; i++) {
			bad += smmu_vcpu_write_cr3(vcpu, cr3) != SMMU_CR_DONE;
			bad += smmu_vcpu_enter(vcpu, &e) != SMMU_OK;
		}
		uint64_t t1 = cb_cpu_ns();
		struct smmu_stats s1 = cb_stats(m);
		if (bad)
			cb_fail("sync: %u reloads failed", bad);
		m->entry[0] = e;
		total += (double)(t1 - t0) - overhead;
		count(&s0, &s1, &checks, &skipped, &synced);
		done += b;
		cb_verify(m, 0, 0, CB_PAGES, true, "sync, nothing changed");
		if (n && done < reloads)
			again += refresh(m, n, round++ % CB_DATA_ENTRIES);
	}
	return (struct result){ .ns = total / reloads,
				.checks = (double)checks / reloads,
				.skipped = (double)skipped / reloads,
				.resyncs = (double)synced / reloads,
				.again = again };
}

static struct result changed(struct cb_vm *m, unsigned n, unsigned reloads)
{
	struct smmu_vcpu *vcpu = m->vcpu[0];
	const struct cb_host *h = &m->host;
	uint64_t cr3 = cb_guest_cr3(0, false, false);
	double overhead = cb_cpu_clock_overhead_ns(), total = 0;
	uint64_t checks = 0, skipped = 0, synced = 0;
	unsigned done = 0, next = 0;
	while (done < reloads) {
		unsigned b = reloads - done < CHANGED_BATCH ? reloads - done
							    : CHANGED_BATCH;
		unsigned first = next;
		for (unsigned t = 0; t < n; t++)
			if (!writable(m, t))
				cb_fail("sync: page table %u is not out of "
					"sync before a batch",
					t);
		struct smmu_stats s0 = cb_stats(m);
		struct smmu_entry e = m->entry[0];
		unsigned bad = 0;
		uint64_t t0 = cb_cpu_ns();
		for (unsigned i = 0; i < b; i++) {
			unsigned entry = next++ % CB_DATA_ENTRIES;
			for (unsigned t = 0; t < n; t++) {
				uint64_t gpa = cb_pte_gpa(t * 512 + entry);
				/* The store, through the hardware. */
				bad += !cb_hw_store(h, e.cr3,
						    cb_la(CB_PT_GFN(t)) +
							    (gpa & 0xfff));
				*(uint64_t *)cb_host_ram(h, gpa) ^= X86_BIT(12);
			}
			bad += smmu_vcpu_write_cr3(vcpu, cr3) != SMMU_CR_DONE;
			bad += smmu_vcpu_enter(vcpu, &e) != SMMU_OK;
		}
		uint64_t t1 = cb_cpu_ns();
		struct smmu_stats s1 = cb_stats(m);
		if (bad)
			cb_fail("sync: %u stores faulted or reloads failed",
				bad);
		m->entry[0] = e;
		total += (double)(t1 - t0) - overhead;
		count(&s0, &s1, &checks, &skipped, &synced);
		done += b;
		for (unsigned t = 0; t < n; t++) {
			if (!writable(m, t))
				cb_fail("sync: page table %u went back in "
					"sync while the guest wrote it",
					t);
			/* A changed entry is dropped or maps the new frame;
			 * then the guest uses its page again. */
			for (unsigned i = first; i < next; i++) {
				unsigned page = t * 512 + i % CB_DATA_ENTRIES;
				cb_verify(m, 0, page, 1, false,
					  "sync, entries changed");
				cb_touch(m, 0, page, 1);
			}
		}
	}
	cb_verify(m, 0, 0, CB_PAGES, true, "sync, entries changed");
	return (struct result){ .ns = total / reloads,
				.checks = (double)checks / reloads,
				.skipped = (double)skipped / reloads,
				.resyncs = (double)synced / reloads };
}

static void run(struct cb_ctx *c, unsigned n, bool change)
{
	/* At least 100k reloads, or 100k table comparisons. */
	unsigned reloads = cb_n(c, n ? 100000 / n : 100000, 40);
	double *ns = calloc(c->repeat, sizeof(*ns));
	struct result last = { 0 };
	unsigned again = 0;
	for (unsigned r = 0; r < c->repeat; r++) {
		struct cb_vm m;
		struct cb_vm_opts o = { .prefetch = 8, .quiet_syncs = 255 };
		cb_vm_create(&m, &o);
		cb_enter(&m, 0);
		cb_touch(&m, 0, 0, CB_PAGES);
		for (unsigned t = 0; t < n; t++)
			unsync_table(&m, t);
		/* The stores dropped entry 0 of each: mapped again, and
		 * one reload compares every table once. */
		cb_touch(&m, 0, 0, CB_PAGES);
		reload(&m);
		for (unsigned t = 0; t < n; t++)
			if (!writable(&m, t))
				cb_fail("sync: page table %u is not out of "
					"sync after a reload",
					t);
		last = change ? changed(&m, n, reloads) : quiet(&m, n, reloads);
		again += last.again;
		ns[r] = last.ns;
		cb_vm_destroy(&m);
	}
	char name[40];
	const char *variant = change ? "changed." : "";
	uint64_t unused;
	bool have_skipped = cb_sync_skipped(&(struct smmu_stats){ 0 }, &unused);
	double v = cb_median(ns, c->repeat);
	snprintf(name, sizeof(name), "sync.%sn%u", variant, n);
	cb_report_time(
		name, v, "ns/reload",
		"%.2f of %u tables synced/reload, %.2f of them skipped as "
		"unwritten%s%s",
		last.checks, n, last.skipped,
		last.resyncs > 0 ? "; some went back in sync" : "",
		again ? "; tables had to be unsynced again" : "");
	if (n) {
		snprintf(name, sizeof(name), "sync.%sn%u.checks", variant, n);
		cb_report(name, last.checks, "tables/reload", -1, 0,
			  "smmu_stats.sp_unsync_checks per reload");
	}
	if (n && have_skipped) {
		snprintf(name, sizeof(name), "sync.%sn%u.skipped", variant, n);
		cb_report(name, last.skipped, "tables/reload", -1, 0,
			  "smmu_stats.sync_skipped per reload");
	}
	free(ns);
}

void cb_fig_sync(struct cb_ctx *c)
{
	for (unsigned i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		run(c, tables[i], false);
	for (unsigned i = 1; i < sizeof(tables) / sizeof(tables[0]); i++)
		run(c, tables[i], true);
}
