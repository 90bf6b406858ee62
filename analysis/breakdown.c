// SPDX-License-Identifier: BSD-3-Clause
/*
 * Per-case breakdown text. Every figure comes from the result object, so a
 * live run and a result.json read back print the same lines.
 */
#include <string.h>

#include "breakdown.h"
#include "table.h"

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static int inum(json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- the path's hops --------------------------------------------------------- */

static void hop_line(FILE *f, const char *name, json_t *h)
{
	fprintf(f, "    %-58s %9" JSON_INTEGER_FORMAT " %8.0f %8.0f %8.0f %8.0f\n", name,
		json_integer_value(json_object_get(h, "count")), num(h, "mean_ns"),
		num(h, "p50_ns"), num(h, "p90_ns"), num(h, "p99_ns"));
}

/* One way per direction, only when there are both. */
static void path_directions(FILE *f, json_t *dirs)
{
	char name[160];
	size_t i;
	json_t *d;

	if (json_array_size(dirs) <= 1)
		return;
	json_array_foreach(dirs, i, d) {
		snprintf(name, sizeof(name), "one way %s", str(d, "dir"));
		if (json_is_object(json_object_get(d, "one_way_ns")))
			hop_line(f, name, json_object_get(d, "one_way_ns"));
	}
}

static void path_print(FILE *f, json_t *path)
{
	json_t *pk = json_object_get(path, "packets"), *h, *ow;
	char name[160];
	size_t i;

	if (!path)
		return;
	fprintf(f,
		"  path: %" JSON_INTEGER_FORMAT " packets followed, %" JSON_INTEGER_FORMAT
		" to the receiving call, %.1f path probe events/pkt\n",
		json_integer_value(json_object_get(pk, "followed")),
		json_integer_value(json_object_get(pk, "to_user")), num(path, "events_per_pkt"));
	fprintf(f, "    %-58s %9s %8s %8s %8s %8s\n", "hop (ns)", "count", "mean", "p50", "p90",
		"p99");
	json_array_foreach(json_object_get(path, "hops"), i, h) {
		snprintf(name, sizeof(name), "%s -> %s", str(h, "from"), str(h, "to"));
		hop_line(f, name, h);
	}
	ow = json_object_get(path, "one_way_ns");
	if (json_is_object(ow)) {
		hop_line(f, "one way (first stage -> receiving call returned)", ow);
		fprintf(f, "    %-58s %9s %8.0f\n", "  sum of the hop means", "",
			num(ow, "sum_of_hop_means_ns"));
	}
	path_directions(f, json_object_get(path, "directions"));
}

/* ---- the tracepoint attribution --------------------------------------------- */

/* A duty-cycled run's own measure of its probes' cost, and whether its
 * slices agreed. */
static void duty_checks(FILE *f, json_t *duty)
{
	json_t *st = json_object_get(duty, "status"), *rt = json_object_get(duty, "rates");
	json_t *ag = json_object_get(duty, "slice_agreement");

	if (strcmp(json_string_value(st) ?: "", "ok"))
		fprintf(f, "  DUTY CYCLING FAILED: %s\n", json_string_value(st) ?: "?");
	if (json_is_object(rt))
		fprintf(f,
			"  measured in this run: sending %.1f%% slower while traced than not, the "
			"window's rate %.1f%% below the untraced one; attaching and detaching took "
			"%.1f ms of CPU a second\n",
			num(rt, "traced_cost_pct"), num(rt, "window_cost_pct"),
			num(duty, "switch_cpu_ms_per_s"));
	if (json_is_number(json_object_get(ag, "cv_max_pct")))
		fprintf(f, "  slices %s: busy ns/pkt varies by %.1f%% (cv) across them, at most %.0f%%\n",
			json_is_true(json_object_get(ag, "agree")) ? "agree" : "DISAGREE",
			num(ag, "cv_max_pct"), num(ag, "tolerance_cv_pct"));
}

/* Probe duty cycling: which slices the breakdown is of. */
static void duty_line(FILE *f, json_t *attr)
{
	json_t *duty = json_object_get(attr, "duty");
	json_t *c0 = json_array_get(json_object_get(attr, "cores"), 0);
	double t;

	if (!json_is_object(duty) || !c0)
		return;
	t = num(duty, "traced_ns");
	fprintf(f,
		"  probes attached %.2f s in %d slices (probe_duty %.2f): the breakdown is of "
		"those slices, at %.0f pkt/s on cpu %d\n",
		t / 1e9, inum(duty, "slices"), num(duty, "fraction"),
		t > 0 ? num(c0, "pkts") * 1e9 / t : 0.0, inum(c0, "cpu"));
	duty_checks(f, duty);
}

static void core_line(FILE *f, json_t *core)
{
	fprintf(f,
		"  cpu %d (%s): %.0f ns/pkt busy, closure %.1f%% (+-%.1f) of measured busy time, "
		"unattributed %.0f ns/pkt, %.2f syscalls/pkt, %.2f softirqs/pkt, "
		"%.3f switches/pkt, %.1f probe events/pkt\n",
		inum(core, "cpu"), str(core, "endpoints"), num(core, "busy_ns_per_pkt"),
		num(core, "closure_pct"), num(core, "closure_resolution_pct"),
		num(core, "unattributed_ns_per_pkt"), num(core, "syscalls_per_pkt"),
		num(core, "softirq_entries_per_pkt"), num(core, "context_switches_per_pkt"),
		num(core, "probe_events_per_pkt"));
}

static const char *user_verdict(json_t *u)
{
	if (json_object_get(u, "not_comparable"))
		return "not comparable: task_work in user context";
	if (json_is_true(json_object_get(u, "within_tolerance")))
		return "agree within 10 % or 50 ns";
	return "DISAGREE";
}

/* The instrument's cost and the user group's judge, under a core's line. */
static void core_checks(FILE *f, json_t *core)
{
	json_t *in = json_object_get(core, "instrument"), *u = json_object_get(core, "user_vs_engine");
	json_t *cal = json_object_get(in, "getppid_loop");

	fprintf(f,
		"      instrument: %.0f ns/pkt (%.1f%% of the core: %.1f program runs/pkt x %.0f ns), "
		"removed from the segments it ran in; without it: %.0f ns/pkt busy\n",
		num(in, "ns_per_pkt"), num(in, "pct_of_core"), num(in, "runs_per_pkt"),
		num(in, "ns_per_run"), num(core, "busy_without_probes_ns_per_pkt"));
	if (cal)
		fprintf(f,
			"      getppid() on this core: %.0f ns/call bare, %.0f with probes, entry+exit "
			"%.0f ns/call\n",
			num(cal, "off_ns_per_call"), num(cal, "on_ns_per_call"),
			num(cal, "entry_exit_ns_per_call"));
	if (json_is_object(u))
		fprintf(f, "      user %.1f ns/pkt vs the engine's TSC outside its calls %.1f (%s)\n",
			num(u, "user_ns_per_pkt"), num(u, "engine_outside_calls_ns_per_pkt"),
			user_verdict(u));
}

/* Largest first (as result.json lists them): the first 14, fewer when the
 * rest are under 0.5 %, then one line for what is left. */
static void core_categories(FILE *f, json_t *cats)
{
	double shown = 0;
	size_t k;
	json_t *cat;

	json_array_foreach(cats, k, cat) {
		double pct = num(cat, "pct");

		if (k >= 14 || (pct < 0.5 && k >= 6)) {
			fprintf(f, "    %8s  %5.1f%%  (%zu smaller categories)\n", "", 100.0 - shown,
				json_array_size(cats) - k);
			break;
		}
		shown += pct;
		fprintf(f, "    %8.1f  %5.1f%%  %s\n", num(cat, "ns_per_pkt"), pct, str(cat, "name"));
	}
}

static void attr_print(FILE *f, json_t *attr)
{
	size_t i;
	json_t *core;

	duty_line(f, attr);
	json_array_foreach(json_object_get(attr, "cores"), i, core) {
		core_line(f, core);
		core_checks(f, core);
		core_categories(f, json_object_get(core, "categories"));
	}
	path_print(f, json_object_get(attr, "path"));
}

/* ---- sampling ---------------------------------------------------------------- */

static void sample_core_head(FILE *f, json_t *sc)
{
	fprintf(f,
		"    cpu %d: %" JSON_INTEGER_FORMAT " samples (%.0f expected), busy %.1f%%, "
		"unclassified %.1f%%\n",
		inum(sc, "cpu"), json_integer_value(json_object_get(sc, "samples")),
		num(sc, "expected_samples"), num(sc, "busy_pct"), num(sc, "unclassified_pct"));
}

/* Both methods ran: each group's share by tracepoints and by sampling. */
static void sample_agreement(FILE *f, json_t *a)
{
	size_t k;
	json_t *row;

	fprintf(f, "      %-32s %11s %9s %7s\n", "group", "tracepoints", "sampling", "diff");
	json_array_foreach(json_object_get(a, "groups"), k, row) {
		double tp = num(row, "tracepoint_pct"), sm = num(row, "sample_pct");

		if (tp < 0.05 && sm < 0.05)
			continue;
		fprintf(f, "      %-32s %10.1f%% %8.1f%% %+7.1f\n", str(row, "group"), tp, sm,
			sm - tp);
	}
	fprintf(f, "      max |diff| %.1f points (%s)\n", num(a, "max_abs_diff_pts"),
		str(a, "max_abs_diff_group"));
}

/* Sampling alone: each group's samples and share of the busy ones. */
static void sample_shares(FILE *f, json_t *groups)
{
	const char *name;
	double busy = 0;
	json_t *g;

	json_object_foreach(groups, name, g)
		if (strcmp(name, "idle"))
			busy += num(g, "samples");
	json_object_foreach(groups, name, g) {
		double n = num(g, "samples");

		if (!strcmp(name, "idle") || n <= 0)
			continue;
		fprintf(f, "      %-32s %8.0f %6.1f%%\n", name, n, busy > 0 ? 100.0 * n / busy : 0.0);
	}
}

static void sample_print(FILE *f, json_t *attr)
{
	json_t *smp = json_object_get(attr, "sample"), *agr = json_object_get(attr, "agreement");
	size_t i;
	json_t *sc;

	if (!smp)
		return;
	fprintf(f, "  sampling (%d Hz cpu-clock), shares of busy time:\n", inum(smp, "freq_hz"));
	json_array_foreach(json_object_get(smp, "cores"), i, sc) {
		json_t *a = json_array_get(agr, i);

		sample_core_head(f, sc);
		if (a)
			sample_agreement(f, a);
		else
			sample_shares(f, json_object_get(sc, "groups"));
	}
}

/* ---- a bypass endpoint's own clock ------------------------------------------- */

/* A bypass endpoint's user time, split by its own TSC accounting. */
static void engine_split(FILE *f, json_t *r)
{
	const char *k;
	json_t *e;

	fprintf(f, "  bypass side, engine TSC accounting (ns per packet):\n");
	json_object_foreach(json_object_get(r, "endpoints"), k, e) {
		json_t *x = json_object_get(e, "engine_ns_per_pkt");

		if (!x)
			continue;
		fprintf(f,
			"    %-3s %-7s loop %6.1f (TSC) = rx burst %6.1f + tx burst %6.1f + empty "
			"polls %6.1f + loop and frame work %6.1f; scheduler: cpu %6.1f + run-queue "
			"wait %.1f (%.1f%%)\n",
			k, str(e, "role"), num(x, "loop"), num(x, "rx_burst"), num(x, "tx_burst"),
			num(x, "empty_polls"), num(x, "work"), num(x, "cpu"), num(x, "off_cpu"),
			num(x, "loop_vs_cpu_pct"));
	}
}

/* ---- per case ------------------------------------------------------------------ */

static void case_print(FILE *f, json_t *r)
{
	json_t *p = json_object_get(r, "params"), *attr = json_object_get(r, "attribution");

	fprintf(f, "\ncase %d: %s %s %s size=%d: where the time goes (ns per packet)\n",
		inum(r, "case"), str(p, "datapath"), str(p, "topology"), str(p, "pattern"),
		inum(p, "size"));
	table_disturbed_line(f, r, "  DISTURBED: ");
	attr_print(f, attr);
	sample_print(f, attr);
	/* A datapath without system calls of its own (a PMD): the engine's
	 * TSC split is the whole cost. */
	if (json_is_false(json_object_get(json_object_get(json_object_get(r, "datapath"), "caps"),
					  "syscalls")))
		engine_split(f, r);
}

void breakdown_print(FILE *f, json_t *results)
{
	size_t k;
	json_t *r;

	json_array_foreach(results, k, r) {
		if (!json_object_get(r, "attribution") || strcmp(str(r, "status"), "ok"))
			continue;
		case_print(f, r);
	}
}
