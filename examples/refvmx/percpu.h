/* SPDX-License-Identifier: MIT */
/*
 * One physical CPU of the host: its GDT and TSS, its vCPU (one per CPU,
 * never migrated), and the mailbox other CPUs use to ask it to flush.
 * GS base points at the CPU's own struct in the host (and in the VMCS host
 * state), so this_cpu() is one load.
 */
#ifndef REFVMX_PERCPU_H
#define REFVMX_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"
#include "vcpu.h"

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct cpu {
	struct cpu *self; /* first: this_cpu() reads %gs:0 */
	unsigned index;	  /* 0 is the boot CPU */
	uint32_t apic_id;
	uint64_t gdt[5] __attribute__((aligned(16)));
	struct tss64 tss;
	struct vcpu vcpu;
	volatile bool alive;  /* the AP reached C */
	volatile bool in_vmx; /* VMXON done: flush requests are served */
	/* Remote flushes: a sender bumps flush_req and kicks; the CPU
	 * drops every guest translation and copies it to flush_done. */
	volatile uint64_t flush_req, flush_done;
	/* The guest started this vCPU (STARTUP IPI): where. */
	volatile bool guest_started;
	volatile uint64_t guest_entry;
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned nr_cpus;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

/* Make `c` this CPU's: GS base, GDT with its TSS, TR. */
void percpu_load(struct cpu *c);

/* Serve the flush requests other CPUs made of this one. */
void cpu_serve_requests(void);
/* Flush every guest translation on every CPU in VMX operation, this one
 * included; returns when all have. */
void flush_all_cpus_now(void);
/* Make CPU `index` look at its vCPU's pending events: an IPI that makes
 * it exit (or wakes its HLT wait), unless it is this CPU. */
void cpu_kick(unsigned index);
/* IPIs sent for remote flushes, in all. */
extern uint64_t flush_ipis_sent;

#endif
