/* SPDX-License-Identifier: MIT */
/* Bringing up the other CPUs, and each CPU's life as a vCPU's host. */
#ifndef REFVMX_SMP_H
#define REFVMX_SMP_H

#include <stdint.h>

#include "multiboot2.h"

/* Find the CPUs (ACPI MADT) and start every AP; each enables VMX and
 * parks until the guest starts its vCPU. Returns the number of CPUs. */
unsigned smp_start_aps(const struct boot_info *bi);

#endif
