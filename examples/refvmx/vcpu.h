/* SPDX-License-Identifier: MIT */
/*
 * One vCPU of the guest on this CPU: its VMCS, its registers while the
 * host runs, its libshadowmmu vCPU, the guest state the VMCS does not
 * hold (MSRs, local APIC, events) and its exit counters.
 */
#ifndef REFVMX_VCPU_H
#define REFVMX_VCPU_H

#include <shadowmmu/shadowmmu.h>
#include <stdbool.h>
#include <stdint.h>
#include <vmx_controls.h>

#include "event.h"
#include "msr.h"
#include "vapic.h"

/* The guest registers the VMCS does not hold (vmentry.S offsets). */
struct guest_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t cr2;
};

#define NR_EXIT_REASONS 70

/* Where and how a vCPU starts: 32-bit protected mode, paging off, flat
 * segments, interrupts off, at entry with these EAX and EBX; or, with
 * long_mode (an AP woken through the firmware's mailbox, firmware.h),
 * in 64-bit mode on the firmware's identity page tables and GDT. */
struct vcpu_boot {
	uint64_t entry;
	uint32_t eax, ebx;
	bool long_mode;
};

struct vcpu {
	struct guest_regs regs;
	struct smmu_vm *vm;
	struct smmu_vcpu *mmu;
	unsigned index; /* vCPU number = host CPU index */
	uint16_t vpid;
	bool launched;
	uint32_t pin; /* pin-based controls now in the VMCS */
	/* The end of the run, once the guest wrote the test-exit port or
	 * something failed. */
	bool done;
	bool passed;
	const char *why; /* failure reason */
	struct vcpu_msrs msr;
	struct vapic apic;
	struct vcpu_events ev;
	/* Characters of "Shutdown" written to port 0x8900 so far. */
	unsigned shutdown_chars;
	/* Retries of one instruction after smmu_vm_unprotect_gfn: a bound,
	 * so a frame shadowed again at once cannot loop for ever. */
	uint64_t unprotect_rip;
	unsigned unprotect_retries;
	uint64_t exits[NR_EXIT_REASONS];
	uint64_t pf_fixed, pf_injected, pf_emulated, emulated_stores;
	uint64_t mmio_accesses, unprotects;
	uint64_t cr_writes, invlpgs, invpcids, local_flushes, interrupts, nmis;
	/* Flushes done at entry, by enum smmu_flush_scope. */
	uint64_t flush_kind[SMMU_FLUSH_VCPU_ALL + 1];
};

/* The VM-execution controls every vCPU runs with (the CPUs are alike);
 * set by vmx_cpu_enable() on the boot CPU. */
extern struct vmx_controls vmx_ctl;
/* SMMU_HOST_* for smmu_vm_config.host_caps (vcpu.c says which and
 * why); set with vmx_ctl. */
extern uint32_t vmx_host_caps;

/* Testing the harness: enter vCPU 0 with an invalid guest TR (kernel
 * command line "break-guest-tr"), so that VM entry fails and the
 * diagnosis must name it. */
extern bool vcpu_break_guest_tr;
/* TSC cycles between progress lines (exits by reason, the guest's RIP)
 * of each vCPU; 0: none (refvmx's command line "stats-every=MS"). */
extern uint64_t vcpu_stats_every;

/* Enable VMX on this CPU (feature control, fixed bits, VMXON). */
void vmx_cpu_enable(void);
/* Start this CPU's vCPU (v->vm and v->mmu set, v->index its CPU's) as
 * `boot` says, and run it until the guest ends the test or it fails. */
void vcpu_start(struct vcpu *v, const struct vcpu_boot *boot);

/* exits.c: one VM exit, reason `reason`. */
void vcpu_handle_exit(struct vcpu *v, uint32_t reason);

/* VMCS access that cannot fail silently. */
uint64_t vmcs_read(uint32_t field);
void vmcs_write(uint32_t field, uint64_t value);

/* A general-purpose register by its x86 number (RSP is in the VMCS). */
uint64_t gpr_get(struct vcpu *v, unsigned n);
void gpr_set(struct vcpu *v, unsigned n, uint64_t value);

/* Print the decoded failing VMCS checks of a failed VM entry (an exit
 * with bit 31 set when entry_exit) and end the run. */
void vcpu_diagnose_entry(struct vcpu *v, bool entry_exit);

/* Print the statistics: exits by reason, faults, flushes by scope,
 * IPIs, shadow pages (kmain.c; at the end of the run, and when a PVH
 * guest writes port 0xF5). */
void refvmx_print_stats(struct smmu_vm *vm);

/* How the run ended: set once, by the first vCPU that ends it. */
struct run_end {
	volatile bool over;
	unsigned vcpu;
	bool passed;
	const char *why;
	uint32_t status; /* what the guest wrote to the test-exit port */
};
extern struct run_end run_end;

/* End the whole run (every vCPU stops at its next exit). */
void vcpu_end_run(struct vcpu *v, bool passed, const char *why);
void vcpu_fail(struct vcpu *v, const char *why);

/* The guest's next instruction: skip the one that exited. */
void vcpu_skip_instruction(void);
/* Step over an instruction refvmx performed itself, len bytes long. */
void vcpu_advance_rip(unsigned len);
/* Whether the guest runs 64-bit code (CS.L with EFER.LMA). */
bool vcpu_long_mode(void);
/* The guest's current privilege level (SS.DPL). */
unsigned vcpu_cpl(void);

#endif
