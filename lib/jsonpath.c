// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>
#include <string.h>

#include "jsonpath.h"

json_t *jpath(json_t *o, const char *path)
{
	char buf[256], *save, *tok;
	json_t *j = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	return j;
}

double jpath_num(json_t *o, const char *path)
{
	json_t *j = jpath(o, path);

	return j ? json_number_value(j) : 0.0;
}
