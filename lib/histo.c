// SPDX-License-Identifier: BSD-3-Clause
/* Log-linear histogram: bucket bounds, window deltas, merge and statistics. */
#include <math.h>
#include <string.h>
#include "histo.h"

#define HISTO_LAST (HISTO_NBUCKETS - 1)

void histo_init(struct histo *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t histo_bucket_lo(unsigned int idx)
{
	unsigned int k, e, sub;

	if (idx >= HISTO_NBUCKETS)
		return UINT64_MAX;
	if (idx < (1u << HISTO_SUB_BITS))
		return idx;
	k = idx - (1u << HISTO_SUB_BITS);
	e = HISTO_SUB_BITS + k / HISTO_HALF;
	sub = k % HISTO_HALF;
	return (uint64_t)(HISTO_HALF + sub) << (e - (HISTO_SUB_BITS - 1));
}

uint64_t histo_bucket_hi(unsigned int idx)
{
	/* The last bucket also holds every overflowing value. */
	if (idx >= HISTO_LAST)
		return UINT64_MAX;
	return histo_bucket_lo(idx + 1);
}

static int lowest_bucket(const struct histo *h)
{
	for (unsigned int i = 0; i < HISTO_NBUCKETS; i++)
		if (h->b[i])
			return (int)i;
	return -1;
}

static int highest_bucket(const struct histo *h)
{
	for (unsigned int i = HISTO_NBUCKETS; i-- > 0;)
		if (h->b[i])
			return (int)i;
	return -1;
}

/* min <= max holds after any record; an empty histogram has min > max. */
static int minmax_known(const struct histo *h)
{
	return h->count && h->min <= h->max;
}

uint64_t histo_min(const struct histo *h)
{
	int i;

	if (minmax_known(h))
		return h->min;
	i = lowest_bucket(h);
	return i < 0 ? 0 : histo_bucket_lo((unsigned int)i);
}

uint64_t histo_max(const struct histo *h)
{
	int i;

	if (minmax_known(h))
		return h->max;
	i = highest_bucket(h);
	return i < 0 ? 0 : histo_bucket_hi((unsigned int)i) - 1;
}

void histo_sub(struct histo *out, const struct histo *a, const struct histo *b)
{
	int lo, hi;

	/* Element-wise, so out may alias a or b. */
	for (unsigned int i = 0; i < HISTO_NBUCKETS; i++)
		out->b[i] = a->b[i] - b->b[i];
	out->count = a->count - b->count;
	out->sum = a->sum - b->sum;
	out->overflow = a->overflow - b->overflow;

	/* Exact extremes of the window are unknowable: use bucket bounds. */
	lo = lowest_bucket(out);
	hi = highest_bucket(out);
	if (lo < 0) {
		out->min = UINT64_MAX;
		out->max = 0;
	} else {
		out->min = histo_bucket_lo((unsigned int)lo);
		out->max = histo_bucket_hi((unsigned int)hi) - 1;
	}
}

void histo_add(struct histo *out, const struct histo *a)
{
	for (unsigned int i = 0; i < HISTO_NBUCKETS; i++)
		out->b[i] += a->b[i];
	out->count += a->count;
	out->sum += a->sum;
	out->overflow += a->overflow;
	if (a->min < out->min)
		out->min = a->min;
	if (a->max > out->max)
		out->max = a->max;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

uint64_t histo_percentile(const struct histo *h, double p)
{
	uint64_t lo_v, hi_v, rank, cum = 0;
	double r;

	if (!h->count)
		return 0;
	lo_v = histo_min(h);
	hi_v = histo_max(h);
	if (!(p > 0.0)) /* also NaN */
		return lo_v;
	if (p >= 100.0)
		return hi_v;

	/* Nearest rank: ceil(p/100 * count), at least 1. Multiplying before
	 * dividing keeps p = 99.9, count = 1e5 exactly 99900, and the epsilon
	 * absorbs the remaining representation error of decimal p. */
	r = p * (double)h->count / 100.0;
	rank = (uint64_t)ceil(r - r * 1e-12);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;

	for (unsigned int i = 0; i < HISTO_NBUCKETS; i++) {
		uint64_t blo, bhi;

		cum += h->b[i];
		if (cum < rank)
			continue;
		blo = histo_bucket_lo(i);
		bhi = histo_bucket_hi(i);
		if (bhi - blo == 1)
			return blo;
		return clamp_u64(blo + (bhi - blo) / 2, lo_v, hi_v);
	}
	/* Buckets sum to less than count (inconsistent snapshot). */
	return hi_v;
}

double histo_mean(const struct histo *h)
{
	if (!h->count)
		return 0.0;
	return (double)h->sum / (double)h->count;
}

double histo_stddev(const struct histo *h)
{
	uint64_t lo_v, hi_v;
	double mean, acc = 0.0, n = 0.0;

	if (!h->count)
		return 0.0;
	mean = histo_mean(h);
	lo_v = histo_min(h);
	hi_v = histo_max(h);
	for (unsigned int i = 0; i < HISTO_NBUCKETS; i++) {
		uint64_t blo, bhi;
		double mid, d;

		if (!h->b[i])
			continue;
		/* Centre of the bucket's integer range, kept within [min, max]
		 * (matters for the open-ended last bucket). */
		blo = clamp_u64(histo_bucket_lo(i), lo_v, hi_v);
		bhi = clamp_u64(histo_bucket_hi(i) - 1, lo_v, hi_v);
		mid = (double)blo + (double)(bhi - blo) / 2.0;
		d = mid - mean;
		acc += (double)h->b[i] * d * d;
		n += (double)h->b[i];
	}
	if (n <= 0.0)
		return 0.0;
	return sqrt(acc / n);
}
