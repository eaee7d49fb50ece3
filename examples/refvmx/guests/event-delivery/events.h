/* SPDX-License-Identifier: MIT */
/*
 * event-delivery: exceptions and interrupts whose delivery itself
 * faults, and stores the CPU makes while delivering an event. The guest
 * has its own IDT and TSS (events.c): every handler records what it
 * received in a log and either returns or abandons the operation, as
 * the scenario says.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "address_space.h"

/* Vectors the guest uses. */
#define VEC_NMI	     2
#define VEC_BP	     3
#define VEC_UD	     6
#define VEC_DF	     8
#define VEC_NP	     11
#define VEC_GP	     13
#define VEC_PF	     14
#define VEC_SELF_IPI 0x40
#define VEC_SOFT     0x80 /* INT 0x80: a present gate */
#define VEC_ABSENT   0x81 /* INT 0x81: a not-present gate */

#define EFLAGS_RF (1ul << 16)

/* One event a handler received. */
struct event_log_entry {
	uint64_t vector, error, rip, rflags, cr2;
};

#define EVENT_LOG_SIZE 8

struct event_log {
	unsigned count;
	struct event_log_entry e[EVENT_LOG_SIZE];
};

extern struct event_log event_log;

/* What handlers do after logging: a #PF moves the interrupted code to
 * `fix_sp` and lets it retry, when fix_sp is set; every other fault and
 * abort abandons the operation (ev_run returns). Traps, software and
 * external interrupts and NMIs return. */
extern uintptr_t event_fix_sp;

/* The operations ev_run performs (event_probe.S). */
enum ev_op {
	OP_INT_ABSENT,	 /* INT 0x81 through a not-present gate: #NP */
	OP_NONCANONICAL, /* a load from a non-canonical address: #GP */
	OP_LOAD,	 /* a load from event_target */
	OP_INT3,	 /* INT3: #BP */
	OP_INT_SOFT,	 /* INT 0x80 */
	OP_STI_WINDOW,	 /* STI, a few NOPs, CLI */
	OP_SELF_NMI,	 /* WRMSR of an x2APIC NMI to self, NOPs */
	OP_CALL,	 /* CALL of a function that returns */
	OP_WRMSR_ABSENT, /* WRMSR of an MSR that does not exist: #GP */
};

/* Run op with RSP = sp; returns once it completed or a handler
 * abandoned it. */
void ev_run(uintptr_t sp, enum ev_op op);
extern uintptr_t event_target;
extern uint64_t event_apic_id; /* this vCPU's x2APIC ID */

/* The IDT, GDT with a TSS, IST stacks. Gates: interrupt gates, present
 * unless said; #PF on IST 1, #DF on IST 2 unless changed. */
void events_init(void);
void events_set_ist(unsigned vector, unsigned ist);
void events_clear_log(void);
/* The x2APIC, enabled, for self IPIs and NMIs; false if there is none. */
bool events_x2apic(void);

/* The address space every scenario runs in (events.c builds it): the
 * identity map of the guest's 16 MiB, and at WINDOW 4 KiB pages. */
#define WINDOW	     0x40000000ul
#define ABSENT_PAGE  (WINDOW + 0x0000) /* never mapped */
#define ABSENT_PAGE2 (WINDOW + 0x1000) /* never mapped */
#define MARKER_PAGE  (WINDOW + 0x2000) /* mapped through the window's PT */
/* The window's page table, as data: mapped through another page table,
 * so that a store to it never needs the table it stores to (a store
 * through a table into that table cannot be let run by unprotecting:
 * translating the address shadows the table again). */
#define PT_ALIAS       (WINDOW + 0x200000)
#define GOOD_STACK_TOP 0x7fe000ul /* identity-mapped scratch */

extern struct address_space event_as;
uint64_t *event_window_pte(uintptr_t va);

void check_double_faults(void); /* double_fault_checks.c */
void check_benign_first(void);	/* benign_first_checks.c */
void check_table_stores(void);	/* table_store_checks.c */

#endif
