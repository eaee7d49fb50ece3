/* SPDX-License-Identifier: MIT */
/*
 * smmu-bench probe: what the host CPU offers a shadow MMU, read with
 * libcpuid (CPUID needs no privileges), and what that means for the
 * library: hardware PCIDs, precise flushes, an assisted flush from the
 * hypervisor underneath, and the policy to start from.
 */
#ifndef SMMU_BENCH_PROBE_H
#define SMMU_BENCH_PROBE_H

#include <stdio.h>

#include "policy.h"

enum bench_tri { BENCH_NO, BENCH_YES, BENCH_UNKNOWN };

struct bench_cpu_facts {
	bool known;	 /* CPUID could be read */
	char why[160];	 /* if not: libcpuid's reason */
	bool from_dump;	 /* a libcpuid raw dump, not this CPU */
	char vendor[16]; /* "GenuineIntel", "AuthenticAMD" */
	char brand[64];
	char codename[64];
	int family, model, stepping;
	enum bench_tri pcid, invpcid, vmx, svm, x2apic, gbpages;
	enum bench_tri hypervisor; /* the CPUID hypervisor bit */
	char hv_name[32];	   /* which one, or "" */
	/* The hypervisor offers a remote-TLB-flush hypercall, and how. */
	enum bench_tri assisted;
	char assisted_how[160];
};

/* Read the facts of this CPU, or (raw_dump) of a libcpuid raw dump such
 * as `cpuid_tool --save` writes. Never fails: what cannot be read is
 * BENCH_UNKNOWN, with the reason in why. */
void bench_probe_read(struct bench_cpu_facts *f, const char *raw_dump);
/* BENCH_NEEDS_* the CPU certainly meets. */
unsigned bench_probe_offers(const struct bench_cpu_facts *f);
/* The first policy (in the table's order of preference) it can run. */
const struct bench_policy *
bench_probe_recommend(const struct bench_cpu_facts *f);
/* The report: facts, then what they mean for the library. */
void bench_probe_report(FILE *out, const struct bench_cpu_facts *f);

#endif
