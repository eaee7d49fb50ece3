/* SPDX-License-Identifier: MIT */
/* The host's segments: one GDT and TSS per CPU (percpu.h); VM exits
 * need a non-zero host TR. */
#ifndef REFVMX_GDT_H
#define REFVMX_GDT_H

#include <stdint.h>

#define HOST_CS 0x08
#define HOST_DS 0x10
#define HOST_TR 0x18

/* This CPU's GDT and TSS, for the VMCS host state. */
uint64_t gdt_base(void);
uint64_t tss_base(void);

#endif
