/* SPDX-License-Identifier: MIT */
/*
 * CPUID against what it governs: a CR4 or EFER bit of a feature CPUID
 * does not list is reserved (#GP on MOV to CR4 / WRMSR, SDM vol. 2B and
 * 4.1.4), an instruction of an absent feature is #UD, RDPMC without
 * counters is #GP. Under refvmx, also what it promises to hide.
 */
#include "cpu.h"
#include "cpu_model.h"
#include "fault_probe.h"
#include "insn_probe.h"
#include "report.h"

struct feature_bit {
	const char *name;
	unsigned cr4_bit;
	uint32_t leaf;
	unsigned reg, bit;
};

/* Each CR4 bit with the CPUID bit of its feature (SDM vol. 3A, 2.5
 * and the CPUID tables). LA57 cannot change in IA-32e mode at all, so
 * it is only checked where CPUID lacks it. */
static const struct feature_bit cr4_bits[] = {
	{ "VME", 0, 1, EDX, 1 },     { "PVI", 1, 1, EDX, 1 },
	{ "DE", 3, 1, EDX, 2 },	     { "PSE", 4, 1, EDX, 3 },
	{ "MCE", 6, 1, EDX, 7 },     { "PGE", 7, 1, EDX, 13 },
	{ "OSFXSR", 9, 1, EDX, 24 }, { "UMIP", 11, 7, ECX, 2 },
	{ "LA57", 12, 7, ECX, 16 },  { "VMXE", 13, 1, ECX, 5 },
	{ "SMXE", 14, 1, ECX, 6 },   { "FSGSBASE", 16, 7, EBX, 0 },
	{ "PCIDE", 17, 1, ECX, 17 }, { "OSXSAVE", 18, 1, ECX, 26 },
	{ "SMEP", 20, 7, EBX, 7 },   { "SMAP", 21, 7, EBX, 20 },
	{ "PKE", 22, 7, ECX, 3 },
};

static void check_cr4_bits(void)
{
	unsigned long cr4 = read_cr4();
	unsigned bad = 0;
	for (unsigned i = 0; i < sizeof(cr4_bits) / sizeof(cr4_bits[0]); i++) {
		const struct feature_bit *f = &cr4_bits[i];
		unsigned long bit = 1ul << f->cr4_bit;
		bool shown = cpuid_has(f->leaf, 0, f->reg, f->bit);
		if ((cr4 & bit) || (shown && f->cr4_bit == 12))
			continue;
		unsigned v = try_write_cr4(cr4 | bit);
		bool set = read_cr4() & bit;
		write_cr4(cr4);
		if (shown ? (v || !set) : v != VEC_GP) {
			report_note("CR4.%s: CPUID %s it, setting it gave "
				    "vector %u",
				    f->name, shown ? "shows" : "lacks", v);
			bad++;
		}
	}
	if (!bad)
		report_pass("cr4-bits-follow-cpuid");
	else
		report_fail("cr4-bits-follow-cpuid",
			    "%u CR4 bits disagree with CPUID", bad);
}

static void check_efer_bits(void)
{
	uint64_t efer = rdmsr(X86_MSR_EFER);
	struct {
		const char *name;
		unsigned bit;
		bool shown;
	} bits[] = {
		{ "SCE", 0, cpuid_has(0x80000001u, 0, EDX, 11) },
		{ "NXE", 11, cpuid_has(0x80000001u, 0, EDX, 20) },
		{ "bit 1 (reserved)", 1, false },
		{ "LMSLE (AMD only)", 13, false },
	};
	unsigned bad = 0;
	for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		uint64_t bit = 1ull << bits[i].bit;
		if (efer & bit)
			continue;
		unsigned v = try_wrmsr(X86_MSR_EFER, efer | bit);
		wrmsr(X86_MSR_EFER, efer);
		if (bits[i].shown ? v != 0 : v != VEC_GP) {
			report_note("EFER.%s: vector %u", bits[i].name, v);
			bad++;
		}
	}
	if (!bad)
		report_pass("efer-bits-follow-cpuid");
	else
		report_fail("efer-bits-follow-cpuid",
			    "%u EFER bits disagree with CPUID", bad);
}

static void invpcid_all(void *unused)
{
	(void)unused;
	uint64_t desc[2] = { 0, 0 };
	__asm__ volatile("invpcid %0, %1" : : "m"(desc), "r"(2ul) : "memory");
}

static void monitor_here(void *unused)
{
	(void)unused;
	__asm__ volatile("monitor" : : "a"(&cr4_bits), "c"(0), "d"(0));
}

static void rdpmc_0(void *unused)
{
	(void)unused;
	uint32_t lo, hi;
	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0));
}

static void check_absent_instructions(void)
{
	struct fault f;
	bool faulted = probe_call(invpcid_all, 0, &f);
	if (cpuid_has(7, 0, EBX, 10) ? !faulted : faulted && f.vector == VEC_UD)
		report_pass("invpcid");
	else
		report_fail("invpcid", "CPUID %s INVPCID; it raised %s %lu",
			    cpuid_has(7, 0, EBX, 10) ? "shows" : "lacks",
			    faulted ? "vector" : "nothing,",
			    faulted ? f.vector : 0ul);

	if (cpuid_has(1, 0, ECX, 3)) {
		report_skip("monitor-absent", "the CPU has MONITOR");
	} else {
		faulted = probe_call(monitor_here, 0, &f);
		if (faulted && f.vector == VEC_UD)
			report_pass("monitor-absent");
		else
			report_fail("monitor-absent",
				    "MONITOR without CPUID.1:ECX.MONITOR: %s "
				    "%lu (must be #UD)",
				    faulted ? "vector" : "no fault",
				    faulted ? f.vector : 0ul);
	}

	/* No general-purpose or fixed counters: RDPMC has none to read. */
	if ((cpuid_reg(0xa, 0, EAX) & 0xff00) ||
	    (cpuid_reg(0xa, 0, EDX) & 0x1f)) {
		report_skip("rdpmc-without-pmu", "the CPU has counters");
		return;
	}
	faulted = probe_call(rdpmc_0, 0, &f);
	if (faulted && f.vector == VEC_GP)
		report_pass("rdpmc-without-pmu");
	else
		report_fail("rdpmc-without-pmu",
			    "RDPMC 0: %s %lu (must be #GP)",
			    faulted ? "vector" : "no fault",
			    faulted ? f.vector : 0ul);
}

static void check_apic_ids(void)
{
	if (cpuid_reg(0, 0, EAX) < 0xb || !cpuid_reg(0xb, 0, EBX)) {
		report_skip("apic-id-leaves", "no leaf 0BH");
		return;
	}
	uint32_t initial = cpuid_reg(1, 0, EBX) >> 24;
	uint32_t x2 = cpuid_reg(0xb, 0, EDX);
	if ((x2 & 0xff) == initial)
		report_pass("apic-id-leaves");
	else
		report_fail("apic-id-leaves",
			    "CPUID.1:EBX[31:24] %u, CPUID.0BH:EDX %u", initial,
			    x2);
}

/* What refvmx hides on purpose (guest_cpu.c): the PMU, features whose
 * MSRs or state it does not emulate, and what libshadowmmu does not
 * yet take from a guest (LA57). PCID and INVPCID are shown when the
 * CPU has them. */
static void check_hidden(void)
{
	if (!cpu_under_refvmx()) {
		report_skip("pmu-hidden", "refvmx's promise only");
		report_skip("features-hidden", "refvmx's promise only");
		return;
	}
	uint32_t a = cpuid_reg(0xa, 0, EAX), b = cpuid_reg(0xa, 0, EBX),
		 c = cpuid_reg(0xa, 0, ECX), d = cpuid_reg(0xa, 0, EDX);
	if (!a && !b && !c && !d && !cpuid_has(1, 0, ECX, 15) &&
	    !cpuid_has(1, 0, ECX, 2) && !cpuid_has(1, 0, EDX, 21))
		report_pass("pmu-hidden");
	else
		report_fail("pmu-hidden",
			    "leaf 0AH %08x %08x %08x %08x, PDCM %u, DTES64 %u, "
			    "DS %u",
			    a, b, c, d, cpuid_has(1, 0, ECX, 15),
			    cpuid_has(1, 0, ECX, 2), cpuid_has(1, 0, EDX, 21));
	static const struct {
		const char *name;
		uint32_t leaf;
		unsigned reg, bit;
	} hidden[] = {
		{ "MONITOR", 1, ECX, 3 },    { "VMX", 1, ECX, 5 },
		{ "SMX", 1, ECX, 6 },	     { "TSC-deadline", 1, ECX, 24 },
		{ "TSC_ADJUST", 7, EBX, 1 }, { "PKU", 7, ECX, 3 },
		{ "LA57", 7, ECX, 16 },
	};
	unsigned shown = 0;
	for (unsigned i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		if (cpuid_has(hidden[i].leaf, 0, hidden[i].reg,
			      hidden[i].bit)) {
			report_note("%s is shown", hidden[i].name);
			shown++;
		}
	}
	if (!shown && cpuid_has(1, 0, ECX, 31) && cpuid_has(1, 0, ECX, 21))
		report_pass("features-hidden");
	else
		report_fail("features-hidden",
			    "%u hidden features shown; hypervisor bit %u, "
			    "x2APIC %u",
			    shown, cpuid_has(1, 0, ECX, 31),
			    cpuid_has(1, 0, ECX, 21));
}

void check_cpuid_and_controls(void)
{
	check_cr4_bits();
	check_efer_bits();
	check_absent_instructions();
	check_apic_ids();
	check_hidden();
}
