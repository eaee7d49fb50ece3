/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <stdarg.h>
#include <string.h>

#include "machine.h"

#define MAX_ROWS 256

struct row {
	char name[40];
	double value;
	char unit[16];
	double ratio;
	char ratio_to[8];
	bool vs_walk; /* ratio = value / walk, when written */
	char note[120];
};

static struct row rows[MAX_ROWS];
static unsigned nr_rows;
static double walk_ns;

static struct row *add(const char *name, double value, const char *unit,
		       const char *note, va_list ap)
{
	if (nr_rows == MAX_ROWS)
		cb_fail("more than %d result rows", MAX_ROWS);
	struct row *r = &rows[nr_rows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->value = value;
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->ratio = -1;
	if (note)
		vsnprintf(r->note, sizeof(r->note), note, ap);
	return r;
}

void cb_report(const char *name, double value, const char *unit, double ratio,
	       const char *ratio_to, const char *note, ...)
{
	va_list ap;
	va_start(ap, note);
	struct row *r = add(name, value, unit, note, ap);
	va_end(ap);
	r->ratio = ratio;
	snprintf(r->ratio_to, sizeof(r->ratio_to), "%s",
		 ratio >= 0 && ratio_to ? ratio_to : "");
}

void cb_report_time(const char *name, double ns, const char *unit,
		    const char *note, ...)
{
	va_list ap;
	va_start(ap, note);
	struct row *r = add(name, ns, unit, note, ap);
	va_end(ap);
	r->vs_walk = true;
	snprintf(r->ratio_to, sizeof(r->ratio_to), "walk");
}

void cb_report_set_walk(double ns)
{
	walk_ns = ns;
	for (unsigned i = 0; i < nr_rows; i++)
		if (!strcmp(rows[i].name, "walk"))
			rows[i].value = ns;
}

/* The ratio column of r: -1 for none. */
static double ratio_of(const struct row *r)
{
	if (!r->vs_walk)
		return r->ratio;
	return walk_ns > 0 ? r->value / walk_ns : -1;
}

/* Enough digits to read, not more than the noise allows. */
static void format_value(char *buf, size_t size, double v)
{
	double a = v < 0 ? -v : v;
	if (a == 0)
		snprintf(buf, size, "0");
	else if (a >= 1000)
		snprintf(buf, size, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, size, "%.1f", v);
	else if (a >= 0.01)
		snprintf(buf, size, "%.3f", v);
	else
		snprintf(buf, size, "%.2g", v);
}

void cb_report_print(FILE *f)
{
	fprintf(f, "%-28s %10s %-12s %12s  %s\n", "figure", "value", "unit",
		"ratio", "note");
	for (unsigned i = 0; i < nr_rows; i++) {
		const struct row *r = &rows[i];
		char value[32], ratio[32] = "";
		double q = ratio_of(r);
		format_value(value, sizeof(value), r->value);
		if (q >= 0)
			snprintf(ratio, sizeof(ratio), "%.2fx %s", q,
				 r->ratio_to);
		fprintf(f, "%-28s %10s %-12s %12s  %s\n", r->name, value,
			r->unit, ratio, r->note);
	}
}

/* A CSV field: quoted, quotes doubled. */
static void csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

bool cb_report_csv(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return false;
	}
	fprintf(f, "figure,value,unit,ratio,ratio_to,note\n");
	for (unsigned i = 0; i < nr_rows; i++) {
		const struct row *r = &rows[i];
		double q = ratio_of(r);
		fprintf(f, "%s,%.6g,%s,", r->name, r->value, r->unit);
		if (q >= 0)
			fprintf(f, "%.6g", q);
		fprintf(f, ",%s,", q >= 0 ? r->ratio_to : "");
		csv_text(f, r->note);
		fputc('\n', f);
	}
	if (fclose(f)) {
		perror(path);
		return false;
	}
	return true;
}
