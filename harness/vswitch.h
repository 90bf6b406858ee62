/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A userspace switch between two vhost-user ports: the DPDK datapath's
 * "vhost through a switch" mode, the bypass twin of a linux bridge.
 *
 * The endpoints are DPDK net_virtio_user devices in server mode (they
 * create the sockets); the switch is the vhost-user client of both and
 * forwards port 0 <-> port 1 on one core:
 *   testpmd  dpdk-testpmd, two net_vhost vdevs (client=1), io forwarding
 *   ovs      ovsdb-server + ovs-vswitchd-dpdk of its own, a netdev bridge
 *            with two dpdkvhostuserclient ports and port-to-port flows
 * Everything the switch creates lives in its private directory (sockets,
 * database, pid and log files), under its DPDK --file-prefix
 * "<prefix>-sw", and for ovs in a network namespace of its own that dies
 * with ovs-vswitchd (its netdev datapath makes taps with fixed names).
 */
#ifndef BL_VSWITCH_H
#define BL_VSWITCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "runstate.h"

enum vswitch_kind { VSWITCH_NONE = 0, VSWITCH_TESTPMD, VSWITCH_OVS };

struct vswitch_port_stats {
	uint64_t rx_pkts, tx_pkts, rx_dropped, tx_dropped;
};

struct vswitch {
	enum vswitch_kind kind;
	unsigned int cpu;
	char dir[256];    /* private directory */
	char name[64];    /* testpmd: "testpmd"; ovs: the bridge */
	char version[64]; /* "DPDK 22.11.11", "3.1.0 DPDK 22.11.11" */
	/* private */
	char prefix[16];
	char huge[64];   /* RS_HUGE /dev/hugepages/<prefix>-sw */
	char rundir[64]; /* RS_TREE /var/run/dpdk/<prefix>-sw */
	pid_t pid[2];    /* testpmd: [0]; ovs: [0] ovsdb-server, [1] ovs-vswitchd */
	int stdin_fd;    /* testpmd: write end of its stdin (-1 if none) */
	int stopped, have_final;
	int have_port[2]; /* ovs: final[i] holds port i's last counters */
	struct vswitch_port_stats final[2];
};

const char *vswitch_name(enum vswitch_kind k);
int vswitch_kind_parse(const char *s); /* -1 if unknown */

/* Is this switch installed here (and are hugepages set up)? 0, or -ENOENT
 * with a one-line reason in msg. */
int vswitch_probe(enum vswitch_kind kind, char *msg, size_t len);

/* Start in the private directory dir (created here; its basename must
 * start with the run prefix, e.g. /run/bypasslab/<prefix>-sw), as the
 * vhost-user client of sock[0] (port 0) and sock[1] (port 1), forwarding
 * between them on CPU cpu. Returns once the switch runs and has both ports
 * configured; the links come up when the endpoints' servers accept (the
 * caller waits for its endpoints). Everything is recorded in rs before it
 * exists (processes right after fork; they die with the calling thread).
 * 0 or -errno with a one-line message in err; on error nothing is left.
 * sw is overwritten: stop a running switch first. */
int vswitch_start(struct vswitch *sw, enum vswitch_kind kind, struct runstate *rs,
		  const char *prefix, const char *dir, unsigned int cpu, const char *const sock[2],
		  char *err, size_t errlen);

/* Current per-port counters: ovs at any time (live from the datapath);
 * testpmd only after vswitch_stop (-EAGAIN before). OVS forgets a port's
 * counters when its vhost-user peer disconnects: such a port keeps the
 * values of the last call, so read them after the traffic stopped and
 * before the endpoints close their ports (testpmd keeps them).
 * dropped = drops + errors on that port (RX-dropped is imissed). */
int vswitch_stats(struct vswitch *sw, struct vswitch_port_stats st[2]);

/* Stop (SIGTERM, then SIGKILL after a bounded wait), store the final
 * counters in st (may be NULL; zeros if there are none) and remove
 * everything through the run state. 0, or -errno if the counters could not
 * be read (-ENODATA: the switch had died) or something could not be
 * removed (it stays recorded for cleanup). Idempotent: once stopped (or
 * after a failed start) it returns 0 and the same counters. */
int vswitch_stop(struct vswitch *sw, struct runstate *rs, struct vswitch_port_stats st[2]);

/* {"kind", "version", "cpu", "ports": [{rx_pkts, tx_pkts, rx_dropped,
 * tx_dropped}, x2]} ("ports" only with st). */
json_t *vswitch_json(const struct vswitch *sw, const struct vswitch_port_stats st[2]);

#endif
