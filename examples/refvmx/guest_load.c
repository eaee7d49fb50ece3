/* SPDX-License-Identifier: MIT */
#include "guest_load.h"

#include "console.h"
#include "mem.h"

#define PT_LOAD 1

struct elf_ident {
	uint8_t magic[4], class, data, version, pad[9];
	uint16_t type, machine;
	uint32_t version2;
};

/* One loadable segment, whatever the ELF class. */
struct segment {
	uint64_t offset, paddr, filesz, memsz;
};

static bool copy_segment(uint64_t image, uint64_t image_size,
			 const struct segment *s)
{
	if (s->filesz > s->memsz || s->offset > image_size ||
	    s->filesz > image_size - s->offset || s->paddr > GUEST_RAM_SIZE ||
	    s->memsz > GUEST_RAM_SIZE - s->paddr) {
		kprintf("refvmx: guest segment at gpa 0x%llx (+0x%llx) does "
			"not fit guest RAM or its image\n",
			(unsigned long long)s->paddr,
			(unsigned long long)s->memsz);
		return false;
	}
	uint8_t *dst = (uint8_t *)(mem.guest_base + s->paddr);
	const uint8_t *src = (const uint8_t *)(image + s->offset);
	for (uint64_t i = 0; i < s->memsz; i++)
		dst[i] = i < s->filesz ? src[i] : 0;
	return true;
}

bool guest_load_elf(uint64_t start, uint64_t end, uint64_t *entry)
{
	const struct elf_ident *id = (const struct elf_ident *)start;
	uint64_t size = end - start;
	if (size < 64 || id->magic[0] != 0x7f || id->magic[1] != 'E' ||
	    id->magic[2] != 'L' || id->magic[3] != 'F' || id->data != 1) {
		kprintf("refvmx: guest module is not a little-endian ELF\n");
		return false;
	}
	bool is64 = id->class == 2;
	uint64_t phoff, phnum, phentsize;
	if (is64) {
		*entry = *(const uint64_t *)(start + 24);
		phoff = *(const uint64_t *)(start + 32);
		phentsize = *(const uint16_t *)(start + 54);
		phnum = *(const uint16_t *)(start + 56);
	} else {
		*entry = *(const uint32_t *)(start + 24);
		phoff = *(const uint32_t *)(start + 28);
		phentsize = *(const uint16_t *)(start + 42);
		phnum = *(const uint16_t *)(start + 44);
	}
	if (phoff > size || phnum * phentsize > size - phoff) {
		kprintf("refvmx: guest ELF program headers out of range\n");
		return false;
	}
	for (uint64_t i = 0; i < phnum; i++) {
		uint64_t ph = start + phoff + i * phentsize;
		struct segment s;
		if (*(const uint32_t *)ph != PT_LOAD)
			continue;
		if (is64)
			s = (struct segment){ *(const uint64_t *)(ph + 8),
					      *(const uint64_t *)(ph + 24),
					      *(const uint64_t *)(ph + 32),
					      *(const uint64_t *)(ph + 40) };
		else
			s = (struct segment){ *(const uint32_t *)(ph + 4),
					      *(const uint32_t *)(ph + 12),
					      *(const uint32_t *)(ph + 16),
					      *(const uint32_t *)(ph + 20) };
		if (!copy_segment(start, size, &s))
			return false;
	}
	if (*entry >= GUEST_RAM_SIZE) {
		kprintf("refvmx: guest entry 0x%llx is outside guest RAM\n",
			(unsigned long long)*entry);
		return false;
	}
	return true;
}
