/* SPDX-License-Identifier: MIT */
#include "remote.h"

#include "report.h"
#include "x2apic.h"

static const char *const op_names[] = {
	[OP_READ] = "read",
	[OP_WRITE] = "write",
	[OP_ENTER_PAGING] = "enter paging",
	[OP_LEAVE_PAGING] = "leave paging",
	[OP_ENTER_64BIT] = "enter the 64-bit stage",
};

static void request(enum request_op op, uint64_t arg0, uint64_t arg1)
{
	volatile struct mailbox *mb = mailbox();
	uint32_t seq = mb->request_seq + 1;

	mb->op = op;
	mb->arg0 = arg0;
	mb->arg1 = arg1;
	store_release(&mb->request_seq, seq);
	if (!wait_for(&mb->done_seq, seq))
		report_fatal("the second vCPU did not finish request %u (%s) "
			     "within %u spins",
			     seq, op_names[op], ANSWER_SPINS);
}

static void copy_result(struct access_result *r)
{
	volatile struct access_result *from = &mailbox()->result;

	r->faulted = from->faulted;
	r->value = from->value;
	r->vector = from->vector;
	r->error = from->error;
	r->cr2 = from->cr2;
}

void remote_read(uintptr_t va, struct access_result *r)
{
	request(OP_READ, va, 0);
	copy_result(r);
}

void remote_write(uintptr_t va, uint32_t value, struct access_result *r)
{
	request(OP_WRITE, va, value);
	copy_result(r);
}

void remote_enter(const struct address_space *as)
{
	request(OP_ENTER_PAGING, (uintptr_t)as->mode, as->root);
}

#ifndef __x86_64__

void remote_leave_paging(void)
{
	request(OP_LEAVE_PAGING, 0, 0);
}

#else

/* second_vcpu_entry64.S. */
extern const char second_vcpu_entry64[];

void remote_enter_64bit(uint32_t root)
{
	request(OP_ENTER_64BIT, root, (uintptr_t)second_vcpu_entry64);
}

#endif

void remote_shootdown(enum flush_kind kind, uintptr_t va)
{
	volatile struct mailbox *mb = mailbox();
	uint32_t seq = mb->flush_seq + 1;

	mb->flush_kind = kind;
	mb->flush_va = va;
	store_release(&mb->flush_seq, seq);
	mb->shootdowns_sent++;
	x2apic_send_fixed(SECOND_VCPU_ID, SHOOTDOWN_VECTOR);
	if (!wait_for(&mb->flush_ack, seq))
		report_fatal("the second vCPU did not acknowledge shootdown %u "
			     "(%s) within %u spins",
			     seq, kind == FLUSH_INVLPG ? "INVLPG" : "MOV CR3",
			     ANSWER_SPINS);
}
