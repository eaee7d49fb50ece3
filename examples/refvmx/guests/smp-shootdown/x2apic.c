/* SPDX-License-Identifier: MIT */
#include "x2apic.h"

#include "cpu.h"
#include "smp_layout.h"

/* IA32_APIC_BASE (SDM vol. 3, 10.4.4 and 10.12.1). */
#define MSR_APIC_BASE  0x1b
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN   (1u << 11)

/* x2APIC registers: MSR 0x800 + (xAPIC offset >> 4) (SDM table 10-6). */
#define X2APIC_ID	 0x802
#define X2APIC_TPR	 0x808
#define X2APIC_EOI	 0x80b
#define X2APIC_SVR	 0x80f
#define X2APIC_ICR	 0x830
#define X2APIC_LVT_LINT0 0x835
#define X2APIC_LVT_LINT1 0x836
#define X2APIC_SELF_IPI	 0x83f

#define SVR_APIC_ENABLE (1u << 8)
#define LVT_MASKED	(1u << 16)

/* Interrupt command register, low half (SDM 10.6.1). Physical
 * destination mode, no shorthand; "assert" for every type but the INIT
 * de-assert that x2APIC mode does not have. */
#define ICR_FIXED   (0u << 8)
#define ICR_INIT    (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_ASSERT  (1u << 14)

bool x2apic_supported(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[2] & (1u << 21);
}

bool x2apic_active(void)
{
	const uint64_t on = APIC_BASE_EN | APIC_BASE_EXTD;

	return (rdmsr(MSR_APIC_BASE) & on) == on;
}

void x2apic_enable(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	/* From xAPIC mode straight to x2APIC mode is allowed (SDM 10.12.5,
	 * figure 10-27); the base address and BSP flag stay as they are. */
	if (!x2apic_active())
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
	wrmsr(X2APIC_TPR, 0);
	wrmsr(X2APIC_LVT_LINT0, LVT_MASKED);
	wrmsr(X2APIC_LVT_LINT1, LVT_MASKED);
	wrmsr(X2APIC_SVR, SVR_APIC_ENABLE | SPURIOUS_VECTOR);
}

uint32_t x2apic_id(void)
{
	return (uint32_t)rdmsr(X2APIC_ID);
}

void x2apic_eoi(void)
{
	wrmsr(X2APIC_EOI, 0);
}

static void send(uint32_t destination, uint32_t command)
{
	/* A WRMSR to the ICR is not serializing and may send the IPI before
	 * earlier stores are visible (SDM 10.12.3): the page-table change
	 * and the mailbox fields must reach the target first. */
	__asm__ volatile("mfence; lfence" ::: "memory");
	wrmsr(X2APIC_ICR, (uint64_t)destination << 32 | command);
}

void x2apic_send_fixed(uint32_t destination, uint8_t vector)
{
	send(destination, ICR_FIXED | ICR_ASSERT | vector);
}

void x2apic_send_init(uint32_t destination)
{
	send(destination, ICR_INIT | ICR_ASSERT);
}

void x2apic_send_startup(uint32_t destination, uint8_t vector)
{
	send(destination, ICR_STARTUP | ICR_ASSERT | vector);
}

void x2apic_send_self(uint8_t vector)
{
	__asm__ volatile("mfence; lfence" ::: "memory");
	wrmsr(X2APIC_SELF_IPI, vector);
}
