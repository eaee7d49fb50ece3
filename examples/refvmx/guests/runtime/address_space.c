/* SPDX-License-Identifier: MIT */
#include "address_space.h"

#include "layout.h"
#include "report.h"

#include <shadowmmu/x86.h>

static uintptr_t pool_next = LAYOUT_PT_POOL_BASE;

void pt_pool_reset(void)
{
	pool_next = LAYOUT_PT_POOL_BASE;
}

uintptr_t pt_alloc(void)
{
	uintptr_t page = pool_next;
	volatile uint32_t *words = (volatile uint32_t *)page;

	if (page >= LAYOUT_PT_POOL_END)
		report_fatal("page-table pool exhausted");
	pool_next += X86_PAGE_SIZE;
	for (unsigned int i = 0; i < X86_PAGE_SIZE / 4; i++)
		words[i] = 0;
	return page;
}

void as_init(struct address_space *as, const struct paging_mode *mode)
{
	as->mode = mode;
	as->root = pt_alloc();
}

uint64_t pte_read(const struct paging_mode *m, const void *entry)
{
	const volatile uint32_t *half = entry;

	if (m->entry_bytes == 4)
		return half[0];
#ifdef __x86_64__
	return *(const volatile uint64_t *)entry;
#else
	return half[0] | (uint64_t)half[1] << 32;
#endif
}

void pte_write(const struct paging_mode *m, void *entry, uint64_t value)
{
	volatile uint32_t *half = entry;

	if (m->entry_bytes == 4) {
		half[0] = (uint32_t)value;
		return;
	}
#ifdef __x86_64__
	*(volatile uint64_t *)entry = value;
#else
	/* Two stores in 32-bit code: order them so that a walk between them
	 * never sees a present entry whose halves come from two values
	 * (the present bit is in the low half). */
	if (value & X86_PTE_P) {
		half[1] = (uint32_t)(value >> 32);
		half[0] = (uint32_t)value;
	} else {
		half[0] = (uint32_t)value;
		half[1] = (uint32_t)(value >> 32);
	}
#endif
}

static void *table_entry(const struct paging_mode *m, uintptr_t table,
			 uintptr_t va, unsigned int level)
{
	return (void *)(table + paging_index(m, va, level) * m->entry_bytes);
}

static uint64_t nonleaf_flags(const struct paging_mode *m, unsigned int level)
{
	/* SDM 4.4.1: a PAE PDPTE has no R/W, U/S or A bit. */
	if (m == &paging_pae && level == 3)
		return X86_PTE_P;
	return X86_PTE_P | X86_PTE_RW;
}

void *as_entry(struct address_space *as, uintptr_t va, unsigned int level)
{
	const struct paging_mode *m = as->mode;
	uintptr_t table = as->root;

	for (unsigned int l = m->levels; l > level; l--) {
		void *entry = table_entry(m, table, va, l);
		uint64_t e = pte_read(m, entry);

		if (!(e & X86_PTE_P) || (l <= 3 && (e & X86_PTE_PS))) {
			uintptr_t next = pt_alloc();

			e = next | nonleaf_flags(m, l);
			pte_write(m, entry, e);
		}
		table = (uintptr_t)(e & m->address_mask);
	}
	return table_entry(m, table, va, level);
}

void *as_map(struct address_space *as, uintptr_t va, uint64_t pa,
	     unsigned int level, uint64_t flags)
{
	void *entry = as_entry(as, va, level);

	if (level > 1)
		flags |= X86_PTE_PS;
	pte_write(as->mode, entry, pa | flags);
	return entry;
}

void as_map_identity(struct address_space *as, uint64_t end, unsigned int level)
{
	uint64_t step = paging_span(as->mode, level);

	for (uint64_t pa = 0; pa < end; pa += step)
		as_map(as, (uintptr_t)pa, pa, level, X86_PTE_P | X86_PTE_RW);
}
