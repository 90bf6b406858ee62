// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests: real runs of ./bypasslab as root over real namespaces,
 * veths and bridges. Each datapath runs {bridge, direct} x {throughput,
 * pingpong} for ~1 s per case, and every result is checked for what must
 * hold: packets flowed, rx <= tx, every lost packet is located in a kernel
 * counter (exactly), interface counters agree with the endpoints, the
 * call counts match the datapath's batching, RTT statistics are ordered, and
 * nothing the run created is left behind — also after SIGINT and SIGKILL.
 *
 * Under CI=true these tests never skip: a missing feature is a failure.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static void check_result(json_t *r, const char *dp)
{
	json_t *p = json_object_get(r, "params");
	const char *st = json_string_value(json_object_get(r, "status"));
	int pp = !strcmp(json_string_value(json_object_get(p, "pattern")), "pingpong");
	double tx = num(r, "endpoints.a.total.tx_pkts");
	/* What came back: the client's replies, or the receiver's stream. */
	double rx = pp ? num(r, "endpoints.a.total.rx_pkts") : num(r, "endpoints.b.total.rx_pkts");
	double burst = num(r, "params.burst");
	double iftx = num(r, "reconcile.if_tx_vs_endpoint_pct");
	const char *label = json_string_value(json_object_get(r, "case_dir"));

	if (!st || strcmp(st, "ok"))
		fail_msg("%s: status %s: %s", label, st ? st : "?",
			 json_string_value(json_object_get(r, "error")));
	assert_true(num(r, "throughput.rx_pkts") > 0);
	assert_true(rx > 0);
	if (rx > tx)
		fail_msg("%s: rx %.0f > tx %.0f", label, rx, tx);
	/* Every lost packet has a place where it was lost. */
	check_located(r, label);
	/* The interfaces saw what the endpoints say they sent. */
	if (iftx > 0.1 || iftx < -0.1)
		fail_msg("%s: interface tx differs from endpoint tx by %.3f%%", label, iftx);
	if (!strcmp(dp, "mmsg") && !pp) {
		double calls = num(r, "endpoints.a.window.tx_syscalls");
		double pk = num(r, "endpoints.a.window.tx_pkts");

		if (calls > pk / burst * 1.01 + 1)
			fail_msg("%s: %.0f sendmmsg calls for %.0f packets at burst %.0f", label,
				 calls, pk, burst);
	}
	/* One sendto per packet. A snapshot can fall inside a burst, where the
	 * datapath has counted its calls and the engine not yet its packets. */
	if (!strcmp(dp, "udp") && !pp &&
	    num(r, "endpoints.a.window.tx_syscalls") < num(r, "endpoints.a.window.tx_pkts") - burst)
		fail_msg("%s: fewer sendto calls (%.0f) than packets (%.0f)", label,
			 num(r, "endpoints.a.window.tx_syscalls"),
			 num(r, "endpoints.a.window.tx_pkts"));
	if (!strcmp(dp, "uring") && !pp) {
		double calls = num(r, "endpoints.a.window.tx_syscalls");
		double pk = num(r, "endpoints.a.window.tx_pkts");

		if (calls > pk / burst * 1.01 + 1)
			fail_msg("%s: %.0f io_uring_enter calls for %.0f packets at burst %.0f",
				 label, calls, pk, burst);
	}
	if (pp)
		check_rtt_ordered(r, label);
	assert_true(json_array_size(json_object_get(r, "samples")) >= 1);
}

static void run_matrix_wl(const char *dp, const char *wl, const char *extra)
{
	char cfg[512], text[1024], prefix[32] = "";
	json_t *list, *r;
	size_t i;
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, NULL };
	int rc, n = 0;

	need_root();
	snprintf(cfg, sizeof(cfg), "%s/%s.ini", tmpdir, dp);
	snprintf(text, sizeof(text),
		 "[run]\nduration = 1\nwarmup = 0.3\n"
		 "[workload]\npattern = throughput, pingpong\nsize = 64\nburst = 32\n"
		 "timeout_us = 200000\n%s"
		 "[topology]\ntopology = bridge, direct\n"
		 "[datapath]\ndatapath = %s\n%s",
		 wl ? wl : "", dp, extra ? extra : "");
	write_file(cfg, text);
	list = run_json(args, &rc, prefix, sizeof(prefix));
	json_array_foreach(list, i, r)
		check_result(r, dp);
	n = (int)json_array_size(list);
	json_decref(list);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 4);
	assert_no_leftovers(prefix);
}

static void run_matrix(const char *dp, const char *extra)
{
	run_matrix_wl(dp, NULL, extra);
}

static void test_udp(void **state)
{
	(void)state;
	run_matrix("udp", NULL);
}

static void test_mmsg(void **state)
{
	(void)state;
	run_matrix("mmsg", NULL);
}

static void test_packet(void **state)
{
	(void)state;
	run_matrix("packet", NULL);
}

static void test_uring(void **state)
{
	(void)state;
	run_matrix("uring", NULL);
}

static void test_packet_sendto_recv(void **state)
{
	(void)state;
	run_matrix("packet", "packet_tx = sendto\npacket_rx = recv\n");
}

static void test_uring_multishot(void **state)
{
	(void)state;
	run_matrix("uring", "uring_rx = multishot\n");
}

static void test_blocking(void **state)
{
	(void)state;
	run_matrix_wl("udp", "blocking = yes\n", NULL);
}

/* Drops of a known kind: a receive buffer far too small for an unpaced
 * 64-byte stream. Every packet a sent and b did not receive (counted by the
 * endpoints themselves) must be in b's UDP receive-buffer errors, and the
 * reconciliation must put exactly that many in b's UDP/IP counter and
 * nowhere else. */
static void check_rcvbuf_drops(json_t *r)
{
	const char *label = json_string_value(json_object_get(r, "case_dir"));
	json_t *where = json_object_get(json_object_get(r, "reconcile"), "where");
	double lost = num(r, "endpoints.a.total.tx_pkts") - num(r, "endpoints.b.total.rx_pkts");
	const char *k;
	json_t *v;

	if (strcmp(str(r, "status"), "ok"))
		fail_msg("%s: status %s", label, str(r, "status"));
	assert_int_equal((int)num(r, "params.rcvbuf"), 4096);
	/* The stream must actually have overrun the buffer. */
	if (lost < 100)
		fail_msg("%s: only %.0f packets lost with rcvbuf = 4k", label, lost);
	assert_true(num(r, "endpoints.b.total.rx_dup") == 0);
	if (num(r, "reconcile.lost") != lost)
		fail_msg("%s: reconcile.lost %.0f, endpoints say %.0f", label,
			 num(r, "reconcile.lost"), lost);
	if (num(r, "reconcile.netns_counters.b.udp_rcvbuf_errors") != lost ||
	    num(r, "reconcile.netns_counters.b.udp_in_errors") != lost)
		fail_msg("%s: b's UDP RcvbufErrors %.0f, InErrors %.0f, lost %.0f", label,
			 num(r, "reconcile.netns_counters.b.udp_rcvbuf_errors"),
			 num(r, "reconcile.netns_counters.b.udp_in_errors"), lost);
	json_object_foreach(where, k, v) {
		if (strcmp(k, "b.udp_ip_stack_drops"))
			fail_msg("%s: %.0f drops located in %s, expected none there", label,
				 json_number_value(v), k);
	}
	/* (The key holds a dot, so not through num().) */
	v = json_object_get(where, "b.udp_ip_stack_drops");
	if (!json_is_integer(v) || (double)json_integer_value(v) != lost)
		fail_msg("%s: b.udp_ip_stack_drops %.0f, lost %.0f", label,
			 json_is_number(v) ? json_number_value(v) : -1.0, lost);
	check_located(r, label);
}

static void test_rcvbuf_drops(void **state)
{
	char prefix[32] = "";
	json_t *list, *r;
	size_t i;
	int rc;

	(void)state;
	list = run_text("rcvbuf",
			"[run]\nduration = 1\nwarmup = 0.3\n"
			"[workload]\npattern = throughput\nsize = 64\nburst = 32\n"
			"[topology]\ntopology = bridge, direct\n"
			"[datapath]\ndatapath = udp, mmsg\nrcvbuf = 4k\n",
			NULL, &rc, prefix, sizeof(prefix));
	json_array_foreach(list, i, r)
		check_rcvbuf_drops(r);
	assert_int_equal(json_array_size(list), 4);
	json_decref(list);
	assert_int_equal(rc, 0);
	assert_no_leftovers(prefix);
}

/* Bad input: exit 2, one line naming file/line/key, nothing created. */
static void test_bad_config(void **state)
{
	char cfg[512], res[512], line[1024];
	const char *args[] = { bin, "run", cfg, "--results", res, NULL };

	(void)state;
	snprintf(cfg, sizeof(cfg), "%s/bad.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/bad-results", tmpdir);
	write_file(cfg, "[workload]\npattern = throughput\nsize = 40\n");
	assert_int_equal(run_one_line(args, line, sizeof(line)), 2);
	assert_non_null(strstr(line, "bad.ini:3"));
	assert_non_null(strstr(line, "size"));
	assert_int_equal(access(res, F_OK), -1); /* nothing created */
}

/* The run directory inside res (the only entry). */
static int find_run_dir(const char *res, char *dir, size_t len, char *prefix, size_t plen)
{
	DIR *d = opendir(res);
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, len, "%s/%s", res, e->d_name);
		snprintf(prefix, plen, "%s", strrchr(e->d_name, '-') + 1);
		found = 1;
	}
	closedir(d);
	return found;
}

static int count_results(const char *run_dir)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;
	char path[1024];
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		json_error_t je;
		json_t *r;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "run.json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/result.json", run_dir, e->d_name);
		/* A case directory exists a moment before its result is renamed
		 * into it; a result that exists must be whole. */
		if (access(path, F_OK))
			continue;
		r = json_load_file(path, 0, &je);
		if (!r)
			fail_msg("%s is not valid JSON: %s", path, je.text);
		json_decref(r);
		n++;
	}
	closedir(d);
	return n;
}

static void wait_for_results(const char *res, int want, char *dir, size_t len, char *prefix,
			     size_t plen)
{
	for (int i = 0; i < 300; i++) {
		struct timespec ts = { 0, 50000000 };

		if (find_run_dir(res, dir, len, prefix, plen) && count_results(dir) >= want)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("no finished case appeared in %s", res);
}

/* SIGINT mid-run: finished results kept, run marked interrupted, exit 130,
 * nothing left behind. */
static void test_sigint(void **state)
{
	char cfg[512], res[512], dir[1024], prefix[32], path[1100];
	json_error_t je;
	json_t *run;
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/int.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/int-results", tmpdir);
	write_file(cfg, "[run]\nduration = 1\nwarmup = 0.2\n[workload]\nsize = 64,128,256,512\n");
	pid = start_bg(cfg, res);
	wait_for_results(res, 1, dir, sizeof(dir), prefix, sizeof(prefix));
	{
		struct timespec ts = { 0, 400000000 }; /* mid-way through case 2 */

		nanosleep(&ts, NULL);
	}
	kill(pid, SIGINT);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_true(count_results(dir) >= 1);
	assert_true(count_results(dir) < 4);
	snprintf(path, sizeof(path), "%s/run.json", dir);
	run = json_load_file(path, 0, &je);
	assert_non_null(run);
	assert_string_equal(json_string_value(json_object_get(run, "status")), "interrupted");
	json_decref(run);
	assert_no_leftovers(prefix);
}

/* SIGKILL leaves objects behind by nature; `bypasslab cleanup` removes them. */
static void test_kill_then_cleanup(void **state)
{
	char cfg[512], res[512], dir[1024], prefix[32] = "", what[2048];
	const char *args[] = { bin, "cleanup", NULL };
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/kill.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/kill-results", tmpdir);
	write_file(cfg, "[run]\nduration = 3\nwarmup = 0.2\n");
	pid = start_bg(cfg, res);
	/* Wait until the topology exists. */
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 20000000 };

		if (find_run_dir(res, dir, sizeof(dir), prefix, sizeof(prefix)) &&
		    leftovers(prefix, what, sizeof(what)) >= 3)
			break;
		nanosleep(&ts, NULL);
	}
	assert_true(prefix[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	{
		struct timespec ts = { 0, 200000000 }; /* endpoints die with their parent */

		nanosleep(&ts, NULL);
	}
	assert_true(leftovers(prefix, what, sizeof(what)) > 0);
	{
		char path[1100];
		json_error_t je;
		json_t *run;
		time_t before = time(NULL);
		struct tm tm;
		char stamp[32];

		snprintf(path, sizeof(path), "%s/run.json", dir);
		run = json_load_file(path, 0, &je);
		assert_non_null(run);
		assert_string_equal(json_string_value(json_object_get(run, "status")), "running");
		json_decref(run);
		assert_int_equal(run_bin(NULL, args), 0);
		/* cleanup marks the killed run's run.json, with when it cleaned it. */
		run = json_load_file(path, 0, &je);
		assert_non_null(run);
		assert_string_equal(json_string_value(json_object_get(run, "status")), "killed");
		gmtime_r(&before, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M", &tm);
		assert_non_null(json_string_value(json_object_get(run, "cleaned_at")));
		assert_true(strcmp(json_string_value(json_object_get(run, "cleaned_at")), stamp) >= 0);
		assert_int_equal(json_integer_value(json_object_get(run, "owner_pid")), pid);
		json_decref(run);
	}
	assert_no_leftovers(prefix);
}

/* Two runs at once: per-run prefixes keep them apart. */
static void test_parallel_runs(void **state)
{
	char cfg[512], res[2][512], dir[1024], prefix[2][32];
	pid_t pid[2];

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/par.ini", tmpdir);
	write_file(cfg, "[run]\nduration = 1\nwarmup = 0.2\n[workload]\nrate = 20k\n");
	for (int i = 0; i < 2; i++) {
		snprintf(res[i], sizeof(res[i]), "%s/par-results-%d", tmpdir, i);
		pid[i] = start_bg(cfg, res[i]);
	}
	for (int i = 0; i < 2; i++) {
		int st;

		waitpid(pid[i], &st, 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		assert_true(find_run_dir(res[i], dir, sizeof(dir), prefix[i], sizeof(prefix[i])));
		assert_int_equal(count_results(dir), 1);
		assert_no_leftovers(prefix[i]);
	}
	assert_string_not_equal(prefix[0], prefix[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_mmsg),
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_uring),
		cmocka_unit_test(test_packet_sendto_recv),
		cmocka_unit_test(test_uring_multishot),
		cmocka_unit_test(test_blocking),
		cmocka_unit_test(test_rcvbuf_drops),
		cmocka_unit_test(test_sigint),
		cmocka_unit_test(test_kill_then_cleanup),
		cmocka_unit_test(test_parallel_runs),
	};

	return cmocka_run_group_tests_name("integration", tests, group_setup, group_teardown);
}
