// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of the dpdk datapath: real runs of ./bypasslab as root
 * over every port this machine has — vhost-user endpoint to endpoint, vhost
 * through dpdk-testpmd and through Open vSwitch with DPDK, memif, and
 * DPDK's af_xdp PMD on the veth — each × {throughput, pingpong} for about
 * a second. Every result is checked as the kernel datapaths' are (packets
 * flowed, every lost packet located exactly, RTT ordered) plus what is
 * particular to DPDK: the two ends' port counters agree with the engines',
 * the EAL line has the endpoint's own --file-prefix, core and port, the
 * kernel probes see ~0 system calls per packet for vhost and memif, the
 * engine's TSC split adds up to the endpoint's CPU time, the engine's own
 * per-packet work on memif stays under a bound in TSC cycles, and nothing is
 * left — hugepage files, runtime directories, sockets, switch processes —
 * after a run, after SIGINT, or after the harness is SIGKILLed and
 * `bypasslab cleanup` runs. SR-IOV: a run asking for it on this machine
 * (no SR-IOV NIC) fails with exit 2 and a one-line reason, creating
 * nothing.
 *
 * Under CI=true these tests never skip: a missing feature is a failure.
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

/* The engine's TSC split of an endpoint's loop (bursts, empty polls, work:
 * each on the TSC) equals what the scheduler says the endpoint had: CPU
 * time plus run-queue wait (schedstat), within 2 %; and the bursts took
 * some. */
static void check_engine(json_t *r, const char *ep, const char *label)
{
	json_t *x = json_object_get(json_object_get(json_object_get(r, "endpoints"), ep),
				    "engine_ns_per_pkt");
	double cpu = json_number_value(json_object_get(x, "cpu"));
	double bursts = json_number_value(json_object_get(x, "rx_burst")) +
			json_number_value(json_object_get(x, "tx_burst"));
	double parts = bursts + json_number_value(json_object_get(x, "empty_polls")) +
		       json_number_value(json_object_get(x, "work")) +
		       json_number_value(json_object_get(x, "injected_spin"));
	double sched = cpu + json_number_value(json_object_get(x, "off_cpu"));

	if (!x)
		fail_msg("%s: %s: no engine_ns_per_pkt", label, ep);
	if (bursts <= 0)
		fail_msg("%s: %s: no time in bursts", label, ep);
	if (cpu <= 0 || fabs(parts - sched) > sched * 0.02 + 1)
		fail_msg("%s: %s: engine split %.1f ns/pkt (TSC) vs %.1f ns/pkt of CPU + run-queue "
			 "wait (schedstat)",
			 label, ep, parts, sched);
}

static void check_result(json_t *r, const char *mode)
{
	const char *st = json_string_value(json_object_get(r, "status"));
	const char *label = json_string_value(json_object_get(r, "case_dir"));
	int pp = !strcmp(str(r, "params.pattern"), "pingpong");
	double tx = num(r, "endpoints.a.total.tx_pkts");
	double rx = num(r, "endpoints.b.total.rx_pkts");
	const char *eal_a = str(r, "dpdk.eal.a"), *eal_b = str(r, "dpdk.eal.b");
	char prefix[32], want[96];

	if (!st || strcmp(st, "ok"))
		fail_msg("%s: status %s: %s", label, st ? st : "?",
			 json_string_value(json_object_get(r, "error")));
	assert_string_equal(str(r, "dpdk.mode"), mode);
	assert_true(num(r, "throughput.rx_pkts") > 0);
	if (rx <= 0 || rx > tx)
		fail_msg("%s: rx %.0f, tx %.0f", label, rx, tx);
	check_located(r, label);

	/* Both ends' ports saw what their engines counted: what a sent left
	 * through its port, what b received came in through its own (plus
	 * anything its filter turned away). DPDK 22.11's memif server keeps
	 * no port statistics at all (0 in, 0 out): there only a's count. */
	if (num(r, "endpoints.a.dpdk_port.opackets") != tx)
		fail_msg("%s: a's port sent %.0f, its engine %.0f", label,
			 num(r, "endpoints.a.dpdk_port.opackets"), tx);
	if (pp && num(r, "endpoints.a.dpdk_port.ipackets") !=
			  num(r, "endpoints.a.total.rx_pkts") + num(r, "endpoints.a.total.rx_late") +
				  num(r, "endpoints.a.total.rx_foreign"))
		fail_msg("%s: a's port received %.0f, its engine %.0f", label,
			 num(r, "endpoints.a.dpdk_port.ipackets"), num(r, "endpoints.a.total.rx_pkts"));
	if (strcmp(mode, "memif") &&
	    num(r, "endpoints.b.dpdk_port.ipackets") !=
		    rx + num(r, "endpoints.b.total.rx_foreign") + num(r, "endpoints.b.total.rx_dup"))
		fail_msg("%s: b's port received %.0f, its engine %.0f", label,
			 num(r, "endpoints.b.dpdk_port.ipackets"), rx);
	if (strcmp(mode, "memif") && pp &&
	    num(r, "endpoints.b.dpdk_port.opackets") != num(r, "endpoints.b.total.tx_pkts"))
		fail_msg("%s: b's port sent %.0f replies, its engine %.0f", label,
			 num(r, "endpoints.b.dpdk_port.opackets"), num(r, "endpoints.b.total.tx_pkts"));
	/* Every mbuf came back to its pool once the port was closed; not
	 * with af_xdp, whose PMD leaves its fill ring's mbufs with the
	 * kernel's socket when it closes. */
	for (int e = 0; e < 2 && strcmp(mode, "af_xdp"); e++) {
		char k1[64], k2[64];

		snprintf(k1, sizeof(k1), "endpoints.%c.dpdk_port.mbufs_free", "ab"[e]);
		snprintf(k2, sizeof(k2), "endpoints.%c.dpdk_port.mbufs_total", "ab"[e]);
		if (num(r, k1) != num(r, k2))
			fail_msg("%s: %c: %.0f of %.0f mbufs back in the pool", label, "ab"[e],
				 num(r, k1), num(r, k2));
	}

	/* The EAL line: the endpoint's own file prefix, its core (auto
	 * placement: a on CPU 0, b on CPU 1), no PCI. */
	prefix_of(r, prefix, sizeof(prefix));
	snprintf(want, sizeof(want), "--file-prefix=%s-a ", prefix);
	if (strncmp(eal_a, "-l 0 ", 5) || !strstr(eal_a, want) || !strstr(eal_a, "--no-pci"))
		fail_msg("%s: a's EAL line: %s", label, eal_a);
	snprintf(want, sizeof(want), "--file-prefix=%s-b ", prefix);
	if (strncmp(eal_b, "-l 1 ", 5) || !strstr(eal_b, want))
		fail_msg("%s: b's EAL line: %s", label, eal_b);

	check_engine(r, "a", label);
	check_engine(r, "b", label);
	if (pp)
		check_rtt_ordered(r, label);
}

/* Run both patterns over one DPDK port; returns the results. */
static json_t *run_mode(const char *name, const char *datapath_keys, const char *topology,
			const char *probes, char *prefix, size_t plen)
{
	char cfg[512], text[1024];
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, NULL };
	json_t *list;
	int rc;

	need_root();
	snprintf(cfg, sizeof(cfg), "%s/dpdk-%s.ini", tmpdir, name);
	snprintf(text, sizeof(text),
		 "[run]\nduration = 1\nwarmup = 0.3\n"
		 "[workload]\npattern = throughput, pingpong\nsize = 64\nburst = 32\n"
		 "timeout_us = 200000\n"
		 "[topology]\ntopology = %s\n"
		 "[datapath]\ndatapath = dpdk\n%s"
		 "[probes]\nprobes = %s\n",
		 topology, datapath_keys, probes);
	write_file(cfg, text);
	list = run_json(args, &rc, prefix, plen);
	if (rc != 0)
		fail_msg("%s: run exited with %d", name, rc);
	assert_int_equal(json_array_size(list), 2);
	return list;
}

/* What the kernel saw: ~0 system calls per packet on both cores. */
static void check_no_syscalls(json_t *r)
{
	json_t *cores = json_object_get(json_object_get(r, "attribution"), "cores"), *c;
	size_t i;

	assert_int_equal(json_array_size(cores), 2);
	json_array_foreach(cores, i, c) {
		double s = json_number_value(json_object_get(c, "syscalls_per_pkt"));

		if (!json_is_number(json_object_get(c, "syscalls_per_pkt")) || s > 0.001)
			fail_msg("cpu %d: %.4f system calls per packet on a DPDK core",
				 (int)json_integer_value(json_object_get(c, "cpu")), s);
	}
	/* And the table shows the probes' figure, not the endpoint's own. */
	(void)num(r, "endpoints.a.tx_syscalls_per_pkt");
	(void)num(r, "endpoints.b.rx_syscalls_per_pkt");
}

static void test_vhost_direct(void **state)
{
	char prefix[32] = "";
	json_t *list, *r;
	size_t i;

	(void)state;
	list = run_mode("vhost-direct", "dpdk_port = vhost\n", "direct", "aggregate", prefix,
			sizeof(prefix));
	json_array_foreach(list, i, r) {
		check_result(r, "vhost-direct");
		check_no_syscalls(r);
		assert_true(json_is_null(json_object_get(json_object_get(r, "dpdk"), "switch")));
		if (!strstr(str(r, "endpoints.a.dp_info"), "net_virtio_user") ||
		    !strstr(str(r, "endpoints.b.dp_info"), "net_vhost"))
			fail_msg("drivers: a %s, b %s", str(r, "endpoints.a.dp_info"),
				 str(r, "endpoints.b.dp_info"));
	}
	json_decref(list);
	assert_no_leftovers(prefix);
}

static void switch_test(const char *kind)
{
	char prefix[32] = "", keys[128];
	json_t *list, *r;
	size_t i;

	snprintf(keys, sizeof(keys), "dpdk_port = vhost\ndpdk_switch = %s\n", kind);
	list = run_mode(kind, keys, "bridge", "off", prefix, sizeof(prefix));
	json_array_foreach(list, i, r) {
		json_t *sw = json_object_get(json_object_get(r, "dpdk"), "switch");
		json_t *ports = json_object_get(sw, "ports");
		double fwd = 0;

		check_result(r, "vhost-switch");
		assert_string_equal(str(r, "dpdk.switch.kind"), kind);
		(void)num(r, "dpdk.switch.cpu");
		/* The switch forwarded what b received (and what it dropped is
		 * in the reconciliation). */
		assert_int_equal(json_array_size(ports), 2);
		for (size_t p = 0; p < 2; p++)
			fwd += json_number_value(json_object_get(json_array_get(ports, p), "tx_pkts"));
		if (fwd < num(r, "endpoints.b.total.rx_pkts"))
			fail_msg("%s: switch sent %.0f, b received %.0f", kind, fwd,
				 num(r, "endpoints.b.total.rx_pkts"));
	}
	json_decref(list);
	assert_no_leftovers(prefix);
}

static void test_vhost_testpmd(void **state)
{
	(void)state;
	switch_test("testpmd");
}

static void test_vhost_ovs(void **state)
{
	(void)state;
	switch_test("ovs");
}

/*
 * The engine's own per-packet work on memif (building and stamping on the
 * sender; parsing, sequence tracking and freeing on the receiver), in TSC
 * cycles: the role loop's TSC span less the timed bursts and polls, per
 * packet, less the time the endpoint waited on the run queue (which the
 * span also holds when something else had the core). A regression guard
 * for the checking the engine does on every packet: on this project's
 * machine a quiet run measures about a third of the bound on each side.
 */
#define ENGINE_WORK_MAX_CYC 200.0

static void check_engine_work(json_t *r)
{
	double hz = num(r, "machine.tsc_hz");

	if (strcmp(str(r, "params.pattern"), "throughput"))
		return;
	for (int i = 0; i < 2; i++) {
		const char *ep = i ? "b" : "a";
		char p[64];
		double work, wait, cyc;

		snprintf(p, sizeof(p), "endpoints.%s.engine_ns_per_pkt.work", ep);
		work = num(r, p);
		snprintf(p, sizeof(p), "endpoints.%s.engine_ns_per_pkt.off_cpu", ep);
		wait = num(r, p);
		cyc = (work - wait > 0 ? work - wait : 0) * hz / 1e9;
		print_message("memif engine work, endpoint %s: %.1f ns/pkt (%.1f off the CPU), "
			      "%.0f TSC cycles/pkt (bound %.0f)\n",
			      ep, work, wait, cyc, ENGINE_WORK_MAX_CYC);
		if (hz <= 0 || work <= 0)
			fail_msg("memif: endpoint %s: no engine work figure (tsc_hz %.0f)", ep, hz);
		if (cyc > ENGINE_WORK_MAX_CYC)
			fail_msg("memif: endpoint %s: the engine's own work is %.0f TSC cycles per "
				 "packet, over %.0f",
				 ep, cyc, ENGINE_WORK_MAX_CYC);
	}
}

static void test_memif(void **state)
{
	char prefix[32] = "";
	json_t *list, *r;
	size_t i;

	(void)state;
	list = run_mode("memif", "dpdk_port = memif\n", "direct", "aggregate", prefix,
			sizeof(prefix));
	json_array_foreach(list, i, r) {
		check_result(r, "memif");
		check_no_syscalls(r);
		check_engine_work(r);
		if (!strstr(str(r, "endpoints.a.dp_info"), "net_memif"))
			fail_msg("driver: %s", str(r, "endpoints.a.dp_info"));
	}
	json_decref(list);
	assert_no_leftovers(prefix);
}

/* DPDK's AF_XDP PMD rides the same veths as the kernel datapaths: their
 * interface counters agree with the endpoints, through the bridge too. */
static void test_af_xdp(void **state)
{
	char prefix[32] = "";
	json_t *list, *r;
	size_t i;

	(void)state;
	list = run_mode("af_xdp", "dpdk_port = af_xdp\n", "bridge", "off", prefix,
			sizeof(prefix));
	json_array_foreach(list, i, r) {
		double iftx = num(r, "reconcile.if_tx_vs_endpoint_pct");

		check_result(r, "af_xdp");
		if (iftx > 0.1 || iftx < -0.1)
			fail_msg("interface tx differs from endpoint tx by %.3f%%", iftx);
		if (!strstr(str(r, "endpoints.b.dp_info"), "net_af_xdp"))
			fail_msg("driver: %s", str(r, "endpoints.b.dp_info"));
	}
	json_decref(list);
	assert_no_leftovers(prefix);
}

/* usdt = yes: the BPF side counts exactly the burst calls each engine made,
 * on a kernel datapath and on DPDK, in both directions and patterns. */
static void test_usdt_bursts(void **state)
{
	char cfg[512], prefix[32] = "";
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, NULL };
	json_t *list, *r;
	size_t i;
	int rc;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/dpdk-usdt.ini", tmpdir);
	write_file(cfg, "[run]\nduration = 0.5\nwarmup = 0.2\n"
			"[workload]\npattern = throughput, pingpong\n"
			"[topology]\ntopology = direct\n"
			"[datapath]\ndatapath = udp, dpdk\n[probes]\nprobes = off\nusdt = yes\n");
	list = run_json(args, &rc, prefix, sizeof(prefix));
	assert_int_equal(rc, 0);
	assert_int_equal(json_array_size(list), 4);
	json_array_foreach(list, i, r) {
		const char *label = json_string_value(json_object_get(r, "case_dir"));

		for (int e = 0; e < 2; e++) {
			const char *side = e ? "b" : "a";
			char k[96];
			double calls[2], engine[2], pk;

			for (int rx = 0; rx < 2; rx++) {
				const char *d = rx ? "rx" : "tx";

				snprintf(k, sizeof(k), "endpoints.%s.usdt_bursts.%s.calls", side, d);
				calls[rx] = num(r, k);
				snprintf(k, sizeof(k), "endpoints.%s.total.%s_bursts", side, d);
				engine[rx] = num(r, k);
				snprintf(k, sizeof(k), "endpoints.%s.total.%s", side,
					 rx ? "rx_empty" : "tx_busy");
				engine[rx] += num(r, k);
				snprintf(k, sizeof(k), "endpoints.%s.total.%s_errors", side, d);
				engine[rx] += num(r, k);
				if (calls[rx] != engine[rx])
					fail_msg("%s: %s %s: %.0f USDT hits, %.0f burst calls", label,
						 side, d, calls[rx], engine[rx]);
			}
			/* What the receive probes saw is what the engine received. */
			snprintf(k, sizeof(k), "endpoints.%s.usdt_bursts.rx.packets", side);
			pk = num(r, k);
			snprintf(k, sizeof(k), "endpoints.%s.total.rx_pkts", side);
			if (pk < num(r, k))
				fail_msg("%s: %s: USDT saw %.0f packets received, engine %.0f", label,
					 side, pk, num(r, k));
		}
	}
	json_decref(list);
	assert_no_leftovers(prefix);
}

/* Until a process names the run's switch file prefix (up to ~10 s). */
static void wait_for_proc(const char *res, const char *suffix, char *prefix, size_t plen)
{
	char what[2048], want[48];

	for (int i = 0; i < 500; i++) {
		struct timespec ts = { 0, 20000000 };

		if (run_prefix(res, prefix, plen)) {
			snprintf(want, sizeof(want), "%s%s", prefix, suffix);
			what[0] = 0;
			if (prefix_procs(want, what, sizeof(what)) > 0)
				return;
		}
		nanosleep(&ts, NULL);
	}
	fail_msg("no process for %s%s appeared", prefix, suffix);
}

static const char *const long_run = "[run]\nduration = 4\nwarmup = 0.2\n"
				    "[workload]\npattern = pingpong\n"
				    "[topology]\ntopology = bridge\n"
				    "[datapath]\ndatapath = dpdk\ndpdk_port = vhost\n"
				    "dpdk_switch = testpmd\n[probes]\nprobes = off\n";

/* SIGINT with the switch and both endpoints up: exit 130, nothing left. */
static void test_sigint_leaves_nothing(void **state)
{
	char cfg[512], res[512], prefix[32] = "";
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/dpdk-int.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/dpdk-int-results", tmpdir);
	write_file(cfg, long_run);
	pid = start_bg(cfg, res);
	wait_for_proc(res, "-sw", prefix, sizeof(prefix));
	kill(pid, SIGINT);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_no_leftovers(prefix);
}

/* SIGKILL of the harness: its endpoints and switch die with it (parent
 * death signal), and `bypasslab cleanup` removes the hugepage files,
 * runtime directories, sockets and everything else from the state file. */
static void test_sigkill_then_cleanup(void **state)
{
	char cfg[512], res[512], prefix[32] = "", what[2048];
	const char *args[] = { bin, "cleanup", NULL };
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/dpdk-kill.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/dpdk-kill-results", tmpdir);
	write_file(cfg, long_run);
	pid = start_bg(cfg, res);
	wait_for_proc(res, "-sw", prefix, sizeof(prefix));
	kill(-pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* Killed outright, it removed nothing itself. */
	assert_true(leftovers(prefix, what, sizeof(what)) > 0);
	assert_int_equal(run_bin(NULL, args), 0);
	assert_no_leftovers(prefix);
}

/* No SR-IOV NIC here: exit 2, one line naming what is missing, and no
 * state file, namespace or anything else created. */
static void test_sriov_preflight(void **state)
{
	char cfg[512], res[512], errf[512], *out = NULL;
	const char *args[] = { bin, "run", cfg, "--results", res, NULL };
	int rc, fd, saved;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/dpdk-sriov.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/dpdk-sriov-results", tmpdir);
	snprintf(errf, sizeof(errf), "%s/dpdk-sriov-stderr", tmpdir);
	write_file(cfg, "[run]\nduration = 0.5\n[topology]\ntopology = direct\n"
			"[datapath]\ndatapath = dpdk\ndpdk_port = sriov\n");
	/* The reason goes to stderr: catch it. */
	fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(2);
	dup2(fd, 2);
	rc = run_bin(&out, args);
	dup2(saved, 2);
	close(saved);
	close(fd);
	free(out);
	assert_int_equal(rc, 2);
	{
		char buf[1024] = "";
		FILE *f = fopen(errf, "r");
		size_t n;

		assert_non_null(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		if (!strstr(buf, "no SR-IOV capable NIC") || strchr(buf, '\n') != buf + n - 1)
			fail_msg("preflight said: %s", buf);
		if (!strstr(buf, "dpdk-sriov.ini"))
			fail_msg("preflight does not name the config: %s", buf);
	}
	unlink(errf);
	/* Nothing created: not even the results directory. */
	if (access(res, F_OK) == 0)
		fail_msg("%s exists after a refused run", res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vhost_direct),
		cmocka_unit_test(test_vhost_testpmd),
		cmocka_unit_test(test_vhost_ovs),
		cmocka_unit_test(test_memif),
		cmocka_unit_test(test_af_xdp),
		cmocka_unit_test(test_sigint_leaves_nothing),
		cmocka_unit_test(test_sigkill_then_cleanup),
		cmocka_unit_test(test_sriov_preflight),
		cmocka_unit_test(test_usdt_bursts),
	};

	return cmocka_run_group_tests_name("dpdk", tests, group_setup, group_teardown);
}
