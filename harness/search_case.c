// SPDX-License-Identifier: BSD-3-Clause
/*
 * A searched case: every trial is a case of its own (a fresh topology and
 * endpoints, the case's warm-up, a window of search_trial or search_final
 * seconds at the trial's rate), judged by the reconciliation over the
 * whole trial: every packet sent, received or lost, warm-up and drain
 * included. The bisection's trials run without probes (the instrument
 * would lower the rate it measures); the final trials with the case's
 * probes, so the result's breakdown is at the found rate.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interrupt.h"
#include "jsonpath.h"
#include "result.h"
#include "search.h"
#include "search_case.h"

struct search_memo {
	struct search_memo *next;
	char *key;
	struct search s;
	json_t *summary; /* the search object without the finals' results */
};

/* What one search keeps while it runs. */
struct trials {
	const struct case_ctx *cc;
	json_t *res[SEARCH_MAX_TRIALS];
	char error[512];
};

int search_case_wanted(const struct case_cfg *c)
{
	return c->search != 0 || c->rate_of != RATE_ABS;
}

static void trial_log(const struct case_ctx *cc, const struct search *s,
		      const struct search_trial *t)
{
	char rate[32];

	if (t->target_pps)
		snprintf(rate, sizeof(rate), "%llu pps", (unsigned long long)t->target_pps);
	else
		snprintf(rate, sizeof(rate), "rate=max");
	fprintf(stderr,
		"%sbypasslab: case %d search: trial %d (%s%s%s) at %s for %.1f s: offered %.0f pps, "
		"loss %.3f %% (ndr %s, pdr %s)%s\n",
		isatty(2) ? "\r\033[K" : "", cc->idx + 1, s->ntrials + 1,
		search_kind_name(t->kind), t->goal >= 0 ? " " : "",
		t->goal >= 0 ? search_goal_name(t->goal) : "", rate, t->duration_s, t->offered_pps,
		t->loss_pct, search_passes(&s->cfg, t, 0) ? "pass" : "fail",
		search_passes(&s->cfg, t, 1) ? "pass" : "fail",
		!t->target_pps || fabs(t->offered_pps - (double)t->target_pps) <=
					  SEARCH_PACE_TOL_PCT / 100.0 * (double)t->target_pps ?
			"" :
			", off pace");
}

/* One trial as a case; its measured figures into t, its result kept. */
static int trial_run(void *ctx, const struct search *s, struct search_trial *t)
{
	struct trials *tr = ctx;
	struct case_cfg c = *tr->cc->c;
	struct case_ctx cc = *tr->cc;
	const char *st;
	json_t *res, *rec;

	if (interrupt_caught())
		return -EINTR;
	c.search = 0;
	c.rate_of = RATE_ABS;
	c.rate_pct = 0;
	c.rate_pps = t->target_pps;
	c.duration_s = t->duration_s;
	if (t->kind != SEARCH_TRIAL_FINAL) {
		c.probes = PROBES_OFF;
		c.usdt = 0;
	}
	cc.c = &c;
	res = run_case(&cc);
	if (!res)
		return -ENOMEM;
	st = json_string_value(json_object_get(res, "status"));
	rec = json_object_get(res, "reconcile");
	if (st && !strcmp(st, "interrupted")) {
		json_decref(res);
		return -EINTR;
	}
	if (!st || strcmp(st, "ok") || !rec) {
		snprintf(tr->error, sizeof(tr->error), "trial %d at %llu pps: %s", s->ntrials + 1,
			 (unsigned long long)t->target_pps,
			 json_string_value(json_object_get(res, "error")) ?: "no window");
		json_decref(res);
		return -EIO;
	}
	t->offered_pps = jpath_num(res, "throughput.tx_pps");
	t->received_pps = jpath_num(res, "throughput.rx_pps");
	t->sent = (int64_t)json_integer_value(json_object_get(rec, "sent"));
	t->lost = (int64_t)json_integer_value(json_object_get(rec, "lost"));
	t->loss_pct = t->sent ? 100.0 * (double)t->lost / (double)t->sent : 0;
	tr->res[s->ntrials] = res;
	trial_log(tr->cc, s, t);
	return 0;
}

/* Loads of one combination share its search: the case without what
 * only the load or the instrument changes. */
static char *memo_key(const struct case_cfg *c)
{
	struct case_cfg k = *c;
	json_t *j;
	char *s;

	k.rate_of = RATE_ABS;
	k.rate_pct = 0;
	k.rate_pps = 0;
	k.rep = 0;
	k.repeat = 1;
	k.duration_s = 0;
	k.probes = PROBES_OFF;
	k.usdt = 0;
	k.probe_duty = 1;
	k.probe_light = 0;
	k.sample_hz = 0;
	j = case_cfg_json(&k);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static struct search_memo *memo_find(struct search_memo *m, const char *key)
{
	for (; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

void search_memo_free(struct search_memo *m)
{
	while (m) {
		struct search_memo *n = m->next;

		free(m->key);
		json_decref(m->summary);
		free(m);
		m = n;
	}
}

/* Run the case's search; *out is its result.json (searched case), and a
 * finished search is remembered for the loads. */
static struct search_memo *search_do(const struct case_ctx *cc, struct search_memo **memo,
				     const char *key, json_t **out)
{
	const struct case_cfg *c = cc->c;
	struct search_cfg sc = {
		.goals = c->search, .pdr_loss_pct = c->search_loss_pct,
		.trial_s = c->search_trial_s, .final_s = c->search_final_s,
		.precision_pct = c->search_precision_pct, .max_pps = c->search_max_pps,
	};
	struct result_search_in in = { .case_cfg = c, .idx = cc->idx, .machine = cc->machine };
	struct search_memo *m = calloc(1, sizeof(*m));
	struct trials *tr = calloc(1, sizeof(*tr));

	if (!m || !tr) {
		free(m);
		free(tr);
		return NULL;
	}
	tr->cc = cc;
	search_run(&m->s, &sc, trial_run, tr);
	in.s = &m->s;
	in.trial_res = tr->res;
	in.error = tr->error;
	if (out)
		*out = result_search_build(&in);
	m->summary = result_search_json(&in, 0);
	for (int i = 0; i < SEARCH_MAX_TRIALS; i++)
		json_decref(tr->res[i]);
	free(tr);
	m->key = key ? strdup(key) : NULL;
	if (m->s.status || !m->key) {
		search_memo_free(m); /* not remembered: a later load searches again */
		return NULL;
	}
	m->next = *memo;
	*memo = m;
	return m;
}

/* A load: the case at its fraction of the searched rate. */
static json_t *load_case(const struct case_ctx *cc, struct search_memo **memo, const char *key)
{
	const struct case_cfg *c = cc->c;
	int g = c->rate_of == RATE_OF_NDR ? 0 : 1;
	struct search_memo *m = memo_find(*memo, key);
	struct case_cfg lc = *c;
	struct case_ctx lcc = *cc;
	json_t *res = NULL;

	if (!m) {
		m = search_do(cc, memo, key, &res);
		if (!m)
			return res; /* interrupted or failed: that result says so */
		json_decref(res);
	}
	if (m->s.g[g].outcome != SEARCH_CONFIRMED && m->s.g[g].outcome != SEARCH_UNCONFIRMED) {
		char why[128];

		snprintf(why, sizeof(why), "the search found no %s (%s)", g ? "PDR" : "NDR",
			 search_outcome_name(m->s.g[g].outcome));
		return result_load_failed(c, cc->idx, cc->machine, why,
					  json_deep_copy(m->summary));
	}
	lc.rate_pps = (uint64_t)llround((double)m->s.g[g].rate_pps * c->rate_pct / 100.0);
	if (!lc.rate_pps)
		lc.rate_pps = 1;
	lcc.c = &lc;
	fprintf(stderr, "%sbypasslab: case %d: %g %% of %s %llu pps = %llu pps\n",
		isatty(2) ? "\r\033[K" : "", cc->idx + 1, c->rate_pct, rate_ref_name(c->rate_of),
		(unsigned long long)m->s.g[g].rate_pps, (unsigned long long)lc.rate_pps);
	res = run_case(&lcc);
	if (!res)
		return NULL;
	return result_load_build(res, &lc, m->s.g[g].rate_pps, json_deep_copy(m->summary));
}

json_t *search_case(const struct case_ctx *cc, struct search_memo **memo)
{
	char *key = memo_key(cc->c);
	json_t *res = NULL;

	if (cc->c->rate_of != RATE_ABS)
		res = load_case(cc, memo, key);
	else
		search_do(cc, memo, key, &res);
	free(key);
	return res;
}
