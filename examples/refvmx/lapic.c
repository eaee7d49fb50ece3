/* SPDX-License-Identifier: MIT */
#include "lapic.h"

#include <vmx_asm.h>

#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EN	(1ull << 11)
#define APIC_BASE_EXTD	(1ull << 10)
#define XAPIC_MMIO	0xfee00000ull
#define X2APIC_MSR(reg) (0x800u + ((reg) >> 4))

#define REG_ID		  0x20
#define REG_EOI		  0xb0
#define REG_SVR		  0xf0
#define REG_ICR_LOW	  0x300
#define REG_ICR_HIGH	  0x310
#define REG_LVT_TIMER	  0x320
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE  0x3e0
#define LVT_MASKED	  (1u << 16)

#define ICR_FIXED   (0u << 8)
#define ICR_INIT    (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_PENDING (1u << 12)
#define ICR_ASSERT  (1u << 14)
#define ICR_LEVEL   (1u << 15)

static bool x2apic;

static volatile uint32_t *mmio(unsigned reg)
{
	return (volatile uint32_t *)(XAPIC_MMIO + reg);
}

static void write_reg(unsigned reg, uint32_t v)
{
	if (x2apic)
		x86_wrmsr(X2APIC_MSR(reg), v);
	else
		*mmio(reg) = v;
}

static uint32_t read_reg(unsigned reg)
{
	return x2apic ? (uint32_t)x86_rdmsr(X2APIC_MSR(reg)) : *mmio(reg);
}

bool lapic_x2apic(void)
{
	return x2apic;
}

void lapic_init(void)
{
	x2apic = x86_cpuid(1, 0).ecx & (1u << 21);
	uint64_t base = x86_rdmsr(MSR_APIC_BASE) | APIC_BASE_EN;
	if (x2apic)
		base |= APIC_BASE_EXTD;
	x86_wrmsr(MSR_APIC_BASE, base);
	write_reg(REG_SVR, 0x100 | 0xff); /* enabled, spurious vector 0xff */
}

uint32_t lapic_id(void)
{
	uint32_t id = read_reg(REG_ID);
	return x2apic ? id : id >> 24;
}

static void send_icr(uint32_t apic_id, uint32_t low)
{
	if (x2apic) {
		x86_wrmsr(X2APIC_MSR(REG_ICR_LOW),
			  (uint64_t)apic_id << 32 | low);
		return;
	}
	*mmio(REG_ICR_HIGH) = apic_id << 24;
	*mmio(REG_ICR_LOW) = low;
	while (*mmio(REG_ICR_LOW) & ICR_PENDING)
		__asm__ volatile("pause");
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	send_icr(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

static uint64_t rdtsc_now(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Timer counts per 2^20 TSC cycles (divide by 1); the CPUs are alike. */
static uint64_t timer_per_mtsc;

void lapic_timer_calibrate(void)
{
	write_reg(REG_LVT_TIMER, LVT_MASKED | WAKE_TIMER_VECTOR);
	write_reg(REG_TIMER_DIVIDE, 0xb); /* divide by 1 */
	write_reg(REG_TIMER_INITIAL, 0xffffffffu);
	uint64_t t0 = rdtsc_now(), t;
	while ((t = rdtsc_now()) - t0 < (1u << 20))
		;
	uint32_t left = read_reg(REG_TIMER_CURRENT);
	write_reg(REG_TIMER_INITIAL, 0);
	timer_per_mtsc = ((uint64_t)(0xffffffffu - left) << 20) / (t - t0);
}

void lapic_timer_oneshot(uint64_t tsc)
{
	if (!tsc || !timer_per_mtsc) {
		write_reg(REG_TIMER_INITIAL, 0);
		return;
	}
	uint64_t count = (tsc >> 20) * timer_per_mtsc +
			 (((tsc & 0xfffff) * timer_per_mtsc) >> 20) + 1;
	write_reg(REG_TIMER_DIVIDE, 0xb);
	write_reg(REG_LVT_TIMER, WAKE_TIMER_VECTOR); /* one-shot */
	write_reg(REG_TIMER_INITIAL,
		  count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
}

void lapic_eoi(void)
{
	write_reg(REG_EOI, 0);
}

void delay_us(unsigned us)
{
	/* Port 0x80 reads take about a microsecond on PC hardware. */
	for (unsigned i = 0; i < us; i++)
		(void)x86_inb(0x80);
}

void lapic_start_ap(uint32_t apic_id, uint8_t vector)
{
	send_icr(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	delay_us(10000);
	for (int i = 0; i < 2; i++) {
		send_icr(apic_id, ICR_STARTUP | vector);
		delay_us(200);
	}
}
