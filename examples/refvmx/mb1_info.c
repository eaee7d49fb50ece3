/* SPDX-License-Identifier: MIT */
#include "mb1_info.h"

#include <stddef.h>

#include "console.h"
#include "mem.h"

/* Information flags (Multiboot 3.3). */
#define INFO_MEMORY	 (1u << 0) /* mem_lower, mem_upper */
#define INFO_CMDLINE	 (1u << 2)
#define INFO_MODS	 (1u << 3)
#define INFO_MMAP	 (1u << 6)
#define INFO_LOADER_NAME (1u << 9)

/* The structure, through boot_loader_name; the rest (APM, VBE,
 * framebuffer) stays zero with its flags clear. */
struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB below 640 KiB / above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint8_t vbe_and_framebuffer[48];
};

struct mb1_module {
	uint32_t mod_start, mod_end; /* end exclusive, as GRUB passes it */
	uint32_t string;
	uint32_t reserved;
};

/* A memory-map entry; `size` does not count itself. */
struct mb1_mmap_entry {
	uint32_t size;
	uint64_t base_addr, length;
	uint32_t type;
} __attribute__((packed));

#define MMAP_AVAILABLE 1
#define MMAP_RESERVED  2
#define MMAP_ENTRIES   6

/* A PC's low memory: conventional RAM up to the EBDA, the BIOS area at
 * the top of the first megabyte; the local APIC's page. */
#define EBDA_START  0x9fc00u
#define LOW_END	    0xa0000u
#define BIOS_START  0xf0000u
#define HIGH_START  0x100000u
#define APIC_PAGE   0xfee00000u
#define LOADER_NAME "refvmx"

static uint64_t page_up(uint64_t x)
{
	return (x + 4095) & ~4095ull;
}

static uint64_t str_size(const char *s)
{
	uint64_t n = 1;
	while (*s++)
		n++;
	return n;
}

static void *gpa_ptr(uint64_t gpa)
{
	return (void *)(mem.guest_base + gpa);
}

static void copy(uint64_t gpa, const void *src, uint64_t n)
{
	uint8_t *d = gpa_ptr(gpa);
	const uint8_t *s = src;
	for (uint64_t i = 0; i < n; i++)
		d[i] = s[i];
}

/* A bump allocator over the reserved region, from its bottom. */
struct region {
	uint64_t next;
};

static uint32_t put(struct region *r, const void *src, uint64_t n,
		    uint64_t align)
{
	r->next = (r->next + align - 1) & ~(align - 1);
	uint64_t at = r->next;
	copy(at, src, n);
	r->next += n;
	return (uint32_t)at;
}

static void put_mmap(struct mb1_mmap_entry *e, unsigned *n, uint64_t base,
		     uint64_t end, uint32_t type)
{
	e[(*n)++] = (struct mb1_mmap_entry){ sizeof(*e) - 4, base, end - base,
					     type };
}

uint32_t mb1_info_build(const struct boot_info *bi,
			const struct guest_image *img)
{
	const char *cmdline = bi->module[0].name;
	unsigned nr_mods = bi->nr_modules - 1;
	/* What the reserved region holds: the structure, the map, the
	 * strings and the module list first, then each module on pages of
	 * its own. */
	uint64_t meta = sizeof(struct mb1_info) + 8 +
			MMAP_ENTRIES * sizeof(struct mb1_mmap_entry) +
			str_size(LOADER_NAME) + str_size(cmdline) +
			nr_mods * sizeof(struct mb1_module) + 16;
	for (unsigned i = 1; i <= nr_mods; i++)
		meta += str_size(bi->module[i].name);
	uint64_t total = page_up(meta);
	for (unsigned i = 1; i <= nr_mods; i++)
		total += page_up(bi->module[i].end - bi->module[i].start);
	uint64_t base = (mem.guest_size - total) & ~4095ull;
	if (total >= mem.guest_size || base < page_up(img->end) ||
	    base < HIGH_START) {
		kprintf("refvmx: the Multiboot information and %u module(s) "
			"(%llu KiB) do not fit in guest RAM above the kernel "
			"(ends at 0x%llx)\n",
			nr_mods, (unsigned long long)(total >> 10),
			(unsigned long long)img->end);
		return 0;
	}

	struct region r = { base };
	struct mb1_info info = { 0 };
	uint32_t info_gpa = put(&r, &info, sizeof(info), 8);

	struct mb1_mmap_entry map[MMAP_ENTRIES];
	unsigned n = 0;
	put_mmap(map, &n, 0, EBDA_START, MMAP_AVAILABLE);
	put_mmap(map, &n, EBDA_START, LOW_END, MMAP_RESERVED);
	put_mmap(map, &n, BIOS_START, HIGH_START, MMAP_RESERVED);
	put_mmap(map, &n, HIGH_START, base, MMAP_AVAILABLE);
	put_mmap(map, &n, base, mem.guest_size, MMAP_RESERVED);
	put_mmap(map, &n, APIC_PAGE, APIC_PAGE + 4096, MMAP_RESERVED);

	info.flags = INFO_MEMORY | INFO_CMDLINE | INFO_MODS | INFO_MMAP |
		     INFO_LOADER_NAME;
	info.mem_lower = EBDA_START >> 10;
	info.mem_upper = (uint32_t)((base - HIGH_START) >> 10);
	info.mmap_addr = put(&r, map, n * sizeof(map[0]), 8);
	info.mmap_length = n * sizeof(map[0]);
	info.boot_loader_name = put(&r, LOADER_NAME, str_size(LOADER_NAME), 1);
	info.cmdline = put(&r, cmdline, str_size(cmdline), 1);

	struct mb1_module mods[MB2_MAX_MODULES] = { 0 };
	for (unsigned i = 0; i < nr_mods; i++) {
		const struct mb2_module *m = &bi->module[i + 1];
		mods[i].string = put(&r, m->name, str_size(m->name), 1);
	}
	info.mods_addr = put(&r, mods, nr_mods * sizeof(mods[0]), 16);
	info.mods_count = nr_mods;
	for (unsigned i = 0; i < nr_mods; i++) {
		const struct mb2_module *m = &bi->module[i + 1];
		mods[i].mod_start = put(&r, (const void *)m->start,
					m->end - m->start, 4096);
		mods[i].mod_end =
			(uint32_t)(mods[i].mod_start + (m->end - m->start));
	}
	copy(info.mods_addr, mods, nr_mods * sizeof(mods[0]));
	copy(info_gpa, &info, sizeof(info));
	kprintf("refvmx: Multiboot information at gpa 0x%x: mem_lower %u "
		"KiB, mem_upper %u KiB, %u module(s), command line '%s'\n",
		info_gpa, info.mem_lower, info.mem_upper, nr_mods, cmdline);
	return info_gpa;
}
