/* SPDX-License-Identifier: MIT */
/*
 * Just enough ACPI to find the processors: RSDP -> XSDT (or RSDT) ->
 * MADT, whose Processor Local APIC (type 0) and Processor Local x2APIC
 * (type 9) entries list them (ACPI 6.x, 5.2.12).
 */
#include "acpi.h"

#include <stdbool.h>

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __attribute__((packed));

static bool checksum_ok(const void *p, uint32_t len)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

static bool is(const struct sdt_header *h, const char *sig)
{
	for (int i = 0; i < 4; i++)
		if (h->signature[i] != sig[i])
			return false;
	return checksum_ok(h, h->length);
}

static const struct sdt_header *find_madt(uint64_t rsdp)
{
	const uint8_t *r = (const uint8_t *)rsdp;
	if (!rsdp || r[0] != 'R' || r[1] != 'S' || r[2] != 'D')
		return 0;
	uint8_t revision = r[15];
	uint64_t xsdt = revision >= 2 ? *(const uint64_t *)(r + 24) : 0;
	uint32_t rsdt = *(const uint32_t *)(r + 16);
	const struct sdt_header *root =
		(const struct sdt_header *)(xsdt ? xsdt : rsdt);
	unsigned entry_size = xsdt ? 8 : 4;
	if (!root || !checksum_ok(root, root->length))
		return 0;
	unsigned n = (root->length - sizeof(*root)) / entry_size;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = entry_size == 8
				     ? *(const uint64_t *)(entries + 8 * i)
				     : *(const uint32_t *)(entries + 4 * i);
		const struct sdt_header *h = (const struct sdt_header *)a;
		if (h && is(h, "APIC"))
			return h;
	}
	return 0;
}

unsigned acpi_find_cpus(uint64_t rsdp, uint32_t *apic_ids, unsigned max)
{
	const struct sdt_header *madt = find_madt(rsdp);
	if (!madt)
		return 0;
	unsigned n = 0;
	/* After the header: the local APIC address and flags (8 bytes). */
	const uint8_t *p = (const uint8_t *)(madt + 1) + 8;
	const uint8_t *end = (const uint8_t *)madt + madt->length;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		if (p[0] == 0 && p[1] >= 8 && (p[4] & 1) && n < max)
			apic_ids[n++] = p[3];
		else if (p[0] == 9 && p[1] >= 16 && (p[8] & 1) && n < max)
			apic_ids[n++] = *(const uint32_t *)(p + 4);
		p += p[1];
	}
	return n;
}
