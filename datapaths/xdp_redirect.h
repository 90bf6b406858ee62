/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Shared by the xdp datapath (dp_xdp.c) and its XDP program
 * (xdp_redirect.bpf.c). Plain macros and an enum only: the BPF side includes
 * vmlinux.h, user space the libc headers.
 */
#ifndef BL_XDP_REDIRECT_H
#define BL_XDP_REDIRECT_H

/*
 * Entries of the XSK map, indexed by RX queue. The harness's veths have one
 * queue and the endpoint binds its socket to queue 0; a frame of our flow on
 * a queue without a socket falls back to XDP_PASS (counted, see below).
 */
#define XR_MAX_QUEUES 64

/* Per-CPU verdict counters of the program, by index. */
enum xr_count {
	XR_REDIRECT = 0, /* our flow, handed to the socket on its queue */
	XR_FALLBACK,     /* our flow, but no socket in the map: passed to the stack */
	XR_PASS,         /* everything else (ARP, ICMP, other ports): passed */
	XR_NCOUNTS,
};

#endif
