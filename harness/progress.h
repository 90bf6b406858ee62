/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Progress of a run on stderr: on a terminal one line, "case i/N, its
 * parameters, ETA", rewritten in place; otherwise one line per case, for
 * logs.
 */
#ifndef BL_PROGRESS_H
#define BL_PROGRESS_H

#include <stdint.h>

#include "config.h"

struct progress {
	int tty;           /* stderr is a terminal */
	int shown;         /* a status line is on the screen */
	uint64_t t0_ns;    /* when the first case started */
	double done_s;     /* nominal seconds (warm-up + window) of the cases started */
};

void progress_init(struct progress *p);
/* Case i of n is about to run. */
void progress_case(struct progress *p, const struct case_cfg *cases, int i, int n);
/* Take the status line off the screen before anything else is printed. */
void progress_clear(struct progress *p);

#endif
