/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cases that search (search != none) and cases whose rate is a fraction of
 * a searched rate (rate = P%ndr | P%pdr): search.c's search driven by
 * trials that are cases of their own (run_case), and the run's memory of
 * the searches it made, so that every load of one combination uses one
 * search.
 */
#ifndef BL_SEARCH_CASE_H
#define BL_SEARCH_CASE_H

#include <jansson.h>

#include "case_run.h"

struct search_memo;

/* Whether the case is run by search_case() rather than run_case(). */
int search_case_wanted(const struct case_cfg *c);
/* The case's result object (status inside), NULL only on OOM. */
json_t *search_case(const struct case_ctx *cc, struct search_memo **memo);
void search_memo_free(struct search_memo *m);

#endif
