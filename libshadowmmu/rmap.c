/* SPDX-License-Identifier: MIT */
/*
 * The reverse map: guest frame -> the leaf sptes that map it, so that a
 * frame that starts to hold a shadowed table can be write-protected
 * everywhere it is mapped, and a frame the host takes away unmapped.
 *
 * It is kept in two parts, so that it costs a few bytes per mapped page
 * instead of an allocation each:
 *
 *   - each shadow page records the frame each of its leaf sptes maps: 5
 *     bytes per spte in a level-1 page of a guest table (struct
 *     leaf_frames), nothing in a direct page (the frame follows from the
 *     index), an array in a level-2 page with 2 MiB leaves;
 *   - a hash of links (region, shadow page) says which pages may map
 *     frames of each 2 MiB region of guest-physical memory.
 *
 * A lookup visits the pages linked to the frame's region and looks at
 * their present leaf sptes. A guest page table usually maps frames of a
 * few regions, so a page has a link or two. Links are a superset: one is
 * not removed when the last spte mapping its region goes, but when the
 * page leaves the tree (rmap_forget), or when a page has gathered enough
 * of them to make a recount worth it (collect_links).
 */
#include "lock_check.h"
#include "vm.h"

static unsigned bucket_of(uint64_t region)
{
	return (unsigned)((region * 0x9e3779b97f4a7c15ull) >> 52) &
	       (RMAP_HASH_BUCKETS - 1);
}

/* The link of sp to region, if there is one; moved to the front of sp's
 * list, where the next lookup for a neighbouring spte finds it first. */
static struct rmap_link *find_link(struct sp *sp, uint64_t region)
{
	for (struct rmap_link **p = &sp->links; *p; p = &(*p)->sp_next) {
		struct rmap_link *l = *p;
		if (l->region != region)
			continue;
		*p = l->sp_next;
		l->sp_next = sp->links;
		sp->links = l;
		return l;
	}
	return 0;
}

static void unhash_link(struct smmu_vm *vm, struct rmap_link *link)
{
	for (struct rmap_link **p =
		     &vm->shadow.rmap_hash[bucket_of(link->region)];
	     *p; p = &(*p)->next) {
		if (*p == link) {
			*p = link->next;
			break;
		}
	}
	vm->shadow.nr_links--;
	obj_free(vm, OBJ_LINK, link);
}

/* Does leaf spte i of sp map something? Waits for a fill under way. */
static bool leaf_present(struct sp *sp, unsigned i)
{
	uint64_t spte = sp->role.level == 1 ? slot_settled(&sp->spt[i])
					    : __atomic_load_n(&sp->spt[i],
							      __ATOMIC_ACQUIRE);
	if (!(spte & X86_PTE_P))
		return false;
	return sp->role.level == 1 || (spte & X86_PTE_PS);
}

/* The links lock-free fills may rely on (fill_lockfree.c): the first two,
 * published after the link exists and withdrawn before it goes. */
static void publish_hints(struct sp *sp)
{
	const struct rmap_link *l = sp->links;
	for (unsigned h = 0; h < 2; h++) {
		uint64_t region = l ? l->region : LINK_HINT_NONE;
		__atomic_store_n(&sp->link_hint[h], region, __ATOMIC_RELEASE);
		l = l ? l->sp_next : 0;
	}
}

static void withdraw_hints(struct sp *sp)
{
	for (unsigned h = 0; h < 2; h++)
		__atomic_store_n(&sp->link_hint[h], LINK_HINT_NONE,
				 __ATOMIC_SEQ_CST);
	/* Now a fill under way either sees no hint, or was far enough to be
	 * seen (and waited for) by the scan that follows (sp_slot.h). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Drop the links of sp to regions none of its leaf sptes maps now; slot
 * `mine` is the caller's, frozen (512: none). */
static void collect_links(struct smmu_vm *vm, struct sp *sp, unsigned mine)
{
	/* Mark the links in use with the region's top bit (regions are
	 * 31 bits wide: 40-bit frames). */
	const uint64_t in_use = 1ull << 63;
	withdraw_hints(sp);
	for (unsigned i = 0; i < 512; i++) {
		if (i == mine || !leaf_present(sp, i))
			continue;
		struct rmap_link *l =
			find_link(sp, sp_leaf_gfn(sp, i) >> RMAP_REGION_SHIFT);
		if (l)
			l->region |= in_use;
	}
	for (struct rmap_link **p = &sp->links; *p;) {
		struct rmap_link *l = *p;
		if (l->region & in_use) {
			l->region &= ~in_use;
			p = &l->sp_next;
			continue;
		}
		*p = l->sp_next;
		sp->nr_links--;
		unhash_link(vm, l);
	}
	/* The next recount once the page has twice as many again. */
	sp->links_gc_at = (uint16_t)(sp->nr_links < 4 ? 8 : 2 * sp->nr_links);
	publish_hints(sp);
}

static bool link_region(struct smmu_vm *vm, struct sp *sp, unsigned index,
			uint64_t region)
{
	if (find_link(sp, region)) {
		publish_hints(sp); /* it may have moved to the front */
		return true;
	}
	if (sp->nr_links >= sp->links_gc_at) {
		collect_links(vm, sp, index);
		if (find_link(sp, region)) {
			publish_hints(sp);
			return true;
		}
	}
	struct rmap_link *l = obj_alloc(vm, OBJ_LINK);
	if (!l)
		return false;
	l->sp = sp;
	l->region = region;
	l->sp_next = sp->links;
	sp->links = l;
	sp->nr_links++;
	unsigned b = bucket_of(region);
	l->next = vm->shadow.rmap_hash[b];
	vm->shadow.rmap_hash[b] = l;
	vm->shadow.nr_links++;
	publish_hints(sp);
	return true;
}

/* sp's leaves stop mapping consecutive frames: give it a frame record,
 * written for every present spte but the caller's (slot `mine`, frozen).
 * Fills see FRAMES_SCATTERING and give up meanwhile; one that took a slot
 * before that is waited for (it filled base + index, which the record
 * then says). */
static bool go_scattered(struct smmu_vm *vm, struct sp *sp, unsigned mine)
{
	struct leaf_frames *f = obj_alloc(vm, OBJ_LEAF_FRAMES);
	if (!f)
		return false;
	__atomic_store_n(&sp->frames_order, FRAMES_SCATTERING,
			 __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < 512; i++) {
		if (i == mine || !leaf_present(sp, i))
			continue;
		uint64_t gfn = sp->frames_base + i;
		f->lo[i] = (uint32_t)gfn;
		f->hi[i] = (uint8_t)(gfn >> 32);
	}
	__atomic_store_n(&sp->frames, f, __ATOMIC_RELEASE);
	__atomic_store_n(&sp->frames_order, FRAMES_SCATTERED, __ATOMIC_RELEASE);
	return true;
}

bool rmap_add(struct smmu_vm *vm, struct sp *sp, unsigned index, uint64_t gfn)
{
	MMU_LOCK_HELD(vm);
	if (!sp->role.direct && sp->role.level == 2 && !sp->large_gfn) {
		sp->large_gfn = obj_alloc(vm, OBJ_POINTERS);
		if (!sp->large_gfn)
			return false;
	}
	if (!link_region(vm, sp, index, gfn >> RMAP_REGION_SHIFT))
		return false;
	if (sp->role.direct)
		return true; /* sp_leaf_gfn derives it */
	if (sp->role.level > 1) {
		sp->large_gfn[index] = gfn;
		return true;
	}
	if (sp->frames_order == FRAMES_NONE) {
		sp->frames_base = gfn - index;
		__atomic_store_n(&sp->frames_order, FRAMES_LINEAR,
				 __ATOMIC_RELEASE);
		return true;
	}
	if (sp->frames_order == FRAMES_LINEAR) {
		if (gfn - index == sp->frames_base)
			return true;
		if (!go_scattered(vm, sp, index))
			return false;
	}
	__atomic_store_n(&sp->frames->lo[index], (uint32_t)gfn,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&sp->frames->hi[index], (uint8_t)(gfn >> 32),
			 __ATOMIC_RELAXED);
	return true;
}

void rmap_forget(struct smmu_vm *vm, struct sp *sp)
{
	MMU_LOCK_HELD(vm);
	withdraw_hints(sp);
	while (sp->links) {
		struct rmap_link *l = sp->links;
		sp->links = l->sp_next;
		unhash_link(vm, l);
	}
	sp->nr_links = 0;
}

/* ---- lookups ---- */

enum rmap_action {
	RMAP_WRITE_PROTECT, /* 4 KiB leaves lose R/W */
	RMAP_ZAP_LARGE,	    /* 2 MiB leaves go */
	RMAP_ZAP,	    /* every leaf goes */
	RMAP_TEST_DIRTY,    /* is D set in a 4 KiB leaf? */
	RMAP_CLEAR_DIRTY,   /* clear D in 4 KiB leaves */
};

/* Do `what` to 4 KiB leaf spte i of sp; true if it was writable (dirty,
 * for the D actions). */
static bool act_on_leaf(struct smmu_vm *vm, struct sp *sp, unsigned i,
			enum rmap_action what)
{
	uint64_t *sptep = &sp->spt[i];
	switch (what) {
	case RMAP_ZAP:
		return sp_clear_leaf(vm, sp, i);
	case RMAP_WRITE_PROTECT:
		/* Atomic: the hardware sets A/D in sptes as it walks. */
		return __atomic_fetch_and(sptep, ~X86_PTE_RW,
					  __ATOMIC_ACQ_REL) &
		       X86_PTE_RW;
	case RMAP_TEST_DIRTY:
		return __atomic_load_n(sptep, __ATOMIC_ACQUIRE) & X86_PTE_D;
	case RMAP_CLEAR_DIRTY:
		return __atomic_fetch_and(sptep, ~X86_PTE_D, __ATOMIC_ACQ_REL) &
		       X86_PTE_D;
	case RMAP_ZAP_LARGE:
		break;
	}
	return false;
}

/* Of the 64 slots of word w of scattered page sp, those that may map
 * frame gfn, by the low 32 bits of their frames, compared in a loop the
 * compiler vectorises (a write watch tests one frame in every page of its
 * region, on every sync of its table: 38 us for 32 tables scanned slot by
 * slot, 3.3 us so, bench/core sync.n32). Fills without the lock may write
 * these words meanwhile (fill_lockfree.c): a value read mid-write only
 * passes over a slot whose fill installs a clean spte, or names a slot
 * the full check then rejects. The plain loads of this filter are that
 * one deliberate race, kept out of ThreadSanitizer's view. */
#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
#define RACY_FILTER __attribute__((no_sanitize("thread")))
#endif
#endif
#ifndef RACY_FILTER
#define RACY_FILTER
#endif

RACY_FILTER
static uint64_t slots_maybe_mapping(const struct sp *sp, unsigned w,
				    uint64_t gfn)
{
	const uint32_t *lo = &sp->frames->lo[w * 64];
	uint32_t key = (uint32_t)gfn;
	unsigned any = 0;
	for (unsigned j = 0; j < 64; j++)
		any |= lo[j] == key;
	if (!any)
		return 0;
	uint64_t bits = 0;
	for (unsigned j = 0; j < 64; j++)
		if (lo[j] == key)
			bits |= 1ull << j;
	return bits;
}

/* The slots [*from, *to) of a page whose slot i maps frame base + i that
 * can map a frame of [first, end); false if none. In modular arithmetic:
 * a page's first leaf may map a frame below its index (a guest entry
 * pointing anywhere), and base is then "negative" — compared as a plain
 * number it hid the page from every lookup (fuzz-api, the long run). */
static bool linear_slots(uint64_t base, uint64_t first, uint64_t end,
			 unsigned *from, unsigned *to)
{
	uint64_t count = end - first;
	uint64_t slot0 = base - first; /* where slot 0's frame is in range */
	if (slot0 < count) {
		*from = 0;
		*to = count - slot0 < 512 ? (unsigned)(count - slot0) : 512;
		return true;
	}
	uint64_t first_slot = first - base; /* slot of the range's start */
	if (first_slot >= 512)
		return false;
	*from = (unsigned)first_slot;
	*to = count < 512 - first_slot ? (unsigned)(first_slot + count) : 512;
	return true;
}

/* Do `what` to the leaf sptes of sp mapping frames of [first, end); true
 * if one of them was writable (dirty). A test stops at the first. */
static bool act_on_page(struct smmu_vm *vm, struct sp *sp, uint64_t first,
			uint64_t end, enum rmap_action what)
{
	bool yes = false;
	if (sp->role.level == 1) {
		if (what == RMAP_ZAP_LARGE)
			return false;
		/* A test of one frame, slots in any order: only those whose
		 * frame matches (the full check below still decides). A slot
		 * a fill without the lock owns may be passed over: what it
		 * installs has D clear. */
		bool one_scattered = what == RMAP_TEST_DIRTY &&
				     end == first + 1 && !sp->role.direct &&
				     sp->frames_order == FRAMES_SCATTERED;
		unsigned from = 0, to = 512;
		if (sp->role.direct || sp->frames_order != FRAMES_SCATTERED) {
			/* Frames follow the index: only the sptes that can
			 * map the range. */
			uint64_t base =
				sp->role.direct ? sp->gfn : sp->frames_base;
			if (!linear_slots(base, first, end, &from, &to))
				return false;
		}
		for (unsigned w = (unsigned)from / 64; w < (to + 63) / 64;
		     w++) {
			uint64_t bits = present_word(sp->present, w);
			if (bits && one_scattered)
				bits &= slots_maybe_mapping(sp, w, first);
			while (bits) {
				unsigned i = w * 64 +
					     (unsigned)__builtin_ctzll(bits);
				bits &= bits - 1;
				if (i < from || i >= to)
					continue;
				/* Settled before its frame is read: a fill
				 * that owns the slot writes the frame last,
				 * and may have checked before the caller's
				 * change (seeing its present bit tells
				 * nothing of the order of the fill's checks,
				 * fill_lockfree.c). */
				if (!leaf_present(sp, i))
					continue;
				uint64_t gfn = sp_leaf_gfn(sp, i);
				if (gfn < first || gfn >= end)
					continue;
				yes |= act_on_leaf(vm, sp, i, what);
				if (yes && what == RMAP_TEST_DIRTY)
					return true;
			}
		}
		return yes;
	}
	if (what != RMAP_ZAP_LARGE && what != RMAP_ZAP)
		return false;
	for (unsigned i = 0; i < 512; i++) {
		if (!leaf_present(sp, i))
			continue;
		uint64_t gfn = sp_leaf_gfn(sp, i);
		if (gfn + 512 > first && gfn < end)
			yes |= sp_clear_leaf(vm, sp, i);
	}
	return yes;
}

static bool act_on_range(struct smmu_vm *vm, uint64_t first, uint64_t count,
			 enum rmap_action what)
{
	MMU_LOCK_HELD(vm);
	bool was_writable = false;
	if (!count)
		return false;
	/* Whatever the caller changed that fills check (a frame now a
	 * table, logged, or unmapped) is visible to every fill that this
	 * scan does not see (fill_lockfree.c). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint64_t end = first + count;
	uint64_t lo = first >> RMAP_REGION_SHIFT;
	uint64_t hi = (end - 1) >> RMAP_REGION_SHIFT;
	if (hi - lo >= RMAP_HASH_BUCKETS) {
		/* More regions than buckets: every link once. */
		for (unsigned b = 0; b < RMAP_HASH_BUCKETS; b++)
			for (struct rmap_link *l = vm->shadow.rmap_hash[b]; l;
			     l = l->next)
				if (l->region >= lo && l->region <= hi)
					was_writable |= act_on_page(
						vm, l->sp, first, end, what);
		return was_writable;
	}
	for (uint64_t region = lo; region <= hi; region++)
		for (struct rmap_link *l =
			     vm->shadow.rmap_hash[bucket_of(region)];
		     l; l = l->next)
			if (l->region == region)
				was_writable |= act_on_page(vm, l->sp, first,
							    end, what);
	return was_writable;
}

bool rmap_write_protect(struct smmu_vm *vm, uint64_t first, uint64_t count)
{
	return act_on_range(vm, first, count, RMAP_WRITE_PROTECT);
}

bool rmap_zap_large(struct smmu_vm *vm, uint64_t first, uint64_t count)
{
	return act_on_range(vm, first, count, RMAP_ZAP_LARGE);
}

void rmap_zap_range(struct smmu_vm *vm, uint64_t first, uint64_t count)
{
	act_on_range(vm, first, count, RMAP_ZAP);
}

bool rmap_frame_dirty(struct smmu_vm *vm, uint64_t gfn, bool clear)
{
	return act_on_range(vm, gfn, 1,
			    clear ? RMAP_CLEAR_DIRTY : RMAP_TEST_DIRTY);
}

void rmap_destroy(struct smmu_vm *vm)
{
	for (unsigned b = 0; b < RMAP_HASH_BUCKETS; b++) {
		struct rmap_link *l = vm->shadow.rmap_hash[b];
		while (l) {
			struct rmap_link *next = l->next;
			l->sp->links = 0;
			l->sp->nr_links = 0;
			obj_free(vm, OBJ_LINK, l);
			l = next;
		}
		vm->shadow.rmap_hash[b] = 0;
	}
	vm->shadow.nr_links = 0;
}
