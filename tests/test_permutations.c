/* SPDX-License-Identifier: MIT */
/*
 * The guest walker against the SDM, exhaustively: every combination of the
 * flags of the entries that decide a walk, of the paging controls (CR0.WP,
 * CR4.SMEP/SMAP/PKE/PSE/PGE, EFER.NXE), of EFLAGS.AC and PKRU, and of the
 * eight kinds of access, in 4-level, PAE and 32-bit paging. Each case is
 * built as real guest page tables, translated by smmu_vcpu_translate(), and
 * compared with spec_decide() (tests/spec), which knows nothing of memory.
 *
 * One walk path per mode is laid out once; a case only rewrites its entries
 * and registers, so millions of cases share one VM.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "spec/paging_spec.h"

#define RAM_SIZE   (UINT64_C(16) << 20)
#define MAXPHYADDR 46
#define TABLE_BASE UINT64_C(0x100000)

/* Where the leaf points, by page size: recognisable, aligned, clear of the
 * tables. The 1 GiB page lies beyond RAM; only its translation is asked. */
#define PAGE_4K_GPA UINT64_C(0x345000)
#define PAGE_2M_GPA UINT64_C(0x600000)
#define PAGE_4M_GPA UINT64_C(0xc00000)
#define PAGE_1G_GPA UINT64_C(0x40000000)

/* The non-zero protection key; PKRU gives every other key the opposite
 * rights, so a walker that looks up the wrong key is caught. */
#define TEST_PKEY 5
/* The key in the ignored bits of 4-level tables (see fixed_entry()). */
#define TABLE_PKEY 10

/* Linear addresses that use a distinct, non-zero slot at every level; the
 * 4-level one lies in the upper canonical half. */
#define LA_4LEVEL                                                              \
	(UINT64_C(0xffff000000000000) | UINT64_C(0x1a5) << 39 |                \
	 UINT64_C(0x13c) << 30 | UINT64_C(0x0d7) << 21 |                       \
	 UINT64_C(0x0e9) << 12 | 0x678)
#define LA_PAE                                                                 \
	(UINT64_C(2) << 30 | UINT64_C(0x0d7) << 21 | UINT64_C(0x0e9) << 12 |   \
	 0x678)
#define LA_32BIT (UINT64_C(0x2b7) << 22 | UINT64_C(0x0e9) << 12 | 0x678)

/* Mismatches reported in full; the rest are only counted. */
#define DEFAULT_REPORTED 5

/* The eight kinds of access (SDM 4.6: user, explicit and implicit
 * supervisor; an implicit access is never a fetch). */
static const struct {
	enum spec_op op;
	enum spec_privilege priv;
} accesses[] = {
	{ SPEC_READ, SPEC_USER },	 { SPEC_WRITE, SPEC_USER },
	{ SPEC_FETCH, SPEC_USER },	 { SPEC_READ, SPEC_SUPERVISOR },
	{ SPEC_WRITE, SPEC_SUPERVISOR }, { SPEC_FETCH, SPEC_SUPERVISOR },
	{ SPEC_READ, SPEC_IMPLICIT },	 { SPEC_WRITE, SPEC_IMPLICIT },
};
#define NR_ACCESSES (sizeof(accesses) / sizeof(accesses[0]))

/* One walk path in guest RAM. */
struct path_layout {
	enum spec_mode mode;
	unsigned levels;
	unsigned entry_size;
	uint64_t la;
	uint64_t table[SPEC_MAX_LEVELS]; /* structure holding entry[i] */
	uint64_t slot[SPEC_MAX_LEVELS];	 /* gpa of entry[i] */
};

/* The case being checked, where it lives, and what all cases found. */
struct sweep {
	struct fixture *f;
	const struct path_layout *l;
	struct spec_case c;		  /* the case being checked */
	uint64_t raw[SPEC_MAX_LEVELS];	  /* the entries as written */
	unsigned nr_pkru;		  /* PKRU values per case */
	unsigned leaf_vary, leaf_np_vary; /* PTE flags varied (enum vary) */
	unsigned long checked, mismatches, reported, report_limit;
};

static const char *const level_names[][SPEC_MAX_LEVELS] = {
	[SPEC_MODE_32BIT] = { "PDE", "PTE" },
	[SPEC_MODE_PAE] = { "PDPTE", "PDE", "PTE" },
	[SPEC_MODE_4LEVEL] = { "PML4E", "PDPTE", "PDE", "PTE" },
};
static const char *const mode_names[] = {
	[SPEC_MODE_32BIT] = "32-bit",
	[SPEC_MODE_PAE] = "PAE",
	[SPEC_MODE_4LEVEL] = "4-level",
};

/* --- Layout and encoding ------------------------------------------------ */

static unsigned slot_index(const struct path_layout *l, unsigned i)
{
	unsigned shift;

	switch (l->mode) {
	case SPEC_MODE_32BIT:
		shift = i == 0 ? 22 : 12;
		return (l->la >> shift) & 0x3ff;
	case SPEC_MODE_PAE:
		shift = i == 0 ? 30 : i == 1 ? 21 : 12;
		return (l->la >> shift) & (i == 0 ? 0x3 : 0x1ff);
	case SPEC_MODE_4LEVEL:
		shift = 39 - 9 * i;
		return (l->la >> shift) & 0x1ff;
	}
	return 0;
}

static void layout_init(struct path_layout *l, struct fixture *f,
			enum spec_mode mode)
{
	static const uint64_t las[] = {
		[SPEC_MODE_32BIT] = LA_32BIT,
		[SPEC_MODE_PAE] = LA_PAE,
		[SPEC_MODE_4LEVEL] = LA_4LEVEL,
	};

	memset(l, 0, sizeof(*l));
	l->mode = mode;
	l->levels = spec_levels(mode);
	l->entry_size = mode == SPEC_MODE_32BIT ? 4 : 8;
	l->la = las[mode];
	for (unsigned i = 0; i < l->levels; i++) {
		l->table[i] = fixture_alloc_table(f);
		l->slot[i] = l->table[i] + slot_index(l, i) * l->entry_size;
	}
}

/* Does entry[i] with these flags point at a page rather than a table?
 * Decides only which address the test writes into it. */
static bool points_to_page(const struct spec_case *c, unsigned i)
{
	const struct spec_entry *e = &c->entry[i];

	if (i == spec_levels(c->mode) - 1)
		return true;
	switch (c->mode) {
	case SPEC_MODE_32BIT:
		return e->ps && c->cr4_pse;
	case SPEC_MODE_PAE:
		return i == 1 && e->ps;
	case SPEC_MODE_4LEVEL:
		return e->ps && (i == 2 || (i == 1 && c->gbpages));
	}
	return false;
}

static uint64_t page_gpa(uint64_t page_size)
{
	switch (page_size) {
	case X86_PAGE_SIZE_2M:
		return PAGE_2M_GPA;
	case X86_PAGE_SIZE_4M:
		return PAGE_4M_GPA;
	case X86_PAGE_SIZE_1G:
		return PAGE_1G_GPA;
	default:
		return PAGE_4K_GPA;
	}
}

static uint64_t level_page_size(const struct path_layout *l, unsigned i)
{
	unsigned from_bottom = l->levels - 1 - i;

	if (from_bottom == 0)
		return X86_PAGE_SIZE;
	if (l->mode == SPEC_MODE_32BIT)
		return X86_PAGE_SIZE_4M;
	return from_bottom == 1 ? X86_PAGE_SIZE_2M : X86_PAGE_SIZE_1G;
}

static uint64_t encode(const struct spec_entry *e, uint64_t addr)
{
	return addr | (e->p ? X86_PTE_P : 0) | (e->rw ? X86_PTE_RW : 0) |
	       (e->us ? X86_PTE_US : 0) | (e->a ? X86_PTE_A : 0) |
	       (e->d ? X86_PTE_D : 0) | (e->ps ? X86_PTE_PS : 0) |
	       (e->g ? X86_PTE_G : 0) | (e->xd ? X86_PTE_XD : 0) |
	       (uint64_t)e->pkey << X86_PTE_PKEY_SHIFT;
}

static uint64_t entry_addr(const struct path_layout *l,
			   const struct spec_case *c, unsigned i)
{
	if (points_to_page(c, i))
		return page_gpa(level_page_size(l, i));
	return l->table[i + 1];
}

static uint64_t read_entry(struct sweep *s, unsigned i)
{
	struct smmu_posix_ram *ram = &s->f->host.ram;

	if (s->l->entry_size == 4)
		return smmu_posix_ram_read32(ram, s->l->slot[i]);
	return smmu_posix_ram_read64(ram, s->l->slot[i]);
}

static void write_entry(struct sweep *s, unsigned i, uint64_t val)
{
	struct smmu_posix_ram *ram = &s->f->host.ram;

	if (s->l->entry_size == 4)
		smmu_posix_ram_write32(ram, s->l->slot[i], (uint32_t)val);
	else
		smmu_posix_ram_write64(ram, s->l->slot[i], val);
}

/* Write the current case's entries. The PAE PDPTE is written to memory too
 * (as the guest would have), but translation uses the register. */
static void write_path(struct sweep *s)
{
	for (unsigned i = 0; i < s->l->levels; i++) {
		s->raw[i] = encode(&s->c.entry[i], entry_addr(s->l, &s->c, i));
		write_entry(s, i, s->raw[i]);
	}
}

static void load_registers(struct sweep *s)
{
	const struct spec_case *c = &s->c;
	struct smmu_paging_regs regs = {
		.cr0 = X86_CR0_PE | X86_CR0_PG | (c->cr0_wp ? X86_CR0_WP : 0),
		.cr3 = s->l->table[0],
		.cr4 = (c->cr4_pse ? X86_CR4_PSE : 0) |
		       (c->cr4_pge ? X86_CR4_PGE : 0) |
		       (c->cr4_smep ? X86_CR4_SMEP : 0) |
		       (c->cr4_smap ? X86_CR4_SMAP : 0) |
		       (c->cr4_pke ? X86_CR4_PKE : 0),
		.efer = c->efer_nxe ? X86_EFER_NXE : 0,
	};

	if (c->mode != SPEC_MODE_32BIT)
		regs.cr4 |= X86_CR4_PAE;
	if (c->mode == SPEC_MODE_4LEVEL)
		regs.efer |= X86_EFER_LME | X86_EFER_LMA;
	if (c->mode == SPEC_MODE_PAE)
		regs.pdpte[slot_index(s->l, 0)] = s->raw[0];
	cr_assert_eq(smmu_vcpu_set_paging(s->f->vcpu, &regs), SMMU_OK,
		     "set_paging rejected cr0=%#" PRIx64 " cr4=%#" PRIx64
		     " efer=%#" PRIx64,
		     regs.cr0, regs.cr4, regs.efer);
}

/* --- Reporting ------------------------------------------------------------ */

static void describe_entry(char *buf, size_t n, const struct spec_entry *e)
{
	snprintf(buf, n, "%s%s%s%s%s%s%s%s pkey=%u", e->p ? "P" : "-",
		 e->rw ? " RW" : "", e->us ? " US" : "", e->a ? " A" : "",
		 e->d ? " D" : "", e->ps ? " PS" : "", e->g ? " G" : "",
		 e->xd ? " XD" : "", e->pkey);
}

static void describe_error(char *buf, size_t n, uint32_t err)
{
	snprintf(buf, n, "%#x [%s%s%s%s%s%s ]", err, err & PFERR_P ? " P" : "",
		 err & PFERR_W ? " W" : "", err & PFERR_U ? " U" : "",
		 err & PFERR_RSVD ? " RSVD" : "", err & PFERR_I ? " I" : "",
		 err & PFERR_PK ? " PK" : "");
}

static void describe_rights(char *buf, size_t n, unsigned rights)
{
	snprintf(buf, n, "%s%s%s", rights & SMMU_RIGHT_W ? "W" : "-",
		 rights & SMMU_RIGHT_U ? "U" : "-",
		 rights & SMMU_RIGHT_X ? "X" : "-");
}

static void report(struct sweep *s, const struct smmu_access *acc,
		   const struct spec_outcome *want,
		   enum smmu_xlate_status got_status,
		   const struct smmu_translation *got, const uint64_t *want_raw,
		   const uint64_t *got_raw)
{
	static const char *const op_names[] = { "read", "write", "fetch" };
	static const char *const priv_names[] = { "user", "supervisor",
						  "implicit-supervisor" };
	const struct spec_case *c = &s->c;
	char msg[4096], tmp[128], tmp2[64];
	size_t len = 0;

#define APPEND(...)                                                            \
	(len += (size_t)snprintf(msg + len, sizeof(msg) - len, __VA_ARGS__))

	APPEND("walk mismatch #%lu (case %lu): %s paging, la=%#" PRIx64 "\n",
	       s->mismatches, s->checked, mode_names[c->mode], s->l->la);
	for (unsigned i = 0; i < s->l->levels; i++) {
		describe_entry(tmp, sizeof(tmp), &c->entry[i]);
		APPEND("  %-5s [%s] = %#" PRIx64 "%s\n",
		       level_names[c->mode][i], tmp, s->raw[i],
		       c->mode == SPEC_MODE_PAE && i == 0 ? " (register)" : "");
	}
	APPEND("  CR0.WP=%d CR4.PSE=%d PGE=%d SMEP=%d SMAP=%d PKE=%d "
	       "EFER.NXE=%d EFLAGS.AC=%d PKRU=%#x gbpages=%d\n",
	       c->cr0_wp, c->cr4_pse, c->cr4_pge, c->cr4_smep, c->cr4_smap,
	       c->cr4_pke, c->efer_nxe, c->eflags_ac, c->pkru, c->gbpages);
	APPEND("  access: %s %s (flags %#x)\n", priv_names[c->priv],
	       op_names[c->op], acc->flags);

	if (want->fault) {
		describe_error(tmp, sizeof(tmp), want->pf_error);
		APPEND("  expected: #PF error %s\n", tmp);
	} else {
		describe_rights(tmp2, sizeof(tmp2), want->rights);
		APPEND("  expected: OK via %s, gpa=%#" PRIx64 " size=%#" PRIx64
		       " rights=%s global=%d pkey=%u\n",
		       level_names[c->mode][want->leaf],
		       page_gpa(want->page_size) +
			       (s->l->la & (want->page_size - 1)),
		       want->page_size, tmp2, want->global, want->pkey);
	}
	if (got_status == SMMU_XLATE_PAGE_FAULT) {
		describe_error(tmp, sizeof(tmp), got->pf_error);
		APPEND("  got:      #PF error %s\n", tmp);
	} else if (got_status == SMMU_XLATE_OK) {
		describe_rights(tmp2, sizeof(tmp2), got->rights);
		APPEND("  got:      OK, gpa=%#" PRIx64 " size=%#" PRIx64
		       " rights=%s global=%d pkey=%u\n",
		       got->gpa, got->page_size, tmp2, got->global, got->pkey);
	} else {
		APPEND("  got:      status %d\n", (int)got_status);
	}
	for (unsigned i = 0; i < s->l->levels; i++)
		if (want_raw[i] != got_raw[i])
			APPEND("  %s after the walk: %#" PRIx64
			       ", expected %#" PRIx64 "\n",
			       level_names[c->mode][i], got_raw[i],
			       want_raw[i]);
#undef APPEND
	cr_expect_fail("%s", msg);
}

/* --- One case ------------------------------------------------------------- */

static uint32_t access_flags(const struct spec_case *c)
{
	uint32_t flags = 0;

	if (c->op == SPEC_WRITE)
		flags |= SMMU_ACCESS_WRITE;
	if (c->op == SPEC_FETCH)
		flags |= SMMU_ACCESS_FETCH;
	if (c->priv == SPEC_USER)
		flags |= SMMU_ACCESS_USER;
	if (c->priv == SPEC_IMPLICIT)
		flags |= SMMU_ACCESS_IMPLICIT;
	if (c->eflags_ac)
		flags |= SMMU_ACCESS_AC;
	return flags;
}

/* Translate the current case, compare with the spec, and put the entries
 * back as they were for the next case. */
static void check_case(struct sweep *s)
{
	const struct path_layout *l = s->l;
	struct smmu_access acc = { .la = l->la,
				   .flags = access_flags(&s->c),
				   .pkru = s->c.pkru };
	struct smmu_translation got;
	struct spec_outcome want;
	uint64_t want_raw[SPEC_MAX_LEVELS], got_raw[SPEC_MAX_LEVELS];
	bool ok;

	memset(&got, 0, sizeof(got));
	enum smmu_xlate_status status =
		smmu_vcpu_translate(s->f->vcpu, &acc, &got);
	spec_decide(&s->c, &want);
	s->checked++;

	if (want.fault) {
		ok = status == SMMU_XLATE_PAGE_FAULT &&
		     got.pf_error == want.pf_error;
	} else {
		uint64_t gpa = page_gpa(want.page_size) +
			       (l->la & (want.page_size - 1));
		ok = status == SMMU_XLATE_OK && got.gpa == gpa &&
		     got.page_size == want.page_size &&
		     got.rights == want.rights && got.global == want.global &&
		     got.pkey == want.pkey;
	}

	/* Every entry must read back as written, with only A and D as the
	 * spec says (SDM 4.8); the PAE PDPTE's memory copy never changes. */
	for (unsigned i = 0; i < l->levels; i++) {
		want_raw[i] = s->raw[i] & ~(X86_PTE_A | X86_PTE_D);
		if (want.a_after[i])
			want_raw[i] |= X86_PTE_A;
		if (want.d_after[i])
			want_raw[i] |= X86_PTE_D;
		got_raw[i] = read_entry(s, i);
		if (got_raw[i] != want_raw[i])
			ok = false;
		if (got_raw[i] != s->raw[i])
			write_entry(s, i, s->raw[i]);
	}

	if (!ok) {
		s->mismatches++;
		if (s->reported < s->report_limit) {
			s->reported++;
			report(s, &acc, &want, status, &got, want_raw, got_raw);
		}
	}
}

/* Every register and access combination for the entries in s->c. */
static void check_path(struct sweep *s)
{
	struct spec_case *c = &s->c;

	/* The key of the entry that maps the page, for PKRU below. */
	unsigned key = 0;
	for (unsigned i = 0; i < s->l->levels; i++)
		if (points_to_page(c, i)) {
			key = c->entry[i].pkey;
			break;
		}

	write_path(s);
	/* CR0.WP, CR4.SMEP/SMAP/PKE and EFER.NXE in all combinations. PGE
	 * only meets the G flag, so it follows the parity of the others:
	 * both values meet every value of each of them. */
	for (unsigned r = 0; r < 32; r++) {
		c->cr0_wp = r & 1;
		c->cr4_smep = r & 2;
		c->cr4_smap = r & 4;
		c->cr4_pke = r & 8;
		c->efer_nxe = r & 16;
		c->cr4_pge = __builtin_parity(r);
		load_registers(s);
		for (unsigned p = 0; p < s->nr_pkru; p++) {
			/* AD/WD of the leaf's key: all four values with
			 * protection keys, else none and both. */
			uint32_t bits = s->nr_pkru == 4 ? p : 3 * p;
			c->pkru = 0;
			for (unsigned k = 0; k < 16; k++)
				c->pkru |= (k == key ? bits : 3 ^ bits)
					   << (2 * k);
			for (unsigned ac = 0; ac < 2; ac++) {
				c->eflags_ac = ac;
				for (unsigned a = 0; a < NR_ACCESSES; a++) {
					c->op = accesses[a].op;
					c->priv = accesses[a].priv;
					check_case(s);
				}
			}
		}
	}
}

/* --- Enumerating the entries ---------------------------------------------- */

enum vary {
	V_RW = 1 << 0,
	V_US = 1 << 1,
	V_A = 1 << 2,
	V_D = 1 << 3,
	V_G = 1 << 4,
	V_XD = 1 << 5,
	V_PKEY = 1 << 6,
	V_PS = 1 << 7,
	V_NR = 8,
};

static void set_flag(struct spec_entry *e, unsigned flag, bool on)
{
	switch (flag) {
	case V_RW:
		e->rw = on;
		break;
	case V_US:
		e->us = on;
		break;
	case V_A:
		e->a = on;
		break;
	case V_D:
		e->d = on;
		break;
	case V_G:
		e->g = on;
		break;
	case V_XD:
		e->xd = on;
		break;
	case V_PKEY:
		e->pkey = on ? TEST_PKEY : 0;
		break;
	case V_PS:
		e->ps = on;
		break;
	}
}

/* Entry `i` of s->c takes every combination of the flags in `vary` (on top
 * of its current value) in turn; `next` is called for each. */
static void vary_entry(struct sweep *s, unsigned i, unsigned vary,
		       void (*next)(struct sweep *))
{
	struct spec_entry base = s->c.entry[i];
	unsigned flags[V_NR], n = 0;

	for (unsigned bit = 0; bit < V_NR; bit++)
		if (vary & (1u << bit))
			flags[n++] = 1u << bit;
	for (unsigned m = 0; m < (1u << n); m++) {
		s->c.entry[i] = base;
		for (unsigned b = 0; b < n; b++)
			set_flag(&s->c.entry[i], flags[b], m & (1u << b));
		if (next)
			next(s);
		else
			check_path(s);
	}
	s->c.entry[i] = base;
}

/* An entry that does not vary: permissive if the walk uses it, else with
 * A = 0 so that a walker touching it is seen. The PAE PDPTE register holds
 * P and an address only (SDM 4.4.1). Tables also set the bits the SDM
 * ignores in an entry that references a table: D (bit 6), G (bit 8) and,
 * in 4-level paging, a key of their own in bits 62:59 (Tables 4-5, 4-10,
 * 4-14, 4-16, 4-18), so that a walker taking them from the wrong level is
 * seen too. */
static struct spec_entry fixed_entry(const struct spec_case *c, unsigned i,
				     bool used)
{
	struct spec_entry e = { .p = 1, .rw = 1, .us = 1, .a = used };

	if (c->mode == SPEC_MODE_PAE && i == 0)
		return (struct spec_entry){ .p = 1 };
	if (i + 1 < spec_levels(c->mode)) {
		e.d = true;
		e.g = true;
		if (c->mode == SPEC_MODE_4LEVEL)
			e.pkey = TABLE_PKEY;
	}
	return e;
}

static void set_below(struct sweep *s, unsigned upper, bool used)
{
	for (unsigned i = upper + 1; i < s->l->levels; i++)
		s->c.entry[i] = fixed_entry(&s->c, i, used);
}

static void vary_leaf_pte(struct sweep *s)
{
	unsigned leaf = s->l->levels - 1;

	s->c.entry[leaf] = (struct spec_entry){ .p = 1 };
	vary_entry(s, leaf, s->leaf_vary, NULL);
	/* SDM 4.7: nothing but P is looked at in a not-present entry, but
	 * XD and the key are the bits a walker might wrongly check. */
	s->c.entry[leaf] = (struct spec_entry){ .p = 0 };
	vary_entry(s, leaf, s->leaf_np_vary, NULL);
}

/* The varied entry references the next table; if that is the page table,
 * the PTE varies as well. */
static void vary_table_entry(struct sweep *s, unsigned upper, unsigned vary)
{
	set_below(s, upper, true);
	vary_entry(s, upper, vary,
		   upper + 2 == s->l->levels ? vary_leaf_pte : NULL);
}

/* What PS = 1 does in the varied entry. */
enum ps_effect { PS_MAPS_PAGE, PS_IGNORED, PS_RESERVED };

static enum ps_effect ps_effect(const struct spec_case *c, unsigned i)
{
	switch (c->mode) {
	case SPEC_MODE_32BIT:
		return c->cr4_pse ? PS_MAPS_PAGE : PS_IGNORED;
	case SPEC_MODE_PAE:
		return PS_MAPS_PAGE;
	case SPEC_MODE_4LEVEL:
		if (i == 2 || (i == 1 && c->gbpages))
			return PS_MAPS_PAGE;
		return PS_RESERVED;
	}
	return PS_RESERVED;
}

/* Run every case of one sweep: the flags of entry `upper` vary, and if it
 * references the page table, the PTE's flags too; all other entries are
 * fixed_entry()s. Combinations that differ only in entries the walk never
 * reaches are run once. */
static void run_sweep(struct sweep *s, unsigned upper)
{
	struct spec_case *c = &s->c;
	enum spec_mode mode = c->mode;
	bool pae_pdpte = mode == SPEC_MODE_PAE && upper == 0;
	unsigned xd = mode != SPEC_MODE_32BIT ? V_XD : 0;
	unsigned pkey = mode == SPEC_MODE_4LEVEL ? V_PKEY : 0;
	unsigned rights = pae_pdpte ? 0 : V_RW | V_US | V_A | xd;

	s->nr_pkru = mode == SPEC_MODE_4LEVEL ? 4 : 2;
	s->leaf_vary = V_RW | V_US | V_A | V_D | V_G | xd | pkey;
	s->leaf_np_vary = xd | pkey;
	for (unsigned i = 0; i < upper; i++)
		c->entry[i] = fixed_entry(c, i, true);

	/* Not present: the walk ends here whatever the rest says. */
	set_below(s, upper, false);
	c->entry[upper] = (struct spec_entry){ .p = 0 };
	vary_entry(s, upper, pae_pdpte ? 0 : xd | V_PS, NULL);

	/* Present, referencing the next table. */
	c->entry[upper] = (struct spec_entry){ .p = 1 };
	vary_table_entry(s, upper, rights);
	if (pae_pdpte)
		return;

	/* Present with PS = 1. */
	c->entry[upper] = (struct spec_entry){ .p = 1, .ps = 1 };
	switch (ps_effect(c, upper)) {
	case PS_MAPS_PAGE:
		set_below(s, upper, false);
		vary_entry(s, upper, rights | V_D | V_G | pkey, NULL);
		break;
	case PS_RESERVED:
		set_below(s, upper, false);
		vary_entry(s, upper, rights, NULL);
		break;
	case PS_IGNORED:
		vary_table_entry(s, upper, rights);
		break;
	}
}

/* --- The test ------------------------------------------------------------- */

/* Every sweep on a fresh VM; a CPU without 1 GiB pages (`all_modes`
 * false) needs only the PDPTE sweep, where PS then becomes reserved. */
static void sweep_vm(struct sweep *s, bool gbpages, bool all_modes)
{
	struct fixture f;
	struct path_layout layouts[3];

	fixture_init(&f, RAM_SIZE, MAXPHYADDR, gbpages, TABLE_BASE);
	for (unsigned m = 0; m < 3; m++)
		layout_init(&layouts[m], &f, (enum spec_mode)m);
	s->f = &f;

	/* 4-level: the PDE with its PTE (2 MiB pages), the PDPTE (1 GiB
	 * pages, or PS reserved) and the PML4E (PS reserved). */
	s->l = &layouts[SPEC_MODE_4LEVEL];
	s->c = (struct spec_case){ .mode = SPEC_MODE_4LEVEL,
				   .gbpages = gbpages };
	if (all_modes)
		run_sweep(s, 2);
	run_sweep(s, 1);
	if (all_modes) {
		run_sweep(s, 0);

		/* PAE: the PDE with its PTE, and the PDPTE register. */
		s->l = &layouts[SPEC_MODE_PAE];
		s->c = (struct spec_case){ .mode = SPEC_MODE_PAE,
					   .gbpages = gbpages };
		run_sweep(s, 1);
		run_sweep(s, 0);

		/* 32-bit: the PDE with its PTE, with and without 4 MiB
		 * pages (CR4.PSE). */
		s->l = &layouts[SPEC_MODE_32BIT];
		for (int pse = 0; pse < 2; pse++) {
			s->c = (struct spec_case){ .mode = SPEC_MODE_32BIT,
						   .gbpages = gbpages,
						   .cr4_pse = pse };
			run_sweep(s, 0);
		}
	}

	fixture_fini(&f);
	s->f = NULL;
}

Test(walk_permutations, walker_agrees_with_sdm_spec, .timeout = 240)
{
	const char *env = getenv("WALK_PERMUTATIONS_REPORT");
	struct sweep s = {
		.report_limit = env ? strtoul(env, NULL, 0) : DEFAULT_REPORTED,
	};

	sweep_vm(&s, true, true);
	sweep_vm(&s, false, false);

	printf("walk-permutations: %lu permutations checked, %lu mismatches\n",
	       s.checked, s.mismatches);
	fflush(stdout);
	cr_assert_eq(s.mismatches, 0,
		     "%lu of %lu walks disagree with the SDM spec (%lu shown "
		     "above; WALK_PERMUTATIONS_REPORT=<n> shows more)",
		     s.mismatches, s.checked, s.reported);
}
