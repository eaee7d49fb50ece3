/* SPDX-License-Identifier: MIT */
/*
 * The simulated CPU's TLB and paging-structure caches (SDM vol. 3A 4.10.2,
 * 4.10.3), tagged by VPID (vol. 3C 28.3.1) and PCID, and every operation
 * that invalidates them (4.10.4.1, 28.3.3).
 *
 * Each invalidation removes exactly what the SDM says it must and nothing
 * more: the SDM lets a CPU drop extra entries, but an oracle that did so
 * would hide the missing flushes it exists to find.
 */
#include "hw_tlb_internal.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_SLOTS 64u

static uint64_t key_hash(const struct hw_key *k)
{
	uint64_t h =
		k->page * UINT64_C(0x9e3779b97f4a7c15) ^
		((uint64_t)k->vpid << 24 | (uint64_t)k->pcid << 8 | k->level);
	h ^= h >> 31;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 29;
	return h;
}

static bool key_eq(const struct hw_key *a, const struct hw_key *b)
{
	return a->page == b->page && a->vpid == b->vpid && a->pcid == b->pcid &&
	       a->level == b->level;
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p)
		abort(); /* test infrastructure: no way to degrade */
	return p;
}

static int32_t *bucket_of(struct hw_cache *c, const struct hw_key *k)
{
	return &c->buckets[key_hash(k) & (c->nbuckets - 1)];
}

static void cache_init(struct hw_cache *c, struct hw_tlb *tlb, bool psc,
		       unsigned capacity)
{
	memset(c, 0, sizeof(*c));
	c->tlb = tlb;
	c->psc = psc;
	c->capacity = capacity;
	c->alloc = INITIAL_SLOTS;
	c->ents = xrealloc(NULL, c->alloc * sizeof(*c->ents));
	c->nbuckets = INITIAL_SLOTS;
	c->buckets = xrealloc(NULL, c->nbuckets * sizeof(*c->buckets));
	memset(c->buckets, 0xff, c->nbuckets * sizeof(*c->buckets));
}

static void cache_fini(struct hw_cache *c)
{
	free(c->ents);
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

static void cache_rehash(struct hw_cache *c, uint32_t nbuckets)
{
	c->nbuckets = nbuckets;
	c->buckets = xrealloc(c->buckets, nbuckets * sizeof(*c->buckets));
	memset(c->buckets, 0xff, nbuckets * sizeof(*c->buckets));
	for (uint32_t i = 0; i < c->n; i++) {
		int32_t *head = bucket_of(c, &c->ents[i].key);
		c->ents[i].next = *head;
		*head = (int32_t)i;
	}
}

/* The link (bucket head or predecessor's next) that holds index i. */
static int32_t *link_to(struct hw_cache *c, int32_t i)
{
	int32_t *l = bucket_of(c, &c->ents[i].key);
	while (*l != i)
		l = &c->ents[*l].next;
	return l;
}

static void entry_info(const struct hw_cache *c, const struct hw_entry *e,
		       struct hw_tlb_entry_info *out)
{
	bool global = e->key.pcid == HW_PCID_GLOBAL;
	*out = (struct hw_tlb_entry_info){
		.psc = c->psc,
		.level = e->key.level,
		.vpid = e->key.vpid,
		.pcid = global ? 0 : e->key.pcid,
		.global = global,
		.la = e->key.page << hw_level_shift(e->key.level),
		.hpa = e->hpa,
		.rights = e->rights,
		.pooled = e->pooled,
		.gen = e->gen,
		.tag = { e->tag[0], e->tag[1] },
	};
}

static void note_leave(struct hw_cache *c, const struct hw_entry *e,
		       enum hw_leave_cause cause)
{
	const struct hw_tlb_observer *obs = c->tlb->obs;
	if (!obs || !obs->leave)
		return;
	struct hw_tlb_entry_info info;
	entry_info(c, e, &info);
	obs->leave(obs->arg, &info, cause);
}

static void note_fill(struct hw_cache *c, struct hw_entry *e)
{
	const struct hw_tlb_observer *obs = c->tlb->obs;
	if (!obs || !obs->fill)
		return;
	struct hw_tlb_entry_info info;
	entry_info(c, e, &info);
	obs->fill(obs->arg, &info);
	e->tag[0] = info.tag[0];
	e->tag[1] = info.tag[1];
}

/* Remove ents[i], moving the last entry into its slot. */
static void cache_del_at(struct hw_cache *c, uint32_t i)
{
	note_leave(c, &c->ents[i], c->tlb->leaving);
	uint32_t last = c->n - 1;
	*link_to(c, (int32_t)i) = c->ents[i].next;
	if (i != last) {
		*link_to(c, (int32_t)last) = (int32_t)i;
		c->ents[i] = c->ents[last];
	}
	c->n--;
}

struct hw_entry *hw_cache_find(struct hw_cache *c, const struct hw_key *k)
{
	for (int32_t i = *bucket_of(c, k); i >= 0; i = c->ents[i].next)
		if (key_eq(&c->ents[i].key, k))
			return &c->ents[i];
	return NULL;
}

void hw_cache_del(struct hw_cache *c, const struct hw_key *k)
{
	struct hw_entry *e = hw_cache_find(c, k);
	if (e)
		cache_del_at(c, (uint32_t)(e - c->ents));
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

void hw_cache_put(struct hw_tlb *tlb, struct hw_cache *c,
		  const struct hw_entry *e)
{
	struct hw_entry *old = hw_cache_find(c, &e->key);
	if (old) {
		int32_t next = old->next;
		note_leave(c, old, HW_LEAVE_REPLACE);
		*old = *e;
		old->next = next;
		note_fill(c, old);
		return;
	}
	/* A random victim, not LRU: no replacement order is architectural,
	 * and a random one varies which stale entries survive. */
	if (c->capacity && c->n >= c->capacity) {
		enum hw_leave_cause was = tlb->leaving;
		tlb->leaving = HW_LEAVE_EVICT;
		cache_del_at(c, (uint32_t)(xorshift64(&tlb->rng) % c->n));
		tlb->leaving = was;
		tlb->stats.evictions++;
	}
	if (c->n == c->alloc) {
		c->alloc *= 2;
		c->ents = xrealloc(c->ents, c->alloc * sizeof(*c->ents));
	}
	if (c->n >= c->nbuckets)
		cache_rehash(c, c->nbuckets * 2);
	uint32_t i = c->n++;
	c->ents[i] = *e;
	int32_t *head = bucket_of(c, &e->key);
	c->ents[i].next = *head;
	*head = (int32_t)i;
	note_fill(c, &c->ents[i]);
}

/* Which entries a flush covers. Global translations only fall in a scope
 * that names every PCID and does not keep them: they belong to no PCID
 * (SDM 4.10.2.4). */
struct scope {
	enum { ONE_VPID, ALL_VPIDS, ALL_BUT_VPID0 } vpids;
	uint16_t vpid;
	bool all_pcids;
	uint16_t pcid;
	bool keep_global;
	bool one_la; /* only entries that would translate la */
	uint64_t la;
};

static bool in_scope(const struct hw_entry *e, const struct scope *s)
{
	if (s->vpids == ONE_VPID && e->key.vpid != s->vpid)
		return false;
	if (s->vpids == ALL_BUT_VPID0 && e->key.vpid == 0)
		return false;
	if (s->one_la && e->key.page != s->la >> hw_level_shift(e->key.level))
		return false;
	if (e->key.pcid == HW_PCID_GLOBAL)
		return s->all_pcids && !s->keep_global;
	return s->all_pcids || e->key.pcid == s->pcid;
}

static void cache_flush(struct hw_cache *c, const struct scope *s)
{
	/* Downwards, so that the entry moved into a freed slot has been
	 * looked at already. */
	for (uint32_t i = c->n; i-- > 0;)
		if (in_scope(&c->ents[i], s))
			cache_del_at(c, i);
}

static void flush(struct hw_tlb *tlb, const struct scope *s)
{
	cache_flush(&tlb->tlb, s);
	cache_flush(&tlb->psc, s);
}

static struct hw_key key_of(uint16_t vpid, uint16_t pcid, unsigned level,
			    uint64_t la)
{
	return (struct hw_key){ .page = la >> hw_level_shift(level),
				.vpid = vpid,
				.pcid = pcid,
				.level = (uint8_t)level };
}

/* Translations of la tagged (vpid, pcid), whatever their page size. */
static void tlb_del_la(struct hw_tlb *tlb, uint16_t vpid, uint16_t pcid,
		       uint64_t la)
{
	for (unsigned level = 1; level <= 3; level++) {
		struct hw_key k = key_of(vpid, pcid, level, la);
		hw_cache_del(&tlb->tlb, &k);
	}
}

struct hw_entry *hw_tlb_lookup(struct hw_tlb *tlb, uint16_t vpid, uint16_t pcid,
			       uint64_t la)
{
	/* Several entries may match (a stale one of another size, or a
	 * global and a PCID one); the SDM lets the CPU use any of them
	 * (4.10.2.3). This order is as good as another. */
	for (unsigned level = 1; level <= 3; level++) {
		for (unsigned global = 0; global < 2; global++) {
			struct hw_key k =
				key_of(vpid, global ? HW_PCID_GLOBAL : pcid,
				       level, la);
			struct hw_entry *e = hw_cache_find(&tlb->tlb, &k);
			if (e)
				return e;
		}
	}
	return NULL;
}

void hw_tlb_forget_la(struct hw_tlb *tlb, uint16_t vpid, uint16_t pcid,
		      uint64_t la)
{
	tlb->leaving = HW_LEAVE_FAULT;
	tlb_del_la(tlb, vpid, pcid, la);
	tlb_del_la(tlb, vpid, HW_PCID_GLOBAL, la);
	for (unsigned level = 2; level <= 5; level++) {
		struct hw_key k = key_of(vpid, pcid, level, la);
		hw_cache_del(&tlb->psc, &k);
	}
	tlb->leaving = HW_LEAVE_REPLACE;
}

struct hw_tlb *hw_tlb_create(const struct hw_tlb_config *config)
{
	struct hw_tlb *tlb = calloc(1, sizeof(*tlb));
	if (!tlb)
		return NULL;
	pthread_mutex_init(&tlb->lock, NULL);
	cache_init(&tlb->tlb, tlb, false, config->tlb_capacity);
	cache_init(&tlb->psc, tlb, true, config->psc_capacity);
	tlb->leaving = HW_LEAVE_REPLACE;
	/* xorshift never leaves 0 */
	tlb->rng = config->seed ? config->seed : UINT64_C(0x2545f4914f6cdd1d);
	return tlb;
}

void hw_tlb_destroy(struct hw_tlb *tlb)
{
	if (!tlb)
		return;
	cache_fini(&tlb->tlb);
	cache_fini(&tlb->psc);
	pthread_mutex_destroy(&tlb->lock);
	free(tlb);
}

void hw_tlb_set_observer(struct hw_tlb *tlb, const struct hw_tlb_observer *obs)
{
	pthread_mutex_lock(&tlb->lock);
	tlb->obs = obs;
	pthread_mutex_unlock(&tlb->lock);
}

/* An invalidation operation starts: count it, tell the observer, and
 * date what it removes. Lock held; flush_done ends it. */
static void flush_begin(struct hw_tlb *tlb, enum hw_flush_op op, unsigned type,
			uint16_t vpid, uint16_t pcid, uint64_t la)
{
	tlb->stats.invalidations++;
	tlb->leaving = HW_LEAVE_FLUSH;
	if (tlb->obs && tlb->obs->flush)
		tlb->obs->flush(tlb->obs->arg,
				&(struct hw_flush_info){ .op = op,
							 .type = type,
							 .vpid = vpid,
							 .pcid = pcid,
							 .la = la });
}

static void flush_done(struct hw_tlb *tlb)
{
	tlb->leaving = HW_LEAVE_REPLACE;
}

void hw_tlb_invlpg(struct hw_tlb *tlb, uint16_t vpid, uint16_t pcid,
		   uint64_t la)
{
	/* SDM 4.10.4.1: la's translations of the current PCID and global
	 * ones, and every paging-structure entry of the current PCID. */
	pthread_mutex_lock(&tlb->lock);
	flush_begin(tlb, HW_OP_INVLPG, 0, vpid, pcid, la);
	tlb_del_la(tlb, vpid, pcid, la);
	tlb_del_la(tlb, vpid, HW_PCID_GLOBAL, la);
	cache_flush(&tlb->psc, &(struct scope){ .vpids = ONE_VPID,
						.vpid = vpid,
						.pcid = pcid });
	flush_done(tlb);
	pthread_mutex_unlock(&tlb->lock);
}

void hw_tlb_invpcid(struct hw_tlb *tlb, uint16_t vpid,
		    enum hw_invpcid_type type, uint16_t pcid, uint64_t la)
{
	/* SDM vol. 2 INVPCID and 4.10.4.1; under VMX non-root it only
	 * reaches the current VPID (28.3.3.1). */
	struct scope s = { .vpids = ONE_VPID, .vpid = vpid, .pcid = pcid };
	pthread_mutex_lock(&tlb->lock);
	flush_begin(tlb, HW_OP_INVPCID, type, vpid, pcid, la);
	switch (type) {
	case HW_INVPCID_ADDR:
		/* la's non-global translations in pcid; all of pcid's
		 * paging-structure entries. */
		tlb_del_la(tlb, vpid, pcid, la);
		cache_flush(&tlb->psc, &s);
		break;
	case HW_INVPCID_SINGLE:
		s.keep_global = true;
		flush(tlb, &s);
		break;
	case HW_INVPCID_ALL_GLOBAL:
		s.all_pcids = true;
		flush(tlb, &s);
		break;
	case HW_INVPCID_ALL:
		s.all_pcids = true;
		s.keep_global = true;
		flush(tlb, &s);
		break;
	default:
		abort();
	}
	flush_done(tlb);
	pthread_mutex_unlock(&tlb->lock);
}

void hw_tlb_invvpid(struct hw_tlb *tlb, enum hw_invvpid_type type,
		    uint16_t vpid, uint64_t la)
{
	/* SDM vol. 3C 28.3.3.1 and INVVPID: every PCID of the VPID. */
	struct scope s = { .vpids = ONE_VPID, .vpid = vpid, .all_pcids = true };
	pthread_mutex_lock(&tlb->lock);
	flush_begin(tlb, HW_OP_INVVPID, type, vpid, 0, la);
	switch (type) {
	case HW_INVVPID_ADDR:
		/* What would translate la: translations, global ones too,
		 * and the paging-structure entries selected by la. */
		s.one_la = true;
		s.la = la;
		break;
	case HW_INVVPID_SINGLE:
		break;
	case HW_INVVPID_ALL:
		s.vpids = ALL_BUT_VPID0;
		break;
	case HW_INVVPID_SINGLE_NONGLOBAL:
		s.keep_global = true;
		break;
	default:
		abort();
	}
	flush(tlb, &s);
	flush_done(tlb);
	pthread_mutex_unlock(&tlb->lock);
}

void hw_tlb_flush_pcid(struct hw_tlb *tlb, uint16_t vpid, uint16_t pcid)
{
	/* SDM 4.10.4.1, MOV to CR3: non-global translations and the
	 * paging-structure entries of that PCID. */
	pthread_mutex_lock(&tlb->lock);
	flush_begin(tlb, HW_OP_FLUSH_PCID, 0, vpid, pcid, 0);
	flush(tlb, &(struct scope){ .vpids = ONE_VPID,
				    .vpid = vpid,
				    .pcid = pcid,
				    .keep_global = true });
	flush_done(tlb);
	pthread_mutex_unlock(&tlb->lock);
}

void hw_tlb_flush_all(struct hw_tlb *tlb)
{
	pthread_mutex_lock(&tlb->lock);
	flush_begin(tlb, HW_OP_FLUSH_ALL, 0, 0, 0, 0);
	for (uint32_t i = 0; tlb->obs && i < tlb->tlb.n; i++)
		note_leave(&tlb->tlb, &tlb->tlb.ents[i], HW_LEAVE_FLUSH);
	for (uint32_t i = 0; tlb->obs && i < tlb->psc.n; i++)
		note_leave(&tlb->psc, &tlb->psc.ents[i], HW_LEAVE_FLUSH);
	flush_done(tlb);
	tlb->tlb.n = 0;
	tlb->psc.n = 0;
	memset(tlb->tlb.buckets, 0xff,
	       tlb->tlb.nbuckets * sizeof(*tlb->tlb.buckets));
	memset(tlb->psc.buckets, 0xff,
	       tlb->psc.nbuckets * sizeof(*tlb->psc.buckets));
	pthread_mutex_unlock(&tlb->lock);
}

/* The mutex is state the caller does not see: a const handle may still
 * take it. */
static struct hw_tlb *unconst(const struct hw_tlb *tlb)
{
	return (struct hw_tlb *)tlb;
}

unsigned hw_tlb_size(const struct hw_tlb *tlb)
{
	struct hw_tlb *t = unconst(tlb);
	pthread_mutex_lock(&t->lock);
	unsigned n = t->tlb.n + t->psc.n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void hw_tlb_get_stats(const struct hw_tlb *tlb, struct hw_tlb_stats *out)
{
	struct hw_tlb *t = unconst(tlb);
	pthread_mutex_lock(&t->lock);
	*out = t->stats;
	pthread_mutex_unlock(&t->lock);
}
