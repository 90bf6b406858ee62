// SPDX-License-Identifier: BSD-3-Clause
/*
 * The report's tables, built once from the aggregates and rendered as text
 * here and as HTML in html.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"
#include "utf8.h"

#define TOP_GROUPS 7

/* Column headings for the long group names. */
static const char *group_short(const char *g)
{
	static const struct {
		const char *name, *shrt;
	} s[] = {
		{ "softirq NET_RX (napi, backlog)", "NET_RX" },
		{ "receive (other devices)", "rx other dev" },
		{ "IP/UDP receive", "IP/UDP rx" },
		{ "socket enqueue/wakeup", "sock wake" },
		{ "softirq NET_TX", "NET_TX" },
		{ "other softirqs", "other softirq" },
		{ "other tasks (off-CPU)", "other tasks" },
		{ "syscall entry/exit", "entry/exit" },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (!strcmp(s[i].name, g))
			return s[i].shrt;
	return g;
}

static int tt_init(struct ttable *t, const char *id, const char *title, int ncols, int nrows)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->title, sizeof(t->title), "%s", title);
	t->ncols = ncols;
	t->cells = calloc((size_t)(nrows ? nrows : 1) * (size_t)ncols, sizeof(*t->cells));
	return t->cells ? 0 : -ENOMEM;
}

static void tt_head(struct ttable *t, int c, const char *h, const char *unit, int right)
{
	snprintf(t->head[c], sizeof(t->head[c]), "%s", h);
	snprintf(t->unit[c], sizeof(t->unit[c]), "%s", unit ? unit : "");
	t->right[c] = right;
}

static void set_text(struct ttable *t, int r, int c, const char *s)
{
	snprintf(tt_cell(t, r, c)->text, sizeof(tt_cell(t, r, c)->text), "%s", s);
}

static void val_note(const struct runset *rs, const struct rs_val *v, double scale, char *buf,
		     size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < v->st.n && n < len; i++) {
		char a[32];

		if (!stats_is_outlier(&v->st, v->v[i]))
			continue;
		rs_fmt_si(a, sizeof(a), v->v[i] / scale);
		if (v->from_samples)
			n += (size_t)snprintf(buf + n, len - n, "%ssecond %d: %s", n ? "; " : "",
					      v->src[i], a);
		else
			n += (size_t)snprintf(buf + n, len - n, "%scase %d: %s", n ? "; " : "",
					      (int)json_integer_value(json_object_get(
						      rs->cases[v->src[i]], "case")),
					      a);
	}
}

static void set_val(const struct runset *rs, struct ttable *t, int r, int c,
		    const struct rs_val *v, double scale, int si, int decimals)
{
	struct tcell *x = tt_cell(t, r, c);

	rs_fmt_val(x->text, sizeof(x->text), v, scale, si, decimals);
	if (v->st.n_outliers) {
		x->outlier = v->st.n_outliers;
		snprintf(x->text + strlen(x->text), sizeof(x->text) - strlen(x->text), " *");
		val_note(rs, v, scale, x->note, sizeof(x->note));
	}
}

static void set_n(struct ttable *t, int r, int c, const struct rs_combo *k, const struct rs_val *v)
{
	char b[32];

	if (!v->st.n)
		snprintf(b, sizeof(b), "%s", k->status);
	else if (v->from_samples)
		snprintf(b, sizeof(b), "%d s", v->st.n);
	else if (k->ncases > 1)
		snprintf(b, sizeof(b), "%d rep", v->st.n);
	else
		snprintf(b, sizeof(b), "1");
	set_text(t, r, c, b);
}

static const char *n_note =
	"n: the per-second samples of one repetition (first and last second dropped) or the "
	"repetitions; ± is the 95 % confidence interval of the mean (Student t). A * marks "
	"a figure whose values include outliers beyond 1.5 IQR: listed under the tables and "
	"kept in the statistics.";

static int table_thr(const struct runset *rs, struct ttable *t)
{
	int searched = 0, r = 0, err;

	for (int i = 0; i < rs->ncombos; i++)
		searched |= !rs->combos[i].pingpong &&
			    (rs->combos[i].m[RM_NDR].st.n || rs->combos[i].m[RM_PDR].st.n);
	err = tt_init(t, "throughput", "Throughput", searched ? 9 : 7, rs->ncombos);
	if (err)
		return err;
	snprintf(t->note, sizeof(t->note), "%s", n_note);
	tt_head(t, 0, "combination", NULL, 0);
	tt_head(t, 1, "n", NULL, 1);
	tt_head(t, 2, "received", "pkt/s", 1);
	tt_head(t, 3, "rate L1", "Gb/s", 1);
	tt_head(t, 4, "loss", "%", 1);
	tt_head(t, 5, "sender", "syscalls/pkt", 1);
	tt_head(t, 6, "receiver", "syscalls/pkt", 1);
	if (searched) {
		tt_head(t, 7, "NDR", "pkt/s", 1);
		tt_head(t, 8, "PDR", "pkt/s", 1);
		snprintf(t->note + strlen(t->note), sizeof(t->note) - strlen(t->note),
			 " NDR/PDR: the searched highest rate without loss and within "
			 "search_loss; the other figures are of the final trial at NDR (PDR "
			 "when only PDR was searched).");
	}
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];

		if (k->pingpong)
			continue;
		if (searched) {
			set_val(rs, t, r, 7, &k->m[RM_NDR], 1, 1, 0);
			set_val(rs, t, r, 8, &k->m[RM_PDR], 1, 1, 0);
		}
		set_text(t, r, 0, k->label);
		set_n(t, r, 1, k, &k->m[RM_PPS]);
		set_val(rs, t, r, 2, &k->m[RM_PPS], 1, 1, 0);
		set_val(rs, t, r, 3, &k->m[RM_GBPS_L1], 1, 0, 3);
		set_val(rs, t, r, 4, &k->m[RM_LOSS], 1, 0, 2);
		set_val(rs, t, r, 5, &k->m[RM_TX_SYS], 1, 0, 3);
		set_val(rs, t, r, 6, &k->m[RM_RX_SYS], 1, 0, 3);
		tt_cell(t, r, 0)->first_of_group = 1;
		r++;
	}
	t->nrows = r;
	return 0;
}

static int table_pp(const struct runset *rs, struct ttable *t)
{
	int r = 0, err = tt_init(t, "pingpong", "Ping-pong latency", 8, rs->ncombos);

	if (err)
		return err;
	snprintf(t->note, sizeof(t->note),
		 "RTT percentiles over the window's histogram (< 1 %% bucket error), in "
		 "microseconds. %s",
		 n_note);
	tt_head(t, 0, "combination", NULL, 0);
	tt_head(t, 1, "n", NULL, 1);
	tt_head(t, 2, "transactions", "/s", 1);
	tt_head(t, 3, "RTT p50", "µs", 1);
	tt_head(t, 4, "RTT p99", "µs", 1);
	tt_head(t, 5, "RTT p99.9", "µs", 1);
	tt_head(t, 6, "client", "syscalls/txn", 1);
	tt_head(t, 7, "server", "syscalls/txn", 1);
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];

		if (!k->pingpong)
			continue;
		set_text(t, r, 0, k->label);
		set_n(t, r, 1, k, &k->m[RM_PPS]);
		set_val(rs, t, r, 2, &k->m[RM_PPS], 1, 1, 0);
		set_val(rs, t, r, 3, &k->m[RM_RTT_P50], 1000, 0, 1);
		set_val(rs, t, r, 4, &k->m[RM_RTT_P99], 1000, 0, 1);
		set_val(rs, t, r, 5, &k->m[RM_RTT_P999], 1000, 0, 1);
		set_val(rs, t, r, 6, &k->m[RM_TX_SYS], 1, 0, 2);
		set_val(rs, t, r, 7, &k->m[RM_RX_SYS], 1, 0, 2);
		tt_cell(t, r, 0)->first_of_group = 1;
		r++;
	}
	t->nrows = r;
	return 0;
}

int summary_top_groups(const struct runset *rs, int *idx, int max)
{
	double *peak = calloc((size_t)rs->ngroups + 1, sizeof(double));
	int n = 0;

	if (!peak)
		return 0;
	for (int i = 0; i < rs->ncombos; i++)
		for (int c = 0; c < rs->combos[i].ncores; c++)
			for (int g = 0; g < rs->ngroups; g++) {
				const struct rs_val *v = &rs->combos[i].core[c].groups[g];

				if (v->st.n && v->st.mean > peak[g])
					peak[g] = v->st.mean;
			}
	/* The largest `max`, then back into path order. */
	for (int k = 0; k < max; k++) {
		int best = -1;

		for (int g = 0; g < rs->ngroups; g++) {
			int taken = 0;

			for (int j = 0; j < n; j++)
				taken |= idx[j] == g;
			if (!taken && peak[g] > 0 && (best < 0 || peak[g] > peak[best]))
				best = g;
		}
		if (best < 0)
			break;
		idx[n++] = best;
	}
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && idx[j] < idx[j - 1]; j--) {
			int x = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = x;
		}
	free(peak);
	return n;
}

static int table_breakdown(const struct runset *rs, struct ttable *t)
{
	int top[TOP_GROUPS], ntop = summary_top_groups(rs, top, TOP_GROUPS);
	int r = 0, rows = 0, err, cols;

	for (int i = 0; i < rs->ncombos; i++)
		rows += rs->combos[i].ncores;
	cols = 3 + ntop + 3;
	err = tt_init(t, "breakdown", "Where the time goes: ns per packet by attribution group",
		      cols, rows);
	if (err)
		return err;
	snprintf(t->note, sizeof(t->note),
		 "Each core's busy time divided by its own packets (transactions for "
		 "ping-pong): the sender's core also runs the receive side up to the socket "
		 "queue on a veth path. \"rest\" sums the other groups; \"unattributed\" is "
		 "measured busy time the probes did not see (negative when they saw more); "
		 "closure = attributed / measured busy time. %s",
		 n_note);
	tt_head(t, 0, "combination", NULL, 0);
	tt_head(t, 1, "core", NULL, 0);
	tt_head(t, 2, "busy", "ns/pkt", 1);
	for (int j = 0; j < ntop; j++) {
		tt_head(t, 3 + j, group_short(rs->groups[top[j]]), "ns/pkt", 1);
		t->color[3 + j] = rs_group_color(rs->groups[top[j]]);
	}
	tt_head(t, 3 + ntop, "rest", "ns/pkt", 1);
	tt_head(t, 4 + ntop, "unattributed", "ns/pkt", 1);
	tt_head(t, 5 + ntop, "closure", "%", 1);
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];

		for (int c = 0; c < k->ncores; c++) {
			const struct rs_core *o = &k->core[c];
			double rest = 0;
			char b[32];

			set_text(t, r, 0, c ? "" : k->label);
			tt_cell(t, r, 0)->first_of_group = !c;
			set_text(t, r, 1, o->label);
			set_val(rs, t, r, 2, &o->busy, 1, 0, 0);
			for (int j = 0; j < ntop; j++)
				set_val(rs, t, r, 3 + j, &o->groups[top[j]], 1, 0, 0);
			for (int g = 0; g < rs->ngroups; g++) {
				int shown = 0;

				for (int j = 0; j < ntop; j++)
					shown |= top[j] == g;
				if (!shown && o->groups[g].st.n)
					rest += o->groups[g].st.mean;
			}
			snprintf(b, sizeof(b), "%.0f", rest);
			set_text(t, r, 3 + ntop, b);
			set_val(rs, t, r, 4 + ntop, &o->unattributed, 1, 0, 0);
			set_val(rs, t, r, 5 + ntop, &o->closure, 1, 0, 1);
			r++;
		}
	}
	t->nrows = r;
	return 0;
}

static int table_sys(const struct runset *rs, struct ttable *t)
{
	int r = 0, rows = 0, err;

	for (int i = 0; i < rs->ncombos; i++)
		for (int c = 0; c < rs->combos[i].ncores; c++)
			rows += rs->combos[i].core[c].nsys;
	err = tt_init(t, "syscalls", "System calls: what each costs per packet", 6, rows);
	if (err)
		return err;
	snprintf(t->note, sizeof(t->note),
		 "Exclusive time inside each system call (softirq work it triggers is "
		 "charged to the softirq stages); ns/pkt = calls/pkt × ns/call. recvfrom "
		 "includes the copy to user, which has no tracepoint of its own.");
	tt_head(t, 0, "combination", NULL, 0);
	tt_head(t, 1, "core", NULL, 0);
	tt_head(t, 2, "system call", NULL, 0);
	tt_head(t, 3, "calls", "/pkt", 1);
	tt_head(t, 4, "time", "ns/call", 1);
	tt_head(t, 5, "time", "ns/pkt", 1);
	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];
		int first = 1;

		for (int c = 0; c < k->ncores; c++) {
			for (int s = 0; s < k->core[c].nsys; s++) {
				const struct rs_sys *y = &k->core[c].sys[s];

				set_text(t, r, 0, first ? k->label : "");
				tt_cell(t, r, 0)->first_of_group = first;
				set_text(t, r, 1, s ? "" : k->core[c].label);
				set_text(t, r, 2, y->name);
				set_val(rs, t, r, 3, &y->calls_per_pkt, 1, 0, 3);
				set_val(rs, t, r, 4, &y->ns_per_call, 1, 0, 0);
				set_val(rs, t, r, 5, &y->ns_per_pkt, 1, 0, 0);
				first = 0;
				r++;
			}
		}
	}
	t->nrows = r;
	return 0;
}

int summary_tables(const struct runset *rs, struct ttable **out, int *n)
{
	int (*const build[])(const struct runset *, struct ttable *) = { table_thr, table_pp,
									  table_breakdown,
									  table_sys };
	struct ttable *t = calloc(4, sizeof(*t));
	int k = 0;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(build) / sizeof(build[0]); i++) {
		int err = build[i](rs, &t[k]);

		if (err) {
			summary_free(t, k + 1);
			return err;
		}
		if (t[k].nrows)
			k++;
		else
			free(t[k].cells);
	}
	*out = t;
	*n = k;
	return 0;
}

void summary_free(struct ttable *t, int n)
{
	for (int i = 0; t && i < n; i++)
		free(t[i].cells);
	free(t);
}

void ttable_print(FILE *f, const struct ttable *t)
{
	int w[TT_MAXCOL];

	for (int c = 0; c < t->ncols; c++) {
		w[c] = utf8_width(t->head[c]);
		if (utf8_width(t->unit[c]) > w[c])
			w[c] = utf8_width(t->unit[c]);
		for (int r = 0; r < t->nrows; r++)
			if (utf8_width(tt_cell(t, r, c)->text) > w[c])
				w[c] = utf8_width(tt_cell(t, r, c)->text);
	}
	fprintf(f, "%s\n", t->title);
	for (int line = 0; line < 2; line++) {
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				fputs("  ", f);
			utf8_pad(f, line ? t->unit[c] : t->head[c], w[c], t->right[c]);
		}
		fputc('\n', f);
	}
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				fputs("  ", f);
			utf8_pad(f, tt_cell(t, r, c)->text, w[c], t->right[c]);
		}
		fputc('\n', f);
	}
}

static int outliers_of(FILE *f, const struct runset *rs, const char *combo, const char *what,
		       const struct rs_val *v, double scale, const char *unit)
{
	char lo[32], hi[32];
	int n = 0;

	if (!v->st.n_outliers)
		return 0;
	rs_fmt_si(lo, sizeof(lo), v->st.lo_fence / scale);
	rs_fmt_si(hi, sizeof(hi), v->st.hi_fence / scale);
	for (int i = 0; i < v->st.n; i++) {
		char a[32];

		if (!stats_is_outlier(&v->st, v->v[i]))
			continue;
		n++;
		if (!f)
			continue;
		rs_fmt_si(a, sizeof(a), v->v[i] / scale);
		if (v->from_samples)
			fprintf(f, "  %s, %s: second %d = %s%s (fences %s..%s)\n", combo, what,
				v->src[i], a, unit, lo, hi);
		else
			fprintf(f, "  %s, %s: case %d (%s) = %s%s (fences %s..%s)\n", combo, what,
				(int)json_integer_value(json_object_get(rs->cases[v->src[i]],
									"case")),
				rs_str(rs->cases[v->src[i]], "case_dir"), a, unit, lo, hi);
	}
	return n;
}

int summary_outliers(FILE *f, const struct runset *rs, int metrics_only)
{
	int n = 0;

	for (int i = 0; i < rs->ncombos; i++) {
		const struct rs_combo *k = &rs->combos[i];

		for (int m = 0; m < RM_N; m++) {
			int rtt = m == RM_RTT_P50 || m == RM_RTT_P99 || m == RM_RTT_P999;

			n += outliers_of(f, rs, k->label, rs_metrics[m].title, &k->m[m],
					 rtt ? 1000 : 1, rtt ? " us" : "");
		}
		for (int c = 0; c < k->ncores && !metrics_only; c++) {
			const struct rs_core *o = &k->core[c];
			char what[160];

			snprintf(what, sizeof(what), "%s busy ns/pkt", o->label);
			n += outliers_of(f, rs, k->label, what, &o->busy, 1, "");
			snprintf(what, sizeof(what), "%s unattributed ns/pkt", o->label);
			n += outliers_of(f, rs, k->label, what, &o->unattributed, 1, "");
			snprintf(what, sizeof(what), "%s closure %%", o->label);
			n += outliers_of(f, rs, k->label, what, &o->closure, 1, "");
			for (int g = 0; g < rs->ngroups; g++) {
				snprintf(what, sizeof(what), "%s %s ns/pkt", o->label, rs->groups[g]);
				n += outliers_of(f, rs, k->label, what, &o->groups[g], 1, "");
			}
			for (int y = 0; y < o->nsys; y++) {
				snprintf(what, sizeof(what), "%s %s calls/pkt", o->label,
					 o->sys[y].name);
				n += outliers_of(f, rs, k->label, what, &o->sys[y].calls_per_pkt, 1,
						 "");
				snprintf(what, sizeof(what), "%s %s ns/call", o->label, o->sys[y].name);
				n += outliers_of(f, rs, k->label, what, &o->sys[y].ns_per_call, 1, "");
				snprintf(what, sizeof(what), "%s %s ns/pkt", o->label, o->sys[y].name);
				n += outliers_of(f, rs, k->label, what, &o->sys[y].ns_per_pkt, 1, "");
			}
		}
	}
	return n;
}
