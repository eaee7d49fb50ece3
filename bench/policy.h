/* SPDX-License-Identifier: MIT */
/*
 * Flush policies: named presets, each a set of the library's knobs
 * (struct smmu_vm_config) and host-side settings. They are data: a
 * preset the library gains (precise, kvm, conservative: DESIGN.md §6) is
 * one more row in policy.c, and --policy, the tables, the plot and
 * `probe` pick it up unchanged.
 */
#ifndef SMMU_BENCH_POLICY_H
#define SMMU_BENCH_POLICY_H

#include <stddef.h>

#include <shadowmmu/shadowmmu.h>

/* How the host flushes other CPUs (--remote). */
enum bench_remote {
	BENCH_REMOTE_IPI,      /* an IPI to each, which flushes its TLB */
	BENCH_REMOTE_ASSISTED, /* an L0 hypervisor's flush hypercall */
	BENCH_NR_REMOTE,
};
extern const char *const bench_remote_names[BENCH_NR_REMOTE];

/* What a policy needs from the host CPU (smmu-bench probe). */
#define BENCH_NEEDS_PCID     (1u << 0) /* hardware PCIDs */
#define BENCH_NEEDS_INVPCID  (1u << 1)
#define BENCH_NEEDS_ASSISTED (1u << 2) /* a hypervisor's flush hypercall */

struct bench_policy {
	const char *name;
	const char *summary;
	/* The library's knobs. maxphyaddr, gbpages, cpu_features,
	 * host_caps and inject belong to the machine, the host side below
	 * and the run: ignored here. */
	struct smmu_vm_config vm;
	/* Host side. remote: -1 follows --remote, else the enum
	 * bench_remote the policy insists on. host_caps: the flushes the
	 * host's hardware does (SMMU_HOST_*), as sim_config.host_caps
	 * takes them: 0 every one, SIM_HOST_NO_CAPS none. */
	int remote;
	uint32_t host_caps;
	bool host_4k_only; /* no 2 MiB backing offered to the library */
	/* The host tells the library nothing of where vCPUs run and offers
	 * no kick_cpus/assisted_flush: every remote flush is
	 * flush_all_cpus, IPIs or assisted flushes to every other CPU. */
	bool no_flush_engine;
	unsigned needs; /* BENCH_NEEDS_*: what host_caps assume */
};

/* Every policy, most preferred first, ending with a NULL name. */
extern const struct bench_policy bench_policies[];

const struct bench_policy *bench_policy_find(const char *name);
/* "a,b" or "all" into out (at most max); 0, or -1 with a message. */
int bench_policy_list(const char *text, const struct bench_policy **out,
		      unsigned max, unsigned *nr, char *err, size_t err_len);

#endif
