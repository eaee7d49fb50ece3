/* SPDX-License-Identifier: MIT */
/*
 * fuzz-api: the public API (include/shadowmmu/shadowmmu.h) called with
 * arbitrary arguments in arbitrary orders, through a single-threaded host
 * of its own: the posix host's guest RAM, a budget of shadow pages that
 * AddressSanitizer poisons while they are free, a queue of deferred frees
 * run when the input says, a depth-checked MMU lock, and optional host
 * ops (RCU sections, kicks, assisted flushes, 2 MiB backing, lock_held,
 * log) chosen by the input.
 *
 * Besides the sanitizers, it aborts when the library breaks a rule the
 * host can see: the MMU lock taken twice or dropped unheld, an RCU
 * section left open, a free of something not allocated or of another
 * size, a shadow page freed twice or not one of the host's, an entry that
 * asks for more flushes than SMMU_ENTRY_MAX_FLUSHES, shadow tables that
 * link a page that is not a live shadow page or map memory outside guest
 * RAM (or frames the host took away and reported), smmu_vm_destroy not
 * refusing (SMMU_EBUSY) a VM with vCPUs or deferred frees pending nor
 * accepting one without, and a VM destroyed with shadow pages still out.
 *
 * The input: 4 header bytes (host ops, shadow-page budget, which alloc()
 * call fails, guest RAM contents), then operations (an opcode byte and
 * its operands) until the bytes run out; tests/fuzz/README.md.
 */
#include <sanitizer/asan_interface.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shadowmmu/shadowmmu.h>

#include "fuzz_count.h"
#include "fuzz_input.h"
#include "fuzz_api.h"
#include "host.h"
#include "u64map.h"

#define FA_POOL_MAX    64u
#define FA_POOL_HPA    UINT64_C(0x10000000)
#define FA_GUEST_HPA   (UINT64_C(1) << 40)
#define FA_MAX_HOLES   8u
#define FA_ALLOC_LIMIT (UINT64_C(1) << 20)
#define PAGE	       UINT64_C(4096)

static uint8_t pool[FA_POOL_MAX][4096] __attribute__((aligned(4096)));

struct fa_host {
	struct smmu_posix_host posix; /* first: the host pointer */
	struct smmu_host_ops ops;
	struct smmu_vm *vm;
	struct smmu_vcpu *vcpu[FA_MAX_VCPUS];
	unsigned nr_vcpus;
	unsigned budget, allocated;
	bool used[FA_POOL_MAX];
	struct smmu_rcu_head *deferred;
	unsigned nr_deferred;
	unsigned lock_depth;
	int rcu_depth;
	unsigned long allocs, fail_alloc_at;
	struct u64map sizes;  /* alloc()ed pointer -> size + 1, 0 once freed */
	uint64_t dirty_count; /* pages of the active dirty log, 0: none */
	struct {
		uint64_t gpa, end;
	} hole[FA_MAX_HOLES];
	unsigned nr_holes;
	uint8_t check_seen[FA_POOL_MAX]; /* levels checked, bit per level */
};

/* FUZZ_API_VERBOSE=1: print every call and what it returned. */
static bool verbose;

static long note(const char *call, long result)
{
	if (verbose)
		fprintf(stderr, "fuzz-api: %s = %ld\n", call, result);
	return result;
}

#define V(call) note(#call, (long)(call))

static void finding(const char *what)
{
	fprintf(stderr, "fuzz-api: %s\n", what);
	abort();
}

static struct fa_host *host_of(void *host)
{
	return (struct fa_host *)((char *)host -
				  offsetof(struct fa_host, posix));
}

/* ---- host ops ---- */

static void *fa_alloc(void *host, size_t size)
{
	struct fa_host *h = host_of(host);
	if (++h->allocs == h->fail_alloc_at || size > FA_ALLOC_LIMIT)
		return NULL;
	void *p = calloc(1, size ? size : 1);
	if (!p)
		finding("calloc failed");
	*u64map_put(&h->sizes, (uintptr_t)p, 0) = (uint64_t)size + 1;
	return p;
}

static void fa_free(void *host, void *ptr, size_t size)
{
	struct fa_host *h = host_of(host);
	if (!ptr)
		return;
	uint64_t *sz = u64map_get(&h->sizes, (uintptr_t)ptr);
	if (!sz || !*sz)
		finding("free() of memory alloc() did not give (or freed "
			"twice)");
	if (*sz != (uint64_t)size + 1)
		finding("free() with a size other than alloc()'s");
	*sz = 0;
	free(ptr);
}

static void fa_log(void *host, enum smmu_log_level level, const char *msg)
{
	(void)host;
	(void)level;
	(void)msg;
}

static bool fa_alloc_page(void *host, uint64_t *hpa, void **hva)
{
	struct fa_host *h = host_of(host);
	if (h->allocated >= h->budget)
		return false;
	for (unsigned i = 0; i < FA_POOL_MAX; i++) {
		if (h->used[i])
			continue;
		h->used[i] = true;
		h->allocated++;
		ASAN_UNPOISON_MEMORY_REGION(pool[i], 4096);
		memset(pool[i], 0, 4096);
		*hpa = FA_POOL_HPA + PAGE * i;
		*hva = pool[i];
		return true;
	}
	return false;
}

static void fa_free_page(void *host, uint64_t hpa, void *hva)
{
	struct fa_host *h = host_of(host);
	uint64_t i = (hpa - FA_POOL_HPA) / PAGE;
	if (hpa < FA_POOL_HPA || (hpa & (PAGE - 1)) || i >= FA_POOL_MAX ||
	    !h->used[i] || hva != pool[i])
		finding("free_page of a page the host did not give, or "
			"freed twice");
	h->used[i] = false;
	h->allocated--;
	memset(pool[i], 0xa5, 4096);
	ASAN_POISON_MEMORY_REGION(pool[i], 4096);
}

static bool in_hole(const struct fa_host *h, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < h->nr_holes; i++)
		if (gpa < h->hole[i].end && gpa + len > h->hole[i].gpa)
			return true;
	return false;
}

static int fa_gfn_to_hpa(void *host, uint64_t gfn, uint64_t *hpa)
{
	struct fa_host *h = host_of(host);
	if (gfn >= FA_RAM / PAGE || in_hole(h, gfn * PAGE, PAGE))
		return SMMU_GPA_NOT_RAM;
	*hpa = FA_GUEST_HPA + gfn * PAGE;
	return SMMU_GPA_OK;
}

static bool fa_backing_is_2m(void *host, uint64_t gfn, uint64_t *hpa)
{
	struct fa_host *h = host_of(host);
	if ((gfn & 511) || gfn >= FA_RAM / PAGE ||
	    in_hole(h, gfn * PAGE, UINT64_C(2) << 20))
		return false;
	*hpa = FA_GUEST_HPA + gfn * PAGE;
	return true;
}

static void fa_lock(void *host)
{
	struct fa_host *h = host_of(host);
	if (h->lock_depth)
		finding("the MMU lock taken twice");
	h->lock_depth++;
}

static void fa_unlock(void *host)
{
	struct fa_host *h = host_of(host);
	if (h->lock_depth != 1)
		finding("the MMU lock dropped while not held");
	h->lock_depth--;
}

static bool fa_lock_held(void *host)
{
	return host_of(host)->lock_depth != 0;
}

static void fa_flush_all_cpus(void *host)
{
	if (!host_of(host)->lock_depth)
		finding("flush_all_cpus without the MMU lock");
}

static void fa_defer_free(void *host, struct smmu_rcu_head *head)
{
	struct fa_host *h = host_of(host);
	if (!head || !head->func)
		finding("defer_free without a callback");
	head->next = h->deferred;
	h->deferred = head;
	h->nr_deferred++;
}

static void run_deferred(struct fa_host *h)
{
	while (h->deferred) {
		struct smmu_rcu_head *head = h->deferred;
		h->deferred = head->next;
		h->nr_deferred--;
		head->func(head);
	}
}

static void fa_rcu_enter(void *host)
{
	host_of(host)->rcu_depth++;
}

static void fa_rcu_exit(void *host)
{
	if (--host_of(host)->rcu_depth < 0)
		finding("rcu_read_exit without rcu_read_enter");
}

static void fa_kick_cpus(void *host, const struct smmu_cpu_set *cpus)
{
	if (!cpus)
		finding("kick_cpus with no CPU set");
	(void)host;
}

static void fa_assisted_flush(void *host, const struct smmu_cpu_set *cpus)
{
	if (!cpus)
		finding("assisted_flush with no CPU set");
	(void)host;
}

/* ---- input ---- */

/* A linear address: mostly where the guest maps something, else raw. */
static uint64_t take_la(struct rd *r)
{
	uint8_t b = u8(r);
	if (b >= 0xc0)
		return u64(r);
	return ((uint64_t)(b & 0x3f) << 12) | ((uint64_t)(b & 0xc0) << 15) |
	       (uint64_t)u8(r) << 3;
}

/* A guest-physical address: mostly in the guest's tables, else raw. */
static uint64_t take_gpa(struct rd *r)
{
	uint8_t b = u8(r);
	if (b >= 0xc0)
		return u64(r);
	return FA_PML4 + PAGE * (b % FA_ROOTS) + (u16(r) & 0xfff);
}

static uint64_t take_gfn(struct rd *r)
{
	uint8_t b = u8(r);
	if (b >= 0xf0)
		return u64(r);
	return (b & 0x80 ? FA_PML4 / PAGE : 0) + (b & 0x7f);
}

static struct smmu_vcpu *take_vcpu(struct fa_host *h, struct rd *r)
{
	uint8_t b = u8(r);
	if (b == 0xff)
		return NULL;
	return h->vcpu[b % FA_MAX_VCPUS];
}

/* Page tables of every mode at FA_PML4..: 4-level (and 5-level through
 * FA_PML5) identity-map the first 2 MiB with user pages and the next
 * 2 MiB with one large page; the PAE PDPT links the same PD; the 32-bit
 * PD maps the first 4 MiB through FA_PT32. */
static void build_guest(struct fa_host *h)
{
	struct smmu_posix_ram *ram = &h->posix.ram;
	const uint64_t u = X86_PTE_P | X86_PTE_RW | X86_PTE_US;
	smmu_posix_ram_write64(ram, FA_PML5, FA_PML4 | u);
	smmu_posix_ram_write64(ram, FA_PML4, FA_PDPT | u);
	smmu_posix_ram_write64(ram, FA_PDPT, FA_PD | u);
	smmu_posix_ram_write64(ram, FA_PD, FA_PT | u);
	smmu_posix_ram_write64(ram, FA_PD + 8,
			       (UINT64_C(2) << 20) | u | X86_PTE_PS);
	for (uint64_t i = 0; i < 512; i++)
		smmu_posix_ram_write64(ram, FA_PT + 8 * i, (i << 12) | u);
	smmu_posix_ram_write64(ram, FA_PAE, FA_PD | X86_PTE_P);
	smmu_posix_ram_write32(ram, FA_PD32, (uint32_t)(FA_PT32 | u));
	for (uint32_t i = 0; i < 1024; i++)
		smmu_posix_ram_write32(ram, FA_PT32 + 4 * i,
				       (uint32_t)((i << 12) | u));
}

static void host_init(struct fa_host *h, struct rd *r)
{
	memset(h, 0, sizeof(*h));
	u64map_init(&h->sizes);
	if (smmu_posix_ram_init(&h->posix.ram, FA_RAM))
		finding("no guest RAM");
	ASAN_UNPOISON_MEMORY_REGION(pool, sizeof(pool));
	uint8_t ops = u8(r);
	h->budget = u8(r) % (FA_POOL_MAX + 1);
	h->fail_alloc_at = u8(r);
	uint8_t guest = u8(r);
	h->ops = smmu_posix_host_ops;
	h->ops.alloc = fa_alloc;
	h->ops.free = fa_free;
	h->ops.log = ops & 0x80 ? NULL : fa_log;
	if (!(ops & 1)) { /* else a host of the guest walker only */
		h->ops.alloc_page = fa_alloc_page;
		h->ops.free_page = fa_free_page;
		h->ops.write_gpa = smmu_posix_write_gpa;
		h->ops.gfn_to_hpa = fa_gfn_to_hpa;
		h->ops.lock = fa_lock;
		h->ops.unlock = fa_unlock;
		h->ops.flush_all_cpus = fa_flush_all_cpus;
		h->ops.defer_free = fa_defer_free;
		/* Some shadow op missing: the VM must be refused. */
		if (ops & 2)
			h->ops.defer_free = NULL;
	}
	if (ops & 4) {
		h->ops.rcu_read_enter = fa_rcu_enter;
		h->ops.rcu_read_exit = fa_rcu_exit;
	}
	if (ops & 8)
		h->ops.kick_cpus = fa_kick_cpus;
	if (ops & 16)
		h->ops.assisted_flush = fa_assisted_flush;
	if (ops & 32)
		h->ops.backing_is_2m = fa_backing_is_2m;
	if (ops & 64)
		h->ops.lock_held = fa_lock_held;
	if (guest & 1)
		build_guest(h);
}

/* ---- checks of what the library hands back ---- */

/* Every table a shadow table at `level` links is a live shadow page,
 * and every leaf maps guest RAM the host has not taken away. */
static void check_table(struct fa_host *h, uint64_t hpa, int level,
			bool pae_root)
{
	uint64_t i = (hpa - FA_POOL_HPA) / PAGE;
	if (hpa < FA_POOL_HPA || i >= FA_POOL_MAX || !h->used[i])
		finding("a shadow table links a page that is not a live "
			"shadow page");
	if (h->check_seen[i] & (1u << level))
		return;
	h->check_seen[i] |= (uint8_t)(1u << level);
	const uint64_t *t = (const uint64_t *)pool[i];
	for (unsigned k = 0; k < (pae_root ? 4u : 512u); k++) {
		uint64_t e = t[k];
		if (!(e & X86_PTE_P))
			continue;
		if (pae_root) {
			check_table(h, e & X86_BITS(51, 12), 2, false);
			continue;
		}
		if (level > 1 && !(e & X86_PTE_PS)) {
			check_table(h, e & X86_BITS(51, 12), level - 1, false);
			continue;
		}
		uint64_t size = UINT64_C(1) << (12 + 9 * (level - 1));
		uint64_t at = e & X86_BITS(51, 12) & ~(size - 1);
		if (at < FA_GUEST_HPA || at - FA_GUEST_HPA >= FA_RAM ||
		    size > FA_RAM - (at - FA_GUEST_HPA))
			finding("a shadow leaf maps memory outside guest RAM");
		if (in_hole(h, at - FA_GUEST_HPA, size))
			finding("a shadow leaf maps a frame the host took "
				"away and reported (SMMU_GFN_UNMAP)");
	}
}

static void check_entry(struct fa_host *h, const struct smmu_entry *e)
{
	if (e->nr_flushes > SMMU_ENTRY_MAX_FLUSHES)
		finding("smmu_vcpu_enter asks for more flushes than "
			"SMMU_ENTRY_MAX_FLUSHES");
	for (unsigned i = 0; i < e->nr_flushes; i++)
		if (e->flush[i].scope > SMMU_FLUSH_VCPU_ALL)
			finding("smmu_vcpu_enter asks for an unknown flush");
	memset(h->check_seen, 0, sizeof(h->check_seen));
	uint64_t root = e->cr3 & X86_BITS(51, 12);
	if (e->pae && e->cr3 >> 32)
		finding("a legacy PAE root above 4 GiB");
	check_table(h, root, e->pae ? 3 : e->la57 ? 5 : 4, e->pae);
}

static void expect_destroy(struct fa_host *h)
{
	bool busy = h->nr_vcpus > 0 || h->nr_deferred > 0;
	enum smmu_status st = V(smmu_vm_destroy(h->vm));
	if (busy && st != SMMU_EBUSY)
		finding("smmu_vm_destroy did not refuse a VM with vCPUs or "
			"deferred frees pending");
	if (!busy && st != SMMU_OK)
		finding("smmu_vm_destroy refused a VM with nothing pending");
	if (st != SMMU_OK)
		return;
	h->vm = NULL;
	h->dirty_count = 0;
	if (h->allocated)
		finding("smmu_vm_destroy left shadow pages allocated");
}

/* ---- operations ---- */

static void vm_create(struct fa_host *h, struct rd *r)
{
	static const uint8_t maxphy[] = { 46, 36, 39, 52, 32 };
	uint8_t b = u8(r);
	struct smmu_policy knobs;
	struct smmu_vm_config cfg = { .gbpages = b & 8 };
	/* One field at a time: the order the input is read in is fixed. */
	cfg.maxphyaddr = b & 0x80 ? u8(r) : maxphy[(b & 7) % 5];
	cfg.cpu_features = b & 0x10 ? u32(r) : 0;
	cfg.unsync_after_stores = u8(r);
	cfg.unsync_quiet_syncs = u8(r);
	cfg.prefetch_window =
		b & 0x20 ? u16(r) : (uint16_t)(1u << (u8(r) % 10));
	cfg.policy = (enum smmu_policy_preset)(u8(r) % 5);
	cfg.cached_roots = u8(r) % 40;
	cfg.host_caps = u8(r) & 0x1f;
	if (b & 0x40) {
		uint8_t k = u8(r);
		knobs = (struct smmu_policy){
			.hw_pcids = k & 1,
			.honour_noflush = k & 2,
			.unload_on_pv_flush = k & 4,
			.drop_roots_on_pcide = k & 8,
			.defer_idle = k & 16,
			.use_assisted = k & 32,
			.tlb_clock = k & 64,
			.ipi_for_frees = k & 128,
		};
		knobs.cached_roots = u8(r) % 40;
		knobs.whole_vm = u8(r) & 1;
		cfg.policy_knobs = &knobs;
	}
	if (h->vm) {
		/* One VM at a time; the argument checks meanwhile. */
		struct smmu_vm *vm = NULL;
		switch (b % 3) {
		case 0:
			smmu_vm_create(&cfg, &h->ops, &h->posix, NULL);
			break;
		case 1:
			smmu_vm_create(NULL, &h->ops, &h->posix, &vm);
			break;
		default:
			smmu_vm_create(&cfg, NULL, &h->posix, &vm);
			break;
		}
		if (vm)
			finding("smmu_vm_create made a VM from NULL "
				"arguments");
		return;
	}
	if (V(smmu_vm_create(&cfg, &h->ops, &h->posix, &h->vm)) != SMMU_OK)
		h->vm = NULL;
}

static void vcpu_create(struct fa_host *h, struct rd *r)
{
	uint8_t b = u8(r);
	uint32_t id = b & 0x80 ? u32(r) : b & 7;
	struct smmu_vcpu *vcpu = NULL;
	if (b & 0x40) {
		V(smmu_vcpu_create(h->vm, id, NULL));
		return;
	}
	if (V(smmu_vcpu_create(h->vm, id, &vcpu)) != SMMU_OK)
		return;
	for (unsigned i = 0; i < FA_MAX_VCPUS; i++) {
		if (!h->vcpu[i]) {
			h->vcpu[i] = vcpu;
			h->nr_vcpus++;
			return;
		}
	}
	smmu_vcpu_destroy(vcpu);
}

static void vcpu_destroy(struct fa_host *h, struct rd *r)
{
	uint8_t b = u8(r);
	if (b == 0xff) {
		smmu_vcpu_destroy(NULL);
		return;
	}
	struct smmu_vcpu **slot = &h->vcpu[b % FA_MAX_VCPUS];
	if (!*slot)
		return;
	smmu_vcpu_destroy(*slot);
	*slot = NULL;
	h->nr_vcpus--;
}

static void set_paging(struct fa_host *h, struct rd *r)
{
	struct smmu_vcpu *vcpu = take_vcpu(h, r);
	uint8_t b = u8(r);
	const uint64_t pg = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	const uint64_t lm = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	struct smmu_paging_regs regs = { .cr0 = X86_CR0_PE };
	switch (b & 7) {
	case 1:
		regs = (struct smmu_paging_regs){
			pg, FA_PD32, X86_CR4_PSE, 0, { 0 }
		};
		break;
	case 2:
		regs = (struct smmu_paging_regs){ pg,
						  FA_PAE,
						  X86_CR4_PAE,
						  X86_EFER_NXE,
						  { FA_PD | X86_PTE_P, 0, 0,
						    0 } };
		break;
	case 3:
		regs = (struct smmu_paging_regs){
			pg, FA_PML4, X86_CR4_PAE | X86_CR4_PGE, lm, { 0 }
		};
		break;
	case 4:
		regs = (struct smmu_paging_regs){
			pg, FA_PML5, X86_CR4_PAE | X86_CR4_LA57, lm, { 0 }
		};
		break;
	case 5:
		regs = (struct smmu_paging_regs){ pg,
						  FA_PML4 | (b >> 3),
						  X86_CR4_PAE | X86_CR4_PCIDE |
							  X86_CR4_PGE,
						  lm,
						  { 0 } };
		break;
	case 6:
		regs.cr0 = u64(r);
		regs.cr3 = u64(r);
		regs.cr4 = u64(r);
		regs.efer = u64(r);
		for (unsigned i = 0; i < 4; i++)
			regs.pdpte[i] = u64(r);
		break;
	case 7:
		regs = (struct smmu_paging_regs){ pg,
						  FA_PML4,
						  X86_CR4_PAE | X86_CR4_PGE |
							  X86_CR4_SMEP |
							  X86_CR4_SMAP |
							  X86_CR4_PKE,
						  lm,
						  { 0 } };
		regs.cr0 ^= u32(r);
		regs.cr3 ^= u64(r);
		regs.cr4 ^= u32(r);
		regs.efer ^= u16(r);
		break;
	}
	V(smmu_vcpu_set_paging(vcpu, b & 0x80 && !(b & 0x40) ? NULL : &regs));
}

static void write_cr(struct fa_host *h, struct rd *r)
{
	struct smmu_vcpu *vcpu = take_vcpu(h, r);
	uint8_t b = u8(r);
	struct smmu_paging_regs now = { 0 };
	smmu_vcpu_get_paging(vcpu, &now);
	static const uint64_t bits[] = {
		X86_CR0_PG,   X86_CR0_WP,   X86_CR0_PE,	   X86_CR0_CD,
		X86_CR4_PAE,  X86_CR4_PGE,  X86_CR4_PCIDE, X86_CR4_LA57,
		X86_CR4_PSE,  X86_CR4_SMEP, X86_CR4_SMAP,  X86_CR4_PKE,
		X86_EFER_LME, X86_EFER_NXE, X86_EFER_LMA,  X86_CR3_NOFLUSH,
	};
	uint64_t v;
	switch (b & 3) {
	case 0:
		v = b & 4 ? u64(r) : now.cr0 ^ bits[u8(r) % 16];
		V(smmu_vcpu_write_cr0(vcpu, v));
		break;
	case 1:
		if (b & 4) {
			v = u64(r);
		} else {
			v = FA_PML4 + PAGE * (u8(r) % FA_ROOTS);
			v += u16(r) & 0xfff;
		}
		if (b & 8)
			v |= X86_CR3_NOFLUSH;
		V(smmu_vcpu_write_cr3(vcpu, v));
		break;
	case 2:
		v = b & 4 ? u64(r) : now.cr4 ^ bits[u8(r) % 16];
		V(smmu_vcpu_write_cr4(vcpu, v));
		break;
	default:
		v = b & 4 ? u64(r) : now.efer ^ bits[u8(r) % 16];
		V(smmu_vcpu_write_efer(vcpu, v));
		break;
	}
}

static void emulated_write(struct fa_host *h, struct rd *r)
{
	uint8_t b = u8(r);
	uint64_t gpa = take_gpa(r);
	unsigned len = b & 0x80 ? u16(r) % 8200 : (1u << (b % 4)) + (b & 0x40);
	uint8_t *data = malloc(len ? len : 1);
	if (!data)
		finding("malloc failed");
	for (unsigned i = 0; i < len; i++)
		data[i] = (uint8_t)(i < 16 ? u8(r) : data[i % 16]);
	V(smmu_vm_emulated_write(b & 0x20 ? h->vm : NULL, gpa,
				 b & 0x10 ? NULL : data, len));
	free(data);
}

static void dirty_get(struct fa_host *h, struct rd *r)
{
	uint8_t b = u8(r);
	uint64_t count = h->dirty_count ? h->dirty_count : 64;
	if (b & 1 || count > (UINT64_C(1) << 20)) {
		V(smmu_vm_dirty_log_get_and_clear(h->vm, NULL));
		return;
	}
	/* Exactly the size the log needs: a write past it is a finding. */
	size_t bytes = (size_t)((count + 63) / 64 * 8);
	uint64_t *bitmap = malloc(bytes);
	if (!bitmap)
		finding("malloc failed");
	V(smmu_vm_dirty_log_get_and_clear(b & 2 ? NULL : h->vm, bitmap));
	free(bitmap);
}

static void host_hole(struct fa_host *h, struct rd *r)
{
	uint64_t gfn = take_gfn(r) & 0x3ff;
	uint64_t count = 1 + (u8(r) & 7);
	if (h->nr_holes == FA_MAX_HOLES)
		return;
	h->hole[h->nr_holes].gpa = gfn * PAGE;
	h->hole[h->nr_holes].end = (gfn + count) * PAGE;
	h->nr_holes++;
	if (smmu_posix_ram_add_hole(&h->posix.ram, gfn * PAGE, count * PAGE))
		finding("no hole slot left");
	/* Reported: from now on no shadow entry may map it. A host whose
	 * VM is gone has nothing to report to. */
	enum smmu_status st = V(smmu_vm_invalidate_gfn_range(h->vm, gfn, count,
							     SMMU_GFN_UNMAP));
	if (h->vm && h->ops.alloc_page && st != SMMU_OK)
		finding("smmu_vm_invalidate_gfn_range refused an unmap");
}

static void run_op(struct fa_host *h, struct rd *r)
{
	uint8_t c = u8(r);
	enum fa_op op = (enum fa_op)(c % FA_NR_OPS);
	switch (op) {
	case FA_VM_CREATE:
		vm_create(h, r);
		break;
	case FA_VM_DESTROY:
		if (c & 0x80 || !h->vm)
			smmu_vm_destroy(NULL);
		else
			expect_destroy(h);
		break;
	case FA_VCPU_CREATE:
		vcpu_create(h, r);
		break;
	case FA_VCPU_DESTROY:
		vcpu_destroy(h, r);
		break;
	case FA_SET_PAGING:
		set_paging(h, r);
		break;
	case FA_WRITE_CR:
		write_cr(h, r);
		break;
	case FA_GET_PAGING: {
		struct smmu_vcpu *vcpu = take_vcpu(h, r);
		struct smmu_paging_regs regs;
		smmu_vcpu_get_paging(vcpu, c & 0x80 ? NULL : &regs);
		smmu_vcpu_paging_mode(vcpu);
		break;
	}
	case FA_TRANSLATE: {
		struct smmu_vcpu *vcpu = take_vcpu(h, r);
		struct smmu_access acc;
		acc.la = take_la(r);
		acc.flags = u32(r);
		acc.pkru = u32(r);
		struct smmu_translation out;
		V(smmu_vcpu_translate(vcpu, c & 0x80 ? NULL : &acc,
				      c & 0x40 ? NULL : &out));
		break;
	}
	case FA_LOAD: {
		struct smmu_vcpu *vcpu = take_vcpu(h, r);
		uint16_t cpu = u16(r);
		V(smmu_vcpu_load(vcpu, cpu & 0x8000 ? cpu : cpu % 8));
		break;
	}
	case FA_PUT:
		V(smmu_vcpu_put(take_vcpu(h, r)));
		break;
	case FA_EXIT:
		V(smmu_vcpu_exit(take_vcpu(h, r)));
		break;
	case FA_ENTER: {
		struct smmu_vcpu *vcpu = take_vcpu(h, r);
		struct smmu_entry e;
		memset(&e, 0, sizeof(e));
		if (V(smmu_vcpu_enter(vcpu, c & 0x80 ? NULL : &e)) == SMMU_OK &&
		    !(c & 0x80))
			check_entry(h, &e);
		break;
	}
	case FA_PAGE_FAULT: {
		struct smmu_vcpu *vcpu = take_vcpu(h, r);
		struct smmu_access acc;
		acc.la = take_la(r);
		acc.flags = u8(r);
		if (acc.flags & 0x80)
			acc.flags = u32(r);
		acc.pkru = acc.flags & 0x40 ? u32(r) : 0;
		acc.flags &= ~UINT32_C(0x40);
		struct smmu_fault f = { .action = SMMU_FAULT_ERROR };
		smmu_vcpu_page_fault(vcpu, c & 0x80 ? NULL : &acc,
				     c & 0x40 ? NULL : &f);
		if (verbose)
			fprintf(stderr,
				"fuzz-api: smmu_vcpu_page_fault(la %#llx, "
				"flags "
				"%#x): action %d pf_error %#x gpa %#llx %s\n",
				(unsigned long long)acc.la, acc.flags,
				(int)f.action, f.pf_error,
				(unsigned long long)f.gpa,
				f.reason ? f.reason : "");
		if (f.action > SMMU_FAULT_ERROR)
			finding("smmu_vcpu_page_fault: unknown action");
		if (f.action == SMMU_FAULT_ERROR && !(c & 0x40) && !f.reason)
			finding("SMMU_FAULT_ERROR without a reason");
		break;
	}
	case FA_INVLPG: {
		struct smmu_vcpu *vcpu = take_vcpu(h, r);
		V(smmu_vcpu_invlpg(vcpu, take_la(r)));
		break;
	}
	case FA_INVPCID: {
		struct smmu_vcpu *vcpu = take_vcpu(h, r);
		uint8_t b = u8(r);
		uint64_t pcid = b & 0x80 ? u64(r) : b & 15;
		unsigned type = b & 0x40 ? u8(r) : (b >> 4) & 3u;
		V(smmu_vcpu_invpcid(vcpu, type, pcid, take_la(r)));
		break;
	}
	case FA_PV_FLUSH:
		V(smmu_vcpu_pv_flush(take_vcpu(h, r)));
		break;
	case FA_EMULATED_WRITE:
		emulated_write(h, r);
		break;
	case FA_UNPROTECT:
		V(smmu_vm_unprotect_gfn(c & 0x80 ? NULL : h->vm, take_gfn(r)));
		break;
	case FA_INVALIDATE: {
		uint64_t first = take_gfn(r);
		uint8_t b = u8(r);
		uint64_t count = b & 0x80 ? u64(r) : b & 0x3f;
		unsigned how = b & 0x40 ? u32(r) : u8(r) % 3;
		V(smmu_vm_invalidate_gfn_range(c & 0x80 ? NULL : h->vm, first,
					       count,
					       (enum smmu_gfn_change)how));
		break;
	}
	case FA_DIRTY_START: {
		uint64_t first = take_gfn(r);
		uint8_t b = u8(r);
		uint64_t count = b & 0x80 ? u64(r) : (uint64_t)u16(r);
		if (V(smmu_vm_dirty_log_start(h->vm, first, count)) == SMMU_OK)
			h->dirty_count = count;
		break;
	}
	case FA_DIRTY_GET:
		dirty_get(h, r);
		break;
	case FA_DIRTY_STOP:
		if (V(smmu_vm_dirty_log_stop(c & 0x80 ? NULL : h->vm)) ==
		    SMMU_OK)
			h->dirty_count = 0;
		break;
	case FA_STATS: {
		struct smmu_stats st;
		smmu_vm_get_stats(c & 0x80 ? NULL : h->vm,
				  c & 0x40 ? NULL : &st);
		break;
	}
	case FA_GRACE:
		run_deferred(h);
		break;
	case FA_POKE: {
		/* The guest's own store to RAM the library does not watch,
		 * or the host's, reported when c says so. */
		uint64_t gpa = take_gpa(r) & ~UINT64_C(7);
		uint64_t *p = smmu_posix_ram_ptr(&h->posix.ram, gpa, 8);
		uint64_t val = u64(r);
		if (p)
			*p = val;
		if (c & 0x80)
			smmu_vm_invalidate_gfn_range(h->vm, gpa / PAGE, 1,
						     SMMU_GFN_CONTENT);
		break;
	}
	case FA_HOLE:
		host_hole(h, r);
		break;
	case FA_POLICY: {
		struct smmu_policy p;
		uint32_t preset = c & 0x80 ? u32(r) : u8(r) % 4;
		smmu_policy_preset((enum smmu_policy_preset)preset,
				   c & 0x40 ? NULL : &p);
		break;
	}
	case FA_NR_OPS:
		break;
	}
	if (verbose)
		fprintf(stderr,
			"fuzz-api: op %d done: %u shadow pages out, %u frees "
			"deferred\n",
			(int)op, h->allocated, h->nr_deferred);
	if (h->lock_depth)
		finding("an API call returned with the MMU lock held");
	if (h->rcu_depth)
		finding("an API call returned inside an RCU read-side "
			"section");
}

static void host_fini(struct fa_host *h)
{
	for (unsigned i = 0; i < FA_MAX_VCPUS; i++) {
		if (h->vcpu[i]) {
			smmu_vcpu_destroy(h->vcpu[i]);
			h->vcpu[i] = NULL;
			h->nr_vcpus--;
		}
	}
	if (verbose)
		fprintf(stderr, "fuzz-api: teardown: %u shadow pages out\n",
			h->allocated);
	if (h->vm && h->nr_deferred && (h->allocs & 1))
		expect_destroy(h); /* refused: frees still pending */
	run_deferred(h);
	if (h->vm)
		expect_destroy(h);
	smmu_posix_ram_fini(&h->posix.ram);
	u64map_fini(&h->sizes);
	ASAN_UNPOISON_MEMORY_REGION(pool, sizeof(pool));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fa_host h;
	struct rd r = { data, size };
	verbose = getenv("FUZZ_API_VERBOSE") != NULL;
	host_init(&h, &r);
	uint64_t calls = 0;
	while (r.n) {
		run_op(&h, &r);
		calls++;
	}
	host_fini(&h);
	fuzz_count("fuzz-api", calls);
	return 0;
}
