// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests for `pairs = N`: N independent sender/receiver (or
 * client/server) pairs at once over one bridge. For udp and mmsg with
 * pairs = 1, 2, 4, throughput and ping-pong, ~1 s each, every result must
 * be ok, and every pair's counts must agree with figures result.c does not
 * derive them from: the pair's own veths' kernel counters, the receivers'
 * UDP socket counters (netns SNMP) and the per-second samples the harness
 * sums over the pairs while the case runs. Every lost packet must be
 * located, and nothing the run created may be left behind. The same with
 * container=lxc for pairs = 1, 2, plus no LXC container, container
 * directory, cgroup directory, link or process left after a run, after
 * SIGINT and after SIGKILL + `bypasslab cleanup`.
 *
 * Under CI=true these tests never skip: a missing feature is a failure.
 */
#include <math.h>

#include "integ.h"

/* "a1" -> "a1.eth0" (one static buffer: use at once). */
static const char *a_if(const char *ep)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%s.eth0", ep);
	return buf;
}

/* An interface's counter by its result.json name ("a1.eth0", "host_b1"). */
static double ifc(json_t *r, const char *ifname, const char *field)
{
	json_t *o = json_object_get(json_object_get(r, "interfaces"), ifname);

	if (!o)
		fail_msg("result has no interface %s", ifname);
	return num(o, field);
}

/* An endpoint's UDP/IP counters in its own namespace. */
static double nsc(json_t *r, const char *ep, const char *field)
{
	json_t *o = json_object_get(json_object_get(json_object_get(r, "reconcile"),
						    "netns_counters"),
				    ep);

	if (!o)
		fail_msg("result has no netns counters for %s", ep);
	return num(o, field);
}

/*
 * One direction of one pair against the kernel, over the whole run (the
 * interface and SNMP counters are read before the endpoints start and after
 * they stop, so they compare with the endpoints' totals, not their window):
 * the sender's veth transmitted exactly what the sender's engine counted
 * (plus the kernel's own ICMP errors, see below);
 * the receiver's UDP layer took in exactly what its engine read
 * (InDatagrams counts at dequeue); and what the sender sent reached
 * the receiver's UDP layer (read, or dropped there) or was dropped by the
 * bridge port in front of it. A pair's numbers mixed up with another
 * pair's, or an endpoint's count that is not what moved, fails here.
 */
static void check_direction(json_t *r, const char *label, int p, const char *from,
			    const char *to)
{
	json_t *eps = json_object_get(r, "endpoints");
	char ifn[32], host[32];
	double sent = num(json_object_get(eps, from), "total.tx_pkts");
	double read = num(json_object_get(eps, to), "total.rx_pkts") +
		      num(json_object_get(eps, to), "total.rx_late");
	double if_tx, in_dgrams, at_udp, bridge_drop;

	snprintf(ifn, sizeof(ifn), "%s.eth0", from);
	snprintf(host, sizeof(host), "host_%s", to);
	if_tx = ifc(r, ifn, "tx_packets");
	in_dgrams = nsc(r, to, "udp_in_datagrams");
	at_udp = in_dgrams + nsc(r, to, "udp_in_errors") + nsc(r, to, "udp_no_ports");
	bridge_drop = ifc(r, host, "tx_dropped");
	/* The one frame the veth sends that the engine did not is the
	 * kernel's ICMP port unreachable for a datagram that came after the
	 * endpoint's socket closed (a reply to a client that stopped):
	 * at most one per udp_no_ports in the same namespace. */
	if (if_tx < sent || if_tx - sent > nsc(r, from, "udp_no_ports"))
		fail_msg("%s: pair %d: %s's veth sent %.0f, its engine %.0f (udp_no_ports %.0f)",
			 label, p, from, if_tx, sent, nsc(r, from, "udp_no_ports"));
	if (if_tx != sent)
		print_message("%s: pair %d: %s's veth sent %.0f frames more than its engine: "
			      "ICMP for udp_no_ports %.0f\n",
			      label, p, from, if_tx - sent, nsc(r, from, "udp_no_ports"));
	if (in_dgrams != read)
		fail_msg("%s: pair %d: %s's UDP InDatagrams %.0f, its engine read %.0f", label,
			 p, to, in_dgrams, read);
	if (at_udp + bridge_drop != sent)
		fail_msg("%s: pair %d: %s sent %.0f, %s's UDP layer took %.0f and its "
			 "bridge port dropped %.0f",
			 label, p, from, sent, to, at_udp, bridge_drop);
}

/* Per-pair numbers against the kernel, the samples and the totals. */
static void check_pairs(json_t *r)
{
	const char *label = json_string_value(json_object_get(r, "case_dir"));
	const char *st = json_string_value(json_object_get(r, "status"));
	int pp = !strcmp(json_string_value(json_object_get(json_object_get(r, "params"),
							    "pattern")),
			 "pingpong");
	int np = (int)num(r, "params.pairs");
	json_t *pairs = json_object_get(r, "pairs");
	double tx = 0, rx = 0, tx_pps = 0, rtt_count = 0;
	double iftx = num(r, "reconcile.if_tx_vs_endpoint_pct");
	json_t *eps = json_object_get(r, "endpoints");

	if (!st || strcmp(st, "ok"))
		fail_msg("%s: status %s: %s", label, st ? st : "?",
			 json_string_value(json_object_get(r, "error")));
	assert_int_equal(json_array_size(pairs), np);
	assert_int_equal(json_object_size(eps), 2 * np);
	for (int p = 0; p < np; p++) {
		json_t *o = json_array_get(pairs, (size_t)p);
		char a[16], b[16];
		double ptx = num(o, "tx_pkts"), prx = num(o, "rx_pkts");

		assert_int_equal((int)num(o, "pair"), p);
		if (ptx <= 0 || prx <= 0)
			fail_msg("%s: pair %d moved nothing (tx %.0f rx %.0f)", label, p, ptx, prx);
		/* Each pair's numbers are its own endpoints' window counts. */
		snprintf(a, sizeof(a), p ? "a%d" : "a", p);
		snprintf(b, sizeof(b), p ? "b%d" : "b", p);
		assert_non_null(json_object_get(eps, a));
		assert_non_null(json_object_get(eps, b));
		/* Over the whole run (a window can receive what was in flight
		 * when it opened). */
		if (num(json_object_get(eps, pp ? a : b), "total.rx_pkts") >
		    num(json_object_get(eps, a), "total.tx_pkts"))
			fail_msg("%s: pair %d: rx %.0f > tx %.0f", label, p,
				 num(json_object_get(eps, pp ? a : b), "total.rx_pkts"),
				 num(json_object_get(eps, a), "total.tx_pkts"));
		assert_true(num(json_object_get(eps, a), "window.tx_pkts") == ptx);
		assert_true(num(json_object_get(eps, pp ? a : b), "window.rx_pkts") == prx);
		assert_true(num(json_object_get(eps, a), "startup_ms") > 0);
		assert_true(num(json_object_get(eps, b), "startup_ms") > 0);
		check_direction(r, label, p, a, b);
		if (pp)
			check_direction(r, label, p, b, a);
		/* The window is part of the run: no more than the kernel
		 * counted over all of it for this pair's own veth and socket. */
		if (ptx > num(json_object_get(eps, a), "total.tx_pkts") ||
		    ptx > ifc(r, a_if(a), "tx_packets"))
			fail_msg("%s: pair %d: %.0f sent in the window, more than the run", label,
				 p, ptx);
		if (prx > nsc(r, pp ? a : b, "udp_in_datagrams"))
			fail_msg("%s: pair %d: %.0f received in the window, %s's socket took "
				 "%.0f over the run",
				 label, p, prx, pp ? a : b, nsc(r, pp ? a : b, "udp_in_datagrams"));
		/* Ping-pong: each reply is one RTT sample of the pair's own
		 * histogram. run.c reads the histograms after the closing
		 * counter snapshots (and the CPU and probe snapshots between),
		 * so they may hold the replies of those few milliseconds too:
		 * no fewer samples than replies in the window, no more than
		 * replies over the whole run. */
		if (pp && (num(o, "rtt_ns.count") < prx ||
			   num(o, "rtt_ns.count") > num(json_object_get(eps, a), "total.rx_pkts")))
			fail_msg("%s: pair %d: %.0f replies in the window, %.0f over the run, "
				 "%.0f RTT samples",
				 label, p, prx, num(json_object_get(eps, a), "total.rx_pkts"),
				 num(o, "rtt_ns.count"));
		tx += ptx;
		rx += prx;
		tx_pps += num(o, "tx_pps");
		if (pp)
			rtt_count += num(o, "rtt_ns.count");
	}
	/* The per-second samples are the harness's own sum over the pairs
	 * of the live counters while the case runs; integrated over the
	 * window they give the packets sent and received in it, whatever
	 * result.c makes of the pairs. */
	{
		json_t *smp = json_object_get(r, "samples"), *sm;
		double s_tx = 0, s_rx = 0, t_prev = 0;
		size_t k;

		assert_true(json_array_size(smp) >= 1);
		json_array_foreach(smp, k, sm) {
			double t = num(sm, "t_s");

			s_tx += num(sm, "tx_pps") * (t - t_prev);
			s_rx += num(sm, "rx_pps") * (t - t_prev);
			t_prev = t;
		}
		/* Within 0.5 % (+ a burst per pair): the last sample and the
		 * closing snapshot are taken moments apart. */
		if (fabs(s_tx - tx) > 0.005 * tx + 32.0 * np ||
		    fabs(s_rx - rx) > 0.005 * rx + 32.0 * np)
			fail_msg("%s: the pairs sum to tx %.0f rx %.0f, the samples to %.0f %.0f",
				 label, tx, rx, s_tx, s_rx);
	}
	/* The total is the sum over the pairs. */
	if (tx != num(r, "throughput.tx_pkts") || rx != num(r, "throughput.rx_pkts"))
		fail_msg("%s: pairs add up to tx %.0f rx %.0f, totals say %.0f %.0f", label, tx, rx,
			 num(r, "throughput.tx_pkts"), num(r, "throughput.rx_pkts"));
	if (tx_pps < num(r, "throughput.tx_pps") * 0.999 ||
	    tx_pps > num(r, "throughput.tx_pps") * 1.001)
		fail_msg("%s: pair rates add up to %.0f pps, total %.0f", label, tx_pps,
			 num(r, "throughput.tx_pps"));
	if (pp) {
		/* The merged histogram holds every pair's samples. */
		assert_true(num(r, "rtt_ns.count") == rtt_count);
		check_rtt_ordered(r, label);
	}
	check_located(r, label);
	if (iftx > 0.1 || iftx < -0.1)
		fail_msg("%s: interface tx differs from endpoint tx by %.3f%%", label, iftx);
	/* Every endpoint's eth0 and bridge port, and the bridge. */
	assert_int_equal(json_object_size(json_object_get(r, "interfaces")), 4 * np + 1);
	assert_true(json_is_boolean(json_object_get(json_object_get(r, "placement"),
						    "shared_cores")));
	if (np > 1)
		assert_true(json_is_true(json_object_get(json_object_get(r, "placement"),
							 "shared_cores")));
}

static void run_pairs(const char *dp, const char *container, const char *pairs)
{
	char cfg[512], text[1024], prefix[32] = "";
	json_t *list, *r;
	size_t i;
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, NULL };
	int rc, n = 0, npairs = 1;

	need_root();
	for (const char *p = pairs; *p; p++)
		npairs += *p == ',';
	snprintf(cfg, sizeof(cfg), "%s/pairs-%s-%s.ini", tmpdir, dp, container);
	snprintf(text, sizeof(text),
		 "[run]\nduration = 1\nwarmup = 0.3\n"
		 "[workload]\npattern = throughput, pingpong\nsize = 64\nburst = 32\n"
		 "timeout_us = 200000\n"
		 "[topology]\ntopology = bridge\ncontainer = %s\npairs = %s\n"
		 "[datapath]\ndatapath = %s\n",
		 container, pairs, dp);
	write_file(cfg, text);
	list = run_json(args, &rc, prefix, sizeof(prefix));
	json_array_foreach(list, i, r) {
		check_pairs(r);
		assert_string_equal(json_string_value(json_object_get(json_object_get(r, "params"),
								      "container")),
				    container);
	}
	n = (int)json_array_size(list);
	json_decref(list);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 2 * npairs);
	assert_no_lxc_leftovers(prefix);
}

static void test_udp_pairs(void **state)
{
	(void)state;
	run_pairs("udp", "netns", "1, 2, 4");
}

static void test_mmsg_pairs(void **state)
{
	(void)state;
	run_pairs("mmsg", "netns", "1, 2, 4");
}

static void test_udp_lxc(void **state)
{
	(void)state;
	run_pairs("udp", "lxc", "1, 2");
}

static void test_mmsg_lxc(void **state)
{
	(void)state;
	run_pairs("mmsg", "lxc", "1, 2");
}

/* container=lxc needs a bridge: a config error, one line, exit 2. */
static void test_lxc_direct(void **state)
{
	char cfg[512], *out = NULL;
	const char *args[] = { bin, "run", cfg, "--set", "topology=direct", NULL };

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/lxc-direct.ini", tmpdir);
	write_file(cfg, "[topology]\ncontainer = lxc\n");
	assert_int_equal(run_bin(&out, args), 2);
	free(out);
}

/* The run's prefix, once its first container runs (bounded: 10 s). */
static int wait_for_container(const char *res, char *prefix, size_t plen)
{
	for (int i = 0; i < 500; i++) {
		struct timespec ts = { 0, 20000000 };
		char what[4096];
		struct dirent *e;
		DIR *d = opendir(res);

		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' && strrchr(e->d_name, '-'))
				snprintf(prefix, plen, "%s", strrchr(e->d_name, '-') + 1);
		if (d)
			closedir(d);
		if (prefix[0] && lxc_leftovers(prefix, what, sizeof(what)) >= 2)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* SIGINT while containers run: exit 130, nothing of LXC left. */
static void test_lxc_sigint(void **state)
{
	char cfg[512], res[512], prefix[32] = "";
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/lxc-int.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/lxc-int-results", tmpdir);
	write_file(cfg, "[run]\nduration = 3\nwarmup = 0.2\n[topology]\ncontainer = lxc\n"
			"pairs = 2\n");
	pid = start_bg(cfg, res);
	if (!wait_for_container(res, prefix, sizeof(prefix))) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fail_msg("no container of the run appeared");
	}
	{
		struct timespec ts = { 0, 500000000 };

		nanosleep(&ts, NULL);
	}
	kill(pid, SIGINT);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_no_lxc_leftovers(prefix);
}

/* SIGKILL: the containers die with the harness; `bypasslab cleanup`
 * removes what LXC and the run left. */
static void test_lxc_kill_then_cleanup(void **state)
{
	char cfg[512], res[512], prefix[32] = "";
	const char *args[] = { bin, "cleanup", NULL };
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/lxc-kill.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/lxc-kill-results", tmpdir);
	write_file(cfg, "[run]\nduration = 3\nwarmup = 0.2\n[topology]\ncontainer = lxc\n");
	pid = start_bg(cfg, res);
	if (!wait_for_container(res, prefix, sizeof(prefix))) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fail_msg("no container of the run appeared");
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	{
		struct timespec ts = { 0, 300000000 }; /* containers die with lxc-execute */

		nanosleep(&ts, NULL);
	}
	assert_int_equal(run_bin(NULL, args), 0);
	assert_no_lxc_leftovers(prefix);
}

/* The same with the state file gone too: the orphan sweep finds the
 * container by its directory and stops it as a container. */
static void test_lxc_orphan_without_state(void **state)
{
	char cfg[512], res[512], prefix[32] = "", sf[300];
	const char *args[] = { bin, "cleanup", NULL };
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/lxc-orphan.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/lxc-orphan-results", tmpdir);
	write_file(cfg, "[run]\nduration = 3\nwarmup = 0.2\n[topology]\ncontainer = lxc\n");
	pid = start_bg(cfg, res);
	if (!wait_for_container(res, prefix, sizeof(prefix))) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fail_msg("no container of the run appeared");
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	snprintf(sf, sizeof(sf), "/run/bypasslab/%s.state", prefix);
	assert_int_equal(unlink(sf), 0);
	assert_int_equal(run_bin(NULL, args), 0);
	assert_no_lxc_leftovers(prefix);
}

/* Out of range is a config error: one line, exit 2, nothing created. */
static void test_pairs_range(void **state)
{
	char cfg[512], *out = NULL;
	const char *args[] = { bin, "run", cfg, "--set", "pairs=17", NULL };

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/pairs-bad.ini", tmpdir);
	write_file(cfg, "[topology]\npairs = 1\n");
	assert_int_equal(run_bin(&out, args), 2);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs_range),
		cmocka_unit_test(test_udp_pairs),
		cmocka_unit_test(test_mmsg_pairs),
		cmocka_unit_test(test_lxc_direct),
		cmocka_unit_test(test_udp_lxc),
		cmocka_unit_test(test_mmsg_lxc),
		cmocka_unit_test(test_lxc_sigint),
		cmocka_unit_test(test_lxc_kill_then_cleanup),
		cmocka_unit_test(test_lxc_orphan_without_state),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
