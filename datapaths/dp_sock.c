// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "dp_sock.h"

int dp_sock_udp_open(struct dp_ctx *ctx, struct sockaddr_in *peer)
{
	const struct ep_config *cfg = ctx->cfg;
	struct sockaddr_in me = { .sin_family = AF_INET };
	int fd, err, one = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), "socket: %s", strerror(errno));
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* FORCE variants: as root the configured size is honoured beyond rmem_max. */
	if (cfg->sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &cfg->sndbuf,
				      sizeof(cfg->sndbuf)) < 0)
		goto err_opt;
	if (cfg->rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &cfg->rcvbuf,
				      sizeof(cfg->rcvbuf)) < 0)
		goto err_opt;
	/* Blocking calls wait without a timeout (arming one per call costs an
	 * hrtimer each time): the harness wakes a stopping endpoint with
	 * SIGUSR1, which interrupts the call (EINTR). */
	me.sin_addr.s_addr = cfg->src_ip;
	me.sin_port = htons(cfg->sport);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		err = -errno;
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), "bind port %u: %s",
			 cfg->sport, strerror(errno));
		close(fd);
		return err;
	}
	memset(peer, 0, sizeof(*peer));
	peer->sin_family = AF_INET;
	peer->sin_addr.s_addr = cfg->dst_ip;
	peer->sin_port = htons(cfg->dport);
	/* A receiver takes datagrams from its peer's address and port only:
	 * the kernel's lookup passes the rest by (udp_no_ports). */
	if (cfg->role == EP_ROLE_RECV && connect(fd, (struct sockaddr *)peer, sizeof(*peer)) < 0) {
		err = -errno;
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), "connect: %s",
			 strerror(errno));
		close(fd);
		return err;
	}
	return fd;

err_opt:
	err = -errno;
	snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), "setsockopt: %s", strerror(errno));
	close(fd);
	return err;
}

int dp_sock_drops(int fd, uint64_t *drops)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
		return -errno;
	if (len < sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1))
		return -EOPNOTSUPP;
	*drops = mem[SK_MEMINFO_DROPS];
	return 0;
}
