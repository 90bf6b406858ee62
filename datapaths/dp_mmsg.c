// SPDX-License-Identifier: BSD-3-Clause
/* mmsg: sendmmsg/recvmmsg, one system call per burst. */
#include <errno.h>
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
};

static int mmsg_probe(void)
{
	return 0;
}

static int mmsg_open(struct dp_ctx *ctx)
{
	struct mmsg_priv *p = ctx->priv;

	p->fd = dp_sock_udp_open(ctx, &p->peer);
	if (p->fd < 0)
		return p->fd;
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

static int mmsg_tx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct mmsg_priv *p = ctx->priv;
	int r;

	for (int i = 0; i < n; i++) {
		p->txiov[i].iov_base = bufs[i].data;
		p->txiov[i].iov_len = bufs[i].len;
	}
	ctx->st->tx_syscalls++;
	r = DP_SYSCALL(ctx, SYS_sendmmsg,
		       sendmmsg(p->fd, p->tx, (unsigned int)n, ctx->cfg->blocking ? 0 : MSG_DONTWAIT));
	if (r < 0) {
		if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
			return 0;
		return -errno;
	}
	return r;
}

static int mmsg_rx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct mmsg_priv *p = ctx->priv;
	/* Blocking: wait for one, then take what's there. */
	int flags = ctx->cfg->blocking ? MSG_WAITFORONE : MSG_DONTWAIT;
	int r;

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

	return dp_sock_drops(p->fd, &ks->sock_drops);
}

const struct dp_ops dp_mmsg_ops = {
	.name = "mmsg",
	.desc = "UDP socket, sendmmsg/recvmmsg: one system call per burst",
	.caps = DP_CAP_BATCH | DP_CAP_SYSCALLS,
	.priv_size = sizeof(struct mmsg_priv),
	.probe = mmsg_probe,
	.open = mmsg_open,
	.close = mmsg_close,
	.tx_burst = mmsg_tx_burst,
	.rx_burst = mmsg_rx_burst,
	.kstats = mmsg_kstats,
};
