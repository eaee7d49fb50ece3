/* SPDX-License-Identifier: MIT */
/*
 * The APIC timer (SDM 10.5.4): one-shot counts down once and raises its
 * LVT vector once; periodic reloads and keeps raising it; the current
 * count falls while it runs.
 */
#include "cpu.h"
#include "report.h"
#include "trap.h"
#include "xapic.h"

#define TIMER_VECTOR 0x90
#define LVT_PERIODIC (1u << 17)
#define DIVIDE_BY_1  0xb
#define CYCLES	     50000000ull

static volatile uint32_t ticks;

static void timer_handler(struct trap_frame *f)
{
	(void)f;
	ticks++;
	apic_write(APIC_EOI, 0);
}

void check_timer(void)
{
	trap_set_interrupt(TIMER_VECTOR, timer_handler);
	apic_write(APIC_TIMER_DIV, DIVIDE_BY_1);
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
	ticks = 0;
	sti();
	apic_write(APIC_TIMER_INIT, 200000);
	uint32_t c1 = apic_read(APIC_TIMER_COUNT);
	for (unsigned i = 0; i < 200; i++)
		__asm__ volatile("pause");
	uint32_t c2 = apic_read(APIC_TIMER_COUNT);
	bool fired = wait_count(&ticks, 1, CYCLES);
	for (unsigned i = 0; i < 20000; i++)
		__asm__ volatile("pause");
	uint32_t after = apic_read(APIC_TIMER_COUNT);
	if (c1 <= 200000 && c2 < c1 && fired && ticks == 1 && after == 0)
		report_pass("timer-one-shot");
	else
		report_fail("timer-one-shot",
			    "count 0x%x then 0x%x (falling), %u interrupt(s) "
			    "(1), then count 0x%x (0)",
			    c1, c2, ticks, after);

	ticks = 0;
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR | LVT_PERIODIC);
	apic_write(APIC_TIMER_INIT, 100000);
	bool three = wait_count(&ticks, 3, 3 * CYCLES);
	uint32_t running = apic_read(APIC_TIMER_COUNT);
	apic_write(APIC_TIMER_INIT, 0); /* stops it */
	cli();
	apic_write(APIC_LVT_TIMER, 0x10000);
	if (three && running)
		report_pass("timer-periodic");
	else
		report_fail("timer-periodic",
			    "%u interrupts (3 or more), count while running "
			    "0x%x",
			    ticks, running);
}
