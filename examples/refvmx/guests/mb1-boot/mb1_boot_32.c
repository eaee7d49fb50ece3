/* SPDX-License-Identifier: MIT */
/*
 * mb1-boot, 32-bit stage: what a Multiboot 1 boot loader must hand the
 * kernel (Multiboot Specification 0.6.96, 3.2 "Machine state" and 3.3
 * "Boot information format"), checked with paging off, where every
 * physical address is reachable. The harness boots the image with the
 * command line arguments "alpha beta=2" and one module, test_module.bin,
 * whose string is "testmod". The same checks hold for GRUB natively and
 * for refvmx; refvmx also promises to keep everything it builds out of
 * the memory the map offers the kernel (info-reserved).
 */
#include "cpu.h"
#include "layout.h"
#include "report.h"
#include "stage.h"
#include "test_module.h"
#include "trap.h"

#define LOADER_MAGIC 0x2badb002u
#define CR0_PE	     0x1u
#define CR0_PG	     0x80000000u
#define EFLAGS_IF    (1u << 9)
#define EFLAGS_VM    (1u << 17)

/* Information flags (3.3). */
#define INFO_MEMORY	 (1u << 0)
#define INFO_CMDLINE	 (1u << 2)
#define INFO_MODS	 (1u << 3)
#define INFO_MMAP	 (1u << 6)
#define INFO_LOADER_NAME (1u << 9)

#define MMAP_AVAILABLE 1u
#define HIGH_MEMORY    0x100000ull
#define CMDLINE_ARGS   "alpha beta=2"
#define MODULE_STRING  "testmod"

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
};

struct mb1_module {
	uint32_t mod_start, mod_end, string, reserved;
};

struct mb1_mmap_entry {
	uint32_t size;
	uint64_t base_addr, length;
	uint32_t type;
} __attribute__((packed));

/* A range of physical memory the loader filled, for the placement
 * checks. */
struct region {
	const char *what;
	uint64_t start, end;
};

#define MAX_REGIONS 8

static struct region regions[MAX_REGIONS];
static unsigned nr_regions;

static void add_region(const char *what, uint64_t start, uint64_t size)
{
	if (nr_regions < MAX_REGIONS)
		regions[nr_regions++] =
			(struct region){ what, start, start + size };
}

static uint32_t str_len(uint32_t addr)
{
	const char *s = (const char *)(uintptr_t)addr;
	uint32_t n = 0;
	while (s[n] && n < 4096)
		n++;
	return n;
}

static bool ends_with(uint32_t addr, const char *suffix)
{
	const char *s = (const char *)(uintptr_t)addr;
	uint32_t n = str_len(addr), m = 0;
	while (suffix[m])
		m++;
	if (n < m)
		return false;
	for (uint32_t i = 0; i < m; i++)
		if (s[n - m + i] != suffix[i])
			return false;
	/* A whole word: the start of the string or a space before it. */
	return n == m || s[n - m - 1] == ' ';
}

static const struct mb1_mmap_entry *mmap_next(const struct mb1_mmap_entry *e)
{
	return (const struct mb1_mmap_entry *)((uintptr_t)e + e->size + 4);
}

#define FOR_EACH_MMAP(info, e)                                                 \
	for (const struct mb1_mmap_entry *e =                                  \
		     (const void *)(uintptr_t)(info)->mmap_addr;               \
	     (uintptr_t)e < (info)->mmap_addr + (info)->mmap_length;           \
	     e = mmap_next(e))

/* The map entry of `type` (0: any) that holds [start, end), or NULL. */
static const struct mb1_mmap_entry *mmap_find(const struct mb1_info *info,
					      uint64_t start, uint64_t end,
					      uint32_t type)
{
	FOR_EACH_MMAP(info, e)
	{
		if ((!type || e->type == type) && e->base_addr <= start &&
		    end <= e->base_addr + e->length)
			return e;
	}
	return 0;
}

static void check_entry_state(const struct boot_entry *entry)
{
	if (entry->magic == LOADER_MAGIC)
		report_pass("entry-magic");
	else
		report_fail("entry-magic", "EAX 0x%08x, expected 0x%08x",
			    entry->magic, LOADER_MAGIC);
	if ((entry->cr0 & (CR0_PE | CR0_PG)) == CR0_PE &&
	    !(entry->eflags & (EFLAGS_IF | EFLAGS_VM)))
		report_pass("entry-state");
	else
		report_fail("entry-state",
			    "CR0 0x%08x (PE must be 1, PG 0), EFLAGS 0x%08x "
			    "(IF and VM must be 0)",
			    entry->cr0, entry->eflags);
}

static bool check_flags(const struct mb1_info *info)
{
	uint32_t want = INFO_MEMORY | INFO_MMAP | INFO_CMDLINE | INFO_MODS;
	if ((info->flags & want) == want) {
		report_pass("info-flags");
		return true;
	}
	report_fail("info-flags",
		    "flags 0x%x: memory (0), command line (2), modules (3) "
		    "and map (6) must be there (the header asked for memory "
		    "information)",
		    info->flags);
	return false;
}

static void check_memory_map(const struct mb1_info *info)
{
	unsigned n = 0, bad = 0;
	FOR_EACH_MMAP(info, e)
	{
		n++;
		if (e->size < 20 || e->length == 0)
			bad++;
		FOR_EACH_MMAP(info, f)
		{
			if (f > e && e->type == MMAP_AVAILABLE &&
			    f->type == MMAP_AVAILABLE &&
			    e->base_addr < f->base_addr + f->length &&
			    f->base_addr < e->base_addr + e->length)
				bad++;
		}
	}
	if (n == 0 || bad)
		report_fail("memory-map",
			    "%u entries, %u malformed or overlapping "
			    "available ones",
			    n, bad);
	else if (!mmap_find(info, LAYOUT_IMAGE_BASE, LAYOUT_IDENTITY_END,
			    MMAP_AVAILABLE))
		report_fail("memory-map",
			    "the memory this kernel occupies (0x%x-0x%x) is "
			    "not in one available entry",
			    LAYOUT_IMAGE_BASE, LAYOUT_IDENTITY_END);
	else
		report_pass("memory-map");

	/* mem_upper: the memory from 1 MiB to the first hole (3.3). */
	uint64_t upper_end = HIGH_MEMORY + (uint64_t)info->mem_upper * 1024;
	if (info->mem_lower <= 640 && info->mem_upper >= 15 * 1024 &&
	    mmap_find(info, HIGH_MEMORY, upper_end, MMAP_AVAILABLE))
		report_pass("mem-bounds");
	else
		report_fail("mem-bounds",
			    "mem_lower %u KiB (at most 640), mem_upper %u KiB: "
			    "[1 MiB, 0x%llx) must be available in the map",
			    info->mem_lower, info->mem_upper,
			    (unsigned long long)upper_end);
}

static void check_command_line(const struct mb1_info *info)
{
	add_region("command line", info->cmdline, str_len(info->cmdline) + 1);
	if (ends_with(info->cmdline, CMDLINE_ARGS))
		report_pass("cmdline");
	else
		report_fail("cmdline", "'%s' does not end with '%s'",
			    (const char *)(uintptr_t)info->cmdline,
			    CMDLINE_ARGS);
	report_note("command line '%s'",
		    (const char *)(uintptr_t)info->cmdline);
}

static void check_module(const struct mb1_info *info)
{
	if (info->mods_count != 1) {
		report_fail("module-count", "%u modules, expected 1",
			    info->mods_count);
		return;
	}
	report_pass("module-count");
	const struct mb1_module *m =
		(const struct mb1_module *)(uintptr_t)info->mods_addr;
	add_region("module list", info->mods_addr, sizeof(*m));
	add_region("module string", m->string, str_len(m->string) + 1);
	add_region("module", m->mod_start, m->mod_end - m->mod_start);
	if (ends_with(m->string, MODULE_STRING))
		report_pass("module-string");
	else
		report_fail("module-string", "'%s' does not end with '%s'",
			    (const char *)(uintptr_t)m->string, MODULE_STRING);
	if (!(m->mod_start & 0xfff))
		report_pass("module-page-aligned");
	else
		report_fail("module-page-aligned",
			    "module at 0x%x; the header asked for page "
			    "alignment (flag 0)",
			    m->mod_start);

	const volatile uint32_t *w =
		(const volatile uint32_t *)(uintptr_t)m->mod_start;
	uint32_t bad = 0, first_bad = 0;
	for (uint32_t i = 0; i < TEST_MODULE_WORDS; i++)
		if (w[3 + i] != (uint32_t)TEST_MODULE_WORD(i) && !bad++)
			first_bad = i;
	if (m->mod_end - m->mod_start != TEST_MODULE_SIZE)
		report_fail("module-content", "module is %u bytes, expected %u",
			    m->mod_end - m->mod_start, TEST_MODULE_SIZE);
	else if (w[0] != TEST_MODULE_MAGIC0 || w[1] != TEST_MODULE_MAGIC1 ||
		 w[2] != TEST_MODULE_WORDS || bad)
		report_fail("module-content",
			    "header %08x %08x %u, %u wrong words (first %u)",
			    w[0], w[1], w[2], bad, first_bad);
	else
		report_pass("module-content");
}

/* Nothing the loader built may overlap the kernel, nor sit in page 0,
 * and all of it must be memory the map describes. */
static void check_placement(const struct mb1_info *info)
{
	bool ok = true;
	for (unsigned i = 0; i < nr_regions; i++) {
		const struct region *r = &regions[i];
		const char *why = 0;
		if (r->start < 0x1000)
			why = "in page 0";
		else if (r->start < LAYOUT_STAGE32_END &&
			 r->end > LAYOUT_IMAGE_BASE)
			why = "over the kernel image";
		else if (!mmap_find(info, r->start, r->end, 0))
			why = "outside every memory-map entry";
		report_note("%s at 0x%llx-0x%llx", r->what,
			    (unsigned long long)r->start,
			    (unsigned long long)r->end);
		if (why) {
			report_fail("info-placement",
				    "the %s (0x%llx-0x%llx) "
				    "is %s",
				    r->what, (unsigned long long)r->start,
				    (unsigned long long)r->end, why);
			ok = false;
		}
	}
	if (ok)
		report_pass("info-placement");

	/* refvmx's promise: above low memory, in memory the map reserves,
	 * so that a kernel using all it is offered never overwrites it. */
	if (!cpu_under_refvmx()) {
		report_skip("info-reserved", "natively GRUB places the "
					     "information where it likes");
		return;
	}
	for (unsigned i = 0; i < nr_regions; i++) {
		const struct region *r = &regions[i];
		if (r->start < HIGH_MEMORY ||
		    mmap_find(info, r->start, r->end, MMAP_AVAILABLE)) {
			report_fail("info-reserved",
				    "the %s (0x%llx-0x%llx) is in memory the "
				    "kernel is offered",
				    r->what, (unsigned long long)r->start,
				    (unsigned long long)r->end);
			return;
		}
	}
	report_pass("info-reserved");
}

/* The value of the word "expect-ram=N" in the command line, or 0. */
static uint32_t expected_ram_mib(uint32_t cmdline)
{
	const char *s = (const char *)(uintptr_t)cmdline;
	static const char key[] = "expect-ram=";
	for (; *s; s++) {
		unsigned i = 0;
		while (key[i] && s[i] == key[i])
			i++;
		if (key[i])
			continue;
		uint32_t n = 0;
		for (s += i; *s >= '0' && *s <= '9'; s++)
			n = n * 10 + (uint32_t)(*s - '0');
		return n;
	}
	return 0;
}

/* With "expect-ram=N" (the harness's run with refvmx's guest-ram=N),
 * RAM as the map describes it ends at N MiB. */
static void check_ram_size(const struct mb1_info *info)
{
	uint32_t mib = expected_ram_mib(info->cmdline);
	if (!mib)
		return;
	uint64_t top = 0;
	FOR_EACH_MMAP(info, e)
	{
		uint64_t end = e->base_addr + e->length;
		if (e->base_addr < 0xfec00000ull && end > top)
			top = end;
	}
	if (top == (uint64_t)mib << 20)
		report_pass("ram-size");
	else
		report_fail("ram-size",
			    "the map's RAM ends at 0x%llx, the "
			    "harness gave %u MiB",
			    (unsigned long long)top, mib);
}

/* The top page of upper memory holds what it is given: the map is not
 * only a list. Last, as it writes memory the loader may have used. */
static void check_memory_usable(const struct mb1_info *info)
{
	uint64_t page = HIGH_MEMORY + (uint64_t)info->mem_upper * 1024 - 4096;
	for (unsigned i = 0; i < nr_regions; i++)
		if (regions[i].start < page + 4096 && regions[i].end > page)
			page = (regions[i].start & ~0xfffull) - 4096;
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)page;
	for (uint32_t i = 0; i < 1024; i++)
		p[i] = (uint32_t)TEST_MODULE_WORD(i) ^ (uint32_t)page;
	uint32_t bad = 0;
	for (uint32_t i = 0; i < 1024; i++)
		if (p[i] != ((uint32_t)TEST_MODULE_WORD(i) ^ (uint32_t)page))
			bad++;
	if (bad)
		report_fail("memory-usable",
			    "%u of 1024 words at 0x%llx did "
			    "not read back",
			    bad, (unsigned long long)page);
	else
		report_pass("memory-usable");
}

void stage32_main(struct report_totals *totals, const struct boot_entry *entry)
{
	report_init(totals, "mb1-boot");
	trap_init();
	report_note("mb1-boot: Multiboot 1 entry, EAX 0x%08x, EBX 0x%08x",
		    entry->magic, entry->info);
	report_mode("mb1");
	check_entry_state(entry);
	if (entry->magic != LOADER_MAGIC)
		return;
	const struct mb1_info *info =
		(const struct mb1_info *)(uintptr_t)entry->info;
	add_region("information", entry->info, sizeof(*info));
	if (!check_flags(info))
		return;
	add_region("memory map", info->mmap_addr, info->mmap_length);
	if (info->flags & INFO_LOADER_NAME)
		report_note("boot loader '%s'",
			    (const char *)(uintptr_t)info->boot_loader_name);
	check_memory_map(info);
	check_command_line(info);
	check_module(info);
	check_placement(info);
	check_ram_size(info);
	check_memory_usable(info);
}
