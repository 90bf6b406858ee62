// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of topology = hosts: endpoints on two hosts, the
 * remote side driven over ssh. The two hosts are namespaces of this
 * machine, each with its own sshd (tests/integ/sshhosts.h), made once in
 * the group setup as the global H and taken down in the group teardown
 * (or at exit, when a test failed in between).
 *
 * Checked so far: the fixture itself. A session on a host runs in that
 * host's netns and sees its interfaces (/sys/class/net, ip link) and not
 * the other host's; the wire ends are down, unaddressed, with IPv6 off,
 * like everything the fixture makes; a namespace a session adds appears in
 * the root netns (the agent's namespaces must be visible to `bypasslab
 * cleanup` there); bpffs is the machine's. A second fixture, with a
 * process left running in one of its hosts, leaves nothing once down.
 *
 * Tests of runs over the two hosts go into this file: they use H (its
 * dest[], ssh_options, wire[]) and call need_hosts() first.
 *
 * Under CI=true these tests never skip: a missing sshd is a failure.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <fcntl.h>
#include <net/if.h>
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
#include <sys/statfs.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "integ.h"
#include "sshhosts.h"
#include "shm.h"

static struct sshhosts H;
static int hosts_err = -EAGAIN; /* sshhosts_up's result; -EAGAIN: not tried */

/* Root, an sshd to run, and the fixture up; under CI=true nothing skips. */
static void need_hosts(void)
{
	need_root();
	if (access(SSHHOSTS_SSHD, X_OK)) {
		if (must_run())
			fail_msg("%s missing (openssh-server; harness/deps.sh installs it) and "
				 "CI=true forbids skipping",
				 SSHHOSTS_SSHD);
		skip();
	}
	if (hosts_err)
		fail_msg("the two hosts did not come up: %s (the line above from sshhosts says "
			 "what failed)",
			 strerror(-hosts_err));
}

static int setup_hosts(void **state)
{
	if (group_setup(state))
		return -1;
	if (geteuid() == 0 && !access(SSHHOSTS_SSHD, X_OK))
		hosts_err = sshhosts_up(&H);
	return 0;
}

static int teardown_hosts(void **state)
{
	/* cleanup first (integ.h's teardown): it brings back what a failed
	 * run left lent, the wire ends among it, while the hosts still exist. */
	int r = group_teardown(state);
	char what[2048];

	sshhosts_down(&H);
	if (sshhosts_leftovers(&H, what, sizeof(what))) {
		fprintf(stderr, "test_hosts: fixture %s left: %s\n", H.prefix, what);
		r = -1;
	}
	return r;
}

/* cmd on host over ssh must exit 0; its stdout, trailing newlines cut. */
static void ssh_ok(const struct sshhosts *h, int host, const char *cmd, char *out, size_t len)
{
	int rc = sshhosts_ssh(h, host, cmd, out, len);

	if (rc)
		fail_msg("`%s` on %s (%s) exited %d, stdout: %s", cmd, h->ns[host], h->dest[host], rc,
			 out ? out : "");
	for (size_t n = out ? strlen(out) : 0; n && out[n - 1] == '\n'; n--)
		out[n - 1] = 0;
}

static void test_hosts_fixture(void **state)
{
	char out[4096], cmd[256], want[64], mac[2][32], path[128];
	struct stat st;
	struct statfs sf;

	(void)state;
	need_hosts();
	for (int i = 0; i < 2; i++) {
		/* The session really runs inside host i. */
		snprintf(path, sizeof(path), "/run/netns/%s", H.ns[i]);
		assert_int_equal(stat(path, &st), 0);
		snprintf(want, sizeof(want), "net:[%lu]", (unsigned long)st.st_ino);
		ssh_ok(&H, i, "readlink /proc/self/ns/net", out, sizeof(out));
		if (strcmp(out, want))
			fail_msg("a session on %s runs in %s, the host is %s", H.ns[i], out, want);
		/* Its own interfaces, in sysfs too. */
		snprintf(cmd, sizeof(cmd), "cat /sys/class/net/%s/address", H.wire[i]);
		ssh_ok(&H, i, cmd, out, sizeof(out));
		if (strlen(out) != 17)
			fail_msg("%s on %s: no MAC: '%s'", H.wire[i], H.ns[i], out);
		snprintf(mac[i], sizeof(mac[i]), "%s", out);
		/* The wire end as the runs expect it: down, no address. */
		snprintf(cmd, sizeof(cmd), "ip -o link show dev %s; ip -o addr show dev %s", H.wire[i],
			 H.wire[i]);
		ssh_ok(&H, i, cmd, out, sizeof(out));
		if (!strstr(out, "state DOWN") || strstr(out, "inet"))
			fail_msg("%s on %s is not down and unaddressed: %s", H.wire[i], H.ns[i], out);
		/* No IPv6 anywhere in the host, nor on the root-side end. */
		ssh_ok(&H, i,
		       "cat /proc/sys/net/ipv6/conf/all/disable_ipv6 "
		       "/proc/sys/net/ipv6/conf/default/disable_ipv6; ip -6 -o addr show",
		       out, sizeof(out));
		if (strcmp(out, "1\n1"))
			fail_msg("IPv6 is on in %s: %s", H.ns[i], out);
		{
			char p[128], v[8] = "";
			FILE *f;

			snprintf(p, sizeof(p), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", H.root_if[i]);
			f = fopen(p, "r");
			assert_non_null(f);
			assert_non_null(fgets(v, sizeof(v), f));
			fclose(f);
			if (v[0] != '1')
				fail_msg("IPv6 is on on %s", H.root_if[i]);
		}
		if (strncmp(H.mgmt_ip[i], "198.19.", 7))
			fail_msg("management address %s is outside 198.19.0.0/16", H.mgmt_ip[i]);
	}
	if (!strcmp(mac[0], mac[1]))
		fail_msg("%s and %s have one MAC, %s", H.wire[0], H.wire[1], mac[0]);
	ssh_ok(&H, 0, "ip -o link show", out, sizeof(out));
	if (!strstr(out, H.wire[0]) || strstr(out, H.wire[1]))
		fail_msg("host A should list %s and not %s: %s", H.wire[0], H.wire[1], out);

	/* A namespace added in a session is the root's too, by name. */
	snprintf(cmd, sizeof(cmd), "ip netns add %sn && stat -L -c %%i /run/netns/%sn", H.prefix,
		 H.prefix);
	ssh_ok(&H, 0, cmd, out, sizeof(out));
	snprintf(path, sizeof(path), "/run/netns/%sn", H.prefix);
	assert_int_equal(stat(path, &st), 0);
	if (strtoul(out, NULL, 10) != (unsigned long)st.st_ino)
		fail_msg("%s is namespace %s in the session, inode %lu in the root ns", path, out,
			 (unsigned long)st.st_ino);
	snprintf(cmd, sizeof(cmd), "ip netns del %sn", H.prefix);
	ssh_ok(&H, 0, cmd, NULL, 0);
	if (!access(path, F_OK))
		fail_msg("%s deleted in a session is still in the root ns", path);

	/* bpffs, where mounted, is the machine's: pins are shared. */
	if (!statfs("/sys/fs/bpf", &sf) && sf.f_type == 0xcafe4a11 && !stat("/sys/fs/bpf", &st)) {
		snprintf(want, sizeof(want), "%lu:%lu", (unsigned long)st.st_dev,
			 (unsigned long)st.st_ino);
		ssh_ok(&H, 1, "stat -c %d:%i /sys/fs/bpf", out, sizeof(out));
		if (strcmp(out, want))
			fail_msg("/sys/fs/bpf on %s is %s, the machine's is %s", H.ns[1], out, want);
	}
}

/* A second fixture with a process left in a host (as an agent could be)
 * leaves nothing once down; down again, and on a zeroed struct, is
 * harmless; the first fixture still works. */
static void test_hosts_fixture_down(void **state)
{
	struct sshhosts h2, zero;
	char what[2048], out[256], pid[32];
	int n;

	(void)state;
	need_hosts();
	assert_int_equal(sshhosts_up(&h2), 0);
	assert_string_not_equal(h2.prefix, H.prefix);
	ssh_ok(&h2, 1, "setsid sleep 600 </dev/null >/dev/null 2>&1 & echo started", out,
	       sizeof(out));
	assert_string_equal(out, "started");
	/* What a live fixture has, the checker sees. */
	n = sshhosts_leftovers(&h2, what, sizeof(what));
	snprintf(pid, sizeof(pid), "pid %d ", (int)h2.sshd[1]);
	if (n != 1 || !strstr(what, h2.ns[0]) || !strstr(what, h2.root_if[1]) ||
	    !strstr(what, h2.dir) || !strstr(what, pid))
		fail_msg("a live fixture %s should show: %s", h2.prefix, what);
	sshhosts_down(&h2);
	if (sshhosts_leftovers(&h2, what, sizeof(what)))
		fail_msg("fixture %s left after down: %s", h2.prefix, what);
	sshhosts_down(&h2);
	memset(&zero, 0, sizeof(zero));
	sshhosts_down(&zero);
	assert_int_equal(sshhosts_leftovers(&zero, what, sizeof(what)), 0);
	for (int i = 0; i < 2; i++)
		ssh_ok(&H, i, "true", NULL, 0);
}

/* ---- topology = hosts over the fixture ------------------------------------ */

static char self_bin[PATH_MAX];
static char ssh_cfg_opt[320]; /* "-F FILE": the fixture's ssh options as a config file */

/* The fixture's options as an ssh_config file: a config line holds 198
 * characters, and so would a user's key path and options. */
static const char *ssh_opts(void)
{
	char path[300], text[2048];

	if (ssh_cfg_opt[0])
		return ssh_cfg_opt;
	snprintf(path, sizeof(path), "%s/ssh_config", tmpdir);
	snprintf(text, sizeof(text),
		 "Host *\n  IdentityFile %s/id\n  IdentitiesOnly yes\n  UserKnownHostsFile "
		 "%s/known_hosts\n  StrictHostKeyChecking accept-new\n  BatchMode yes\n"
		 "  ConnectTimeout 5\n  LogLevel ERROR\n",
		 H.dir, H.dir);
	write_file(path, text);
	snprintf(ssh_cfg_opt, sizeof(ssh_cfg_opt), "-F %s", path);
	return ssh_cfg_opt;
}

/* A hosts config over the fixture's wire: host b, its interface, the ssh
 * options, remote_bin and one more topology line may be replaced. */
struct hcfg {
	const char *datapath, *pattern;
	double duration;
	const char *host_b, *iface_b, *ssh_options, *remote_bin, *extra;
	const char *probes; /* NULL: aggregate */
};

static void hosts_cfg(const char *path, const struct hcfg *h)
{
	char text[8192];

	if (!self_bin[0] && !realpath(bin, self_bin))
		fail_msg("realpath %s: %s", bin, strerror(errno));
	snprintf(text, sizeof(text),
		 "[run]\nduration = %g\nwarmup = 0.3\n[workload]\npattern = %s\n"
		 "[topology]\ntopology = hosts\nhost_a = %s\nhost_b = %s\niface_a = %s\n"
		 "iface_b = %s\nssh_options = %s\nremote_bin = %s\n%s\n[datapath]\ndatapath = %s\n"
		 "[probes]\nprobes = %s\n",
		 h->duration > 0 ? h->duration : 1.0, h->pattern ? h->pattern : "throughput",
		 H.dest[0], h->host_b ? h->host_b : H.dest[1], H.wire[0],
		 h->iface_b ? h->iface_b : H.wire[1], h->ssh_options ? h->ssh_options : ssh_opts(),
		 h->remote_bin ? h->remote_bin : self_bin, h->extra ? h->extra : "",
		 h->datapath ? h->datapath : "udp", h->probes ? h->probes : "aggregate");
	write_file(path, text);
}

/* Names under /run/netns, /run/bypasslab and /dev/shm, and every process
 * running this binary as an agent: what a run may leave on either host
 * (both share this machine's). */
static void state_list(char *buf, size_t len)
{
	static const char *const dirs[] = { "/run/netns", "/run/bypasslab", "/dev/shm" };
	char cmd[PATH_MAX + 32], out[2048];

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.' && strncmp(de->d_name, H.prefix, strlen(H.prefix)))
				snprintf(buf + strlen(buf), len - strlen(buf), "%s/%s ", dirs[i],
					 de->d_name);
		if (d)
			closedir(d);
	}
	snprintf(cmd, sizeof(cmd), "pgrep -f '^%s agent' 2>/dev/null", self_bin);
	{
		FILE *f = popen(cmd, "r");
		size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;

		out[n] = 0;
		if (f)
			pclose(f);
		for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
			snprintf(buf + strlen(buf), len - strlen(buf), "agent:%s ", l);
	}
}

/* Both wire ends at home in their hosts, as the fixture made them: down,
 * no address. */
static int wires_home(void)
{
	char cmd[128], out[1024];

	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "ip -o link show dev %s 2>/dev/null && ip -o addr show dev %s", H.wire[i],
			 H.wire[i]);
		if (sshhosts_ssh(&H, i, cmd, out, sizeof(out)) || strstr(out, "state UP") ||
		    strstr(out, "inet"))
			return 0;
	}
	return 1;
}

/* Until the wires are home and no agent runs (after a kill, the agents
 * tear down when their ssh sessions end). */
static void wait_settled(const char *what)
{
	char now[4096];

	for (int i = 0; i < 300; i++) {
		struct timespec ts = { 0, 100000000 };

		state_list(now, sizeof(now));
		if (!strstr(now, "agent:") && wires_home())
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("%s: 30 s on, the hosts have not settled: %s, wires %s", what, now,
		 wires_home() ? "home" : "not home");
}

static void assert_state_is(const char *before, const char *what)
{
	char after[4096];

	state_list(after, sizeof(after));
	if (strcmp(before, after))
		fail_msg("%s left something: before '%s', after '%s'", what, before, after);
}

/* The window each side measured on its own clock against the harness's:
 * they may differ by no more than the two skew bounds the result states. */
static void check_window(json_t *r, const char *label)
{
	double w = num(r, "throughput.window_s") * 1e9;
	double bound = num(r, "topology.hosts.window_open_skew_bound_ns") +
		       num(r, "topology.hosts.window_close_skew_bound_ns") + 200e3;

	for (int i = 0; i < 2; i++) {
		double own = num(r, i ? "topology.hosts.b.window_ns_own_clock"
				      : "topology.hosts.a.window_ns_own_clock");

		print_message("%s: %c window %.0f ns on its clock, %.0f on the harness's, bound "
			      "%.0f ns\n",
			      label, 'a' + i, own, w, bound);
		if (fabs(own - w) > bound)
			fail_msg("%s: %c's window %.0f ns vs the harness's %.0f: more apart than the "
				 "skew bounds %.0f ns",
				 label, 'a' + i, own, w, bound);
	}
}

/* Each host's breakdown: one core per side, that host's, and its probes'
 * busy time within 10 % of what /proc/stat there says of the core; and
 * each host's sampling judge on its core, compared with its breakdown. */
static void check_attr(json_t *r, const char *label)
{
	json_t *attr = json_object_get(r, "attribution");
	json_t *cores = json_object_get(attr, "cores");
	json_t *sc = json_object_get(json_object_get(attr, "sample"), "cores");

	if (json_array_size(sc) != 2 || json_array_size(json_object_get(attr, "agreement")) != 2)
		fail_msg("%s: %zu sampled cores and %zu agreements, want one of each per host",
			 label, json_array_size(sc),
			 json_array_size(json_object_get(attr, "agreement")));
	for (int i = 0; i < 2; i++) {
		json_t *c = json_array_get(sc, (size_t)i);
		const char *host = json_string_value(json_object_get(c, "host"));

		if (!host || strcmp(host, H.dest[i]) ||
		    json_integer_value(json_object_get(c, "samples")) <= 0)
			fail_msg("%s: sampled core %d: host '%s', %lld samples", label, i,
				 host ? host : "?",
				 (long long)json_integer_value(json_object_get(c, "samples")));
	}

	if (json_array_size(cores) != 2)
		fail_msg("%s: %zu attribution cores, want one per host", label,
			 json_array_size(cores));
	for (int i = 0; i < 2; i++) {
		json_t *c = json_array_get(cores, (size_t)i);
		const char *host = json_string_value(json_object_get(c, "host"));
		double cl = json_number_value(json_object_get(c, "closure_pct"));

		if (!host || strcmp(host, H.dest[i]))
			fail_msg("%s: core %d is from '%s', want %s", label, i, host ? host : "?",
				 H.dest[i]);
		print_message("%s: core %d on %s: closure %.1f %%\n", label, i, host, cl);
		if (fabs(cl - 100.0) > 10.0)
			fail_msg("%s: core %d on %s: the probes account for %.1f %% of the busy "
				 "time /proc/stat counts there (tolerance 10 %%)",
				 label, i, host, cl);
	}
}

/* udp, mmsg, packet and xdp, both patterns, across the two hosts: every
 * case ok, every lost packet located on one side or the other, RTT
 * ordered, both attributions (and both samplers) there, the breakdowns
 * agreeing with their hosts' clocks,
 * the windows within their skew bounds, this version on both; and
 * afterwards nothing left on either host, the wires home. */
static void test_hosts_run(void **state)
{
	char cfg[512], before[4096], prefix[32] = "", label[96];
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, NULL };
	const struct hcfg h = { .datapath = "udp, mmsg, packet, xdp",
				.pattern = "throughput, pingpong",
				.probes = "both" };
	json_t *list, *r;
	size_t i;
	int rc;

	(void)state;
	need_hosts();
	snprintf(cfg, sizeof(cfg), "%s/run.ini", tmpdir);
	hosts_cfg(cfg, &h);
	state_list(before, sizeof(before));
	list = run_json(args, &rc, prefix, sizeof(prefix));
	assert_int_equal(rc, 0);
	assert_int_equal(json_array_size(list), 8);
	json_array_foreach(list, i, r) {
		snprintf(label, sizeof(label), "%s %s", str(r, "params.datapath"),
			 str(r, "params.pattern"));
		if (strcmp(str(r, "status"), "ok"))
			fail_msg("%s: %s", label, str(r, "error"));
		check_located(r, label);
		if (!strcmp(str(r, "params.pattern"), "pingpong"))
			check_rtt_ordered(r, label);
		else if (num(r, "throughput.rx_pkts") <= 0)
			fail_msg("%s: nothing crossed the wire", label);
		for (int s = 0; s < 2; s++)
			if (strcmp(str(r, s ? "topology.hosts.b.version" : "topology.hosts.a.version"),
				   str(r, "machine.bypasslab_version")))
				fail_msg("%s: host %c runs another version", label, 'a' + s);
		check_window(r, label);
		check_attr(r, label);
		/* The fixture's hosts share this machine's kernel, and the result
		 * must say what that does to the breakdowns. */
		if (!json_is_true(json_object_get(json_object_get(json_object_get(r, "topology"),
								   "hosts"),
						  "same_kernel")))
			fail_msg("%s: both hosts run this kernel, and same_kernel is not true",
				 label);
	}
	json_decref(list);
	wait_settled("after a run");
	assert_no_leftovers(prefix);
	assert_state_is(before, "a run");
}

/* usdt = yes on both hosts: each agent's burst probes count exactly the
 * packets its endpoint's own counters say it moved (sender: sent,
 * receiver: received; both since before the first burst). */
static void test_hosts_usdt(void **state)
{
	char cfg[512], prefix[32] = "";
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, NULL };
	const struct hcfg h = { .datapath = "udp, xdp", .probes = "off",
				.extra = "" };
	json_t *list, *r;
	size_t i;
	int rc;

	(void)state;
	need_hosts();
	snprintf(cfg, sizeof(cfg), "%s/usdt.ini", tmpdir);
	hosts_cfg(cfg, &h);
	{
		FILE *f = fopen(cfg, "a");

		assert_non_null(f);
		fputs("usdt = yes\n", f);
		fclose(f);
	}
	list = run_json(args, &rc, prefix, sizeof(prefix));
	assert_int_equal(rc, 0);
	json_array_foreach(list, i, r) {
		double a = num(r, "endpoints.a.usdt_bursts.tx.packets");
		double b = num(r, "endpoints.b.usdt_bursts.rx.packets");

		print_message("%s: usdt a tx %.0f (endpoint %.0f), b rx %.0f (endpoint %.0f)\n",
			      str(r, "params.datapath"), a, num(r, "endpoints.a.total.tx_pkts"), b,
			      num(r, "endpoints.b.total.rx_pkts"));
		if (a <= 0 || a != num(r, "endpoints.a.total.tx_pkts") ||
		    b != num(r, "endpoints.b.total.rx_pkts"))
			fail_msg("%s: the burst probes and the endpoints disagree",
				 str(r, "params.datapath"));
	}
	json_decref(list);
	assert_no_leftovers(prefix);
}

/* The endpoint state word of a page in /dev/shm, -1 if unreadable. */
static int page_state(const char *name)
{
	char path[300];
	uint32_t st;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = pread(fd, &st, sizeof(st), offsetof(struct ep_shm, state));
	close(fd);
	return n == (ssize_t)sizeof(st) ? (int)st : -1;
}

/* Both agents' endpoints (the pages that were not there before) running. */
static int wait_running(const char *before)
{
	for (int i = 0; i < 900; i++) {
		struct timespec ts = { 0, 50000000 };
		char now[4096];
		int n = 0;

		state_list(now, sizeof(now));
		for (char *p = strstr(now, "/dev/shm/"); p; p = strstr(p + 1, "/dev/shm/")) {
			char name[64];

			sscanf(p + 9, "%63s", name);
			n += !strstr(before, name) && page_state(name) == EP_ST_RUNNING;
		}
		if (n >= 2)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static pid_t start_hosts_bg(const char *name, char *before, size_t blen)
{
	char cfg[512], res[512];
	const struct hcfg h = { .datapath = "xdp", .duration = 4 };

	snprintf(cfg, sizeof(cfg), "%s/%s.ini", tmpdir, name);
	snprintf(res, sizeof(res), "%s/%s-results", tmpdir, name);
	hosts_cfg(cfg, &h);
	state_list(before, blen);
	return start_bg(cfg, res);
}

static void into_window(pid_t pid, const char *before)
{
	struct timespec ts = { 0, 800000000 }; /* warm-up 0.3 s, then into the window */

	if (!wait_running(before)) {
		kill(pid, SIGKILL);
		fail_msg("the endpoints never ran on the hosts");
	}
	nanosleep(&ts, NULL);
}

/* SIGINT mid-window: the harness tells both agents to tear down, exits
 * 130, and nothing is left on either host. */
static void test_hosts_sigint(void **state)
{
	char before[4096];
	pid_t pid;
	int st;

	(void)state;
	need_hosts();
	pid = start_hosts_bg("int", before, sizeof(before));
	into_window(pid, before);
	kill(pid, SIGINT);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	wait_settled("after SIGINT");
	assert_state_is(before, "SIGINT");
}

/* SIGKILL of the harness mid-window: each agent sees its ssh session end
 * and tears its side down by itself; `bypasslab cleanup` is needed only
 * for the harness's own ledger here. */
static void test_hosts_sigkill(void **state)
{
	const char *args[] = { bin, "cleanup", NULL };
	char before[4096];
	pid_t pid;

	(void)state;
	need_hosts();
	pid = start_hosts_bg("kill", before, sizeof(before));
	into_window(pid, before);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	wait_settled("after SIGKILL of the harness");
	assert_int_equal(run_bin(NULL, args), 0);
	assert_state_is(before, "SIGKILL of the harness");
}

/* The pid of the agent running in host i's namespace. */
static pid_t agent_on(int host)
{
	char cmd[PATH_MAX + 64], out[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "pgrep -f '^%s agent'", self_bin);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(out, sizeof(out), f)) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%ld/ns/net", strtol(out, NULL, 10));
		if (!stat(path, &st) && (unsigned long)st.st_ino == H.ns_ino[host]) {
			pclose(f);
			return (pid_t)strtol(out, NULL, 10);
		}
	}
	pclose(f);
	return -1;
}

/* The background run `name` failed its case with an error naming host. */
static void check_failed_naming(const char *name, const char *host)
{
	char path[600], out[8192];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-results.out", tmpdir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	if (!strstr(out, "case 1 failed") || !strstr(out, host))
		fail_msg("the case should fail naming host %s: %s", host, out);
	print_message("%s", strstr(out, "case 1 failed"));
}

/* SIGKILL of host b's agent mid-window: its endpoint dies with it, the
 * harness fails the case naming the host and ends; b's interface stays
 * lent until `bypasslab cleanup --host` runs there. */
static void test_hosts_agent_killed(void **state)
{
	char before[4096], opts[600];
	const char *args[] = { bin, "cleanup", "--host", H.dest[1], "--ssh-options", opts,
			       "--remote-bin", self_bin, NULL };
	pid_t pid, agent;
	int st;

	(void)state;
	need_hosts();
	snprintf(opts, sizeof(opts), "%s", H.ssh_options);
	pid = start_hosts_bg("agentkill", before, sizeof(before));
	into_window(pid, before);
	agent = agent_on(1);
	assert_true(agent > 0);
	kill(agent, SIGKILL);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	check_failed_naming("agentkill", H.dest[1]);
	assert_false(wires_home());
	assert_int_equal(run_bin(NULL, args), 0);
	wait_settled("after cleanup --host");
	{
		const char *local[] = { bin, "cleanup", NULL };

		assert_int_equal(run_bin(NULL, local), 0);
	}
	assert_state_is(before, "a killed agent and cleanup --host");
}

/* Host b's network gone mid-window (its management link down): ssh gives
 * up on it within 15 s and the harness fails the case naming the host;
 * the agent there, hearing nothing for 10 s while its endpoint runs,
 * tears its side down by itself. */
static void test_hosts_network_lost(void **state)
{
	char before[4096], cmd[128];
	pid_t pid;
	int st;

	(void)state;
	need_hosts();
	pid = start_hosts_bg("netlost", before, sizeof(before));
	into_window(pid, before);
	snprintf(cmd, sizeof(cmd), "ip link set dev %s down", H.root_if[1]);
	assert_int_equal(system(cmd), 0);
	waitpid(pid, &st, 0);
	snprintf(cmd, sizeof(cmd), "ip link set dev %s up", H.root_if[1]);
	assert_int_equal(system(cmd), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	check_failed_naming("netlost", H.dest[1]);
	wait_settled("after host b's network was lost");
	{
		const char *local[] = { bin, "cleanup", NULL };

		assert_int_equal(run_bin(NULL, local), 0);
	}
	assert_state_is(before, "a lost network");
}

/* run on cfg: exit code and stderr's one line; nothing may be created. */
static int run_refused(const char *cfg, char *line, size_t len)
{
	char res[600];
	const char *args[] = { bin, "run", cfg, "--results", res, NULL };
	int rc;

	snprintf(res, sizeof(res), "%s/refused-results", tmpdir);
	rc = run_one_line(args, line, len);
	if (!access(res, F_OK))
		fail_msg("a refused run created %s", res);
	return rc;
}

static void expect_hosts_refused(const struct hcfg *h, const char *key, const char *what)
{
	char cfg[512], line[1024], before[4096], want[64];

	snprintf(cfg, sizeof(cfg), "%s/refused.ini", tmpdir);
	hosts_cfg(cfg, h);
	state_list(before, sizeof(before));
	if (run_refused(cfg, line, sizeof(line)) != 2)
		fail_msg("exit code not 2 for '%s': %s", what, line);
	snprintf(want, sizeof(want), "key '%s'", key);
	if (!strstr(line, want) || !strstr(line, what))
		fail_msg("want %s and '%s' in: %s", want, what, line);
	print_message("refused: %s", line);
	assert_state_is(before, what);
}

/* Bad input, each one line, exit 2, nothing made on either host: a host
 * nobody answers on, refused authentication, no bypasslab there, another
 * version there, a missing interface, one carrying the default route. */
static void test_hosts_refused(void **state)
{
	char unreachable[64], noauth[640], fake[600], fakebin[600], cmd[128];

	(void)state;
	need_hosts();
	/* The root end of a's management link: this machine, port 22 closed. */
	snprintf(unreachable, sizeof(unreachable), "root@%s", H.root_ip[0]);
	expect_hosts_refused(&(struct hcfg){ .host_b = unreachable }, "host_b",
			     "Connection refused");
	snprintf(noauth, sizeof(noauth), "%s -o PubkeyAuthentication=no", ssh_opts());
	expect_hosts_refused(&(struct hcfg){ .ssh_options = noauth }, "host_a",
			     "authentication refused");
	expect_hosts_refused(&(struct hcfg){ .remote_bin = "/nonexistent/bypasslab" }, "host_a",
			     "no '/nonexistent/bypasslab' there");
	/* An agent of another version: its hello is all it says. */
	snprintf(fakebin, sizeof(fakebin), "%s/fakebl", tmpdir);
	snprintf(fake, sizeof(fake),
		 "#!/bin/sh\nprintf '{\"v\":1,\"t\":\"hello\",\"version\":\"0.0-other\","
		 "\"proto\":1,\"host\":\"x\"}\\n'\ncat >/dev/null\n");
	write_file(fakebin, fake);
	assert_int_equal(chmod(fakebin, 0755), 0);
	expect_hosts_refused(&(struct hcfg){ .remote_bin = fakebin }, "host_a",
			     "bypasslab 0.0-other there");
	expect_hosts_refused(&(struct hcfg){ .iface_b = "nosuch0" }, "iface_b", "does not exist");
	snprintf(cmd, sizeof(cmd), "ip link set %s up && ip route add default dev %s", H.wire[1],
		 H.wire[1]);
	ssh_ok(&H, 1, cmd, NULL, 0);
	expect_hosts_refused(&(struct hcfg){ 0 }, "iface_b", "carries the default route");
	snprintf(cmd, sizeof(cmd), "ip route del default dev %s; ip link set %s down", H.wire[1],
		 H.wire[1]);
	ssh_ok(&H, 1, cmd, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts_fixture),
		cmocka_unit_test(test_hosts_fixture_down),
		cmocka_unit_test(test_hosts_run),
		cmocka_unit_test(test_hosts_usdt),
		cmocka_unit_test(test_hosts_sigint),
		cmocka_unit_test(test_hosts_sigkill),
		cmocka_unit_test(test_hosts_agent_killed),
		cmocka_unit_test(test_hosts_network_lost),
		cmocka_unit_test(test_hosts_refused),
	};

	return cmocka_run_group_tests_name("hosts", tests, setup_hosts, teardown_hosts);
}
