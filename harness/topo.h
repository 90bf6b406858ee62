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
 */
#ifndef BL_TOPO_H
#define BL_TOPO_H

#include <stdint.h>
#include <sys/types.h>

struct runstate;

struct topo_ep {
	char ns[32];        /* netns name */
	char ifname[16];    /* inside the ns: "eth0" */
	char host_if[16];   /* bridge port in the root ns ("" for direct) */
	uint8_t mac[6];
	uint32_t ip;        /* network order */
	int ifindex;        /* of ifname inside the ns */
	int host_ifindex;   /* of host_if in the root ns, 0 for direct */
};

struct topo {
	int kind;           /* enum topo_kind from harness/config.h */
	char prefix[16];
	char bridge[16];    /* "" for direct */
	int bridge_ifindex;
	struct topo_ep ep[2];
};

/* Build the topology from the root netns, recording every object in rs
 * before creating it. On failure everything this call created is removed
 * again and -errno is returned (-EEXIST, -EPERM, ... as reported by the
 * kernel to `ip`, -EIO if that could not be told). */
int topo_up(struct topo *t, struct runstate *rs, int kind, const char *prefix);
/* Remove everything topo_up created and mark it done in rs. 0 or the first
 * -errno (after trying everything). Safe on a zeroed or torn-down topo. */
int topo_down(struct topo *t, struct runstate *rs);

/* setns(CLONE_NEWNET) into /run/netns/NAME for the calling thread (meant for
 * forked children). 0 or -errno, with errno set. */
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
