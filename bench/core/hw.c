/* SPDX-License-Identifier: MIT */
#include "hw.h"

static unsigned count(const struct cb_host *h, uint64_t hpa, int level)
{
	const uint64_t *t = cb_host_hva(h, hpa & X86_BITS(51, 12));
	if (!t)
		return 0;
	if (level == 1)
		return 1;
	unsigned n = 0;
	for (unsigned i = 0; i < 512; i++)
		if ((t[i] & X86_PTE_P) && !(t[i] & X86_PTE_PS))
			n += count(h, t[i], level - 1);
	return n;
}

unsigned cb_hw_leaf_tables(const struct cb_host *h, uint64_t cr3)
{
	return count(h, cr3, 4);
}
