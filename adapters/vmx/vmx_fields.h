/* SPDX-License-Identifier: MIT */
/*
 * VMX architectural numbers, named as in the Intel SDM: VMCS field
 * encodings (vol. 3D appendix B), VM-execution, VM-exit and VM-entry
 * control bits (vol. 3C "VMCS Types and Formats"), basic exit reasons
 * (vol. 3D appendix C), the VMX capability MSRs (vol. 3D appendix A)
 * and the few other MSRs a VMX hypervisor touches. Only numbers: no
 * policy, no code but two tiny encoding helpers.
 *
 * Names: VMCS_* are field encodings; VMX_PIN_*, VMX_PROC_*, VMX_PROC2_*,
 * VMX_EXIT_CTL_*, VMX_ENTRY_CTL_* are control bits; VMX_REASON_* are
 * basic exit reasons; MSR_* are MSR indices.
 */
#ifndef VMX_FIELDS_H
#define VMX_FIELDS_H

#include <stdint.h>

#define VMX_BIT(n)   (UINT64_C(1) << (n))
#define VMX_BIT32(n) (UINT32_C(1) << (n))
/* Bits lo..hi inclusive. */
#define VMX_BITS(hi, lo) ((~UINT64_C(0) >> (63 - (hi))) & ~(VMX_BIT(lo) - 1))

/*
 * VMCS field encodings. Bits 14:13 of an encoding give the width, bits
 * 11:10 the type (control, read-only data, guest state, host state); a
 * 64-bit field's "high" half is the encoding + 1, which a 64-bit host
 * never needs.
 */
enum vmcs_field_width {
	VMCS_WIDTH_16 = 0,
	VMCS_WIDTH_64 = 1,
	VMCS_WIDTH_32 = 2,
	VMCS_WIDTH_NATURAL = 3,
};

static inline enum vmcs_field_width vmcs_field_width(uint32_t field)
{
	return (enum vmcs_field_width)((field >> 13) & 3);
}

/* 16-bit control fields */
#define VMCS_VPID 0x0000u

/* 16-bit guest-state fields */
#define VMCS_GUEST_ES_SELECTOR	 0x0800u
#define VMCS_GUEST_CS_SELECTOR	 0x0802u
#define VMCS_GUEST_SS_SELECTOR	 0x0804u
#define VMCS_GUEST_DS_SELECTOR	 0x0806u
#define VMCS_GUEST_FS_SELECTOR	 0x0808u
#define VMCS_GUEST_GS_SELECTOR	 0x080au
#define VMCS_GUEST_LDTR_SELECTOR 0x080cu
#define VMCS_GUEST_TR_SELECTOR	 0x080eu

/* 16-bit host-state fields */
#define VMCS_HOST_ES_SELECTOR 0x0c00u
#define VMCS_HOST_CS_SELECTOR 0x0c02u
#define VMCS_HOST_SS_SELECTOR 0x0c04u
#define VMCS_HOST_DS_SELECTOR 0x0c06u
#define VMCS_HOST_FS_SELECTOR 0x0c08u
#define VMCS_HOST_GS_SELECTOR 0x0c0au
#define VMCS_HOST_TR_SELECTOR 0x0c0cu

/* 64-bit control fields */
#define VMCS_IO_BITMAP_A	 0x2000u
#define VMCS_IO_BITMAP_B	 0x2002u
#define VMCS_MSR_BITMAP		 0x2004u
#define VMCS_EXIT_MSR_STORE_ADDR 0x2006u
#define VMCS_EXIT_MSR_LOAD_ADDR	 0x2008u
#define VMCS_ENTRY_MSR_LOAD_ADDR 0x200au
#define VMCS_TSC_OFFSET		 0x2010u
#define VMCS_VIRTUAL_APIC_ADDR	 0x2012u
#define VMCS_EPT_POINTER	 0x201au

/* 64-bit read-only data field */
#define VMCS_GUEST_PHYSICAL_ADDRESS 0x2400u

/* 64-bit guest-state fields */
#define VMCS_LINK_POINTER	 0x2800u
#define VMCS_GUEST_IA32_DEBUGCTL 0x2802u
#define VMCS_GUEST_IA32_PAT	 0x2804u
#define VMCS_GUEST_IA32_EFER	 0x2806u
#define VMCS_GUEST_PDPTE0	 0x280au
#define VMCS_GUEST_PDPTE1	 0x280cu
#define VMCS_GUEST_PDPTE2	 0x280eu
#define VMCS_GUEST_PDPTE3	 0x2810u

/* 64-bit host-state fields */
#define VMCS_HOST_IA32_PAT  0x2c00u
#define VMCS_HOST_IA32_EFER 0x2c02u

/* 32-bit control fields */
#define VMCS_PIN_BASED_CONTROLS	   0x4000u
#define VMCS_PROC_BASED_CONTROLS   0x4002u
#define VMCS_EXCEPTION_BITMAP	   0x4004u
#define VMCS_PF_ERROR_CODE_MASK	   0x4006u
#define VMCS_PF_ERROR_CODE_MATCH   0x4008u
#define VMCS_CR3_TARGET_COUNT	   0x400au
#define VMCS_EXIT_CONTROLS	   0x400cu
#define VMCS_EXIT_MSR_STORE_COUNT  0x400eu
#define VMCS_EXIT_MSR_LOAD_COUNT   0x4010u
#define VMCS_ENTRY_CONTROLS	   0x4012u
#define VMCS_ENTRY_MSR_LOAD_COUNT  0x4014u
#define VMCS_ENTRY_INTR_INFO	   0x4016u
#define VMCS_ENTRY_EXCEPTION_ERROR 0x4018u
#define VMCS_ENTRY_INSTRUCTION_LEN 0x401au
#define VMCS_TPR_THRESHOLD	   0x401cu
#define VMCS_PROC_BASED_CONTROLS2  0x401eu

/* 32-bit read-only data fields */
#define VMCS_VM_INSTRUCTION_ERROR  0x4400u
#define VMCS_EXIT_REASON	   0x4402u
#define VMCS_EXIT_INTR_INFO	   0x4404u
#define VMCS_EXIT_INTR_ERROR_CODE  0x4406u
#define VMCS_IDT_VECTORING_INFO	   0x4408u
#define VMCS_IDT_VECTORING_ERROR   0x440au
#define VMCS_EXIT_INSTRUCTION_LEN  0x440cu
#define VMCS_EXIT_INSTRUCTION_INFO 0x440eu

/* 32-bit guest-state fields */
#define VMCS_GUEST_ES_LIMIT	    0x4800u
#define VMCS_GUEST_CS_LIMIT	    0x4802u
#define VMCS_GUEST_SS_LIMIT	    0x4804u
#define VMCS_GUEST_DS_LIMIT	    0x4806u
#define VMCS_GUEST_FS_LIMIT	    0x4808u
#define VMCS_GUEST_GS_LIMIT	    0x480au
#define VMCS_GUEST_LDTR_LIMIT	    0x480cu
#define VMCS_GUEST_TR_LIMIT	    0x480eu
#define VMCS_GUEST_GDTR_LIMIT	    0x4810u
#define VMCS_GUEST_IDTR_LIMIT	    0x4812u
#define VMCS_GUEST_ES_AR	    0x4814u
#define VMCS_GUEST_CS_AR	    0x4816u
#define VMCS_GUEST_SS_AR	    0x4818u
#define VMCS_GUEST_DS_AR	    0x481au
#define VMCS_GUEST_FS_AR	    0x481cu
#define VMCS_GUEST_GS_AR	    0x481eu
#define VMCS_GUEST_LDTR_AR	    0x4820u
#define VMCS_GUEST_TR_AR	    0x4822u
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824u
#define VMCS_GUEST_ACTIVITY_STATE   0x4826u
#define VMCS_GUEST_SMBASE	    0x4828u
#define VMCS_GUEST_IA32_SYSENTER_CS 0x482au
#define VMCS_PREEMPTION_TIMER_VALUE 0x482eu

/* 32-bit host-state field */
#define VMCS_HOST_IA32_SYSENTER_CS 0x4c00u

/* Natural-width control fields */
#define VMCS_CR0_GUEST_HOST_MASK 0x6000u
#define VMCS_CR4_GUEST_HOST_MASK 0x6002u
#define VMCS_CR0_READ_SHADOW	 0x6004u
#define VMCS_CR4_READ_SHADOW	 0x6006u
#define VMCS_CR3_TARGET_VALUE0	 0x6008u
#define VMCS_CR3_TARGET_VALUE1	 0x600au
#define VMCS_CR3_TARGET_VALUE2	 0x600cu
#define VMCS_CR3_TARGET_VALUE3	 0x600eu

/* Natural-width read-only data fields */
#define VMCS_EXIT_QUALIFICATION	  0x6400u
#define VMCS_GUEST_LINEAR_ADDRESS 0x640au

/* Natural-width guest-state fields */
#define VMCS_GUEST_CR0			  0x6800u
#define VMCS_GUEST_CR3			  0x6802u
#define VMCS_GUEST_CR4			  0x6804u
#define VMCS_GUEST_ES_BASE		  0x6806u
#define VMCS_GUEST_CS_BASE		  0x6808u
#define VMCS_GUEST_SS_BASE		  0x680au
#define VMCS_GUEST_DS_BASE		  0x680cu
#define VMCS_GUEST_FS_BASE		  0x680eu
#define VMCS_GUEST_GS_BASE		  0x6810u
#define VMCS_GUEST_LDTR_BASE		  0x6812u
#define VMCS_GUEST_TR_BASE		  0x6814u
#define VMCS_GUEST_GDTR_BASE		  0x6816u
#define VMCS_GUEST_IDTR_BASE		  0x6818u
#define VMCS_GUEST_DR7			  0x681au
#define VMCS_GUEST_RSP			  0x681cu
#define VMCS_GUEST_RIP			  0x681eu
#define VMCS_GUEST_RFLAGS		  0x6820u
#define VMCS_GUEST_PENDING_DBG_EXCEPTIONS 0x6822u
#define VMCS_GUEST_IA32_SYSENTER_ESP	  0x6824u
#define VMCS_GUEST_IA32_SYSENTER_EIP	  0x6826u

/* Natural-width host-state fields */
#define VMCS_HOST_CR0		    0x6c00u
#define VMCS_HOST_CR3		    0x6c02u
#define VMCS_HOST_CR4		    0x6c04u
#define VMCS_HOST_FS_BASE	    0x6c06u
#define VMCS_HOST_GS_BASE	    0x6c08u
#define VMCS_HOST_TR_BASE	    0x6c0au
#define VMCS_HOST_GDTR_BASE	    0x6c0cu
#define VMCS_HOST_IDTR_BASE	    0x6c0eu
#define VMCS_HOST_IA32_SYSENTER_ESP 0x6c10u
#define VMCS_HOST_IA32_SYSENTER_EIP 0x6c12u
#define VMCS_HOST_RSP		    0x6c14u
#define VMCS_HOST_RIP		    0x6c16u

/* A VMCS link pointer that links to nothing (no VMCS shadowing). */
#define VMCS_LINK_POINTER_NONE (~UINT64_C(0))

/* Pin-based VM-execution controls */
#define VMX_PIN_EXTERNAL_INTERRUPT_EXITING VMX_BIT32(0)
#define VMX_PIN_NMI_EXITING		   VMX_BIT32(3)
#define VMX_PIN_VIRTUAL_NMIS		   VMX_BIT32(5)
#define VMX_PIN_PREEMPTION_TIMER	   VMX_BIT32(6)
#define VMX_PIN_POSTED_INTERRUPTS	   VMX_BIT32(7)

/* Primary processor-based VM-execution controls */
#define VMX_PROC_INTERRUPT_WINDOW_EXITING VMX_BIT32(2)
#define VMX_PROC_USE_TSC_OFFSETTING	  VMX_BIT32(3)
#define VMX_PROC_HLT_EXITING		  VMX_BIT32(7)
#define VMX_PROC_INVLPG_EXITING		  VMX_BIT32(9)
#define VMX_PROC_MWAIT_EXITING		  VMX_BIT32(10)
#define VMX_PROC_RDPMC_EXITING		  VMX_BIT32(11)
#define VMX_PROC_RDTSC_EXITING		  VMX_BIT32(12)
#define VMX_PROC_CR3_LOAD_EXITING	  VMX_BIT32(15)
#define VMX_PROC_CR3_STORE_EXITING	  VMX_BIT32(16)
#define VMX_PROC_ACTIVATE_TERTIARY	  VMX_BIT32(17)
#define VMX_PROC_CR8_LOAD_EXITING	  VMX_BIT32(19)
#define VMX_PROC_CR8_STORE_EXITING	  VMX_BIT32(20)
#define VMX_PROC_USE_TPR_SHADOW		  VMX_BIT32(21)
#define VMX_PROC_NMI_WINDOW_EXITING	  VMX_BIT32(22)
#define VMX_PROC_MOV_DR_EXITING		  VMX_BIT32(23)
#define VMX_PROC_UNCONDITIONAL_IO_EXITING VMX_BIT32(24)
#define VMX_PROC_USE_IO_BITMAPS		  VMX_BIT32(25)
#define VMX_PROC_MONITOR_TRAP_FLAG	  VMX_BIT32(27)
#define VMX_PROC_USE_MSR_BITMAPS	  VMX_BIT32(28)
#define VMX_PROC_MONITOR_EXITING	  VMX_BIT32(29)
#define VMX_PROC_PAUSE_EXITING		  VMX_BIT32(30)
#define VMX_PROC_ACTIVATE_SECONDARY	  VMX_BIT32(31)

/* Secondary processor-based VM-execution controls */
#define VMX_PROC2_VIRTUALIZE_APIC_ACCESSES VMX_BIT32(0)
#define VMX_PROC2_ENABLE_EPT		   VMX_BIT32(1)
#define VMX_PROC2_DESCRIPTOR_TABLE_EXITING VMX_BIT32(2)
#define VMX_PROC2_ENABLE_RDTSCP		   VMX_BIT32(3)
#define VMX_PROC2_VIRTUALIZE_X2APIC	   VMX_BIT32(4)
#define VMX_PROC2_ENABLE_VPID		   VMX_BIT32(5)
#define VMX_PROC2_WBINVD_EXITING	   VMX_BIT32(6)
#define VMX_PROC2_UNRESTRICTED_GUEST	   VMX_BIT32(7)
#define VMX_PROC2_APIC_REGISTER_VIRT	   VMX_BIT32(8)
#define VMX_PROC2_VIRTUAL_INTR_DELIVERY	   VMX_BIT32(9)
#define VMX_PROC2_PAUSE_LOOP_EXITING	   VMX_BIT32(10)
#define VMX_PROC2_RDRAND_EXITING	   VMX_BIT32(11)
#define VMX_PROC2_ENABLE_INVPCID	   VMX_BIT32(12)
#define VMX_PROC2_ENABLE_VMFUNC		   VMX_BIT32(13)
#define VMX_PROC2_VMCS_SHADOWING	   VMX_BIT32(14)
#define VMX_PROC2_RDSEED_EXITING	   VMX_BIT32(16)
#define VMX_PROC2_ENABLE_PML		   VMX_BIT32(17)
#define VMX_PROC2_EPT_VIOLATION_VE	   VMX_BIT32(18)
#define VMX_PROC2_ENABLE_XSAVES		   VMX_BIT32(20)
#define VMX_PROC2_TSC_SCALING		   VMX_BIT32(25)

/* Primary VM-exit controls */
#define VMX_EXIT_CTL_SAVE_DEBUG_CONTROLS   VMX_BIT32(2)
#define VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE  VMX_BIT32(9)
#define VMX_EXIT_CTL_LOAD_PERF_GLOBAL_CTRL VMX_BIT32(12)
#define VMX_EXIT_CTL_ACK_INTERRUPT_ON_EXIT VMX_BIT32(15)
#define VMX_EXIT_CTL_SAVE_IA32_PAT	   VMX_BIT32(18)
#define VMX_EXIT_CTL_LOAD_IA32_PAT	   VMX_BIT32(19)
#define VMX_EXIT_CTL_SAVE_IA32_EFER	   VMX_BIT32(20)
#define VMX_EXIT_CTL_LOAD_IA32_EFER	   VMX_BIT32(21)
#define VMX_EXIT_CTL_SAVE_PREEMPTION_TIMER VMX_BIT32(22)

/* VM-entry controls */
#define VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS     VMX_BIT32(2)
#define VMX_ENTRY_CTL_IA32E_MODE_GUEST	      VMX_BIT32(9)
#define VMX_ENTRY_CTL_ENTRY_TO_SMM	      VMX_BIT32(10)
#define VMX_ENTRY_CTL_DEACTIVATE_DUAL_MONITOR VMX_BIT32(11)
#define VMX_ENTRY_CTL_LOAD_PERF_GLOBAL_CTRL   VMX_BIT32(13)
#define VMX_ENTRY_CTL_LOAD_IA32_PAT	      VMX_BIT32(14)
#define VMX_ENTRY_CTL_LOAD_IA32_EFER	      VMX_BIT32(15)

/*
 * Exit reason field: the basic reason in bits 15:0, and bit 31 set when
 * VM entry failed after the guest state was checked (reasons 33, 34, 41).
 */
#define VMX_EXIT_REASON_BASIC(r)      ((uint16_t)((r)&0xffffu))
#define VMX_EXIT_REASON_ENTRY_FAILURE VMX_BIT32(31)

/* Basic exit reasons (SDM vol. 3D appendix C). */
enum vmx_exit_reason {
	VMX_REASON_EXCEPTION_NMI = 0,
	VMX_REASON_EXTERNAL_INTERRUPT = 1,
	VMX_REASON_TRIPLE_FAULT = 2,
	VMX_REASON_INIT = 3,
	VMX_REASON_SIPI = 4,
	VMX_REASON_IO_SMI = 5,
	VMX_REASON_OTHER_SMI = 6,
	VMX_REASON_INTERRUPT_WINDOW = 7,
	VMX_REASON_NMI_WINDOW = 8,
	VMX_REASON_TASK_SWITCH = 9,
	VMX_REASON_CPUID = 10,
	VMX_REASON_GETSEC = 11,
	VMX_REASON_HLT = 12,
	VMX_REASON_INVD = 13,
	VMX_REASON_INVLPG = 14,
	VMX_REASON_RDPMC = 15,
	VMX_REASON_RDTSC = 16,
	VMX_REASON_RSM = 17,
	VMX_REASON_VMCALL = 18,
	VMX_REASON_VMCLEAR = 19,
	VMX_REASON_VMLAUNCH = 20,
	VMX_REASON_VMPTRLD = 21,
	VMX_REASON_VMPTRST = 22,
	VMX_REASON_VMREAD = 23,
	VMX_REASON_VMRESUME = 24,
	VMX_REASON_VMWRITE = 25,
	VMX_REASON_VMXOFF = 26,
	VMX_REASON_VMXON = 27,
	VMX_REASON_CR_ACCESS = 28,
	VMX_REASON_MOV_DR = 29,
	VMX_REASON_IO_INSTRUCTION = 30,
	VMX_REASON_RDMSR = 31,
	VMX_REASON_WRMSR = 32,
	VMX_REASON_ENTRY_INVALID_GUEST_STATE = 33,
	VMX_REASON_ENTRY_MSR_LOADING = 34,
	VMX_REASON_MWAIT = 36,
	VMX_REASON_MONITOR_TRAP_FLAG = 37,
	VMX_REASON_MONITOR = 39,
	VMX_REASON_PAUSE = 40,
	VMX_REASON_ENTRY_MACHINE_CHECK = 41,
	VMX_REASON_TPR_BELOW_THRESHOLD = 43,
	VMX_REASON_APIC_ACCESS = 44,
	VMX_REASON_VIRTUALIZED_EOI = 45,
	VMX_REASON_GDTR_IDTR_ACCESS = 46,
	VMX_REASON_LDTR_TR_ACCESS = 47,
	VMX_REASON_EPT_VIOLATION = 48,
	VMX_REASON_EPT_MISCONFIG = 49,
	VMX_REASON_INVEPT = 50,
	VMX_REASON_RDTSCP = 51,
	VMX_REASON_PREEMPTION_TIMER = 52,
	VMX_REASON_INVVPID = 53,
	VMX_REASON_WBINVD = 54,
	VMX_REASON_XSETBV = 55,
	VMX_REASON_APIC_WRITE = 56,
	VMX_REASON_RDRAND = 57,
	VMX_REASON_INVPCID = 58,
	VMX_REASON_VMFUNC = 59,
	VMX_REASON_ENCLS = 60,
	VMX_REASON_RDSEED = 61,
	VMX_REASON_PML_FULL = 62,
	VMX_REASON_XSAVES = 63,
	VMX_REASON_XRSTORS = 64,
};

/*
 * Segment access rights as the VMCS holds them: the descriptor's bits
 * 47:40 and 55:52 packed into bits 7:0 and 15:12, plus the VMX-only
 * "unusable" bit 16 (a null selector was loaded).
 */
#define VMX_AR_TYPE_MASK       0xfu
#define VMX_AR_TYPE_ACCESSED   0x1u /* code/data type bit 0 */
#define VMX_AR_TYPE_RW	       0x2u /* data: writable; code: readable */
#define VMX_AR_TYPE_CONFORMING 0x4u /* code: conforming */
#define VMX_AR_TYPE_CODE       0x8u
#define VMX_AR_S	       VMX_BIT32(4) /* code or data (not system) */
#define VMX_AR_DPL_SHIFT       5
#define VMX_AR_DPL_MASK	       (3u << VMX_AR_DPL_SHIFT)
#define VMX_AR_P	       VMX_BIT32(7)
#define VMX_AR_AVL	       VMX_BIT32(12)
#define VMX_AR_L	       VMX_BIT32(13) /* CS only: 64-bit code */
#define VMX_AR_DB	       VMX_BIT32(14)
#define VMX_AR_G	       VMX_BIT32(15)
#define VMX_AR_UNUSABLE	       VMX_BIT32(16)
#define VMX_AR_RESERVED	       (VMX_BITS(11, 8) | VMX_BITS(31, 17))

/* System-segment types in the access rights of TR and LDTR. */
#define VMX_AR_TYPE_LDT	       2u
#define VMX_AR_TYPE_TSS16_BUSY 3u
#define VMX_AR_TYPE_TSS_BUSY   11u /* 32-bit, or 64-bit in IA-32e mode */

/*
 * Interruption information: the VM-entry, VM-exit and IDT-vectoring
 * interruption-information fields share this layout.
 */
#define VMX_INTR_INFO_VECTOR_MASK    0xffu
#define VMX_INTR_INFO_TYPE_SHIFT     8
#define VMX_INTR_INFO_TYPE_MASK	     (7u << VMX_INTR_INFO_TYPE_SHIFT)
#define VMX_INTR_INFO_ERROR_CODE     VMX_BIT32(11)
#define VMX_INTR_INFO_NMI_UNBLOCKING VMX_BIT32(12) /* exit info only */
#define VMX_INTR_INFO_VALID	     VMX_BIT32(31)

enum vmx_intr_type {
	VMX_INTR_EXTERNAL = 0,
	VMX_INTR_NMI = 2,
	VMX_INTR_HW_EXCEPTION = 3,
	VMX_INTR_SW_INTERRUPT = 4,
	VMX_INTR_PRIV_SW_EXCEPTION = 5,
	VMX_INTR_SW_EXCEPTION = 6,
	VMX_INTR_OTHER_EVENT = 7,
};

/* Guest interruptibility state */
#define VMX_INTERRUPTIBILITY_STI     VMX_BIT32(0)
#define VMX_INTERRUPTIBILITY_MOV_SS  VMX_BIT32(1)
#define VMX_INTERRUPTIBILITY_SMI     VMX_BIT32(2)
#define VMX_INTERRUPTIBILITY_NMI     VMX_BIT32(3)
#define VMX_INTERRUPTIBILITY_ENCLAVE VMX_BIT32(4)

/* Guest activity state */
enum vmx_activity_state {
	VMX_ACTIVITY_ACTIVE = 0,
	VMX_ACTIVITY_HLT = 1,
	VMX_ACTIVITY_SHUTDOWN = 2,
	VMX_ACTIVITY_WAIT_FOR_SIPI = 3,
};

/* General-purpose register numbers used by exit qualifications and the
 * VM-exit instruction-information field. */
enum vmx_gpr {
	VMX_GPR_RAX = 0,
	VMX_GPR_RCX,
	VMX_GPR_RDX,
	VMX_GPR_RBX,
	VMX_GPR_RSP,
	VMX_GPR_RBP,
	VMX_GPR_RSI,
	VMX_GPR_RDI,
	VMX_GPR_R8,
	VMX_GPR_R9,
	VMX_GPR_R10,
	VMX_GPR_R11,
	VMX_GPR_R12,
	VMX_GPR_R13,
	VMX_GPR_R14,
	VMX_GPR_R15,
};

/* Segment register numbers used by the VM-exit instruction information. */
enum vmx_segment {
	VMX_SEG_ES = 0,
	VMX_SEG_CS,
	VMX_SEG_SS,
	VMX_SEG_DS,
	VMX_SEG_FS,
	VMX_SEG_GS,
};

/* VM-instruction error numbers (SDM "VM-Instruction Error Numbers"). */
enum vmx_instruction_error {
	VMX_ERR_VMCALL_IN_ROOT = 1,
	VMX_ERR_VMCLEAR_INVALID_ADDRESS = 2,
	VMX_ERR_VMCLEAR_VMXON_POINTER = 3,
	VMX_ERR_VMLAUNCH_NOT_CLEAR = 4,
	VMX_ERR_VMRESUME_NOT_LAUNCHED = 5,
	VMX_ERR_VMRESUME_AFTER_VMXOFF = 6,
	VMX_ERR_ENTRY_INVALID_CONTROLS = 7,
	VMX_ERR_ENTRY_INVALID_HOST_STATE = 8,
	VMX_ERR_VMPTRLD_INVALID_ADDRESS = 9,
	VMX_ERR_VMPTRLD_VMXON_POINTER = 10,
	VMX_ERR_VMPTRLD_BAD_REVISION = 11,
	VMX_ERR_UNSUPPORTED_FIELD = 12,
	VMX_ERR_VMWRITE_READ_ONLY = 13,
	VMX_ERR_VMXON_IN_ROOT = 15,
	VMX_ERR_ENTRY_INVALID_EXECUTIVE_VMCS = 16,
	VMX_ERR_ENTRY_NON_LAUNCHED_EXECUTIVE = 17,
	VMX_ERR_ENTRY_EXECUTIVE_NOT_VMXON = 18,
	VMX_ERR_VMCALL_NOT_CLEAR = 19,
	VMX_ERR_VMCALL_INVALID_EXIT_CONTROLS = 20,
	VMX_ERR_VMCALL_BAD_MSEG_REVISION = 22,
	VMX_ERR_VMXOFF_DUAL_MONITOR = 23,
	VMX_ERR_VMCALL_INVALID_SMM_FEATURES = 24,
	VMX_ERR_ENTRY_INVALID_EXECUTIVE_CONTROLS = 25,
	VMX_ERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26,
	VMX_ERR_INVALID_INVEPT_INVVPID_OPERAND = 28,
};

/* INVVPID types (SDM vol. 2 "INVVPID"). */
enum vmx_invvpid_type {
	VMX_INVVPID_INDIVIDUAL_ADDRESS = 0,
	VMX_INVVPID_SINGLE_CONTEXT = 1,
	VMX_INVVPID_ALL_CONTEXT = 2,
	VMX_INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS = 3,
};

/* MSRs: feature control and the VMX capability MSRs (appendix A). */
#define MSR_IA32_FEATURE_CONTROL	 0x03au
#define MSR_IA32_VMX_BASIC		 0x480u
#define MSR_IA32_VMX_PINBASED_CTLS	 0x481u
#define MSR_IA32_VMX_PROCBASED_CTLS	 0x482u
#define MSR_IA32_VMX_EXIT_CTLS		 0x483u
#define MSR_IA32_VMX_ENTRY_CTLS		 0x484u
#define MSR_IA32_VMX_MISC		 0x485u
#define MSR_IA32_VMX_CR0_FIXED0		 0x486u
#define MSR_IA32_VMX_CR0_FIXED1		 0x487u
#define MSR_IA32_VMX_CR4_FIXED0		 0x488u
#define MSR_IA32_VMX_CR4_FIXED1		 0x489u
#define MSR_IA32_VMX_VMCS_ENUM		 0x48au
#define MSR_IA32_VMX_PROCBASED_CTLS2	 0x48bu
#define MSR_IA32_VMX_EPT_VPID_CAP	 0x48cu
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS	 0x48du
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48eu
#define MSR_IA32_VMX_TRUE_EXIT_CTLS	 0x48fu
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS	 0x490u
#define MSR_IA32_VMX_VMFUNC		 0x491u

/* IA32_FEATURE_CONTROL: VMXON faults unless locked with VMX enabled. */
#define IA32_FEATURE_CONTROL_LOCK	     VMX_BIT(0)
#define IA32_FEATURE_CONTROL_VMX_IN_SMX	     VMX_BIT(1)
#define IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX VMX_BIT(2)

/* IA32_VMX_BASIC */
#define IA32_VMX_BASIC_REVISION_MASK  VMX_BITS(30, 0)
#define IA32_VMX_BASIC_REGION_SIZE(b) ((uint32_t)(((b) >> 32) & 0x1fff))
#define IA32_VMX_BASIC_ADDR_32BIT     VMX_BIT(48) /* VMCS addresses < 4 GiB */
#define IA32_VMX_BASIC_INS_OUTS_INFO  VMX_BIT(54)
#define IA32_VMX_BASIC_TRUE_CTLS      VMX_BIT(55)
/* VM entry does not require the deliver-error-code bit to match the vector. */
#define IA32_VMX_BASIC_ANY_ERROR_CODE VMX_BIT(56)

/* IA32_VMX_MISC */
#define IA32_VMX_MISC_STORES_LMA	 VMX_BIT(5)
#define IA32_VMX_MISC_ACTIVITY_HLT	 VMX_BIT(6)
#define IA32_VMX_MISC_ACTIVITY_SHUTDOWN	 VMX_BIT(7)
#define IA32_VMX_MISC_ACTIVITY_WAIT_SIPI VMX_BIT(8)
#define IA32_VMX_MISC_CR3_TARGETS(m)	 ((uint32_t)(((m) >> 16) & 0x1ff))
#define IA32_VMX_MISC_MAX_MSR_LIST(m)	 (512u * ((uint32_t)(((m) >> 25) & 7) + 1))
#define IA32_VMX_MISC_VMWRITE_EXIT_INFO	 VMX_BIT(29)
#define IA32_VMX_MISC_ZERO_LEN_INJECTION VMX_BIT(30)

/* IA32_VMX_EPT_VPID_CAP: INVVPID support and the types it accepts. */
#define IA32_VMX_EPT_VPID_CAP_INVVPID	      VMX_BIT(32)
#define IA32_VMX_EPT_VPID_CAP_INVVPID_TYPE(t) VMX_BIT(40 + (t))

/* Other MSRs a VMX hypervisor saves, loads or passes through. */
#define MSR_IA32_APIC_BASE	0x01bu
#define MSR_IA32_SYSENTER_CS	0x174u
#define MSR_IA32_SYSENTER_ESP	0x175u
#define MSR_IA32_SYSENTER_EIP	0x176u
#define MSR_IA32_DEBUGCTL	0x1d9u
#define MSR_IA32_PAT		0x277u
#define MSR_IA32_EFER		0xc0000080u
#define MSR_IA32_STAR		0xc0000081u
#define MSR_IA32_LSTAR		0xc0000082u
#define MSR_IA32_FMASK		0xc0000084u
#define MSR_IA32_FS_BASE	0xc0000100u
#define MSR_IA32_GS_BASE	0xc0000101u
#define MSR_IA32_KERNEL_GS_BASE 0xc0000102u

/* IA32_APIC_BASE */
#define IA32_APIC_BASE_BSP	 VMX_BIT(8)
#define IA32_APIC_BASE_X2APIC	 VMX_BIT(10) /* x2APIC mode enable */
#define IA32_APIC_BASE_ENABLE	 VMX_BIT(11) /* xAPIC global enable */
#define IA32_APIC_BASE_ADDR_MASK VMX_BITS(51, 12)

/*
 * x2APIC registers (SDM vol. 3A "x2APIC Register Address Space"): MSR
 * 0x800 + the xAPIC MMIO offset / 16. The ICR is one 64-bit MSR whose
 * bits 63:32 hold the destination x2APIC ID.
 */
#define MSR_X2APIC_ID		 0x802u
#define MSR_X2APIC_VERSION	 0x803u
#define MSR_X2APIC_TPR		 0x808u
#define MSR_X2APIC_EOI		 0x80bu
#define MSR_X2APIC_LDR		 0x80du
#define MSR_X2APIC_SIVR		 0x80fu
#define MSR_X2APIC_ESR		 0x828u
#define MSR_X2APIC_ICR		 0x830u
#define MSR_X2APIC_LVT_TIMER	 0x832u
#define MSR_X2APIC_TIMER_INITIAL 0x838u
#define MSR_X2APIC_TIMER_CURRENT 0x839u
#define MSR_X2APIC_TIMER_DIVIDE	 0x83eu
#define MSR_X2APIC_SELF_IPI	 0x83fu

/* Spurious-interrupt vector register: software enable. */
#define APIC_SIVR_ENABLE VMX_BIT(8)

/* Interrupt command register (both xAPIC and x2APIC layouts). */
#define APIC_ICR_VECTOR_MASK	  0xffu
#define APIC_ICR_DELIVERY_FIXED	  (0u << 8)
#define APIC_ICR_DELIVERY_NMI	  (4u << 8)
#define APIC_ICR_DELIVERY_INIT	  (5u << 8)
#define APIC_ICR_DELIVERY_STARTUP (6u << 8)
#define APIC_ICR_DEST_LOGICAL	  VMX_BIT(11)
#define APIC_ICR_DELIVERY_PENDING VMX_BIT(12) /* xAPIC only */
#define APIC_ICR_LEVEL_ASSERT	  VMX_BIT(14)
#define APIC_ICR_TRIGGER_LEVEL	  VMX_BIT(15)
#define APIC_ICR_SHORTHAND_SELF	  (UINT64_C(1) << 18)
#define APIC_ICR_SHORTHAND_ALL	  (UINT64_C(2) << 18)
#define APIC_ICR_SHORTHAND_OTHERS (UINT64_C(3) << 18)
#define X2APIC_ICR_DEST(apic_id)  ((uint64_t)(uint32_t)(apic_id) << 32)

/* CPUID bits a VMX hypervisor checks before VMXON or exposes to a guest. */
#define CPUID_1_ECX_VMX	       VMX_BIT32(5)
#define CPUID_1_ECX_PCID       VMX_BIT32(17)
#define CPUID_1_ECX_X2APIC     VMX_BIT32(21)
#define CPUID_1_ECX_HYPERVISOR VMX_BIT32(31)
#define CPUID_7_0_EBX_INVPCID  VMX_BIT32(10)

#endif /* VMX_FIELDS_H */
