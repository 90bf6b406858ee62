// SPDX-License-Identifier: BSD-3-Clause
#include <string.h>

#include "jsonpath.h"
#include "runset.h"
#include "summary.h"
#include "table.h"

/* "%7.3f", or "-" where the result has no such figure. */
static const char *jfmt(char *buf, size_t len, json_t *o, const char *path)
{
	json_t *j = jpath(o, path);

	if (!json_is_number(j))
		return "-";
	snprintf(buf, len, "%7.3f", json_number_value(j));
	return buf;
}

static const char *jstr(json_t *o, const char *k1, const char *k2)
{
	json_t *j = json_object_get(o, k1);

	if (k2)
		j = json_object_get(j, k2);
	return json_string_value(j) ? json_string_value(j) : "-";
}

/* The datapath's variant ("dpdk-vhost") and what stands for the bridge (a
 * switch), as the result names them; results without them name neither. */
static void labels(json_t *r, char *dp, size_t dlen, char *topo, size_t tlen)
{
	json_t *p = json_object_get(r, "params"), *d = json_object_get(r, "datapath");

	snprintf(dp, dlen, "%s", d ? jstr(d, "label", NULL) : jstr(p, "datapath", NULL));
	snprintf(topo, tlen, "%s", d ? jstr(d, "via", NULL) : jstr(p, "topology", NULL));
}

int table_disturbed(json_t *res)
{
	return json_is_true(json_object_get(res, "disturbed"));
}

int table_disturbed_line(FILE *f, json_t *res, const char *prefix)
{
	json_t *reasons = jpath(res, "disturbance.reasons"), *x;
	size_t i;

	if (!table_disturbed(res))
		return 0;
	fprintf(f, "%scase %d disturbed (its figures are kept): ", prefix,
		(int)jpath_num(res, "case"));
	json_array_foreach(reasons, i, x)
		fprintf(f, "%s%s", i ? "; " : "", jstr(x, "text", NULL));
	fputc('\n', f);
	return 1;
}

void table_header(FILE *f)
{
	fprintf(f, "%-4s %-11s %-7s %-10s %5s %5s %10s %10s %7s %9s %9s %9s %7s %7s %s\n", "case",
		"dp", "topo", "pattern", "size", "burst", "tx_pps", "rx_pps", "loss%", "rx_Gb/s",
		"rtt_p50", "rtt_p99", "tx_sys", "rx_sys", "status");
	fflush(f);
}

void table_row(FILE *f, json_t *r)
{
	json_t *p = json_object_get(r, "params");
	int pp = !strcmp(jstr(r, "params", "pattern"), "pingpong");
	const char *st = jstr(r, "status", NULL);
	const char *shown = !strcmp(st, "ok") && table_disturbed(r) ? "disturbed" : st;
	char p50[16] = "-", p99[16] = "-", dp[24], topo[24], txs[16], rxs[16];

	if (pp && json_object_get(r, "rtt_ns")) {
		snprintf(p50, sizeof(p50), "%.1fus", jpath_num(r, "rtt_ns.p50") / 1000.0);
		snprintf(p99, sizeof(p99), "%.1fus", jpath_num(r, "rtt_ns.p99") / 1000.0);
	}
	labels(r, dp, sizeof(dp), topo, sizeof(topo));
	if (strcmp(st, "ok") || !json_object_get(r, "throughput")) {
		fprintf(f, "%-4d %-11s %-7s %-10s %5d %5d %10s %10s %7s %9s %9s %9s %7s %7s %s\n",
			(int)jpath_num(r, "case"), dp, topo,
			jstr(p, "pattern", NULL), (int)jpath_num(p, "size"), (int)jpath_num(p, "burst"), "-",
			"-", "-", "-", "-", "-", "-", "-", st);
		return;
	}
	fprintf(f, "%-4d %-11s %-7s %-10s %5d %5d %10.0f %10.0f %7.2f %9.3f %9s %9s %7s %7s %s\n",
		(int)jpath_num(r, "case"), dp, topo,
		jstr(p, "pattern", NULL), (int)jpath_num(p, "size"), (int)jpath_num(p, "burst"),
		jpath_num(r, "throughput.tx_pps"), jpath_num(r, "throughput.rx_pps"),
		jpath_num(r, "throughput.loss_pct"), jpath_num(r, "throughput.rx_gbps_l1"), p50, p99,
		jfmt(txs, sizeof(txs), r, "endpoints.a.tx_syscalls_per_pkt"),
		jfmt(rxs, sizeof(rxs), r, "endpoints.b.rx_syscalls_per_pkt"), shown);
}

/* With repetitions, each combination's figures over its repetitions: the
 * same tables `bypasslab report` writes, outliers listed, not dropped. */
static void table_aggregate(FILE *f, json_t *results)
{
	struct runset rs;
	struct ttable *t = NULL;
	int nt = 0;

	if (runset_from_array(results, &rs))
		return;
	if (!summary_tables(&rs, &t, &nt)) {
		fprintf(f, "\nPer combination, over its repetitions (mean ±95 %% CI):\n\n");
		/* The throughput and ping-pong tables; the breakdown follows per case. */
		for (int i = 0; i < nt; i++) {
			if (strcmp(t[i].id, "throughput") && strcmp(t[i].id, "pingpong"))
				continue;
			ttable_print(f, &t[i]);
			fputc('\n', f);
		}
		if (summary_outliers(NULL, &rs, 1)) {
			fprintf(f, "Outliers (beyond 1.5 IQR; kept in the statistics):\n");
			summary_outliers(f, &rs, 1);
		}
		summary_free(t, nt);
	}
	runset_free(&rs);
}

void table_footer(FILE *f, json_t *results)
{
	json_t *r;
	size_t i;
	int reps = 0, disturbed = 0;

	fprintf(f, "(pps over the measurement window; rx_Gb/s includes the 20 B L1 overhead; "
		   "tx_sys/rx_sys = system calls per packet on the sender/client and the "
		   "receiver/server)\n");
	json_array_foreach(results, i, r) {
		reps |= json_integer_value(json_object_get(json_object_get(r, "params"),
							   "repeat")) > 1;
		disturbed |= table_disturbed(r);
	}
	if (disturbed)
		fprintf(f, "(disturbed: status ok, but something else competed for the case's cores "
			   "or another run was alive; the thresholds are in docs/ARCHITECTURE.md)\n");
	json_array_foreach(results, i, r)
		table_disturbed_line(f, r, "");
	if (reps)
		table_aggregate(f, results);
}
