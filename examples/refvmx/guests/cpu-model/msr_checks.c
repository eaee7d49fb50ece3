/* SPDX-License-Identifier: MIT */
/*
 * The MSRs a kernel touches (SDM vol. 4, table 2-2), each against what
 * CPUID says exists: written, read back, and faulting where the SDM
 * says WRMSR faults.
 */
#include "cpu.h"
#include "cpu_model.h"
#include "insn_probe.h"
#include "report.h"

#define MSR_TSC		   0x10u
#define MSR_TSC_ADJUST	   0x3bu
#define MSR_SPEC_CTRL	   0x48u
#define MSR_BIOS_SIGN_ID   0x8bu
#define MSR_PMC0	   0xc1u
#define MSR_MTRRCAP	   0xfeu
#define MSR_MCG_CAP	   0x179u
#define MSR_PERFEVTSEL0	   0x186u
#define MSR_MISC_ENABLE	   0x1a0u
#define MSR_MTRR_PHYSBASE0 0x200u
#define MSR_PAT		   0x277u
#define MSR_MTRR_DEF_TYPE  0x2ffu
#define MSR_TSC_DEADLINE   0x6e0u
#define MSR_FS_BASE	   0xc0000100u
#define MSR_GS_BASE	   0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX	   0xc0000103u
/* An index no Intel CPU defines (none lies between the x2APIC block and
 * the VMX MSRs' neighbours at 0x4xxx...): RDMSR and WRMSR must #GP. */
#define MSR_UNDEFINED 0x40001234u

#define NONCANONICAL 0x0000800000000000ull
#define CANONICAL_HI 0xffff800012345000ull

/* An MSR every Intel 64 CPU has that the native emulator lacks (Bochs
 * 2.7 faults on IA32_MISC_ENABLE, IA32_BIOS_SIGN_ID and IA32_MCG_CAP):
 * natively that is a SKIP, under refvmx a FAIL. */
static bool lacking_natively(const char *check, unsigned vector)
{
	if (!vector || cpu_under_refvmx())
		return false;
	report_skip(check, "this CPU faults on it (Bochs 2.7 lacks it)");
	return true;
}

static void check_base(const char *check, uint32_t msr)
{
	uint64_t old = rdmsr(msr), got;
	unsigned v1 = try_wrmsr(msr, CANONICAL_HI);
	unsigned v2 = try_rdmsr(msr, &got);
	/* A non-canonical linear address is #GP (WRMSR), and nothing
	 * changes. */
	unsigned v3 = try_wrmsr(msr, NONCANONICAL);
	uint64_t after = rdmsr(msr);
	wrmsr(msr, old);
	if (!v1 && !v2 && got == CANONICAL_HI && v3 == VEC_GP &&
	    after == CANONICAL_HI)
		report_pass(check);
	else
		report_fail(check,
			    "write 0x%llx: vector %u, read 0x%llx; write "
			    "0x%llx: vector %u (must be #GP), then 0x%llx",
			    (unsigned long long)CANONICAL_HI, v1,
			    (unsigned long long)got,
			    (unsigned long long)NONCANONICAL, v3,
			    (unsigned long long)after);
}

/* SWAPGS exchanges GS's base with IA32_KERNEL_GS_BASE (SDM vol. 2B):
 * both are the guest's, in the CPU, while it runs. */
static void check_swapgs(void)
{
	uint64_t gs = rdmsr(MSR_GS_BASE), kgs = rdmsr(MSR_KERNEL_GS_BASE);
	wrmsr(MSR_GS_BASE, 0x1000);
	wrmsr(MSR_KERNEL_GS_BASE, 0x2000);
	__asm__ volatile("swapgs" ::: "memory");
	uint64_t a = rdmsr(MSR_GS_BASE), b = rdmsr(MSR_KERNEL_GS_BASE);
	__asm__ volatile("swapgs" ::: "memory");
	wrmsr(MSR_GS_BASE, gs);
	wrmsr(MSR_KERNEL_GS_BASE, kgs);
	if (a == 0x2000 && b == 0x1000)
		report_pass("swapgs");
	else
		report_fail("swapgs",
			    "after SWAPGS GS base 0x%llx, KERNEL_GS_BASE "
			    "0x%llx (expected 0x2000, 0x1000)",
			    (unsigned long long)a, (unsigned long long)b);
}

static void check_tsc(void)
{
	const uint64_t base = 0x0123456700000000ull;
	unsigned v = try_wrmsr(MSR_TSC, base);
	uint64_t t1 = rdtsc(), m = rdmsr(MSR_TSC), t2 = rdtsc();
	/* Writing IA32_TSC sets the counter RDTSC reads (SDM 17.17). */
	if (!v && t1 >= base && t1 - base < (1ull << 32) && m >= t1 && t2 >= m)
		report_pass("tsc-write");
	else
		report_fail("tsc-write",
			    "wrote 0x%llx (vector %u); RDTSC 0x%llx, RDMSR "
			    "0x%llx, RDTSC 0x%llx",
			    (unsigned long long)base, v, (unsigned long long)t1,
			    (unsigned long long)m, (unsigned long long)t2);
}

static void check_tsc_aux(void)
{
	uint64_t got;
	if (!cpuid_has(0x80000001u, 0, EDX, 27)) {
		if (try_rdmsr(MSR_TSC_AUX, &got) == VEC_GP)
			report_pass("tsc-aux");
		else
			report_fail("tsc-aux", "no RDTSCP, yet IA32_TSC_AUX "
					       "reads without #GP");
		return;
	}
	uint32_t aux, lo, hi;
	unsigned v = try_wrmsr(MSR_TSC_AUX, 0xabcde);
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	/* Bits 63:32 are reserved (#GP); Bochs 2.7 takes them natively. */
	unsigned reserved = try_wrmsr(MSR_TSC_AUX, 1ull << 32);
	wrmsr(MSR_TSC_AUX, 0xabcde);
	if (!cpu_under_refvmx() && reserved == 0)
		reserved = VEC_GP;
	if (v || aux != 0xabcde || reserved != VEC_GP) {
		report_fail("tsc-aux",
			    "write: vector %u; RDTSCP's ECX 0x%x (expected "
			    "0xabcde); bit 32: vector %u (must be #GP)",
			    v, aux, reserved);
		return;
	}
	report_pass("tsc-aux");
	if (!cpuid_has(7, 0, ECX, 22)) {
		report_skip("rdpid", "CPUID.(7,0):ECX.RDPID is 0");
		return;
	}
	uint64_t pid;
	__asm__ volatile("rdpid %0" : "=r"(pid));
	if (pid == 0xabcde)
		report_pass("rdpid");
	else
		report_fail("rdpid", "RDPID read 0x%llx, TSC_AUX is 0xabcde",
			    (unsigned long long)pid);
}

static void check_pat(void)
{
	const uint64_t value = 0x0006050407010600ull;
	uint64_t old = rdmsr(MSR_PAT), got, after;
	unsigned v = try_wrmsr(MSR_PAT, value);
	(void)try_rdmsr(MSR_PAT, &got);
	/* Memory types 2 and 3 are reserved: #GP (SDM 11.12.2). */
	unsigned bad = try_wrmsr(MSR_PAT, value | 0x02);
	(void)try_rdmsr(MSR_PAT, &after);
	wrmsr(MSR_PAT, old);
	if (!v && got == value && bad == VEC_GP && after == value)
		report_pass("pat");
	else
		report_fail("pat",
			    "write: vector %u, read 0x%llx; a type-2 entry: "
			    "vector %u (must be #GP), then 0x%llx",
			    v, (unsigned long long)got, bad,
			    (unsigned long long)after);
}

static void check_misc_enable(void)
{
	uint64_t v;
	unsigned r = try_rdmsr(MSR_MISC_ENABLE, &v);
	if (lacking_natively("misc-enable", r))
		return;
	if (r) {
		report_fail("misc-enable", "RDMSR IA32_MISC_ENABLE faulted");
		return;
	}
	unsigned w = try_wrmsr(MSR_MISC_ENABLE, v);
	/* Bit 7, "performance monitoring available", follows the PMU. */
	bool pmu = cpuid_reg(0xa, 0, EAX) & 0xff;
	if (!w && (bool)(v & BIT(7)) == pmu)
		report_pass("misc-enable");
	else
		report_fail("misc-enable",
			    "value 0x%llx (bit 7 must be %u), writing it back: "
			    "vector %u",
			    (unsigned long long)v, pmu, w);
}

static void check_mtrrs(void)
{
	uint64_t cap, def, x;
	if (!cpuid_has(1, 0, EDX, 12)) {
		report_skip("mtrr", "CPUID.1:EDX.MTRR is 0");
		return;
	}
	unsigned bad = 0;
	bad += try_rdmsr(MSR_MTRRCAP, &cap) != 0;
	bad += try_rdmsr(MSR_MTRR_DEF_TYPE, &def) != 0;
	for (unsigned i = 0; i < 2 * (cap & 0xff); i++)
		bad += try_rdmsr(MSR_MTRR_PHYSBASE0 + i, &x) != 0;
	if (!bad)
		report_pass("mtrr");
	else
		report_fail("mtrr",
			    "%u of the MTRRs MTRRCAP (0x%llx) lists "
			    "faulted on RDMSR",
			    bad, (unsigned long long)cap);
	if (!cpu_under_refvmx()) {
		report_skip("mtrr-def-type", "refvmx's promise only");
		return;
	}
	/* refvmx has no ranges (all memory is write-back) and keeps what
	 * IA32_MTRR_DEF_TYPE is given (a kernel turns MTRRs off while it
	 * would reprogram them): the type, FE and E; a reserved bit or an
	 * undefined type is #GP. */
	unsigned same = try_wrmsr(MSR_MTRR_DEF_TYPE, def);
	unsigned other = try_wrmsr(MSR_MTRR_DEF_TYPE, def ^ BIT(11));
	uint64_t back = 0;
	unsigned rd = try_rdmsr(MSR_MTRR_DEF_TYPE, &back);
	unsigned reserved = try_wrmsr(MSR_MTRR_DEF_TYPE, def | BIT(12));
	unsigned type2 = try_wrmsr(MSR_MTRR_DEF_TYPE, (def & ~0xffull) | 2);
	unsigned restore = try_wrmsr(MSR_MTRR_DEF_TYPE, def);
	if ((cap & 0xff) == 0 && (def & 0xcff) == 0x806 && !same && !other &&
	    !rd && back == (def ^ BIT(11)) && reserved == VEC_GP &&
	    type2 == VEC_GP && !restore)
		report_pass("mtrr-def-type");
	else
		report_fail(
			"mtrr-def-type",
			"MTRRCAP 0x%llx, DEF_TYPE 0x%llx; rewriting it: "
			"vector %u; changing E: vector %u, reads 0x%llx; "
			"bit 12: vector %u; type 2: vector %u (must be #GP)",
			(unsigned long long)cap, (unsigned long long)def, same,
			other, (unsigned long long)back, reserved, type2);
}

static void check_microcode_and_mca(void)
{
	uint64_t rev, mcg;
	/* The SDM's way to read the revision (9.11.7.1): write 0, CPUID,
	 * read. */
	unsigned v = try_wrmsr(MSR_BIOS_SIGN_ID, 0);
	(void)cpuid_reg(1, 0, EAX);
	unsigned r = try_rdmsr(MSR_BIOS_SIGN_ID, &rev);
	if (lacking_natively("microcode-revision", v | r))
		;
	else if (!v && !r)
		report_pass("microcode-revision");
	else
		report_fail("microcode-revision",
			    "write 0: vector %u, read: vector %u", v, r);
	if (!cpuid_has(1, 0, EDX, 14)) {
		report_skip("mcg-cap", "CPUID.1:EDX.MCA is 0");
		return;
	}
	r = try_rdmsr(MSR_MCG_CAP, &mcg);
	if (lacking_natively("mcg-cap", r))
		return;
	if (!r)
		report_pass("mcg-cap");
	else
		report_fail("mcg-cap", "RDMSR IA32_MCG_CAP faulted");
}

/* An MSR the CPU does not have: both accesses are #GP. */
static void expect_absent(const char *name, uint32_t msr, unsigned *bad)
{
	uint64_t x;
	unsigned r = try_rdmsr(msr, &x), w = try_wrmsr(msr, 0);
	if (r != VEC_GP || w != VEC_GP) {
		report_note("%s (MSR 0x%x): RDMSR vector %u, WRMSR vector %u",
			    name, msr, r, w);
		(*bad)++;
	}
}

static void check_absent_msrs(void)
{
	unsigned bad = 0, tried = 1;
	expect_absent("undefined", MSR_UNDEFINED, &bad);
	if (!cpuid_has(1, 0, ECX, 24)) {
		expect_absent("TSC_DEADLINE", MSR_TSC_DEADLINE, &bad);
		tried++;
	}
	if (!(cpuid_reg(0xa, 0, EAX) & 0xff00)) {
		expect_absent("PERFEVTSEL0", MSR_PERFEVTSEL0, &bad);
		expect_absent("PMC0", MSR_PMC0, &bad);
		tried += 2;
	}
	if (!cpuid_has(7, 0, EDX, 26)) {
		expect_absent("SPEC_CTRL", MSR_SPEC_CTRL, &bad);
		tried++;
	}
	if (!cpuid_has(7, 0, EBX, 1)) {
		expect_absent("TSC_ADJUST", MSR_TSC_ADJUST, &bad);
		tried++;
	}
	if (!bad)
		report_pass("absent-msrs-fault");
	else
		report_fail("absent-msrs-fault",
			    "%u of %u MSRs CPUID says are absent did not #GP",
			    bad, tried);
}

void check_msrs(void)
{
	check_base("fs-base", MSR_FS_BASE);
	check_base("gs-base", MSR_GS_BASE);
	check_base("kernel-gs-base", MSR_KERNEL_GS_BASE);
	check_swapgs();
	check_tsc();
	check_tsc_aux();
	check_pat();
	check_misc_enable();
	check_mtrrs();
	check_microcode_and_mca();
	check_absent_msrs();
}
