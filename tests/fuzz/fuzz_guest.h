/* SPDX-License-Identifier: MIT */
/*
 * The input format of fuzz-guest (tests/fuzz/README.md): what the fuzzer's
 * bytes mean, shared by the target (fuzz_guest.c, the decoder) and the
 * seed generator (gen_seeds.c, an encoder).
 *
 * An input is a header, initial patches of the guest's page tables, and
 * guest operations until the bytes run out. Every byte string is a valid
 * input: a field past the end reads as zero, every value of a field means
 * something.
 *
 * Guest-physical layout (FG_RAM bytes of RAM):
 *
 *   [FG_TABLES, +32 pages)   table pages T0..T31
 *   [FG_DATA, +64 pages)     data pages D0..D63
 *   0x200000, 0x400000...    large-page frames (2 MiB and 4 MiB aligned)
 *
 * The skeleton built before the patches, for each address space s of up
 * to four (FG_T(s, L) is its table of level L: 5 = PML5 ... 1 = PT; the
 * root is the mode's top level):
 *
 *   USER  (0x400000)  16 user, writable 4 KiB pages: data page 16 s + i
 *   WIN   (0x600000; 32-bit: 0x800000)  a window onto the table pages:
 *                     T<i> at WIN + 4 KiB * i, supervisor, writable; T0,
 *                     its page table, is shared by every space
 *   LARGE (0x800000; 32-bit: 0xc00000)  one 2 MiB (4 MiB) user page at
 *                     gpa 0x200000 (0x400000)
 *
 * PAE roots are PDPTs with one present entry (PDPTE 0). The guest changes
 * its tables by 8-byte stores through WIN (FG_SET_PTE...), as a kernel
 * does; a host or device can write them directly (FG_DMA).
 */
#ifndef SMMU_FUZZ_GUEST_H
#define SMMU_FUZZ_GUEST_H

#include <stdint.h>

#define FG_RAM	       (UINT64_C(8) << 20)
#define FG_TABLES      UINT64_C(0x10000)
#define FG_NR_TABLES   32u
#define FG_DATA	       UINT64_C(0x100000)
#define FG_NR_DATA     64u
#define FG_MAX_SPACES  4u
#define FG_USER_PAGES  16u
#define FG_MAX_VCPUS   3u
#define FG_MAX_OPS     4096u /* guest operations per input, all vCPUs */
#define FG_MAX_UNMAPS  8u    /* host unmaps per input (the RAM's holes) */
#define FG_MAX_PATCHES 15u

#define FG_T_WIN      0u
#define FG_T(s, L)    (1u + 5u * (s) + 5u - (L))
#define FG_TABLE(i)   (FG_TABLES + UINT64_C(4096) * (i))
#define FG_DATA_PG(i) (FG_DATA + UINT64_C(4096) * (i))

/* Linear regions (la selector byte 0, bits 7:6). */
#define FG_LA_USER    UINT64_C(0x400000)
#define FG_LA_WIN     UINT64_C(0x600000)
#define FG_LA_LARGE   UINT64_C(0x800000)
#define FG_LA_WIN32   UINT64_C(0x800000)
#define FG_LA_LARGE32 UINT64_C(0xc00000)

/*
 * Header, 6 bytes:
 *
 *   h0  bits 1:0 vCPUs - 1 (3: 1 vCPU); 3:2 mode (enum fg_mode); 5:4
 *       simulated CPUs (0: one per vCPU, n: min(n, vCPUs), the vCPUs of
 *       one CPU switched on it); 6 assisted remote flushes; 7 no flush
 *       engine (every remote flush is flush_all_cpus)
 *   h1  the guest's features at start: 0 CR4.PCIDE (4/5-level), 1 PGE,
 *       2 PSE, 3 EFER.NXE, 4 SMEP, 5 SMAP, 6 PKE, 7 CR0.WP clear
 *   h2  the library: 1:0 policy preset (3: precise); 3:2 unsync after
 *       {default, 1, 2, never} stores; 5:4 prefetch window {default, 1,
 *       2, 512}; 7:6 cached roots {default, 1, 2, 32}
 *   h3  the host: 1:0 shadow pages {5 vCPUs + 4 (the minimum), +8, 64,
 *       4096}; 3:2 host caps {all, none, flush-addr, pcid+flush-pcid};
 *       4 4 KiB backing only; 6:5 TLB capacity {unbounded, 4, 16, 64};
 *       7 unsync-quiet 1
 *   h4  3:0 initial patches (each: table byte, entry u16, value u64:
 *       written to RAM before the run); 5:4 address spaces - 1
 *   h5  0 no 1 GiB pages; 2:1 guest MAXPHYADDR {46, 36, 39, 52}
 *
 * Then operations: an opcode byte (bits 4:0 the kind, modulo FG_NR_OPS;
 * 7:5 the vCPU, modulo the vCPUs) and the kind's operands:
 *
 *   la      1 byte: 7:6 region (USER, WIN, LARGE, raw), 5:0 page; then
 *           1 byte offset / 16 in the page, or for raw 8 bytes of la
 *           (low 32 bits only for a 32-bit or PAE guest)
 *   entry   3 bytes: frame selector (0..31 T<i>, 32..95 D<i-32>, 96..239
 *           large frames, 240..255 frames outside RAM or MAXPHYADDR),
 *           the entry's low 8 bits (P RW US PWT PCD A D PS), and high
 *           bits: 0 G, 1 XD, 5:2 protection key, 6 a reserved bit, 7
 *           the ignored bits 11:9
 *   afl     1 byte of access flags: 0 user, 1 EFLAGS.AC, 2 implicit
 *           supervisor access
 */
enum fg_mode {
	FG_MODE_4LEVEL,
	FG_MODE_5LEVEL,
	FG_MODE_PAE,
	FG_MODE_32BIT,
};

enum fg_op {
	FG_READ,	/* la afl */
	FG_FETCH,	/* la afl */
	FG_WRITE,	/* la afl value-byte: 8-byte store of that byte */
	FG_WRITE_RAW,	/* la afl u64 */
	FG_ACCESS_PKRU, /* la afl u32 pkru: a read with that PKRU */
	FG_SET_PTE,	/* table idx-u16 entry: store through WIN */
	FG_SET_PTE_RAW, /* table idx-u16 u64: store through WIN */
	FG_CR3,		/* byte: 1:0 space, 5:2 PCID (PWT/PCD, or PDPT
			   offset / 32 in PAE), 7 NOFLUSH */
	FG_CR3_RAW,	/* u64 */
	FG_CR0,		/* byte: bits of the last value written flipped:
			   PG WP CD NW PE MP TS AM */
	FG_CR4,	      /* byte, flipped: PGE PSE SMEP SMAP PKE PCIDE PAE LA57 */
	FG_EFER,      /* byte, flipped: NXE LME SCE LMA */
	FG_INVLPG,    /* la */
	FG_INVPCID,   /* type (modulo 5: 4 is invalid), pcid byte (255:
			 0x1000, 254: 0xfff, else modulo 16), la */
	FG_PV_FLUSH,  /* - */
	FG_SHOOTDOWN, /* targets byte, then byte: 0 set = everything,
			 else la */
	FG_DMA,	      /* table idx-u16 u64: a device writes the entry */
	FG_UNMAP,     /* frame-selector count-byte (1..4 pages) */
	FG_REMAP,     /* frame-selector count-byte */
	FG_NR_OPS,
};

#define FG_OPCODE(kind, vcpu) ((uint8_t)((kind) | ((vcpu) << 5)))

#endif
