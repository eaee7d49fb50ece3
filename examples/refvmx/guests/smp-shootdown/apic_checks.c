/* SPDX-License-Identifier: MIT */
#include "apic_checks.h"

#include "cpu.h"
#include "mailbox.h"
#include "report.h"
#include "x2apic.h"

static volatile uint32_t self_ipis_taken;

void self_ipi_interrupt(struct trap_frame *frame)
{
	self_ipis_taken++;
	x2apic_eoi();
}

/* The x2APIC ID as CPUID reports it: leaf 0BH's EDX where the leaf
 * exists, else the 8-bit initial APIC ID of leaf 1 (SDM vol. 3, 10.12.8). */
static uint32_t cpuid_x2apic_id(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	if (r[0] >= 0xb) {
		cpuid(0xb, 0, r);
		return r[3];
	}
	cpuid(1, 0, r);
	return r[1] >> 24;
}

void check_x2apic_mode(const char *check)
{
	uint32_t id = x2apic_id(), from_cpuid = cpuid_x2apic_id();

	if (!x2apic_active())
		report_fail(check,
			    "IA32_APIC_BASE 0x%llx: EN and EXTD should "
			    "be set",
			    (unsigned long long)rdmsr(0x1b));
	else if (id != from_cpuid)
		report_fail(check, "x2APIC ID MSR reads %u, CPUID says %u", id,
			    from_cpuid);
	else if (id != BOOT_VCPU_ID)
		report_fail(check, "the boot vCPU has x2APIC ID %u, not %u", id,
			    BOOT_VCPU_ID);
	else
		report_pass(check);
}

/* With IF = 0 the IPI stays pending (a maskable interrupt is never
 * delivered then); once IF = 1 it arrives, exactly once. */
void check_self_ipi(const char *check)
{
	uint32_t before = self_ipis_taken, taken;
	uint32_t spins = 0;

	x2apic_send_self(SELF_IPI_VECTOR);
	for (unsigned int i = 0; i < 1000; i++)
		cpu_pause();
	taken = self_ipis_taken - before;
	if (taken) {
		report_fail(check, "delivered with interrupts disabled");
		return;
	}
	__asm__ volatile("sti" ::: "memory");
	while (self_ipis_taken == before && spins++ < ANSWER_SPINS)
		cpu_pause();
	/* A second delivery would have come at the same time. */
	for (unsigned int i = 0; i < 1000; i++)
		cpu_pause();
	__asm__ volatile("cli" ::: "memory");
	taken = self_ipis_taken - before;
	if (taken != 1)
		report_fail(check,
			    "taken %u times once interrupts were on, "
			    "expected once",
			    taken);
	else
		report_pass(check);
}

/* `sti; hlt` with an interrupt pending: the STI shadow covers the HLT,
 * which then halts until the interrupt, and the interrupt is taken before
 * the instruction after the HLT (SDM vol. 2, STI; vol. 3, 6.8.3). */
void check_hlt_wake(const char *check)
{
	uint32_t before = self_ipis_taken, taken;

	x2apic_send_self(SELF_IPI_VECTOR);
	__asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
	taken = self_ipis_taken - before;
	if (taken != 1)
		report_fail(check,
			    "HLT returned with %u interrupts taken, "
			    "expected 1",
			    taken);
	else
		report_pass(check);
}
