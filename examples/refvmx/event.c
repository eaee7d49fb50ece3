/* SPDX-License-Identifier: MIT */
#include "event.h"

#include <vmx_fields.h>

#include "console.h"
#include "percpu.h"
#include "vapic.h"
#include "vcpu.h"

#define VEC_DF	  8
#define VEC_UD	  6
#define VEC_GP	  13
#define VEC_PF	  14
#define VEC_NMI	  2
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_RF (1ull << 16)

/* Exception classes of the double-fault rules (SDM vol. 3A, 6.15,
 * "Interrupt 8", table 6-4). */
enum exception_class { BENIGN, CONTRIBUTORY, PAGE_FAULT, DOUBLE_FAULT };

static enum exception_class class_of(unsigned vector)
{
	switch (vector) {
	case 0:	 /* #DE */
	case 10: /* #TS */
	case 11: /* #NP */
	case 12: /* #SS */
	case 13: /* #GP */
		return CONTRIBUTORY;
	case VEC_PF:
		return PAGE_FAULT;
	case VEC_DF:
		return DOUBLE_FAULT;
	default:
		return BENIGN;
	}
}

/* Faults (SDM table 6-1, "Type"): the saved RIP is the faulting
 * instruction's and RF must be set in the pushed RFLAGS so that an
 * instruction breakpoint there is not taken again. #DB is a fault or a
 * trap by its cause and sets RF itself; traps and aborts do not. */
static bool is_fault(unsigned vector)
{
	switch (vector) {
	case 0:
	case 5:
	case 6:
	case 7:
	case 10:
	case 11:
	case 12:
	case 13:
	case 14:
	case 16:
	case 17:
	case 19:
	case 20:
	case 21:
		return true;
	default:
		return false;
	}
}

static unsigned type_of(uint32_t info)
{
	return (info & VMX_INTR_INFO_TYPE_MASK) >> VMX_INTR_INFO_TYPE_SHIFT;
}

/* VM entry injects an event with the guest's RFLAGS as they are: RF is
 * the injector's to set (SDM vol. 3C 27.6.1.1). */
static void set_rf_for(uint32_t info)
{
	if (type_of(info) == VMX_INTR_HW_EXCEPTION &&
	    is_fault(info & VMX_INTR_INFO_VECTOR_MASK))
		vmcs_write(VMCS_GUEST_RFLAGS,
			   vmcs_read(VMCS_GUEST_RFLAGS) | RFLAGS_RF);
}

static void inject(uint32_t info, uint32_t error, uint32_t len)
{
	info &= ~VMX_INTR_INFO_NMI_UNBLOCKING; /* reserved on entry */
	if (info & VMX_INTR_INFO_ERROR_CODE)
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, error);
	unsigned type = type_of(info);
	if (type == VMX_INTR_SW_INTERRUPT || type == VMX_INTR_SW_EXCEPTION ||
	    type == VMX_INTR_PRIV_SW_EXCEPTION)
		vmcs_write(VMCS_ENTRY_INSTRUCTION_LEN, len);
	set_rf_for(info);
	vmcs_write(VMCS_ENTRY_INTR_INFO, info | VMX_INTR_INFO_VALID);
}

static bool injecting(void)
{
	return vmcs_read(VMCS_ENTRY_INTR_INFO) & VMX_INTR_INFO_VALID;
}

void event_exit_begin(struct vcpu *v)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO);
	v->ev.vectoring = info & VMX_INTR_INFO_VALID ? info : 0;
	if (v->ev.vectoring) {
		v->ev.vectoring_error =
			info & VMX_INTR_INFO_ERROR_CODE
				? (uint32_t)vmcs_read(VMCS_IDT_VECTORING_ERROR)
				: 0;
		v->ev.vectoring_len =
			(uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_LEN);
		return;
	}
	/* A fault on an IRET that had unblocked NMIs: the IRET did not
	 * complete, so the blocking holds again until it does (SDM vol.
	 * 3C 28.2.3, "NMI unblocking due to IRET"). */
	uint32_t reason = (uint32_t)vmcs_read(VMCS_EXIT_REASON) & 0xffff;
	if (reason == VMX_REASON_EXCEPTION_NMI &&
	    (vmcs_read(VMCS_EXIT_INTR_INFO) & VMX_INTR_INFO_NMI_UNBLOCKING))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) |
				   VMX_INTERRUPTIBILITY_NMI);
}

void event_exit_end(struct vcpu *v)
{
	uint32_t info = v->ev.vectoring;
	v->ev.vectoring = 0;
	if (!info || injecting())
		return;
	inject(info, v->ev.vectoring_error, v->ev.vectoring_len);
}

void event_exception(struct vcpu *v, unsigned vector, bool has_error,
		     uint32_t error)
{
	uint32_t first = v->ev.vectoring;
	v->ev.vectoring = 0;
	if (first) {
		unsigned type = type_of(first);
		unsigned vec1 = first & VMX_INTR_INFO_VECTOR_MASK;
		enum exception_class c1 = class_of(vec1), c2 = class_of(vector);
		if (type == VMX_INTR_HW_EXCEPTION) {
			if (c1 == DOUBLE_FAULT && c2 != BENIGN) {
				kprintf("refvmx: vCPU %u: exception %u while "
					"delivering #DF: shutdown\n",
					v->index, vector);
				vcpu_fail(v, "the guest triple-faulted");
				return;
			}
			if ((c1 == CONTRIBUTORY && c2 == CONTRIBUTORY) ||
			    (c1 == PAGE_FAULT && c2 != BENIGN)) {
				vector = VEC_DF;
				has_error = true;
				error = 0;
			}
		}
		/* Software interrupts and exceptions: the guest's RIP is
		 * still at the instruction, which runs again. An external
		 * interrupt or NMI is gone, as on the CPU: the interrupt
		 * was accepted (it stays in service), and NMIs are blocked
		 * until the handler's IRET (SDM vol. 3C 28.2.3: virtual-NMI
		 * blocking is already in effect at this exit). */
	}
	uint32_t info =
		vector | (VMX_INTR_HW_EXCEPTION << VMX_INTR_INFO_TYPE_SHIFT);
	if (has_error)
		info |= VMX_INTR_INFO_ERROR_CODE;
	inject(info, error, 0);
}

void event_page_fault(struct vcpu *v, uint64_t cr2, uint32_t error)
{
	/* CR2 is loaded even when the #PF becomes a #DF (SDM 4.7). */
	v->regs.cr2 = cr2;
	event_exception(v, VEC_PF, true, error);
}

void event_gp(struct vcpu *v)
{
	event_exception(v, VEC_GP, true, 0);
}

void event_ud(struct vcpu *v)
{
	event_exception(v, VEC_UD, false, 0);
}

void event_post_nmi(unsigned target)
{
	__atomic_store_n(&cpus[target].vcpu.ev.nmi_pending, true,
			 __ATOMIC_RELEASE);
	cpu_kick(target);
}

void event_before_entry(struct vcpu *v)
{
	uint32_t want = 0;
	/* A debug trap of the instruction just completed (single-step
	 * after an emulated instruction) comes before NMIs and interrupts
	 * (SDM 6.9, priorities 4 and 5): the CPU delivers it at entry, and
	 * what waits goes in through a window afterwards. */
	bool busy = injecting() ||
		    (vmcs_read(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) & 0x400f);
	uint64_t intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	if (__atomic_load_n(&v->ev.nmi_pending, __ATOMIC_ACQUIRE)) {
		/* Virtual-NMI blocking (an NMI handler that has not yet
		 * run IRET) or MOV SS blocking holds it back. STI does
		 * not have to (SDM 6.8.3), and an injecting VM entry
		 * ends STI blocking anyway (27.6.1). */
		if (!busy && !(intr & (VMX_INTERRUPTIBILITY_NMI |
				       VMX_INTERRUPTIBILITY_MOV_SS))) {
			__atomic_store_n(&v->ev.nmi_pending, false,
					 __ATOMIC_RELEASE);
			if (intr & VMX_INTERRUPTIBILITY_STI)
				vmcs_write(
					VMCS_GUEST_INTERRUPTIBILITY,
					intr & ~(uint64_t)
							VMX_INTERRUPTIBILITY_STI);
			inject(VEC_NMI | (VMX_INTR_NMI
					  << VMX_INTR_INFO_TYPE_SHIFT),
			       0, 0);
			v->nmis++;
			busy = true;
		} else {
			want |= VMX_PROC_NMI_WINDOW_EXITING;
		}
	}
	if (vapic_interrupt_ready(v)) {
		bool open = !busy &&
			    (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
			    !(intr & (VMX_INTERRUPTIBILITY_STI |
				      VMX_INTERRUPTIBILITY_MOV_SS));
		if (open) {
			int vec = vapic_accept(v);
			if (vec >= 0) {
				inject((uint32_t)vec, 0, 0);
				v->interrupts++;
			}
		} else {
			want |= VMX_PROC_INTERRUPT_WINDOW_EXITING;
		}
	}
	if (want != v->ev.windows) {
		v->ev.windows = want;
		vmcs_write(VMCS_PROC_BASED_CONTROLS, vmx_ctl.proc | want);
	}
}

void event_window_open(struct vcpu *v)
{
	/* event_before_entry decides again what can go in now. */
	(void)v;
}
