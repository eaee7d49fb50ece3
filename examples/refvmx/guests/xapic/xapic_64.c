/* SPDX-License-Identifier: MIT */
/*
 * xapic, 64-bit stage: the APIC page mapped (uncached, SDM 10.4.1) at
 * its address and through an alias above 4 GiB; every MOV form on it;
 * CR8 as the task priority; then the mode transitions of
 * IA32_APIC_BASE (SDM 10.12.5.1), last, because natively Bochs cannot
 * enable an APIC again once it was disabled.
 */
#include "address_space.h"
#include "cpu.h"
#include "insn_probe.h"
#include "layout.h"
#include "paging_enter.h"
#include "report.h"
#include "stage.h"
#include "trap.h"
#include "xapic.h"

#define APIC_ALIAS  0x00007f00fee00000ul
#define X2APIC_ID   0x802u
#define X2APIC_VER  0x803u
#define X2APIC_TPR  0x808u
#define X2APIC_EOI  0x80bu
#define X2APIC_SELF 0x83fu
#define SELF_VECTOR 0x71
#define MMIO_FLAGS  (X86_PTE_P | X86_PTE_RW | X86_PTE_PWT | X86_PTE_PCD)

void read_forms(uint32_t out[8]);
void tpr_store_imm(void);
void tpr_store_r11(uint32_t v);
void tpr_store_moffs(uint32_t v);
void tpr_store_moffs_alias(uint32_t v);

static volatile uint32_t self_ipis;

static void self_ipi_handler(struct trap_frame *f)
{
	(void)f;
	self_ipis++;
	wrmsr(X2APIC_EOI, 0);
}

static unsigned long read_cr8(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void write_cr8(unsigned long v)
{
	__asm__ volatile("mov %0, %%cr8" : : "r"(v));
}

static void map_apic(void)
{
	static struct address_space as;
	pt_pool_reset();
	as_init(&as, &paging_4level);
	as_map_identity(&as, LAYOUT_IDENTITY_END, 2);
	as_map(&as, APIC_PAGE, APIC_PAGE, 1, MMIO_FLAGS);
	as_map(&as, APIC_ALIAS, APIC_PAGE, 1, MMIO_FLAGS);
	paging_enter(&as);
}

static void check_mov_forms(void)
{
	uint32_t v[8];
	apic_write(APIC_TPR, 0xf0);
	read_forms(v);
	apic_write(APIC_TPR, 0);
	uint32_t version = apic_read(APIC_VERSION);
	uint32_t want[8] = { version, version, version & 0xff, version & 0xffff,
			     version, version, version & 0xff, 0xfffffff0u };
	unsigned bad = 0;
	for (unsigned i = 0; i < 8; i++) {
		if (v[i] != want[i]) {
			report_note("load form %u read 0x%x, expected 0x%x", i,
				    v[i], want[i]);
			bad++;
		}
	}
	if (!bad)
		report_pass("load-forms");
	else
		report_fail("load-forms", "%u of 8 load forms wrong", bad);

	uint32_t t[4];
	tpr_store_imm();
	t[0] = apic_read(APIC_TPR);
	tpr_store_r11(0x20);
	t[1] = apic_read(APIC_TPR);
	tpr_store_moffs(0x30);
	t[2] = apic_read(APIC_TPR);
	tpr_store_moffs_alias(0x40);
	t[3] = apic_read(APIC_TPR);
	apic_write(APIC_TPR, 0);
	if (t[0] == 0x10 && t[1] == 0x20 && t[2] == 0x30 && t[3] == 0x40)
		report_pass("store-forms");
	else
		report_fail(
			"store-forms",
			"TPR after C7 0x%x (0x10), 89 with REX 0x%x (0x20), "
			"A3 0x%x (0x30), A3 above 4 GiB 0x%x (0x40)",
			t[0], t[1], t[2], t[3]);
}

/* CR8 is TPR[7:4] (SDM 10.8.6.1). */
static void check_cr8(void)
{
	write_cr8(3);
	uint32_t tpr = apic_read(APIC_TPR);
	apic_write(APIC_TPR, 0x50);
	unsigned long cr8 = read_cr8();
	write_cr8(0);
	if (tpr == 0x30 && cr8 == 5 && apic_read(APIC_TPR) == 0)
		report_pass("cr8-is-tpr");
	else
		report_fail("cr8-is-tpr",
			    "CR8 3 gave TPR 0x%x (0x30); TPR 0x50 gave CR8 %lu",
			    tpr, cr8);
}

static void check_x2apic(uint64_t base)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 21))) {
		report_skip("x2apic-switch", "CPUID.1:ECX.x2APIC is 0");
		return;
	}
	apic_write(APIC_TPR, 0x40);
	uint32_t version = apic_read(APIC_VERSION);
	unsigned v = try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	uint64_t id = rdmsr(X2APIC_ID), tpr = rdmsr(X2APIC_TPR);
	uint64_t ver = rdmsr(X2APIC_VER);
	wrmsr(X2APIC_TPR, 0);
	cpuid(0xb, 0, r);
	/* The state is kept across the switch; the ID is the x2APIC ID
	 * CPUID reports (SDM 10.12.5.1). */
	if (!v && id == r[3] && tpr == 0x40 && ver == version)
		report_pass("x2apic-switch");
	else
		report_fail("x2apic-switch",
			    "WRMSR EXTD: vector %u; x2APIC ID %llu (CPUID %u), "
			    "TPR 0x%llx (0x40), version 0x%llx (0x%x)",
			    v, (unsigned long long)id, r[3],
			    (unsigned long long)tpr, (unsigned long long)ver,
			    version);

	trap_set_interrupt(SELF_VECTOR, self_ipi_handler);
	sti();
	wrmsr(X2APIC_SELF, SELF_VECTOR);
	for (unsigned i = 0; i < 2000 && !self_ipis; i++)
		__asm__ volatile("pause");
	cli();
	if (self_ipis == 1)
		report_pass("x2apic-self-ipi");
	else
		report_fail("x2apic-self-ipi", "%u self IPI(s) taken",
			    self_ipis);

	/* x2APIC to xAPIC directly, or EXTD without EN: #GP. */
	unsigned to_xapic = try_wrmsr(MSR_APIC_BASE, base);
	unsigned extd_only =
		try_wrmsr(MSR_APIC_BASE,
			  (base & ~(uint64_t)APIC_BASE_EN) | APIC_BASE_EXTD);
	unsigned to_off =
		try_wrmsr(MSR_APIC_BASE,
			  base & ~(uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD));
	cpuid(1, 0, r);
	bool cpuid_apic_off = !(r[3] & (1u << 9));
	if (to_xapic == VEC_GP && extd_only == VEC_GP && !to_off &&
	    cpuid_apic_off)
		report_pass("x2apic-exits");
	else
		report_fail("x2apic-exits",
			    "x2APIC->xAPIC: vector %u (#GP), EXTD alone %u "
			    "(#GP), ->disabled %u (0), CPUID.1:EDX.APIC then "
			    "%u (0)",
			    to_xapic, extd_only, to_off, !cpuid_apic_off);

	/* Disabled reaches x2APIC only through xAPIC: #GP. Bochs 2.7
	 * natively ignores any enabling write instead. */
	unsigned off_to_x2 = try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	bool still_off = !(rdmsr(MSR_APIC_BASE) & APIC_BASE_EN);
	if (off_to_x2 == VEC_GP && still_off)
		report_pass("disabled-to-x2apic-faults");
	else if (!off_to_x2 && still_off && !cpu_under_refvmx())
		report_skip("disabled-to-x2apic-faults",
			    "this CPU ignores enabling writes once disabled "
			    "(Bochs 2.7)");
	else
		report_fail("disabled-to-x2apic-faults",
			    "WRMSR EN|EXTD from disabled: vector %u (#GP), "
			    "the APIC %s",
			    off_to_x2, still_off ? "off" : "on");

	/* Disabled to xAPIC: the SDM allows it (10.4.3); Bochs 2.7, like
	 * P6-family CPUs, keeps the APIC off until reset. */
	unsigned on = try_wrmsr(MSR_APIC_BASE, base);
	bool enabled = rdmsr(MSR_APIC_BASE) & APIC_BASE_EN;
	if ((on || !enabled) && !cpu_under_refvmx()) {
		report_skip("reenable-xapic", "this CPU cannot enable its "
					      "APIC again (Bochs 2.7)");
		return;
	}
	uint32_t id_after = apic_id();
	cpuid(1, 0, r);
	if (!on && enabled && apic_read(APIC_VERSION) == version &&
	    id_after == r[1] >> 24)
		report_pass("reenable-xapic");
	else
		report_fail("reenable-xapic",
			    "WRMSR EN: vector %u, EN %u; version 0x%x (0x%x), "
			    "ID %u (%u)",
			    on, enabled, apic_read(APIC_VERSION), version,
			    id_after, r[1] >> 24);
}

void stage64_main(struct report_totals *totals)
{
	report_init(totals, "xapic");
	trap_init();
	map_apic();
	report_mode("xapic-64");
	check_mov_forms();
	check_cr8();
	report_mode("modes");
	check_x2apic(rdmsr(MSR_APIC_BASE));
	report_finish();
}
