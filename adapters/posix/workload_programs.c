/* SPDX-License-Identifier: MIT */
/*
 * The random workload's programs (see workload.h; workload_guest.c
 * builds the guest they run on).
 *
 * Programs are generated round-robin, one operation per vCPU at a time,
 * so the shared table copy evolves roughly as the run will. Each vCPU's
 * registers depend only on its own program and are tracked exactly. The
 * operations (enum workload_op, weighted):
 *
 *   access/store  user code mostly on user pages and the kernel on its own,
 *                 with some of everything else (SMAP with and without
 *                 EFLAGS.AC, implicit supervisor reads, fetches, random
 *                 PKRU); aimed at the latest page-table changes
 *                 (recent_pct), at a small per-vCPU working set, or
 *                 anywhere, reads also at the direct map and at random
 *                 canonical addresses.
 *   pte           one entry changed, often one behind a page this vCPU used
 *                 lately: a leaf remapped, given new rights, unmapped,
 *                 mapped again or aged (A/D cleared); a window's PDE turned
 *                 into a large leaf, back into its table, unmapped, or
 *                 restricted. With flush_prob, the careful invalidation
 *                 follows: INVLPG, a CR3 reload, INVPCID or a PV flush
 *                 locally, and a shootdown of the other vCPUs.
 *   cr3           a switch to a random space (NOFLUSH half the time with
 *                 PCIDs).
 *   ctl           CR4.PSE/PGE/SMEP/SMAP/PKE/PCIDE, CR0.WP or EFER.NXE
 *                 flipped, or paging turned off for a few accesses.
 *   flush         an invalidation with no change behind it.
 */
#include "workload_internal.h"

#include "guest_ops.h"

static void emit(struct wl_gen *g, unsigned v, struct gop op)
{
	struct guest_prog *p = &g->s->vcpu[v].prog;
	if (p->nr < g->vcpu[v].end)
		guest_prog_add(p, op);
}

static bool prog_full(const struct wl_gen *g, unsigned v)
{
	return g->s->vcpu[v].prog.nr >= g->vcpu[v].end;
}

static uint64_t canonical(const struct wl_gen *g, uint64_t la)
{
	unsigned bits = g->m->la_bits;
	if (bits == 32)
		return la & 0xffffffffu;
	uint64_t sign = UINT64_C(1) << (bits - 1);
	la &= (sign << 1) - 1;
	return (la ^ sign) - sign;
}

static uint32_t random_pkru(struct wl_gen *g)
{
	if (!g->pke || !wl_rng_pct(&g->rng, 30))
		return 0;
	uint32_t pkru = 0;
	for (unsigned k = 0; k < 16; k++) {
		if (wl_rng_pct(&g->rng, 12))
			pkru |= X86_PKRU_AD(k);
		if (wl_rng_pct(&g->rng, 25))
			pkru |= X86_PKRU_WD(k);
	}
	return pkru;
}

/* A page in a user window (the one past the mapped ones sometimes). */
static uint64_t user_page(struct wl_gen *g)
{
	unsigned w = (unsigned)wl_rng_below(&g->rng, g->l.nr_windows);
	return wl_window_la(g, w) +
	       wl_rng_below(&g->rng, g->l.window_pages + 1) * PAGE;
}

static uint64_t kernel_page(struct wl_gen *g)
{
	unsigned k = (unsigned)wl_rng_below(&g->rng, g->l.nr_kwindows);
	return wl_kwindow_la(g, k) +
	       wl_rng_below(&g->rng, KWIN_PAGES + 1) * PAGE;
}

static uint64_t random_page(struct wl_gen *g)
{
	return wl_rng_pct(&g->rng, 70) ? user_page(g) : kernel_page(g);
}

/* Where an access or store goes: recently changed pages (mostly the
 * latest), the vCPU's working set (locality: what it cached before a
 * change is what it uses after), else anywhere. Reads also roam the direct
 * map and random canonical addresses; stores never target the direct map,
 * only page-table updates do. */
static uint64_t pick_la(struct wl_gen *g, unsigned v, bool store)
{
	struct wl_rng *r = &g->rng;
	struct wl_vcpu *c = &g->vcpu[v];
	uint64_t page;
	unsigned k = (unsigned)wl_rng_below(r, 100);
	if (g->nr_recent && wl_rng_pct(r, g->wc->recent_pct)) {
		page = g->recent[wl_rng_pct(r, 50)
					 ? (g->recent_pos + NR_RECENT - 1) %
						   NR_RECENT
					 : wl_rng_below(r, g->nr_recent)];
	} else if (k < 50) {
		unsigned i = (unsigned)wl_rng_below(r, WORKING_SET);
		if (!c->working[i] || wl_rng_pct(r, 5))
			c->working[i] = random_page(g);
		page = c->working[i];
	} else if (k < 80 || (store && k >= 90)) {
		page = user_page(g);
	} else if (k < 90) {
		page = kernel_page(g);
	} else if (k < 97) {
		page = g->m->dmap + wl_rng_below(r, g->tables_used) * PAGE;
	} else {
		return canonical(g, wl_rng_next(r)) & ~UINT64_C(7);
	}
	return page + wl_rng_below(r, PAGE / 8) * 8;
}

static bool is_user_la(const struct wl_gen *g, uint64_t la)
{
	return la < g->m->user_top;
}

/* Mostly what a kernel and its processes do (user code on user pages,
 * the kernel on its own), with enough of the rest to hit every rights
 * check: supervisor accesses to user pages (SMAP, EFLAGS.AC), user
 * accesses to kernel pages, implicit supervisor accesses, fetches. */
static uint32_t access_flags(struct wl_gen *g, uint64_t la, bool store)
{
	struct wl_rng *r = &g->rng;
	bool user = wl_rng_pct(r, is_user_la(g, la) ? 75 : 5);
	if (!store && wl_rng_pct(r, 12))
		return SMMU_ACCESS_FETCH | (user ? SMMU_ACCESS_USER : 0);
	if (user)
		return SMMU_ACCESS_USER;
	uint32_t f = 0;
	if (g->wc->smap && is_user_la(g, la) && wl_rng_pct(r, 60))
		f |= SMMU_ACCESS_AC;
	if (!store && wl_rng_pct(r, 4))
		f |= SMMU_ACCESS_IMPLICIT;
	return f;
}

/* The item that maps `la` in `space` (its PDE with `pde`), or -1. */
static int item_at(const struct wl_gen *g, unsigned space, uint64_t la,
		   bool pde)
{
	uint64_t size = g->m->large_size;
	uint64_t base = la & ~(size - 1);
	unsigned first, pages;
	bool has_pde = true;
	unsigned w;

	for (w = 0; w < g->l.nr_windows && wl_window_la(g, w) != base; w++)
		;
	if (w < g->l.nr_windows) {
		first = g->uwin_item[space * g->l.nr_windows + w];
		pages = g->l.window_pages;
	} else {
		for (w = 0; w < g->l.nr_kwindows && wl_kwindow_la(g, w) != base;
		     w++)
			;
		if (w == g->l.nr_kwindows)
			return -1;
		first = g->kwin_item[w];
		pages = KWIN_PAGES;
		has_pde = g->m->levels > 2;
	}
	if (pde)
		return has_pde ? (int)(first + pages) : -1;
	uint64_t p = (la - base) / PAGE;
	return p < pages ? (int)(first + p) : -1;
}

static void touch(struct wl_gen *g, unsigned v, uint64_t la)
{
	struct wl_vcpu *c = &g->vcpu[v];
	int i = item_at(g, c->space, la, wl_rng_pct(&g->rng, 10));
	if (i < 0)
		return;
	c->touched[c->touched_pos] = (unsigned)i;
	c->touched_pos = (c->touched_pos + 1) % NR_TOUCHED;
	if (c->nr_touched < NR_TOUCHED)
		c->nr_touched++;
}

static void gen_access(struct wl_gen *g, unsigned v, bool store)
{
	uint64_t la = pick_la(g, v, store);
	struct gop op = { .kind = store ? GOP_STORE : GOP_ACCESS,
			  .flags = access_flags(g, la, store),
			  .pkru = random_pkru(g),
			  .la = la };
	if (store)
		op.val = wl_rng_next(&g->rng);
	emit(g, v, op);
	touch(g, v, la);
}

static uint64_t other_vcpus(const struct wl_gen *g, unsigned v)
{
	uint64_t all = g->wc->nr_vcpus == 64
			       ? ~UINT64_C(0)
			       : (UINT64_C(1) << g->wc->nr_vcpus) - 1;
	return all & ~(UINT64_C(1) << v);
}

static void shootdown(struct wl_gen *g, unsigned v, uint64_t la, bool all)
{
	uint64_t targets = other_vcpus(g, v);
	if (!targets)
		return;
	if (wl_rng_pct(&g->rng, 20)) {
		uint64_t some = targets & wl_rng_next(&g->rng);
		if (some)
			targets = some;
	}
	emit(g, v,
	     (struct gop){ .kind = GOP_SHOOTDOWN,
			   .la = (all || wl_rng_pct(&g->rng, 15)) ? GOP_ALL
								  : la,
			   .targets = targets });
}

static void invpcid(struct wl_gen *g, unsigned v, unsigned type, uint16_t pcid,
		    uint64_t la)
{
	emit(g, v,
	     (struct gop){ .kind = GOP_INVPCID,
			   .type = (uint8_t)type,
			   .pcid = pcid,
			   .la = la });
}

/* CR4.PCIDE of vCPU v now (the workload may turn it off and on). */
static bool pcide(const struct wl_gen *g, unsigned v)
{
	return g->vcpu[v].regs.cr4 & X86_CR4_PCIDE;
}

static uint16_t current_pcid(const struct wl_gen *g, unsigned v)
{
	return pcide(g, v) ? wl_space_pcid(g, g->vcpu[v].space) : 0;
}

/* What a careful guest does after changing item `it` at `la`: invalidate
 * locally (INVLPG, INVPCID, a CR3 reload for a non-global change, or a
 * full paravirtual flush), then shoot the other vCPUs down. A changed PDE
 * covers a whole window, so it gets a whole-context flush, unless it was
 * a large leaf: one INVLPG of any address in it invalidates all of it
 * (SDM vol. 3A 4.10.4.1), as Linux flushes a huge page. */
static void careful_flush(struct wl_gen *g, unsigned v,
			  const struct wl_item *it, uint64_t la, bool was_large)
{
	struct wl_rng *r = &g->rng;
	bool kernel = it->space < 0;
	bool wide = it->level > 1;
	bool loaded = kernel || (unsigned)it->space == g->vcpu[v].space;
	unsigned c = (unsigned)wl_rng_below(r, 100);

	if (loaded && was_large && c < 40) {
		uint64_t size = g->m->large_size;
		emit(g, v,
		     (struct gop){ .kind = GOP_INVLPG,
				   .la = (la & ~(size - 1)) +
					 wl_rng_below(r, size / PAGE) * PAGE });
	} else if (loaded) {
		if (!wide && c < 55)
			emit(g, v,
			     (struct gop){ .kind = GOP_INVLPG, .la = la });
		else if (!kernel && c < 70)
			emit(g, v,
			     (struct gop){ .kind = GOP_MOV_CR3,
					   .val = wl_space_cr3(
						   g, g->vcpu[v].space) });
		else if (g->pcide && c < 85 && kernel)
			invpcid(g, v, HW_INVPCID_ALL_GLOBAL, 0, 0);
		else if (g->pcide && c < 85 && wide)
			invpcid(g, v, HW_INVPCID_SINGLE, current_pcid(g, v), 0);
		else if (g->pcide && c < 85)
			invpcid(g, v, HW_INVPCID_ADDR, current_pcid(g, v), la);
		else
			emit(g, v, (struct gop){ .kind = GOP_PV_FLUSH });
	} else if (pcide(g, v) && c < 70) {
		/* Without PCIDE nothing of another space stays cached
		 * across the MOV CR3 that left it. */
		uint16_t pcid = wl_space_pcid(g, (unsigned)it->space);
		if (wide)
			invpcid(g, v, HW_INVPCID_SINGLE, pcid, 0);
		else
			invpcid(g, v, HW_INVPCID_ADDR, pcid, la);
	}
	shootdown(g, v, la, wide);
}

static void remember(struct wl_gen *g, uint64_t la)
{
	g->recent[g->recent_pos] = la & ~(PAGE - 1);
	g->recent_pos = (g->recent_pos + 1) % NR_RECENT;
	if (g->nr_recent < NR_RECENT)
		g->nr_recent++;
}

static void gen_pte_change(struct wl_gen *g, unsigned v)
{
	struct wl_rng *r = &g->rng;
	const struct wl_item *it;
	/* Mostly the running space and the kernel, sometimes any space. */
	unsigned first = g->first_space_item, nk = first;
	unsigned per_space = (g->nr_items - first) / g->wc->nr_spaces;
	struct wl_vcpu *c = &g->vcpu[v];
	if (c->nr_touched && wl_rng_pct(r, 50)) {
		it = &g->items[c->touched[wl_rng_below(r, c->nr_touched)]];
	} else if (wl_rng_pct(r, 70)) {
		unsigned i = (unsigned)wl_rng_below(r, nk / 4 + per_space);
		if (i < per_space)
			it = &g->items[first + g->vcpu[v].space * per_space +
				       i];
		else
			it = &g->items[wl_rng_below(r, nk)];
	} else {
		it = &g->items[wl_rng_below(r, g->nr_items)];
	}

	uint64_t old = wl_entry_get(g, it->slot);
	uint64_t val = it->level == 1 ? wl_change_pte(g, it, old)
				      : wl_change_pde(g, it, old);
	uint64_t slot = wl_entry_set(g, it->slot, val);
	uint64_t la = it->la;
	if (it->level > 1)
		la += wl_rng_below(r, it->space < 0 ? KWIN_PAGES
						    : g->l.window_pages) *
		      PAGE;
	emit(g, v,
	     (struct gop){ .kind = GOP_STORE,
			   .la = g->m->dmap +
				 ((it->slot & ~UINT64_C(7)) - TABLES_BASE),
			   .val = slot });
	remember(g, la);
	if (wl_rng_chance(r, g->wc->flush_prob))
		careful_flush(g, v, it, la,
			      it->level > 1 && (old & X86_PTE_P) &&
				      (old & X86_PTE_PS));
}

static void gen_cr3(struct wl_gen *g, unsigned v)
{
	struct wl_vcpu *c = &g->vcpu[v];
	unsigned sp = (unsigned)wl_rng_below(&g->rng, g->wc->nr_spaces);
	uint64_t val = wl_space_cr3(g, sp);
	c->space = sp;
	c->regs.cr3 = val;
	if (pcide(g, v) && wl_rng_pct(&g->rng, 50))
		val |= X86_CR3_NOFLUSH;
	emit(g, v, (struct gop){ .kind = GOP_MOV_CR3, .val = val });
}

static void set_cr4(struct wl_gen *g, unsigned v, uint64_t cr4)
{
	g->vcpu[v].regs.cr4 = cr4;
	emit(g, v, (struct gop){ .kind = GOP_MOV_CR4, .val = cr4 });
}

static void pcide_off(struct wl_gen *g, unsigned v)
{
	set_cr4(g, v, g->vcpu[v].regs.cr4 & ~X86_CR4_PCIDE);
}

/* SDM 4.10.1: CR4.PCIDE may be set only while CR3[11:0] is 0, so load
 * the space's root with PCID 0 first, then its own PCID afterwards. */
static void pcide_on(struct wl_gen *g, unsigned v)
{
	struct wl_vcpu *c = &g->vcpu[v];
	emit(g, v,
	     (struct gop){ .kind = GOP_MOV_CR3, .val = g->root[c->space] });
	set_cr4(g, v, c->regs.cr4 | X86_CR4_PCIDE);
	emit(g, v, (struct gop){ .kind = GOP_MOV_CR3, .val = c->regs.cr3 });
}

static void set_cr0(struct wl_gen *g, unsigned v, uint64_t cr0)
{
	g->vcpu[v].regs.cr0 = cr0;
	emit(g, v, (struct gop){ .kind = GOP_MOV_CR0, .val = cr0 });
}

/* Paging off for a few accesses, then on again. Clearing CR0.PG with
 * CR4.PCIDE set is a #GP, so PCIDE goes off first and comes back after.
 * With paging off linear is physical: reads anywhere in the tables and
 * data, stores to data pages only (the tables stay what the generator
 * believes they are). */
static void paging_interlude(struct wl_gen *g, unsigned v)
{
	struct wl_vcpu *c = &g->vcpu[v];
	bool had_pcide = pcide(g, v);
	if (had_pcide)
		pcide_off(g, v);
	set_cr0(g, v, c->regs.cr0 & ~X86_CR0_PG);
	unsigned n = 1 + (unsigned)wl_rng_below(&g->rng, 4);
	for (unsigned k = 0; k < n; k++) {
		bool store = wl_rng_pct(&g->rng, 40);
		uint64_t pa =
			store || wl_rng_pct(&g->rng, 50)
				? g->l.data_base +
					  wl_rng_below(&g->rng, g->l.nr_data) *
						  PAGE
				: TABLES_BASE + wl_rng_below(&g->rng,
							     g->tables_used) *
							PAGE;
		struct gop op = {
			.kind = store ? GOP_STORE : GOP_ACCESS,
			.la = pa + wl_rng_below(&g->rng, PAGE / 8) * 8,
			.flags = wl_rng_pct(&g->rng, 50) ? SMMU_ACCESS_USER : 0
		};
		if (store)
			op.val = wl_rng_next(&g->rng);
		emit(g, v, op);
	}
	set_cr0(g, v, c->regs.cr0 | X86_CR0_PG);
	if (had_pcide)
		pcide_on(g, v);
}

static bool gen_ctl(struct wl_gen *g, unsigned v)
{
	struct wl_vcpu *c = &g->vcpu[v];
	uint64_t cr4_bits[5];
	unsigned n = 0;
	/* CR4.PSE decides what a 32-bit guest's PS=1 directory entry is
	 * (a 4 MiB page or a page-table pointer); other modes ignore it. */
	if (g->wc->large)
		cr4_bits[n++] = X86_CR4_PSE;
	if (g->wc->global)
		cr4_bits[n++] = X86_CR4_PGE;
	if (g->wc->smep)
		cr4_bits[n++] = X86_CR4_SMEP;
	if (g->wc->smap)
		cr4_bits[n++] = X86_CR4_SMAP;
	if (g->pke)
		cr4_bits[n++] = X86_CR4_PKE;
	bool wp = g->wc->wp_toggle, nxe = g->wc->nx && g->wc->nx_toggle;
	bool pcide_toggle = g->pcide && g->wc->pcide_toggle;
	bool paging = g->wc->paging_toggle;
	unsigned total = n + wp + nxe + pcide_toggle + paging;
	if (!total)
		return false;
	unsigned i = (unsigned)wl_rng_below(&g->rng, total);
	if (pcide_toggle && i == n + wp + nxe) {
		if (pcide(g, v))
			pcide_off(g, v);
		else
			pcide_on(g, v);
	} else if (paging && i == total - 1) {
		paging_interlude(g, v);
	} else if (wp && i == n) {
		c->regs.cr0 ^= X86_CR0_WP;
		emit(g, v,
		     (struct gop){ .kind = GOP_MOV_CR0, .val = c->regs.cr0 });
	} else if (i >= n) {
		c->regs.efer ^= X86_EFER_NXE;
		emit(g, v,
		     (struct gop){ .kind = GOP_WRMSR_EFER,
				   .val = c->regs.efer });
	} else {
		c->regs.cr4 ^= cr4_bits[i];
		emit(g, v,
		     (struct gop){ .kind = GOP_MOV_CR4, .val = c->regs.cr4 });
	}
	return true;
}

/* An invalidation with no change behind it: what kernels do on context
 * switches, munmap of untouched ranges, or out of caution. */
static void gen_flush(struct wl_gen *g, unsigned v)
{
	struct wl_rng *r = &g->rng;
	unsigned c = (unsigned)wl_rng_below(r, 100);
	uint64_t la = wl_rng_pct(r, 70) ? user_page(g) : kernel_page(g);
	if (c < 35) {
		emit(g, v, (struct gop){ .kind = GOP_INVLPG, .la = la });
	} else if (c < 55 && g->pcide) {
		unsigned type = (unsigned)wl_rng_below(r, 4);
		/* Mostly the spaces' PCIDs, sometimes any, now and then
		 * one with descriptor bits 15:12 set (#GP). */
		uint16_t pcid =
			wl_rng_pct(r, 80)
				? wl_space_pcid(g, (unsigned)wl_rng_below(
							   r, g->wc->nr_spaces))
			: wl_rng_pct(r, 90) ? (uint16_t)wl_rng_below(r, 4096)
					    : (uint16_t)wl_rng_next(r);
		invpcid(g, v, type, type < 2 ? pcid : 0, type == 0 ? la : 0);
	} else if (c < 70) {
		emit(g, v, (struct gop){ .kind = GOP_PV_FLUSH });
	} else {
		shootdown(g, v, la, false);
	}
}

/* The host changes guest memory behind the guest's back (the vCPU's
 * thread stands in for it). A device's DMA store rewrites a page-table
 * entry and the guest is told nothing: a CPU may keep what it cached, the
 * MMU must not keep more. New host pages go behind a few frames (tables
 * or data, contents kept). Now and then a data frame is taken away for
 * good (it reads as all ones after): a few per run, since the simulated
 * RAM has room for few holes. */
static void gen_host(struct wl_gen *g, unsigned v)
{
	struct wl_rng *r = &g->rng;
	unsigned c = (unsigned)wl_rng_below(r, 100);
	const struct wl_item *it = &g->items[wl_rng_below(r, g->nr_items)];
	if (c < 60) {
		uint64_t old = wl_entry_get(g, it->slot);
		uint64_t val = it->level == 1 ? wl_change_pte(g, it, old)
					      : wl_change_pde(g, it, old);
		emit(g, v,
		     (struct gop){ .kind = GOP_DMA_STORE,
				   .la = it->slot & ~UINT64_C(7),
				   .val = wl_entry_set(g, it->slot, val) });
		return;
	}
	uint64_t data = g->l.data_base + wl_rng_below(r, g->l.nr_data) * PAGE;
	if (c < 97 || g->host_unmaps == HOST_UNMAPS) {
		uint64_t frame =
			wl_rng_pct(r, 50) ? it->slot & ~(PAGE - 1) : data;
		emit(g, v,
		     (struct gop){ .kind = GOP_HOST_REMAP,
				   .la = frame,
				   .val = PAGE * (1 + wl_rng_below(r, 4)) });
		return;
	}
	g->host_unmaps++;
	emit(g, v,
	     (struct gop){ .kind = GOP_HOST_UNMAP, .la = data, .val = PAGE });
}

static enum workload_op pick_op(struct wl_gen *g, const unsigned *weight,
				unsigned total)
{
	uint64_t x = wl_rng_below(&g->rng, total);
	unsigned k = 0;
	while (x >= weight[k])
		x -= weight[k++];
	return (enum workload_op)k;
}

static void gen_op(struct wl_gen *g, unsigned v, const unsigned *weight,
		   unsigned total)
{
	switch (pick_op(g, weight, total)) {
	case WL_OP_ACCESS:
		gen_access(g, v, false);
		break;
	case WL_OP_STORE:
		gen_access(g, v, true);
		break;
	case WL_OP_PTE:
		gen_pte_change(g, v);
		break;
	case WL_OP_CR3:
		gen_cr3(g, v);
		break;
	case WL_OP_CTL:
		if (!gen_ctl(g, v))
			gen_access(g, v, false);
		break;
	case WL_OP_FLUSH:
		gen_flush(g, v);
		break;
	case WL_OP_HOST:
		gen_host(g, v);
		break;
	case WL_NR_OPS:
		break;
	}
}

void wl_gen_programs(struct wl_gen *g)
{
	const struct workload_config *wc = g->wc;
	const unsigned *weight = wl_default_weight;
	unsigned total = 0;
	for (unsigned k = 0; k < WL_NR_OPS; k++)
		total += wc->weight[k];
	if (total)
		weight = wc->weight;
	else
		for (unsigned k = 0; k < WL_NR_OPS; k++)
			total += weight[k];

	for (bool more = true; more;) {
		more = false;
		for (unsigned v = 0; v < wc->nr_vcpus; v++) {
			if (prog_full(g, v))
				continue;
			gen_op(g, v, weight, total);
			more = true;
		}
	}
}
