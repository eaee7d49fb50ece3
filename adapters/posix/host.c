/* SPDX-License-Identifier: MIT */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *posix_alloc(void *host, size_t size)
{
	(void)host;
	return calloc(1, size);
}

static void posix_free(void *host, void *ptr, size_t size)
{
	(void)host;
	(void)size;
	free(ptr);
}

/*
 * Guest memory is shared with the vCPUs running meanwhile: they store to
 * it, and their walks set accessed and dirty flags in its paging entries
 * with compare-exchanges, also while the library reads a whole guest
 * table (copy_guest_entries). So it is read and written in atomic pieces,
 * each naturally aligned 8- or 4-byte piece (a paging entry) whole, as a
 * CPU reads and writes it: a torn entry is no entry the guest wrote, and
 * a plain memcpy would race with those stores in the C memory model.
 * Guest RAM is page aligned, so the alignment of `guest` is the gpa's.
 */
static void read_guest(void *buf, const void *guest, size_t len)
{
	char *d = buf;
	const char *s = guest;
	while (len) {
		if (len >= 8 && !((uintptr_t)s & 7)) {
			uint64_t v = __atomic_load_n((const uint64_t *)s,
						     __ATOMIC_ACQUIRE);
			memcpy(d, &v, 8);
			d += 8, s += 8, len -= 8;
		} else if (len >= 4 && !((uintptr_t)s & 3)) {
			uint32_t v = __atomic_load_n((const uint32_t *)s,
						     __ATOMIC_ACQUIRE);
			memcpy(d, &v, 4);
			d += 4, s += 4, len -= 4;
		} else {
			*d++ = (char)__atomic_load_n((const unsigned char *)s++,
						     __ATOMIC_ACQUIRE);
			len--;
		}
	}
}

static void write_guest(void *guest, const void *buf, size_t len)
{
	char *d = guest;
	const char *s = buf;
	while (len) {
		if (len >= 8 && !((uintptr_t)d & 7)) {
			uint64_t v;
			memcpy(&v, s, 8);
			__atomic_store_n((uint64_t *)d, v, __ATOMIC_RELEASE);
			d += 8, s += 8, len -= 8;
		} else if (len >= 4 && !((uintptr_t)d & 3)) {
			uint32_t v;
			memcpy(&v, s, 4);
			__atomic_store_n((uint32_t *)d, v, __ATOMIC_RELEASE);
			d += 4, s += 4, len -= 4;
		} else {
			__atomic_store_n((unsigned char *)d++,
					 (unsigned char)*s++, __ATOMIC_RELEASE);
			len--;
		}
	}
}

static int posix_read_gpa(void *host, uint64_t gpa, void *buf, size_t len)
{
	struct smmu_posix_host *h = host;
	const void *src = smmu_posix_ram_ptr(&h->ram, gpa, len);
	if (!src)
		return SMMU_GPA_NOT_RAM;
	read_guest(buf, src, len);
	return SMMU_GPA_OK;
}

static int posix_cmpxchg_gpa(void *host, uint64_t gpa, unsigned size,
			     uint64_t old_val, uint64_t new_val)
{
	struct smmu_posix_host *h = host;
	if ((size != 4 && size != 8) || (gpa & (size - 1)))
		return SMMU_GPA_NOT_RAM;
	if (h->cmpxchg_hook)
		return h->cmpxchg_hook(h->hook_arg, gpa, size, old_val,
				       new_val);
	void *p = smmu_posix_ram_ptr(&h->ram, gpa, size);
	if (!p)
		return SMMU_GPA_NOT_RAM;
	return smmu_posix_cmpxchg(p, size, old_val, new_val) ? SMMU_GPA_OK
							     : SMMU_GPA_CHANGED;
}

int smmu_posix_write_gpa(void *host, uint64_t gpa, const void *buf, size_t len)
{
	struct smmu_posix_host *h = host;
	if (h->write_hook)
		return h->write_hook(h->hook_arg, gpa, buf, len);
	void *dst = smmu_posix_ram_ptr(&h->ram, gpa, len);
	if (!dst)
		return SMMU_GPA_NOT_RAM;
	write_guest(dst, buf, len);
	return SMMU_GPA_OK;
}

static void posix_log(void *host, enum smmu_log_level level, const char *msg)
{
	struct smmu_posix_host *h = host;
	static const char *const names[] = { "error", "warn", "debug" };
	__atomic_add_fetch(&h->nr_logs, 1, __ATOMIC_RELAXED);
	if (h->verbose || level == SMMU_LOG_ERROR)
		fprintf(stderr, "shadowmmu %s: %s\n", names[level], msg);
}

const struct smmu_host_ops smmu_posix_host_ops = {
	.alloc = posix_alloc,
	.free = posix_free,
	.read_gpa = posix_read_gpa,
	.cmpxchg_gpa = posix_cmpxchg_gpa,
	.log = posix_log,
};
