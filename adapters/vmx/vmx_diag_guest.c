/* SPDX-License-Identifier: MIT */
/*
 * SDM vol. 3C "Checks on the Guest State Area": the checks whose failure
 * ends VM entry with exit reason 33 (invalid guest state). The segment
 * checks are table-driven: one row per segment register, and the rules
 * that differ between CS, SS, the data segments, TR and LDTR each in a
 * function of its own.
 */
#include "vmx_diag_internal.h"

enum seg_id { ES, CS, SS, DS, FS, GS, LDTR, TR, SEG_COUNT };

static const struct {
	const char *name;
	uint32_t selector, base, limit, ar;
} seg_fields[SEG_COUNT] = {
	[ES] = { "ES", VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_BASE,
		 VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR },
	[CS] = { "CS", VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_BASE,
		 VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR },
	[SS] = { "SS", VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_BASE,
		 VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR },
	[DS] = { "DS", VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_BASE,
		 VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR },
	[FS] = { "FS", VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_BASE,
		 VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR },
	[GS] = { "GS", VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_BASE,
		 VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR },
	[LDTR] = { "LDTR", VMCS_GUEST_LDTR_SELECTOR, VMCS_GUEST_LDTR_BASE,
		   VMCS_GUEST_LDTR_LIMIT, VMCS_GUEST_LDTR_AR },
	[TR] = { "TR", VMCS_GUEST_TR_SELECTOR, VMCS_GUEST_TR_BASE,
		 VMCS_GUEST_TR_LIMIT, VMCS_GUEST_TR_AR },
};

struct seg {
	uint64_t selector, base;
	uint32_t limit, ar;
};

struct guest {
	uint64_t cr0, cr4, rflags;
	struct seg seg[SEG_COUNT];
	uint32_t entry_intr_info;
	uint32_t interruptibility;
	uint32_t activity;
};

static unsigned ar_type(uint32_t ar)
{
	return ar & VMX_AR_TYPE_MASK;
}

static unsigned ar_dpl(uint32_t ar)
{
	return (ar & VMX_AR_DPL_MASK) >> VMX_AR_DPL_SHIFT;
}

static bool usable(const struct seg *s)
{
	return !(s->ar & VMX_AR_UNUSABLE);
}

static unsigned rpl(const struct seg *s)
{
	return s->selector & SELECTOR_RPL_MASK;
}

/* Is an event of this type being injected by this VM entry? */
static bool injecting(const struct guest *g, enum vmx_intr_type type)
{
	return (g->entry_intr_info & VMX_INTR_INFO_VALID) &&
	       ((g->entry_intr_info & VMX_INTR_INFO_TYPE_MASK) >>
		VMX_INTR_INFO_TYPE_SHIFT) == (unsigned)type;
}

/* "guest <SEG> <what> <value>: <rule>" */
static void seg_flag(struct diag *d, enum seg_id id, const char *what,
		     uint64_t value, const char *rule)
{
	char subject[32];
	struct vmx_text t;

	vmx_text_init(&t, subject, sizeof(subject));
	vmx_text_str(&t, "guest ");
	vmx_text_str(&t, seg_fields[id].name);
	vmx_text_str(&t, " ");
	vmx_text_str(&t, what);
	vmx_diag_flag(d, subject, value, rule);
}

static void ar_flag(struct diag *d, const struct guest *g, enum seg_id id,
		    const char *rule)
{
	seg_flag(d, id, "access rights", g->seg[id].ar, rule);
}

/* "guest <SEG> access rights <ar>, <other> <value>: <rule>" */
static void ar_flag2(struct diag *d, const struct guest *g, enum seg_id id,
		     const char *other, uint64_t value, const char *rule)
{
	char subject[32];
	struct vmx_text t;

	vmx_text_init(&t, subject, sizeof(subject));
	vmx_text_str(&t, "guest ");
	vmx_text_str(&t, seg_fields[id].name);
	vmx_text_str(&t, " access rights");
	vmx_diag_flag2(d, subject, g->seg[id].ar, other, value, rule);
}

/* The rules every present code, data or system segment shares: P set,
 * reserved bits clear, and G consistent with the limit (a limit with G
 * set always has bits 11:0 all 1; one with G clear fits in 20 bits). */
static void check_common_ar(struct diag *d, const struct guest *g,
			    enum seg_id id)
{
	const struct seg *s = &g->seg[id];

	if (!(s->ar & VMX_AR_P))
		ar_flag(d, g, id, "P (bit 7) must be 1");
	if (s->ar & VMX_AR_RESERVED)
		ar_flag(d, g, id, "reserved bits 11:8 and 31:17 must be 0");
	if ((s->ar & VMX_AR_G) && (s->limit & 0xfff) != 0xfff)
		ar_flag2(d, g, id, "limit", s->limit,
			 "G (bit 15) must be 0 when limit bits 11:0 are not "
			 "all 1");
	if (!(s->ar & VMX_AR_G) && (s->limit & 0xfff00000u))
		ar_flag2(d, g, id, "limit", s->limit,
			 "G (bit 15) must be 1 when limit bits 31:20 are not "
			 "all 0");
}

static void check_cs(struct diag *d, const struct guest *g)
{
	uint32_t ar = g->seg[CS].ar;
	unsigned type = ar_type(ar);
	unsigned ss_dpl = ar_dpl(g->seg[SS].ar);

	if (!(type == 9 || type == 11 || type == 13 || type == 15 ||
	      (type == 3 && d->unrestricted)))
		ar_flag(d, g, CS,
			"type must be 9, 11, 13 or 15 (accessed code)");
	if (!(ar & VMX_AR_S))
		ar_flag(d, g, CS, "S (bit 4) must be 1");
	if (type == 3 && ar_dpl(ar) != 0)
		ar_flag(d, g, CS, "DPL must be 0 for a type-3 (data) CS");
	if ((type == 9 || type == 11) && ar_dpl(ar) != ss_dpl)
		ar_flag2(d, g, CS, "SS access rights", g->seg[SS].ar,
			 "non-conforming CS DPL must equal SS DPL");
	if ((type == 13 || type == 15) && ar_dpl(ar) > ss_dpl)
		ar_flag2(d, g, CS, "SS access rights", g->seg[SS].ar,
			 "conforming CS DPL must not exceed SS DPL");
	if (d->ia32e_guest && (ar & VMX_AR_L) && (ar & VMX_AR_DB))
		ar_flag(d, g, CS,
			"D/B (bit 14) must be 0 in 64-bit mode "
			"(L set, IA-32e mode guest)");
	check_common_ar(d, g, CS);
}

static void check_ss(struct diag *d, const struct guest *g)
{
	const struct seg *ss = &g->seg[SS];
	unsigned type = ar_type(ss->ar);

	if (!d->unrestricted && ar_dpl(ss->ar) != rpl(ss))
		ar_flag2(d, g, SS, "selector", ss->selector,
			 "DPL must equal the selector's RPL");
	if (ar_dpl(ss->ar) != 0 &&
	    (ar_type(g->seg[CS].ar) == 3 || !(g->cr0 & CR0_PE)))
		ar_flag(d, g, SS,
			"DPL must be 0 with a type-3 CS or CR0.PE "
			"clear");
	if (!usable(ss))
		return;
	if (type != 3 && type != 7)
		ar_flag(d, g, SS,
			"type must be 3 or 7 (read/write, accessed "
			"data)");
	if (!(ss->ar & VMX_AR_S))
		ar_flag(d, g, SS, "S (bit 4) must be 1");
	check_common_ar(d, g, SS);
}

static void check_data_segment(struct diag *d, const struct guest *g,
			       enum seg_id id)
{
	const struct seg *s = &g->seg[id];
	unsigned type = ar_type(s->ar);

	if (!usable(s))
		return;
	if (!(type & VMX_AR_TYPE_ACCESSED))
		ar_flag(d, g, id, "type bit 0 (accessed) must be 1");
	if ((type & VMX_AR_TYPE_CODE) && !(type & VMX_AR_TYPE_RW))
		ar_flag(d, g, id,
			"a code segment must be readable (type "
			"bit 1)");
	if (!(s->ar & VMX_AR_S))
		ar_flag(d, g, id, "S (bit 4) must be 1");
	/* Data and non-conforming code (types 0-11) must be accessible
	 * at the selector's RPL. */
	if (!d->unrestricted && type <= 11 && ar_dpl(s->ar) < rpl(s))
		ar_flag2(d, g, id, "selector", s->selector,
			 "DPL must not be below the selector's RPL");
	check_common_ar(d, g, id);
}

static void check_tr(struct diag *d, const struct guest *g)
{
	const struct seg *tr = &g->seg[TR];
	unsigned type = ar_type(tr->ar);

	if (tr->selector & SELECTOR_TI)
		seg_flag(d, TR, "selector", tr->selector,
			 "TI (bit 2) must be 0");
	if (!vmx_diag_canonical(d, tr->base))
		seg_flag(d, TR, "base", tr->base, "must be canonical");
	if (d->ia32e_guest && type != VMX_AR_TYPE_TSS_BUSY)
		ar_flag(d, g, TR, "type must be 11 (busy TSS) in IA-32e mode");
	if (!d->ia32e_guest && type != VMX_AR_TYPE_TSS_BUSY &&
	    type != VMX_AR_TYPE_TSS16_BUSY)
		ar_flag(d, g, TR, "type must be 3 or 11 (busy TSS)");
	if (tr->ar & VMX_AR_S)
		ar_flag(d, g, TR, "S (bit 4) must be 0");
	if (tr->ar & VMX_AR_UNUSABLE)
		ar_flag(d, g, TR, "unusable (bit 16) must be 0");
	check_common_ar(d, g, TR);
}

static void check_ldtr(struct diag *d, const struct guest *g)
{
	const struct seg *ldtr = &g->seg[LDTR];

	if (!usable(ldtr))
		return;
	if (ldtr->selector & SELECTOR_TI)
		seg_flag(d, LDTR, "selector", ldtr->selector,
			 "TI (bit 2) must be 0");
	if (!vmx_diag_canonical(d, ldtr->base))
		seg_flag(d, LDTR, "base", ldtr->base, "must be canonical");
	if (ar_type(ldtr->ar) != VMX_AR_TYPE_LDT)
		ar_flag(d, g, LDTR,
			"type must be 2 (LDT) or the register "
			"unusable (bit 16)");
	if (ldtr->ar & VMX_AR_S)
		ar_flag(d, g, LDTR, "S (bit 4) must be 0");
	check_common_ar(d, g, LDTR);
}

/* Virtual-8086 mode: each of CS..GS is a real-mode-style segment. */
static void check_v86_segments(struct diag *d, const struct guest *g)
{
	for (enum seg_id id = ES; id <= GS; id++) {
		const struct seg *s = &g->seg[id];

		if (s->base != s->selector << 4)
			seg_flag(d, id, "base", s->base,
				 "must be the selector times 16 in "
				 "virtual-8086 mode");
		if (s->limit != 0xffff)
			seg_flag(d, id, "limit", s->limit,
				 "must be 0xffff in virtual-8086 mode");
		if (s->ar != 0xf3)
			ar_flag(d, g, id, "must be 0xf3 in virtual-8086 mode");
	}
}

static void check_protected_segments(struct diag *d, const struct guest *g)
{
	if (!d->unrestricted && rpl(&g->seg[SS]) != rpl(&g->seg[CS]))
		seg_flag(d, SS, "selector", g->seg[SS].selector,
			 "RPL must equal CS selector's RPL");
	if (g->seg[CS].base >> 32)
		seg_flag(d, CS, "base", g->seg[CS].base,
			 "bits 63:32 must be 0");
	for (enum seg_id id = ES; id <= GS; id++) {
		const struct seg *s = &g->seg[id];

		if ((id == SS || id == DS || id == ES) && usable(s) &&
		    (s->base >> 32))
			seg_flag(d, id, "base", s->base,
				 "bits 63:32 must be 0");
	}
	check_cs(d, g);
	check_ss(d, g);
	check_data_segment(d, g, DS);
	check_data_segment(d, g, ES);
	check_data_segment(d, g, FS);
	check_data_segment(d, g, GS);
}

static void check_segments(struct diag *d, const struct guest *g)
{
	/* FS and GS bases are checked in every mode, being the MSRs. */
	if (!vmx_diag_canonical(d, g->seg[FS].base))
		seg_flag(d, FS, "base", g->seg[FS].base, "must be canonical");
	if (!vmx_diag_canonical(d, g->seg[GS].base))
		seg_flag(d, GS, "base", g->seg[GS].base, "must be canonical");
	if (g->rflags & RFLAGS_VM)
		check_v86_segments(d, g);
	else
		check_protected_segments(d, g);
	check_tr(d, g);
	check_ldtr(d, g);
}

/* SDM "Checks on Guest Control Registers, Debug Registers, and MSRs". */
static void check_control_registers(struct diag *d, const struct guest *g)
{
	const struct vmx_caps *caps = d->env->caps;
	uint64_t cr3 = diag_read(d, VMCS_GUEST_CR3);
	/* VM entry leaves CR0.NW and CR0.CD alone; unrestricted guests
	 * may run with paging or protection off. */
	uint64_t cr0_unchecked = CR0_NW | CR0_CD;

	if (d->unrestricted)
		cr0_unchecked |= CR0_PE | CR0_PG;
	if ((g->cr0 & CR0_PG) && !(g->cr0 & CR0_PE)) {
		vmx_diag_flag(d, "guest CR0", g->cr0,
			      "PG (bit 31) set requires PE (bit 0)");
		cr0_unchecked |= CR0_PE; /* one finding for one mistake */
	}
	if (caps) {
		vmx_diag_check_fixed_cr(d, "guest CR0", g->cr0,
					caps->cr0_fixed0, caps->cr0_fixed1,
					cr0_unchecked, "IA32_VMX_CR0_FIXED0",
					"IA32_VMX_CR0_FIXED1");
		vmx_diag_check_fixed_cr(d, "guest CR4", g->cr4,
					caps->cr4_fixed0, caps->cr4_fixed1, 0,
					"IA32_VMX_CR4_FIXED0",
					"IA32_VMX_CR4_FIXED1");
	}
	if (d->ia32e_guest && (!(g->cr0 & CR0_PG) || !(g->cr4 & CR4_PAE)))
		vmx_diag_flag2(
			d, "guest CR0", g->cr0, "CR4", g->cr4,
			"'IA-32e mode guest' needs CR0.PG and CR4.PAE set");
	if (!d->ia32e_guest && (g->cr4 & CR4_PCIDE))
		vmx_diag_flag(d, "guest CR4", g->cr4,
			      "PCIDE (bit 17) must be 0 unless 'IA-32e mode "
			      "guest'");
	if (cr3 & vmx_diag_beyond_maxphyaddr(d))
		vmx_diag_flag(
			d, "guest CR3", cr3,
			"bits beyond the physical-address width must be 0");
}

static void check_msrs(struct diag *d, const struct guest *g)
{
	uint64_t esp = diag_read(d, VMCS_GUEST_IA32_SYSENTER_ESP);
	uint64_t eip = diag_read(d, VMCS_GUEST_IA32_SYSENTER_EIP);

	if (d->entry & VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS) {
		uint64_t dr7 = diag_read(d, VMCS_GUEST_DR7);

		if (dr7 >> 32)
			vmx_diag_flag(d, "guest DR7", dr7,
				      "bits 63:32 must be 0");
	}
	if (!vmx_diag_canonical(d, esp))
		vmx_diag_flag(d, "guest IA32_SYSENTER_ESP", esp,
			      "must be canonical");
	if (!vmx_diag_canonical(d, eip))
		vmx_diag_flag(d, "guest IA32_SYSENTER_EIP", eip,
			      "must be canonical");
	if (d->entry & VMX_ENTRY_CTL_LOAD_IA32_PAT) {
		uint64_t pat = diag_read(d, VMCS_GUEST_IA32_PAT);

		if (!vmx_diag_pat_valid(pat))
			vmx_diag_flag(d, "guest IA32_PAT", pat,
				      "each byte must be 0, 1, 4, 5, 6 or 7");
	}
	if (d->entry & VMX_ENTRY_CTL_LOAD_IA32_EFER) {
		uint64_t efer = diag_read(d, VMCS_GUEST_IA32_EFER);

		if (efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
			vmx_diag_flag(d, "guest IA32_EFER", efer,
				      "reserved bits must be 0");
		if (!(efer & EFER_LMA) != !d->ia32e_guest)
			vmx_diag_flag2(d, "guest IA32_EFER", efer,
				       "VM-entry controls", d->entry,
				       "LMA (bit 10) must equal 'IA-32e mode "
				       "guest' (bit 9)");
		if ((g->cr0 & CR0_PG) && !(efer & EFER_LME) != !d->ia32e_guest)
			vmx_diag_flag2(
				d, "guest IA32_EFER", efer, "VM-entry controls",
				d->entry,
				"with CR0.PG set, LME (bit 8) must equal "
				"'IA-32e mode guest' (bit 9)");
	}
}

static void check_descriptor_tables(struct diag *d)
{
	uint64_t gdtr_base = diag_read(d, VMCS_GUEST_GDTR_BASE);
	uint64_t idtr_base = diag_read(d, VMCS_GUEST_IDTR_BASE);
	uint64_t gdtr_limit = diag_read(d, VMCS_GUEST_GDTR_LIMIT);
	uint64_t idtr_limit = diag_read(d, VMCS_GUEST_IDTR_LIMIT);

	if (!vmx_diag_canonical(d, gdtr_base))
		vmx_diag_flag(d, "guest GDTR base", gdtr_base,
			      "must be canonical");
	if (!vmx_diag_canonical(d, idtr_base))
		vmx_diag_flag(d, "guest IDTR base", idtr_base,
			      "must be canonical");
	if (gdtr_limit >> 16)
		vmx_diag_flag(d, "guest GDTR limit", gdtr_limit,
			      "bits 31:16 must be 0");
	if (idtr_limit >> 16)
		vmx_diag_flag(d, "guest IDTR limit", idtr_limit,
			      "bits 31:16 must be 0");
}

#define RFLAGS_RESERVED                                                        \
	(VMX_BITS(63, 22) | VMX_BIT(15) | VMX_BIT(5) | VMX_BIT(3))

/* SDM "Checks on Guest RIP, RFLAGS, and SSP". */
static void check_rip_rflags(struct diag *d, const struct guest *g)
{
	uint64_t rip = diag_read(d, VMCS_GUEST_RIP);
	bool long_mode_cs = d->ia32e_guest && (g->seg[CS].ar & VMX_AR_L);

	if (!long_mode_cs && (rip >> 32))
		vmx_diag_flag(d, "guest RIP", rip,
			      "bits 63:32 must be 0 outside 64-bit mode");
	if (long_mode_cs && !vmx_diag_canonical(d, rip))
		vmx_diag_flag(d, "guest RIP", rip, "must be canonical");
	if (g->rflags & RFLAGS_RESERVED)
		vmx_diag_flag(d, "guest RFLAGS", g->rflags,
			      "reserved bits 63:22, 15, 5 and 3 must be 0");
	if (!(g->rflags & RFLAGS_FIXED1))
		vmx_diag_flag(d, "guest RFLAGS", g->rflags,
			      "reserved bit 1 must be 1");
	if ((g->rflags & RFLAGS_VM) && (d->ia32e_guest || !(g->cr0 & CR0_PE)))
		vmx_diag_flag(d, "guest RFLAGS", g->rflags,
			      "VM (bit 17) must be 0 in IA-32e mode or with "
			      "CR0.PE clear");
	if (injecting(g, VMX_INTR_EXTERNAL) && !(g->rflags & RFLAGS_IF))
		vmx_diag_flag(d, "guest RFLAGS", g->rflags,
			      "IF (bit 9) must be 1 to inject an external "
			      "interrupt");
}

static void check_activity(struct diag *d, const struct guest *g)
{
	const struct vmx_caps *caps = d->env->caps;
	uint32_t state = g->activity;

	if (state > VMX_ACTIVITY_WAIT_FOR_SIPI)
		vmx_diag_flag(d, "guest activity state", state,
			      "must be 0 (active) to 3 (wait-for-SIPI)");
	else if (state != VMX_ACTIVITY_ACTIVE && caps &&
		 !(caps->misc & VMX_BIT(5 + state)))
		vmx_diag_flag2(d, "guest activity state", state,
			       "IA32_VMX_MISC", caps->misc,
			       "state not supported by the CPU");
	if (state == VMX_ACTIVITY_HLT && ar_dpl(g->seg[SS].ar) != 0)
		vmx_diag_flag2(d, "guest activity state", state,
			       "SS access rights", g->seg[SS].ar,
			       "HLT needs SS DPL 0");
	if (state != VMX_ACTIVITY_ACTIVE &&
	    (g->interruptibility &
	     (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS)))
		vmx_diag_flag2(d, "guest activity state", state,
			       "interruptibility state", g->interruptibility,
			       "blocking by STI or MOV SS needs the active "
			       "state");
}

static void check_interruptibility(struct diag *d, const struct guest *g)
{
	const char *subject = "guest interruptibility state";
	uint32_t intr = g->interruptibility;
	uint32_t sti_or_mov_ss =
		VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS;

	if (intr & (uint32_t)VMX_BITS(31, 5))
		vmx_diag_flag(d, subject, intr, "reserved bits 31:5 must be 0");
	if ((intr & sti_or_mov_ss) == sti_or_mov_ss)
		vmx_diag_flag(
			d, subject, intr,
			"blocking by STI and by MOV SS cannot both be set");
	if ((intr & VMX_INTERRUPTIBILITY_STI) && !(g->rflags & RFLAGS_IF))
		vmx_diag_flag2(d, subject, intr, "RFLAGS", g->rflags,
			       "blocking by STI needs RFLAGS.IF set");
	if (injecting(g, VMX_INTR_EXTERNAL) && (intr & sti_or_mov_ss))
		vmx_diag_flag(d, subject, intr,
			      "blocking by STI or MOV SS while injecting an "
			      "external interrupt");
	if (injecting(g, VMX_INTR_NMI) && (intr & VMX_INTERRUPTIBILITY_MOV_SS))
		vmx_diag_flag(d, subject, intr,
			      "blocking by MOV SS while injecting an NMI");
	if (intr & VMX_INTERRUPTIBILITY_SMI)
		vmx_diag_flag(d, subject, intr,
			      "blocking by SMI (bit 2) must be 0 outside SMM");
	if ((d->pin & VMX_PIN_VIRTUAL_NMIS) && injecting(g, VMX_INTR_NMI) &&
	    (intr & VMX_INTERRUPTIBILITY_NMI))
		vmx_diag_flag(d, subject, intr,
			      "blocking by NMI while injecting a virtual NMI");
}

#define PENDING_DBG_RESERVED                                                   \
	(VMX_BITS(11, 4) | VMX_BIT(13) | VMX_BIT(15) | VMX_BITS(63, 17))
#define PENDING_DBG_BS VMX_BIT(14)

static void check_pending_debug(struct diag *d, const struct guest *g)
{
	uint64_t pending = diag_read(d, VMCS_GUEST_PENDING_DBG_EXCEPTIONS);
	bool blocked = g->interruptibility &
		       (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS);

	if (pending & PENDING_DBG_RESERVED)
		vmx_diag_flag(d, "guest pending debug exceptions", pending,
			      "reserved bits 11:4, 13, 15 and 63:17 must be 0");
	/* A single-step trap is pending exactly when TF would have
	 * raised one the CPU has not delivered yet. */
	if (blocked || g->activity == VMX_ACTIVITY_HLT) {
		bool btf =
			diag_read(d, VMCS_GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF;
		bool single_step = (g->rflags & RFLAGS_TF) && !btf;

		if (single_step && !(pending & PENDING_DBG_BS))
			vmx_diag_flag2(d, "guest pending debug exceptions",
				       pending, "RFLAGS", g->rflags,
				       "BS (bit 14) must be 1 with TF set and "
				       "BTF clear while blocked or halted");
		if (!single_step && (pending & PENDING_DBG_BS))
			vmx_diag_flag2(
				d, "guest pending debug exceptions", pending,
				"RFLAGS", g->rflags,
				"BS (bit 14) must be 0 without TF (or with "
				"BTF) while blocked or halted");
	}
}

static void read_guest(struct diag *d, struct guest *g)
{
	g->cr0 = diag_read(d, VMCS_GUEST_CR0);
	g->cr4 = diag_read(d, VMCS_GUEST_CR4);
	g->rflags = diag_read(d, VMCS_GUEST_RFLAGS);
	for (int id = 0; id < SEG_COUNT; id++) {
		struct seg *s = &g->seg[id];

		s->selector = diag_read(d, seg_fields[id].selector);
		s->base = diag_read(d, seg_fields[id].base);
		s->limit = (uint32_t)diag_read(d, seg_fields[id].limit);
		s->ar = (uint32_t)diag_read(d, seg_fields[id].ar);
	}
	g->entry_intr_info = (uint32_t)diag_read(d, VMCS_ENTRY_INTR_INFO);
	g->interruptibility =
		(uint32_t)diag_read(d, VMCS_GUEST_INTERRUPTIBILITY);
	g->activity = (uint32_t)diag_read(d, VMCS_GUEST_ACTIVITY_STATE);
}

unsigned vmx_diag_check_guest_state(const struct vmx_diag_env *env)
{
	struct diag d;
	struct guest g;
	uint64_t link;

	vmx_diag_begin(&d, env);
	read_guest(&d, &g);
	check_control_registers(&d, &g);
	check_msrs(&d, &g);
	check_segments(&d, &g);
	check_descriptor_tables(&d);
	check_rip_rflags(&d, &g);
	check_activity(&d, &g);
	check_interruptibility(&d, &g);
	check_pending_debug(&d, &g);
	/* Without VMCS shadowing the link pointer must link to nothing;
	 * any other value must name a valid VMCS, which is never meant. */
	link = diag_read(&d, VMCS_LINK_POINTER);
	if (link != VMCS_LINK_POINTER_NONE)
		vmx_diag_flag(
			&d, "VMCS link pointer", link,
			"must be 0xffffffffffffffff without VMCS shadowing");
	return d.findings;
}
