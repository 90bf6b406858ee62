// SPDX-License-Identifier: BSD-3-Clause
/*
 * The userspace switches (harness/vswitch.c) against real DPDK: two
 * dpdk-testpmd endpoints with a net_virtio_user port in server mode, the
 * switch as the vhost-user client of both. A sends (txonly), B receives
 * (rxonly); every packet A sent must be counted by the switch, and every
 * packet the switch sent must have reached B. Then nothing may be left:
 * no process, hugepage file, DPDK runtime directory, socket, directory or
 * link of the run, also after the run was SIGKILLed and `bypasslab
 * cleanup` ran. Needs root, dpdk-testpmd and Open vSwitch with DPDK (make
 * deps); hugepages are reserved as a run reserves them. Under CI=true
 * nothing skips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hugepages.h"
#include "proc.h"
#include "runstate.h"
#include "vswitch.h"

#define EP_WAIT_MS 15000
#define TRAFFIC_MS 2000

struct ep {
	pid_t pid;
	int in; /* testpmd's interactive stdin */
	char log[PATH_MAX];
	char sock[PATH_MAX];
};

struct fixture {
	char prefix[16];
	char dir[PATH_MAX]; /* endpoints' sockets and logs */
	struct runstate *rs;
	struct vswitch sw;
	struct ep ep[2];
	bool had_ovs_netdev; /* a system OVS's tap, not ours to judge */
	pid_t kid;
	struct hugepages hp;
	int hp_ok;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int must_run(void)
{
	const char *ci = getenv("CI");

	return ci && *ci && strcmp(ci, "false") && strcmp(ci, "0");
}

/* ---- endpoints: dpdk-testpmd, virtio_user server, interactive --------- */

/* Starts testpmd NAME on cpu; returns once its socket exists (it then
 * blocks until the switch connects). Usable from a forked child: no
 * assertions. 0 or -1. */
static int ep_start(struct runstate *rs, const char *prefix, const char *dir, const char *name,
		    unsigned int cpu, struct ep *e)
{
	char fp[64], huge[128], run[128], lc[64], vdev[PATH_MAX + 64];
	pid_t parent = getpid();
	uint64_t end;
	int p[2];

	snprintf(fp, sizeof(fp), "--file-prefix=%s-%s", prefix, name);
	snprintf(huge, sizeof(huge), "/dev/hugepages/%s-%s", prefix, name);
	snprintf(run, sizeof(run), "/var/run/dpdk/%s-%s", prefix, name);
	snprintf(lc, sizeof(lc), "--lcores=0@%u,1@%u", cpu, cpu);
	snprintf(e->sock, sizeof(e->sock), "%s/%s.sock", dir, name);
	snprintf(e->log, sizeof(e->log), "%s/%s.log", dir, name);
	snprintf(vdev, sizeof(vdev), "--vdev=net_virtio_user0,path=%s,server=1,queues=1", e->sock);
	if (runstate__add(rs, RS_HUGE, huge) || runstate__add(rs, RS_TREE, run) ||
	    pipe2(p, O_CLOEXEC))
		return -1;
	e->pid = fork();
	if (e->pid == 0) {
		int fd = open(e->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent || fd < 0)
			_exit(126);
		dup2(p[0], 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("stdbuf", "stdbuf", "-oL", "dpdk-testpmd", lc, "--no-pci", "-m", "128",
		       "--single-file-segments", fp, vdev, "--", "-i", "--total-num-mbufs=8192",
		       "--no-mlockall", "--disable-link-check", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	e->in = p[1];
	if (e->pid < 0 || runstate__add_pid(rs, e->pid))
		return -1;
	for (end = now_ms() + EP_WAIT_MS; now_ms() < end; sleep_ms(10)) {
		struct stat sb;

		if (!stat(e->sock, &sb))
			return 0;
		if (waitpid(e->pid, NULL, WNOHANG) == e->pid) {
			e->pid = 0;
			return -1;
		}
	}
	return -1;
}

static void ep_cmd(struct ep *e, const char *cmd)
{
	assert_int_equal(write(e->in, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
}

static void slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
}

static uint64_t num_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* "stop" forwarding (the port stays connected) and read what testpmd says
 * it sent and received. */
static void ep_stop_fwd(struct ep *e, uint64_t *rx, uint64_t *tx)
{
	static char buf[1 << 20];
	const char *p = NULL;
	uint64_t end = now_ms() + EP_WAIT_MS;

	ep_cmd(e, "stop\n");
	while (!p && now_ms() < end) {
		sleep_ms(20);
		slurp(e->log, buf, sizeof(buf));
		p = strstr(buf, "Forward statistics for port 0");
		if (p && !strstr(p, "TX-packets:"))
			p = NULL;
	}
	if (!p)
		fail_msg("%s: no forward statistics after 'stop'", e->log);
	*rx = num_after(p, "RX-packets:");
	*tx = num_after(p, "TX-packets:");
}

static void ep_quit(struct ep *e)
{
	if (e->pid <= 0)
		return;
	if (write(e->in, "quit\n", 5) == 5) {
		for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(10))
			if (waitpid(e->pid, NULL, WNOHANG) == e->pid) {
				e->pid = 0;
				return;
			}
	}
	kill(e->pid, SIGKILL);
	waitpid(e->pid, NULL, 0);
	e->pid = 0;
}

/* ---- leftovers ---------------------------------------------------------- */

static int procs_with(const char *prefix, char *what, size_t len, size_t *used)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[64], buf[4096];
		ssize_t r;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		for (ssize_t i = 0; i < r; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[r] = 0;
		if (strstr(buf, prefix) && *used < len) {
			*used += (size_t)snprintf(what + *used, len - *used, "pid:%s ", e->d_name);
			n++;
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* Everything of the run that still exists: processes naming the prefix,
 * hugepage files, DPDK runtime dirs, sockets and dirs, state file, links
 * (and an "ovs-netdev" tap that was not there before). */
static int leftovers(const char *prefix, bool had_ovs_netdev, char *what, size_t len)
{
	static const char *const dirs[] = { "/dev/hugepages", "/var/run/dpdk", RS_STATE_DIR,
					    "/sys/class/net", "/run/netns", "/dev/shm" };
	size_t used = 0;
	int n;

	what[0] = 0;
	n = procs_with(prefix, what, len, &used);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			if (strncmp(e->d_name, prefix, strlen(prefix)))
				continue;
			n++;
			if (used < len)
				used += (size_t)snprintf(what + used, len - used, "%s/%s ", dirs[i],
							 e->d_name);
		}
		if (d)
			closedir(d);
	}
	if (!had_ovs_netdev && if_nametoindex("ovs-netdev")) {
		n++;
		if (used < len)
			snprintf(what + used, len - used, "link:ovs-netdev");
	}
	return n;
}

/* Processes die with their parent a moment after it: bounded wait. */
static void assert_nothing_left(const char *prefix, bool had_ovs_netdev)
{
	char what[2048];
	int n = 0;

	for (uint64_t end = now_ms() + 5000; now_ms() < end; sleep_ms(50)) {
		n = leftovers(prefix, had_ovs_netdev, what, sizeof(what));
		if (!n)
			return;
	}
	fail_msg("run %s left %d object(s): %s", prefix, n, what);
}

/* ---- fixture ------------------------------------------------------------ */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ep[0].in = f->ep[1].in = -1;
	f->had_ovs_netdev = if_nametoindex("ovs-netdev") != 0;
	if (geteuid() == 0) {
		if (runstate_gen_prefix(f->prefix))
			return -1;
		f->rs = runstate__open(f->prefix);
		if (!f->rs)
			return -1;
		snprintf(f->dir, sizeof(f->dir), "%s/%s-ep", RS_STATE_DIR, f->prefix);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->kid > 0) {
		kill(f->kid, SIGKILL);
		waitpid(f->kid, NULL, 0);
	}
	if (f->rs) {
		vswitch_stop(&f->sw, f->rs, NULL);
		for (int i = 0; i < 2; i++)
			ep_quit(&f->ep[i]);
		runstate__undo_all(f->rs);
		runstate__close(f->rs);
	}
	for (int i = 0; i < 2; i++)
		if (f->ep[i].in >= 0)
			close(f->ep[i].in);
	if (f->hp_ok)
		hugepages_release(&f->hp);
	free(f);
	return 0;
}

static void need_root_or_fail(struct fixture *f)
{
	if (geteuid() != 0 || !f->rs) {
		if (must_run())
			fail_msg("needs root and CI=true forbids skipping");
		skip();
	}
}

/* Root, and the switch with what it needs; else skip (or fail under CI:
 * `make deps` provides testpmd and hugepages). */
static void need(struct fixture *f, enum vswitch_kind kind)
{
	char msg[256];

	if (geteuid() != 0 || !f->rs) {
		if (must_run())
			fail_msg("needs root and CI=true forbids skipping");
		skip();
	}
	/* What a run reserves for its endpoints and switch, as the harness
	 * does (hugepages.c); given back at teardown. */
	if (!f->hp_ok) {
		if (hugepages_ensure(&f->hp, 3 * 64 + 32, msg, sizeof(msg)))
			fail_msg("hugepages: %s", msg);
		f->hp_ok = 1;
	}
	if (vswitch_probe(kind, msg, sizeof(msg))) {
		fprintf(stderr, "%s switch: %s\n", vswitch_name(kind), msg);
		if (must_run())
			fail_msg("%s: CI=true forbids skipping (make deps installs it)", msg);
		skip();
	}
}

/* The endpoints, then the switch between them: A on the first CPU, B and
 * the switch on the last (with two CPUs one has to share). */
static void start_all(struct fixture *f, enum vswitch_kind kind)
{
	unsigned int last = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	const char *sock[2];
	char swdir[PATH_MAX], err[256];
	int r;

	assert_int_equal(runstate__add(f->rs, RS_TREE, f->dir), 0);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	assert_int_equal(ep_start(f->rs, f->prefix, f->dir, "b", last, &f->ep[1]), 0);
	assert_int_equal(ep_start(f->rs, f->prefix, f->dir, "a", 0, &f->ep[0]), 0);
	sock[0] = f->ep[0].sock;
	sock[1] = f->ep[1].sock;
	snprintf(swdir, sizeof(swdir), "%s/%s-sw", RS_STATE_DIR, f->prefix);
	r = vswitch_start(&f->sw, kind, f->rs, f->prefix, swdir, last, sock, err, sizeof(err));
	if (r)
		fail_msg("vswitch_start %s: %s (%s)", vswitch_name(kind), err, strerror(-r));
}

/* ---- tests -------------------------------------------------------------- */

static void forward(void **state, enum vswitch_kind kind)
{
	struct fixture *f = *state;
	struct vswitch_port_stats st[2], fin[2];
	uint64_t a_rx, a_tx, b_rx, b_tx;
	json_t *j;

	need(f, kind);
	start_all(f, kind);
	if (kind == VSWITCH_TESTPMD)
		assert_int_equal(vswitch_stats(&f->sw, st), -EAGAIN);
	ep_cmd(&f->ep[1], "set fwd rxonly\nstart\n");
	ep_cmd(&f->ep[0], "set fwd txonly\nstart\n");
	sleep_ms(TRAFFIC_MS);
	ep_stop_fwd(&f->ep[0], &a_rx, &a_tx);
	sleep_ms(300); /* drain */
	if (kind == VSWITCH_OVS)
		assert_int_equal(vswitch_stats(&f->sw, st), 0);
	ep_stop_fwd(&f->ep[1], &b_rx, &b_tx);
	assert_int_equal(vswitch_stop(&f->sw, f->rs, fin), 0);
	if (kind == VSWITCH_OVS)
		assert_memory_equal(st, fin, sizeof(st));
	fprintf(stderr,
		"%s: A sent %llu; port 0 rx %llu (dropped %llu); port 1 tx %llu (dropped %llu); "
		"B received %llu: %.2f Mpps through the switch, %.3f Mpps to B\n",
		vswitch_name(kind), (unsigned long long)a_tx, (unsigned long long)fin[0].rx_pkts,
		(unsigned long long)fin[0].rx_dropped, (unsigned long long)fin[1].tx_pkts,
		(unsigned long long)fin[1].tx_dropped, (unsigned long long)b_rx,
		fin[0].rx_pkts / (TRAFFIC_MS * 1e3), fin[1].tx_pkts / (TRAFFIC_MS * 1e3));
	assert_true(a_tx > 0);
	assert_true(fin[1].tx_pkts > 0);
	/* Every packet is in one counter: A -> port 0 -> port 1 (sent or
	 * dropped for a full ring) -> B. */
	assert_int_equal(fin[0].rx_pkts + fin[0].rx_dropped, a_tx);
	assert_int_equal(fin[1].tx_pkts + fin[1].tx_dropped, fin[0].rx_pkts);
	assert_int_equal(fin[1].tx_pkts, b_rx);
	assert_int_equal(fin[0].tx_pkts + fin[1].rx_pkts, 0);

	j = vswitch_json(&f->sw, fin);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), vswitch_name(kind));
	assert_true(strlen(json_string_value(json_object_get(j, "version"))) > 0);
	assert_int_equal(json_array_size(json_object_get(j, "ports")), 2);
	json_decref(j);
	/* Idempotent, and the counters stay. */
	assert_int_equal(vswitch_stop(&f->sw, f->rs, st), 0);
	assert_memory_equal(st, fin, sizeof(st));

	for (int i = 0; i < 2; i++)
		ep_quit(&f->ep[i]);
	assert_int_equal(runstate__undo_all(f->rs), 0);
	assert_int_equal(runstate__live(f->rs), 0);
	runstate__close(f->rs); /* removes the state file: nothing is live */
	f->rs = NULL;
	assert_nothing_left(f->prefix, f->had_ovs_netdev);
}

static void test_testpmd(void **state)
{
	forward(state, VSWITCH_TESTPMD);
}

static void test_ovs(void **state)
{
	forward(state, VSWITCH_OVS);
}

/* A run SIGKILLed with its switch forwarding: its processes die with it,
 * `bypasslab cleanup` removes the rest. */
static void killed(void **state, enum vswitch_kind kind)
{
	struct fixture *f = *state;
	const char *const cleanup[] = { "./bypasslab", "cleanup", NULL };
	char prefix[16] = "";
	int pfd[2];

	need(f, kind);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	f->kid = fork();
	assert_true(f->kid >= 0);
	if (!f->kid) {
		unsigned int last = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
		struct ep a, b;
		struct vswitch sw;
		struct runstate *rs;
		char p[16], dir[PATH_MAX], swdir[PATH_MAX], err[256];
		const char *sock[2] = { a.sock, b.sock };

		if (runstate_gen_prefix(p) || !(rs = runstate__open(p)))
			_exit(10);
		snprintf(dir, sizeof(dir), "%s/%s-ep", RS_STATE_DIR, p);
		snprintf(swdir, sizeof(swdir), "%s/%s-sw", RS_STATE_DIR, p);
		if (runstate__add(rs, RS_TREE, dir) || mkdir(dir, 0700) ||
		    ep_start(rs, p, dir, "b", last, &b) || ep_start(rs, p, dir, "a", 0, &a) ||
		    vswitch_start(&sw, kind, rs, p, swdir, last, sock, err, sizeof(err)))
			_exit(11);
		if (write(b.in, "set fwd rxonly\nstart\n", 21) != 21 ||
		    write(a.in, "set fwd txonly\nstart\n", 21) != 21 ||
		    write(pfd[1], p, sizeof(p)) != sizeof(p))
			_exit(12);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	{
		struct pollfd pl = { .fd = pfd[0], .events = POLLIN };

		assert_int_equal(poll(&pl, 1, 60000), 1);
		assert_int_equal(read(pfd[0], prefix, sizeof(prefix)), (ssize_t)sizeof(prefix));
		close(pfd[0]);
	}
	sleep_ms(500);
	assert_int_equal(kill(f->kid, SIGKILL), 0);
	assert_int_equal(waitpid(f->kid, NULL, 0), f->kid);
	f->kid = 0;
	assert_int_equal(run_cmd(cleanup, false), 0);
	assert_nothing_left(prefix, f->had_ovs_netdev);
}

static void test_testpmd_killed(void **state)
{
	killed(state, VSWITCH_TESTPMD);
}

static void test_ovs_killed(void **state)
{
	killed(state, VSWITCH_OVS);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vswitch_name(VSWITCH_NONE), "none");
	assert_string_equal(vswitch_name(VSWITCH_TESTPMD), "testpmd");
	assert_string_equal(vswitch_name(VSWITCH_OVS), "ovs");
	assert_int_equal(vswitch_kind_parse("ovs"), VSWITCH_OVS);
	assert_int_equal(vswitch_kind_parse("testpmd"), VSWITCH_TESTPMD);
	assert_int_equal(vswitch_kind_parse("none"), VSWITCH_NONE);
	assert_int_equal(vswitch_kind_parse("vpp"), -1);
}

/* Bad arguments are refused before anything is created. */
static void test_bad_args(void **state)
{
	struct fixture *f = *state;
	const char *sock[2] = { "/run/bypasslab/x.sock", "/run/bypasslab/y,z.sock" };
	char dir[PATH_MAX], err[256];

	need_root_or_fail(f);
	snprintf(dir, sizeof(dir), "%s/%s-sw", RS_STATE_DIR, f->prefix);
	assert_int_equal(vswitch_start(&f->sw, VSWITCH_TESTPMD, f->rs, f->prefix, dir, 0, sock,
				       err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "socket 1"));
	sock[1] = "/run/bypasslab/y.sock";
	assert_int_equal(vswitch_start(&f->sw, VSWITCH_TESTPMD, f->rs, f->prefix, dir,
				       CPU_SETSIZE - 1, sock, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(vswitch_start(&f->sw, VSWITCH_OVS, f->rs, "bl000000", dir, 0, sock, err,
				       sizeof(err)),
			 -EINVAL);
	assert_int_equal(vswitch_start(&f->sw, VSWITCH_OVS, f->rs, f->prefix, "/tmp/not-ours", 0,
				       sock, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(runstate__live(f->rs), 0);
	assert_int_equal(vswitch_stop(&f->sw, f->rs, NULL), 0);
	assert_false(access(dir, F_OK) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_testpmd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ovs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_testpmd_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ovs_killed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
