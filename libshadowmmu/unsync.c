/* SPDX-License-Identifier: MIT */
/*
 * Out-of-sync last-level tables (DESIGN 4.3).
 *
 * While a guest table is write-protected every store to it costs an exit
 * and an emulation. Once `unsync_after_stores` stores to a last-level
 * table have been emulated, its next write fault makes it out of sync
 * instead: the frame is mapped writable and the guest's stores go unseen.
 * That is legal because the guest may not rely on a changed entry before
 * it invalidates it (SDM 4.10.4.3), so each guest invalidation syncs what
 * it covers before its hardware flush: INVLPG the one entry, a new root,
 * INVPCID and the PV flush every out-of-sync page under the root.
 *
 * The rules that make this correct:
 *
 * 1. All shadows of a frame share one state: the frame is write-protected
 *    and every shadow in sync, or every shadow is out of sync. Only a
 *    frame whose shadows are all last-level, non-direct pages qualifies
 *    (a table used at two levels stays protected), and a new shadow of
 *    an out-of-sync frame syncs the others first (sp_get).
 * 2. Copy, mark, then make writable: the guest entries a sync will
 *    compare with are copied, the bit for the page set in every
 *    ancestor's unsync_children, and only then the unsync flag set, all
 *    before the writable spte exists. Invalidations find out-of-sync
 *    pages through those bits, so the guest never has a writable mapping
 *    of a table that an invalidation could miss; and the flag is what
 *    lets a fill without the lock map the frame writable (it asks
 *    sp_gfn_state_rcu), so no store can slip in before the copy, where
 *    it would look unchanged to every later sync. All of it happens
 *    under the MMU lock, which every sync takes too.
 * 3. Protect, flush, then read: a sync write-protects the frame and
 *    flushes every CPU that may still hold a writable translation of it
 *    before it compares the sptes with the guest's entries. A store made
 *    before the flush completed is seen by the comparison; one after it
 *    faults and is emulated. Only then is the flag cleared.
 * 4. Sync before link: a page is synced before it is linked under a new
 *    parent. The new path may belong to a root whose invalidation has
 *    already happened, which would otherwise see stale entries that the
 *    guest has flushed.
 *
 * A sync compares each present spte with the guest entry it was built
 * from (sp->gpte) and zaps those that differ; the next access faults and
 * rebuilds them. The page then stays out of sync, with no flush, unless
 * its last `unsync_quiet_syncs` syncs found nothing changed: then it goes
 * back in sync and its frame is write-protected. Protecting costs a
 * flush of every CPU (rule 3); staying out of sync costs a comparison
 * at every invalidation that covers the page; pages found by one walk are
 * protected together and cost one flush. A new shadow of the frame
 * always brings it back in sync (rule 1).
 */
#include "lock_check.h"
#include "flush.h"
#include "sync.h"
#include "vm.h"

enum gfn_state sp_gfn_state(struct smmu_vm *vm, uint64_t gfn)
{
	for (struct sp *sp = vm->shadow.sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next)
		if (sp->gfn == gfn && !sp->role.direct)
			return sp->unsync ? GFN_UNSYNC : GFN_SYNC;
	return GFN_UNSHADOWED;
}

enum gfn_state sp_gfn_state_rcu(struct smmu_vm *vm, uint64_t gfn)
{
	for (struct sp *sp = __atomic_load_n(
		     &vm->shadow.sp_hash[sp_bucket_of(gfn)], __ATOMIC_SEQ_CST);
	     sp; sp = __atomic_load_n(&sp->next, __ATOMIC_ACQUIRE))
		if (sp->gfn == gfn && !sp->role.direct)
			return __atomic_load_n(&sp->unsync, __ATOMIC_SEQ_CST)
				       ? GFN_UNSYNC
				       : GFN_SYNC;
	return GFN_UNSHADOWED;
}

void sp_count_store(struct smmu_vm *vm, uint64_t gfn)
{
	for (struct sp *sp = vm->shadow.sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next)
		if (sp->gfn == gfn && !sp->role.direct && sp->stores < 254)
			sp->stores++;
}

/* The copies go once the frame is back in sync. */
static void drop_guest_entries(struct smmu_vm *vm, struct sp *bucket,
			       uint64_t gfn)
{
	for (struct sp *sp = bucket; sp; sp = sp->next) {
		if (sp->gfn != gfn || !sp->gpte)
			continue;
		obj_free(vm, OBJ_POINTERS, sp->gpte);
		sp->gpte = 0;
	}
}

/* Room for each shadow of gfn in the chain from `bucket` to copy the
 * guest entries it mirrors. false when out of memory. */
static bool alloc_guest_entries(struct smmu_vm *vm, struct sp *bucket,
				uint64_t gfn)
{
	for (struct sp *sp = bucket; sp; sp = sp->next) {
		if (sp->gfn != gfn || sp->role.direct)
			continue;
		sp->gpte = obj_alloc(vm, OBJ_POINTERS);
		if (!sp->gpte) {
			drop_guest_entries(vm, bucket, gfn);
			return false;
		}
	}
	return true;
}

/* Copy into sp->gpte the guest entries sp mirrors, from guest memory.
 * The frame is still write-protected everywhere, for fills without the
 * lock too (unsync_frame has not set the flag yet), so every present
 * spte was built from what memory holds, but for A and D bits the walker
 * may have set since: a sync sees those as unchanged, and the spte is at
 * most less permissive than the entry (the next fault rebuilds it). Never
 * the other way round — a copy older than what an spte was built from,
 * which a guest that writes the old value back would make look unchanged:
 * the page is marked in transition before (unsync_frame), so a fill
 * without the lock either gives up or owns its slot by now, and is waited
 * for here, having read its entry already. */
static void copy_guest_entries(struct smmu_vm *vm, struct sp *sp)
{
	for (unsigned i = 0; i < 512; i++)
		slot_settled(&sp->spt[i]);
	uint64_t table = sp->gfn << X86_PAGE_SHIFT;
	if (sp->role.guest_levels != 2) {
		vm->ops->read_gpa(vm->host, table, sp->gpte, X86_PAGE_SIZE);
		return;
	}
	/* 4-byte entries, this page's half of them, read into the upper
	 * half and widened in place from the bottom up (entry i's copy ends
	 * before entry i + 1 starts, but for the last entry, read before it
	 * is overwritten). */
	uint32_t *narrow = (uint32_t *)(sp->gpte + 256);
	vm->ops->read_gpa(vm->host, table + 2048u * sp->role.quadrant, narrow,
			  X86_PAGE_SIZE / 2);
	for (unsigned i = 0; i < 512; i++) {
		uint32_t e = narrow[i];
		sp->gpte[i] = e;
	}
}

/* Make every shadow of in-sync table gfn out of sync, if each is a
 * last-level page (and, unless `forced`, one was stored to often
 * enough). */
static bool unsync_frame(struct smmu_vm *vm, uint64_t gfn, bool forced)
{
	uint8_t after = vm->unsync_after_stores;
	if (after == SMMU_UNSYNC_NEVER)
		return false;
	struct sp *bucket = vm->shadow.sp_hash[sp_bucket_of(gfn)];
	bool written_enough = forced, any = false;
	for (struct sp *sp = bucket; sp; sp = sp->next) {
		if (sp->gfn != gfn || sp->role.direct)
			continue;
		if (sp->role.level != 1)
			return false; /* also an upper table: stays protected */
		if (sp->unsync)
			return true; /* all of them are (rule 1) */
		written_enough |= sp->stores >= after;
		any = true;
	}
	if (!any || !written_enough || !alloc_guest_entries(vm, bucket, gfn))
		return false;
	bool copy_late = bug_planted(vm, SMMU_INJECT_UNSYNC_BEFORE_COPY);
	for (struct sp *sp = bucket; sp; sp = sp->next) {
		if (sp->gfn != gfn || sp->role.direct)
			continue;
		__atomic_store_n(&sp->went_unsync, sp->went_unsync + 1,
				 __ATOMIC_SEQ_CST);
		__atomic_store_n(copy_late ? &sp->unsync : &sp->in_transition,
				 true, __ATOMIC_SEQ_CST);
		for (struct sp_parent *p = sp->parents; p; p = p->next)
			sp_mark_unsync_child(p->sp, p->index);
		SHADOW_STAT(vm, sp_unsynced);
	}
	/* In transition first: a fill without the lock that took a slot of
	 * the page before sees it and gives up, or is seen frozen by
	 * copy_guest_entries (fill_lockfree.c). The frame stays protected
	 * meanwhile: sp_gfn_state_rcu says GFN_SYNC until the flag below. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (struct sp *sp = bucket; sp; sp = sp->next)
		if (sp->gfn == gfn && !sp->role.direct)
			copy_guest_entries(vm, sp);
	/* Its sptes may outlive guest changes once the flag is set: a vCPU
	 * coming back to a cached root sees this first (roots.c). */
	unsync_fill_begin(vm);
	unsync_fill_end(vm);
	/* Out of sync, then no longer in transition: a reader without the
	 * lock never finds the page in neither state (as going back). */
	for (struct sp *sp = bucket; sp; sp = sp->next) {
		if (sp->gfn != gfn || sp->role.direct)
			continue;
		__atomic_store_n(&sp->unsync, true, __ATOMIC_SEQ_CST);
		__atomic_store_n(&sp->in_transition, false, __ATOMIC_SEQ_CST);
	}
	return true;
}

/* ---- what out-of-sync pages show vCPUs that were away ----
 *
 * An out-of-sync page is shared by every root that links it, whatever
 * guest PCID and vCPU runs them. A fill through one root stores the
 * guest entry of that moment; if the guest then rewrites the entry
 * (unseen: the page is not protected), a vCPU that was running another
 * root the whole time, and comes back to one linking the page with
 * NOFLUSH, would find a translation its PCID never could have cached.
 * The same for sptes filled while the page was in sync, which outlive
 * guest changes once it goes out of sync. unsync_seq tells that vCPU
 * whether either happened since it left (roots.c); fills into an
 * out-of-sync page hold it odd from their read of the guest entry to
 * their store, so that one racing with the vCPU's return is seen too. */

void unsync_fill_begin(struct smmu_vm *vm)
{
	MMU_LOCK_HELD(vm);
	__atomic_store_n(&vm->shadow.unsync_seq, vm->shadow.unsync_seq + 1,
			 __ATOMIC_SEQ_CST);
}

void unsync_fill_end(struct smmu_vm *vm)
{
	MMU_LOCK_HELD(vm);
	__atomic_store_n(&vm->shadow.unsync_seq, vm->shadow.unsync_seq + 1,
			 __ATOMIC_SEQ_CST);
}

uint64_t unsync_seq_now(struct smmu_vm *vm)
{
	return __atomic_load_n(&vm->shadow.unsync_seq, __ATOMIC_SEQ_CST);
}

bool unsync_moved_since(struct smmu_vm *vm, uint64_t seq)
{
	uint64_t now = unsync_seq_now(vm);
	return now != seq || (now & 1);
}

bool sp_try_unsync(struct smmu_vm *vm, uint64_t gfn)
{
	MMU_LOCK_HELD(vm);
	return unsync_frame(vm, gfn, false);
}

bool sp_force_unsync(struct smmu_vm *vm, uint64_t gfn)
{
	MMU_LOCK_HELD(vm);
	return unsync_frame(vm, gfn, true);
}

/* ---- syncing ---- */

struct sync_queue {
	struct sp *head;
};

/* Queue every out-of-sync shadow of sp's frame (rule 1). */
static void queue_frame(struct smmu_vm *vm, struct sync_queue *q, uint64_t gfn)
{
	for (struct sp *sp = vm->shadow.sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next) {
		if (sp->gfn != gfn || !sp->unsync || sp->sync_queued)
			continue;
		sp->sync_queued = true;
		sp->sync_next = q->head;
		q->head = sp;
	}
}

/* Queue the out-of-sync pages at or under sp, clearing the bits that led
 * there; a page that stays out of sync sets them again (sync_queue). */
static void collect(struct smmu_vm *vm, struct sync_queue *q, struct sp *sp)
{
	if (sp->role.level == 1) {
		if (sp->unsync)
			queue_frame(vm, q, sp->gfn);
		return;
	}
	for (unsigned w = 0; w < 512 / 64; w++) {
		uint64_t bits = sp->unsync_children[w];
		sp->unsync_children[w] = 0;
		while (bits) {
			unsigned i = w * 64 + (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			if (sp->child[i])
				collect(vm, q, sp->child[i]);
		}
	}
}

uint64_t sp_gpte_gpa(const struct sp *sp, unsigned index, unsigned *size)
{
	uint64_t table = sp->gfn << X86_PAGE_SHIFT;
	if (sp->role.guest_levels == 2) {
		*size = 4;
		return table + 4 * (sp->role.quadrant * 512u + index);
	}
	*size = 8;
	return table + 8 * index;
}

/* Zap the spte if the guest entry it was built from changed; true if
 * it did. */
static bool sync_spte(struct smmu_vm *vm, struct sp *sp, unsigned index)
{
	if (!(slot_settled(&sp->spt[index]) & X86_PTE_P))
		return false;
	unsigned size;
	uint64_t gpa = sp_gpte_gpa(sp, index, &size), now = 0;
	if (vm->ops->read_gpa(vm->host, gpa, &now, size) == SMMU_GPA_OK &&
	    now == sp->gpte[index])
		return false;
	sp_zap_spte(vm, sp, index);
	return true;
}

/* Compare every present spte of sp with its guest entry, 64 entries per
 * read of guest memory; zap those that changed. true if one did. */
static bool compare_page(struct smmu_vm *vm, struct sp *sp)
{
	bool changed = false;
	for (unsigned w = 0; w < 512 / 64; w++) {
		uint64_t bits = present_word(sp->present, w);
		if (!bits)
			continue;
		unsigned size;
		uint64_t gpa = sp_gpte_gpa(sp, w * 64, &size);
		union {
			uint64_t q[64];
			uint32_t d[64];
		} now;
		if (vm->ops->read_gpa(vm->host, gpa, &now, 64 * size) !=
		    SMMU_GPA_OK) {
			/* Not RAM any more: every entry is stale. */
			while (bits) {
				unsigned i = (unsigned)__builtin_ctzll(bits);
				bits &= bits - 1;
				sp_zap_spte(vm, sp, w * 64 + i);
			}
			changed = true;
			continue;
		}
		while (bits) {
			unsigned i = (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			/* The bits are a superset (sp_slot.h). */
			if (!(slot_settled(&sp->spt[w * 64 + i]) & X86_PTE_P))
				continue;
			uint64_t e = size == 4 ? now.d[i] : now.q[i];
			if (e != sp->gpte[w * 64 + i]) {
				sp_zap_spte(vm, sp, w * 64 + i);
				changed = true;
			}
		}
	}
	return changed;
}

/* The queue's frames one by one: each frame's shadows are next to each
 * other (queue_frame). The first shadow after run's. */
static struct sp *run_end(struct sp *run)
{
	struct sp *end = run;
	while (end && end->gfn == run->gfn)
		end = end->sync_next;
	return end;
}

/* Decide, frame by frame, which queued pages go back in sync: all of
 * them (protect_all), or those of frames every shadow of which found
 * nothing changed in its last unsync_quiet_syncs syncs. Those are marked in
 * sync (rule 3 follows: nothing is read before the flush) and their
 * frames write-protected; true if the CPUs must be flushed. */
static bool protect_quiet_frames(struct smmu_vm *vm, struct sync_queue *q,
				 bool protect_all)
{
	bool flush = false;
	for (struct sp *run = q->head, *end; run; run = end) {
		end = run_end(run);
		bool quiet = true;
		for (struct sp *sp = run; sp != end; sp = sp->sync_next)
			quiet &= sp->quiet_syncs >= vm->unsync_quiet_syncs;
		if (!protect_all && !quiet)
			continue;
		/* In transition before unsync goes: a reader without the
		 * lock never finds the page neither out of sync nor in
		 * transition before its sptes are compared (fill_lockfree.c,
		 * roots.c). */
		for (struct sp *sp = run; sp != end; sp = sp->sync_next) {
			__atomic_store_n(&sp->in_transition, true,
					 __ATOMIC_SEQ_CST);
			__atomic_store_n(&sp->unsync, false, __ATOMIC_SEQ_CST);
			sp->write_watch = sp->watch_fresh = false;
		}
		flush |= sp_protect_frame(vm, run->gfn);
	}
	return flush;
}

/*
 * The write watch: how a sync knows that the guest has not written an
 * out-of-sync table since the last one, without comparing its entries.
 * The frame is mapped writable, and the CPU sets D in the spte it writes
 * through (SDM 4.8) — unless its TLB holds the translation with D=1
 * already. So a frame's watch is armed by clearing D in every spte that
 * maps it and then flushing every CPU; from then on a write sets D again.
 * A frame the last syncs found unchanged gets armed (a table written all
 * the time would pay a flush each time and gain nothing); one found with
 * D set is compared, and disarmed until it is quiet again. A dirty spte
 * mapping the frame that goes (zapped, rebuilt) takes its D bit with it,
 * so it disarms the watch too (sp_clear_leaf). Arming
 * flushes before the comparison it comes with, so that a store made
 * before the flush is seen by the comparison (as rule 3).
 */
/* Syncs in a row that found a frame unchanged before its watch is armed:
 * a table the guest writes between most invalidations would pay the
 * arming flush again and again. */
#define WATCH_AFTER_QUIET_SYNCS 2

static bool arm_write_watches(struct smmu_vm *vm, struct sync_queue *q)
{
	bool flush = false;
	for (struct sp *run = q->head, *end; run; run = end) {
		end = run_end(run);
		if (!run->unsync || run->write_watch)
			continue;
		bool quiet = true;
		for (struct sp *sp = run; sp != end; sp = sp->sync_next)
			quiet &= sp->quiet_syncs >= WATCH_AFTER_QUIET_SYNCS;
		if (!quiet)
			continue;
		rmap_frame_dirty(vm, run->gfn, true);
		vm->shadow.watching = true;
		for (struct sp *sp = run; sp != end; sp = sp->sync_next)
			sp->write_watch = sp->watch_fresh = true;
		flush = true;
	}
	return flush && !bug_planted(vm, SMMU_INJECT_WATCH_UNFLUSHED);
}

/* Sync the shadows of one frame, from run to end. */
static void sync_frame(struct smmu_vm *vm, struct sp *run, struct sp *end)
{
	/* A fault whose walk read the table before this sync must read it
	 * again before it installs anything: the guest may have changed it
	 * unseen, and invalidated it, which this sync stands for
	 * (fault.c, walk_is_stale). */
	sp_tables_changed(&vm->shadow);
	/* Watched since an earlier sync and not written: nothing to
	 * compare. */
	bool unwritten = run->unsync && run->write_watch && !run->watch_fresh &&
			 !rmap_frame_dirty(vm, run->gfn, false);
	for (struct sp *sp = run, *next; sp != end; sp = next) {
		next = sp->sync_next;
		sp->sync_queued = false;
		sp->sync_next = 0;
		bool changed = false;
		if (unwritten)
			SHADOW_STAT(vm, sync_skipped);
		else
			changed = compare_page(vm, sp);
		if (!sp->unsync) {
			sp->quiet_syncs = 0;
			obj_free(vm, OBJ_POINTERS, sp->gpte);
			sp->gpte = 0;
			__atomic_store_n(&sp->in_transition, false,
					 __ATOMIC_RELEASE);
			SHADOW_STAT(vm, sp_synced);
			continue;
		}
		/* D was set: the watch needs arming again. */
		if (sp->write_watch && !sp->watch_fresh && !unwritten)
			sp->write_watch = false;
		sp->watch_fresh = false;
		/* Still written to, most likely: it stays out of sync and
		 * writable, so its ancestors must go on leading to it. */
		if (changed)
			sp->quiet_syncs = 0;
		else if (sp->quiet_syncs < vm->unsync_quiet_syncs)
			sp->quiet_syncs++;
		for (struct sp_parent *p = sp->parents; p; p = p->next)
			sp_mark_unsync_child(p->sp, p->index);
		SHADOW_STAT(vm, sp_unsync_checks);
	}
}

static void sync_queue(struct smmu_vm *vm, struct sync_queue *q,
		       bool protect_all)
{
	if (!q->head)
		return;
	bool flush = protect_quiet_frames(vm, q, protect_all);
	flush |= arm_write_watches(vm, q);
	if (flush)
		flush_remote(vm, 0);
	while (q->head) {
		struct sp *end = run_end(q->head);
		sync_frame(vm, q->head, end);
		q->head = end;
	}
}

void sp_sync_tree(struct smmu_vm *vm, struct sp *sp)
{
	MMU_LOCK_HELD(vm);
	struct sync_queue q = { 0 };
	if (sp->unsync || (sp->role.level > 1 && sp_has_unsync_child(sp))) {
		collect(vm, &q, sp);
		sync_queue(vm, &q, false);
	}
}

void sp_sync_gfn(struct smmu_vm *vm, uint64_t gfn)
{
	MMU_LOCK_HELD(vm);
	struct sync_queue q = { 0 };
	queue_frame(vm, &q, gfn);
	sync_queue(vm, &q, true);
}

void sp_sync_address(struct smmu_vm *vm, struct sp *root, uint64_t la)
{
	MMU_LOCK_HELD(vm);
	struct sp *sp = root;
	while (sp && sp->role.level > 1)
		sp = sp->child[(la >> (12 + 9 * (sp->role.level - 1))) & 511];
	/* The page stays out of sync: only this entry was invalidated. */
	if (sp && sp->unsync) {
		sp_tables_changed(&vm->shadow); /* as sync_frame */
		sync_spte(vm, sp, (unsigned)(la >> 12) & 511);
	}
}
