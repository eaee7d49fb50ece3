/* SPDX-License-Identifier: MIT */
/*
 * The plot (plot.h): a gnuplot script piped to gnuplot. Bars of series j
 * for workload w stand at w * (series + 1) + j, so that each workload's
 * bars are grouped with a gap after them; `every series::j` picks series
 * j's rows from the CSV.
 */
#include "plot.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "policy.h"

static const char *extension(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot && !strchr(dot, '/') ? dot + 1 : "";
}

bool bench_plot_format_ok(const char *out_path)
{
	const char *ext = extension(out_path);
	return !strcmp(ext, "svg") || !strcmp(ext, "png");
}

static void script(FILE *gp, const char *csv, const char *out,
		   const struct bench_result *r, unsigned n, unsigned series)
{
	bool svg = !strcmp(extension(out), "svg");
	unsigned workloads = n / series;
	fprintf(gp,
		"set terminal %s size 1100,1000 noenhanced font "
		"\"sans,10\"\n",
		svg ? "svg dynamic" : "pngcairo");
	fprintf(gp, "set output \"%s\"\n", out);
	fputs("set datafile separator \",\"\n"
	      "set datafile columnheaders\n"
	      "set style fill solid 0.85 border -1\n"
	      "set boxwidth 0.9\n"
	      "set grid ytics\n"
	      "set xtics rotate by -25 left nomirror scale 0\n"
	      "set yrange [0:*]\n"
	      "set lmargin 12\n"
	      "set rmargin 24\n",
	      gp);
	fprintf(gp, "S = %u\nset xrange [-1:%u]\n", series,
		workloads * (series + 1) - 1);
	fputs("series = \"", gp);
	for (unsigned j = 0; j < series; j++)
		fprintf(gp, "%s%s/%s", j ? " " : "", r[j].policy,
			bench_remote_names[r[j].remote]);
	fputs("\"\n", gp);
	fputs("set multiplot layout 3,1 title \"smmu-bench: per guest "
	      "operation (bench/README.md)\"\n",
	      gp);
	static const char *const panel[][2] = {
		{ "flushes_per_op", "hardware TLB flushes" },
		{ "collateral_per_op",
		  "collateral: TLB entries flushed while valid" },
		{ "cycles_per_op", "modelled cycles (bench/COSTS.md)" },
	};
	for (unsigned k = 0; k < 3; k++) {
		fprintf(gp, "set title \"%s\"\n", panel[k][1]);
		fprintf(gp, "%s\n",
			k ? "unset key" : "set key outside right top");
		fprintf(gp,
			"plot for [j=0:S-1] \"%s\" every S::j using "
			"(column(0)*(S+1)+j):(column(\"%s\")) with boxes "
			"title word(series, j+1), \\\n"
			"  \"%s\" every S using "
			"(column(0)*(S+1)+(S-1)/2.0):(0):xtic(1) with points "
			"pt -1 notitle\n",
			csv, panel[k][0], csv);
	}
	fputs("unset multiplot\n", gp);
}

int bench_plot(const char *csv_path, const char *out_path,
	       const struct bench_result *r, unsigned n, unsigned series,
	       char *err, size_t err_len)
{
	if (!bench_plot_format_ok(out_path)) {
		snprintf(err, err_len,
			 "--plot wants a .svg or .png file, not "
			 "'%s'",
			 out_path);
		return -1;
	}
	if (strchr(out_path, '"') || strchr(csv_path, '"')) {
		snprintf(err, err_len, "--plot: no '\"' in file names, please");
		return -1;
	}
	if (!n || !series || n % series) {
		snprintf(err, err_len, "nothing to plot");
		return -1;
	}
	/* A gnuplot that is missing or dies must not kill us by SIGPIPE. */
	void (*was)(int) = signal(SIGPIPE, SIG_IGN);
	FILE *gp = popen("gnuplot", "w");
	if (!gp) {
		signal(SIGPIPE, was);
		snprintf(err, err_len, "cannot start gnuplot");
		return -1;
	}
	script(gp, csv_path, out_path, r, n, series);
	int st = pclose(gp);
	signal(SIGPIPE, was);
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		snprintf(err, err_len,
			 "gnuplot is not installed (Debian: "
			 "apt-get install gnuplot-nox)");
		return -1;
	}
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, err_len, "gnuplot failed to draw %s", out_path);
		return -1;
	}
	return 0;
}
