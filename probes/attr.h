/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types shared by attr.bpf.c and attr.c: exclusive per-CPU segment
 * attribution. Each CPU always has one open segment, identified by a context
 * (user code of an endpoint, one of its system calls, a softirq vector, a
 * hardirq, another task, idle) and a stage (where on the packet's way the
 * last network tracepoint put it). Every tracepoint closes the open segment
 * (its time is charged to (context, stage)) and opens the next, so nested
 * work is never counted twice and the segments of a CPU add up to its time.
 *
 * Only __u32/__u64 and constants here: this header is included by BPF code
 * (with vmlinux.h) and by user code (with linux/types.h).
 */
#ifndef BL_ATTR_H
#define BL_ATTR_H

/* Contexts. */
#define ATTR_CTX_USER 0    /* an endpoint's own code */
#define ATTR_CTX_OTHER 1   /* a task that is not an endpoint */
#define ATTR_CTX_IDLE 2    /* the idle task */
#define ATTR_CTX_HARDIRQ 3 /* device interrupts, local timer, IPIs */
#define ATTR_CTX_SOFTIRQ 4 /* + vector (0..ATTR_NR_SOFTIRQ-1) */
#define ATTR_NR_SOFTIRQ 10
#define ATTR_CTX_SYSCALL (ATTR_CTX_SOFTIRQ + ATTR_NR_SOFTIRQ) /* + syscall nr */
#define ATTR_NR_SYSCALLS 512
#define ATTR_NCTX (ATTR_CTX_SYSCALL + ATTR_NR_SYSCALLS)

/* Device roles on the path (set by the harness from the topology it built). */
#define ATTR_ROLE_NONE 0
#define ATTR_ROLE_A 1      /* eth0 of endpoint a (sender/client) */
#define ATTR_ROLE_B 2      /* eth0 of endpoint b (receiver/server) */
#define ATTR_ROLE_HOST_A 3 /* a's bridge port (root netns) */
#define ATTR_ROLE_HOST_B 4 /* b's bridge port */
#define ATTR_ROLE_BRIDGE 5 /* the bridge device */
#define ATTR_NROLES 6

/* Stages: what the open segment is doing on the packet's way. */
#define ATTR_ST_SELF 0                        /* the context's own work */
#define ATTR_ST_XMIT 1                        /* + role: after net_dev_queue(dev) */
#define ATTR_ST_RECV (ATTR_ST_XMIT + ATTR_NROLES) /* + role: after netif_receive_skb(dev) */
#define ATTR_ST_SOCK_WAKE (ATTR_ST_RECV + ATTR_NROLES) /* after sk_data_ready */
#define ATTR_ST_NAPI (ATTR_ST_SOCK_WAKE + 1)  /* after a napi_poll round */
#define ATTR_ST_FREE (ATTR_ST_NAPI + 1)       /* after kfree_skb/consume_skb */
#define ATTR_ST_SOCK_DONE (ATTR_ST_FREE + 1)  /* after sock_{send,recv}_length */
#define ATTR_NSTAGES (ATTR_ST_SOCK_DONE + 1)

#define ATTR_NSLOTS (ATTR_NCTX * ATTR_NSTAGES) /* per CPU */

/* Syscall latency histograms: log2 of ns. */
#define ATTR_HIST_SLOTS 32

/* Miscellaneous per-CPU counters. */
#define ATTR_EV_EVENTS 0        /* program runs that passed the CPU filter */
#define ATTR_EV_SWITCHES 1      /* sched_switch with an endpoint on either side */
#define ATTR_EV_NOT_READY 2     /* events before the CPU's state was known */
#define ATTR_EV_DEPTH_ERR 3     /* irq/softirq exits without a matching entry */
#define ATTR_EV_SOFTIRQ 4       /* + vector: entries */
#define ATTR_EV_RAISE_WAIT (ATTR_EV_SOFTIRQ + ATTR_NR_SOFTIRQ)   /* + vec: raise->entry ns */
#define ATTR_EV_RAISE_N (ATTR_EV_RAISE_WAIT + ATTR_NR_SOFTIRQ)   /* + vec: waits measured */
#define ATTR_EV_HARDIRQ (ATTR_EV_RAISE_N + ATTR_NR_SOFTIRQ)      /* hardirq entries */
#define ATTR_EV_SYSCALLS (ATTR_EV_HARDIRQ + 1)                   /* endpoint syscalls */
#define ATTR_NEV 48

struct attr_seg {
	__u64 ns;
	__u64 count; /* segments closed in this slot */
};

/* Devices the role map holds: 16 pairs on a bridge need 4 * 16 + 1. Both BPF
 * objects share the map, so both size it from here. */
#define ATTR_MAX_DEVS 128

struct attr_dev_key {
	__u32 netns_ino;
	__u32 ifindex;
};

#endif
