/* SPDX-License-Identifier: MIT */
/*
 * The workload table, specs ("ctxsw:kpti:procs=8", "replay:FILE") and the
 * builders' randomness.
 */
#include "workload.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const struct bench_workload *const bench_workloads[] = {
	&bench_wl_ctxsw,
	&bench_wl_shootdown,
	&bench_wl_forkexec,
	&bench_wl_pressure,
	NULL,
};

uint64_t bench_rng_next(struct bench_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint64_t bench_rng_below(struct bench_rng *r, uint64_t n)
{
	return bench_rng_next(r) % n;
}

static const struct bench_workload *find_workload(const char *name, size_t len)
{
	for (unsigned i = 0; bench_workloads[i]; i++)
		if (strlen(bench_workloads[i]->name) == len &&
		    !strncmp(bench_workloads[i]->name, name, len))
			return bench_workloads[i];
	return NULL;
}

static int unknown_workload(const char *text, size_t len, char *err,
			    size_t err_len)
{
	int n = snprintf(err, err_len,
			 "no workload '%.*s'; there are:", (int)len, text);
	for (unsigned i = 0; bench_workloads[i] && n > 0; i++)
		n += snprintf(err + n, err_len > (size_t)n ? err_len - n : 0,
			      " %s", bench_workloads[i]->name);
	if (n > 0)
		snprintf(err + n, err_len > (size_t)n ? err_len - n : 0,
			 " replay:FILE");
	return -1;
}

/* Which parameter a token sets, and to what. */
static int parse_token(const struct bench_workload *wl, const char *tok,
		       unsigned *param, uint64_t *value, char *err,
		       size_t err_len)
{
	const char *eq = strchr(tok, '=');
	const struct bench_param *p;
	if (!eq) {
		/* A bare word: a value of one of the enumerations. */
		for (unsigned i = 0; wl->params[i].name; i++) {
			p = &wl->params[i];
			for (unsigned c = 0; p->choices && p->choices[c]; c++) {
				if (!strcmp(p->choices[c], tok)) {
					*param = i;
					*value = c;
					return 0;
				}
			}
		}
		snprintf(err, err_len,
			 "%s: '%s' is no parameter (KEY=VALUE) and no value "
			 "of one",
			 wl->name, tok);
		return -1;
	}
	size_t klen = (size_t)(eq - tok);
	for (unsigned i = 0; wl->params[i].name; i++) {
		p = &wl->params[i];
		if (strlen(p->name) != klen || strncmp(p->name, tok, klen))
			continue;
		*param = i;
		for (unsigned c = 0; p->choices && p->choices[c]; c++) {
			if (!strcmp(p->choices[c], eq + 1)) {
				*value = c;
				return 0;
			}
		}
		char *end;
		errno = 0;
		unsigned long long v = strtoull(eq + 1, &end, 10);
		if (p->choices || errno || end == eq + 1 || *end ||
		    eq[1] == '-' || v < p->min || v > p->max) {
			if (p->choices)
				snprintf(err, err_len,
					 "%s: %s is one of the names --help "
					 "lists, not '%s'",
					 wl->name, p->name, eq + 1);
			else
				snprintf(err, err_len,
					 "%s: %s wants %llu..%llu, not '%s'",
					 wl->name, p->name,
					 (unsigned long long)p->min,
					 (unsigned long long)p->max, eq + 1);
			return -1;
		}
		*value = v;
		return 0;
	}
	snprintf(err, err_len, "%s has no parameter '%.*s' (see --help)",
		 wl->name, (int)klen, tok);
	return -1;
}

static uint64_t scaled_default(const struct bench_param *p, double scale)
{
	if (!p->scaled)
		return p->def;
	double v = nearbyint((double)p->def * scale);
	if (v < (double)p->min)
		return p->min;
	return v > (double)p->max ? p->max : (uint64_t)v;
}

int bench_spec_parse(const char *text, double scale, struct bench_spec *out,
		     char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	const char *colon = strchr(text, ':');
	size_t nlen = colon ? (size_t)(colon - text) : strlen(text);
	if (nlen == 6 && !strncmp(text, "replay", 6)) {
		if (!colon || !colon[1]) {
			snprintf(err, err_len,
				 "replay wants a file: replay:FILE");
			return -1;
		}
		snprintf(out->path, sizeof(out->path), "%s", colon + 1);
		const char *base = strrchr(out->path, '/');
		/* A long file name is cut in the tables' label only. */
		snprintf(out->label, sizeof(out->label), "replay:%.*s",
			 (int)sizeof(out->label) - 8,
			 base ? base + 1 : out->path);
		return 0;
	}
	const struct bench_workload *wl = find_workload(text, nlen);
	if (!wl)
		return unknown_workload(text, nlen, err, err_len);
	out->wl = wl;
	bool given[BENCH_MAX_PARAMS] = { false };
	for (unsigned i = 0; wl->params[i].name; i++)
		out->val[i] = scaled_default(&wl->params[i], scale);

	char copy[1024];
	snprintf(copy, sizeof(copy), "%s", colon ? colon + 1 : "");
	for (char *save = NULL, *tok = strtok_r(copy, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		unsigned param;
		uint64_t value;
		if (parse_token(wl, tok, &param, &value, err, err_len))
			return -1;
		if (given[param]) {
			snprintf(err, err_len, "%s: %s is set twice", wl->name,
				 wl->params[param].name);
			return -1;
		}
		given[param] = true;
		out->val[param] = value;
	}
	/* The name and what was set, in the table's order. */
	char *l = out->label;
	size_t n = (size_t)snprintf(l, sizeof(out->label), "%s", wl->name);
	for (unsigned i = 0; wl->params[i].name; i++) {
		const struct bench_param *p = &wl->params[i];
		if (!given[i] || n >= sizeof(out->label))
			continue;
		if (p->choices)
			n += (size_t)snprintf(l + n, sizeof(out->label) - n,
					      ":%s", p->choices[out->val[i]]);
		else
			n += (size_t)snprintf(l + n, sizeof(out->label) - n,
					      ":%s=%llu", p->name,
					      (unsigned long long)out->val[i]);
	}
	return 0;
}

int bench_spec_trace(const struct bench_spec *s, uint64_t seed,
		     struct bench_trace *t, char *err, size_t err_len)
{
	if (!s->wl)
		return bench_trace_load(s->path, t, err, err_len);
	struct bench_trace built;
	bench_trace_init(&built);
	int r = s->wl->build(&built, s->val, seed, err, err_len);
	if (!r)
		bench_trace_move(t, &built);
	bench_trace_fini(&built);
	return r;
}
