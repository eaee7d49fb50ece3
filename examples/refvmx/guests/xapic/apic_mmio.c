/* SPDX-License-Identifier: MIT */
#include "cpu.h"
#include "xapic.h"

bool apic_send(uint32_t low, uint8_t dest)
{
	apic_write(APIC_ICR_HIGH, (uint32_t)dest << 24);
	apic_write(APIC_ICR_LOW, low);
	for (unsigned i = 0; i < 100000; i++)
		if (!(apic_read(APIC_ICR_LOW) & ICR_BUSY))
			return true;
	return false;
}

uint8_t apic_id(void)
{
	return (uint8_t)(apic_read(APIC_ID) >> 24);
}

bool wait_count(volatile uint32_t *counter, uint32_t want, uint64_t cycles)
{
	uint64_t start = rdtsc();
	while (*counter < want) {
		if (rdtsc() - start > cycles)
			return false;
		__asm__ volatile("pause" ::: "memory");
	}
	return true;
}
