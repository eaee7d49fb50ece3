/* SPDX-License-Identifier: MIT */
/*
 * IPIs this vCPU sends itself (SDM 10.6): destination shorthands, its
 * physical ID and the broadcast ID, logical destinations in the flat
 * and cluster models, and an NMI, whose second arrival waits for the
 * first handler's IRET (SDM 6.7.1).
 */
#include "cpu.h"
#include "report.h"
#include "trap.h"
#include "xapic.h"

#define VECTOR 0x61
#define CYCLES 20000000ull

static volatile uint32_t received, nmis, nmi_depth, nmi_nested;
static volatile bool send_second_nmi;

static void ipi_handler(struct trap_frame *f)
{
	(void)f;
	received++;
	apic_write(APIC_EOI, 0);
}

static void nmi_handler(struct trap_frame *f)
{
	(void)f;
	if (nmi_depth++)
		nmi_nested++;
	nmis++;
	if (send_second_nmi) {
		send_second_nmi = false;
		(void)apic_send(ICR_NMI | ICR_ASSERT, apic_id());
		for (unsigned i = 0; i < 2000; i++)
			__asm__ volatile("pause");
	}
	nmi_depth--;
}

/* Send and count what arrives here within a bound. */
static uint32_t deliveries(uint32_t low, uint8_t dest)
{
	received = 0;
	sti();
	(void)apic_send(low, dest);
	(void)wait_count(&received, 1, CYCLES);
	for (unsigned i = 0; i < 2000; i++)
		__asm__ volatile("pause");
	cli();
	return received;
}

static void expect(const char *check, uint32_t got, uint32_t want,
		   const char *how)
{
	if (got == want)
		report_pass(check);
	else
		report_fail(check, "%s: received %u time(s), expected %u", how,
			    got, want);
}

void check_ipis(void)
{
	const uint32_t fixed = ICR_FIXED | ICR_ASSERT | VECTOR;
	const uint8_t me = apic_id();
	trap_set_interrupt(VECTOR, ipi_handler);

	expect("shorthand-self", deliveries(fixed | ICR_SELF, 0), 1, "self");
	expect("shorthand-all", deliveries(fixed | ICR_ALL, 0), 1,
	       "all including self");
	expect("shorthand-all-but-self",
	       deliveries(fixed | ICR_ALL_BUT_SELF, 0), 0,
	       "all excluding self");
	expect("physical-own-id", deliveries(fixed, me), 1, "own APIC ID");
	expect("physical-broadcast", deliveries(fixed, 0xff), 1,
	       "destination 0xff");

	/* Flat model: a bit per APIC in LDR[31:24] (SDM 10.6.2.2). */
	uint32_t ldr = apic_read(APIC_LDR), dfr = apic_read(APIC_DFR);
	apic_write(APIC_DFR, 0xffffffffu);
	apic_write(APIC_LDR, 0x01000000u);
	uint32_t flat_hit = deliveries(fixed | ICR_LOGICAL, 0x01);
	uint32_t flat_miss = deliveries(fixed | ICR_LOGICAL, 0x02);
	/* Cluster model: cluster in 7:4, members in 3:0. */
	apic_write(APIC_DFR, 0x0fffffffu);
	apic_write(APIC_LDR, 0x12000000u);
	uint32_t cluster_hit = deliveries(fixed | ICR_LOGICAL, 0x13);
	uint32_t cluster_miss = deliveries(fixed | ICR_LOGICAL, 0x22);
	apic_write(APIC_DFR, dfr);
	apic_write(APIC_LDR, ldr);
	if (flat_hit == 1 && !flat_miss && cluster_hit == 1 && !cluster_miss)
		report_pass("logical-flat-and-cluster");
	else
		report_fail("logical-flat-and-cluster",
			    "flat LDR 0x01: dest 0x01 %u, 0x02 %u; cluster LDR "
			    "0x12: dest 0x13 %u, 0x22 %u (1, 0, 1, 0 expected)",
			    flat_hit, flat_miss, cluster_hit, cluster_miss);

	/* NMI: taken with interrupts off, once per IPI, never nested. */
	trap_set_interrupt(TRAP_NMI, nmi_handler);
	nmis = nmi_nested = 0;
	send_second_nmi = true;
	(void)apic_send(ICR_NMI | ICR_ASSERT, me);
	bool both = wait_count(&nmis, 2, CYCLES);
	for (unsigned i = 0; i < 2000; i++)
		__asm__ volatile("pause");
	if (both && nmis == 2 && !nmi_nested)
		report_pass("nmi-ipi");
	else
		report_fail("nmi-ipi",
			    "%u NMI(s) for two IPIs (the second sent from the "
			    "first's handler), %u nested",
			    nmis, nmi_nested);
}
