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

/* One figure of a pair: A, B and B/A, as a text row and a JSON entry. */
static void metric_out(const struct pair *p, size_t i, FILE *f, json_t *jm)
{
	const struct rs_val *va = &p->a->m[shown[i].m], *vb = &p->b->m[shown[i].m];
	struct stats_ratio r = { 0 };
	char ta[96], tb[96], tr[96] = "-", what[64];
	int pp = p->a->pingpong, ok;

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
			    json_pack("{s:o, s:o, s:o}", "a", val_json(va), "b", val_json(vb),
				      "b_over_a", ratio_json(&r, ok)));
}

static void metrics_out(const struct pair *p, const char *name_a, const char *name_b, FILE *f,
			json_t *jm)
{
	int pp = p->a->pingpong;

	fputs("  ", f);
	utf8_pad(f, "", 31, 0);
	utf8_pad(f, name_a, 27, 0);
	utf8_pad(f, name_b, 27, 0);
	fputs("B/A [95% CI]\n", f);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		const struct rs_val *va = &p->a->m[shown[i].m], *vb = &p->b->m[shown[i].m];

		if (shown[i].pp >= 0 && shown[i].pp != pp)
			continue;
		if (!va->st.n && !vb->st.n)
			continue;
		metric_out(p, i, f, jm);
	}
}

/* The groups that matter, largest first, then one line for the rest. */
static void diffs_text(FILE *f, const struct gdiff *d, int n)
{
	double moved = 0;
	int j;

	/* Shares of everything that moved: a net change near zero can hide
	 * large moves in opposite directions. */
	for (j = 0; j < n; j++)
		moved += fabs(d[j].d);
	for (j = 0; j < n && j < 8 && fabs(d[j].d) >= 0.5; j++)
		fprintf(f, "    %-32s %9.0f %9.0f %+9.0f %6.0f%%\n", d[j].name, d[j].a, d[j].b,
			d[j].d + 0.0, moved > 0 ? 100.0 * fabs(d[j].d) / moved : 0.0);
	if (j < n) {
		double rest = 0, rest_abs = 0;

		for (int k = j; k < n; k++) {
			rest += d[k].d;
			rest_abs += fabs(d[k].d);
		}
		fprintf(f, "    %-32s %9s %9s %+9.0f %6.0f%%\n", "(all other groups)", "", "",
			rest + 0.0, moved > 0 ? 100.0 * rest_abs / moved : 0.0);
	}
}

/* Core c of a pair: busy A -> B and the groups the difference is in. */
static int core_out(const struct pair *p, int c, const char *name_a, const char *name_b,
		    FILE *f, json_t *jc)
{
	const struct rs_core *ca = &p->a->core[c], *cb = &p->b->core[c];
	double da = gmean(&ca->busy), db = gmean(&cb->busy);
	int same = !strcmp(ca->label, cb->label);
	struct gdiff *d = NULL;
	int n = core_diffs(p, c, &d);
	json_t *jg;

	if (n < 0)
		return n;
	fprintf(f, "  core %s%s%s: busy %.0f -> %.0f ns/%s (%+.0f)\n", ca->label,
		same ? "" : " vs ", same ? "" : cb->label, da, db, p->a->pingpong ? "txn" : "pkt",
		db - da);
	fprintf(f, "    %-32s %9s %9s %9s %7s\n", "where the difference is", name_a, name_b, "B-A",
		"|moved|");
	jg = json_array();
	for (int j = 0; j < n; j++)
		json_array_append_new(jg, json_pack("{s:s, s:f, s:f, s:f}", "group", d[j].name, "a",
						    d[j].a, "b", d[j].b, "diff", d[j].d));
	diffs_text(f, d, n);
	json_array_append_new(jc, json_pack("{s:s, s:s, s:f, s:f, s:o}", "a_label", ca->label,
					    "b_label", cb->label, "busy_a", da, "busy_b", db,
					    "groups", jg));
	free(d);
	return 0;
}

/* The disturbed cases of one side of a pair: their numbers into jl, and
 * as text into buf. How many. */
static int side_disturbed(const struct runset *rs, const struct rs_combo *c, json_t *jl,
			  char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < c->ncases; i++) {
		json_t *r = rs->cases[c->cases[i]];
		json_int_t k = json_integer_value(json_object_get(r, "case"));
		size_t l = strlen(buf);

		if (!json_is_true(json_object_get(r, "disturbed")))
			continue;
		json_array_append_new(jl, json_integer(k));
		snprintf(buf + l, len - l, "%s%lld", n++ ? "," : "", (long long)k);
	}
	return n;
}

/* A comparison of disturbed cases says so, on stderr too (--json). */
static json_t *pair_disturbed(const struct pair *p, const char *name_a, const char *name_b,
			      FILE *f)
{
	json_t *ja = json_array(), *jb = json_array();
	char ta[256], tb[256];
	int na = side_disturbed(p->ra, p->a, ja, ta, sizeof(ta));
	int nb = side_disturbed(p->rb, p->b, jb, tb, sizeof(tb));

	if (na || nb) {
		char w[640];

		snprintf(w, sizeof(w),
			 "comparing disturbed cases (%s%s%s%s%s%s%s%s): something else competed "
			 "for their cores, see \"disturbance\" in their result.json",
			 na ? name_a : "", na ? " case " : "", na ? ta : "", na && nb ? ", " : "",
			 nb ? name_b : "", nb ? " case " : "", nb ? tb : "", "");
		fprintf(f, "  WARNING: %s\n", w);
		fprintf(stderr, "bypasslab compare: warning: %s: %s\n", p->label, w);
	}
	return json_pack("{s:o, s:o}", "a", ja, "b", jb);
}

static int pair_out(const struct pair *p, const char *name_a, const char *name_b, FILE *f,
		    json_t *jl)
{
	json_t *jm = json_object(), *jc = json_array(), *jd;
	int err;

	fprintf(f, "\n== %s\n", p->label);
	jd = pair_disturbed(p, name_a, name_b, f);
	metrics_out(p, name_a, name_b, f, jm);
	for (int c = 0; c < p->a->ncores && c < p->b->ncores; c++) {
		err = core_out(p, c, name_a, name_b, f, jc);
		if (err) {
			json_decref(jm);
			json_decref(jc);
			json_decref(jd);
			return err;
		}
	}
	json_array_append_new(jl, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "case", p->label,
					    "a_params", json_deep_copy(p->a->params), "b_params",
					    json_deep_copy(p->b->params), "metrics", jm, "cores",
					    jc, "disturbed", jd));
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

/* One comparison: its arguments, the runs, and what it finds. */
struct cmp {
	const char *by, *va, *vb; /* --by KEY A B */
	const char *path_a, *path_b;
	const char *name_a, *name_b; /* column heads */
	int json;
	struct runset ra, rb;
	const struct runset *pa, *pb;
	int loaded_a, loaded_b;
	json_t *out, *pairs, *only_a, *only_b;
	FILE *f;     /* the text: stdout, or /dev/null with --json */
	int npairs;
};

/* Options and positional arguments: -1 to go on, else the exit code. */
static int cmp_args(int argc, char **argv, struct cmp *c)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt, npos;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "b:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			c->by = optarg;
			break;
		case 'j':
			c->json = 1;
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
	if ((c->by && npos != 3) || (!c->by && npos != 2)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* "results/RUN/" and "results/RUN" name the same run. */
	for (int i = optind; i < argc && i < optind + (c->by ? 1 : 2); i++)
		for (size_t l = strlen(argv[i]); l > 1 && argv[i][l - 1] == '/'; l--)
			argv[i][l - 1] = 0;
	c->path_a = argv[optind];
	c->path_b = c->by ? argv[optind] : argv[optind + 1];
	if (c->by) {
		c->va = argv[optind + 1];
		c->vb = argv[optind + 2];
	}
	return -1;
}

/* --by KEY A B: KEY is a parameter and both values occur. 0 or EXIT_USAGE. */
static int cmp_check_by(const struct cmp *c)
{
	const struct runset *rs = &c->ra;
	int has_a = 0, has_b = 0;

	if (!json_object_get(rs->combos[0].params, c->by) || !strcmp(c->by, "rep")) {
		fprintf(stderr, "bypasslab compare: --by '%s': not a parameter of %s\n", c->by,
			c->path_a);
		return EXIT_USAGE;
	}
	for (int i = 0; i < rs->ncombos; i++) {
		has_a |= param_is(rs->combos[i].params, c->by, c->va);
		has_b |= param_is(rs->combos[i].params, c->by, c->vb);
	}
	if (!has_a || !has_b) {
		fprintf(stderr, "bypasslab compare: --by %s: no case with %s=%s in %s\n", c->by,
			c->by, !has_a ? c->va : c->vb, c->path_a);
		return EXIT_USAGE;
	}
	return 0;
}

static int load_exit(int r, const char *err)
{
	fprintf(stderr, "bypasslab compare: %s\n", err);
	return r == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
}

/* Run A, then run B or the --by check: -1 to go on, else the exit code. */
static int cmp_load(struct cmp *c)
{
	char err[4400] = "";
	int r;

	r = runset_load(c->path_a, &c->ra, err, sizeof(err));
	if (r)
		return load_exit(r, err);
	c->loaded_a = 1;
	c->pa = c->pb = &c->ra;
	if (c->by) {
		c->name_a = c->va;
		c->name_b = c->vb;
		return cmp_check_by(c) ?: -1;
	}
	r = runset_load(c->path_b, &c->rb, err, sizeof(err));
	if (r)
		return load_exit(r, err);
	c->loaded_b = 1;
	c->pb = &c->rb;
	c->name_a = "A";
	c->name_b = "B";
	return -1;
}

/* The result object, and where the text goes. 0 or EXIT_FAIL. */
static int cmp_begin(struct cmp *c)
{
	c->out = json_object();
	c->pairs = json_array();
	c->only_a = json_array();
	c->only_b = json_array();
	json_object_set_new(c->out, "pairs", c->pairs);
	json_object_set_new(c->out, "only_a", c->only_a);
	json_object_set_new(c->out, "only_b", c->only_b);
	c->f = stdout;
	if (c->json) {
		/* The text goes nowhere; the same walk builds the JSON. */
		c->f = fopen("/dev/null", "w");
		if (!c->f)
			return EXIT_FAIL;
	} else if (c->by) {
		printf("compare %s: %s=%s (A) against %s=%s (B)\n", c->path_a, c->by, c->va, c->by,
		       c->vb);
	} else {
		printf("compare A: %s\n        B: %s\n", c->path_a, c->path_b);
	}
	return 0;
}

/* B's combination with A's parameters (the --by key aside), or NULL. */
static const struct rs_combo *cmp_find_b(const struct cmp *c, const struct rs_combo *a)
{
	char ka[2048], kb[2048];

	rs_match_key(a->params, c->by, ka, sizeof(ka));
	for (int j = 0; j < c->pb->ncombos; j++) {
		if (c->by && !param_is(c->pb->combos[j].params, c->by, c->vb))
			continue;
		rs_match_key(c->pb->combos[j].params, c->by, kb, sizeof(kb));
		if (!strcmp(ka, kb))
			return &c->pb->combos[j];
	}
	return NULL;
}

/* Every combination of A against its match in B. 0 or -errno. */
static int cmp_pairs(struct cmp *c)
{
	for (int i = 0; i < c->pa->ncombos; i++) {
		const struct rs_combo *a = &c->pa->combos[i];
		struct pair p = { .ra = c->pa, .rb = c->pb, .a = a };
		int r;

		if (c->by && !param_is(a->params, c->by, c->va))
			continue;
		p.b = cmp_find_b(c, a);
		if (!p.b) {
			json_array_append_new(c->only_a, json_string(a->label));
			continue;
		}
		if (c->by)
			rs_params_label_skip(c->pa, a->params, c->by, p.label, sizeof(p.label));
		else
			snprintf(p.label, sizeof(p.label), "%s", a->label);
		r = pair_out(&p, c->name_a, c->name_b, c->f, c->pairs);
		if (r)
			return r;
		c->npairs++;
	}
	return 0;
}

/* Two runs: B's combinations that A has not. */
static void cmp_only_b(struct cmp *c)
{
	char ka[2048], kb[2048];

	for (int j = 0; j < c->pb->ncombos; j++) {
		int hit = 0;

		rs_match_key(c->pb->combos[j].params, NULL, kb, sizeof(kb));
		for (int i = 0; i < c->pa->ncombos && !hit; i++) {
			rs_match_key(c->pa->combos[i].params, NULL, ka, sizeof(ka));
			hit = !strcmp(ka, kb);
		}
		if (!hit)
			json_array_append_new(c->only_b, json_string(c->pb->combos[j].label));
	}
}

static void cmp_end(struct cmp *c)
{
	size_t k;
	json_t *s;

	if (c->json) {
		json_object_set_new(c->out, "a", json_string(c->path_a));
		json_object_set_new(c->out, "b", json_string(c->path_b));
		if (c->by)
			json_object_set_new(c->out, "by", json_pack("{s:s, s:s, s:s}", "key", c->by,
								    "a", c->va, "b", c->vb));
		json_dumpf(c->out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		putchar('\n');
		return;
	}
	json_array_foreach(c->only_a, k, s)
		printf("\nonly in A: %s\n", json_string_value(s));
	json_array_foreach(c->only_b, k, s)
		printf("\nonly in B: %s\n", json_string_value(s));
	printf("\n%d matching combination(s). B/A intervals: delta method, Welch-"
	       "Satterthwaite t; n = seconds of one repetition or repetitions.\n",
	       c->npairs);
}

static void cmp_free(struct cmp *c)
{
	if (c->f && c->f != stdout)
		fclose(c->f);
	json_decref(c->out);
	if (c->loaded_b)
		runset_free(&c->rb);
	if (c->loaded_a)
		runset_free(&c->ra);
}

int do_compare(int argc, char **argv)
{
	struct cmp c = { 0 };
	int ret;

	ret = cmp_args(argc, argv, &c);
	if (ret >= 0)
		return ret;
	ret = cmp_load(&c);
	if (ret >= 0)
		goto done;
	ret = cmp_begin(&c);
	if (ret)
		goto done;
	if (cmp_pairs(&c)) {
		ret = EXIT_FAIL;
		goto done;
	}
	if (!c.by)
		cmp_only_b(&c);
	cmp_end(&c);
	if (!c.npairs) {
		fprintf(stderr, "bypasslab compare: no combination matches between A and B\n");
		ret = EXIT_USAGE;
		goto done;
	}
	ret = EXIT_OK;
done:
	cmp_free(&c);
	return ret;
}
