/* SPDX-License-Identifier: MIT */
/*
 * SDM vol. 3C "Checks on VMX Controls" and "Checks on Host Control
 * Registers, MSRs, Segment and Descriptor-Table Registers" and "Checks
 * Related to Address-Space Size": the checks whose failure VMLAUNCH and
 * VMRESUME report as VM-instruction error 7 (controls) or 8 (host state).
 */
#include "vmx_diag_internal.h"

static const char *msr_name(uint32_t msr)
{
	switch (msr) {
	case MSR_IA32_VMX_PINBASED_CTLS:
		return "IA32_VMX_PINBASED_CTLS";
	case MSR_IA32_VMX_PROCBASED_CTLS:
		return "IA32_VMX_PROCBASED_CTLS";
	case MSR_IA32_VMX_PROCBASED_CTLS2:
		return "IA32_VMX_PROCBASED_CTLS2";
	case MSR_IA32_VMX_EXIT_CTLS:
		return "IA32_VMX_EXIT_CTLS";
	case MSR_IA32_VMX_ENTRY_CTLS:
		return "IA32_VMX_ENTRY_CTLS";
	case MSR_IA32_VMX_TRUE_PINBASED_CTLS:
		return "IA32_VMX_TRUE_PINBASED_CTLS";
	case MSR_IA32_VMX_TRUE_PROCBASED_CTLS:
		return "IA32_VMX_TRUE_PROCBASED_CTLS";
	case MSR_IA32_VMX_TRUE_EXIT_CTLS:
		return "IA32_VMX_TRUE_EXIT_CTLS";
	case MSR_IA32_VMX_TRUE_ENTRY_CTLS:
		return "IA32_VMX_TRUE_ENTRY_CTLS";
	default:
		return "capability MSR";
	}
}

/* "<class> controls <v>: '<name>' (bit N) must be <0|1> (<MSR>)" */
static void control_bit_finding(struct diag *d, enum vmx_control_class cls,
				uint32_t value, unsigned bit, const char *must)
{
	struct diag_line l;

	vmx_diag_line_begin(&l);
	vmx_text_str(&l.t, vmx_control_class_name(cls));
	vmx_text_str(&l.t, " controls ");
	vmx_text_hex(&l.t, value);
	vmx_text_str(&l.t, ": '");
	vmx_text_str(&l.t, vmx_control_name(cls, bit));
	vmx_text_str(&l.t, "' (bit ");
	vmx_text_dec(&l.t, bit);
	vmx_text_str(&l.t, ") must be ");
	vmx_text_str(&l.t, must);
	vmx_text_str(&l.t, " (");
	vmx_text_str(&l.t, msr_name(d->env->caps->ctls_msr[cls]));
	vmx_text_str(&l.t, ")");
	vmx_diag_line_report(d, &l);
}

/* "Reserved bits in the ... controls must be set properly." */
static void check_against_caps(struct diag *d)
{
	const struct vmx_caps *caps = d->env->caps;
	const uint32_t value[VMX_CONTROLS_COUNT] = {
		[VMX_CONTROLS_PIN] = d->pin,	 [VMX_CONTROLS_PROC] = d->proc,
		[VMX_CONTROLS_PROC2] = d->proc2, [VMX_CONTROLS_EXIT] = d->exit,
		[VMX_CONTROLS_ENTRY] = d->entry,
	};

	for (int cls = 0; cls < VMX_CONTROLS_COUNT; cls++) {
		uint32_t must_be_1 = (uint32_t)caps->ctls[cls];
		uint32_t may_be_1 = (uint32_t)(caps->ctls[cls] >> 32);

		/* Secondary controls not activated count as all 0 and
		 * are not checked. */
		if (cls == VMX_CONTROLS_PROC2 &&
		    !(d->proc & VMX_PROC_ACTIVATE_SECONDARY))
			continue;
		for (unsigned bit = 0; bit < 32; bit++) {
			uint32_t b = VMX_BIT32(bit);

			if ((must_be_1 & b) && !(value[cls] & b))
				control_bit_finding(d, cls, value[cls], bit,
						    "1");
			if ((value[cls] & b) && !(may_be_1 & b))
				control_bit_finding(d, cls, value[cls], bit,
						    "0");
		}
	}
}

/* A 4 KiB-aligned physical address the CPU can reach. */
static void check_page_address(struct diag *d, const char *subject,
			       uint32_t field)
{
	uint64_t pa = diag_read(d, field);

	if (pa & 0xfff)
		vmx_diag_flag(d, subject, pa, "bits 11:0 must be 0");
	if (pa & vmx_diag_beyond_maxphyaddr(d))
		vmx_diag_flag(
			d, subject, pa,
			"bits beyond the physical-address width must be 0");
}

/* An MSR-load/store area: 16-byte entries, 16-byte aligned, all of it
 * below the physical-address width. */
static void check_msr_area(struct diag *d, const char *subject,
			   uint32_t count_field, uint32_t addr_field)
{
	uint64_t count = diag_read(d, count_field);
	uint64_t addr;

	if (!count)
		return;
	addr = diag_read(d, addr_field);
	if (addr & 0xf)
		vmx_diag_flag(d, subject, addr, "bits 3:0 must be 0");
	if ((addr + count * 16 - 1) & vmx_diag_beyond_maxphyaddr(d))
		vmx_diag_flag2(d, subject, addr, "count", count,
			       "area ends beyond the physical-address width");
}

/* Does a hardware exception with this vector push an error code? */
static bool exception_has_error_code(unsigned vector)
{
	switch (vector) {
	case 8:	 /* #DF */
	case 10: /* #TS */
	case 11: /* #NP */
	case 12: /* #SS */
	case 13: /* #GP */
	case 14: /* #PF */
	case 17: /* #AC */
		return true;
	default:
		return false;
	}
}

/* SDM "Checks on VMX Controls", VM-entry control fields: event
 * injection. */
static void check_event_injection(struct diag *d)
{
	const char *subject = "VM-entry interruption information";
	uint32_t info = (uint32_t)diag_read(d, VMCS_ENTRY_INTR_INFO);
	unsigned type =
		(info & VMX_INTR_INFO_TYPE_MASK) >> VMX_INTR_INFO_TYPE_SHIFT;
	unsigned vector = info & VMX_INTR_INFO_VECTOR_MASK;
	bool deliver = info & VMX_INTR_INFO_ERROR_CODE;
	const struct vmx_caps *caps = d->env->caps;

	if (!(info & VMX_INTR_INFO_VALID))
		return;
	if (type == 1 || (type == VMX_INTR_OTHER_EVENT && caps &&
			  !vmx_control_allowed1(caps->ctls[VMX_CONTROLS_PROC],
						VMX_PROC_MONITOR_TRAP_FLAG)))
		vmx_diag_flag(d, subject, info,
			      "interruption type is reserved");
	if (type == VMX_INTR_NMI && vector != 2)
		vmx_diag_flag(d, subject, info, "an NMI must have vector 2");
	if (type == VMX_INTR_HW_EXCEPTION && vector > 31)
		vmx_diag_flag(d, subject, info,
			      "a hardware exception must have a vector <= 31");
	if (type == VMX_INTR_OTHER_EVENT && vector != 0)
		vmx_diag_flag(d, subject, info,
			      "type 7 (other event) must have vector 0");
	/* #CP (21) pushes an error code only on CPUs with CET; and BASIC
	 * bit 56 lifts the rule altogether. */
	if (vector != 21 &&
	    !(caps && (caps->basic & IA32_VMX_BASIC_ANY_ERROR_CODE))) {
		bool cr0_pe = diag_read(d, VMCS_GUEST_CR0) & CR0_PE;
		bool expected = (!d->unrestricted || cr0_pe) &&
				type == VMX_INTR_HW_EXCEPTION &&
				exception_has_error_code(vector);

		if (deliver && !expected)
			vmx_diag_flag(d, subject, info,
				      "deliver-error-code (bit 11) set for an "
				      "event without an error code");
		if (!deliver && expected)
			vmx_diag_flag(
				d, subject, info,
				"deliver-error-code (bit 11) clear for an "
				"exception that pushes an error code");
	}
	if (info & (uint32_t)VMX_BITS(30, 12))
		vmx_diag_flag(d, subject, info,
			      "reserved bits 30:12 must be 0");
	if (deliver) {
		uint64_t code = diag_read(d, VMCS_ENTRY_EXCEPTION_ERROR);

		if (code & VMX_BITS(31, 16))
			vmx_diag_flag(d, "VM-entry exception error code", code,
				      "bits 31:16 must be 0");
	}
	if (type == VMX_INTR_SW_INTERRUPT ||
	    type == VMX_INTR_PRIV_SW_EXCEPTION ||
	    type == VMX_INTR_SW_EXCEPTION) {
		uint64_t len = diag_read(d, VMCS_ENTRY_INSTRUCTION_LEN);
		bool zero_ok =
			caps && (caps->misc & IA32_VMX_MISC_ZERO_LEN_INJECTION);

		if (len > 15 || (len == 0 && !zero_ok))
			vmx_diag_flag2(
				d, subject, info, "VM-entry instruction length",
				len, "a software event needs a length of 1-15");
	}
}

unsigned vmx_diag_check_controls(const struct vmx_diag_env *env)
{
	struct diag d;

	vmx_diag_begin(&d, env);
	if (env->caps) {
		uint64_t targets = diag_read(&d, VMCS_CR3_TARGET_COUNT);

		check_against_caps(&d);
		if (targets > IA32_VMX_MISC_CR3_TARGETS(env->caps->misc))
			vmx_diag_flag2(
				&d, "CR3-target count", targets,
				"IA32_VMX_MISC", env->caps->misc,
				"more CR3 targets than the CPU supports");
	}
	if (d.proc & VMX_PROC_USE_IO_BITMAPS) {
		check_page_address(&d, "I/O-bitmap A address",
				   VMCS_IO_BITMAP_A);
		check_page_address(&d, "I/O-bitmap B address",
				   VMCS_IO_BITMAP_B);
	}
	if (d.proc & VMX_PROC_USE_MSR_BITMAPS)
		check_page_address(&d, "MSR-bitmap address", VMCS_MSR_BITMAP);
	if (!(d.pin & VMX_PIN_NMI_EXITING) && (d.pin & VMX_PIN_VIRTUAL_NMIS))
		vmx_diag_flag(&d, "pin-based controls", d.pin,
			      "'virtual NMIs' needs 'NMI exiting'");
	if (!(d.pin & VMX_PIN_VIRTUAL_NMIS) &&
	    (d.proc & VMX_PROC_NMI_WINDOW_EXITING))
		vmx_diag_flag2(&d, "pin-based controls", d.pin,
			       "primary processor-based controls", d.proc,
			       "'NMI-window exiting' needs 'virtual NMIs'");
	if ((d.proc2 & VMX_PROC2_ENABLE_VPID) && !diag_read(&d, VMCS_VPID))
		vmx_diag_flag(&d, "VPID", 0,
			      "must not be 0 when 'enable VPID' is set");
	if ((d.proc2 & VMX_PROC2_UNRESTRICTED_GUEST) &&
	    !(d.proc2 & VMX_PROC2_ENABLE_EPT))
		vmx_diag_flag(&d, "secondary processor-based controls", d.proc2,
			      "'unrestricted guest' needs 'enable EPT'");
	if ((d.exit & VMX_EXIT_CTL_SAVE_PREEMPTION_TIMER) &&
	    !(d.pin & VMX_PIN_PREEMPTION_TIMER))
		vmx_diag_flag2(&d, "VM-exit controls", d.exit,
			       "pin-based controls", d.pin,
			       "'save VMX-preemption timer value' needs "
			       "'activate VMX-preemption timer'");
	check_msr_area(&d, "VM-exit MSR-store address",
		       VMCS_EXIT_MSR_STORE_COUNT, VMCS_EXIT_MSR_STORE_ADDR);
	check_msr_area(&d, "VM-exit MSR-load address", VMCS_EXIT_MSR_LOAD_COUNT,
		       VMCS_EXIT_MSR_LOAD_ADDR);
	check_msr_area(&d, "VM-entry MSR-load address",
		       VMCS_ENTRY_MSR_LOAD_COUNT, VMCS_ENTRY_MSR_LOAD_ADDR);
	if (d.entry & (VMX_ENTRY_CTL_ENTRY_TO_SMM |
		       VMX_ENTRY_CTL_DEACTIVATE_DUAL_MONITOR))
		vmx_diag_flag(&d, "VM-entry controls", d.entry,
			      "'entry to SMM' and 'deactivate dual-monitor "
			      "treatment' must be 0 outside SMM");
	check_event_injection(&d);
	return d.findings;
}

/* IA32_EFER bits Intel CPUs define; any other set bit is reserved. */
#define EFER_DEFINED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

static void check_host_crs_msrs(struct diag *d, bool host_64)
{
	const struct vmx_caps *caps = d->env->caps;
	uint64_t cr0 = diag_read(d, VMCS_HOST_CR0);
	uint64_t cr3 = diag_read(d, VMCS_HOST_CR3);
	uint64_t cr4 = diag_read(d, VMCS_HOST_CR4);

	/* VM exit leaves CR0.NW and CR0.CD alone, so they are not checked. */
	if (caps) {
		vmx_diag_check_fixed_cr(d, "host CR0", cr0, caps->cr0_fixed0,
					caps->cr0_fixed1, CR0_NW | CR0_CD,
					"IA32_VMX_CR0_FIXED0",
					"IA32_VMX_CR0_FIXED1");
		vmx_diag_check_fixed_cr(
			d, "host CR4", cr4, caps->cr4_fixed0, caps->cr4_fixed1,
			0, "IA32_VMX_CR4_FIXED0", "IA32_VMX_CR4_FIXED1");
	}
	if (cr3 & vmx_diag_beyond_maxphyaddr(d))
		vmx_diag_flag(
			d, "host CR3", cr3,
			"bits beyond the physical-address width must be 0");
	if (!vmx_diag_canonical(d, diag_read(d, VMCS_HOST_IA32_SYSENTER_ESP)))
		vmx_diag_flag(d, "host IA32_SYSENTER_ESP",
			      diag_read(d, VMCS_HOST_IA32_SYSENTER_ESP),
			      "must be canonical");
	if (!vmx_diag_canonical(d, diag_read(d, VMCS_HOST_IA32_SYSENTER_EIP)))
		vmx_diag_flag(d, "host IA32_SYSENTER_EIP",
			      diag_read(d, VMCS_HOST_IA32_SYSENTER_EIP),
			      "must be canonical");
	if ((d->exit & VMX_EXIT_CTL_LOAD_IA32_PAT) &&
	    !vmx_diag_pat_valid(diag_read(d, VMCS_HOST_IA32_PAT)))
		vmx_diag_flag(d, "host IA32_PAT",
			      diag_read(d, VMCS_HOST_IA32_PAT),
			      "each byte must be 0, 1, 4, 5, 6 or 7");
	if (d->exit & VMX_EXIT_CTL_LOAD_IA32_EFER) {
		uint64_t efer = diag_read(d, VMCS_HOST_IA32_EFER);
		bool lma = efer & EFER_LMA, lme = efer & EFER_LME;

		if (efer & ~EFER_DEFINED)
			vmx_diag_flag(d, "host IA32_EFER", efer,
				      "reserved bits must be 0");
		if (lma != host_64 || lme != host_64)
			vmx_diag_flag2(d, "host IA32_EFER", efer,
				       "VM-exit controls", d->exit,
				       "LMA and LME must both equal 'host "
				       "address-space size'");
	}
	if (!host_64 && (cr4 & CR4_PCIDE))
		vmx_diag_flag(
			d, "host CR4", cr4,
			"PCIDE must be 0 without 'host address-space size'");
	if (host_64 && !(cr4 & CR4_PAE))
		vmx_diag_flag(d, "host CR4", cr4,
			      "PAE must be 1 with 'host address-space size'");
}

static const struct {
	const char *name;
	uint32_t field;
} host_selectors[] = {
	{ "host ES selector", VMCS_HOST_ES_SELECTOR },
	{ "host CS selector", VMCS_HOST_CS_SELECTOR },
	{ "host SS selector", VMCS_HOST_SS_SELECTOR },
	{ "host DS selector", VMCS_HOST_DS_SELECTOR },
	{ "host FS selector", VMCS_HOST_FS_SELECTOR },
	{ "host GS selector", VMCS_HOST_GS_SELECTOR },
	{ "host TR selector", VMCS_HOST_TR_SELECTOR },
};

static const struct {
	const char *name;
	uint32_t field;
} host_bases[] = {
	{ "host FS base", VMCS_HOST_FS_BASE },
	{ "host GS base", VMCS_HOST_GS_BASE },
	{ "host GDTR base", VMCS_HOST_GDTR_BASE },
	{ "host IDTR base", VMCS_HOST_IDTR_BASE },
	{ "host TR base", VMCS_HOST_TR_BASE },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void check_host_segments(struct diag *d, bool host_64)
{
	for (unsigned i = 0; i < ARRAY_LEN(host_selectors); i++) {
		uint64_t sel = diag_read(d, host_selectors[i].field);

		if (sel & (SELECTOR_RPL_MASK | SELECTOR_TI))
			vmx_diag_flag(
				d, host_selectors[i].name, sel,
				"RPL (bits 1:0) and TI (bit 2) must be 0");
	}
	if (!diag_read(d, VMCS_HOST_CS_SELECTOR))
		vmx_diag_flag(d, "host CS selector", 0, "must not be 0");
	if (!diag_read(d, VMCS_HOST_TR_SELECTOR))
		vmx_diag_flag(d, "host TR selector", 0, "must not be 0");
	if (!host_64 && !diag_read(d, VMCS_HOST_SS_SELECTOR))
		vmx_diag_flag(
			d, "host SS selector", 0,
			"must not be 0 without 'host address-space size'");
	for (unsigned i = 0; i < ARRAY_LEN(host_bases); i++) {
		uint64_t base = diag_read(d, host_bases[i].field);

		if (!vmx_diag_canonical(d, base))
			vmx_diag_flag(d, host_bases[i].name, base,
				      "must be canonical");
	}
}

/* SDM "Checks Related to Address-Space Size". */
static void check_address_space_size(struct diag *d, bool host_64)
{
	uint64_t rip = diag_read(d, VMCS_HOST_RIP);

	if (d->env->host_ia32e && !host_64)
		vmx_diag_flag(d, "VM-exit controls", d->exit,
			      "'host address-space size' must be 1 when VM "
			      "entry runs in IA-32e mode");
	if (!d->env->host_ia32e && host_64)
		vmx_diag_flag(d, "VM-exit controls", d->exit,
			      "'host address-space size' must be 0 when VM "
			      "entry runs outside IA-32e mode");
	if (!host_64 && d->ia32e_guest)
		vmx_diag_flag2(d, "VM-entry controls", d->entry,
			       "VM-exit controls", d->exit,
			       "'IA-32e mode guest' needs 'host address-space "
			       "size'");
	if (!host_64 && (rip >> 32))
		vmx_diag_flag(
			d, "host RIP", rip,
			"bits 63:32 must be 0 without 'host address-space "
			"size'");
	if (host_64 && !vmx_diag_canonical(d, rip))
		vmx_diag_flag(d, "host RIP", rip, "must be canonical");
}

unsigned vmx_diag_check_host_state(const struct vmx_diag_env *env)
{
	struct diag d;
	bool host_64;

	vmx_diag_begin(&d, env);
	host_64 = d.exit & VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE;
	check_host_crs_msrs(&d, host_64);
	check_host_segments(&d, host_64);
	check_address_space_size(&d, host_64);
	return d.findings;
}
