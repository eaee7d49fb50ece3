/* SPDX-License-Identifier: MIT */
/*
 * smmu-sim's command line: the usage text, and the parsing of the
 * options into struct options with the checks of their values; smmu_sim.c
 * sets up the run from it, runs it and reports on it. The MMUs the
 * options name (--mmu, --inject, the knobs --help lists) are looked up
 * here too.
 */
#include "smmu_sim_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib_mmu.h"
#include "naive_shadow.h"

/* --host-caps: "all", "none" or names of SMMU_HOST_* bits. */
static bool parse_host_caps(const char *arg, uint32_t *caps)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} names[] = {
		{ "pcid", SMMU_HOST_PCID },
		{ "flush-pcid", SMMU_HOST_FLUSH_PCID },
		{ "flush-pcid-addr", SMMU_HOST_FLUSH_PCID_ADDR },
		{ "flush-addr", SMMU_HOST_FLUSH_ADDR },
	};
	if (strcmp(arg, "all") == 0) {
		*caps = 0;
		return true;
	}
	if (strcmp(arg, "none") == 0) {
		*caps = SIM_HOST_NO_CAPS;
		return true;
	}
	uint32_t c = 0;
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *save, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned i = 0;
		while (i < sizeof(names) / sizeof(names[0]) &&
		       strcmp(tok, names[i].name) != 0)
			i++;
		if (i == sizeof(names) / sizeof(names[0])) {
			fprintf(stderr, "smmu-sim: --host-caps: unknown '%s'\n",
				tok);
			return false;
		}
		c |= names[i].bit;
	}
	*caps = c ? c : SIM_HOST_NO_CAPS;
	return true;
}

static const struct {
	const char *name;
	enum smmu_paging_mode mode;
} mode_names[] = {
	{ "32bit", SMMU_PAGING_32BIT },
	{ "pae", SMMU_PAGING_PAE },
	{ "4level", SMMU_PAGING_4LEVEL },
	{ "5level", SMMU_PAGING_5LEVEL },
};

static const struct sim_mmu_ops *const mmus[] = {
	&naive_shadow_ops,
	&lib_mmu_ops,
};

const char *smmu_sim_mode_name(enum smmu_paging_mode mode)
{
	for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]);
	     i++)
		if (mode_names[i].mode == mode)
			return mode_names[i].name;
	return "?";
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: smmu-sim [options]\n"
		"\n"
		"Runs a random guest workload on the simulated machine with a "
		"shadow MMU under\ntest and checks every guest access against "
		"the architectural reference model.\nThe last output line is "
		"'ops=<n> accesses=<n> violations=<n>'; exit status 0\n"
		"without violations, 1 with, 2 on usage or setup errors.\n"
		"\n"
		"workload:\n"
		"  --vcpus N        vCPUs, 1..%u (default 2)\n"
		"  --ops N          guest operations per vCPU (default 10000)\n"
		"  --seed S         workload seed; same seed, same guest "
		"(default 1)\n"
		"  --mode M         guest paging: 32bit, pae, 4level, 5level "
		"(default 4level)\n"
		"  --spaces N       address spaces, 1..%u (default 4)\n"
		"  --pcids N        PCIDs the spaces share, as kernels recycle "
		"a few (default:\n"
		"                   one per space)\n"
		"  --pages N        4 KiB user pages per space, 1..%u "
		"(default 64)\n"
		"  --flush-prob P   probability 0..1 that a page-table change "
		"is followed by\n"
		"                   the invalidation a careful guest does "
		"(default 0.9)\n"
		"  --recent PCT     %% of accesses aimed at recently changed "
		"pages (default 30)\n"
		"  --mix K=W,...    relative weights of operation kinds: "
		"access, "
		"store, pte\n"
		"                   (page-table change), cr3, ctl (CR0/CR4 "
		"toggles), flush,\n"
		"                   host (DMA stores into tables, frames "
		"re-backed or taken away);\n"
		"                   unnamed kinds keep their default "
		"(access=55,store=20,pte=12,\n"
		"                   cr3=8,ctl=1,flush=4,host=0)\n"
		"\n"
		"guest features (PCID and PKE exist in 4level/5level only):\n"
		"  --no-pcid        no CR4.PCIDE, NOFLUSH or INVPCID\n"
		"  --no-global      no CR4.PGE or global pages\n"
		"  --no-large       no 2 MiB / 4 MiB pages\n"
		"  --nx, --no-nx    EFER.NXE and XD bits (default on)\n"
		"  --smep           CR4.SMEP, toggled now and then\n"
		"  --smap           CR4.SMAP, toggled; EFLAGS.AC on some "
		"accesses\n"
		"  --pke            CR4.PKE, keys on user pages, random PKRU\n"
		"  --wp-toggle      CR0.WP flipped by MOV CR0\n"
		"  --nx-toggle      EFER.NXE flipped by WRMSR (XD reserved "
		"while clear)\n"
		"  --pcide-toggle   with pcid: CR4.PCIDE turned off and on "
		"again\n"
		"  --paging-toggle  CR0.PG cleared for a few accesses and set "
		"again\n"
		"                   (leaving and re-entering IA-32e mode)\n"
		"  --toggle-all     every toggle above, with --smep --smap "
		"--pke\n"
		"\n"
		"machine:\n"
		"  --mmu NAME       shadow MMU under test (default naive):\n"
		"                   naive: the oracle's own simple shadow MMU, "
		"every mode\n"
		"                   lib: libshadowmmu's shadow core\n"
		"  --pcpus N        simulated CPUs, 1..vCPUs; vCPU i runs on "
		"CPU i %% N, which\n"
		"                   switches between its vCPUs (default: one "
		"per vCPU)\n"
		"  --pool-pages N   shadow-page budget of the VM (default "
		"4096;\n"
		"                   the naive MMU needs 16 per vCPU)\n"
		"  --unsync-after N|never\n"
		"                   lib: emulated stores to a last-level "
		"table before it may\n"
		"                   go out of sync, 1..254 (default %u)\n"
		"  --host-4k        lib: guest RAM is not offered as 2 MiB "
		"blocks; every shadow\n"
		"                   leaf maps 4 KiB\n"
		"  --unsync-quiet N lib: unchanged syncs before an "
		"out-of-sync table is\n"
		"                   write-protected again, 1..255 (default "
		"%u)\n"
		"  --prefetch N     lib: sptes a fault fills, its own and "
		"neighbours; a power\n"
		"                   of two, 1 (no prefetch)..512 (default "
		"%u)\n"
		"  --cached-roots N lib: roots each vCPU keeps besides its "
		"current one, 1..%u\n"
		"                   (default %u)\n"
		"  --host-caps C    lib: what the host can flush: all, none, "
		"or a comma list\n"
		"                   of pcid, flush-pcid, flush-pcid-addr, "
		"flush-addr (default all)\n"
		"  --tlb-capacity N translations and paging-structure entries "
		"each TLB keeps;\n"
		"                   0 = never evict (default 0)\n"
		"  --assisted       remote flushes by assisted flush instead "
		"of IPIs\n"
		"  --policy P       lib: the flush policy's preset: precise "
		"(default), kvm,\n"
		"                   conservative\n"
		"  --slow-readers   lib: lock-free shadow walks yield inside "
		"their RCU section\n"
		"  --no-flush-engine\n"
		"                   lib: the host keeps where vCPUs run to "
		"itself: every remote\n"
		"                   flush is flush_all_cpus\n"
		"  --inject NAME    turn on a fault-injection knob of the MMU "
		"(repeatable)\n"
		"\n"
		"output:\n"
		"  --report N       violations printed in full (default 5)\n"
		"  --quiet          only the final line (and errors); no "
		"progress\n"
		"  --progress       a progress line on stderr every 2 s of a "
		"run (default when\n"
		"                   stderr is a terminal and not --quiet)\n"
		"  --no-progress    no progress lines\n"
		"  --help           this text\n"
		"\n"
		"fault-injection knobs (--inject), by MMU:\n",
		SIM_MAX_CPUS, WORKLOAD_MAX_SPACES, WORKLOAD_MAX_PAGES,
		SMMU_UNSYNC_AFTER_DEFAULT, SMMU_UNSYNC_QUIET_DEFAULT,
		SMMU_PREFETCH_DEFAULT, SMMU_CACHED_ROOTS_MAX,
		SMMU_CACHED_ROOTS_DEFAULT);
	for (unsigned i = 0; i < sizeof(mmus) / sizeof(mmus[0]); i++) {
		fprintf(out, " %s:\n", mmus[i]->name);
		for (const struct sim_knob *k = mmus[i]->knobs; k && k->name;
		     k++)
			fprintf(out, "  %s\n      %s\n", k->name, k->help);
	}
}

static bool parse_u64(const char *opt, const char *s, uint64_t max,
		      uint64_t *out)
{
	return cli_parse_u64("smmu-sim", opt, s, max, out);
}

static bool parse_unsigned(const char *opt, const char *s, unsigned max,
			   unsigned *out)
{
	uint64_t v;
	if (!parse_u64(opt, s, max, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

/* "pte=40,flush=0": weights by kind name. */
static bool parse_mix(const char *arg, unsigned *weight)
{
	char *copy = strdup(arg), *save = NULL;
	bool ok = copy != NULL;
	for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; ok && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		unsigned k = WL_NR_OPS;
		if (eq) {
			*eq = 0;
			for (k = 0; k < WL_NR_OPS; k++)
				if (!strcmp(tok, workload_op_names[k]))
					break;
		}
		if (k == WL_NR_OPS) {
			fprintf(stderr,
				"smmu-sim: --mix wants KIND=WEIGHT with KIND "
				"one of");
			for (k = 0; k < WL_NR_OPS; k++)
				fprintf(stderr, " %s", workload_op_names[k]);
			fprintf(stderr, "\n");
			ok = false;
			break;
		}
		ok = parse_unsigned("--mix", eq + 1, 1000000, &weight[k]);
	}
	free(copy);
	return ok;
}

static bool parse_mmu(const char *name, const struct sim_mmu_ops **mmu)
{
	for (unsigned i = 0; i < sizeof(mmus) / sizeof(mmus[0]); i++) {
		if (!strcmp(mmus[i]->name, name)) {
			*mmu = mmus[i];
			return true;
		}
	}
	fprintf(stderr, "smmu-sim: --mmu wants naive or lib, not '%s'\n", name);
	return false;
}

static bool parse_knob(const struct sim_mmu_ops *mmu, const char *name,
		       uint32_t *inject)
{
	for (const struct sim_knob *k = mmu->knobs; k && k->name; k++) {
		if (!strcmp(k->name, name)) {
			*inject |= k->bit;
			return true;
		}
	}
	fprintf(stderr,
		"smmu-sim: the %s MMU has no knob '%s'; its knobs:", mmu->name,
		name);
	for (const struct sim_knob *k = mmu->knobs; k && k->name; k++)
		fprintf(stderr, " %s", k->name);
	fprintf(stderr, "\n");
	return false;
}

enum {
	OPT_VCPUS = 256,
	OPT_PCPUS,
	OPT_OPS,
	OPT_SEED,
	OPT_MODE,
	OPT_SPACES,
	OPT_PCIDS,
	OPT_PAGES,
	OPT_FLUSH_PROB,
	OPT_RECENT,
	OPT_MIX,
	OPT_NO_PCID,
	OPT_NO_GLOBAL,
	OPT_NO_LARGE,
	OPT_NX,
	OPT_NO_NX,
	OPT_SMEP,
	OPT_SMAP,
	OPT_PKE,
	OPT_WP_TOGGLE,
	OPT_NX_TOGGLE,
	OPT_PCIDE_TOGGLE,
	OPT_PAGING_TOGGLE,
	OPT_TOGGLE_ALL,
	OPT_POOL_PAGES,
	OPT_UNSYNC_AFTER,
	OPT_PREFETCH,
	OPT_CACHED_ROOTS,
	OPT_NO_FLUSH_ENGINE,
	OPT_POLICY,
	OPT_SLOW_READERS,
	OPT_HOST_CAPS,
	OPT_UNSYNC_QUIET,
	OPT_HOST_4K,
	OPT_TLB_CAPACITY,
	OPT_ASSISTED,
	OPT_MMU,
	OPT_INJECT,
	OPT_REPORT,
	OPT_QUIET,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_HELP,
};

static const struct option long_options[] = {
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "pcpus", required_argument, NULL, OPT_PCPUS },
	{ "ops", required_argument, NULL, OPT_OPS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "spaces", required_argument, NULL, OPT_SPACES },
	{ "pcids", required_argument, NULL, OPT_PCIDS },
	{ "pages", required_argument, NULL, OPT_PAGES },
	{ "flush-prob", required_argument, NULL, OPT_FLUSH_PROB },
	{ "recent", required_argument, NULL, OPT_RECENT },
	{ "mix", required_argument, NULL, OPT_MIX },
	{ "no-pcid", no_argument, NULL, OPT_NO_PCID },
	{ "no-global", no_argument, NULL, OPT_NO_GLOBAL },
	{ "no-large", no_argument, NULL, OPT_NO_LARGE },
	{ "nx", no_argument, NULL, OPT_NX },
	{ "no-nx", no_argument, NULL, OPT_NO_NX },
	{ "smep", no_argument, NULL, OPT_SMEP },
	{ "smap", no_argument, NULL, OPT_SMAP },
	{ "pke", no_argument, NULL, OPT_PKE },
	{ "wp-toggle", no_argument, NULL, OPT_WP_TOGGLE },
	{ "nx-toggle", no_argument, NULL, OPT_NX_TOGGLE },
	{ "pcide-toggle", no_argument, NULL, OPT_PCIDE_TOGGLE },
	{ "paging-toggle", no_argument, NULL, OPT_PAGING_TOGGLE },
	{ "toggle-all", no_argument, NULL, OPT_TOGGLE_ALL },
	{ "pool-pages", required_argument, NULL, OPT_POOL_PAGES },
	{ "unsync-after", required_argument, NULL, OPT_UNSYNC_AFTER },
	{ "prefetch", required_argument, NULL, OPT_PREFETCH },
	{ "cached-roots", required_argument, NULL, OPT_CACHED_ROOTS },
	{ "no-flush-engine", no_argument, NULL, OPT_NO_FLUSH_ENGINE },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "slow-readers", no_argument, NULL, OPT_SLOW_READERS },
	{ "host-caps", required_argument, NULL, OPT_HOST_CAPS },
	{ "unsync-quiet", required_argument, NULL, OPT_UNSYNC_QUIET },
	{ "host-4k", no_argument, NULL, OPT_HOST_4K },
	{ "tlb-capacity", required_argument, NULL, OPT_TLB_CAPACITY },
	{ "assisted", no_argument, NULL, OPT_ASSISTED },
	{ "mmu", required_argument, NULL, OPT_MMU },
	{ "inject", required_argument, NULL, OPT_INJECT },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static bool parse_mode(const char *s, enum smmu_paging_mode *mode)
{
	for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]);
	     i++) {
		if (!strcmp(mode_names[i].name, s)) {
			*mode = mode_names[i].mode;
			return true;
		}
	}
	fprintf(stderr,
		"smmu-sim: --mode wants 32bit, pae, 4level or 5level, not "
		"'%s'\n",
		s);
	return false;
}

static bool parse_prob(const char *s, double *p)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.0 && v <= 1.0)) {
		fprintf(stderr,
			"smmu-sim: --flush-prob wants a probability 0..1, not "
			"'%s'\n",
			s);
		return false;
	}
	*p = v;
	return true;
}

/* Returns -1 to go on, else the exit status. */
int smmu_sim_parse_args(int argc, char **argv, struct options *o)
{
	struct workload_config *wc = &o->wc;
	uint64_t u;
	int c;

	workload_config_default(wc);
	wc->nr_vcpus = 2;
	o->mmu = &naive_shadow_ops;
	o->pool_pages = 4096;
	o->report = 5;
	o->progress = -1;

	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case OPT_VCPUS:
			ok = parse_unsigned("--vcpus", optarg, SIM_MAX_CPUS,
					    &wc->nr_vcpus);
			break;
		case OPT_OPS:
			ok = parse_unsigned("--ops", optarg, UINT32_MAX,
					    &wc->ops);
			break;
		case OPT_SEED:
			ok = parse_u64("--seed", optarg, UINT64_MAX, &wc->seed);
			break;
		case OPT_MODE:
			ok = parse_mode(optarg, &wc->mode);
			break;
		case OPT_SPACES:
			ok = parse_unsigned("--spaces", optarg,
					    WORKLOAD_MAX_SPACES,
					    &wc->nr_spaces);
			break;
		case OPT_PCIDS:
			ok = parse_unsigned("--pcids", optarg,
					    WORKLOAD_MAX_SPACES, &wc->pcids);
			break;
		case OPT_PAGES:
			ok = parse_unsigned("--pages", optarg,
					    WORKLOAD_MAX_PAGES,
					    &wc->pages_per_space);
			break;
		case OPT_FLUSH_PROB:
			ok = parse_prob(optarg, &wc->flush_prob);
			break;
		case OPT_RECENT:
			ok = parse_unsigned("--recent", optarg, 100,
					    &wc->recent_pct);
			break;
		case OPT_MIX:
			ok = parse_mix(optarg, wc->weight);
			break;
		case OPT_NO_PCID:
			wc->pcid = false;
			break;
		case OPT_NO_GLOBAL:
			wc->global = false;
			break;
		case OPT_NO_LARGE:
			wc->large = false;
			break;
		case OPT_NX:
			wc->nx = true;
			break;
		case OPT_NO_NX:
			wc->nx = false;
			break;
		case OPT_SMEP:
			wc->smep = true;
			break;
		case OPT_SMAP:
			wc->smap = true;
			break;
		case OPT_PKE:
			wc->pke = true;
			break;
		case OPT_WP_TOGGLE:
			wc->wp_toggle = true;
			break;
		case OPT_NX_TOGGLE:
			wc->nx_toggle = true;
			break;
		case OPT_PCIDE_TOGGLE:
			wc->pcide_toggle = true;
			break;
		case OPT_PAGING_TOGGLE:
			wc->paging_toggle = true;
			break;
		case OPT_TOGGLE_ALL:
			workload_toggle_all(wc);
			break;
		case OPT_PCPUS:
			ok = parse_u64("--pcpus", optarg, SIM_MAX_CPUS, &u);
			o->pcpus = (unsigned)u;
			break;
		case OPT_POOL_PAGES:
			ok = parse_u64("--pool-pages", optarg, UINT32_MAX, &u);
			o->pool_pages = (uint32_t)u;
			break;
		case OPT_HOST_4K:
			o->host_4k = true;
			break;
		case OPT_UNSYNC_QUIET:
			ok = parse_u64("--unsync-quiet", optarg, 255, &u) &&
			     u >= 1;
			o->unsync_quiet = (uint8_t)u;
			break;
		case OPT_CACHED_ROOTS:
			ok = parse_u64("--cached-roots", optarg,
				       SMMU_CACHED_ROOTS_MAX, &u) &&
			     u >= 1;
			o->cached_roots = (uint8_t)u;
			break;
		case OPT_POLICY:
			if (strcmp(optarg, "precise") == 0)
				o->policy = SMMU_POLICY_PRECISE;
			else if (strcmp(optarg, "kvm") == 0)
				o->policy = SMMU_POLICY_KVM;
			else if (strcmp(optarg, "conservative") == 0)
				o->policy = SMMU_POLICY_CONSERVATIVE;
			else {
				fprintf(stderr,
					"smmu-sim: --policy: precise, kvm or "
					"conservative\n");
				ok = false;
			}
			break;
		case OPT_SLOW_READERS:
			o->slow_readers = true;
			break;
		case OPT_NO_FLUSH_ENGINE:
			o->no_flush_engine = true;
			break;
		case OPT_HOST_CAPS:
			ok = parse_host_caps(optarg, &o->host_caps);
			break;
		case OPT_PREFETCH:
			ok = parse_u64("--prefetch", optarg, 512, &u) &&
			     u >= 1 && !(u & (u - 1));
			if (!ok)
				fprintf(stderr, "smmu-sim: --prefetch wants a "
						"power of two, 1..512\n");
			o->prefetch = (uint16_t)u;
			break;
		case OPT_UNSYNC_AFTER:
			if (strcmp(optarg, "never") == 0) {
				o->unsync_after = SMMU_UNSYNC_NEVER;
				break;
			}
			ok = parse_u64("--unsync-after", optarg,
				       SMMU_UNSYNC_NEVER - 1, &u) &&
			     u >= 1;
			o->unsync_after = (uint8_t)u;
			break;
		case OPT_TLB_CAPACITY:
			ok = parse_unsigned("--tlb-capacity", optarg,
					    UINT32_MAX, &o->tlb_capacity);
			break;
		case OPT_ASSISTED:
			o->assisted = true;
			break;
		case OPT_MMU:
			ok = parse_mmu(optarg, &o->mmu);
			break;
		case OPT_INJECT:
			/* Resolved once --mmu, wherever it stands, is known. */
			if (o->nr_knobs == MAX_KNOB_ARGS) {
				fprintf(stderr,
					"smmu-sim: too many --inject\n");
				ok = false;
			} else {
				o->knob_args[o->nr_knobs++] = optarg;
			}
			break;
		case OPT_REPORT:
			ok = parse_unsigned("--report", optarg, UINT32_MAX,
					    &o->report);
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_PROGRESS:
			o->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			o->progress = 0;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
		if (!ok)
			return EXIT_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "smmu-sim: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (wc->nr_vcpus < 1) {
		fprintf(stderr, "smmu-sim: --vcpus wants 1..%u\n",
			SIM_MAX_CPUS);
		return EXIT_USAGE;
	}
	if (o->pcpus > wc->nr_vcpus) {
		fprintf(stderr, "smmu-sim: --pcpus wants 1..--vcpus\n");
		return EXIT_USAGE;
	}
	if (o->pool_pages < 1) {
		fprintf(stderr, "smmu-sim: --pool-pages wants at least 1\n");
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < o->nr_knobs; i++)
		if (!parse_knob(o->mmu, o->knob_args[i], &o->inject))
			return EXIT_USAGE;
	return -1;
}
