/* SPDX-License-Identifier: MIT */
/*
 * Loading a guest kernel from a boot module into guest RAM, the way a
 * Multiboot boot loader does: by the header it carries.
 */
#ifndef REFVMX_GUEST_LOAD_H
#define REFVMX_GUEST_LOAD_H

#include <stdbool.h>
#include <stdint.h>

/* Which Multiboot header the image carries (and so how it is entered). */
enum guest_protocol {
	GUEST_MULTIBOOT1, /* magic 0x1BADB002: EAX 0x2BADB002, EBX info */
	GUEST_MULTIBOOT2, /* magic 0xE85250D6: EAX 0x36D76289, EBX 0 */
	GUEST_PVH,	  /* an ELF with Xen's PVH entry note: EBX start info */
};

struct guest_image {
	enum guest_protocol protocol;
	uint64_t entry;	  /* guest-physical, below 4 GiB */
	uint64_t end;	  /* first gpa past what was loaded, bss included */
	bool aout_kludge; /* Multiboot 1 header's address fields were used */
};

/* Load the kernel image at [start, end) (host addresses): a Multiboot 1
 * image by the address fields of its header when flag 16 is set (the
 * "a.out kludge"), otherwise an ELF32 or ELF64 by its PT_LOAD segments'
 * physical addresses, as GRUB does; a Multiboot 2 image by its ELF
 * segments. An image with both headers is loaded as Multiboot 1, for
 * which refvmx passes a full information structure. An ELF without
 * either that carries the PVH entry note (Xen's ELF note 18,
 * XEN_ELFNOTE_PHYS32_ENTRY: a Linux vmlinux) is loaded by its segments
 * and entered at the note's address (pvh.c). false, with a
 * message, if the image has no usable header, asks for what refvmx
 * cannot give (a video mode), or does not fit guest RAM. */
bool guest_load(uint64_t start, uint64_t end, struct guest_image *out);

#endif
