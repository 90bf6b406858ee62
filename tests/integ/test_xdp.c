// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of the xdp datapath (AF_XDP): real runs of ./bypasslab
 * as root. {bridge, direct} x {throughput, pingpong} for ~1 s per case, with
 * the XDP program attached natively and generically; every result is checked
 * as the other datapaths' are (packets flowed, rx <= tx, every lost packet
 * located exactly, interface counters agree with the endpoints, RTT
 * ordered), plus what is particular to AF_XDP: what dp_info says was used,
 * one sendto per kernel batch and no receive system call in copy mode,
 * xdp_bind=zerocopy on veth reported as "unsupported", and no XDP program of
 * ours left loaded after a run, after SIGINT, or after an endpoint is
 * SIGKILLed.
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
#include <bpf/bpf.h>

#include "integ.h"

#define XDP_PROG_NAME "bl_xsk_redir" /* datapaths/xdp_redirect.bpf.c */

/* Loaded BPF programs carrying our XDP program's name. */
static int our_xdp_programs(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    !strncmp(info.name, XDP_PROG_NAME, sizeof(info.name)))
			n++;
		close(fd);
	}
	return n;
}

static void check_result(json_t *r, const char *mode)
{
	const char *st = json_string_value(json_object_get(r, "status"));
	const char *label = json_string_value(json_object_get(r, "case_dir"));
	int pp = !strcmp(str(r, "params.pattern"), "pingpong");
	double tx = num(r, "endpoints.a.total.tx_pkts");
	double rx = num(r, "endpoints.b.total.rx_pkts");
	double burst = num(r, "params.burst");
	double iftx = num(r, "reconcile.if_tx_vs_endpoint_pct");
	const char *info_a = str(r, "endpoints.a.dp_info");
	const char *info_b = str(r, "endpoints.b.dp_info");
	char want[64];

	if (!st || strcmp(st, "ok"))
		fail_msg("%s: status %s: %s", label, st ? st : "?",
			 json_string_value(json_object_get(r, "error")));
	assert_string_equal(str(r, "params.xdp_mode"), mode);
	assert_true(num(r, "throughput.rx_pkts") > 0);
	assert_true(rx > 0);
	if (rx > tx)
		fail_msg("%s: rx %.0f > tx %.0f", label, rx, tx);
	check_located(r, label);
	if (iftx > 0.1 || iftx < -0.1)
		fail_msg("%s: interface tx differs from endpoint tx by %.3f%%", label, iftx);

	/* What was used: the receiving side's program in the asked mode, and
	 * the sender of a stream none at all. */
	snprintf(want, sizeof(want), "xdp=%s ", mode);
	if (!strstr(info_b, want))
		fail_msg("%s: b dp_info \"%s\" lacks \"%s\"", label, info_b, want);
	if (!strstr(info_a, pp ? want : "xdp=none"))
		fail_msg("%s: a dp_info \"%s\"", label, info_a);
	if (!strstr(info_b, "need_wakeup=on") || !strstr(info_b, "umem="))
		fail_msg("%s: b dp_info \"%s\"", label, info_b);

	/* Every frame the receiver took came through our program's redirect,
	 * and the socket's own drops are reported. */
	assert_true(num(r, "endpoints.b.kernel_drops.xdp_prog.redirect") >= rx);
	(void)num(r, "endpoints.b.kernel_drops.xsk.rx_dropped");
	(void)num(r, "endpoints.b.kernel_drops.xsk.rx_ring_full");

	/* Copy mode (veth): at least one sendto per kernel batch of 32, never
	 * more than one per burst plus the batch split; no receive call. */
	if (strstr(info_b, "bind=copy") && strstr(info_a, "bind=copy")) {
		double calls = num(r, "endpoints.a.window.tx_syscalls");
		double pk = num(r, "endpoints.a.window.tx_pkts");
		double per = burst < 32 ? burst : 32;

		if (!pp && calls > pk / per * 1.01 + 1)
			fail_msg("%s: %.0f sendto calls for %.0f packets at burst %.0f", label,
				 calls, pk, burst);
		if (num(r, "endpoints.b.window.rx_syscalls") != 0)
			fail_msg("%s: %.0f receive calls in copy mode", label,
				 num(r, "endpoints.b.window.rx_syscalls"));
	}
	if (pp)
		check_rtt_ordered(r, label);
	assert_true(json_array_size(json_object_get(r, "samples")) >= 1);
}

static void run_matrix(const char *mode)
{
	char cfg[512], text[1024], prefix[32] = "";
	json_t *list, *r;
	size_t i;
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, NULL };
	int rc, n = 0;

	need_root();
	snprintf(cfg, sizeof(cfg), "%s/xdp-%s.ini", tmpdir, mode);
	snprintf(text, sizeof(text),
		 "[run]\nduration = 1\nwarmup = 0.3\n"
		 "[workload]\npattern = throughput, pingpong\nsize = 64\nburst = 32\n"
		 "timeout_us = 200000\n"
		 "[topology]\ntopology = bridge, direct\n"
		 "[datapath]\ndatapath = xdp\nxdp_mode = %s\n",
		 mode);
	write_file(cfg, text);
	list = run_json(args, &rc, prefix, sizeof(prefix));
	json_array_foreach(list, i, r)
		check_result(r, mode);
	n = (int)json_array_size(list);
	json_decref(list);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 4);
	assert_no_leftovers(prefix);
	assert_int_equal(our_xdp_programs(), 0);
}

static void test_xdp_native(void **state)
{
	(void)state;
	run_matrix("native");
}

static void test_xdp_generic(void **state)
{
	(void)state;
	run_matrix("generic");
}

/* veth cannot do zero-copy AF_XDP: the case is "unsupported here", with a
 * message that says so, and the run neither crashes nor leaves anything. */
static void test_zerocopy_unsupported(void **state)
{
	char cfg[512], *out = NULL, prefix[32] = "";
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, NULL };
	const char *msg;
	json_error_t je;
	json_t *r;
	int rc;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/xdp-zc.ini", tmpdir);
	write_file(cfg, "[run]\nduration = 0.5\nwarmup = 0.1\n[topology]\ntopology = direct\n"
			"[datapath]\ndatapath = xdp\nxdp_bind = zerocopy\n");
	rc = run_bin(&out, args);
	if (rc != 0 && rc != 1)
		fail_msg("run exited with %d", rc);
	r = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
	if (!r)
		fail_msg("bad JSON from run: %s", je.text);
	prefix_of(r, prefix, sizeof(prefix));
	assert_string_equal(json_string_value(json_object_get(r, "status")), "unsupported");
	msg = json_string_value(json_object_get(r, "error"));
	assert_non_null(msg);
	if (!strstr(msg, "xdp_bind=zerocopy: zero-copy AF_XDP is not supported by veth eth0 "
			 "(EOPNOTSUPP)"))
		fail_msg("unclear message: %s", msg);
	json_decref(r);
	free(out);
	assert_no_leftovers(prefix);
	assert_int_equal(our_xdp_programs(), 0);
}

/* Wait (up to ~6 s) until want copies of our XDP program are loaded. */
static void wait_loaded(int want)
{
	for (int i = 0; i < 300; i++) {
		struct timespec ts = { 0, 20000000 };

		if (our_xdp_programs() >= want)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("the XDP program never showed up");
}

static const char *const long_run = "[run]\nduration = 3\nwarmup = 0.2\n"
				    "[workload]\npattern = pingpong\n"
				    "[topology]\ntopology = direct\n"
				    "[datapath]\ndatapath = xdp\n";

/* SIGINT mid-case: the harness tears the case down, the endpoints close
 * their sockets and links, and no program of ours stays loaded. */
static void test_sigint_unloads(void **state)
{
	char cfg[512], res[512], prefix[32] = "";
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/xdp-int.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/xdp-int-results", tmpdir);
	write_file(cfg, long_run);
	pid = start_bg(cfg, res);
	wait_loaded(1);
	kill(pid, SIGINT);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_int_equal(our_xdp_programs(), 0);
	assert_true(run_prefix(res, prefix, sizeof(prefix)));
	assert_no_leftovers(prefix);
}

/* The endpoints of run pid: its children running "bypasslab endpoint". */
static int endpoint_pids(pid_t run, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[300], buf[512];
		int ppid = -1;
		size_t len;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		/* pid (comm) state ppid: comm may hold spaces, so after the ')' */
		if (!strrchr(buf, ')') || sscanf(strrchr(buf, ')') + 2, "%*c %d", &ppid) != 1 ||
		    ppid != run)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		/* argv is NUL-separated: "bypasslab\0endpoint\0--shm\0..." */
		if (len > strlen(buf) + 1 && !strcmp(buf + strlen(buf) + 1, "endpoint"))
			pids[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return n;
}

/* An endpoint killed outright cannot detach anything, yet its program goes
 * at once: it is attached through a BPF link, which dies with the process,
 * while the namespace (and its eth0) is still there. */
static void test_sigkill_endpoint_unloads(void **state)
{
	char cfg[512], res[512], prefix[32] = "", what[2048];
	pid_t pid, eps[4];
	int st, n, gone = 0;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/xdp-kill.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/xdp-kill-results", tmpdir);
	write_file(cfg, long_run);
	pid = start_bg(cfg, res);
	/* Ping-pong: both endpoints receive, both attach a program. */
	wait_loaded(2);
	n = endpoint_pids(pid, eps, 4);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++)
		kill(eps[i], SIGKILL);
	for (int i = 0; i < 100 && !gone; i++) {
		struct timespec ts = { 0, 10000000 };

		gone = our_xdp_programs() == 0;
		if (!gone)
			nanosleep(&ts, NULL);
	}
	assert_true(gone);
	assert_true(run_prefix(res, prefix, sizeof(prefix)));
	/* The case is still up: its namespaces outlive the endpoints. */
	assert_true(leftovers(prefix, what, sizeof(what)) > 0);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(our_xdp_programs(), 0);
	assert_no_leftovers(prefix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xdp_native),
		cmocka_unit_test(test_xdp_generic),
		cmocka_unit_test(test_zerocopy_unsupported),
		cmocka_unit_test(test_sigint_unloads),
		cmocka_unit_test(test_sigkill_endpoint_unloads),
	};

	return cmocka_run_group_tests_name("xdp", tests, group_setup, group_teardown);
}
