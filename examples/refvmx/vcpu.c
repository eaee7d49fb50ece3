/* SPDX-License-Identifier: MIT */
/*
 * VMX operation on this CPU and the guest's VMCS. The guest runs on
 * shadow page tables only (no EPT, no unrestricted guest), so its real
 * CR0 always has PG and PE set: paging off, 32-bit and PAE guests run on
 * legacy PAE paging over the library's PAE root, IA-32e guests on its
 * 4- or 5-level tables (smmu_entry.pae / la57). What the guest reads of
 * CR0 and CR4 comes from the read shadows, which hold its own view; every
 * write to them exits (all bits masked) and goes to the library.
 */
#include "vcpu.h"

#include <vmx_asm.h>
#include <vmx_fields.h>
#include <vmx_diag.h>
#include <vmx_exit.h>

#include "console.h"
#include "event.h"
#include "firmware.h"
#include "gdt.h"
#include "guest_cpu.h"
#include "host_ops.h"
#include "lapic.h"
#include "mem.h"
#include "msr.h"
#include "percpu.h"
#include "ports.h"
#include "vapic.h"

int vmx_run(struct guest_regs *regs, int launched);
extern char vmx_exit_point[];

bool vcpu_break_guest_tr;
uint64_t vcpu_stats_every;
struct vmx_controls vmx_ctl;
uint32_t vmx_host_caps;

static struct vmx_caps caps;
static void *vmxon_region;

#define CR4_OSXSAVE	(1ull << 18)
#define CPUID1_ECX_PCID (1u << 17)
#define RFLAGS_TF	(1ull << 8)
#define PENDING_DBG_BS	(1ull << 14)

static uint64_t caps_rdmsr(uint32_t msr, void *ctx)
{
	(void)ctx;
	return x86_rdmsr(msr);
}

uint64_t vmcs_read(uint32_t field)
{
	uint64_t v;
	if (vmx_vmread(field, &v) != VMX_OK)
		panic("VMREAD of field 0x%x failed", field);
	return v;
}

void vmcs_write(uint32_t field, uint64_t value)
{
	if (vmx_vmwrite(field, value) != VMX_OK)
		panic("VMWRITE of 0x%llx to field 0x%x failed (error %llu)",
		      (unsigned long long)value, field,
		      (unsigned long long)vmcs_read(VMCS_VM_INSTRUCTION_ERROR));
}

/*
 * What this host can do with smmu_entry (SMMU_HOST_*):
 * - SMMU_HOST_PCID: the guest's real CR4.PCIDE may be set (the CPU has
 *   PCIDs and VMX operation allows the bit), so each root the library
 *   caches runs under a hardware PCID of its own.
 * - SMMU_HOST_FLUSH_ADDR: INVVPID type 0 (one address of the VPID, every
 *   PCID, global translations too).
 * - Never SMMU_HOST_FLUSH_PCID nor SMMU_HOST_FLUSH_PCID_ADDR: the one
 *   instruction that flushes a single PCID, INVPCID, invalidates in VMX
 *   root operation only mappings tagged with the current VPID, which is
 *   0 there (SDM vol. 3C, 28.3.3.1), and every vCPU runs with a VPID of
 *   its own (1 + its number). Nor can the guest's context be borrowed:
 *   with VPIDs on, a VM entry that loads CR3 flushes nothing. So the
 *   library asks for SMMU_FLUSH_VCPU (INVVPID type 3, or type 1) and
 *   SMMU_FLUSH_ADDR instead, which cover those scopes.
 */
static uint32_t host_caps(void)
{
	uint32_t c = 0;
	if ((x86_cpuid(1, 0).ecx & CPUID1_ECX_PCID) &&
	    (caps.cr4_fixed1 & X86_CR4_PCIDE))
		c |= SMMU_HOST_PCID;
	if (vmx_caps_invvpid(&caps, VMX_INVVPID_INDIVIDUAL_ADDRESS))
		c |= SMMU_HOST_FLUSH_ADDR;
	return c;
}

void vmx_cpu_enable(void)
{
	struct x86_cpuid id = x86_cpuid(1, 0);
	if (!(id.ecx & (1u << 5)))
		panic("this CPU has no VMX (CPUID.1:ECX.VMX = 0)");
	uint64_t fc = x86_rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & IA32_FEATURE_CONTROL_LOCK))
		x86_wrmsr(MSR_IA32_FEATURE_CONTROL,
			  fc | IA32_FEATURE_CONTROL_LOCK |
				  IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	else if (!(fc & IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		panic("VMX is disabled by the firmware (IA32_FEATURE_CONTROL "
		      "locked without VMX outside SMX)");
	vmx_caps_read(&caps, caps_rdmsr, 0);
	/* The controls are the same on every CPU: the boot CPU, first
	 * here, decides them and what the guest's CPU shows. */
	if (this_cpu()->index == 0) {
		char err[160];
		if (!vmx_controls_for_shadow_paging(&caps, &vmx_ctl, err,
						    sizeof(err)))
			panic("%s", err);
		/* An IPI that makes a vCPU exit is taken with the host's
		 * interrupts off: the exit must acknowledge it. NMIs are
		 * injected with the CPU tracking their blocking; a guest
		 * IA32_TSC write moves an offset. */
		if (!vmx_ctl.ack_interrupt)
			panic("VMX: 'acknowledge interrupt on exit' cannot "
			      "be set");
		if (!vmx_ctl.virtual_nmis)
			panic("VMX: 'virtual NMIs' cannot be set");
		if (!vmx_ctl.tsc_offsetting)
			panic("VMX: 'use TSC offsetting' cannot be set");
		guest_cpu_init(caps.cr4_fixed1);
		vmx_host_caps = host_caps();
	}
	uint64_t cr4 = x86_read_cr4() | X86_CR4_VMXE;
	/* refvmx runs XSETBV for the guest (cr.c), which needs OSXSAVE;
	 * it never saves extended state itself. */
	if (guest_cpu.xcr0_supported)
		cr4 |= CR4_OSXSAVE;
	x86_write_cr0(vmx_caps_fix_cr0(&caps, x86_read_cr0()));
	x86_write_cr4(vmx_caps_fix_cr4(&caps, cr4));
	vmxon_region = page_alloc_host();
	*(uint32_t *)vmxon_region = vmx_caps_revision_id(&caps);
	if (vmx_vmxon((uint64_t)vmxon_region) != VMX_OK)
		panic("VMXON failed");
}

uint64_t gpr_get(struct vcpu *v, unsigned n)
{
	const uint64_t *r = &v->regs.rax;
	if (n == 4)
		return vmcs_read(VMCS_GUEST_RSP);
	return r[n < 4 ? n : n - 1];
}

void gpr_set(struct vcpu *v, unsigned n, uint64_t value)
{
	uint64_t *r = &v->regs.rax;
	if (n == 4)
		vmcs_write(VMCS_GUEST_RSP, value);
	else
		r[n < 4 ? n : n - 1] = value;
}

struct run_end run_end;

void vcpu_end_run(struct vcpu *v, bool passed, const char *why)
{
	if (v->done)
		return;
	v->done = true;
	v->passed = passed;
	v->why = why;
	/* The first vCPU to end the run decides it; the boot CPU prints
	 * the statistics and ends it, so it must hear of it now. */
	if (!__atomic_exchange_n(&run_end.over, true, __ATOMIC_ACQ_REL)) {
		run_end.vcpu = v->index;
		run_end.passed = passed;
		run_end.why = why;
		if (v->index != 0)
			lapic_send_ipi(cpus[0].apic_id, IPI_VECTOR);
	}
}

void vcpu_fail(struct vcpu *v, const char *why)
{
	vcpu_end_run(v, false, why);
}

void vcpu_skip_instruction(void)
{
	/* The instruction that exited is done: the interrupt shadow of an
	 * STI or MOV SS before it ends with it (`sti; hlt` must take the
	 * interrupt that wakes the HLT before the next instruction). */
	vcpu_advance_rip((unsigned)vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
}

void vcpu_advance_rip(unsigned len)
{
	vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + len);
	/* The instruction refvmx completed for the guest ends like one
	 * the CPU ran: with RFLAGS.TF set, a single-step #DB is due before
	 * the next one (SDM 17.3.1.4). The CPU delivers it at VM entry
	 * from the pending debug exceptions (BS, bit 14; SDM 27.7.3). */
	if (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF)
		vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS,
			   vmcs_read(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) |
				   PENDING_DBG_BS);
	uint64_t intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   intr & ~(uint64_t)(VMX_INTERRUPTIBILITY_STI |
					      VMX_INTERRUPTIBILITY_MOV_SS));
}

bool vcpu_long_mode(void)
{
	return vmcs_read(VMCS_GUEST_CS_AR) & VMX_AR_L;
}

unsigned vcpu_cpl(void)
{
	return (vmcs_read(VMCS_GUEST_SS_AR) >> 5) & 3;
}

/* A 4 KiB bitmap page with every bit set: every I/O port or MSR exits,
 * unless cleared. */
static void *bitmap_all_ones(void)
{
	uint64_t *p = page_alloc_host();
	for (unsigned i = 0; i < 512; i++)
		p[i] = ~0ull;
	return p;
}

static void setup_host_state(void)
{
	vmcs_write(VMCS_HOST_CR0, x86_read_cr0());
	vmcs_write(VMCS_HOST_CR3, x86_read_cr3());
	vmcs_write(VMCS_HOST_CR4, x86_read_cr4());
	vmcs_write(VMCS_HOST_CS_SELECTOR, HOST_CS);
	vmcs_write(VMCS_HOST_SS_SELECTOR, HOST_DS);
	vmcs_write(VMCS_HOST_DS_SELECTOR, HOST_DS);
	vmcs_write(VMCS_HOST_ES_SELECTOR, HOST_DS);
	vmcs_write(VMCS_HOST_FS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_GS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_TR_SELECTOR, HOST_TR);
	vmcs_write(VMCS_HOST_FS_BASE, 0);
	vmcs_write(VMCS_HOST_GS_BASE, (uint64_t)this_cpu());
	vmcs_write(VMCS_HOST_TR_BASE, tss_base());
	vmcs_write(VMCS_HOST_GDTR_BASE, gdt_base());
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
	vmcs_write(VMCS_HOST_IA32_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_IA32_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_IA32_EFER, x86_rdmsr(MSR_IA32_EFER));
	vmcs_write(VMCS_HOST_RIP, (uint64_t)vmx_exit_point);
}

/* 32-bit protected mode, paging off, flat segments: where a Multiboot
 * kernel starts (EAX holds the boot loader's magic, EBX its information
 * for Multiboot 1, SDM-wise an arbitrary value). */
static void setup_guest_state(struct vcpu *v, const struct vcpu_boot *boot)
{
	static const uint32_t data_sel[] = { VMCS_GUEST_ES_SELECTOR,
					     VMCS_GUEST_SS_SELECTOR,
					     VMCS_GUEST_DS_SELECTOR,
					     VMCS_GUEST_FS_SELECTOR,
					     VMCS_GUEST_GS_SELECTOR };
	for (unsigned i = 0; i < 5; i++) {
		uint32_t sel = data_sel[i];
		vmcs_write(sel, 0x10);
		vmcs_write(sel - VMCS_GUEST_ES_SELECTOR + VMCS_GUEST_ES_BASE,
			   0);
		vmcs_write(sel - VMCS_GUEST_ES_SELECTOR + VMCS_GUEST_ES_LIMIT,
			   0xffffffff);
		vmcs_write(sel - VMCS_GUEST_ES_SELECTOR + VMCS_GUEST_ES_AR,
			   0xc093); /* data RW accessed, P, DB, G */
	}
	vmcs_write(VMCS_GUEST_CS_SELECTOR, 0x08);
	vmcs_write(VMCS_GUEST_CS_BASE, 0);
	vmcs_write(VMCS_GUEST_CS_LIMIT, 0xffffffff);
	vmcs_write(VMCS_GUEST_CS_AR, 0xc09b); /* code RX accessed, P, DB, G */
	vmcs_write(VMCS_GUEST_TR_SELECTOR, 0);
	vmcs_write(VMCS_GUEST_TR_BASE, 0);
	vmcs_write(VMCS_GUEST_TR_LIMIT, 0x67);
	vmcs_write(VMCS_GUEST_TR_AR, 0x8b); /* busy 32-bit TSS, P */
	vmcs_write(VMCS_GUEST_LDTR_SELECTOR, 0);
	vmcs_write(VMCS_GUEST_LDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_LDTR_LIMIT, 0);
	vmcs_write(VMCS_GUEST_LDTR_AR, VMX_AR_UNUSABLE);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0);
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RIP, boot->entry);
	vmcs_write(VMCS_GUEST_RFLAGS, 0x2);
	vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, 0);
	vmcs_write(VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);
	v->regs.rax = boot->eax;
	v->regs.rbx = boot->ebx;

	struct smmu_paging_regs r = { .cr0 = X86_CR0_PE | (1u << 4) /* ET */ };
	if (boot->long_mode) {
		/* 64-bit code and flat data from the firmware's GDT, on
		 * its identity page tables (firmware.c). */
		for (unsigned i = 0; i < 5; i++)
			vmcs_write(data_sel[i], FW_AP_DATA_SEL);
		vmcs_write(VMCS_GUEST_CS_SELECTOR, FW_AP_CODE_SEL);
		vmcs_write(VMCS_GUEST_CS_AR, 0xa09b); /* L, not DB */
		vmcs_write(VMCS_GUEST_GDTR_BASE, FW_AP_GDT);
		vmcs_write(VMCS_GUEST_GDTR_LIMIT, 3 * 8 - 1);
		r.cr0 |= X86_CR0_PG | X86_CR0_NE;
		r.cr4 = X86_CR4_PAE;
		r.efer = X86_EFER_LME | X86_EFER_LMA;
		r.cr3 = FW_AP_PML4;
	}
	if (smmu_vcpu_set_paging(v->mmu, &r) != SMMU_OK)
		panic("smmu_vcpu_set_paging refused the start state");
}

static void setup_controls(struct vcpu *v)
{
	vmcs_write(VMCS_PIN_BASED_CONTROLS, vmx_ctl.pin);
	v->pin = vmx_ctl.pin;
	vmcs_write(VMCS_PROC_BASED_CONTROLS, vmx_ctl.proc);
	vmcs_write(VMCS_PROC_BASED_CONTROLS2, vmx_ctl.proc2);
	vmcs_write(VMCS_EXIT_CONTROLS, vmx_ctl.exit);
	vmcs_write(VMCS_ENTRY_CONTROLS, vmx_ctl.entry);
	vmcs_write(VMCS_VPID, v->vpid);
	vmcs_write(VMCS_EXCEPTION_BITMAP, 1u << 14); /* #PF */
	vmcs_write(VMCS_PF_ERROR_CODE_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_CODE_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	/* Every CR0/CR4 bit is the host's: reads see the guest's view,
	 * writes that change it exit. */
	vmcs_write(VMCS_CR0_GUEST_HOST_MASK, ~0ull);
	vmcs_write(VMCS_CR4_GUEST_HOST_MASK, ~0ull);
	/* Every port exits but COM1's, which the guest drives itself; a
	 * PVH guest has the virtual platform (ports.h) instead: COM1
	 * exits, the PIT and CMOS do not. */
	uint8_t *io_a = bitmap_all_ones();
	static const uint16_t own[][2] = { { 0x3f8, 0x400 } };
	static const uint16_t platform[][2] = { { 0x40, 0x44 },
						{ 0x61, 0x62 },
						{ 0x70, 0x72 } };
	const uint16_t(*pass)[2] = ports_platform ? platform : own;
	unsigned n = ports_platform ? 3 : 1;
	for (unsigned r = 0; r < n; r++)
		for (unsigned port = pass[r][0]; port < pass[r][1]; port++)
			io_a[port / 8] &= (uint8_t) ~(1u << (port % 8));
	vmcs_write(VMCS_IO_BITMAP_A, (uint64_t)io_a);
	vmcs_write(VMCS_IO_BITMAP_B, (uint64_t)bitmap_all_ones());
	/* Every MSR access exits. */
	vmcs_write(VMCS_MSR_BITMAP, (uint64_t)bitmap_all_ones());
}

static void vcpu_init(struct vcpu *v, const struct vcpu_boot *boot)
{
	v->vpid = (uint16_t)(1 + v->index);
	void *vmcs = page_alloc_host();
	*(uint32_t *)vmcs = vmx_caps_revision_id(&caps);
	if (vmx_vmclear((uint64_t)vmcs) != VMX_OK ||
	    vmx_vmptrld((uint64_t)vmcs) != VMX_OK)
		panic("VMCLEAR/VMPTRLD failed");
	setup_controls(v);
	setup_host_state();
	setup_guest_state(v, boot);
	msr_reset(v);
	vapic_reset(v);
	if (vcpu_break_guest_tr && v->index == 0)
		vmcs_write(VMCS_GUEST_TR_AR, 0x89); /* available, not busy */
}

/* The real control registers and EFER for the guest's paging view and
 * the shadow root the library gave, and the read shadows. */
static void load_paging_state(struct vcpu *v, const struct smmu_entry *e)
{
	struct smmu_paging_regs r;
	smmu_vcpu_get_paging(v->mmu, &r);
	/* Clean shadow leaves are read-only so that the guest's first
	 * write sets D: the hardware runs with WP=1, the library emulates
	 * what the guest's WP=0 allows. */
	uint64_t cr0 = (r.cr0 & ~(X86_CR0_CD | X86_CR0_NW)) | X86_CR0_PG |
		       X86_CR0_PE | X86_CR0_WP | X86_CR0_NE;
	/* PCIDE and PGE as the library says: cr3's bits 11:0 are then the
	 * root's hardware PCID, and shadow leaves carry the guest's G. */
	uint64_t cr4 = (r.cr4 & guest_cpu.cr4_passthrough) | X86_CR4_PAE |
		       X86_CR4_VMXE | (e->la57 ? X86_CR4_LA57 : 0) |
		       (e->pcide ? X86_CR4_PCIDE : 0) |
		       (e->pge ? X86_CR4_PGE : 0);
	uint64_t efer = (r.efer & ~(X86_EFER_LME | X86_EFER_LMA)) |
			X86_EFER_NXE |
			(e->pae ? 0 : X86_EFER_LME | X86_EFER_LMA);
	vmcs_write(VMCS_GUEST_CR0, vmx_caps_fix_cr0(&caps, cr0));
	vmcs_write(VMCS_GUEST_CR4, vmx_caps_fix_cr4(&caps, cr4));
	vmcs_write(VMCS_GUEST_CR3, e->cr3);
	vmcs_write(VMCS_GUEST_IA32_EFER, efer);
	vmcs_write(VMCS_CR0_READ_SHADOW, r.cr0);
	vmcs_write(VMCS_CR4_READ_SHADOW, r.cr4);
	vmcs_write(VMCS_ENTRY_CONTROLS,
		   vmx_entry_controls_for_guest(vmx_ctl.entry, efer));
}

/*
 * The VMX-preemption timer makes the guest exit when refvmx needs it to,
 * for two reasons:
 * - the guest's APIC timer is due (apic_timer.c);
 * - the guest runs with RFLAGS.IF=0 and must still exit for the IPIs of
 *   remote flushes: with external-interrupt exiting, "the value of
 *   RFLAGS.IF does not affect interrupt blocking" (SDM vol. 3C, the
 *   pin-based VM-execution controls). Bochs does not do that for a guest
 *   entered with IF=0: it decides whether interrupts are masked when VM
 *   entry loads RFLAGS, before it counts the CPU as in VMX non-root
 *   operation, and decides again only when IF changes
 *   (handleInterruptMaskChange, called from setEFlags and at VM exit;
 *   vmx.cc sets in_vmx_guest after loading the guest state). Such a
 *   guest, spinning with interrupts off for a vCPU whose CPU waits with
 *   the MMU lock held for this one's flush, would not exit until it did
 *   for some other reason (the guest's own time-out). So an entry with
 *   IF=0 exits within IF0_EXIT_TSC TSC cycles at the latest and serves
 *   what it was sent (cpu_serve_requests before the next entry). On
 *   hardware it only costs an exit per period while a guest keeps
 *   interrupts off.
 * The timer counts down once every 2^rate TSC cycles (IA32_VMX_MISC[4:0]).
 */
#define RFLAGS_IF    (1ull << 9)
#define IF0_EXIT_TSC (1ull << 18)

static void arm_preemption_timer(struct vcpu *v)
{
	uint32_t pin = vmx_ctl.pin;
	uint64_t due = apic_timer_due_in(v);
	if (!(vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
	    (!due || due > IF0_EXIT_TSC))
		due = IF0_EXIT_TSC;
	if (due && vmx_control_allowed1(caps.ctls[VMX_CONTROLS_PIN],
					VMX_PIN_PREEMPTION_TIMER)) {
		uint64_t ticks = (due >> (caps.misc & 0x1f)) + 1;
		pin |= VMX_PIN_PREEMPTION_TIMER;
		vmcs_write(VMCS_PREEMPTION_TIMER_VALUE,
			   ticks > 0xffffffffu ? 0xffffffffu : ticks);
	}
	if (pin != v->pin)
		vmcs_write(VMCS_PIN_BASED_CONTROLS, pin);
	v->pin = pin;
}

static uint64_t diag_vmread(uint32_t field, void *ctx)
{
	(void)ctx;
	uint64_t v = 0;
	(void)vmx_vmread(field, &v);
	return v;
}

static void diag_report(const char *line, void *ctx)
{
	(void)ctx;
	kprintf("refvmx: vmcs: %s\n", line);
}

/* A VM entry that failed, by VMfailValid (entry_exit false) or by an
 * exit with bit 31 set: print the decoded failing checks. */
void vcpu_diagnose_entry(struct vcpu *v, bool entry_exit)
{
	struct x86_cpuid a = x86_cpuid(0x80000008u, 0);
	struct vmx_diag_env env = { .caps = &caps,
				    .maxphyaddr = a.eax & 0xff,
				    .linear_bits = (a.eax >> 8) & 0xff,
				    .host_ia32e = true,
				    .vmread = diag_vmread,
				    .report = diag_report };
	unsigned n = entry_exit ? vmx_diag_entry_failure(&env)
				: vmx_diag_vmfail(&env);
	kprintf("refvmx: %u failing VMCS check(s) found\n", n);
	vcpu_fail(v, "VM entry failed");
}

/* Whether INVVPID can flush one address: its linear address must be
 * canonical for the CPU (else VMfail), which a guest outside IA-32e
 * mode always gives. */
static bool invvpid_address_ok(uint64_t la)
{
	return (vmx_host_caps & SMMU_HOST_FLUSH_ADDR) &&
	       guest_cpu_canonical(la);
}

/* The local flushes the entry asks for, in its order, each at least as
 * wide as asked (SMMU_FLUSH_* in shadowmmu.h). */
static void entry_flushes(struct vcpu *v, const struct smmu_entry *e)
{
	bool retain_globals = vmx_caps_invvpid(
		&caps, VMX_INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS);
	for (unsigned i = 0; i < e->nr_flushes; i++) {
		const struct smmu_flush *f = &e->flush[i];
		enum vmx_status st;
		if (f->scope <= SMMU_FLUSH_VCPU_ALL)
			v->flush_kind[f->scope]++;
		switch (f->scope) {
		case SMMU_FLUSH_ADDR:
		/* Not claimed (host_caps): one address of every PCID. */
		case SMMU_FLUSH_PCID_ADDR:
			st = invvpid_address_ok(f->la)
				     ? vmx_invvpid_address(v->vpid, f->la)
				     : vmx_invvpid_single(v->vpid);
			break;
		/* Not claimed: every PCID, global translations kept. */
		case SMMU_FLUSH_PCID:
		case SMMU_FLUSH_VCPU:
			st = retain_globals
				     ? vmx_invvpid_single_nonglobal(v->vpid)
				     : vmx_invvpid_single(v->vpid);
			break;
		case SMMU_FLUSH_VCPU_ALL:
		default:
			st = vmx_invvpid_single(v->vpid);
			break;
		}
		if (st != VMX_OK)
			panic("INVVPID for flush scope %u failed", f->scope);
	}
}

/* Every vcpu_stats_every TSC cycles: the exits by reason since the
 * last such line, and where the guest is (refvmx's "stats-every=MS"). */
static void progress(struct vcpu *v)
{
	static uint64_t last[MAX_CPUS][NR_EXIT_REASONS];
	static uint64_t next[MAX_CPUS];
	uint64_t now;
	__asm__ volatile("rdtsc; shl $32, %%rdx; or %%rdx, %%rax"
			 : "=a"(now)
			 :
			 : "rdx");
	if (now < next[v->index])
		return;
	next[v->index] = now + vcpu_stats_every;
	char line[512];
	unsigned n = 0;
	for (unsigned r = 0; r < NR_EXIT_REASONS && n < sizeof(line) - 40;
	     r++) {
		uint64_t d = v->exits[r] - last[v->index][r];
		last[v->index][r] = v->exits[r];
		if (!d)
			continue;
		const char *name = vmx_exit_reason_name(r);
		line[n++] = ' ';
		while (*name && n < sizeof(line) - 30)
			line[n++] = *name++;
		line[n++] = '=';
		char digits[24];
		unsigned k = 0;
		do {
			digits[k++] = (char)('0' + d % 10);
			d /= 10;
		} while (d);
		while (k)
			line[n++] = digits[--k];
	}
	line[n] = 0;
	kprintf("refvmx: vCPU %u at rip 0x%llx, exits since the last line:%s\n",
		v->index, (unsigned long long)vmcs_read(VMCS_GUEST_RIP), line);
}

/*
 * The vCPU runs on this CPU only (smmu_vcpu_load once; smmu_vcpu_put
 * while it waits in HLT, vapic.c, and when it ends). Each entry opens
 * the CPU's guest window before smmu_vcpu_enter and each exit closes it
 * (percpu.h): kicks and deferred frees wait for that. Nothing between
 * smmu_vcpu_enter and the VM entry takes the MMU lock.
 */
static void vcpu_run(struct vcpu *v)
{
	struct cpu *c = this_cpu();
	smmu_vcpu_load(v->mmu, c->index);
	while (!v->done && !__atomic_load_n(&run_end.over, __ATOMIC_ACQUIRE)) {
		cpu_serve_requests();
		host_ops_run_deferred();
		guest_window_open(c);
		struct smmu_entry e;
		enum smmu_status st = smmu_vcpu_enter(v->mmu, &e);
		if (st != SMMU_OK) {
			guest_window_close(c);
			smmu_vcpu_exit(v->mmu);
			vcpu_fail(v, "smmu_vcpu_enter failed");
			break;
		}
		if (e.nr_flushes) {
			v->local_flushes++;
			entry_flushes(v, &e);
		}
		apic_timer_check(v);
		event_before_entry(v);
		arm_preemption_timer(v);
		load_paging_state(v, &e);
		int failed = vmx_run(&v->regs, v->launched);
		guest_window_close(c);
		smmu_vcpu_exit(v->mmu);
		if (failed) {
			vcpu_diagnose_entry(v, false);
			break;
		}
		v->launched = true;
		uint32_t reason = (uint32_t)vmcs_read(VMCS_EXIT_REASON);
		vcpu_handle_exit(v, reason);
		if (vcpu_stats_every)
			progress(v);
	}
	smmu_vcpu_put(v->mmu);
}

void vcpu_start(struct vcpu *v, const struct vcpu_boot *boot)
{
	vcpu_init(v, boot);
	vcpu_run(v);
}
