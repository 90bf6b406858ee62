// SPDX-License-Identifier: BSD-3-Clause
/*
 * Loading one run's results and aggregating them per parameter combination.
 * The reports (text, CSV, plots, HTML) and the comparison all read the same
 * aggregates, so a figure is computed one way everywhere.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonpath.h"
#include "runset.h"

const struct rs_metric_info rs_metrics[RM_N] = {
	[RM_PPS] = { "pps", "received packets/s", "throughput.rx_pps" },
	[RM_TX_PPS] = { "tx_pps", "sent packets/s", "throughput.tx_pps" },
	[RM_GBPS_L1] = { "gbps_l1", "received Gb/s (L1)", "throughput.rx_gbps_l1" },
	[RM_GBPS_L2] = { "gbps_l2", "received Gb/s (L2)", "throughput.rx_gbps_l2" },
	[RM_LOSS] = { "loss_pct", "loss %", "throughput.loss_pct" },
	[RM_RTT_P50] = { "rtt_p50", "RTT p50", "rtt_ns.p50" },
	[RM_RTT_P99] = { "rtt_p99", "RTT p99", "rtt_ns.p99" },
	[RM_RTT_P999] = { "rtt_p99_9", "RTT p99.9", "rtt_ns.p99_9" },
	[RM_TX_SYS] = { "tx_sys_per_pkt", "sender/client syscalls/pkt",
			"endpoints.a.tx_syscalls_per_pkt" },
	[RM_NDR] = { "ndr_pps", "NDR packets/s", "search.ndr_pps" },
	[RM_PDR] = { "pdr_pps", "PDR packets/s", "search.pdr_pps" },
	[RM_RX_SYS] = { "rx_sys_per_pkt", "receiver/server syscalls/pkt",
			"endpoints.b.rx_syscalls_per_pkt" },
};

/* Attribution groups in the order a packet meets them on the sender's core,
 * then the costs that are not on the packet's way. Colours stay with the
 * group in every plot and table. */
static const struct {
	const char *name, *color;
} known_groups[] = {
	{ "user", "#4e79a7" },
	{ "syscall entry/exit", "#d37295" },
	{ "syscalls", "#f28e2b" },
	{ "veth xmit", "#59a14f" },
	{ "bridge", "#e15759" },
	{ "softirq NET_RX (napi, backlog)", "#76b7b2" },
	{ "receive (other devices)", "#9c755f" },
	{ "IP/UDP receive", "#edc948" },
	{ "socket enqueue/wakeup", "#b07aa1" },
	{ "softirq NET_TX", "#ff9da7" },
	{ "hardirq", "#8cd17d" },
	{ "other softirqs", "#d4a6c8" },
	{ "other tasks (off-CPU)", "#c9c9c9" },
	{ "probes", "#79706e" },
	{ "unattributed", "#ececec" },
};
#define NKNOWN ((int)(sizeof(known_groups) / sizeof(known_groups[0])))
static const char *const extra_colors[] = { "#86bcb6", "#f1ce63", "#a0cbe8", "#ffbe7d",
					    "#b6992d", "#499894" };

static int known_index(const char *g)
{
	for (int i = 0; i < NKNOWN; i++)
		if (!strcmp(known_groups[i].name, g))
			return i;
	return -1;
}

const char *rs_group_color(const char *group)
{
	int i = known_index(group);
	unsigned int h = 5381;

	if (i >= 0)
		return known_groups[i].color;
	for (const char *p = group; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return extra_colors[h % (sizeof(extra_colors) / sizeof(extra_colors[0]))];
}

int rs_group_busy(const char *group)
{
	return strcmp(group, "idle") != 0;
}

int rs_num(json_t *o, const char *path, double *out)
{
	json_t *j = jpath(o, path);

	if (!json_is_number(j))
		return -ENOENT;
	*out = json_number_value(j);
	return 0;
}

const char *rs_str(json_t *o, const char *path)
{
	const char *s = json_string_value(jpath(o, path));

	return s ? s : "";
}

void rs_fmt_si(char *buf, size_t len, double v)
{
	double a = fabs(v);

	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (a >= 1e9)
		snprintf(buf, len, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else if (a >= 1000)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.4g", v);
}

void rs_fmt_val(char *buf, size_t len, const struct rs_val *v, double scale, int si,
		int decimals)
{
	char m[32], c[32];

	if (!v->st.n) {
		snprintf(buf, len, "-");
		return;
	}
	/* + 0.0 turns a negative zero into "0", not "-0". */
	if (si) {
		double x = v->st.mean / scale, a = fabs(x), u = 1;
		const char *sfx = "";
		int dec;

		/* The interval in the mean's unit and to its precision. */
		if (a >= 1e9)
			u = 1e9, sfx = "G";
		else if (a >= 1e6)
			u = 1e6, sfx = "M";
		else if (a >= 1e4)
			u = 1e3, sfx = "k";
		if (*sfx) {
			dec = 3 - ((int)floor(log10(a / u)) + 1);
			dec = dec < 0 ? 0 : dec;
		} else {
			dec = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
		}
		snprintf(m, sizeof(m), "%.*f%s", dec, x / u + 0.0, sfx);
		snprintf(c, sizeof(c), "%.*f%s", dec, v->st.ci95 / scale / u, sfx);
	} else {
		double r = pow(10, decimals), mv = round(v->st.mean / scale * r) / r + 0.0;

		snprintf(m, sizeof(m), "%.*f", decimals, mv);
		snprintf(c, sizeof(c), "%.*f", decimals, v->st.ci95 / scale);
	}
	/* Identical values: no interval worth printing. */
	if (v->st.n > 1 && isfinite(v->st.ci95) && v->st.ci95 > 0)
		snprintf(buf, len, "%s ±%s", m, c);
	else
		snprintf(buf, len, "%s", m);
}

/* ---- loading -------------------------------------------------------------- */

static int case_num(json_t *r)
{
	return (int)json_integer_value(json_object_get(r, "case"));
}

static int cmp_case(const void *x, const void *y)
{
	return case_num(*(json_t *const *)x) - case_num(*(json_t *const *)y);
}

static int case_ok(json_t *r)
{
	return !strcmp(rs_str(r, "status"), "ok") && json_is_object(json_object_get(r, "throughput"));
}

/* Parameters in the order a label names them; the others follow. */
static const char *const label_order[] = { "variant", "datapath", "topology", "pattern", "size", "burst",
					   "rate", "rate_pps", NULL };

static int label_rank(const char *k)
{
	for (int i = 0; label_order[i]; i++)
		if (!strcmp(label_order[i], k))
			return i;
	return 100;
}

/* 5 and 5.0 are the same parameter value, whoever wrote the file. */
static int param_equal(json_t *a, json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return a && b && json_equal(a, b);
}

static int skip_param(const char *k)
{
	return !strcmp(k, "rep") || !strcmp(k, "repeat") || !strcmp(k, "name");
}

static int varies_among_pingpong(const struct runset *rs, const char *k)
{
	json_t *first = NULL;

	for (int i = 0; i < rs->ncases; i++) {
		json_t *p = json_object_get(rs->cases[i], "params");

		if (strcmp(rs_str(p, "pattern"), "pingpong"))
			continue;
		if (!first)
			first = json_object_get(p, k);
		else if (!param_equal(first, json_object_get(p, k)))
			return 1;
	}
	return 0;
}

static void find_varying(struct runset *rs)
{
	json_t *p0 = json_object_get(rs->cases[0], "params"), *v;
	const char *k;

	rs->varying = calloc(json_object_size(p0) + 1, sizeof(char *));
	if (!rs->varying)
		return;
	json_object_foreach(p0, k, v) {
		if (skip_param(k))
			continue;
		for (int i = 1; i < rs->ncases; i++) {
			json_t *w = json_object_get(json_object_get(rs->cases[i], "params"), k);

			if (!param_equal(v, w)) {
				rs->varying[rs->nvarying++] = k;
				break;
			}
		}
	}
	/* Parameters that only follow others say nothing new in a label:
	 * open_loop is "n/a" for every throughput case, rate follows rate_pps. */
	for (int i = 0; i < rs->nvarying; i++) {
		const char *k = rs->varying[i];
		int drop = 0;

		if (!strcmp(k, "open_loop"))
			drop = !varies_among_pingpong(rs, k);
		else if (!strcmp(k, "rate"))
			for (int j = 0; j < rs->nvarying; j++)
				drop |= !strcmp(rs->varying[j], "rate_pps");
		if (drop) {
			memmove(&rs->varying[i], &rs->varying[i + 1],
				sizeof(char *) * (size_t)(rs->nvarying - i - 1));
			rs->nvarying--;
			i--;
		}
	}
	/* Stable by rank: few entries, insertion sort. */
	for (int i = 1; i < rs->nvarying; i++)
		for (int j = i; j > 0 && label_rank(rs->varying[j]) < label_rank(rs->varying[j - 1]);
		     j--) {
			const char *t = rs->varying[j];

			rs->varying[j] = rs->varying[j - 1];
			rs->varying[j - 1] = t;
		}
}

static void param_text(json_t *v, const char *k, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, len, "?");
	(void)k;
}

void rs_params_label(const struct runset *rs, json_t *params, char *buf, size_t len)
{
	rs_params_label_skip(rs, params, NULL, buf, len);
}

void rs_params_label_skip(const struct runset *rs, json_t *params, const char *skip, char *buf,
			  size_t len)
{
	int has_dp = 0;
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < rs->nvarying; i++)
		if (!strcmp(rs->varying[i], "datapath"))
			has_dp = 1;
	/* The datapath always names a bar, varying or not. */
	if (!has_dp)
		n += (size_t)snprintf(buf, len, "%s", rs_str(params, "datapath"));
	for (int i = 0; i < rs->nvarying && n < len; i++) {
		const char *k = rs->varying[i];
		char v[64];

		if (skip && strstr(skip, k) && strcmp(k, "datapath")) {
			/* skip is a space-separated list of parameter names */
			size_t kl = strlen(k);
			const char *p = skip;
			int hit = 0;

			while ((p = strstr(p, k))) {
				if ((p == skip || p[-1] == ' ') && (p[kl] == ' ' || !p[kl]))
					hit = 1;
				p += kl;
			}
			if (hit)
				continue;
		}

		param_text(json_object_get(params, k), k, v, sizeof(v));
		if (!strcmp(k, "datapath") || !strcmp(k, "topology") || !strcmp(k, "pattern"))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", v);
		else if (!strcmp(k, "size"))
			n += (size_t)snprintf(buf + n, len - n, "%s%s B", n ? " " : "", v);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", k, v);
	}
}

static void key_of(json_t *params, const char *const *drop, char *buf, size_t len)
{
	json_t *p = json_deep_copy(params);
	char *s;

	const char *k;
	json_t *v;

	for (int i = 0; p && drop[i]; i++)
		json_object_del(p, drop[i]);
	/* Integral reals as integers, so 5.0 and 5 give one key. */
	json_object_foreach(p, k, v)
		if (json_is_real(v) && json_real_value(v) == (double)(json_int_t)json_real_value(v))
			json_object_set_new(p, k, json_integer((json_int_t)json_real_value(v)));
	s = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	snprintf(buf, len, "%s", s ? s : "");
	free(s);
	json_decref(p);
}

/* What a variant cannot change and a comparison of variants must match:
 * a variant also sets its own options, which differ by design. */
static const char *const variant_match[] = { "datapath", "topology", "pattern", "size",
					     "burst", "rate_pps", "outstanding", "pairs",
					     "container", NULL };

void rs_match_key(json_t *params, const char *skip, char *buf, size_t len)
{
	const char *drop[] = { "rep", "repeat", "name", "duration_s", "warmup_s",
			       skip ? skip : "rep", NULL };
	json_t *only;

	if (!skip || strcmp(skip, "variant")) {
		key_of(params, drop, buf, len);
		return;
	}
	only = json_object();
	for (int i = 0; variant_match[i]; i++)
		if (json_object_get(params, variant_match[i]))
			json_object_set(only, variant_match[i],
					json_object_get(params, variant_match[i]));
	key_of(only, drop, buf, len);
	json_decref(only);
}

static int group_cmp(const void *x, const void *y)
{
	const char *a = *(char *const *)x, *b = *(char *const *)y;
	int ia = known_index(a), ib = known_index(b);

	if (ia < 0)
		ia = NKNOWN - 1; /* unknown groups before "unattributed" */
	if (ib < 0)
		ib = NKNOWN - 1;
	if (!strcmp(a, "unattributed"))
		ia = NKNOWN;
	if (!strcmp(b, "unattributed"))
		ib = NKNOWN;
	return ia != ib ? ia - ib : strcmp(a, b);
}

static int collect_groups(struct runset *rs)
{
	int cap = 0;

	for (int i = 0; i < rs->ncases; i++) {
		json_t *cores = jpath(rs->cases[i], "attribution.cores"), *core, *g;
		const char *name;
		size_t k;

		json_array_foreach(cores, k, core) {
			rs->has_attr = 1;
			json_object_foreach(json_object_get(core, "groups"), name, g) {
				int seen = 0;

				if (!rs_group_busy(name))
					continue;
				for (int j = 0; j < rs->ngroups && !seen; j++)
					seen = !strcmp(rs->groups[j], name);
				if (seen)
					continue;
				if (rs->ngroups == cap) {
					char **n;

					cap = cap ? cap * 2 : 16;
					n = realloc(rs->groups, sizeof(char *) * (size_t)cap);
					if (!n)
						return -ENOMEM;
					rs->groups = n;
				}
				rs->groups[rs->ngroups] = strdup(name);
				if (!rs->groups[rs->ngroups])
					return -ENOMEM;
				rs->ngroups++;
			}
		}
	}
	if (rs->ngroups)
		qsort(rs->groups, (size_t)rs->ngroups, sizeof(char *), group_cmp);
	return 0;
}

/* ---- aggregation ---------------------------------------------------------- */

/* One case's figure for a metric; 0 when it has one. */
typedef int (*val_fn)(json_t *res, const void *arg, double *out);

struct core_arg {
	int core;
	const char *field; /* a core scalar, or NULL with group/sys set */
	const char *group;
	const char *sys;
	const char *sys_field;
};

static int metric_val(json_t *res, const void *arg, double *out)
{
	return rs_num(res, (const char *)arg, out);
}

static int core_val(json_t *res, const void *arg, double *out)
{
	const struct core_arg *a = arg;
	json_t *core = json_array_get(jpath(res, "attribution.cores"), (size_t)a->core), *s;
	size_t k;

	if (!json_is_object(core))
		return -ENOENT;
	if (a->field)
		return rs_num(core, a->field, out);
	if (a->group) {
		/* An absent group is time the probes saw none of. */
		*out = 0;
		rs_num(json_object_get(json_object_get(core, "groups"), a->group), "ns_per_pkt",
		       out);
		return 0;
	}
	json_array_foreach(json_object_get(core, "syscalls"), k, s) {
		if (!strcmp(rs_str(s, "name"), a->sys))
			return rs_num(s, a->sys_field, out);
	}
	if (!strcmp(a->sys_field, "ns_per_call"))
		return -ENOENT;
	*out = 0;
	return 0;
}

/* Per-second samples of `key` after trimming (into dst when not NULL, at
 * most max; their sum into *sum when not NULL); returns how many, 0 when
 * fewer than three samples exist. */
static int trimmed_samples(json_t *res, const char *key, double scale, double *dst, int max,
			   double *sum)
{
	json_t *samples = json_object_get(res, "samples");
	int n = (int)json_array_size(samples), first, count;

	if (n < 3)
		return 0;
	stats_trim(n, &first, &count);
	if (count > max)
		count = max;
	if (sum)
		*sum = 0;
	for (int i = 0; i < count; i++) {
		double v = 0;

		rs_num(json_array_get(samples, (size_t)(first + i)), key, &v);
		if (dst)
			dst[i] = v * scale;
		if (sum)
			*sum += v * scale;
	}
	return count;
}

static int agg(struct rs_combo *c, json_t **cases, val_fn fn, const void *arg,
	       const char *sample_key, double scale, struct rs_val *out)
{
	int cap = c->ncases, n = 0, ns;
	json_t *only = NULL;

	memset(out, 0, sizeof(*out));
	out->st.ci95 = NAN;
	for (int i = 0; i < c->ncases; i++) {
		double v;

		if (case_ok(cases[c->cases[i]]) && !fn(cases[c->cases[i]], arg, &v)) {
			n++;
			only = cases[c->cases[i]];
		}
	}
	if (!n)
		return 0;
	/* One repetition: the spread comes from its per-second samples. */
	if (n == 1 && sample_key) {
		ns = trimmed_samples(only, sample_key, scale, NULL, INT_MAX, NULL);
		if (ns > 0)
			cap = ns;
	}
	out->v = calloc((size_t)cap, sizeof(double));
	out->src = calloc((size_t)cap, sizeof(int));
	if (!out->v || !out->src)
		return -ENOMEM;
	if (n == 1 && sample_key && cap > 0 &&
	    (ns = trimmed_samples(only, sample_key, scale, out->v, cap, NULL)) > 0) {
		for (int i = 0; i < ns; i++)
			out->src[i] = 2 + i; /* 1-based second; the first was dropped */
		out->from_samples = 1;
		return stats_compute(out->v, ns, &out->st);
	}
	n = 0;
	for (int i = 0; i < c->ncases; i++) {
		json_t *r = cases[c->cases[i]];
		double v, sum;
		int k;

		if (!case_ok(r) || fn(r, arg, &v))
			continue;
		/* A repetition's figure is the mean of its trimmed samples when
		 * it has them: the same definition as for one repetition. */
		if (sample_key &&
		    (k = trimmed_samples(r, sample_key, scale, NULL, INT_MAX, &sum)) > 0)
			v = sum / k;
		out->v[n] = v;
		out->src[n] = c->cases[i];
		n++;
	}
	return stats_compute(out->v, n, &out->st);
}

static void val_free(struct rs_val *v)
{
	free(v->v);
	free(v->src);
	v->v = NULL;
	v->src = NULL;
}

static int agg_core(struct runset *rs, struct rs_combo *c, int ci)
{
	struct rs_core *k = &c->core[ci];
	struct core_arg a = { .core = ci };
	json_t *first = NULL;
	int err;

	for (int i = 0; i < c->ncases && !first; i++) {
		json_t *core = json_array_get(jpath(rs->cases[c->cases[i]], "attribution.cores"),
					      (size_t)ci);

		if (case_ok(rs->cases[c->cases[i]]) && json_is_object(core))
			first = core;
	}
	if (!first)
		return 0;
	snprintf(k->label, sizeof(k->label), "%s", rs_str(first, "endpoints"));
	a.field = "busy_ns_per_pkt";
	err = agg(c, rs->cases, core_val, &a, NULL, 1, &k->busy);
	a.field = "unattributed_ns_per_pkt";
	err = err ?: agg(c, rs->cases, core_val, &a, NULL, 1, &k->unattributed);
	a.field = "closure_pct";
	err = err ?: agg(c, rs->cases, core_val, &a, NULL, 1, &k->closure);
	a.field = "syscalls_per_pkt";
	err = err ?: agg(c, rs->cases, core_val, &a, NULL, 1, &k->syscalls);
	if (err)
		return err;
	a.field = NULL;
	k->groups = calloc((size_t)rs->ngroups + 1, sizeof(*k->groups));
	if (!k->groups)
		return -ENOMEM;
	for (int g = 0; g < rs->ngroups; g++) {
		a.group = rs->groups[g];
		err = agg(c, rs->cases, core_val, &a, NULL, 1, &k->groups[g]);
		if (err)
			return err;
	}
	a.group = NULL;
	/* Syscalls by name, in the first repetition's order (by time). */
	{
		json_t *sys = json_object_get(first, "syscalls"), *s;
		size_t i;

		k->sys = calloc(json_array_size(sys) + 1, sizeof(*k->sys));
		if (!k->sys)
			return -ENOMEM;
		json_array_foreach(sys, i, s) {
			struct rs_sys *y = &k->sys[k->nsys++];

			snprintf(y->name, sizeof(y->name), "%s", rs_str(s, "name"));
			a.sys = y->name;
			a.sys_field = "ns_per_pkt";
			err = agg(c, rs->cases, core_val, &a, NULL, 1, &y->ns_per_pkt);
			a.sys_field = "calls_per_pkt";
			err = err ?: agg(c, rs->cases, core_val, &a, NULL, 1, &y->calls_per_pkt);
			a.sys_field = "ns_per_call";
			err = err ?: agg(c, rs->cases, core_val, &a, NULL, 1, &y->ns_per_call);
			if (err)
				return err;
		}
	}
	if (ci + 1 > c->ncores)
		c->ncores = ci + 1;
	return 0;
}

static int agg_combo(struct runset *rs, struct rs_combo *c)
{
	double size = 0;
	int err = 0;

	rs_num(c->params, "size", &size);
	c->pingpong = !strcmp(rs_str(c->params, "pattern"), "pingpong");
	c->status = "ok";
	for (int i = 0; i < c->ncases; i++) {
		json_t *r = rs->cases[c->cases[i]];

		if (case_ok(r))
			c->nok++;
		else if (!strcmp(c->status, "ok"))
			c->status = rs_str(r, "status")[0] ? rs_str(r, "status") : "failed";
	}
	if (c->nok)
		c->status = "ok";
	for (int m = 0; m < RM_N && !err; m++) {
		const char *sk = NULL;
		double scale = 1;

		switch (m) {
		case RM_PPS:
			sk = "rx_pps";
			break;
		case RM_TX_PPS:
			sk = "tx_pps";
			break;
		case RM_GBPS_L1:
			sk = "rx_pps";
			scale = (size + 20) * 8 / 1e9;
			break;
		case RM_GBPS_L2:
			sk = "rx_pps";
			scale = size * 8 / 1e9;
			break;
		}
		err = agg(c, rs->cases, metric_val, rs_metrics[m].path, sk, scale, &c->m[m]);
	}
	for (int ci = 0; ci < RS_MAX_CORES && !err; ci++)
		err = agg_core(rs, c, ci);
	if (c->nok) {
		if (c->pingpong)
			rs->has_pp = 1;
		else
			rs->has_thr = 1;
	}
	return err;
}

/* A string value's rank is where it first appears in the run (the config's
 * order); numbers sort by value. */
static int value_rank(const struct runset *rs, const char *k, json_t *v)
{
	for (int i = 0; i < rs->ncases; i++)
		if (param_equal(json_object_get(json_object_get(rs->cases[i], "params"), k), v))
			return i;
	return rs->ncases;
}

static int combo_cmp(const void *x, const void *y, void *arg)
{
	const struct rs_combo *a = x, *b = y;
	const struct runset *rs = arg;

	for (int i = 0; i < rs->nvarying; i++) {
		const char *k = rs->varying[i];
		json_t *va = json_object_get(a->params, k), *vb = json_object_get(b->params, k);

		if (json_is_number(va) && json_is_number(vb)) {
			double da = json_number_value(va), db = json_number_value(vb);

			if (da != db)
				return da < db ? -1 : 1;
		} else {
			int ra = value_rank(rs, k, va), rb = value_rank(rs, k, vb);

			if (ra != rb)
				return ra - rb;
		}
	}
	return a->cases[0] - b->cases[0];
}

static int build(struct runset *rs)
{
	const char *drop[] = { "rep", NULL };
	int err;

	if (!rs->ncases)
		return -ENOENT;
	qsort(rs->cases, (size_t)rs->ncases, sizeof(json_t *), cmp_case);
	find_varying(rs);
	if (!rs->varying)
		return -ENOMEM;
	err = collect_groups(rs);
	if (err)
		return err;
	rs->combos = calloc((size_t)rs->ncases, sizeof(*rs->combos));
	if (!rs->combos)
		return -ENOMEM;
	for (int i = 0; i < rs->ncases; i++) {
		json_t *p = json_object_get(rs->cases[i], "params");
		char key[sizeof(rs->combos[0].key)];
		struct rs_combo *c = NULL;

		key_of(p, drop, key, sizeof(key));
		for (int j = 0; j < rs->ncombos && !c; j++)
			if (!strcmp(rs->combos[j].key, key))
				c = &rs->combos[j];
		if (!c) {
			c = &rs->combos[rs->ncombos++];
			snprintf(c->key, sizeof(c->key), "%s", key);
			c->params = p;
			rs_params_label(rs, p, c->label, sizeof(c->label));
			c->cases = calloc((size_t)rs->ncases, sizeof(int));
			if (!c->cases)
				return -ENOMEM;
		}
		c->cases[c->ncases++] = i;
	}
	/* Combinations in label order (datapath, topology, pattern, size,
	 * burst...), so the bars of one datapath stand together whatever
	 * order the run's product had. */
	qsort_r(rs->combos, (size_t)rs->ncombos, sizeof(*rs->combos), combo_cmp, rs);
	for (int j = 0; j < rs->ncombos; j++) {
		err = agg_combo(rs, &rs->combos[j]);
		if (err)
			return err;
	}
	return 0;
}

static int add_case(struct runset *rs, json_t *r, int *cap)
{
	if (rs->ncases == *cap) {
		json_t **n;

		*cap = *cap ? *cap * 2 : 16;
		n = realloc(rs->cases, sizeof(json_t *) * (size_t)*cap);
		if (!n)
			return -ENOMEM;
		rs->cases = n;
	}
	rs->cases[rs->ncases++] = r;
	return 0;
}

int runset_load(const char *dir, struct runset *rs, char *err, size_t errlen)
{
	char path[PATH_MAX + 300];
	struct dirent *e;
	json_error_t je;
	int cap = 0, ret = 0;
	DIR *d;

	memset(rs, 0, sizeof(*rs));
	snprintf(rs->dir, sizeof(rs->dir), "%s", dir);
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return ret;
	}
	while ((e = readdir(d))) {
		struct stat st;
		json_t *r;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/result.json", dir, e->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		r = json_load_file(path, 0, &je);
		if (!json_is_object(r) || !json_is_object(json_object_get(r, "params"))) {
			snprintf(err, errlen, "%s: not a result (%s)", path,
				 r ? "no params" : je.text);
			json_decref(r);
			ret = -EINVAL;
			break;
		}
		ret = add_case(rs, r, &cap);
		if (ret) {
			json_decref(r);
			break;
		}
	}
	closedir(d);
	if (!ret && !rs->ncases) {
		snprintf(err, errlen,
			 "%s: no NNN-*/result.json inside (give one run directory, results/RUN_ID)",
			 dir);
		ret = -ENOENT;
	}
	if (!ret) {
		snprintf(path, sizeof(path), "%s/run.json", dir);
		rs->run = json_load_file(path, 0, &je);
		ret = build(rs);
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
	}
	if (ret)
		runset_free(rs);
	return ret;
}

int runset_from_array(json_t *results, struct runset *rs)
{
	json_t *r;
	size_t i;
	int cap = 0, err = 0;

	memset(rs, 0, sizeof(*rs));
	json_array_foreach(results, i, r) {
		if (!json_is_object(json_object_get(r, "params")))
			continue;
		err = add_case(rs, json_incref(r), &cap);
		if (err) {
			json_decref(r);
			break;
		}
	}
	err = err ?: build(rs);
	if (err)
		runset_free(rs);
	return err;
}

void runset_free(struct runset *rs)
{
	for (int j = 0; rs->combos && j < rs->ncombos; j++) {
		struct rs_combo *c = &rs->combos[j];

		for (int m = 0; m < RM_N; m++)
			val_free(&c->m[m]);
		for (int k = 0; k < RS_MAX_CORES; k++) {
			struct rs_core *o = &c->core[k];

			val_free(&o->busy);
			val_free(&o->unattributed);
			val_free(&o->closure);
			val_free(&o->syscalls);
			for (int g = 0; o->groups && g < rs->ngroups; g++)
				val_free(&o->groups[g]);
			for (int s = 0; s < o->nsys; s++) {
				val_free(&o->sys[s].ns_per_pkt);
				val_free(&o->sys[s].calls_per_pkt);
				val_free(&o->sys[s].ns_per_call);
			}
			free(o->groups);
			free(o->sys);
		}
		free(c->cases);
	}
	free(rs->combos);
	for (int i = 0; i < rs->ncases; i++)
		json_decref(rs->cases[i]);
	free(rs->cases);
	for (int g = 0; g < rs->ngroups; g++)
		free(rs->groups[g]);
	free(rs->groups);
	free(rs->varying);
	json_decref(rs->run);
	memset(rs, 0, sizeof(*rs));
}
