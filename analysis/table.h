/* SPDX-License-Identifier: BSD-3-Clause */
/* The text table: one row per case result (result.json objects). */
#ifndef BL_TABLE_H
#define BL_TABLE_H

#include <stdio.h>
#include <jansson.h>

/* search: the run searches NDR/PDR, and the rows get those two columns. */
void table_header(FILE *f, int search);
void table_row(FILE *f, json_t *res, int search);
void table_footer(FILE *f, json_t *results);

#endif
