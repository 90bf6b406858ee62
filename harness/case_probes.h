/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A case's instruments around its window: the USDT burst counters, the
 * tracepoint attribution (with its calibration and duty slices) and the
 * cpu-clock sampler. Each is up before the endpoints run, snapshotted at
 * window open and close, turned into result JSON, and gone before the
 * endpoints are told to exit.
 */
#ifndef BL_CASE_PROBES_H
#define BL_CASE_PROBES_H

#include <stdint.h>
#include <jansson.h>

#include "attr_user.h"
#include "bursts_user.h"
#include "calib.h"
#include "duty.h"
#include "sample_user.h"

struct case_cfg;

struct case_run;

/* probes=sample|both: the cpu-clock sampler on the endpoint cores and its
 * snapshots at window open and close. */
struct sampling {
	struct sample *s;
	struct sample_snap *snap[2];
	unsigned int cpu[2];
	int ncpu;
};

/* The sampler on the endpoints' cores (one core when cpu_a == cpu_b):
 * nothing to do (0) unless c->probes is sample or both; errmsg on
 * failure. Snapshots at window open (close = 0) and close; then
 * attribution.sample (and .agreement against attr_j's cores, when the
 * tracepoint attribution ran too) into attr_j, which is created for
 * probes=sample; then down. The agents of topology=hosts use them for
 * their one core. */
struct ep_run;
int sampling_up(struct sampling *sg, const struct case_cfg *c, const struct ep_run *ep, int nep,
		unsigned int cpu_a, unsigned int cpu_b, char *errmsg, size_t len);
void sampling_snap(struct sampling *sg, int close);
json_t *sampling_json(struct sampling *sg, json_t *attr_j);
void sampling_down(struct sampling *sg);

struct case_probes {
	struct bursts *usdt;
	struct attr *attr;
	struct attr_snap *open, *close;
	struct calib cal;
	struct duty dty;
	struct sampling smp;
};

/* What the case asks for, attached to its endpoints: 0, or the case's
 * status and error set. */
int case_probes_up(struct case_run *cr);
/* The warm-up: each attribution program's cost is measured over it. */
int case_probes_warmup(struct case_run *cr, int ms);
void case_probes_open(struct case_run *cr);
/* Sleep until t, ending and starting duty slices on the way. */
int case_probes_sleep_until(struct case_run *cr, uint64_t t);
void case_probes_close(struct case_run *cr);
/* result.json's attribution (breakdown, duty, sampling), or NULL. */
json_t *case_probes_json(struct case_run *cr);
/* Everything but the USDT counters, which outlive the endpoints. */
void case_probes_down(struct case_run *cr);
/* Each endpoint's usdt_bursts into the result input; then detached. */
void case_probes_usdt(struct case_run *cr);

#endif
