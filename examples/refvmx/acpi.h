/* SPDX-License-Identifier: MIT */
/* The CPUs, from the ACPI MADT. */
#ifndef REFVMX_ACPI_H
#define REFVMX_ACPI_H

#include <stdint.h>

#define MAX_CPUS 8

/* Local APIC IDs of the enabled processors, the boot CPU's included;
 * returns how many (0 if no MADT was found). */
unsigned acpi_find_cpus(uint64_t rsdp, uint32_t *apic_ids, unsigned max);

#endif
