// SPDX-License-Identifier: BSD-3-Clause
/*
 * The NDR/PDR search against path models: a known capacity (a policer),
 * capacities the search cannot confirm, interruptions and failures.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "search.h"

/* A path that carries `cap` pps and drops the excess; the sender reaches
 * `sender_max` at rate=max. Long trials may see a lower capacity. */
struct model {
	double cap, sender_max, long_cap, long_s;
	int calls, fail_at, fail_err;
	int slow_from, slow_n; /* calls slow_from .. +slow_n-1 offer 90 % of the target */
	double cliff_pct;      /* above cap the loss jumps to at least this */
	double pace_max;       /* a paced sender offers at most this (0: any target) */
};

static int model_trial(void *ctx, const struct search *s, struct search_trial *t)
{
	struct model *m = ctx;
	double r = t->target_pps ? (double)t->target_pps : m->sender_max;
	double cap = t->duration_s >= m->long_s && m->long_cap > 0 ? m->long_cap : m->cap;
	double rx;

	(void)s;
	m->calls++;
	if (m->fail_at && m->calls == m->fail_at)
		return m->fail_err;
	if (m->slow_n && m->calls >= m->slow_from && m->calls < m->slow_from + m->slow_n)
		r *= 0.9;
	if (t->target_pps && m->pace_max > 0 && r > m->pace_max)
		r = m->pace_max;
	rx = r < cap ? r : cap;
	t->offered_pps = r;
	t->received_pps = rx;
	t->sent = (int64_t)llround(r * t->duration_s);
	if (r > cap && m->cliff_pct > 0)
		rx = r * (1 - m->cliff_pct / 100);
	t->lost = t->sent - (int64_t)llround(rx * t->duration_s);
	t->loss_pct = 100.0 * (double)t->lost / (double)t->sent;
	return 0;
}

static struct search_cfg cfg_default(unsigned int goals)
{
	struct search_cfg c = {
		.goals = goals, .pdr_loss_pct = 0.5, .trial_s = 1, .final_s = 10,
		.precision_pct = 1, .max_pps = 0,
	};
	return c;
}

/* Every trial's rate, verdicts and bracket stay consistent. */
static void check_trials(const struct search *s)
{
	assert_true(s->ntrials >= 1 && s->ntrials <= SEARCH_MAX_TRIALS);
	for (int i = 0; i < s->ntrials; i++) {
		const struct search_trial *t = &s->trials[i];

		assert_int_equal(t->pass[0], !t->short_of_target && t->lost <= 0);
		assert_true(t->used || !t->on_pace);
		assert_true(!t->short_of_target || (t->used && t->offered_pps < t->target_pps));
		if (t->pass[0])
			assert_true(t->pass[1]);
		if (i > 0)
			assert_true(t->target_pps > 0 && t->target_pps <= s->max_pps);
	}
}

static void test_finds_capacity(void **state)
{
	struct model m = { .cap = 50000, .sender_max = 200000 };
	struct search_cfg c = cfg_default(SEARCH_NDR | SEARCH_PDR);
	struct search s;
	double ndr, pdr;

	(void)state;
	assert_int_equal(search_run(&s, &c, model_trial, &m), 0);
	check_trials(&s);
	assert_int_equal(s.max_pps, 200000);
	assert_int_equal(s.g[0].outcome, SEARCH_CONFIRMED);
	assert_int_equal(s.g[1].outcome, SEARCH_CONFIRMED);
	ndr = (double)s.g[0].rate_pps;
	pdr = (double)s.g[1].rate_pps;
	/* Within precision of the truth: NDR = cap, PDR = cap / (1 - 0.5 %). */
	assert_true(ndr <= m.cap && ndr >= m.cap * 0.99);
	assert_true(pdr <= m.cap / 0.995 && pdr >= m.cap / 0.995 * 0.99);
	assert_true(ndr <= pdr && pdr <= (double)s.max_pps);
	/* A final trial of final_s each, at the found rate. */
	assert_int_equal(s.trials[s.g[0].final_trial].kind, SEARCH_TRIAL_FINAL);
	assert_true(s.trials[s.g[0].final_trial].duration_s == 10);
	assert_int_equal(s.trials[s.g[0].final_trial].target_pps, s.g[0].rate_pps);
	/* The first failing trial is the lowest rate that lost anything. */
	assert_true(s.g[0].first_fail >= 0);
	for (int i = 0; i < s.ntrials; i++)
		if (!s.trials[i].pass[0])
			assert_true(s.trials[i].target_pps == 0 ||
				    s.trials[i].target_pps >= s.trials[s.g[0].first_fail].target_pps);
	/* The bracket is reused: PDR needs fewer trials than a search of its own. */
	assert_true(s.ntrials < 24);
}

static void test_given_max(void **state)
{
	struct model m = { .cap = 30000, .sender_max = 1e9 };
	struct search_cfg c = cfg_default(SEARCH_NDR);
	struct search s;

	(void)state;
	c.max_pps = 100000;
	assert_int_equal(search_run(&s, &c, model_trial, &m), 0);
	check_trials(&s);
	assert_int_equal(s.trials[0].target_pps, 100000);
	assert_int_equal(s.max_pps, 100000);
	assert_int_equal(s.g[0].outcome, SEARCH_CONFIRMED);
	assert_int_equal(s.g[1].outcome, SEARCH_NOT_RUN);
	assert_true(s.g[0].rate_pps <= 30000 && s.g[0].rate_pps >= 29700);
}

/* Nothing lost even at max: the bound is the rate. */
static void test_lossless_at_max(void **state)
{
	struct model m = { .cap = 1e9, .sender_max = 80000 };
	struct search_cfg c = cfg_default(SEARCH_NDR | SEARCH_PDR);
	struct search s;

	(void)state;
	assert_int_equal(search_run(&s, &c, model_trial, &m), 0);
	assert_int_equal(s.g[0].rate_pps, 80000);
	assert_int_equal(s.g[1].rate_pps, 80000);
	assert_int_equal(s.g[0].outcome, SEARCH_CONFIRMED);
	assert_int_equal(s.g[0].first_fail, -1);
}

/* Long trials lose where short ones did not: the final fails, the search
 * narrows below it, and confirms the long-trial capacity. */
static void test_final_narrows(void **state)
{
	struct model m = { .cap = 50000, .sender_max = 200000, .long_cap = 45000, .long_s = 5 };
	struct search_cfg c = cfg_default(SEARCH_NDR);
	struct search s;

	(void)state;
	c.final_s = 5; /* so narrowing trials stay short and can't see long_cap */
	assert_int_equal(search_run(&s, &c, model_trial, &m), 0);
	check_trials(&s);
	/* Short trials pass up to 50000, every final above 45000 fails: at most
	 * SEARCH_FINAL_RETRIES narrowings, then the outcome says unconfirmed
	 * unless a final passed. */
	assert_true(s.g[0].finals >= 2 && s.g[0].finals <= SEARCH_FINAL_RETRIES + 1);
	if (s.g[0].outcome == SEARCH_CONFIRMED)
		assert_true(s.g[0].rate_pps <= 45000);
	else
		assert_int_equal(s.g[0].outcome, SEARCH_UNCONFIRMED);
}

/* A capacity the short trials never see: every final fails. */
static void test_unconfirmed(void **state)
{
	struct model m = { .cap = 50000, .sender_max = 200000, .long_cap = 10, .long_s = 10 };
	struct search_cfg c = cfg_default(SEARCH_NDR);
	struct search s;
	int finals = 0;

	(void)state;
	assert_int_equal(search_run(&s, &c, model_trial, &m), 0);
	for (int i = 0; i < s.ntrials; i++)
		finals += s.trials[i].kind == SEARCH_TRIAL_FINAL;
	assert_int_equal(finals, SEARCH_FINAL_RETRIES + 1);
	assert_int_equal(s.g[0].finals, SEARCH_FINAL_RETRIES + 1);
	assert_int_equal(s.g[0].outcome, SEARCH_UNCONFIRMED);
	/* Each retry searched strictly below the rate that failed before. */
	for (int i = 0, prev = -1; i < s.ntrials; i++) {
		if (s.trials[i].kind != SEARCH_TRIAL_FINAL)
			continue;
		if (prev >= 0)
			assert_true(s.trials[i].target_pps < s.trials[prev].target_pps);
		prev = i;
	}
}

/* Every rate loses: no rate, in a bounded number of trials. */
static void test_no_rate(void **state)
{
	struct model m = { .cap = 0, .sender_max = 100000 };
	struct search_cfg c = cfg_default(SEARCH_NDR | SEARCH_PDR);
	struct search s;

	(void)state;
	assert_int_equal(search_run(&s, &c, model_trial, &m), 0);
	assert_int_equal(s.g[0].outcome, SEARCH_NO_RATE);
	assert_int_equal(s.g[1].outcome, SEARCH_NO_RATE);
	assert_true(s.ntrials < SEARCH_MAX_TRIALS);
}

/* A signal keeps the finished trials and marks the goals interrupted. */
static void test_interrupted(void **state)
{
	struct model m = { .cap = 50000, .sender_max = 200000, .fail_at = 4, .fail_err = -EINTR };
	struct search_cfg c = cfg_default(SEARCH_NDR | SEARCH_PDR);
	struct search s;

	(void)state;
	assert_int_equal(search_run(&s, &c, model_trial, &m), -EINTR);
	assert_int_equal(s.ntrials, 3);
	assert_int_equal(s.g[0].outcome, SEARCH_INTERRUPTED);
	assert_int_equal(s.g[1].outcome, SEARCH_INTERRUPTED);
	check_trials(&s);
}

static void test_failed_trial(void **state)
{
	struct model m = { .cap = 50000, .sender_max = 200000, .fail_at = 1, .fail_err = -EIO };
	struct search_cfg c = cfg_default(SEARCH_PDR);
	struct search s;

	(void)state;
	assert_int_equal(search_run(&s, &c, model_trial, &m), -EIO);
	assert_int_equal(s.ntrials, 0);
	assert_int_equal(s.g[1].outcome, SEARCH_FAILED);
	assert_int_equal(s.g[0].outcome, SEARCH_NOT_RUN);
}

/* A trial off its target is run again; the search uses only trials on
 * pace, or the last attempt at the rate it really offered. */
static void test_off_pace(void **state)
{
	struct model once = { .cap = 50000, .sender_max = 200000, .slow_from = 2, .slow_n = 1 };
	struct model always = { .cap = 50000, .sender_max = 200000, .slow_from = 2,
				.slow_n = SEARCH_PACE_RETRIES + 1 };
	struct search_cfg c = cfg_default(SEARCH_NDR);
	struct search s;

	(void)state;
	assert_int_equal(search_run(&s, &c, model_trial, &once), 0);
	assert_false(s.trials[1].on_pace);
	assert_false(s.trials[1].used);
	assert_true(s.trials[2].on_pace && s.trials[2].used);
	assert_int_equal(s.trials[2].target_pps, s.trials[1].target_pps);
	assert_true(s.g[0].rate_pps <= 50000 && s.g[0].rate_pps >= 49500);

	/* Never on pace, and short: it fails its target, though nothing was lost. */
	assert_int_equal(search_run(&s, &c, model_trial, &always), 0);
	for (int i = 1; i <= SEARCH_PACE_RETRIES; i++)
		assert_false(s.trials[i].used);
	assert_true(s.trials[SEARCH_PACE_RETRIES + 1].used);
	assert_false(s.trials[SEARCH_PACE_RETRIES + 1].on_pace);
	assert_true(s.trials[SEARCH_PACE_RETRIES + 1].short_of_target);
	assert_false(s.trials[SEARCH_PACE_RETRIES + 1].pass[0]);
	assert_int_equal(s.trials[SEARCH_PACE_RETRIES + 1].rate_pps,
			 s.trials[SEARCH_PACE_RETRIES + 1].target_pps);
	assert_true(s.g[0].rate_pps < s.trials[SEARCH_PACE_RETRIES + 1].target_pps);
	assert_int_equal(s.g[0].outcome, SEARCH_CONFIRMED);
}

/* A paced sender slower than rate=max and than the path: nothing is lost
 * anywhere, but rates it cannot offer are not shown lossless; the search
 * ends below its paced ceiling, confirmed, well within the trial cap. */
static void test_pace_ceiling(void **state)
{
	struct model m = { .cap = 1e9, .sender_max = 637000, .pace_max = 560000 };
	struct search_cfg c = cfg_default(SEARCH_NDR | SEARCH_PDR);
	struct search s;

	(void)state;
	assert_int_equal(search_run(&s, &c, model_trial, &m), 0);
	check_trials(&s);
	assert_int_equal(s.g[0].outcome, SEARCH_CONFIRMED);
	assert_int_equal(s.g[1].outcome, SEARCH_CONFIRMED);
	assert_true(s.g[0].rate_pps <= 560000 * 1.01 && s.g[0].rate_pps >= 560000 * 0.98);
	/* Nothing was lost, so no trial is where loss began. */
	assert_int_equal(s.g[0].first_fail, -1);
	assert_true(s.ntrials < 40);
}

/* A cliff: above the capacity the loss is far beyond search_loss, so NDR
 * and PDR share one bracket and NDR's final confirms both. */
static void test_shared_final(void **state)
{
	struct model m = { .cap = 60000, .sender_max = 200000, .cliff_pct = 5 };
	struct search_cfg c = cfg_default(SEARCH_NDR | SEARCH_PDR);
	struct search s;
	int finals = 0;

	(void)state;
	assert_int_equal(search_run(&s, &c, model_trial, &m), 0);
	for (int i = 0; i < s.ntrials; i++)
		finals += s.trials[i].kind == SEARCH_TRIAL_FINAL;
	assert_int_equal(finals, 1);
	assert_int_equal(s.g[1].outcome, SEARCH_CONFIRMED);
	assert_int_equal(s.g[1].final_trial, s.g[0].final_trial);
	assert_int_equal(s.g[1].rate_pps, s.g[0].rate_pps);
	assert_int_equal(s.g[1].finals, 0);
}

/* The precision decides how narrow the bracket gets. */
static void test_precision(void **state)
{
	struct model m = { .cap = 123457, .sender_max = 400000 };
	struct search_cfg c = cfg_default(SEARCH_NDR);
	struct search coarse, fine;

	(void)state;
	c.precision_pct = 10;
	search_run(&coarse, &c, model_trial, &m);
	c.precision_pct = 0.1;
	search_run(&fine, &c, model_trial, &m);
	assert_true(coarse.g[0].rate_pps >= 123457 * 0.9 && coarse.g[0].rate_pps <= 123457);
	assert_true(fine.g[0].rate_pps >= 123457 * 0.999 && fine.g[0].rate_pps <= 123457);
	assert_true(fine.ntrials > coarse.ntrials);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_capacity), cmocka_unit_test(test_given_max),
		cmocka_unit_test(test_lossless_at_max), cmocka_unit_test(test_final_narrows),
		cmocka_unit_test(test_unconfirmed),     cmocka_unit_test(test_no_rate),
		cmocka_unit_test(test_interrupted),     cmocka_unit_test(test_failed_trial),
		cmocka_unit_test(test_precision),       cmocka_unit_test(test_off_pace),
		cmocka_unit_test(test_shared_final),    cmocka_unit_test(test_pace_ceiling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
