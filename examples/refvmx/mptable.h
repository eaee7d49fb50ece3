/* SPDX-License-Identifier: MIT */
/* The CPUs from the Intel MultiProcessor Specification tables: the
 * fallback for firmware without an ACPI MADT. */
#ifndef REFVMX_MPTABLE_H
#define REFVMX_MPTABLE_H

#include <stdint.h>

/* Local APIC IDs of the enabled processors; how many (0: no table). */
unsigned mptable_find_cpus(uint32_t *apic_ids, unsigned max);

#endif
