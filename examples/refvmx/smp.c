/* SPDX-License-Identifier: MIT */
/*
 * The other CPUs. Each AP comes up through the real-mode trampoline,
 * takes its own GDT, TSS and GS base, enables its local APIC and VMX, and
 * then serves flush requests until the guest starts its vCPU with a
 * STARTUP IPI (vapic.c); from then on it runs that vCPU.
 *
 * Remote flushes are real IPIs, two ways:
 * - the flush engine's kicks (kick_cpus_now, the default): an IPI to
 *   each CPU whose guest window is open, and a wait until it closed; the
 *   vCPU does what it owes at its next smmu_vcpu_enter. A CPU waiting
 *   for the MMU lock inside smmu_vcpu_enter closes its window first, so
 *   a kicker that holds the lock never waits on a CPU that waits for it;
 * - flush_all_cpus ("flush=all"): the sender bumps the target's
 *   flush_req and sends IPI_VECTOR. A target in the guest takes a VM
 *   exit (external interrupt), one in the host finds the request at its
 *   next look — before each VM entry, while it spins for the MMU lock or
 *   parked — so a sender that holds the MMU lock never waits on a CPU
 *   that waits for it.
 */
#include "smp.h"

#include <vmx_asm.h>

#include "console.h"
#include "cpu.h"
#include "firmware.h"
#include "idle.h"
#include "idt.h"
#include "lapic.h"
#include "mem.h"
#include "mptable.h"
#include "percpu.h"
#include "ports.h"

#define TRAMPOLINE 0x8000
#define AP_STACK   (16 * 1024)

struct cpu cpus[MAX_CPUS];
unsigned nr_cpus = 1;
uint64_t flush_ipis_sent;
uint64_t kick_calls, kick_ipis_sent;

extern char trampoline_start[], trampoline_end[];
extern uint64_t trampoline_cr3, trampoline_stack, trampoline_arg,
	trampoline_entry;
extern char boot_pml4[];

void ap_main(uint64_t index) __attribute__((noreturn));

void cpu_serve_requests(void)
{
	struct cpu *c = this_cpu();
	uint64_t req = __atomic_load_n(&c->flush_req, __ATOMIC_ACQUIRE);
	if (req == c->flush_done || !c->in_vmx)
		return;
	if (vmx_invvpid_all() != VMX_OK)
		panic("INVVPID all-context failed on CPU %u", c->index);
	__atomic_store_n(&c->flush_done, req, __ATOMIC_RELEASE);
}

void flush_all_cpus_now(void)
{
	struct cpu *me = this_cpu();
	uint64_t want[MAX_CPUS];
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct cpu *c = &cpus[i];
		if (c == me || !c->in_vmx)
			continue;
		want[i] =
			__atomic_add_fetch(&c->flush_req, 1, __ATOMIC_ACQ_REL);
		lapic_send_ipi(c->apic_id, IPI_VECTOR);
		__atomic_fetch_add(&flush_ipis_sent, 1, __ATOMIC_RELAXED);
	}
	if (vmx_invvpid_all() != VMX_OK)
		panic("INVVPID all-context failed");
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct cpu *c = &cpus[i];
		if (c == me || !c->in_vmx)
			continue;
		while (__atomic_load_n(&c->flush_done, __ATOMIC_ACQUIRE) <
		       want[i]) {
			cpu_serve_requests(); /* it may be flushing us */
			cpu_relax();
		}
	}
}

void kick_cpus_now(const uint64_t *set)
{
	struct cpu *me = this_cpu();
	uint64_t open[MAX_CPUS];
	bool wait[MAX_CPUS];
	__atomic_fetch_add(&kick_calls, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct cpu *c = &cpus[i];
		wait[i] = false;
		if (c == me || !((set[i / 64] >> (i % 64)) & 1))
			continue;
		/* Sequentially consistent, after the library published
		 * what the vCPU owes: a closed window is one the vCPU
		 * opens later, before it reads that (guest_window_open). */
		open[i] = __atomic_load_n(&c->guest_seq, __ATOMIC_SEQ_CST);
		if (!(open[i] & 1))
			continue;
		wait[i] = true;
		lapic_send_ipi(c->apic_id, IPI_VECTOR);
		__atomic_fetch_add(&kick_ipis_sent, 1, __ATOMIC_RELAXED);
	}
	/* In the guest, the IPI makes it exit (external-interrupt exiting;
	 * under Bochs a guest with IF=0 exits by the preemption timer,
	 * vcpu.c); before its entry it is held pending and makes the
	 * entry exit at once. Either way the window closes. */
	for (unsigned i = 0; i < nr_cpus; i++) {
		if (!wait[i])
			continue;
		while (__atomic_load_n(&cpus[i].guest_seq, __ATOMIC_SEQ_CST) ==
		       open[i]) {
			cpu_serve_requests();
			cpu_relax();
		}
	}
}

void cpu_kick(unsigned index)
{
	if (index != this_cpu()->index)
		lapic_send_ipi(cpus[index].apic_id, IPI_VECTOR);
}

/* The AP's life: parked until the guest starts its vCPU. */
void ap_main(uint64_t index)
{
	struct cpu *c = &cpus[index];
	percpu_load(c);
	idt_load();
	lapic_init();
	vmx_cpu_enable();
	__atomic_store_n(&c->in_vmx, true, __ATOMIC_RELEASE);
	__atomic_store_n(&c->alive, true, __ATOMIC_RELEASE);
	for (;;) {
		uint64_t vector;
		if (firmware_mailbox_poll(c->index, &vector)) {
			c->guest_entry = vector;
			c->guest_long_mode = true;
			__atomic_store_n(&c->guest_started, true,
					 __ATOMIC_RELEASE);
			kprintf("refvmx: vCPU %u woken through the mailbox at "
				"0x%llx\n",
				c->index, (unsigned long long)vector);
			break;
		}
		if (__atomic_load_n(&c->guest_started, __ATOMIC_ACQUIRE))
			break;
		cpu_serve_requests();
		/* Sleep until the guest writes what starts this vCPU (a
		 * flush request comes with an IPI). A PVH guest's mailbox
		 * is there once the firmware tables are: until then, spin. */
		const volatile void *watch =
			firmware_mailbox ? firmware_mailbox_command()
			: ports_platform
				? 0
				: (const volatile void *)&c->guest_started;
		if (!watch) {
			cpu_relax();
			continue;
		}
		idle_monitor(watch);
		/* What came before the monitor was armed is seen now. */
		if (__atomic_load_n(&c->guest_started, __ATOMIC_ACQUIRE) ||
		    firmware_mailbox_pending(c->index) ||
		    __atomic_load_n(&c->flush_req, __ATOMIC_ACQUIRE) !=
			    c->flush_done)
			continue;
		idle_wait(0, true);
	}
	/* Started by the guest's STARTUP IPI (vapic.c): EBX holds the
	 * vCPU's number, EAX nothing; or woken through the mailbox, in
	 * 64-bit mode. */
	struct vcpu_boot boot = { .entry = c->guest_entry,
				  .ebx = c->index,
				  .long_mode = c->guest_long_mode };
	vcpu_start(&c->vcpu, &boot);
	/* In VMX operation still: other CPUs' flushes wait for this one. */
	for (;;) {
		cpu_serve_requests();
		cpu_relax();
	}
}

unsigned smp_start_aps(const struct boot_info *bi)
{
	uint32_t ids[MAX_CPUS];
	unsigned n = acpi_find_cpus(bi->rsdp, ids, MAX_CPUS);
	const char *source = "ACPI MADT";
	if (n == 0) {
		n = mptable_find_cpus(ids, MAX_CPUS);
		source = "MP tables";
	}
	uint32_t me = lapic_id();
	if (n == 0) {
		kprintf("refvmx: neither an ACPI MADT nor MP tables: running "
			"on the boot CPU only\n");
		return 1;
	}
	kprintf("refvmx: %u CPU(s) listed by the %s\n", n, source);
	char *t = (char *)TRAMPOLINE;
	for (char *s = trampoline_start; s < trampoline_end; s++)
		*t++ = *s;
	uint64_t *slot_cr3 =
		(uint64_t *)(TRAMPOLINE +
			     ((char *)&trampoline_cr3 - trampoline_start));
	uint64_t *slot_stack = slot_cr3 + 1, *slot_arg = slot_cr3 + 2,
		 *slot_entry = slot_cr3 + 3;
	for (unsigned i = 0; i < n; i++) {
		if (ids[i] == me)
			continue;
		struct cpu *c = &cpus[nr_cpus];
		c->index = nr_cpus;
		c->apic_id = ids[i];
		*slot_cr3 = (uint64_t)boot_pml4;
		*slot_stack = (uint64_t)heap_alloc(AP_STACK) + AP_STACK;
		*slot_arg = nr_cpus;
		*slot_entry = (uint64_t)ap_main;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		lapic_start_ap(ids[i], TRAMPOLINE >> 12);
		for (unsigned wait = 0;
		     wait < 1000000 &&
		     !__atomic_load_n(&c->alive, __ATOMIC_ACQUIRE);
		     wait++)
			delay_us(1);
		if (!c->alive) {
			kprintf("refvmx: CPU with APIC ID %u did not start\n",
				ids[i]);
			continue;
		}
		nr_cpus++;
	}
	kprintf("refvmx: %u CPU(s) in VMX operation (%s)\n", nr_cpus,
		lapic_x2apic() ? "x2APIC" : "xAPIC");
	return nr_cpus;
}
