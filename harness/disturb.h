/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whether a case ran on a quiet machine: the facts the verdict is built
 * from (result.c, "disturbance") that the harness reads itself: each
 * endpoint core's busy and steal time from /proc/stat, and the other
 * bypasslab runs alive at the same time (their run-state files under
 * RS_STATE_DIR, owner pid + start time). The thresholds are here so that
 * the docs and the tests name the same figures.
 */
#ifndef BL_DISTURB_H
#define BL_DISTURB_H

#include <stddef.h>
#include <stdint.h>

/* A case is disturbed when, over its window, any of these is exceeded. */
#define DISTURB_OTHER_TASKS_PCT 10.0 /* other tasks' share of an endpoint core, beyond
				      * /proc/stat's resolution (2 ticks) */
#define DISTURB_RQ_WAIT_PCT 5.0      /* an endpoint's time waiting on its run queue */
#define DISTURB_NIVCSW_PER_S 100.0   /* an endpoint's involuntary context switches */
#define DISTURB_STEAL_PCT 5.0        /* steal time on an endpoint core */
/* and whenever another bypasslab run is alive during the case. */

/* `exclusive = yes`: how often the wait looks again. */
#define DISTURB_POLL_MS 200

/* One CPU's /proc/stat line, in clock ticks (sysconf(_SC_CLK_TCK)). */
struct cpu_ticks {
	uint64_t busy;  /* user + nice + system + irq + softirq */
	uint64_t steal;
	uint64_t total; /* busy + idle + iowait + steal */
	/* ksoftirqd/<cpu>'s run time (ns, schedstat): the kernel finishing
	 * the case's own softirq work there is not a disturbance. */
	uint64_t softirqd_ns;
};
/* 0, or -errno (-ENOENT: no such CPU). */
int cpu_ticks_read(unsigned int cpu, struct cpu_ticks *t);

/* The prefixes of other bypasslab runs whose owner is alive, space
 * separated, into buf (self: the caller's own prefix, or NULL). Returns
 * how many. */
int disturb_other_runs(const char *self, char *buf, size_t len);
/* Add the prefixes of `more` that `buf` lacks (both space separated). */
void disturb_merge_runs(char *buf, size_t len, const char *more);
/* Until no other run is alive, at most wait_ms: 0, or -EBUSY with buf
 * naming them, or -EINTR when a signal came (stop() returned true). */
int disturb_wait_alone(const char *self, int wait_ms, char *buf, size_t len, int (*stop)(void));

#endif
