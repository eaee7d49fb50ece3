/* SPDX-License-Identifier: MIT */
#include "vapic.h"

#include <vmx_fields.h>

#include "console.h"
#include "cpu.h"
#include "lapic.h"
#include "percpu.h"

#define MSR_APIC_BASE	0x1bu
#define X2APIC_ID	0x802u
#define X2APIC_VERSION	0x803u
#define X2APIC_EOI	0x80bu
#define X2APIC_LDR	0x80du
#define X2APIC_SVR	0x80fu
#define X2APIC_ICR	0x830u
#define X2APIC_SELF_IPI 0x83fu
#define RFLAGS_IF	(1u << 9)

#define DELIVERY_FIXED	 0u
#define DELIVERY_INIT	 5u
#define DELIVERY_STARTUP 6u

/* Pending vectors, per vCPU; any CPU may post. */
static volatile uint64_t irr[MAX_CPUS][4];
static volatile uint64_t svr[MAX_CPUS]; /* reset: software-disabled */

static void post(unsigned target, uint8_t vector)
{
	/* A software-disabled APIC accepts no fixed interrupts. */
	if (!(svr[target] & 0x100))
		return;
	__atomic_fetch_or(&irr[target][vector / 64], 1ull << (vector % 64),
			  __ATOMIC_ACQ_REL);
	if (target != this_cpu()->index)
		lapic_send_ipi(cpus[target].apic_id, IPI_VECTOR);
}

static int highest_pending(unsigned vcpu)
{
	for (int w = 3; w >= 0; w--) {
		uint64_t bits =
			__atomic_load_n(&irr[vcpu][w], __ATOMIC_ACQUIRE);
		if (bits)
			return w * 64 + 63 - __builtin_clzll(bits);
	}
	return -1;
}

static void start_vcpu(struct vcpu *v, unsigned target, uint8_t vector)
{
	if (target >= nr_cpus || target == 0 || cpus[target].guest_started) {
		kprintf("refvmx: vCPU %u: STARTUP IPI to vCPU %u ignored\n",
			v->index, target);
		return;
	}
	cpus[target].guest_entry = (uint64_t)vector << 12;
	__atomic_store_n(&cpus[target].guest_started, true, __ATOMIC_RELEASE);
}

static void icr_write(struct vcpu *v, uint64_t icr)
{
	uint8_t vector = (uint8_t)icr;
	unsigned mode = (icr >> 8) & 7, shorthand = (icr >> 18) & 3;
	uint32_t dest = (uint32_t)(icr >> 32);
	for (unsigned t = 0; t < nr_cpus; t++) {
		bool hit = shorthand == 0   ? t == dest
			   : shorthand == 1 ? t == v->index
			   : shorthand == 2 ? true
					    : t != v->index;
		if (!hit)
			continue;
		if (mode == DELIVERY_FIXED)
			post(t, vector);
		else if (mode == DELIVERY_STARTUP)
			start_vcpu(v, t, vector);
		/* INIT: nothing to reset before the STARTUP. */
	}
}

bool vapic_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *value)
{
	if (msr == MSR_APIC_BASE) {
		if (!write)
			*value = 0xfee00000ull | (1u << 11) | (1u << 10) |
				 (v->index == 0 ? 1u << 8 : 0);
		return true; /* writes: x2APIC mode stays on */
	}
	if (msr < 0x800 || msr > 0x8ff)
		return false;
	if (write) {
		if (msr == X2APIC_ICR)
			icr_write(v, *value);
		else if (msr == X2APIC_SELF_IPI)
			post(v->index, (uint8_t)*value);
		else if (msr == X2APIC_SVR)
			svr[v->index] = *value;
		/* EOI and the rest: no priorities are modelled. */
		return true;
	}
	switch (msr) {
	case X2APIC_ID:
		*value = v->index;
		break;
	case X2APIC_VERSION:
		*value = 0x14 | (6u << 16); /* integrated APIC, 7 LVTs */
		break;
	case X2APIC_LDR:
		*value = (v->index >> 4) << 16 | 1u << (v->index & 15);
		break;
	case X2APIC_SVR:
		*value = svr[v->index];
		break;
	default:
		*value = 0;
		break;
	}
	return true;
}

void vapic_before_entry(struct vcpu *v)
{
	int vec = highest_pending(v->index);
	if (vec < 0 || (vmcs_read(VMCS_ENTRY_INTR_INFO) & VMX_INTR_INFO_VALID))
		return;
	bool open = (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
		    !(vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) &
		      (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS));
	if (!open) {
		vmcs_write(VMCS_PROC_BASED_CONTROLS,
			   v->ctl.proc | VMX_PROC_INTERRUPT_WINDOW_EXITING);
		return;
	}
	__atomic_fetch_and(&irr[v->index][vec / 64], ~(1ull << (vec % 64)),
			   __ATOMIC_ACQ_REL);
	vmcs_write(VMCS_ENTRY_INTR_INFO, (uint32_t)vec | VMX_INTR_INFO_VALID);
	v->interrupts++;
}

void vapic_window_open(struct vcpu *v)
{
	vmcs_write(VMCS_PROC_BASED_CONTROLS, v->ctl.proc);
}

bool vapic_halt(struct vcpu *v)
{
	if (!(vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF))
		return false;
	while (highest_pending(v->index) < 0) {
		cpu_serve_requests();
		cpu_relax();
	}
	return true;
}
