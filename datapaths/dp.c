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

int dp_opt_row(const struct dp_ops *ops, const char *key)
{
	for (int j = 0; ops->opts && ops->opts[j].key; j++)
		if (!strcmp(ops->opts[j].key, key))
			return j;
	return -1;
}

/* Row j of dp_table[i] is a key's first row in the registry. */
static int dp_opt_first_row(int i, int j)
{
	for (int k = 0; k < i; k++)
		if (dp_opt_row(dp_table[k], dp_table[i]->opts[j].key) >= 0)
			return 0;
	return 1;
}

int dp_opt_total(void)
{
	int g = 0;

	for (int i = 0; dp_table[i]; i++)
		for (int j = 0; j < dp_nopts(dp_table[i]); j++)
			g += dp_opt_first_row(i, j);
	return g;
}

const struct dp_opt *dp_opt_at(int g, const struct dp_ops **owner)
{
	for (int i = 0; dp_table[i] && g >= 0; i++)
		for (int j = 0; j < dp_nopts(dp_table[i]); j++) {
			if (!dp_opt_first_row(i, j) || g--)
				continue;
			if (owner)
				*owner = dp_table[i];
			return &dp_table[i]->opts[j];
		}
	return NULL;
}

int dp_opt_index(const struct dp_ops *ops, int j)
{
	const struct dp_opt *o;

	for (int g = 0; (o = dp_opt_at(g, NULL)); g++)
		if (!strcmp(o->key, ops->opts[j].key))
			return g;
	return -1;
}
