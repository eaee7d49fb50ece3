/* SPDX-License-Identifier: MIT */
/*
 * With a second vCPU (32-bit stage): started with INIT and STARTUP
 * through this APIC's ICR (SDM 8.4.4.1), then IPIs to it by physical
 * and logical destination, shorthand, broadcast, lowest priority, and
 * an NMI; it counts what arrives. With one vCPU these are SKIPs: nothing
 * answers the STARTUP.
 */
#include "cpu.h"
#include "report.h"
#include "startup_page.h"
#include "trap.h"
#include "xapic.h"

#define VECTOR 0x62
#define CYCLES 40000000ull

static volatile uint32_t alive, second_id;
static volatile uint32_t got[2], nmis[2];
static uint8_t second_stack[8192] __attribute__((aligned(16)));

static unsigned me(void)
{
	return apic_id() ? 1 : 0;
}

static void count_handler(struct trap_frame *f)
{
	(void)f;
	__atomic_fetch_add(&got[me()], 1, __ATOMIC_RELAXED);
	apic_write(APIC_EOI, 0);
}

static void nmi_count_handler(struct trap_frame *f)
{
	(void)f;
	__atomic_fetch_add(&nmis[me()], 1, __ATOMIC_RELAXED);
}

/* The second vCPU's life: this stage's IDT, its APIC enabled with
 * logical ID 0x02 (flat), then interrupts on, forever. */
static void second_main(uint32_t entered_in_real_mode)
{
	(void)entered_in_real_mode;
	trap_load();
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_DFR, 0xffffffffu);
	apic_write(APIC_LDR, 0x02000000u);
	second_id = apic_id();
	__atomic_store_n(&alive, 1, __ATOMIC_RELEASE);
	sti();
	for (;;)
		__asm__ volatile("pause");
}

static bool start_second(void)
{
	startup_page_install(
		(uint32_t)(uintptr_t)(second_stack + sizeof(second_stack)),
		second_main);
	(void)apic_send(ICR_ALL_BUT_SELF | ICR_INIT | ICR_ASSERT | ICR_LEVEL,
			0);
	(void)apic_send(ICR_ALL_BUT_SELF | ICR_STARTUP | STARTUP_PAGE_VECTOR,
			0);
	if (wait_count(&alive, 1, CYCLES))
		return true;
	(void)apic_send(ICR_ALL_BUT_SELF | ICR_STARTUP | STARTUP_PAGE_VECTOR,
			0);
	return wait_count(&alive, 1, CYCLES);
}

/* Send, then wait for vCPU `who` to count it; returns the counts. */
static void send_and_settle(uint32_t low, uint8_t dest, unsigned who,
			    uint32_t want)
{
	sti();
	(void)apic_send(low, dest);
	(void)wait_count(&got[who], want, CYCLES);
	for (unsigned i = 0; i < 4000; i++)
		__asm__ volatile("pause");
	cli();
}

static void expect(const char *check, uint32_t g0, uint32_t g1, uint32_t w0,
		   uint32_t w1)
{
	if (g0 == w0 && g1 == w1)
		report_pass(check);
	else
		report_fail(check,
			    "vCPU 0 received %u (expected %u), the second vCPU "
			    "%u (expected %u)",
			    g0, w0, g1, w1);
}

void check_second_vcpu(void)
{
	static const char *const checks[] = {
		"second-vcpu-started",	   "fixed-physical-to-second",
		"fixed-logical-to-second", "all-but-self-to-second",
		"broadcast-to-both",	   "lowest-priority-to-one",
		"nmi-to-second",
	};
	trap_set_interrupt(VECTOR, count_handler);
	trap_set_interrupt(TRAP_NMI, nmi_count_handler);
	apic_write(APIC_DFR, 0xffffffffu);
	apic_write(APIC_LDR, 0x01000000u);
	if (!start_second()) {
		for (unsigned i = 0; i < sizeof(checks) / sizeof(*checks); i++)
			report_skip(checks[i], "no vCPU answered the STARTUP "
					       "IPI: this run has one vCPU");
		return;
	}
	report_pass("second-vcpu-started");
	uint8_t id = (uint8_t)second_id;
	const uint32_t fixed = ICR_FIXED | ICR_ASSERT | VECTOR;

	send_and_settle(fixed, id, 1, 1);
	expect("fixed-physical-to-second", got[0], got[1], 0, 1);
	send_and_settle(fixed | ICR_LOGICAL, 0x02, 1, 2);
	expect("fixed-logical-to-second", got[0], got[1], 0, 2);
	send_and_settle(fixed | ICR_ALL_BUT_SELF, 0, 1, 3);
	expect("all-but-self-to-second", got[0], got[1], 0, 3);
	send_and_settle(fixed, 0xff, 1, 4);
	expect("broadcast-to-both", got[0], got[1], 1, 4);
	/* Lowest priority picks one APIC of the set (SDM 10.6.2.4). */
	uint32_t before = got[0] + got[1];
	send_and_settle(ICR_LOWEST | ICR_ASSERT | ICR_LOGICAL | VECTOR, 0x03, 1,
			4);
	uint32_t delivered = got[0] + got[1] - before;
	if (delivered == 1)
		report_pass("lowest-priority-to-one");
	else
		report_fail("lowest-priority-to-one",
			    "%u of the two destinations took it", delivered);
	(void)apic_send(ICR_NMI | ICR_ASSERT, id);
	(void)wait_count(&nmis[1], 1, CYCLES);
	expect("nmi-to-second", nmis[0], nmis[1], 0, 1);
}
