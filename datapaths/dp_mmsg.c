// SPDX-License-Identifier: BSD-3-Clause
/*
 * mmsg: sendmmsg/recvmmsg, one system call per burst. With udp_segment each
 * message is a GSO super-packet of up to N datagrams; with udp_gro each
 * received message may hold many (split by its UDP_GRO segment size);
 * zerocopy sends with MSG_ZEROCOPY and reaps the error queue per burst.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/socket.h>

#include "dp_sock.h"

struct mmsg_priv {
	int fd;
	struct sockaddr_in peer;
	struct mmsghdr tx[DP_MAX_BURST];
	struct iovec txiov[DP_MAX_BURST];
	struct mmsghdr rx[DP_MAX_BURST];
	struct iovec rxiov[DP_MAX_BURST];
	uint8_t rxbuf[DP_MAX_BURST][DP_SOCK_BUF];
	struct dp_feat feat;
	int zc_flag;
	int txk[DP_MAX_BURST]; /* datagrams in each message of the burst */
	struct iovec gsoiov[DP_MAX_BURST];
	struct mmsghdr gro[DP_GRO_NBUF];
	struct iovec groiov[DP_GRO_NBUF];
	char groctl[DP_GRO_NBUF][CMSG_SPACE(DP_GRO_CMSG)];
	struct dp_gro_q groq;
	uint8_t grobuf[DP_GRO_NBUF][DP_GRO_BUF];
};

static int mmsg_probe(void)
{
	return 0;
}

static int mmsg_open(struct dp_ctx *ctx)
{
	struct mmsg_priv *p = ctx->priv;
	char info[160];

	p->fd = dp_feat_sock_open(ctx, &p->feat, 0, &p->peer, info, sizeof(info));
	if (p->fd < 0)
		return p->fd;
	p->zc_flag = p->feat.zerocopy ? MSG_ZEROCOPY : 0;
	snprintf(ctx->shm->dp_info, sizeof(ctx->shm->dp_info), "send=sendmmsg%s recv=recvmmsg%s%s%s",
		 p->feat.segment > 1 ? " of super-packets" : "",
		 p->feat.gro ? " of GRO buffers" : "", info[0] ? " " : "", info);
	for (int i = 0; i < DP_GRO_NBUF; i++) {
		p->groiov[i].iov_base = p->grobuf[i];
		p->groiov[i].iov_len = DP_GRO_BUF;
		p->gro[i].msg_hdr.msg_iov = &p->groiov[i];
		p->gro[i].msg_hdr.msg_iovlen = 1;
	}
	for (int i = 0; i < DP_MAX_BURST; i++) {
		p->tx[i].msg_hdr.msg_name = &p->peer;
		p->tx[i].msg_hdr.msg_namelen = sizeof(p->peer);
		p->tx[i].msg_hdr.msg_iov = &p->txiov[i];
		p->tx[i].msg_hdr.msg_iovlen = 1;
		p->rxiov[i].iov_base = p->rxbuf[i];
		p->rxiov[i].iov_len = DP_SOCK_BUF;
		p->rx[i].msg_hdr.msg_iov = &p->rxiov[i];
		p->rx[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static void mmsg_close(struct dp_ctx *ctx)
{
	struct mmsg_priv *p = ctx->priv;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* Messages of up to udp_segment datagrams each (one each without GSO). */
static int mmsg_tx_build(struct mmsg_priv *p, struct pkt_buf *bufs, int n)
{
	int per = p->feat.segment > 1 ? (int)p->feat.segment : 1, nm = 0;

	for (int i = 0; i < n; i += per, nm++) {
		int k = n - i < per ? n - i : per;
		struct msghdr *h = &p->tx[nm].msg_hdr;

		for (int j = 0; j < k; j++) {
			p->gsoiov[i + j].iov_base = bufs[i + j].data;
			p->gsoiov[i + j].iov_len = bufs[i + j].len;
		}
		h->msg_iov = &p->gsoiov[i];
		h->msg_iovlen = (size_t)k;
		p->txk[nm] = k;
	}
	return nm;
}

static int mmsg_tx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct mmsg_priv *p = ctx->priv;
	int flags = (ctx->cfg->blocking ? 0 : MSG_DONTWAIT) | p->zc_flag;
	int r, nm = mmsg_tx_build(p, bufs, n), sent = 0;

	ctx->st->tx_syscalls++;
	r = DP_SYSCALL(ctx, SYS_sendmmsg, sendmmsg(p->fd, p->tx, (unsigned int)nm, flags));
	if (r < 0) {
		if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
			return 0;
		return -errno;
	}
	for (int m = 0; m < r; m++) {
		sent += p->txk[m];
		if (p->txk[m] > 1) {
			ctx->st->tx_gso_sends++;
			ctx->st->tx_gso_segs += (uint64_t)p->txk[m];
		}
	}
	if (p->zc_flag) {
		ctx->st->zc_sends += (uint64_t)r;
		/* The engine reuses the buffers on return. */
		dp_zc_reap(ctx, p->fd, 1);
	}
	return sent;
}

/* UDP_GRO: each message may hold many datagrams of its segment size. */
static int mmsg_rx_gro(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct mmsg_priv *p = ctx->priv;
	int flags = ctx->cfg->blocking ? MSG_WAITFORONE : MSG_DONTWAIT;
	int got = dp_gro_take(&p->groq, bufs, max), want = max, r;

	/* Datagrams handed out from the queue live in the receive buffers. */
	if (got || p->groq.n)
		return got;
	if (want > DP_GRO_NBUF)
		want = DP_GRO_NBUF;
	for (int i = 0; i < want; i++) {
		p->gro[i].msg_hdr.msg_control = p->groctl[i];
		p->gro[i].msg_hdr.msg_controllen = sizeof(p->groctl[i]);
	}
	ctx->st->rx_syscalls++;
	r = DP_SYSCALL(ctx, SYS_recvmmsg,
		       recvmmsg(p->fd, p->gro, (unsigned int)want, flags, NULL));
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return got;
		return got ? got : -errno;
	}
	/* What does not fit this burst is queued, in order, for the next. */
	for (int i = 0; i < r; i++)
		got = dp_gro_split(ctx, &p->groq, p->grobuf[i], p->gro[i].msg_len,
				   dp_gro_seg(&p->gro[i].msg_hdr), bufs, got, max);
	return got;
}

static int mmsg_rx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct mmsg_priv *p = ctx->priv;
	/* Blocking: wait for one, then take what's there. */
	int flags = ctx->cfg->blocking ? MSG_WAITFORONE : MSG_DONTWAIT;
	int r;

	if (p->feat.gro)
		return mmsg_rx_gro(ctx, bufs, max);
	ctx->st->rx_syscalls++;
	r = DP_SYSCALL(ctx, SYS_recvmmsg, recvmmsg(p->fd, p->rx, (unsigned int)max, flags, NULL));
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -errno;
	}
	for (int i = 0; i < r; i++) {
		bufs[i].data = p->rxbuf[i];
		bufs[i].len = p->rx[i].msg_len;
	}
	return r;
}

static int mmsg_kstats(struct dp_ctx *ctx, struct ep_kstats *ks)
{
	struct mmsg_priv *p = ctx->priv;

	if (p->zc_flag)
		dp_zc_reap(ctx, p->fd, 1);
	dp_feat_kstats(ctx, p->fd, ks);
	return dp_sock_drops(p->fd, &ks->sock_drops);
}

/* Indexes match enum dp_feat_opt. */
static const struct dp_opt mmsg_opts[] = {
	DP_SOCK_FEAT_OPTS,
	{ NULL },
};

const struct dp_ops dp_mmsg_ops = {
	.name = "mmsg",
	.desc = "UDP socket, sendmmsg/recvmmsg: one system call per burst",
	.caps = DP_CAP_BATCH | DP_CAP_SYSCALLS,
	.opts = mmsg_opts,
	.check = dp_sock_check,
	.kgroups = dp_sock_kgroups,
	.features = dp_sock_features,
	.case_needs = dp_sock_needs,
	.priv_size = sizeof(struct mmsg_priv),
	.probe = mmsg_probe,
	.open = mmsg_open,
	.close = mmsg_close,
	.tx_burst = mmsg_tx_burst,
	.rx_burst = mmsg_rx_burst,
	.kstats = mmsg_kstats,
};
