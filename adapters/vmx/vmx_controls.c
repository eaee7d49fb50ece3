/* SPDX-License-Identifier: MIT */
#include "vmx_controls.h"
#include "vmx_text.h"

#define EFER_LMA VMX_BIT(10)

void vmx_caps_read(struct vmx_caps *caps,
		   uint64_t (*rdmsr)(uint32_t msr, void *ctx), void *ctx)
{
	static const uint32_t plain[VMX_CONTROLS_COUNT] = {
		[VMX_CONTROLS_PIN] = MSR_IA32_VMX_PINBASED_CTLS,
		[VMX_CONTROLS_PROC] = MSR_IA32_VMX_PROCBASED_CTLS,
		[VMX_CONTROLS_PROC2] = MSR_IA32_VMX_PROCBASED_CTLS2,
		[VMX_CONTROLS_EXIT] = MSR_IA32_VMX_EXIT_CTLS,
		[VMX_CONTROLS_ENTRY] = MSR_IA32_VMX_ENTRY_CTLS,
	};
	/* PROCBASED_CTLS2 has no TRUE_ counterpart: its controls have no
	 * default1 bits to begin with. */
	static const uint32_t true_ctls[VMX_CONTROLS_COUNT] = {
		[VMX_CONTROLS_PIN] = MSR_IA32_VMX_TRUE_PINBASED_CTLS,
		[VMX_CONTROLS_PROC] = MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
		[VMX_CONTROLS_PROC2] = MSR_IA32_VMX_PROCBASED_CTLS2,
		[VMX_CONTROLS_EXIT] = MSR_IA32_VMX_TRUE_EXIT_CTLS,
		[VMX_CONTROLS_ENTRY] = MSR_IA32_VMX_TRUE_ENTRY_CTLS,
	};
	const uint32_t *msr;
	uint32_t proc2_allowed;

	caps->basic = rdmsr(MSR_IA32_VMX_BASIC, ctx);
	msr = (caps->basic & IA32_VMX_BASIC_TRUE_CTLS) ? true_ctls : plain;
	for (int cls = 0; cls < VMX_CONTROLS_COUNT; cls++) {
		caps->ctls_msr[cls] = msr[cls];
		caps->ctls[cls] = 0;
		if (cls == VMX_CONTROLS_PROC2 &&
		    !vmx_control_allowed1(caps->ctls[VMX_CONTROLS_PROC],
					  VMX_PROC_ACTIVATE_SECONDARY))
			continue;
		caps->ctls[cls] = rdmsr(msr[cls], ctx);
	}
	caps->misc = rdmsr(MSR_IA32_VMX_MISC, ctx);
	caps->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0, ctx);
	caps->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1, ctx);
	caps->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0, ctx);
	caps->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1, ctx);
	caps->vmcs_enum = rdmsr(MSR_IA32_VMX_VMCS_ENUM, ctx);
	proc2_allowed = (uint32_t)(caps->ctls[VMX_CONTROLS_PROC2] >> 32);
	caps->ept_vpid_cap = 0;
	if (proc2_allowed & (VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID))
		caps->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP, ctx);
}

bool vmx_caps_invvpid(const struct vmx_caps *caps, enum vmx_invvpid_type type)
{
	uint64_t need = IA32_VMX_EPT_VPID_CAP_INVVPID |
			IA32_VMX_EPT_VPID_CAP_INVVPID_TYPE(type);

	return (caps->ept_vpid_cap & need) == need;
}

uint64_t vmx_caps_fix_cr0(const struct vmx_caps *caps, uint64_t cr0)
{
	return (cr0 | caps->cr0_fixed0) & caps->cr0_fixed1;
}

uint64_t vmx_caps_fix_cr4(const struct vmx_caps *caps, uint64_t cr4)
{
	return (cr4 | caps->cr4_fixed0) & caps->cr4_fixed1;
}

uint32_t vmx_control_adjust(uint64_t cap_msr, uint32_t required,
			    uint32_t optional, uint32_t *value)
{
	uint32_t must_be_1 = (uint32_t)cap_msr;
	uint32_t may_be_1 = (uint32_t)(cap_msr >> 32);

	*value = must_be_1 | ((required | optional) & may_be_1);
	return required & ~may_be_1;
}

const char *vmx_control_class_name(enum vmx_control_class cls)
{
	static const char *const names[VMX_CONTROLS_COUNT] = {
		[VMX_CONTROLS_PIN] = "pin-based",
		[VMX_CONTROLS_PROC] = "primary processor-based",
		[VMX_CONTROLS_PROC2] = "secondary processor-based",
		[VMX_CONTROLS_EXIT] = "VM-exit",
		[VMX_CONTROLS_ENTRY] = "VM-entry",
	};

	if ((unsigned)cls >= VMX_CONTROLS_COUNT)
		return "unknown";
	return names[cls];
}

/* The SDM's names, per class and bit; unnamed bits are reserved. */
static const char *const control_names[VMX_CONTROLS_COUNT][32] = {
	[VMX_CONTROLS_PIN] = {
		[0] = "external-interrupt exiting",
		[3] = "NMI exiting",
		[5] = "virtual NMIs",
		[6] = "activate VMX-preemption timer",
		[7] = "process posted interrupts",
	},
	[VMX_CONTROLS_PROC] = {
		[2] = "interrupt-window exiting",
		[3] = "use TSC offsetting",
		[7] = "HLT exiting",
		[9] = "INVLPG exiting",
		[10] = "MWAIT exiting",
		[11] = "RDPMC exiting",
		[12] = "RDTSC exiting",
		[15] = "CR3-load exiting",
		[16] = "CR3-store exiting",
		[17] = "activate tertiary controls",
		[19] = "CR8-load exiting",
		[20] = "CR8-store exiting",
		[21] = "use TPR shadow",
		[22] = "NMI-window exiting",
		[23] = "MOV-DR exiting",
		[24] = "unconditional I/O exiting",
		[25] = "use I/O bitmaps",
		[27] = "monitor trap flag",
		[28] = "use MSR bitmaps",
		[29] = "MONITOR exiting",
		[30] = "PAUSE exiting",
		[31] = "activate secondary controls",
	},
	[VMX_CONTROLS_PROC2] = {
		[0] = "virtualize APIC accesses",
		[1] = "enable EPT",
		[2] = "descriptor-table exiting",
		[3] = "enable RDTSCP",
		[4] = "virtualize x2APIC mode",
		[5] = "enable VPID",
		[6] = "WBINVD exiting",
		[7] = "unrestricted guest",
		[8] = "APIC-register virtualization",
		[9] = "virtual-interrupt delivery",
		[10] = "PAUSE-loop exiting",
		[11] = "RDRAND exiting",
		[12] = "enable INVPCID",
		[13] = "enable VM functions",
		[14] = "VMCS shadowing",
		[15] = "enable ENCLS exiting",
		[16] = "RDSEED exiting",
		[17] = "enable PML",
		[18] = "EPT-violation #VE",
		[19] = "conceal VMX from PT",
		[20] = "enable XSAVES/XRSTORS",
		[22] = "mode-based execute control for EPT",
		[23] = "sub-page write permissions for EPT",
		[24] = "Intel PT uses guest physical addresses",
		[25] = "use TSC scaling",
		[26] = "enable user wait and pause",
		[28] = "enable ENCLV exiting",
	},
	[VMX_CONTROLS_EXIT] = {
		[2] = "save debug controls",
		[9] = "host address-space size",
		[12] = "load IA32_PERF_GLOBAL_CTRL",
		[15] = "acknowledge interrupt on exit",
		[18] = "save IA32_PAT",
		[19] = "load IA32_PAT",
		[20] = "save IA32_EFER",
		[21] = "load IA32_EFER",
		[22] = "save VMX-preemption timer value",
		[23] = "clear IA32_BNDCFGS",
		[24] = "conceal VMX from PT",
		[25] = "clear IA32_RTIT_CTL",
	},
	[VMX_CONTROLS_ENTRY] = {
		[2] = "load debug controls",
		[9] = "IA-32e mode guest",
		[10] = "entry to SMM",
		[11] = "deactivate dual-monitor treatment",
		[13] = "load IA32_PERF_GLOBAL_CTRL",
		[14] = "load IA32_PAT",
		[15] = "load IA32_EFER",
		[16] = "load IA32_BNDCFGS",
		[17] = "conceal VMX from PT",
		[18] = "load IA32_RTIT_CTL",
	},
};

const char *vmx_control_name(enum vmx_control_class cls, unsigned bit)
{
	if ((unsigned)cls >= VMX_CONTROLS_COUNT || bit >= 32 ||
	    !control_names[cls][bit])
		return "reserved";
	return control_names[cls][bit];
}

static unsigned lowest_bit(uint32_t bits)
{
	unsigned bit = 0;

	while (!(bits & 1)) {
		bits >>= 1;
		bit++;
	}
	return bit;
}

/* "VMX: <what> <class> control '<name>' (bit N) <why>" */
static void control_error(char *err, size_t err_size, const char *what,
			  enum vmx_control_class cls, uint32_t bits,
			  const char *why)
{
	struct vmx_text t;
	unsigned bit = lowest_bit(bits);

	vmx_text_init(&t, err, err_size);
	vmx_text_str(&t, "VMX: ");
	vmx_text_str(&t, what);
	vmx_text_str(&t, vmx_control_class_name(cls));
	vmx_text_str(&t, " control '");
	vmx_text_str(&t, vmx_control_name(cls, bit));
	vmx_text_str(&t, "' (bit ");
	vmx_text_dec(&t, bit);
	vmx_text_str(&t, ") ");
	vmx_text_str(&t, why);
}

/* What a shadow-paging hypervisor asks of each control field. */
struct control_request {
	uint32_t required;
	uint32_t optional;
	/* Controls that must stay 0: with either of these the CPU would
	 * translate guest-physical addresses itself or run the guest in
	 * real mode, and the shadow MMU would be bypassed. */
	uint32_t forbidden;
};

static const struct control_request shadow_paging[VMX_CONTROLS_COUNT] = {
	[VMX_CONTROLS_PIN] = {
		.required = VMX_PIN_EXTERNAL_INTERRUPT_EXITING |
			    VMX_PIN_NMI_EXITING,
		/* The CPU tracks the guest's NMI blocking (set by an
		 * injected NMI, cleared by its IRET) and can exit at the
		 * end of it: what injecting NMIs needs (SDM 25.3,
		 * "virtual NMIs"; NMI-window exiting requires it). */
		.optional = VMX_PIN_VIRTUAL_NMIS,
	},
	[VMX_CONTROLS_PROC] = {
		/* Without CR8 exiting (and no TPR shadow) a 64-bit guest's
		 * MOV to CR8 writes the physical TPR; without MONITOR and
		 * MWAIT exiting its MWAIT sleeps the physical CPU; without
		 * RDPMC exiting it reads the host's counters (SDM 26.1.3).
		 * Every VMX CPU can set them. */
		.required = VMX_PROC_HLT_EXITING | VMX_PROC_INVLPG_EXITING |
			    VMX_PROC_CR3_LOAD_EXITING |
			    VMX_PROC_CR3_STORE_EXITING |
			    VMX_PROC_CR8_LOAD_EXITING |
			    VMX_PROC_CR8_STORE_EXITING |
			    VMX_PROC_MWAIT_EXITING | VMX_PROC_MONITOR_EXITING |
			    VMX_PROC_RDPMC_EXITING |
			    VMX_PROC_USE_IO_BITMAPS |
			    VMX_PROC_USE_MSR_BITMAPS |
			    VMX_PROC_ACTIVATE_SECONDARY,
		/* A guest that writes IA32_TSC keeps its own offset. */
		.optional = VMX_PROC_USE_TSC_OFFSETTING,
	},
	[VMX_CONTROLS_PROC2] = {
		.required = VMX_PROC2_ENABLE_VPID,
		/* With INVLPG exiting on, enabled INVPCID exits instead of
		 * raising #UD, so the guest may use it (SDM "Instructions
		 * That Cause VM Exits Conditionally"). RDTSCP (and RDPID)
		 * raise #UD in the guest unless enabled. */
		.optional = VMX_PROC2_ENABLE_INVPCID | VMX_PROC2_ENABLE_RDTSCP,
		.forbidden = VMX_PROC2_ENABLE_EPT |
			     VMX_PROC2_UNRESTRICTED_GUEST,
	},
	[VMX_CONTROLS_EXIT] = {
		.required = VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE |
			    VMX_EXIT_CTL_SAVE_IA32_EFER |
			    VMX_EXIT_CTL_LOAD_IA32_EFER,
		.optional = VMX_EXIT_CTL_ACK_INTERRUPT_ON_EXIT |
			    VMX_EXIT_CTL_SAVE_IA32_PAT |
			    VMX_EXIT_CTL_LOAD_IA32_PAT,
	},
	[VMX_CONTROLS_ENTRY] = {
		.required = VMX_ENTRY_CTL_LOAD_IA32_EFER,
		.optional = VMX_ENTRY_CTL_LOAD_IA32_PAT,
	},
};

bool vmx_controls_for_shadow_paging(const struct vmx_caps *caps,
				    struct vmx_controls *out, char *err,
				    size_t err_size)
{
	uint32_t value[VMX_CONTROLS_COUNT];

	for (int cls = 0; cls < VMX_CONTROLS_COUNT; cls++) {
		const struct control_request *req = &shadow_paging[cls];
		uint32_t missing =
			vmx_control_adjust(caps->ctls[cls], req->required,
					   req->optional, &value[cls]);

		if (missing) {
			control_error(err, err_size, "required ", cls, missing,
				      "cannot be set");
			return false;
		}
		if (value[cls] & req->forbidden) {
			control_error(
				err, err_size, "", cls,
				value[cls] & req->forbidden,
				"is fixed to 1; shadow paging needs it 0");
			return false;
		}
	}
	/* VPID tags the guest's TLB entries; without INVVPID they could
	 * never be dropped when the shadow page tables change. */
	if (!(caps->ept_vpid_cap & IA32_VMX_EPT_VPID_CAP_INVVPID)) {
		struct vmx_text t;

		vmx_text_init(&t, err, err_size);
		vmx_text_str(&t, "VMX: required INVVPID instruction is not "
				 "supported (IA32_VMX_EPT_VPID_CAP bit 32)");
		return false;
	}
	out->pin = value[VMX_CONTROLS_PIN];
	out->proc = value[VMX_CONTROLS_PROC];
	out->proc2 = value[VMX_CONTROLS_PROC2];
	out->exit = value[VMX_CONTROLS_EXIT];
	out->entry = value[VMX_CONTROLS_ENTRY];
	out->invpcid = out->proc2 & VMX_PROC2_ENABLE_INVPCID;
	out->ack_interrupt = out->exit & VMX_EXIT_CTL_ACK_INTERRUPT_ON_EXIT;
	out->virtual_nmis = out->pin & VMX_PIN_VIRTUAL_NMIS;
	out->tsc_offsetting = out->proc & VMX_PROC_USE_TSC_OFFSETTING;
	out->rdtscp = out->proc2 & VMX_PROC2_ENABLE_RDTSCP;
	/* The guest's PAT lives in the VMCS only when it is switched both
	 * ways; otherwise the hypervisor keeps it itself. */
	const uint32_t pat_exit =
		VMX_EXIT_CTL_SAVE_IA32_PAT | VMX_EXIT_CTL_LOAD_IA32_PAT;
	out->pat = (out->exit & pat_exit) == pat_exit &&
		   (out->entry & VMX_ENTRY_CTL_LOAD_IA32_PAT);
	if (!out->pat) {
		out->exit &=
			~pat_exit | (uint32_t)caps->ctls[VMX_CONTROLS_EXIT];
		out->entry &= ~VMX_ENTRY_CTL_LOAD_IA32_PAT |
			      (uint32_t)caps->ctls[VMX_CONTROLS_ENTRY];
	}
	return true;
}

uint32_t vmx_entry_controls_for_guest(uint32_t entry, uint64_t guest_efer)
{
	if (guest_efer & EFER_LMA)
		return entry | VMX_ENTRY_CTL_IA32E_MODE_GUEST;
	return entry & ~VMX_ENTRY_CTL_IA32E_MODE_GUEST;
}
