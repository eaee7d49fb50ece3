/* SPDX-License-Identifier: MIT */
/*
 * The shared page through which the boot vCPU drives the second one.
 * Fixed-width fields at a fixed address (smp_layout.h), so the 32-bit
 * and 64-bit stages, and a vCPU in either, read the same layout.
 *
 * Two channels, each a sequence number the boot vCPU bumps and the
 * second vCPU copies back when it is done:
 *  - requests (request_seq, done_seq): polled by the second vCPU's loop;
 *    read or write an address through a fault probe, enter or leave an
 *    address space, move to the 64-bit stage;
 *  - shootdowns (flush_seq, flush_ack): a fixed IPI whose handler
 *    performs the invalidation and acknowledges.
 * The boot vCPU has at most one of either outstanding, so the second
 * vCPU never probes while the boot vCPU does: the fault probes' state
 * (fault_probe.c) is not per vCPU.
 *
 * Ordering: the writer stores the fields, then the sequence number with
 * release semantics; the reader loads the sequence number with acquire
 * semantics, then the fields. x86 keeps stores in order (SDM vol. 3,
 * 9.2.2); the builtins keep the compiler from reordering.
 */
#ifndef SMP_MAILBOX_H
#define SMP_MAILBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "smp_layout.h"
#include "spinlock.h"

enum request_op {
	OP_READ,	 /* arg0: address -> result */
	OP_WRITE,	 /* arg0: address, arg1: value -> result */
	OP_ENTER_PAGING, /* arg0: paging mode (this stage's), arg1: root */
	OP_LEAVE_PAGING, /* 32-bit stage: paging off */
	OP_ENTER_64BIT,	 /* arg0: root, arg1: 64-bit entry (32-bit stage) */
};

enum flush_kind {
	FLUSH_INVLPG, /* INVLPG of flush_va */
	FLUSH_CR3,    /* MOV CR3 of its own value: every non-global entry */
};

/* i386 aligns a uint64_t member to 4 bytes, x86-64 to 8: every one is
 * aligned to 8 explicitly so that both stages see one layout (checked
 * below). */
typedef uint64_t shared_u64 __attribute__((aligned(8)));

/* One probed access by the second vCPU. */
struct access_result {
	uint32_t faulted;
	uint32_t value; /* read: what came back */
	shared_u64 vector, error, cr2;
};

struct mailbox {
	/* Set by the second vCPU once it runs C code with its IDT and
	 * x2APIC ready; with what it found. */
	uint32_t second_alive;
	uint32_t second_x2apic_id;
	uint32_t entered_in_real_mode; /* 1 natively, 0 under refvmx */
	uint32_t second_efer_low;      /* after the move to the 64-bit stage */

	uint32_t request_seq, done_seq;
	uint32_t op;
	shared_u64 arg0, arg1;
	struct access_result result;

	uint32_t flush_seq, flush_ack;
	uint32_t flush_kind;
	shared_u64 flush_va;
	/* Shootdown interrupts the second vCPU took, and IPIs sent. */
	uint32_t shootdowns_taken, shootdowns_sent;
	/* The longest wait for an answer so far, in spins (ANSWER_SPINS). */
	uint32_t slowest_answer;
};

_Static_assert(sizeof(struct access_result) == 32, "one layout");
_Static_assert(__builtin_offsetof(struct mailbox, result) == 48,
	       "one layout in both stages");
_Static_assert(__builtin_offsetof(struct mailbox, flush_va) == 96,
	       "one layout in both stages");
_Static_assert(sizeof(struct mailbox) == 112 + 8, "one layout in both stages");

static inline volatile struct mailbox *mailbox(void)
{
	return (volatile struct mailbox *)(uintptr_t)MAILBOX_PAGE;
}

/* At the start of the 32-bit stage, before anything uses it: the page
 * is scratch no loader clears. */
static inline void mailbox_clear(void)
{
	volatile uint32_t *word = (volatile uint32_t *)mailbox();

	for (unsigned int i = 0; i < sizeof(struct mailbox) / 4; i++)
		word[i] = 0;
}

static inline uint32_t load_acquire(volatile uint32_t *word)
{
	return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

static inline void store_release(volatile uint32_t *word, uint32_t value)
{
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
}

/* How long the boot vCPU waits for any answer. Without a calibrated
 * clock the bound is a count of PAUSE loops, about 0.1 s of Bochs. The
 * slowest answers seen are the first, the STARTUP's: under 8000 spins
 * under refvmx (its VM exits), 3300 natively; the guest prints the
 * numbers of each run. A one-vCPU run waits the bound out twice. */
#define ANSWER_SPINS (1u << 21)

/* Waits until *word == want, recording the slowest wait in the mailbox;
 * false if the bound ran out. */
static inline bool wait_for(volatile uint32_t *word, uint32_t want)
{
	volatile struct mailbox *mb = mailbox();

	for (uint32_t spins = 0; spins < ANSWER_SPINS; spins++) {
		if (load_acquire(word) == want) {
			if (spins > mb->slowest_answer)
				mb->slowest_answer = spins;
			return true;
		}
		cpu_pause();
	}
	return false;
}

#endif /* SMP_MAILBOX_H */
