/* SPDX-License-Identifier: MIT */
/*
 * The policy table. Rows are in order of preference: `smmu-bench probe`
 * recommends the first one the host CPU can run.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>

const char *const bench_remote_names[BENCH_NR_REMOTE] = {
	[BENCH_REMOTE_IPI] = "ipi",
	[BENCH_REMOTE_ASSISTED] = "assisted",
};

/* Every row runs on the same host: one that does every flush the library
 * names and gives its flush engine what it asks for. The rows differ in
 * the flush preset only, so a table compares policies, not hosts. */
#define FULL_HOST                                                              \
	.remote = -1, .host_caps = 0,                                          \
	.needs = BENCH_NEEDS_PCID | BENCH_NEEDS_INVPCID

const struct bench_policy bench_policies[] = {
	{
		.name = "precise",
		.summary = "the library's own preset (SMMU_POLICY_PRECISE, "
			   "every smmu_vm_config knob 0 otherwise: out of "
			   "sync after 2 stores, prefetch 8): 11 cached roots "
			   "each on a hardware PCID, NOFLUSH honoured while a "
			   "root is unchanged, guest flushes with their SDM "
			   "scope, idle vCPUs flushed at their next entry, "
			   "assisted flushes used, the TLB clock; on a host "
			   "that does every flush the library names "
			   "(SMMU_HOST_ALL) and gives its flush engine where "
			   "vCPUs run, kicks and assisted flushes; 2 MiB "
			   "backing offered; remote flushes as --remote says",
		.vm = { .policy = SMMU_POLICY_PRECISE },
		FULL_HOST,
	},
	{
		.name = "kvm",
		.summary = "KVM's shadow MMU as a preset (SMMU_POLICY_KVM): 3 "
			   "cached roots, a PV flush unloads every root, a "
			   "CR4.PCIDE change drops them, IPIs to vCPUs in "
			   "guest mode (no assisted flush), no TLB clock; the "
			   "same host",
		.vm = { .policy = SMMU_POLICY_KVM },
		FULL_HOST,
	},
	{
		.name = "conservative",
		.summary = "Xen's shadow mode as a preset "
			   "(SMMU_POLICY_CONSERVATIVE): NOFLUSH ignored, every "
			   "root on one hardware PCID, no cached roots, IPIs "
			   "forced for page-table frees, every remote flush to "
			   "the whole VM; the same host",
		.vm = { .policy = SMMU_POLICY_CONSERVATIVE },
		FULL_HOST,
	},
	{ .name = NULL },
};

const struct bench_policy *bench_policy_find(const char *name)
{
	for (const struct bench_policy *p = bench_policies; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

int bench_policy_list(const char *text, const struct bench_policy **out,
		      unsigned max, unsigned *nr, char *err, size_t err_len)
{
	char copy[512];
	*nr = 0;
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			for (const struct bench_policy *p = bench_policies;
			     p->name && *nr < max; p++)
				out[(*nr)++] = p;
			continue;
		}
		const struct bench_policy *p = bench_policy_find(tok);
		if (!p) {
			int n = snprintf(err, err_len,
					 "no policy '%s'; there are:", tok);
			for (p = bench_policies; p->name && n > 0; p++)
				n += snprintf(err + n,
					      err_len > (size_t)n ? err_len - n
								  : 0,
					      " %s", p->name);
			return -1;
		}
		if (*nr == max) {
			snprintf(err, err_len, "more than %u policies", max);
			return -1;
		}
		out[(*nr)++] = p;
	}
	if (!*nr) {
		snprintf(err, err_len, "--policy names no policy");
		return -1;
	}
	return 0;
}
