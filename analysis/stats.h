/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Summary statistics for results: mean, sample standard deviation, 95 %
 * confidence interval of the mean (Student t), quartiles and the 1.5 IQR
 * outlier fences, and the ratio of two means with its interval.
 *
 * Which values go in: a case's per-second samples with the first and last
 * second dropped (ramp-up and the partial last second) when it has at least
 * three, otherwise its window figure; over repetitions, one figure per
 * repetition. Outliers are counted and listed, never removed.
 */
#ifndef BL_STATS_H
#define BL_STATS_H

/* Two-sided 95 % normal quantile. */
#define STATS_Z95 1.959963984540054

struct stats {
	int n;
	double mean;
	double sd;    /* sample standard deviation (n - 1); 0 when n < 2 */
	double se;    /* sd / sqrt(n) */
	double ci95;  /* half-width of the 95 % interval of the mean; NAN when n < 2 */
	double min, max;
	double q1, median, q3; /* linear interpolation between order statistics */
	double lo_fence, hi_fence; /* q1 - 1.5 IQR, q3 + 1.5 IQR */
	int n_outliers;            /* values outside the fences (still in mean/sd) */
};

/* Two-sided 95 % Student t critical value for df degrees of freedom: a table
 * for df 1..30 (a fractional df is rounded down, which widens the interval),
 * the normal quantile with its Cornish-Fisher correction beyond (error under
 * 1e-5 from df 31). NAN for df < 1. */
double stats_t95(double df);

/* Quantile p (0..1) of n ascending values, linear between order statistics
 * (the "type 7" definition of R and numpy). */
double stats_quantile_sorted(const double *sorted, int n, double p);

/* Summarize n values (n >= 1). -EINVAL for n < 1 or a non-finite value,
 * -ENOMEM. */
int stats_compute(const double *x, int n, struct stats *s);

/* Whether v lies outside s's 1.5 IQR fences (never with fewer than 4 values:
 * quartiles of three points say nothing about outliers). */
int stats_is_outlier(const struct stats *s, double v);

/* Which of n per-second samples count: [*first, *first + *count). Drops the
 * first and the last sample when n >= 3. */
void stats_trim(int n, int *first, int *count);

/* B/A for two independent means with the delta method (relative variances
 * add) and Welch-Satterthwaite degrees of freedom for the t value. For a
 * positive ratio the interval is taken on log(B/A) and mapped back:
 * B/A * exp(±t * sqrt((se_A/A)^2 + (se_B/B)^2)). */
struct stats_ratio {
	double ratio;
	double lo, hi; /* 95 % interval; NAN when either side has n < 2 */
	double df;
	int has_ci;
};

/* -EINVAL when a's mean is 0 or either n < 1. */
int stats_ratio(const struct stats *a, const struct stats *b, struct stats_ratio *r);

#endif
