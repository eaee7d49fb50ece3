/* SPDX-License-Identifier: MIT */
/*
 * The architectural reference model; see ref_model.h for what it decides
 * and why. Everything here is written from the SDM (vol. 3A 4.3-4.10)
 * without looking at libshadowmmu's walker.
 */
#include "ref_model.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_fills.h"
#include "ref_memory.h"
#include "ref_walk.h"
#include "u64map.h"

struct rvcpu {
	struct smmu_paging_regs regs;
	/* Invalidation epochs (SDM 4.10.4): non-global translations per
	 * PCID and for all PCIDs, global ones, and per linear address. */
	uint64_t inv_pcid[4096];
	/* INVLPG empties the paging-structure caches of the current PCID
	 * for every address (SDM 4.10.4.1), not only its own. */
	uint64_t inv_psc[4096];
	uint64_t inv_all_nonglobal;
	uint64_t inv_global;
	struct u64map inv_la;  /* (pcid, size, page) -> epoch */
	struct u64map inv_gla; /* (size, page) -> epoch, global ones */
	/* The paging roots the vCPU has loaded that may still yield a
	 * cached translation, one record per distinct root (the latest
	 * time it was loaded); the current one last. */
	struct ref_root *roots;
	unsigned nr_roots, cap_roots;
	/* When the vCPU could fill its caches (first_fill). */
	struct ref_fills fills;
};

struct ref_model {
	pthread_mutex_t lock;
	struct ref_model_config cfg;
	uint64_t epoch;
	struct ref_memory mem;
	unsigned writes_since_forget;
	struct rvcpu *vcpu;
	struct ref_model_stats stats;
};

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
static uint64_t floor_nonglobal(const struct rvcpu *c, uint16_t pcid,
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

static uint64_t floor_global(const struct rvcpu *c, uint64_t la, uint64_t size)
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
static uint64_t vcpu_floor(const struct ref_model *m, const struct rvcpu *c)
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

/* Keep the value history as short as the vCPUs allow, or long runs slow
 * down with it. */
static void maybe_forget(struct ref_model *m)
{
	if (++m->writes_since_forget < 4096)
		return;
	m->writes_since_forget = 0;
	uint64_t floor = m->epoch;
	for (unsigned i = 0; i < m->cfg.nr_vcpus; i++) {
		uint64_t f = vcpu_floor(m, &m->vcpu[i]);
		if (f < floor)
			floor = f;
	}
	ref_memory_forget(&m->mem, floor);
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

struct match {
	const struct smmu_paging_regs *regs;
	const struct smmu_access *acc;
	const struct ref_outcome *got;
	struct rvcpu *c;
	uint16_t pcid;
	const struct ref_root *root;
	bool want_global;    /* walking for global translations */
	bool current;	     /* this is the current walk */
	struct ref_cand now; /* the current walk's result */
	bool have_now;
	uint64_t started; /* epoch at which the access began */
	bool ok;
	uint64_t considered;
};

static bool translates_to(const struct ref_cand *c, uint64_t la, uint64_t gpa)
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
		uint64_t t = floor_global(x->c, la, c->size);
		return c->min_end > first_fill(x->c, -1, t) && x->root->end > t;
	}
	uint64_t t = floor_nonglobal(x->c, x->pcid, la, c->size);
	return c->min_end > first_fill(x->c, x->pcid, t) && x->root->end > t;
}

/* Whether stale cached upper levels may have led a walk to a faulting
 * entry: paging-structure caches hold non-global information only. */
static bool psc_valid(const struct match *x, const struct ref_cand *c)
{
	if (x->want_global || !c->accessed)
		return false;
	uint64_t t =
		max2(floor_nonglobal(x->c, x->pcid, x->acc->la, X86_PAGE_SIZE),
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
	if (err || !translates_to(c, x->acc->la, got->gpa))
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

static uint64_t la_of_mode(const struct smmu_paging_regs *r, uint64_t la)
{
	return ref_mode_of(r) >= RM_4L ? la : (la & 0xffffffffu);
}

static void describe(struct ref_verdict *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

/* ---- explaining a violation ---- */

/* An explanation is built line by line into the verdict. */
struct why_text {
	struct ref_verdict *v;
	size_t len;
};

static void say(struct why_text *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct why_text *w, const char *fmt, ...)
{
	size_t room = sizeof(w->v->why) - w->len;
	if (room <= 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->v->why + w->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n < room ? (size_t)n : room - 1;
}

static const char *pf_bits_text(uint32_t err, char *buf, size_t size)
{
	snprintf(buf, size, "%#x (%s%s%s%s%s%s)", err,
		 err & PFERR_P ? "P" : "not present", err & PFERR_W ? " W" : "",
		 err & PFERR_U ? " U" : "", err & PFERR_RSVD ? " RSVD" : "",
		 err & PFERR_I ? " I" : "", err & PFERR_PK ? " PK" : "");
	return buf;
}

/* The names of the #PF error-code bits in `bits`. */
static const char *pf_names(uint32_t bits, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s%s", bits & PFERR_P ? " P" : "",
		 bits & PFERR_W ? " W" : "", bits & PFERR_U ? " U" : "",
		 bits & PFERR_RSVD ? " RSVD" : "", bits & PFERR_I ? " I" : "",
		 bits & PFERR_PK ? " PK" : "");
	return buf[0] ? buf + 1 : buf;
}

static const char *rights_text(uint8_t rights, char *buf)
{
	buf[0] = rights & SMMU_RIGHT_W ? 'W' : '-';
	buf[1] = rights & SMMU_RIGHT_U ? 'U' : '-';
	buf[2] = rights & SMMU_RIGHT_X ? 'X' : '-';
	buf[3] = 0;
	return buf;
}

static int mode_levels(enum rmode mode)
{
	return mode == RM_4L ? 4 : mode == RM_5L ? 5 : 2;
}

static const char *level_name(int level)
{
	static const char *const names[] = { "?",     "PTE",   "PDE",
					     "PDPTE", "PML4E", "PML5E" };
	return level >= 1 && level <= 5 ? names[level] : "?";
}

/* The guest entry at egpa out of its 8-byte slot's value. */
static uint64_t entry_of(enum rmode mode, uint64_t egpa, uint64_t slot_val)
{
	if (mode != RM_32)
		return slot_val;
	return (egpa & 4) ? slot_val >> 32 : slot_val & 0xffffffffu;
}

static uint64_t entry_now(struct ref_model *m, enum rmode mode, uint64_t egpa)
{
	return entry_of(mode, egpa, ref_memory_read(&m->mem, egpa & ~7ull));
}

/* Where the entry a walk stopped at lies: the walk read `nr` entries
 * above it (c->slot), from root r. False for a PAE PDPTE register. */
static bool faulting_entry(struct ref_model *m, const struct ref_root *r,
			   const struct ref_cand *c, uint64_t la, int *level,
			   uint64_t *egpa)
{
	int size = r->mode == RM_32 ? 4 : 8;
	unsigned bits = size == 4 ? 10 : 9;
	uint64_t table;
	*level = mode_levels(r->mode) - c->nr_slots;
	if (!c->nr_slots) {
		if (r->mode == RM_PAE) {
			*level = 3;
			return false;
		}
		table = r->table;
	} else {
		uint64_t e = entry_now(m, r->mode, c->slot[c->nr_slots - 1]);
		table = size == 4 ? (e & 0xfffff000ull)
				  : (e & X86_BITS(51, 12));
	}
	unsigned shift = 12 + bits * (unsigned)(*level - 1);
	*egpa = table + ((la >> shift) & ((1ull << bits) - 1)) * (uint64_t)size;
	return true;
}

/* Of a candidate that is not the current walk: which entry held an old
 * value, the one whose end is c->min_end (each change has its own
 * epoch). False if the history no longer has it. */
static bool changed_entry(struct ref_model *m, const struct ref_root *r,
			  const struct ref_cand *c, int *i_out, uint64_t *old)
{
	for (int i = 0; i < c->nr_slots; i++) {
		const struct ref_history *h =
			ref_memory_history(&m->mem, c->slot[i] & ~7ull);
		for (unsigned k = 0; h && k < h->n; k++) {
			if (h->v[k].end == c->min_end) {
				*i_out = i;
				*old = entry_of(r->mode, c->slot[i],
						h->v[k].val);
				return true;
			}
		}
	}
	return false;
}

/* The last invalidation on c that covers a translation of `size` for
 * la: its epoch and what it was. */
static uint64_t last_flush(const struct rvcpu *c, bool global, uint16_t pcid,
			   uint64_t la, uint64_t size, char *what, size_t n)
{
	uint64_t t;
	if (global) {
		t = c->inv_global;
		snprintf(what, n,
			 "a flush of global translations too (INVPCID type 2, "
			 "a PV flush, a change of CR4.PGE, CR4.PCIDE, CR0.PG "
			 "or EFER.NXE)");
		uint64_t l = floor_global(c, la, size);
		if (l > t) {
			t = l;
			snprintf(what, n, "INVLPG of la, or a #PF at la");
		}
		return t;
	}
	t = c->inv_pcid[pcid];
	snprintf(what, n,
		 "a flush of PCID %u (MOV CR3 without NOFLUSH, INVPCID type "
		 "1, or a change of CR4.PAE or CR4.SMEP)",
		 pcid);
	if (c->inv_all_nonglobal > t) {
		t = c->inv_all_nonglobal;
		snprintf(what, n,
			 "a flush of every PCID (INVPCID type 2 or 3, a PV "
			 "flush, a change of CR4.PGE, CR4.PCIDE, CR0.PG or "
			 "EFER.NXE)");
	}
	uint64_t l = floor_nonglobal(c, pcid, la, size);
	if (l > t) {
		t = l;
		snprintf(what, n,
			 "an invalidation of la (INVLPG, INVPCID type 0, or a "
			 "#PF at la)");
	}
	return t;
}

/* A walk for the explanation: the candidate closest to what the guest
 * observed, through any value the history still has. */
struct closest {
	const struct smmu_paging_regs *regs;
	const struct smmu_access *acc;
	const struct ref_outcome *got;
	const struct ref_root *root; /* of the walk running */
	bool want_global;
	bool found;
	struct ref_cand cand;
	const struct ref_root *cand_root;
	int cand_pass; /* 0: this PCID's roots, 1: global, 2: other PCIDs */
	int pass;
	unsigned visits; /* bounded: a long history has many walks */
};

#define CLOSEST_MAX_VISITS 100000

static bool visit_closest(const struct ref_cand *c, void *arg)
{
	struct closest *x = arg;
	const struct ref_outcome *got = x->got;
	if (++x->visits > CLOSEST_MAX_VISITS)
		return true;
	if (c->min_end == REF_FOREVER && x->root->end == REF_FOREVER)
		return false; /* the current walk: explained on its own */
	if (x->want_global && (c->fault || !c->global))
		return false;
	bool same;
	if (got->fault) {
		uint32_t err =
			c->fault ? c->fault_bits |
					   ref_access_bits(x->regs, x->acc)
				 : ref_rights_error(x->regs, c, x->acc);
		same = err && err == got->pf_error;
	} else {
		same = !c->fault && translates_to(c, x->acc->la, got->gpa);
	}
	/* The latest-ending one: the nearest to being allowed. */
	if (same && (!x->found || c->min_end > x->cand.min_end)) {
		x->found = true;
		x->cand = *c;
		x->cand_root = x->root;
		x->cand_pass = x->pass;
	}
	return false;
}

static void find_closest(struct ref_model *m, struct rvcpu *c, uint16_t pcid,
			 struct closest *x)
{
	/* This PCID's translations, global ones, and last those of other
	 * PCIDs, which no access under this one may use. */
	for (x->pass = 0; x->pass < 3 && !x->found; x->pass++) {
		x->want_global = x->pass == 1;
		for (unsigned i = 0; i < c->nr_roots; i++) {
			const struct ref_root *r = &c->roots[i];
			if (x->pass == 1 ? !r->pge
					 : (r->pcid == pcid) != (x->pass == 0))
				continue;
			struct ref_walk w = { .mem = &m->mem,
					      .maxphyaddr = m->cfg.maxphyaddr,
					      .gbpages = m->cfg.gbpages,
					      .root = r,
					      .la = x->acc->la,
					      .visit = visit_closest,
					      .arg = x };
			x->root = r;
			ref_walk_run(&w);
		}
	}
}

/* What the current tables say, against what the guest got. */
static void explain_now(struct ref_model *m, const struct rvcpu *c,
			const struct match *x, const struct ref_root *cur,
			const struct smmu_access *acc,
			const struct ref_outcome *got, struct why_text *w)
{
	const struct ref_cand *now = &x->now;
	char b1[64], b2[64], r[4];
	int levels = mode_levels(cur->mode);
	bool write = acc->flags & SMMU_ACCESS_WRITE;

	if (!x->have_now) {
		say(w, "\n  now:   the guest's tables give no translation");
		return;
	}
	if (now->fault) {
		int level;
		uint64_t egpa;
		uint32_t err = now->fault_bits | ref_access_bits(&c->regs, acc);
		if (faulting_entry(m, cur, now, acc->la, &level, &egpa))
			say(w,
			    "\n  now:   the guest's tables give #PF %s: the %s "
			    "at gpa %#llx is %#llx, %s",
			    pf_bits_text(err, b1, sizeof(b1)),
			    level_name(level), (unsigned long long)egpa,
			    (unsigned long long)entry_now(m, cur->mode, egpa),
			    now->fault_bits ? "a reserved bit set"
					    : "not present");
		else
			say(w,
			    "\n  now:   the guest's tables give #PF %s: PDPTE "
			    "register %llu (loaded by MOV CR3) is %#llx",
			    pf_bits_text(err, b1, sizeof(b1)),
			    (unsigned long long)((acc->la >> 30) & 3),
			    (unsigned long long)
				    cur->pdpte[(acc->la >> 30) & 3]);
		if (got->fault)
			say(w, "; the shadow's error code differs in %s",
			    pf_names(err ^ got->pf_error, b2, sizeof(b2)));
		return;
	}
	uint64_t leaf = now->slot[now->nr_slots - 1];
	uint64_t gpa = now->base + (acc->la & (now->size - 1));
	uint32_t err = ref_rights_error(&c->regs, now, acc);
	say(w,
	    "\n  now:   the guest's tables map la to gpa %#llx, rights %s "
	    "(%s at gpa %#llx = %#llx)",
	    (unsigned long long)gpa, rights_text(now->rights, r),
	    level_name(levels - now->nr_slots + 1), (unsigned long long)leaf,
	    (unsigned long long)entry_now(m, cur->mode, leaf));
	if (got->fault) {
		if (err == 0)
			say(w, ", which allow this access: no #PF");
		else
			say(w,
			    ", which forbid this access with #PF %s; the "
			    "shadow's error code differs in %s",
			    pf_bits_text(err, b1, sizeof(b1)),
			    pf_names(err ^ got->pf_error, b2, sizeof(b2)));
		return;
	}
	if (err) {
		say(w, ", which forbid this access: #PF %s",
		    pf_bits_text(err, b1, sizeof(b1)));
		return;
	}
	if (gpa != got->gpa) {
		say(w, ": another gpa");
		return;
	}
	for (int i = 0; i < now->nr_slots; i++) {
		uint64_t e = entry_now(m, cur->mode, now->slot[i]);
		if (!(e & X86_PTE_A)) {
			say(w, ": the same gpa, but with A=0 in ");
			if (i == now->nr_slots - 1)
				say(w, "that %s", level_name(levels - i));
			else
				say(w, "the %s at gpa %#llx (%#llx)",
				    level_name(levels - i),
				    (unsigned long long)now->slot[i],
				    (unsigned long long)e);
			say(w, ", which a walk of the tables as they are sets "
			       "(the MMU sets it when it reads them): the "
			       "shadow's translation is an older one");
			return;
		}
	}
	if (write && !now->dirty)
		say(w,
		    ": the same gpa, but with D=0 in that %s, which a write "
		    "through it sets first (the MMU sets it before it maps "
		    "the page writable): the shadow's writable translation "
		    "is an older one",
		    level_name(levels - now->nr_slots + 1));
}

/* Why the closest older translation (or fault) may not be used now. */
static void explain_stale(struct ref_model *m, struct rvcpu *c, uint16_t pcid,
			  const struct smmu_access *acc,
			  const struct ref_outcome *got, struct why_text *w)
{
	struct closest x = { .regs = &c->regs, .acc = acc, .got = got };
	char b1[64], r[4], what[160];
	find_closest(m, c, pcid, &x);
	if (!x.found) {
		say(w,
		    "\n  older: no walk from the vCPU's roots through any "
		    "value the model still keeps (those a cached entry could "
		    "hold) gives %s either%s",
		    got->fault ? "that #PF" : "that gpa",
		    x.visits > CLOSEST_MAX_VISITS
			    ? " (of the first 100000 walks; the search stopped "
			      "there)"
			    : "");
		return;
	}
	const struct ref_cand *k = &x.cand;
	const struct ref_root *root = x.cand_root;
	int levels = mode_levels(root->mode);
	int i;
	uint64_t old;
	if (k->fault) {
		say(w,
		    "\n  older: a walk through values the guest's entries held "
		    "before gives that #PF; but a #PF comes from entries read "
		    "during the access (faults are never cached), and those "
		    "values had changed before it began");
		return;
	}
	say(w, "\n  older: ");
	if (k->min_end != REF_FOREVER && changed_entry(m, root, k, &i, &old))
		say(w,
		    "the %s at gpa %#llx was %#llx until step %llu (now %#llx)",
		    level_name(levels - i), (unsigned long long)k->slot[i],
		    (unsigned long long)old, (unsigned long long)k->min_end,
		    (unsigned long long)entry_now(m, root->mode, k->slot[i]));
	else if (k->min_end != REF_FOREVER)
		say(w, "an entry on the walk changed at step %llu",
		    (unsigned long long)k->min_end);
	else
		say(w, "the tables as they are");
	if (root->mode == RM_PAE)
		say(w, ", through the PAE root with PDPTE %llu = %#llx",
		    (unsigned long long)((acc->la >> 30) & 3),
		    (unsigned long long)root->pdpte[(acc->la >> 30) & 3]);
	else
		say(w, ", through the root at gpa %#llx",
		    (unsigned long long)root->table);
	say(w, " (PCID %u) loaded ", root->pcid);
	if (root->end == REF_FOREVER)
		say(w, "now");
	else
		say(w, "until step %llu", (unsigned long long)root->end);
	say(w, ", %s la to gpa %#llx, rights %s%s%s",
	    k->global ? "mapped (global)" : "mapped",
	    (unsigned long long)(k->base + (acc->la & (k->size - 1))),
	    rights_text(k->rights, r), k->accessed ? "" : ", A=0",
	    k->dirty || !(acc->flags & SMMU_ACCESS_WRITE) ? "" : ", D=0");
	if (x.cand_pass == 2) {
		say(w,
		    "\n  why:   the vCPU runs PCID %u, and a CPU uses a "
		    "translation only under the PCID it cached it with",
		    pcid);
		return;
	}
	uint32_t err = ref_rights_error(&c->regs, k, acc);
	if (!got->fault && err) {
		say(w,
		    "\n  why:   that translation forbids this access too (#PF "
		    "%s)",
		    pf_bits_text(err, b1, sizeof(b1)));
		return;
	}
	if (!k->accessed) {
		say(w,
		    "\n  why:   with A=0 on that walk no CPU cached it (a CPU "
		    "sets A as it walks)");
		return;
	}
	if (!got->fault && (acc->flags & SMMU_ACCESS_WRITE) && !k->dirty) {
		say(w,
		    "\n  why:   a write through a cached translation with D=0 "
		    "walks the tables again");
		return;
	}
	/* A global translation outlives more flushes: judge it as one. */
	bool global = x.cand_pass == 1 || k->global;
	uint64_t t = last_flush(c, global, pcid, acc->la, k->size, what,
				sizeof(what));
	uint64_t first =
		ref_fills_first(&c->fills, global ? REF_FILL_GLOBAL : pcid, t);
	say(w,
	    "\n  why:   the vCPU's last invalidation covering it was at step "
	    "%llu, %s",
	    (unsigned long long)t, what);
	if (k->min_end <= t)
		say(w, "; the entry had changed before it, so no CPU may "
		       "still hold the older translation");
	else if (root->end <= t)
		say(w, "; the root had been left before it, so nothing walked "
		       "from it since");
	else if (first == REF_FOREVER)
		say(w,
		    "; since then no root of %s has been loaded to cache it "
		    "again",
		    global ? "CR4.PGE" : "that PCID");
	else if (k->min_end <= first)
		say(w,
		    "; the next time a root of %s was loaded, step %llu, "
		    "the entry had already changed",
		    global ? "CR4.PGE" : "that PCID",
		    (unsigned long long)first);
}

/* The verdict of a failed check: what the guest got, what the tables say
 * now, and why no older translation the CPU might have cached explains
 * it. */
static void explain(struct ref_model *m, unsigned v, struct rvcpu *c,
		    const struct match *x, const struct ref_root *cur,
		    const struct smmu_access *acc,
		    const struct ref_outcome *got, uint64_t started,
		    struct ref_verdict *verdict)
{
	struct why_text w = { .v = verdict };
	char b1[64];
	uint32_t f = acc->flags;
	verdict->why[0] = 0;
	say(&w, "vcpu %u %s %s%s%s of la %#llx (flags %#x): the shadow ", v,
	    f & SMMU_ACCESS_USER ? "user" : "supervisor",
	    f & SMMU_ACCESS_FETCH   ? "fetch"
	    : f & SMMU_ACCESS_WRITE ? "write"
				    : "read",
	    f & SMMU_ACCESS_IMPLICIT ? " (implicit)" : "",
	    f & SMMU_ACCESS_AC ? " (EFLAGS.AC)" : "",
	    (unsigned long long)acc->la, f);
	if (got->fault)
		say(&w, "raised #PF %s",
		    pf_bits_text(got->pf_error, b1, sizeof(b1)));
	else
		say(&w, "gave gpa %#llx", (unsigned long long)got->gpa);
	say(&w, ", which neither the guest's tables now nor any translation "
		"the CPU may still have cached give");
	explain_now(m, c, x, cur, acc, got, &w);
	explain_stale(m, c, x->pcid, acc, got, &w);
	say(&w,
	    "\n  (steps: the model's clock, one per guest store, "
	    "invalidation or register write; this access began at step "
	    "%llu)",
	    (unsigned long long)started);
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
	acc.la = la_of_mode(&c->regs, acc.la);
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
			describe(verdict,
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
		explain(m, v, c, &x, cur, &acc, got, started, verdict);
	if (got->fault) {
		/* A #PF invalidates "any TLB entry for that address's page
		 * number" and the paging-structure-cache entries used for it,
		 * so that it does not recur (SDM 4.10.4.1): global entries
		 * too, or a spurious #PF from a stale global translation
		 * could repeat, which 4.10.4.3 rules out. Whether it also
		 * takes other addresses of a large page that a CPU cached in
		 * pieces is not said, so only la's 4 KiB page is marked,
		 * which every candidate for la checks (floor_nonglobal). It
		 * takes effect somewhere inside the access: a store another
		 * vCPU made while the access ran is concurrent with it, so
		 * the invalidation is dated at the access's start. */
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

/* ---- memory writes ---- */

struct on_path {
	uint64_t gpa;
	bool found, leaf;
};

static bool visit_on_path(const struct ref_cand *c, void *arg)
{
	struct on_path *p = arg;
	if (c->fault)
		return false;
	for (int i = 0; i < c->nr_slots; i++) {
		if (c->slot[i] == p->gpa) {
			p->found = true;
			p->leaf |= i == c->nr_slots - 1;
		}
	}
	return p->found && p->leaf;
}

/* Is `gpa` an entry on some walk vCPU v could be making for `la`? */
static void find_on_path(struct ref_model *m, struct rvcpu *c, uint64_t la,
			 struct on_path *p)
{
	uint64_t floor = vcpu_floor(m, c);
	for (unsigned i = 0; i < c->nr_roots; i++) {
		struct ref_walk w = { .mem = &m->mem,
				      .maxphyaddr = m->cfg.maxphyaddr,
				      .gbpages = m->cfg.gbpages,
				      .root = &c->roots[i],
				      .la = la,
				      .floor = floor,
				      .visit = visit_on_path,
				      .arg = p };
		ref_walk_run(&w);
		if (p->found && p->leaf)
			return;
	}
}

/* May the MMU have changed `old` to `new_val` at gpa while handling
 * `inflight`? Only accessed/dirty flags, set by a walk of that access. */
static bool mmu_change_allowed(struct ref_model *m, unsigned v, uint64_t gpa,
			       uint64_t old, uint64_t new_val,
			       const struct smmu_access *inflight,
			       struct ref_verdict *verdict)
{
	uint64_t changed = old ^ new_val;
	uint64_t set = changed & new_val;
	if (changed & ~(X86_PTE_A | X86_PTE_D)) {
		describe(verdict,
			 "MMU changed guest memory at %#llx beyond A/D: %#llx "
			 "-> %#llx",
			 (unsigned long long)gpa, (unsigned long long)old,
			 (unsigned long long)new_val);
		return false;
	}
	if (changed != set) {
		describe(verdict, "MMU cleared A/D at %#llx",
			 (unsigned long long)gpa);
		return false;
	}
	if (!set)
		return true;
	struct on_path p = { .gpa = gpa };
	struct rvcpu *c = &m->vcpu[v];
	if (inflight)
		find_on_path(m, c, la_of_mode(&c->regs, inflight->la), &p);
	if (!p.found) {
		describe(verdict,
			 "vcpu %u: MMU set A/D at %#llx, which no walk of the "
			 "access in flight uses",
			 v, (unsigned long long)gpa);
		return false;
	}
	if ((set & X86_PTE_D) &&
	    !(p.leaf && (inflight->flags & SMMU_ACCESS_WRITE))) {
		describe(verdict,
			 "vcpu %u: MMU set D at %#llx without a write through "
			 "that leaf",
			 v, (unsigned long long)gpa);
		return false;
	}
	return true;
}

bool ref_model_store(struct ref_model *m, uint64_t gpa, uint64_t val)
{
	uint64_t *p = smmu_posix_ram_ptr(m->cfg.ram, gpa, 8);
	if (!p || (gpa & 7))
		return false;
	pthread_mutex_lock(&m->lock);
	uint64_t old = __atomic_exchange_n(p, val, __ATOMIC_SEQ_CST);
	m->epoch++;
	ref_memory_record(&m->mem, gpa, 8, old, m->epoch);
	maybe_forget(m);
	pthread_mutex_unlock(&m->lock);
	return true;
}

bool ref_model_device_store(struct ref_model *m, uint64_t gpa, uint64_t val)
{
	uint64_t *p = smmu_posix_ram_ptr(m->cfg.ram, gpa, 8);
	if (!p || (gpa & 7))
		return false;
	pthread_mutex_lock(&m->lock);
	uint64_t old = __atomic_exchange_n(p, val, __ATOMIC_SEQ_CST);
	ref_memory_record(&m->mem, gpa, 8, old, REF_FOREVER);
	pthread_mutex_unlock(&m->lock);
	return true;
}

void ref_model_device_store_done(struct ref_model *m, uint64_t gpa)
{
	pthread_mutex_lock(&m->lock);
	m->epoch++;
	ref_memory_close(&m->mem, gpa & ~7ull, m->epoch);
	maybe_forget(m);
	pthread_mutex_unlock(&m->lock);
}

int ref_model_cmpxchg(struct ref_model *m, unsigned v, uint64_t gpa,
		      unsigned size, uint64_t old, uint64_t new_val,
		      const struct smmu_access *inflight,
		      struct ref_verdict *verdict, bool *allowed)
{
	void *p = smmu_posix_ram_ptr(m->cfg.ram, gpa, size);
	*allowed = true;
	if (!p || (size != 4 && size != 8) || (gpa & (size - 1)))
		return SMMU_GPA_NOT_RAM;
	pthread_mutex_lock(&m->lock);
	bool done = smmu_posix_cmpxchg(p, size, old, new_val);
	if (done) {
		*allowed = mmu_change_allowed(m, v, gpa, old, new_val, inflight,
					      verdict);
		m->epoch++;
		ref_memory_record(&m->mem, gpa, size, old, m->epoch);
		maybe_forget(m);
	}
	pthread_mutex_unlock(&m->lock);
	return done ? SMMU_GPA_OK : SMMU_GPA_CHANGED;
}

int ref_model_take_away(struct ref_model *m, struct smmu_posix_ram *ram,
			uint64_t gpa, uint64_t len)
{
	pthread_mutex_lock(&m->lock);
	m->epoch++;
	for (uint64_t slot = gpa & ~7ull; slot < gpa + len; slot += 8) {
		const uint64_t *p = smmu_posix_ram_ptr(m->cfg.ram, slot, 8);
		if (p)
			ref_memory_record(&m->mem, slot, 8,
					  __atomic_load_n(p, __ATOMIC_ACQUIRE),
					  m->epoch);
	}
	int r = smmu_posix_ram_take_away(ram, gpa, len);
	maybe_forget(m);
	pthread_mutex_unlock(&m->lock);
	return r;
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
	acc.la = la_of_mode(&c->regs, acc.la);
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
		struct smmu_access acc = { .la = la_of_mode(&c->regs, la) };
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
	la = la_of_mode(&c->regs, la);
	switch (kind) {
	case REF_CACHED_GLOBAL:
		at = floor_global(c, la, size);
		break;
	case REF_CACHED_PSC:
		/* INVLPG empties the PCID's paging-structure caches for
		 * every address (SDM 4.10.4.1). */
		at = max2(floor_nonglobal(c, pcid, la, X86_PAGE_SIZE),
			  c->inv_psc[pcid]);
		break;
	default:
		at = floor_nonglobal(c, pcid, la, size);
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
