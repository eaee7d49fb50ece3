/* SPDX-License-Identifier: MIT */
/*
 * Priorities (SDM 10.8.3): a pending interrupt whose priority class
 * (vector >> 4) is not above the processor priority class waits; PPR is
 * the higher of TPR and the class of the highest vector in service; the
 * highest pending vector goes first; EOI ends the highest in service.
 */
#include "cpu.h"
#include "report.h"
#include "trap.h"
#include "xapic.h"

#define CYCLES 20000000ull

static volatile uint32_t taken[4];
static volatile uint8_t order[8];
static volatile uint32_t n_order;
static volatile uint32_t nested_ppr, nested_isr;

static void record(uint8_t vector)
{
	if (n_order < 8)
		order[n_order] = vector;
	n_order++;
}

static void plain_handler(struct trap_frame *f)
{
	record((uint8_t)f->vector);
	taken[(f->vector >> 4) & 3]++;
	apic_write(APIC_EOI, 0);
}

/* 0x75: with its vector in service, a self IPI of a lower class (0x55)
 * must wait, even with interrupts enabled, until the EOI. */
static void nesting_handler(struct trap_frame *f)
{
	record((uint8_t)f->vector);
	nested_ppr = apic_read(APIC_PPR);
	nested_isr = apic_read(APIC_ISR + 0x30) & (1u << (0x75 - 0x60));
	sti();
	(void)apic_send(ICR_SELF | ICR_FIXED | ICR_ASSERT | 0x55, 0);
	for (unsigned i = 0; i < 1000; i++)
		__asm__ volatile("pause");
	record(0xee); /* the EOI */
	apic_write(APIC_EOI, 0);
	for (unsigned i = 0; i < 1000; i++)
		__asm__ volatile("pause");
	cli();
}

static void self_ipi(uint8_t vector)
{
	(void)apic_send(ICR_SELF | ICR_FIXED | ICR_ASSERT | vector, 0);
}

static void check_tpr_blocks(void)
{
	taken[0] = taken[2] = 0;
	apic_write(APIC_TPR, 0x50);
	sti();
	self_ipi(0x45); /* class 4 <= 5: waits */
	bool waited = !wait_count(&taken[0], 1, CYCLES / 10);
	self_ipi(0x65); /* class 6 > 5: at once */
	bool higher = wait_count(&taken[2], 1, CYCLES);
	apic_write(APIC_TPR, 0);
	bool released = wait_count(&taken[0], 1, CYCLES);
	cli();
	if (waited && higher && released)
		report_pass("tpr-holds-back-lower-class");
	else
		report_fail("tpr-holds-back-lower-class",
			    "TPR 0x50: 0x45 %s; 0x65 %s; TPR 0: 0x45 %s",
			    waited ? "waited" : "was taken",
			    higher ? "taken" : "not taken",
			    released ? "taken" : "not taken");
}

static void check_order_and_irr(void)
{
	n_order = 0;
	self_ipi(0x55); /* IF = 0: both wait in IRR */
	self_ipi(0x75);
	/* IRR register i holds vectors 32i..32i+31 (SDM figure 10-20). */
	bool pending = (apic_read(APIC_IRR + 0x20) & (1u << (0x55 - 0x40))) &&
		       (apic_read(APIC_IRR + 0x30) & (1u << (0x75 - 0x60)));
	trap_set_interrupt(0x75, plain_handler);
	sti();
	for (unsigned i = 0; i < 10000 && n_order < 2; i++)
		__asm__ volatile("pause");
	cli();
	if (pending && n_order == 2 && order[0] == 0x75 && order[1] == 0x55)
		report_pass("highest-pending-first");
	else
		report_fail("highest-pending-first",
			    "IRR showed both: %u; taken %u: 0x%x then 0x%x",
			    pending, n_order, order[0], order[1]);
}

static void check_in_service_blocks(void)
{
	n_order = 0;
	trap_set_interrupt(0x75, nesting_handler);
	self_ipi(0x75);
	sti();
	for (unsigned i = 0; i < 10000 && n_order < 3; i++)
		__asm__ volatile("pause");
	cli();
	/* In 0x75's handler: PPR is its class, 0x55 waits for the EOI and
	 * comes in between the EOI and the handler's end. */
	if (nested_ppr == 0x70 && nested_isr && n_order == 3 &&
	    order[0] == 0x75 && order[1] == 0xee && order[2] == 0x55)
		report_pass("in-service-blocks-until-eoi");
	else
		report_fail("in-service-blocks-until-eoi",
			    "PPR in the handler 0x%x (0x70), ISR bit %u; "
			    "order 0x%x 0x%x 0x%x (0x75, EOI 0xee, 0x55)",
			    nested_ppr, nested_isr != 0, order[0], order[1],
			    order[2]);
	trap_set_interrupt(0x75, plain_handler);
}

void check_priorities(void)
{
	trap_set_interrupt(0x45, plain_handler);
	trap_set_interrupt(0x55, plain_handler);
	trap_set_interrupt(0x65, plain_handler);
	check_tpr_blocks();
	check_order_and_irr();
	check_in_service_blocks();
}
