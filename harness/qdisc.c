// SPDX-License-Identifier: BSD-3-Clause
/* Qdisc drop counters through tc's JSON output (qdisc.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "proc.h"
#include "qdisc.h"

int qdisc_drops_read(const char *ifname, uint64_t *drops)
{
	const char *argv[] = { "tc", "-s", "-j", "qdisc", "show", "dev", ifname, NULL };
	size_t len = 1 << 16, i;
	char *out = malloc(len);
	json_error_t je;
	json_t *a, *q;
	int st;

	*drops = 0;
	if (!out)
		return -ENOMEM;
	st = run_cmd_capture(argv, out, len, NULL, 0);
	a = st ? NULL : json_loads(out, 0, &je);
	free(out);
	if (!json_is_array(a)) {
		json_decref(a);
		return st < 0 ? st : -EIO;
	}
	json_array_foreach(a, i, q)
		*drops += (uint64_t)json_integer_value(json_object_get(q, "drops"));
	json_decref(a);
	return 0;
}
