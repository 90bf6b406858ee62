/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Plots through gnuplot: for each plot a data file and a script that draws it
 * as SVG and PNG, kept next to the images so anyone can edit and re-run them
 * (`cd plots && gnuplot NAME.gp`).
 */
#ifndef BL_PLOT_H
#define BL_PLOT_H

#include <stddef.h>

#include "runset.h"

struct plot {
	char name[64];     /* NAME.gp, NAME.dat, NAME.svg, NAME.png in the plot directory */
	char title[128];
	char caption[640];
	int prominent;     /* the ns/packet breakdown: first and full width */
};

/* Write and draw every plot the run has data for into dir (created). On
 * success *out holds *n plots. -ENOENT when gnuplot is missing, -EIO when it
 * fails (err names the script and gnuplot's message). */
int plot_all(const struct runset *rs, const char *dir, struct plot **out, int *n, char *err,
	     size_t errlen);

#endif
