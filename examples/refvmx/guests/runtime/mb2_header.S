/* SPDX-License-Identifier: MIT */
/*
 * Multiboot 2 header (multiboot2 specification 3.1): within the first
 * 32 KiB of the file, 8-byte aligned; GRUB loads an ELF by its program
 * headers, so only the end tag follows. refvmx enters such a guest with
 * EAX = 0x36d76289 and no information (EBX = 0).
 */
#define MB2_MAGIC	0xe85250d6
#define MB2_ARCH_I386	0
#define MB2_HEADER_SIZE	(mb2_header_end - mb2_header)

	.section .multiboot, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long MB2_HEADER_SIZE
	.long 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + MB2_HEADER_SIZE)
	.short 0, 0		/* end tag: type 0, flags 0 */
	.long 8			/* size 8 */
mb2_header_end:
