/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * report.html: one self-contained page (inline CSS and SVG, no scripts, no
 * fetches) with the run's parameters, the machine, the tables and the plots.
 */
#ifndef BL_HTML_H
#define BL_HTML_H

#include "plot.h"
#include "runset.h"
#include "summary.h"

/* plotdir holds NAME.svg for each plot; files[] are listed in the footer
 * (relative to the page). 0, or -errno. */
int html_write(const struct runset *rs, const struct ttable *t, int nt, const struct plot *p,
	       int np, const char *plotdir, const char *const *files, int nfiles, int noutliers,
	       const char *path);

#endif
