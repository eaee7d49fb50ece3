/* SPDX-License-Identifier: MIT */
/*
 * Multiboot 1 header (Multiboot Specification 0.6.96, 3.1): within the
 * first 8 KiB of the file, 4-byte aligned. Flags: modules page-aligned
 * (0) and memory information wanted (1). Built with MB1_AOUT_KLUDGE,
 * flag 16 adds the address fields, and the loader places the image by
 * them instead of by ELF program headers: that is how a flat binary
 * (objcopy -O binary of the image) boots. The header is the first thing
 * in .text, so in such a binary it sits at file offset 0 and
 * header_addr = load_addr = the image's base; the load runs to the end
 * of the 32-bit stage, .bss (zeros in the binary) included.
 */
#define MB1_MAGIC	0x1badb002
#define MB1_PAGE_ALIGN	(1 << 0)
#define MB1_MEMORY_INFO	(1 << 1)
#define MB1_ADDRESS	(1 << 16)

#ifdef MB1_AOUT_KLUDGE
#define MB1_FLAGS	(MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_ADDRESS)
#else
#define MB1_FLAGS	(MB1_PAGE_ALIGN | MB1_MEMORY_INFO)
#endif

	.section .multiboot, "a"
	.balign 4
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
#ifdef MB1_AOUT_KLUDGE
	.long mb1_header	/* header_addr */
	.long __image_start	/* load_addr */
	.long __image_end	/* load_end_addr */
	.long __image_end	/* bss_end_addr: .bss is inside the load */
	.long _start		/* entry_addr */
#endif
