/* SPDX-License-Identifier: MIT */
/*
 * VMX capabilities and control values (adapters/vmx/vmx_controls.c)
 * against synthetic capability MSRs, checked against the SDM's rules
 * (vol. 3D appendix A.2-A.5): allowed-0 bits are forced to 1, a control
 * is 1 only where allowed-1 permits, the TRUE_* MSRs replace the plain
 * ones when IA32_VMX_BASIC bit 55 is set, and a missing required control
 * fails with a message naming it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "vmx_controls.h"

/* A capability MSR: must-be-1 bits low, may-be-1 bits high. */
static uint64_t cap(uint32_t must_be_1, uint32_t may_be_1)
{
	return ((uint64_t)may_be_1 << 32) | must_be_1;
}

/* The controls' "default1" bits (SDM A.2): reserved bits the plain
 * capability MSRs report as must-be-1. */
#define PIN_DEFAULT1   0x00000016u
#define PROC_DEFAULT1  0x0401e172u
#define EXIT_DEFAULT1  0x00036dffu
#define ENTRY_DEFAULT1 0x000011ffu

/* A Skylake-like CPU as Bochs models it: everything a shadow-paging
 * hypervisor wants, and TRUE MSRs that let CR3-load/store exiting and
 * the debug-control save/load be cleared. */
#define BASIC_REVISION 0x4u
#define BASIC                                                                  \
	(UINT64_C(0x00da040000000000) | BASIC_REVISION |                       \
	 IA32_VMX_BASIC_TRUE_CTLS)

struct fake_msr {
	uint32_t msr;
	uint64_t value;
};

struct fake_cpu {
	struct fake_msr msr[32];
	int n;
	/* MSRs read that the CPU does not have: #GP on hardware. */
	uint32_t faulted[8];
	int faults;
};

static void set_msr(struct fake_cpu *cpu, uint32_t msr, uint64_t value)
{
	for (int i = 0; i < cpu->n; i++) {
		if (cpu->msr[i].msr == msr) {
			cpu->msr[i].value = value;
			return;
		}
	}
	cr_assert_lt(cpu->n, 32);
	cpu->msr[cpu->n].msr = msr;
	cpu->msr[cpu->n].value = value;
	cpu->n++;
}

static void remove_msr(struct fake_cpu *cpu, uint32_t msr)
{
	for (int i = 0; i < cpu->n; i++) {
		if (cpu->msr[i].msr == msr) {
			cpu->msr[i] = cpu->msr[--cpu->n];
			return;
		}
	}
}

static uint64_t fake_rdmsr(uint32_t msr, void *ctx)
{
	struct fake_cpu *cpu = ctx;

	for (int i = 0; i < cpu->n; i++)
		if (cpu->msr[i].msr == msr)
			return cpu->msr[i].value;
	if (cpu->faults < 8)
		cpu->faulted[cpu->faults] = msr;
	cpu->faults++;
	return 0;
}

static struct fake_cpu cpu;

static void skylake(void)
{
	memset(&cpu, 0, sizeof(cpu));
	set_msr(&cpu, MSR_IA32_VMX_BASIC, BASIC);
	set_msr(&cpu, MSR_IA32_VMX_PINBASED_CTLS, cap(PIN_DEFAULT1, 0xff));
	set_msr(&cpu, MSR_IA32_VMX_TRUE_PINBASED_CTLS, cap(PIN_DEFAULT1, 0x7f));
	set_msr(&cpu, MSR_IA32_VMX_PROCBASED_CTLS,
		cap(PROC_DEFAULT1, 0xf7fffffe));
	set_msr(&cpu, MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
		cap(PROC_DEFAULT1 & ~(VMX_PROC_CR3_LOAD_EXITING |
				      VMX_PROC_CR3_STORE_EXITING),
		    0xf7fffffe));
	set_msr(&cpu, MSR_IA32_VMX_PROCBASED_CTLS2, cap(0, 0x023fffff));
	set_msr(&cpu, MSR_IA32_VMX_EXIT_CTLS, cap(EXIT_DEFAULT1, 0x01ffffff));
	set_msr(&cpu, MSR_IA32_VMX_TRUE_EXIT_CTLS,
		cap(EXIT_DEFAULT1 & ~VMX_EXIT_CTL_SAVE_DEBUG_CONTROLS,
		    0x01ffffff));
	set_msr(&cpu, MSR_IA32_VMX_ENTRY_CTLS, cap(ENTRY_DEFAULT1, 0x0003ffff));
	set_msr(&cpu, MSR_IA32_VMX_TRUE_ENTRY_CTLS,
		cap(ENTRY_DEFAULT1 & ~VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS,
		    0x0003ffff));
	set_msr(&cpu, MSR_IA32_VMX_MISC, 0x000401e5);
	set_msr(&cpu, MSR_IA32_VMX_CR0_FIXED0, 0x80000021);
	set_msr(&cpu, MSR_IA32_VMX_CR0_FIXED1, 0xffffffff);
	set_msr(&cpu, MSR_IA32_VMX_CR4_FIXED0, 0x2000);
	set_msr(&cpu, MSR_IA32_VMX_CR4_FIXED1, 0x003727ff);
	set_msr(&cpu, MSR_IA32_VMX_VMCS_ENUM, 0x2e);
	set_msr(&cpu, MSR_IA32_VMX_EPT_VPID_CAP, UINT64_C(0x00000f0106734141));
}

/* Change the allowed-1 half of a capability MSR. */
static void disallow(uint32_t msr, uint32_t bits)
{
	uint64_t v = fake_rdmsr(msr, &cpu);

	set_msr(&cpu, msr, v & ~((uint64_t)bits << 32));
}

static struct vmx_caps read_caps(void)
{
	struct vmx_caps caps;

	vmx_caps_read(&caps, fake_rdmsr, &cpu);
	cr_assert_eq(cpu.faults, 0, "read MSR %#x, which this CPU lacks",
		     cpu.faulted[0]);
	return caps;
}

TestSuite(vmx_controls, .init = skylake);

Test(vmx_controls, adjust_forces_allowed0_bits_to_1)
{
	uint32_t value;
	uint32_t missing = vmx_control_adjust(cap(0x16, 0xff), 0x1, 0, &value);

	cr_assert_eq(missing, 0);
	cr_assert_eq(value, 0x17, "value %#x", value);
}

Test(vmx_controls, adjust_sets_optional_bits_only_where_allowed)
{
	uint32_t value;
	uint32_t missing =
		vmx_control_adjust(cap(0x16, 0x3f), 0x1, 0x80 | 0x20, &value);

	cr_assert_eq(missing, 0, "an optional bit is never missing");
	cr_assert_eq(value, 0x37, "value %#x", value);
}

Test(vmx_controls, adjust_reports_the_required_bits_the_cpu_lacks)
{
	uint32_t value;
	uint32_t missing = vmx_control_adjust(cap(0x16, 0x3f),
					      0x1 | 0x40 | 0x80, 0, &value);

	cr_assert_eq(missing, 0xc0, "missing %#x", missing);
	cr_assert_eq(value & 0xc0, 0, "a bit the CPU lacks is never set");
}

Test(vmx_controls, caps_prefer_the_true_msrs_when_basic_bit_55_is_set)
{
	struct vmx_caps caps = read_caps();

	cr_assert_eq(caps.ctls_msr[VMX_CONTROLS_PIN],
		     MSR_IA32_VMX_TRUE_PINBASED_CTLS);
	cr_assert_eq(caps.ctls_msr[VMX_CONTROLS_PROC],
		     MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
	cr_assert_eq(caps.ctls_msr[VMX_CONTROLS_EXIT],
		     MSR_IA32_VMX_TRUE_EXIT_CTLS);
	cr_assert_eq(caps.ctls_msr[VMX_CONTROLS_ENTRY],
		     MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	cr_assert_eq(caps.ctls_msr[VMX_CONTROLS_PROC2],
		     MSR_IA32_VMX_PROCBASED_CTLS2);
	cr_assert_eq(caps.ctls[VMX_CONTROLS_PROC],
		     fake_rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, &cpu));
	cr_assert_eq(caps.ctls[VMX_CONTROLS_PIN],
		     fake_rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS, &cpu));
	cr_assert_eq(vmx_caps_revision_id(&caps), BASIC_REVISION);
	cr_assert_eq(vmx_caps_region_size(&caps), 0x400);
}

Test(vmx_controls, caps_never_read_true_msrs_without_basic_bit_55)
{
	struct vmx_caps caps;

	set_msr(&cpu, MSR_IA32_VMX_BASIC, BASIC & ~IA32_VMX_BASIC_TRUE_CTLS);
	remove_msr(&cpu, MSR_IA32_VMX_TRUE_PINBASED_CTLS);
	remove_msr(&cpu, MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
	remove_msr(&cpu, MSR_IA32_VMX_TRUE_EXIT_CTLS);
	remove_msr(&cpu, MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	caps = read_caps();
	cr_assert_eq(caps.ctls_msr[VMX_CONTROLS_PROC],
		     MSR_IA32_VMX_PROCBASED_CTLS);
	cr_assert_eq(caps.ctls[VMX_CONTROLS_EXIT],
		     cap(EXIT_DEFAULT1, 0x01ffffff));
}

Test(vmx_controls, caps_skip_secondary_msrs_without_secondary_controls)
{
	struct vmx_caps caps;

	disallow(MSR_IA32_VMX_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY);
	disallow(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY);
	remove_msr(&cpu, MSR_IA32_VMX_PROCBASED_CTLS2);
	remove_msr(&cpu, MSR_IA32_VMX_EPT_VPID_CAP);
	caps = read_caps();
	cr_assert_eq(caps.ctls[VMX_CONTROLS_PROC2], 0);
	cr_assert_eq(caps.ept_vpid_cap, 0);
}

static void assert_fails_with(const char *expected);

Test(vmx_controls, shadow_paging_controls_on_a_full_cpu)
{
	struct vmx_caps caps = read_caps();
	struct vmx_controls c;
	char err[160] = "";

	cr_assert(vmx_controls_for_shadow_paging(&caps, &c, err, sizeof(err)),
		  "%s", err);
	cr_assert_eq(c.pin,
		     PIN_DEFAULT1 | VMX_PIN_EXTERNAL_INTERRUPT_EXITING |
			     VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS,
		     "pin %#x", c.pin);
	cr_assert_eq(
		c.proc,
		(PROC_DEFAULT1 &
		 ~(VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING)) |
			VMX_PROC_HLT_EXITING | VMX_PROC_INVLPG_EXITING |
			VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING |
			VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING |
			VMX_PROC_MWAIT_EXITING | VMX_PROC_MONITOR_EXITING |
			VMX_PROC_RDPMC_EXITING | VMX_PROC_USE_TSC_OFFSETTING |
			VMX_PROC_USE_IO_BITMAPS | VMX_PROC_USE_MSR_BITMAPS |
			VMX_PROC_ACTIVATE_SECONDARY,
		"proc %#x", c.proc);
	cr_assert_eq(c.proc2,
		     VMX_PROC2_ENABLE_VPID | VMX_PROC2_ENABLE_INVPCID |
			     VMX_PROC2_ENABLE_RDTSCP,
		     "proc2 %#x: no EPT, no unrestricted guest", c.proc2);
	cr_assert_eq(c.exit,
		     (EXIT_DEFAULT1 & ~VMX_EXIT_CTL_SAVE_DEBUG_CONTROLS) |
			     VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE |
			     VMX_EXIT_CTL_SAVE_IA32_EFER |
			     VMX_EXIT_CTL_LOAD_IA32_EFER |
			     VMX_EXIT_CTL_ACK_INTERRUPT_ON_EXIT |
			     VMX_EXIT_CTL_SAVE_IA32_PAT |
			     VMX_EXIT_CTL_LOAD_IA32_PAT,
		     "exit %#x", c.exit);
	cr_assert_eq(c.entry,
		     (ENTRY_DEFAULT1 & ~VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS) |
			     VMX_ENTRY_CTL_LOAD_IA32_EFER |
			     VMX_ENTRY_CTL_LOAD_IA32_PAT,
		     "entry %#x: IA-32e mode guest is the caller's", c.entry);
	cr_assert(c.invpcid);
	cr_assert(c.ack_interrupt);
	cr_assert(c.virtual_nmis);
	cr_assert(c.tsc_offsetting);
	cr_assert(c.rdtscp);
	cr_assert(c.pat);
}

Test(vmx_controls, missing_cr8_store_exiting_fails_naming_it)
{
	disallow(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, VMX_PROC_CR8_STORE_EXITING);
	assert_fails_with("VMX: required primary processor-based control "
			  "'CR8-store exiting' (bit 20) cannot be set");
}

Test(vmx_controls, missing_mwait_exiting_fails_naming_it)
{
	disallow(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, VMX_PROC_MWAIT_EXITING);
	assert_fails_with("VMX: required primary processor-based control "
			  "'MWAIT exiting' (bit 10) cannot be set");
}

Test(vmx_controls, optional_controls_are_reported_missing_not_failed)
{
	struct vmx_caps caps;
	struct vmx_controls c;
	char err[160] = "";

	disallow(MSR_IA32_VMX_TRUE_PINBASED_CTLS, VMX_PIN_VIRTUAL_NMIS);
	disallow(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, VMX_PROC_USE_TSC_OFFSETTING);
	disallow(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_RDTSCP);
	caps = read_caps();
	cr_assert(vmx_controls_for_shadow_paging(&caps, &c, err, sizeof(err)),
		  "%s", err);
	cr_assert_not(c.virtual_nmis);
	cr_assert_not(c.pin & VMX_PIN_VIRTUAL_NMIS);
	cr_assert_not(c.tsc_offsetting);
	cr_assert_not(c.proc & VMX_PROC_USE_TSC_OFFSETTING);
	cr_assert_not(c.rdtscp);
	cr_assert_not(c.proc2 & VMX_PROC2_ENABLE_RDTSCP);
}

Test(vmx_controls, pat_is_switched_only_when_every_control_for_it_is)
{
	struct vmx_caps caps;
	struct vmx_controls c;
	char err[160] = "";

	/* The guest's PAT could be loaded but not saved at exit: keeping
	 * it in the VMCS would lose the guest's writes, so none is set. */
	disallow(MSR_IA32_VMX_TRUE_EXIT_CTLS, VMX_EXIT_CTL_SAVE_IA32_PAT);
	caps = read_caps();
	cr_assert(vmx_controls_for_shadow_paging(&caps, &c, err, sizeof(err)),
		  "%s", err);
	cr_assert_not(c.pat);
	cr_assert_not(c.exit & VMX_EXIT_CTL_LOAD_IA32_PAT);
	cr_assert_not(c.entry & VMX_ENTRY_CTL_LOAD_IA32_PAT);
}

Test(vmx_controls, plain_msrs_keep_every_default1_bit)
{
	struct vmx_caps caps;
	struct vmx_controls c;
	char err[160] = "";

	set_msr(&cpu, MSR_IA32_VMX_BASIC, BASIC & ~IA32_VMX_BASIC_TRUE_CTLS);
	caps = read_caps();
	cr_assert(vmx_controls_for_shadow_paging(&caps, &c, err, sizeof(err)),
		  "%s", err);
	cr_assert_eq(c.pin & PIN_DEFAULT1, PIN_DEFAULT1);
	cr_assert_eq(c.proc & PROC_DEFAULT1, PROC_DEFAULT1);
	cr_assert_eq(c.exit & EXIT_DEFAULT1, EXIT_DEFAULT1);
	cr_assert_eq(c.entry & ENTRY_DEFAULT1, ENTRY_DEFAULT1);
}

Test(vmx_controls, true_msrs_let_unwanted_default1_bits_clear)
{
	struct vmx_caps caps = read_caps();
	struct vmx_controls c;
	char err[160] = "";

	cr_assert(vmx_controls_for_shadow_paging(&caps, &c, err, sizeof(err)),
		  "%s", err);
	cr_assert_not(c.exit & VMX_EXIT_CTL_SAVE_DEBUG_CONTROLS);
	cr_assert_not(c.entry & VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS);
}

static void assert_fails_with(const char *expected)
{
	struct vmx_caps caps = read_caps();
	struct vmx_controls c;
	char err[160] = "";

	cr_assert_not(
		vmx_controls_for_shadow_paging(&caps, &c, err, sizeof(err)));
	cr_assert_str_eq(err, expected);
}

Test(vmx_controls, missing_cr3_load_exiting_fails_naming_it)
{
	disallow(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, VMX_PROC_CR3_LOAD_EXITING);
	assert_fails_with("VMX: required primary processor-based control "
			  "'CR3-load exiting' (bit 15) cannot be set");
}

Test(vmx_controls, missing_vpid_fails_naming_it)
{
	disallow(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_VPID);
	assert_fails_with("VMX: required secondary processor-based control "
			  "'enable VPID' (bit 5) cannot be set");
}

Test(vmx_controls, missing_secondary_controls_fail_on_activating_them)
{
	disallow(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, VMX_PROC_ACTIVATE_SECONDARY);
	assert_fails_with("VMX: required primary processor-based control "
			  "'activate secondary controls' (bit 31) cannot be "
			  "set");
}

Test(vmx_controls, missing_nmi_exiting_fails_naming_it)
{
	disallow(MSR_IA32_VMX_TRUE_PINBASED_CTLS, VMX_PIN_NMI_EXITING);
	assert_fails_with("VMX: required pin-based control 'NMI exiting' "
			  "(bit 3) cannot be set");
}

Test(vmx_controls, missing_load_efer_on_entry_fails_naming_it)
{
	disallow(MSR_IA32_VMX_TRUE_ENTRY_CTLS, VMX_ENTRY_CTL_LOAD_IA32_EFER);
	assert_fails_with("VMX: required VM-entry control 'load IA32_EFER' "
			  "(bit 15) cannot be set");
}

Test(vmx_controls, missing_invvpid_fails)
{
	set_msr(&cpu, MSR_IA32_VMX_EPT_VPID_CAP,
		fake_rdmsr(MSR_IA32_VMX_EPT_VPID_CAP, &cpu) &
			~IA32_VMX_EPT_VPID_CAP_INVVPID);
	assert_fails_with("VMX: required INVVPID instruction is not "
			  "supported (IA32_VMX_EPT_VPID_CAP bit 32)");
}

Test(vmx_controls, ept_forced_on_fails)
{
	set_msr(&cpu, MSR_IA32_VMX_PROCBASED_CTLS2,
		cap(VMX_PROC2_ENABLE_EPT, 0x023fffff));
	assert_fails_with("VMX: secondary processor-based control 'enable "
			  "EPT' (bit 1) is fixed to 1; shadow paging needs "
			  "it 0");
}

Test(vmx_controls, invpcid_and_ack_interrupt_are_optional)
{
	struct vmx_caps caps;
	struct vmx_controls c;
	char err[160] = "";

	disallow(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_ENABLE_INVPCID);
	disallow(MSR_IA32_VMX_TRUE_EXIT_CTLS,
		 VMX_EXIT_CTL_ACK_INTERRUPT_ON_EXIT);
	caps = read_caps();
	cr_assert(vmx_controls_for_shadow_paging(&caps, &c, err, sizeof(err)),
		  "%s", err);
	cr_assert_not(c.invpcid);
	cr_assert_not(c.proc2 & VMX_PROC2_ENABLE_INVPCID);
	cr_assert_not(c.ack_interrupt);
	cr_assert_not(c.exit & VMX_EXIT_CTL_ACK_INTERRUPT_ON_EXIT);
}

Test(vmx_controls, error_message_is_truncated_not_overrun)
{
	struct vmx_caps caps;
	struct vmx_controls c;
	char err[16];

	memset(err, 'x', sizeof(err));
	disallow(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, VMX_PROC_HLT_EXITING);
	caps = read_caps();
	cr_assert_not(vmx_controls_for_shadow_paging(&caps, &c, err, 12));
	cr_assert_str_eq(err, "VMX: requir");
	cr_assert_eq(err[12], 'x', "wrote past the buffer size");
}

Test(vmx_controls, ia32e_mode_guest_follows_efer_lma)
{
	uint32_t entry = ENTRY_DEFAULT1 | VMX_ENTRY_CTL_LOAD_IA32_EFER;

	cr_assert_eq(vmx_entry_controls_for_guest(entry, 0xd01),
		     entry | VMX_ENTRY_CTL_IA32E_MODE_GUEST);
	cr_assert_eq(vmx_entry_controls_for_guest(
			     entry | VMX_ENTRY_CTL_IA32E_MODE_GUEST, 0x100),
		     entry, "LME without LMA is not IA-32e mode yet");
}

Test(vmx_controls, fixed_cr_bits_are_applied)
{
	struct vmx_caps caps = read_caps();

	cr_assert_eq(vmx_caps_fix_cr0(&caps, 0x10), 0x80000031);
	cr_assert_eq(vmx_caps_fix_cr4(&caps, 0x20 | (1u << 23)), 0x2020,
		     "bit 23 is fixed to 0 by CR4_FIXED1");
}

Test(vmx_controls, invvpid_types_follow_ept_vpid_cap)
{
	struct vmx_caps caps = read_caps();

	cr_assert(vmx_caps_invvpid(&caps, VMX_INVVPID_INDIVIDUAL_ADDRESS));
	cr_assert(vmx_caps_invvpid(&caps, VMX_INVVPID_SINGLE_CONTEXT));
	cr_assert(vmx_caps_invvpid(&caps, VMX_INVVPID_ALL_CONTEXT));
	cr_assert(vmx_caps_invvpid(
		&caps, VMX_INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS));
	caps.ept_vpid_cap &= ~IA32_VMX_EPT_VPID_CAP_INVVPID_TYPE(
		VMX_INVVPID_INDIVIDUAL_ADDRESS);
	cr_assert_not(vmx_caps_invvpid(&caps, VMX_INVVPID_INDIVIDUAL_ADDRESS));
}

Test(vmx_controls, control_names_are_the_sdm_names)
{
	cr_assert_str_eq(vmx_control_name(VMX_CONTROLS_PROC, 16),
			 "CR3-store exiting");
	cr_assert_str_eq(vmx_control_name(VMX_CONTROLS_EXIT, 9),
			 "host address-space size");
	cr_assert_str_eq(vmx_control_name(VMX_CONTROLS_ENTRY, 9),
			 "IA-32e mode guest");
	cr_assert_str_eq(vmx_control_name(VMX_CONTROLS_PIN, 1), "reserved");
	cr_assert_str_eq(vmx_control_name(VMX_CONTROLS_PIN, 40), "reserved");
	cr_assert_str_eq(vmx_control_class_name(VMX_CONTROLS_PROC2),
			 "secondary processor-based");
}
