/* SPDX-License-Identifier: MIT */
/*
 * The PVH boot protocol (Xen's public/arch-x86/hvm/start_info.h, which
 * Linux implements for any hypervisor): the kernel is entered at the
 * address of its XEN_ELFNOTE_PHYS32_ENTRY note in 32-bit protected mode
 * with paging off, flat segments, CR0 = PE | ET, interrupts off, and EBX
 * holding the guest-physical address of struct hvm_start_info: magic
 * 0x336EC578, version 1, the command line, the modules (the first is
 * the initrd), the RSDP and the memory map (E820 types).
 */
#ifndef REFVMX_PVH_H
#define REFVMX_PVH_H

#include <stdint.h>

#include "guest_load.h"
#include "multiboot2.h"

/* Build the start information for the kernel loaded as img, after the
 * firmware tables (firmware.c): the kernel's command line is its
 * module's string after the first word (the module's name), the next
 * boot module (if any) is copied to the top of guest RAM as the initrd.
 * The memory map: RAM [0, 0x9FC00) and [1 MiB, end of guest RAM);
 * reserved: the EBDA and the BIOS area (where the firmware tables and
 * this information lie), the I/O APIC's and the local APIC's pages.
 * Returns the structure's guest-physical address, or 0 (with a message)
 * if the initrd does not fit. */
uint32_t pvh_start_info_build(const struct boot_info *bi,
			      const struct guest_image *img);

#endif
