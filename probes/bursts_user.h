/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probes with usdt = yes: the endpoints' USDT burst probes, counted in BPF.
 * Every burst call of every datapath hits a uprobe (about a microsecond
 * each), so this is a measurement of its own, off by default.
 */
#ifndef BL_BURSTS_USER_H
#define BL_BURSTS_USER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

struct bursts;

/* Attach rx_burst and tx_burst of this binary to each endpoint pid (at most
 * BURSTS_MAX_EPS). NULL with one line in err on failure. */
struct bursts *bursts__attach(const pid_t *pids, int n, char *err, size_t len);
/* Endpoint i: {"tx": {...}, "rx": {...}}, each {"calls", "empty", "errors",
 * "packets", "ns_per_call", "size_log2": [...]} (counts since attach). */
json_t *bursts__json(struct bursts *b, int i, uint64_t tsc_hz);
void bursts__destroy(struct bursts *b);

#endif
