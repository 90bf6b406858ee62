// SPDX-License-Identifier: BSD-3-Clause
/*
 * `bypasslab report RUN_DIR [--out DIR]`: one run's results as table.txt,
 * cases.csv, plots (gnuplot scripts, data, SVG, PNG) and report.html.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "exitcode.h"
#include "fileutil.h"
#include "html.h"
#include "plot.h"
#include "runset.h"
#include "summary.h"
#include "table.h"

/* ---- table.txt -------------------------------------------------------------- */

static void run_header(FILE *f, const struct runset *rs)
{
	json_t *m = rs->run ? json_object_get(rs->run, "machine")
			    : json_object_get(rs->cases[0], "machine");
	int nok = 0;

	for (int i = 0; i < rs->ncases; i++)
		nok += !strcmp(rs_str(rs->cases[i], "status"), "ok");
	fprintf(f, "bypasslab report: %s, run %s", rs_str(json_object_get(rs->cases[0], "params"),
							  "name"),
		rs->run ? rs_str(rs->run, "run_id") : rs_str(rs->cases[0], "run_id"));
	if (rs->run)
		fprintf(f, " (%s, %s)", rs_str(rs->run, "config"), rs_str(rs->run, "status"));
	fprintf(f, "\n%d case(s), %d ok, %d combination(s)\n", rs->ncases, nok, rs->ncombos);
	for (int i = 0; i < rs->ncases; i++)
		table_disturbed_line(f, rs->cases[i], "");
	if (m) {
		double hz = 0;

		rs_num(m, "tsc_hz", &hz);
		fprintf(f, "machine: %s, %d CPU(s), kernel %s, TSC %.3f GHz, bridge-nf-call-iptables=%d\n",
			rs_str(m, "cpu_model"), (int)json_integer_value(json_object_get(m, "cpus_online")),
			rs_str(m, "kernel"), hz / 1e9,
			(int)json_integer_value(json_object_get(m, "bridge_nf_call_iptables")));
	}
	fputc('\n', f);
}

static int write_table(const struct runset *rs, const struct ttable *t, int nt, const char *path)
{
	char tmp[PATH_MAX + 8];
	FILE *f = file_open_tmp(path, tmp, sizeof(tmp));

	if (!f)
		return -errno;
	run_header(f, rs);
	for (int i = 0; i < nt; i++) {
		ttable_print(f, &t[i]);
		fputc('\n', f);
	}
	if (nt)
		fprintf(f, "%s\n", t[0].note);
	if (summary_outliers(NULL, rs, 0)) {
		fprintf(f, "\nOutliers (beyond 1.5 IQR of their set; kept in the statistics):\n");
		summary_outliers(f, rs, 0);
	}
	return file_commit(f, tmp, path, 0);
}

/* ---- cases.csv -------------------------------------------------------------- */

/* Flatten every scalar of a result into path -> value. Arrays of objects are
 * keyed by each element's "name" when it has one (syscalls, categories,
 * softirqs: stable across cases), by position otherwise; arrays of plain
 * numbers are histograms, left to result.json and the plot data. */
static void flatten(json_t *j, const char *prefix, json_t *row, json_t *cols, int *ncols)
{
	char key[1024];
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", k);
			flatten(v, key, row, cols, ncols);
		}
		return;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			const char *name = json_string_value(json_object_get(v, "name"));

			if (!json_is_object(v))
				return;
			if (name)
				snprintf(key, sizeof(key), "%s.%s", prefix, name);
			else
				snprintf(key, sizeof(key), "%s.%zu", prefix, i);
			flatten(v, key, row, cols, ncols);
		}
		return;
	}
	if (!json_object_get(cols, prefix))
		json_object_set_new(cols, prefix, json_integer((*ncols)++));
	json_object_set(row, prefix, j);
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int write_csv(const struct runset *rs, const char *path)
{
	static const char *const first[] = { "case", "case_dir", "status", "error", "run_id", NULL };
	char tmp[PATH_MAX + 8];
	json_t *cols = json_object(), **rows = calloc((size_t)rs->ncases, sizeof(json_t *));
	const char **names = NULL;
	int ncols = 0, err = 0;
	const char *k;
	json_t *v;
	FILE *f;

	if (!cols || !rows) {
		err = -ENOMEM;
		goto out;
	}
	/* Identity first, then the parameters, then everything else in file order. */
	for (int i = 0; first[i]; i++)
		json_object_set_new(cols, first[i], json_integer(ncols++));
	for (int i = 0; i < rs->ncases; i++) {
		rows[i] = json_object();
		flatten(json_object_get(rs->cases[i], "params"), "params", rows[i], cols, &ncols);
	}
	for (int i = 0; i < rs->ncases; i++) {
		json_object_foreach(rs->cases[i], k, v) {
			if (!strcmp(k, "params"))
				continue;
			flatten(v, k, rows[i], cols, &ncols);
		}
	}
	names = calloc((size_t)ncols, sizeof(char *));
	if (!names) {
		err = -ENOMEM;
		goto out;
	}
	json_object_foreach(cols, k, v)
		names[json_integer_value(v)] = k;
	f = file_open_tmp(path, tmp, sizeof(tmp));
	if (!f) {
		err = -errno;
		goto out;
	}
	for (int c = 0; c < ncols; c++) {
		if (c)
			fputc(',', f);
		csv_field(f, names[c]);
	}
	fputc('\n', f);
	for (int i = 0; i < rs->ncases; i++) {
		for (int c = 0; c < ncols; c++) {
			json_t *x = json_object_get(rows[i], names[c]);
			char b[64];

			if (c)
				fputc(',', f);
			if (json_is_string(x))
				csv_field(f, json_string_value(x));
			else if (json_is_integer(x))
				fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(x));
			else if (json_is_real(x)) {
				snprintf(b, sizeof(b), "%.10g", json_real_value(x));
				fputs(b, f);
			} else if (json_is_boolean(x))
				fputs(json_is_true(x) ? "true" : "false", f);
		}
		fputc('\n', f);
	}
	err = file_commit(f, tmp, path, 0);
out:
	for (int i = 0; rows && i < rs->ncases; i++)
		json_decref(rows[i]);
	free(rows);
	free(names);
	json_decref(cols);
	return err;
}

/* ---- the command ----------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: bypasslab report RUN_DIR [--out DIR]\n"
		   "  RUN_DIR    one run's directory (results/RUN_ID, with NNN-*/result.json)\n"
		   "  --out DIR  write there instead of into RUN_DIR\n"
		   "Writes table.txt, cases.csv, plots/ (gnuplot scripts, data, SVG, PNG) and "
		   "report.html, and lists them.\n");
}

/* The files written, relative to the output directory, for the listing. */
struct outfiles {
	char *name[64];
	int n;
};

static void __attribute__((format(printf, 2, 3))) outfiles_add(struct outfiles *o,
								const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->n >= 64)
		return;
	va_start(ap, fmt);
	r = vasprintf(&o->name[o->n], fmt, ap);
	va_end(ap);
	if (r > 0)
		o->n++;
}

static void outfiles_free(struct outfiles *o)
{
	for (int i = 0; i < o->n; i++)
		free(o->name[i]);
}

/* Options: -1 to go on (*dir, *out set), else the exit code. */
static int report_args(int argc, char **argv, const char **dir, const char **out)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	*out = NULL;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			*out = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* "results/RUN/" and "results/RUN" name the same run. */
	for (size_t l = strlen(argv[optind]); l > 1 && argv[optind][l - 1] == '/'; l--)
		argv[optind][l - 1] = 0;
	*dir = argv[optind];
	if (!*out)
		*out = *dir;
	return -1;
}

/* table.txt and cases.csv. 0, or -errno with the message printed. */
static int write_text(const struct runset *rs, const struct ttable *t, int nt, const char *out,
		      struct outfiles *of)
{
	char path[PATH_MAX + 32];
	int r;

	snprintf(path, sizeof(path), "%s/table.txt", out);
	r = write_table(rs, t, nt, path);
	if (r)
		goto fail;
	outfiles_add(of, "table.txt");
	snprintf(path, sizeof(path), "%s/cases.csv", out);
	r = write_csv(rs, path);
	if (r)
		goto fail;
	outfiles_add(of, "cases.csv");
	return 0;
fail:
	fprintf(stderr, "bypasslab report: %s: %s\n", path, strerror(-r));
	return r;
}

/* plots/ and report.html. 0, or -errno with the message printed. */
static int write_pages(const struct runset *rs, const struct ttable *t, int nt, const char *out,
		       struct outfiles *of)
{
	static const char *const ext[] = { "svg", "png", "gp", "dat" };
	char err[PATH_MAX + 256] = "", path[PATH_MAX + 32], plotdir[PATH_MAX + 8];
	struct plot *p = NULL;
	int np = 0, r;

	snprintf(plotdir, sizeof(plotdir), "%s/plots", out);
	r = plot_all(rs, plotdir, &p, &np, err, sizeof(err));
	if (r) {
		fprintf(stderr, "bypasslab report: %s\n", err);
		return r;
	}
	for (int i = 0; i < np; i++)
		for (int e = 0; e < 4; e++)
			outfiles_add(of, "plots/%s.%s", p[i].name, ext[e]);
	snprintf(path, sizeof(path), "%s/report.html", out);
	/* The page lists itself first among the files. */
	r = html_write(rs, t, nt, p, np, plotdir, (const char *const *)of->name, of->n,
		       summary_outliers(NULL, rs, 0), path);
	if (r)
		fprintf(stderr, "bypasslab report: %s: %s\n", path, strerror(-r));
	free(p);
	return r;
}

int do_report(int argc, char **argv)
{
	char err[PATH_MAX + 256] = "";
	const char *dir, *out;
	struct outfiles of = { 0 };
	struct ttable *t = NULL;
	struct runset rs;
	int nt = 0, r, ret;

	ret = report_args(argc, argv, &dir, &out);
	if (ret >= 0)
		return ret;
	r = runset_load(dir, &rs, err, sizeof(err));
	if (r) {
		fprintf(stderr, "bypasslab report: %s\n", err);
		return r == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	ret = EXIT_FAIL;
	r = mkdir_p(out);
	if (r) {
		fprintf(stderr, "bypasslab report: %s: %s\n", out, strerror(-r));
		goto done;
	}
	r = summary_tables(&rs, &t, &nt);
	if (r) {
		fprintf(stderr, "bypasslab report: %s\n", strerror(-r));
		goto done;
	}
	if (write_text(&rs, t, nt, out, &of) || write_pages(&rs, t, nt, out, &of))
		goto done;
	printf("%s/report.html\n", out);
	for (int i = 0; i < of.n; i++)
		printf("%s/%s\n", out, of.name[i]);
	ret = EXIT_OK;
done:
	outfiles_free(&of);
	summary_free(t, nt);
	runset_free(&rs);
	return ret;
}
