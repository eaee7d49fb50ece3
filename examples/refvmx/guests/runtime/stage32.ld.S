/* SPDX-License-Identifier: MIT */
/*
 * The 32-bit stage, linked alone for LAYOUT_STAGE32_BASE and then
 * flattened (objcopy -O binary) for stage32_blob.S. Its .bss is placed
 * in .data so the flat binary carries it as zeros: the blob needs no
 * start-up code and the image's segments describe all of it.
 */
#include "layout.h"

OUTPUT_FORMAT("elf32-i386")
OUTPUT_ARCH(i386)
ENTRY(stage32_head)

SECTIONS
{
	. = LAYOUT_STAGE32_BASE;
	.text : {
		KEEP(*(.stage32_head))
		*(.text .text.*)
	}
	.rodata : { *(.rodata .rodata.*) }
	.data : {
		*(.data .data.*)
		*(.bss .bss.*)
		*(COMMON)
	}
	ASSERT(. <= LAYOUT_STAGE32_END, "32-bit stage overlaps the pool")

	/DISCARD/ : { *(.eh_frame*) *(.note*) *(.comment) }
}
