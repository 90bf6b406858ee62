// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of the sampling judge (probes=sample|both): every
 * endpoint core gets about freq x window cpu-clock samples, classified into
 * the tracepoint attribution's groups with shares that add up; and on the
 * receiver of a UDP stream, which spends its time entering and leaving
 * recvfrom, "user" stays small: the syscall exit path, which no tracepoint
 * bounds, is found on the instruction after `syscall` and counted as
 * "syscall entry/exit". The agreement with the tracepoints is printed, not
 * asserted yet.
 */
#include <math.h>

#include "integ.h"

static json_t *both_run, *sample_run;

static const char *const groups[] = {
	"user",
	"syscall entry/exit",
	"syscalls",
	"probes",
	"veth xmit",
	"bridge",
	"IP/UDP receive",
	"receive (other devices)",
	"socket enqueue/wakeup",
	"softirq NET_RX (napi, backlog)",
	"softirq NET_TX",
	"other softirqs",
	"hardirq",
	"other tasks (off-CPU)",
	"idle",
	NULL,
};

static json_t *run_one(const char *name, const char *probes, double duration)
{
	char text[512], prefix[32] = "";
	json_t *list, *r;
	int rc;

	snprintf(text, sizeof(text),
		 "[run]\nduration = %g\nwarmup = 0.3\n"
		 "[workload]\npattern = throughput\nsize = 64\nburst = 32\n"
		 "[topology]\ntopology = bridge\n"
		 "[datapath]\ndatapath = udp\n"
		 "[probes]\nprobes = %s\n",
		 duration, probes);
	list = run_text(name, text, NULL, &rc, prefix, sizeof(prefix));
	assert_int_equal(rc, 0);
	assert_int_equal(json_array_size(list), 1);
	r = json_incref(json_array_get(list, 0));
	json_decref(list);
	if (strcmp(str(r, "status"), "ok"))
		fail_msg("%s: %s", str(r, "case_dir"), str(r, "error"));
	assert_no_leftovers(prefix);
	return r;
}

static json_t *get_both(void)
{
	if (!both_run)
		both_run = run_one("both", "both", 2.0);
	return both_run;
}

static json_t *sample_cores(json_t *r)
{
	json_t *c = json_object_get(json_object_get(json_object_get(r, "attribution"), "sample"),
				    "cores");

	if (!json_is_array(c) || !json_array_size(c))
		fail_msg("no attribution.sample.cores");
	return c;
}

/* The sample core of the receiver (placement.cpus[1]). */
static json_t *receiver_core(json_t *r)
{
	json_t *cores = sample_cores(r), *c;
	json_int_t cpu_b = json_integer_value(
		json_array_get(json_object_get(json_object_get(r, "placement"), "cpus"), 1));
	size_t i;

	json_array_foreach(cores, i, c)
		if (json_integer_value(json_object_get(c, "cpu")) == cpu_b)
			return c;
	fail_msg("no sample core for the receiver's cpu %d", (int)cpu_b);
	return NULL;
}

/* freq x window samples per core, within 20 %. */
static void test_sample_counts(void **state)
{
	json_t *r = get_both(), *c;
	double hz = num(json_object_get(r, "attribution"), "sample.freq_hz");
	double window_s = num(r, "throughput.window_s");
	size_t i;

	(void)state;
	assert_true(hz > 0);
	assert_int_equal(json_array_size(sample_cores(r)), 2);
	json_array_foreach(sample_cores(r), i, c) {
		double n = num(c, "samples"), want = hz * window_s;

		if (n < 0.8 * want || n > 1.2 * want)
			fail_msg("cpu %d: %.0f samples, %.0f expected (%.0f Hz x %.3f s)",
				 (int)num(c, "cpu"), n, want, hz, window_s);
	}
}

/* Every group is there, each share in [0, 100], together 100. */
static void test_sample_shares(void **state)
{
	json_t *r = get_both(), *c;
	size_t i;

	(void)state;
	json_array_foreach(sample_cores(r), i, c) {
		json_t *g = json_object_get(c, "groups");
		double sum = 0;

		assert_int_equal(json_object_size(g), 15);
		for (int k = 0; groups[k]; k++) {
			json_t *gr = json_object_get(g, groups[k]);
			double pct;

			if (!gr)
				fail_msg("cpu %d: no group \"%s\"", (int)num(c, "cpu"), groups[k]);
			pct = num(gr, "pct");
			if (pct < 0 || pct > 100)
				fail_msg("cpu %d: \"%s\" at %.2f %%", (int)num(c, "cpu"), groups[k], pct);
			sum += pct;
		}
		if (fabs(sum - 100.0) > 0.5)
			fail_msg("cpu %d: shares add up to %.2f %%", (int)num(c, "cpu"), sum);
	}
}

/* The UDP receiver's time is the system call's way in and out, not its
 * own loop. */
static void test_receiver_not_user(void **state)
{
	json_t *c = receiver_core(get_both()), *g = json_object_get(c, "groups");
	double user = num(json_object_get(g, "user"), "samples");
	double idle = num(json_object_get(g, "idle"), "samples");
	double busy = num(c, "samples") - idle;

	(void)state;
	assert_true(busy > 0);
	print_message("receiver cpu %d: user %.1f %% of busy samples, syscall entry/exit %.1f %%\n",
		      (int)num(c, "cpu"), 100.0 * user / busy,
		      100.0 * num(json_object_get(g, "syscall entry/exit"), "samples") / busy);
	if (user / busy >= 0.40)
		fail_msg("receiver cpu %d: \"user\" is %.1f %% of the busy samples",
			 (int)num(c, "cpu"), 100.0 * user / busy);
}

/* Both ran: one agreement per core, diff = sample - tracepoint. Printed. */
static void test_agreement_printed(void **state)
{
	json_t *attr = json_object_get(get_both(), "attribution");
	json_t *agr = json_object_get(attr, "agreement"), *a, *row;
	size_t i, k;

	(void)state;
	assert_string_equal(str(attr, "mode"), "both");
	assert_int_equal(json_array_size(json_object_get(attr, "cores")), 2);
	assert_int_equal(json_array_size(agr), 2);
	json_array_foreach(agr, i, a) {
		print_message("cpu %d: %-32s %11s %9s %7s\n", (int)num(a, "cpu"), "group",
			      "tracepoints", "sampling", "diff");
		json_array_foreach(json_object_get(a, "groups"), k, row) {
			double tp = num(row, "tracepoint_pct"), sm = num(row, "sample_pct");

			assert_true(fabs(num(row, "diff_pts") - (sm - tp)) < 1e-6);
			print_message("       %-32s %10.1f%% %8.1f%% %+7.1f\n", str(row, "group"), tp,
				      sm, sm - tp);
		}
		print_message("       max |diff| %.1f points (%s)\n", num(a, "max_abs_diff_pts"),
			      str(a, "max_abs_diff_group"));
	}
}

/* probes=sample alone: an attribution object without tracepoint cores. */
static void test_sample_alone(void **state)
{
	json_t *attr;

	(void)state;
	if (!sample_run)
		sample_run = run_one("sample", "sample", 1.0);
	attr = json_object_get(sample_run, "attribution");
	assert_non_null(attr);
	assert_string_equal(str(attr, "mode"), "sample");
	assert_null(json_object_get(attr, "cores"));
	assert_null(json_object_get(attr, "agreement"));
	assert_int_equal(json_array_size(sample_cores(sample_run)), 2);
	assert_non_null(json_object_get(json_object_get(attr, "sample"), "method"));
}

static int teardown_all(void **state)
{
	json_decref(both_run);
	json_decref(sample_run);
	return group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_counts),	  cmocka_unit_test(test_sample_shares),
		cmocka_unit_test(test_receiver_not_user), cmocka_unit_test(test_agreement_printed),
		cmocka_unit_test(test_sample_alone),
	};

	return cmocka_run_group_tests_name("sample", tests, group_setup, teardown_all);
}
