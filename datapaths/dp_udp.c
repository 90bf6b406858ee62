// SPDX-License-Identifier: BSD-3-Clause
/* udp: one sendto/recvfrom system call per packet on a UDP socket. */
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "dp_sock.h"

struct udp_priv {
	int fd;
	struct sockaddr_in peer;
	uint8_t rxbuf[DP_MAX_BURST][DP_SOCK_BUF];
};

static int udp_probe(void)
{
	return 0;
}

static int udp_open(struct dp_ctx *ctx)
{
	struct udp_priv *p = ctx->priv;

	p->fd = dp_sock_udp_open(ctx, &p->peer);
	return p->fd < 0 ? p->fd : 0;
}

static void udp_close(struct dp_ctx *ctx)
{
	struct udp_priv *p = ctx->priv;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static int udp_tx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct udp_priv *p = ctx->priv;
	int i;

	for (i = 0; i < n; i++) {
		ssize_t r;

		ctx->st->tx_syscalls++;
		r = DP_SYSCALL(ctx, SYS_sendto,
			       sendto(p->fd, bufs[i].data, bufs[i].len,
				      ctx->cfg->blocking ? 0 : MSG_DONTWAIT,
				      (struct sockaddr *)&p->peer, sizeof(p->peer)));
		if (r < 0) {
			if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
				break;
			return i ? i : -errno;
		}
	}
	return i;
}

static int udp_rx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct udp_priv *p = ctx->priv;
	int i;

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

	return dp_sock_drops(p->fd, &ks->sock_drops);
}

const struct dp_ops dp_udp_ops = {
	.name = "udp",
	.desc = "UDP socket, one sendto/recvfrom per packet",
	.caps = DP_CAP_SYSCALLS,
	.priv_size = sizeof(struct udp_priv),
	.probe = udp_probe,
	.open = udp_open,
	.close = udp_close,
	.tx_burst = udp_tx_burst,
	.rx_burst = udp_rx_burst,
	.kstats = udp_kstats,
};
