// SPDX-License-Identifier: BSD-3-Clause
/*
 * Building and removing the two-endpoint topologies with iproute2, plus the
 * netns helpers the harness uses to act inside them. See topo.h.
 *
 * Order matters in three places:
 *  - IPv6 is switched off in each netns (all + default) before its veth end
 *    exists, and on every root-netns link right after creating it, so no
 *    interface ever comes up with IPv6: no DAD, router solicitations or MLD
 *    reports end up in the interface counters.
 *  - MACs are set at creation: a MAC change flushes the neighbour table.
 *  - Permanent neighbour entries go in after the links are up, because
 *    taking an IPv4 device down flushes even permanent entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "config.h"
#include "harness.h"
#include "iface.h"
#include "log.h"
#include "proc.h"
#include "runstate.h"
#include "topo.h"

#define TOPO_IFNAME "eth0"
#define TOPO_MTU "1500"
#define TOPO_PLEN 24
#define TOPO_READY_MS 3000
/* A NIC negotiates its link after `up`: seconds, not milliseconds. */
#define TOPO_IFACE_READY_MS 15000
#define TOPO_DIRECT_IFINDEX_A "3" /* see make_direct_link() */
/* 02:42:c6:12:00:0N (locally administered), 198.18.0.N */
static const uint8_t topo_mac_base[6] = { 0x02, 0x42, 0xc6, 0x12, 0x00, 0x00 };
#define TOPO_NET 0xc6120000u /* 198.18.0.0 */

/* Longest strerror text found in the message: `ip` reports the kernel's
 * errno only as text ("RTNETLINK answers: File exists"). */
static int errno_from_msg(const char *msg)
{
	size_t best_len = 0;
	int best = EIO;

	for (int e = 1; e < 256; e++) {
		const char *s = strerrordesc_np(e);
		size_t len;

		if (!s)
			continue;
		len = strlen(s);
		if (len > best_len && strstr(msg, s)) {
			best = e;
			best_len = len;
		}
	}
	return best;
}

/* One `ip` invocation; on failure a single warning line naming it. */
static int ip_cmd(const char *const argv[])
{
	char err[512], cmd[512];
	size_t used = 0;
	int r;

	r = run_cmd_capture(argv, NULL, 0, err, sizeof(err));
	if (!r)
		return 0;
	cmd[0] = 0;
	for (int i = 0; argv[i] && used < sizeof(cmd); i++) {
		int n = snprintf(cmd + used, sizeof(cmd) - used, "%s%s", i ? " " : "", argv[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	err[strcspn(err, "\n")] = 0;
	if (r < 0) {
		pr_warn("bypasslab: topology: '%s' could not run: %s\n", cmd, strerror(-r));
		return r;
	}
	pr_warn("bypasslab: topology: '%s' failed (exit %d): %s\n", cmd, r,
		err[0] ? err : "no message");
	return -errno_from_msg(err);
}

static int write_str(const char *path, const char *val)
{
	ssize_t n, len = (ssize_t)strlen(val);
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, (size_t)len);
	if (n < 0)
		err = -errno;
	else if (n != len)
		err = -EIO;
	close(fd);
	return err;
}

/* Runs inside the new netns. "all" also resets "default" and every existing
 * device (lo); "default" covers devices created or moved in later. */
static int ns_disable_ipv6(void *arg)
{
	static const char *const knobs[] = {
		"/proc/sys/net/ipv6/conf/all/disable_ipv6",
		"/proc/sys/net/ipv6/conf/default/disable_ipv6",
	};

	(void)arg;
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		int err = write_str(knobs[i], "1");

		/* No IPv6 in this kernel: nothing to keep quiet. */
		if (err == -ENOENT)
			return 0;
		if (err)
			return err;
	}
	return 0;
}

/* Only the named device: the root netns' global settings stay untouched. */
static int dev_disable_ipv6(const char *dev)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
	err = write_str(path, "1");
	if (err == -ENOENT && access("/proc/sys/net/ipv6", F_OK))
		return 0;
	if (err)
		pr_warn("bypasslab: topology: disabling IPv6 on %s: %s\n", dev, strerror(-err));
	return err;
}

static int ifindex_in_ns(void *arg)
{
	unsigned int idx = if_nametoindex(arg);

	return idx ? (int)idx : -errno;
}

int netns_enter(const char *ns)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (!ns || !ns[0] || (ns[0] != '/' && strchr(ns, '/'))) {
		errno = EINVAL;
		return -EINVAL;
	}
	if (ns[0] == '/')
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	if (err)
		errno = -err;
	return err;
}

int netns_exec_fn(const char *ns, int (*fn)(void *), void *arg)
{
	int p[2], r, err;
	ssize_t n;
	pid_t pid;

	if (!fn)
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out_pipe;
	}
	if (pid == 0) {
		close(p[0]);
		r = netns_enter(ns);
		if (!r)
			r = fn(arg);
		/* The result travels through the pipe: an exit status has 8 bits. */
		if (write(p[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	p[1] = -1;
	do
		n = read(p[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	err = n == (ssize_t)sizeof(r) ? r : -ECHILD;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
out_pipe:
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return err;
}

int if_counters_read(pid_t pid, const char *ifname, struct if_counters *c)
{
	char path[64], line[512];
	int err = -ENODEV;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	else
		/* thread-self: after setns() only this thread is in the netns. */
		snprintf(path, sizeof(path), "/proc/thread-self/net/dev");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[16];
		char *name = line, *colon = strchr(line, ':');

		if (!colon)
			continue; /* the two header lines */
		*colon = 0;
		while (*name == ' ')
			name++;
		if (strcmp(name, ifname))
			continue;
		/* rx: bytes packets errs drop fifo frame compressed multicast,
		 * tx: bytes packets errs drop fifo colls carrier compressed */
		if (sscanf(colon + 1,
			   "%llu %llu %llu %llu %llu %llu %llu %llu "
			   "%llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
			   &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]) != 16) {
			err = -EINVAL;
			break;
		}
		c->rx_bytes = v[0];
		c->rx_packets = v[1];
		c->rx_errors = v[2];
		c->rx_dropped = v[3];
		c->tx_bytes = v[8];
		c->tx_packets = v[9];
		c->tx_errors = v[10];
		c->tx_dropped = v[11];
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* ---- building ------------------------------------------------------------ */

/* Every netns and root-netns link of the largest topology. */
#define TOPO_MAX_OBJS (1 + 4 * TOPO_MAX_PAIRS)

/* What this topo_up call recorded, to undo exactly that on failure. */
struct topo_build {
	struct topo *t;
	struct runstate *rs;
	int nmade;
	struct {
		enum rs_kind kind;
		char name[64];
	} made[TOPO_MAX_OBJS];
};

/* Record, then create with one `ip` command. */
static int create_obj(struct topo_build *b, enum rs_kind kind, const char *name,
		      const char *const argv[])
{
	int err;

	if (b->nmade == TOPO_MAX_OBJS)
		return -ENOSPC;
	err = runstate__add(b->rs, kind, name);
	if (err) {
		pr_warn("bypasslab: topology: recording %s in the run state: %s\n", name,
			strerror(-err));
		return err;
	}
	err = ip_cmd(argv);
	/* A name that exists already is not ours to delete. Any other failure
	 * created nothing either, but stays recorded: removal is tolerant. */
	if (err == -EEXIST) {
		runstate__done(b->rs, kind, name);
		return err;
	}
	b->made[b->nmade].kind = kind;
	snprintf(b->made[b->nmade].name, sizeof(b->made[0].name), "%s", name);
	b->nmade++;
	return err;
}

static void topo_build_undo(struct topo_build *b)
{
	/* A veth pair inside would otherwise go away later, asynchronously,
	 * with the netns. Deleting one end takes the other: the b side's
	 * attempt then finds nothing, quietly. */
	if (b->t->kind == TOPO_DIRECT)
		for (int i = 0; i < b->nmade; i++)
			if (b->made[i].kind == RS_NETNS) {
				const char *argv[] = { "ip", "-n", b->made[i].name, "link", "delete",
						       "dev", TOPO_IFNAME, NULL };

				run_cmd(argv, true);
			}
	/* A lent interface that would not go home keeps the namespaces (and
	 * their records) for `bypasslab cleanup`: deleting them would destroy
	 * a veth. */
	for (int stuck = 0; b->nmade-- > 0;) {
		enum rs_kind k = b->made[b->nmade].kind;
		int r;

		if (stuck && k == RS_NETNS)
			continue;
		r = runstate__undo(b->rs, k, b->made[b->nmade].name);
		if (r < 0 && r != -ENOENT && k == RS_IFACE)
			stuck = 1;
	}
}

static void topo_fill(struct topo *t, int kind, const char *prefix, int npairs, int lxc)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->npairs = npairs;
	snprintf(t->prefix, sizeof(t->prefix), "%s", prefix);
	if (kind == TOPO_BRIDGE)
		snprintf(t->bridge, sizeof(t->bridge), "%.12s-br", prefix);
	for (int i = 0; i < 2 * npairs; i++) {
		struct topo_ep *ep = &t->ep[i];
		char side = (char)('a' + (i & 1)), pair[12] = "";

		/* Pair 0 keeps the names of the two-endpoint topology. */
		if (i >= 2)
			snprintf(pair, sizeof(pair), "%d", i / 2);
		if (lxc)
			snprintf(ep->ns, sizeof(ep->ns), "%.12s-%c%d", prefix, side, i / 2);
		else
			snprintf(ep->ns, sizeof(ep->ns), "%.12s-%c%s", prefix, side, pair);
		snprintf(ep->ifname, sizeof(ep->ifname), "%s", TOPO_IFNAME);
		if (kind == TOPO_BRIDGE)
			snprintf(ep->host_if, sizeof(ep->host_if), "%.12s-h%c%s", prefix, side,
				 pair);
		ep->nsfd = -1;
		memcpy(ep->mac, topo_mac_base, 6);
		ep->mac[5] = (uint8_t)(i + 1);
		ep->ip = htonl(TOPO_NET | (uint32_t)(i + 1));
		ep->plen = TOPO_PLEN;
	}
	for (int i = 0; i < 2 * npairs; i++)
		memcpy(t->ep[i].peer_mac, t->ep[i ^ 1].mac, 6);
}

/* The other end of ep[i]'s pair. */
static int peer_of(int i)
{
	return i ^ 1;
}

static int make_netns(struct topo_build *b)
{
	int err;

	for (int i = 0; i < 2 * b->t->npairs; i++) {
		const char *ns = b->t->ep[i].ns;
		const char *argv[] = { "ip", "netns", "add", ns, NULL };

		if (!topo_here(b->t, i))
			continue;
		err = create_obj(b, RS_NETNS, ns, argv);
		if (err)
			return err;
		err = netns_exec_fn(ns, ns_disable_ipv6, NULL);
		if (err) {
			pr_warn("bypasslab: topology: disabling IPv6 in netns %s: %s\n", ns,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

static int make_bridge_links(struct topo_build *b)
{
	struct topo *t = b->t;
	const char *br_argv[] = { "ip", "link", "add", t->bridge, "mtu", TOPO_MTU, "type",
				  "bridge", "forward_delay", "0", "stp_state", "0",
				  "mcast_snooping", "0", NULL };
	int err;

	err = create_obj(b, RS_LINK, t->bridge, br_argv);
	if (!err)
		err = dev_disable_ipv6(t->bridge);
	for (int i = 0; i < 2 * t->npairs && !err; i++) {
		struct topo_ep *ep = &t->ep[i];
		char mac[18];
		const char *veth_argv[] = { "ip", "link", "add", ep->host_if, "mtu", TOPO_MTU,
					    "type", "veth", "peer", "name", ep->ifname, "mtu",
					    TOPO_MTU, "address", mac, "netns", ep->ns, NULL };
		const char *port_argv[] = { "ip", "link", "set", "dev", ep->host_if, "master",
					    t->bridge, NULL };

		/* The peer is born in the netns (IPv6 already off there). */
		iface_fmt_mac(mac, sizeof(mac), ep->mac);
		err = create_obj(b, RS_LINK, ep->host_if, veth_argv);
		if (!err)
			err = dev_disable_ipv6(ep->host_if);
		if (!err)
			err = ip_cmd(port_argv);
	}
	return err;
}

static int make_direct_link(struct topo_build *b, int pair)
{
	const struct topo_ep *a = &b->t->ep[2 * pair], *bp = &b->t->ep[2 * pair + 1];
	char mac_a[18], mac_b[18];
	/* Both ends created straight into their netns; the pair lives and dies
	 * with the namespaces, which are recorded. Both would get ifindex 2
	 * in their fresh netns, and linkwatch treats a device whose ifindex
	 * equals its iflink as non-urgent: carrier-on then waits for the next
	 * once-a-second batch. A distinct index on one end avoids that. */
	const char *argv[] = { "ip", "-n", a->ns, "link", "add", a->ifname,
			       "index", TOPO_DIRECT_IFINDEX_A, "mtu", TOPO_MTU, "address", mac_a,
			       "type", "veth", "peer", "name", bp->ifname, "mtu", TOPO_MTU,
			       "address", mac_b, "netns", bp->ns, NULL };

	iface_fmt_mac(mac_a, sizeof(mac_a), a->mac);
	iface_fmt_mac(mac_b, sizeof(mac_b), bp->mac);
	return ip_cmd(argv);
}

static int make_direct_links(struct topo_build *b)
{
	int err = 0;

	for (int p = 0; p < b->t->npairs && !err; p++)
		err = make_direct_link(b, p);
	return err;
}

/* One endpoint's interface: addressed and up, lo up, its bridge port up. */
static int bring_up_ep(const struct topo_ep *ep)
{
	char addr[INET_ADDRSTRLEN + 4], ip[INET_ADDRSTRLEN];
	const char *addr_argv[] = { "ip", "-n", ep->ns, "addr", "add", addr, "dev", ep->ifname,
				    NULL };
	const char *lo_argv[] = { "ip", "-n", ep->ns, "link", "set", "dev", "lo", "up", NULL };
	const char *up_argv[] = { "ip", "-n", ep->ns, "link", "set", "dev", ep->ifname, "up",
				  NULL };
	const char *host_argv[] = { "ip", "link", "set", "dev", ep->host_if, "up", NULL };
	int err;

	inet_ntop(AF_INET, &ep->ip, ip, sizeof(ip));
	snprintf(addr, sizeof(addr), "%s/%d", ip, ep->plen);
	err = ip_cmd(addr_argv);
	if (!err)
		err = ip_cmd(lo_argv);
	if (!err)
		err = ip_cmd(up_argv);
	if (!err && ep->host_if[0])
		err = ip_cmd(host_argv);
	return err;
}

static int bring_up(struct topo_build *b)
{
	struct topo *t = b->t;
	int err = 0;

	for (int i = 0; i < 2 * t->npairs && !err; i++)
		if (topo_here(t, i))
			err = bring_up_ep(&t->ep[i]);
	if (!err && t->bridge[0]) {
		const char *argv[] = { "ip", "link", "set", "dev", t->bridge, "up", NULL };

		err = ip_cmd(argv);
	}
	return err;
}

static int add_neighbours(struct topo_build *b)
{
	struct topo *t = b->t;
	int err = 0;

	for (int i = 0; i < 2 * t->npairs && !err; i++) {
		const struct topo_ep *ep = &t->ep[i], *peer = &t->ep[peer_of(i)];
		char ip[INET_ADDRSTRLEN], mac[18];
		const char *argv[] = { "ip", "-n", ep->ns, "neigh", "replace", ip, "lladdr", mac,
				       "dev", ep->ifname, "nud", "permanent", NULL };

		if (!topo_here(t, i))
			continue;
		inet_ntop(AF_INET, &peer->ip, ip, sizeof(ip));
		iface_fmt_mac(mac, sizeof(mac), ep->peer_mac);
		err = ip_cmd(argv);
	}
	return err;
}

static int if_running(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd, r;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(fd, SIOCGIFFLAGS, &ifr) ? -errno : !!(ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return r;
}

static int brport_forwarding(const char *port)
{
	char path[PATH_MAX], buf[16] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/brport/state", port);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && atoi(buf) == 3; /* BR_STATE_FORWARDING */
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

struct wait_running {
	const char *ifname;
	int ms;
};

/* Runs inside a netns: carrier is up once both veth ends are (a NIC's
 * once its link is negotiated). */
static int ns_wait_running(void *arg)
{
	const struct wait_running *w = arg;

	for (int i = 0; i < w->ms; i++) {
		int r = if_running(w->ifname);

		if (r)
			return r < 0 ? r : 0;
		sleep_ms(1);
	}
	return -ETIMEDOUT;
}

/* Carrier follows `up` asynchronously: until the kernel's linkwatch work
 * has seen it, a veth transmits into the noop qdisc (dropped), and bridge
 * ports only start forwarding after it. Wait until the path is open. */
static int wait_ready(struct topo *t)
{
	int err = 0;

	for (int i = 0; i < 2 * t->npairs && !err; i++) {
		struct wait_running w = { t->ep[i].ifname, TOPO_READY_MS };

		if (!topo_here(t, i))
			continue;
		if (t->kind == TOPO_IFACE)
			w.ms = TOPO_IFACE_READY_MS;
		err = netns_exec_fn(t->ep[i].ns, ns_wait_running, &w);
	}
	/* The bridge device's own carrier does not matter for forwarding
	 * between ports (and lags: the bridge is a non-urgent linkwatch event,
	 * batched once a second). */
	for (int ms = 0; !err && t->bridge[0]; ms++) {
		int r = 1;

		for (int i = 0; i < 2 * t->npairs && r > 0; i++)
			r = brport_forwarding(t->ep[i].host_if);
		if (r)
			err = r < 0 ? r : 0;
		if (r || ms == TOPO_READY_MS) {
			if (!r)
				err = -ETIMEDOUT;
			break;
		}
		sleep_ms(1);
	}
	if (err)
		pr_warn("bypasslab: topology: %s did not come up: %s\n", t->prefix,
			strerror(-err));
	return err;
}

static int read_ifindexes(struct topo *t)
{
	for (int i = 0; i < 2 * t->npairs; i++) {
		struct topo_ep *ep = &t->ep[i];
		int idx = topo_here(t, i) ? netns_exec_fn(ep->ns, ifindex_in_ns, ep->ifname) : 1;

		if (idx <= 0)
			goto fail;
		ep->ifindex = idx;
		if (ep->host_if[0]) {
			ep->host_ifindex = (int)if_nametoindex(ep->host_if);
			if (!ep->host_ifindex)
				goto fail;
		}
	}
	if (t->bridge[0]) {
		t->bridge_ifindex = (int)if_nametoindex(t->bridge);
		if (!t->bridge_ifindex)
			goto fail;
	}
	return 0;

fail:
	pr_warn("bypasslab: topology: an interface of %s vanished while it was built\n",
		t->prefix);
	return -ENODEV;
}

int topo_up(struct topo *t, struct runstate *rs, int kind, const char *prefix)
{
	return topo_up_pairs(t, rs, kind, prefix, 1);
}

int topo_up_pairs(struct topo *t, struct runstate *rs, int kind, const char *prefix, int npairs)
{
	struct topo_build b = { .t = t, .rs = rs };
	int err;

	if (!t || !rs || !prefix || (kind != TOPO_BRIDGE && kind != TOPO_DIRECT) || npairs < 1 ||
	    npairs > TOPO_MAX_PAIRS)
		return -EINVAL;
	/* "<prefix>-br" must fit IFNAMSIZ; the run state only accepts its own
	 * prefix anyway. */
	if (strlen(prefix) > IFNAMSIZ - 4 || strcmp(prefix, runstate__prefix(rs)))
		return -EINVAL;
	/* ... and so must "<prefix>-hb<pair>". */
	if (npairs > 1 && strlen(prefix) + 4 + (npairs > 10 ? 2 : 1) > IFNAMSIZ - 1)
		return -EINVAL;
	topo_fill(t, kind, prefix, npairs, 0);
	err = make_netns(&b);
	if (err)
		goto out_undo;
	err = kind == TOPO_BRIDGE ? make_bridge_links(&b) : make_direct_links(&b);
	if (err)
		goto out_undo;
	err = bring_up(&b);
	if (err)
		goto out_undo;
	err = add_neighbours(&b);
	if (err)
		goto out_undo;
	err = wait_ready(t);
	if (err)
		goto out_undo;
	err = read_ifindexes(t);
	if (err)
		goto out_undo;
	pr_debug("bypasslab: topology %s up: %s <-> %s (%d pair(s))\n",
		 kind == TOPO_BRIDGE ? "bridge" : "direct", t->ep[0].ns, t->ep[1].ns, npairs);
	return 0;

out_undo:
	topo_build_undo(&b);
	return err;
}

/* The kept IPv4 address of st (preflight checked there is one). */
static int kept_addr(const struct iface_state *st, uint32_t *ip, int *plen)
{
	char why[160], cidr[64];

	for (int i = 0; i < st->naddr; i++) {
		if (st->addr[i].family != AF_INET)
			continue;
		snprintf(cidr, sizeof(cidr), "%s/%d", st->addr[i].local, st->addr[i].plen);
		if (!iface_parse_ip(cidr, ip, plen, why, sizeof(why)))
			return 0;
	}
	return -EADDRNOTAVAIL;
}

/* Record, then move one interface into ep's netns; fill ep from it. */
static int lend_iface(struct topo_build *b, struct topo_ep *ep, const char *name,
		      const char *ipcfg, int side)
{
	const char *argv[] = { "ip", "link", "set", "dev", name, "netns", ep->ns, NULL };
	const char *mtu[] = { "ip", "-n", ep->ns, "link", "set", "dev", name, "mtu", TOPO_MTU,
			      NULL };
	struct iface_state st;
	char why[160];
	int err;

	err = iface_read(name, &st);
	if (!err)
		err = iface_origin(&st);
	if (err) {
		pr_warn("bypasslab: topology: interface %s: %s\n", name, strerror(-err));
		return err;
	}
	if (!strcmp(ipcfg, "keep"))
		err = kept_addr(&st, &ep->ip, &ep->plen);
	else
		err = iface_parse_ip(ipcfg, &ep->ip, &ep->plen, why, sizeof(why));
	if (err)
		return -EADDRNOTAVAIL;
	snprintf(st.ns, sizeof(st.ns), "%s", ep->ns);
	snprintf(ep->if_rec, sizeof(ep->if_rec), "%s/%s-if-%c%s", RS_STATE_DIR, b->t->prefix,
		 'a' + side, IFACE_REC_SUFFIX);
	err = iface_record_write(ep->if_rec, &st);
	if (!err) {
		err = runstate__add(b->rs, RS_IFACE, ep->if_rec);
		if (err)
			unlink(ep->if_rec);
	}
	if (err) {
		pr_warn("bypasslab: topology: recording %s: %s\n", ep->if_rec, strerror(-err));
		return err;
	}
	b->made[b->nmade].kind = RS_IFACE;
	snprintf(b->made[b->nmade].name, sizeof(b->made[0].name), "%s", ep->if_rec);
	b->nmade++;
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", name);
	memcpy(ep->mac, st.mac, 6);
	snprintf(ep->if_kind, sizeof(ep->if_kind), "%s", st.kind);
	snprintf(ep->if_driver, sizeof(ep->if_driver), "%s", st.driver);
	iface_origin_str(&st, ep->if_origin, sizeof(ep->if_origin));
	err = ip_cmd(argv);
	return err ? err : ip_cmd(mtu);
}

int topo_up_iface(struct topo *t, struct runstate *rs, const char *prefix,
		  const struct case_cfg *c)
{
	struct topo_build b = { .t = t, .rs = rs };
	int err;

	if (!t || !rs || !prefix || !c || strlen(prefix) > IFNAMSIZ - 4 ||
	    strcmp(prefix, runstate__prefix(rs)))
		return -EINVAL;
	topo_fill(t, TOPO_IFACE, prefix, 1, 0);
	err = make_netns(&b);
	if (!err)
		err = lend_iface(&b, &t->ep[0], c->iface_a, c->ip_a, 0);
	if (!err)
		err = lend_iface(&b, &t->ep[1], c->iface_b, c->ip_b, 1);
	if (err)
		goto out_undo;
	memcpy(t->ep[1].peer_mac, t->ep[0].mac, 6);
	memcpy(t->ep[0].peer_mac, t->ep[1].mac, 6);
	if (c->mac_b[0] && !iface_parse_mac(c->mac_b, t->ep[0].peer_mac))
		t->ep[0].mac_cfg = 1;
	err = bring_up(&b);
	if (!err)
		err = add_neighbours(&b);
	if (!err)
		err = wait_ready(t);
	if (!err)
		err = read_ifindexes(t);
	if (err)
		goto out_undo;
	pr_debug("bypasslab: topology iface up: %s in %s <-> %s in %s\n", t->ep[0].ifname,
		 t->ep[0].ns, t->ep[1].ifname, t->ep[1].ns);
	return 0;

out_undo:
	topo_build_undo(&b);
	return err;
}

/* Runs inside the netns. */
static int nft_guard(void *arg)
{
	char rule[256];
	const char *argv[] = { "nft", rule, NULL };

	snprintf(rule, sizeof(rule),
		 "add table ip bypasslab; add chain ip bypasslab pre { type filter hook "
		 "prerouting priority -300; }; add rule ip bypasslab pre udp dport { %d, %d } "
		 "counter drop",
		 TOPO_PORT_A, TOPO_PORT_B);
	(void)arg;
	return run_cmd(argv, false);
}

int topo_guard_udp(const char *ns)
{
	return netns_visit(ns, nft_guard, NULL);
}

int topo_up_side(struct topo *t, struct runstate *rs, const char *prefix, int side,
		 const char *iface, const char *ipcfg)
{
	struct topo_build b = { .t = t, .rs = rs };
	int err;

	if (!t || !rs || !prefix || (side != 0 && side != 1) || strlen(prefix) > IFNAMSIZ - 4 ||
	    strcmp(prefix, runstate__prefix(rs)))
		return -EINVAL;
	topo_fill(t, TOPO_IFACE, prefix, 1, 0);
	t->one_side = side + 1;
	err = make_netns(&b);
	if (!err)
		err = lend_iface(&b, &t->ep[side], iface, ipcfg, side);
	if (!err)
		err = bring_up(&b);
	if (err)
		topo_build_undo(&b);
	return err;
}

int topo_side_peer(struct topo *t, uint32_t peer_ip, const uint8_t peer_mac[6])
{
	struct topo_build b = { .t = t };
	int side = t->one_side - 1, err;

	if (side != 0 && side != 1)
		return -EINVAL;
	t->ep[side ^ 1].ip = peer_ip;
	memcpy(t->ep[side ^ 1].mac, peer_mac, 6);
	memcpy(t->ep[side].peer_mac, peer_mac, 6);
	err = add_neighbours(&b);
	if (!err)
		err = wait_ready(t);
	return err ? err : read_ifindexes(t);
}

int topo_up_lxc(struct topo *t, struct runstate *rs, const char *prefix, int npairs)
{
	struct topo_build b = { .t = t, .rs = rs };
	const char *up_argv[] = { "ip", "link", "set", "dev", t->bridge, "up", NULL };
	int err;

	if (!t || !rs || !prefix || npairs < 1 || npairs > TOPO_MAX_PAIRS)
		return -EINVAL;
	if (strlen(prefix) > IFNAMSIZ - 4 || strcmp(prefix, runstate__prefix(rs)))
		return -EINVAL;
	if (npairs > 1 && strlen(prefix) + 4 + (npairs > 10 ? 2 : 1) > IFNAMSIZ - 1)
		return -EINVAL;
	topo_fill(t, TOPO_BRIDGE, prefix, npairs, 1);
	t->lxc = 1;
	{
		const char *br_argv[] = { "ip", "link", "add", t->bridge, "mtu", TOPO_MTU, "type",
					  "bridge", "forward_delay", "0", "stp_state", "0",
					  "mcast_snooping", "0", NULL };

		err = create_obj(&b, RS_LINK, t->bridge, br_argv);
	}
	if (!err)
		err = dev_disable_ipv6(t->bridge);
	if (!err)
		err = ip_cmd(up_argv);
	if (!err) {
		t->bridge_ifindex = (int)if_nametoindex(t->bridge);
		if (!t->bridge_ifindex)
			err = -ENODEV;
	}
	if (err)
		topo_build_undo(&b);
	return err;
}

int topo_attach(struct topo *t, int i, pid_t pid)
{
	struct topo_ep *ep = &t->ep[i];
	char path[64];
	int idx;

	/* The netns outlives the container while we hold it: the counters
	 * after the endpoints stopped are read from it. Forked helpers
	 * inherit the fd, so the /proc/self path works for them too. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (ep->nsfd < 0) {
		ep->nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (ep->nsfd < 0)
			return -errno;
	}
	snprintf(ep->nspath, sizeof(ep->nspath), "/proc/self/fd/%d", ep->nsfd);
	idx = netns_exec_fn(ep->nspath, ifindex_in_ns, ep->ifname);
	if (idx <= 0)
		return idx < 0 ? idx : -ENODEV;
	ep->ifindex = idx;
	ep->host_ifindex = (int)if_nametoindex(ep->host_if);
	if (!ep->host_ifindex)
		return -ENODEV;
	/* LXC brings the port up in the root netns' default IPv6 setting:
	 * switch it off before the window, so no RS/MLD frame lands in the
	 * counters from then on. */
	return dev_disable_ipv6(ep->host_if);
}

int topo_wait_ports(struct topo *t)
{
	for (int ms = 0; ms <= TOPO_READY_MS; ms++) {
		int r = 1;

		for (int i = 0; i < 2 * t->npairs && r > 0; i++)
			r = brport_forwarding(t->ep[i].host_if);
		if (r)
			return r < 0 ? r : 0;
		sleep_ms(1);
	}
	pr_warn("bypasslab: topology: %s: bridge ports did not start forwarding\n", t->prefix);
	return -ETIMEDOUT;
}

static void topo_undo(struct runstate *rs, enum rs_kind kind, const char *name, int *first)
{
	int r;

	if (!name[0])
		return;
	r = runstate__undo(rs, kind, name);
	/* -ENOENT: not live in the run state, i.e. already torn down. */
	if (r < 0 && r != -ENOENT && !*first)
		*first = r;
}

int topo_down(struct topo *t, struct runstate *rs)
{
	/* A topo filled before npairs existed describes one pair. */
	int nep = 2 * (t && t->npairs > 0 ? t->npairs : 1);
	int err = 0;

	/* topology=hosts: each side is its host's agent's (agent.c). */
	if (!t || !t->prefix[0] || t->kind == TOPO_HOSTS)
		return 0;
	if (!rs)
		return -EINVAL;
	/* Let the containers' namespaces go, and their eth0 with them. */
	for (int i = 0; i < nep && t->lxc; i++) {
		if (t->ep[i].nsfd >= 0)
			close(t->ep[i].nsfd);
		t->ep[i].nsfd = -1;
		t->ep[i].nspath[0] = 0;
	}
	if (t->kind == TOPO_BRIDGE) {
		/* Ports first: deleting a host-side veth takes the netns end with it
		 * right away; the bridge is then empty. */
		for (int i = nep - 1; i >= 0; i--)
			topo_undo(rs, RS_LINK, t->ep[i].host_if, &err);
		topo_undo(rs, RS_LINK, t->bridge, &err);
	} else if (t->kind == TOPO_IFACE) {
		/* Home before the namespaces go: a veth would die with them. One
		 * that would not go home keeps its namespace, and the run state
		 * keeps both for `bypasslab cleanup`. */
		for (int i = nep - 1; i >= 0; i--) {
			int r = t->ep[i].if_rec[0] ? runstate__undo(rs, RS_IFACE, t->ep[i].if_rec) : 0;

			if (r < 0 && r != -ENOENT) {
				t->ep[i].ns[0] = 0;
				if (!err)
					err = r;
			}
		}
	} else {
		for (int i = 0; i < nep; i += 2) {
			const char *argv[] = { "ip", "-n", t->ep[i].ns, "link", "delete", "dev",
					       t->ep[i].ifname, NULL };
			char path[PATH_MAX];

			/* Delete the pair now rather than when the kernel gets round
			 * to freeing the namespace. */
			snprintf(path, sizeof(path), "/run/netns/%s", t->ep[i].ns);
			if (!access(path, F_OK))
				run_cmd(argv, true);
		}
	}
	/* LXC's namespaces go with their containers. */
	for (int i = nep - 1; i >= 0 && !t->lxc; i--)
		topo_undo(rs, RS_NETNS, t->ep[i].ns, &err);
	return err;
}

/* One ethtool value (ETHTOOL_SGRO, ETHTOOL_STSO) on a device of the calling
 * thread's netns, read back. */
struct dev_feat {
	const char *ifname;
	uint32_t set, get, val;
};

static int dev_feat_set(void *arg)
{
	const struct dev_feat *f = arg;
	struct ethtool_value ev = { .cmd = f->set, .data = f->val };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", f->ifname);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	ev.cmd = f->get;
	if (!err && ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	if (!err && ev.data != f->val)
		err = -EOPNOTSUPP;
	close(fd);
	return err;
}

int topo_veth_napi(struct topo *t)
{
	int err = 0;

	for (int i = 0; i < 2 * t->npairs && !err; i++) {
		struct topo_ep *e = &t->ep[i];
		struct dev_feat gro = { e->ifname, ETHTOOL_SGRO, ETHTOOL_GGRO, 1 };
		/* What transmits into e's eth0: its bridge port, or the peer's eth0. */
		struct dev_feat tso = { t->bridge[0] ? e->host_if : t->ep[i ^ 1].ifname,
					ETHTOOL_STSO, ETHTOOL_GTSO, 0 };

		err = netns_visit(topo_ep_ns(e), dev_feat_set, &gro);
		if (!err && t->bridge[0])
			err = dev_feat_set(&tso);
		else if (!err)
			err = netns_visit(topo_ep_ns(&t->ep[i ^ 1]), dev_feat_set, &tso);
	}
	return err;
}
