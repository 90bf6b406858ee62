/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The report's tables as data (title, header, cells), so that the text file,
 * the HTML page and the live run's footer show the same figures, formatted
 * once.
 */
#ifndef BL_SUMMARY_H
#define BL_SUMMARY_H

#include <stdio.h>

#include "runset.h"

#define TT_MAXCOL 24

struct tcell {
	char text[256];
	char note[256];  /* outliers behind the figure, for a tooltip */
	int outlier;     /* values beyond 1.5 IQR among those behind the figure */
	int first_of_group; /* first row of a combination (rules in HTML) */
};

struct ttable {
	char id[32];
	char title[128];
	char note[1024];
	int ncols, nrows;
	char head[TT_MAXCOL][48];
	char unit[TT_MAXCOL][16];
	int right[TT_MAXCOL];
	const char *color[TT_MAXCOL]; /* attribution group colour, or NULL */
	struct tcell *cells;          /* nrows * ncols */
};

static inline struct tcell *tt_cell(const struct ttable *t, int r, int c)
{
	return &t->cells[r * t->ncols + c];
}

/* Throughput, ping-pong, ns/packet by group, and per-syscall tables; only
 * those with rows. *out is an array of *n tables. */
int summary_tables(const struct runset *rs, struct ttable **out, int *n);
void summary_free(struct ttable *t, int n);

/* Aligned text (UTF-8 aware widths). */
void ttable_print(FILE *f, const struct ttable *t);

/* Every value beyond its set's 1.5 IQR fences, one line each; returns the
 * count. Lines are written to f when not NULL. metrics_only: leave out the
 * per-core attribution figures. */
int summary_outliers(FILE *f, const struct runset *rs, int metrics_only);

/* The groups worth a column: the top `max` by their largest ns/packet in any
 * combination and core. Indexes into rs->groups; returns how many. */
int summary_top_groups(const struct runset *rs, int *idx, int max);

#endif
