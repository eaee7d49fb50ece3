/* SPDX-License-Identifier: MIT */
/*
 * XSAVE's control register: CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE,
 * XGETBV needs it, XSETBV takes only what the rules allow (SDM vol. 1,
 * 13.3; vol. 2B, XSETBV), CPUID.(0DH,0):EBX follows the XCR0 in force,
 * and the state XCR0 enables can be used: an AVX register round trip
 * proves the CPU runs with the guest's XCR0.
 */
#include "cpu.h"
#include "cpu_model.h"
#include "insn_probe.h"
#include "report.h"

#define CR4_OSXSAVE (1ul << 18)
#define XCR0_X87    1ull
#define XCR0_SSE    2ull
#define XCR0_AVX    4ull

void avx_roundtrip(const void *in, void *out); /* avx_probe.S */

static void check_osxsave_mirror(unsigned long cr4)
{
	write_cr4(cr4 & ~CR4_OSXSAVE);
	bool off = cpuid_has(1, 0, ECX, 27);
	uint64_t x;
	unsigned v = try_xgetbv(0, &x);
	write_cr4(cr4 | CR4_OSXSAVE);
	bool on = cpuid_has(1, 0, ECX, 27);
	if (!off && on && v == VEC_UD)
		report_pass("osxsave-follows-cr4");
	else
		report_fail(
			"osxsave-follows-cr4",
			"OSXSAVE with CR4.OSXSAVE 0: %u, 1: %u; XGETBV with "
			"it 0: vector %u (must be #UD)",
			off, on, v);
}

static uint64_t lowest_unsupported(uint64_t supported)
{
	for (unsigned i = 0; i < 63; i++)
		if (!(supported & (1ull << i)))
			return 1ull << i;
	return 0;
}

static void check_xsetbv(uint64_t supported)
{
	uint64_t got = 0;
	unsigned bad = 0;
	struct {
		const char *what;
		uint64_t value;
		uint32_t xcr;
		bool valid;
	} cases[] = {
		{ "x87|SSE", XCR0_X87 | XCR0_SSE, 0, true },
		{ "x87 clear", XCR0_SSE, 0, false },
		{ "XCR 1", XCR0_X87, 1, false },
		{ "an unsupported component",
		  XCR0_X87 | lowest_unsupported(supported), 0, false },
		{ "AVX without SSE", XCR0_X87 | XCR0_AVX, 0, false },
	};
	unsigned n = sizeof(cases) / sizeof(cases[0]);
	if (!(supported & XCR0_AVX))
		n--; /* without AVX that case is "unsupported" again */
	for (unsigned i = 0; i < n; i++) {
		unsigned v = try_xsetbv(cases[i].xcr, cases[i].value);
		(void)try_xgetbv(0, &got);
		bool ok = cases[i].valid ? !v && got == cases[i].value
					 : v == VEC_GP;
		if (!ok) {
			report_note("XSETBV %s (0x%llx): vector %u, XCR0 then "
				    "0x%llx",
				    cases[i].what,
				    (unsigned long long)cases[i].value, v,
				    (unsigned long long)got);
			bad++;
		}
	}
	if (!bad)
		report_pass("xsetbv");
	else
		report_fail("xsetbv", "%u XSETBV cases wrong", bad);
}

static void check_avx(uint64_t supported)
{
	if (!(supported & XCR0_AVX) || !cpuid_has(1, 0, ECX, 28)) {
		report_skip("avx-state", "no AVX");
		return;
	}
	try_xsetbv(0, XCR0_X87 | XCR0_SSE | XCR0_AVX);
	uint32_t size_avx = cpuid_reg(0xd, 0, EBX);
	static uint32_t in[8] __attribute__((aligned(
		32))) = { 1, 2, 3, 4, 0x55555555, 0xaaaaaaaa, 7, 0xdeadbeef };
	static uint32_t out[8] __attribute__((aligned(32)));
	avx_roundtrip(in, out);
	try_xsetbv(0, XCR0_X87 | XCR0_SSE);
	uint32_t size_sse = cpuid_reg(0xd, 0, EBX);
	unsigned same = 0;
	for (unsigned i = 0; i < 8; i++)
		same += in[i] == out[i];
	/* The legacy area and header are 576 bytes; AVX's 256 bytes of
	 * upper halves come after them (CPUID.(0DH,2)). */
	if (same == 8 && size_sse == 576 && size_avx >= 832)
		report_pass("avx-state");
	else
		report_fail("avx-state",
			    "%u of 8 words survived in YMM1; XSAVE size 0x%x "
			    "with x87|SSE (576 expected), 0x%x with AVX",
			    same, size_sse, size_avx);
}

void check_xsave(void)
{
	if (!cpuid_has(1, 0, ECX, 26)) {
		report_skip("xsave", "CPUID.1:ECX.XSAVE is 0");
		return;
	}
	unsigned long cr4 = read_cr4();
	uint64_t supported = ((uint64_t)cpuid_reg(0xd, 0, EDX) << 32) |
			     cpuid_reg(0xd, 0, EAX);
	check_osxsave_mirror(cr4);
	uint64_t xcr0 = 0;
	unsigned v = try_xgetbv(0, &xcr0);
	if (!v && (xcr0 & XCR0_X87) && !(xcr0 & ~supported))
		report_pass("xgetbv");
	else
		report_fail("xgetbv",
			    "vector %u, XCR0 0x%llx, supported 0x%llx", v,
			    (unsigned long long)xcr0,
			    (unsigned long long)supported);
	check_xsetbv(supported);
	check_avx(supported);
	try_xsetbv(0, xcr0);
	write_cr4(cr4);
}
