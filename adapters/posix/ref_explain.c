/* SPDX-License-Identifier: MIT */
/*
 * Why an access the reference model refused is a violation: the verdict
 * ref_model_check returns says what the guest got, what the guest's
 * tables say now, and why no older translation a CPU may still have cached
 * explains it (the closest one, and the invalidation or change that rules
 * it out). Only a failed check calls it, so none of it runs while the
 * checks pass; it reads the model's state under the model's lock (see
 * ref_model_internal.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "ref_model_internal.h"

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
		uint64_t l = ref_model_floor_global(c, la, size);
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
	uint64_t l = ref_model_floor_nonglobal(c, pcid, la, size);
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
		same = !c->fault &&
		       ref_model_translates_to(c, x->acc->la, got->gpa);
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
void ref_explain_violation(struct ref_model *m, unsigned v, struct rvcpu *c,
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
