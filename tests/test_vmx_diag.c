/* SPDX-License-Identifier: MIT */
/*
 * VM-entry failure diagnosis (adapters/vmx/vmx_diag*.c) on a fake VMCS:
 * a valid 64-bit guest with a valid 64-bit host gives no finding, and
 * each deliberate mistake (the ones hypervisors make, per the SDM's
 * "Checks on VMX Controls and Host-State Area" and "Checks on the Guest
 * State Area") gives exactly the one finding that names it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "vmx_diag.h"

/* A VMCS as a small table. Reading a field the table lacks fails the
 * test: the checker must only read fields every VMX CPU has, or ones
 * its controls say exist. */
struct fake_vmcs {
	uint32_t field[128];
	uint64_t value[128];
	int n;
};

struct findings {
	char line[16][VMX_DIAG_LINE_MAX];
	int n;
};

static struct fake_vmcs vmcs;
static struct findings found;
static struct vmx_caps caps;
static struct vmx_diag_env env;

static void set(uint32_t field, uint64_t value)
{
	for (int i = 0; i < vmcs.n; i++) {
		if (vmcs.field[i] == field) {
			vmcs.value[i] = value;
			return;
		}
	}
	cr_assert_lt(vmcs.n, 128);
	vmcs.field[vmcs.n] = field;
	vmcs.value[vmcs.n] = value;
	vmcs.n++;
}

static uint64_t get(uint32_t field)
{
	for (int i = 0; i < vmcs.n; i++)
		if (vmcs.field[i] == field)
			return vmcs.value[i];
	cr_assert_fail("the checker read VMCS field %#x, which is not set",
		       field);
	return 0;
}

static uint64_t fake_vmread(uint32_t field, void *ctx)
{
	cr_assert_eq(ctx, &found);
	return get(field);
}

static void collect(const char *line, void *ctx)
{
	struct findings *f = ctx;

	cr_assert_lt(strlen(line), VMX_DIAG_LINE_MAX);
	if (f->n < 16)
		strcpy(f->line[f->n], line);
	f->n++;
}

static uint64_t cap(uint32_t must_be_1, uint32_t may_be_1)
{
	return ((uint64_t)may_be_1 << 32) | must_be_1;
}

/* Capabilities of a Skylake-like CPU with TRUE MSRs (as Bochs models). */
static void skylake_caps(void)
{
	memset(&caps, 0, sizeof(caps));
	caps.basic = UINT64_C(0x00da040000000004);
	caps.ctls[VMX_CONTROLS_PIN] = cap(0x16, 0x7f);
	caps.ctls[VMX_CONTROLS_PROC] = cap(0x04006172, 0xf7fffffe);
	caps.ctls[VMX_CONTROLS_PROC2] = cap(0, 0x023fffff);
	caps.ctls[VMX_CONTROLS_EXIT] = cap(0x00036dfb, 0x01ffffff);
	caps.ctls[VMX_CONTROLS_ENTRY] = cap(0x000011fb, 0x0003ffff);
	caps.ctls_msr[VMX_CONTROLS_PIN] = MSR_IA32_VMX_TRUE_PINBASED_CTLS;
	caps.ctls_msr[VMX_CONTROLS_PROC] = MSR_IA32_VMX_TRUE_PROCBASED_CTLS;
	caps.ctls_msr[VMX_CONTROLS_PROC2] = MSR_IA32_VMX_PROCBASED_CTLS2;
	caps.ctls_msr[VMX_CONTROLS_EXIT] = MSR_IA32_VMX_TRUE_EXIT_CTLS;
	caps.ctls_msr[VMX_CONTROLS_ENTRY] = MSR_IA32_VMX_TRUE_ENTRY_CTLS;
	caps.misc = 0x000401e5; /* 4 CR3 targets, HLT/shutdown/SIPI */
	caps.cr0_fixed0 = 0x80000021;
	caps.cr0_fixed1 = 0xffffffff;
	caps.cr4_fixed0 = 0x2000;
	caps.cr4_fixed1 = 0x003727ff;
	caps.ept_vpid_cap = UINT64_C(0x00000f0106734141);
}

/* Access rights as a 64-bit kernel sets them up. */
#define AR_CODE64   0xa09bu /* G, L, P, DPL 0, S, type 11 */
#define AR_DATA	    0xc093u /* G, D/B, P, DPL 0, S, type 3 */
#define AR_TSS64    0x008bu /* P, type 11 (busy) */
#define AR_UNUSABLE 0x10000u

static void valid_host(uint32_t exit_controls)
{
	set(VMCS_HOST_CR0, 0x80050033);
	set(VMCS_HOST_CR3, 0x2000);
	set(VMCS_HOST_CR4, 0x20a0); /* PAE, PGE, VMXE */
	set(VMCS_HOST_IA32_EFER, 0xd01);
	set(VMCS_HOST_IA32_PAT, UINT64_C(0x0007040600070406));
	set(VMCS_HOST_IA32_SYSENTER_ESP, 0);
	set(VMCS_HOST_IA32_SYSENTER_EIP, 0);
	set(VMCS_HOST_ES_SELECTOR, 0x10);
	set(VMCS_HOST_CS_SELECTOR, 0x08);
	set(VMCS_HOST_SS_SELECTOR, 0x10);
	set(VMCS_HOST_DS_SELECTOR, 0x10);
	set(VMCS_HOST_FS_SELECTOR, 0);
	set(VMCS_HOST_GS_SELECTOR, 0);
	set(VMCS_HOST_TR_SELECTOR, 0x28);
	set(VMCS_HOST_FS_BASE, 0);
	set(VMCS_HOST_GS_BASE, UINT64_C(0xffff800000200000));
	set(VMCS_HOST_TR_BASE, UINT64_C(0xffff800000100000));
	set(VMCS_HOST_GDTR_BASE, UINT64_C(0xffff800000101000));
	set(VMCS_HOST_IDTR_BASE, UINT64_C(0xffff800000102000));
	set(VMCS_HOST_RSP, UINT64_C(0xffff800000400000));
	set(VMCS_HOST_RIP, UINT64_C(0xffffffff80001000));
	set(VMCS_EXIT_CONTROLS, exit_controls);
}

static void set_segment(uint32_t sel_field, uint64_t selector, uint64_t base,
			uint32_t limit, uint32_t ar)
{
	/* The four fields of a segment are at fixed distances from the
	 * selector's encoding in each width's table. */
	uint32_t index = sel_field - VMCS_GUEST_ES_SELECTOR;

	set(sel_field, selector);
	set(VMCS_GUEST_ES_BASE + index, base);
	set(VMCS_GUEST_ES_LIMIT + index, limit);
	set(VMCS_GUEST_ES_AR + index, ar);
}

/* A 64-bit guest kernel, as a shadow-paging hypervisor would enter it. */
static void valid_guest64(void)
{
	set(VMCS_GUEST_CR0, 0x80010031); /* PG, WP, NE, ET, PE */
	set(VMCS_GUEST_CR3, 0x1000);
	set(VMCS_GUEST_CR4, 0x20a0);
	set(VMCS_GUEST_DR7, 0x400);
	set(VMCS_GUEST_IA32_DEBUGCTL, 0);
	set(VMCS_GUEST_IA32_PAT, UINT64_C(0x0007040600070406));
	set(VMCS_GUEST_IA32_EFER, 0xd01); /* NXE, LMA, LME, SCE */
	set(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	set(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	set(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	set_segment(VMCS_GUEST_ES_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	set_segment(VMCS_GUEST_CS_SELECTOR, 0x08, 0, 0xffffffff, AR_CODE64);
	set_segment(VMCS_GUEST_SS_SELECTOR, 0x10, 0, 0xffffffff, AR_DATA);
	set_segment(VMCS_GUEST_DS_SELECTOR, 0x10, 0, 0xffffffff, AR_DATA);
	set_segment(VMCS_GUEST_FS_SELECTOR, 0, 0x7f0000001000, 0, AR_UNUSABLE);
	set_segment(VMCS_GUEST_GS_SELECTOR, 0x10, 0xffff800000300000,
		    0xffffffff, AR_DATA);
	set_segment(VMCS_GUEST_LDTR_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	set_segment(VMCS_GUEST_TR_SELECTOR, 0x18, 0x5000, 0x67, AR_TSS64);
	set(VMCS_GUEST_GDTR_BASE, 0x4000);
	set(VMCS_GUEST_GDTR_LIMIT, 0x27);
	set(VMCS_GUEST_IDTR_BASE, 0x6000);
	set(VMCS_GUEST_IDTR_LIMIT, 0xfff);
	set(VMCS_GUEST_RSP, 0x90000);
	set(VMCS_GUEST_RIP, UINT64_C(0xffffffff81000000));
	set(VMCS_GUEST_RFLAGS, 0x2);
	set(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE);
	set(VMCS_GUEST_INTERRUPTIBILITY, 0);
	set(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	set(VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);
}

static void setup(void)
{
	struct vmx_controls c;
	char err[160];

	memset(&vmcs, 0, sizeof(vmcs));
	memset(&found, 0, sizeof(found));
	skylake_caps();
	cr_assert(vmx_controls_for_shadow_paging(&caps, &c, err, sizeof(err)),
		  "%s", err);
	set(VMCS_PIN_BASED_CONTROLS, c.pin);
	set(VMCS_PROC_BASED_CONTROLS, c.proc);
	set(VMCS_PROC_BASED_CONTROLS2, c.proc2);
	set(VMCS_ENTRY_CONTROLS, vmx_entry_controls_for_guest(c.entry, 0xd01));
	set(VMCS_VPID, 1);
	set(VMCS_IO_BITMAP_A, 0x10000);
	set(VMCS_IO_BITMAP_B, 0x11000);
	set(VMCS_MSR_BITMAP, 0x12000);
	set(VMCS_CR3_TARGET_COUNT, 0);
	set(VMCS_EXIT_MSR_STORE_COUNT, 0);
	set(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	set(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	set(VMCS_ENTRY_INTR_INFO, 0);
	set(VMCS_ENTRY_EXCEPTION_ERROR, 0);
	set(VMCS_ENTRY_INSTRUCTION_LEN, 0);
	valid_host(c.exit);
	valid_guest64();
	env = (struct vmx_diag_env){
		.caps = &caps,
		.maxphyaddr = 36,
		.linear_bits = 48,
		.host_ia32e = true,
		.vmread = fake_vmread,
		.report = collect,
		.ctx = &found,
	};
}

TestSuite(vmx_diag, .init = setup);

static void print_findings(void)
{
	for (int i = 0; i < found.n && i < 16; i++)
		cr_log_info("finding: %s", found.line[i]);
}

/* Run every check; exactly one finding, equal to `expected`. */
static void expect_one_finding(const char *expected)
{
	unsigned n = vmx_diag_check_vmcs(&env);

	print_findings();
	cr_assert_eq(n, (unsigned)found.n, "return value is the count");
	cr_assert_eq(found.n, 1, "%d findings, expected one: %s", found.n,
		     expected);
	cr_assert_str_eq(found.line[0], expected);
}

static void expect_no_finding(void)
{
	unsigned n = vmx_diag_check_vmcs(&env);

	print_findings();
	cr_assert_eq(n, 0, "%u findings, first: %s", n, found.line[0]);
	cr_assert_eq(found.n, 0);
}

Test(vmx_diag, valid_64bit_guest_and_host_have_no_finding)
{
	cr_assert_eq(vmx_diag_check_controls(&env), 0);
	cr_assert_eq(vmx_diag_check_host_state(&env), 0);
	cr_assert_eq(vmx_diag_check_guest_state(&env), 0);
	expect_no_finding();
}

/* A 32-bit protected-mode guest with paging: TR may be a 16- or 32-bit
 * busy TSS, CS is 32-bit, and EFER has neither LME nor LMA. */
static void make_guest32(void)
{
	set(VMCS_ENTRY_CONTROLS,
	    vmx_entry_controls_for_guest(get(VMCS_ENTRY_CONTROLS), 0));
	set(VMCS_GUEST_IA32_EFER, 0);
	set(VMCS_GUEST_CR4, 0x2010); /* PSE, VMXE */
	set_segment(VMCS_GUEST_CS_SELECTOR, 0x08, 0, 0xffffffff, 0xc09b);
	set_segment(VMCS_GUEST_FS_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	set_segment(VMCS_GUEST_GS_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	set_segment(VMCS_GUEST_TR_SELECTOR, 0x18, 0x5000, 0x67, 0x8b);
	set(VMCS_GUEST_RIP, 0x100000);
}

Test(vmx_diag, valid_32bit_guest_has_no_finding)
{
	make_guest32();
	expect_no_finding();
	set_segment(VMCS_GUEST_TR_SELECTOR, 0x18, 0x5000, 0x2b, 0x83);
	expect_no_finding();
}

Test(vmx_diag, valid_virtual_8086_guest_has_no_finding)
{
	make_guest32();
	set(VMCS_GUEST_RFLAGS, 0x20202); /* VM, IF */
	set_segment(VMCS_GUEST_CS_SELECTOR, 0xf000, 0xf0000, 0xffff, 0xf3);
	set_segment(VMCS_GUEST_SS_SELECTOR, 0x9000, 0x90000, 0xffff, 0xf3);
	set_segment(VMCS_GUEST_DS_SELECTOR, 0, 0, 0xffff, 0xf3);
	set_segment(VMCS_GUEST_ES_SELECTOR, 0, 0, 0xffff, 0xf3);
	set_segment(VMCS_GUEST_FS_SELECTOR, 0, 0, 0xffff, 0xf3);
	set_segment(VMCS_GUEST_GS_SELECTOR, 0, 0, 0xffff, 0xf3);
	set(VMCS_GUEST_RIP, 0xfff0);
	expect_no_finding();
}

Test(vmx_diag, cr0_pg_without_pe)
{
	set(VMCS_GUEST_CR0, 0x80010030);
	expect_one_finding(
		"guest CR0 0x80010030: PG (bit 31) set requires PE (bit 0)");
}

Test(vmx_diag, tr_type_9_is_not_busy)
{
	set(VMCS_GUEST_TR_AR, 0x89);
	expect_one_finding("guest TR access rights 0x89: type must be 11 "
			   "(busy TSS) in IA-32e mode");
}

Test(vmx_diag, tr_32bit_type_9_is_not_busy_either)
{
	make_guest32();
	set(VMCS_GUEST_TR_AR, 0x89);
	expect_one_finding("guest TR access rights 0x89: type must be 3 or 11 "
			   "(busy TSS)");
}

Test(vmx_diag, usable_ldtr_of_type_5)
{
	set(VMCS_GUEST_LDTR_AR, 0x85);
	expect_one_finding("guest LDTR access rights 0x85: type must be 2 "
			   "(LDT) or the register unusable (bit 16)");
}

Test(vmx_diag, vmcs_link_pointer_0)
{
	set(VMCS_LINK_POINTER, 0);
	expect_one_finding("VMCS link pointer 0x0: must be 0xffffffffffffffff "
			   "without VMCS shadowing");
}

Test(vmx_diag, ia32e_mode_guest_with_efer_lma_clear)
{
	set(VMCS_GUEST_IA32_EFER, 0x901);
	expect_one_finding("guest IA32_EFER 0x901, VM-entry controls 0xd3fb: "
			   "LMA (bit 10) must equal 'IA-32e mode guest' "
			   "(bit 9)");
}

Test(vmx_diag, cs_not_present)
{
	set(VMCS_GUEST_CS_AR, AR_CODE64 & ~VMX_AR_P);
	expect_one_finding("guest CS access rights 0xa01b: P (bit 7) must be "
			   "1");
}

Test(vmx_diag, host_tr_selector_0)
{
	set(VMCS_HOST_TR_SELECTOR, 0);
	expect_one_finding("host TR selector 0x0: must not be 0");
}

Test(vmx_diag, guest_cr4_without_vmxe)
{
	set(VMCS_GUEST_CR4, 0xa0);
	expect_one_finding("guest CR4 0xa0: bits 0x2000 must be 1 "
			   "(IA32_VMX_CR4_FIXED0 0x2000)");
}

Test(vmx_diag, rflags_bit_1_clear)
{
	set(VMCS_GUEST_RFLAGS, 0);
	expect_one_finding("guest RFLAGS 0x0: reserved bit 1 must be 1");
}

Test(vmx_diag, limit_above_1mib_without_granularity)
{
	set(VMCS_GUEST_DS_AR, AR_DATA & ~VMX_AR_G);
	expect_one_finding("guest DS access rights 0x4093, limit 0xffffffff: "
			   "G (bit 15) must be 1 when limit bits 31:20 are "
			   "not all 0");
}

Test(vmx_diag, granularity_with_a_limit_not_ending_in_fff)
{
	set(VMCS_GUEST_SS_LIMIT, 0xfffff000);
	expect_one_finding("guest SS access rights 0xc093, limit 0xfffff000: "
			   "G (bit 15) must be 0 when limit bits 11:0 are not "
			   "all 1");
}

Test(vmx_diag, host_selector_with_rpl)
{
	set(VMCS_HOST_DS_SELECTOR, 0x13);
	expect_one_finding("host DS selector 0x13: RPL (bits 1:0) and TI (bit "
			   "2) must be 0");
}

Test(vmx_diag, host_efer_without_lma_for_a_64bit_host)
{
	set(VMCS_HOST_IA32_EFER, 0x901);
	expect_one_finding("host IA32_EFER 0x901, VM-exit controls 0x3feffb: "
			   "LMA and LME must both equal 'host address-space "
			   "size'");
}

Test(vmx_diag, guest_cr3_beyond_maxphyaddr)
{
	set(VMCS_GUEST_CR3, UINT64_C(0x10000001000));
	expect_one_finding("guest CR3 0x10000001000: bits beyond the "
			   "physical-address width must be 0");
}

Test(vmx_diag, guest_cr0_without_ne)
{
	set(VMCS_GUEST_CR0, 0x80010011);
	expect_one_finding("guest CR0 0x80010011: bits 0x20 must be 1 "
			   "(IA32_VMX_CR0_FIXED0 0x80000021)");
}

Test(vmx_diag, ia32e_mode_guest_with_pcide_and_no_pae)
{
	set(VMCS_GUEST_CR4, 0x2080);
	expect_one_finding("guest CR0 0x80010031, CR4 0x2080: 'IA-32e mode "
			   "guest' needs CR0.PG and CR4.PAE set");
}

Test(vmx_diag, ss_rpl_differs_from_cs_rpl)
{
	set(VMCS_GUEST_SS_SELECTOR, 0x13);
	set(VMCS_GUEST_SS_AR, AR_DATA | (3u << VMX_AR_DPL_SHIFT));
	set(VMCS_GUEST_CS_AR, AR_CODE64 | (3u << VMX_AR_DPL_SHIFT));
	set(VMCS_GUEST_CS_SELECTOR, 0x08);
	expect_one_finding("guest SS selector 0x13: RPL must equal CS "
			   "selector's RPL");
}

Test(vmx_diag, cs_dpl_differs_from_ss_dpl)
{
	set(VMCS_GUEST_CS_AR, AR_CODE64 | (3u << VMX_AR_DPL_SHIFT));
	expect_one_finding("guest CS access rights 0xa0fb, SS access rights "
			   "0xc093: non-conforming CS DPL must equal SS DPL");
}

Test(vmx_diag, data_segment_not_accessed)
{
	set(VMCS_GUEST_GS_AR, AR_DATA & ~VMX_AR_TYPE_ACCESSED);
	expect_one_finding("guest GS access rights 0xc092: type bit 0 "
			   "(accessed) must be 1");
}

Test(vmx_diag, sti_blocking_with_interrupts_disabled)
{
	set(VMCS_GUEST_INTERRUPTIBILITY, VMX_INTERRUPTIBILITY_STI);
	expect_one_finding("guest interruptibility state 0x1, RFLAGS 0x2: "
			   "blocking by STI needs RFLAGS.IF set");
}

Test(vmx_diag, hlt_with_ss_dpl_3)
{
	set(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_HLT);
	set(VMCS_GUEST_SS_SELECTOR, 0x13);
	set(VMCS_GUEST_SS_AR, AR_DATA | (3u << VMX_AR_DPL_SHIFT));
	set(VMCS_GUEST_CS_SELECTOR, 0x0b);
	set(VMCS_GUEST_CS_AR, AR_CODE64 | (3u << VMX_AR_DPL_SHIFT));
	expect_one_finding("guest activity state 0x1, SS access rights "
			   "0xc0f3: HLT needs SS DPL 0");
}

Test(vmx_diag, rip_above_4g_outside_64bit_mode)
{
	make_guest32();
	set(VMCS_GUEST_RIP, UINT64_C(0x100000000));
	expect_one_finding("guest RIP 0x100000000: bits 63:32 must be 0 "
			   "outside 64-bit mode");
}

Test(vmx_diag, vpid_0_with_vpid_enabled)
{
	set(VMCS_VPID, 0);
	expect_one_finding("VPID 0x0: must not be 0 when 'enable VPID' is "
			   "set");
}

Test(vmx_diag, control_missing_a_must_be_1_bit)
{
	set(VMCS_PROC_BASED_CONTROLS, get(VMCS_PROC_BASED_CONTROLS) & ~0x2u);
	expect_one_finding("primary processor-based controls 0xb619eff8: "
			   "'reserved' (bit 1) must be 1 "
			   "(IA32_VMX_TRUE_PROCBASED_CTLS)");
}

Test(vmx_diag, control_the_cpu_does_not_allow)
{
	set(VMCS_PROC_BASED_CONTROLS,
	    get(VMCS_PROC_BASED_CONTROLS) | VMX_PROC_MONITOR_TRAP_FLAG);
	expect_one_finding("primary processor-based controls 0xbe19effa: "
			   "'monitor trap flag' (bit 27) must be 0 "
			   "(IA32_VMX_TRUE_PROCBASED_CTLS)");
}

Test(vmx_diag, io_bitmap_not_page_aligned)
{
	set(VMCS_IO_BITMAP_B, 0x11800);
	expect_one_finding("I/O-bitmap B address 0x11800: bits 11:0 must be "
			   "0");
}

Test(vmx_diag, injected_gp_without_its_error_code)
{
	set(VMCS_ENTRY_INTR_INFO, 0x8000030d);
	expect_one_finding("VM-entry interruption information 0x8000030d: "
			   "deliver-error-code (bit 11) clear for an exception "
			   "that pushes an error code");
}

Test(vmx_diag, injected_gp_with_its_error_code_is_fine)
{
	set(VMCS_ENTRY_INTR_INFO, 0x80000b0d);
	expect_no_finding();
}

Test(vmx_diag, unrestricted_guest_relaxes_cr0_pe_and_pg)
{
	/* Not the shadow-paging setup, but the checker must know the
	 * relaxation so that it never blames an EPT hypervisor wrongly. */
	uint32_t proc2 = (uint32_t)get(VMCS_PROC_BASED_CONTROLS2);

	set(VMCS_PROC_BASED_CONTROLS2,
	    proc2 | VMX_PROC2_ENABLE_EPT | VMX_PROC2_UNRESTRICTED_GUEST);
	make_guest32();
	set(VMCS_GUEST_CR0, 0x30); /* real mode: NE, ET */
	set(VMCS_GUEST_CR4, 0x2000);
	set_segment(VMCS_GUEST_CS_SELECTOR, 0xf000, 0xf0000, 0xffff, 0x9b);
	set_segment(VMCS_GUEST_SS_SELECTOR, 0, 0, 0xffff, 0x93);
	set_segment(VMCS_GUEST_DS_SELECTOR, 0, 0, 0xffff, 0x93);
	set(VMCS_GUEST_RIP, 0xfff0);
	expect_no_finding();
}

Test(vmx_diag, vmfail_reports_the_instruction_error_first)
{
	unsigned n;

	set(VMCS_VM_INSTRUCTION_ERROR, VMX_ERR_ENTRY_INVALID_HOST_STATE);
	set(VMCS_HOST_TR_SELECTOR, 0);
	n = vmx_diag_vmfail(&env);
	print_findings();
	cr_assert_eq(n, 1);
	cr_assert_eq(found.n, 2);
	cr_assert_str_eq(found.line[0],
			 "VM entry failed: VM-instruction error 8 (VM entry "
			 "with invalid host-state field(s))");
	cr_assert_str_eq(found.line[1], "host TR selector 0x0: must not be 0");
}

Test(vmx_diag, entry_failure_exit_reports_reason_and_qualification)
{
	unsigned n;

	set(VMCS_EXIT_REASON, VMX_EXIT_REASON_ENTRY_FAILURE |
				      VMX_REASON_ENTRY_INVALID_GUEST_STATE);
	set(VMCS_EXIT_QUALIFICATION, 4);
	set(VMCS_LINK_POINTER, 0x5000);
	n = vmx_diag_entry_failure(&env);
	print_findings();
	cr_assert_eq(n, 1);
	cr_assert_eq(found.n, 3);
	cr_assert_str_eq(found.line[0],
			 "VM entry failed: exit reason 33 (VM-entry failure "
			 "due to invalid guest state), exit qualification 0x4");
	cr_assert_str_eq(found.line[1],
			 "exit qualification says: invalid VMCS link pointer");
}

Test(vmx_diag, msr_loading_failure_names_the_entry)
{
	set(VMCS_EXIT_REASON,
	    VMX_EXIT_REASON_ENTRY_FAILURE | VMX_REASON_ENTRY_MSR_LOADING);
	set(VMCS_EXIT_QUALIFICATION, 2);
	cr_assert_eq(vmx_diag_entry_failure(&env), 0);
	cr_assert_str_eq(found.line[0],
			 "VM entry failed: exit reason 34 (VM-entry failure "
			 "due to MSR loading), failing VM-entry MSR-load "
			 "entry (1-based) 0x2");
}

Test(vmx_diag, instruction_error_texts)
{
	cr_assert_str_eq(vmx_instruction_error_text(7),
			 "VM entry with invalid control field(s)");
	cr_assert_str_eq(vmx_instruction_error_text(12),
			 "VMREAD/VMWRITE from/to unsupported VMCS component");
	cr_assert_str_eq(vmx_instruction_error_text(14),
			 "unknown VM-instruction error");
	cr_assert_str_eq(vmx_instruction_error_text(999),
			 "unknown VM-instruction error");
}
