// SPDX-License-Identifier: BSD-3-Clause
/*
 * udp: one sendto/recvfrom system call per packet on a UDP socket; with the
 * kernel's fast paths (dp_sock.h): one sendmsg per GSO super-packet
 * (udp_segment), recvmsg with the UDP_GRO segment size (udp_gro),
 * MSG_ZEROCOPY with its completions reaped (zerocopy), busy polling.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "dp_sock.h"

struct udp_priv {
	int fd;
	struct sockaddr_in peer;
	struct dp_feat feat;
	int zc_flag; /* MSG_ZEROCOPY or 0 */
	struct iovec iov[DP_MAX_BURST];
	uint8_t rxbuf[DP_MAX_BURST][DP_SOCK_BUF];
	struct dp_gro_q groq;
	uint8_t gro[DP_GRO_NBUF][DP_GRO_BUF];
};

static int udp_probe(void)
{
	return 0;
}

static int udp_open(struct dp_ctx *ctx)
{
	struct udp_priv *p = ctx->priv;
	char info[160];

	p->fd = dp_feat_sock_open(ctx, &p->feat, 0, &p->peer, info, sizeof(info));
	if (p->fd < 0)
		return p->fd;
	p->zc_flag = p->feat.zerocopy ? MSG_ZEROCOPY : 0;
	snprintf(ctx->shm->dp_info, sizeof(ctx->shm->dp_info), "send=%s recv=%s%s%s",
		 p->feat.segment > 1 ? "sendmsg/super-packet" : "sendto/pkt",
		 p->feat.gro ? "recvmsg/GRO buffer" : "recvfrom/pkt", info[0] ? " " : "", info);
	return 0;
}

static void udp_close(struct dp_ctx *ctx)
{
	struct udp_priv *p = ctx->priv;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* One send: k datagrams, as one GSO super-packet when k > 1. */
static ssize_t udp_send1(struct dp_ctx *ctx, struct pkt_buf *bufs, int k)
{
	struct udp_priv *p = ctx->priv;
	int flags = (ctx->cfg->blocking ? 0 : MSG_DONTWAIT) | p->zc_flag;
	struct msghdr m;

	ctx->st->tx_syscalls++;
	if (p->feat.segment <= 1)
		return DP_SYSCALL(ctx, SYS_sendto,
				  sendto(p->fd, bufs[0].data, bufs[0].len, flags,
					 (struct sockaddr *)&p->peer, sizeof(p->peer)));
	dp_gso_msg(&m, p->iov, bufs, k, &p->peer);
	return DP_SYSCALL(ctx, SYS_sendmsg, sendmsg(p->fd, &m, flags));
}

static int udp_tx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct udp_priv *p = ctx->priv;
	unsigned int per = p->feat.segment > 1 ? p->feat.segment : 1;
	int i = 0, err = 0;

	while (i < n) {
		int k = n - i < (int)per ? n - i : (int)per;
		ssize_t r = udp_send1(ctx, bufs + i, k);

		if (r < 0) {
			if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
				err = -errno;
			break;
		}
		if (k > 1) {
			ctx->st->tx_gso_sends++;
			ctx->st->tx_gso_segs += (uint64_t)k;
		}
		ctx->st->zc_sends += p->zc_flag ? 1 : 0;
		i += k;
	}
	/* The engine reuses the buffers on return: every zero-copy send done. */
	if (p->zc_flag)
		dp_zc_reap(ctx, p->fd, 1);
	return i ? i : err;
}

/* UDP_GRO: one recvmsg may return many datagrams of the reported size. */
static int udp_rx_gro(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct udp_priv *p = ctx->priv;
	int got = dp_gro_take(&p->groq, bufs, max);

	/* Datagrams handed out from the queue live in these buffers. */
	if (got || p->groq.n)
		return got;
	for (int c = 0; got < max && c < DP_GRO_NBUF && !p->groq.n; c++) {
		int flags = (ctx->cfg->blocking && got == 0) ? 0 : MSG_DONTWAIT;
		char ctl[CMSG_SPACE(DP_GRO_CMSG)];
		struct iovec iov = { p->gro[c], DP_GRO_BUF };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl) };
		ssize_t r;

		ctx->st->rx_syscalls++;
		r = DP_SYSCALL(ctx, SYS_recvmsg, recvmsg(p->fd, &m, flags));
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			return got ? got : -errno;
		}
		got = dp_gro_split(ctx, &p->groq, p->gro[c], (uint32_t)r, dp_gro_seg(&m), bufs,
				   got, max);
	}
	return got;
}

static int udp_rx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct udp_priv *p = ctx->priv;
	int i;

	if (p->feat.gro)
		return udp_rx_gro(ctx, bufs, max);
	for (i = 0; i < max; i++) {
		/* Blocking mode waits for the first packet only. */
		int flags = (ctx->cfg->blocking && i == 0) ? 0 : MSG_DONTWAIT;
		ssize_t r;

		ctx->st->rx_syscalls++;
		r = DP_SYSCALL(ctx, SYS_recvfrom,
			       recvfrom(p->fd, p->rxbuf[i], DP_SOCK_BUF, flags, NULL, NULL));
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			return i ? i : -errno;
		}
		bufs[i].data = p->rxbuf[i];
		bufs[i].len = (uint32_t)r;
	}
	return i;
}

static int udp_kstats(struct dp_ctx *ctx, struct ep_kstats *ks)
{
	struct udp_priv *p = ctx->priv;

	if (p->zc_flag)
		dp_zc_reap(ctx, p->fd, 1);
	dp_feat_kstats(ctx, p->fd, ks);
	return dp_sock_drops(p->fd, &ks->sock_drops);
}

/* Indexes match enum dp_feat_opt. */
static const struct dp_opt udp_opts[] = {
	DP_SOCK_FEAT_OPTS,
	{ NULL },
};

const struct dp_ops dp_udp_ops = {
	.name = "udp",
	.desc = "UDP socket, one sendto/recvfrom per packet (GSO, GRO, zero-copy, busy poll "
		"selectable)",
	.caps = DP_CAP_SYSCALLS,
	.opts = udp_opts,
	.check = dp_sock_check,
	.kgroups = dp_sock_kgroups,
	.features = dp_sock_features,
	.case_needs = dp_sock_needs,
	.priv_size = sizeof(struct udp_priv),
	.probe = udp_probe,
	.open = udp_open,
	.close = udp_close,
	.tx_burst = udp_tx_burst,
	.rx_burst = udp_rx_burst,
	.kstats = udp_kstats,
};
