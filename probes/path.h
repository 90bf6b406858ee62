/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types shared by path.bpf.c and attr_user.c: per-packet stage latency
 * (probes=path). Each packet of the workload is followed by its skb address
 * from the sender's system call to the receiver's, stage by stage; the time
 * between two consecutive stages a packet hits goes into the histogram of
 * that hop (from, to), per direction and per CPU.
 *
 * Only __u32/__u64 and constants here: this header is included by BPF code
 * (with vmlinux.h) and by user code (with linux/types.h).
 */
#ifndef BL_PATH_H
#define BL_PATH_H

/* Stages, in path order. Directions: a -> b (data, requests) and b -> a
 * (replies); "sender" and "receiver" are the two ends of the direction. */
#define PATH_ST_SYSCALL 0  /* sender's system call entry */
#define PATH_ST_QUEUE 1    /* net_dev_queue on the sender's eth0 */
#define PATH_ST_PORT_IN 2  /* netif_receive_skb on the sender's bridge port */
#define PATH_ST_PORT_OUT 3 /* net_dev_queue on the receiver's bridge port */
#define PATH_ST_RECV 4     /* netif_receive_skb on the receiver's eth0 */
#define PATH_ST_SOCK 5     /* sk_data_ready: queued to the receiving socket */
#define PATH_ST_USER 6     /* sock_recv_length: the receiving call copied it */
#define PATH_NSTAGES 7

/* Histogram slots per (cpu, direction): hop from -> to at from * NSTAGES +
 * to, and the one-way total (first stage seen -> PATH_ST_USER). */
#define PATH_SLOT_ONE_WAY (PATH_NSTAGES * PATH_NSTAGES)
#define PATH_NSLOTS (PATH_SLOT_ONE_WAY + 1)
#define PATH_NDIRS 2

/* Log-linear histogram of ns: values below 2^PATH_SUB_BITS exact, then every
 * octave [2^e, 2^(e+1)) in 2^PATH_SUB_BITS equal buckets (bucket width <=
 * 6.25 % of its lower bound), up to 2^PATH_MAX_EXP ns (~69 s); above that the
 * last bucket. */
#define PATH_SUB_BITS 4
#define PATH_SUB (1 << PATH_SUB_BITS)
#define PATH_MAX_EXP 36
#define PATH_NBUCKETS (PATH_SUB + (PATH_MAX_EXP - PATH_SUB_BITS) * PATH_SUB)

struct path_hist {
	__u64 count;
	__u64 sum; /* ns: exact means */
	__u64 b[PATH_NBUCKETS];
};

/* Per-CPU counters. */
#define PATH_EV_EVENTS 0       /* program runs */
#define PATH_EV_START 1        /* + dir: packets picked up (first stage seen) */
#define PATH_EV_FROM_SYSCALL 3 /* + dir: ... of which inside a sender's system call */
#define PATH_EV_DONE 5         /* + dir: packets that reached PATH_ST_USER */
#define PATH_EV_SOCK 7         /* + dir: packets queued to a socket */
#define PATH_EV_DROPPED 9      /* dropped (kfree_skb) before a socket */
#define PATH_EV_RESTART 10     /* stage order broken (skb address reused): restarted */
#define PATH_EV_UNTRACKED 11   /* socket deliveries of skbs not followed */
#define PATH_EV_LOST 12        /* received but no longer in the socket's ring */
#define PATH_EV_EARLY 13       /* received before sk_data_ready had run ... */
#define PATH_EV_LATE_DONE 14   /* ... and completed all the same */
#define PATH_EV_NO_RING 15     /* no room for another socket ring */
#define PATH_NEV 16

/* Per-socket ring that pairs deliveries (sk_data_ready, which knows the skb)
 * with receives (sock_recv_length, which does not): a datagram socket is
 * read in the order it was filled. */
#define PATH_RING 1024 /* power of two */
#define PATH_MAX_SOCKS 16

struct path_ring_slot {
	__u64 seq; /* delivery number + 1; 0 = never written */
	__u64 ts;  /* time of PATH_ST_SOCK */
	__u64 t0;  /* time of the packet's first stage */
	__u32 first;
	__u32 dir;
	/* A receive can come before its delivery is counted (the datagram is
	 * queued before sk_data_ready runs): both ends then swap their tag
	 * (seq << 1 | 0 delivery, | 1 receive) in here, and the one that finds
	 * the other's completes the path, the receive's time in rx_ts. */
	__u64 meet;
	__u64 rx_ts;
};

struct path_ring {
	__u64 enq; /* deliveries (written by the delivering CPU) */
	__u64 deq; /* receives (written by the receiving task) */
	struct path_ring_slot s[PATH_RING];
};

#endif
