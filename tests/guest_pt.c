/* SPDX-License-Identifier: MIT */
#include "guest_pt.h"

#include <criterion/criterion.h>

struct mode_shape {
	int levels;
	int entry_size;
	int shift[6];
	int bits[6];
};

static const struct mode_shape *shape(enum smmu_paging_mode m)
{
	static const struct mode_shape s32 = {
		2, 4, { 0, 12, 22 }, { 0, 10, 10 }
	};
	static const struct mode_shape pae = {
		3, 8, { 0, 12, 21, 30 }, { 0, 9, 9, 2 }
	};
	static const struct mode_shape l4 = {
		4, 8, { 0, 12, 21, 30, 39 }, { 0, 9, 9, 9, 9 }
	};
	static const struct mode_shape l5 = {
		5, 8, { 0, 12, 21, 30, 39, 48 }, { 0, 9, 9, 9, 9, 9 }
	};
	switch (m) {
	case SMMU_PAGING_32BIT:
		return &s32;
	case SMMU_PAGING_PAE:
		return &pae;
	case SMMU_PAGING_4LEVEL:
		return &l4;
	case SMMU_PAGING_5LEVEL:
		return &l5;
	default:
		cr_assert_fail("guest_pt: no tables in paging-off mode");
		return NULL;
	}
}

void guest_pt_init_ram(struct guest_pt *pt, struct smmu_posix_ram *ram,
		       uint64_t *next_table, enum smmu_paging_mode mode)
{
	memset(pt, 0, sizeof(*pt));
	pt->ram = ram;
	pt->next_table = next_table;
	pt->mode = mode;
	pt->root = guest_pt_alloc_table(pt);
}

void guest_pt_init(struct guest_pt *pt, struct fixture *f,
		   enum smmu_paging_mode mode)
{
	guest_pt_init_ram(pt, &f->host.ram, &f->next_table, mode);
	pt->f = f;
}

uint64_t guest_pt_alloc_table(struct guest_pt *pt)
{
	uint64_t gpa = *pt->next_table;
	void *p = smmu_posix_ram_ptr(pt->ram, gpa, 4096);
	cr_assert_not_null(p, "guest_pt: out of table pages at %#llx",
			   (unsigned long long)gpa);
	memset(p, 0, 4096);
	*pt->next_table += 4096;
	return gpa;
}

static uint64_t index_of(const struct mode_shape *s, uint64_t la, int level)
{
	return (la >> s->shift[level]) & ((1ull << s->bits[level]) - 1);
}

uint64_t guest_pt_read(const struct guest_pt *pt, uint64_t gpa)
{
	return shape(pt->mode)->entry_size == 4
		       ? smmu_posix_ram_read32(pt->ram, gpa)
		       : smmu_posix_ram_read64(pt->ram, gpa);
}

void guest_pt_write(struct guest_pt *pt, uint64_t gpa, uint64_t val)
{
	if (shape(pt->mode)->entry_size == 4)
		smmu_posix_ram_write32(pt->ram, gpa, (uint32_t)val);
	else
		smmu_posix_ram_write64(pt->ram, gpa, val);
}

static uint64_t table_of(const struct mode_shape *s, uint64_t entry)
{
	return entry &
	       (s->entry_size == 4 ? 0xfffff000ull : 0x000ffffffffff000ull);
}

uint64_t guest_pt_entry_gpa(const struct guest_pt *pt, uint64_t la, int level)
{
	const struct mode_shape *s = shape(pt->mode);
	uint64_t table = pt->root;
	for (int l = s->levels; l > level; l--) {
		uint64_t e = guest_pt_read(pt, table + index_of(s, la, l) *
							       s->entry_size);
		cr_assert(e & X86_PTE_P, "guest_pt: no table at level %d", l);
		table = table_of(s, e);
	}
	return table + index_of(s, la, level) * s->entry_size;
}

uint64_t guest_pt_map(struct guest_pt *pt, uint64_t la, uint64_t gpa,
		      int leaf_level, uint64_t leaf_flags, uint64_t table_flags)
{
	const struct mode_shape *s = shape(pt->mode);
	uint64_t table = pt->root;
	for (int l = s->levels; l > leaf_level; l--) {
		uint64_t egpa = table + index_of(s, la, l) * s->entry_size;
		uint64_t e = guest_pt_read(pt, egpa);
		if (!(e & X86_PTE_P)) {
			e = guest_pt_alloc_table(pt);
			/* PAE PDPTEs take only P (other low bits reserved). */
			e |= (pt->mode == SMMU_PAGING_PAE && l == 3)
				     ? X86_PTE_P
				     : table_flags;
			guest_pt_write(pt, egpa, e);
			if (pt->mode == SMMU_PAGING_PAE && l == 3)
				pt->pdpte[index_of(s, la, l)] = e;
		}
		table = table_of(s, e);
	}
	uint64_t leaf = gpa | leaf_flags | (leaf_level > 1 ? X86_PTE_PS : 0);
	uint64_t egpa = table + index_of(s, la, leaf_level) * s->entry_size;
	guest_pt_write(pt, egpa, leaf);
	return egpa;
}

struct smmu_paging_regs guest_pt_regs(const struct guest_pt *pt, uint64_t cr0,
				      uint64_t cr4, uint64_t efer)
{
	struct smmu_paging_regs r = {
		.cr0 = cr0 | X86_CR0_PE | X86_CR0_PG,
		.cr3 = pt->root,
		.cr4 = cr4,
		.efer = efer,
	};
	switch (pt->mode) {
	case SMMU_PAGING_PAE:
		r.cr4 |= X86_CR4_PAE;
		memcpy(r.pdpte, pt->pdpte, sizeof(r.pdpte));
		break;
	case SMMU_PAGING_5LEVEL:
		r.cr4 |= X86_CR4_LA57;
		/* fall through */
	case SMMU_PAGING_4LEVEL:
		r.cr4 |= X86_CR4_PAE;
		r.efer |= X86_EFER_LME | X86_EFER_LMA;
		break;
	default:
		break;
	}
	return r;
}

void guest_pt_activate(struct guest_pt *pt, uint64_t cr0, uint64_t cr4,
		       uint64_t efer)
{
	cr_assert_not_null(pt->f, "guest_pt_activate: no fixture vCPU");
	struct smmu_paging_regs r = guest_pt_regs(pt, cr0, cr4, efer);
	cr_assert_eq(smmu_vcpu_set_paging(pt->f->vcpu, &r), SMMU_OK);
	cr_assert_eq(smmu_vcpu_paging_mode(pt->f->vcpu), pt->mode);
}
