/* SPDX-License-Identifier: BSD-3-Clause */
/* Socket set-up shared by the kernel-socket datapaths (udp, mmsg, uring). */
#ifndef BL_DP_SOCK_H
#define BL_DP_SOCK_H

#include <netinet/in.h>
#include "dp.h"

#define DP_SOCK_BUF 2048 /* room for the largest payload */

/* A UDP socket bound to cfg's source address/port, buffers sized, optional
 * receive timeout for blocking mode. Fills *peer with the destination.
 * Returns the fd or -errno (message in ctx->shm->errmsg). */
int dp_sock_udp_open(struct dp_ctx *ctx, struct sockaddr_in *peer);
/* Socket drops counted by the kernel (SO_MEMINFO SK_MEMINFO_DROPS). */
int dp_sock_drops(int fd, uint64_t *drops);

#endif
