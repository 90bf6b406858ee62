/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The text breakdown printed under a run's table: for each case with an
 * attribution, where the time goes per core, the instrument's cost and the
 * judges, the path's hops, the sampling shares, and a bypass endpoint's own
 * TSC split. It reads result objects (result.json) only.
 */
#ifndef BL_BREAKDOWN_H
#define BL_BREAKDOWN_H

#include <stdio.h>
#include <jansson.h>

/* Every ok case of results (an array of result objects) that has an
 * "attribution", in order. */
void breakdown_print(FILE *f, json_t *results);

#endif
