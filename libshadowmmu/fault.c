/* SPDX-License-Identifier: MIT */
/*
 * The shadow page-fault path: walk the guest, and either hand the guest
 * its #PF, or ask the host to emulate the access, or link shadow pages
 * from the vCPU's root down to a leaf spte for it.
 */
#include "lock_check.h"
#include "sync.h"
#include "vcpu.h"

/* Did the guest change an entry the walk used since it read it? Checked
 * under the MMU lock: an emulated store after this point zaps what we
 * install, one before it is seen here. Only if a guest table became
 * protected, or a protected one changed, since the walk began
 * (shadow_vm.table_changes, `since`), or an out-of-sync one was synced:
 * otherwise every table on the path was protected and unchanged
 * throughout, or is protected now by this fault, which bumps it; and an
 * out-of-sync table the guest changed unseen has not been synced since
 * the walk, so its next sync compares what the spte is built from now.
 * (Were it synced in between, the guest may have invalidated the change
 * already, and the spte installed after would outlive that.) */
static bool walk_is_stale(const struct smmu_vcpu *vcpu, const struct gw_walk *w,
			  uint64_t since)
{
	if (__atomic_load_n(&vcpu->vm->shadow.table_changes,
			    __ATOMIC_ACQUIRE) == since)
		return false;
	const struct gw_mode_desc *d = vcpu->mmu.desc;
	if (d->levels == 0)
		return false; /* paging off: no guest entries */
	for (int l = d->levels; l >= w->leaf_level; l--) {
		if (d->pdpte_regs && l == d->levels)
			continue; /* registers, not memory */
		uint64_t now = 0;
		if (vcpu->vm->ops->read_gpa(vcpu->vm->host, w->pte_gpa[l], &now,
					    d->entry_size) != SMMU_GPA_OK ||
		    now != w->pte[l])
			return true;
	}
	return false;
}

/* Has the leaf guest entry the walk used changed since? Read again. */
static bool leaf_entry_moved(const struct smmu_vcpu *vcpu,
			     const struct gw_walk *w)
{
	uint64_t now = 0;
	return vcpu->vm->ops->read_gpa(vcpu->vm->host, w->pte_gpa[1], &now,
				       vcpu->mmu.desc->entry_size) !=
		       SMMU_GPA_OK ||
	       now != w->pte[1];
}

/* The child of (sp, index): a shadow of the guest table the entry points
 * to, or a direct page for a guest large page. Links it if needed. */
static struct sp *link_child(struct smmu_vm *vm, struct sp *sp, unsigned index,
			     uint64_t gfn, union sp_role role)
{
	/* Linked already, as most faults find every level but the leaf. */
	struct sp *linked = sp->child[index];
	if (linked && linked->gfn == gfn && linked->role.word == role.word &&
	    (__atomic_load_n(&sp->spt[index], __ATOMIC_ACQUIRE) & X86_PTE_P))
		return linked;
	struct sp *child = sp_get(vm, gfn, role);
	if (!child)
		return 0;
	uint64_t spte = __atomic_load_n(&sp->spt[index], __ATOMIC_ACQUIRE);
	if ((spte & X86_PTE_P) && sp->child[index] == child)
		return child;
	/* A PAE PDPTE grants every right and must not set R/W or U/S
	 * (reserved there, SDM 4.4.1). */
	uint64_t link = child->hpa | (sp->pae_root ? X86_PTE_P : SPTE_TABLE);
	/* A new path to it: sync it first (sp_unsync.c, rule 4). */
	if (!bug_planted(vm, SMMU_INJECT_NO_SYNC_BEFORE_LINK))
		sp_sync_tree(vm, child);
	sp_zap_spte(vm, sp, index);
	if (!sp_link(vm, sp, index, child))
		return 0;
	__atomic_store_n(&sp->spt[index], link, __ATOMIC_RELEASE);
	return child;
}

/* May the 2 MiB of guest memory from gfn be one shadow leaf? The host
 * must back it contiguously, and no guest table the library shadows may
 * lie inside (it would be writable through the leaf). */
static bool backing_is_2m(struct smmu_vm *vm, uint64_t gfn, uint64_t *hpa)
{
	if (!vm->ops->backing_is_2m)
		return false;
	if (!bug_planted(vm, SMMU_INJECT_LARGE_OVER_TABLES) &&
	    sp_2m_holds_table(vm, gfn))
		return false;
	if (dirty_log_overlaps(vm, gfn, 512))
		return false; /* each 4 KiB frame must show its first write */
	return vm->ops->backing_is_2m(vm->host, gfn, hpa);
}

/* A 2 MiB leaf at spte `index` of level-2 page sp, with the rights and
 * key of the direct page it stands for (`role`). */
static enum smmu_fault_action install_2m(struct smmu_vm *vm, struct sp *sp,
					 unsigned index, uint64_t gfn,
					 uint64_t hpa, union sp_role role,
					 const char **reason)
{
	uint64_t spte = leaf_spte(hpa, (uint8_t)role.access, true,
				  (uint8_t)role.pkey, role.global) |
			X86_PTE_PS;
	sp_zap_spte(vm, sp, index);
	if (!rmap_add(vm, sp, index, gfn)) {
		*reason = "out of memory for the reverse map";
		return SMMU_FAULT_ERROR;
	}
	__atomic_store_n(&sp->spt[index], spte, __ATOMIC_RELEASE);
	SHADOW_STAT(vm, large_sptes);
	return SMMU_FAULT_FIXED;
}

/* Install the shadow path for a successful walk `w` of `access`.
 * Returns the fault action; MMU lock held. */
/* Pages a fault links through, pinned against eviction until it is
 * done (the eviction its own allocations may cause included). */
struct pins {
	struct sp *sp[GW_MAX_LEVELS + 1];
	unsigned n;
};

static void pin(struct pins *p, struct sp *sp)
{
	sp->pinned++;
	sp_in_use(sp);
	sp_lru_touch(sp);
	p->sp[p->n++] = sp;
}

static enum smmu_fault_action
install_path(struct smmu_vcpu *vcpu, const struct gw_walk *w, uint64_t walked,
	     const struct smmu_access *acc, uint64_t hpa, const char **reason,
	     struct pins *pins)
{
	struct smmu_vm *vm = vcpu->vm;
	const struct gw_mmu *mmu = &vcpu->mmu;
	int guest_levels = mmu->desc->levels; /* 0 with paging off */
	struct sp *sp = vcpu->root;
	struct sp *path[GW_MAX_LEVELS + 1];
	unsigned path_index[GW_MAX_LEVELS + 1];
	/* With paging off every level is direct: the "guest leaf" is above
	 * the root. */
	int guest_leaf = guest_levels ? w->leaf_level : (int)sp->role.level + 1;
	uint8_t access = SMMU_RIGHT_W | SMMU_RIGHT_U | SMMU_RIGHT_X;
	uint64_t gfn = w->xlate.gpa >> X86_PAGE_SHIFT;

	enum smmu_paging_mode mode = mmu->desc->mode;
	bool pae = mode == SMMU_PAGING_PAE;
	bool bits32 = mode == SMMU_PAGING_32BIT;
	union sp_role large = { .word = 0 }; /* level 0: no 2 MiB leaf */
	bool guest_global = false;
	uint64_t large_hpa = 0;

	pin(pins, sp);

	for (int level = sp->role.level; level > 1; level--) {
		union sp_role role = { .level = (uint32_t)(level - 1),
				       .guest_levels = sp->role.guest_levels,
				       .nxe = mmu->nxe };
		uint64_t child_gfn;
		if (sp->pae_root && (pae || bits32)) {
			/* Below the vCPU's PAE root: the guest's directory
			 * that covers this GiB. PDPTEs grant every right
			 * (their R/W and U/S are reserved); a 32-bit guest's
			 * one directory covers all four GiB, a quarter per
			 * shadow PD. With paging off, the direct branch
			 * below. */
			if (pae) {
				child_gfn = (w->pte[3] & SPTE_ADDR) >>
					    X86_PAGE_SHIFT;
			} else {
				child_gfn = mmu->root >> X86_PAGE_SHIFT;
				role.quadrant = (acc->la >> 30) & 3;
				role.pse =
					mmu->level[2].ps == GW_PS_LEAF &&
					!bug_planted(
						vm,
						SMMU_INJECT_ROLE_WITHOUT_PSE);
			}
		} else if (level > guest_leaf) {
			/* A guest table below: shadow it; a 32-bit guest's
			 * page table in two halves. */
			access &= gw_entry_rights(mmu, w->pte[level]);
			child_gfn =
				(w->pte[level] & SPTE_ADDR) >> X86_PAGE_SHIFT;
			if (bits32)
				role.quadrant = (acc->la >> 21) & 1;
		} else {
			/* Inside a guest large page (or paging off): a
			 * direct page for the frames this level covers. */
			role.direct = 1;
			access = w->xlate.rights;
			if (guest_levels &&
			    !(w->pte[w->leaf_level] & X86_PTE_D))
				access &= (uint8_t)~SMMU_RIGHT_W;
			role.pkey = gw_leaf_pkey(mmu, w->pte[w->leaf_level]);
			/* Its leaves are pieces of the guest's page: never
			 * global (shadow_vm.splinters_dropped). */
			guest_global = guest_levels &&
				       (w->pte[w->leaf_level] & X86_PTE_G);
			child_gfn = gfn & ~((1ull << (9 * (level - 1))) - 1);
		}
		role.access = access;
		if (bug_planted(vm,
				role.direct
					? SMMU_INJECT_DIRECT_SHARE_ACROSS_RIGHTS
					: SMMU_INJECT_SHARE_ACROSS_RIGHTS))
			role.access =
				SMMU_RIGHT_W | SMMU_RIGHT_U | SMMU_RIGHT_X;
		path[level] = sp;
		path_index[level] = spte_index(acc->la, level);
		if (level == 2 && role.direct &&
		    backing_is_2m(vm, child_gfn, &large_hpa)) {
			large = role;
			/* One 2 MiB leaf for the guest's 2 MiB page keeps its
			 * G; a piece of a 4 MiB or 1 GiB page does not. */
			large.global = guest_global && guest_leaf == 2 &&
				       !bits32 && !sp->role.direct;
			break; /* sp stays the level-2 page */
		}
		sp = link_child(vm, sp, path_index[level], child_gfn, role);
		if (!sp) {
			*reason = "shadow-page budget spent: every page is "
				  "a root or on a path being built";
			return SMMU_FAULT_ERROR;
		}
		pin(pins, sp);
	}

	/* Linking may have started to write-protect a guest table, and a
	 * store another CPU made before its flush completed was not
	 * emulated: look at the guest entries again now that every table
	 * on the path is protected, and undo this path if they moved. */
	if (walk_is_stale(vcpu, w, walked)) {
		for (int level = vcpu->root->role.level; level > 1; level--)
			sp_zap_spte(vm, path[level], path_index[level]);
		VCPU_STAT(vcpu, walk_races);
		return SMMU_FAULT_FIXED; /* the access faults again */
	}
	if (large.level)
		return install_2m(vm, sp, path_index[2], gfn & ~511ull,
				  large_hpa, large, reason);

	/* A store to an in-sync guest table is emulated, unless the table
	 * goes out of sync now: marked before its frame is mapped writable
	 * below (unsync.c, rule 2). */
	bool write = acc->flags & SMMU_ACCESS_WRITE;
	enum gfn_state state = sp_gfn_state(vm, gfn);
	if (state == GFN_SYNC && write && sp_try_unsync(vm, gfn))
		state = GFN_UNSYNC;
	bool is_protected = state == GFN_SYNC;
	if (write && is_protected)
		return SMMU_FAULT_EMULATE;

	uint64_t leaf = guest_levels ? w->pte[w->leaf_level] : X86_PTE_D;
	bool writable = (leaf & X86_PTE_D) && !is_protected;
	/* A logged frame stays read-only until the guest writes it. */
	if (writable && write)
		dirty_log_mark(vm, gfn);
	else if (writable)
		writable = dirty_log_may_write(vm, gfn);
	uint64_t spte = leaf_spte(
		hpa, w->xlate.rights, writable, gw_leaf_pkey(mmu, leaf),
		guest_levels && !sp->role.direct && (leaf & X86_PTE_G));

	unsigned index = spte_index(acc->la, 1);
	/* Into an out-of-sync page, a value the guest still holds now,
	 * under the lock (unsync.c: other roots' vCPUs may see it). */
	bool unsync = sp->unsync;
	if (unsync) {
		unsync_fill_begin(vm);
		if (leaf_entry_moved(vcpu, w)) {
			unsync_fill_end(vm);
			VCPU_STAT(vcpu, walk_races);
			return SMMU_FAULT_FIXED; /* the access faults again */
		}
	}
	enum smmu_fault_action a = SMMU_FAULT_FIXED;
	sp_take_slot(vm, sp, index);
	if (rmap_add(vm, sp, index, gfn)) {
		if (sp->gpte)
			sp->gpte[index] = w->pte[1]; /* what a sync compares */
		sp_set_leaf(sp, index, spte);
		sp_prefetch(vcpu, sp, index);
	} else {
		sp_release_slot(sp, index);
		*reason = "out of memory for the reverse map";
		a = SMMU_FAULT_ERROR;
	}
	if (unsync)
		unsync_fill_end(vm);
	return a;
}

static enum smmu_fault_action install(struct smmu_vcpu *vcpu,
				      const struct gw_walk *w, uint64_t walked,
				      const struct smmu_access *acc,
				      uint64_t hpa, const char **reason)
{
	struct pins pins = { .n = 0 };
	enum smmu_fault_action a =
		install_path(vcpu, w, walked, acc, hpa, reason, &pins);
	while (pins.n)
		sp_unpin(vcpu->vm, pins.sp[--pins.n]);
	return a;
}

/* Hand the guest its #PF. A page fault invalidates the faulting
 * address's translations (SDM 4.10.4.2), so the guest may rely on its
 * next access to la walking its tables: an out-of-sync spte for la would
 * break that (invalidate_faulted_address, once out of the RCU section). */
static void inject_page_fault(struct smmu_vcpu *vcpu, uint32_t pf_error,
			      struct smmu_fault *out)
{
	VCPU_STAT(vcpu, faults_injected);
	out->action = SMMU_FAULT_INJECT;
	out->pf_error = pf_error;
}

/* A supervisor write the guest's translation allows only because its
 * CR0.WP is 0: to a read-only page, or to a user page whose protection
 * key is write-disabled (SDM 4.6.1, 4.6.2). The hardware runs with WP=1
 * and refuses it whatever the shadow says, so it must be emulated. A
 * write the translation allows anyway is mapped and runs. */
static bool allowed_by_wp0_only(const struct smmu_vcpu *vcpu,
				const struct smmu_access *acc,
				const struct smmu_translation *t)
{
	const struct gw_mmu *mmu = &vcpu->mmu;
	if (!(acc->flags & SMMU_ACCESS_WRITE) ||
	    (acc->flags & SMMU_ACCESS_USER) || !mmu->desc->levels || mmu->wp)
		return false;
	if (!(t->rights & SMMU_RIGHT_W))
		return true;
	return mmu->pke && (t->rights & SMMU_RIGHT_U) &&
	       (acc->pkru & X86_PKRU_WD(t->pkey));
}

/* Does the shadow already grant acc at acc->la? Walked without the MMU
 * lock, inside an RCU read-side section: a page unlinked meanwhile is not
 * freed before the section ends (rcu.c), so every pointer followed stays
 * valid memory, and a stale answer is only a fault taken again. */
static bool shadow_grants(const struct smmu_vcpu *vcpu,
			  const struct smmu_access *acc, struct sp **leaf)
{
	struct sp *sp = vcpu->root;
	for (;;) {
		unsigned i = spte_index(acc->la, sp->role.level);
		uint64_t spte = __atomic_load_n(&sp->spt[i], __ATOMIC_ACQUIRE);
		if (sp->role.level == 1)
			*leaf = sp;
		if (!(spte & X86_PTE_P))
			return false;
		if (sp->role.level == 1 || (spte & X86_PTE_PS)) {
			/* The hardware runs with WP=1: writes need R/W. */
			if ((acc->flags & SMMU_ACCESS_WRITE) &&
			    !(spte & X86_PTE_RW))
				return false;
			/* A user page faults a supervisor access under the
			 * guest's SMEP or SMAP; the full path decides. */
			if (!(acc->flags & SMMU_ACCESS_USER) !=
			    !(spte & X86_PTE_US))
				return false;
			return !((acc->flags & SMMU_ACCESS_FETCH) &&
				 (spte & X86_PTE_XD));
		}
		sp = __atomic_load_n(&sp->child[i], __ATOMIC_ACQUIRE);
		if (!sp)
			return false;
		sp_lru_touch(sp);
	}
}

/* May a fault be settled by what the shadow grants, without the MMU
 * lock? Only rights every level keeps in the spte are checked; anything
 * else (keys, SMAP) takes the full path. */
static bool settles_lockfree(const struct smmu_access *acc)
{
	return !(acc->flags & ~(uint32_t)(SMMU_ACCESS_WRITE | SMMU_ACCESS_USER |
					  SMMU_ACCESS_FETCH)) &&
	       !acc->pkru;
}

static void fault_error(struct smmu_fault *out, const char *reason)
{
	*out = (struct smmu_fault){ .action = SMMU_FAULT_ERROR,
				    .reason = reason };
}

/* A fault's guest walk and what it asks the host. */
struct fault_walk {
	struct gw_walk w;
	uint64_t walked;  /* shadow_vm.table_changes before the walk */
	uint64_t backing; /* shadow_vm.backing_changes before gfn_to_hpa */
	uint64_t hpa;	  /* of the frame the walk found */
};

/* Walk the guest for acc: true if a shadow fill is due (f set), false
 * with *out saying what else (an injected #PF still owes the sync of la,
 * invalidate_faulted_address). No lock taken: inside the caller's RCU
 * section, if it has one. */
static bool walk_guest(struct smmu_vcpu *vcpu, const struct smmu_access *acc,
		       struct fault_walk *f, struct smmu_fault *out)
{
	struct smmu_vm *vm = vcpu->vm;
	/* A/D updates write guest memory: a logged frame is dirty. */
	struct gw_guest guest = { .ops = vm->ops,
				  .host = vm->host,
				  .wrote = dirty_log_wrote,
				  .wrote_ctx = vm,
				  /* As the hardware walks: SMMU_XLATE_NOT_RAM
				   * only if an A/D update finds the frame
				   * gone. */
				  .not_ram_reads_ones = true };
	f->walked =
		__atomic_load_n(&vm->shadow.table_changes, __ATOMIC_ACQUIRE);
	switch (gw_walk(&f->w, &vcpu->mmu, &guest, acc)) {
	case SMMU_XLATE_OK:
		break;
	case SMMU_XLATE_PAGE_FAULT:
		inject_page_fault(vcpu, f->w.xlate.pf_error, out);
		return false;
	case SMMU_XLATE_NOT_RAM: /* the host took the frame meanwhile */
	case SMMU_XLATE_RETRY:
		return false; /* the access faults again */
	case SMMU_XLATE_NONCANONICAL:
		fault_error(out, "non-canonical address: the guest takes #GP, "
				 "not #PF");
		return false;
	case SMMU_XLATE_EINVAL:
		fault_error(out, "contradictory access flags");
		return false;
	default:
		fault_error(out, "the access cannot be walked");
		return false;
	}
	if (f->w.through_not_ram) {
		/* A table outside RAM read as all ones: nothing to shadow,
		 * the host does the access with this translation. */
		VCPU_STAT(vcpu, faults_emulated);
		out->action = SMMU_FAULT_EMULATE;
		out->gpa = f->w.xlate.gpa;
		return false;
	}
	/* gfn_to_hpa is asked without the lock: a host change of the
	 * backing (smmu_vm_invalidate_gfn_range) between it and the install
	 * would have this fault put the old page back. */
	f->backing =
		__atomic_load_n(&vm->shadow.backing_changes, __ATOMIC_ACQUIRE);
	if (vm->ops->gfn_to_hpa(vm->host, f->w.xlate.gpa >> X86_PAGE_SHIFT,
				&f->hpa) != SMMU_GPA_OK ||
	    allowed_by_wp0_only(vcpu, acc, &f->w.xlate)) {
		/* Not RAM; or a supervisor write only the guest's CR0.WP=0
		 * allows, which the hardware (WP=1, so that clean leaves
		 * trap) would refuse again and again. */
		VCPU_STAT(vcpu, faults_emulated);
		out->action = SMMU_FAULT_EMULATE;
		out->gpa = f->w.xlate.gpa;
		return false;
	}
	return true;
}

void smmu_vcpu_page_fault(struct smmu_vcpu *vcpu,
			  const struct smmu_access *access,
			  struct smmu_fault *out)
{
	if (!out)
		return;
	if (!vcpu || !access) {
		fault_error(out, "smmu_vcpu_page_fault: NULL vcpu or access");
		return;
	}
	struct smmu_vm *vm = vcpu->vm;
	if (!vm->shadow_ops) {
		fault_error(out, "no shadow-paging host ops");
		return;
	}
	if (!vcpu->root) {
		/* No VM entry since the root was dropped: the hardware
		 * cannot have faulted on a shadow. */
		fault_error(out, "no shadow root: smmu_vcpu_enter first");
		return;
	}
	*out = (struct smmu_fault){ .action = SMMU_FAULT_FIXED };
	/* Every index below comes from the address the CPU uses: outside
	 * IA-32e mode its low 32 bits, as the walker reads them. */
	struct smmu_access a = *access;
	a.la = gw_la(&vcpu->mmu, a.la);
	/* Accesses the library does not shadow: a reason that names them,
	 * not "contradictory access flags". */
	if (a.flags & PFERR_SS) {
		fault_error(out, "shadow-stack access (#PF error code bit "
				 "6): CET shadow stacks are not shadowed");
		return;
	}
	if (a.flags & PFERR_SGX) {
		fault_error(out, "SGX access-control fault (#PF error code "
				 "bit 15): not the guest's page tables; "
				 "enclaves are not shadowed");
		return;
	}
	/* What the hardware found on the shadow (P, RSVD, PK), or on the
	 * host's HLAT paging, is no fact about the guest's tables, which
	 * are walked afresh: the raw error code may be passed as it is. */
	a.flags &= ~(uint32_t)(PFERR_P | PFERR_RSVD | PFERR_PK | PFERR_HLAT);
	const struct smmu_access *acc = &a;

	/* One RCU read-side section for what needs no lock: a fault
	 * another vCPU settled meanwhile, the guest walk, and a fill under
	 * shadow tables that exist, at the level-1 page the first look
	 * found. */
	bool lockfree =
		vm->ops->rcu_read_enter &&
		!__atomic_load_n(&vcpu->root->obsolete, __ATOMIC_ACQUIRE);
	struct sp *leaf = 0;
	if (lockfree) {
		vm->ops->rcu_read_enter(vm->host);
		if (settles_lockfree(acc) && shadow_grants(vcpu, acc, &leaf)) {
			vm->ops->rcu_read_exit(vm->host);
			VCPU_STAT(vcpu, faults_spurious);
			return;
		}
	}
	struct fault_walk fw;
	bool fill = walk_guest(vcpu, acc, &fw, out), filled = false;
	if (fill && lockfree) {
		struct fill_known known = { .gfn = fw.w.xlate.gpa >>
						   X86_PAGE_SHIFT,
					    .hpa = fw.hpa,
					    .backing = fw.backing };
		filled = fill_lockfree(vcpu, leaf, acc->la,
				       acc->flags & SMMU_ACCESS_WRITE, &known);
	}
	if (lockfree)
		vm->ops->rcu_read_exit(vm->host);
	if (!fill) {
		if (out->action == SMMU_FAULT_INJECT)
			invalidate_faulted_address(vcpu, acc->la);
		return;
	}
	if (filled) {
		VCPU_STAT(vcpu, faults_fixed);
		return;
	}

	vcpu_lock(vcpu);
	if (vcpu->root->obsolete &&
	    !bug_planted(vm, SMMU_INJECT_STATE_AS_TLB_FLUSH)) {
		/* The host took its frame away: enter again, on a new root
		 * (a request to do so is on its way, flush.c). */
		roots_release(vcpu);
	} else if (walk_is_stale(vcpu, &fw.w, fw.walked) ||
		   fw.backing != vm->shadow.backing_changes) {
		VCPU_STAT(vcpu, walk_races);
	} else {
		out->action = install(vcpu, &fw.w, fw.walked, acc, fw.hpa,
				      &out->reason);
		if (out->action == SMMU_FAULT_EMULATE) {
			VCPU_STAT(vcpu, faults_emulated);
			out->gpa = fw.w.xlate.gpa;
		} else if (out->action == SMMU_FAULT_FIXED) {
			VCPU_STAT(vcpu, faults_fixed);
		}
	}
	vcpu_unlock(vcpu);
}
