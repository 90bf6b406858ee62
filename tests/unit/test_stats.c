// SPDX-License-Identifier: BSD-3-Clause
/*
 * Aggregation math against hand-computed vectors: mean, sample standard
 * deviation, the 95 % interval with Student t, quartiles and 1.5 IQR
 * outliers, sample trimming, and the ratio of two means with its interval.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "runset.h"
#include "stats.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* Two-sided 95 % t from a printed table (df 1..30) and beyond it. */
static void test_t95(void **state)
{
	(void)state;
	NEAR(stats_t95(1), 12.7062047, 1e-7);
	NEAR(stats_t95(2), 4.3026527, 1e-7);
	NEAR(stats_t95(7), 2.3646243, 1e-7);
	NEAR(stats_t95(10), 2.2281389, 1e-7);
	NEAR(stats_t95(30), 2.0422725, 1e-7);
	/* Beyond the table: the normal quantile, corrected. */
	NEAR(stats_t95(31), 2.0395134, 1e-5);
	NEAR(stats_t95(40), 2.0210754, 1e-5);
	NEAR(stats_t95(60), 2.0002978, 1e-5);
	NEAR(stats_t95(120), 1.9799304, 1e-5);
	NEAR(stats_t95(1e9), STATS_Z95, 1e-6);
	/* Decreasing: more data, narrower interval. */
	for (int df = 1; df < 200; df++)
		assert_true(stats_t95(df + 1) < stats_t95(df));
	/* A fractional Welch df rounds down within the table (wider). */
	NEAR(stats_t95(7.9), 2.3646243, 1e-7);
	assert_true(isnan(stats_t95(0.5)));
	assert_true(isnan(stats_t95(-1)));
}

static void test_quantile(void **state)
{
	const double v[] = { 1, 2, 3, 4 };
	const double one[] = { 7 };

	(void)state;
	NEAR(stats_quantile_sorted(v, 4, 0.25), 1.75, 1e-12);
	NEAR(stats_quantile_sorted(v, 4, 0.5), 2.5, 1e-12);
	NEAR(stats_quantile_sorted(v, 4, 0.75), 3.25, 1e-12);
	NEAR(stats_quantile_sorted(v, 4, 0), 1, 1e-12);
	NEAR(stats_quantile_sorted(v, 4, 1), 4, 1e-12);
	NEAR(stats_quantile_sorted(one, 1, 0.3), 7, 1e-12);
}

/* x = 2 4 4 4 5 5 7 9: mean 5, sum of squared deviations 32, so
 * sd = sqrt(32/7) = 2.13809, se = sd/sqrt(8) = 0.755929,
 * ci = t(7) * se = 2.3646243 * 0.755929 = 1.787488.
 * Quartiles (linear): q1 = 4, median = 4.5, q3 = 5.5; IQR 1.5, fences
 * 1.75 and 7.75: 9 is the one outlier. */
static void test_summary(void **state)
{
	const double x[] = { 9, 2, 4, 4, 5, 4, 5, 7 }; /* unsorted on purpose */
	struct stats s;

	(void)state;
	assert_int_equal(stats_compute(x, 8, &s), 0);
	assert_int_equal(s.n, 8);
	NEAR(s.mean, 5.0, 1e-12);
	NEAR(s.sd, 2.138089935, 1e-9);
	NEAR(s.se, 0.755928946, 1e-9);
	NEAR(s.ci95, 1.787488, 1e-6);
	NEAR(s.min, 2, 0);
	NEAR(s.max, 9, 0);
	NEAR(s.q1, 4.0, 1e-12);
	NEAR(s.median, 4.5, 1e-12);
	NEAR(s.q3, 5.5, 1e-12);
	NEAR(s.lo_fence, 1.75, 1e-12);
	NEAR(s.hi_fence, 7.75, 1e-12);
	assert_int_equal(s.n_outliers, 1);
	assert_true(stats_is_outlier(&s, 9));
	assert_false(stats_is_outlier(&s, 7));
	assert_false(stats_is_outlier(&s, 2));
}

/* {10, 12}: mean 11, sd sqrt(2), se 1, ci = t(1) = 12.7062047. */
static void test_two_values(void **state)
{
	const double x[] = { 10, 12 };
	struct stats s;

	(void)state;
	assert_int_equal(stats_compute(x, 2, &s), 0);
	NEAR(s.mean, 11, 1e-12);
	NEAR(s.sd, sqrt(2), 1e-12);
	NEAR(s.se, 1, 1e-12);
	NEAR(s.ci95, 12.7062047, 1e-7);
	assert_int_equal(s.n_outliers, 0);
}

static void test_degenerate(void **state)
{
	const double one[] = { 42 }, same[] = { 3, 3, 3, 3 }, three[] = { 1, 2, 1000 };
	const double bad[] = { 1, NAN }, inf[] = { INFINITY, 1 };
	struct stats s;

	(void)state;
	/* One value: a mean, no spread, no interval. */
	assert_int_equal(stats_compute(one, 1, &s), 0);
	NEAR(s.mean, 42, 0);
	NEAR(s.sd, 0, 0);
	assert_true(isnan(s.ci95));
	/* Identical values: a zero-width interval. */
	assert_int_equal(stats_compute(same, 4, &s), 0);
	NEAR(s.sd, 0, 0);
	NEAR(s.ci95, 0, 0);
	assert_int_equal(s.n_outliers, 0);
	/* Three values cannot name an outlier, however far one is. */
	assert_int_equal(stats_compute(three, 3, &s), 0);
	assert_int_equal(s.n_outliers, 0);
	assert_false(stats_is_outlier(&s, 1000));
	assert_int_equal(stats_compute(one, 0, &s), -EINVAL);
	assert_int_equal(stats_compute(bad, 2, &s), -EINVAL);
	assert_int_equal(stats_compute(inf, 2, &s), -EINVAL);
}

/* Large values close together: the two-pass variance keeps its digits. */
static void test_precision(void **state)
{
	const double x[] = { 1e9 + 1, 1e9 + 2, 1e9 + 3 };
	struct stats s;

	(void)state;
	assert_int_equal(stats_compute(x, 3, &s), 0);
	NEAR(s.mean, 1e9 + 2, 1e-6);
	NEAR(s.sd, 1.0, 1e-9);
}

static void test_trim(void **state)
{
	int first, count;

	(void)state;
	stats_trim(5, &first, &count);
	assert_int_equal(first, 1);
	assert_int_equal(count, 3);
	stats_trim(3, &first, &count);
	assert_int_equal(first, 1);
	assert_int_equal(count, 1);
	stats_trim(2, &first, &count);
	assert_int_equal(first, 0);
	assert_int_equal(count, 2);
	stats_trim(0, &first, &count);
	assert_int_equal(count, 0);
}

/* A = {10, 12} (mean 11, se 1), B = {20, 24} (mean 22, se 2): B/A = 2;
 * relative se 1/11 on both sides, var(log) = 2/121, Welch df =
 * (2/121)^2 / (2 * (1/11)^4) = 2, t(2) = 4.3026527, so the interval is
 * 2 * exp(±4.3026527 * sqrt(2)/11) = [1.150248, 3.477512]. */
static void test_ratio(void **state)
{
	const double a[] = { 10, 12 }, b[] = { 20, 24 }, c5[] = { 5, 5 }, c10[] = { 10, 10 };
	const double one[] = { 4 }, zero[] = { 0, 0 };
	struct stats sa, sb, sc, sd, s1, s0;
	struct stats_ratio r;

	(void)state;
	stats_compute(a, 2, &sa);
	stats_compute(b, 2, &sb);
	assert_int_equal(stats_ratio(&sa, &sb, &r), 0);
	assert_true(r.has_ci);
	NEAR(r.ratio, 2.0, 1e-12);
	NEAR(r.df, 2.0, 1e-9);
	NEAR(r.lo, 1.150248, 1e-6);
	NEAR(r.hi, 3.477512, 1e-6);
	/* Against itself: 1, inside a symmetric-in-log interval. */
	assert_int_equal(stats_ratio(&sa, &sa, &r), 0);
	NEAR(r.ratio, 1.0, 1e-12);
	NEAR(r.lo, 0.5751238, 1e-6);
	NEAR(r.hi, 1.7387561, 1e-6);
	NEAR(r.lo * r.hi, 1.0, 1e-9);
	/* Constant sides: the ratio is exact. */
	stats_compute(c5, 2, &sc);
	stats_compute(c10, 2, &sd);
	assert_int_equal(stats_ratio(&sc, &sd, &r), 0);
	NEAR(r.ratio, 2.0, 1e-12);
	NEAR(r.lo, 2.0, 1e-12);
	NEAR(r.hi, 2.0, 1e-12);
	/* One value on a side: a ratio without an interval. */
	stats_compute(one, 1, &s1);
	assert_int_equal(stats_ratio(&s1, &sb, &r), 0);
	NEAR(r.ratio, 5.5, 1e-12);
	assert_false(r.has_ci);
	assert_true(isnan(r.lo));
	/* Nothing to divide by. */
	stats_compute(zero, 2, &s0);
	assert_int_equal(stats_ratio(&s0, &sb, &r), -EINVAL);
}

/* A throughput case as result.c writes it, with only what aggregation reads. */
static json_t *fake_case(int num, const char *dp, int rep, int repeat, double window_pps,
			 const double *samples, int ns)
{
	json_t *r = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i, s:i, s:i, s:s},"
			      " s:{s:f, s:f, s:f, s:f}}",
			      "case", num, "case_dir", "x", "status", "ok", "params", "datapath", dp,
			      "pattern", "throughput", "size", 64, "rep", rep, "repeat", repeat,
			      "name", "t", "throughput", "rx_pps", window_pps, "tx_pps", window_pps,
			      "loss_pct", 0.0, "rx_gbps_l1", 0.0);
	json_t *a = json_array();

	for (int i = 0; i < ns; i++)
		json_array_append_new(a, json_pack("{s:f, s:f}", "rx_pps", samples[i], "tx_pps",
						   samples[i]));
	json_object_set_new(r, "samples", a);
	return r;
}

/* One repetition with five seconds: the middle three count, 200 300 400:
 * mean 300, sd 100, ci = t(2) * 100 / sqrt(3) = 248.4138. Three
 * repetitions: each contributes the mean of its middle seconds (10, 20, 60:
 * mean 30, sd 26.4575, ci = t(2) * 26.4575 / sqrt(3) = 65.7241). Two
 * seconds only: the window figure. */
static void test_aggregation(void **state)
{
	const double five[] = { 100, 200, 300, 400, 500 }, two[] = { 1, 2 };
	const double r1[] = { 999, 10, 10, 0 }, r2[] = { 0, 15, 25, 999 }, r3[] = { 5, 60, 60, 5 };
	json_t *list = json_array();
	struct runset rs;

	(void)state;
	json_array_append_new(list, fake_case(1, "udp", 0, 1, 111, five, 5));
	json_array_append_new(list, fake_case(2, "mmsg", 0, 3, 1, r1, 4));
	json_array_append_new(list, fake_case(3, "mmsg", 1, 3, 1, r2, 4));
	json_array_append_new(list, fake_case(4, "mmsg", 2, 3, 1, r3, 4));
	json_array_append_new(list, fake_case(5, "uring", 0, 1, 777, two, 2));
	assert_int_equal(runset_from_array(list, &rs), 0);
	assert_int_equal(rs.ncombos, 3);
	/* udp: its per-second samples. */
	assert_int_equal(rs.combos[0].m[RM_PPS].from_samples, 1);
	assert_int_equal(rs.combos[0].m[RM_PPS].st.n, 3);
	NEAR(rs.combos[0].m[RM_PPS].st.mean, 300, 1e-9);
	NEAR(rs.combos[0].m[RM_PPS].st.sd, 100, 1e-9);
	NEAR(rs.combos[0].m[RM_PPS].st.ci95, 248.4138, 1e-3);
	/* Gb/s follows the same samples: pps * (64 + 20) * 8 / 1e9. */
	NEAR(rs.combos[0].m[RM_GBPS_L1].st.mean, 300 * 84 * 8 / 1e9, 1e-12);
	/* mmsg: over its three repetitions. */
	assert_int_equal(rs.combos[1].ncases, 3);
	assert_int_equal(rs.combos[1].m[RM_PPS].from_samples, 0);
	assert_int_equal(rs.combos[1].m[RM_PPS].st.n, 3);
	NEAR(rs.combos[1].m[RM_PPS].st.mean, 30, 1e-9);
	NEAR(rs.combos[1].m[RM_PPS].st.sd, sqrt(700), 1e-9);
	NEAR(rs.combos[1].m[RM_PPS].st.ci95, 4.3026527 * sqrt(700) / sqrt(3), 1e-6);
	/* uring: too few seconds to trim, the window figure alone. */
	assert_int_equal(rs.combos[2].m[RM_PPS].st.n, 1);
	NEAR(rs.combos[2].m[RM_PPS].st.mean, 777, 1e-9);
	assert_true(isnan(rs.combos[2].m[RM_PPS].st.ci95));
	/* Only the datapath varies, so it alone names a combination. */
	assert_string_equal(rs.combos[1].label, "mmsg");
	runset_free(&rs);
	json_decref(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t95),	    cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_summary),	    cmocka_unit_test(test_two_values),
		cmocka_unit_test(test_degenerate),  cmocka_unit_test(test_precision),
		cmocka_unit_test(test_trim),	    cmocka_unit_test(test_ratio),
		cmocka_unit_test(test_aggregation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
