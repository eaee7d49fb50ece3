/* SPDX-License-Identifier: MIT */
/*
 * VM exits: each one the library cares about goes to its entry points,
 * and the result is acted on (re-enter, inject #PF with CR2, emulate the
 * store to a write-protected guest table). The rest of the guest's world
 * is small: CPUID with VMX and PCID hidden, IA32_EFER, COM1 (passed
 * through), and the test-exit port.
 */
#include <vmx_asm.h>
#include <vmx_exit.h>
#include <vmx_fields.h>

#include "console.h"
#include "emulate.h"
#include "host_ops.h"
#include "lapic.h"
#include "percpu.h"
#include "vapic.h"
#include "vcpu.h"

#define TEST_EXIT_PORT 0xf4
#define PF_VECTOR      14
#define GP_VECTOR      13
#define DF_VECTOR      8

static void inject_gp(struct vcpu *v)
{
	vcpu_inject(v, GP_VECTOR, true, 0);
}

/* An exit during the delivery of an event to the guest (its IDT or stack
 * not shadowed yet, say): deliver it again at the next entry, unless the
 * handler injects something itself. */
static void reinject_vectored_event(void)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO);
	if (!(info & VMX_INTR_INFO_VALID) ||
	    (vmcs_read(VMCS_ENTRY_INTR_INFO) & VMX_INTR_INFO_VALID))
		return;
	vmcs_write(VMCS_ENTRY_INTR_INFO, info & ~VMX_INTR_INFO_NMI_UNBLOCKING);
	if (info & VMX_INTR_INFO_ERROR_CODE)
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR,
			   vmcs_read(VMCS_IDT_VECTORING_ERROR));
	vmcs_write(VMCS_ENTRY_INSTRUCTION_LEN,
		   vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
}

static void page_fault(struct vcpu *v)
{
	uint64_t la = vmcs_read(VMCS_EXIT_QUALIFICATION);
	uint32_t hw_error = (uint32_t)vmcs_read(VMCS_EXIT_INTR_ERROR_CODE);
	struct smmu_access acc = {
		.la = la,
		.flags = hw_error & (SMMU_ACCESS_WRITE | SMMU_ACCESS_USER |
				     SMMU_ACCESS_FETCH),
	};
	if (vmcs_read(VMCS_GUEST_RFLAGS) & (1u << 18))
		acc.flags |= SMMU_ACCESS_AC;
	struct smmu_fault f;
	smmu_vcpu_page_fault(v->mmu, &acc, &f);
	switch (f.action) {
	case SMMU_FAULT_FIXED:
		v->pf_fixed++;
		break;
	case SMMU_FAULT_INJECT: {
		v->pf_injected++;
		uint32_t vec = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO);
		if ((vec & VMX_INTR_INFO_VALID) &&
		    ((vec >> VMX_INTR_INFO_TYPE_SHIFT) & 7) == 3) {
			/* A #PF while delivering an exception: a double
			 * fault (SDM 6.15, "Interrupt 8"). */
			vcpu_inject(v, DF_VECTOR, true, 0);
			break;
		}
		v->regs.cr2 = la;
		vcpu_inject(v, PF_VECTOR, true, f.pf_error);
		break;
	}
	case SMMU_FAULT_EMULATE: {
		v->pf_emulated++;
		uint64_t hpa;
		if (refvmx_host_ops.gfn_to_hpa(0, f.gpa >> 12, &hpa) !=
		    SMMU_GPA_OK) {
			/* No device model here: report the access. */
			kprintf("refvmx: guest MMIO %s at gpa 0x%llx (la "
				"0x%llx, rip 0x%llx): no device there\n",
				(hw_error & SMMU_ACCESS_WRITE) ? "write"
							       : "read",
				(unsigned long long)f.gpa,
				(unsigned long long)la,
				(unsigned long long)vmcs_read(VMCS_GUEST_RIP));
			vcpu_fail(v, "guest access to MMIO");
			break;
		}
		emulate_store(v, la, f.gpa);
		break;
	}
	default:
		kprintf("refvmx: page fault at 0x%llx: %s\n",
			(unsigned long long)la,
			f.reason ? f.reason : "no reason");
		vcpu_fail(v, "the library failed a page fault");
		break;
	}
}

static void cr_access(struct vcpu *v)
{
	struct vmx_cr_access q =
		vmx_decode_cr_access(vmcs_read(VMCS_EXIT_QUALIFICATION));
	struct smmu_paging_regs r;
	smmu_vcpu_get_paging(v->mmu, &r);
	enum smmu_cr_result res = SMMU_CR_DONE;
	switch (q.type) {
	case VMX_CR_MOV_TO_CR: {
		uint64_t val = gpr_get(v, q.gpr);
		v->cr_writes++;
		if (q.cr == 0)
			res = smmu_vcpu_write_cr0(v->mmu, val);
		else if (q.cr == 3)
			res = smmu_vcpu_write_cr3(v->mmu, val);
		else if (q.cr == 4)
			res = smmu_vcpu_write_cr4(v->mmu, val);
		else
			res = SMMU_CR_INJECT_GP;
		break;
	}
	case VMX_CR_MOV_FROM_CR:
		if (q.cr != 3) {
			vcpu_fail(v, "unexpected MOV from a control register");
			return;
		}
		gpr_set(v, q.gpr, r.cr3);
		break;
	case VMX_CR_CLTS:
		res = smmu_vcpu_write_cr0(v->mmu, r.cr0 & ~8ull);
		break;
	case VMX_CR_LMSW:
		/* LMSW sets PE, MP, EM, TS from its operand; it never
		 * clears PE. */
		res = smmu_vcpu_write_cr0(
			v->mmu, (r.cr0 & ~0xeull) | (q.lmsw_source & 0xf) |
					(r.cr0 & 1));
		break;
	}
	if (res == SMMU_CR_DONE)
		vcpu_skip_instruction();
	else
		inject_gp(v);
}

static void cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
	struct x86_cpuid c = x86_cpuid(leaf, sub);
	if (leaf == 1)
		/* No VMX for the guest, no PCID (the library's PCID work
		 * has not landed). */
		c.ecx &= ~((1u << 5) | (1u << 17));
	if (leaf == 1)
		/* x2APIC (the guest's is, vapic.c); initial APIC ID. */
		c.ebx = (c.ebx & 0x00ffffffu) | v->index << 24;
	if (leaf == 1)
		c.ecx |= 1u << 21;
	if (leaf == 0xb)
		c.edx = v->index;
	if (leaf == 7 && sub == 0) {
		c.ebx &= ~(1u << 10); /* INVPCID */
		c.ecx &= ~(1u << 16); /* LA57: the guest's CR4 view only */
	}
	v->regs.rax = c.eax;
	v->regs.rbx = c.ebx;
	v->regs.rcx = c.ecx;
	v->regs.rdx = c.edx;
	vcpu_skip_instruction();
}

static void msr_access(struct vcpu *v, bool write)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t value = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	if (vapic_msr(v, msr, write, &value)) {
		if (!write) {
			v->regs.rax = (uint32_t)value;
			v->regs.rdx = value >> 32;
		}
		vcpu_skip_instruction();
		return;
	}
	if (msr != MSR_IA32_EFER) {
		inject_gp(v);
		return;
	}
	if (write) {
		uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
		if (smmu_vcpu_write_efer(v->mmu, val) != SMMU_CR_DONE) {
			inject_gp(v);
			return;
		}
	} else {
		struct smmu_paging_regs r;
		smmu_vcpu_get_paging(v->mmu, &r);
		v->regs.rax = (uint32_t)r.efer;
		v->regs.rdx = r.efer >> 32;
	}
	vcpu_skip_instruction();
}

static void io(struct vcpu *v)
{
	struct vmx_io_access q =
		vmx_decode_io(vmcs_read(VMCS_EXIT_QUALIFICATION));
	if (q.port == TEST_EXIT_PORT && !q.in && !q.string) {
		uint8_t status = (uint8_t)v->regs.rax;
		kprintf("refvmx: guest wrote status %u to the test-exit port "
			"(vCPU %u)\n",
			(unsigned)status, v->index);
		vcpu_end_run(v, status == 0,
			     status ? "the guest reported failures" : 0);
		return;
	}
	if (q.string) {
		vcpu_fail(v, "string I/O to an emulated port");
		return;
	}
	/* Nothing else is there: reads float high, writes vanish. */
	if (q.in) {
		uint64_t mask = q.size == 4 ? 0xffffffffull
					    : (1ull << (8 * q.size)) - 1;
		v->regs.rax = (v->regs.rax & ~mask) | mask;
	}
	vcpu_skip_instruction();
}

void vcpu_handle_exit(struct vcpu *v, uint32_t reason)
{
	uint16_t basic = VMX_EXIT_REASON_BASIC(reason);
	if (basic < NR_EXIT_REASONS)
		v->exits[basic]++;
	if (reason & VMX_EXIT_REASON_ENTRY_FAILURE) {
		vcpu_diagnose_entry(v, true);
		return;
	}
	switch (basic) {
	case VMX_REASON_EXCEPTION_NMI: {
		uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);
		if ((info & VMX_INTR_INFO_VECTOR_MASK) == PF_VECTOR)
			page_fault(v);
		else
			vcpu_fail(v, "unexpected exception exit");
		break;
	}
	case VMX_REASON_CR_ACCESS:
		cr_access(v);
		break;
	case VMX_REASON_INVLPG:
		v->invlpgs++;
		smmu_vcpu_invlpg(v->mmu, vmx_decode_invlpg(vmcs_read(
						 VMCS_EXIT_QUALIFICATION)));
		vcpu_skip_instruction();
		break;
	case VMX_REASON_CPUID:
		cpuid(v);
		break;
	case VMX_REASON_RDMSR:
	case VMX_REASON_WRMSR:
		msr_access(v, basic == VMX_REASON_WRMSR);
		break;
	case VMX_REASON_IO_INSTRUCTION:
		io(v);
		break;
	case VMX_REASON_HLT:
		if (vapic_halt(v))
			vcpu_skip_instruction();
		else
			vcpu_fail(v, "the guest halted with interrupts off "
				     "without writing the test-exit port");
		break;
	case VMX_REASON_EXTERNAL_INTERRUPT:
		/* Acknowledged on exit: a flush request or a kick. */
		lapic_eoi();
		cpu_serve_requests();
		break;
	case VMX_REASON_INTERRUPT_WINDOW:
		vapic_window_open(v);
		break;
	case VMX_REASON_PREEMPTION_TIMER:
		/* The guest ran with IF=0 (vcpu.c, arm_preemption_timer):
		 * the next entry serves what other CPUs asked. */
		break;
	case VMX_REASON_TRIPLE_FAULT:
		vcpu_fail(v, "the guest triple-faulted");
		break;
	default:
		kprintf("refvmx: unhandled exit %u (%s) at rip 0x%llx\n",
			(unsigned)basic, vmx_exit_reason_name(reason),
			(unsigned long long)vmcs_read(VMCS_GUEST_RIP));
		vcpu_fail(v, "unhandled VM exit");
		break;
	}
	if (!v->done)
		reinject_vectored_event();
}
