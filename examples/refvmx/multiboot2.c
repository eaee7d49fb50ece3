/* SPDX-License-Identifier: MIT */
#include "multiboot2.h"

/* Tag types (multiboot2 specification, "Boot information format"). */
#define TAG_END	     0
#define TAG_CMDLINE  1
#define TAG_MODULE   3
#define TAG_MMAP     6
#define TAG_ACPI_OLD 14
#define TAG_ACPI_NEW 15

struct tag {
	uint32_t type, size;
};

void mb2_parse(uint64_t info, struct boot_info *out)
{
	*out = (struct boot_info){ .cmdline = "" };
	uint32_t total = *(const uint32_t *)info;
	out->info_end = info + total;
	for (uint64_t p = info + 8; p < info + total;
	     p += (((const struct tag *)p)->size + 7) & ~7u) {
		const struct tag *t = (const struct tag *)p;
		const uint32_t *w = (const uint32_t *)(t + 1);
		switch (t->type) {
		case TAG_END:
			return;
		case TAG_CMDLINE:
			out->cmdline = (const char *)w;
			break;
		case TAG_MODULE:
			if (out->nr_modules < MB2_MAX_MODULES)
				out->module[out->nr_modules++] =
					(struct mb2_module){
						.start = w[0],
						.end = w[1],
						.name = (const char *)&w[2],
					};
			break;
		case TAG_MMAP: {
			uint32_t entry_size = w[0];
			for (uint64_t e = (uint64_t)&w[2]; e < p + t->size;
			     e += entry_size) {
				const uint64_t *m = (const uint64_t *)e;
				uint32_t type = *(const uint32_t *)(e + 16);
				if (type == 1 && out->nr_ram < MB2_MAX_RAM)
					out->ram[out->nr_ram++] =
						(struct mb2_ram_range){
							m[0], m[0] + m[1]
						};
			}
			break;
		}
		case TAG_ACPI_OLD:
		case TAG_ACPI_NEW:
			if (!out->rsdp)
				out->rsdp = (uint64_t)w;
			break;
		}
	}
}
