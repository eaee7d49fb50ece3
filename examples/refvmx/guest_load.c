/* SPDX-License-Identifier: MIT */
#include "guest_load.h"

#include "console.h"
#include "mem.h"

#define PT_LOAD	  1
#define PT_NOTE	  4
#define EM_386	  3
#define EM_X86_64 62
#define ET_EXEC	  2

/* Multiboot 1 (Multiboot Specification 0.6.96, 3.1): the header lies in
 * the first 8 KiB, 4-byte aligned. Flags 0-15 are requirements a loader
 * must refuse when it cannot meet them; 16 says the address fields are
 * valid. */
#define MB1_MAGIC	  0x1badb002u
#define MB1_SEARCH	  8192
#define MB1_PAGE_ALIGN	  (1u << 0) /* modules page-aligned: always */
#define MB1_MEMORY_INFO	  (1u << 1) /* mem_* and the memory map: always */
#define MB1_VIDEO_MODE	  (1u << 2) /* no display here */
#define MB1_ADDRESS_VALID (1u << 16)

/* Multiboot 2 (specification 3.1.1): first 32 KiB, 8-byte aligned. */
#define MB2_MAGIC  0xe85250d6u
#define MB2_SEARCH 32768

struct mb1_header {
	uint32_t magic, flags, checksum;
	/* valid with MB1_ADDRESS_VALID */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t entry_addr;
};

struct elf_ident {
	uint8_t magic[4], class, data, version, pad[9];
	uint16_t type, machine;
	uint32_t version2;
};

/* One range to fill in guest RAM: filesz bytes from the image at offset,
 * then zeros up to memsz. */
struct segment {
	uint64_t offset, paddr, filesz, memsz;
};

static bool copy_segment(uint64_t image, uint64_t image_size,
			 const struct segment *s, struct guest_image *out)
{
	if (s->filesz > s->memsz || s->offset > image_size ||
	    s->filesz > image_size - s->offset || s->paddr > mem.guest_size ||
	    s->memsz > mem.guest_size - s->paddr) {
		kprintf("refvmx: guest segment at gpa 0x%llx (+0x%llx) does "
			"not fit guest RAM or its image\n",
			(unsigned long long)s->paddr,
			(unsigned long long)s->memsz);
		return false;
	}
	/* String instructions: a Linux kernel is tens of MiB, and
	 * emulators run REP MOVS/STOS far faster than a loop. */
	void *dst = (void *)(mem.guest_base + s->paddr);
	const void *src = (const void *)(image + s->offset);
	uint64_t n = s->filesz, zeros = s->memsz - s->filesz;
	__asm__ volatile("rep movsb"
			 : "+D"(dst), "+S"(src), "+c"(n)
			 :
			 : "memory");
	__asm__ volatile("rep stosb"
			 : "+D"(dst), "+c"(zeros)
			 : "a"(0)
			 : "memory");
	if (s->paddr + s->memsz > out->end)
		out->end = s->paddr + s->memsz;
	return true;
}

/* Xen's ELF notes (public/elfnote.h): name "Xen", type 18 holds the
 * 32-bit physical entry of the PVH boot protocol. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* The PVH entry of an ELF image from its PT_NOTE segments, or 0. */
static uint64_t pvh_entry(uint64_t start, uint64_t size, bool is64,
			  uint64_t phoff, uint64_t phnum, uint64_t phentsize)
{
	for (uint64_t i = 0; i < phnum; i++) {
		uint64_t ph = start + phoff + i * phentsize;
		if (*(const uint32_t *)ph != PT_NOTE)
			continue;
		uint64_t off = is64 ? *(const uint64_t *)(ph + 8)
				    : *(const uint32_t *)(ph + 4);
		uint64_t len = is64 ? *(const uint64_t *)(ph + 32)
				    : *(const uint32_t *)(ph + 16);
		if (off > size || len > size - off)
			continue;
		/* Each note: namesz, descsz, type, then name and desc,
		 * each padded to 4 bytes. */
		for (uint64_t p = 0; p + 12 <= len;) {
			const uint32_t *n = (const uint32_t *)(start + off + p);
			uint64_t name = (n[0] + 3ull) & ~3ull;
			uint64_t desc = (n[1] + 3ull) & ~3ull;
			if (p + 12 + name + desc > len)
				break;
			const char *nm = (const char *)(n + 3);
			if (n[0] == 4 && nm[0] == 'X' && nm[1] == 'e' &&
			    nm[2] == 'n' && !nm[3] &&
			    n[2] == XEN_ELFNOTE_PHYS32_ENTRY &&
			    (n[1] == 4 || n[1] == 8))
				return n[1] == 4 ? *(const uint32_t *)(nm + 4)
						 : *(const uint64_t *)(nm + 4);
			p += 12 + name + desc;
		}
	}
	return 0;
}

static bool load_elf(uint64_t start, uint64_t size, struct guest_image *out)
{
	const struct elf_ident *id = (const struct elf_ident *)start;
	if (size < 64 || id->magic[0] != 0x7f || id->magic[1] != 'E' ||
	    id->magic[2] != 'L' || id->magic[3] != 'F' || id->data != 1 ||
	    (id->class != 1 && id->class != 2)) {
		kprintf("refvmx: guest module is not a little-endian ELF "
			"(and its Multiboot header has no address fields)\n");
		return false;
	}
	if (id->type != ET_EXEC ||
	    (id->machine != EM_386 && id->machine != EM_X86_64)) {
		kprintf("refvmx: guest ELF is not an x86 executable (type %u, "
			"machine %u)\n",
			id->type, id->machine);
		return false;
	}
	bool is64 = id->class == 2;
	uint64_t phoff, phnum, phentsize;
	if (is64) {
		out->entry = *(const uint64_t *)(start + 24);
		phoff = *(const uint64_t *)(start + 32);
		phentsize = *(const uint16_t *)(start + 54);
		phnum = *(const uint16_t *)(start + 56);
	} else {
		out->entry = *(const uint32_t *)(start + 24);
		phoff = *(const uint32_t *)(start + 28);
		phentsize = *(const uint16_t *)(start + 42);
		phnum = *(const uint16_t *)(start + 44);
	}
	if (phentsize < (is64 ? 56u : 32u) || phoff > size ||
	    phnum * phentsize > size - phoff) {
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
		if (!copy_segment(start, size, &s, out))
			return false;
	}
	if (out->protocol == GUEST_PVH) {
		out->entry =
			pvh_entry(start, size, is64, phoff, phnum, phentsize);
		if (!out->entry) {
			kprintf("refvmx: guest module has no Multiboot header "
				"(1 or 2) and no PVH entry note\n");
			return false;
		}
	}
	return true;
}

/* The a.out kludge (Multiboot 3.1.3): the header says where the file
 * goes. The load starts header_addr - load_addr bytes before the header
 * in the file; load_end_addr 0 means "to the end of the file" and
 * bss_end_addr 0 "no bss". */
static bool load_aout_kludge(uint64_t start, uint64_t size, uint64_t hdr_off,
			     const struct mb1_header *h,
			     struct guest_image *out)
{
	if (h->load_addr > h->header_addr ||
	    h->header_addr - h->load_addr > hdr_off) {
		kprintf("refvmx: Multiboot header: load_addr 0x%x is not "
			"before header_addr 0x%x in the file\n",
			h->load_addr, h->header_addr);
		return false;
	}
	uint64_t off = hdr_off - (h->header_addr - h->load_addr);
	uint64_t file_len = size - off;
	if (h->load_end_addr) {
		if (h->load_end_addr < h->load_addr ||
		    h->load_end_addr - h->load_addr > file_len) {
			kprintf("refvmx: Multiboot header: load_end_addr "
				"0x%x is outside the file (0x%llx bytes from "
				"load_addr 0x%x)\n",
				h->load_end_addr, (unsigned long long)file_len,
				h->load_addr);
			return false;
		}
		file_len = h->load_end_addr - h->load_addr;
	}
	uint64_t mem_len = file_len;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + file_len) {
			kprintf("refvmx: Multiboot header: bss_end_addr 0x%x "
				"lies before the loaded data\n",
				h->bss_end_addr);
			return false;
		}
		mem_len = h->bss_end_addr - h->load_addr;
	}
	struct segment s = { off, h->load_addr, file_len, mem_len };
	out->entry = h->entry_addr;
	out->aout_kludge = true;
	return copy_segment(start, size, &s, out);
}

static bool find_mb1(uint64_t start, uint64_t size, uint64_t *hdr_off)
{
	uint64_t limit = size < MB1_SEARCH ? size : MB1_SEARCH;
	for (uint64_t off = 0; off + 12 <= limit; off += 4) {
		const uint32_t *w = (const uint32_t *)(start + off);
		if (w[0] == MB1_MAGIC && w[0] + w[1] + w[2] == 0) {
			*hdr_off = off;
			return true;
		}
	}
	return false;
}

static bool find_mb2(uint64_t start, uint64_t size)
{
	uint64_t limit = size < MB2_SEARCH ? size : MB2_SEARCH;
	for (uint64_t off = 0; off + 16 <= limit; off += 8) {
		const uint32_t *w = (const uint32_t *)(start + off);
		if (w[0] == MB2_MAGIC && w[0] + w[1] + w[2] + w[3] == 0)
			return true;
	}
	return false;
}

bool guest_load(uint64_t start, uint64_t end, struct guest_image *out)
{
	uint64_t size = end - start, hdr_off;
	*out = (struct guest_image){ 0 };
	bool ok;
	if (find_mb1(start, size, &hdr_off)) {
		struct mb1_header h = { 0 };
		const uint8_t *src = (const uint8_t *)(start + hdr_off);
		uint64_t have =
			size - hdr_off < sizeof(h) ? size - hdr_off : sizeof(h);
		for (uint64_t i = 0; i < have; i++)
			((uint8_t *)&h)[i] = src[i];
		uint32_t unknown =
			h.flags & 0xffffu & ~(MB1_PAGE_ALIGN | MB1_MEMORY_INFO);
		if (unknown) {
			kprintf("refvmx: the Multiboot header requires flags "
				"0x%x (%s), which refvmx cannot meet\n",
				unknown,
				(unknown & MB1_VIDEO_MODE) ? "a video mode"
							   : "unknown");
			return false;
		}
		out->protocol = GUEST_MULTIBOOT1;
		if (!(h.flags & MB1_ADDRESS_VALID)) {
			ok = load_elf(start, size, out);
		} else if (have < sizeof(h)) {
			kprintf("refvmx: the Multiboot header's address "
				"fields run past the end of the file\n");
			return false;
		} else {
			ok = load_aout_kludge(start, size, hdr_off, &h, out);
		}
	} else if (find_mb2(start, size)) {
		out->protocol = GUEST_MULTIBOOT2;
		ok = load_elf(start, size, out);
	} else {
		/* A kernel booted by the PVH protocol (a Linux vmlinux):
		 * load_elf finds its entry note. */
		out->protocol = GUEST_PVH;
		ok = load_elf(start, size, out);
	}
	if (ok && out->entry >= mem.guest_size) {
		kprintf("refvmx: guest entry 0x%llx is outside guest RAM\n",
			(unsigned long long)out->entry);
		return false;
	}
	return ok;
}
