/* SPDX-License-Identifier: MIT */
/*
 * ctxsw: N processes on one vCPU, switched round robin; each slice runs
 * a little kernel code and touches a few of its process's user pages.
 *
 * Variants, as a guest kernel would switch:
 *   nopcid   CR4.PCIDE=0: every MOV CR3 flushes the non-global
 *            translations; kernel pages are global and survive it.
 *   pcid     a PCID per process, MOV CR3 without NOFLUSH (the kernel
 *            flushes the process's PCID at every switch).
 *   noflush  a PCID per process, MOV CR3 with NOFLUSH once the PCID has
 *            been used (a native CPU flushes nothing after that).
 *   kpti     two address spaces per process, as with page-table
 *            isolation: a kernel one (PCID p) and a user one (PCID
 *            p | 0x800, Linux's split) mapping the user pages and the
 *            entry trampoline only; no global pages anywhere; switches
 *            with NOFLUSH, and a system call (user -> kernel -> user)
 *            in every slice.
 */
#include "guest.h"
#include "workload.h"

enum variant { NOPCID, PCID, NOFLUSH, KPTI };

static const char *const variants[] = { "nopcid", "pcid", "noflush", "kpti",
					NULL };

enum { P_VARIANT, P_PROCS, P_ROUNDS, P_TOUCH, P_PAGES };

static const struct bench_param params[] = {
	[P_VARIANT] = { "variant", "how the guest switches (bench/README.md)",
			NOFLUSH, 0, 3, variants, false },
	[P_PROCS] = { "procs", "processes switched round robin", 4, 2, 16, NULL,
		      false },
	[P_ROUNDS] = { "rounds", "times every process runs", 100, 1, 100000,
		       NULL, true },
	[P_TOUCH] = { "touch", "user pages touched per slice", 4, 1, 64, NULL,
		      false },
	[P_PAGES] = { "pages", "user pages per process (touched in turn)", 16,
		      1, 512, NULL, false },
	{ NULL, NULL, 0, 0, 0, NULL, false },
};

struct proc {
	uint64_t kernel_cr3, user_cr3; /* PCIDs included */
};

static void touch_user(struct bench_guest *g, uint64_t first, unsigned n,
		       unsigned pages)
{
	for (unsigned j = 0; j < n; j++) {
		uint64_t la = BG_USER + ((first + j) % pages) * X86_PAGE_SIZE;
		if (j & 1)
			bench_guest_write(g, 0, la, first + j,
					  SMMU_ACCESS_USER);
		else
			bench_guest_read(g, 0, la, SMMU_ACCESS_USER);
	}
}

static int build(struct bench_trace *t, const uint64_t *val, uint64_t seed,
		 char *err, size_t err_len)
{
	enum variant variant = (enum variant)val[P_VARIANT];
	unsigned procs = (unsigned)val[P_PROCS];
	unsigned pages = (unsigned)val[P_PAGES];
	unsigned touch = (unsigned)val[P_TOUCH];
	bool kpti = variant == KPTI, pcid = variant != NOPCID;
	struct proc proc[16];
	struct bench_guest g;

	(void)seed; /* round robin: nothing to draw */
	(void)err;
	(void)err_len;
	bench_guest_init(&g, t, 1, !kpti);
	for (unsigned p = 0; p < procs; p++) {
		uint64_t kernel = bench_guest_space(&g, BG_SPACE_FULL);
		uint64_t user = kpti ? bench_guest_space(&g, BG_SPACE_USER_ONLY)
				     : kernel;
		for (unsigned i = 0; i < pages; i++) {
			uint64_t la = BG_USER + (uint64_t)i * X86_PAGE_SIZE;
			uint64_t frame = bench_guest_frame(&g);
			bench_guest_map(&g, kernel, la, frame, BG_USER_RW);
			if (kpti)
				bench_guest_map(&g, user, la, frame,
						BG_USER_RW);
		}
		uint64_t kpcid = pcid ? p + 1 : 0;
		proc[p].kernel_cr3 = kernel | kpcid;
		proc[p].user_cr3 = user | (kpti ? kpcid | 0x800 : kpcid);
	}
	bench_guest_start(&g, 0, proc[0].kernel_cr3, pcid, true);
	bench_guest_go(&g, 0);

	for (uint64_t round = 0; round < val[P_ROUNDS]; round++) {
		/* A PCID's first use must flush: it may hold anything. */
		uint64_t nofl = round && (variant == NOFLUSH || kpti)
					? X86_CR3_NOFLUSH
					: 0;
		for (unsigned p = 0; p < procs; p++) {
			uint64_t kdata =
				bench_guest_kdata_la(p % BG_KDATA_PAGES);
			uint64_t first = round * touch;
			bench_guest_cr3(&g, 0, proc[p].kernel_cr3 | nofl);
			bench_guest_read(&g, 0, kdata, 0);
			if (!kpti) {
				touch_user(&g, first, touch, pages);
				continue;
			}
			bench_guest_cr3(&g, 0, proc[p].user_cr3 | nofl);
			touch_user(&g, first, touch, pages);
			/* A system call: into the kernel and back. */
			bench_guest_cr3(&g, 0,
					proc[p].kernel_cr3 | X86_CR3_NOFLUSH);
			bench_guest_read(&g, 0, kdata, 0);
			bench_guest_cr3(&g, 0,
					proc[p].user_cr3 | X86_CR3_NOFLUSH);
			touch_user(&g, first + touch, 1, pages);
		}
	}
	bench_guest_fini(&g);
	return 0;
}

const struct bench_workload bench_wl_ctxsw = {
	.name = "ctxsw",
	.summary = "processes switched round robin on one vCPU (variants "
		   "nopcid, pcid, noflush, kpti)",
	.params = params,
	.build = build,
};
