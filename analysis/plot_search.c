// SPDX-License-Identifier: BSD-3-Clause
/*
 * The plots of searched runs: loss against offered rate from every trial of
 * every search, NDR and PDR marked; RTT percentiles against the load, for
 * cases run at a fraction of a searched rate.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"
#include "plot_priv.h"

#define WIDTH_PX 1000
#define LOSS_FLOOR 1e-3 /* where "no loss" sits on the log axis */
/* What a search or a load's series is not told apart by. */
#define RATE_KEYS "rate rate_pps load_pct load_of"

struct pt {
	double x, y;
};

static int pt_cmp(const void *a, const void *b)
{
	const struct pt *p = a, *q = b;

	return p->x < q->x ? -1 : p->x > q->x;
}

static int ok_case(json_t *r)
{
	return !strcmp(rs_str(r, "status"), "ok");
}

/* Every used trial of the combination's searches, by offered rate. */
static int combo_trials(const struct runset *rs, const struct rs_combo *k, struct pt **out)
{
	struct pt *v = NULL;
	int n = 0, cap = 0;

	for (int i = 0; i < k->ncases; i++) {
		json_t *trials = jpath(rs->cases[k->cases[i]], "search.trials"), *t;
		size_t j;

		json_array_foreach(trials, j, t) {
			double loss = jpath_num(t, "loss_pct");

			if (!json_is_true(json_object_get(t, "used")))
				continue;
			if (n == cap) {
				struct pt *nv = realloc(v, sizeof(*v) * (size_t)(cap = cap ? 2 * cap : 32));

				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			v[n].x = jpath_num(t, "offered_pps");
			v[n++].y = loss > LOSS_FLOOR ? loss : LOSS_FLOOR;
		}
	}
	if (n)
		qsort(v, (size_t)n, sizeof(*v), pt_cmp);
	*out = v;
	return n;
}

/* The mean of a number over the combination's ok cases; NAN if none has it. */
static double combo_mean(const struct runset *rs, const struct rs_combo *k, const char *path)
{
	double sum = 0;
	int n = 0;

	for (int i = 0; i < k->ncases; i++) {
		json_t *r = rs->cases[k->cases[i]], *v = jpath(r, path);

		if (ok_case(r) && json_is_number(v)) {
			sum += json_number_value(v);
			n++;
		}
	}
	return n ? sum / n : NAN;
}

static int loss_data(const struct runset *rs, FILE *d, int *idx, int nser)
{
	for (int j = 0; j < nser; j++) {
		const struct rs_combo *k = &rs->combos[idx[j]];
		double ndr = combo_mean(rs, k, "search.ndr_pps");
		double pdr = combo_mean(rs, k, "search.pdr_pps");
		double pdr_loss = combo_mean(rs, k, "search.pdr_loss_pct");
		struct pt *v;
		int n = combo_trials(rs, k, &v);

		if (n < 0)
			return n;
		fprintf(d, "# series %d\n# offered_pps  loss_pct (%g = none)\n", j, LOSS_FLOOR);
		for (int i = 0; i < n; i++)
			fprintf(d, "%.1f %g\n", v[i].x, v[i].y);
		free(v);
		fprintf(d, "\n\n# series %d: NDR and PDR\n", j);
		if (isfinite(ndr))
			fprintf(d, "%.1f %g \"NDR\"\n", ndr, LOSS_FLOOR);
		if (isfinite(pdr))
			fprintf(d, "%.1f %g \"PDR\"\n", pdr, isfinite(pdr_loss) ? pdr_loss : 0.5);
		if (!isfinite(ndr) && !isfinite(pdr))
			fprintf(d, "NaN NaN \"\"\n");
		fprintf(d, "\n\n");
	}
	return 0;
}

int plot_loss_vs_rate(const struct runset *rs, const char *dir, struct plot *p)
{
	int *idx = calloc((size_t)rs->ncombos + 1, sizeof(int)), n = 0, err;
	FILE *d = NULL, *g = NULL;

	if (!idx)
		return -ENOMEM;
	for (int i = 0; i < rs->ncombos; i++)
		for (int c = 0; c < rs->combos[i].ncases; c++)
			if (json_array_size(jpath(rs->cases[rs->combos[i].cases[c]],
						  "search.trials")) &&
			    !json_object_get(rs->cases[rs->combos[i].cases[c]], "load")) {
				idx[n++] = i;
				break;
			}
	if (!n) {
		free(idx);
		return 0;
	}
	snprintf(p->name, sizeof(p->name), "loss-vs-rate");
	snprintf(p->title, sizeof(p->title), "Loss against offered rate: the NDR/PDR searches");
	snprintf(p->caption, sizeof(p->caption),
		 "Every trial of every search that counted: its measured offered rate and the "
		 "share of its packets lost (warm-up and drain included; trials without loss sit "
		 "on the \"0\" line). NDR is the highest rate a final trial confirmed without "
		 "loss, PDR the highest within search_loss. The rate=max trial is the rightmost "
		 "point: what a max-rate figure reports, and what it lost.");
	d = plot_open(dir, p->name, "dat");
	g = plot_open(dir, p->name, "gp");
	err = !d || !g ? -errno : loss_data(rs, d, idx, n);
	if (err)
		goto out;
	plot_terms(g, p->name, 0, WIDTH_PX, 520);
	fputs(plot_preamble(), g);
	fprintf(g, "NS = %d\narray sname[NS]\n", n);
	for (int j = 0; j < n; j++) {
		char lbl[256];

		rs_params_label_skip(rs, rs->combos[idx[j]].params, RATE_KEYS, lbl, sizeof(lbl));
		fprintf(g, "sname[%d] = ", j + 1);
		plot_quote(g, lbl[0] ? lbl : rs->combos[idx[j]].label, '\'');
		fputc('\n', g);
	}
	fprintf(g, "set key outside right top vertical\n"
		   "set xlabel 'offered packets/s (thousands, log scale)'\n"
		   "set logscale x\n"
		   "set ylabel 'loss (%% of packets sent, log scale)'\n"
		   "set logscale y\n"
		   "set yrange [%g/2:100]\n"
		   "set ytics ('0' %g, '0.01' 0.01, '0.1' 0.1, '1' 1, '10' 10, '100' 100)\n"
		   "plot for [i=0:NS-1] '%s.dat' index 2*i using ($1/1e3):2 with points "
		   "pt 7 ps 0.8 lc i+1 title sname[i+1], \\\n"
		   "     for [i=0:NS-1] '%s.dat' index 2*i+1 using ($1/1e3):2:3 with labels point "
		   "pt 9 ps 2.2 lc i+1 offset 0,1.2 tc lt i+1 notitle\n",
		   LOSS_FLOOR, LOSS_FLOOR, p->name, p->name);
	plot_terms(g, p->name, 1, WIDTH_PX, 520);
	err = plot_close(d) ?: plot_close(g);
	d = g = NULL;
out:
	if (d)
		fclose(d);
	if (g)
		fclose(g);
	free(idx);
	return err ? err : 1;
}

/* ---- RTT under load -------------------------------------------------------- */

static const char *const pctl[] = { "p50", "p90", "p99", "p99_9" };
#define NPCTL 4

struct load_series {
	char base[256], of[8];
	char label[300];
	int combo[64];
	int n;
};

/* Series: the load cases that differ only in their rate. */
static int load_series(const struct runset *rs, struct load_series *s, int max)
{
	int ns = 0;

	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];
		char lbl[256];
		int j;

		if (!k->pingpong || !json_is_string(json_object_get(k->params, "load_of")) ||
		    !isfinite(combo_mean(rs, k, "rtt_ns.p50")))
			continue;
		rs_params_label_skip(rs, k->params, RATE_KEYS, lbl, sizeof(lbl));
		for (j = 0; j < ns; j++)
			if (!strcmp(s[j].base, lbl) && !strcmp(s[j].of, rs_str(k->params, "load_of")))
				break;
		if (j == ns) {
			if (ns == max)
				continue;
			snprintf(s[ns].base, sizeof(s[ns].base), "%s", lbl);
			snprintf(s[ns].of, sizeof(s[ns].of), "%s", rs_str(k->params, "load_of"));
			snprintf(s[ns].label, sizeof(s[ns].label), "%s%sof %s", lbl, lbl[0] ? " " : "",
				 s[ns].of);
			s[ns++].n = 0;
		}
		if (s[j].n < 64)
			s[j].combo[s[j].n++] = i;
	}
	return ns;
}

static void load_data(const struct runset *rs, FILE *d, const struct load_series *s, int ns)
{
	for (int j = 0; j < ns; j++) {
		struct pt order[64];

		fprintf(d, "# series %d: %s\n# load_pct  p50  p90  p99  p99.9 (ns)\n", j, s[j].label);
		for (int i = 0; i < s[j].n; i++) {
			rs_num(rs->combos[s[j].combo[i]].params, "load_pct", &order[i].x);
			order[i].y = s[j].combo[i];
		}
		qsort(order, (size_t)s[j].n, sizeof(order[0]), pt_cmp);
		for (int i = 0; i < s[j].n; i++) {
			const struct rs_combo *k = &rs->combos[(int)order[i].y];
			char path[32];

			fprintf(d, "%g", order[i].x);
			for (int q = 0; q < NPCTL; q++) {
				snprintf(path, sizeof(path), "rtt_ns.%s", pctl[q]);
				fprintf(d, " %.0f", combo_mean(rs, k, path));
			}
			fputc('\n', d);
		}
		fprintf(d, "\n\n");
	}
}

int plot_rtt_vs_load(const struct runset *rs, const char *dir, struct plot *p)
{
	struct load_series *s = calloc(16, sizeof(*s));
	FILE *d = NULL, *g = NULL;
	int ns, err = 0;

	if (!s)
		return -ENOMEM;
	ns = load_series(rs, s, 16);
	if (!ns) {
		free(s);
		return 0;
	}
	snprintf(p->name, sizeof(p->name), "rtt-vs-load");
	snprintf(p->title, sizeof(p->title), "RTT percentiles against load");
	snprintf(p->caption, sizeof(p->caption),
		 "Open-loop ping-pong at fractions of the searched rate (rate = P%%ndr or "
		 "P%%pdr): p50 solid, p90, p99 and p99.9 dashed, from each window's RTT "
		 "histogram (< 1 %% bucket error); means over repetitions.");
	d = plot_open(dir, p->name, "dat");
	g = plot_open(dir, p->name, "gp");
	if (!d || !g) {
		err = -errno;
		goto out;
	}
	load_data(rs, d, s, ns);
	plot_terms(g, p->name, 0, WIDTH_PX, 520);
	fputs(plot_preamble(), g);
	fprintf(g, "NS = %d\narray sname[NS]\narray pname[%d] = ['p50', 'p90', 'p99', 'p99.9']\n",
		ns, NPCTL);
	for (int j = 0; j < ns; j++) {
		fprintf(g, "sname[%d] = ", j + 1);
		plot_quote(g, s[j].label, '\'');
		fputc('\n', g);
	}
	fprintf(g, "set key outside right top vertical\n"
		   "set xlabel 'load (%% of the searched rate)'\n"
		   "set ylabel 'RTT (µs, log scale)'\n"
		   "set logscale y\n"
		   "set xrange [0:105]\n"
		   "plot for [i=0:NS-1] for [q=2:%d] '%s.dat' index i using 1:(column(q)/1e3) "
		   "with linespoints lw 1.5 pt 7 ps 0.7 lc i+1 dt q-1 "
		   "title sprintf('%%s %%s', sname[i+1], pname[q-1])\n",
		   NPCTL + 1, p->name);
	plot_terms(g, p->name, 1, WIDTH_PX, 520);
	err = plot_close(d) ?: plot_close(g);
	d = g = NULL;
out:
	if (d)
		fclose(d);
	if (g)
		fclose(g);
	free(s);
	return err ? err : 1;
}
