/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 2544 throughput search: the highest offered rate with no loss (NDR)
 * and with at most a given loss (PDR), by trials at paced rates.
 *
 * Pure logic, driven by a trial callback (search_case.c runs each trial as
 * a case; the unit tests give it a model). One bracket per goal, [lo, hi):
 * lo the highest rate that passed, hi the lowest that failed. Every trial
 * updates both brackets (a trial that passes NDR passes PDR, one that
 * fails PDR fails NDR), as CSIT's MLRsearch reuses its measurements
 * between the two. A goal's bracket is halved until it is narrower than
 * precision_pct of hi; then a final trial of final_s at lo confirms it.
 * If the final trial fails, lo becomes the failing bound and the search
 * narrows below it again, at most SEARCH_FINAL_RETRIES times; after that
 * the goal's outcome is "unconfirmed" (its rate the last one found).
 */
#ifndef BL_SEARCH_H
#define BL_SEARCH_H

#include <stdint.h>

#define SEARCH_MAX_TRIALS 64   /* every search ends within this many trials */
#define SEARCH_FINAL_RETRIES 3 /* narrowings after a failed final trial */
#define SEARCH_NGOALS 2        /* 0: NDR, 1: PDR */
/* A paced trial is on pace when it offered its target within this; one
 * that is not is run again, at most SEARCH_PACE_RETRIES times, and if it
 * never is, the last one counts: as offered when it offered more than the
 * target, as failing the target when it offered less (the sender cannot
 * offer that rate paced, so nothing shows it lossless there). */
#define SEARCH_PACE_TOL_PCT 1.0
#define SEARCH_PACE_RETRIES 2

enum search_kind { SEARCH_TRIAL_MAX = 0, SEARCH_TRIAL_BISECT, SEARCH_TRIAL_FINAL };
enum search_outcome {
	SEARCH_NOT_RUN = 0,    /* the goal was not asked for, or never reached */
	SEARCH_CONFIRMED,      /* the final trial at the found rate passed */
	SEARCH_UNCONFIRMED,    /* every final trial failed, retries used up */
	SEARCH_NO_RATE,        /* even the lowest rate tried lost packets */
	SEARCH_INTERRUPTED,    /* a signal stopped the search */
	SEARCH_FAILED,         /* a trial failed (not a loss: the case failed) */
	SEARCH_TRIAL_CAP,      /* SEARCH_MAX_TRIALS reached before converging */
};

struct search_cfg {
	unsigned int goals;     /* SEARCH_NDR | SEARCH_PDR bits (config.h) */
	double pdr_loss_pct;    /* PDR passes at loss <= this */
	double trial_s, final_s;
	double precision_pct;   /* converged when hi - lo <= this % of hi */
	uint64_t max_pps;       /* 0: a first trial at rate=max measures it */
};

struct search_trial {
	/* set by the search */
	int kind;               /* enum search_kind */
	int goal;               /* the goal the trial served (0 NDR, 1 PDR) */
	uint64_t target_pps;    /* 0: rate=max */
	double duration_s;
	/* set by the callback */
	double offered_pps, received_pps; /* measured over the trial's window */
	int64_t sent, lost;     /* every packet of the trial, warm-up and drain included */
	double loss_pct;
	/* set by the search from the above */
	int pass[SEARCH_NGOALS];
	int on_pace;            /* rate=max, or offered within SEARCH_PACE_TOL_PCT of target */
	int used;               /* its verdict went into the brackets */
	int short_of_target;    /* used off pace below its target: fails every goal */
	uint64_t rate_pps;      /* the rate it was judged at: the target, or the measured max */
};

struct search_goal {
	uint64_t lo, hi;        /* bracket; lo = 0: nothing passed yet */
	int outcome;            /* enum search_outcome */
	int finals;             /* final trials run */
	uint64_t rate_pps;      /* the found rate (outcome CONFIRMED or UNCONFIRMED) */
	int final_trial;        /* index of the last final trial, -1 none */
	int first_fail;         /* index of the lowest-rate trial that failed it by losing
				 * packets, -1 none */
};

struct search {
	struct search_cfg cfg;
	struct search_trial trials[SEARCH_MAX_TRIALS];
	int ntrials;
	uint64_t max_pps;       /* the upper bound searched under */
	struct search_goal g[SEARCH_NGOALS];
	int status;             /* 0, -EINTR, or the failed trial's -errno */
};

/* Run trial t (target, duration, kind set): fill its measured fields;
 * 0, -EINTR on a signal, another -errno if the trial failed. */
typedef int (*search_trial_fn)(void *ctx, const struct search *s, struct search_trial *t);

/* Search as cfg asks; s holds every trial and the outcome. Returns s->status. */
int search_run(struct search *s, const struct search_cfg *cfg, search_trial_fn fn, void *ctx);

/* Whether trial t passes goal g under cfg (NDR: nothing lost). */
int search_passes(const struct search_cfg *cfg, const struct search_trial *t, int g);
const char *search_outcome_name(int o);
const char *search_kind_name(int k);
const char *search_goal_name(int g);

#endif
