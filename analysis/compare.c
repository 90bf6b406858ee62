// SPDX-License-Identifier: BSD-3-Clause
/*
 * `bypasslab compare RUN_A RUN_B` and `bypasslab compare RUN --by KEY A B`:
 * matching combinations side by side, B/A with its 95 % interval (delta
 * method, Welch-Satterthwaite degrees of freedom), and the attribution groups
 * that make up the difference in ns/packet, largest first.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "exitcode.h"
#include "runset.h"
#include "stats.h"
#include "utf8.h"

struct pair {
	const struct runset *ra, *rb;
	const struct rs_combo *a, *b;
	char label[256];
};

static void val_text(char *buf, size_t len, const struct rs_val *v, double scale, int si,
		     int dec)
{
	char t[64];

	rs_fmt_val(t, sizeof(t), v, scale, si, dec);
	if (!v->st.n)
		snprintf(buf, len, "-");
	else if (v->from_samples)
		snprintf(buf, len, "%s (%d s)", t, v->st.n);
	else if (v->st.n > 1)
		snprintf(buf, len, "%s (%d rep)", t, v->st.n);
	else
		snprintf(buf, len, "%s", t);
}

static json_t *val_json(const struct rs_val *v)
{
	json_t *o = json_pack("{s:i, s:f, s:f}", "n", v->st.n, "mean", v->st.mean, "sd", v->st.sd);

	json_object_set_new(o, "ci95", isfinite(v->st.ci95) ? json_real(v->st.ci95) : json_null());
	json_object_set_new(o, "from", json_string(v->from_samples ? "seconds" : "repetitions"));
	json_object_set_new(o, "outliers", json_integer(v->st.n_outliers));
	return o;
}

static json_t *ratio_json(const struct stats_ratio *r, int ok)
{
	if (!ok)
		return json_null();
	return json_pack("{s:f, s:o, s:o}", "ratio", r->ratio, "lo",
			 r->has_ci ? json_real(r->lo) : json_null(), "hi",
			 r->has_ci ? json_real(r->hi) : json_null());
}

struct gdiff {
	const char *name;
	double a, b, d;
};

static int gdiff_cmp(const void *x, const void *y)
{
	double a = fabs(((const struct gdiff *)x)->d), b = fabs(((const struct gdiff *)y)->d);

	return a < b ? 1 : a > b ? -1 : 0;
}

static double gmean(const struct rs_val *v)
{
	return v && v->st.n ? v->st.mean : 0;
}

/* Index of a group name in a run's group list, -1 if it has none. */
static int gidx(const struct runset *rs, const char *g)
{
	for (int i = 0; i < rs->ngroups; i++)
		if (!strcmp(rs->groups[i], g))
			return i;
	return -1;
}

/* Group differences of one core pair, every group either run has. */
static int core_diffs(const struct pair *p, int c, struct gdiff **out)
{
	int cap = p->ra->ngroups + p->rb->ngroups + 1, n = 0;
	struct gdiff *d = calloc((size_t)cap, sizeof(*d));

	if (!d)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		const struct runset *rs = pass ? p->rb : p->ra;

		for (int g = 0; g < rs->ngroups; g++) {
			const char *name = rs->groups[g];
			int ia = gidx(p->ra, name), ib = gidx(p->rb, name), dup = 0;

			for (int j = 0; j < n; j++)
				dup |= !strcmp(d[j].name, name);
			if (dup)
				continue;
			d[n].name = name;
			d[n].a = ia >= 0 ? gmean(&p->a->core[c].groups[ia]) : 0;
			d[n].b = ib >= 0 ? gmean(&p->b->core[c].groups[ib]) : 0;
			d[n].d = d[n].b - d[n].a;
			n++;
		}
	}
	d[n].name = "unattributed";
	d[n].a = gmean(&p->a->core[c].unattributed);
	d[n].b = gmean(&p->b->core[c].unattributed);
	d[n].d = d[n].b - d[n].a;
	n++;
	qsort(d, (size_t)n, sizeof(*d), gdiff_cmp);
	*out = d;
	return n;
}

static const struct {
	int m;
	int pp; /* 1: ping-pong only, 0: throughput only, -1: both */
	double scale;
	int si, dec;
	const char *unit;
} shown[] = {
	{ RM_PPS, -1, 1, 1, 0, "" },	   { RM_GBPS_L1, 0, 1, 0, 3, "" },
	{ RM_LOSS, 0, 1, 0, 2, "" },	   { RM_RTT_P50, 1, 1000, 0, 1, " µs" },
	{ RM_RTT_P99, 1, 1000, 0, 1, " µs" }, { RM_RTT_P999, 1, 1000, 0, 1, " µs" },
	{ RM_TX_SYS, -1, 1, 0, 3, "" },	   { RM_RX_SYS, -1, 1, 0, 3, "" },
};

static int pair_out(const struct pair *p, const char *name_a, const char *name_b, FILE *f,
		    json_t *jl)
{
	json_t *jp = json_object(), *jm = json_object(), *jc = json_array();
	int pp = p->a->pingpong;

	fprintf(f, "\n== %s\n", p->label);
	fputs("  ", f);
	utf8_pad(f, "", 31, 0);
	utf8_pad(f, name_a, 27, 0);
	utf8_pad(f, name_b, 27, 0);
	fputs("B/A [95% CI]\n", f);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		const struct rs_val *va = &p->a->m[shown[i].m], *vb = &p->b->m[shown[i].m];
		struct stats_ratio r = { 0 };
		char ta[96], tb[96], tr[96] = "-", what[64];
		int ok;

		if (shown[i].pp >= 0 && shown[i].pp != pp)
			continue;
		if (!va->st.n && !vb->st.n)
			continue;
		val_text(ta, sizeof(ta), va, shown[i].scale, shown[i].si, shown[i].dec);
		val_text(tb, sizeof(tb), vb, shown[i].scale, shown[i].si, shown[i].dec);
		ok = va->st.n && vb->st.n && !stats_ratio(&va->st, &vb->st, &r);
		if (ok && r.has_ci)
			snprintf(tr, sizeof(tr), "%.3f [%.3f, %.3f]", r.ratio, r.lo, r.hi);
		else if (ok)
			snprintf(tr, sizeof(tr), "%.3f (no interval: n = 1)", r.ratio);
		snprintf(what, sizeof(what), "%s%s",
			 shown[i].m == RM_PPS && pp ? "transactions/s" : rs_metrics[shown[i].m].title,
			 shown[i].unit);
		fputs("  ", f);
		utf8_pad(f, what, 31, 0);
		utf8_pad(f, ta, 27, 0);
		utf8_pad(f, tb, 27, 0);
		fprintf(f, "%s\n", tr);
		json_object_set_new(jm, rs_metrics[shown[i].m].name,
				    json_pack("{s:o, s:o, s:o}", "a", val_json(va), "b",
					      val_json(vb), "b_over_a", ratio_json(&r, ok)));
	}
	for (int c = 0; c < p->a->ncores && c < p->b->ncores; c++) {
		const struct rs_core *ca = &p->a->core[c], *cb = &p->b->core[c];
		double da = gmean(&ca->busy), db = gmean(&cb->busy), moved = 0;
		struct gdiff *d = NULL;
		json_t *jg = json_array();
		int n = core_diffs(p, c, &d), j;

		if (n < 0) {
			json_decref(jg);
			json_decref(jp);
			json_decref(jm);
			json_decref(jc);
			return n;
		}
		fprintf(f, "  core %s%s%s: busy %.0f -> %.0f ns/%s (%+.0f)\n", ca->label,
			strcmp(ca->label, cb->label) ? " vs " : "",
			strcmp(ca->label, cb->label) ? cb->label : "", da, db,
			pp ? "txn" : "pkt", db - da);
		fprintf(f, "    %-32s %9s %9s %9s %7s\n", "where the difference is", name_a, name_b,
			"B-A", "|moved|");
		for (int j = 0; j < n; j++)
			json_array_append_new(jg, json_pack("{s:s, s:f, s:f, s:f}", "group",
							    d[j].name, "a", d[j].a, "b", d[j].b,
							    "diff", d[j].d));
		/* Shares of everything that moved: a net change near zero can
		 * hide large moves in opposite directions. */
		for (j = 0; j < n; j++)
			moved += fabs(d[j].d);
		/* The groups that matter, largest first, then one line for the rest. */
		for (j = 0; j < n && j < 8 && fabs(d[j].d) >= 0.5; j++)
			fprintf(f, "    %-32s %9.0f %9.0f %+9.0f %6.0f%%\n", d[j].name, d[j].a,
				d[j].b, d[j].d + 0.0, moved > 0 ? 100.0 * fabs(d[j].d) / moved : 0.0);
		if (j < n) {
			double rest = 0, rest_abs = 0;

			for (int k = j; k < n; k++) {
				rest += d[k].d;
				rest_abs += fabs(d[k].d);
			}
			fprintf(f, "    %-32s %9s %9s %+9.0f %6.0f%%\n", "(all other groups)", "", "",
				rest + 0.0, moved > 0 ? 100.0 * rest_abs / moved : 0.0);
		}
		json_array_append_new(jc, json_pack("{s:s, s:s, s:f, s:f, s:o}", "a_label",
						    ca->label, "b_label", cb->label, "busy_a", da,
						    "busy_b", db, "groups", jg));
		free(d);
	}
	json_object_set_new(jp, "case", json_string(p->label));
	json_object_set_new(jp, "a_params", json_deep_copy(p->a->params));
	json_object_set_new(jp, "b_params", json_deep_copy(p->b->params));
	json_object_set_new(jp, "metrics", jm);
	json_object_set_new(jp, "cores", jc);
	json_array_append_new(jl, jp);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bypasslab compare RUN_A RUN_B [--json]\n"
		   "       bypasslab compare RUN --by KEY A B [--json]\n"
		   "  RUN_A RUN_B    two run directories; combinations with equal parameters are\n"
		   "                 matched (repetitions, name, duration and warm-up aside)\n"
		   "  --by KEY A B   within one run: KEY=A against KEY=B, everything else equal\n"
		   "  --json         one JSON object on stdout instead of the text\n");
}

static int param_is(json_t *params, const char *key, const char *val)
{
	json_t *v = json_object_get(params, key);
	char b[64];

	if (json_is_string(v))
		return !strcmp(json_string_value(v), val);
	if (json_is_integer(v)) {
		snprintf(b, sizeof(b), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return !strcmp(b, val);
	}
	if (json_is_real(v))
		return fabs(json_real_value(v) - strtod(val, NULL)) < 1e-9;
	if (json_is_boolean(v))
		return (json_is_true(v) && (!strcmp(val, "yes") || !strcmp(val, "true") ||
					    !strcmp(val, "1"))) ||
		       (json_is_false(v) && (!strcmp(val, "no") || !strcmp(val, "false") ||
					     !strcmp(val, "0")));
	return 0;
}

int do_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct runset ra, rb;
	const struct runset *pa, *pb;
	const char *by = NULL, *va = NULL, *vb = NULL, *name_a, *name_b;
	char err[4400] = "", ka[2048], kb[2048];
	json_t *out = NULL, *pairs, *only_a, *only_b;
	int opt, json = 0, npos, ret = EXIT_FAIL, npairs = 0, loaded_b = 0, r;
	FILE *f = stdout;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "b:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			by = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	npos = argc - optind;
	if ((by && npos != 3) || (!by && npos != 2)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* "results/RUN/" and "results/RUN" name the same run. */
	for (int i = optind; i < argc && i < optind + (by ? 1 : 2); i++)
		for (size_t l = strlen(argv[i]); l > 1 && argv[i][l - 1] == '/'; l--)
			argv[i][l - 1] = 0;
	r = runset_load(argv[optind], &ra, err, sizeof(err));
	if (r) {
		fprintf(stderr, "bypasslab compare: %s\n", err);
		return r == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	pa = pb = &ra;
	if (by) {
		int has_a = 0, has_b = 0;

		va = argv[optind + 1];
		vb = argv[optind + 2];
		if (!json_object_get(ra.combos[0].params, by) || !strcmp(by, "rep")) {
			fprintf(stderr, "bypasslab compare: --by '%s': not a parameter of %s\n", by,
				argv[optind]);
			ret = EXIT_USAGE;
			goto done;
		}
		for (int i = 0; i < ra.ncombos; i++) {
			has_a |= param_is(ra.combos[i].params, by, va);
			has_b |= param_is(ra.combos[i].params, by, vb);
		}
		if (!has_a || !has_b) {
			fprintf(stderr, "bypasslab compare: --by %s: no case with %s=%s in %s\n", by,
				by, !has_a ? va : vb, argv[optind]);
			ret = EXIT_USAGE;
			goto done;
		}
		name_a = va;
		name_b = vb;
	} else {
		r = runset_load(argv[optind + 1], &rb, err, sizeof(err));
		if (r) {
			fprintf(stderr, "bypasslab compare: %s\n", err);
			ret = r == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
			goto done;
		}
		loaded_b = 1;
		pb = &rb;
		name_a = "A";
		name_b = "B";
	}
	out = json_object();
	pairs = json_array();
	only_a = json_array();
	only_b = json_array();
	json_object_set_new(out, "pairs", pairs);
	json_object_set_new(out, "only_a", only_a);
	json_object_set_new(out, "only_b", only_b);
	if (json) {
		/* The text goes nowhere; the same walk builds the JSON. */
		f = fopen("/dev/null", "w");
		if (!f) {
			ret = EXIT_FAIL;
			goto done;
		}
	} else if (by) {
		printf("compare %s: %s=%s (A) against %s=%s (B)\n", argv[optind], by, va, by, vb);
	} else {
		printf("compare A: %s\n        B: %s\n", argv[optind], argv[optind + 1]);
	}
	for (int i = 0; i < pa->ncombos; i++) {
		const struct rs_combo *a = &pa->combos[i];
		struct pair p = { .ra = pa, .rb = pb, .a = a };

		if (by && !param_is(a->params, by, va))
			continue;
		rs_match_key(a->params, by, ka, sizeof(ka));
		for (int j = 0; j < pb->ncombos && !p.b; j++) {
			if (by && !param_is(pb->combos[j].params, by, vb))
				continue;
			rs_match_key(pb->combos[j].params, by, kb, sizeof(kb));
			if (!strcmp(ka, kb))
				p.b = &pb->combos[j];
		}
		if (!p.b) {
			json_array_append_new(only_a, json_string(a->label));
			continue;
		}
		if (by)
			rs_params_label_skip(pa, a->params, by, p.label, sizeof(p.label));
		else
			snprintf(p.label, sizeof(p.label), "%s", a->label);
		r = pair_out(&p, name_a, name_b, f, pairs);
		if (r)
			goto done;
		npairs++;
	}
	if (!by) {
		for (int j = 0; j < pb->ncombos; j++) {
			int hit = 0;

			rs_match_key(pb->combos[j].params, NULL, kb, sizeof(kb));
			for (int i = 0; i < pa->ncombos && !hit; i++) {
				rs_match_key(pa->combos[i].params, NULL, ka, sizeof(ka));
				hit = !strcmp(ka, kb);
			}
			if (!hit)
				json_array_append_new(only_b, json_string(pb->combos[j].label));
		}
	}
	if (json) {
		json_object_set_new(out, "a", json_string(argv[optind]));
		json_object_set_new(out, "b", json_string(by ? argv[optind] : argv[optind + 1]));
		if (by)
			json_object_set_new(out, "by", json_pack("{s:s, s:s, s:s}", "key", by, "a",
								 va, "b", vb));
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		putchar('\n');
	} else {
		size_t k;
		json_t *s;

		json_array_foreach(only_a, k, s)
			printf("\nonly in A: %s\n", json_string_value(s));
		json_array_foreach(only_b, k, s)
			printf("\nonly in B: %s\n", json_string_value(s));
		printf("\n%d matching combination(s). B/A intervals: delta method, Welch-"
		       "Satterthwaite t; n = seconds of one repetition or repetitions.\n",
		       npairs);
	}
	if (!npairs) {
		fprintf(stderr, "bypasslab compare: no combination matches between A and B\n");
		ret = EXIT_USAGE;
		goto done;
	}
	ret = EXIT_OK;
done:
	if (f && f != stdout)
		fclose(f);
	json_decref(out);
	if (loaded_b)
		runset_free(&rb);
	runset_free(&ra);
	return ret;
}
