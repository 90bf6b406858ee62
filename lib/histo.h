/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log-linear latency histogram (HDR style) with bounded relative error.
 *
 * Values are unsigned 64-bit (nanoseconds by convention). Values below
 * 2^HISTO_SUB_BITS get one bucket each (exact). Above that, each power of two
 * [2^e, 2^(e+1)) is split into 2^(HISTO_SUB_BITS-1) equal buckets, so a
 * bucket's width divided by its lower bound is at most 2^-(HISTO_SUB_BITS-1)
 * = 1/128 < 1 %. Values >= 2^HISTO_MAX_EXP land in the last bucket (and are
 * counted in `overflow`).
 *
 * The struct is plain data with monotonic counters so it can live in shared
 * memory written by one thread; window deltas are histo_sub(close, open).
 */
#ifndef BL_HISTO_H
#define BL_HISTO_H

#include <stdint.h>
#include <stddef.h>

#define HISTO_SUB_BITS 8u
#define HISTO_MAX_EXP 40u /* 2^40 ns ~ 18 minutes */
#define HISTO_HALF (1u << (HISTO_SUB_BITS - 1))
#define HISTO_NBUCKETS ((1u << HISTO_SUB_BITS) + (HISTO_MAX_EXP - HISTO_SUB_BITS) * HISTO_HALF)

struct histo {
	uint64_t count;
	uint64_t sum;      /* exact sum of recorded values (mean is exact) */
	uint64_t overflow; /* values >= 2^HISTO_MAX_EXP */
	uint64_t min;      /* exact, UINT64_MAX when empty; not meaningful after histo_sub */
	uint64_t max;      /* exact, 0 when empty; not meaningful after histo_sub */
	uint64_t b[HISTO_NBUCKETS];
};

static inline unsigned int histo_index(uint64_t v)
{
	unsigned int e, sub;

	if (v < (1ull << HISTO_SUB_BITS))
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);
	if (e >= HISTO_MAX_EXP)
		return HISTO_NBUCKETS - 1;
	sub = (unsigned int)(v >> (e - (HISTO_SUB_BITS - 1))) - HISTO_HALF;
	return (1u << HISTO_SUB_BITS) + (e - HISTO_SUB_BITS) * HISTO_HALF + sub;
}

/* Hot path: no branches beyond the index computation and min/max. */
static inline void histo_record(struct histo *h, uint64_t v)
{
	h->b[histo_index(v)]++;
	h->count++;
	h->sum += v;
	if (v >= (1ull << HISTO_MAX_EXP))
		h->overflow++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void histo_init(struct histo *h);
/* Lowest value mapped to bucket idx, and one past the highest. */
uint64_t histo_bucket_lo(unsigned int idx);
uint64_t histo_bucket_hi(unsigned int idx);
/* out = a - b, bucket by bucket (window delta of monotonic histograms).
 * min/max of out are recomputed from the occupied buckets (bucket bounds). */
void histo_sub(struct histo *out, const struct histo *a, const struct histo *b);
/* out += a (merge). */
void histo_add(struct histo *out, const struct histo *a);
/* Value at percentile p (0..100], nearest-rank; returns the bucket's
 * midpoint clamped to [min, max]; 0 when empty. */
uint64_t histo_percentile(const struct histo *h, double p);
double histo_mean(const struct histo *h);
/* Standard deviation from bucket midpoints (relative error < 1 %). */
double histo_stddev(const struct histo *h);
/* Lowest/highest occupied bucket bound when min/max are unknown. */
uint64_t histo_min(const struct histo *h);
uint64_t histo_max(const struct histo *h);

#endif
