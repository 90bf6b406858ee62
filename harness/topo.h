/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test topologies: two endpoints, each in its own netns named
 * "<prefix>-a" (sender/client) and "<prefix>-b" (receiver/server), with
 * "eth0" inside, MAC 02:42:c6:12:00:0N, 198.18.0.N/24 (N = 1, 2), MTU 1500,
 * permanent neighbour entries both ways and IPv6 off, so nothing but the
 * benchmark's own frames ever crosses the links.
 *   bridge: eth0 <-veth-> <prefix>-ha -- bridge <prefix>-br -- <prefix>-hb
 *           <-veth-> eth0, the bridge and host ports in the root netns.
 *   direct: one veth pair, eth0 in a <-> eth0 in b.
 *   iface:  two existing interfaces of this host (iface_a, iface_b), each
 *           moved into its side's netns under its own name with its own
 *           MAC, an address from ip_a/ip_b (or its own, `keep`), MTU 1500,
 *           and returned as it was by topo_down (iface.h).
 * With N pairs (topo_up_pairs), pair i has its own two namespaces
 * "<prefix>-a<i>"/"<prefix>-b<i>" (pair 0 keeps "-a"/"-b"), MACs and
 * addresses 2i+1 and 2i+2; bridge: every host port on the one bridge,
 * direct: one veth pair per pair. Only the two ends of a pair know each
 * other's neighbour entry: pairs never talk across.
 */
#ifndef BL_TOPO_H
#define BL_TOPO_H

#include <stdint.h>
#include <sys/types.h>

struct runstate;

#define TOPO_MAX_PAIRS 16

struct topo_ep {
	char ns[32];        /* netns name; lxc: the container's name */
	char nspath[48];    /* lxc: "/proc/self/fd/<nsfd>" once attached */
	int nsfd;           /* lxc: holds the container's netns (its counters
			     * stay readable after it stopped); -1 if none */
	char ifname[16];    /* inside the ns: "eth0"; iface: its own name */
	char host_if[16];   /* bridge port in the root ns ("" for direct) */
	uint8_t mac[6];
	uint8_t peer_mac[6]; /* what this side addresses the other side with */
	uint32_t ip;        /* network order */
	int plen;           /* prefix length of ip */
	int ifindex;        /* of ifname inside the ns */
	int host_ifindex;   /* of host_if in the root ns, 0 for direct */
	/* iface: what the interface is and where it goes back to */
	char if_kind[16];   /* "veth", another link kind, "physical" or "virtual" */
	char if_driver[32];
	char if_origin[48]; /* its netns: a /run/netns name or "net:[INODE]" */
	char if_rec[64];    /* its restore record, in the run state */
	int mac_cfg;        /* peer_mac of the a side came from mac_b */
};

struct topo {
	int kind;           /* enum topo_kind from harness/config.h */
	char prefix[16];
	char bridge[16];    /* "" for direct */
	int bridge_ifindex;
	int npairs;         /* pair i: ep[2i] = a side, ep[2i + 1] = b side */
	int lxc;            /* endpoints' namespaces and veths made by LXC */
	/* topology=hosts: 0 = both sides are here; 1 = only a, 2 = only b
	 * (an agent's half: the other side is another host's) */
	int one_side;
	struct topo_ep ep[2 * TOPO_MAX_PAIRS];
};

/* Whether endpoint i of t is on this host. */
static inline int topo_here(const struct topo *t, int i)
{
	return !t->one_side || i == t->one_side - 1;
}

/* Every endpoint's eth0 receives in NAPI (DP_NEED_VETH_NAPI): GRO on it,
 * and TSO off on the device that transmits into it (its bridge port, or
 * the peer's eth0), without which veth does not hand a frame to NAPI. Only
 * features of devices the run created change; they go with the devices. */
int topo_veth_napi(struct topo *t);

/* Build the topology from the root netns, recording every object in rs
 * before creating it. On failure everything this call created is removed
 * again and -errno is returned (-EEXIST, -EPERM, ... as reported by the
 * kernel to `ip`, -EIO if that could not be told). */
int topo_up(struct topo *t, struct runstate *rs, int kind, const char *prefix);
/* Same with npairs (1..TOPO_MAX_PAIRS) endpoint pairs; topo_up is npairs = 1. */
int topo_up_pairs(struct topo *t, struct runstate *rs, int kind, const char *prefix, int npairs);
/* topology=iface: the two interfaces c names, lent to the run (each one's
 * restore record in rs before it moves). 0 or -errno; on failure both are
 * back where they were. */
struct case_cfg;
int topo_up_iface(struct topo *t, struct runstate *rs, const char *prefix,
		  const struct case_cfg *c);
/* The workload's UDP ports, as every endpoint uses them (ep_run.h). */
#define TOPO_PORT_A 9000
#define TOPO_PORT_B 9001
/* AF_PACKET receivers take frames from the tap, before IP: keep the UDP
 * stack of netns ns (a /run/netns name or a path) from answering them
 * with ICMP port unreachable. netns-local, gone with the namespace. 0 or
 * -errno. */
int topo_guard_udp(const char *ns);
/* topology=hosts, an agent's half: the interface lent to side's namespace
 * "<prefix>-a" or "-b" (as topo_up_iface does it), addressed from ipcfg
 * and up. The peer's address and MAC come later (topo_side_peer). 0 or
 * -errno; on failure the interface is back where it was. */
int topo_up_side(struct topo *t, struct runstate *rs, const char *prefix, int side,
		 const char *iface, const char *ipcfg);
/* ... the other host's side: its address and MAC as the neighbour, then
 * the carrier waited for and the ifindex read. 0 or -errno (-ETIMEDOUT: no
 * carrier); the caller tears down. */
int topo_side_peer(struct topo *t, uint32_t peer_ip, const uint8_t peer_mac[6]);
/* container=lxc: only the bridge; LXC creates each endpoint's netns and
 * its veth "<prefix>-h{a,b}[<pair>]" into the bridge (lxc.net.0.*), with
 * the MAC and address filled in here; containers are "<prefix>-a<pair>"
 * and "<prefix>-b<pair>". Then topo_attach() each endpoint once its
 * container runs, and topo_wait_ports(). */
int topo_up_lxc(struct topo *t, struct runstate *rs, const char *prefix, int npairs);
/* Endpoint i's netns is the one of process pid (in its container): read
 * its ifindexes and switch IPv6 off on its bridge port. 0 or -errno. */
int topo_attach(struct topo *t, int i, pid_t pid);
/* Wait until every bridge port forwards. 0 or -ETIMEDOUT. */
int topo_wait_ports(struct topo *t);
/* What to setns() into for endpoint ep: a path or a /run/netns name. */
static inline const char *topo_ep_ns(const struct topo_ep *ep)
{
	return ep->nspath[0] ? ep->nspath : ep->ns;
}

/* Remove everything topo_up created and mark it done in rs. 0 or the first
 * -errno (after trying everything). Safe on a zeroed or torn-down topo. */
int topo_down(struct topo *t, struct runstate *rs);

/* setns(CLONE_NEWNET) into /run/netns/NAME (or an absolute path such as
 * /proc/PID/ns/net) for the calling thread (meant for forked children).
 * 0 or -errno, with errno set. */
int netns_enter(const char *ns);
/* Fork, enter ns, run fn(arg) in the child; returns fn's result, or -errno
 * if the child could not be started, enter the ns or report back. */
int netns_exec_fn(const char *ns, int (*fn)(void *), void *arg);

/* Interface counters from /proc/<pid>/net/dev, i.e. of the netns pid is in
 * (pid 0: the calling thread's netns). 0, -ENODEV if there is no such
 * interface, or -errno. */
struct if_counters {
	uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
};
int if_counters_read(pid_t pid, const char *ifname, struct if_counters *c);

#endif
