// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Sampling judge of the tracepoint attribution (see sample_user.c): runs on
 * every tick of a per-CPU PERF_COUNT_SW_CPU_CLOCK event and counts the
 * sample by (cpu, what ran, kernel stack id). All the classifying happens
 * in user space, once per window, on the stacks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "sample.h"
#include "util.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 targ_cpu_mask = 0;

/* Endpoint processes (tgid -> 1), filled by sample__add_tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} ep_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, SAMPLE_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SAMPLE_MAX_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SAMPLE_MAX_KEYS);
	__type(key, struct sample_key);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* nr_cpus * SAMPLE_NEV, set before load */
	__type(key, __u32);
	__type(value, __u64);
} sevs SEC(".maps");

static __always_inline void ev_add(__u32 cpu, __u32 ev)
{
	array_add_atomic(&sevs, cpu * SAMPLE_NEV + ev, 1);
}

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, pid = (__u32)pid_tgid;
	struct sample_key k = { .cpu = cpu, .stack = SAMPLE_NO_STACK };
	/* User addresses are the lower half on x86-64. */
	int user = (__s64)ctx->regs.ip >= 0;
	int ep;
	__u64 one = 1, *v;

	if (cpu >= 64 || !(targ_cpu_mask & (1ull << cpu)))
		return 0;
	ev_add(cpu, SAMPLE_EV_SAMPLES);
	ep = pid && bpf_map_lookup_elem(&ep_tgids, &tgid) != NULL;
	if (!pid) {
		k.kind = SAMPLE_K_IDLE;
	} else if (!user) {
		k.kind = ep ? SAMPLE_K_EP_KERN : SAMPLE_K_OTHER_KERN;
	} else if (!ep) {
		k.kind = SAMPLE_K_OTHER_USER;
	} else {
		/* Without a PMU the clock interrupt cannot land while the
		 * kernel has interrupts off, and the syscall return path runs
		 * with them off: its time shows up here, on the instruction
		 * after `syscall` (0f 05). */
		__u8 insn[2] = {};

		k.kind = SAMPLE_K_EP_USER;
		if (!bpf_probe_read_user(insn, sizeof(insn), (void *)(ctx->regs.ip - 2)) &&
		    insn[0] == 0x0f && insn[1] == 0x05)
			k.kind = SAMPLE_K_EP_SYSRET;
	}
	if (!user) {
		long id = bpf_get_stackid(ctx, &stacks, 0);

		if (id >= 0)
			k.stack = (__u32)id;
		else
			ev_add(cpu, SAMPLE_EV_STACK_LOST);
	}
	v = bpf_map_lookup_elem(&counts, &k);
	if (v) {
		__sync_fetch_and_add(v, 1);
	} else if (bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST)) {
		/* Raced with another CPU's first sample of the same key? No:
		 * keys hold the CPU. So the map is full. */
		v = bpf_map_lookup_elem(&counts, &k);
		if (v)
			__sync_fetch_and_add(v, 1);
		else
			ev_add(cpu, SAMPLE_EV_KEY_LOST);
	}
	return 0;
}
