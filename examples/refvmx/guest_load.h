/* SPDX-License-Identifier: MIT */
/* Loading a guest: an ELF image from a boot module into guest RAM. */
#ifndef REFVMX_GUEST_LOAD_H
#define REFVMX_GUEST_LOAD_H

#include <stdbool.h>
#include <stdint.h>

/* Copy each PT_LOAD segment of the ELF32 or ELF64 image at [start, end)
 * to its physical address in guest RAM (zero-filling past the file
 * size); *entry gets the entry point. false, with a message, if the
 * image is not one or does not fit. */
bool guest_load_elf(uint64_t start, uint64_t end, uint64_t *entry);

#endif
