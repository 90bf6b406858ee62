// SPDX-License-Identifier: BSD-3-Clause
/*
 * The datapath registry. Adding a datapath is its dp_<name>.c and one line
 * here; the harness learns everything else from its struct dp_ops.
 */
#include <string.h>

#include "dp.h"

extern const struct dp_ops dp_udp_ops, dp_mmsg_ops, dp_packet_ops, dp_uring_ops, dp_xdp_ops,
	dp_dpdk_ops;

/* Registry order is also the order of the datapaths' keys in the schema. */
const struct dp_ops *const dp_table[] = {
	&dp_udp_ops,
	&dp_mmsg_ops,
	&dp_packet_ops,
	&dp_uring_ops,
	&dp_xdp_ops,
	&dp_dpdk_ops,
	NULL,
};

const struct dp_ops *dp_find(const char *name)
{
	for (int i = 0; dp_table[i]; i++)
		if (!strcmp(dp_table[i]->name, name))
			return dp_table[i];
	return NULL;
}

int dp_nopts(const struct dp_ops *ops)
{
	int n = 0;

	while (ops->opts && ops->opts[n].key)
		n++;
	return n;
}

int dp_opt_first(const struct dp_ops *ops)
{
	int g = 0;

	for (int i = 0; dp_table[i] && dp_table[i] != ops; i++)
		g += dp_nopts(dp_table[i]);
	return g;
}

int dp_opt_total(void)
{
	int g = 0;

	for (int i = 0; dp_table[i]; i++)
		g += dp_nopts(dp_table[i]);
	return g;
}

const struct dp_opt *dp_opt_at(int g, const struct dp_ops **owner)
{
	for (int i = 0; dp_table[i] && g >= 0; i++) {
		int n = dp_nopts(dp_table[i]);

		if (g < n) {
			if (owner)
				*owner = dp_table[i];
			return &dp_table[i]->opts[g];
		}
		g -= n;
	}
	return NULL;
}
