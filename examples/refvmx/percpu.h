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
	/* Remote flushes of flush_all_cpus (refvmx's "flush=all"): a
	 * sender bumps flush_req and sends an IPI; the CPU drops every
	 * guest translation and copies it to flush_done. */
	volatile uint64_t flush_req, flush_done;
	/* The guest window: odd from just before smmu_vcpu_enter until
	 * just after the VM exit, even otherwise (guest_window_open and
	 * _close). Every change is a quiescent point of the CPU: kicks wait
	 * for one, and so do deferred frees (host_ops.c). */
	volatile uint64_t guest_seq;
	/* The guest started this vCPU (STARTUP IPI): where. */
	volatile bool guest_started;
	volatile uint64_t guest_entry;
	bool guest_long_mode; /* woken through the firmware's mailbox */
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
/* IPIs sent for remote flushes by flush_all_cpus_now, in all. */
extern uint64_t flush_ipis_sent;

/* The flush engine's kick (smmu_host_ops.kick_cpus): every CPU of `set`
 * whose guest window is open gets an IPI, and this returns once each
 * has closed it (left guest mode). A CPU whose window is closed gets
 * nothing: before it enters the guest again it opens the window and
 * then reads what it owes in smmu_vcpu_enter. The calling CPU is
 * skipped. set is an array of 64-bit words, bit i = CPU i. */
void kick_cpus_now(const uint64_t *set);
/* kick_cpus_now calls, and IPIs they sent (CPUs found in the guest). */
extern uint64_t kick_calls, kick_ipis_sent;

/* This CPU's guest window (struct cpu.guest_seq), sequentially
 * consistent: opened before smmu_vcpu_enter, so that a kicker that
 * finds it closed is ordered before the vCPU's look at what it owes;
 * closed right after the VM exit. Between smmu_vcpu_enter's return and
 * the VM entry refvmx takes no lock: a kicker holding the MMU lock
 * waits for a CPU in the window, which must reach the guest (and its
 * exit) without that lock. Inside smmu_vcpu_enter a CPU may wait for
 * the lock, before it reads what it owes: h_lock closes the window
 * while it spins (host_ops.c). */
static inline void guest_window_open(struct cpu *c)
{
	if (!(c->guest_seq & 1))
		__atomic_store_n(&c->guest_seq, c->guest_seq + 1,
				 __ATOMIC_SEQ_CST);
}

static inline void guest_window_close(struct cpu *c)
{
	if (c->guest_seq & 1)
		__atomic_store_n(&c->guest_seq, c->guest_seq + 1,
				 __ATOMIC_SEQ_CST);
}

#endif
