/* SPDX-License-Identifier: MIT */
/*
 * The guest image: an ELF64 whose entry is 32-bit code (boot.S). Run
 * through the C preprocessor for layout.h's addresses. Load (physical)
 * addresses equal link addresses: refvmx and GRUB load by p_paddr.
 */
#include "layout.h"

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(_start)

SECTIONS
{
	. = LAYOUT_IMAGE_BASE;
	__image_start = .;
	.text : {
		KEEP(*(.multiboot))
		*(.text.boot)
		*(.text .text.*)
	}
	.rodata : { *(.rodata .rodata.*) }
	.data : { *(.data .data.*) }
	.bss : {
		__bss_start = .;
		*(.bss .bss.*)
		*(COMMON)
		__bss_end = .;
	}
	ASSERT(. <= LAYOUT_STAGE32_BASE, "image overlaps the 32-bit stage")

	.stage32 LAYOUT_STAGE32_BASE : { KEEP(*(.stage32)) }
	ASSERT(. <= LAYOUT_STAGE32_END, "32-bit stage overlaps the pool")
	__image_end = .;

	/DISCARD/ : { *(.eh_frame*) *(.note*) *(.comment) }
}
