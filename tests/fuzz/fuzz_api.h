/* SPDX-License-Identifier: MIT */
/*
 * The input format of fuzz-api (tests/fuzz/README.md), shared by the
 * target (fuzz_api.c) and the seed generator (gen_seeds.c). Every byte
 * string is a valid input: a field past the end reads as zero.
 *
 * Header, 4 bytes:
 *   h0  host ops: bit 0 no shadow-paging ops (a guest walker's host);
 *       1 every shadow op but defer_free (the VM must be refused);
 *       2 rcu_read_enter/exit; 3 kick_cpus; 4 assisted_flush;
 *       5 backing_is_2m; 6 lock_held; 7 no log
 *   h1  shadow pages the host gives, modulo 65
 *   h2  the alloc() call that fails (1-based; 0: none)
 *   h3  bit 0: guest page tables of every mode in RAM (FA_PML4...)
 *
 * Then operations until the input ends: an opcode byte (modulo
 * FA_NR_OPS; its top bits pick NULL arguments for several) and the
 * operation's operands, read as fuzz_api.c's run_op says.
 */
#ifndef SMMU_FUZZ_API_H
#define SMMU_FUZZ_API_H

#include <stdint.h>

#define FA_RAM (UINT64_C(4) << 20)
/* Guest tables in RAM at start (h3 bit 0). */
#define FA_PML4	     UINT64_C(0x100000)
#define FA_PDPT	     UINT64_C(0x101000)
#define FA_PD	     UINT64_C(0x102000)
#define FA_PT	     UINT64_C(0x103000)
#define FA_PAE	     UINT64_C(0x104000)
#define FA_PD32	     UINT64_C(0x105000)
#define FA_PT32	     UINT64_C(0x106000)
#define FA_PML5	     UINT64_C(0x107000)
#define FA_ROOTS     8u /* table pages from FA_PML4 */
#define FA_MAX_VCPUS 4u

enum fa_op {
	FA_VM_CREATE,
	FA_VM_DESTROY,
	FA_VCPU_CREATE,
	FA_VCPU_DESTROY,
	FA_SET_PAGING,
	FA_WRITE_CR,
	FA_GET_PAGING,
	FA_TRANSLATE,
	FA_LOAD,
	FA_PUT,
	FA_EXIT,
	FA_ENTER,
	FA_PAGE_FAULT,
	FA_INVLPG,
	FA_INVPCID,
	FA_PV_FLUSH,
	FA_EMULATED_WRITE,
	FA_UNPROTECT,
	FA_INVALIDATE,
	FA_DIRTY_START,
	FA_DIRTY_GET,
	FA_DIRTY_STOP,
	FA_STATS,
	FA_GRACE,
	FA_POKE,
	FA_HOLE,
	FA_POLICY,
	FA_NR_OPS,
};

#endif
