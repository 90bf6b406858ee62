/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading result JSON by dotted path ("throughput.rx_pps"). */
#ifndef BL_JSONPATH_H
#define BL_JSONPATH_H

#include <jansson.h>

/* The value at a dotted path, NULL where any step is missing. */
json_t *jpath(json_t *o, const char *path);
/* The number at a dotted path, 0 where there is none. */
double jpath_num(json_t *o, const char *path);

#endif
