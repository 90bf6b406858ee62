/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The page an endpoint shares with the harness (a file in /dev/shm named with
 * the run prefix). The harness writes cfg and cmd; the endpoint writes state,
 * st, rtt and ks. Every counter is a single-writer monotonic u64, so a
 * snapshot is a plain read of each field (taken within a microsecond); window
 * values are close-snapshot minus open-snapshot.
 */
#ifndef BL_SHM_H
#define BL_SHM_H

#include <stdint.h>
#include "../lib/histo.h"

#define EP_SHM_MAGIC 0x62706c31u /* "bpl1" */
#define EP_SHM_VERSION 7u

#define EP_NOPTS 12 /* options one datapath may have (struct dp_opt) */
#define EP_NFOREIGN 8 /* = FRAME_NBAD (lib/frame.h) */

enum ep_role { EP_ROLE_SEND = 0, EP_ROLE_RECV, EP_ROLE_CLIENT, EP_ROLE_SERVER };
/* EXIT: stop and close. An endpoint whose datapath has a link op keeps
 * its port open after STOP until EXIT: a switch forgets a port's counters
 * when its peer goes, and the harness reads them first. */
enum ep_cmd { EP_CMD_WAIT = 0, EP_CMD_RUN, EP_CMD_STOP, EP_CMD_EXIT };
enum ep_state { EP_ST_INIT = 0, EP_ST_READY, EP_ST_RUNNING, EP_ST_DONE, EP_ST_FAILED };

/* Values of datapath options, as the datapaths' option tables spell them. */
enum packet_tx_mode { PKT_TX_RING = 0, PKT_TX_SENDTO };
enum packet_rx_mode { PKT_RX_RING = 0, PKT_RX_RECV };
enum uring_rx_mode { URING_RX_SINGLE = 0, URING_RX_MULTISHOT };
/* Who runs io_uring's completion task_work: see datapaths/dp_uring.c. */
enum uring_taskrun_mode { URING_TASKRUN_DEFAULT = 0, URING_TASKRUN_COOP, URING_TASKRUN_DEFER };
/* Where io_uring's SQ poll thread is pinned: the other endpoint's CPU or its own. */
enum uring_sqpoll_cpu { URING_SQCPU_PEER = 0, URING_SQCPU_SELF };
/* xdp: attach mode of the XDP program, and how the AF_XDP socket binds. */
enum xdp_mode_cfg { XDPMODE_NATIVE = 0, XDPMODE_GENERIC };
enum xdp_bind_cfg { XDPBIND_COPY = 0, XDPBIND_ZEROCOPY, XDPBIND_AUTO };
/* dpdk: the port an endpoint's EAL brings up. */
enum dpdk_port_kind { DPDK_PORT_VHOST = 0, DPDK_PORT_MEMIF, DPDK_PORT_AF_XDP, DPDK_PORT_SRIOV };

struct ep_config {
	char datapath[16];
	char ifname[16]; /* device inside the endpoint's netns */
	uint32_t role;   /* enum ep_role */
	uint32_t cpu;
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint32_t src_ip; /* network order */
	uint32_t dst_ip; /* network order */
	uint16_t sport;  /* host order */
	uint16_t dport;  /* host order */
	uint32_t frame_size; /* RFC 2544 size incl. FCS */
	uint32_t burst;
	uint64_t rate_pps; /* 0 = as fast as possible */
	uint32_t blocking;
	uint32_t touch;       /* read/write every payload byte */
	uint32_t verify;      /* L2: check received frames' IPv4/UDP checksums */
	uint32_t outstanding; /* ping-pong closed loop: requests in flight (1) */
	uint32_t timeout_us;  /* ping-pong: a reply later than this is lost */
	uint64_t tsc_hz;
	uint64_t max_run_ms; /* safety: the endpoint stops by itself after this */
	uint32_t sndbuf;     /* bytes, 0 = kernel default */
	uint32_t rcvbuf;
	uint32_t ring_frames; /* ring sizes for packet/uring (frames/entries) */
	uint32_t peer_cpu;    /* the other endpoint's CPU (a kernel thread may go there) */
	/* This case's random token: every workload frame carries it in its
	 * test header, and a receiver takes nothing else as the workload's. */
	uint32_t token;
	/* The datapath's own options, by index in its dp_ops.opts table. */
	int64_t opt[EP_NOPTS];
	/* Known costs injected per packet, to calibrate the attribution: spin
	 * this many ns of user code, and make one getppid() (timed as the
	 * datapath's calls are). */
	uint32_t inject_user_ns;
	uint32_t inject_syscall;
	/* dpdk: the EAL command line the harness built (arguments separated by
	 * single spaces; none contains a space), its one port among them. */
	char dpdk_eal[768];
};

#define EP_NSYS 6 /* distinct system calls a datapath makes */

/* Endpoint counters: engine counts packets, datapaths count their calls. */
struct ep_stats {
	uint64_t tx_pkts, tx_bytes; /* bytes: RFC 2544 frame bytes (incl. FCS) */
	uint64_t tx_bursts;         /* tx_burst calls that moved >= 1 packet */
	uint64_t tx_busy;           /* tx attempts that moved nothing (ring/socket full) */
	uint64_t tx_syscalls;       /* system calls made to transmit */
	uint64_t tx_errors;         /* hard errors from the datapath */
	uint64_t rx_pkts, rx_bytes; /* our packets only */
	uint64_t rx_bursts;
	uint64_t rx_empty;    /* rx polls that returned nothing */
	uint64_t rx_syscalls; /* system calls made to receive */
	uint64_t rx_errors;
	uint64_t rx_foreign; /* frames that were not the workload's (sum of rx_foreign_by) */
	/* ... by reason (enum frame_bad in lib/frame.h; [0] unused): MAC, IP,
	 * port, token, length, checksum, an implausible sequence number */
	uint64_t rx_foreign_by[EP_NFOREIGN];
	uint64_t rx_reorder; /* seq lower than the highest seen */
	uint64_t rx_dup;     /* seq seen before (within the tracking window) */
	uint64_t rx_late;    /* ping-pong replies that came after their timeout */
	uint64_t rx_seq_max; /* highest seq received + 1 */
	uint64_t timeouts;   /* ping-pong requests declared lost */
	uint64_t rx_drained; /* client: replies collected after stop (in rx_pkts/rx_late);
			      * receiver: packets read after stop (in rx_pkts) */
	uint64_t pace_late;  /* bursts that left more than one interval late */
	uint64_t cyc_tx, cyc_rx, cyc_work, cyc_idle; /* TSC cycles by activity */
	uint64_t loops;
	/* TSC span of the role loop (updated every iteration): with the
	 * bursts and empty polls timed inside it, work = loop - tx - rx - idle
	 * is a TSC figure the scheduler's CPU time can contradict. */
	uint64_t cyc_loop;
	uint64_t cyc_inject; /* TSC cycles of injected user spin */
	/* The datapath's own system calls, each timed on the TSC around the
	 * call (DP_SYSCALL in dp.h), by number: the engine's clock for what the
	 * probes see from sys_enter to sys_exit plus the entry/exit path. */
	struct ep_sys {
		uint64_t nr; /* syscall number + 1; 0 = free slot */
		uint64_t calls;
		uint64_t cyc;
	} sys[EP_NSYS];
	uint64_t sys_untimed; /* calls that found no free slot */
	/* The kernel's fast paths (socket datapaths; 0 elsewhere). UDP GSO:
	 * sends that carried more than one datagram, and the datagrams in
	 * them; one such send is one packet on the wire up to the segmenter.
	 * UDP GRO: receive buffers that held more than one datagram, and the
	 * datagrams in them. */
	uint64_t tx_gso_sends, tx_gso_segs;
	uint64_t rx_gro_bufs, rx_gro_segs;
	/* MSG_ZEROCOPY / SEND_ZC: sends made zero-copy, their completions
	 * (every one, copied or not), the completions the kernel flagged as
	 * copied instead (SO_EE_CODE_ZEROCOPY_COPIED, IORING_NOTIF_USAGE_ZC_COPIED),
	 * and the calls made to reap them (error-queue reads). */
	uint64_t zc_sends, zc_done, zc_copied, zc_reap_calls;
} __attribute__((aligned(64)));

/* Kernel-side drops the endpoint can see on its own socket (0 if n/a). */
struct ep_kstats {
	uint64_t sock_drops; /* SO_MEMINFO SK_MEMINFO_DROPS / PACKET_STATISTICS tp_drops */
	uint64_t ring_drops; /* packet ring: tp_drops; uring: CQ overflow */
	uint64_t valid;
	/* xdp: the AF_XDP socket's XDP_STATISTICS ... */
	uint64_t xsk_rx_dropped;       /* no fill-ring buffer, or frame too large */
	uint64_t xsk_rx_invalid_descs; /* descriptors the kernel rejected */
	uint64_t xsk_tx_invalid_descs;
	uint64_t xsk_rx_ring_full;     /* RX ring had no room */
	uint64_t xsk_rx_fill_ring_empty_descs;
	uint64_t xsk_tx_ring_empty_descs;
	/* ... and the verdicts of its XDP program (enum xr_count) */
	uint64_t xdp_redirect; /* our flow, into the socket */
	uint64_t xdp_fallback; /* our flow, no socket: passed to the stack */
	uint64_t xdp_pass;     /* other traffic: passed */
	uint64_t xsk_rx_unread; /* xdp: frames left in the RX ring when the engine stopped */
	/* dpdk: the port's rte_eth_stats */
	uint64_t eth_ipackets, eth_opackets;
	uint64_t eth_imissed;   /* dropped by the device: RX queue full */
	uint64_t eth_ierrors, eth_oerrors;
	uint64_t eth_rx_nombuf; /* no mbuf to receive into */
	uint64_t mbufs_free;    /* mempool: mbufs not in use when the engine stopped */
	uint64_t mbufs_total;
	/* socket datapaths: the NAPI id the socket last saw (SO_INCOMING_NAPI_ID,
	 * 0 = none: busy polling has no NAPI to poll), and the zero-copy sends
	 * still uncompleted when the endpoint closed */
	uint64_t sock_napi_id;
	uint64_t zc_outstanding;
};

struct ep_shm {
	uint32_t magic;
	uint32_t version;
	uint32_t size;
	volatile uint32_t cmd;   /* harness -> endpoint */
	volatile uint32_t state; /* endpoint -> harness */
	int32_t err;             /* -errno on failure */
	int32_t exit_code;       /* 3 = unsupported here */
	uint32_t pid;
	char errmsg[256];
	char dp_info[256]; /* what the datapath actually used (modes, fallbacks) */
	volatile uint32_t link_up; /* endpoint -> harness while waiting to run (dp link op) */
	struct ep_config cfg;
	struct ep_kstats ks;
	struct ep_stats st;
	struct histo rtt __attribute__((aligned(64))); /* client: RTT ns */
};

#endif
