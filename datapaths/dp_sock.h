/* SPDX-License-Identifier: BSD-3-Clause */
/* Socket set-up shared by the kernel-socket datapaths (udp, mmsg, uring). */
#ifndef BL_DP_SOCK_H
#define BL_DP_SOCK_H

#include <netinet/in.h>
#include <sys/socket.h>
#include "dp.h"

#define DP_SOCK_BUF 2048 /* room for the largest payload */

/* A UDP socket bound to cfg's source address/port, buffers sized, optional
 * receive timeout for blocking mode. Fills *peer with the destination.
 * Returns the fd or -errno (message in ctx->shm->errmsg). */
int dp_sock_udp_open(struct dp_ctx *ctx, struct sockaddr_in *peer);
/* Socket drops counted by the kernel (SO_MEMINFO SK_MEMINFO_DROPS). */
int dp_sock_drops(int fd, uint64_t *drops);

/*
 * The kernel's own fast paths on a UDP socket: keys udp, mmsg and uring
 * share (one key each in the schema). DP_SOCK_FEAT_OPTS are their rows, in
 * enum dp_feat_opt order, starting at the datapath's row `base`.
 */
enum dp_feat_opt { DP_FEAT_SEGMENT = 0, DP_FEAT_GRO, DP_FEAT_ZEROCOPY, DP_FEAT_BUSY_POLL };

#define DP_BOOL_WORDS "yes|no|true|false|on|off|1|0"
#define DP_SOCK_FEAT_OPTS                                                                  \
	{ "udp_segment", DP_OPT_INT, NULL, 0, 64, .allowed = "0..64", .def = "0",           \
	  .help = "UDP GSO: up to N datagrams per send as one super-packet (UDP_SEGMENT), "   \
		  "segmented by the kernel; 0 = off",                                         \
	  .feature = 1 },                                                                     \
	{ "udp_gro", DP_OPT_BOOL, .allowed = DP_BOOL_WORDS, .def = "no",                       \
	  .help = "UDP GRO on the receiving socket (UDP_GRO): one receive may return many "   \
		  "datagrams, split by the segment size the kernel reports",                  \
	  .feature = 1 },                                                                     \
	{ "zerocopy", DP_OPT_BOOL, .allowed = DP_BOOL_WORDS, .def = "no",                      \
	  .help = "zero-copy send (MSG_ZEROCOPY, uring: SEND_ZC); completions reaped and "    \
		  "counted, copied-instead fallbacks too",                                    \
	  .feature = 1 },                                                                     \
	{ "busy_poll_us", DP_OPT_INT, NULL, 0, 100000, .allowed = "0..100000", .def = "0",   \
	  .help = "socket busy polling: SO_BUSY_POLL microseconds with SO_PREFER_BUSY_POLL "  \
		  "and SO_BUSY_POLL_BUDGET = burst; 0 = off",                                 \
	  .feature = 1 }

#define DP_GRO_BUF 65536u /* a GRO receive: up to 64 KiB of datagrams */
#define DP_GRO_NBUF 32    /* GRO receive buffers per burst */
#define DP_GRO_CMSG 64    /* control room for the UDP_GRO segment size */

/* What a socket endpoint asked for, and what the kernel granted. */
struct dp_feat {
	unsigned int segment;  /* datagrams per GSO send; 0 or 1: one per send */
	unsigned int gso_size; /* UDP_SEGMENT: the payload length */
	int gro;
	int zerocopy;
	unsigned int busy_poll_us;
};

/* cfg->opt[base + enum dp_feat_opt] into f. */
void dp_feat_read(struct dp_feat *f, const struct ep_config *cfg, int base);
/* The socket options f asks for, each read back; a refusal is -EOPNOTSUPP
 * with the key and errno in errmsg. info: what was granted ("" if none). */
int dp_feat_apply(struct dp_ctx *ctx, int fd, const struct dp_feat *f, char *info, size_t len);
/* A connected UDP socket to the peer with f read from cfg (options at
 * base) and applied: the fd, or -errno with nothing left open. */
int dp_feat_sock_open(struct dp_ctx *ctx, struct dp_feat *f, int base, struct sockaddr_in *peer,
		      char *info, size_t len);
/* The UDP_GRO segment size in a received message's control data, 0 if
 * it carried one datagram. */
unsigned int dp_gro_seg(const struct msghdr *m);

/* GRO receives whose datagrams did not all fit a burst: handed out first
 * next time, from the receive buffers themselves. A burst that hands any
 * out makes no new receive, so those buffers are not written under them. */
struct dp_gro_q {
	struct {
		uint8_t *buf;
		uint32_t len, seg, off;
	} m[DP_GRO_NBUF];
	int head, n;
};

/* Hand out queued datagrams into bufs[0..max); returns how many. */
int dp_gro_take(struct dp_gro_q *q, struct pkt_buf *bufs, int max);
/* The datagrams in one receive (len bytes, seg each; seg 0 = one) into
 * bufs[got..max), the rest queued (all of it once the queue is not
 * empty: order is kept); counts GRO buffers. Returns the new count. */
int dp_gro_split(struct dp_ctx *ctx, struct dp_gro_q *q, uint8_t *buf, uint32_t len,
		 uint32_t seg, struct pkt_buf *bufs, int got, int max);

/* MSG_ZEROCOPY: read the error queue's completions into st (zc_done,
 * zc_copied; every read counted as a transmit system call). With `all`,
 * keep reading until none is outstanding or DP_ZC_WAIT_NS passed: the
 * engine reuses its buffers once tx_burst returns. */
#define DP_ZC_WAIT_NS 2000000ull
void dp_zc_reap(struct dp_ctx *ctx, int fd, int all);
/* SO_INCOMING_NAPI_ID and uncompleted zero-copy sends, into ks. */
void dp_feat_kstats(struct dp_ctx *ctx, int fd, struct ep_kstats *ks);

/* One send of n payloads (iovecs), as GSO when n > 1: fills a msghdr. */
void dp_gso_msg(struct msghdr *m, struct iovec *iov, const struct pkt_buf *bufs, int n,
		struct sockaddr_in *peer);

/* The check hook of a datapath whose DP_SOCK_FEAT_OPTS start at row base. */
const char *const *dp_sock_check_at(const struct dp_case *dc, int base, char *msg, size_t len);
const char *const *dp_sock_check(const struct dp_case *dc, char *msg, size_t len);
/* The case_needs hook: udp_gro and busy_poll_us need the veths in NAPI. */
unsigned int dp_sock_needs_at(const struct dp_case *dc, int base);
unsigned int dp_sock_needs(const struct dp_case *dc);
/* The features hook: UDP_SEGMENT, UDP_GRO, SO_ZEROCOPY, SO_BUSY_POLL (with
 * PREFER and BUDGET) on a throwaway UDP socket. */
int dp_sock_features(struct dp_feature *f, int max);
/* Endpoint object `fastpaths`: sock_napi_id, zc_outstanding. */
extern const struct dp_kgroup dp_sock_kgroups[];

#endif
