// SPDX-License-Identifier: BSD-3-Clause
/* Log-linear histogram: bucket geometry, percentiles, moments, deltas. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "histo.h"

#define NSAMPLES 100000u

/* xorshift64*: fixed seeds make every run see the same data. */
static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ull;
}

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform in (0, 1]. */
static double rng_unit(void)
{
	return ((double)(rng_next() >> 11) + 1.0) / 9007199254740992.0;
}

static struct histo *histo_new(void)
{
	struct histo *h = malloc(sizeof(*h));

	assert_non_null(h);
	histo_init(h);
	return h;
}

static void check_bucket_of(uint64_t v)
{
	unsigned int i = histo_index(v);

	assert_true(i < HISTO_NBUCKETS);
	assert_true(histo_bucket_lo(i) <= v);
	if (i == HISTO_NBUCKETS - 1)
		assert_true(v <= histo_bucket_hi(i)); /* open-ended: hi saturates */
	else
		assert_true(v < histo_bucket_hi(i));
}

static void test_index_bounds(void **state)
{
	(void)state;
	for (uint64_t v = 0; v <= (1ull << 20); v++)
		check_bucket_of(v);
	/* Every power of two and its neighbours, up to the top of the range. */
	for (unsigned int e = 0; e < 64; e++) {
		uint64_t p = 1ull << e;

		check_bucket_of(p - 1);
		check_bucket_of(p);
		check_bucket_of(p + 1);
	}
	check_bucket_of(UINT64_MAX);
	assert_int_equal(histo_index(UINT64_MAX), HISTO_NBUCKETS - 1);
	assert_int_equal(histo_index(1ull << HISTO_MAX_EXP), HISTO_NBUCKETS - 1);

	rng_seed(1);
	for (unsigned int k = 0; k < 1000000; k++) {
		uint64_t r = rng_next();

		/* Spread over all magnitudes, not just the top few exponents. */
		check_bucket_of(r >> (rng_next() % 64));
	}
}

static void test_bucket_geometry(void **state)
{
	(void)state;
	assert_int_equal(histo_bucket_lo(0), 0);
	assert_int_equal(histo_bucket_hi(HISTO_NBUCKETS - 1), UINT64_MAX);
	for (unsigned int i = 0; i < HISTO_NBUCKETS; i++) {
		uint64_t lo = histo_bucket_lo(i), hi = histo_bucket_hi(i);

		assert_true(lo < hi);
		/* Both ends of each bucket map back to it. */
		assert_int_equal(histo_index(lo), i);
		if (i < HISTO_NBUCKETS - 1) {
			assert_int_equal(histo_index(hi - 1), i);
			assert_int_equal(histo_bucket_lo(i + 1), hi); /* contiguous */
			if (lo >= 256)
				assert_true((hi - lo) * 128 <= lo); /* width <= 1/128 */
			else
				assert_int_equal(hi - lo, 1); /* exact below 256 */
		}
	}
	assert_int_equal(histo_bucket_lo(HISTO_NBUCKETS - 1) +
				 (1ull << (HISTO_MAX_EXP - HISTO_SUB_BITS)),
			 1ull << HISTO_MAX_EXP);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank over the sorted samples: the ceil(pc/10000 * n)-th smallest,
 * with pc the percentile in hundredths so the rank is integer-exact. */
static uint64_t exact_percentile(const uint64_t *s, size_t n, unsigned int pc)
{
	size_t rank = ((size_t)pc * n + 9999) / 10000;

	if (rank < 1)
		rank = 1;
	return s[rank - 1];
}

enum dist { DIST_UNIFORM, DIST_EXP, DIST_BIMODAL, DIST_WIDE };

static uint64_t sample(enum dist d)
{
	switch (d) {
	case DIST_UNIFORM:
		return rng_next() % 1000000;
	case DIST_EXP:
		return (uint64_t)(-20000.0 * log(rng_unit()));
	case DIST_BIMODAL:
		/* 70 % near 5 us, 30 % near 2 ms: percentiles cross the gap. */
		if (rng_next() % 10 < 7)
			return 4000 + rng_next() % 2000;
		return 1500000 + rng_next() % 1000000;
	case DIST_WIDE:
		/* log-uniform over 1 ns .. 2^36 ns */
		return (uint64_t)exp(rng_unit() * 36.0 * log(2.0));
	}
	return 0;
}

static void check_dist(enum dist d, uint64_t seed)
{
	static const unsigned int pcs[] = { 100, 5000, 7000, 9000, 9900, 9990, 9999, 10000 };
	uint64_t *s = malloc(NSAMPLES * sizeof(*s));
	struct histo *h = histo_new();
	long double sum = 0, var = 0, mean;

	assert_non_null(s);
	rng_seed(seed);
	for (size_t i = 0; i < NSAMPLES; i++) {
		s[i] = sample(d);
		histo_record(h, s[i]);
		sum += (long double)s[i];
	}
	qsort(s, NSAMPLES, sizeof(*s), cmp_u64);

	assert_int_equal(h->count, NSAMPLES);
	assert_int_equal(histo_min(h), s[0]);
	assert_int_equal(histo_max(h), s[NSAMPLES - 1]);
	assert_int_equal(histo_percentile(h, 0), s[0]);
	for (size_t k = 0; k < sizeof(pcs) / sizeof(pcs[0]); k++) {
		double p = pcs[k] / 100.0;
		uint64_t want = exact_percentile(s, NSAMPLES, pcs[k]);
		uint64_t got = histo_percentile(h, p);
		double err = fabs((double)got - (double)want);

		if (err > (double)want / 100.0)
			fail_msg("dist %d p%g: got %llu want %llu", (int)d, p,
				 (unsigned long long)got, (unsigned long long)want);
	}
	assert_int_equal(histo_percentile(h, 100), s[NSAMPLES - 1]);

	/* The sum is exact, so the mean is exactly sum / count. */
	mean = sum / NSAMPLES;
	assert_true(histo_mean(h) == (double)h->sum / (double)NSAMPLES);
	assert_true(fabsl((long double)histo_mean(h) - mean) <= mean * 1e-12L);

	for (size_t i = 0; i < NSAMPLES; i++)
		var += ((long double)s[i] - mean) * ((long double)s[i] - mean);
	var = sqrtl(var / NSAMPLES);
	if (fabsl((long double)histo_stddev(h) - var) > var / 100.0L)
		fail_msg("dist %d stddev: got %g want %Lg", (int)d, histo_stddev(h), var);

	free(h);
	free(s);
}

static void test_percentiles_uniform(void **state)
{
	(void)state;
	check_dist(DIST_UNIFORM, 11);
}

static void test_percentiles_exp(void **state)
{
	(void)state;
	check_dist(DIST_EXP, 22);
}

static void test_percentiles_bimodal(void **state)
{
	(void)state;
	check_dist(DIST_BIMODAL, 33);
}

static void test_percentiles_wide(void **state)
{
	(void)state;
	check_dist(DIST_WIDE, 44);
}

static void test_percentile_small(void **state)
{
	struct histo *h = histo_new();

	(void)state;
	/* 1..100, exact buckets: nearest rank returns the value itself. */
	for (uint64_t v = 1; v <= 100; v++)
		histo_record(h, v);
	assert_int_equal(histo_percentile(h, 1), 1);
	assert_int_equal(histo_percentile(h, 1.5), 2);
	assert_int_equal(histo_percentile(h, 50), 50);
	assert_int_equal(histo_percentile(h, 50.01), 51);
	assert_int_equal(histo_percentile(h, 99), 99);
	assert_int_equal(histo_percentile(h, 100), 100);
	assert_int_equal(histo_percentile(h, 150), 100);
	assert_int_equal(histo_percentile(h, -1), 1);
	assert_int_equal(histo_percentile(h, NAN), 1);
	assert_true(histo_mean(h) == 50.5);
	assert_true(fabs(histo_stddev(h) - sqrt((100.0 * 100.0 - 1.0) / 12.0)) < 1e-9);

	/* One wide-bucket value: every percentile is that value (clamped). */
	histo_init(h);
	histo_record(h, 1000003);
	assert_int_equal(histo_percentile(h, 50), 1000003);
	assert_int_equal(histo_percentile(h, 99.99), 1000003);
	assert_true(histo_stddev(h) == 0.0);
	free(h);
}

static void test_empty(void **state)
{
	struct histo *h = histo_new();
	struct histo *z = histo_new();
	struct histo *d = histo_new();

	(void)state;
	assert_int_equal(h->count, 0);
	assert_int_equal(h->min, UINT64_MAX);
	assert_int_equal(h->max, 0);
	assert_int_equal(histo_min(h), 0);
	assert_int_equal(histo_max(h), 0);
	assert_int_equal(histo_percentile(h, 0), 0);
	assert_int_equal(histo_percentile(h, 50), 0);
	assert_int_equal(histo_percentile(h, 100), 0);
	assert_true(histo_mean(h) == 0.0);
	assert_true(histo_stddev(h) == 0.0);

	/* An empty delta is empty too. */
	histo_record(h, 12345);
	histo_sub(d, h, h);
	assert_int_equal(d->count, 0);
	assert_int_equal(histo_min(d), 0);
	assert_int_equal(histo_max(d), 0);
	assert_int_equal(histo_percentile(d, 99), 0);
	assert_true(histo_mean(d) == 0.0);
	/* Merging an empty histogram changes nothing. */
	histo_add(h, z);
	assert_int_equal(h->count, 1);
	assert_int_equal(histo_min(h), 12345);
	assert_int_equal(histo_max(h), 12345);
	free(h);
	free(z);
	free(d);
}

static void test_sub_add(void **state)
{
	struct histo *a = histo_new(), *b = histo_new(), *ab = histo_new();
	struct histo *d = histo_new(), *m = histo_new();
	unsigned int lo = HISTO_NBUCKETS, hi = 0;

	(void)state;
	rng_seed(55);
	for (unsigned int i = 0; i < 50000; i++) {
		uint64_t v = rng_next() >> (20 + rng_next() % 44);

		histo_record(a, v);
		histo_record(ab, v);
	}
	for (unsigned int i = 0; i < 30000; i++) {
		uint64_t v = 1000 + (rng_next() >> (30 + rng_next() % 34));

		histo_record(b, v);
		histo_record(ab, v);
	}
	histo_record(b, 1ull << 45); /* one overflow in the window */
	histo_record(ab, 1ull << 45);

	/* Window delta: (a + b) - a == b, bucket for bucket. */
	histo_sub(d, ab, a);
	assert_int_equal(d->count, b->count);
	assert_int_equal(d->sum, b->sum);
	assert_int_equal(d->overflow, 1);
	assert_memory_equal(d->b, b->b, sizeof(b->b));
	for (unsigned int i = 0; i < HISTO_NBUCKETS; i++) {
		if (b->b[i]) {
			lo = i < lo ? i : lo;
			hi = i;
		}
	}
	/* min/max of a delta are the occupied buckets' bounds. */
	assert_int_equal(d->min, histo_bucket_lo(lo));
	assert_int_equal(d->max, histo_bucket_hi(hi) - 1);
	assert_int_equal(histo_min(d), histo_bucket_lo(lo));
	assert_true(histo_min(d) <= b->min);
	assert_true(histo_max(d) >= b->max);

	/* In place (out aliases a) gives the same. */
	histo_sub(ab, ab, a);
	assert_memory_equal(ab->b, b->b, sizeof(b->b));
	assert_int_equal(ab->count, b->count);

	/* Merge: a + b recorded separately equals recording all of it. */
	histo_add(m, a);
	histo_add(m, b);
	histo_add(ab, a);
	assert_int_equal(m->count, a->count + b->count);
	assert_int_equal(m->sum, a->sum + b->sum);
	assert_int_equal(m->overflow, a->overflow + b->overflow);
	assert_true(a->overflow > 0);
	assert_memory_equal(m->b, ab->b, sizeof(m->b));
	assert_int_equal(m->min, a->min < b->min ? a->min : b->min);
	assert_int_equal(m->max, a->max > b->max ? a->max : b->max);

	free(a);
	free(b);
	free(ab);
	free(d);
	free(m);
}

static void test_overflow(void **state)
{
	struct histo *h = histo_new();
	struct histo *z = histo_new();
	struct histo *d = histo_new();
	unsigned int last = HISTO_NBUCKETS - 1;

	(void)state;
	histo_record(h, (1ull << HISTO_MAX_EXP) - 1); /* top of the range: no overflow */
	assert_int_equal(h->overflow, 0);
	histo_record(h, 1ull << HISTO_MAX_EXP);
	histo_record(h, UINT64_MAX / 2);
	assert_int_equal(h->overflow, 2);
	assert_int_equal(h->count, 3);
	assert_int_equal(h->b[last], 3);
	assert_int_equal(histo_max(h), UINT64_MAX / 2);
	assert_int_equal(histo_min(h), (1ull << HISTO_MAX_EXP) - 1);
	/* Percentiles in the open-ended bucket are clamped to the known range. */
	assert_true(histo_percentile(h, 50) >= histo_min(h));
	assert_true(histo_percentile(h, 50) <= histo_max(h));
	assert_int_equal(histo_percentile(h, 100), UINT64_MAX / 2);

	/* A delta keeps the overflow count and ends at the saturated bound. */
	histo_sub(d, h, z);
	assert_int_equal(d->overflow, 2);
	assert_int_equal(histo_min(d), histo_bucket_lo(last));
	assert_int_equal(histo_max(d), UINT64_MAX - 1);

	/* A single UINT64_MAX is still an exact min and max. */
	histo_init(h);
	histo_record(h, UINT64_MAX);
	assert_int_equal(h->overflow, 1);
	assert_int_equal(histo_min(h), UINT64_MAX);
	assert_int_equal(histo_max(h), UINT64_MAX);
	assert_int_equal(histo_percentile(h, 50), UINT64_MAX);
	free(h);
	free(z);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_bounds),
		cmocka_unit_test(test_bucket_geometry),
		cmocka_unit_test(test_percentiles_uniform),
		cmocka_unit_test(test_percentiles_exp),
		cmocka_unit_test(test_percentiles_bimodal),
		cmocka_unit_test(test_percentiles_wide),
		cmocka_unit_test(test_percentile_small),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_sub_add),
		cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
