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
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "costs.h"
#include "options.h"
#include "plot.h"
#include "probe.h"
#include "progress.h"
#include "report.h"
#include "run.h"
#include "workload.h"

static int cmd_probe(const struct bench_options *o)
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

static int cmd_record(const struct bench_options *o)
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
static int plot(const struct bench_options *o, const struct bench_result *r,
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

static int outputs(const struct bench_options *o, const struct bench_result *r,
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
static int run_repeated(const struct bench_options *o,
			const struct bench_trace *t,
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
static int run_spec(const struct bench_options *o,
		    const struct bench_spec *spec, struct bench_progress *prog,
		    struct bench_result *res, unsigned *nr)
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
				.cached_roots = (uint8_t)o->cached_roots,
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

static int cmd_run(struct bench_options *o)
{
	char err[512];
	if (!o->nr_specs)
		bench_options_add_defaults(o);
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

int main(int argc, char **argv)
{
	struct bench_options o;
	char replay[4200];
	int st = bench_options_parse(argc, argv, &o);
	if (st >= 0)
		return st;
	const char *cmd = bench_options_command(&o);
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
