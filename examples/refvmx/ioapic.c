/* SPDX-License-Identifier: MIT */
#include "ioapic.h"

#include "cpu.h"
#include "firmware.h"
#include "vapic.h"

#define REG_ID	    0
#define REG_VERSION 1
#define REG_ARB	    2
#define REG_REDIR   0x10
#define VERSION	    (0x20u | (IOAPIC_PINS - 1) << 16)

#define RTE_MASKED  (1ull << 16)
#define RTE_LOGICAL (1ull << 11)
/* Writable: vector, delivery mode, destination mode, polarity,
 * trigger mode, mask, destination. */
#define RTE_WRITABLE                                                           \
	(0xff000000000000ffull | 0x7ull << 8 | RTE_LOGICAL | 1ull << 13 |      \
	 1ull << 15 | RTE_MASKED)

static struct {
	volatile int lock;
	uint32_t select;
	uint32_t id;
	uint64_t rte[IOAPIC_PINS];
} io = { .rte = { [0 ... IOAPIC_PINS - 1] = RTE_MASKED } };

static void lock(void)
{
	while (__atomic_exchange_n(&io.lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&io.lock, 0, __ATOMIC_RELEASE);
}

bool ioapic_mmio_hit(uint64_t gpa)
{
	return (gpa & ~0xfffull) == IOAPIC_BASE;
}

static uint32_t read_reg(uint32_t r)
{
	if (r == REG_ID)
		return io.id;
	if (r == REG_VERSION)
		return VERSION;
	if (r == REG_ARB)
		return io.id;
	if (r >= REG_REDIR && r < REG_REDIR + 2 * IOAPIC_PINS) {
		uint64_t e = io.rte[(r - REG_REDIR) / 2];
		return (uint32_t)(r & 1 ? e >> 32 : e);
	}
	return 0xffffffffu;
}

static void write_reg(uint32_t r, uint32_t v)
{
	if (r == REG_ID) {
		io.id = v & 0x0f000000u;
		return;
	}
	if (r < REG_REDIR || r >= REG_REDIR + 2 * IOAPIC_PINS)
		return;
	uint64_t *e = &io.rte[(r - REG_REDIR) / 2];
	uint64_t w = r & 1 ? (*e & 0xffffffffull) | (uint64_t)v << 32
			   : (*e & ~0xffffffffull) | v;
	*e = w & RTE_WRITABLE;
}

void ioapic_mmio(unsigned offset, unsigned size, bool write, uint64_t *value)
{
	if (size != 4 || (offset & 3)) {
		if (!write)
			*value = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
		return;
	}
	lock();
	switch (offset) {
	case 0x00:
		if (write)
			io.select = (uint32_t)*value & 0xff;
		else
			*value = io.select;
		break;
	case 0x10:
		if (write)
			write_reg(io.select, (uint32_t)*value);
		else
			*value = read_reg(io.select);
		break;
	default:
		/* The EOI register (0x40) has nothing to do: no remote
		 * IRR is ever set. */
		if (!write)
			*value = 0xffffffffu;
		break;
	}
	unlock();
}

void ioapic_pulse(unsigned pin)
{
	if (pin >= IOAPIC_PINS)
		return;
	lock();
	uint64_t e = io.rte[pin];
	unlock();
	if (e & RTE_MASKED)
		return;
	vapic_deliver((uint8_t)(e >> 56), e & RTE_LOGICAL, (e >> 8) & 7,
		      (uint8_t)e);
}
