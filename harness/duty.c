// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "duty.h"
#include "tsc.h"

/* The harness thread's own CPU time: what attaching and detaching took
 * from the machine (the endpoints' cores, on a small one). */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void ep_snap(struct ep_stats *dst, const struct ep_shm *shm)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memcpy(dst, (const void *)&shm->st, sizeof(*dst));
}

/* acc += c - o over every counter; the syscall slots' numbers are labels. */
static void ep_acc(struct ep_stats *acc, const struct ep_stats *o, const struct ep_stats *c)
{
	uint64_t *pa = (uint64_t *)acc;
	const uint64_t *po = (const uint64_t *)o, *pc = (const uint64_t *)c;

	for (size_t i = 0; i < sizeof(*acc) / sizeof(uint64_t); i++)
		pa[i] += pc[i] - po[i];
	for (int i = 0; i < EP_NSYS; i++)
		acc->sys[i].nr = c->sys[i].nr;
}

static void slice_open(struct duty *d)
{
	uint64_t t0 = mono_ns(), c0 = thread_cpu_ns();
	int err = attr__resume(d->a);

	d->resume_ns += mono_ns() - t0;
	d->switch_cpu_ns += thread_cpu_ns() - c0;
	if (err) {
		d->err = d->err ? d->err : err;
		d->err_slices++;
	}
	/* A context switch on every endpoint core makes its state known. */
	calib_wake(d->cal);
	d->so = attr__snap(d->a);
	for (int i = 0; i < d->nep; i++)
		ep_snap(&d->o[i], d->shm[i]);
	d->t_on = mono_ns();
	d->on = 1;
}

static uint64_t ep_pkts(const struct ep_stats *st, uint32_t role)
{
	return role == EP_ROLE_SEND || role == EP_ROLE_CLIENT ? st->tx_pkts : st->rx_pkts;
}

/*
 * This slice's own figure per endpoint, for the agreement check: its core's
 * busy ns per packet. A polling endpoint's empty polls (the engine's TSC
 * time in receive calls that returned nothing) are busy time that scales
 * with how long it waited, not with the packets: they are left out, so a
 * slice at a lower offered rate does not look costlier per packet. A
 * blocking endpoint's empty calls slept, which is not busy time.
 */
static void slice_figures(struct duty *d, const struct attr_snap *c, const struct ep_stats *now)
{
	for (int i = 0; c && d->so && i < d->nep && d->slices < DUTY_MAX_SLICES; i++) {
		const struct ep_config *cfg = &d->shm[i]->cfg;
		uint64_t pkts = ep_pkts(&now[i], cfg->role) - ep_pkts(&d->o[i], cfg->role);
		double busy = attr_snap__busy_ns(d->a, d->so, c, (int)cfg->cpu);

		if (!cfg->blocking && cfg->tsc_hz)
			busy -= (double)(now[i].cyc_idle - d->o[i].cyc_idle) * 1e9 /
				(double)cfg->tsc_hz;
		d->npp[i][d->slices] = pkts >= 100 && busy > 0 ? (float)(busy / (double)pkts) : 0.0f;
	}
}

static void slice_close(struct duty *d)
{
	struct attr_snap *c = attr__snap(d->a);
	struct ep_stats now[DUTY_MAX_EPS];
	uint64_t t0, c0;

	for (int i = 0; i < d->nep; i++) {
		ep_snap(&now[i], d->shm[i]);
		ep_acc(&d->acc[i], &d->o[i], &now[i]);
	}
	slice_figures(d, c, now);
	d->traced_ns += mono_ns() - d->t_on;
	t0 = mono_ns();
	c0 = thread_cpu_ns();
	attr__pause(d->a);
	d->detach_ns += mono_ns() - t0;
	d->switch_cpu_ns += thread_cpu_ns() - c0;
	if (c && d->so && d->sacc)
		attr_snap__acc(d->a, d->sacc, d->so, c);
	else
		d->err = -ENOMEM;
	attr_snap__free(c);
	attr_snap__free(d->so);
	d->so = NULL;
	d->on = 0;
	d->slices++;
}

int duty_begin(struct duty *d, struct attr *a, struct calib *cal, double frac,
	       struct ep_shm *const *shm, int nep)
{
	memset(d, 0, sizeof(*d));
	d->a = a;
	d->cal = cal;
	d->frac = frac;
	d->nep = nep < DUTY_MAX_EPS ? nep : DUTY_MAX_EPS;
	memcpy(d->shm, shm, sizeof(shm[0]) * (size_t)d->nep);
	d->sacc = attr_snap__zero(a);
	/* The probes were attached and ran through the warm-up: this slice
	 * starts from a known state. */
	d->so = d->sacc ? attr__snap(a) : NULL;
	if (!d->so) {
		/* The probes stay attached for the whole window: say so in
		 * the result (duty_json), never silently. */
		duty_free(d);
		d->a = NULL;
		d->begin_err = -ENOMEM;
		return d->begin_err;
	}
	for (int i = 0; i < d->nep; i++) {
		ep_snap(&d->o[i], d->shm[i]);
		d->w_pkts[i][0] = d->o[i].tx_pkts;
		d->w_pkts[i][1] = d->o[i].rx_pkts;
	}
	d->t_on = mono_ns();
	d->on = 1;
	return 0;
}

int duty_sleep_until(struct duty *d, uint64_t t, int (*sleep_until)(uint64_t))
{
	/* Slices start on whole seconds of the window and last frac of a
	 * second from when the programs are back (reattaching takes ms). */
	uint64_t span = (uint64_t)(d->frac * 1e9), start = t - 1000000000ull, off = start + span;
	int err;

	if (t < 1000000000ull)
		return sleep_until(t);
	if (!d->on && mono_ns() < off)
		slice_open(d);
	if (d->on) {
		off = d->t_on + span > off ? d->t_on + span : off;
		err = sleep_until(off < t ? off : t);
		if (err)
			return err;
		if (off < t)
			slice_close(d);
	}
	return sleep_until(t);
}

void duty_end(struct duty *d)
{
	if (d->on)
		slice_close(d);
	for (int i = 0; d->a && i < d->nep; i++) {
		struct ep_stats now;

		ep_snap(&now, d->shm[i]);
		d->w_pkts[i][0] = now.tx_pkts - d->w_pkts[i][0];
		d->w_pkts[i][1] = now.rx_pkts - d->w_pkts[i][1];
	}
}

/* The rates in and out of the slices, in the same run: while traced
 * against while not is the instrument's cost with no run-to-run drift in
 * it. Senders' (and clients') tx, receivers' (and servers') rx. */
static json_t *rates_json(const struct duty *d, uint64_t window_ns)
{
	double tr[2] = { 0 }, all[2] = { 0 };
	double ts = (double)d->traced_ns / 1e9, ws = (double)window_ns / 1e9, us = ws - ts;

	for (int i = 0; i < d->nep; i++) {
		uint32_t role = d->shm[i]->cfg.role;
		int k = role == EP_ROLE_SEND || role == EP_ROLE_CLIENT ? 0 : 1;

		tr[k] += (double)(k ? d->acc[i].rx_pkts : d->acc[i].tx_pkts);
		all[k] += (double)d->w_pkts[i][k];
	}
	if (ts <= 0 || us <= 0 || all[0] <= tr[0])
		return json_null();
	return json_pack("{s:{s:f, s:f, s:f}, s:{s:f, s:f, s:f}, s:f, s:f, s:s}", "traced",
			 "seconds", ts, "tx_pps", tr[0] / ts, "rx_pps", tr[1] / ts, "untraced",
			 "seconds", us, "tx_pps", (all[0] - tr[0]) / us, "rx_pps",
			 (all[1] - tr[1]) / us, "traced_cost_pct",
			 100.0 * (1.0 - (tr[0] / ts) / ((all[0] - tr[0]) / us)), "window_cost_pct",
			 100.0 * (1.0 - (all[0] / ws) / ((all[0] - tr[0]) / us)), "method",
			 "traced_cost_pct: the send rate while the probes were attached against the "
			 "rate while they were not, in the same run; window_cost_pct: the whole "
			 "window's send rate against the untraced one (what the headline lost)");
}

/* status: "ok"; "not started: <why>" when the probes stayed attached for
 * the whole window (traced_fraction 1); "slice errors: <why>" when a slice
 * could not reattach every program (its breakdown misses their events). */
static void duty_status(const struct duty *d, char *buf, size_t len)
{
	if (!d->a)
		snprintf(buf, len, "not started: %s; the probes stayed attached for the whole window",
			 strerror(-d->begin_err));
	else if (d->err)
		snprintf(buf, len, "slice errors: %s (%d slices)", strerror(-d->err), d->err_slices);
	else
		snprintf(buf, len, "ok");
}

/* One endpoint's slices: their ns/pkt and coefficient of variation (%);
 * *cv < 0 when fewer than two slices carried enough packets. */
static json_t *slices_ep_json(const struct duty *d, int i, double *cv)
{
	json_t *v = json_array();
	double sum = 0, sq = 0;
	int n = 0;

	for (int s = 0; s < d->slices && s < DUTY_MAX_SLICES; s++) {
		double x = d->npp[i][s];

		json_array_append_new(v, x > 0 ? json_real(x) : json_null());
		if (x > 0) {
			sum += x;
			sq += x * x;
			n++;
		}
	}
	*cv = -1;
	if (n >= 2) {
		double mean = sum / n, var = (sq - n * mean * mean) / (n - 1);

		*cv = 100.0 * sqrt(var > 0 ? var : 0) / mean;
	}
	return json_pack("{s:i, s:o, s:o}", "cpu", (int)d->shm[i]->cfg.cpu, "busy_ns_per_pkt", v,
			 "cv_pct", *cv >= 0 ? json_real(*cv) : json_null());
}

/* Do the slices agree with each other? Each endpoint core's busy ns per
 * packet, slice by slice: a slice that started from a wrong state or
 * caught a disturbance stands out. */
static json_t *agreement_json(const struct duty *d)
{
	json_t *eps = json_array();
	double worst = -1, cv;

	for (int i = 0; d->a && i < d->nep; i++) {
		json_array_append_new(eps, slices_ep_json(d, i, &cv));
		worst = cv > worst ? cv : worst;
	}
	return json_pack("{s:o, s:o, s:f, s:o}", "endpoints", eps, "cv_max_pct",
			 worst >= 0 ? json_real(worst) : json_null(), "tolerance_cv_pct",
			 DUTY_AGREE_CV_PCT, "agree",
			 worst >= 0 ? json_boolean(worst <= DUTY_AGREE_CV_PCT) : json_null());
}

json_t *duty_json(const struct duty *d, uint64_t window_ns)
{
	uint64_t traced = d->a ? d->traced_ns : window_ns;
	char status[160];

	duty_status(d, status, sizeof(status));
	int reattached = d->slices > 1 ? d->slices - 1 : 0; /* the first was attached */

	return json_pack("{s:f, s:s, s:i, s:I, s:f, s:f, s:f, s:f, s:o, s:o, s:s}", "fraction",
			 d->frac, "status", status, "slices", d->slices, "traced_ns",
			 (json_int_t)traced, "traced_fraction",
			 window_ns ? (double)traced / (double)window_ns : 0.0, "reattach_ms",
			 reattached ? (double)d->resume_ns / reattached / 1e6 : 0.0, "detach_ms",
			 d->slices ? (double)d->detach_ns / d->slices / 1e6 : 0.0,
			 "switch_cpu_ms_per_s",
			 window_ns ? (double)d->switch_cpu_ns / ((double)window_ns / 1e9) / 1e6 : 0.0,
			 "slice_agreement", agreement_json(d), "rates",
			 d->a ? rates_json(d, window_ns) : json_null(), "method",
			 "programs attached for the first fraction of every second of the window "
			 "and detached for the rest; the breakdown is built from the traced slices "
			 "only (probe and endpoint counters summed over them)");
}

void duty_free(struct duty *d)
{
	if (d->so)
		attr_snap__free(d->so);
	attr_snap__free(d->sacc);
	d->so = d->sacc = NULL;
}
