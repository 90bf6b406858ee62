/* SPDX-License-Identifier: BSD-3-Clause */
/* Building one case's result.json from what the harness measured. */
#ifndef BL_RESULT_H
#define BL_RESULT_H

#include <jansson.h>
#include "config.h"
#include "harness.h"
#include "shm.h"
#include "topo.h"

struct result_ep_in {
	const struct ep_shm *shm; /* final totals; NULL if never created */
	const struct ep_stats *w_open, *w_close;
	const struct proc_cpu *cpu_open, *cpu_close;
	const char *ns;
};

struct result_if {
	const char *name;
	struct if_counters before, after;
};

struct result_in {
	const struct case_cfg *case_cfg;
	const char *status; /* ok | failed | unsupported | interrupted */
	const char *error;
	const struct topo *topo; /* NULL if it never came up */
	unsigned int cpu[2];
	json_t *machine;
	int idx;
	uint64_t window_ns; /* 0: the window never closed */
	struct result_ep_in ep[2];
	const struct histo *rtt; /* window RTT (client), may be NULL */
	int nifs;
	struct result_if ifs[5];
	struct ns_counters ns_before[2], ns_after[2];
	uint64_t softnet_drops;
};

/* The case's JSON object; `samples` is taken over. */
json_t *result_build(const struct result_in *in, json_t *samples);
json_t *case_cfg_json(const struct case_cfg *c);
json_t *histo_json(const struct histo *h);
int json_write_atomic(json_t *j, const char *path);

#endif
