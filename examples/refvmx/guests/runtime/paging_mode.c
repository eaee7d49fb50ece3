/* SPDX-License-Identifier: MIT */
#include "paging_mode.h"

#include <shadowmmu/x86.h>

/* SDM 4.3: 32-bit paging. CR4.PSE is always set, so a PDE may map 4 MiB. */
const struct paging_mode paging_32bit = {
	.name = "32-bit",
	.levels = 2,
	.entry_bytes = 4,
	.index_bits = 10,
	.address_mask = X86_BITS(31, 12),
	.cr4_bits = X86_CR4_PSE,
};

/* SDM 4.4: PAE paging; the 4-entry PDPT is loaded by MOV CR3. */
const struct paging_mode paging_pae = {
	.name = "pae",
	.levels = 3,
	.entry_bytes = 8,
	.index_bits = 9,
	.address_mask = X86_BITS(51, 12),
	.cr4_bits = X86_CR4_PAE,
	.has_xd = true,
};

/* SDM 4.5: 4-level paging. */
const struct paging_mode paging_4level = {
	.name = "4-level",
	.levels = 4,
	.entry_bytes = 8,
	.index_bits = 9,
	.address_mask = X86_BITS(51, 12),
	.cr4_bits = X86_CR4_PAE,
	.has_xd = true,
	.ia32e = true,
};

/* SDM 4.5: 5-level paging, CR4.LA57. */
const struct paging_mode paging_5level = {
	.name = "5-level",
	.levels = 5,
	.entry_bytes = 8,
	.index_bits = 9,
	.address_mask = X86_BITS(51, 12),
	.cr4_bits = X86_CR4_PAE | X86_CR4_LA57,
	.has_xd = true,
	.ia32e = true,
};
