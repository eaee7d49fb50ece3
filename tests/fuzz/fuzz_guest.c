/* SPDX-License-Identifier: MIT */
/*
 * fuzz-guest: the fuzzer's bytes are a guest (fuzz_guest.h: its page
 * tables and each vCPU's program) that runs on the simulated machine with
 * the library's shadow core as the MMU (smmu-sim --mmu lib), every access
 * checked by the architectural reference model, the simulated CPUs in
 * lockstep so that a run is a function of its input alone. An oracle
 * violation or an MMU error is a crash (abort), and libFuzzer keeps the
 * input that caused it.
 *
 * FUZZ_GUEST_VERBOSE=1 in the environment prints the decoded machine and
 * programs before the run (for reading a crash input).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_count.h"
#include "fuzz_input.h"
#include "fuzz_guest.h"
#include "lib_mmu.h"
#include "sim.h"

struct fg_vcpu {
	uint64_t cr0, cr4, efer; /* as last written (a guess after a #GP) */
};

struct fg {
	struct sim *sim;
	enum fg_mode mode;
	bool legacy;	/* 32-bit or PAE: 32-bit linear addresses */
	unsigned esz;	/* bytes per entry */
	unsigned nents; /* entries per table */
	unsigned nr_vcpus, nr_spaces, unmaps, nr_ops;
	uint8_t maxphyaddr;
	struct fg_vcpu v[FG_MAX_VCPUS];
	/* The table pages as the guest's own stores leave them, for the
	 * other half of an 8-byte store to 4-byte entries. */
	uint8_t mirror[FG_NR_TABLES][4096];
};

static unsigned levels(const struct fg *g)
{
	static const unsigned n[] = { 4, 5, 3, 2 };
	return n[g->mode];
}

static uint64_t root_of(const struct fg *g, unsigned space)
{
	return FG_TABLE(FG_T(space, levels(g)));
}

/* Write entry idx of table t, in RAM and in the mirror. */
static void put(struct fg *g, unsigned t, unsigned idx, uint64_t val)
{
	uint64_t off = (uint64_t)idx * g->esz;
	if (g->esz == 4)
		smmu_posix_ram_write32(&g->sim->host.ram, FG_TABLE(t) + off,
				       (uint32_t)val);
	else
		smmu_posix_ram_write64(&g->sim->host.ram, FG_TABLE(t) + off,
				       val);
	memcpy(&g->mirror[t][off], &val, g->esz);
}

static void build_skeleton(struct fg *g)
{
	const uint64_t u = X86_PTE_P | X86_PTE_RW | X86_PTE_US;
	for (unsigned i = 0; i < FG_NR_TABLES; i++)
		put(g, FG_T_WIN, i, FG_TABLE(i) | X86_PTE_P | X86_PTE_RW);
	for (unsigned s = 0; s < g->nr_spaces; s++) {
		unsigned pd = FG_T(s, 2), pt = FG_T(s, 1);
		for (unsigned i = 0; i < FG_USER_PAGES; i++)
			put(g, pt, i, FG_DATA_PG(FG_USER_PAGES * s + i) | u);
		if (g->mode == FG_MODE_32BIT) {
			put(g, pd, 1, FG_TABLE(pt) | u);
			put(g, pd, 2, FG_TABLE(FG_T_WIN) | u);
			put(g, pd, 3, UINT64_C(0x400000) | u | X86_PTE_PS);
			continue;
		}
		put(g, pd, 2, FG_TABLE(pt) | u);
		put(g, pd, 3, FG_TABLE(FG_T_WIN) | u);
		put(g, pd, 4, UINT64_C(0x200000) | u | X86_PTE_PS);
		/* PDPTEs hold P, PWT and PCD only. */
		put(g, FG_T(s, 3), 0,
		    FG_TABLE(pd) | (g->mode == FG_MODE_PAE ? X86_PTE_P : u));
		if (g->mode == FG_MODE_4LEVEL || g->mode == FG_MODE_5LEVEL)
			put(g, FG_T(s, 4), 0, FG_TABLE(FG_T(s, 3)) | u);
		if (g->mode == FG_MODE_5LEVEL)
			put(g, FG_T(s, 5), 0, FG_TABLE(FG_T(s, 4)) | u);
	}
}

static uint64_t region_base(const struct fg *g, unsigned region)
{
	bool m32 = g->mode == FG_MODE_32BIT;
	switch (region) {
	case 0:
		return FG_LA_USER;
	case 1:
		return m32 ? FG_LA_WIN32 : FG_LA_WIN;
	default:
		return m32 ? FG_LA_LARGE32 : FG_LA_LARGE;
	}
}

static uint64_t take_la(struct fg *g, struct rd *r)
{
	uint8_t b = u8(r);
	if (b >> 6 == 3) {
		uint64_t la = u64(r);
		return g->legacy ? (uint32_t)la : la;
	}
	return region_base(g, b >> 6) + UINT64_C(4096) * (b & 63) + 16u * u8(r);
}

static uint32_t take_access_flags(struct rd *r)
{
	uint8_t b = u8(r);
	if (b & 4) /* implicit: supervisor, never a fetch */
		return SMMU_ACCESS_IMPLICIT | (b & 2 ? SMMU_ACCESS_AC : 0);
	return (b & 1 ? SMMU_ACCESS_USER : 0) | (b & 2 ? SMMU_ACCESS_AC : 0);
}

static uint64_t frame_of(const struct fg *g, uint8_t sel)
{
	static const uint64_t large[] = {
		UINT64_C(0x200000), UINT64_C(0x400000),	  UINT64_C(0x600000), 0,
		UINT64_C(1) << 30,  UINT64_C(0x80000000),
	};
	static const uint64_t outside[] = {
		FG_RAM,
		FG_RAM + 0x1000,
		UINT64_C(0xfee00000),
		UINT64_C(0xfffff000),
		UINT64_C(1) << 32,
		UINT64_C(1) << 35,
		UINT64_C(1) << 36,
		UINT64_C(1) << 38,
		UINT64_C(1) << 39,
		UINT64_C(1) << 45,
		(UINT64_C(1) << 46) - 4096,
		UINT64_C(1) << 46,
		UINT64_C(1) << 51,
		X86_BITS(51, 12),
		FG_RAM - 0x1000,
		UINT64_C(0x7ffff000),
	};
	(void)g;
	if (sel < FG_NR_TABLES)
		return FG_TABLE(sel);
	if (sel < FG_NR_TABLES + FG_NR_DATA)
		return FG_DATA_PG(sel - FG_NR_TABLES);
	if (sel < 240)
		return large[(sel - FG_NR_TABLES - FG_NR_DATA) % 6];
	return outside[sel - 240];
}

static uint64_t take_entry(struct fg *g, struct rd *r)
{
	uint64_t e = frame_of(g, u8(r));
	e |= u8(r);
	uint8_t hi = u8(r);
	if (hi & 1)
		e |= X86_PTE_G;
	if (hi & 2)
		e |= X86_PTE_XD;
	e |= (uint64_t)((hi >> 2) & 15) << X86_PTE_PKEY_SHIFT;
	if (hi & 0x40)
		e |= g->esz == 4 ? X86_BIT(21) : X86_BIT(51);
	if (hi & 0x80)
		e |= X86_BITS(11, 9);
	return g->esz == 4 ? (uint32_t)e : e;
}

/* The 8-byte store that writes `val` into entry idx of table t, the
 * other entry of a pair of 4-byte ones as the guest left it. */
static uint64_t entry_store(struct fg *g, unsigned t, unsigned idx,
			    uint64_t val, uint64_t *slot_off)
{
	uint64_t off = (uint64_t)idx * g->esz;
	memcpy(&g->mirror[t][off], &val, g->esz);
	*slot_off = off & ~UINT64_C(7);
	uint64_t slot;
	memcpy(&slot, &g->mirror[t][*slot_off], 8);
	return slot;
}

static bool long_mode_now(const struct fg_vcpu *v)
{
	return (v->cr0 & X86_CR0_PG) && (v->efer & X86_EFER_LME) &&
	       (v->cr4 & X86_CR4_PAE);
}

static uint64_t flip(uint8_t mask, const uint64_t bits[8])
{
	uint64_t x = 0;
	for (unsigned i = 0; i < 8; i++)
		if (mask & (1u << i))
			x |= bits[i];
	return x;
}

static void add(struct fg *g, unsigned v, struct gop op)
{
	guest_prog_add(&g->sim->vcpu[v].prog, op);
	g->nr_ops++;
}

static void decode_op(struct fg *g, struct rd *r)
{
	static const uint64_t cr0_bits[8] = {
		X86_CR0_PG, X86_CR0_WP, X86_CR0_CD, X86_CR0_NW,
		X86_CR0_PE, X86_BIT(1), X86_BIT(3), X86_BIT(18),
	};
	static const uint64_t cr4_bits[8] = {
		X86_CR4_PGE, X86_CR4_PSE,   X86_CR4_SMEP, X86_CR4_SMAP,
		X86_CR4_PKE, X86_CR4_PCIDE, X86_CR4_PAE,  X86_CR4_LA57,
	};
	static const uint64_t efer_bits[8] = {
		X86_EFER_NXE,
		X86_EFER_LME,
		X86_EFER_SCE,
		X86_EFER_LMA,
	};
	uint8_t c = u8(r);
	unsigned kind = (c & 31u) % FG_NR_OPS;
	unsigned v = (c >> 5) % g->nr_vcpus;
	struct fg_vcpu *fv = &g->v[v];
	struct gop op = { 0 };

	switch ((enum fg_op)kind) {
	case FG_READ:
	case FG_FETCH:
	case FG_ACCESS_PKRU:
		op.kind = GOP_ACCESS;
		op.la = take_la(g, r);
		op.flags = take_access_flags(r);
		if (kind == FG_FETCH && !(op.flags & SMMU_ACCESS_IMPLICIT))
			op.flags |= SMMU_ACCESS_FETCH;
		if (kind == FG_ACCESS_PKRU)
			op.pkru = u32(r);
		break;
	case FG_WRITE:
	case FG_WRITE_RAW:
		op.kind = GOP_STORE;
		op.la = take_la(g, r);
		op.flags = take_access_flags(r);
		op.val = kind == FG_WRITE ? u8(r) : u64(r);
		break;
	case FG_SET_PTE:
	case FG_SET_PTE_RAW:
	case FG_DMA: {
		unsigned t = u8(r) % FG_NR_TABLES;
		unsigned idx = u16(r) % g->nents;
		uint64_t val = kind == FG_SET_PTE ? take_entry(g, r) : u64(r);
		uint64_t off;
		if (g->esz == 4)
			val = (uint32_t)val;
		op.val = entry_store(g, t, idx, val, &off);
		if (kind == FG_DMA) {
			op.kind = GOP_DMA_STORE;
			op.la = FG_TABLE(t) + off;
		} else {
			op.kind = GOP_STORE;
			op.la = region_base(g, 1) + UINT64_C(4096) * t + off;
		}
		break;
	}
	case FG_CR3:
	case FG_CR3_RAW: {
		op.kind = GOP_MOV_CR3;
		if (kind == FG_CR3_RAW) {
			op.val = u64(r);
			break;
		}
		uint8_t b = u8(r);
		unsigned x = (b >> 2) & 15;
		op.val = root_of(g, (b & 3u) % g->nr_spaces);
		if (g->mode == FG_MODE_PAE)
			op.val += 32u * (x & 3);
		if (long_mode_now(fv) && (fv->cr4 & X86_CR4_PCIDE))
			op.val |= x;
		else
			op.val |= (uint64_t)(x >> 2) << 3; /* PWT, PCD */
		if ((b & 0x80) && long_mode_now(fv))
			op.val |= X86_CR3_NOFLUSH;
		break;
	}
	case FG_CR0:
		op.kind = GOP_MOV_CR0;
		op.val = fv->cr0 ^= flip(u8(r), cr0_bits);
		break;
	case FG_CR4:
		op.kind = GOP_MOV_CR4;
		op.val = fv->cr4 ^= flip(u8(r), cr4_bits);
		break;
	case FG_EFER:
		op.kind = GOP_WRMSR_EFER;
		op.val = fv->efer ^= flip(u8(r), efer_bits);
		break;
	case FG_INVLPG:
		op.kind = GOP_INVLPG;
		op.la = take_la(g, r);
		break;
	case FG_INVPCID: {
		op.kind = GOP_INVPCID;
		op.type = u8(r) % 5;
		uint8_t p = u8(r);
		op.pcid = p == 255 ? 0x1000 : p == 254 ? 0xfff : p & 15;
		op.la = take_la(g, r);
		break;
	}
	case FG_PV_FLUSH:
		op.kind = GOP_PV_FLUSH;
		break;
	case FG_SHOOTDOWN:
		op.kind = GOP_SHOOTDOWN;
		op.targets = u8(r) & ((1u << FG_MAX_VCPUS) - 1);
		op.la = u8(r) & 1 ? GOP_ALL : take_la(g, r);
		break;
	case FG_UNMAP:
	case FG_REMAP:
		op.kind = kind == FG_UNMAP && g->unmaps < FG_MAX_UNMAPS
				  ? GOP_HOST_UNMAP
				  : GOP_HOST_REMAP;
		g->unmaps += op.kind == GOP_HOST_UNMAP;
		op.la = frame_of(g, u8(r)) & ~UINT64_C(0xfff);
		op.val = UINT64_C(4096) * (1 + (u8(r) & 3));
		break;
	case FG_NR_OPS:
		return;
	}
	add(g, v, op);
}

static void initial_regs(struct fg *g, unsigned v, uint8_t feat,
			 struct smmu_paging_regs *regs)
{
	bool lm = g->mode == FG_MODE_4LEVEL || g->mode == FG_MODE_5LEVEL;
	unsigned space = v % g->nr_spaces;
	memset(regs, 0, sizeof(*regs));
	regs->cr0 = X86_CR0_PE | X86_CR0_PG | (feat & 0x80 ? 0 : X86_CR0_WP);
	regs->cr3 = root_of(g, space);
	regs->cr4 =
		(feat & 2 ? X86_CR4_PGE : 0) | (feat & 4 ? X86_CR4_PSE : 0) |
		(feat & 16 ? X86_CR4_SMEP : 0) | (feat & 32 ? X86_CR4_SMAP : 0);
	regs->efer = feat & 8 ? X86_EFER_NXE : 0;
	if (g->mode != FG_MODE_32BIT)
		regs->cr4 |= X86_CR4_PAE;
	if (lm) {
		regs->efer |= X86_EFER_LME | X86_EFER_LMA;
		if (g->mode == FG_MODE_5LEVEL)
			regs->cr4 |= X86_CR4_LA57;
		if (feat & 64)
			regs->cr4 |= X86_CR4_PKE;
		if (feat & 1) {
			regs->cr4 |= X86_CR4_PCIDE;
			regs->cr3 |= v + 1;
		}
	}
	if (g->mode == FG_MODE_PAE)
		for (unsigned i = 0; i < 4; i++)
			regs->pdpte[i] = smmu_posix_ram_read64(
				&g->sim->host.ram, regs->cr3 + 8 * i);
	g->v[v] = (struct fg_vcpu){ regs->cr0, regs->cr4, regs->efer };
}

static void dump(const struct fg *g, const struct sim_config *sc)
{
	static const char *const modes[] = { "4-level", "5-level", "PAE",
					     "32-bit" };
	fprintf(stderr,
		"fuzz-guest: %s, %u vCPUs on %u CPUs, %u spaces, pool %u, "
		"policy %d, unsync-after %u, prefetch %u, cached roots %u, "
		"host caps %#x%s%s%s, TLB %u, maxphyaddr %u%s\n",
		modes[g->mode], g->nr_vcpus,
		sc->nr_pcpus ? sc->nr_pcpus : g->nr_vcpus, g->nr_spaces,
		sc->pool_pages, (int)sc->policy, sc->unsync_after_stores,
		sc->prefetch_window, sc->cached_roots, sc->host_caps,
		sc->host_4k_only ? ", 4k only" : "",
		sc->assisted_flush ? ", assisted" : "",
		sc->no_flush_engine ? ", no flush engine" : "",
		sc->tlb.tlb_capacity, sc->maxphyaddr,
		sc->gbpages ? "" : ", no 1G pages");
	for (unsigned v = 0; v < g->nr_vcpus; v++) {
		const struct guest_prog *p = &g->sim->vcpu[v].prog;
		struct smmu_paging_regs regs;
		g->sim->cfg.mmu->get_regs(&g->sim->vcpu[v], &regs);
		fprintf(stderr,
			"vcpu %u: cr0=%#" PRIx64 " cr3=%#" PRIx64
			" cr4=%#" PRIx64 " efer=%#" PRIx64 ", %u ops\n",
			v, regs.cr0, regs.cr3, regs.cr4, regs.efer, p->nr);
		for (unsigned i = 0; i < p->nr; i++) {
			char buf[160];
			gop_describe(&p->ops[i], buf, sizeof(buf));
			fprintf(stderr, "  %3u %s\n", i, buf);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t unsync[] = { 0, 1, 2, SMMU_UNSYNC_NEVER };
	static const uint16_t prefetch[] = { 0, 1, 2, 512 };
	static const uint8_t roots[] = { 0, 1, 2, SMMU_CACHED_ROOTS_MAX };
	static const uint32_t caps[] = { 0, SIM_HOST_NO_CAPS,
					 SMMU_HOST_FLUSH_ADDR,
					 SMMU_HOST_PCID |
						 SMMU_HOST_FLUSH_PCID };
	static const unsigned tlb[] = { 0, 4, 16, 64 };
	static const uint8_t maxphy[] = { 46, 36, 39, 52 };
	struct rd r = { data, size };
	uint8_t h[6];
	for (unsigned i = 0; i < sizeof(h); i++)
		h[i] = u8(&r);

	struct fg *g = calloc(1, sizeof(*g));
	if (!g)
		abort();
	g->nr_vcpus = (h[0] & 3) == 3 ? 1 : (h[0] & 3) + 1u;
	g->mode = (enum fg_mode)((h[0] >> 2) & 3);
	g->legacy = g->mode == FG_MODE_PAE || g->mode == FG_MODE_32BIT;
	g->esz = g->mode == FG_MODE_32BIT ? 4 : 8;
	g->nents = 4096 / g->esz;
	g->nr_spaces = ((h[4] >> 4) & 3) + 1u;
	g->maxphyaddr = maxphy[(h[5] >> 1) & 3];
	unsigned pcpus = (h[0] >> 4) & 3;
	uint32_t pool_min = 5 * g->nr_vcpus + 4;
	const uint32_t pools[] = { pool_min, pool_min + 8, 64, 4096 };

	struct sim_config sc = {
		.nr_vcpus = g->nr_vcpus,
		.nr_pcpus = pcpus < g->nr_vcpus ? pcpus : g->nr_vcpus,
		.ram_size = FG_RAM,
		.maxphyaddr = g->maxphyaddr,
		.gbpages = !(h[5] & 1),
		.pool_pages = pools[h[3] & 3],
		.unsync_after_stores = unsync[(h[2] >> 2) & 3],
		.unsync_quiet_syncs = h[3] & 0x80 ? 1 : 0,
		.prefetch_window = prefetch[(h[2] >> 4) & 3],
		.cached_roots = roots[h[2] >> 6],
		.host_caps = caps[(h[3] >> 2) & 3],
		.host_4k_only = h[3] & 0x10,
		.no_flush_engine = h[0] & 0x80,
		.policy = (h[2] & 3) == 3 ? SMMU_POLICY_PRECISE
					  : (enum smmu_policy_preset)(h[2] & 3),
		.tlb = { .tlb_capacity = tlb[(h[3] >> 5) & 3],
			 .psc_capacity = tlb[(h[3] >> 5) & 3],
			 .seed = 1 },
		.mmu = &lib_mmu_ops,
		.assisted_flush = h[0] & 0x40,
		.lockstep = true,
		.report_max = 5,
	};
	g->sim = calloc(1, sizeof(*g->sim));
	if (!g->sim)
		abort();
	if (sim_init(g->sim, &sc)) {
		fprintf(stderr, "fuzz-guest: the simulated machine refuses a "
				"valid configuration\n");
		abort();
	}

	build_skeleton(g);
	for (unsigned i = 0, n = h[4] & FG_MAX_PATCHES; i < n; i++) {
		unsigned t = u8(&r) % FG_NR_TABLES;
		unsigned idx = u16(&r) % g->nents;
		put(g, t, idx, u64(&r));
	}
	int ret = 0;
	for (unsigned v = 0; v < g->nr_vcpus; v++) {
		struct smmu_paging_regs regs;
		initial_regs(g, v, h[1], &regs);
		/* Registers a CPU can hold, but a patched PAE root may have
		 * PDPTEs the library refuses: not an input worth keeping. */
		if (sim_vcpu_set_regs(g->sim, v, &regs))
			ret = -1;
	}
	while (ret == 0 && r.n && g->nr_ops < FG_MAX_OPS)
		decode_op(g, &r);

	if (ret == 0) {
		if (getenv("FUZZ_GUEST_VERBOSE"))
			dump(g, &sc);
		sim_run(g->sim);
		fuzz_count("fuzz-guest", g->nr_ops);
	}
	/* Teardown checks too (every shadow page back, smmu_vm_destroy). */
	sim_fini(g->sim);
	uint64_t violations = g->sim->violations;
	free(g->sim);
	free(g);
	if (violations) {
		fprintf(stderr,
			"fuzz-guest: %" PRIu64 " violations: a finding (run "
			"the input again with FUZZ_GUEST_VERBOSE=1 to see the "
			"guest)\n",
			violations);
		abort();
	}
	return ret;
}
