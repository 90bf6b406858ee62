// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of topology = iface: real runs of ./bypasslab as root
 * over two existing interfaces. This machine has no NIC pair, so the test
 * makes its own veth pair in the root netns ("ti<6 hex>a"/"...b", a
 * per-run prefix that `bypasslab cleanup` never sweeps) and lends its two
 * ends as iface_a/iface_b. Before any run one end gets an address in
 * 198.18.1.0/24, MTU 1400 and IPv6 off, the other an address in the IPv6
 * benchmarking range 2001:2::/48 and is left down (so it never sends), so
 * that every restored property is one that differs from what the run sets.
 *
 * Checked: udp and xdp, throughput and ping-pong through them (every lost
 * packet located, interface counters equal to the endpoints', RTT ordered,
 * what result.json says about the interfaces, the AF_XDP bind the kernel
 * granted); the interfaces back in the root netns as they were after a
 * run, after SIGINT, after SIGKILL + `bypasslab cleanup` (and not before:
 * a cleanup from another netns must refuse and keep them reachable), and after SIGKILL + a lost
 * state file (the orphaned restore record alone brings them back); bad
 * input exits 2 with one line and creates nothing, including an interface
 * another live run holds; nothing of any run is left. The veth pair is
 * deleted at the end even when a test failed.
 *
 * Under CI=true these tests never skip: a missing feature is a failure.
 */
#include <dirent.h>
#include <errno.h>
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
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "integ.h"

static char if_a[16], if_b[16], if_br[16], if_ns[16];

/* What the test compares before and after: all of it set by hand. */
struct if_snap {
	int present; /* in the test's (root) netns */
	unsigned int mtu;
	int up;
	int ipv6_off;
	char mac[18];
	char addrs[256]; /* "inet 198.18.1.5/24 " ..., link-local IPv6 left out */
};

static struct if_snap orig_a, orig_b;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void snap(const char *name, struct if_snap *s)
{
	char cmd[128], buf[8192], path[128];
	json_t *j, *o, *a;
	size_t n, i;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->ipv6_off = -1;
	if (!if_nametoindex(name))
		return;
	snprintf(cmd, sizeof(cmd), "ip -j addr show dev %s", name);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	pclose(f);
	buf[n] = 0;
	j = json_loads(buf, 0, NULL);
	o = json_array_get(j, 0);
	if (!o) {
		json_decref(j);
		return;
	}
	s->present = 1;
	s->mtu = (unsigned int)json_integer_value(json_object_get(o, "mtu"));
	json_array_foreach(json_object_get(o, "flags"), i, a)
		s->up |= !strcmp(json_string_value(a), "UP");
	snprintf(s->mac, sizeof(s->mac), "%s", json_string_value(json_object_get(o, "address")));
	json_array_foreach(json_object_get(o, "addr_info"), i, a) {
		const char *scope = json_string_value(json_object_get(a, "scope"));

		if (!strcmp(json_string_value(json_object_get(a, "family")), "inet6") && scope &&
		    !strcmp(scope, "link"))
			continue;
		snprintf(s->addrs + strlen(s->addrs), sizeof(s->addrs) - strlen(s->addrs),
			 "%s %s/%d ", json_string_value(json_object_get(a, "family")),
			 json_string_value(json_object_get(a, "local")),
			 (int)json_integer_value(json_object_get(a, "prefixlen")));
	}
	json_decref(j);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &s->ipv6_off) != 1)
			s->ipv6_off = -1;
		fclose(f);
	}
}

/* Both interfaces back in the root netns exactly as they were. */
static void check_restored(const char *when)
{
	const struct if_snap *orig[2] = { &orig_a, &orig_b };
	const char *names[2] = { if_a, if_b };

	for (int i = 0; i < 2; i++) {
		struct if_snap now;

		snap(names[i], &now);
		if (!now.present)
			fail_msg("%s: %s is not back in the root netns", when, names[i]);
		if (now.mtu != orig[i]->mtu || now.up != orig[i]->up ||
		    now.ipv6_off != orig[i]->ipv6_off || strcmp(now.mac, orig[i]->mac) ||
		    strcmp(now.addrs, orig[i]->addrs))
			fail_msg("%s: %s came back as mtu %u up %d ipv6_off %d mac %s addrs '%s', was "
				 "mtu %u up %d ipv6_off %d mac %s addrs '%s'",
				 when, names[i], now.mtu, now.up, now.ipv6_off, now.mac, now.addrs,
				 orig[i]->mtu, orig[i]->up, orig[i]->ipv6_off, orig[i]->mac,
				 orig[i]->addrs);
	}
}

static int setup_pair(void **state)
{
	uint8_t r[3];

	if (group_setup(state))
		return -1;
	if (geteuid() != 0)
		return 0; /* each test skips (or fails under CI) */
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	snprintf(if_a, sizeof(if_a), "ti%02x%02x%02xa", r[0], r[1], r[2]);
	snprintf(if_b, sizeof(if_b), "ti%02x%02x%02xb", r[0], r[1], r[2]);
	snprintf(if_br, sizeof(if_br), "ti%02x%02x%02xbr", r[0], r[1], r[2]);
	snprintf(if_ns, sizeof(if_ns), "ti%02x%02x%02xns", r[0], r[1], r[2]);
	if (sh("ip link add %s mtu 1400 type veth peer name %s", if_a, if_b) ||
	    sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", if_a) ||
	    sh("ip addr add 198.18.1.5/24 dev %s", if_a) || sh("ip link set %s up", if_a) ||
	    sh("ip -6 addr add 2001:2::5/64 dev %s", if_b))
		return -1;
	snap(if_a, &orig_a);
	snap(if_b, &orig_b);
	if (!orig_a.present || !orig_b.present || !orig_a.up || orig_b.up ||
	    !strstr(orig_b.addrs, "2001:2::5/64"))
		return -1;
	return 0;
}

static int teardown_pair(void **state)
{
	/* cleanup first: it brings back whatever a failed test left lent. */
	int r = group_teardown(state);

	if (if_a[0]) {
		sh("ip link delete %s 2>/dev/null", if_br);
		sh("ip netns delete %s 2>/dev/null", if_ns);
		sh("ip link delete %s 2>/dev/null", if_a);
		sh("ip link delete %.9sx 2>/dev/null", if_a);
		if (if_nametoindex(if_a) || if_nametoindex(if_b))
			r = -1;
	}
	return r;
}

/* A config over the lent pair: workload and topology lines added to their
 * sections (each section appears once), then rest ([datapath], [probes]). */
static void write_cfg(const char *path, int duration_s, const char *workload, const char *topo,
		      const char *rest)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "[run]\nduration = %d\nwarmup = 0.3\n"
		 "[workload]\nsize = 64\nburst = 32\ntimeout_us = 200000\n%s"
		 "[topology]\ntopology = iface\niface_a = %s\niface_b = %s\n%s%s",
		 duration_s, workload ? workload : "", if_a, if_b, topo ? topo : "",
		 rest ? rest : "");
	write_file(path, text);
}

static void check_iface_result(json_t *r)
{
	const char *label = json_string_value(json_object_get(r, "case_dir"));
	const char *dp = str(r, "params.datapath");
	int pp = !strcmp(str(r, "params.pattern"), "pingpong");
	double tx = num(r, "endpoints.a.total.tx_pkts");
	double rx = pp ? num(r, "endpoints.a.total.rx_pkts") : num(r, "endpoints.b.total.rx_pkts");
	double iftx = num(r, "reconcile.if_tx_vs_endpoint_pct");
	char key[64];

	if (strcmp(str(r, "status"), "ok"))
		fail_msg("%s: status %s: %s", label, str(r, "status"),
			 json_string_value(json_object_get(r, "error")));
	assert_true(rx > 0);
	if (rx > tx)
		fail_msg("%s: rx %.0f > tx %.0f", label, rx, tx);
	check_located(r, label);
	if (iftx > 0.1 || iftx < -0.1)
		fail_msg("%s: interface tx differs from endpoint tx by %.3f%%", label, iftx);
	if (pp)
		check_rtt_ordered(r, label);
	/* What the result says about the lent interfaces. */
	assert_string_equal(str(r, "topology.kind"), "iface");
	assert_string_equal(str(r, "topology.a_if.name"), if_a);
	assert_string_equal(str(r, "topology.b_if.name"), if_b);
	assert_string_equal(str(r, "topology.a_if.kind"), "veth");
	assert_string_equal(str(r, "topology.a_if.driver"), "veth");
	assert_string_equal(str(r, "topology.a_if.mac"), orig_a.mac);
	assert_string_equal(str(r, "topology.b_if.mac"), orig_b.mac);
	assert_string_equal(str(r, "topology.b_mac"), orig_b.mac);
	assert_string_equal(str(r, "topology.b_mac_source"), "interface");
	assert_string_equal(str(r, "topology.a_ip"), "198.18.0.1");
	/* The counters are the lent interfaces' own, under their names. */
	snprintf(key, sizeof(key), "a.%s", if_a);
	assert_non_null(json_object_get(json_object_get(r, "interfaces"), key));
	if (!strcmp(dp, "xdp")) {
		const char *info = str(r, "endpoints.b.dp_info");

		/* veth refuses zero-copy: the bind the kernel granted is copy,
		 * and the result says why. */
		if (!strstr(info, "bind=copy") || !strstr(info, "zero-copy: EOPNOTSUPP on veth"))
			fail_msg("%s: xdp bind not reported as granted: %s", label, info);
	}
}

/* udp and xdp, both patterns, through the lent veths; then the veths are
 * back as they were. */
static void test_udp_xdp(void **state)
{
	char cfg[512], prefix[32] = "";
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, "--probes", "off",
			       NULL };
	json_t *list, *r;
	size_t i;
	int rc;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/iface.ini", tmpdir);
	write_cfg(cfg, 1, "pattern = throughput, pingpong\n", NULL,
		  "[datapath]\ndatapath = udp, xdp\n");
	list = run_json(args, &rc, prefix, sizeof(prefix));
	assert_int_equal(json_array_size(list), 4);
	json_array_foreach(list, i, r)
		check_iface_result(r);
	json_decref(list);
	assert_int_equal(rc, 0);
	assert_no_leftovers(prefix);
	check_restored("after a run");
}

/* The prefix of the run that holds our interfaces, once it does. */
static int wait_lent(char *prefix, size_t len)
{
	for (int i = 0; i < 300; i++) {
		struct timespec ts = { 0, 20000000 };
		DIR *d = opendir("/run/bypasslab");
		struct dirent *e;
		int found = 0;

		while (d && (e = readdir(d)))
			if (strstr(e->d_name, "-if-b.iface")) {
				snprintf(prefix, len, "%.8s", e->d_name);
				found = 1;
			}
		if (d)
			closedir(d);
		if (found && !if_nametoindex(if_a) && !if_nametoindex(if_b))
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void kill_mid_window(const char *name, char *prefix, size_t plen)
{
	char cfg[512], res[512];
	pid_t pid;
	int st;

	snprintf(cfg, sizeof(cfg), "%s/%s.ini", tmpdir, name);
	snprintf(res, sizeof(res), "%s/%s-results", tmpdir, name);
	write_cfg(cfg, 3, NULL, NULL, "[probes]\nprobes = off\n");
	pid = start_bg(cfg, res);
	if (!wait_lent(prefix, plen))
		fail_msg("the run never took %s and %s", if_a, if_b);
	{
		struct timespec ts = { 0, 800000000 }; /* into the window */

		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	{
		struct timespec ts = { 0, 200000000 }; /* endpoints die with their parent */

		nanosleep(&ts, NULL);
	}
	/* Still lent: only the cleanup can bring them back. */
	assert_false(if_nametoindex(if_a) || if_nametoindex(if_b));
}

/* SIGINT mid-window: the run tears down as after any case, exits 130, and
 * the interfaces are back. */
static void test_sigint(void **state)
{
	char cfg[512], res[512], prefix[32] = "";
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/int.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/int-results", tmpdir);
	write_cfg(cfg, 3, NULL, NULL, "[probes]\nprobes = off\n");
	pid = start_bg(cfg, res);
	if (!wait_lent(prefix, sizeof(prefix)))
		fail_msg("the run never took %s and %s", if_a, if_b);
	{
		struct timespec ts = { 0, 800000000 }; /* into the window */

		nanosleep(&ts, NULL);
	}
	kill(pid, SIGINT);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	check_restored("after SIGINT");
	assert_no_leftovers(prefix);
}

/* SIGKILL mid-window, then `bypasslab cleanup`: the ledger's restore
 * records bring the interfaces back before the namespaces go. A cleanup
 * run from another netns cannot return them to theirs (it has no name):
 * it must fail and keep the namespaces that hold them. */
static void test_kill_then_cleanup(void **state)
{
	const char *args[] = { bin, "cleanup", NULL };
	char prefix[32] = "", path[128];

	(void)state;
	need_root();
	kill_mid_window("kill", prefix, sizeof(prefix));
	assert_int_equal(sh("ip netns add %s", if_ns), 0);
	assert_int_not_equal(sh("ip netns exec %s %s cleanup 2>/dev/null", if_ns, bin), 0);
	assert_int_equal(sh("ip netns delete %s", if_ns), 0);
	snprintf(path, sizeof(path), "/run/netns/%s-a", prefix);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "/run/bypasslab/%s-if-a.iface", prefix);
	assert_int_equal(access(path, F_OK), 0);
	assert_false(if_nametoindex(if_a) || if_nametoindex(if_b));
	assert_int_equal(run_bin(NULL, args), 0);
	check_restored("after SIGKILL and cleanup");
	assert_no_leftovers(prefix);
}

/* SIGKILL, and the state file is lost too: the orphaned restore records
 * are found by themselves. Meanwhile a's interface has left the run's
 * namespace under another name, as a NIC does when its namespace is
 * deleted and its name is taken: it is found by its MAC and renamed. */
static void test_kill_orphan_record(void **state)
{
	const char *args[] = { bin, "cleanup", NULL };
	char prefix[32] = "", path[128], moved[16];

	(void)state;
	need_root();
	kill_mid_window("orphan", prefix, sizeof(prefix));
	snprintf(moved, sizeof(moved), "%.9sx", if_a);
	assert_int_equal(sh("ip -n %s-a link set dev %s netns %d", prefix, if_a, (int)getpid()), 0);
	assert_int_equal(sh("ip link set dev %s name %s", if_a, moved), 0);
	snprintf(path, sizeof(path), "/run/bypasslab/%s.state", prefix);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(run_bin(NULL, args), 0);
	check_restored("after SIGKILL, a lost state file and cleanup");
	assert_no_leftovers(prefix);
}

/* Exit code and first stderr line of `run` on text; the line must be the
 * only one. */
static int run_bad(const char *text, char *line, size_t len)
{
	char cfg[512], res[512];
	const char *args[] = { bin, "run", cfg, "--results", res, NULL };
	int rc;

	snprintf(cfg, sizeof(cfg), "%s/bad.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/bad-results", tmpdir);
	write_file(cfg, text);
	rc = run_one_line(args, line, len);
	if (!access(res, F_OK))
		fail_msg("a refused run created %s", res);
	return rc;
}

static void expect_refused(const char *text, const char *key, const char *what)
{
	char line[1024], want[64];

	assert_int_equal(run_bad(text, line, sizeof(line)), 2);
	snprintf(want, sizeof(want), "key '%s'", key);
	if (!strstr(line, "bad.ini") || !strstr(line, want) || !strstr(line, what))
		fail_msg("expected \"bad.ini ... %s ... %s\", got: %s", want, what, line);
}

static void test_bad_input(void **state)
{
	char t[1024], ghost[20];
	const char *head = "[topology]\ntopology = iface\n";

	(void)state;
	need_root();
	snprintf(ghost, sizeof(ghost), "%.9snone", if_a);
	snprintf(t, sizeof(t), "%siface_a = %s\n", head, if_a);
	expect_refused(t, "topology", "needs iface_a and iface_b");
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\n", head, if_a, if_a);
	expect_refused(t, "iface_b", "is iface_a too");
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\n", head, if_a, ghost);
	expect_refused(t, "iface_b", "does not exist");
	snprintf(t, sizeof(t), "[topology]\ntopology = direct\niface_a = %s\n", if_a);
	expect_refused(t, "iface_a", "only topology=iface");
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\npairs = 2\n", head, if_a, if_b);
	expect_refused(t, "pairs", "pairs=1");
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\ncontainer = lxc\n", head, if_a, if_b);
	expect_refused(t, "container", "container=netns");
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\nip_a = 10.1.2.3\n", head, if_a, if_b);
	expect_refused(t, "ip_a", "198.18.0.0/15");
	/* keep: a's own 198.18.1.5/24 is not in b's default subnet. */
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\nip_a = keep\n", head, if_a, if_b);
	expect_refused(t, "ip_a", "not two addresses of one subnet");
	/* b has no address to keep. */
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\nip_b = keep\n", head, if_a, if_b);
	expect_refused(t, "ip_b", "no IPv4 address");
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\nmac_b = ff:ff:ff:ff:ff:ff\n", head,
		 if_a, if_b);
	expect_refused(t, "mac_b", "unicast MAC");
	snprintf(t, sizeof(t), "%siface_a = lo\niface_b = %s\n", head, if_b);
	expect_refused(t, "iface_a", "loopback");
	/* A bridge port, and the bridge itself. */
	assert_int_equal(sh("ip link add %s type bridge && ip link set %s master %s", if_br, if_b,
			    if_br), 0);
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\n", head, if_a, if_b);
	expect_refused(t, "iface_b", "enslaved");
	snprintf(t, sizeof(t), "%siface_a = %s\niface_b = %s\n", head, if_a, if_br);
	expect_refused(t, "iface_b", "is a bridge");
	assert_int_equal(sh("ip link delete %s", if_br), 0);
	check_restored("after refused runs");
}

/* The interface that carries this host's default route is refused. */
static void test_default_route_refused(void **state)
{
	char dev[64] = "", t[512];
	FILE *f;

	(void)state;
	need_root();
	f = popen("ip -4 route show default | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -1",
		  "r");
	assert_non_null(f);
	if (!fgets(dev, sizeof(dev), f))
		dev[0] = 0;
	pclose(f);
	dev[strcspn(dev, "\n")] = 0;
	if (!dev[0]) {
		print_message("this host has no IPv4 default route: nothing to refuse\n");
		skip();
	}
	snprintf(t, sizeof(t), "[topology]\ntopology = iface\niface_a = %s\niface_b = %s\n", dev,
		 if_b);
	expect_refused(t, "iface_a", "carries the default route");
}

/* While a run holds the interfaces, a second run asking for them is
 * refused naming the first; the first (with mac_b given) runs to its end. */
static void test_in_use(void **state)
{
	char cfg[512], res[512], line[1024], prefix[32] = "", t[512], dir[1024], path[1200];
	json_error_t je;
	json_t *r;
	pid_t pid;
	int st;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/hold.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/hold-results", tmpdir);
	snprintf(t, sizeof(t), "mac_b = %s\nip_a = 198.18.0.9/28\nip_b = 198.18.0.10\n",
		 orig_b.mac);
	write_cfg(cfg, 2, NULL, t, "[probes]\nprobes = off\n");
	pid = start_bg(cfg, res);
	if (!wait_lent(prefix, sizeof(prefix)))
		fail_msg("the run never took %s and %s", if_a, if_b);
	snprintf(t, sizeof(t), "[topology]\ntopology = iface\niface_a = %s\niface_b = %s\n", if_a,
		 if_b);
	assert_int_equal(run_bad(t, line, sizeof(line)), 2);
	if (!strstr(line, "key 'iface_a'") || !strstr(line, "in use by run") ||
	    !strstr(line, prefix))
		fail_msg("expected iface_a in use by run %s, got: %s", prefix, line);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	snprintf(dir, sizeof(dir), "%s", res);
	{
		DIR *d = opendir(res);
		struct dirent *e;

		assert_non_null(d);
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && !strchr(e->d_name, '.'))
				snprintf(dir, sizeof(dir), "%s/%s", res, e->d_name);
		closedir(d);
	}
	snprintf(path, sizeof(path), "%s/001-udp-iface-throughput-64-r1/result.json", dir);
	r = json_load_file(path, 0, &je);
	if (!r)
		fail_msg("%s: %s", path, je.text);
	assert_string_equal(str(r, "status"), "ok");
	assert_string_equal(str(r, "topology.b_mac_source"), "mac_b");
	assert_string_equal(str(r, "topology.a_ip"), "198.18.0.9");
	assert_int_equal((int)num(r, "topology.a_if.prefix_len"), 28);
	check_located(r, "hold");
	json_decref(r);
	assert_no_leftovers(prefix);
	check_restored("after a run that held them");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_default_route_refused),
		cmocka_unit_test(test_udp_xdp),
		cmocka_unit_test(test_in_use),
		cmocka_unit_test(test_sigint),
		cmocka_unit_test(test_kill_then_cleanup),
		cmocka_unit_test(test_kill_orphan_record),
	};

	return cmocka_run_group_tests_name("iface", tests, setup_pair, teardown_pair);
}
