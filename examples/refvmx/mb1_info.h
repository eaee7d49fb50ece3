/* SPDX-License-Identifier: MIT */
/*
 * The Multiboot 1 information structure refvmx hands a Multiboot 1
 * guest in EBX (Multiboot Specification 0.6.96, 3.3), built in guest
 * RAM the way a boot loader builds it in physical memory.
 */
#ifndef REFVMX_MB1_INFO_H
#define REFVMX_MB1_INFO_H

#include <stdint.h>

#include "guest_load.h"
#include "multiboot2.h"

/* Build it for the kernel loaded as img: memory bounds (mem_lower,
 * mem_upper), the memory map, the kernel's command line (the string of
 * the module it came from), the boot loader's name, and each further
 * boot module (module[1..]) copied into guest RAM as the guest's own
 * modules, page-aligned, with its string. Everything lies at the top of
 * guest RAM, which the memory map reports reserved and mem_upper
 * excludes, so that no low memory the guest may use (page 0 included)
 * is taken. Returns the structure's guest-physical address, or 0 (with
 * a message) if it does not fit above the kernel. */
uint32_t mb1_info_build(const struct boot_info *bi,
			const struct guest_image *img);

#endif
