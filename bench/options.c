/* SPDX-License-Identifier: MIT */
/*
 * smmu-bench's options and manual (options.h).
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib_mmu.h"
#include "plot.h"
#include "workload.h"

/* The default comparison: today's baseline set. */
static const char *const default_specs[] = {
	"ctxsw:nopcid:procs=4",
	"ctxsw:pcid:procs=4",
	"ctxsw:noflush:procs=2",
	"ctxsw:noflush:procs=4",
	"ctxsw:noflush:procs=8",
	"ctxsw:noflush:procs=16",
	"ctxsw:kpti:procs=4",
	"shootdown:vcpus=2",
	"shootdown:vcpus=4",
	"forkexec",
	"pressure",
	NULL,
};

/* Text from column `indent` on, broken at spaces before column 79. */
static void wrap(FILE *out, unsigned indent, const char *text)
{
	unsigned col = indent;
	while (*text) {
		size_t word = strcspn(text, " ");
		if (col > indent && col + 1 + word > 79) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", (int)word, text);
		col += (unsigned)word;
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: smmu-bench [OPTIONS] [WORKLOAD...]\n"
		"       smmu-bench replay FILE [OPTIONS]\n"
		"       smmu-bench record WORKLOAD [-o FILE] [--seed S] "
		"[--scale X]\n"
		"       smmu-bench probe [--raw FILE]\n"
		"       smmu-bench costs\n"
		"\n"
		"Runs guest workloads on a simulated machine whose MMU is "
		"libshadowmmu's shadow\ncore, under each flush policy, with "
		"the oracle checking every guest access, and\nprints what "
		"each policy cost per guest operation: VM exits, hardware "
		"TLB flushes\n(deferred to entry, remote), the flushes a "
		"native CPU would do, collateral TLB\nentries, modelled "
		"cycles, library time. bench/README.md explains every "
		"number.\nWithout WORKLOADs it runs the default comparison:");
	for (unsigned i = 0; default_specs[i]; i++)
		fprintf(out, "%s%s", i % 4 ? " " : "\n  ", default_specs[i]);
	fprintf(out, "\n\nworkloads (WORKLOAD is NAME[:VALUE|:KEY=N]..., "
		     "e.g. ctxsw:kpti:procs=8):\n");
	for (unsigned i = 0; bench_workloads[i]; i++) {
		const struct bench_workload *w = bench_workloads[i];
		fprintf(out, "  %-10s ", w->name);
		wrap(out, 13, w->summary);
		for (const struct bench_param *p = w->params; p->name; p++) {
			if (p->choices) {
				fprintf(out, "    %-9s %s:", p->name, p->help);
				for (unsigned c = 0; p->choices[c]; c++)
					fprintf(out, " %s%s", p->choices[c],
						c == p->def ? " (default)"
							    : "");
				fputc('\n', out);
			} else {
				fprintf(out,
					"    %-9s %s, %" PRIu64 "..%" PRIu64
					" (default %" PRIu64 "%s)\n",
					p->name, p->help, p->min, p->max,
					p->def, p->scaled ? ", x --scale" : "");
			}
		}
	}
	fprintf(out, "  replay:FILE a recorded guest trace (bench/TRACE.md)\n"
		     "\npolicies (--policy):\n");
	for (const struct bench_policy *p = bench_policies; p->name; p++) {
		fprintf(out, "  %-10s ", p->name);
		wrap(out, 13, p->summary);
	}
	fprintf(out,
		"\noptions:\n"
		"  --policy P[,P...] policies to compare, or all (default: "
		"%s)\n"
		"  --remote M[,M...] how the host flushes other CPUs: ipi, "
		"assisted, or both\n"
		"                    (default ipi)\n"
		"  --seed S          seed of the workloads and of TLB "
		"evictions (default 1);\n"
		"                    the same inputs give the same counts\n"
		"  --scale X         multiply the workloads' default lengths "
		"(default 1)\n"
		"  --no-oracle       do not check accesses; time the library "
		"(the ns column)\n"
		"  --repeat N        run each combination N times: ns is the "
		"median, and every\n"
		"                    repetition must count the same (default "
		"1)\n"
		"  --free-running    simulated CPUs as free threads: faster, "
		"counts not reproducible\n"
		"                    (default: lockstep, see bench/README.md)\n"
		"  --cached-roots N  roots each vCPU keeps besides its current "
		"one, 1..32,\n"
		"                    for every policy (default: each "
		"policy's own)\n"
		"  --pool-pages N    shadow pages of the VM (default: the "
		"workload's, else 4096)\n"
		"  --tlb-capacity N  entries each TLB and paging-structure "
		"cache keeps (default 0:\n"
		"                    unbounded, every entry a flush drops is "
		"seen)\n"
		"  --csv FILE        every count of every run, one row per "
		"run\n"
		"  --json FILE       the same as JSON\n"
		"  --plot FILE       draw flushes, collateral and cycles per "
		"operation with gnuplot\n"
		"                    (FILE.svg or FILE.png)\n"
		"  --trace-out FILE  write the (one) workload's trace as well "
		"(bench/TRACE.md)\n"
		"  --verbose         a breakdown of every run after the table\n"
		"  --quiet           no table (files and the exit status "
		"only)\n"
		"  --no-progress     no progress on stderr\n"
		"  --report N        violations printed in full (default 5)\n"
		"  --inject KNOB     testing: build a library bug in "
		"(repeatable); the oracle must\n"
		"                    report violations. Knobs:",
		bench_policies[0].name);
	for (const struct sim_knob *k = lib_mmu_ops.knobs; k->name; k++)
		fprintf(out, "%s%s",
			(k - lib_mmu_ops.knobs) % 3 ? " " : "\n      ",
			k->name);
	fprintf(out,
		"\n  -o FILE           record: where to write the trace "
		"(default stdout)\n"
		"  --raw FILE        probe: read a libcpuid raw dump instead "
		"of this CPU\n"
		"  --help            this text\n"
		"\nexit status: 0; 1 when the oracle found a violation (the "
		"numbers are then\nworthless); 2 on a usage error; 3 when a "
		"trace, an output file or the plot failed.\n");
}

static bool parse_u64(const char *opt, const char *s, uint64_t max,
		      uint64_t *out)
{
	return cli_parse_u64("smmu-bench", opt, s, max, out);
}

static bool parse_remote(const char *s, struct bench_options *o)
{
	char copy[64];
	o->nr_remotes = 0;
	snprintf(copy, sizeof(copy), "%s", s);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		bool found = false;
		for (unsigned m = 0; m < BENCH_NR_REMOTE; m++) {
			if (strcmp(tok, bench_remote_names[m]) &&
			    strcmp(tok, "both"))
				continue;
			found = true;
			bool dup = false;
			for (unsigned i = 0; i < o->nr_remotes; i++)
				dup |= o->remote[i] == m;
			if (!dup)
				o->remote[o->nr_remotes++] = m;
		}
		if (!found) {
			fprintf(stderr,
				"smmu-bench: --remote wants ipi, assisted or "
				"both, not '%s'\n",
				tok);
			return false;
		}
	}
	return o->nr_remotes > 0;
}

static bool parse_knob(const char *name, uint32_t *inject)
{
	for (const struct sim_knob *k = lib_mmu_ops.knobs; k->name; k++) {
		if (!strcmp(k->name, name)) {
			*inject |= k->bit;
			return true;
		}
	}
	fprintf(stderr,
		"smmu-bench: the library has no knob '%s' (see "
		"--help)\n",
		name);
	return false;
}

enum {
	OPT_POLICY = 256,
	OPT_REMOTE,
	OPT_SEED,
	OPT_SCALE,
	OPT_NO_ORACLE,
	OPT_REPEAT,
	OPT_FREE,
	OPT_POOL,
	OPT_CACHED_ROOTS,
	OPT_TLB,
	OPT_CSV,
	OPT_JSON,
	OPT_PLOT,
	OPT_TRACE_OUT,
	OPT_VERBOSE,
	OPT_QUIET,
	OPT_NO_PROGRESS,
	OPT_REPORT,
	OPT_INJECT,
	OPT_RAW,
	OPT_HELP,
};

static const struct option long_options[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "remote", required_argument, NULL, OPT_REMOTE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "scale", required_argument, NULL, OPT_SCALE },
	{ "no-oracle", no_argument, NULL, OPT_NO_ORACLE },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "free-running", no_argument, NULL, OPT_FREE },
	{ "pool-pages", required_argument, NULL, OPT_POOL },
	{ "cached-roots", required_argument, NULL, OPT_CACHED_ROOTS },
	{ "tlb-capacity", required_argument, NULL, OPT_TLB },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "plot", required_argument, NULL, OPT_PLOT },
	{ "trace-out", required_argument, NULL, OPT_TRACE_OUT },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "inject", required_argument, NULL, OPT_INJECT },
	{ "raw", required_argument, NULL, OPT_RAW },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

bool bench_options_add_workload(struct bench_options *o, const char *text)
{
	if (o->nr_specs == MAX_SPECS) {
		fprintf(stderr, "smmu-bench: more than %d workloads\n",
			MAX_SPECS);
		return false;
	}
	o->spec_text[o->nr_specs++] = text;
	return true;
}

static int parse_option(struct bench_options *o, int c)
{
	char err[512];
	uint64_t u;
	bool ok = true;
	switch (c) {
	case OPT_POLICY:
		if (bench_policy_list(optarg, o->policy, MAX_POLICIES,
				      &o->nr_policies, err, sizeof(err))) {
			fprintf(stderr, "smmu-bench: %s\n", err);
			ok = false;
		}
		break;
	case OPT_REMOTE:
		ok = parse_remote(optarg, o);
		break;
	case OPT_SEED:
		ok = parse_u64("--seed", optarg, UINT64_MAX, &o->seed);
		break;
	case OPT_SCALE: {
		char *end;
		o->scale = strtod(optarg, &end);
		ok = *optarg && !*end && o->scale > 0 && o->scale <= 1000;
		if (!ok)
			fprintf(stderr, "smmu-bench: --scale wants a factor "
					"above 0, up to 1000\n");
		break;
	}
	case OPT_NO_ORACLE:
		o->oracle = false;
		break;
	case OPT_REPEAT:
		ok = parse_u64("--repeat", optarg, MAX_REPEAT, &u) && u >= 1;
		if (!ok)
			fprintf(stderr, "smmu-bench: --repeat wants 1..%d\n",
				MAX_REPEAT);
		o->repeat = (unsigned)u;
		break;
	case OPT_FREE:
		o->free_running = true;
		break;
	case OPT_POOL:
		ok = parse_u64("--pool-pages", optarg, UINT32_MAX, &u);
		o->pool_pages = (uint32_t)u;
		break;
	case OPT_CACHED_ROOTS:
		ok = parse_u64("--cached-roots", optarg, SMMU_CACHED_ROOTS_MAX,
			       &u) &&
		     u >= 1;
		o->cached_roots = (unsigned)u;
		break;
	case OPT_TLB:
		ok = parse_u64("--tlb-capacity", optarg, UINT32_MAX, &u);
		o->tlb_capacity = (unsigned)u;
		break;
	case OPT_CSV:
		o->csv = optarg;
		break;
	case OPT_JSON:
		o->json = optarg;
		break;
	case OPT_PLOT:
		o->plot = optarg;
		ok = bench_plot_format_ok(optarg);
		if (!ok)
			fprintf(stderr, "smmu-bench: --plot wants a .svg or "
					".png file\n");
		break;
	case OPT_TRACE_OUT:
		o->trace_out = optarg;
		break;
	case OPT_VERBOSE:
		o->verbose = true;
		break;
	case OPT_QUIET:
		o->quiet = true;
		break;
	case OPT_NO_PROGRESS:
		o->progress = false;
		break;
	case OPT_REPORT:
		ok = parse_u64("--report", optarg, UINT32_MAX, &u);
		o->report = (unsigned)u;
		break;
	case OPT_INJECT:
		ok = parse_knob(optarg, &o->inject);
		break;
	case OPT_RAW:
		o->raw = optarg;
		break;
	case 'o':
		o->out = optarg;
		break;
	case OPT_HELP:
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return EXIT_USAGE;
	}
	return ok ? -1 : EXIT_USAGE;
}

/* Returns -1 to go on, else the exit status. */
int bench_options_parse(int argc, char **argv, struct bench_options *o)
{
	int c;
	memset(o, 0, sizeof(*o));
	o->policy[o->nr_policies++] = &bench_policies[0];
	o->remote[o->nr_remotes++] = BENCH_REMOTE_IPI;
	o->seed = 1;
	o->scale = 1.0;
	o->oracle = true;
	o->progress = true;
	o->report = 5;
	o->repeat = 1;
	while ((c = getopt_long(argc, argv, "o:", long_options, NULL)) != -1) {
		int st = parse_option(o, c);
		if (st >= 0)
			return st;
	}
	for (int i = optind; i < argc; i++)
		if (!bench_options_add_workload(o, argv[i]))
			return EXIT_USAGE;
	return -1;
}

/* The subcommand is the first word that is not an option, wherever it
 * stands. */
const char *bench_options_command(struct bench_options *o)
{
	static const char *const cmds[] = { "probe", "record", "replay",
					    "costs" };
	if (!o->nr_specs)
		return "";
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(o->spec_text[0], cmds[i]))
			continue;
		memmove(&o->spec_text[0], &o->spec_text[1],
			--o->nr_specs * sizeof(o->spec_text[0]));
		return cmds[i];
	}
	return "";
}

void bench_options_add_defaults(struct bench_options *o)
{
	for (unsigned i = 0; default_specs[i]; i++)
		bench_options_add_workload(o, default_specs[i]);
}
