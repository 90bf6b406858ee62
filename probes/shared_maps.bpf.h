/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Maps both BPF objects (attr.bpf.c, path.bpf.c) use: path mode shares the
 * attribution's instances through bpf_map__reuse_fd, which requires the same
 * definitions, so they are defined once here. BPF code only (vmlinux.h,
 * bpf_helpers.h and attr.h first).
 */
#ifndef BL_SHARED_MAPS_BPF_H
#define BL_SHARED_MAPS_BPF_H

/* An endpoint thread's current system call. */
struct task_sys {
	__u64 enter_ts;
	__u32 nr;
	__u32 in_sys;
	__u64 out_ts; /* left the CPU outside a call (0: not) */
};

/* Endpoint processes: tgid -> side (0 = a, 1 = b). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} tgids SEC(".maps");

/* Devices on the path: (netns inode, ifindex) -> ATTR_ROLE_*. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ATTR_MAX_DEVS);
	__type(key, struct attr_dev_key);
	__type(value, __u32);
} devs SEC(".maps");

/* Each CPU's current task as the probes know it: whether it is an endpoint
 * (cached per task, so most events need no tgids lookup) and the system
 * call it is in. An endpoint thread leaving the CPU inside a call parks the
 * call in `tasks`; switching back in moves it here again. */
struct cur_task {
	__u64 enter_ts; /* in_sys: when the call began */
	__u32 tgid;     /* known: the task the rest describes */
	__u32 tid;
	__u32 nr;
	__u8 known;
	__u8 is_ep;
	__u8 in_sys;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cur_task);
} curtask SEC(".maps");

/* Endpoint threads parked inside a system call (a sleep in the call). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct task_sys);
} tasks SEC(".maps");

#endif
