// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of the kernel's own fast paths on the socket datapaths
 * (udp, mmsg, uring): real runs of ./bypasslab as root, 1 s windows.
 *  - udp_segment: every send of a stream carries N datagrams (the engine's
 *    counters), the interfaces count one packet per super-packet, the
 *    receiver counts every datagram and every lost one is located;
 *  - udp_gro: receive buffers carry many datagrams, fewer receive calls
 *    than datagrams, no duplicate and no reorder;
 *  - zerocopy: every zero-copy send completed (copied or not), none
 *    outstanding at the end;
 *  - busy_poll_us: the granted values echoed, and the socket found a NAPI
 *    instance to poll (the veths receive in NAPI for it);
 *  - uring_sqpoll: far fewer io_uring_enter calls than one per burst, and
 *    the SQ thread's time in the attribution as its own group;
 *  - a feature key on a datapath without it: exit 2, one line naming both
 *    keys, nothing created;
 *  - a feature the kernel refuses (an SQ thread outside a container's
 *    cpuset): the case is unsupported, with the key and the errno.
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
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "integ.h"

#define SEG 8 /* datagrams per GSO send in these tests */

static const char *label_of(json_t *r)
{
	const char *l = json_string_value(json_object_get(r, "case_dir"));

	return l ? l : "?";
}

static void check_ok(json_t *r)
{
	const char *st = json_string_value(json_object_get(r, "status"));

	if (!st || strcmp(st, "ok"))
		fail_msg("%s: status %s: %s", label_of(r), st ? st : "?",
			 json_string_value(json_object_get(r, "error")));
	assert_true(num(r, "endpoints.b.total.rx_pkts") > 0);
	check_located(r, label_of(r));
}

/* Run text; every case must be ok, the run must leave nothing. */
static json_t *run_cases(const char *name, const char *text, const char *probes, int want)
{
	char prefix[32] = "";
	json_t *list, *r;
	size_t i;
	int rc;

	list = run_text(name, text, probes, &rc, prefix, sizeof(prefix));
	json_array_foreach(list, i, r)
		check_ok(r);
	assert_int_equal(rc, 0);
	assert_int_equal((int)json_array_size(list), want);
	assert_no_leftovers(prefix);
	return list;
}

static void need_info(json_t *r, const char *ep, const char *what)
{
	char path[64];
	const char *info;

	snprintf(path, sizeof(path), "endpoints.%s.dp_info", ep);
	info = str(r, path);
	if (!info || !strstr(info, what))
		fail_msg("%s: %s dp_info \"%s\" lacks \"%s\"", label_of(r), ep, info ? info : "",
			 what);
}

/* A stream with udp_segment: N datagrams per send, one wire packet each. */
static void check_gso_stream(json_t *r)
{
	/* Totals: a window's edges may fall inside a burst. */
	double pk = num(r, "endpoints.a.total.tx_pkts");
	double sends = num(r, "endpoints.a.total.tx_gso_sends");
	double segs = num(r, "endpoints.a.total.tx_gso_segs");
	double dpw = num(r, "throughput.datagrams_per_wire_pkt");
	double iftx = num(r, "reconcile.if_tx_vs_endpoint_pct");
	double burst = num(r, "params.burst");

	need_info(r, "a", "gso=");
	/* Every burst is a whole number of super-packets (burst % SEG == 0). */
	if (sends <= 0 || segs != pk || segs != sends * SEG)
		fail_msg("%s: %.0f datagrams in %.0f GSO sends of %.0f datagrams sent", label_of(r),
			 segs, sends, pk);
	if (dpw < SEG * 0.99 || dpw > SEG * 1.01)
		fail_msg("%s: %.2f datagrams per wire packet, want %d", label_of(r), dpw, SEG);
	/* The veths count what went on the wire: super-packets. */
	if (iftx > 0.1 || iftx < -0.1)
		fail_msg("%s: interfaces count %.3f%% off the endpoints' wire packets",
			 label_of(r), iftx);
	/* Send calls per datagram: at most one per super-packet (udp), one
	 * per burst (mmsg, uring: a whole burst per call). */
	if (num(r, "endpoints.a.tx_syscalls_per_pkt") > 1.0 / SEG * 1.01 ||
	    num(r, "endpoints.a.tx_syscalls_per_pkt") < 1.0 / burst * 0.99)
		fail_msg("%s: %.4f send calls per datagram with udp_segment=%d, burst %.0f",
			 label_of(r), num(r, "endpoints.a.tx_syscalls_per_pkt"), SEG, burst);
}

/* udp_segment on each socket datapath, paced, at the smallest and the
 * largest frame; the receiver without GRO gets the datagrams split. */
static void test_gso(void **state)
{
	json_t *list, *r;
	size_t i;

	(void)state;
	list = run_cases("gso",
			 "[run]\nduration = 1\nwarmup = 0.3\n"
			 "[workload]\npattern = throughput\nsize = 64, 1518\nrate = 40k\n"
			 "burst = 32\n"
			 "[datapath]\ndatapath = udp, mmsg, uring\nudp_segment = 8\n",
			 NULL, 6);
	json_array_foreach(list, i, r) {
		check_gso_stream(r);
		/* Not a GRO socket: every datagram arrived on its own. */
		assert_true(num(r, "endpoints.b.window.rx_gro_bufs") == 0);
		assert_true(num(r, "throughput.duplicates") == 0);
	}
	json_decref(list);
}

/* GSO sender, GRO receiver: super-packets reach the socket whole and the
 * receiver splits them by the UDP_GRO segment size; counts stay exact. */
static void test_gro(void **state)
{
	json_t *list, *r;
	size_t i;

	(void)state;
	list = run_cases("gro",
			 "[run]\nduration = 1\nwarmup = 0.3\n"
			 "[workload]\npattern = throughput\nsize = 64, 1518\nrate = 40k\n"
			 "burst = 32\n"
			 "[datapath]\ndatapath = udp, mmsg, uring\nudp_segment = 8\nudp_gro = yes\n",
			 NULL, 6);
	json_array_foreach(list, i, r) {
		double rx = num(r, "endpoints.b.window.rx_pkts");
		double bufs = num(r, "endpoints.b.window.rx_gro_bufs");
		double segs = num(r, "endpoints.b.window.rx_gro_segs");
		double calls = num(r, "endpoints.b.window.rx_syscalls") -
			       num(r, "endpoints.b.window.rx_empty");

		check_gso_stream(r);
		need_info(r, "b", "UDP_GRO=on");
		need_info(r, "b", "napi=on(gro)");
		if (bufs <= 0 || segs / bufs < 2 || segs > rx)
			fail_msg("%s: %.0f datagrams in %.0f GRO buffers, %.0f received",
				 label_of(r), segs, bufs, rx);
		/* Receive calls that found data carry many datagrams each. */
		if (calls >= rx / 2)
			fail_msg("%s: %.0f receive calls for %.0f datagrams", label_of(r), calls, rx);
		assert_true(num(r, "throughput.duplicates") == 0);
		assert_true(num(r, "throughput.reorder") == 0);
	}
	json_decref(list);
}

/* Ping-pong where it makes sense: 8 requests in flight go out as one
 * super-packet, the server echoes them the same way. */
static void test_gso_gro_pingpong(void **state)
{
	json_t *list, *r;
	size_t i;

	(void)state;
	list = run_cases("gso-pp",
			 "[run]\nduration = 1\nwarmup = 0.3\n"
			 "[workload]\npattern = pingpong\nsize = 64\noutstanding = 8\nburst = 8\n"
			 "[datapath]\ndatapath = udp, mmsg, uring\nudp_segment = 8\nudp_gro = yes\n",
			 NULL, 3);
	json_array_foreach(list, i, r) {
		check_rtt_ordered(r, label_of(r));
		assert_true(num(r, "endpoints.a.window.tx_gso_sends") > 0);
		assert_true(num(r, "endpoints.b.window.tx_gso_sends") > 0);
		assert_true(num(r, "endpoints.b.window.rx_gro_segs") > 0);
		assert_true(num(r, "throughput.duplicates") == 0);
	}
	json_decref(list);
}

/* Every zero-copy send completes (copied or not); nothing outstanding. */
static void test_zerocopy(void **state)
{
	json_t *list, *r;
	size_t i;

	(void)state;
	list = run_cases("zc",
			 "[run]\nduration = 1\nwarmup = 0.3\n"
			 "[workload]\npattern = throughput, pingpong\nsize = 1518\nrate = 40k\n"
			 "burst = 32\n"
			 "[datapath]\ndatapath = udp, mmsg, uring\nzerocopy = yes\n",
			 NULL, 6);
	json_array_foreach(list, i, r) {
		int pp = !strcmp(str(r, "params.pattern"), "pingpong");

		for (int e = 0; e < 1 + pp; e++) {
			const char *ep = e ? "b" : "a";
			char p[96];
			double sends, done, copied, pk;

			snprintf(p, sizeof(p), "endpoints.%s.total.zc_sends", ep);
			sends = num(r, p);
			snprintf(p, sizeof(p), "endpoints.%s.total.zc_done", ep);
			done = num(r, p);
			snprintf(p, sizeof(p), "endpoints.%s.total.zc_copied", ep);
			copied = num(r, p);
			snprintf(p, sizeof(p), "endpoints.%s.total.tx_pkts", ep);
			pk = num(r, p);
			snprintf(p, sizeof(p), "endpoints.%s.fastpaths.zc_outstanding", ep);
			if (sends <= 0 || sends > pk || done != sends || copied > done || num(r, p) != 0)
				fail_msg("%s %s: %.0f zero-copy sends, %.0f completed (%.0f copied), "
					 "%.0f outstanding, %.0f packets",
					 label_of(r), ep, sends, done, copied, num(r, p), pk);
			print_message("%s %s: %.0f zero-copy sends, %.0f of them copied by the "
				      "kernel\n", label_of(r), ep, sends, copied);
		}
	}
	json_decref(list);
}

/* busy_poll_us: granted values echoed, and a NAPI instance to poll. */
static void test_busy_poll(void **state)
{
	json_t *list, *r;
	size_t i;

	(void)state;
	list = run_cases("bp",
			 "[run]\nduration = 1\nwarmup = 0.3\n"
			 "[workload]\npattern = throughput, pingpong\nsize = 64\nrate = 40k\n"
			 "[datapath]\ndatapath = udp, uring\nbusy_poll_us = 50\n",
			 NULL, 4);
	json_array_foreach(list, i, r) {
		need_info(r, "b", "busy_poll=50us prefer=1 budget=32");
		need_info(r, "b", "napi=on(gro)");
		assert_true(json_is_true(json_object_get(json_object_get(json_object_get(
			r, "datapath"), "needs"), "veth_napi")));
		if (num(r, "endpoints.b.fastpaths.sock_napi_id") <= 0)
			fail_msg("%s: the receiving socket never saw a NAPI id", label_of(r));
	}
	json_decref(list);
}

/* SQPOLL: the SQ thread submits, so the sender hardly enters; its CPU time
 * shows as its own group on the core it is pinned to (the peer's). */
static void test_sqpoll(void **state)
{
	json_t *list, *r;
	double enters[2] = { -1, -1 };
	size_t i;

	(void)state;
	list = run_cases("sqpoll",
			 "[run]\nduration = 1\nwarmup = 0.3\n"
			 "[workload]\npattern = throughput\nsize = 64\nrate = 20k\nburst = 32\n"
			 "[datapath]\ndatapath = uring\nuring_sqpoll = no, yes\n",
			 "aggregate", 2);
	json_array_foreach(list, i, r) {
		int sq = json_is_true(json_object_get(json_object_get(r, "params"), "uring_sqpoll"));
		double kt = 0;

		enters[sq] = num(r, "endpoints.a.tx_syscalls_per_pkt");
		for (int c = 0; c < 2; c++)
			kt += attr_group(attr_core(r, c), "io_uring kernel thread");
		if (sq) {
			need_info(r, "a", "SQPOLL submits");
			need_info(r, "a", "sq_cpu=");
			if (kt <= 0)
				fail_msg("%s: no io_uring kernel thread time in the attribution",
					 label_of(r));
		}
	}
	if (enters[1] < 0 || enters[0] <= 0 || enters[1] > enters[0] / 10)
		fail_msg("send enters per packet: %.4f with SQPOLL, %.4f without", enters[1],
			 enters[0]);
	json_decref(list);
}

/* A feature the running kernel refuses: an LXC container's cpuset holds
 * only its endpoint's CPU, and the kernel will not pin an SQ poll thread
 * outside it (EINVAL). The case is unsupported, with the key and errno; no
 * crash, no silent fallback, nothing left. */
static void test_kernel_refusal(void **state)
{
	char prefix[32] = "";
	const char *err;
	json_t *list, *r;
	int rc;

	(void)state;
	list = run_text("refused",
			"[run]\nduration = 0.5\nwarmup = 0.2\n[workload]\nrate = 10k\n"
			"[topology]\ncontainer = lxc\n"
			"[datapath]\ndatapath = uring\nuring_sqpoll = yes\nuring_sqpoll_cpu = peer\n",
			"off", &rc, prefix, sizeof(prefix));
	assert_int_equal((int)json_array_size(list), 1);
	r = json_array_get(list, 0);
	assert_string_equal(str(r, "status"), "unsupported");
	err = str(r, "error");
	if (!err || !strstr(err, "uring_sqpoll: the kernel refused") || !strstr(err, "errno 22"))
		fail_msg("unclear message: %s", err ? err : "(none)");
	if (rc != 0 && rc != 1)
		fail_msg("run exited with %d", rc);
	json_decref(list);
	assert_no_leftovers(prefix);
}

/* Run bin with args, stderr into errf; the exit status. */
static int run_err(const char *const args[], const char *errf)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		execv(bin, (char *const *)args);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A feature key on a datapath without it: a config error naming both keys
 * and the file's line, exit 2, nothing created. */
static void test_bad_combination(void **state)
{
	static const char *const bad[][2] = {
		{ "[datapath]\ndatapath = packet\nudp_segment = 8\n", "udp_segment" },
		{ "[datapath]\ndatapath = xdp\nzerocopy = yes\n", "zerocopy" },
	};
	char cfg[512], res[512], errf[512], msg[1024] = "", want[600];
	const char *args[] = { bin, "run", cfg, "--results", res, NULL };
	struct stat sb;

	(void)state;
	need_root();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f;
		size_t n;

		snprintf(cfg, sizeof(cfg), "%s/bad%zu.ini", tmpdir, i);
		snprintf(res, sizeof(res), "%s/bad-results", tmpdir);
		snprintf(errf, sizeof(errf), "%s/bad%zu.err", tmpdir, i);
		write_file(cfg, bad[i][0]);
		assert_int_equal(run_err(args, errf), 2);
		f = fopen(errf, "r");
		assert_non_null(f);
		n = fread(msg, 1, sizeof(msg) - 1, f);
		msg[n] = 0;
		fclose(f);
		snprintf(want, sizeof(want), "%s:3: key '%s': datapath ", cfg, bad[i][1]);
		if (!strstr(msg, want) || !strstr(msg, "allowed:") || !strstr(msg, "datapath = udp"))
			fail_msg("unclear message: %s", msg);
		if (strchr(msg, '\n') != strrchr(msg, '\n'))
			fail_msg("more than one line: %s", msg);
		assert_true(stat(res, &sb) < 0 && errno == ENOENT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gso),
		cmocka_unit_test(test_gro),
		cmocka_unit_test(test_gso_gro_pingpong),
		cmocka_unit_test(test_zerocopy),
		cmocka_unit_test(test_busy_poll),
		cmocka_unit_test(test_sqpoll),
		cmocka_unit_test(test_bad_combination),
		cmocka_unit_test(test_kernel_refusal),
	};

	return cmocka_run_group_tests_name("fastpaths", tests, group_setup, group_teardown);
}
