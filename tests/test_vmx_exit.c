/* SPDX-License-Identifier: MIT */
/*
 * VM-exit decoders (adapters/vmx/vmx_exit.c) on exit qualifications and
 * information fields built by hand from the SDM's layouts (vol. 3C
 * "Exit Qualification for Control-Register Accesses", "... for I/O
 * Instructions", "VM-Exit Instruction-Information Field as Used for
 * INVEPT, INVPCID, and INVVPID", "Information for VM Exits Due to
 * Vectored Events"), and a compile check of the inline-assembly
 * wrappers. No VMX instruction is executed.
 */
#include <criterion/criterion.h>
#include <stddef.h>

#include "vmx_asm.h"
#include "vmx_exit.h"

Test(vmx_exit, reason_names_use_the_basic_reason)
{
	cr_assert_str_eq(vmx_exit_reason_name(VMX_REASON_CR_ACCESS),
			 "control-register accesses");
	cr_assert_str_eq(
		vmx_exit_reason_name(VMX_REASON_ENTRY_INVALID_GUEST_STATE |
				     VMX_EXIT_REASON_ENTRY_FAILURE),
		"VM-entry failure due to invalid guest state");
	cr_assert_str_eq(vmx_exit_reason_name(VMX_REASON_INVPCID), "INVPCID");
	cr_assert_str_eq(vmx_exit_reason_name(35), "unknown",
			 "35 is not a basic exit reason");
	cr_assert_str_eq(vmx_exit_reason_name(1000), "unknown");
}

Test(vmx_exit, mov_to_cr3_from_rbx)
{
	struct vmx_cr_access a = vmx_decode_cr_access(0x303);

	cr_assert_eq(a.cr, 3);
	cr_assert_eq(a.type, VMX_CR_MOV_TO_CR);
	cr_assert_eq(a.gpr, VMX_GPR_RBX);
}

Test(vmx_exit, mov_from_cr3_to_r12)
{
	struct vmx_cr_access a = vmx_decode_cr_access(0xc13);

	cr_assert_eq(a.cr, 3);
	cr_assert_eq(a.type, VMX_CR_MOV_FROM_CR);
	cr_assert_eq(a.gpr, VMX_GPR_R12);
}

Test(vmx_exit, mov_to_cr4_from_r15)
{
	struct vmx_cr_access a = vmx_decode_cr_access(0xf04);

	cr_assert_eq(a.cr, 4);
	cr_assert_eq(a.type, VMX_CR_MOV_TO_CR);
	cr_assert_eq(a.gpr, VMX_GPR_R15);
}

Test(vmx_exit, clts)
{
	struct vmx_cr_access a = vmx_decode_cr_access(0x20);

	cr_assert_eq(a.cr, 0);
	cr_assert_eq(a.type, VMX_CR_CLTS);
}

Test(vmx_exit, lmsw_from_a_register_and_from_memory)
{
	struct vmx_cr_access reg = vmx_decode_cr_access(0x000b0030);
	struct vmx_cr_access mem = vmx_decode_cr_access(0x00010070);

	cr_assert_eq(reg.type, VMX_CR_LMSW);
	cr_assert_not(reg.lmsw_memory);
	cr_assert_eq(reg.lmsw_source, 0xb);
	cr_assert_eq(mem.type, VMX_CR_LMSW);
	cr_assert(mem.lmsw_memory);
	cr_assert_eq(mem.lmsw_source, 0x1);
}

Test(vmx_exit, out_dx_al_to_the_uart)
{
	struct vmx_io_access io = vmx_decode_io(UINT64_C(0x3f8) << 16);

	cr_assert_eq(io.port, 0x3f8);
	cr_assert_eq(io.size, 1);
	cr_assert_not(io.in);
	cr_assert_not(io.string);
	cr_assert_not(io.rep);
	cr_assert_not(io.immediate);
}

Test(vmx_exit, in_eax_from_an_immediate_port)
{
	/* size 3 (4 bytes), IN, immediate operand, port 0x60 */
	struct vmx_io_access io =
		vmx_decode_io((UINT64_C(0x60) << 16) | 0x40 | 0x8 | 0x3);

	cr_assert_eq(io.port, 0x60);
	cr_assert_eq(io.size, 4);
	cr_assert(io.in);
	cr_assert(io.immediate);
	cr_assert_not(io.string);
}

Test(vmx_exit, rep_outsw)
{
	struct vmx_io_access io =
		vmx_decode_io((UINT64_C(0x8900) << 16) | 0x20 | 0x10 | 0x1);

	cr_assert_eq(io.port, 0x8900);
	cr_assert_eq(io.size, 2);
	cr_assert_not(io.in);
	cr_assert(io.string);
	cr_assert(io.rep);
}

Test(vmx_exit, insb_without_rep)
{
	struct vmx_io_access io =
		vmx_decode_io((UINT64_C(0x1f0) << 16) | 0x10 | 0x8);

	cr_assert_eq(io.port, 0x1f0);
	cr_assert_eq(io.size, 1);
	cr_assert(io.in);
	cr_assert(io.string);
	cr_assert_not(io.rep, "a string instruction without REP");
}

Test(vmx_exit, invlpg_address_is_the_qualification)
{
	cr_assert_eq(vmx_decode_invlpg(UINT64_C(0xffff800000401000)),
		     UINT64_C(0xffff800000401000));
}

/* INVPCID rax, [rbx + rcx*8 + disp] in 64-bit mode: scale 3, address
 * size 2 (64-bit), segment DS, index RCX, base RBX, Reg2 RAX. */
#define INFO_64BIT_BASE_INDEX                                                  \
	(3u | (2u << 7) | (VMX_SEG_DS << 15) | (VMX_GPR_RCX << 18) |           \
	 (VMX_GPR_RBX << 23) | (VMX_GPR_RAX << 28))

Test(vmx_exit, invpcid_with_base_index_and_scale)
{
	struct vmx_invpcid_info info =
		vmx_decode_invpcid_info(INFO_64BIT_BASE_INDEX);
	uint64_t gpr[16] = { 0 };

	cr_assert_eq(info.type_gpr, VMX_GPR_RAX);
	cr_assert_eq(info.segment, VMX_SEG_DS);
	cr_assert_eq(info.address_bits, 64);
	cr_assert_eq(info.scale_shift, 3);
	cr_assert(info.has_index);
	cr_assert_eq(info.index_gpr, VMX_GPR_RCX);
	cr_assert(info.has_base);
	cr_assert_eq(info.base_gpr, VMX_GPR_RBX);
	gpr[VMX_GPR_RBX] = UINT64_C(0xffff800000010000);
	gpr[VMX_GPR_RCX] = 2;
	cr_assert_eq(vmx_invpcid_operand_offset(&info, gpr, 0x10),
		     UINT64_C(0xffff800000010020));
}

Test(vmx_exit, invpcid_type_in_r9_descriptor_at_r10_minus_8)
{
	/* Bit 22 set: no index; displacement -8, sign-extended. */
	uint32_t raw = (2u << 7) | (VMX_SEG_SS << 15) | (1u << 22) |
		       (VMX_GPR_R10 << 23) | ((uint32_t)VMX_GPR_R9 << 28);
	struct vmx_invpcid_info info = vmx_decode_invpcid_info(raw);
	uint64_t gpr[16] = { 0 };

	cr_assert_eq(info.type_gpr, VMX_GPR_R9);
	cr_assert_eq(info.segment, VMX_SEG_SS);
	cr_assert_not(info.has_index);
	cr_assert_eq(info.base_gpr, VMX_GPR_R10);
	gpr[VMX_GPR_R10] = 0x7000;
	gpr[VMX_GPR_R11] = 0x123456; /* the stale index field names R11 */
	cr_assert_eq(vmx_invpcid_operand_offset(&info, gpr, (uint64_t)-8),
		     0x6ff8);
}

Test(vmx_exit, invpcid_offset_wraps_at_32_bit_address_size)
{
	uint32_t raw = (1u << 7) | (VMX_SEG_DS << 15) | (1u << 22) |
		       (VMX_GPR_RSI << 23) | (VMX_GPR_RDX << 28);
	struct vmx_invpcid_info info = vmx_decode_invpcid_info(raw);
	uint64_t gpr[16] = { 0 };

	cr_assert_eq(info.address_bits, 32);
	gpr[VMX_GPR_RSI] = 0xfffffff0;
	cr_assert_eq(vmx_invpcid_operand_offset(&info, gpr, 0x20), 0x10);
}

Test(vmx_exit, invpcid_rip_relative_has_no_registers)
{
	/* Both invalid bits set: the qualification holds disp + next RIP. */
	uint32_t raw = (2u << 7) | (VMX_SEG_DS << 15) | (1u << 22) | (1u << 27);
	struct vmx_invpcid_info info = vmx_decode_invpcid_info(raw);
	uint64_t gpr[16];

	for (int i = 0; i < 16; i++)
		gpr[i] = 0x1111111111111111 * (uint64_t)i;
	cr_assert_not(info.has_base);
	cr_assert_not(info.has_index);
	cr_assert_eq(vmx_invpcid_operand_offset(&info, gpr, 0x401234),
		     0x401234);
}

Test(vmx_exit, page_fault_interruption_info)
{
	struct vmx_intr_info i = vmx_decode_intr_info(0x80000b0e);

	cr_assert(i.valid);
	cr_assert_eq(i.vector, 14);
	cr_assert_eq(i.type, VMX_INTR_HW_EXCEPTION);
	cr_assert(i.error_code_valid);
	cr_assert_not(i.nmi_unblocking);
}

Test(vmx_exit, nmi_with_iret_unblocking)
{
	struct vmx_intr_info i = vmx_decode_intr_info(0x80001202);

	cr_assert_eq(i.type, VMX_INTR_NMI);
	cr_assert_eq(i.vector, 2);
	cr_assert(i.nmi_unblocking);
	cr_assert_not(i.error_code_valid);
}

Test(vmx_exit, encode_inject_gp_and_external_interrupt)
{
	cr_assert_eq(vmx_encode_intr_info(13, VMX_INTR_HW_EXCEPTION, true),
		     0x80000b0d);
	cr_assert_eq(vmx_encode_intr_info(0x20, VMX_INTR_EXTERNAL, false),
		     0x80000020);
	cr_assert_not(vmx_decode_intr_info(0x0b0d).valid);
}

/*
 * vmx_asm.h: the status decoding, the descriptor layout, and that every
 * wrapper assembles (their addresses are taken, so each is emitted).
 * Only CPUID is executed: it is the one wrapped instruction that runs in
 * a user process.
 */
Test(vmx_asm, status_follows_cf_then_zf)
{
	cr_assert_eq(vmx_status_from_flags(false, false), VMX_OK);
	cr_assert_eq(vmx_status_from_flags(false, true), VMX_FAIL_VALID);
	cr_assert_eq(vmx_status_from_flags(true, false), VMX_FAIL_INVALID);
}

Test(vmx_asm, invvpid_descriptor_is_128_bits_vpid_then_address)
{
	cr_assert_eq(sizeof(struct vmx_invvpid_desc), 16);
	cr_assert_eq(offsetof(struct vmx_invvpid_desc, linear_address), 8);
}

Test(vmx_asm, every_wrapper_assembles)
{
	void *volatile wrappers[] = {
		(void *)vmx_vmxon,
		(void *)vmx_vmxoff,
		(void *)vmx_vmclear,
		(void *)vmx_vmptrld,
		(void *)vmx_vmread,
		(void *)vmx_vmwrite,
		(void *)vmx_invvpid,
		(void *)vmx_invvpid_address,
		(void *)vmx_invvpid_single,
		(void *)vmx_invvpid_all,
		(void *)vmx_invvpid_single_nonglobal,
		(void *)x86_rdmsr,
		(void *)x86_wrmsr,
		(void *)x86_read_cr0,
		(void *)x86_write_cr0,
		(void *)x86_read_cr3,
		(void *)x86_write_cr3,
		(void *)x86_read_cr4,
		(void *)x86_write_cr4,
		(void *)x86_inb,
		(void *)x86_inw,
		(void *)x86_inl,
		(void *)x86_outb,
		(void *)x86_outw,
		(void *)x86_outl,
	};

	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		cr_assert_not_null(wrappers[i]);
}

Test(vmx_asm, cpuid_reads_the_vendor_leaf)
{
	struct x86_cpuid r = x86_cpuid(0, 0);

	cr_assert_gt(r.eax, 0, "leaf 0 reports the highest basic leaf");
	cr_assert_neq(r.ebx, 0, "vendor string");
}
