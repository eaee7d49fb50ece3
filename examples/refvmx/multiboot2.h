/* SPDX-License-Identifier: MIT */
/* What refvmx reads from GRUB's multiboot2 information. */
#ifndef REFVMX_MULTIBOOT2_H
#define REFVMX_MULTIBOOT2_H

#include <stdint.h>

#define MB2_MAX_MODULES 8

struct mb2_module {
	uint64_t start, end; /* physical, end exclusive */
	const char *name;    /* the module2 line's argument */
};

struct mb2_ram_range {
	uint64_t start, end;
};

#define MB2_MAX_RAM 16

struct boot_info {
	const char *cmdline;
	struct mb2_module module[MB2_MAX_MODULES];
	unsigned nr_modules;
	struct mb2_ram_range ram[MB2_MAX_RAM]; /* type 1 memory */
	unsigned nr_ram;
	uint64_t rsdp;	   /* physical address of an ACPI RSDP copy, or 0 */
	uint64_t info_end; /* end of the information (names point in it) */
};

/* Parse the information structure at `info` (physical = virtual). */
void mb2_parse(uint64_t info, struct boot_info *out);

#endif
