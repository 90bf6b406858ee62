/* SPDX-License-Identifier: BSD-3-Clause */
/* Building one case's result.json from what the harness measured. */
#ifndef BL_RESULT_H
#define BL_RESULT_H

#include <jansson.h>
#include "config.h"
#include "disturb.h"
#include "harness.h"
#include "shm.h"
#include "topo.h"

struct result_ep_in {
	const struct ep_shm *shm; /* final totals; NULL if never created */
	const struct ep_stats *w_open, *w_close;
	const struct proc_cpu *cpu_open, *cpu_close;
	const struct cpu_ticks *tk_open, *tk_close; /* its core's, NULL: unread */
	const char *ns;
	double startup_ms; /* fork to READY; < 0: never ready */
	json_t *usdt_bursts; /* usdt = yes: its burst calls (taken over), else NULL */
};

/* Every interface of the largest topology: eth0 and bridge port per
 * endpoint, and the bridge. */
#define RESULT_MAX_IFS (4 * TOPO_MAX_PAIRS + 1)

struct result_if {
	char name[24];
	struct if_counters before, after;
	int has_qdisc; /* qdisc drops read (a topo_hook may have added a qdisc) */
	uint64_t qdisc_before, qdisc_after;
};

struct result_in {
	const struct case_cfg *case_cfg;
	const char *status; /* ok | failed | unsupported | interrupted */
	const char *error;
	const struct topo *topo; /* NULL if it never came up */
	int npairs;              /* pair i: ep[2i] = a side, ep[2i + 1] = b side */
	unsigned int cpu[2 * TOPO_MAX_PAIRS];
	json_t *machine;
	int idx;
	uint32_t token; /* the case's frame token (ep_config.token) */
	/* Other bypasslab runs alive at the case's start or its window's
	 * close, space separated ("" = none). */
	char other_runs[256];
	uint64_t window_ns; /* 0: the window never closed */
	struct result_ep_in ep[2 * TOPO_MAX_PAIRS];
	const struct histo *rtt; /* window RTT of every client merged, may be NULL */
	const struct histo *pair_rtt[TOPO_MAX_PAIRS]; /* each client's, may be NULL */
	/* ifs[0 .. 2 * npairs - 1] are the endpoints' eth0, in ep[] order. */
	int nifs;
	struct result_if ifs[RESULT_MAX_IFS];
	struct ns_counters ns_before[2 * TOPO_MAX_PAIRS], ns_after[2 * TOPO_MAX_PAIRS];
	uint64_t softnet_drops;
	/* dpdk: what the switch between the endpoints dropped (and whether it
	 * could say), and the case's DPDK details for result.json. */
	int switch_stats;
	uint64_t switch_dropped;
	json_t *dpdk; /* taken over */
	/* probes: the breakdown per core, the sampling judge and the duty
	 * slices (taken over); NULL without probes or a closed window. */
	json_t *attribution;
	/* topology=hosts: each side's host and agent, and the window's skew
	 * bounds (taken over); NULL otherwise. */
	json_t *hosts;
};

/* "a", "b" for pair 0, "a<i>", "b<i>" for pair i: endpoint i of ep[]. */
void result_ep_label(char *buf, size_t len, int i);

/* The case's JSON object, every field of it; `samples` and the JSON
 * objects in `in` are taken over. */
json_t *result_build(const struct result_in *in, json_t *samples);
json_t *case_cfg_json(const struct case_cfg *c);
json_t *histo_json(const struct histo *h);
struct search;

/* A searched case (search != none): the search, each trial's result. */
struct result_search_in {
	const struct case_cfg *case_cfg; /* the case as configured */
	int idx;
	json_t *machine;
	const struct search *s;
	json_t *const *trial_res; /* s->ntrials results (borrowed), any may be NULL */
	const char *error;        /* why the search stopped, if a trial failed */
};

/* The `search` object: goals, NDR/PDR in pps and Gb/s (L2 and L1), the
 * bound, every trial, where the loss was at the first failing rate, and
 * (with_finals) each goal's final trial's full result. */
json_t *result_search_json(const struct result_search_in *in, int with_finals);
/* The searched case's result.json: the primary goal's final trial's full
 * result (NDR's if searched, else PDR's; else the last trial's) under the
 * case's own params and status, with `search`. */
json_t *result_search_build(const struct result_search_in *in);
/* A load case (rate = P%ndr|pdr): its result `res` (taken over) with
 * `load` (the rate it is a fraction of) and the search that found it
 * (`search`, taken over). */
json_t *result_load_build(json_t *res, const struct case_cfg *c, uint64_t ref_pps,
			  json_t *search);

/* A load whose searched rate was not found: why, and the search (taken over). */
json_t *result_load_failed(const struct case_cfg *c, int idx, json_t *machine, const char *why,
			   json_t *search);

/* Temp file + rename: a half-written result never exists. */
int json_write_atomic(json_t *j, const char *path);

#endif
