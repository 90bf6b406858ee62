/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Datapath ops: the only thing a backend implements. One shared engine
 * (engine.c) drives every datapath through this table, in the spirit of
 * testpmd's struct fwd_engine. probe, tx_burst and rx_burst are required;
 * a NULL hook means "nothing special".
 *
 * Buffers: for DP_CAP_L2 datapaths a pkt_buf holds a whole Ethernet frame
 * (no FCS); otherwise it holds the UDP payload and the kernel builds headers.
 * Bursts return a count (0..n) or -errno; everything else 0 or -errno.
 * Datapaths count their own system calls in ctx->st (tx_syscalls,
 * rx_syscalls) and never print on the hot path.
 */
#ifndef BL_DP_H
#define BL_DP_H

#include <stddef.h>
#include <stdint.h>
#include "shm.h"
#include "tsc.h"

struct pkt_buf {
	void *data;
	uint32_t len;
	uint64_t priv;
};

enum dp_caps {
	DP_CAP_L2 = 1u << 0,    /* buffers carry Ethernet frames; engine builds headers */
	DP_CAP_BATCH = 1u << 1, /* one call moves a whole burst */
	DP_CAP_ZC_TX = 1u << 2, /* alloc_tx hands out ring slots to fill in place */
};

struct dp_ctx {
	const struct ep_config *cfg;
	struct ep_stats *st; /* shared counters (single writer: this thread) */
	struct ep_shm *shm;  /* for dp_info */
	int ifindex;
	void *priv; /* priv_size bytes, zeroed */
};

struct dp_ops {
	const char *name;
	const char *desc;
	unsigned int caps;
	size_t priv_size;
	int (*probe)(void);
	int (*open)(struct dp_ctx *ctx);
	void (*close)(struct dp_ctx *ctx);
	int (*alloc_tx)(struct dp_ctx *ctx, struct pkt_buf *bufs, int n);
	int (*tx_burst)(struct dp_ctx *ctx, struct pkt_buf *bufs, int n);
	int (*rx_burst)(struct dp_ctx *ctx, struct pkt_buf *bufs, int max);
	void (*release)(struct dp_ctx *ctx, struct pkt_buf *bufs, int n);
	int (*kstats)(struct dp_ctx *ctx, struct ep_kstats *ks);
	/* 1 when the port can carry traffic, 0 not yet (polled before RUN). */
	int (*link)(struct dp_ctx *ctx);
};

extern const struct dp_ops dp_udp_ops;
extern const struct dp_ops dp_mmsg_ops;
extern const struct dp_ops dp_packet_ops;
extern const struct dp_ops dp_uring_ops;
extern const struct dp_ops dp_xdp_ops;
extern const struct dp_ops dp_dpdk_ops;

/* NULL-terminated registry. */
extern const struct dp_ops *const dp_table[];
const struct dp_ops *dp_find(const char *name);

/* Account one timed system call (single writer: the endpoint thread). */
static inline void dp_sys_add(struct ep_stats *st, unsigned int nr, uint64_t cyc)
{
	for (unsigned int i = 0; i < EP_NSYS; i++) {
		struct ep_sys *s = &st->sys[i];

		if (s->nr == nr + 1ull || !s->nr) {
			s->nr = nr + 1ull;
			s->calls++;
			s->cyc += cyc;
			return;
		}
	}
	st->sys_untimed++;
}

/* Make a system call (or a library call that may make it) timed on the TSC
 * and accounted under syscall number nr; evaluates to the call's result,
 * errno untouched. */
#define DP_SYSCALL(ctx, nr, call)                                              \
	({                                                                     \
		uint64_t t0_ = tsc_now();                                      \
		__typeof__(call) r_ = (call);                                  \
		dp_sys_add((ctx)->st, (nr), tsc_now() - t0_);                  \
		r_;                                                            \
	})

/* Largest burst any datapath accepts. */
#define DP_MAX_BURST 256

#endif
