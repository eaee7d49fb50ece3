/* SPDX-License-Identifier: MIT */
#include "vmx_exit.h"

/* SDM vol. 3D appendix C, "VMX Basic Exit Reasons". */
static const char *const reason_names[] = {
	[VMX_REASON_EXCEPTION_NMI] = "exception or non-maskable interrupt",
	[VMX_REASON_EXTERNAL_INTERRUPT] = "external interrupt",
	[VMX_REASON_TRIPLE_FAULT] = "triple fault",
	[VMX_REASON_INIT] = "INIT signal",
	[VMX_REASON_SIPI] = "start-up IPI",
	[VMX_REASON_IO_SMI] = "I/O system-management interrupt",
	[VMX_REASON_OTHER_SMI] = "other SMI",
	[VMX_REASON_INTERRUPT_WINDOW] = "interrupt window",
	[VMX_REASON_NMI_WINDOW] = "NMI window",
	[VMX_REASON_TASK_SWITCH] = "task switch",
	[VMX_REASON_CPUID] = "CPUID",
	[VMX_REASON_GETSEC] = "GETSEC",
	[VMX_REASON_HLT] = "HLT",
	[VMX_REASON_INVD] = "INVD",
	[VMX_REASON_INVLPG] = "INVLPG",
	[VMX_REASON_RDPMC] = "RDPMC",
	[VMX_REASON_RDTSC] = "RDTSC",
	[VMX_REASON_RSM] = "RSM",
	[VMX_REASON_VMCALL] = "VMCALL",
	[VMX_REASON_VMCLEAR] = "VMCLEAR",
	[VMX_REASON_VMLAUNCH] = "VMLAUNCH",
	[VMX_REASON_VMPTRLD] = "VMPTRLD",
	[VMX_REASON_VMPTRST] = "VMPTRST",
	[VMX_REASON_VMREAD] = "VMREAD",
	[VMX_REASON_VMRESUME] = "VMRESUME",
	[VMX_REASON_VMWRITE] = "VMWRITE",
	[VMX_REASON_VMXOFF] = "VMXOFF",
	[VMX_REASON_VMXON] = "VMXON",
	[VMX_REASON_CR_ACCESS] = "control-register accesses",
	[VMX_REASON_MOV_DR] = "MOV DR",
	[VMX_REASON_IO_INSTRUCTION] = "I/O instruction",
	[VMX_REASON_RDMSR] = "RDMSR",
	[VMX_REASON_WRMSR] = "WRMSR",
	[VMX_REASON_ENTRY_INVALID_GUEST_STATE] =
		"VM-entry failure due to invalid guest state",
	[VMX_REASON_ENTRY_MSR_LOADING] = "VM-entry failure due to MSR loading",
	[VMX_REASON_MWAIT] = "MWAIT",
	[VMX_REASON_MONITOR_TRAP_FLAG] = "monitor trap flag",
	[VMX_REASON_MONITOR] = "MONITOR",
	[VMX_REASON_PAUSE] = "PAUSE",
	[VMX_REASON_ENTRY_MACHINE_CHECK] =
		"VM-entry failure due to machine-check event",
	[VMX_REASON_TPR_BELOW_THRESHOLD] = "TPR below threshold",
	[VMX_REASON_APIC_ACCESS] = "APIC access",
	[VMX_REASON_VIRTUALIZED_EOI] = "virtualized EOI",
	[VMX_REASON_GDTR_IDTR_ACCESS] = "access to GDTR or IDTR",
	[VMX_REASON_LDTR_TR_ACCESS] = "access to LDTR or TR",
	[VMX_REASON_EPT_VIOLATION] = "EPT violation",
	[VMX_REASON_EPT_MISCONFIG] = "EPT misconfiguration",
	[VMX_REASON_INVEPT] = "INVEPT",
	[VMX_REASON_RDTSCP] = "RDTSCP",
	[VMX_REASON_PREEMPTION_TIMER] = "VMX-preemption timer expired",
	[VMX_REASON_INVVPID] = "INVVPID",
	[VMX_REASON_WBINVD] = "WBINVD or WBNOINVD",
	[VMX_REASON_XSETBV] = "XSETBV",
	[VMX_REASON_APIC_WRITE] = "APIC write",
	[VMX_REASON_RDRAND] = "RDRAND",
	[VMX_REASON_INVPCID] = "INVPCID",
	[VMX_REASON_VMFUNC] = "VMFUNC",
	[VMX_REASON_ENCLS] = "ENCLS",
	[VMX_REASON_RDSEED] = "RDSEED",
	[VMX_REASON_PML_FULL] = "page-modification log full",
	[VMX_REASON_XSAVES] = "XSAVES",
	[VMX_REASON_XRSTORS] = "XRSTORS",
};

const char *vmx_exit_reason_name(uint32_t exit_reason)
{
	uint16_t basic = VMX_EXIT_REASON_BASIC(exit_reason);

	if (basic >= sizeof(reason_names) / sizeof(reason_names[0]) ||
	    !reason_names[basic])
		return "unknown";
	return reason_names[basic];
}

/* SDM "Exit Qualification for Control-Register Accesses". */
struct vmx_cr_access vmx_decode_cr_access(uint64_t qualification)
{
	struct vmx_cr_access a = {
		.cr = qualification & 0xf,
		.type = (enum vmx_cr_access_type)((qualification >> 4) & 3),
		.lmsw_memory = (qualification >> 6) & 1,
		.gpr = (enum vmx_gpr)((qualification >> 8) & 0xf),
		.lmsw_source = (uint16_t)(qualification >> 16),
	};

	return a;
}

/* SDM "Exit Qualification for I/O Instructions". */
struct vmx_io_access vmx_decode_io(uint64_t qualification)
{
	struct vmx_io_access io = {
		/* 0, 1 and 3 encode 1, 2 and 4 bytes */
		.size = (uint8_t)((qualification & 7) + 1),
		.in = (qualification >> 3) & 1,
		.string = (qualification >> 4) & 1,
		.rep = (qualification >> 5) & 1,
		.immediate = (qualification >> 6) & 1,
		.port = (uint16_t)(qualification >> 16),
	};

	return io;
}

uint64_t vmx_decode_invlpg(uint64_t qualification)
{
	return qualification;
}

/* SDM "Format of the VM-Exit Instruction-Information Field as Used for
 * INVEPT, INVPCID, and INVVPID". */
struct vmx_invpcid_info vmx_decode_invpcid_info(uint32_t instruction_info)
{
	struct vmx_invpcid_info info = {
		.scale_shift = instruction_info & 3,
		.address_bits = (uint8_t)(16u << ((instruction_info >> 7) & 3)),
		.segment = (enum vmx_segment)((instruction_info >> 15) & 7),
		.index_gpr = (enum vmx_gpr)((instruction_info >> 18) & 0xf),
		.has_index = !((instruction_info >> 22) & 1),
		.base_gpr = (enum vmx_gpr)((instruction_info >> 23) & 0xf),
		.has_base = !((instruction_info >> 27) & 1),
		.type_gpr = (enum vmx_gpr)((instruction_info >> 28) & 0xf),
	};

	return info;
}

uint64_t vmx_invpcid_operand_offset(const struct vmx_invpcid_info *info,
				    const uint64_t gpr[16],
				    uint64_t qualification)
{
	uint64_t offset = qualification;

	if (info->has_base)
		offset += gpr[info->base_gpr];
	if (info->has_index)
		offset += gpr[info->index_gpr] << info->scale_shift;
	/* The displacement's bits above the address size are undefined,
	 * and the sum wraps at the address size. */
	if (info->address_bits < 64)
		offset &= (UINT64_C(1) << info->address_bits) - 1;
	return offset;
}

struct vmx_intr_info vmx_decode_intr_info(uint32_t info)
{
	struct vmx_intr_info i = {
		.vector = (uint8_t)(info & VMX_INTR_INFO_VECTOR_MASK),
		.type = (enum vmx_intr_type)((info & VMX_INTR_INFO_TYPE_MASK) >>
					     VMX_INTR_INFO_TYPE_SHIFT),
		.error_code_valid = info & VMX_INTR_INFO_ERROR_CODE,
		.nmi_unblocking = info & VMX_INTR_INFO_NMI_UNBLOCKING,
		.valid = info & VMX_INTR_INFO_VALID,
	};

	return i;
}

uint32_t vmx_encode_intr_info(uint8_t vector, enum vmx_intr_type type,
			      bool deliver_error_code)
{
	uint32_t info = VMX_INTR_INFO_VALID | vector |
			((uint32_t)type << VMX_INTR_INFO_TYPE_SHIFT);

	if (deliver_error_code)
		info |= VMX_INTR_INFO_ERROR_CODE;
	return info;
}
