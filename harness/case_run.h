/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One case, from topology to teardown, as phases over one struct
 * case_run: topology, pages, spawn, containers, switch, probes, window,
 * drain, exit, collect, teardown (case.c). Each phase that can fail
 * sets the case's status and error and returns non-zero; the phases
 * after the window run whatever happened, so a failed or interrupted
 * case still leaves nothing behind and still has its result.
 */
#ifndef BL_CASE_RUN_H
#define BL_CASE_RUN_H

#include <stdint.h>
#include <jansson.h>

#include "case_probes.h"
#include "config.h"
#include "dpdk_case.h"
#include "ep_run.h"
#include "result.h"
#include "runstate.h"
#include "topo.h"

/* What the run gives each case. */
struct case_ctx {
	const struct case_cfg *c;
	int idx, ncases;
	const char *run_dir;
	const char *prefix;
	uint64_t tsc_hz;
	struct runstate *rs;
	json_t *machine;
};

/* Every endpoint's eth0 (ep[] order), then its bridge port, then the
 * bridge: the order result_in.ifs[] expects. */
struct path_counters {
	struct if_counters ifs[RESULT_MAX_IFS];
	int nifs;
	struct ns_counters ns[2 * TOPO_MAX_PAIRS];
	uint64_t softnet_drops;
	/* topo_hook: what each interface's qdiscs dropped (a hook may add them) */
	int qdisc_ok;
	uint64_t qdisc[RESULT_MAX_IFS];
};

struct case_run {
	const struct case_cfg *c;
	const struct case_ctx *cc;
	int pp, np, nep, lxc, dpdk;
	unsigned int needs; /* the datapath's DP_NEED_* for this case */
	unsigned int cpu_a, cpu_b;
	struct ep_run ep[2 * TOPO_MAX_PAIRS];
	struct topo t;
	int topo_ok;
	struct dpdk_case dk;
	struct case_probes pr;
	/* the window */
	struct path_counters pc0, pc1; /* at the start of the warm-up, after the drain */
	uint64_t t_open, t_close;
	json_t *samples;
	struct histo *rtt_win, *pair_rtt[TOPO_MAX_PAIRS];
	int drained; /* the window closed and the path drained */
	/* the result */
	char status[32], errmsg[512];
	struct result_in in;
};

/* Endpoint i's core: a sides on cpu_a, b sides on cpu_b. */
static inline unsigned int case_cpu(const struct case_run *cr, int i)
{
	return i & 1 ? cr->cpu_b : cr->cpu_a;
}

/* The case's result object (status inside), NULL only on OOM. */
json_t *run_case(const struct case_ctx *cc);

#endif
