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
/* An endpoint's kernel worker thread (same thread group, PF_IO_WORKER):
 * io_uring's SQ poll thread and io-wq workers doing the endpoint's I/O. */
#define ATTR_CTX_KWORKER (ATTR_CTX_SYSCALL + ATTR_NR_SYSCALLS)
#define ATTR_NCTX (ATTR_CTX_KWORKER + 1)
#define ATTR_PF_IO_WORKER 0x00000010u /* include/linux/sched.h PF_IO_WORKER */

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

/* Per syscall: the sum of its latencies (sys_enter to sys_exit) in ns, then
 * a log2-of-ns latency histogram (bucket k at 1 + k). */
#define ATTR_HIST_BUCKETS 32
#define ATTR_HIST_SUM 0
#define ATTR_HIST_SLOTS (ATTR_HIST_BUCKETS + 1)

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
#define ATTR_EV_PROG (ATTR_EV_SYSCALLS + 1) /* + program id: runs past the CPU filter */
#define ATTR_NEV 64

/* Program ids (one per tracepoint handler): what each run costs is
 * calibrated per program (BPF run-time statistics), so runs are counted per
 * program and CPU. Keep attr_user.c's prog_tp[] in this order. */
#define ATTR_P_SCHED_SWITCH 0
#define ATTR_P_SYS_ENTER 1
#define ATTR_P_SYS_EXIT 2
#define ATTR_P_SOFTIRQ_ENTRY 3
#define ATTR_P_SOFTIRQ_EXIT 4
#define ATTR_P_SOFTIRQ_RAISE 5
#define ATTR_P_IRQ_ENTRY 6
#define ATTR_P_IRQ_EXIT 7
#define ATTR_P_TIMER_ENTRY 8
#define ATTR_P_TIMER_EXIT 9
#define ATTR_P_DEV_QUEUE 10
#define ATTR_P_DEV_XMIT 11
#define ATTR_P_RECEIVE_SKB 12
#define ATTR_P_DATA_READY 13
#define ATTR_P_NAPI_POLL 14
#define ATTR_P_CONSUME_SKB 15
#define ATTR_P_KFREE_SKB 16
#define ATTR_P_SEND_LENGTH 17
#define ATTR_P_RECV_LENGTH 18
#define ATTR_NPROGS 19
/* An endpoint thread's time off the CPU after it left it outside a system
 * call (preempted on the way back from one, mostly), ns. */
#define ATTR_EV_OFFCPU_USER (ATTR_EV_PROG + ATTR_NPROGS)
/* Interrupts and softirqs nested directly in an endpoint's user context
 * (after sys_exit, on the way back, or in its code), ns. */
#define ATTR_EV_NESTED_USER (ATTR_EV_OFFCPU_USER + 1)

struct attr_seg {
	__u64 ns;
	__u64 count; /* segments closed in this slot */
	__u64 runs;  /* program runs whose cost lies inside those segments: the
		      * run that opened each (after its clock read), the one that
		      * closed it (before), and any non-boundary run between */
};

/* Devices the role map holds: 16 pairs on a bridge need 4 * 16 + 1. Both BPF
 * objects share the map, so both size it from here. */
#define ATTR_MAX_DEVS 128

struct attr_dev_key {
	__u32 netns_ino;
	__u32 ifindex;
};

#endif
