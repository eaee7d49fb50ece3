/* SPDX-License-Identifier: MIT */
/*
 * The workloads' guest (guest.h): layout, tables, and the events of the
 * programs.
 */
#include "guest.h"

#include <stdlib.h>
#include <string.h>

#define ADDR_MASK X86_BITS(51, 12)
#define KERNEL_RW (X86_PTE_P | X86_PTE_RW)

static unsigned index_at(uint64_t la, unsigned level)
{
	return (unsigned)((la >> (12 + 9 * (level - 1))) & 511);
}

/* The next page of a region; a workload sized beyond its guest is a bug
 * in the workload. */
static uint64_t next_page(uint64_t *next, uint64_t end, const char *what)
{
	if (*next >= end) {
		fprintf(stderr,
			"smmu-bench: the workload needs more %s than its guest "
			"has; ask for fewer pages or rounds\n",
			what);
		abort();
	}
	uint64_t gpa = *next;
	*next += X86_PAGE_SIZE;
	return gpa;
}

uint64_t bench_guest_table(struct bench_guest *g)
{
	return next_page(&g->next_table, BG_DATA, "page tables");
}

uint64_t bench_guest_frame(struct bench_guest *g)
{
	return next_page(&g->next_data, BG_RAM, "data pages");
}

uint64_t bench_guest_kdata_la(unsigned i)
{
	return BG_KDATA + (uint64_t)i * X86_PAGE_SIZE;
}

uint64_t bench_guest_get(const struct bench_guest *g, uint64_t gpa)
{
	const uint64_t *v = u64map_get(&g->image, gpa);
	return v ? *v : 0;
}

static void event(struct bench_guest *g, unsigned v, struct gop op, bool pt)
{
	bench_trace_add(g->t, v, op, pt);
}

void bench_guest_set(struct bench_guest *g, uint64_t gpa, uint64_t val)
{
	*u64map_put(&g->image, gpa, 0) = val;
	if (!g->running) {
		*u64map_put(&g->t->mem, gpa, 0) = val;
		return;
	}
	event(g, g->writer,
	      (struct gop){
		      .kind = GOP_STORE, .la = BG_DMAP + gpa, .val = val },
	      true);
}

/* The tables of one kernel window: PDPT, PD and PT for la, whose PT
 * maps `n` frames from frames[0] with `flags`; the PML4E to share. */
static uint64_t kernel_window(struct bench_guest *g, uint64_t la,
			      const uint64_t *frames, unsigned n,
			      uint64_t flags)
{
	uint64_t pdpt = bench_guest_table(g), pd = bench_guest_table(g);
	uint64_t pt = bench_guest_table(g);
	bench_guest_set(g, pdpt + 8 * index_at(la, 3), pd | KERNEL_RW);
	bench_guest_set(g, pd + 8 * index_at(la, 2), pt | KERNEL_RW);
	for (unsigned i = 0; i < n; i++)
		bench_guest_set(g, pt + 8 * (index_at(la, 1) + i),
				frames[i] | flags);
	return pdpt | KERNEL_RW;
}

void bench_guest_init(struct bench_guest *g, struct bench_trace *t,
		      unsigned nr_vcpus, bool kernel_global)
{
	memset(g, 0, sizeof(*g));
	g->t = t;
	g->kernel_global = kernel_global;
	g->next_table = BG_TABLES;
	g->next_data = BG_DATA;
	u64map_init(&g->image);
	t->nr_vcpus = nr_vcpus;
	t->ram_size = BG_RAM;
	t->maxphyaddr = 46;
	t->gbpages = true;

	uint64_t global = kernel_global ? X86_PTE_G : 0;
	/* The direct map: 2 MiB pages over all RAM under one PD. */
	uint64_t pdpt = bench_guest_table(g), pd = bench_guest_table(g);
	bench_guest_set(g, pdpt + 8 * index_at(BG_DMAP, 3), pd | KERNEL_RW);
	for (uint64_t i = 0; i < BG_RAM >> 21; i++)
		bench_guest_set(g, pd + 8 * i,
				(i << 21) | KERNEL_RW | X86_PTE_PS | global);
	g->pml4e_dmap = pdpt | KERNEL_RW;

	uint64_t frames[BG_KDATA_PAGES];
	for (unsigned i = 0; i < BG_KDATA_PAGES; i++)
		frames[i] = bench_guest_frame(g);
	g->pml4e_kdata = kernel_window(g, BG_KDATA, frames, BG_KDATA_PAGES,
				       KERNEL_RW | global);
	/* KPTI maps the trampoline into both halves: never global there,
	 * like every kernel page under KPTI. */
	frames[0] = bench_guest_frame(g);
	g->pml4e_tramp = kernel_window(g, BG_TRAMP, frames, 1, X86_PTE_P);
}

void bench_guest_fini(struct bench_guest *g)
{
	u64map_fini(&g->image);
}

uint64_t bench_guest_space(struct bench_guest *g, enum bench_space kind)
{
	uint64_t pml4 = bench_guest_table(g);
	if (kind == BG_SPACE_FULL) {
		bench_guest_set(g, pml4 + 8 * index_at(BG_DMAP, 4),
				g->pml4e_dmap);
		bench_guest_set(g, pml4 + 8 * index_at(BG_KDATA, 4),
				g->pml4e_kdata);
	}
	bench_guest_set(g, pml4 + 8 * index_at(BG_TRAMP, 4), g->pml4e_tramp);
	return pml4;
}

uint64_t bench_guest_entry(struct bench_guest *g, uint64_t pml4, uint64_t la,
			   unsigned level)
{
	uint64_t table = pml4;
	/* User-half tables are reachable from user mode. */
	uint64_t upper = la >> 47 ? KERNEL_RW : BG_USER_RW;
	for (unsigned l = 4; l > level; l--) {
		uint64_t slot = table + 8 * index_at(la, l);
		uint64_t e = bench_guest_get(g, slot);
		if (!(e & X86_PTE_P)) {
			e = bench_guest_table(g) | upper;
			bench_guest_set(g, slot, e);
		}
		table = e & ADDR_MASK;
	}
	return table + 8 * index_at(la, level);
}

uint64_t bench_guest_map(struct bench_guest *g, uint64_t pml4, uint64_t la,
			 uint64_t frame, uint64_t flags)
{
	uint64_t pte = bench_guest_entry(g, pml4, la, 1);
	bench_guest_set(g, pte, frame | flags);
	return pte;
}

void bench_guest_start(struct bench_guest *g, unsigned v, uint64_t cr3,
		       bool pcide, bool pge)
{
	struct bench_vcpu_prog *p = &g->t->vcpu[v];
	p->regs = (struct smmu_paging_regs){
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = cr3,
		.cr4 = X86_CR4_PAE | (pcide ? X86_CR4_PCIDE : 0) |
		       (pge ? X86_CR4_PGE : 0),
		.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
	};
	p->has_regs = true;
}

void bench_guest_go(struct bench_guest *g, unsigned writer)
{
	g->running = true;
	g->writer = writer;
}

void bench_guest_read(struct bench_guest *g, unsigned v, uint64_t la,
		      uint32_t flags)
{
	event(g, v,
	      (struct gop){ .kind = GOP_ACCESS, .la = la, .flags = flags },
	      false);
}

void bench_guest_write(struct bench_guest *g, unsigned v, uint64_t la,
		       uint64_t val, uint32_t flags)
{
	event(g, v,
	      (struct gop){
		      .kind = GOP_STORE, .la = la, .val = val, .flags = flags },
	      false);
}

void bench_guest_cr3(struct bench_guest *g, unsigned v, uint64_t cr3)
{
	event(g, v, (struct gop){ .kind = GOP_MOV_CR3, .val = cr3 }, false);
}

void bench_guest_invlpg(struct bench_guest *g, unsigned v, uint64_t la)
{
	event(g, v, (struct gop){ .kind = GOP_INVLPG, .la = la }, false);
}

void bench_guest_invpcid(struct bench_guest *g, unsigned v, unsigned type,
			 uint16_t pcid, uint64_t la)
{
	event(g, v,
	      (struct gop){ .kind = GOP_INVPCID,
			    .type = (uint8_t)type,
			    .pcid = pcid,
			    .la = la },
	      false);
}

void bench_guest_pv_flush(struct bench_guest *g, unsigned v)
{
	event(g, v, (struct gop){ .kind = GOP_PV_FLUSH }, false);
}

void bench_guest_shootdown(struct bench_guest *g, unsigned v, uint64_t targets,
			   uint64_t la)
{
	event(g, v,
	      (struct gop){
		      .kind = GOP_SHOOTDOWN, .la = la, .targets = targets },
	      false);
}
