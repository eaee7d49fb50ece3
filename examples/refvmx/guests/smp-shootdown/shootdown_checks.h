/* SPDX-License-Identifier: MIT */
/*
 * The two-vCPU checks, written once for every paging mode and compiled
 * into both stages. Both vCPUs run on one set of tables; the boot vCPU
 * changes them, flushes its own TLB and shoots down the second vCPU's
 * with an IPI; then both read back, by content, what the architecture
 * guarantees after the acknowledged shootdown. A stale translation is
 * never required: only the new mapping (or the #PF of a removed one) is
 * checked.
 */
#ifndef SMP_SHOOTDOWN_CHECKS_H
#define SMP_SHOOTDOWN_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include "address_space.h"

/* Builds tables in mode (an identity map plus a test window at window,
 * 1 GiB aligned), puts both vCPUs on them and runs the checks, one
 * verdict line each. Without a second vCPU every check is one SKIP line
 * and nothing is built. Returns with both vCPUs still on the tables: the
 * caller moves them off before the pool is reused. */
void shootdown_run_mode(const struct paging_mode *mode, uintptr_t window,
			bool have_second, struct address_space *as);

#endif /* SMP_SHOOTDOWN_CHECKS_H */
