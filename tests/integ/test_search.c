// SPDX-License-Identifier: BSD-3-Clause
/*
 * The NDR/PDR search on real namespaces:
 *  - against a bottleneck the test imposes (a tbf qdisc on the receiver's
 *    bridge port, through topo_hook, at a rate well below what the sender
 *    reaches), NDR lands within search_precision of it, NDR <= PDR <= max,
 *    and every trial that counted offered its target within 1 %, measured;
 *  - loads at a fraction of the searched NDR run open-loop ping-pong at
 *    that rate, with every percentile and the histogram;
 *  - a SIGINT during the search keeps the trials that finished.
 * Trials are short (0.5 s), so each test takes well under a minute.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "integ.h"

/* The bottleneck: tbf at LIMIT_PPS for 64-byte frames (60 bytes as the
 * qdisc sees them, without the FCS), with a bucket of 20 ms and a queue of
 * 5 ms at that rate. The bucket lets a sender that was off its CPU catch
 * up without loss below the rate; above it, bucket and queue hide
 * (TBF_BURST + TBF_LIMIT) / SKB_LEN packets of a trial, so a trial of T
 * seconds passes up to LIMIT_PPS + that / T: 1 % over the final trial. */
#define LIMIT_PPS 20000
#define SKB_LEN 60
#define TBF_BURST (LIMIT_PPS / 50 * SKB_LEN)
#define TBF_LIMIT (LIMIT_PPS / 200 * SKB_LEN)
#define WARMUP_S 0.5
#define TRIAL_S 1.0
#define FINAL_S 2.0
#define PRECISION_PCT 1.0

static json_t *jget(json_t *o, const char *path)
{
	char buf[256], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = json_object_get(o, tok);
	return o;
}

/* Pacing is measured, not assumed: every trial's on_pace agrees with its
 * measured offered rate against its target (1 %); no trial that offered
 * less than its target is credited with passing it (one that never kept
 * pace and fell short counts as failing); a trial off pace that counted
 * anyway is printed. */
static void check_pace(json_t *search, const char *label)
{
	json_t *t;
	size_t i;
	int repeated = 0;

	json_array_foreach(json_object_get(search, "trials"), i, t) {
		json_t *tgt = json_object_get(t, "target_pps");
		double off = num(t, "offered_pps"), dev;
		int used = json_is_true(json_object_get(t, "used"));

		if (!json_is_integer(tgt)) /* rate=max */
			continue;
		dev = 100.0 * fabs(off - (double)json_integer_value(tgt)) /
		      (double)json_integer_value(tgt);
		if (json_is_true(json_object_get(t, "on_pace")) != (dev <= 1.0))
			fail_msg("%s: trial %zu: on_pace %d but offered %.0f for %lld (%.2f %%)",
				 label, i, json_is_true(json_object_get(t, "on_pace")), off,
				 (long long)json_integer_value(tgt), dev);
		if (used && off < 0.99 * (double)json_integer_value(tgt) &&
		    (json_is_true(json_object_get(t, "pass_ndr")) ||
		     json_is_true(json_object_get(t, "pass_pdr")) ||
		     !json_is_true(json_object_get(t, "short_of_target"))))
			fail_msg("%s: trial %zu offered %.0f pps for a target of %lld (%.2f %% short) "
				 "and was not counted as failing it",
				 label, i, off, (long long)json_integer_value(tgt), dev);
		if (used && dev > 1.0)
			print_message("%s: trial %zu counted off pace: %.0f pps for %lld\n", label, i,
				      off, (long long)json_integer_value(tgt));
		repeated += !used;
	}
	if (repeated)
		print_message("%s: %d trial(s) off pace, repeated\n", label, repeated);
}

static void test_policer(void **state)
{
	char text[1024], prefix[32];
	json_t *list, *r, *s, *fin;
	double ndr, pdr, mx, slack;
	int rc;

	(void)state;
	snprintf(text, sizeof(text),
		 "[run]\nwarmup = %g\n[workload]\nsize = 64\nsearch = ndr,pdr\n"
		 "search_trial = %g\nsearch_final = %g\nsearch_precision = %g\n"
		 "[topology]\ntopo_hook = tc qdisc add dev \"$BL_PORT_B\" root tbf rate %dbit "
		 "burst %d limit %d\n[datapath]\ndatapath = udp\nrcvbuf = 4M\n",
		 WARMUP_S, TRIAL_S, FINAL_S, PRECISION_PCT, LIMIT_PPS * SKB_LEN * 8, TBF_BURST,
		 TBF_LIMIT);
	list = run_text("policer", text, "off", &rc, prefix, sizeof(prefix));
	assert_int_equal(rc, 0);
	assert_int_equal(json_array_size(list), 1);
	r = json_array_get(list, 0);
	assert_string_equal(str(r, "status"), "ok");
	s = json_object_get(r, "search");
	assert_string_equal(str(s, "status"), "ok");
	assert_string_equal(str(r, "params.search"), "ndr,pdr");
	ndr = num(s, "ndr_pps");
	pdr = num(s, "pdr_pps");
	mx = num(s, "max_pps");
	print_message("policer at %d pps: NDR %.0f (%s), PDR %.0f (%s), max %.0f, %zu trials\n",
		      LIMIT_PPS, ndr, str(s, "ndr.outcome"), pdr, str(s, "pdr.outcome"), mx,
		      json_array_size(json_object_get(s, "trials")));
	/* The policer must be the bottleneck for this to mean anything. */
	if (mx < 2.0 * LIMIT_PPS)
		fail_msg("the sender reached only %.0f pps at rate=max, not well above the %d pps "
			 "limit",
			 mx, LIMIT_PPS);
	check_pace(s, "policer");
	/* Below the limit nothing is dropped; above it the bucket and queue
	 * hide at most their packets over the final trial, which confirms. */
	slack = (double)(TBF_BURST + TBF_LIMIT) / SKB_LEN / (LIMIT_PPS * (WARMUP_S + FINAL_S));
	if (ndr < LIMIT_PPS * (1 - PRECISION_PCT / 100 * 1.02) || ndr > LIMIT_PPS * (1 + slack))
		fail_msg("NDR %.0f is not within %.1f %% of the imposed %d pps (slack above %.2f %%)",
			 ndr, PRECISION_PCT, LIMIT_PPS, 100 * slack);
	assert_true(ndr <= pdr);
	assert_true(pdr <= mx);
	assert_string_equal(str(s, "ndr.outcome"), "confirmed");
	/* Gb/s from the rate and the frame size. */
	assert_true(fabs(num(s, "ndr_gbps_l2") - ndr * 64 * 8 / 1e9) < 1e-9);
	assert_true(fabs(num(s, "ndr_gbps_l1") - ndr * 84 * 8 / 1e9) < 1e-9);
	/* The final trial's full result, at the found rate; the top level is it. */
	fin = json_object_get(json_object_get(s, "final"), "ndr");
	assert_non_null(fin);
	assert_int_equal((long long)num(fin, "params.rate_pps"), (long long)ndr);
	assert_true(num(fin, "params.duration_s") == FINAL_S);
	assert_true(json_object_get(r, "throughput") != NULL);
	assert_true(json_object_get(r, "reconcile") != NULL);
	/* Every lost packet of every trial is located, the shaper's in its qdisc. */
	{
		json_t *t;
		size_t k;
		double shaped = 0;

		json_array_foreach(jget(s, "trials"), k, t) {
			if (num(t, "unexplained") != 0)
				fail_msg("trial %zu: %.0f of %.0f lost packets not located", k,
					 num(t, "unexplained"), num(t, "lost"));
			/* where's keys hold a dot: "host_b.qdisc_drops" */
			shaped += (double)json_integer_value(
				json_object_get(json_object_get(t, "where"), "host_b.qdisc_drops"));
		}
		assert_true(shaped > 0);
	}
	/* The first rate that lost packets is above NDR, and says where. */
	assert_true(num(s, "first_loss.lost") > 0);
	assert_true(num(s, "first_loss.offered_pps") > ndr);
	print_message("first loss at %.0f pps: %s\n", num(s, "first_loss.offered_pps"),
		      str(s, "first_loss.what"));
	assert_no_leftovers(prefix);
	json_decref(list);
}

/* Open-loop ping-pong at 10 % and 50 % of its own NDR: one search for both,
 * each load at its rate, every percentile and the histogram. */
static void test_load(void **state)
{
	char prefix[32];
	json_t *list, *r;
	size_t i;
	int rc;
	double ndr0 = -1;

	(void)state;
	list = run_text("load",
			"[run]\nwarmup = 0.3\nduration = 1\n[workload]\npattern = pingpong\n"
			"search = ndr\nsearch_trial = 0.5\nsearch_final = 1\nsearch_max = 20k\n"
			"search_precision = 5\nrate = 10%ndr, 50%ndr\n",
			"off", &rc, prefix, sizeof(prefix));
	assert_int_equal(rc, 0);
	assert_int_equal(json_array_size(list), 2);
	json_array_foreach(list, i, r) {
		double ndr = num(r, "load.ref_pps"), rate = num(r, "load.rate_pps");
		double pct = i ? 50 : 10;

		assert_string_equal(str(r, "status"), "ok");
		assert_string_equal(str(r, "load.of"), "ndr");
		assert_true(num(r, "load.pct") == pct);
		assert_true(ndr > 0 && ndr == num(r, "search.ndr_pps"));
		if (ndr0 >= 0 && (ndr != ndr0 || !json_equal(jget(r, "search.trials"),
							      jget(json_array_get(list, 0),
								   "search.trials"))))
			fail_msg("the loads used two searches: NDR %.0f and %.0f", ndr0, ndr);
		ndr0 = ndr;
		assert_int_equal((long long)rate, llround(ndr * pct / 100));
		assert_string_equal(str(r, "params.open_loop"), "yes");
		assert_string_equal(str(r, "params.rate"), i ? "50%ndr" : "10%ndr");
		/* Offered at the rate asked, measured. */
		if (fabs(num(r, "throughput.tx_pps") - rate) > 0.01 * rate)
			fail_msg("load %.0f %%: offered %.0f pps for %.0f", pct,
				 num(r, "throughput.tx_pps"), rate);
		check_rtt_ordered(r, i ? "50%ndr" : "10%ndr");
		/* Every percentile, in order, and the histogram they come from. */
		assert_true(num(r, "rtt_ns.p50") <= num(r, "rtt_ns.p90"));
		assert_true(num(r, "rtt_ns.p90") <= num(r, "rtt_ns.p99"));
		assert_true(num(r, "rtt_ns.p99") <= num(r, "rtt_ns.p99_9"));
		assert_true(num(r, "rtt_ns.p99_9") <= num(r, "rtt_ns.p99_99"));
		assert_true(json_array_size(jget(r, "rtt_ns.histogram.buckets")) > 0);
		print_message("load %.0f %% of NDR %.0f = %.0f pps: RTT p50 %.1f us, p99 %.1f us\n",
			      pct, ndr, rate, num(r, "rtt_ns.p50") / 1e3, num(r, "rtt_ns.p99") / 1e3);
	}
	assert_no_leftovers(prefix);
	json_decref(list);
}

static int find_run(const char *res, char *dir, size_t len, char *prefix, size_t plen)
{
	DIR *d = opendir(res);
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strrchr(e->d_name, '-') || strstr(e->d_name, ".out"))
			continue;
		snprintf(dir, len, "%s/%s", res, e->d_name);
		snprintf(prefix, plen, "%s", strrchr(e->d_name, '-') + 1);
		found = 1;
	}
	closedir(d);
	return found;
}

/* Lines in the run's stderr that report a finished trial. */
static int trials_logged(const char *out)
{
	FILE *f = fopen(out, "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, " search: trial ") != NULL;
	fclose(f);
	return n;
}

static void test_sigint_keeps_trials(void **state)
{
	char cfg[512], res[512], out[600], dir[1024], prefix[32] = "", path[1600];
	json_error_t je;
	json_t *r, *run, *trials, *t;
	size_t k;
	int st, n = 0;
	pid_t pid;
	DIR *d;
	struct dirent *e;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/sigint.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/sigint-results", tmpdir);
	snprintf(out, sizeof(out), "%s.out", res);
	/* A long final trial: the signal comes while the search still runs. */
	write_file(cfg, "[run]\nwarmup = 0.3\n[workload]\nsearch = ndr,pdr\nsearch_trial = 0.5\n"
			"search_final = 30\n[probes]\nprobes = off\n");
	pid = start_bg(cfg, res);
	for (int i = 0; i < 1200 && trials_logged(out) < 2 && !waitpid(pid, &st, WNOHANG); i++) {
		struct timespec ts = { 0, 50000000 };

		nanosleep(&ts, NULL);
	}
	if (trials_logged(out) < 2) {
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "tail -5 '%s' >&2", out);
		if (system(cmd) < 0)
			perror("tail");
		fail_msg("fewer than two trials in 60 s (the run's stderr above)");
	}
	kill(pid, SIGINT);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_true(find_run(res, dir, sizeof(dir), prefix, sizeof(prefix)));
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "run.json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/result.json", dir, e->d_name);
		r = json_load_file(path, 0, &je);
		if (!r)
			fail_msg("%s: %s", path, je.text);
		assert_string_equal(str(r, "status"), "interrupted");
		assert_string_equal(str(r, "search.status"), "interrupted");
		/* Every trial that finished before the signal is there, measured. */
		trials = jget(r, "search.trials");
		assert_true(json_array_size(trials) >= 2);
		json_array_foreach(trials, k, t)
			assert_true(num(t, "offered_pps") > 0 && num(t, "sent") > 0);
		n++;
		json_decref(r);
	}
	closedir(d);
	assert_int_equal(n, 1);
	snprintf(path, sizeof(path), "%s/run.json", dir);
	run = json_load_file(path, 0, &je);
	assert_non_null(run);
	assert_string_equal(json_string_value(json_object_get(run, "status")), "interrupted");
	json_decref(run);
	assert_no_leftovers(prefix);
}

/* A search's config errors: one line, file and line, exit 2, nothing made. */
static void test_bad_config(void **state)
{
	static const char *const bad[][2] = {
		{ "[workload]\nsearch = ndr\nrate = 1000\n", "key 'search'" },
		{ "[workload]\nrate = 50%ndr\n", "key 'rate'" },
		{ "[workload]\nsearch = ndr,xdr\n", "key 'search'" },
		{ "[workload]\nsearch = pdr\nrate = 50%ndr\n", "key 'rate'" },
		{ "[workload]\nsearch_loss = 0\n", "key 'search_loss'" },
	};
	char cfg[512], errf[600];

	(void)state;
	need_root();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char cmd[2400], line[512] = "";
		FILE *f;
		int st;

		snprintf(cfg, sizeof(cfg), "%s/bad%zu.ini", tmpdir, i);
		snprintf(errf, sizeof(errf), "%s/bad%zu.err", tmpdir, i);
		write_file(cfg, bad[i][0]);
		snprintf(cmd, sizeof(cmd), "%s run %s --results %s/bad-results >/dev/null 2>%s", bin,
			 cfg, tmpdir, errf);
		st = system(cmd);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 2);
		f = fopen(errf, "r");
		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		if (!strstr(line, cfg) || !strstr(line, bad[i][1]))
			fail_msg("config %zu: error line '%s' does not name %s and %s", i, line, cfg,
				 bad[i][1]);
	}
	snprintf(cfg, sizeof(cfg), "%s/bad-results", tmpdir);
	assert_int_equal(access(cfg, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_policer),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_sigint_keeps_trials),
	};

	return cmocka_run_group_tests_name("search", tests, group_setup, group_teardown);
}
