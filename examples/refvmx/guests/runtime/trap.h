/* SPDX-License-Identifier: MIT */
/*
 * The guest's own IDT: vectors 0-31 go to trap_handle(), which lets an
 * armed fault probe take the exception (fault_probe.h) and otherwise ends
 * the run with a FAIL line naming the exception. Vectors 32-255 have
 * not-present gates until a guest that enables interrupts (smp-shootdown,
 * for its IPIs) installs a handler for one; the rest keep interrupts
 * disabled throughout.
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdbool.h>
#include <stdint.h>

/* The stack as trap_entry.S leaves it: general registers, then the vector
 * and error code the stub pushed, then what the CPU pushed. */
struct trap_frame {
#ifdef __x86_64__
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t ip, cs, flags, sp, ss;
#else
	uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax; /* pusha */
	uint32_t vector, error;
	uint32_t ip, cs, flags;
#endif
};

/* Builds this stage's IDT and loads it. */
void trap_init(void);
/* Loads the IDT trap_init() built: for another vCPU of the same stage. */
void trap_load(void);

/* The NMI's vector: like an interrupt, it may have a handler. */
#define TRAP_NMI 2

/* Runs for an interrupt with IF cleared (interrupt gate) and returns
 * with IRET; it acknowledges its interrupt controller itself. */
typedef void (*trap_interrupt_handler)(struct trap_frame *frame);
/* Makes vector (32-255, or TRAP_NMI) present, delivering to handler,
 * for every vCPU that loaded this stage's IDT. */
void trap_set_interrupt(uint8_t vector, trap_interrupt_handler handler);

/* A guest with tables of its own (its own IDT pointing at trap_stubs,
 * with IST stacks or absent gates) sees every vector first: the hook
 * returns true when it took the event, which then returns with IRET. */
typedef bool (*trap_hook)(struct trap_frame *frame);
void trap_set_hook(trap_hook hook);
/* Entry points in trap_entry.S, one per vector. */
extern const uintptr_t trap_stubs[256];

void trap_handle(struct trap_frame *frame);

#endif /* GUEST_TRAP_H */
