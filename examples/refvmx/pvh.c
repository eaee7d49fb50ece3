/* SPDX-License-Identifier: MIT */
#include "pvh.h"

#include "console.h"
#include "firmware.h"
#include "mem.h"

#define START_MAGIC 0x336ec578u

/* hvm_start_info, version 1 (56 bytes) */
struct start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define E820_RAM      1
#define E820_RESERVED 2

/* Where the pieces go, after the start information at FW_START_INFO. */
#define MODLIST	    (FW_START_INFO + 0x100)
#define MEMMAP	    (FW_START_INFO + 0x200)
#define CMDLINE	    (FW_START_INFO + 0x1000)
#define CMDLINE_MAX 0x2000

static void *gpa_ptr(uint64_t a)
{
	return (void *)(mem.guest_base + a);
}

static void copy(uint64_t to, const void *from, uint64_t n)
{
	void *d = gpa_ptr(to);
	__asm__ volatile("rep movsb"
			 : "+D"(d), "+S"(from), "+c"(n)
			 :
			 : "memory");
}

uint32_t pvh_start_info_build(const struct boot_info *bi,
			      const struct guest_image *img)
{
	struct start_info si = { .magic = START_MAGIC,
				 .version = 1,
				 .rsdp_paddr = FW_RSDP };
	/* The command line: the module string after its first word. */
	const char *cmd = bi->module[0].name;
	while (*cmd && *cmd != ' ')
		cmd++;
	while (*cmd == ' ')
		cmd++;
	uint64_t len = 0;
	while (cmd[len] && len < CMDLINE_MAX - 1)
		len++;
	copy(CMDLINE, cmd, len);
	*(char *)gpa_ptr(CMDLINE + len) = 0;
	si.cmdline_paddr = CMDLINE;

	uint64_t ram_end = mem.guest_size;
	if (bi->nr_modules > 1) {
		const struct mb2_module *m = &bi->module[1];
		uint64_t size = m->end - m->start;
		uint64_t at = (ram_end - size) & ~0xfffull;
		if (size >= ram_end || at < ((img->end + 0xfff) & ~0xfffull)) {
			kprintf("refvmx: the initrd (%llu KiB) does not fit "
				"in guest RAM above the kernel\n",
				(unsigned long long)(size >> 10));
			return 0;
		}
		copy(at, (const void *)m->start, size);
		struct modlist_entry e = { .paddr = at, .size = size };
		copy(MODLIST, &e, sizeof(e));
		si.modlist_paddr = MODLIST;
		si.nr_modules = 1;
		kprintf("refvmx: initrd '%s' (%llu KiB) at gpa 0x%llx\n",
			m->name, (unsigned long long)(size >> 10),
			(unsigned long long)at);
	}

	const struct memmap_entry map[] = {
		{ 0, 0x9fc00, E820_RAM, 0 },
		{ 0x9fc00, 0x400, E820_RESERVED, 0 },
		{ FW_BASE, FW_END - FW_BASE, E820_RESERVED, 0 },
		{ 0x100000, ram_end - 0x100000, E820_RAM, 0 },
		{ IOAPIC_BASE, 0x1000, E820_RESERVED, 0 },
		{ LAPIC_BASE, 0x1000, E820_RESERVED, 0 },
	};
	copy(MEMMAP, map, sizeof(map));
	si.memmap_paddr = MEMMAP;
	si.memmap_entries = sizeof(map) / sizeof(map[0]);
	copy(FW_START_INFO, &si, sizeof(si));
	kprintf("refvmx: PVH start info at gpa 0x%x, command line '%s'\n",
		FW_START_INFO, (const char *)gpa_ptr(CMDLINE));
	return FW_START_INFO;
}
