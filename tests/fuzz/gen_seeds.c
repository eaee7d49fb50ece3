/* SPDX-License-Identifier: MIT */
/*
 * fuzz-seeds DIR: write the seed corpora of fuzz-guest (DIR/guest/) and
 * fuzz-api (DIR/api/). The guests are the oracle's scenario tests
 * (tests/oracle_guest.c: og_remap, og_noflush_then_flush,
 * og_unmap_then_invalidate, og_prev_root_across_pcide,
 * og_five_spaces_noflush) and what the random workload exercises, in
 * fuzz_guest.h's format; the API sequences cover each entry point once.
 * A few hundred bytes each: the fuzzer grows them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <shadowmmu/shadowmmu.h>

#include "fuzz_api.h"
#include "fuzz_guest.h"

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void b8(struct buf *b, unsigned v)
{
	if (b->n < sizeof(b->b))
		b->b[b->n++] = (uint8_t)v;
}

static void b16(struct buf *b, unsigned v)
{
	b8(b, v & 0xff);
	b8(b, v >> 8);
}

static void b32(struct buf *b, uint32_t v)
{
	b16(b, v & 0xffff);
	b16(b, v >> 16);
}

static void b64(struct buf *b, uint64_t v)
{
	b32(b, (uint32_t)v);
	b32(b, (uint32_t)(v >> 32));
}

static const char *out_dir;

static void save(const char *sub, const char *name, const struct buf *b)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out_dir, sub);
	if (mkdir(path, 0777) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b->b, 1, b->n, f) != b->n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- fuzz-guest ---- */

enum { USER, WIN, LARGE };

/* A header: vCPUs, mode, guest features (h1), address spaces; the rest
 * of the knobs in h2, h3, and h0's top bits. */
static void guest(struct buf *b, unsigned vcpus, enum fg_mode mode,
		  unsigned feat, unsigned spaces, unsigned h0_hi, unsigned h2,
		  unsigned h3)
{
	b->n = 0;
	b8(b, (vcpus - 1) | (unsigned)mode << 2 | h0_hi);
	b8(b, feat);
	b8(b, h2);
	b8(b, h3);
	b8(b, (spaces - 1) << 4);
	b8(b, 0);
}

static void la(struct buf *b, unsigned region, unsigned page, unsigned off)
{
	b8(b, region << 6 | page);
	b8(b, off / 16);
}

static void g_read(struct buf *b, unsigned v, unsigned region, unsigned page)
{
	b8(b, FG_OPCODE(FG_READ, v));
	la(b, region, page, 0);
	b8(b, 1); /* user */
}

static void g_write(struct buf *b, unsigned v, unsigned page, unsigned val)
{
	b8(b, FG_OPCODE(FG_WRITE, v));
	la(b, USER, page, 8);
	b8(b, 1);
	b8(b, val);
}

/* Point PTE idx of space s's user page table at data page d. */
static void g_set_pte(struct buf *b, unsigned v, unsigned s, unsigned idx,
		      unsigned d, unsigned flags)
{
	b8(b, FG_OPCODE(FG_SET_PTE, v));
	b8(b, FG_T(s, 1));
	b16(b, idx);
	b8(b, FG_NR_TABLES + d);
	b8(b, flags);
	b8(b, 0);
}

static void g_invlpg(struct buf *b, unsigned v, unsigned page)
{
	b8(b, FG_OPCODE(FG_INVLPG, v));
	la(b, USER, page, 0);
}

static void g_cr3(struct buf *b, unsigned v, unsigned space, unsigned pcid,
		  int noflush)
{
	b8(b, FG_OPCODE(FG_CR3, v));
	b8(b, space | pcid << 2 | (noflush ? 0x80 : 0));
}

static void g_op(struct buf *b, unsigned v, enum fg_op op, unsigned arg)
{
	b8(b, FG_OPCODE(op, v));
	b8(b, arg);
}

#define URW 0x07 /* P RW US */

static void guest_seeds(void)
{
	struct buf b;

	/* og_remap, then the INVLPG that makes page B required. */
	guest(&b, 1, FG_MODE_4LEVEL, 0x08, 1, 0, 0, 0);
	g_read(&b, 0, USER, 0);
	g_set_pte(&b, 0, 0, 0, 5, URW);
	g_read(&b, 0, USER, 0);
	g_invlpg(&b, 0, 0);
	g_read(&b, 0, USER, 0);
	save("guest", "remap", &b);

	/* og_noflush_then_flush */
	guest(&b, 1, FG_MODE_4LEVEL, 0x09, 1, 0, 0, 0);
	g_read(&b, 0, USER, 0);
	g_set_pte(&b, 0, 0, 0, 5, URW);
	g_cr3(&b, 0, 0, 1, 1);
	g_read(&b, 0, USER, 0);
	g_cr3(&b, 0, 0, 1, 0);
	g_read(&b, 0, USER, 0);
	save("guest", "noflush-then-flush", &b);

	/* og_unmap_then_invalidate */
	guest(&b, 1, FG_MODE_4LEVEL, 0x08, 1, 0, 0, 0);
	g_read(&b, 0, USER, 1);
	b8(&b, FG_OPCODE(FG_SET_PTE_RAW, 0));
	b8(&b, FG_T(0, 1));
	b16(&b, 1);
	b64(&b, 0);
	g_read(&b, 0, USER, 1);
	g_invlpg(&b, 0, 1);
	g_read(&b, 0, USER, 1);
	save("guest", "unmap-then-invalidate", &b);

	/* og_prev_root_across_pcide (seed 001) */
	guest(&b, 1, FG_MODE_4LEVEL, 0x08, 2, 0, 0, 0);
	g_read(&b, 0, USER, 0);
	g_set_pte(&b, 0, 0, 0, 5, URW);
	g_cr3(&b, 0, 1, 0, 0);
	g_op(&b, 0, FG_CR4, 0x20); /* PCIDE on */
	g_cr3(&b, 0, 0, 0, 1);
	g_read(&b, 0, USER, 0);
	save("guest", "prev-root-across-pcide", &b);

	/* og_five_spaces_noflush, with the four spaces there are */
	guest(&b, 1, FG_MODE_4LEVEL, 0x09, 4, 0, 0, 0);
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned s = 0; s < 4; s++) {
			g_cr3(&b, 0, s, s + 1, round > 0);
			g_read(&b, 0, USER, 2);
		}
	}
	save("guest", "four-spaces-noflush", &b);

	/* A guest shootdown: vCPU 0 remaps, vCPU 1 reads before and after. */
	guest(&b, 2, FG_MODE_4LEVEL, 0x0b, 1, 0, 0, 0);
	g_read(&b, 1, USER, 3);
	g_read(&b, 0, USER, 3);
	g_set_pte(&b, 0, 0, 3, 9, URW);
	b8(&b, FG_OPCODE(FG_SHOOTDOWN, 0));
	b8(&b, 3);
	b8(&b, 0);
	la(&b, USER, 3, 0);
	g_read(&b, 1, USER, 3);
	g_read(&b, 1, USER, 3);
	save("guest", "shootdown", &b);

	/* PAE: a store, a remap, MOV CR3 (PDPTEs reloaded), the large page */
	guest(&b, 1, FG_MODE_PAE, 0x0a, 2, 0, 0, 0);
	g_read(&b, 0, USER, 0);
	g_write(&b, 0, 0, 0x42);
	g_set_pte(&b, 0, 0, 0, 7, URW);
	g_cr3(&b, 0, 1, 0, 0);
	g_read(&b, 0, USER, 0);
	g_cr3(&b, 0, 0, 0, 0);
	g_read(&b, 0, USER, 0);
	g_read(&b, 0, LARGE, 0);
	save("guest", "pae", &b);

	/* 32-bit: a 4 MiB page, CR4.PSE flipped under it */
	guest(&b, 1, FG_MODE_32BIT, 0x06, 1, 0, 0, 0);
	g_read(&b, 0, USER, 0);
	g_read(&b, 0, LARGE, 1);
	g_op(&b, 0, FG_CR4, 0x02); /* PSE off */
	g_read(&b, 0, LARGE, 1);
	g_op(&b, 0, FG_CR4, 0x02);
	g_read(&b, 0, LARGE, 1);
	g_set_pte(&b, 0, 0, 1, 3, URW);
	g_invlpg(&b, 0, 1);
	g_read(&b, 0, USER, 1);
	save("guest", "32bit-pse", &b);

	/* 5-level, every feature, toggles (smmu-sim --toggle-all) */
	guest(&b, 2, FG_MODE_5LEVEL, 0x7f, 2, 0, 0, 0);
	for (unsigned v = 0; v < 2; v++) {
		b8(&b, FG_OPCODE(FG_FETCH, v));
		la(&b, USER, v, 0);
		b8(&b, 1);
		g_op(&b, v, FG_CR0, 0x02); /* WP */
		g_write(&b, v, 2, 1);
		g_op(&b, v, FG_CR4, 0x04); /* SMEP */
		b8(&b, FG_OPCODE(FG_FETCH, v));
		la(&b, USER, v, 0);
		b8(&b, 0);
		g_op(&b, v, FG_EFER, 0x01); /* NXE */
		g_op(&b, v, FG_CR4, 0x08);  /* SMAP */
		b8(&b, FG_OPCODE(FG_READ, v));
		la(&b, USER, 4, 0);
		b8(&b, 2); /* supervisor, EFLAGS.AC */
		b8(&b, FG_OPCODE(FG_ACCESS_PKRU, v));
		la(&b, USER, 4, 0);
		b8(&b, 1);
		b32(&b, 0xc);
		g_op(&b, v, FG_CR0, 0x01); /* paging off */
		g_read(&b, v, USER, 4);
		g_op(&b, v, FG_CR0, 0x01);
		g_read(&b, v, USER, 4);
	}
	save("guest", "5level-toggles", &b);

	/* The host at work: a device writes a PTE, frames taken away and
	 * moved, each followed by the accesses that see it. */
	guest(&b, 2, FG_MODE_4LEVEL, 0x08, 1, 0, 0, 0);
	g_read(&b, 0, USER, 0);
	g_read(&b, 1, USER, 1);
	b8(&b, FG_OPCODE(FG_DMA, 0));
	b8(&b, FG_T(0, 1));
	b16(&b, 0);
	b64(&b, FG_DATA_PG(20) | URW);
	g_invlpg(&b, 0, 0);
	g_read(&b, 0, USER, 0);
	b8(&b, FG_OPCODE(FG_UNMAP, 1));
	b8(&b, FG_NR_TABLES + 1);
	b8(&b, 0);
	g_read(&b, 1, USER, 1);
	b8(&b, FG_OPCODE(FG_REMAP, 0));
	b8(&b, FG_NR_TABLES + 2);
	b8(&b, 1);
	g_read(&b, 0, USER, 2);
	save("guest", "host-changes", &b);

	/* INVPCID of each type (and an invalid one), a PV flush */
	guest(&b, 1, FG_MODE_4LEVEL, 0x0b, 2, 0, 0, 0);
	for (unsigned type = 0; type < 5; type++) {
		g_read(&b, 0, USER, type);
		g_set_pte(&b, 0, 0, type, 10 + type, URW);
		b8(&b, FG_OPCODE(FG_INVPCID, 0));
		b8(&b, type);
		b8(&b, 1);
		la(&b, USER, type, 0);
		g_read(&b, 0, USER, type);
		g_cr3(&b, 0, type & 1, 1 + (type & 1), 1);
	}
	b8(&b, FG_OPCODE(FG_PV_FLUSH, 0));
	g_read(&b, 0, USER, 0);
	save("guest", "invpcid", &b);

	/* Out-of-sync tables: unsync after 1 store, then invalidations */
	guest(&b, 2, FG_MODE_4LEVEL, 0x09, 1, 0, 1 << 2, 0x80);
	for (unsigned i = 0; i < 6; i++) {
		g_read(&b, i & 1, USER, i);
		g_set_pte(&b, 0, 0, i, 30 + i, URW);
	}
	for (unsigned i = 0; i < 6; i++) {
		g_invlpg(&b, i & 1, i);
		g_read(&b, i & 1, USER, i);
	}
	save("guest", "unsync", &b);

	/* Three vCPUs on one CPU, the smallest pool, assisted flushes,
	 * a small TLB: evictions and switches */
	guest(&b, 3, FG_MODE_4LEVEL, 0x0b, 3, 0x10 | 0x40, 2, 1 << 5);
	for (unsigned i = 0; i < 8; i++) {
		g_cr3(&b, i % 3, i % 3, i % 3 + 1, i > 3);
		g_read(&b, i % 3, USER, i);
		g_read(&b, (i + 1) % 3, WIN, i);
		g_set_pte(&b, i % 3, i % 3, i, 40 + i, URW);
	}
	save("guest", "small-pool-shared-cpu", &b);
}

/* ---- fuzz-api ---- */

static void api(struct buf *b, unsigned ops, unsigned budget, unsigned fail_at)
{
	b->n = 0;
	b8(b, ops);
	b8(b, budget);
	b8(b, fail_at);
	b8(b, 1); /* guest tables */
}

static void a_vm_create(struct buf *b)
{
	b8(b, FA_VM_CREATE);
	b8(b, 0x08); /* maxphyaddr 46, 1 GiB pages */
	b8(b, 0);    /* unsync after: default */
	b8(b, 0);    /* unsync quiet: default */
	b8(b, 3);    /* prefetch 8 */
	b8(b, 0);    /* precise */
	b8(b, 0);    /* cached roots: default */
	b8(b, 0x0f); /* every host cap */
}

static void a_vcpu(struct buf *b, unsigned id, unsigned preset)
{
	b8(b, FA_VCPU_CREATE);
	b8(b, id);
	b8(b, FA_SET_PAGING);
	b8(b, id);
	b8(b, preset);
}

static void a_fault(struct buf *b, unsigned v, unsigned page, unsigned flags)
{
	b8(b, FA_PAGE_FAULT);
	b8(b, v);
	b8(b, page);
	b8(b, 0);
	b8(b, flags);
}

static void a_simple(struct buf *b, enum fa_op op, unsigned v)
{
	b8(b, op);
	b8(b, v);
}

static void api_seeds(void)
{
	struct buf b;
	static const char *const modes[] = { NULL,     "32bit",	 "pae",
					     "4level", "5level", "pcid" };

	/* One vCPU per paging mode: enter, faults, invalidations. */
	for (unsigned preset = 1; preset <= 5; preset++) {
		api(&b, 0x20 | 0x40, 40, 0);
		a_vm_create(&b);
		a_vcpu(&b, 0, preset);
		a_simple(&b, FA_ENTER, 0);
		a_fault(&b, 0, 1, 4);
		a_fault(&b, 0, 2, 6);
		a_fault(&b, 0, 0x41, 4); /* the large page */
		a_simple(&b, FA_ENTER, 0);
		b8(&b, FA_INVLPG);
		b8(&b, 0);
		b8(&b, 1);
		b8(&b, 0);
		a_simple(&b, FA_PV_FLUSH, 0);
		a_simple(&b, FA_ENTER, 0);
		b8(&b, FA_WRITE_CR);
		b8(&b, 0);
		b8(&b, 1); /* MOV CR3: the 4-level PML4 */
		b8(&b, 0);
		b16(&b, 0);
		a_simple(&b, FA_ENTER, 0);
		char name[32];
		snprintf(name, sizeof(name), "mode-%s", modes[preset]);
		save("api", name, &b);
	}

	/* Emulated writes to a shadowed table, dirty logging, a host
	 * invalidation of each kind, a hole, destroy while busy. */
	api(&b, 0x04 | 0x08 | 0x20 | 0x40, 48, 0);
	a_vm_create(&b);
	a_vcpu(&b, 0, 3);
	a_vcpu(&b, 1, 3);
	b8(&b, FA_LOAD);
	b8(&b, 0);
	b16(&b, 0);
	b8(&b, FA_LOAD);
	b8(&b, 1);
	b16(&b, 1);
	a_simple(&b, FA_ENTER, 0);
	a_fault(&b, 0, 3, 4);
	a_fault(&b, 1, 3, 6);
	a_simple(&b, FA_EXIT, 0);
	b8(&b, FA_EMULATED_WRITE);
	b8(&b, 0x20 | 3); /* the VM, 8 bytes */
	b8(&b, 3);	  /* the PT */
	b16(&b, 3 * 8);
	b64(&b, 0x5000 | 7);
	b8(&b, FA_DIRTY_START);
	b8(&b, 0);
	b8(&b, 0);
	b16(&b, 1024);
	a_fault(&b, 0, 4, 6);
	b8(&b, FA_DIRTY_GET);
	b8(&b, 0);
	b8(&b, FA_DIRTY_STOP);
	for (unsigned how = 0; how < 3; how++) {
		b8(&b, FA_INVALIDATE);
		b8(&b, 0x80 | 3); /* the guest's tables */
		b8(&b, 4);
		b8(&b, how);
		a_simple(&b, FA_ENTER, how & 1);
	}
	b8(&b, FA_UNPROTECT);
	b8(&b, 0x83);
	b8(&b, FA_HOLE);
	b8(&b, 4);
	b8(&b, 1);
	a_simple(&b, FA_ENTER, 0);
	b8(&b, FA_VM_DESTROY); /* refused: vCPUs */
	a_simple(&b, FA_PUT, 0);
	a_simple(&b, FA_VCPU_DESTROY, 0);
	a_simple(&b, FA_VCPU_DESTROY, 1);
	b8(&b, FA_VM_DESTROY); /* refused if frees are pending */
	b8(&b, FA_GRACE);
	b8(&b, FA_VM_DESTROY);
	save("api", "host-side", &b);

	/* A host of the guest walker alone: translations, CR writes. */
	api(&b, 0x01, 0, 0);
	a_vm_create(&b);
	a_vcpu(&b, 0, 3);
	for (unsigned page = 0; page < 4; page++) {
		b8(&b, FA_TRANSLATE);
		b8(&b, 0);
		b8(&b, page);
		b8(&b, 0);
		b32(&b, page & 2 ? 6 : 4);
		b32(&b, 0);
	}
	a_simple(&b, FA_ENTER, 0);
	a_fault(&b, 0, 1, 4);
	save("api", "walker-only", &b);

	/* The third alloc() fails; a tiny shadow-page budget. */
	api(&b, 0x40, 6, 3);
	a_vm_create(&b);
	a_vcpu(&b, 0, 3);
	a_vcpu(&b, 1, 2);
	for (unsigned page = 0; page < 6; page++) {
		a_simple(&b, FA_ENTER, page & 1);
		a_fault(&b, page & 1, page, 4);
	}
	save("api", "alloc-failure-small-pool", &b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-seeds DIR\n");
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0777) && errno != EEXIST) {
		perror(out_dir);
		return 1;
	}
	guest_seeds();
	api_seeds();
	return 0;
}
