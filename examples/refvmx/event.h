/* SPDX-License-Identifier: MIT */
/*
 * Events delivered to the guest: exceptions refvmx raises, events whose
 * delivery a VM exit interrupted, NMIs and external interrupts. One
 * event is injected per VM entry (SDM vol. 3C 27.6, "Event Injection");
 * what must wait asks for an interrupt- or NMI-window exit.
 */
#ifndef REFVMX_EVENT_H
#define REFVMX_EVENT_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

struct vcpu_events {
	/* The event whose delivery this exit interrupted (IDT-vectoring
	 * information, valid bit set), until it is delivered again or a
	 * new exception supersedes it. */
	uint32_t vectoring;
	uint32_t vectoring_error;
	uint32_t vectoring_len; /* of a software event's instruction */
	/* An NMI was sent to this vCPU and not yet injected: any CPU sets
	 * it, the vCPU's own CPU clears it. */
	volatile bool nmi_pending;
	/* Window-exiting controls now requested on top of vmx_ctl.proc. */
	uint32_t windows;
};

/* At the start of each exit: note the IDT-vectoring information. */
void event_exit_begin(struct vcpu *v);
/* After the exit's handler: an event whose delivery the exit
 * interrupted and that nothing superseded is delivered again. */
void event_exit_end(struct vcpu *v);
/* Just before VM entry: inject a pending NMI or external interrupt the
 * guest can take now, or ask for the exit that tells when it can. */
void event_before_entry(struct vcpu *v);
/* An interrupt- or NMI-window exit. */
void event_window_open(struct vcpu *v);

/* Raise hardware exception `vector` in the guest, as the instruction or
 * event delivery that exited would have: combined with an event being
 * delivered by the SDM's rules (vol. 3A 6.15, table 6-5): a
 * contributory exception during a contributory one, or a contributory
 * exception or #PF during a #PF, is a #DF; either during a #DF shuts
 * the guest down (the run ends as a triple fault); anything else is
 * delivered as it is: an instruction's event comes again when the
 * instruction restarts; an NMI or external interrupt is gone, as on the
 * CPU, which had accepted it (in service; NMIs blocked until IRET).
 * Fault-class exceptions are delivered with RFLAGS.RF set in the pushed
 * image (SDM 18.3.1.1), as the CPU does for its own. */
void event_exception(struct vcpu *v, unsigned vector, bool has_error,
		     uint32_t error);
/* A #PF at linear address cr2 with `error`. */
void event_page_fault(struct vcpu *v, uint64_t cr2, uint32_t error);
/* #GP(0) and #UD, the usual answers to what the guest may not do. */
void event_gp(struct vcpu *v);
void event_ud(struct vcpu *v);

/* Send an NMI to vCPU `target` (any CPU may call it). */
void event_post_nmi(unsigned target);

#endif
