/* SPDX-License-Identifier: MIT */
#include "second_vcpu.h"

#include "cpu.h"
#include "fault_probe.h"
#include "mailbox.h"
#include "paging_enter.h"
#include "report.h"
#include "x2apic.h"

static void copy_fault(volatile struct access_result *r, bool faulted,
		       const struct fault *f)
{
	r->faulted = faulted;
	r->vector = faulted ? f->vector : 0;
	r->error = faulted ? f->error : 0;
	r->cr2 = faulted ? f->cr2 : 0;
}

static void execute(volatile struct mailbox *mb)
{
	uintptr_t address = (uintptr_t)mb->arg0;
	struct fault f;
	uint32_t value = 0;
	bool faulted;

	switch (mb->op) {
	case OP_READ:
		faulted = probe_read(address, &value, &f);
		mb->result.value = value;
		copy_fault(&mb->result, faulted, &f);
		break;
	case OP_WRITE:
		faulted = probe_write(address, (uint32_t)mb->arg1, &f);
		copy_fault(&mb->result, faulted, &f);
		break;
	case OP_ENTER_PAGING: {
		/* The mode is this stage's struct, named by its address. */
		struct address_space as = {
			.mode = (const struct paging_mode *)address,
			.root = (uintptr_t)mb->arg1,
		};

		paging_enter(&as);
		break;
	}
#ifndef __x86_64__
	case OP_LEAVE_PAGING:
		paging_leave();
		break;
	case OP_ENTER_64BIT:
		/* Completed by second_vcpu_main64() on the other side. */
		second_vcpu_to_64bit((uint32_t)mb->arg0, (uint32_t)mb->arg1);
#endif
	default:
		report_fatal("the second vCPU got request %u, which this stage "
			     "does not know",
			     mb->op);
	}
}

/* Requests until the run ends, with interrupts on for the shootdowns. A
 * busy loop, not HLT: requests come through memory, without an IPI. */
__attribute__((noreturn)) static void serve(volatile struct mailbox *mb)
{
	uint32_t done = mb->done_seq;

	__asm__ volatile("sti" ::: "memory");
	for (;;) {
		uint32_t seq = load_acquire(&mb->request_seq);

		if (seq == done) {
			cpu_pause();
			continue;
		}
		execute(mb);
		done = seq;
		store_release(&mb->done_seq, done);
	}
}

void second_vcpu_shootdown_interrupt(struct trap_frame *frame)
{
	volatile struct mailbox *mb = mailbox();
	uint32_t seq = load_acquire(&mb->flush_seq);

	if (mb->flush_kind == FLUSH_INVLPG)
		invlpg((uintptr_t)mb->flush_va);
	else
		write_cr3(read_cr3());
	mb->shootdowns_taken++;
	x2apic_eoi();
	store_release(&mb->flush_ack, seq);
}

void spurious_interrupt(struct trap_frame *frame)
{
}

#ifdef __x86_64__

void second_vcpu_main64(void)
{
	volatile struct mailbox *mb = mailbox();

	trap_load();
	mb->second_efer_low = (uint32_t)rdmsr(X86_MSR_EFER);
	/* The ENTER_64BIT request that brought us here is done. */
	store_release(&mb->done_seq, load_acquire(&mb->request_seq));
	serve(mb);
}

#else

static uint8_t stack32[16384] __attribute__((aligned(16)));

uintptr_t second_vcpu_stack32_top(void)
{
	return (uintptr_t)(stack32 + sizeof(stack32));
}

void second_vcpu_main32(uint32_t entered_in_real_mode)
{
	volatile struct mailbox *mb = mailbox();

	trap_load();
	x2apic_enable();
	mb->second_x2apic_id = x2apic_id();
	mb->entered_in_real_mode = entered_in_real_mode;
	/* Its own line, through the line lock, while the boot vCPU may be
	 * printing too. */
	report_note("second vCPU up: x2APIC ID %u, entered the startup page "
		    "in %s",
		    mb->second_x2apic_id,
		    entered_in_real_mode ? "real mode" : "protected mode");
	store_release(&mb->second_alive, 1);
	serve(mb);
}

#endif
