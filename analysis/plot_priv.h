/* SPDX-License-Identifier: BSD-3-Clause */
/* What the plot files share: plot.c's look and file handling. */
#ifndef BL_PLOT_PRIV_H
#define BL_PLOT_PRIV_H

#include <stdio.h>

#include "plot.h"

const char *plot_preamble(void);
FILE *plot_open(const char *dir, const char *name, const char *ext);
/* The SVG terminal lines (png = 0), or the PNG's and its replot (png = 1). */
void plot_terms(FILE *f, const char *name, int png, int w, int h);
void plot_quote(FILE *f, const char *s, char quote);
int plot_close(FILE *f);

/* plot_search.c: 1 when written, 0 when the run has no such data, -errno. */
int plot_loss_vs_rate(const struct runset *rs, const char *dir, struct plot *p);
int plot_rtt_vs_load(const struct runset *rs, const char *dir, struct plot *p);

#endif
