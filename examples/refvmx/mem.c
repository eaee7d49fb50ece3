/* SPDX-License-Identifier: MIT */
#include "mem.h"

#include "console.h"
#include "cpu.h"

struct mem_layout mem;

/* The heap and the pool are used by every CPU. */
static volatile int mem_lock;

static void lock(void)
{
	while (__atomic_exchange_n(&mem_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&mem_lock, 0, __ATOMIC_RELEASE);
}

extern char kernel_end[];

static void zero(void *p, size_t n)
{
	/* One string instruction: guest RAM is 128 MiB by default, and
	 * emulators (Bochs) run REP STOS far faster than a loop. */
	size_t qwords = n / 8;
	__asm__ volatile("rep stosq"
			 : "+D"(p), "+c"(qwords)
			 : "a"(0ull)
			 : "memory");
}

/* The lowest 2 MiB-aligned start at or above `from` of `size` bytes of
 * type-1 RAM; 0 if none. */
static uint64_t place(const struct boot_info *bi, uint64_t from, uint64_t size)
{
	for (unsigned i = 0; i < bi->nr_ram; i++) {
		uint64_t s = bi->ram[i].start > from ? bi->ram[i].start : from;
		s = (s + 0x1fffff) & ~0x1fffffull;
		if (s + size <= bi->ram[i].end && s + size <= (4ull << 30))
			return s;
	}
	return 0;
}

bool mem_init(const struct boot_info *bi, uint64_t guest_size,
	      uint64_t pool_size)
{
	mem.guest_size = guest_size;
	mem.pool_size = pool_size;
	uint64_t from = (uint64_t)kernel_end;
	/* Above the modules and GRUB's information (the module strings
	 * are read from it later). */
	for (unsigned i = 0; i < bi->nr_modules; i++)
		if (bi->module[i].end > from)
			from = bi->module[i].end;
	if (bi->info_end > from)
		from = bi->info_end;
	mem.guest_base = place(bi, from, guest_size);
	mem.pool_base = mem.guest_base ? place(bi, mem.guest_base + guest_size,
					       pool_size + HEAP_SIZE)
				       : 0;
	if (!mem.pool_base) {
		kprintf("refvmx: FAIL not enough RAM below 4 GiB for %llu MiB "
			"of guest RAM, %llu MiB of shadow pool and the heap\n",
			(unsigned long long)(guest_size >> 20),
			(unsigned long long)(pool_size >> 20));
		return false;
	}
	mem.heap_base = mem.pool_base + pool_size;
	zero((void *)mem.guest_base, guest_size);
	kprintf("refvmx: guest RAM %llu MiB at hpa 0x%llx, shadow pool %llu "
		"pages, heap %llu MiB\n",
		(unsigned long long)(guest_size >> 20),
		(unsigned long long)mem.guest_base,
		(unsigned long long)(pool_size >> 12),
		(unsigned long long)(HEAP_SIZE >> 20));
	return true;
}

/* ---- the heap: power-of-two size classes, each with a free list ---- */

#define MIN_CLASS 4  /* 16 bytes */
#define MAX_CLASS 12 /* 4 KiB */

static uint64_t heap_next;

static void *free_list[MAX_CLASS + 1];

static unsigned class_of(size_t size)
{
	unsigned c = MIN_CLASS;
	while ((1ull << c) < size)
		c++;
	return c;
}

/* Blocks larger than a page (the VM's hash tables): whole pages from the
 * heap, reused only for the same size. */
struct large_block {
	struct large_block *next;
	size_t size;
};
static struct large_block *large_free;

static void *large_alloc(size_t size)
{
	size = (size + 4095) & ~(size_t)4095;
	for (struct large_block **b = &large_free; *b; b = &(*b)->next) {
		if ((*b)->size == size) {
			void *p = *b;
			*b = (*b)->next;
			zero(p, size);
			return p;
		}
	}
	if (!heap_next)
		heap_next = mem.heap_base;
	uint64_t a = (heap_next + 4095) & ~4095ull;
	if (a + size > mem.heap_base + HEAP_SIZE)
		return NULL;
	heap_next = a + size;
	zero((void *)a, size);
	return (void *)a;
}

static void *heap_alloc_unlocked(size_t size)
{
	if (size > (1u << MAX_CLASS))
		return large_alloc(size);
	if (size == 0)
		return NULL;
	unsigned c = class_of(size);
	void *p = free_list[c];
	if (p) {
		free_list[c] = *(void **)p;
	} else {
		if (!heap_next)
			heap_next = mem.heap_base;
		uint64_t a = (heap_next + (1ull << c) - 1) & ~((1ull << c) - 1);
		if (a + (1ull << c) > mem.heap_base + HEAP_SIZE)
			return NULL;
		heap_next = a + (1ull << c);
		p = (void *)a;
	}
	zero(p, 1ull << c);
	return p;
}

static void heap_free_unlocked(void *p, size_t size)
{
	if (!p)
		return;
	if (size > (1u << MAX_CLASS)) {
		struct large_block *b = p;
		b->size = (size + 4095) & ~(size_t)4095;
		b->next = large_free;
		large_free = b;
		return;
	}
	unsigned c = class_of(size);
	*(void **)p = free_list[c];
	free_list[c] = p;
}

void *page_alloc_host(void)
{
	void *p = heap_alloc(4096);
	if (!p)
		panic("host heap spent");
	return p;
}

/* ---- the shadow-page pool ---- */

static uint64_t pool_free_list; /* hpa of the first free page, 0: none */
static uint64_t pool_next;
static unsigned pool_used;

static bool pool_alloc_unlocked(uint64_t *hpa, void **hva)
{
	uint64_t a = pool_free_list;
	if (a) {
		pool_free_list = *(uint64_t *)a;
	} else {
		if (!pool_next)
			pool_next = mem.pool_base;
		if (pool_next >= mem.pool_base + mem.pool_size)
			return false;
		a = pool_next;
		pool_next += 4096;
	}
	zero((void *)a, 4096);
	pool_used++;
	*hpa = a;
	*hva = (void *)a;
	return true;
}

static void pool_free_unlocked(uint64_t hpa)
{
	*(uint64_t *)hpa = pool_free_list;
	pool_free_list = hpa;
	pool_used--;
}

unsigned pool_pages_in_use(void)
{
	return pool_used;
}

void *heap_alloc(size_t size)
{
	lock();
	void *r = heap_alloc_unlocked(size);
	unlock();
	return r;
}

void heap_free(void *p, size_t size)
{
	lock();
	heap_free_unlocked(p, size);
	unlock();
}

bool pool_alloc(uint64_t *hpa, void **hva)
{
	lock();
	bool r = pool_alloc_unlocked(hpa, hva);
	unlock();
	return r;
}

void pool_free(uint64_t hpa)
{
	lock();
	pool_free_unlocked(hpa);
	unlock();
}
