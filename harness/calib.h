/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Calibration of the attribution on the running machine, per case: a
 * getppid() loop on each endpoint core, timed on the TSC, before the probes
 * are attached and again with them (the looping thread counted as an
 * endpoint). It gives the probes' cost per sys_enter/exit run and a
 * system call's entry+exit per call on that core (probes/attr_calib.c).
 * And the engine's own TSC view of its endpoints for the breakdown.
 */
#ifndef BL_CALIB_H
#define BL_CALIB_H

#include <stdint.h>
#include <sys/types.h>
#include "attr_user.h"
#include "shm.h"

#define CALIB_MAX_CPUS 2

struct calib {
	int n;
	int keep; /* calib_keep: the children outlive calib_probed */
	uint64_t tsc_hz;
	struct calib_child {
		pid_t pid;
		int cmd, res; /* pipes: harness -> child, child -> harness */
		int cpu;
		struct attr_calib r;
	} k[CALIB_MAX_CPUS];
};

/* Start one looping child per distinct CPU and time the loop with no
 * probes. Failures leave that CPU uncalibrated (said so in result.json). */
void calib_begin(struct calib *cb, unsigned int cpu_a, unsigned int cpu_b, uint64_t tsc_hz);
/* With the probes attached: time the loop again as an endpoint, give each
 * CPU's figures to the probes, and end the children. */
void calib_probed(struct calib *cb, struct attr *a);
/* Keep the children after calib_probed (duty cycling wakes them). */
void calib_keep(struct calib *cb);
/* Wake every child once on its core: a context switch there. */
void calib_wake(struct calib *cb);
/* End whatever children are left (accepts a zeroed struct). */
void calib_end(struct calib *cb);

/* Add one endpoint's window (its timed system calls and its loop outside
 * them) to the engine's view of a core. */
void calib_core_add_engine(struct attr_core *core, const struct ep_stats *o,
			   const struct ep_stats *c, uint64_t tsc_hz);

#endif
