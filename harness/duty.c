// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "duty.h"
#include "tsc.h"

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
	d->err = d->err ? d->err : attr__resume(d->a);
	/* A context switch on every endpoint core makes its state known. */
	calib_wake(d->cal);
	d->so = attr__snap(d->a);
	for (int i = 0; i < d->nep; i++)
		ep_snap(&d->o[i], d->shm[i]);
	d->t_on = mono_ns();
	d->on = 1;
}

static void slice_close(struct duty *d)
{
	struct attr_snap *c = attr__snap(d->a);

	for (int i = 0; i < d->nep; i++) {
		struct ep_stats now;

		ep_snap(&now, d->shm[i]);
		ep_acc(&d->acc[i], &d->o[i], &now);
	}
	d->traced_ns += mono_ns() - d->t_on;
	attr__pause(d->a);
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
	if (!d->sacc)
		return -ENOMEM;
	/* The probes were attached and ran through the warm-up: this slice
	 * starts from a known state. */
	d->so = attr__snap(a);
	for (int i = 0; i < d->nep; i++)
		ep_snap(&d->o[i], d->shm[i]);
	d->t_on = mono_ns();
	d->on = 1;
	return d->so ? 0 : -ENOMEM;
}

int duty_sleep_until(struct duty *d, uint64_t t, int (*sleep_until)(uint64_t))
{
	/* Slices start on whole seconds of the window: [start, start + frac). */
	uint64_t start = t - 1000000000ull, off = start + (uint64_t)(d->frac * 1e9);
	int err;

	if (t < 1000000000ull)
		return sleep_until(t);
	if (!d->on && mono_ns() < off)
		slice_open(d);
	if (d->on) {
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
}

json_t *duty_json(const struct duty *d, uint64_t window_ns)
{
	return json_pack("{s:f, s:i, s:I, s:f, s:s}", "fraction", d->frac, "slices", d->slices,
			 "traced_ns", (json_int_t)d->traced_ns, "traced_fraction",
			 window_ns ? (double)d->traced_ns / (double)window_ns : 0.0, "method",
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
