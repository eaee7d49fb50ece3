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

const struct bench_policy bench_policies[] = {
	{
		.name = "default",
		.summary = "the library with its defaults (every "
			   "smmu_vm_config knob 0: the flush preset "
			   "SMMU_POLICY_PRECISE, out of sync after 2 stores, "
			   "prefetch 8) on a host that does every flush the "
			   "library names (SMMU_HOST_ALL: hardware PCIDs, "
			   "flushes of one PCID and of one address) and gives "
			   "its flush engine where vCPUs run, kicks and "
			   "assisted flushes; 2 MiB backing offered; remote "
			   "flushes as --remote says",
		.vm = { 0 },
		.remote = -1,
		.host_caps = 0,
		.needs = BENCH_NEEDS_PCID | BENCH_NEEDS_INVPCID,
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
