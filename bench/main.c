/* SPDX-License-Identifier: MIT */
/*
 * smmu-bench: runs workloads x policies x remote-flush methods on the
 * simulated machine with libshadowmmu's shadow core, the oracle judging
 * every access, and reports what each combination cost; `probe` reports
 * the host CPU, `record` writes a workload's trace. `smmu-bench --help`
 * is the manual; bench/README.md explains the metrics.
 *
 * Exit status: 0; 1 when the oracle found a violation; 2 on a usage
 * error; 3 when a trace, an output file or the plot failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "costs.h"
#include "lib_mmu.h"
#include "plot.h"
#include "probe.h"
#include "progress.h"
#include "report.h"
#include "run.h"
#include "workload.h"

#define EXIT_VIOLATIONS 1
#define EXIT_USAGE	2
#define EXIT_FAILED	3
#define MAX_SPECS	64
#define MAX_POLICIES	16
#define MAX_REPEAT	99

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

struct options {
	const struct bench_policy *policy[MAX_POLICIES];
	unsigned nr_policies;
	enum bench_remote remote[BENCH_NR_REMOTE];
	unsigned nr_remotes;
	uint64_t seed;
	double scale;
	bool oracle, free_running, progress, verbose, quiet;
	uint32_t pool_pages, inject;
	unsigned tlb_capacity, report, repeat;
	const char *csv, *json, *plot, *trace_out, *out, *raw;
	const char *spec_text[MAX_SPECS];
	unsigned nr_specs;
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
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr,
			"smmu-bench: %s wants a number up to %" PRIu64
			", not '%s'\n",
			opt, max, s);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_remote(const char *s, struct options *o)
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

static bool add_spec(struct options *o, const char *text)
{
	if (o->nr_specs == MAX_SPECS) {
		fprintf(stderr, "smmu-bench: more than %d workloads\n",
			MAX_SPECS);
		return false;
	}
	o->spec_text[o->nr_specs++] = text;
	return true;
}

static int parse_option(struct options *o, int c)
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
static int parse_args(int argc, char **argv, struct options *o)
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
		if (!add_spec(o, argv[i]))
			return EXIT_USAGE;
	return -1;
}

static int cmd_probe(const struct options *o)
{
	struct bench_cpu_facts f;
	bench_probe_read(&f, o->raw);
	bench_probe_report(stdout, &f);
	return 0;
}

static int cmd_costs(void)
{
	printf("%-20s %8s  %s\n", "cost", "cycles", "source (bench/COSTS.md)");
	for (unsigned i = 0; i < BENCH_NR_COSTS; i++)
		printf("%-20s %8.0f  %s%s\n", bench_costs[i].name,
		       bench_costs[i].cycles,
		       bench_costs[i].estimate ? "estimate: " : "",
		       bench_costs[i].source);
	return 0;
}

static int write_trace(const struct bench_trace *t, const char *path)
{
	FILE *out = path ? fopen(path, "w") : stdout;
	if (!out) {
		fprintf(stderr, "smmu-bench: %s: %s\n", path, strerror(errno));
		return EXIT_FAILED;
	}
	int r = bench_trace_write(t, out);
	if ((path && fclose(out)) || r) {
		fprintf(stderr, "smmu-bench: cannot write the trace to %s\n",
			path ? path : "stdout");
		return EXIT_FAILED;
	}
	return 0;
}

static int cmd_record(const struct options *o)
{
	char err[512];
	struct bench_spec spec;
	struct bench_trace t;
	if (o->nr_specs != 1) {
		fprintf(stderr, "smmu-bench: record wants one workload\n");
		return EXIT_USAGE;
	}
	if (bench_spec_parse(o->spec_text[0], o->scale, &spec, err,
			     sizeof(err))) {
		fprintf(stderr, "smmu-bench: %s\n", err);
		return EXIT_USAGE;
	}
	bench_trace_init(&t);
	if (bench_spec_trace(&spec, o->seed, &t, err, sizeof(err))) {
		fprintf(stderr, "smmu-bench: %s\n", err);
		bench_trace_fini(&t);
		return EXIT_FAILED;
	}
	int st = write_trace(&t, o->out);
	bench_trace_fini(&t);
	return st;
}

static int write_file(const char *path, const struct bench_result *r,
		      unsigned n,
		      int (*fn)(FILE *, const struct bench_result *, unsigned))
{
	FILE *out = fopen(path, "w");
	if (!out || fn(out, r, n) || fclose(out)) {
		fprintf(stderr, "smmu-bench: cannot write %s: %s\n", path,
			strerror(errno));
		return EXIT_FAILED;
	}
	return 0;
}

/* The CSV the plot is drawn from: --csv's, or a temporary one. */
static int plot(const struct options *o, const struct bench_result *r,
		unsigned n, unsigned series)
{
	char tmp[] = "/tmp/smmu-bench-XXXXXX";
	const char *csv = o->csv;
	char err[512];
	int st = 0;
	if (!csv) {
		int fd = mkstemp(tmp);
		if (fd < 0) {
			fprintf(stderr, "smmu-bench: no temporary file for the "
					"plot's data\n");
			return EXIT_FAILED;
		}
		close(fd);
		csv = tmp;
		st = write_file(csv, r, n, bench_report_csv);
	}
	if (!st && bench_plot(csv, o->plot, r, n, series, err, sizeof(err))) {
		fprintf(stderr, "smmu-bench: %s\n", err);
		st = EXIT_FAILED;
	}
	if (!o->csv)
		unlink(tmp);
	return st;
}

static int outputs(const struct options *o, const struct bench_result *r,
		   unsigned n, unsigned series)
{
	int st = 0;
	if (o->csv && write_file(o->csv, r, n, bench_report_csv))
		st = EXIT_FAILED;
	if (o->json && write_file(o->json, r, n, bench_report_json))
		st = EXIT_FAILED;
	if (o->plot && plot(o, r, n, series))
		st = EXIT_FAILED;
	if (!o->quiet) {
		if (o->csv)
			printf("csv: %s\n", o->csv);
		if (o->json)
			printf("json: %s\n", o->json);
		if (o->plot && !st)
			printf("plot: %s\n", o->plot);
	}
	return st;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* One combination, --repeat times: the library time is the median, and
 * in lockstep every repetition must count the same (the tool's own
 * promise, checked each time it can be). */
static int run_repeated(const struct options *o, const struct bench_trace *t,
			const struct bench_run_config *c, const char *label,
			struct bench_progress *prog, struct bench_result *r)
{
	uint64_t ns[MAX_REPEAT];
	char err[512], rep[300];
	for (unsigned i = 0; i < o->repeat; i++) {
		struct bench_result x;
		if (o->repeat > 1)
			snprintf(rep, sizeof(rep), "%s (%u/%u)", label, i + 1,
				 o->repeat);
		bench_progress_next(prog, o->repeat > 1 ? rep : label);
		if (bench_run(t, c, i ? &x : r, err, sizeof(err))) {
			fprintf(stderr, "smmu-bench: %s: %s\n", label, err);
			return EXIT_FAILED;
		}
		if (i && !o->free_running && !bench_same_counts(r, &x)) {
			fprintf(stderr,
				"smmu-bench: %s: repetition %u counted "
				"differently from the first (a bug in the "
				"tool's lockstep)\n",
				label, i + 1);
			return EXIT_FAILED;
		}
		ns[i] = i ? x.lib_ns : r->lib_ns;
	}
	qsort(ns, o->repeat, sizeof(ns[0]), cmp_u64);
	r->lib_ns = ns[o->repeat / 2];
	return 0;
}

/* One workload under every policy and remote method. */
static int run_spec(const struct options *o, const struct bench_spec *spec,
		    struct bench_progress *prog, struct bench_result *res,
		    unsigned *nr)
{
	char err[512];
	struct bench_trace t;
	bench_trace_init(&t);
	if (bench_spec_trace(spec, o->seed, &t, err, sizeof(err))) {
		fprintf(stderr, "smmu-bench: %s\n", err);
		bench_trace_fini(&t);
		return EXIT_FAILED;
	}
	if (o->trace_out && write_trace(&t, o->trace_out)) {
		bench_trace_fini(&t);
		return EXIT_FAILED;
	}
	for (unsigned p = 0; p < o->nr_policies; p++) {
		for (unsigned m = 0; m < o->nr_remotes; m++) {
			struct bench_run_config c = {
				.policy = o->policy[p],
				.remote = o->remote[m],
				.oracle = o->oracle,
				.free_running = o->free_running,
				.pool_pages = o->pool_pages,
				.tlb_capacity = o->tlb_capacity,
				.seed = o->seed,
				.inject = o->inject,
				.report_max = o->report,
				.report = stderr,
				.progress = prog,
			};
			char label[256];
			snprintf(label, sizeof(label), "%s %s/%s", spec->label,
				 o->policy[p]->name,
				 bench_remote_names[o->remote[m]]);
			struct bench_result *r = &res[(*nr)++];
			int st = run_repeated(o, &t, &c, label, prog, r);
			if (st) {
				bench_trace_fini(&t);
				return st;
			}
			snprintf(r->workload, sizeof(r->workload), "%s",
				 spec->label);
		}
	}
	bench_trace_fini(&t);
	return 0;
}

static int cmd_run(struct options *o)
{
	char err[512];
	if (!o->nr_specs)
		for (unsigned i = 0; default_specs[i]; i++)
			add_spec(o, default_specs[i]);
	if (o->trace_out && o->nr_specs != 1) {
		fprintf(stderr, "smmu-bench: --trace-out wants exactly one "
				"workload\n");
		return EXIT_USAGE;
	}
	struct bench_spec *specs = calloc(o->nr_specs, sizeof(*specs));
	if (!specs)
		return EXIT_FAILED;
	for (unsigned i = 0; i < o->nr_specs; i++) {
		if (bench_spec_parse(o->spec_text[i], o->scale, &specs[i], err,
				     sizeof(err))) {
			fprintf(stderr, "smmu-bench: %s\n", err);
			free(specs);
			return EXIT_USAGE;
		}
	}
	unsigned series = o->nr_policies * o->nr_remotes;
	unsigned total = o->nr_specs * series;
	unsigned nr_runs = total * o->repeat;
	struct bench_result *res = calloc(total, sizeof(*res));
	if (!res) {
		free(specs);
		return EXIT_FAILED;
	}
	if (!o->quiet)
		printf("smmu-bench: %u runs (%u workloads x %u policies x %u "
		       "remote%s), oracle %s, seed %" PRIu64 ", %s CPUs\n\n",
		       nr_runs, o->nr_specs, o->nr_policies, o->nr_remotes,
		       o->repeat > 1 ? " x repetitions" : "",
		       o->oracle ? "on" : "off (timed)", o->seed,
		       o->free_running ? "free-running" : "lockstep");
	fflush(stdout);

	struct bench_progress prog;
	bench_progress_start(&prog, o->progress, stderr, nr_runs);
	unsigned n = 0;
	int st = 0;
	for (unsigned i = 0; i < o->nr_specs && !st; i++)
		st = run_spec(o, &specs[i], &prog, res, &n);
	bench_progress_stop(&prog);
	free(specs);
	if (st) {
		free(res);
		return st;
	}
	if (!o->quiet) {
		bench_report_table(stdout, res, n);
		for (unsigned i = 0; o->verbose && i < n; i++) {
			fputc('\n', stdout);
			bench_report_details(stdout, &res[i]);
		}
	}
	st = outputs(o, res, n, series);
	uint64_t bad = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!res[i].violations)
			continue;
		bad += res[i].violations;
		fprintf(stderr,
			"smmu-bench: VIOLATIONS: %" PRIu64 " in %s under "
			"%s/%s: the guest saw what no real CPU could show it; "
			"these numbers are worthless\n",
			res[i].violations, res[i].workload, res[i].policy,
			bench_remote_names[res[i].remote]);
	}
	free(res);
	return bad ? EXIT_VIOLATIONS : st;
}

/* The subcommand is the first word that is not an option, wherever it
 * stands. */
static const char *take_command(struct options *o)
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

int main(int argc, char **argv)
{
	struct options o;
	char replay[4200];
	int st = parse_args(argc, argv, &o);
	if (st >= 0)
		return st;
	const char *cmd = take_command(&o);
	if (!strcmp(cmd, "probe"))
		return cmd_probe(&o);
	if (!strcmp(cmd, "costs"))
		return cmd_costs();
	if (!strcmp(cmd, "record"))
		return cmd_record(&o);
	if (!strcmp(cmd, "replay")) {
		if (o.nr_specs != 1) {
			fprintf(stderr, "smmu-bench: replay wants one FILE\n");
			return EXIT_USAGE;
		}
		snprintf(replay, sizeof(replay), "replay:%s", o.spec_text[0]);
		o.spec_text[0] = replay;
	}
	return cmd_run(&o);
}
