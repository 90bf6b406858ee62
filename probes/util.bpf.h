/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Small helpers every probe program would otherwise write again. BPF code
 * only (vmlinux.h and bpf_helpers.h first).
 */
#ifndef BL_UTIL_BPF_H
#define BL_UTIL_BPF_H

/* floor(log2(v)), 0 for v = 0: six steps of binary search, no loop for
 * the verifier to bound. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

/* Add v to the __u64 at idx of an array map; an index outside it is
 * ignored. A plain add: the callers' slots are per CPU and a program does
 * not nest into itself there. */
static __always_inline void array_add(void *map, __u32 idx, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(map, &idx);

	if (p)
		*p += v;
}

/* The same as one atomic add, for slots that more than one program run
 * may update at once. */
static __always_inline void array_add_atomic(void *map, __u32 idx, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(map, &idx);

	if (p)
		__sync_fetch_and_add(p, v);
}

#endif
