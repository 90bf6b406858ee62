/* SPDX-License-Identifier: BSD-3-Clause */
/* The text table: one row per case result (result.json objects). */
#ifndef BL_TABLE_H
#define BL_TABLE_H

#include <stdio.h>
#include <jansson.h>

void table_header(FILE *f);
void table_row(FILE *f, json_t *res);
void table_footer(FILE *f, json_t *results);
/* Whether a case result is marked disturbed (result.json "disturbed"). */
int table_disturbed(json_t *res);
/* "case N disturbed: reason; reason" on one line, prefixed; nothing for a
 * quiet case. Returns 1 if it printed. */
int table_disturbed_line(FILE *f, json_t *res, const char *prefix);

#endif
