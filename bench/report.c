/* SPDX-License-Identifier: MIT */
/*
 * Tables, CSV and JSON (report.h). The CSV and the JSON come from one
 * list of named values per run, so that they always agree.
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "costs.h"

double bench_flush_ratio(const struct bench_result *r)
{
	uint64_t hw = bench_flushes(r, -1, -1), req = bench_required(r);
	if (!req)
		return hw ? -1.0 : 1.0;
	return (double)hw / (double)req;
}

/* ---- the table ---- */

static void per_op(FILE *out, int width, const struct bench_result *r,
		   uint64_t n)
{
	fprintf(out, " %*.3f", width, bench_per_op(r, n));
}

void bench_report_table(FILE *out, const struct bench_result *r, unsigned n)
{
	fprintf(out,
		"%-26s %-21s %7s %7s %7s %7s %7s %7s %6s %8s %8s %8s %6s "
		"%4s\n",
		"workload", "policy/remote", "ops", "exits", "flushes", "entry",
		"remote", "req", "hw/req", "collat", "cycles", "native", "ns",
		"viol");
	fprintf(out,
		"%-26s %-21s %7s %7s %7s %7s %7s %7s %6s %8s %8s %8s %6s\n", "",
		"", "", "/op", "/op", "/op", "/op", "/op", "", "/op", "/op",
		"/op", "/op");
	for (unsigned i = 0; i < n; i++) {
		const struct bench_result *x = &r[i];
		char pol[64], ratio[16], ns[16];
		snprintf(pol, sizeof(pol), "%s/%s", x->policy,
			 bench_remote_names[x->remote]);
		double q = bench_flush_ratio(x);
		if (q < 0)
			snprintf(ratio, sizeof(ratio), "inf");
		else
			snprintf(ratio, sizeof(ratio), "%.2f", q);
		if (x->oracle)
			snprintf(ns, sizeof(ns), "-");
		else
			snprintf(ns, sizeof(ns), "%.0f",
				 bench_per_op(x, x->lib_ns));
		fprintf(out, "%-26s %-21s %7" PRIu64, x->workload, pol, x->ops);
		per_op(out, 7, x, bench_exits(x));
		per_op(out, 7, x, bench_flushes(x, -1, -1));
		per_op(out, 7, x, bench_flushes(x, -1, BENCH_AT_ENTRY));
		per_op(out, 7, x,
		       bench_flushes(x, -1, BENCH_BY_IPI) +
			       bench_flushes(x, -1, BENCH_BY_ASSISTED));
		per_op(out, 7, x, bench_required(x));
		fprintf(out, " %6s", ratio);
		per_op(out, 8, x, bench_collateral(x));
		fprintf(out, " %8.0f %8.0f %6s %4" PRIu64 "\n",
			bench_per_op(x, 1) * bench_modelled_cycles(x),
			bench_per_op(x, 1) * bench_native_cycles(x), ns,
			x->violations);
	}
	fprintf(out,
		"\nper guest operation: exits = VM exits; flushes = hardware "
		"TLB flushes, of which\nentry = deferred to VM entry and "
		"remote = on other CPUs; req = the flushes a\nnative CPU "
		"does (the guest's own invalidations); hw/req = flushes / "
		"req;\ncollat = TLB entries flushes dropped while still valid "
		"and not invalidated by\nthe guest; cycles = modelled cost "
		"(bench/COSTS.md), native = the guest's own\nflushes on bare "
		"metal; ns = time inside the library (with --no-oracle "
		"only);\nviol = oracle violations (must be 0). bench/README.md "
		"explains each column.\n");
}

void bench_report_details(FILE *out, const struct bench_result *r)
{
	fprintf(out,
		"%s %s/%s: %" PRIu64 " guest ops (%" PRIu64
		" accesses, %" PRIu64 " stores of which %" PRIu64
		" to page tables, %" PRIu64 " shootdowns)\n",
		r->workload, r->policy, bench_remote_names[r->remote], r->ops,
		r->accesses, r->stores, r->pt_stores, r->guest_shootdowns);
	fprintf(out, "  exits:");
	for (int e = 0; e < BENCH_NR_EXITS; e++)
		fprintf(out, " %s %" PRIu64, bench_exit_names[e], r->exits[e]);
	fprintf(out, "; entries %" PRIu64 "\n", r->entries);
	fprintf(out, "  hardware flushes (scope: entry/exit/ipi/assisted):");
	for (int s = 0; s < BENCH_NR_SCOPES; s++) {
		fprintf(out, " %s", bench_scope_names[s]);
		for (int w = 0; w < BENCH_NR_WHERE; w++)
			fprintf(out, "%c%" PRIu64, w ? '/' : ' ',
				r->flushes[s][w]);
	}
	fprintf(out,
		"\n  IPIs %" PRIu64 " (%" PRIu64 " requests), assisted %" PRIu64
		" (%" PRIu64 " requests)\n",
		r->ipis, r->ipi_requests, r->assisted, r->assisted_requests);
	fprintf(out, "  required (native):");
	for (int s = 0; s < BENCH_NR_SCOPES; s++)
		fprintf(out, " %s %" PRIu64, bench_scope_names[s],
			r->required[s]);
	fprintf(out,
		"; MOV CR3 %" PRIu64 " flushing, %" PRIu64 " not\n"
		"  shadow pages built %" PRIu64 ", zapped %" PRIu64
		", synced %" PRIu64 ", evicted %" PRIu64
		"; emulated writes %" PRIu64 "; root switches %" PRIu64
		", roots rebuilt %" PRIu64 "\n"
		"  flush engine: %" PRIu64 " remote requests to %" PRIu64
		" vCPUs, %" PRIu64 " deferred to entry, %" PRIu64
		" skipped; kicks %" PRIu64 " (%" PRIu64
		" CPUs), assisted %" PRIu64 " (%" PRIu64 " CPUs)\n"
		"  TLB entries dropped by flushes %" PRIu64
		": invalidated by the guest %" PRIu64 ", stale %" PRIu64
		", collateral %" PRIu64 " (%" PRIu64 " translations, %" PRIu64
		" paging-structure); walks %" PRIu64 "\n"
		"  modelled cycles %.0f, native %.0f; violations %" PRIu64,
		r->cr3_flush, r->cr3_noflush, r->sp_built, r->sp_zapped,
		r->sp_synced, r->sp_evicted, r->emulated_writes,
		r->root_switches, r->roots_rebuilt, r->remote_requests,
		r->remote_targets, r->remote_deferred, r->remote_skipped,
		r->kicks, r->kicked_cpus, r->engine_assisted,
		r->engine_assisted_cpus, r->dropped, r->dropped_invalidated,
		r->dropped_stale, bench_collateral(r), r->collateral_tlb,
		r->collateral_psc, r->tlb_walks, bench_modelled_cycles(r),
		bench_native_cycles(r), r->violations);
	if (!r->oracle)
		fprintf(out, "; library %" PRIu64 " ns", r->lib_ns);
	fputc('\n', out);
}

/* ---- CSV and JSON ---- */

enum kind { TEXT, COUNT, REAL, NONE };

struct value {
	char name[40];
	enum kind kind;
	const char *text;
	uint64_t count;
	double real;
};

#define MAX_VALUES 128

struct values {
	struct value v[MAX_VALUES];
	unsigned n;
};

static struct value *add(struct values *vs, const char *name, enum kind kind)
{
	if (vs->n == MAX_VALUES)
		abort(); /* a field added past the table: raise MAX_VALUES */
	struct value *v = &vs->v[vs->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->kind = kind;
	return v;
}

static void text(struct values *vs, const char *name, const char *t)
{
	add(vs, name, TEXT)->text = t;
}

static void count(struct values *vs, const char *name, uint64_t n)
{
	add(vs, name, COUNT)->count = n;
}

static void real(struct values *vs, const char *name, double x, bool known)
{
	struct value *v = add(vs, name, known ? REAL : NONE);
	v->real = x;
}

static void collect(const struct bench_result *r, struct values *vs)
{
	char name[40];
	vs->n = 0;
	text(vs, "workload", r->workload);
	text(vs, "policy", r->policy);
	text(vs, "remote", bench_remote_names[r->remote]);
	count(vs, "oracle", r->oracle);
	count(vs, "vcpus", r->vcpus);
	count(vs, "ops", r->ops);
	count(vs, "accesses", r->accesses);
	count(vs, "stores", r->stores);
	count(vs, "pt_stores", r->pt_stores);
	count(vs, "guest_shootdowns", r->guest_shootdowns);
	count(vs, "cr3_flush", r->cr3_flush);
	count(vs, "cr3_noflush", r->cr3_noflush);
	for (int s = 0; s < BENCH_NR_SCOPES; s++) {
		snprintf(name, sizeof(name), "required_%s",
			 bench_scope_names[s]);
		count(vs, name, r->required[s]);
	}
	count(vs, "required", bench_required(r));
	for (int e = 0; e < BENCH_NR_EXITS; e++) {
		snprintf(name, sizeof(name), "exits_%s", bench_exit_names[e]);
		count(vs, name, r->exits[e]);
	}
	count(vs, "exits", bench_exits(r));
	count(vs, "entries", r->entries);
	for (int s = 0; s < BENCH_NR_SCOPES; s++)
		for (int w = 0; w < BENCH_NR_WHERE; w++) {
			snprintf(name, sizeof(name), "flushes_%s_%s",
				 bench_scope_names[s], bench_where_names[w]);
			count(vs, name, r->flushes[s][w]);
		}
	count(vs, "flushes", bench_flushes(r, -1, -1));
	count(vs, "flushes_at_entry", bench_flushes(r, -1, BENCH_AT_ENTRY));
	count(vs, "flushes_remote",
	      bench_flushes(r, -1, BENCH_BY_IPI) +
		      bench_flushes(r, -1, BENCH_BY_ASSISTED));
	count(vs, "ipis", r->ipis);
	count(vs, "ipi_requests", r->ipi_requests);
	count(vs, "assisted", r->assisted);
	count(vs, "assisted_requests", r->assisted_requests);
	count(vs, "sp_built", r->sp_built);
	count(vs, "sp_zapped", r->sp_zapped);
	count(vs, "sp_synced", r->sp_synced);
	count(vs, "sp_evicted", r->sp_evicted);
	count(vs, "emulated_writes", r->emulated_writes);
	count(vs, "root_switches", r->root_switches);
	count(vs, "roots_rebuilt", r->roots_rebuilt);
	count(vs, "remote_requests", r->remote_requests);
	count(vs, "remote_targets", r->remote_targets);
	count(vs, "remote_deferred", r->remote_deferred);
	count(vs, "remote_skipped", r->remote_skipped);
	count(vs, "kicks", r->kicks);
	count(vs, "kicked_cpus", r->kicked_cpus);
	count(vs, "engine_assisted", r->engine_assisted);
	count(vs, "engine_assisted_cpus", r->engine_assisted_cpus);
	count(vs, "dropped", r->dropped);
	count(vs, "dropped_invalidated", r->dropped_invalidated);
	count(vs, "dropped_stale", r->dropped_stale);
	count(vs, "collateral_tlb", r->collateral_tlb);
	count(vs, "collateral_psc", r->collateral_psc);
	count(vs, "collateral", bench_collateral(r));
	count(vs, "tlb_walks", r->tlb_walks);
	count(vs, "violations", r->violations);
	real(vs, "lib_ns", (double)r->lib_ns, !r->oracle);
	real(vs, "exits_per_op", bench_per_op(r, bench_exits(r)), true);
	real(vs, "flushes_per_op", bench_per_op(r, bench_flushes(r, -1, -1)),
	     true);
	real(vs, "required_per_op", bench_per_op(r, bench_required(r)), true);
	double q = bench_flush_ratio(r);
	real(vs, "flush_ratio", q, q >= 0);
	real(vs, "collateral_per_op", bench_per_op(r, bench_collateral(r)),
	     true);
	real(vs, "cycles_per_op", bench_per_op(r, 1) * bench_modelled_cycles(r),
	     true);
	real(vs, "native_cycles_per_op",
	     bench_per_op(r, 1) * bench_native_cycles(r), true);
	real(vs, "ns_per_op", bench_per_op(r, r->lib_ns), !r->oracle);
}

/* CSV text fields: quoted when they hold a separator or a quote. */
static void csv_text(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

int bench_report_csv(FILE *out, const struct bench_result *r, unsigned n)
{
	struct values vs;
	/* The header comes from the names alone. */
	struct bench_result none = { .policy = "" };
	collect(n ? r : &none, &vs);
	for (unsigned i = 0; i < vs.n; i++)
		fprintf(out, "%s%s", i ? "," : "", vs.v[i].name);
	fputc('\n', out);
	for (unsigned k = 0; k < n; k++) {
		collect(&r[k], &vs);
		for (unsigned i = 0; i < vs.n; i++) {
			const struct value *v = &vs.v[i];
			if (i)
				fputc(',', out);
			if (v->kind == TEXT)
				csv_text(out, v->text);
			else if (v->kind == COUNT)
				fprintf(out, "%" PRIu64, v->count);
			else if (v->kind == REAL)
				fprintf(out, "%.6g", v->real);
			else if (!strcmp(v->name, "flush_ratio"))
				fputs("inf", out);
		}
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}

static void json_text(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

int bench_report_json(FILE *out, const struct bench_result *r, unsigned n)
{
	struct values vs;
	fputs("[\n", out);
	for (unsigned k = 0; k < n; k++) {
		collect(&r[k], &vs);
		fputs("  {", out);
		for (unsigned i = 0; i < vs.n; i++) {
			const struct value *v = &vs.v[i];
			fprintf(out, "%s\"%s\": ", i ? ", " : "", v->name);
			if (v->kind == TEXT)
				json_text(out, v->text);
			else if (v->kind == COUNT)
				fprintf(out, "%" PRIu64, v->count);
			else if (v->kind == REAL)
				fprintf(out, "%.6g", v->real);
			else
				fputs("null", out);
		}
		fprintf(out, "}%s\n", k + 1 < n ? "," : "");
	}
	fputs("]\n", out);
	return ferror(out) ? -1 : 0;
}
