/* SPDX-License-Identifier: MIT */
/*
 * The architectural reference model; see ref_model.h for what it decides
 * and why. Everything here is written from the SDM (vol. 3A 4.3-4.10)
 * without looking at libshadowmmu's walker.
 *
 * This file keeps the invalidation epochs, the roots each vCPU loaded,
 * the check of an access and the queries for tools. The explanation of a
 * violation the check finds lives in ref_explain.c, guest memory changes
 * (stores, the MMU's A/D updates, frames taken away) in ref_writes.c; the
 * state they share is in ref_model_internal.h.
 */
#include "ref_model_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- invalidation bookkeeping ---- */

static const struct {
	uint64_t size;
	unsigned code;
} sizes[] = { { 1ull << 12, 0 },
	      { 1ull << 21, 1 },
	      { 1ull << 22, 2 },
	      { 1ull << 30, 3 } };

static unsigned size_code(uint64_t size)
{
	for (unsigned i = 0; i < 4; i++)
		if (sizes[i].size == size)
			return sizes[i].code;
	abort();
}

static uint64_t la_key(uint16_t pcid, uint64_t la, uint64_t size)
{
	uint64_t page = (la & ((1ull << 57) - 1)) / size;
	return page | ((uint64_t)size_code(size) << 45) |
	       ((uint64_t)pcid << 47);
}

/* INVLPG-style invalidation of la: translations of every size that
 * contain it (SDM 4.10.4.1: "for a page number corresponding to la"). */
static void inv_la(struct ref_model *m, struct rvcpu *c, uint16_t pcid,
		   uint64_t la, bool global_too)
{
	for (unsigned i = 0; i < 4; i++) {
		*u64map_put(&c->inv_la, la_key(pcid, la, sizes[i].size), 0) =
			m->epoch;
		if (global_too)
			*u64map_put(&c->inv_gla, la_key(0, la, sizes[i].size),
				    0) = m->epoch;
	}
}

static void inv_everything(struct ref_model *m, struct rvcpu *c)
{
	c->inv_all_nonglobal = m->epoch;
	c->inv_global = m->epoch;
}

static uint64_t max2(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Epoch after which a non-global translation of `size` for la in pcid
 * may have been cached. */
uint64_t ref_model_floor_nonglobal(const struct rvcpu *c, uint16_t pcid,
				   uint64_t la, uint64_t size)
{
	uint64_t t = max2(c->inv_pcid[pcid], c->inv_all_nonglobal);
	const uint64_t *e = u64map_get(&c->inv_la, la_key(pcid, la, size));
	const uint64_t *e4k =
		u64map_get(&c->inv_la, la_key(pcid, la, X86_PAGE_SIZE));
	if (e)
		t = max2(t, *e);
	return e4k ? max2(t, *e4k) : t;
}

uint64_t ref_model_floor_global(const struct rvcpu *c, uint64_t la,
				uint64_t size)
{
	uint64_t t = c->inv_global;
	const uint64_t *e = u64map_get(&c->inv_gla, la_key(0, la, size));
	const uint64_t *e4k =
		u64map_get(&c->inv_gla, la_key(0, la, X86_PAGE_SIZE));
	if (e)
		t = max2(t, *e);
	return e4k ? max2(t, *e4k) : t;
}

/* ---- roots ---- */

static struct ref_root root_of(const struct smmu_paging_regs *r)
{
	struct ref_root x = {
		.pcid = ref_pcid_of(r),
		.mode = ref_mode_of(r),
		.pse = r->cr4 & X86_CR4_PSE,
		.pge = r->cr4 & X86_CR4_PGE,
		.nxe = r->efer & X86_EFER_NXE,
		.end = REF_FOREVER,
	};
	switch (x.mode) {
	case RM_32:
		x.table = r->cr3 & 0xfffff000ull;
		break;
	case RM_PAE:
		memcpy(x.pdpte, r->pdpte, sizeof(x.pdpte));
		break;
	case RM_4L:
	case RM_5L:
		x.table = r->cr3 & X86_BITS(51, 12);
		break;
	case RM_OFF:
		break;
	}
	return x;
}

static bool same_root(const struct ref_root *a, const struct ref_root *b)
{
	return a->pcid == b->pcid && a->mode == b->mode && a->pse == b->pse &&
	       a->pge == b->pge && a->nxe == b->nxe && a->table == b->table &&
	       !memcmp(a->pdpte, b->pdpte, sizeof(a->pdpte));
}

static struct ref_root *current_root(struct rvcpu *c)
{
	if (c->nr_roots && c->roots[c->nr_roots - 1].end == REF_FOREVER)
		return &c->roots[c->nr_roots - 1];
	return NULL;
}

static void update_root(struct ref_model *m, struct rvcpu *c)
{
	struct ref_root *cur = current_root(c);
	struct ref_root next = root_of(&c->regs);
	if (cur && next.mode != RM_OFF && same_root(cur, &next))
		return;
	if (cur) {
		cur->end = m->epoch;
		ref_fills_end(&c->fills, cur->pcid, m->epoch);
		if (cur->pge)
			ref_fills_end(&c->fills, REF_FILL_GLOBAL, m->epoch);
	}
	if (next.mode == RM_OFF)
		return;
	next.start = m->epoch;
	ref_fills_begin(&c->fills, next.pcid, m->epoch);
	if (next.pge)
		ref_fills_begin(&c->fills, REF_FILL_GLOBAL, m->epoch);
	/* An earlier record of the same root yields what this one does,
	 * and this one was loaded later: one record per root is enough
	 * (first_fill keeps the times it was loaded). */
	for (unsigned i = 0; i < c->nr_roots; i++) {
		if (same_root(&c->roots[i], &next)) {
			memmove(&c->roots[i], &c->roots[i + 1],
				(c->nr_roots - i - 1) * sizeof(*c->roots));
			c->nr_roots--;
			break;
		}
	}
	if (c->nr_roots == c->cap_roots) {
		c->cap_roots = c->cap_roots ? 2 * c->cap_roots : 8;
		c->roots = realloc(c->roots, c->cap_roots * sizeof(*c->roots));
		if (!c->roots)
			abort();
	}
	c->roots[c->nr_roots++] = next;
}

/* Drop roots that can no longer yield anything: ended before every
 * invalidation that covers them. Keeps the history short in long runs. */
static void prune_roots(struct rvcpu *c)
{
	unsigned j = 0;
	for (unsigned i = 0; i < c->nr_roots; i++) {
		struct ref_root *r = &c->roots[i];
		uint64_t dead_at = c->inv_global;
		uint64_t ng = max2(c->inv_pcid[r->pcid], c->inv_all_nonglobal);
		if (ng < dead_at)
			dead_at = ng;
		if (r->end != REF_FOREVER && r->end <= dead_at)
			continue;
		c->roots[j++] = *r;
	}
	c->nr_roots = j;
	ref_fills_prune(&c->fills, c->inv_pcid, c->inv_all_nonglobal,
			c->inv_global);
}

/* Epoch before which no value can matter to vCPU c: every translation
 * it may still use was cached after this. */
uint64_t ref_model_vcpu_floor(const struct ref_model *m, const struct rvcpu *c)
{
	uint64_t floor = m->epoch;
	for (unsigned i = 0; i < c->nr_roots; i++) {
		const struct ref_root *r = &c->roots[i];
		uint64_t t = max2(c->inv_pcid[r->pcid], c->inv_all_nonglobal);
		if (r->pge && c->inv_global < t)
			t = c->inv_global;
		if (t < floor)
			floor = t;
	}
	return floor;
}

/* ---- public entry points ---- */

struct ref_model *ref_model_create(const struct ref_model_config *config)
{
	struct ref_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->cfg = *config;
	m->epoch = 1;
	pthread_mutex_init(&m->lock, NULL);
	ref_memory_init(&m->mem, config->ram);
	m->vcpu = calloc(config->nr_vcpus, sizeof(*m->vcpu));
	if (!m->vcpu) {
		free(m);
		return NULL;
	}
	for (unsigned i = 0; i < config->nr_vcpus; i++) {
		u64map_init(&m->vcpu[i].inv_la);
		u64map_init(&m->vcpu[i].inv_gla);
	}
	return m;
}

void ref_model_destroy(struct ref_model *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->cfg.nr_vcpus; i++) {
		u64map_fini(&m->vcpu[i].inv_la);
		u64map_fini(&m->vcpu[i].inv_gla);
		free(m->vcpu[i].roots);
		ref_fills_fini(&m->vcpu[i].fills);
	}
	ref_memory_fini(&m->mem);
	free(m->vcpu);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void ref_model_regs(struct ref_model *m, unsigned v, enum ref_reg_event event,
		    uint64_t operand, const struct smmu_paging_regs *regs)
{
	pthread_mutex_lock(&m->lock);
	struct rvcpu *c = &m->vcpu[v];
	struct smmu_paging_regs old = c->regs;
	uint64_t d0 = old.cr0 ^ regs->cr0, d4 = old.cr4 ^ regs->cr4;
	m->epoch++;

	switch (event) {
	case REF_SET:
		inv_everything(m, c);
		break;
	case REF_MOV_CR0:
		/* Clearing PG invalidates everything (SDM 4.10.4.1). */
		if ((d0 & X86_CR0_PG) && !(regs->cr0 & X86_CR0_PG))
			inv_everything(m, c);
		break;
	case REF_MOV_CR3:
		/* Without PCIDs: PCID 000H, globals kept. With PCIDs: the
		 * new PCID unless bit 63 asked not to. */
		if (!(regs->cr4 & X86_CR4_PCIDE))
			c->inv_pcid[0] = m->epoch;
		else if (!(operand & X86_CR3_NOFLUSH))
			c->inv_pcid[ref_pcid_of(regs)] = m->epoch;
		break;
	case REF_MOV_CR4:
		if ((d4 & X86_CR4_PGE) ||
		    ((d4 & X86_CR4_PCIDE) && !(regs->cr4 & X86_CR4_PCIDE)))
			inv_everything(m, c);
		else if ((d4 & X86_CR4_PAE) ||
			 ((d4 & X86_CR4_SMEP) && (regs->cr4 & X86_CR4_SMEP)))
			/* "all ... for the current PCID"; globals are kept,
			 * the permissive reading. */
			c->inv_pcid[ref_pcid_of(&old)] = m->epoch;
		break;
	case REF_WRMSR_EFER:
		/* Not an SDM invalidation: the model's one deliberate
		 * strictness (see ref_model.h). */
		if ((old.efer ^ regs->efer) & X86_EFER_NXE)
			inv_everything(m, c);
		break;
	}
	c->regs = *regs;
	update_root(m, c);
	prune_roots(c);
	pthread_mutex_unlock(&m->lock);
}

void ref_model_invlpg(struct ref_model *m, unsigned v, uint64_t la)
{
	pthread_mutex_lock(&m->lock);
	m->epoch++;
	struct rvcpu *c = &m->vcpu[v];
	inv_la(m, c, ref_pcid_of(&c->regs), la, true);
	c->inv_psc[ref_pcid_of(&c->regs)] = m->epoch;
	pthread_mutex_unlock(&m->lock);
}

void ref_model_invpcid(struct ref_model *m, unsigned v, unsigned type,
		       uint16_t pcid, uint64_t la)
{
	pthread_mutex_lock(&m->lock);
	m->epoch++;
	struct rvcpu *c = &m->vcpu[v];
	switch (type) {
	case 0: /* individual address, globals kept */
		inv_la(m, c, pcid & 0xfff, la, false);
		break;
	case 1: /* single context, globals kept */
		c->inv_pcid[pcid & 0xfff] = m->epoch;
		break;
	case 2: /* all contexts, globals too */
		inv_everything(m, c);
		break;
	case 3: /* all contexts, globals kept */
		c->inv_all_nonglobal = m->epoch;
		break;
	}
	prune_roots(c);
	pthread_mutex_unlock(&m->lock);
}

void ref_model_flush_all(struct ref_model *m, unsigned v)
{
	ref_model_invpcid(m, v, 2, 0, 0);
}

/* ---- checking an access ---- */

bool ref_model_translates_to(const struct ref_cand *c, uint64_t la,
			     uint64_t gpa)
{
	return c->base + (la & (c->size - 1)) == gpa;
}

/* The first epoch after t at which vCPU c had a root loaded that could
 * fill its caches: one of PCID `pcid`, or for global translations (pcid
 * < 0) any root with CR4.PGE. A CPU caches only what it walks from the
 * loaded root, tagged with the current PCID (SDM 4.10.1, 4.10.2.4), so
 * every value of a cached translation was still in memory then. */
static uint64_t first_fill(const struct rvcpu *c, int pcid, uint64_t t)
{
	return ref_fills_first(&c->fills,
			       pcid < 0 ? REF_FILL_GLOBAL : (unsigned)pcid, t);
}

/* Whether a cached (not current) candidate was still valid. */
static bool cached_valid(const struct match *x, const struct ref_cand *c)
{
	uint64_t la = x->acc->la;
	if (!c->accessed)
		return false; /* never walked: the CPU sets A as it walks */
	if (x->want_global) {
		if (!c->global)
			return false;
		uint64_t t = ref_model_floor_global(x->c, la, c->size);
		return c->min_end > first_fill(x->c, -1, t) && x->root->end > t;
	}
	uint64_t t = ref_model_floor_nonglobal(x->c, x->pcid, la, c->size);
	return c->min_end > first_fill(x->c, x->pcid, t) && x->root->end > t;
}

/* Whether stale cached upper levels may have led a walk to a faulting
 * entry: paging-structure caches hold non-global information only. */
static bool psc_valid(const struct match *x, const struct ref_cand *c)
{
	if (x->want_global || !c->accessed)
		return false;
	uint64_t t = max2(ref_model_floor_nonglobal(x->c, x->pcid, x->acc->la,
						    X86_PAGE_SIZE),
			  x->c->inv_psc[x->pcid]);
	return c->min_end > first_fill(x->c, x->pcid, t) && x->root->end > t;
}

static bool visit_match(const struct ref_cand *c, void *arg)
{
	struct match *x = arg;
	const struct ref_outcome *got = x->got;
	bool current = x->current && c->min_end == REF_FOREVER;

	x->considered++;
	if (current && !x->have_now) {
		x->now = *c;
		x->have_now = true;
	}
	if (!current) {
		/* A walk the CPU made while the access ran: every value it
		 * used was still in memory then. It explains a fault, never a
		 * success (a successful walk sets A, which the history has). */
		bool during = c->min_end > x->started &&
			      x->root->end > x->started && !x->want_global &&
			      (c->fault || got->fault);
		bool cached = c->fault ? psc_valid(x, c) : cached_valid(x, c);
		if (!during && !cached)
			return false;
	}
	if (c->fault) {
		uint32_t err = c->fault_bits | ref_access_bits(x->regs, x->acc);
		x->ok = got->fault && got->pf_error == err;
		return x->ok;
	}
	uint32_t err = ref_rights_error(x->regs, c, x->acc);
	if (got->fault) {
		x->ok = err && got->pf_error == err;
		return x->ok;
	}
	if (err || !ref_model_translates_to(c, x->acc->la, got->gpa))
		return false;
	/* A and D: the current walk must have left them set; a cached
	 * translation carries them from when it was cached. A write through
	 * a cached clean translation makes the CPU walk memory again. */
	bool write = x->acc->flags & SMMU_ACCESS_WRITE;
	if (current) {
		if (!c->accessed || (write && !c->dirty))
			return false;
	} else if (write && !c->dirty) {
		return false;
	}
	x->ok = true;
	return true;
}

static void run_walk(struct ref_model *m, struct match *x,
		     const struct ref_root *r, bool current_only,
		     uint64_t floor)
{
	struct ref_walk w = { .mem = &m->mem,
			      .maxphyaddr = m->cfg.maxphyaddr,
			      .gbpages = m->cfg.gbpages,
			      .root = r,
			      .la = x->acc->la,
			      .floor = floor,
			      .current_only = current_only,
			      .fault_floor = x->started,
			      .visit = visit_match,
			      .arg = x };
	x->root = r;
	ref_walk_run(&w);
}

uint64_t ref_model_la_of_mode(const struct smmu_paging_regs *r, uint64_t la)
{
	return ref_mode_of(r) >= RM_4L ? la : (la & 0xffffffffu);
}

void ref_model_describe(struct ref_verdict *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

uint64_t ref_model_now(struct ref_model *m)
{
	pthread_mutex_lock(&m->lock);
	uint64_t now = m->epoch;
	pthread_mutex_unlock(&m->lock);
	return now;
}

bool ref_model_check(struct ref_model *m, unsigned v,
		     const struct smmu_access *access, uint64_t started,
		     const struct ref_outcome *got, struct ref_verdict *verdict)
{
	pthread_mutex_lock(&m->lock);
	struct rvcpu *c = &m->vcpu[v];
	struct smmu_access acc = *access;
	acc.la = ref_model_la_of_mode(&c->regs, acc.la);
	/* `started` bounds which values the access could have read from
	 * memory: a faulting entry is never cached (SDM 4.10.2.3), so it
	 * must still have been in memory after the access began. */
	struct match x = { .regs = &c->regs,
			   .acc = &acc,
			   .got = got,
			   .c = c,
			   .started = started };
	bool ok;

	m->stats.checks++;
	struct ref_root *cur = current_root(c);
	if (!cur) {
		/* Paging off: linear is physical, nothing can fault. */
		ok = !got->fault && got->gpa == acc.la;
		if (!ok)
			ref_model_describe(
				verdict,
				"paging off: la %#llx must reach gpa %#llx, "
				"got %s %#llx",
				(unsigned long long)acc.la,
				(unsigned long long)acc.la,
				got->fault ? "#PF" : "gpa",
				(unsigned long long)(got->fault ? got->pf_error
								: got->gpa));
		pthread_mutex_unlock(&m->lock);
		return ok;
	}

	x.pcid = cur->pcid;
	x.current = true;
	run_walk(m, &x, cur, true, 0);
	if (!x.ok) {
		/* Stale translations: this PCID's roots, then globals from
		 * any root. */
		x.current = false;
		uint64_t floor =
			max2(c->inv_pcid[x.pcid], c->inv_all_nonglobal);
		for (unsigned i = 0; i < c->nr_roots && !x.ok; i++)
			if (c->roots[i].pcid == x.pcid)
				run_walk(m, &x, &c->roots[i], false, floor);
		x.want_global = true;
		for (unsigned i = 0; i < c->nr_roots && !x.ok; i++)
			if (c->roots[i].pge)
				run_walk(m, &x, &c->roots[i], false,
					 c->inv_global);
		if (x.ok)
			m->stats.stale_allowed++;
	}
	m->stats.candidates += x.considered;
	ok = x.ok;
	if (!ok)
		ref_explain_violation(m, v, c, &x, cur, &acc, got, started,
				      verdict);
	if (got->fault) {
		/* A #PF invalidates "any TLB entry for that address's page
		 * number" and the paging-structure-cache entries used for it,
		 * so that it does not recur (SDM 4.10.4.1): global entries
		 * too, or a spurious #PF from a stale global translation
		 * could repeat, which 4.10.4.3 rules out. Whether it also
		 * takes other addresses of a large page that a CPU cached in
		 * pieces is not said, so only la's 4 KiB page is marked,
		 * which every candidate for la checks
		 * (ref_model_floor_nonglobal). It takes effect somewhere inside
		 * the access: a store another vCPU made while the access ran is
		 * concurrent with it, so the invalidation is dated at the
		 * access's start. */
		uint64_t *e = u64map_put(
			&c->inv_la, la_key(x.pcid, acc.la, X86_PAGE_SIZE), 0);
		*e = max2(*e, started);
		e = u64map_put(&c->inv_gla, la_key(0, acc.la, X86_PAGE_SIZE),
			       0);
		*e = max2(*e, started);
	}
	pthread_mutex_unlock(&m->lock);
	return ok;
}

/* Walk vCPU c's current tables for acc (x->now is the result); false
 * with paging off. Lock held. */
static bool walk_now(struct ref_model *m, struct rvcpu *c,
		     const struct smmu_access *acc, struct match *x)
{
	static const struct ref_outcome none = { .fault = true };
	struct ref_root *cur = current_root(c);
	*x = (struct match){ .regs = &c->regs,
			     .acc = acc,
			     .got = &none,
			     .c = c,
			     .current = true };
	if (cur)
		run_walk(m, x, cur, true, 0);
	return cur != NULL;
}

struct ref_outcome ref_model_expect_now(struct ref_model *m, unsigned v,
					const struct smmu_access *access)
{
	pthread_mutex_lock(&m->lock);
	struct rvcpu *c = &m->vcpu[v];
	struct smmu_access acc = *access;
	acc.la = ref_model_la_of_mode(&c->regs, acc.la);
	struct match x;
	struct ref_outcome out = { .gpa = acc.la };
	if (walk_now(m, c, &acc, &x)) {
		if (!x.have_now) {
			out.fault = true;
		} else if (x.now.fault) {
			out.fault = true;
			out.pf_error = x.now.fault_bits |
				       ref_access_bits(&c->regs, &acc);
		} else {
			out.pf_error = ref_rights_error(&c->regs, &x.now, &acc);
			out.fault = out.pf_error != 0;
			out.gpa = x.now.base + (acc.la & (x.now.size - 1));
		}
	}
	pthread_mutex_unlock(&m->lock);
	return out;
}

void ref_model_fill_info(struct ref_model *m, unsigned v, uint64_t la,
			 bool translation, struct ref_fill_info *out)
{
	pthread_mutex_lock(&m->lock);
	struct rvcpu *c = &m->vcpu[v];
	struct ref_root *cur = current_root(c);
	*out = (struct ref_fill_info){ .epoch = m->epoch,
				       .pcid = ref_pcid_of(&c->regs) };
	/* Only a root with CR4.PGE can have a global leaf. */
	if (translation && cur && cur->pge) {
		struct smmu_access acc = { .la = ref_model_la_of_mode(&c->regs,
								      la) };
		struct match x;
		walk_now(m, c, &acc, &x);
		out->global = x.have_now && !x.now.fault && x.now.global;
	}
	pthread_mutex_unlock(&m->lock);
}

bool ref_model_invalidated_since(struct ref_model *m, unsigned v,
				 enum ref_cached_kind kind, uint16_t pcid,
				 uint64_t la, uint64_t size, uint64_t since)
{
	pthread_mutex_lock(&m->lock);
	struct rvcpu *c = &m->vcpu[v];
	uint64_t at;
	pcid &= 0xfff;
	la = ref_model_la_of_mode(&c->regs, la);
	switch (kind) {
	case REF_CACHED_GLOBAL:
		at = ref_model_floor_global(c, la, size);
		break;
	case REF_CACHED_PSC:
		/* INVLPG empties the PCID's paging-structure caches for
		 * every address (SDM 4.10.4.1). */
		at = max2(ref_model_floor_nonglobal(c, pcid, la, X86_PAGE_SIZE),
			  c->inv_psc[pcid]);
		break;
	default:
		at = ref_model_floor_nonglobal(c, pcid, la, size);
		break;
	}
	pthread_mutex_unlock(&m->lock);
	return at > since;
}

void ref_model_get_stats(struct ref_model *m, struct ref_model_stats *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->stats;
	out->history_slots = m->mem.nr_hists;
	out->history_values = m->mem.nr_values - m->mem.nr_forgotten;
	pthread_mutex_unlock(&m->lock);
}
