/* SPDX-License-Identifier: MIT */
/*
 * MP Specification 1.4: a floating pointer structure ("_MP_", 16 bytes,
 * checksummed) in the first KiB of the EBDA, the last KiB of base memory
 * or the BIOS ROM at 0xf0000-0xfffff points at the configuration table,
 * whose processor entries (type 0, 20 bytes) carry the local APIC ID and
 * an enabled flag.
 */
#include "mptable.h"

#include <stdbool.h>

static bool sum_ok(const uint8_t *p, unsigned len)
{
	uint8_t s = 0;
	for (unsigned i = 0; i < len; i++)
		s += p[i];
	return s == 0;
}

static const uint8_t *scan(uint64_t start, uint64_t len)
{
	for (uint64_t a = start; a + 16 <= start + len; a += 16) {
		const uint8_t *p = (const uint8_t *)a;
		if (p[0] == '_' && p[1] == 'M' && p[2] == 'P' && p[3] == '_' &&
		    p[8] == 1 && sum_ok(p, 16))
			return p;
	}
	return 0;
}

/* A 16-bit word of the BIOS data area. The address goes through an
 * empty asm so that the compiler does not judge a load from a small
 * constant address to be out of bounds. */
static uint16_t bda_word(uint64_t addr)
{
	__asm__("" : "+r"(addr));
	return *(const volatile uint16_t *)addr;
}

unsigned mptable_find_cpus(uint32_t *apic_ids, unsigned max)
{
	uint64_t ebda = (uint64_t)bda_word(0x40e) << 4;
	uint64_t base_kib = bda_word(0x413);
	const uint8_t *fp = ebda ? scan(ebda, 1024) : 0;
	if (!fp && base_kib)
		fp = scan(base_kib * 1024 - 1024, 1024);
	if (!fp)
		fp = scan(0xf0000, 0x10000);
	uint32_t table = fp ? *(const uint32_t *)(fp + 4) : 0;
	if (!table)
		return 0; /* none, or a default configuration */
	const uint8_t *t = (const uint8_t *)(uint64_t)table;
	uint16_t len = *(const uint16_t *)(t + 4);
	uint16_t count = *(const uint16_t *)(t + 34);
	if (t[0] != 'P' || t[1] != 'C' || t[2] != 'M' || t[3] != 'P' ||
	    !sum_ok(t, len))
		return 0;
	unsigned n = 0;
	const uint8_t *e = t + 44;
	for (unsigned i = 0; i < count && e < t + len; i++) {
		if (e[0] == 0) { /* processor */
			if ((e[3] & 1) && n < max)
				apic_ids[n++] = e[1];
			e += 20;
		} else {
			e += 8; /* bus, I/O APIC, interrupt assignments */
		}
	}
	return n;
}
