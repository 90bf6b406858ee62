// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Per-packet stage latency (see path.h): where a packet's one-way time goes.
 *
 * A packet is followed by its skb address in an LRU hash from the first stage
 * tracepoint that sees it to the receiving socket; each stage adds the time
 * since the packet's previous stage to the histogram of that hop and stores
 * (now, stage). Stages come from (tracepoint, device role); the role map is
 * the attribution's own (attr.bpf.c), shared by fd, as are its endpoint and
 * per-task system call maps, so the sender's system call entry (stage 0)
 * costs no extra sys_enter program.
 *
 * The last stage cannot be keyed by skb on this kernel (6.18): skb_consume_udp()
 * hands the skb to skb_attempt_defer_free(), which frees it later, in the
 * NET_RX softirq of the CPU that allocated it (the sender's), or with no
 * tracepoint at all when that is the receiving CPU; consume_skb never fires
 * inside the receiving call. So at sk_data_ready the packet moves to a
 * per-socket ring, in delivery order, and sock_recv_length (the receiving
 * call returning, the datagram copied) takes the oldest entry: a datagram
 * socket is read in the order it was filled. The skb entry retires there.
 *
 * Each handler is written once with a tp_btf and a raw_tp wrapper, loaded as
 * the attribution's set is (same prefix convention, "btf_"/"raw_").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "attr.h"
#include "shared_maps.bpf.h"
#include "util.bpf.h"
#include "path.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ETH_P_IP 0x0800
#define MSG_PEEK 2
#define STALE_NS 1000000000ull /* an skb entry older than this is a stray */
#define UNTRACKED PATH_NSTAGES /* ring slot of a delivery not followed */
#define DONE PATH_NSTAGES      /* stage of a retired skb entry */
#define E2BIG 7

/* Orders the compiler; x86 keeps stores (and loads) in order. Where both
 * ends of a socket ring race, an atomic exchange decides (on_data_ready). */
#define barrier() asm volatile("" ::: "memory")

/* tgids, devs and tasks: shared with attr.bpf.c (shared_maps.bpf.h). */

/* ---- own maps --------------------------------------------------------------- */

struct pkt {
	__u64 ts; /* time of the last stage */
	__u64 t0; /* time of the first stage */
	__u32 stage;
	__u32 first;
	__u32 dir;
	__u32 pad;
};

/* Packets on their way: skb address -> where and when last seen. Entries are
 * retired at the socket (or a drop) and reused by the next skb at that
 * address; strays (an skb freed where no tracepoint sees it) are evicted.
 * Per-CPU LRU lists, no shared lock: entries are inserted by the sending CPU
 * (veth runs the rest of a packet's skb stages on it too). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct pkt);
} pkts SEC(".maps");

/* The skb this CPU last received on an endpoint's eth0: IP/UDP receive runs
 * synchronously from netif_receive_skb to sk_data_ready on one CPU (veth
 * hands frames to the per-CPU backlog, one at a time), so the next
 * sk_data_ready here is that skb's. */
struct cur_skb {
	__u64 skb;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cur_skb);
} cur SEC(".maps");

/* Receiving sockets: sock address -> ring of deliveries. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PATH_MAX_SOCKS);
	__type(key, __u64);
	__type(value, struct path_ring);
} rings SEC(".maps");

/* All zeroes: the initial value of a new ring (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_ring);
} ring_zero SEC(".maps");

/* Results, mmapped by user space; each CPU writes only its own slice. Sizes
 * are set before load: nr_cpus * PATH_NDIRS * PATH_NSLOTS, * PATH_NEV. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pevs SEC(".maps");

/* ---- helpers ---------------------------------------------------------------- */

static __always_inline void ev_add(__u32 cpu, __u32 ev)
{
	array_add(&pevs, cpu * PATH_NEV + ev, 1);
}

/* Every program run counts once: the probe's own cost per packet. */
static __always_inline __u32 enter(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	ev_add(cpu, PATH_EV_EVENTS);
	return cpu;
}

static __always_inline __u32 bucket(__u64 v)
{
	__u32 e;

	if (v < PATH_SUB)
		return (__u32)v;
	e = log2_u64(v);
	if (e >= PATH_MAX_EXP)
		return PATH_NBUCKETS - 1;
	return PATH_SUB + (e - PATH_SUB_BITS) * PATH_SUB +
	       (__u32)((v >> (e - PATH_SUB_BITS)) - PATH_SUB);
}

static __always_inline void record(__u32 cpu, __u32 dir, __u32 slot, __u64 from, __u64 to)
{
	__u32 idx = (cpu * PATH_NDIRS + dir) * PATH_NSLOTS + slot;
	struct path_hist *h;
	__u64 b; /* 64-bit: a 32-bit index is checked in one register, used in another */
	__u64 d = to > from ? to - from : 0;

	h = bpf_map_lookup_elem(&hists, &idx);
	if (!h)
		return;
	b = bucket(d);
	/* The compiler knows b is in range, the verifier does not: hide it. */
	asm volatile("" : "+r"(b));
	if (b >= PATH_NBUCKETS)
		b = PATH_NBUCKETS - 1;
	h->count++;
	h->sum += d;
	h->b[b]++;
}

/* btf (a constant after inlining): the tp_btf wrappers read kernel memory
 * with plain loads (BTF-typed pointers, faults handled by the JIT), the raw_tp
 * ones through bpf_probe_read_kernel; on a packet's hot path the difference
 * is several helper calls per event. */
static __always_inline __u32 dev_role(struct sk_buff *skb, const int btf)
{
	struct attr_dev_key k = {};
	struct net_device *dev;
	__u32 *r;

	dev = btf ? skb->dev : BPF_CORE_READ(skb, dev);
	if (!dev)
		return ATTR_ROLE_NONE;
	if (btf) {
		k.ifindex = dev->ifindex;
		k.netns_ino = dev->nd_net.net->ns.inum;
	} else {
		k.ifindex = BPF_CORE_READ(dev, ifindex);
		k.netns_ino = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
	r = bpf_map_lookup_elem(&devs, &k);
	return r ? *r : ATTR_ROLE_NONE;
}

/* A stage seen on skb at now: continue its path or start one. */
static __always_inline void stage(struct sk_buff *skb, __u32 cpu, __u32 st, __u32 dir,
				  const int btf)
{
	__u64 key = (__u64)skb, now = bpf_ktime_get_ns();
	struct pkt *p = bpf_map_lookup_elem(&pkts, &key), n = {};
	struct cur_task *t;
	__u32 tid, zero = 0;

	/* Signed: another CPU's clock may be a hair behind. */
	if (p && p->dir == dir && p->stage < st && (__s64)(now - p->ts) < (__s64)STALE_NS) {
		record(cpu, dir, p->stage * PATH_NSTAGES + st, p->ts, now);
		p->ts = now;
		p->stage = st;
		return;
	}
	/* Stages 1..4 may start a path (stage 1 is missing where a datapath
	 * bypasses the qdisc layer); only IPv4: no ARP. */
	if (st > PATH_ST_RECV ||
	    (btf ? skb->protocol : BPF_CORE_READ(skb, protocol)) != bpf_htons(ETH_P_IP))
		return;
	if (p && p->stage != DONE)
		ev_add(cpu, PATH_EV_RESTART);
	n.ts = now;
	n.t0 = now;
	n.stage = st;
	n.first = st;
	n.dir = dir;
	/* Sent from an endpoint's system call (the attribution keeps the
	 * current call's entry time per CPU): that is stage 0. */
	tid = (__u32)bpf_get_current_pid_tgid();
	t = bpf_map_lookup_elem(&curtask, &zero);
	if (t && t->in_sys && t->tid == tid && t->enter_ts && t->enter_ts <= now) {
		record(cpu, dir, PATH_ST_SYSCALL * PATH_NSTAGES + st, t->enter_ts, now);
		n.t0 = t->enter_ts;
		n.first = PATH_ST_SYSCALL;
		ev_add(cpu, PATH_EV_FROM_SYSCALL + dir);
	}
	ev_add(cpu, PATH_EV_START + dir);
	/* skbs come from a per-CPU slab cache: the address is most often one
	 * whose retired entry is still here, rewritten in place (cheaper than
	 * an LRU insert). */
	if (p)
		*p = n;
	else
		bpf_map_update_elem(&pkts, &key, &n, BPF_ANY);
}

/* ---- stages 1..4: devices ------------------------------------------------------ */

static __always_inline int on_dev_queue(struct sk_buff *skb, const int btf)
{
	__u32 cpu = enter();

	switch (dev_role(skb, btf)) {
	case ATTR_ROLE_A:
		stage(skb, cpu, PATH_ST_QUEUE, 0, btf);
		break;
	case ATTR_ROLE_B:
		stage(skb, cpu, PATH_ST_QUEUE, 1, btf);
		break;
	case ATTR_ROLE_HOST_B:
		stage(skb, cpu, PATH_ST_PORT_OUT, 0, btf);
		break;
	case ATTR_ROLE_HOST_A:
		stage(skb, cpu, PATH_ST_PORT_OUT, 1, btf);
		break;
	}
	return 0;
}

static __always_inline void set_cur(struct sk_buff *skb)
{
	__u32 zero = 0;
	struct cur_skb *c = bpf_map_lookup_elem(&cur, &zero);

	if (c)
		c->skb = (__u64)skb;
}

static __always_inline int on_receive(struct sk_buff *skb, const int btf)
{
	__u32 cpu = enter();

	switch (dev_role(skb, btf)) {
	case ATTR_ROLE_HOST_A:
		stage(skb, cpu, PATH_ST_PORT_IN, 0, btf);
		break;
	case ATTR_ROLE_HOST_B:
		stage(skb, cpu, PATH_ST_PORT_IN, 1, btf);
		break;
	case ATTR_ROLE_B:
		stage(skb, cpu, PATH_ST_RECV, 0, btf);
		set_cur(skb);
		break;
	case ATTR_ROLE_A:
		stage(skb, cpu, PATH_ST_RECV, 1, btf);
		set_cur(skb);
		break;
	}
	return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(btf_path_dev_queue, struct sk_buff *skb)
{
	return on_dev_queue(skb, 1);
}

SEC("raw_tp/net_dev_queue")
int BPF_PROG(raw_path_dev_queue, struct sk_buff *skb)
{
	return on_dev_queue(skb, 0);
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(btf_path_receive, struct sk_buff *skb)
{
	return on_receive(skb, 1);
}

SEC("raw_tp/netif_receive_skb")
int BPF_PROG(raw_path_receive, struct sk_buff *skb)
{
	return on_receive(skb, 0);
}

/* ---- stage 5: the socket ----------------------------------------------------- */

/* The ring of socket key, created if need be. Both ends create it (whichever
 * comes first): the first datagram may be received before the delivering CPU
 * reaches sk_data_ready, and a delivery or a receive not counted would pair
 * every later receive with the wrong delivery. */
static __always_inline struct path_ring *ring_of(__u64 key, __u32 cpu)
{
	struct path_ring *r = bpf_map_lookup_elem(&rings, &key), *z;
	__u32 zero = 0;

	if (r)
		return r;
	z = bpf_map_lookup_elem(&ring_zero, &zero);
	if (!z)
		return NULL;
	if (bpf_map_update_elem(&rings, &key, z, BPF_NOEXIST) == -E2BIG)
		ev_add(cpu, PATH_EV_NO_RING);
	return bpf_map_lookup_elem(&rings, &key);
}

/* The receiving call returned at rx with the datagram of slot: the last hop
 * and the one-way total. */
static __always_inline void complete(__u32 cpu, struct path_ring_slot *slot, __u64 rx)
{
	__u32 dir = slot->dir & 1;

	if (slot->first >= PATH_NSTAGES)
		return;
	record(cpu, dir, PATH_ST_SOCK * PATH_NSTAGES + PATH_ST_USER, slot->ts, rx);
	record(cpu, dir, PATH_SLOT_ONE_WAY, slot->t0, rx);
	ev_add(cpu, PATH_EV_DONE + dir);
}

static __always_inline int on_data_ready(const struct sock *sk)
{
	__u32 cpu = enter(), zero = 0;
	struct cur_skb *c = bpf_map_lookup_elem(&cur, &zero);
	__u64 skey = (__u64)sk, key, now, seq, tag;
	struct path_ring_slot *slot;
	struct path_ring *r;
	struct pkt *p;

	if (!c || !c->skb)
		return 0;
	key = c->skb;
	c->skb = 0;
	p = bpf_map_lookup_elem(&pkts, &key);
	if (p && p->stage != PATH_ST_RECV)
		p = NULL;
	/* Sockets get their ring with the first packet followed to them. */
	r = p ? ring_of(skey, cpu) : bpf_map_lookup_elem(&rings, &skey);
	if (!r)
		return 0;
	/* Every delivery takes a slot, followed or not, so that the receives
	 * stay paired with the deliveries. */
	seq = r->enq;
	slot = &r->s[seq & (PATH_RING - 1)];
	if (!p) {
		ev_add(cpu, PATH_EV_UNTRACKED);
		slot->first = UNTRACKED;
		barrier();
		slot->seq = seq + 1;
		r->enq = seq + 1;
		return 0;
	}
	now = bpf_ktime_get_ns();
	record(cpu, p->dir, p->stage * PATH_NSTAGES + PATH_ST_SOCK, p->ts, now);
	ev_add(cpu, PATH_EV_SOCK + p->dir);
	slot->ts = now;
	slot->t0 = p->t0;
	slot->first = p->first;
	slot->dir = p->dir;
	/* The skb-keyed part of the path ends here: retire the entry. */
	p->stage = DONE;
	/* Published last: the receiver checks seq before reading the slot. */
	barrier();
	slot->seq = seq + 1;
	r->enq = seq + 1;
	/* Atomic exchange (a full barrier too): if the receive got here first,
	 * its tag is what comes back and this side completes the path. */
	tag = (seq + 1) << 1;
	if (__sync_lock_test_and_set(&slot->meet, tag) == (tag | 1)) {
		complete(cpu, slot, slot->rx_ts);
		ev_add(cpu, PATH_EV_LATE_DONE);
	}
	return 0;
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(btf_path_data_ready, const struct sock *sk)
{
	return on_data_ready(sk);
}

SEC("raw_tp/sk_data_ready")
int BPF_PROG(raw_path_data_ready, const struct sock *sk)
{
	return on_data_ready(sk);
}

/* ---- stage 6: the receiving call returns with the datagram copied ----------- */

static __always_inline int on_recv_length(struct sock *sk, int ret, int flags)
{
	__u32 cpu = enter(), tgid;
	__u64 skey = (__u64)sk, d, seq, tag;
	struct path_ring_slot *slot;
	struct path_ring *r;

	if (ret < 0 || (flags & MSG_PEEK))
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!bpf_map_lookup_elem(&tgids, &tgid))
		return 0;
	r = ring_of(skey, cpu);
	if (!r)
		return 0;
	d = r->deq;
	r->deq = d + 1;
	slot = &r->s[d & (PATH_RING - 1)];
	seq = slot->seq;
	barrier();
	if (seq == d + 1) {
		complete(cpu, slot, bpf_ktime_get_ns());
		return 0;
	}
	if (seq > d + 1) {
		/* Overwritten: more than PATH_RING datagrams were queued. */
		ev_add(cpu, PATH_EV_LOST);
		return 0;
	}
	/* Received before its delivery was counted: leave the time, and
	 * complete the path here only if the delivery came by meanwhile. */
	ev_add(cpu, PATH_EV_EARLY);
	slot->rx_ts = bpf_ktime_get_ns();
	tag = (d + 1) << 1;
	if (__sync_lock_test_and_set(&slot->meet, tag | 1) == tag) {
		complete(cpu, slot, slot->rx_ts);
		ev_add(cpu, PATH_EV_LATE_DONE);
	}
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(btf_path_recv_len, struct sock *sk, int ret, int flags)
{
	return on_recv_length(sk, ret, flags);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(raw_path_recv_len, struct sock *sk, int ret, int flags)
{
	return on_recv_length(sk, ret, flags);
}

/* ---- drops before the socket, and the per-CPU current skb ------------------- */

/* kfree_skb only: consume_skb is not on the way (udp_recvmsg defers the free,
 * see the top) and fires for every skb in the system; an skb consumed before
 * a socket is recognised when its address comes back (restarted) or evicted. */
static __always_inline int on_drop(struct sk_buff *skb)
{
	__u32 cpu = enter(), zero = 0;
	struct cur_skb *c = bpf_map_lookup_elem(&cur, &zero);
	__u64 key = (__u64)skb;
	struct pkt *p;

	if (c && c->skb == key)
		c->skb = 0;
	/* Entries retire at sk_data_ready: one still live was dropped on the
	 * way. */
	p = bpf_map_lookup_elem(&pkts, &key);
	if (!p || p->stage == DONE)
		return 0;
	p->stage = DONE;
	ev_add(cpu, PATH_EV_DROPPED);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(btf_path_kfree, struct sk_buff *skb)
{
	return on_drop(skb);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(raw_path_kfree, struct sk_buff *skb)
{
	return on_drop(skb);
}
