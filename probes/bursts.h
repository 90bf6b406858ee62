/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared between bursts.bpf.c and bursts_user.c. */
#ifndef BL_BURSTS_H
#define BL_BURSTS_H

#define BURSTS_MAX_EPS 32  /* endpoints of the largest case */
#define BURSTS_LOG2 10     /* burst sizes 0, 1, 2-3, ..., 256-511 */

/* One endpoint's bursts in one direction: slot = 2 * endpoint + (rx ? 1 : 0). */
struct burst_stats {
	unsigned long long calls;  /* burst calls (USDT hits) */
	unsigned long long empty;  /* calls that moved nothing */
	unsigned long long errors; /* calls that returned -errno */
	unsigned long long pkts;
	unsigned long long cycles; /* TSC cycles inside the calls */
	unsigned long long size_log2[BURSTS_LOG2]; /* [0] = empty, [k] = 2^(k-1) .. 2^k - 1 */
};

#endif
