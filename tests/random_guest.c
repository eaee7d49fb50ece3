/* SPDX-License-Identifier: MIT */
#include "random_guest.h"

#include <criterion/criterion.h>

#include "naive_shadow.h"
#include "workload.h"

uint64_t random_guest_run(const struct random_guest *r)
{
	struct workload_config wc;
	workload_config_default(&wc);
	wc.nr_vcpus = r->vcpus;
	wc.ops = r->ops;
	wc.seed = r->seed ? r->seed : 1;
	wc.mode = r->mode;
	if (r->spaces)
		wc.nr_spaces = r->spaces;
	wc.pcids = r->pcids;
	if (r->careless)
		wc.flush_prob = 0.0;
	if (r->no_pcid)
		wc.pcid = false;
	if (r->weights)
		for (unsigned k = 0; k < WL_NR_OPS; k++)
			wc.weight[k] = r->weights[k];
	if (r->rights) {
		wc.smep = true;
		wc.smap = true;
		wc.pke = true;
		wc.wp_toggle = true;
		wc.nx_toggle = true;
	}
	if (r->toggles)
		workload_toggle_all(&wc);

	struct sim_config sc = {
		.nr_vcpus = r->vcpus,
		.nr_pcpus = r->pcpus,
		.ram_size = workload_ram_size(&wc),
		.maxphyaddr = 46,
		.gbpages = true,
		.pool_pages = r->pool_pages ? r->pool_pages : 4096,
		.tlb = { .tlb_capacity = r->tlb_capacity,
			 .psc_capacity = r->tlb_capacity,
			 .seed = wc.seed },
		.mmu = r->mmu ? r->mmu : &naive_shadow_ops,
		.inject = r->inject,
		.cached_roots = r->cached_roots,
		.host_caps = r->host_caps,
		.policy = r->policy,
		.no_flush_engine = r->no_flush_engine,
		.slow_readers = r->slow_readers,
		.assisted_flush = r->assisted,
		.host_4k_only = r->host_4k_only,
		.report_max = r->report	  ? UINT32_MAX
			      : r->inject ? 0
					  : 3,
		.report = r->report,
	};
	struct sim s;
	cr_assert_eq(sim_init(&s, &sc), 0);
	cr_assert_eq(workload_build(&s, &wc), 0);
	sim_run(&s);
	if (r->inspect)
		r->inspect(&s, r->inspect_arg);
	sim_fini(&s); /* counts shadow pages the MMU leaked */
	return s.violations;
}
