/* SPDX-License-Identifier: MIT */
/*
 * VM exits: each one goes to the part of refvmx that owns it. Page
 * faults go to libshadowmmu, and its answer is acted on: re-enter,
 * inject #PF, emulate the store to a write-protected guest table, or
 * emulate an access to the local APIC's page. INVPCID goes to the
 * library with its descriptor. Instructions the guest's CPU does not
 * have (VMX, SMX, MONITOR/MWAIT; INVPCID when hidden) raise #UD, RDPMC
 * without a PMU #GP.
 */
#include <vmx_asm.h>
#include <vmx_exit.h>
#include <vmx_fields.h>

#include "console.h"
#include "cpu.h"
#include "cr.h"
#include "emulate.h"
#include "event.h"
#include "guest_cpu.h"
#include "host_ops.h"
#include "idle.h"
#include "insn.h"
#include "lapic.h"
#include "mmio.h"
#include "msr.h"
#include "percpu.h"
#include "ports.h"
#include "vapic.h"
#include "vcpu.h"

#define PF_VECTOR 14

static void page_fault(struct vcpu *v)
{
	uint64_t la = vmcs_read(VMCS_EXIT_QUALIFICATION);
	uint32_t hw_error = (uint32_t)vmcs_read(VMCS_EXIT_INTR_ERROR_CODE);
	/* The error code goes in whole: its P, RSVD and PK bits describe
	 * the shadow entry, and the library ignores them. */
	struct smmu_access acc = { .la = la, .flags = hw_error };
	if (vmcs_read(VMCS_GUEST_RFLAGS) & X86_EFLAGS_AC)
		acc.flags |= SMMU_ACCESS_AC;
	struct smmu_fault f;
	smmu_vcpu_page_fault(v->mmu, &acc, &f);
	switch (f.action) {
	case SMMU_FAULT_FIXED:
		v->pf_fixed++;
		break;
	case SMMU_FAULT_INJECT:
		v->pf_injected++;
		event_page_fault(v, la, f.pf_error);
		break;
	case SMMU_FAULT_EMULATE: {
		v->pf_emulated++;
		uint64_t hpa;
		bool write = hw_error & SMMU_ACCESS_WRITE;
		if (refvmx_host_ops.gfn_to_hpa(0, f.gpa >> 12, &hpa) !=
		    SMMU_GPA_OK)
			mmio_access(v, la, f.gpa, write);
		else if (v->ev.vectoring)
			/* The CPU's own store while it delivers an event (a
			 * push onto the stack, say): no instruction to
			 * decode. */
			emulate_unprotect_retry(v, f.gpa, "event delivery");
		else
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

static void cpuid(struct vcpu *v)
{
	uint32_t out[4];
	guest_cpu_cpuid(v, (uint32_t)v->regs.rax, (uint32_t)v->regs.rcx, out);
	v->regs.rax = out[0];
	v->regs.rbx = out[1];
	v->regs.rcx = out[2];
	v->regs.rdx = out[3];
	vcpu_skip_instruction();
}

static void msr_access(struct vcpu *v, bool write)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t value = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	bool ok = write ? msr_write(v, msr, value) : msr_read(v, msr, &value);
	if (!ok) {
		event_gp(v);
		return;
	}
	if (!write) {
		v->regs.rax = (uint32_t)value;
		v->regs.rdx = value >> 32;
	}
	vcpu_skip_instruction();
}

#define SS_VECTOR 12
#define GP_VECTOR 13

/* The linear address of INVPCID's 16-byte descriptor at `offset` in its
 * segment, with the checks the CPU makes first (SDM vol. 2B, INVPCID,
 * exceptions): in 64-bit mode a canonical address (FS and GS add their
 * base); elsewhere a usable, readable segment whose limit holds all 16
 * bytes. false when a fault was injected instead: #SS(0) for SS, #GP(0)
 * for the others. */
static bool invpcid_descriptor_la(struct vcpu *v,
				  const struct vmx_invpcid_info *info,
				  uint64_t offset, uint64_t *la)
{
	unsigned seg = info->segment;
	unsigned vector = seg == VMX_SEG_SS ? SS_VECTOR : GP_VECTOR;
	uint64_t base = vmcs_read(VMCS_GUEST_ES_BASE + 2 * seg);
	if (vcpu_long_mode()) {
		*la = (seg == VMX_SEG_FS || seg == VMX_SEG_GS ? base : 0) +
		      offset;
		if (guest_cpu_canonical(*la))
			return true;
		event_exception(v, vector, true, 0);
		return false;
	}
	uint32_t ar = (uint32_t)vmcs_read(VMCS_GUEST_ES_AR + 2 * seg);
	uint64_t limit = vmcs_read(VMCS_GUEST_ES_LIMIT + 2 * seg);
	uint64_t last = offset + 15;
	bool ok = !(ar & VMX_AR_UNUSABLE);
	if ((ar & VMX_AR_TYPE_CODE) && !(ar & VMX_AR_TYPE_RW))
		ok = false; /* execute-only code */
	else if (!(ar & VMX_AR_TYPE_CODE) && (ar & VMX_AR_TYPE_CONFORMING))
		/* expand-down data: above the limit, up to 64 KiB or 4 GiB */
		ok &= offset > limit &&
		      last <= ((ar & VMX_AR_DB) ? 0xffffffffull : 0xffffull);
	else
		ok &= last <= limit;
	if (!ok) {
		event_exception(v, vector, true, 0);
		return false;
	}
	*la = (base + offset) & 0xffffffffu;
	return true;
}

/* INVPCID (exit reason 58, "enable INVPCID" with INVLPG exiting): the
 * type from its register, the descriptor read from guest memory through
 * the guest's translation (a #PF there is the guest's, as on the CPU),
 * then the library's invalidation and its verdict. */
static void invpcid(struct vcpu *v)
{
	/* Without "enable INVPCID" the CPU raises #UD itself; with it,
	 * a guest whose CPUID lacks INVPCID must get the same. */
	if (!(guest_cpu.smmu_features & SMMU_CPU_INVPCID)) {
		event_ud(v);
		return;
	}
	/* CPL > 0 is #GP(0) before the exit (SDM 26.1.1); kept for a CPU
	 * that exits first. */
	if (vcpu_cpl()) {
		event_gp(v);
		return;
	}
	struct vmx_invpcid_info info = vmx_decode_invpcid_info(
		(uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_INFO));
	uint64_t gpr[16];
	for (unsigned i = 0; i < 16; i++)
		gpr[i] = gpr_get(v, i);
	/* The type register is 64 bits wide in 64-bit mode, 32 bits
	 * elsewhere; any value above 3 is #GP. */
	uint64_t type = gpr[info.type_gpr];
	if (!vcpu_long_mode())
		type = (uint32_t)type;
	uint64_t offset = vmx_invpcid_operand_offset(
		&info, gpr, vmcs_read(VMCS_EXIT_QUALIFICATION));
	uint64_t la;
	if (!invpcid_descriptor_la(v, &info, offset, &la))
		return;
	uint64_t desc[2], fault_la = 0;
	struct smmu_translation t;
	uint32_t flags = (vmcs_read(VMCS_GUEST_RFLAGS) & X86_EFLAGS_AC)
				 ? SMMU_ACCESS_AC
				 : 0;
	switch (insn_read_linear(v, la, desc, sizeof(desc), flags, &fault_la,
				 &t)) {
	case SMMU_XLATE_OK:
		break;
	case SMMU_XLATE_PAGE_FAULT:
		event_page_fault(v, fault_la, t.pf_error);
		return;
	case SMMU_XLATE_NONCANONICAL:
		event_exception(
			v, info.segment == VMX_SEG_SS ? SS_VECTOR : GP_VECTOR,
			true, 0);
		return;
	case SMMU_XLATE_RETRY:
		return; /* the guest moved its tables: the instruction again */
	default:
		kprintf("refvmx: INVPCID descriptor at 0x%llx is not in guest "
			"RAM\n",
			(unsigned long long)la);
		vcpu_fail(v, "INVPCID descriptor outside guest RAM");
		return;
	}
	v->invpcids++;
	switch (smmu_vcpu_invpcid(v->mmu, type > 3 ? 4 : (unsigned)type,
				  desc[0], desc[1])) {
	case SMMU_CR_DONE:
		vcpu_skip_instruction();
		break;
	case SMMU_CR_INJECT_GP:
		event_gp(v);
		break;
	case SMMU_CR_INJECT_UD:
		event_ud(v);
		break;
	default:
		vcpu_fail(v, "smmu_vcpu_invpcid refused its arguments");
		break;
	}
}

/* HLT with interrupts off: wait for an NMI (or the end of the run),
 * out of the guest, serving the other CPUs' requests. */
static void halt_for_good(struct vcpu *v)
{
	smmu_vcpu_put(v->mmu);
	while (!__atomic_load_n(&v->ev.nmi_pending, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&run_end.over, __ATOMIC_ACQUIRE)) {
		cpu_serve_requests();
		idle_wait(0, false); /* an NMI comes with an IPI */
	}
	smmu_vcpu_load(v->mmu, v->index);
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
	event_exit_begin(v);
	switch (basic) {
	case VMX_REASON_EXCEPTION_NMI: {
		uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);
		if ((info & VMX_INTR_INFO_VECTOR_MASK) == PF_VECTOR &&
		    ((info & VMX_INTR_INFO_TYPE_MASK) >>
		     VMX_INTR_INFO_TYPE_SHIFT) == VMX_INTR_HW_EXCEPTION)
			page_fault(v);
		else
			vcpu_fail(v, "unexpected exception or NMI exit");
		break;
	}
	case VMX_REASON_CR_ACCESS:
		cr_access(v);
		break;
	case VMX_REASON_XSETBV:
		cr_xsetbv(v);
		break;
	case VMX_REASON_INVLPG:
		v->invlpgs++;
		smmu_vcpu_invlpg(v->mmu, vmx_decode_invlpg(vmcs_read(
						 VMCS_EXIT_QUALIFICATION)));
		vcpu_skip_instruction();
		break;
	case VMX_REASON_INVPCID:
		invpcid(v);
		break;
	case VMX_REASON_CPUID:
		cpuid(v);
		break;
	case VMX_REASON_RDMSR:
	case VMX_REASON_WRMSR:
		msr_access(v, basic == VMX_REASON_WRMSR);
		break;
	case VMX_REASON_IO_INSTRUCTION:
		ports_io(v);
		break;
	case VMX_REASON_HLT:
		if (vapic_halt(v))
			vcpu_skip_instruction();
		else if (ports_platform)
			/* A PVH guest's CPU stopped for good (Linux stops
			 * the others before it powers off): it stays
			 * halted; only an NMI wakes it. */
			halt_for_good(v);
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
	case VMX_REASON_NMI_WINDOW:
		event_window_open(v);
		break;
	case VMX_REASON_RDPMC:
		event_gp(v); /* no performance counters (CPUID leaf 0xA) */
		break;
	case VMX_REASON_MWAIT:
	case VMX_REASON_MONITOR:
	case VMX_REASON_GETSEC:
	case VMX_REASON_VMCALL ... VMX_REASON_VMXON:
	case VMX_REASON_INVEPT:
	case VMX_REASON_INVVPID:
	case VMX_REASON_VMFUNC:
		event_ud(v); /* not in the guest's CPUID */
		break;
	case VMX_REASON_INVD:
	case VMX_REASON_WBINVD:
		/* Guest RAM is ordinary write-back memory: nothing to do
		 * (and INVD must not drop refvmx's own dirty lines). */
		vcpu_skip_instruction();
		break;
	case VMX_REASON_PREEMPTION_TIMER:
		/* The APIC timer is due, or the guest ran with IF=0 (vcpu.c,
		 * arm_preemption_timer): the next entry delivers the one and
		 * serves what other CPUs asked. */
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
		event_exit_end(v);
}
