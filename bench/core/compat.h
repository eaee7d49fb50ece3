/* SPDX-License-Identifier: MIT */
/*
 * What differs in the public API between library revisions, so that the
 * same benchmark source builds against older ones (compare.sh). meson
 * decides each CB_HAVE_* by compiling against the revision's headers
 * (bench/core/meson.build); nothing else in bench/core looks at them.
 */
#ifndef CB_COMPAT_H
#define CB_COMPAT_H

#include <shadowmmu/shadowmmu.h>

/* Flush scopes as the benchmark counts them: the library's
 * enum smmu_flush_scope, or its only flush before scopes existed. */
enum cb_scope {
	CB_SCOPE_ADDR,	    /* one address, every PCID */
	CB_SCOPE_PCID_ADDR, /* one address of one PCID */
	CB_SCOPE_PCID,	    /* one PCID */
	CB_SCOPE_VCPU,	    /* every PCID, globals kept */
	CB_SCOPE_VCPU_ALL,  /* everything of the vCPU */
	CB_NR_SCOPES,
};

extern const char *const cb_scope_name[CB_NR_SCOPES];

/* Add the flushes smmu_vcpu_enter asked for in `e` to by_scope; returns
 * how many there were. */
static inline unsigned cb_entry_flushes(const struct smmu_entry *e,
					uint64_t by_scope[CB_NR_SCOPES])
{
#if CB_HAVE_ENTRY_FLUSH_LIST
	for (unsigned i = 0; i < e->nr_flushes; i++) {
		unsigned s = e->flush[i].scope;
		by_scope[s < CB_NR_SCOPES ? s : CB_SCOPE_VCPU_ALL]++;
	}
	return e->nr_flushes;
#else
	/* One bit: flush every translation of the vCPU's VPID. */
	if (!e->flush)
		return 0;
	by_scope[CB_SCOPE_VCPU_ALL]++;
	return 1;
#endif
}

/* Guest CPU features and host capabilities, where the revision has
 * them; otherwise the library's only behaviour. */
static inline void cb_config_caps(struct smmu_vm_config *c, bool all_host_caps)
{
#if CB_HAVE_CPU_FEATURES
	c->cpu_features = SMMU_CPU_ALL; /* PCID and INVPCID included */
#endif
#if CB_HAVE_HOST_CAPS
	c->host_caps = all_host_caps ? SMMU_HOST_ALL : 0;
#else
	(void)all_host_caps;
#endif
}

/* Root-cache counters of smmu_stats: loads at entry and hits among
 * them; false on a revision without them. */
static inline bool cb_root_stats(const struct smmu_stats *s, uint64_t *loads,
				 uint64_t *hits)
{
#if CB_HAVE_ROOT_STATS
	*loads = s->root_loads;
	*hits = s->root_cache_hits;
	return true;
#else
	(void)s;
	*loads = *hits = 0;
	return false;
#endif
}

/* Out-of-sync tables a sync skipped, unwritten since the last (the
 * write watch); false on a revision without the count. */
static inline bool cb_sync_skipped(const struct smmu_stats *s, uint64_t *n)
{
#if CB_HAVE_SYNC_SKIPPED
	*n = s->sync_skipped;
	return true;
#else
	(void)s;
	*n = 0;
	return false;
#endif
}

#endif
