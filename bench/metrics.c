/* SPDX-License-Identifier: MIT */
#include "metrics.h"

const char *const bench_scope_names[BENCH_NR_SCOPES] = {
	[BENCH_SCOPE_ADDR] = "addr",
	[BENCH_SCOPE_PCID] = "pcid",
	[BENCH_SCOPE_VCPU] = "vcpu",
	[BENCH_SCOPE_ALL] = "all",
};

const char *const bench_where_names[BENCH_NR_WHERE] = {
	[BENCH_AT_ENTRY] = "entry",
	[BENCH_IN_EXIT] = "exit",
	[BENCH_BY_IPI] = "ipi",
	[BENCH_BY_ASSISTED] = "assisted",
};

const char *const bench_exit_names[BENCH_NR_EXITS] = {
	[BENCH_EXIT_PF_FIXED] = "pf_fixed",
	[BENCH_EXIT_PF_INJECTED] = "pf_injected",
	[BENCH_EXIT_PF_EMULATED] = "pf_emulated",
	[BENCH_EXIT_PF_ERROR] = "pf_error",
	[BENCH_EXIT_CR] = "cr",
	[BENCH_EXIT_INVLPG] = "invlpg",
	[BENCH_EXIT_INVPCID] = "invpcid",
	[BENCH_EXIT_PV_FLUSH] = "pv_flush",
	[BENCH_EXIT_INTERRUPT] = "interrupt",
};

uint64_t bench_flushes(const struct bench_result *r, int scope, int where)
{
	uint64_t n = 0;
	for (int s = 0; s < BENCH_NR_SCOPES; s++)
		for (int w = 0; w < BENCH_NR_WHERE; w++)
			if ((scope < 0 || s == scope) &&
			    (where < 0 || w == where))
				n += r->flushes[s][w];
	return n;
}

uint64_t bench_required(const struct bench_result *r)
{
	uint64_t n = 0;
	for (int s = 0; s < BENCH_NR_SCOPES; s++)
		n += r->required[s];
	return n;
}

uint64_t bench_exits(const struct bench_result *r)
{
	uint64_t n = 0;
	for (int e = 0; e < BENCH_NR_EXITS; e++)
		n += r->exits[e];
	return n;
}

uint64_t bench_collateral(const struct bench_result *r)
{
	return r->collateral_tlb + r->collateral_psc;
}

double bench_per_op(const struct bench_result *r, uint64_t n)
{
	return r->ops ? (double)n / (double)r->ops : 0.0;
}
