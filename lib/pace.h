/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Open-loop pacing by TSC busy-poll: burst k is due at
 *   t0 + k * burst * hz / rate
 * computed from k each time (no accumulated rounding drift). A sender that
 * falls behind does not reset the schedule: it sends at once until it catches
 * up, and the lateness is counted, so the offered rate stays the configured
 * one whenever the datapath can carry it.
 */
#ifndef BL_PACE_H
#define BL_PACE_H

#include <stdint.h>

struct pace {
	uint64_t t0;
	uint64_t hz;
	uint64_t rate_pps; /* 0 = unpaced */
	uint64_t burst;
	uint64_t k; /* index of the next burst */
};

static inline void pace_init(struct pace *p, uint64_t t0, uint64_t hz, uint64_t rate_pps,
			     unsigned int burst)
{
	p->t0 = t0;
	p->hz = hz;
	p->rate_pps = rate_pps;
	p->burst = burst ? burst : 1;
	p->k = 0;
}

/* TSC at which burst k is due. */
static inline uint64_t pace_due(const struct pace *p, uint64_t k)
{
	if (!p->rate_pps)
		return p->t0;
	return p->t0 + (uint64_t)((unsigned __int128)k * p->burst * p->hz / p->rate_pps);
}

/* Ticks between bursts (rounded down), for reporting. */
static inline uint64_t pace_interval(const struct pace *p)
{
	return p->rate_pps ? pace_due(p, 1) - p->t0 : 0;
}

/* Non-zero when the next burst is due at `now`. */
static inline int pace_ready(const struct pace *p, uint64_t now)
{
	return now >= pace_due(p, p->k);
}

/* Mark the next burst sent at `now`; returns 1 if it left more than one
 * interval after its due time (a late burst). */
static inline int pace_advance(struct pace *p, uint64_t now)
{
	int late = p->rate_pps && now > pace_due(p, p->k + 1);

	p->k++;
	return late;
}

#endif
