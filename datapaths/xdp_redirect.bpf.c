// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The xdp datapath's XDP program: hand the workload's frames to the
 * endpoint's AF_XDP socket, pass everything else to the stack.
 *
 * Why a filter rather than redirecting every frame: the socket only wants
 * the engine's frames (IPv4, UDP, destination port = the endpoint's own
 * port), and everything else keeps its normal path through the stack. ARP
 * keeps working: the harness's permanent neighbour entries mean a run sends
 * none, but nothing here relies on that. So do ICMP (such as the port
 * unreachable a late frame provokes once the socket is gone) and whatever
 * else shows up on eth0; the program counts it all (XR_PASS). A frame of
 * our flow whose queue has no socket in the map (before the socket is
 * inserted, after it is closed) goes to the stack too, through
 * bpf_redirect_map's XDP_PASS fallback: there the UDP counters see it,
 * where an XDP drop would leave it unaccounted for.
 *
 * Only unfragmented datagrams and first fragments are matched, as the packet
 * datapath's socket filter does; the engine never fragments.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdp_redirect.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ETH_P_IP 0x0800
#define IP_OFFSET_MASK 0x1fff /* fragment offset bits of frag_off */

/* Set by user space before load: the endpoint's UDP port, host order. */
const volatile __u16 targ_port = 0;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XR_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} bl_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XR_NCOUNTS);
	__type(key, __u32);
	__type(value, __u64);
} bl_xdp_cnt SEC(".maps");

static __always_inline int verdict(__u32 what, int action)
{
	__u64 *c = bpf_map_lookup_elem(&bl_xdp_cnt, &what);

	if (c)
		*c += 1; /* per-CPU slot: no atomics needed */
	return action;
}

SEC("xdp")
int bl_xsk_redir(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;
	int act;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return verdict(XR_PASS, XDP_PASS);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5 || ip->protocol != IPPROTO_UDP ||
	    (ip->frag_off & bpf_htons(IP_OFFSET_MASK)))
		return verdict(XR_PASS, XDP_PASS);
	udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > end || udp->dest != bpf_htons(targ_port))
		return verdict(XR_PASS, XDP_PASS);
	act = bpf_redirect_map(&bl_xsks, ctx->rx_queue_index, XDP_PASS);
	return verdict(act == XDP_REDIRECT ? XR_REDIRECT : XR_FALLBACK, act);
}
