// SPDX-License-Identifier: BSD-3-Clause
/*
 * Summary statistics: see stats.h for what goes in and why.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* Two-sided 95 % (0.975 quantile) Student t, df = 1..30. */
static const double t95_table[30] = {
	12.7062047, 4.3026527, 3.1824463, 2.7764451, 2.5705818, 2.4469119,
	2.3646243,  2.3060041, 2.2621572, 2.2281389, 2.2009852, 2.1788128,
	2.1603687,  2.1447867, 2.1314495, 2.1199053, 2.1098156, 2.1009220,
	2.0930241,  2.0859634, 2.0796138, 2.0738731, 2.0686576, 2.0638986,
	2.0595386,  2.0555294, 2.0518305, 2.0484071, 2.0452296, 2.0422725,
};

double stats_t95(double df)
{
	double z = STATS_Z95, z2 = z * z;

	if (!(df >= 1.0))
		return NAN;
	if (df < 31.0)
		return t95_table[(int)df - 1];
	/* Cornish-Fisher expansion of t in powers of 1/df around the normal
	 * quantile: continuous with the table at 30/31 and exact to 1e-5. */
	return z + z * (z2 + 1) / (4 * df) +
	       z * (5 * z2 * z2 + 16 * z2 + 3) / (96 * df * df) +
	       z * (3 * z2 * z2 * z2 + 19 * z2 * z2 + 17 * z2 - 15) / (384 * df * df * df);
}

double stats_quantile_sorted(const double *sorted, int n, double p)
{
	double h, frac;
	int lo;

	if (n < 1)
		return NAN;
	if (p <= 0)
		return sorted[0];
	if (p >= 1)
		return sorted[n - 1];
	h = (double)(n - 1) * p;
	lo = (int)floor(h);
	frac = h - lo;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

int stats_compute(const double *x, int n, struct stats *s)
{
	double *v, sum = 0, ss = 0, iqr;

	memset(s, 0, sizeof(*s));
	s->ci95 = NAN;
	if (n < 1)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return -EINVAL;
	v = malloc(sizeof(*v) * (size_t)n);
	if (!v)
		return -ENOMEM;
	memcpy(v, x, sizeof(*v) * (size_t)n);
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	for (int i = 0; i < n; i++)
		sum += v[i];
	s->n = n;
	s->mean = sum / n;
	/* Two passes: the deviations from the mean, not sum of squares minus
	 * square of sum, which cancels badly at a million pps. */
	for (int i = 0; i < n; i++)
		ss += (v[i] - s->mean) * (v[i] - s->mean);
	if (n > 1) {
		s->sd = sqrt(ss / (n - 1));
		s->se = s->sd / sqrt((double)n);
		s->ci95 = stats_t95(n - 1) * s->se;
	}
	s->min = v[0];
	s->max = v[n - 1];
	s->q1 = stats_quantile_sorted(v, n, 0.25);
	s->median = stats_quantile_sorted(v, n, 0.5);
	s->q3 = stats_quantile_sorted(v, n, 0.75);
	iqr = s->q3 - s->q1;
	s->lo_fence = s->q1 - 1.5 * iqr;
	s->hi_fence = s->q3 + 1.5 * iqr;
	for (int i = 0; i < n; i++)
		if (stats_is_outlier(s, v[i]))
			s->n_outliers++;
	free(v);
	return 0;
}

int stats_is_outlier(const struct stats *s, double v)
{
	if (s->n < 4)
		return 0;
	return v < s->lo_fence || v > s->hi_fence;
}

void stats_trim(int n, int *first, int *count)
{
	if (n >= 3) {
		*first = 1;
		*count = n - 2;
	} else {
		*first = 0;
		*count = n > 0 ? n : 0;
	}
}

int stats_ratio(const struct stats *a, const struct stats *b, struct stats_ratio *r)
{
	double ra, rb, var, den, t;

	memset(r, 0, sizeof(*r));
	r->lo = r->hi = r->df = NAN;
	if (a->n < 1 || b->n < 1 || a->mean == 0)
		return -EINVAL;
	r->ratio = b->mean / a->mean;
	if (a->n < 2 || b->n < 2)
		return 0;
	/* Delta method: var(B/A) / (B/A)^2 = (se_A/A)^2 + (se_B/B)^2, which is
	 * also var(log(B/A)). */
	ra = a->se / a->mean;
	rb = b->mean != 0 ? b->se / b->mean : 0;
	var = ra * ra + rb * rb;
	r->has_ci = 1;
	if (var == 0) {
		/* Both sides constant: the ratio is exact. */
		r->lo = r->hi = r->ratio;
		r->df = INFINITY;
		return 0;
	}
	den = ra * ra * ra * ra / (a->n - 1) + rb * rb * rb * rb / (b->n - 1);
	r->df = var * var / den;
	t = stats_t95(r->df);
	if (r->ratio > 0) {
		/* On the log scale, so the interval of a ratio of positive
		 * figures stays positive (and a ratio of 2 is as far from 1
		 * as one of 0.5). */
		r->lo = r->ratio * exp(-t * sqrt(var));
		r->hi = r->ratio * exp(t * sqrt(var));
	} else {
		r->lo = r->ratio - t * fabs(r->ratio) * sqrt(var);
		r->hi = r->ratio + t * fabs(r->ratio) * sqrt(var);
	}
	return 0;
}
