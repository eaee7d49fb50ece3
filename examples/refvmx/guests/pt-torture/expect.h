/* SPDX-License-Identifier: MIT */
/*
 * What pt-torture's checks expect of an access, and the markers they
 * compare with. Every access to a test mapping goes through a probe
 * (fault_probe.h) and lands PROBE_OFFSET into its page; an unmet
 * expectation prints the check's FAIL line and returns false.
 */
#ifndef PT_EXPECT_H
#define PT_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "torture.h"

/* Not 0, so a mapping or a CR2 that drops the page offset shows up. */
#define PROBE_OFFSET 0x234

/* The word at PROBE_OFFSET into the page at pa, through the identity
 * map. */
static inline volatile uint32_t *probe_word(uint64_t pa)
{
	return (volatile uint32_t *)(uintptr_t)(pa + PROBE_OFFSET);
}

uint32_t new_marker(void);
/* Writes a new marker at probe_word(pa) and returns it. */
uint32_t mark(uint64_t pa);

enum access { ACCESS_READ, ACCESS_WRITE, ACCESS_FETCH };

/* A read at va returns `want`. `old` is what a stale translation would
 * return (0: none), named in the message when that is what came back. */
bool expect_read(const char *check, uintptr_t va, uint32_t want, uint32_t old);
bool expect_write(const char *check, uintptr_t va, uint32_t value);
/* A call to va returns `want` (the code there is write_code()'s). */
bool expect_exec(const char *check, uintptr_t va, uint32_t want);
/* The access raises #PF with exactly `error` and CR2 = va (SDM 4.7). */
bool expect_pf(const char *check, enum access a, uintptr_t va, uint64_t error);
/* The entry has `bit` set, as the CPU should have set it `after` ... */
bool expect_entry_bit(const char *check, const struct torture *t,
		      const void *entry, const char *what, uint64_t bit,
		      const char *bit_name, const char *after);

#endif /* PT_EXPECT_H */
