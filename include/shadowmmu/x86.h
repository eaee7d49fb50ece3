/* SPDX-License-Identifier: MIT */
/** @file
 * Architectural constants, named as in the Intel SDM (volume 3A,
 * chapters 2 and 4). Only what the library and its hosts need; nothing here
 * is policy.
 */
#ifndef SHADOWMMU_X86_H
#define SHADOWMMU_X86_H

#include <stdint.h>

/** Bit n alone, as a 64-bit value. */
#define X86_BIT(n) (UINT64_C(1) << (n))
/** Bits lo..hi inclusive. */
#define X86_BITS(hi, lo) ((~UINT64_C(0) >> (63 - (hi))) & ~(X86_BIT(lo) - 1))

/** @name CR0 (SDM 2.5)
 * @{ */
#define X86_CR0_PE X86_BIT(0)  /**< protection enable */
#define X86_CR0_NE X86_BIT(5)  /**< numeric error */
#define X86_CR0_WP X86_BIT(16) /**< supervisor writes honour R/W */
#define X86_CR0_NW X86_BIT(29) /**< not write-through */
#define X86_CR0_CD X86_BIT(30) /**< cache disable */
#define X86_CR0_PG X86_BIT(31) /**< paging */
/** @} */

/** @name CR3 (SDM 4.5)
 * @{ */
#define X86_CR3_PCID_MASK X86_BITS(11, 0) /**< PCID when CR4.PCIDE=1 */
#define X86_CR3_NOFLUSH	  X86_BIT(63)	  /**< MOV to CR3 operand only */
/** @} */

/** @name CR4 (SDM 2.5)
 * @{ */
#define X86_CR4_PSE   X86_BIT(4)  /**< 4 MiB pages in 32-bit paging */
#define X86_CR4_PAE   X86_BIT(5)  /**< physical address extension */
#define X86_CR4_PGE   X86_BIT(7)  /**< global pages */
#define X86_CR4_LA57  X86_BIT(12) /**< 5-level paging */
#define X86_CR4_VMXE  X86_BIT(13) /**< VMX enable */
#define X86_CR4_PCIDE X86_BIT(17) /**< process-context identifiers */
#define X86_CR4_SMEP  X86_BIT(20) /**< supervisor-mode execution prevention */
#define X86_CR4_SMAP  X86_BIT(21) /**< supervisor-mode access prevention */
#define X86_CR4_PKE   X86_BIT(22) /**< protection keys for user pages */
/** @} */

/** @name IA32_EFER (SDM 2.2.1)
 * @{ */
#define X86_MSR_EFER 0xc0000080u /**< MSR number of IA32_EFER */
#define X86_EFER_SCE X86_BIT(0)	 /**< SYSCALL enable */
#define X86_EFER_LME X86_BIT(8)	 /**< IA-32e mode enable */
#define X86_EFER_LMA X86_BIT(10) /**< IA-32e mode active (read-only) */
#define X86_EFER_NXE X86_BIT(11) /**< execute-disable bit enable */
/** @} */

/** @name EFLAGS
 * @{ */
#define X86_EFLAGS_AC X86_BIT(18) /**< alignment check / SMAP override */
/** @} */

/** @name Paging-structure entry bits (SDM 4.3-4.5, tables 4-4 to 4-28)
 * @{ */
#define X86_PTE_P	   X86_BIT(0)  /**< present */
#define X86_PTE_RW	   X86_BIT(1)  /**< writable */
#define X86_PTE_US	   X86_BIT(2)  /**< user-mode accessible */
#define X86_PTE_PWT	   X86_BIT(3)  /**< page-level write-through */
#define X86_PTE_PCD	   X86_BIT(4)  /**< page-level cache disable */
#define X86_PTE_A	   X86_BIT(5)  /**< accessed */
#define X86_PTE_D	   X86_BIT(6)  /**< dirty (leaf only) */
#define X86_PTE_PS	   X86_BIT(7)  /**< page size (non-4K leaf) */
#define X86_PTE_PAT	   X86_BIT(7)  /**< PAT, in a 4 KiB PTE */
#define X86_PTE_G	   X86_BIT(8)  /**< global (leaf only) */
#define X86_PTE_PAT_LARGE  X86_BIT(12) /**< PAT, in a 2M/4M/1G leaf */
#define X86_PTE_PKEY_SHIFT 59	       /**< first bit of the protection key */
#define X86_PTE_PKEY_MASK  X86_BITS(62, 59) /**< protection key (leaf) */
#define X86_PTE_XD	   X86_BIT(63)	    /**< execute-disable (NX) */
/** @} */

/** @name \#PF error code (SDM 4.7)
 * @{ */
#define PFERR_P	   X86_BIT(0)  /**< protection violation (else not present) */
#define PFERR_W	   X86_BIT(1)  /**< write access */
#define PFERR_U	   X86_BIT(2)  /**< user-mode (CPL=3) access */
#define PFERR_RSVD X86_BIT(3)  /**< reserved bit set in a paging entry */
#define PFERR_I	   X86_BIT(4)  /**< instruction fetch */
#define PFERR_PK   X86_BIT(5)  /**< protection-key violation */
#define PFERR_SS   X86_BIT(6)  /**< shadow-stack access (CET) */
#define PFERR_HLAT X86_BIT(7)  /**< fault during HLAT paging (VMX, with EPT) */
#define PFERR_SGX  X86_BIT(15) /**< SGX access-control (EPCM) violation */
/** @} */

/** @name PKRU: two bits per key (SDM 2.7)
 * @{ */
/** Access disable for protection key `key`. */
#define X86_PKRU_AD(key) (UINT32_C(1) << (2 * (key)))
/** Write disable for protection key `key`. */
#define X86_PKRU_WD(key) (UINT32_C(1) << (2 * (key) + 1))
/** @} */

/** @name Page sizes
 * @{ */
#define X86_PAGE_SHIFT	 12	     /**< log2 of the 4 KiB page size */
#define X86_PAGE_SIZE	 X86_BIT(12) /**< 4 KiB */
#define X86_PAGE_SIZE_2M X86_BIT(21) /**< 2 MiB (PAE and IA-32e leaves) */
#define X86_PAGE_SIZE_4M X86_BIT(22) /**< 4 MiB (32-bit paging leaves) */
#define X86_PAGE_SIZE_1G X86_BIT(30) /**< 1 GiB (IA-32e leaves) */
/** @} */

/** @name Exception vectors for the library's results
 * @{ */
#define X86_VEC_GP 13 /**< \#GP, general protection (SMMU_CR_INJECT_GP) */
#define X86_VEC_PF 14 /**< \#PF, page fault (SMMU_FAULT_INJECT) */
/** @} */

#endif /* SHADOWMMU_X86_H */
