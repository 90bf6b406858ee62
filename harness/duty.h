/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Duty-cycled probes (probe_duty < 1): the programs are attached for a slice
 * at the start of every second of the window and detached for the rest, so
 * the instrument costs that fraction of what it costs attached. The
 * breakdown is built from the traced slices only: the probes' counters and
 * the endpoints' counters are summed over the slices (their packets, their
 * engine time), and each slice is a window of its own. After each attach
 * the CPUs' state is unknown until a context switch: the calibration
 * children (calib.h) are woken on every endpoint core to force one.
 */
#ifndef BL_DUTY_H
#define BL_DUTY_H

#include <stdint.h>
#include "attr_user.h"
#include "calib.h"
#include "shm.h"

#define DUTY_MAX_EPS 32
#define DUTY_MAX_SLICES 64 /* slices whose own figures are kept (agreement) */
/* The slices agree when each endpoint core's busy ns per packet varies by
 * at most this coefficient of variation across them. */
#define DUTY_AGREE_CV_PCT 10.0

struct duty {
	struct attr *a;
	struct calib *cal;
	double frac;
	int nep;
	struct ep_shm *shm[DUTY_MAX_EPS];
	struct ep_stats o[DUTY_MAX_EPS];   /* at the open of the current slice */
	struct ep_stats acc[DUTY_MAX_EPS]; /* summed over the slices */
	uint64_t w_pkts[DUTY_MAX_EPS][2];  /* tx, rx at window open, then over it */
	struct attr_snap *so, *sacc;
	/* Per endpoint and slice: the probes' busy ns on its core per packet
	 * it moved (0: too few packets to say). */
	float npp[DUTY_MAX_EPS][DUTY_MAX_SLICES];
	int on, slices;
	uint64_t t_on, traced_ns;
	uint64_t resume_ns; /* spent reattaching (the slices start after it) */
	uint64_t detach_ns, switch_cpu_ns; /* detaching; the harness's CPU in both */
	int err, err_slices; /* a slice's reattach failed (first error) */
	int begin_err;       /* duty_begin failed: attached throughout */
};

/* Window open: the probes are attached now (the first slice starts). On
 * failure d->a is NULL, the probes stay attached, and duty_json says so. */
int duty_begin(struct duty *d, struct attr *a, struct calib *cal, double frac,
	       struct ep_shm *const *shm, int nep);
/* Sleep until t (CLOCK_MONOTONIC ns), ending and starting slices on the
 * way; -EINTR on a signal (as hsleep_until). */
int duty_sleep_until(struct duty *d, uint64_t t, int (*sleep_until)(uint64_t));
/* Window close: end the slice if one is open. d->sacc then holds the
 * traced slices' probe counters (from a zero snapshot) and d->acc[] the
 * endpoints'. */
void duty_end(struct duty *d);
/* The result's "duty" object. */
json_t *duty_json(const struct duty *d, uint64_t window_ns);
void duty_free(struct duty *d);

#endif
