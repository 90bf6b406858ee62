// SPDX-License-Identifier: BSD-3-Clause
/*
 * gnuplot scripts and data for the report's plots, run with posix_spawn (no
 * shell: paths and labels never pass through one).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "plot.h"
#include "plot_priv.h"
#include "utf8.h"

extern char **environ;

#define BAR_PX 30
#define WIDTH_PX 1000

/* Shared look: light grid, no top/right border, sans text, no enhanced-text
 * markup (labels such as NET_RX would turn into subscripts). */
static const char *const preamble =
	"set encoding utf8\n"
	"set termoption noenhanced\n"
	"set border 3 lc rgb '#888888'\n"
	"set tics nomirror tc rgb '#333333'\n"
	"set grid lc rgb '#e6e6e6' lw 1\n"
	"set key tc rgb '#222222' noautotitle\n";

static FILE *open_in(const char *dir, const char *name, const char *ext)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	return fopen(path, "w");
}

/* Terminal lines: the SVG first, then the same plot as PNG via replot. */
static void term_svg(FILE *f, const char *name, int w, int h)
{
	fprintf(f,
		"set terminal svg size %d,%d dynamic noenhanced font 'DejaVu Sans,13' "
		"background rgb 'white'\n",
		w, h);
	fprintf(f, "set output '%s.svg'\n", name);
}

static void term_png(FILE *f, const char *name, int w, int h)
{
	fprintf(f,
		"set terminal pngcairo size %d,%d noenhanced font 'DejaVu Sans,10' "
		"background rgb 'white'\n",
		w, h);
	fprintf(f, "set output '%s.png'\nreplot\nset output\n", name);
}

/* gnuplot strings are single-quoted in scripts, double-quoted in data. */
static void q(FILE *f, const char *s, char quote)
{
	fputc(quote, f);
	for (; *s; s++)
		fputc(*s != quote ? *s : quote == '"' ? '\'' : '"', f);
	fputc(quote, f);
}

static int run_gnuplot(const char *dir, const char *name, char *err, size_t errlen)
{
	char script[96], log[96], path[PATH_MAX];
	char *argv[] = { "gnuplot", script, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	snprintf(script, sizeof(script), "%s.gp", name);
	snprintf(log, sizeof(log), "%s.log", name);
	posix_spawn_file_actions_init(&fa);
	/* Relative names in the script: the plot directory stays relocatable. */
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		snprintf(err, errlen, "cannot run gnuplot: %s (make deps installs gnuplot-nox)",
			 strerror(rc));
		return -rc;
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", dir, log);
	/* A missing gnuplot shows as exit 127 from the spawned child. */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		unlink(path);
		snprintf(err, errlen, "gnuplot not found (make deps installs gnuplot-nox)");
		return -ENOENT;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		char line[256] = "";
		FILE *f = fopen(path, "r");

		while (f && fgets(line, sizeof(line), f))
			if (line[0] != '\n' && strspn(line, " ^\n") != strlen(line))
				break;
		if (f)
			fclose(f);
		line[strcspn(line, "\n")] = 0;
		snprintf(err, errlen, "gnuplot %s/%s failed: %s (see %s)", dir, script, line, path);
		return -EIO;
	}
	unlink(path);
	return 0;
}

static int close_checked(FILE *f)
{
	int bad = ferror(f);

	return fclose(f) || bad ? -EIO : 0;
}

/* What plot_search.c shares of the above. */
const char *plot_preamble(void)
{
	return preamble;
}

FILE *plot_open(const char *dir, const char *name, const char *ext)
{
	return open_in(dir, name, ext);
}

void plot_terms(FILE *f, const char *name, int png, int w, int h)
{
	if (png)
		term_png(f, name, w, h);
	else
		term_svg(f, name, w, h);
}

void plot_quote(FILE *f, const char *s, char quote)
{
	q(f, s, quote);
}

int plot_close(FILE *f)
{
	return close_checked(f);
}

/* ---- ns/packet breakdown ------------------------------------------------------ */

/* What a breakdown plot draws: the groups big enough to see get their own
 * segment; the rest share one, and "unattributed" gets one where it shows. */
struct bd_plan {
	int pp;
	int *use;          /* indexes into rs->groups, in path order */
	int nuse;
	int small;         /* a "smaller groups" segment */
	int unatt;         /* an "unattributed" segment */
	int nb;            /* segments per bar */
	int nbars;         /* cores of the combinations shown */
	double peak;       /* the longest bar, ns */
};

static double positive(double v)
{
	return v > 0 ? v : 0;
}

/* The longest bar, each group's and unattributed's largest value. */
static void bd_scan(const struct runset *rs, struct bd_plan *b, double *peakg, double *unatt_peak)
{
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];

		if (k->pingpong != b->pp || !k->nok)
			continue;
		for (int c = 0; c < k->ncores; c++) {
			double t = 0;

			b->nbars++;
			for (int j = 0; j < rs->ngroups; j++) {
				double v = k->core[c].groups[j].st.n ? k->core[c].groups[j].st.mean : 0;

				t += positive(v);
				if (v > peakg[j])
					peakg[j] = v;
			}
			if (k->core[c].unattributed.st.mean > *unatt_peak)
				*unatt_peak = k->core[c].unattributed.st.mean;
			t += positive(k->core[c].unattributed.st.mean);
			if (t > b->peak)
				b->peak = t;
		}
	}
}

/* 0, or -ENOMEM; b->nbars == 0 when there is nothing to draw. */
static int bd_plan_make(const struct runset *rs, int pp, struct bd_plan *b)
{
	double *peakg = calloc((size_t)rs->ngroups + 1, sizeof(double)), unatt_peak = 0;

	memset(b, 0, sizeof(*b));
	b->pp = pp;
	b->use = calloc((size_t)rs->ngroups + 2, sizeof(int));
	if (!b->use || !peakg) {
		free(peakg);
		return -ENOMEM;
	}
	bd_scan(rs, b, peakg, &unatt_peak);
	/* Groups too small to see anywhere share one segment, so the legend
	 * names only what a reader can find in the picture. */
	for (int j = 0; j < rs->ngroups; j++) {
		if (peakg[j] >= 0.01 * b->peak)
			b->use[b->nuse++] = j;
		else if (peakg[j] > 0)
			b->small = 1;
	}
	b->unatt = unatt_peak >= 0.01 * b->peak;
	b->nb = b->nuse + b->small + b->unatt;
	free(peakg);
	return 0;
}

static void bd_describe(struct plot *p, int pp)
{
	snprintf(p->name, sizeof(p->name), "breakdown-%s", pp ? "pingpong" : "throughput");
	snprintf(p->title, sizeof(p->title), "Where a %s's time goes",
		 pp ? "transaction" : "packet");
	snprintf(p->caption, sizeof(p->caption),
		 "Each bar is one core (a: the %s's, b: the %s's); its length is that core's "
		 "busy time divided by its packets%s, split by attribution group in the order a "
		 "packet meets them. On a veth path the receive side up to the socket queue "
		 "runs on the sender's core. Grey: other tasks on the core and time the probes "
		 "did not see.",
		 pp ? "client" : "sender", pp ? "server" : "receiver",
		 pp ? " (transactions)" : "");
	p->prominent = 1;
}

/* What the groups not drawn on their own add up to on one core. */
static double bd_rest(const struct runset *rs, const struct bd_plan *b, const struct rs_core *o)
{
	double rest = 0;

	for (int j = 0; j < rs->ngroups; j++) {
		int shown = 0;

		for (int u = 0; u < b->nuse; u++)
			shown |= b->use[u] == j;
		if (!shown && o->groups[j].st.n && o->groups[j].st.mean > 0)
			rest += o->groups[j].st.mean;
	}
	return rest;
}

/* One bar: its label, its position and each segment's cumulative end. */
static void bd_bar(FILE *d, const struct runset *rs, const struct bd_plan *b,
		   const struct rs_core *o, const char *label, double y, int *lw)
{
	char bar[400];
	double cum = 0;

	snprintf(bar, sizeof(bar), "%s · %s", label, o->label);
	if (utf8_width(bar) > *lw)
		*lw = utf8_width(bar);
	q(d, bar, '"');
	fprintf(d, " %.2f 0", y);
	for (int j = 0; j < b->nuse; j++) {
		const struct rs_val *v = &o->groups[b->use[j]];

		cum += v->st.n && v->st.mean > 0 ? v->st.mean : 0;
		fprintf(d, " %.1f", cum);
	}
	if (b->small)
		fprintf(d, " %.1f", cum += bd_rest(rs, b, o));
	if (b->unatt)
		fprintf(d, " %.1f", cum += positive(o->unattributed.st.mean));
	fprintf(d, "\n");
}

/* The data file; returns the y below the last bar. */
static double bd_data(FILE *d, const struct runset *rs, const struct bd_plan *b, int *lw)
{
	double y = 0;

	fprintf(d, "# bar  y  cumulative ns/pkt at each segment boundary:");
	for (int j = 0; j < b->nuse; j++)
		fprintf(d, " | %s", rs->groups[b->use[j]]);
	if (b->small)
		fprintf(d, " | smaller groups");
	if (b->unatt)
		fprintf(d, " | unattributed");
	fprintf(d, "\n");
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];
		char label[256];

		if (k->pingpong != b->pp || !k->nok)
			continue;
		rs_params_label_skip(rs, k->params, "pattern", label, sizeof(label));
		for (int c = 0; c < k->ncores; c++) {
			bd_bar(d, rs, b, &k->core[c], label, y, lw);
			y -= 1;
		}
		y -= 0.5; /* a gap between combinations */
	}
	return y;
}

/* The legend: each segment's name and colour, in bar order. */
static void bd_legend(FILE *g, const struct runset *rs, const struct bd_plan *b)
{
	fprintf(g, "NB = %d\narray gname[NB]\narray gcol[NB]\n", b->nb);
	for (int j = 0; j < b->nuse; j++) {
		fprintf(g, "gname[%d] = ", j + 1);
		q(g, rs->groups[b->use[j]], '\'');
		fprintf(g, "; gcol[%d] = '%s'\n", j + 1, rs_group_color(rs->groups[b->use[j]]));
	}
	if (b->small)
		fprintf(g, "gname[%d] = 'smaller groups'; gcol[%d] = '#dcdcdc'\n", b->nuse + 1,
			b->nuse + 1);
	if (b->unatt)
		fprintf(g, "gname[%d] = 'unattributed'; gcol[%d] = '%s'\n", b->nb, b->nb,
			rs_group_color("unattributed"));
}

static void bd_script(FILE *g, const struct runset *rs, const struct bd_plan *b,
		      const struct plot *p, double y, int lw)
{
	const char *unit = b->pp ? "transaction" : "packet";
	int h = 150 + b->nbars * BAR_PX + (int)((rs->ncombos) * BAR_PX / 2) + ((b->nb + 3) / 4) * 22;

	fprintf(g, "# The ns/packet breakdown: horizontal stacked bars drawn as boxes\n"
		   "# between cumulative boundaries (data: %s.dat).\n",
		p->name);
	term_svg(g, p->name, WIDTH_PX, h);
	fputs(preamble, g);
	bd_legend(g, rs, b);
	fprintf(g,
		"set style fill solid 1.0 border lc rgb 'white'\n"
		"set key outside top center horizontal reverse Left maxcols 4 samplen 1.4 "
		"spacing 1.15 width 1\n"
		"set grid noytics xtics\n"
		"set ytics scale 0 font ',12'\n"
		"set xtics out\n"
		"set xlabel 'ns per %s (each core: busy time / its %ss)' tc rgb '#333333'\n"
		"set yrange [%.2f:0.7]\n"
		"set xrange [0:%g]\n"
		"set lmargin %d\nset bmargin 4\n"
		"minlabel = %g\n",
		unit, unit, y + 0.3, b->peak * 1.2 + 1, lw * 23 / 20 + 2, b->peak * 0.055);
	fprintf(g,
		"plot for [i=1:NB] '%s.dat' using ((column(i+2)+column(i+3))/2):2:(column(i+2)):"
		"(column(i+3)):($2-0.38):($2+0.38):ytic(1) with boxxyerror fc rgb gcol[i] "
		"title gname[i], \\\n"
		"     for [i=1:NB] '%s.dat' using ((column(i+2)+column(i+3))/2):2:"
		"((column(i+3)-column(i+2)) >= minlabel ? sprintf('%%.0f', column(i+3)-column(i+2)) : '') "
		"with labels tc rgb '#1b1b1b' font ',10' notitle, \\\n"
		"     '%s.dat' using (column(NB+3)):2:(sprintf('  %%.0f ns', column(NB+3))) "
		"with labels left tc rgb '#111111' font ',12' notitle\n",
		p->name, p->name, p->name);
	term_png(g, p->name, WIDTH_PX, h);
}

/* The ns/packet stacked bars of one pattern: 1 written, 0 nothing to draw,
 * or -errno. */
static int breakdown(const struct runset *rs, const char *dir, int pp, struct plot *p)
{
	struct bd_plan b;
	FILE *d = NULL, *g = NULL;
	int err, lw = 10;
	double y;

	err = bd_plan_make(rs, pp, &b);
	if (err || !b.nbars)
		goto out;
	bd_describe(p, pp);
	d = open_in(dir, p->name, "dat");
	g = open_in(dir, p->name, "gp");
	if (!d || !g) {
		err = -errno;
		goto out;
	}
	y = bd_data(d, rs, &b, &lw);
	bd_script(g, rs, &b, p, y, lw);
	err = close_checked(d) ?: close_checked(g);
	d = g = NULL;
out:
	if (d)
		fclose(d);
	if (g)
		fclose(g);
	free(b.use);
	return err ? err : b.nbars ? 1 : 0;
}

/* ---- pps vs frame size -------------------------------------------------------- */

static int distinct(const struct runset *rs, const char *key)
{
	double seen[64];
	int n = 0;

	for (int i = 0; i < rs->ncombos && n < 64; i++) {
		const struct rs_combo *k = &rs->combos[i];
		double x = 0;
		int dup = 0;

		if (k->pingpong || !k->m[RM_PPS].st.n)
			continue;
		rs_num(k->params, key, &x);
		for (int j = 0; j < n; j++)
			dup |= seen[j] == x;
		if (!dup)
			seen[n++] = x;
	}
	return n;
}

/* One frame size: a line through one point says nothing, bars do. */
static int pps_bars(const struct runset *rs, const char *dir, struct plot *p)
{
	int nbars = 0, err = 0, h, lw = 10;
	double peak = 0, y = 0, size = 0;
	FILE *d = NULL, *g = NULL;

	snprintf(p->name, sizeof(p->name), "pps-vs-size");
	d = open_in(dir, p->name, "dat");
	g = open_in(dir, p->name, "gp");
	if (!d || !g) {
		err = -errno;
		goto out;
	}
	fprintf(d, "# bar  y  pps  ci95_lo  ci95_hi  text\n");
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];
		const struct rs_val *v = &k->m[RM_PPS];
		char label[256], t[96];
		double ci = isfinite(v->st.ci95) ? v->st.ci95 : 0;

		if (k->pingpong || !v->st.n)
			continue;
		rs_num(k->params, "size", &size);
		rs_params_label_skip(rs, k->params, "size pattern", label, sizeof(label));
		if (utf8_width(label) > lw)
			lw = utf8_width(label);
		rs_fmt_val(t, sizeof(t), v, 1, 1, 0);
		q(d, label, '"');
		fprintf(d, " %.1f %.1f %.1f %.1f ", y, v->st.mean, v->st.mean - ci,
			v->st.mean + ci);
		snprintf(label, sizeof(label), "  %s pkt/s", t);
		q(d, label, '"');
		fputc('\n', d);
		if (v->st.mean + ci > peak)
			peak = v->st.mean + ci;
		y -= 1;
		nbars++;
	}
	snprintf(p->title, sizeof(p->title), "Received packets per second, %.0f-byte frames", size);
	snprintf(p->caption, sizeof(p->caption),
		 "Mean received packets/s over the window (one frame size in this run: a sweep "
		 "of size draws lines instead); whiskers are the 95 %% confidence interval where "
		 "there is one.");
	h = 110 + nbars * 40;
	term_svg(g, p->name, WIDTH_PX, h);
	fputs(preamble, g);
	fprintf(g,
		"set style fill solid 1.0 noborder\n"
		"unset key\n"
		"set grid noytics xtics\n"
		"set ytics scale 0\n"
		"set xlabel 'received packets/s' tc rgb '#333333'\n"
		"set format x '%%.0s%%c'\n"
		"set yrange [%.2f:0.7]\n"
		"set xrange [0:%g]\n"
		"set lmargin %d\n"
		"plot '%s.dat' using ($3/2):2:(0):3:($2-0.34):($2+0.34):ytic(1) with boxxyerror "
		"fc rgb '#4e79a7', \\\n"
		"     '' using ($5 > $4 ? $3 : NaN):2:4:5 with xerrorbars lc rgb '#1b1b1b' pt -1 lw 1.5, \\\n"
		"     '' using 5:2:6 with labels left tc rgb '#222222' font ',12'\n",
		y + 0.3, peak * 1.35 + 1, lw * 23 / 20 + 2, p->name);
	term_png(g, p->name, WIDTH_PX, h);
	err = close_checked(d) ?: close_checked(g);
	d = g = NULL;
out:
	if (d)
		fclose(d);
	if (g)
		fclose(g);
	return err ? err : 1;
}

/* Received pps against a swept numeric parameter, one line per combination
 * of the others. */
static int pps_vs(const struct runset *rs, const char *dir, const char *key, struct plot *p)
{
	char (*series)[256] = calloc((size_t)rs->ncombos + 1, sizeof(*series));
	int ns = 0, err = 0, npts = 0, size = !strcmp(key, "size");
	char skip[64];
	FILE *d = NULL, *g = NULL;

	if (!series)
		return -ENOMEM;
	snprintf(skip, sizeof(skip), "%s pattern", key);
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];
		char s[256];
		int seen = 0;

		if (k->pingpong || !k->m[RM_PPS].st.n)
			continue;
		npts++;
		rs_params_label_skip(rs, k->params, skip, s, sizeof(s));
		for (int j = 0; j < ns && !seen; j++)
			seen = !strcmp(series[j], s);
		if (!seen)
			snprintf(series[ns++], sizeof(series[0]), "%s", s);
	}
	if (!npts)
		goto out;
	snprintf(p->name, sizeof(p->name), "pps-vs-%s", key);
	if (size) {
		snprintf(p->title, sizeof(p->title), "Received packets per second by frame size");
		snprintf(p->caption, sizeof(p->caption),
			 "Mean received packets/s per frame size (RFC 2544 sizes incl. FCS); "
			 "error bars are the 95 %% confidence interval where there is one.");
	} else {
		snprintf(p->title, sizeof(p->title), "Received packets per second by %s", key);
		snprintf(p->caption, sizeof(p->caption),
			 "Mean received packets/s for each %s (log scale); error bars are the 95 %% "
			 "confidence interval where there is one. Where the line flattens, more "
			 "of it stops paying.",
			 key);
	}
	d = open_in(dir, p->name, "dat");
	g = open_in(dir, p->name, "gp");
	if (!d || !g) {
		err = -errno;
		goto out;
	}
	for (int j = 0; j < ns; j++) {
		fprintf(d, "# series %d: %s\n# %s  pps  ci95\n", j, series[j], key);
		for (int i = 0; i < rs->ncombos; i++) {
			const struct rs_combo *k = &rs->combos[i];
			char s[256];
			double x = 0;

			if (k->pingpong || !k->m[RM_PPS].st.n)
				continue;
			rs_params_label_skip(rs, k->params, skip, s, sizeof(s));
			if (strcmp(s, series[j]))
				continue;
			rs_num(k->params, key, &x);
			fprintf(d, "%g %.1f %.1f\n", x, k->m[RM_PPS].st.mean,
				isfinite(k->m[RM_PPS].st.ci95) ? k->m[RM_PPS].st.ci95 : 0.0);
		}
		fprintf(d, "\n\n");
	}
	term_svg(g, p->name, WIDTH_PX, 520);
	fputs(preamble, g);
	fprintf(g, "NS = %d\narray sname[NS]\n", ns);
	for (int j = 0; j < ns; j++) {
		fprintf(g, "sname[%d] = ", j + 1);
		q(g, series[j], '\'');
		fputc('\n', g);
	}
	if (size)
		fprintf(g, "set xlabel 'frame size (bytes, incl. FCS)'\n"
			   "set xrange [0:1600]\n"
			   "set xtics (64, 128, 256, 512, 1024, 1280, 1518)\n");
	else
		fprintf(g, "set xlabel '%s (log scale)'\n"
			   "set logscale x 2\n"
			   "set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256)\n"
			   "set offsets graph 0.03, graph 0.03, 0, 0\n",
			key);
	fprintf(g, "set key outside right top vertical\n"
		   "set ylabel 'received packets/s (thousands)'\n"
		   "set yrange [0:*]\n"
		   "plot for [i=0:NS-1] '%s.dat' index i using 1:($2/1e3):($3/1e3) with yerrorlines "
		   "lw 2 pt 7 ps 0.9 title sname[i+1]\n",
		   p->name);
	term_png(g, p->name, WIDTH_PX, 520);
	err = close_checked(d) ?: close_checked(g);
	d = g = NULL;
out:
	if (d)
		fclose(d);
	if (g)
		fclose(g);
	free(series);
	return err ? err : npts ? 1 : 0;
}

/* ---- RTT CDF ------------------------------------------------------------------ */

struct bucket {
	double lo, hi, n;
};

static int bucket_cmp(const void *x, const void *y)
{
	const struct bucket *a = x, *b = y;

	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* The window histograms of every repetition, merged. */
static int merged_buckets(const struct runset *rs, const struct rs_combo *k, struct bucket **out)
{
	struct bucket *b = NULL;
	int n = 0, cap = 0;

	for (int i = 0; i < k->ncases; i++) {
		json_t *bs = json_object_get(
			json_object_get(json_object_get(rs->cases[k->cases[i]], "rtt_ns"),
					"histogram"),
			"buckets"),
		       *e;
		size_t x;

		if (strcmp(rs_str(rs->cases[k->cases[i]], "status"), "ok"))
			continue;
		json_array_foreach(bs, x, e) {
			double lo = json_number_value(json_array_get(e, 0));
			double hi = json_number_value(json_array_get(e, 1));
			double cnt = json_number_value(json_array_get(e, 2));
			int j;

			for (j = 0; j < n && b[j].lo != lo; j++)
				;
			if (j == n) {
				if (n == cap) {
					struct bucket *nb;

					cap = cap ? cap * 2 : 256;
					nb = realloc(b, sizeof(*b) * (size_t)cap);
					if (!nb) {
						free(b);
						return -ENOMEM;
					}
					b = nb;
				}
				b[n++] = (struct bucket){ lo, hi, 0 };
			}
			b[j].n += cnt;
		}
	}
	if (n)
		qsort(b, (size_t)n, sizeof(*b), bucket_cmp);
	*out = b;
	return n;
}

static int rtt_cdf(const struct runset *rs, const char *dir, struct plot *p)
{
	int ns = 0, err = 0;
	FILE *d = NULL, *g = NULL;
	double xmin = INFINITY, xmax = 0;

	for (int i = 0; i < rs->ncombos; i++)
		if (rs->combos[i].pingpong && rs->combos[i].nok)
			ns++;
	if (!ns)
		return 0;
	snprintf(p->name, sizeof(p->name), "rtt-cdf");
	snprintf(p->title, sizeof(p->title), "Round-trip time distribution");
	snprintf(p->caption, sizeof(p->caption),
		 "Cumulative fraction of ping-pong round trips at or below each time (log "
		 "scale), from the window's RTT histogram, repetitions merged. A curve further "
		 "left is faster; its flat top is the tail.");
	d = open_in(dir, p->name, "dat");
	g = open_in(dir, p->name, "gp");
	if (!d || !g) {
		err = -errno;
		goto out;
	}
	term_svg(g, p->name, WIDTH_PX, 540);
	fputs(preamble, g);
	fprintf(g, "NS = %d\narray sname[NS]\n", ns);
	ns = 0;
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];
		struct bucket *b = NULL;
		double total = 0, cum = 0;
		char s[256];
		int n;

		if (!k->pingpong || !k->nok)
			continue;
		rs_params_label_skip(rs, k->params, "pattern", s, sizeof(s));
		n = merged_buckets(rs, k, &b);
		if (n < 0) {
			err = n;
			goto out;
		}
		for (int j = 0; j < n; j++)
			total += b[j].n;
		fprintf(d, "# series %d: %s\n# rtt_us  fraction_at_or_below\n", ns, s);
		if (n && total > 0) {
			fprintf(d, "%g 0\n", b[0].lo / 1000.0);
			if (b[0].lo > 0 && b[0].lo / 1000.0 < xmin)
				xmin = b[0].lo / 1000.0;
		}
		for (int j = 0; j < n && total > 0; j++) {
			cum += b[j].n;
			fprintf(d, "%g %.6f\n", b[j].hi / 1000.0, cum / total);
			if (b[j].hi / 1000.0 > xmax)
				xmax = b[j].hi / 1000.0;
		}
		fprintf(d, "\n\n");
		fprintf(g, "sname[%d] = ", ns + 1);
		q(g, s, '\'');
		fputc('\n', g);
		free(b);
		ns++;
	}
	if (!isfinite(xmin))
		xmin = 1;
	fprintf(g,
		"set key inside right bottom vertical box lc rgb '#dddddd' opaque\n"
		"set logscale x 10\n"
		"set xrange [%g:%g]\n"
		"set yrange [0:1.02]\n"
		"set ytics 0.1\n"
		"set mxtics 10\n"
		"set xlabel 'round-trip time (µs, log scale)'\n"
		"set ylabel 'fraction of round trips'\n"
		"plot for [i=0:NS-1] '%s.dat' index i using 1:2 with steps lw 2 title sname[i+1]\n",
		xmin / 1.3, xmax * 1.3, p->name);
	term_png(g, p->name, WIDTH_PX, 540);
	err = close_checked(d) ?: close_checked(g);
	d = g = NULL;
out:
	if (d)
		fclose(d);
	if (g)
		fclose(g);
	return err ? err : 1;
}

/* ---- per-syscall cost --------------------------------------------------------- */

static int syscalls(const struct runset *rs, const char *dir, int pp, struct plot *p)
{
	static const char *const pal[] = { "#f28e2b", "#4e79a7", "#59a14f", "#b07aa1",
					   "#e15759", "#76b7b2", "#edc948", "#9c755f" };
	char names[16][32];
	int nbars = 0, nnames = 0, err = 0, h, lw = 10;
	double peak = 0, y = 0;
	FILE *d = NULL, *g = NULL;

	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];

		if (k->pingpong != pp || !k->nok)
			continue;
		for (int c = 0; c < k->ncores; c++)
			for (int s = 0; s < k->core[c].nsys; s++) {
				double v = k->core[c].sys[s].ns_per_pkt.st.mean;

				nbars++;
				if (v > peak)
					peak = v;
			}
	}
	if (!nbars)
		return 0;
	snprintf(p->name, sizeof(p->name), "syscalls-%s", pp ? "pingpong" : "throughput");
	snprintf(p->title, sizeof(p->title), "What each system call costs per %s",
		 pp ? "transaction" : "packet");
	snprintf(p->caption, sizeof(p->caption),
		 "Exclusive time in each system call per %s (calls per %s × time per call, "
		 "written at the bar's end). Batching shows as few, expensive calls.",
		 pp ? "transaction" : "packet", pp ? "transaction" : "packet");
	d = open_in(dir, p->name, "dat");
	g = open_in(dir, p->name, "gp");
	if (!d || !g) {
		err = -errno;
		goto out;
	}
	fprintf(d, "# bar  y  ns_per_pkt  colour (0xRRGGBB)  note\n");
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];
		char label[256];

		if (k->pingpong != pp || !k->nok)
			continue;
		rs_params_label_skip(rs, k->params, "pattern", label, sizeof(label));
		for (int c = 0; c < k->ncores; c++) {
			for (int s = 0; s < k->core[c].nsys; s++) {
				const struct rs_sys *y2 = &k->core[c].sys[s];
				char bar[400], note[96], per[32];
				int ci;

				for (ci = 0; ci < nnames && strcmp(names[ci], y2->name); ci++)
					;
				if (ci == nnames && nnames < 16)
					snprintf(names[nnames++], sizeof(names[0]), "%s", y2->name);
				if (ci >= 16)
					ci = 15;
				snprintf(bar, sizeof(bar), "%s · %s · %s", label, k->core[c].label,
					 y2->name);
				if (utf8_width(bar) > lw)
					lw = utf8_width(bar);
				rs_fmt_si(per, sizeof(per), y2->ns_per_call.st.mean);
				snprintf(note, sizeof(note), "  %.0f ns: %.3f calls × %s ns",
					 y2->ns_per_pkt.st.mean, y2->calls_per_pkt.st.mean, per);
				q(d, bar, '"');
				fprintf(d, " %.2f %.1f %ld ", y, y2->ns_per_pkt.st.mean,
					strtol(pal[ci % (int)(sizeof(pal) / sizeof(pal[0]))] + 1,
					       NULL, 16));
				q(d, note, '"');
				fputc('\n', d);
				y -= 1;
			}
		}
		y -= 0.5;
	}
	h = 120 + nbars * BAR_PX + rs->ncombos * BAR_PX / 2;
	term_svg(g, p->name, WIDTH_PX, h);
	fputs(preamble, g);
	fprintf(g,
		"set style fill solid 1.0 noborder\n"
		"unset key\n"
		"set grid noytics xtics\n"
		"set ytics scale 0\n"
		"set xlabel 'ns per %s in the system call' tc rgb '#333333'\n"
		"set yrange [%.2f:0.7]\n"
		"set xrange [0:%g]\n"
		"set lmargin %d\n"
		"plot '%s.dat' using ($3/2):2:(0):3:($2-0.36):($2+0.36):4:ytic(1) "
		"with boxxyerror fc rgb variable, \\\n"
		"     '' using 3:2:5 with labels left tc rgb '#222222' font ',11'\n",
		pp ? "transaction" : "packet", y + 0.3, peak * 1.55 + 1, lw * 23 / 20 + 2, p->name);
	term_png(g, p->name, WIDTH_PX, h);
	err = close_checked(d) ?: close_checked(g);
	d = g = NULL;
out:
	if (d)
		fclose(d);
	if (g)
		fclose(g);
	return err ? err : 1;
}

int plot_all(const struct runset *rs, const char *dir, struct plot **out, int *n, char *err,
	     size_t errlen)
{
	struct plot *p = calloc(12, sizeof(*p));
	int k = 0, r = 0;

	*out = NULL;
	*n = 0;
	if (!p)
		return -ENOMEM;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(p);
		return r;
	}
	/* Order on the page: the breakdown first. */
	for (int pp = 0; pp < 2 && r >= 0; pp++)
		if ((r = breakdown(rs, dir, pp, &p[k])) > 0)
			k++;
	/* pps against what the run swept; bars when it swept neither. */
	if (r >= 0 && distinct(rs, "size") > 1 && (r = pps_vs(rs, dir, "size", &p[k])) > 0)
		k++;
	if (r >= 0 && distinct(rs, "burst") > 1 && (r = pps_vs(rs, dir, "burst", &p[k])) > 0)
		k++;
	if (r >= 0 && distinct(rs, "size") == 1 && distinct(rs, "burst") == 1 &&
	    (r = pps_bars(rs, dir, &p[k])) > 0)
		k++;
	if (r >= 0 && (r = rtt_cdf(rs, dir, &p[k])) > 0)
		k++;
	if (r >= 0 && (r = plot_loss_vs_rate(rs, dir, &p[k])) > 0)
		k++;
	if (r >= 0 && (r = plot_rtt_vs_load(rs, dir, &p[k])) > 0)
		k++;
	for (int pp = 0; pp < 2 && r >= 0; pp++)
		if ((r = syscalls(rs, dir, pp, &p[k])) > 0)
			k++;
	if (r < 0) {
		snprintf(err, errlen, "%s: writing plot data: %s", dir, strerror(-r));
		free(p);
		return r;
	}
	for (int i = 0; i < k; i++) {
		r = run_gnuplot(dir, p[i].name, err, errlen);
		if (r) {
			free(p);
			return r;
		}
	}
	*out = p;
	*n = k;
	return 0;
}
