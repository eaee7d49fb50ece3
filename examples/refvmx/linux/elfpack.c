/* SPDX-License-Identifier: MIT */
/*
 * elfpack IN OUT: a smaller copy of an ELF64 executable for a loader
 * that reads only program headers (refvmx's guest_load.c). Each PT_LOAD
 * segment keeps its addresses and memory size, but its file image drops
 * its trailing zeros (they become bss) and the segments lie back to back
 * in the file (16-byte aligned) instead of at their 2 MiB alignment; a
 * PT_NOTE keeps pointing at its bytes inside the segment that holds
 * them; section headers are dropped. Linux's vmlinux: 53 MB -> about 38,
 * which GRUB reads from the CD in Bochs at a few MB per second.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *p = malloc(*len);
	if (p && fread(p, 1, *len, f) != *len) {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

int main(int argc, char **argv)
{
	size_t len;
	unsigned char *in = argc == 3 ? slurp(argv[1], &len) : NULL;
	if (!in || len < sizeof(Elf64_Ehdr) || memcmp(in, ELFMAG, SELFMAG) ||
	    in[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "usage: elfpack IN.elf64 OUT\n");
		return 2;
	}
	Elf64_Ehdr eh;
	memcpy(&eh, in, sizeof(eh));
	if (eh.e_phoff + (size_t)eh.e_phnum * sizeof(Elf64_Phdr) > len)
		return 2;
	Elf64_Phdr *ph = calloc(eh.e_phnum, sizeof(Elf64_Phdr));
	memcpy(ph, in + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));
	/* Where each PT_LOAD goes in the output, and its new size. */
	size_t at = (sizeof(eh) + eh.e_phnum * sizeof(Elf64_Phdr) + 15) & ~15ul;
	size_t *new_off = calloc(eh.e_phnum, sizeof(size_t));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_offset + ph[i].p_filesz > len)
			return 2;
		size_t n = ph[i].p_filesz;
		while (n && !in[ph[i].p_offset + n - 1])
			n--;
		new_off[i] = at;
		at = (at + n + 15) & ~15ul;
		ph[i].p_filesz = n;
	}
	unsigned char *out = calloc(1, at);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			memcpy(out + new_off[i], in + ph[i].p_offset,
			       ph[i].p_filesz);
			continue;
		}
		if (ph[i].p_type != PT_NOTE)
			continue;
		/* The note's bytes are in the PT_LOAD whose file image held
		 * them: the same distance from its new start. */
		for (unsigned j = 0; j < eh.e_phnum; j++) {
			Elf64_Phdr *l = &ph[j];
			const Elf64_Phdr *o =
				(const Elf64_Phdr *)(in + eh.e_phoff) + j;
			if (l->p_type == PT_LOAD &&
			    ph[i].p_offset >= o->p_offset &&
			    ph[i].p_offset + ph[i].p_filesz <=
				    o->p_offset + l->p_filesz) {
				ph[i].p_offset = new_off[j] +
						 (ph[i].p_offset - o->p_offset);
				break;
			}
		}
	}
	for (unsigned i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			ph[i].p_offset = new_off[i];
	eh.e_phoff = sizeof(eh);
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = 0;
	memcpy(out, &eh, sizeof(eh));
	memcpy(out + sizeof(eh), ph, eh.e_phnum * sizeof(Elf64_Phdr));
	FILE *f = fopen(argv[2], "wb");
	if (!f || fwrite(out, 1, at, f) != at || fclose(f)) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
