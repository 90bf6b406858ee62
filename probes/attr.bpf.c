// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Exclusive per-CPU segment attribution (see attr.h).
 *
 * Every handler below is a boundary: it charges the time since the previous
 * boundary on this CPU to the open segment's (context, stage) slot and opens
 * the next one. Contexts nest exactly: a softirq that runs inside a system
 * call's local_bh_enable() pushes the syscall's segment and pops it on exit,
 * so the softirq's time is the softirq's, not the syscall's.
 *
 * Each handler is written once and attached through two thin wrappers, a
 * tp_btf one and a raw_tp one; user space loads one set and switches the
 * other off (tp_btf when the kernel can, raw_tp otherwise).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "attr.h"
#include "shared_maps.bpf.h"
#include "util.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define MAX_DEPTH 8
#define DEV_CACHE 4

_Static_assert(ATTR_NR_SOFTIRQ == NR_SOFTIRQS, "softirq vector count changed");

const volatile __u64 targ_cpu_mask = 0; /* CPUs to account (bit per CPU, < 64) */

struct frame {
	__u32 ctx;
	__u32 stage;
};

struct cpu_state {
	__u64 ts;
	__u32 ctx;
	__u32 stage;
	__u32 depth;
	__u32 valid; /* context known (after a sched_switch or an endpoint syscall) */
	__u32 xmit_prev;
	__u32 dc_next;
	__u32 extra; /* non-boundary program runs inside the open segment */
	__u32 pad;
	__u64 nest_ts; /* an interrupt/softirq nest over user context began */
	/* The last devices seen and their roles: a case's devices do not
	 * change while the probes are attached, so the pointer is the key. */
	__u64 dc_dev[DEV_CACHE];
	__u32 dc_role[DEV_CACHE];
	struct frame stack[MAX_DEPTH];
	__u64 raise_ts[ATTR_NR_SOFTIRQ];
};


struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_state);
} cstate SEC(".maps");


/* Results, mmapped by user space; each CPU writes only its own slice.
 * Sizes are set before load: nr_cpus * ATTR_NSLOTS, * ATTR_NR_SYSCALLS *
 * ATTR_HIST_SLOTS, * ATTR_NEV. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct attr_seg);
} segs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sys_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} evs SEC(".maps");

static __always_inline struct cpu_state *state(__u32 *cpu)
{
	__u32 zero = 0;

	*cpu = bpf_get_smp_processor_id();
	if (*cpu >= 64 || !(targ_cpu_mask & (1ull << *cpu)))
		return NULL;
	return bpf_map_lookup_elem(&cstate, &zero);
}

static __always_inline void ev_add(__u32 cpu, __u32 ev, __u64 v)
{
	array_add(&evs, cpu * ATTR_NEV + ev, v);
}

/* Close the open segment at `now`, from program `prog`. The run that closes
 * a segment and the run that opened it both cost time inside it (before and
 * after their clock reads): `runs` counts them for the probe-cost removal. */
static __always_inline void charge(struct cpu_state *s, __u32 cpu, __u64 now, __u32 prog)
{
	ev_add(cpu, ATTR_EV_PROG + prog, 1);
	if (s->valid && s->ts && now > s->ts && s->ctx < ATTR_NCTX && s->stage < ATTR_NSTAGES) {
		__u32 idx = cpu * ATTR_NSLOTS + s->ctx * ATTR_NSTAGES + s->stage;
		struct attr_seg *g = bpf_map_lookup_elem(&segs, &idx);

		if (g) {
			g->ns += now - s->ts;
			g->count++;
			g->runs += 1 + s->extra;
		}
	} else if (!s->valid) {
		ev_add(cpu, ATTR_EV_NOT_READY, 1);
	}
	s->extra = 0;
	s->ts = now;
}

static __always_inline int is_endpoint(__u32 tgid)
{
	return bpf_map_lookup_elem(&tgids, &tgid) != NULL;
}

static __always_inline struct cur_task *cur_task(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&curtask, &zero);
}

/* Whether the current task (tgid) is an endpoint, from the per-CPU cache
 * that sched_switch keeps (a lookup only before the first switch seen). */
static __always_inline int cur_is_endpoint(struct cur_task *c, __u32 tgid)
{
	if (c->known && c->tgid == tgid)
		return c->is_ep;
	c->known = 1;
	c->tgid = tgid;
	c->is_ep = is_endpoint(tgid);
	c->in_sys = 0;
	return c->is_ep;
}

static __always_inline __u32 dev_role(struct cpu_state *s, struct net_device *dev)
{
	struct attr_dev_key k = {};
	__u32 *r, role, i;

	if (!dev)
		return ATTR_ROLE_NONE;
	for (i = 0; i < DEV_CACHE; i++)
		if (s->dc_dev[i] == (__u64)dev)
			return s->dc_role[i];
	k.ifindex = BPF_CORE_READ(dev, ifindex);
	k.netns_ino = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	r = bpf_map_lookup_elem(&devs, &k);
	role = r && *r < ATTR_NROLES ? *r : ATTR_ROLE_NONE;
	i = s->dc_next++ % DEV_CACHE;
	s->dc_dev[i] = (__u64)dev;
	s->dc_role[i] = role;
	return role;
}

/* ---- context switches ---------------------------------------------------- */

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu, next_pid, next_tgid, prev_pid, prev_tgid;
	struct cpu_state *s = state(&cpu);
	struct cur_task *c = cur_task();
	struct task_sys *t;
	int ep_next, ep_prev;
	__u64 now;

	if (!s || !c)
		return 0;
	now = bpf_ktime_get_ns();
	charge(s, cpu, now, ATTR_P_SCHED_SWITCH);
	next_pid = BPF_CORE_READ(next, pid);
	next_tgid = BPF_CORE_READ(next, tgid);
	prev_pid = BPF_CORE_READ(prev, pid);
	prev_tgid = BPF_CORE_READ(prev, tgid);
	ep_prev = cur_is_endpoint(c, prev_tgid);
	/* An endpoint thread leaving inside a call: park the call; leaving
	 * outside one: note when, so the engine's clock can be told. */
	if (ep_prev && c->in_sys && c->tid == prev_pid) {
		struct task_sys ts = { .enter_ts = c->enter_ts, .nr = c->nr, .in_sys = 1 };

		bpf_map_update_elem(&tasks, &prev_pid, &ts, BPF_ANY);
	} else if (ep_prev && prev_pid && prev_pid == prev_tgid) {
		/* Only an endpoint's own (main) thread: its kernel workers
		 * (io_uring's io-wq) leave CPUs outside calls all the time. */
		struct task_sys ts = { .out_ts = now };

		bpf_map_update_elem(&tasks, &prev_pid, &ts, BPF_ANY);
	}
	ep_next = is_endpoint(next_tgid);
	if (ep_next || ep_prev)
		ev_add(cpu, ATTR_EV_SWITCHES, 1);
	c->known = 1;
	c->tgid = next_tgid;
	c->is_ep = ep_next;
	c->in_sys = 0;
	s->valid = 1;
	s->depth = 0;
	s->stage = ATTR_ST_SELF;
	if (next_pid == 0) {
		s->ctx = ATTR_CTX_IDLE;
	} else if (ep_next && (BPF_CORE_READ(next, flags) & ATTR_PF_IO_WORKER)) {
		/* io_uring's SQ poll thread or an io-wq worker: kernel code
		 * doing the endpoint's I/O, never its user code. */
		s->ctx = ATTR_CTX_KWORKER;
	} else if (ep_next) {
		s->ctx = ATTR_CTX_USER;
		t = bpf_map_lookup_elem(&tasks, &next_pid);
		if (t && !t->in_sys && t->out_ts && now > t->out_ts && next_pid == next_tgid) {
			ev_add(cpu, ATTR_EV_OFFCPU_USER, now - t->out_ts);
			t->out_ts = 0;
		}
		if (t && t->in_sys) {
			/* Back inside its call: the call's state moves here. */
			c->tid = next_pid;
			c->nr = t->nr;
			c->enter_ts = t->enter_ts;
			c->in_sys = 1;
			t->in_sys = 0;
			if (c->nr < ATTR_NR_SYSCALLS)
				s->ctx = ATTR_CTX_SYSCALL + c->nr;
		}
	} else {
		s->ctx = ATTR_CTX_OTHER;
	}
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next);
}

/* ---- system calls of the endpoints --------------------------------------- */

/* The current thread's call lives in the CPU's cur_task (no map update
 * per call); it is parked in `tasks` only if the thread leaves the CPU
 * inside the call. */
static __always_inline int on_sys_enter(long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 cpu, nr;
	struct cpu_state *s = state(&cpu);
	struct cur_task *c;
	__u64 now;

	if (!s)
		return 0;
	c = cur_task();
	if (!c || !cur_is_endpoint(c, pid_tgid >> 32))
		return 0;
	now = bpf_ktime_get_ns();
	charge(s, cpu, now, ATTR_P_SYS_ENTER);
	nr = (id >= 0 && id < ATTR_NR_SYSCALLS) ? (__u32)id : ATTR_NR_SYSCALLS - 1;
	/* A system call starts in task context: the CPU's state is known. */
	s->valid = 1;
	s->depth = 0;
	s->ctx = ATTR_CTX_SYSCALL + nr;
	s->stage = ATTR_ST_SELF;
	c->tid = (__u32)pid_tgid;
	c->nr = nr;
	c->enter_ts = now;
	c->in_sys = 1;
	ev_add(cpu, ATTR_EV_SYSCALLS, 1);
	return 0;
}

static __always_inline int on_sys_exit(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 cpu, tid = (__u32)pid_tgid;
	struct cpu_state *s = state(&cpu);
	struct cur_task *c;
	__u64 now;

	if (!s)
		return 0;
	c = cur_task();
	if (!c || !cur_is_endpoint(c, pid_tgid >> 32))
		return 0;
	now = bpf_ktime_get_ns();
	charge(s, cpu, now, ATTR_P_SYS_EXIT);
	s->valid = 1;
	s->depth = 0;
	s->ctx = ATTR_CTX_USER;
	s->stage = ATTR_ST_SELF;
	if (c->in_sys && c->tid == tid) {
		__u64 lat = now - c->enter_ts;
		__u32 slot = log2_u64(lat);
		__u32 idx;
		__u64 *h;

		if (slot >= ATTR_HIST_BUCKETS)
			slot = ATTR_HIST_BUCKETS - 1;
		if (c->nr < ATTR_NR_SYSCALLS) {
			idx = (cpu * ATTR_NR_SYSCALLS + c->nr) * ATTR_HIST_SLOTS;
			h = bpf_map_lookup_elem(&sys_hist, &idx);
			if (h)
				*h += lat; /* ATTR_HIST_SUM */
			idx += 1 + slot;
			h = bpf_map_lookup_elem(&sys_hist, &idx);
			if (h)
				*h += 1;
		}
	}
	c->in_sys = 0;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(btf_sys_enter, struct pt_regs *regs, long id)
{
	return on_sys_enter(id);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(raw_sys_enter, struct pt_regs *regs, long id)
{
	return on_sys_enter(id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit, struct pt_regs *regs, long ret)
{
	return on_sys_exit();
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret)
{
	return on_sys_exit();
}

/* ---- interrupts: push on entry, pop on exit ------------------------------ */

static __always_inline int nest_enter(__u32 ctx, __u32 prog)
{
	__u64 now;
	__u32 cpu, d;
	struct cpu_state *s = state(&cpu);

	if (!s)
		return 0;
	now = bpf_ktime_get_ns();
	charge(s, cpu, now, prog);
	d = s->depth;
	if (d == 0)
		s->nest_ts = s->valid && s->ctx == ATTR_CTX_USER ? now : 0;
	if (d < MAX_DEPTH) {
		s->stack[d].ctx = s->ctx;
		s->stack[d].stage = s->stage;
	}
	s->depth = d + 1;
	s->ctx = ctx;
	s->stage = ATTR_ST_SELF;
	return 0;
}

static __always_inline int nest_exit(__u32 prog)
{
	__u32 cpu, d;
	struct cpu_state *s = state(&cpu);
	__u64 now;

	if (!s)
		return 0;
	now = bpf_ktime_get_ns();
	charge(s, cpu, now, prog);
	if (s->depth == 1 && s->nest_ts && now > s->nest_ts)
		ev_add(cpu, ATTR_EV_NESTED_USER, now - s->nest_ts);
	if (s->depth <= 1)
		s->nest_ts = 0;
	d = s->depth;
	if (d == 0 || d > MAX_DEPTH) {
		/* Attached in the middle of it: what it returns to is unknown
		 * until the next sched_switch or endpoint system call. */
		ev_add(cpu, ATTR_EV_DEPTH_ERR, 1);
		s->valid = 0;
		s->depth = 0;
		return 0;
	}
	d--;
	s->depth = d;
	if (d < MAX_DEPTH) {
		s->ctx = s->stack[d].ctx;
		s->stage = s->stack[d].stage;
	}
	return 0;
}

static __always_inline int on_softirq_entry(unsigned int vec)
{
	__u32 cpu;
	struct cpu_state *s = state(&cpu);
	__u64 now;

	if (!s || vec >= ATTR_NR_SOFTIRQ)
		return 0;
	now = bpf_ktime_get_ns();
	ev_add(cpu, ATTR_EV_SOFTIRQ + vec, 1);
	if (s->raise_ts[vec] && now > s->raise_ts[vec]) {
		ev_add(cpu, ATTR_EV_RAISE_WAIT + vec, now - s->raise_ts[vec]);
		ev_add(cpu, ATTR_EV_RAISE_N + vec, 1);
	}
	s->raise_ts[vec] = 0;
	return nest_enter(ATTR_CTX_SOFTIRQ + vec, ATTR_P_SOFTIRQ_ENTRY);
}

static __always_inline int on_softirq_raise(unsigned int vec)
{
	__u32 cpu;
	struct cpu_state *s = state(&cpu);

	/* Not a boundary: only the first raise before an entry is timed. Its
	 * cost lies inside the open segment. */
	if (!s || vec >= ATTR_NR_SOFTIRQ)
		return 0;
	ev_add(cpu, ATTR_EV_PROG + ATTR_P_SOFTIRQ_RAISE, 1);
	s->extra++;
	if (!s->raise_ts[vec])
		s->raise_ts[vec] = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_hardirq_entry(__u32 prog)
{
	__u32 cpu = bpf_get_smp_processor_id();

	if (cpu < 64 && (targ_cpu_mask & (1ull << cpu)))
		ev_add(cpu, ATTR_EV_HARDIRQ, 1);
	return nest_enter(ATTR_CTX_HARDIRQ, prog);
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(btf_softirq_entry, unsigned int vec)
{
	return on_softirq_entry(vec);
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(raw_softirq_entry, unsigned int vec)
{
	return on_softirq_entry(vec);
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(btf_softirq_exit, unsigned int vec)
{
	return nest_exit(ATTR_P_SOFTIRQ_EXIT);
}

SEC("raw_tp/softirq_exit")
int BPF_PROG(raw_softirq_exit, unsigned int vec)
{
	return nest_exit(ATTR_P_SOFTIRQ_EXIT);
}

SEC("tp_btf/softirq_raise")
int BPF_PROG(btf_softirq_raise, unsigned int vec)
{
	return on_softirq_raise(vec);
}

SEC("raw_tp/softirq_raise")
int BPF_PROG(raw_softirq_raise, unsigned int vec)
{
	return on_softirq_raise(vec);
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(btf_irq_entry, int irq)
{
	return on_hardirq_entry(ATTR_P_IRQ_ENTRY);
}

SEC("raw_tp/irq_handler_entry")
int BPF_PROG(raw_irq_entry, int irq)
{
	return on_hardirq_entry(ATTR_P_IRQ_ENTRY);
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(btf_irq_exit, int irq)
{
	return nest_exit(ATTR_P_IRQ_EXIT);
}

SEC("raw_tp/irq_handler_exit")
int BPF_PROG(raw_irq_exit, int irq)
{
	return nest_exit(ATTR_P_IRQ_EXIT);
}

/* x86 local APIC timer: the most frequent interrupt, with no irq_handler_* event. */
SEC("tp_btf/local_timer_entry")
int BPF_PROG(btf_timer_entry, int vector)
{
	return on_hardirq_entry(ATTR_P_TIMER_ENTRY);
}

SEC("raw_tp/local_timer_entry")
int BPF_PROG(raw_timer_entry, int vector)
{
	return on_hardirq_entry(ATTR_P_TIMER_ENTRY);
}

SEC("tp_btf/local_timer_exit")
int BPF_PROG(btf_timer_exit, int vector)
{
	return nest_exit(ATTR_P_TIMER_EXIT);
}

SEC("raw_tp/local_timer_exit")
int BPF_PROG(raw_timer_exit, int vector)
{
	return nest_exit(ATTR_P_TIMER_EXIT);
}

/* ---- the packet's way: stage changes inside the open context ------------- */

static __always_inline int set_stage_s(struct cpu_state *s, __u32 cpu, __u32 stage,
					int save_prev, __u32 prog)
{
	charge(s, cpu, bpf_ktime_get_ns(), prog);
	if (save_prev)
		s->xmit_prev = s->stage;
	s->stage = stage;
	return 0;
}

static __always_inline int set_stage(__u32 stage, int save_prev, __u32 prog)
{
	__u32 cpu;
	struct cpu_state *s = state(&cpu);

	return s ? set_stage_s(s, cpu, stage, save_prev, prog) : 0;
}

static __always_inline int on_dev_queue(struct sk_buff *skb)
{
	__u32 cpu;
	struct cpu_state *s = state(&cpu);

	if (!s)
		return 0;
	return set_stage_s(s, cpu, ATTR_ST_XMIT + dev_role(s, BPF_CORE_READ(skb, dev)), 1,
			   ATTR_P_DEV_QUEUE);
}

static __always_inline int on_dev_xmit(void)
{
	__u32 cpu;
	struct cpu_state *s = state(&cpu);

	if (!s)
		return 0;
	/* Back to whatever queued the packet (the bridge, the stack). */
	charge(s, cpu, bpf_ktime_get_ns(), ATTR_P_DEV_XMIT);
	s->stage = s->xmit_prev < ATTR_NSTAGES ? s->xmit_prev : ATTR_ST_SELF;
	return 0;
}

static __always_inline int on_receive(struct sk_buff *skb)
{
	__u32 cpu;
	struct cpu_state *s = state(&cpu);

	if (!s)
		return 0;
	return set_stage_s(s, cpu, ATTR_ST_RECV + dev_role(s, BPF_CORE_READ(skb, dev)), 0,
			   ATTR_P_RECEIVE_SKB);
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(btf_net_dev_queue, struct sk_buff *skb)
{
	return on_dev_queue(skb);
}

SEC("raw_tp/net_dev_queue")
int BPF_PROG(raw_net_dev_queue, struct sk_buff *skb)
{
	return on_dev_queue(skb);
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(btf_net_dev_xmit, struct sk_buff *skb)
{
	return on_dev_xmit();
}

SEC("raw_tp/net_dev_xmit")
int BPF_PROG(raw_net_dev_xmit, struct sk_buff *skb)
{
	return on_dev_xmit();
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(btf_netif_receive_skb, struct sk_buff *skb)
{
	return on_receive(skb);
}

SEC("raw_tp/netif_receive_skb")
int BPF_PROG(raw_netif_receive_skb, struct sk_buff *skb)
{
	return on_receive(skb);
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(btf_sk_data_ready, const struct sock *sk)
{
	return set_stage(ATTR_ST_SOCK_WAKE, 0, ATTR_P_DATA_READY);
}

SEC("raw_tp/sk_data_ready")
int BPF_PROG(raw_sk_data_ready, const struct sock *sk)
{
	return set_stage(ATTR_ST_SOCK_WAKE, 0, ATTR_P_DATA_READY);
}

SEC("tp_btf/napi_poll")
int BPF_PROG(btf_napi_poll, struct napi_struct *napi)
{
	return set_stage(ATTR_ST_NAPI, 0, ATTR_P_NAPI_POLL);
}

SEC("raw_tp/napi_poll")
int BPF_PROG(raw_napi_poll, struct napi_struct *napi)
{
	return set_stage(ATTR_ST_NAPI, 0, ATTR_P_NAPI_POLL);
}

SEC("tp_btf/consume_skb")
int BPF_PROG(btf_consume_skb, struct sk_buff *skb)
{
	return set_stage(ATTR_ST_FREE, 0, ATTR_P_CONSUME_SKB);
}

SEC("raw_tp/consume_skb")
int BPF_PROG(raw_consume_skb, struct sk_buff *skb)
{
	return set_stage(ATTR_ST_FREE, 0, ATTR_P_CONSUME_SKB);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(btf_kfree_skb, struct sk_buff *skb)
{
	return set_stage(ATTR_ST_FREE, 0, ATTR_P_KFREE_SKB);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(raw_kfree_skb, struct sk_buff *skb)
{
	return set_stage(ATTR_ST_FREE, 0, ATTR_P_KFREE_SKB);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(btf_sock_send_length, struct sock *sk)
{
	return set_stage(ATTR_ST_SOCK_DONE, 0, ATTR_P_SEND_LENGTH);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(raw_sock_send_length, struct sock *sk)
{
	return set_stage(ATTR_ST_SOCK_DONE, 0, ATTR_P_SEND_LENGTH);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(btf_sock_recv_length, struct sock *sk)
{
	return set_stage(ATTR_ST_SOCK_DONE, 0, ATTR_P_RECV_LENGTH);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(raw_sock_recv_length, struct sock *sk)
{
	return set_stage(ATTR_ST_SOCK_DONE, 0, ATTR_P_RECV_LENGTH);
}
