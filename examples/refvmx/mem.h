/* SPDX-License-Identifier: MIT */
/*
 * refvmx's memory: the host runs identity-mapped (hva = hpa) over the
 * first 4 GiB. Three regions are carved from RAM above the kernel and the
 * boot modules: the guest's RAM (guest-physical 0 is its first byte), the
 * pool of shadow-table pages handed to libshadowmmu, and a heap for
 * control structures.
 */
#ifndef REFVMX_MEM_H
#define REFVMX_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "multiboot2.h"

/* Guest RAM unless the kernel command line says guest-ram=MiB. */
#define GUEST_RAM_DEFAULT (128ull << 20)
#define GUEST_RAM_MIN	  (16ull << 20)
/* Shadow-page pool unless the command line says shadow-pool=MiB. */
#define SHADOW_POOL_DEFAULT (4ull << 20) /* 1024 shadow pages */
#define HEAP_SIZE	    (8ull << 20)

struct mem_layout {
	uint64_t guest_base; /* hpa of gpa 0; 2 MiB aligned */
	uint64_t guest_size; /* bytes of guest RAM, gpa [0, guest_size) */
	uint64_t pool_base;
	uint64_t pool_size; /* bytes of shadow-page pool */
	uint64_t heap_base;
};

extern struct mem_layout mem;

/* Place the regions, guest_size bytes of guest RAM (a multiple of 2 MiB)
 * first, then pool_size bytes of shadow-page pool; false (with a
 * message) if RAM is too small. */
bool mem_init(const struct boot_info *bi, uint64_t guest_size,
	      uint64_t pool_size);

/* Zeroed control-structure memory; NULL when the heap is spent. */
void *heap_alloc(size_t size);
void heap_free(void *p, size_t size);

/* One 4 KiB shadow-table page, zeroed; false when the pool is spent. */
bool pool_alloc(uint64_t *hpa, void **hva);
void pool_free(uint64_t hpa);
unsigned pool_pages_in_use(void);

/* Host memory that is not the guest's, zeroed, 4 KiB aligned (VMXON
 * regions, VMCSs, bitmaps); panics when the heap is spent. */
void *page_alloc_host(void);

#endif
