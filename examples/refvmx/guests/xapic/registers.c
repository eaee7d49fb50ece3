/* SPDX-License-Identifier: MIT */
/*
 * The registers themselves (SDM 10.4-10.5): IA32_APIC_BASE, ID and
 * version against CPUID, TPR/PPR, the LVT mask software disabling
 * forces, the error status of an illegal vector, and the ICR's
 * delivery status.
 */
#include "cpu.h"
#include "report.h"
#include "xapic.h"

static void check_base_and_id(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t r[4];
	cpuid(1, 0, r);
	uint32_t version = apic_read(APIC_VERSION);
	unsigned max_lvt = (version >> 16) & 0xff;
	if ((base & 0xfffff000u) == APIC_PAGE &&
	    (base & (APIC_BASE_EN | APIC_BASE_EXTD)) == APIC_BASE_EN &&
	    (base & APIC_BASE_BSP))
		report_pass("apic-base");
	else
		report_fail("apic-base",
			    "IA32_APIC_BASE 0x%llx: expected 0x%x, EN, the BSP "
			    "flag, xAPIC mode",
			    (unsigned long long)base, APIC_PAGE);
	if (apic_id() == r[1] >> 24 && (version & 0xff) >= 0x10 &&
	    (version & 0xff) <= 0x15 && max_lvt >= 4)
		report_pass("id-version");
	else
		report_fail(
			"id-version",
			"ID %u (CPUID says %u), version 0x%x (an integrated "
			"APIC is 0x1x, with at least 5 LVT entries)",
			apic_id(), r[1] >> 24, version);
}

static void check_tpr_ppr(void)
{
	apic_write(APIC_TPR, 0x20);
	uint32_t tpr = apic_read(APIC_TPR), ppr = apic_read(APIC_PPR);
	apic_write(APIC_TPR, 0);
	/* Nothing in service: PPR = TPR (SDM 10.8.3.1). */
	if (tpr == 0x20 && ppr == 0x20 && apic_read(APIC_PPR) == 0)
		report_pass("tpr-ppr");
	else
		report_fail("tpr-ppr",
			    "TPR 0x%x, PPR 0x%x (both 0x20 expected)", tpr,
			    ppr);
}

/* Software-disabled (SVR bit 8 clear), every LVT entry stays masked
 * (SDM 10.4.7.2); enabled again, the mask can be cleared. */
static void check_svr_masks(void)
{
	uint32_t svr = apic_read(APIC_SVR);
	apic_write(APIC_SVR, svr & ~0x100u);
	apic_write(APIC_LVT_LINT0, 0x0ee);
	uint32_t disabled = apic_read(APIC_LVT_LINT0);
	apic_write(APIC_SVR, svr | 0x100u);
	apic_write(APIC_LVT_LINT0, 0x0ee);
	uint32_t enabled = apic_read(APIC_LVT_LINT0);
	apic_write(APIC_LVT_LINT0, 0x10000);
	if ((disabled & 0x100ff) == 0x100ee && (enabled & 0x100ff) == 0xee)
		report_pass("svr-masks-lvts");
	else
		report_fail("svr-masks-lvts",
			    "LINT0 written unmasked reads 0x%x software-"
			    "disabled (masked expected), 0x%x enabled",
			    disabled, enabled);
}

/* A fixed IPI with a vector below 16 is illegal: the error status
 * register says so after the next write to it (SDM 10.5.3). */
static void check_esr(void)
{
	apic_write(APIC_ESR, 0);
	(void)apic_read(APIC_ESR);
	(void)apic_send(ICR_SELF | ICR_FIXED | ICR_ASSERT | 3, 0);
	apic_write(APIC_ESR, 0);
	uint32_t esr = apic_read(APIC_ESR);
	apic_write(APIC_ESR, 0);
	if (esr & ((1u << 5) | (1u << 6)))
		report_pass("esr-illegal-vector");
	else
		report_fail("esr-illegal-vector",
			    "ESR 0x%x after a self IPI with vector 3 (send or "
			    "receive illegal vector expected)",
			    esr);
}

void check_registers(void)
{
	check_base_and_id();
	check_tpr_ppr();
	check_svr_masks();
	check_esr();
}
