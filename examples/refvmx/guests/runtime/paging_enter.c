/* SPDX-License-Identifier: MIT */
#include "paging_enter.h"

#include "cpu.h"

#ifdef __x86_64__

/* la57_switch.S: leave IA-32e mode, set or clear CR4.LA57, load CR3 and
 * come back to 64-bit mode. */
void la57_switch(uint64_t root, uint64_t enable);

void paging_enter(const struct address_space *as)
{
	bool la57_now = read_cr4() & X86_CR4_LA57;
	bool la57_wanted = as->mode->levels == 5;

	if (la57_now != la57_wanted)
		la57_switch(as->root, la57_wanted);
	else
		write_cr3(as->root);
}

#else

void paging_enter(const struct address_space *as)
{
	const unsigned long mode_bits =
		X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE | X86_CR4_LA57;

	paging_leave();
	write_cr4((read_cr4() & ~mode_bits) | as->mode->cr4_bits);
	write_cr3(as->root);
	write_cr0(read_cr0() | X86_CR0_PG | X86_CR0_WP);
}

void paging_leave(void)
{
	write_cr0(read_cr0() & ~X86_CR0_PG);
}

#endif
