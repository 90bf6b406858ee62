// SPDX-License-Identifier: BSD-3-Clause
/*
 * The NDR/PDR search (search.h): brackets shared between the goals, a
 * bisection per goal, a final trial that confirms, bounded narrowing when
 * it does not. No I/O: every measurement comes from the callback.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "search.h"

static const unsigned int goal_bit[SEARCH_NGOALS] = { SEARCH_NDR, SEARCH_PDR };

const char *search_goal_name(int g)
{
	return g == 0 ? "ndr" : "pdr";
}

const char *search_kind_name(int k)
{
	static const char *const n[] = { "max", "bisect", "final" };

	return k >= 0 && k <= SEARCH_TRIAL_FINAL ? n[k] : "?";
}

const char *search_outcome_name(int o)
{
	static const char *const n[] = { "not_run",     "confirmed", "unconfirmed", "no_rate",
					 "interrupted", "failed",    "trial_cap" };

	return o >= 0 && o <= SEARCH_TRIAL_CAP ? n[o] : "?";
}

int search_passes(const struct search_cfg *cfg, const struct search_trial *t, int g)
{
	if (t->sent <= 0)
		return 0; /* nothing offered proves nothing */
	if (g == 0)
		return t->lost <= 0;
	return t->loss_pct <= cfg->pdr_loss_pct;
}

static int on_pace(const struct search_trial *t)
{
	double tgt = (double)t->target_pps;

	return !t->target_pps ||
	       fabs(t->offered_pps - tgt) <= SEARCH_PACE_TOL_PCT / 100.0 * tgt;
}

/* A trial's verdicts into every goal's bracket. */
static void apply(struct search *s, int ti)
{
	struct search_trial *t = &s->trials[ti];
	uint64_t r = t->rate_pps;

	for (int g = 0; g < SEARCH_NGOALS; g++) {
		struct search_goal *sg = &s->g[g];

		/* A sender that could not offer the target has not shown the
		 * target lossless: it fails it, whatever it lost. */
		t->pass[g] = !t->short_of_target && search_passes(&s->cfg, t, g);
		if (!t->used)
			continue;
		if (t->pass[g]) {
			if (r > sg->lo && r <= sg->hi)
				sg->lo = r;
			continue;
		}
		/* Where loss begins: a trial short of its target may have lost nothing. */
		if (t->lost > 0 && (sg->first_fail < 0 || r < s->trials[sg->first_fail].rate_pps))
			sg->first_fail = ti;
		if (r < sg->hi && r > sg->lo)
			sg->hi = r;
	}
}

/* Run one trial (again while it is off pace, a bounded number of times);
 * 0 or the callback's error (s->status set). */
static int trial(struct search *s, int kind, int goal, uint64_t target, double dur,
		 search_trial_fn fn, void *ctx)
{
	for (int attempt = 0;; attempt++) {
		struct search_trial *t;
		int err;

		if (s->ntrials >= SEARCH_MAX_TRIALS)
			return -E2BIG;
		t = &s->trials[s->ntrials];
		memset(t, 0, sizeof(*t));
		t->kind = kind;
		t->goal = goal;
		t->target_pps = target;
		t->duration_s = dur;
		err = fn(ctx, s, t);
		if (err) {
			s->status = err;
			return err;
		}
		s->ntrials++;
		if (kind == SEARCH_TRIAL_MAX && !target)
			s->max_pps = t->offered_pps > 1 ? (uint64_t)(t->offered_pps + 0.5) : 1;
		t->on_pace = on_pace(t);
		t->rate_pps = target ? target : s->max_pps;
		t->used = t->on_pace || attempt == SEARCH_PACE_RETRIES;
		/* Never on pace: above the target it offered at least that, below
		 * it the sender cannot offer the target paced. */
		t->short_of_target = t->used && !t->on_pace && t->offered_pps < (double)target;
		apply(s, s->ntrials - 1);
		if (t->used)
			return 0;
	}
}

static int converged(const struct search *s, const struct search_goal *sg)
{
	uint64_t w = sg->hi > sg->lo ? sg->hi - sg->lo : 0;

	return w <= 1 || (double)w <= s->cfg.precision_pct / 100.0 * (double)sg->hi;
}

/* After a failed final at lo: lo becomes the failing bound, and the best
 * rate that passed below it the new lower end. */
static void narrow_below(struct search *s, int g)
{
	struct search_goal *sg = &s->g[g];
	uint64_t fail = sg->lo, best = 0;

	for (int i = 0; i < s->ntrials; i++) {
		uint64_t r = s->trials[i].rate_pps;

		if (s->trials[i].used && s->trials[i].pass[g] && r < fail && r > best)
			best = r;
	}
	sg->hi = fail;
	sg->lo = best;
}

/* The next rate to try for goal g: the first failing trial's received
 * rate is the usual first guess (what the path carried), then halves. */
static uint64_t next_rate(const struct search *s, const struct search_goal *sg, int *hint_used)
{
	const struct search_trial *m = &s->trials[0];
	uint64_t mid = sg->lo + (sg->hi - sg->lo) / 2;

	if (!*hint_used && m->kind == SEARCH_TRIAL_MAX && m->received_pps > (double)sg->lo + 1 &&
	    m->received_pps < (double)sg->hi - 1) {
		*hint_used = 1;
		return (uint64_t)m->received_pps;
	}
	return mid > sg->lo ? mid : sg->lo + 1;
}

/* A final trial already run at goal g's lower end that passes g too (NDR's
 * final passes PDR): it confirms g, and a second one at the same rate
 * could only disagree with it by chance. -1 if none. */
static int final_at_lo(const struct search *s, int g)
{
	for (int i = 0; i < s->ntrials; i++) {
		const struct search_trial *t = &s->trials[i];

		if (t->kind == SEARCH_TRIAL_FINAL && t->used && t->pass[g] &&
		    t->rate_pps == s->g[g].lo)
			return i;
	}
	return -1;
}

/* Bisect goal g, then confirm: its outcome set unless a trial stopped it. */
static int search_goal(struct search *s, int g, search_trial_fn fn, void *ctx, int *hint_used)
{
	struct search_goal *sg = &s->g[g];
	uint64_t floor = s->max_pps / 1000 > 1 ? s->max_pps / 1000 : 1;
	int err;

	for (;;) {
		while (!converged(s, sg)) {
			if (sg->hi <= floor) {
				sg->outcome = SEARCH_NO_RATE;
				return 0;
			}
			err = trial(s, SEARCH_TRIAL_BISECT, g, next_rate(s, sg, hint_used),
				    s->cfg.trial_s, fn, ctx);
			if (err)
				return err;
		}
		if (!sg->lo) {
			sg->outcome = SEARCH_NO_RATE;
			return 0;
		}
		sg->final_trial = final_at_lo(s, g);
		if (sg->final_trial >= 0) {
			sg->rate_pps = sg->lo;
			sg->outcome = SEARCH_CONFIRMED;
			return 0;
		}
		err = trial(s, SEARCH_TRIAL_FINAL, g, sg->lo, s->cfg.final_s, fn, ctx);
		if (err)
			return err;
		sg->finals++;
		sg->final_trial = s->ntrials - 1;
		sg->rate_pps = sg->lo;
		/* Confirmed only at the rate it was asked for (a short one fails). */
		if (s->trials[sg->final_trial].pass[g]) {
			sg->outcome = SEARCH_CONFIRMED;
			return 0;
		}
		if (sg->finals > SEARCH_FINAL_RETRIES) {
			sg->outcome = SEARCH_UNCONFIRMED;
			return 0;
		}
		narrow_below(s, g);
	}
}

int search_run(struct search *s, const struct search_cfg *cfg, search_trial_fn fn, void *ctx)
{
	int hint_used = 0, err;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->max_pps = cfg->max_pps;
	for (int g = 0; g < SEARCH_NGOALS; g++) {
		s->g[g].final_trial = -1;
		s->g[g].first_fail = -1;
	}
	/* The bracket's top: a trial at the bound (measured when not given). */
	for (int g = 0; g < SEARCH_NGOALS; g++)
		s->g[g].hi = cfg->max_pps ? cfg->max_pps : UINT64_MAX;
	err = trial(s, SEARCH_TRIAL_MAX, -1, cfg->max_pps, cfg->trial_s, fn, ctx);
	for (int g = 0; !err && g < SEARCH_NGOALS; g++) {
		struct search_goal *sg = &s->g[g];

		/* Rebuilt now that the bound is known. */
		sg->lo = s->trials[0].pass[g] ? s->max_pps : 0;
		sg->hi = s->max_pps;
	}
	for (int g = 0; !err && g < SEARCH_NGOALS; g++)
		if (cfg->goals & goal_bit[g])
			err = search_goal(s, g, fn, ctx, &hint_used);
	for (int g = 0; err && g < SEARCH_NGOALS; g++) {
		struct search_goal *sg = &s->g[g];

		if (!(cfg->goals & goal_bit[g]) || sg->outcome != SEARCH_NOT_RUN)
			continue;
		sg->outcome = err == -EINTR ? SEARCH_INTERRUPTED :
			      err == -E2BIG ? SEARCH_TRIAL_CAP :
					      SEARCH_FAILED;
	}
	if (err == -E2BIG)
		err = 0; /* not a failure of the case: the outcome says so */
	s->status = err;
	return err;
}
