/* SPDX-License-Identifier: MIT */
/*
 * The guests' physical memory map. The guest contract keeps everything
 * between 2 MiB and 16 MiB; all of it is identity-mapped in every paging
 * mode, so the guest reaches its page tables and marker pages at their
 * physical addresses whatever mode it is in.
 *
 * Only the two images are ELF segments. The page-table pool, the marker
 * pages and the large frames are scratch the guest initialises itself:
 * declaring them would make every loader zero 10 MiB for nothing.
 *
 * Included from assembly and from the linker scripts' checks: plain
 * numbers only.
 */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

/* The ELF64 image: multiboot2 header, 32-bit boot code, the 64-bit stage. */
#define LAYOUT_IMAGE_BASE 0x00200000
/* The 32-bit stage, linked separately and embedded in the image. */
#define LAYOUT_STAGE32_BASE 0x00400000
#define LAYOUT_STAGE32_END  0x00600000
/* Page tables built by the guest, one page each. */
#define LAYOUT_PT_POOL_BASE 0x00600000
#define LAYOUT_PT_POOL_END  0x00700000
/* 4 KiB pages whose contents are markers the checks read back. */
#define LAYOUT_DATA_PAGES_BASE 0x00700000
#define LAYOUT_DATA_PAGES_END  0x00800000
/* Two 4 MiB-aligned frames for 4 MiB, 2 MiB and 1 GiB page checks. */
#define LAYOUT_LARGE_FRAME_A 0x00800000
#define LAYOUT_LARGE_FRAME_B 0x00c00000
/* The page a STARTUP IPI sends another vCPU to (runtime/startup_stub.S).
 * The vector is the page number, so it lies below 1 MiB (SDM vol. 3,
 * 8.4.4.1): the one thing a guest keeps outside 2-16 MiB. 0x8000 is
 * conventional memory nothing uses once the loader is gone, natively
 * and under refvmx (whose guest RAM starts at gpa 0). */
#define LAYOUT_STARTUP_PAGE 0x8000
/* Everything the guest touches lies below this; it is identity-mapped. */
#define LAYOUT_IDENTITY_END 0x01000000

#endif /* GUEST_LAYOUT_H */
