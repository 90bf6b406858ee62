// SPDX-License-Identifier: BSD-3-Clause
/*
 * The engine's USDT probes bypasslab:rx_burst and bypasslab:tx_burst (packets
 * or -errno, TSC cycles in the call, role), attached per endpoint with the
 * endpoint's slot as the attach cookie: calls, packets, cycles and a log2
 * histogram of burst sizes per endpoint and direction. Each endpoint is one
 * pinned thread, so each slot has a single writer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "bursts.h"
#include "util.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * BURSTS_MAX_EPS);
	__type(key, __u32);
	__type(value, struct burst_stats);
} bursts SEC(".maps");

static __always_inline int record(struct pt_regs *ctx, long n, __u64 cyc)
{
	__u32 slot = (__u32)bpf_usdt_cookie(ctx);
	struct burst_stats *b = bpf_map_lookup_elem(&bursts, &slot);
	__u32 k = 0;

	if (!b)
		return 0;
	b->calls++;
	b->cycles += cyc;
	if (n < 0) {
		b->errors++;
		return 0;
	}
	if (n == 0)
		b->empty++;
	b->pkts += (__u64)n;
	/* Slot k holds sizes of k bits: 0 alone in slot 0, the last slot open-ended. */
	if (n > 0)
		k = log2_u64((__u64)n) + 1;
	if (k > BURSTS_LOG2 - 1)
		k = BURSTS_LOG2 - 1;
	b->size_log2[k]++;
	return 0;
}

SEC("usdt")
int BPF_USDT(bl_rx_burst, long n, __u64 cyc, __u32 role)
{
	(void)role;
	return record(ctx, n, cyc);
}

SEC("usdt")
int BPF_USDT(bl_tx_burst, long n, __u64 cyc, __u32 role)
{
	(void)role;
	return record(ctx, n, cyc);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
