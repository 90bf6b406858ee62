// SPDX-License-Identifier: BSD-3-Clause
/*
 * Topology builder, run-state file and cleanup against the real kernel.
 * Needs root. Every test works under its own random prefixes, and the
 * per-test teardown removes anything carrying them even when an assertion
 * failed half-way.
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
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "runstate.h"
#include "topo.h"

#define PAYLOAD_LEN 18
#define FRAME_LEN (14 + 20 + 8 + PAYLOAD_LEN) /* as veth counts it: no FCS */
#define CHILD_WAIT_MS 5000
#define MAX_KIDS 4

struct fixture {
	char prefix[2][16]; /* [0]: this process's run; [1]: a crashed or stray run */
	struct runstate *rs;
	struct topo t;
	pid_t kids[MAX_KIDS]; /* killed in teardown whatever happened */
	int nkids;
};

/* ---- helpers --------------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static bool has_prefix(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(name, prefix, n) && name[n] == '-';
}

static bool path_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool path_exists(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return !access(path, F_OK);
}

static bool link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

/* Names carrying the prefix in /run/netns, the root netns and /dev/shm,
 * plus its state file if with_state. */
static int leftovers(const char *prefix, bool with_state, char *what, size_t len)
{
	static const char *const dirs[] = { "/run/netns", "/dev/shm" };
	struct if_nameindex *ifs = if_nameindex();
	size_t used = 0;
	int n = 0;

	what[0] = 0;
#define NOTE(fmt, ...)                                                                  \
	do {                                                                            \
		n++;                                                                    \
		if (used < len)                                                         \
			used += (size_t)snprintf(what + used, len - used, fmt " ",      \
						 ##__VA_ARGS__);                        \
	} while (0)
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (has_prefix(e->d_name, prefix))
				NOTE("%s/%s", dirs[i], e->d_name);
		if (d)
			closedir(d);
	}
	for (struct if_nameindex *i = ifs; ifs && i->if_index; i++)
		if (has_prefix(i->if_name, prefix))
			NOTE("link:%s", i->if_name);
	if (ifs)
		if_freenameindex(ifs);
	if (with_state && path_exists("%s/%s.state", RS_STATE_DIR, prefix))
		NOTE("%s/%s.state", RS_STATE_DIR, prefix);
#undef NOTE
	return n;
}

static void assert_no_leftovers(const char *prefix, bool with_state)
{
	char what[1024];
	int n = leftovers(prefix, with_state, what, sizeof(what));

	if (n)
		fail_msg("%d object(s) with prefix %s left: %s", n, prefix, what);
}

/* Whatever carries the prefix goes, recorded or not: the safety net. */
static void sweep_prefix(const char *prefix)
{
	char path[PATH_MAX];
	struct if_nameindex *ifs;
	struct dirent *e;
	DIR *d;

	if (!prefix[0])
		return;
	ifs = if_nameindex();
	for (struct if_nameindex *i = ifs; ifs && i->if_index; i++) {
		const char *argv[] = { "ip", "link", "delete", "dev", i->if_name, NULL };

		if (has_prefix(i->if_name, prefix))
			run_cmd(argv, true);
	}
	if (ifs)
		if_freenameindex(ifs);
	d = opendir("/run/netns");
	while (d && (e = readdir(d))) {
		if (!has_prefix(e->d_name, prefix))
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	if (d)
		closedir(d);
	for (int i = 0; i < 2; i++) {
		const char *dir = i ? "/tmp" : "/dev/shm";

		d = opendir(dir);
		while (d && (e = readdir(d))) {
			if (!has_prefix(e->d_name, prefix))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (unlink(path))
				rmdir(path);
		}
		if (d)
			closedir(d);
	}
	snprintf(path, sizeof(path), "%s/%s.state", RS_STATE_DIR, prefix);
	unlink(path);
}

/* Under CI (CI set, not "false" or "0") nothing is skipped: a test
 * that cannot run here fails and says why. */
static int must_run(void)
{
	const char *ci = getenv("CI");

	return ci && *ci && strcmp(ci, "false") && strcmp(ci, "0");
}

static void need_root(struct fixture *f)
{
	if (geteuid() == 0 && f->rs)
		return;
	if (must_run())
		fail_msg("%s, and CI=true forbids skipping", geteuid() ? "topology tests need root"
									 : "no run-state file");
	skip();
}

static pid_t track(struct fixture *f, pid_t pid)
{
	if (pid > 0 && f->nkids < MAX_KIDS)
		f->kids[f->nkids++] = pid;
	return pid;
}

/* Reap within a bound, SIGKILL after it. */
static int reap(pid_t pid)
{
	int st = -1;

	for (int i = 0; i < CHILD_WAIT_MS; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return st;
		sleep_ms(1);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return st;
}

static int read_int(int fd, int timeout_ms, int *val)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return read(fd, val, sizeof(*val)) == (ssize_t)sizeof(*val) ? 0 : -EIO;
}

static void write_int(int fd, int v)
{
	if (write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		_exit(2);
}

/* Blocks until the parent closes ctl (or a byte arrives), bounded. */
static int wait_ctl(int ctl)
{
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	char c;

	if (poll(&p, 1, CHILD_WAIT_MS) != 1)
		return -ETIMEDOUT;
	return read(ctl, &c, 1) == 1 ? c : 0;
}

struct peer {
	pid_t pid;
	int ctl; /* parent -> child; closing it ends the child */
	int st;  /* child -> parent: ints */
};

enum { ROLE_RECV, ROLE_SEND };

static void peer_main(const char *ns, int role, int ctl, int st)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9) };
	char buf[256] = "bypasslab topo test";
	struct pollfd p;
	int s, r;

	inet_pton(AF_INET, "198.18.0.2", &dst.sin_addr);
	r = netns_enter(ns);
	if (r) {
		write_int(st, r);
		_exit(1);
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || (role == ROLE_RECV && bind(s, (struct sockaddr *)&dst, sizeof(dst)))) {
		write_int(st, -errno);
		_exit(1);
	}
	write_int(st, 0); /* ready: the receiver is bound before anything is sent */
	if (role == ROLE_SEND) {
		if (wait_ctl(ctl) != 'S')
			_exit(1);
		r = (int)sendto(s, buf, PAYLOAD_LEN, 0, (struct sockaddr *)&dst, sizeof(dst));
		write_int(st, r < 0 ? -errno : r);
	} else {
		p = (struct pollfd){ .fd = s, .events = POLLIN };
		r = poll(&p, 1, 1000);
		if (r == 1)
			r = (int)recv(s, buf, sizeof(buf), MSG_DONTWAIT);
		else
			r = -ETIMEDOUT;
		write_int(st, r < 0 ? r : (memcmp(buf, "bypasslab topo test", (size_t)r) ? -EBADMSG : r));
	}
	/* Stay in the netns so the parent can read /proc/<pid>/net/dev. */
	wait_ctl(ctl);
	_exit(0);
}

static int peer_start(struct fixture *f, struct peer *pe, const char *ns, int role)
{
	int ctl[2], st[2], ready;

	if (pipe2(ctl, O_CLOEXEC) || pipe2(st, O_CLOEXEC))
		return -errno;
	pe->pid = track(f, fork());
	if (pe->pid < 0)
		return -errno;
	if (pe->pid == 0) {
		close(ctl[1]);
		close(st[0]);
		peer_main(ns, role, ctl[0], st[1]);
	}
	close(ctl[0]);
	close(st[1]);
	pe->ctl = ctl[1];
	pe->st = st[0];
	if (read_int(pe->st, CHILD_WAIT_MS, &ready))
		return -ETIMEDOUT;
	return ready;
}

static void peer_stop(struct peer *pe)
{
	if (pe->pid <= 0)
		return;
	close(pe->ctl);
	close(pe->st);
	reap(pe->pid);
	pe->pid = 0;
}

struct ns_check {
	const char *ifname;
	const uint8_t *mac;
};

/* Runs inside a netns: MTU, MAC and IPv6 state of the endpoint interface. */
static int ns_check_if(void *arg)
{
	const struct ns_check *c = arg;
	struct ifreq ifr = { 0 };
	char path[PATH_MAX], v = 0;
	int s, fd, bad = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->ifname);
	if (ioctl(s, SIOCGIFMTU, &ifr) || ifr.ifr_mtu != 1500)
		bad |= 1;
	if (ioctl(s, SIOCGIFHWADDR, &ifr) || memcmp(ifr.ifr_hwaddr.sa_data, c->mac, 6))
		bad |= 2;
	close(s);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", c->ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &v, 1) != 1 || v != '1')
			bad |= 4;
		close(fd);
	}
	return bad;
}

static void assert_root_ipv6_off(const char *dev)
{
	char path[PATH_MAX], v = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* no IPv6 in this kernel */
	assert_int_equal(read(fd, &v, 1), 1);
	close(fd);
	assert_int_equal(v, '1');
}

static void assert_neigh_permanent(const struct topo_ep *ep, const struct topo_ep *peer)
{
	char out[1024], err[256], ip[INET_ADDRSTRLEN], want[128];
	const char *argv[] = { "ip", "-n", ep->ns, "neigh", "show", "dev", ep->ifname, NULL };

	assert_int_equal(run_cmd_capture(argv, out, sizeof(out), err, sizeof(err)), 0);
	inet_ntop(AF_INET, &peer->ip, ip, sizeof(ip));
	snprintf(want, sizeof(want), "%s lladdr %02x:%02x:%02x:%02x:%02x:%02x PERMANENT", ip,
		 peer->mac[0], peer->mac[1], peer->mac[2], peer->mac[3], peer->mac[4],
		 peer->mac[5]);
	if (!strstr(out, want))
		fail_msg("ns %s: want '%s' in:\n%s", ep->ns, want, out);
}

/* ---- setup / teardown ------------------------------------------------ */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	if (geteuid() != 0)
		return 0;
	if (runstate_gen_prefix(f->prefix[0]))
		return -1;
	do {
		if (runstate_gen_prefix(f->prefix[1]))
			return -1;
	} while (!strcmp(f->prefix[0], f->prefix[1]));
	f->rs = runstate__open(f->prefix[0]);
	return f->rs ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	/* Only children not reaped yet: a reaped pid may belong to anyone now. */
	for (int i = 0; i < f->nkids; i++) {
		if (waitpid(f->kids[i], NULL, WNOHANG))
			continue;
		kill(f->kids[i], SIGKILL);
		waitpid(f->kids[i], NULL, 0);
	}
	if (f->rs) {
		runstate__undo_all(f->rs);
		runstate__close(f->rs);
	}
	for (int i = 0; i < 2; i++)
		sweep_prefix(f->prefix[i]);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	free(f);
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void check_topology(struct fixture *f, int kind)
{
	struct topo *t = &f->t;
	struct peer pa = { 0 }, pb = { 0 };
	struct if_counters ca, cb, ha, hb;
	int r;

	assert_int_equal(topo_up(t, f->rs, kind, f->prefix[0]), 0);
	for (int i = 0; i < 2; i++) {
		struct ns_check c = { t->ep[i].ifname, t->ep[i].mac };
		char want[32];

		snprintf(want, sizeof(want), "%s-%c", f->prefix[0], 'a' + i);
		assert_string_equal(t->ep[i].ns, want);
		assert_string_equal(t->ep[i].ifname, "eth0");
		assert_true(path_exists("/run/netns/%s", t->ep[i].ns));
		assert_true(t->ep[i].ifindex > 0);
		assert_int_equal(ntohl(t->ep[i].ip), 0xc6120000u + (uint32_t)i + 1);
		assert_int_equal(t->ep[i].mac[5], i + 1);
		assert_int_equal(netns_exec_fn(t->ep[i].ns, ns_check_if, &c), 0);
		assert_neigh_permanent(&t->ep[i], &t->ep[!i]);
	}
	if (kind == TOPO_BRIDGE) {
		char want[32], path[PATH_MAX];
		int ports = 0;
		DIR *d;
		struct dirent *e;

		snprintf(want, sizeof(want), "%s-br", f->prefix[0]);
		assert_string_equal(t->bridge, want);
		assert_int_equal(t->bridge_ifindex, (int)if_nametoindex(t->bridge));
		snprintf(path, sizeof(path), "/sys/class/net/%s/brif", t->bridge);
		d = opendir(path);
		assert_non_null(d);
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			ports++;
			assert_true(!strcmp(e->d_name, t->ep[0].host_if) ||
				    !strcmp(e->d_name, t->ep[1].host_if));
		}
		closedir(d);
		assert_int_equal(ports, 2);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(t->ep[i].host_ifindex,
					 (int)if_nametoindex(t->ep[i].host_if));
			assert_root_ipv6_off(t->ep[i].host_if);
		}
		assert_root_ipv6_off(t->bridge);
	} else {
		assert_string_equal(t->bridge, "");
		for (int i = 0; i < 2; i++) {
			assert_string_equal(t->ep[i].host_if, "");
			assert_int_equal(t->ep[i].host_ifindex, 0);
		}
	}

	/* One datagram a -> b, no ARP, nothing else on the wire. */
	assert_int_equal(peer_start(f, &pb, t->ep[1].ns, ROLE_RECV), 0);
	assert_int_equal(peer_start(f, &pa, t->ep[0].ns, ROLE_SEND), 0);
	assert_int_equal(write(pa.ctl, "S", 1), 1);
	assert_int_equal(read_int(pa.st, CHILD_WAIT_MS, &r), 0);
	assert_int_equal(r, PAYLOAD_LEN);
	assert_int_equal(read_int(pb.st, CHILD_WAIT_MS, &r), 0);
	assert_int_equal(r, PAYLOAD_LEN);
	/* Totals since creation: with IPv6 off and static neighbours the one
	 * datagram is the only frame these interfaces ever carried. */
	assert_int_equal(if_counters_read(pa.pid, "eth0", &ca), 0);
	assert_int_equal(if_counters_read(pb.pid, "eth0", &cb), 0);
	assert_int_equal(ca.tx_packets, 1);
	assert_int_equal(ca.tx_bytes, FRAME_LEN);
	assert_int_equal(ca.rx_packets, 0);
	assert_int_equal(cb.rx_packets, 1);
	assert_int_equal(cb.rx_bytes, FRAME_LEN);
	assert_int_equal(cb.tx_packets, 0);
	assert_int_equal(ca.tx_dropped + cb.rx_dropped, 0);
	assert_int_equal(if_counters_read(pa.pid, "nosuchif", &ca), -ENODEV);
	if (kind == TOPO_BRIDGE) {
		assert_int_equal(if_counters_read(0, t->ep[0].host_if, &ha), 0);
		assert_int_equal(if_counters_read(0, t->ep[1].host_if, &hb), 0);
		assert_int_equal(ha.rx_packets, 1);
		assert_int_equal(ha.tx_packets, 0);
		assert_int_equal(hb.tx_packets, 1);
		assert_int_equal(hb.rx_packets, 0);
	}
	peer_stop(&pa);
	peer_stop(&pb);

	assert_int_equal(topo_down(t, f->rs), 0);
	assert_int_equal(runstate__live(f->rs), 0);
	assert_no_leftovers(f->prefix[0], false);
	/* A second topo_down has nothing left to do. */
	assert_int_equal(topo_down(t, f->rs), 0);
}

static void test_bridge(void **state)
{
	struct fixture *f = *state;

	need_root(f);
	check_topology(f, TOPO_BRIDGE);
}

static void test_direct(void **state)
{
	struct fixture *f = *state;

	need_root(f);
	check_topology(f, TOPO_DIRECT);
	/* The same prefix builds again after a teardown (one topology per case). */
	check_topology(f, TOPO_BRIDGE);
}

static char *slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return buf;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static void test_runstate_file(void **state)
{
	struct fixture *f = *state;
	const char *p = f->prefix[0];
	char path[PATH_MAX], buf[4096], want[256], name[64], longname[64];
	struct runstate *rs2;
	pid_t kid;
	int fd;

	need_root(f);
	assert_int_equal(strlen(p), 8);
	assert_memory_equal(p, "bl", 2);
	for (int i = 2; i < 8; i++)
		assert_non_null(strchr("0123456789abcdef", p[i]));
	snprintf(path, sizeof(path), "%s/%s.state", RS_STATE_DIR, p);
	assert_string_equal(runstate__path(f->rs), path);
	snprintf(want, sizeof(want), "owner %d %llu\n", (int)getpid(), proc_starttime(getpid()));
	assert_string_equal(slurp(path, buf, sizeof(buf)), want);

	/* The prefix is taken while the file exists. */
	rs2 = runstate__open(p);
	assert_null(rs2);
	assert_int_equal(errno, EEXIST);

	/* Only the run's own names are accepted. */
	assert_int_equal(runstate__add(f->rs, RS_LINK, "eth0"), -EINVAL);
	assert_int_equal(runstate__add(f->rs, RS_NETNS, "blffffff-a"), -EINVAL);
	assert_int_equal(runstate__add(f->rs, RS_FILE, "relative/path"), -EINVAL);
	snprintf(longname, sizeof(longname), "%s-0123456789", p);
	assert_int_equal(runstate__add(f->rs, RS_LINK, longname), -EINVAL);
	snprintf(name, sizeof(name), "/tmp/%s f", p);
	assert_int_equal(runstate__add(f->rs, RS_FILE, name), -EINVAL);

	snprintf(name, sizeof(name), "/tmp/%s-f", p);
	assert_int_equal(runstate__add(f->rs, RS_FILE, name), 0);
	fd = open(name, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	kid = track(f, fork());
	assert_true(kid >= 0);
	if (!kid) {
		alarm(20); /* never outlives a broken test by much */
		pause();
		_exit(0);
	}
	assert_int_equal(runstate__add_pid(f->rs, kid), 0);
	assert_int_equal(runstate__live(f->rs), 2);
	slurp(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "+ file %s\n+ pid %d %llu\n", name, (int)kid,
		 proc_starttime(kid));
	assert_non_null(strstr(buf, want));

	/* Newest first: the process, then the file; our child gets reaped. */
	assert_int_equal(runstate__undo_all(f->rs), 0);
	assert_false(path_exists("%s", name));
	assert_int_equal(waitpid(kid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	slurp(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "- pid %d\n- file %s\n", (int)kid, name);
	assert_non_null(strstr(buf, want));
	assert_int_equal(runstate__live(f->rs), 0);
	assert_int_equal(runstate__undo_all(f->rs), 0);
	assert_int_equal(runstate__done(f->rs, RS_FILE, name), -ENOENT);

	runstate__close(f->rs);
	f->rs = NULL;
	assert_false(path_exists("%s", path));
}

/* A create that fails undoes what came before it, and leaves alone the
 * object that was in the way. */
static void test_up_failure(void **state)
{
	struct fixture *f = *state;
	const char *p = f->prefix[0];
	char name[32];
	const char *argv[] = { "ip", "link", "add", name, "type", "bridge", NULL };

	need_root(f);
	snprintf(name, sizeof(name), "%s-hb", p);
	assert_int_equal(runstate__add(f->rs, RS_LINK, name), 0);
	assert_int_equal(run_cmd(argv, false), 0);
	assert_int_equal(topo_up(&f->t, f->rs, TOPO_BRIDGE, p), -EEXIST);
	assert_true(link_exists(name));
	assert_int_equal(runstate__live(f->rs), 1);
	assert_false(path_exists("/run/netns/%s-a", p));
	assert_false(path_exists("/run/netns/%s-b", p));
	snprintf(name, sizeof(name), "%s-br", p);
	assert_false(link_exists(name));
	snprintf(name, sizeof(name), "%s-ha", p);
	assert_false(link_exists(name));

	assert_int_equal(topo_up(&f->t, f->rs, 7, p), -EINVAL);
	assert_int_equal(topo_up(&f->t, f->rs, TOPO_DIRECT, f->prefix[1]), -EINVAL);
}

/* A run that dies without tearing down; cleanup finds its state file. */
static void test_crash_cleanup(void **state)
{
	struct fixture *f = *state;
	const char *p = f->prefix[1];
	char shm[64], dir[64], live[64];
	pid_t kid, grandkid = 0;
	int pfd[2], st, fd, r;

	need_root(f);
	/* The crashed run's endpoint is reparented to us, so cleanup's kill
	 * can also reap it. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	snprintf(shm, sizeof(shm), "/dev/shm/%s-crash", p);
	snprintf(dir, sizeof(dir), "/tmp/%s-dir", p);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	kid = track(f, fork());
	assert_true(kid >= 0);
	if (!kid) {
		struct runstate *rs = runstate__open(p);
		struct topo t;
		pid_t gk;

		if (!rs || topo_up(&t, rs, TOPO_BRIDGE, p))
			_exit(10);
		if (runstate__add(rs, RS_SHM, shm) || (fd = creat(shm, 0600)) < 0)
			_exit(11);
		close(fd);
		if (runstate__add(rs, RS_DIR, dir) || mkdir(dir, 0700))
			_exit(12);
		gk = fork();
		if (gk == 0) {
			alarm(20);
			pause();
			_exit(0);
		}
		if (gk < 0 || runstate__add_pid(rs, gk))
			_exit(13);
		write_int(pfd[1], gk);
		_exit(0); /* no teardown: as good as a crash */
	}
	close(pfd[1]);
	assert_int_equal(read_int(pfd[0], CHILD_WAIT_MS, &grandkid), 0);
	close(pfd[0]);
	track(f, grandkid);
	assert_int_equal(waitpid(kid, &st, 0), kid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(path_exists("%s/%s.state", RS_STATE_DIR, p));
	assert_true(path_exists("/run/netns/%s-a", p));
	assert_true(path_exists("%s", dir));

	/* Our own run is alive: its objects must survive a non-forced cleanup. */
	snprintf(live, sizeof(live), "/dev/shm/%s-live", f->prefix[0]);
	assert_int_equal(runstate__add(f->rs, RS_SHM, live), 0);
	fd = creat(live, 0600);
	assert_true(fd >= 0);
	close(fd);

	/* 2 netns, bridge, 2 ports, shm, dir, pid, plus other dead runs; but
	 * a `bypasslab cleanup` running at the same time (other tests) may
	 * take some of them first, so only the result is checked. */
	r = cleanup_all(false, true);
	assert_true(r >= 0);
	assert_no_leftovers(p, true);
	assert_false(path_exists("%s", dir));
	/* Killed by whichever cleanup got there; reaped here if not by it. */
	waitpid(grandkid, NULL, WNOHANG);
	assert_int_equal(kill(grandkid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_true(path_exists("%s", live));
	assert_true(path_exists("%s", runstate__path(f->rs)));
	/* Nothing left to do the second time round. */
	assert_true(cleanup_all(false, false) >= 0);
	assert_true(path_exists("%s", live));
}

/* Objects named like a run's but in no state file. */
static void test_orphan_sweep(void **state)
{
	struct fixture *f = *state;
	const char *p = f->prefix[1];
	char link[32], ns[32], shm[64], mine[32], what[256];
	const char *dummy[] = { "ip", "link", "add", link, "type", "dummy", NULL };
	const char *bridge[] = { "ip", "link", "add", link, "type", "bridge", NULL };
	const char *nsadd[] = { "ip", "netns", "add", ns, NULL };
	const char *mine_add[] = { "ip", "link", "add", mine, "type", "bridge", NULL };
	int fd;

	need_root(f);
	snprintf(link, sizeof(link), "%s-x", p);
	snprintf(ns, sizeof(ns), "%s-o", p);
	snprintf(shm, sizeof(shm), "/dev/shm/%s-orphan", p);
	/* Kernels without CONFIG_DUMMY: any link type will do. */
	if (run_cmd(dummy, true))
		assert_int_equal(run_cmd(bridge, false), 0);
	assert_int_equal(run_cmd(nsadd, false), 0);
	fd = creat(shm, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* Named like ours, and ours is alive: not an orphan. */
	snprintf(mine, sizeof(mine), "%s-y", f->prefix[0]);
	assert_int_equal(runstate__add(f->rs, RS_LINK, mine), 0);
	assert_int_equal(run_cmd(mine_add, false), 0);

	assert_int_equal(leftovers(p, true, what, sizeof(what)), 3);
	assert_true(cleanup_all(false, true) >= 0); /* count: see test_crash_cleanup */
	assert_no_leftovers(p, true);
	assert_true(link_exists(mine));
}

static void test_counters_self(void **state)
{
	struct if_counters c;

	(void)state;
	assert_int_equal(if_counters_read(0, "lo", &c), 0);
	assert_int_equal(if_counters_read(0, "no-such-if", &c), -ENODEV);
	assert_int_equal(if_counters_read(0x7ffffff0, "lo", &c), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_self),
		cmocka_unit_test_setup_teardown(test_runstate_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_up_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_cleanup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphan_sweep, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
