/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One run's results, loaded and aggregated: every case's result.json, the
 * cases grouped into parameter combinations (repetitions of one combination
 * together), and per combination the statistics of each figure the reports
 * show (stats.h says which values go in).
 */
#ifndef BL_RUNSET_H
#define BL_RUNSET_H

#include <stddef.h>
#include <jansson.h>

#include "stats.h"

#define RS_MAX_CORES 2

/* Scalars aggregated per combination. */
enum rs_metric {
	RM_PPS,		/* received packets/s (transactions/s for ping-pong) */
	RM_TX_PPS,
	RM_GBPS_L1,	/* received, with the 20 B preamble and gap */
	RM_GBPS_L2,
	RM_LOSS,	/* % */
	RM_RTT_P50,	/* ns, ping-pong */
	RM_RTT_P99,
	RM_RTT_P999,
	RM_TX_SYS,	/* system calls per packet, sender/client */
	RM_RX_SYS,	/* system calls per packet, receiver/server */
	RM_NDR,		/* searched: the highest rate without loss, pkt/s */
	RM_PDR,		/* searched: the highest rate within search_loss, pkt/s */
	RM_N
};

struct rs_metric_info {
	const char *name;  /* short column name */
	const char *title; /* for people */
	const char *path;  /* in result.json */
};
extern const struct rs_metric_info rs_metrics[RM_N];

/* One aggregated figure and the values behind it. */
struct rs_val {
	struct stats st;   /* st.n == 0: no value */
	double *v;
	int *src;          /* case index (repetitions) or sample number (1-based) */
	int from_samples;  /* the values are one case's per-second samples */
};

struct rs_sys {
	char name[32];
	struct rs_val ns_per_pkt, calls_per_pkt, ns_per_call;
};

struct rs_core {
	char label[64];    /* "a: send", "b: recv", "a+b: ..." */
	struct rs_val busy, unattributed, closure, syscalls;
	struct rs_val *groups; /* [runset.ngroups]; a group a case lacks counts as 0 */
	struct rs_sys *sys;
	int nsys;
};

struct rs_combo {
	char key[2048];    /* canonical parameters, repetition and name left out */
	char label[256];   /* the parameters that vary in this run, e.g. "udp throughput 64 B" */
	json_t *params;    /* borrowed from the first case */
	int pingpong;
	int *cases;        /* indexes into runset.cases, repetitions in order */
	int ncases;
	int nok;           /* cases with status ok and a window */
	const char *status; /* "ok", or the first non-ok status */
	struct rs_val m[RM_N];
	int ncores;
	struct rs_core core[RS_MAX_CORES];
};

struct runset {
	char dir[4096];
	json_t *run;       /* run.json; NULL when absent */
	json_t **cases;    /* result objects, by case number */
	int ncases;
	struct rs_combo *combos;
	int ncombos;
	char **groups;     /* attribution groups seen, in path order */
	int ngroups;
	const char **varying; /* parameter names whose values differ between cases */
	int nvarying;
	int has_attr, has_pp, has_thr;
};

/* Load DIR/run.json and DIR/NNN-.../result.json. -ENOENT when DIR has no
 * case results, -EINVAL for a result that is not JSON (err names it),
 * -ENOMEM. */
int runset_load(const char *dir, struct runset *rs, char *err, size_t errlen);
/* Aggregate result objects already in memory (a live run); they are
 * referenced, not copied. */
int runset_from_array(json_t *results, struct runset *rs);
void runset_free(struct runset *rs);

/* Colour for an attribution group (a fixed one for the known groups). */
const char *rs_group_color(const char *group);
/* Whether the group counts towards the per-packet busy time ("idle" does not). */
int rs_group_busy(const char *group);

/* Number at a dotted path; 0 if present. */
int rs_num(json_t *o, const char *path, double *out);
const char *rs_str(json_t *o, const char *path);

/* "49.9k", "1.23M": three significant digits with an SI suffix. */
void rs_fmt_si(char *buf, size_t len, double v);
/* A figure with its interval: "49.9k ±0.41k" or "49.9k" without one; "-"
 * when absent. `scale` divides first (1000 for ns -> us). */
void rs_fmt_val(char *buf, size_t len, const struct rs_val *v, double scale, int si,
		int decimals);

/* The varying parameter values of a params object, as in a combo label. */
void rs_params_label(const struct runset *rs, json_t *params, char *buf, size_t len);
/* The same without the parameters named in `skip` (space-separated), e.g.
 * "size" for a series whose x axis is the size. */
void rs_params_label_skip(const struct runset *rs, json_t *params, const char *skip, char *buf,
			  size_t len);

/* The key two runs' combinations are matched on: the parameters without the
 * repetition, the run's name, the window and warm-up lengths, and `skip`
 * (NULL, or the parameter a --by comparison differs in). */
void rs_match_key(json_t *params, const char *skip, char *buf, size_t len);

#endif
