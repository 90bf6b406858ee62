// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/sock_diag.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>

#ifndef SOL_UDP
#define SOL_UDP 17
#endif

#include "dp_sock.h"
#include "frame.h"

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

#define sock_err(ctx, ...) \
	snprintf((ctx)->shm->errmsg, sizeof((ctx)->shm->errmsg), __VA_ARGS__)

void dp_feat_read(struct dp_feat *f, const struct ep_config *cfg, int base)
{
	memset(f, 0, sizeof(*f));
	f->segment = (unsigned int)cfg->opt[base + DP_FEAT_SEGMENT];
	f->gso_size = (unsigned int)frame_payload_len(cfg->frame_size);
	f->gro = !!cfg->opt[base + DP_FEAT_GRO];
	f->zerocopy = !!cfg->opt[base + DP_FEAT_ZEROCOPY];
	f->busy_poll_us = (unsigned int)cfg->opt[base + DP_FEAT_BUSY_POLL];
}

/* setsockopt, then getsockopt: the value the kernel kept. A refusal names
 * the key and the errno. */
static int feat_set(struct dp_ctx *ctx, int fd, int level, int name, const char *what,
		    const char *key, int want, int *got)
{
	socklen_t len = sizeof(*got);

	if (setsockopt(fd, level, name, &want, sizeof(want)) < 0) {
		int err = errno;

		sock_err(ctx, "%s: the kernel refused %s=%d: %s (errno %d)", key, what, want,
			 strerror(err), err);
		return -EOPNOTSUPP;
	}
	*got = want;
	if (getsockopt(fd, level, name, got, &len) < 0)
		*got = want; /* write-only options (UDP_GRO on older kernels) */
	return 0;
}

#define bprint(buf, len, ...) \
	snprintf((buf) + strlen(buf), (len) - strlen(buf), __VA_ARGS__)

/* Whether the endpoint's veth has GRO on, i.e. receives in NAPI (the
 * harness sets it up for DP_NEED_VETH_NAPI). */
static int feat_dev_gro(struct dp_ctx *ctx, int fd)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GGRO };
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ctx->cfg->ifname);
	ifr.ifr_data = (void *)&ev;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : (int)ev.data;
}

int dp_feat_apply(struct dp_ctx *ctx, int fd, const struct dp_feat *f, char *info, size_t len)
{
	int got, err;

	info[0] = '\0';
	if (f->gro || f->busy_poll_us)
		bprint(info, len, "%s napi=%s", ctx->cfg->ifname,
		       feat_dev_gro(ctx, fd) > 0 ? "on(gro)" : "off");
	if (f->segment) {
		err = feat_set(ctx, fd, SOL_UDP, UDP_SEGMENT, "UDP_SEGMENT", "udp_segment",
			       (int)f->gso_size, &got);
		if (err)
			return err;
		bprint(info, len, "%sgso=%ux%d", info[0] ? " " : "", f->segment, got);
		if (got != (int)f->gso_size) {
			sock_err(ctx, "udp_segment: the kernel kept UDP_SEGMENT=%d, not %u", got,
				 f->gso_size);
			return -EOPNOTSUPP;
		}
	}
	if (f->gro) {
		err = feat_set(ctx, fd, SOL_UDP, UDP_GRO, "UDP_GRO", "udp_gro", 1, &got);
		if (err)
			return err;
		bprint(info, len, "%sUDP_GRO=%s", info[0] ? " " : "", got ? "on" : "off");
	}
	if (f->zerocopy) {
		err = feat_set(ctx, fd, SOL_SOCKET, SO_ZEROCOPY, "SO_ZEROCOPY", "zerocopy", 1,
			       &got);
		if (err)
			return err;
		bprint(info, len, "%szerocopy=%s", info[0] ? " " : "", got ? "on" : "off");
	}
	if (f->busy_poll_us) {
		int prefer, budget;

		err = feat_set(ctx, fd, SOL_SOCKET, SO_BUSY_POLL, "SO_BUSY_POLL", "busy_poll_us",
			       (int)f->busy_poll_us, &got);
		if (!err)
			err = feat_set(ctx, fd, SOL_SOCKET, SO_PREFER_BUSY_POLL,
				       "SO_PREFER_BUSY_POLL", "busy_poll_us", 1, &prefer);
		if (!err)
			err = feat_set(ctx, fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET,
				       "SO_BUSY_POLL_BUDGET", "busy_poll_us",
				       (int)(ctx->cfg->burst ? ctx->cfg->burst : 8), &budget);
		if (err)
			return err;
		bprint(info, len, "%sbusy_poll=%dus prefer=%d budget=%d", info[0] ? " " : "", got,
		       prefer, budget);
	}
	return 0;
}

unsigned int dp_gro_seg(const struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		int v;

		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO ||
		    c->cmsg_len < CMSG_LEN(sizeof(v)))
			continue;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		return v > 0 ? (unsigned int)v : 0;
	}
	return 0;
}

int dp_gro_take(struct dp_gro_q *q, struct pkt_buf *bufs, int max)
{
	int got = 0;

	while (q->n && got < max) {
		__typeof__(q->m[0]) *e = &q->m[q->head];
		uint32_t n = e->len - e->off < e->seg ? e->len - e->off : e->seg;

		bufs[got].data = e->buf + e->off;
		bufs[got].len = n;
		got++;
		e->off += n;
		if (e->off >= e->len) {
			q->head = (q->head + 1) % DP_GRO_NBUF;
			q->n--;
		}
	}
	return got;
}

int dp_gro_split(struct dp_ctx *ctx, struct dp_gro_q *q, uint8_t *buf, uint32_t len,
		 uint32_t seg, struct pkt_buf *bufs, int got, int max)
{
	uint32_t off = 0;

	if (!seg || seg >= len) {
		seg = len;
	} else {
		ctx->st->rx_gro_bufs++;
		ctx->st->rx_gro_segs += (len + seg - 1) / seg;
	}
	while (!q->n && off < len && got < max) {
		uint32_t n = len - off < seg ? len - off : seg;

		bufs[got].data = buf + off;
		bufs[got].len = n;
		got++;
		off += n;
	}
	if (off < len && q->n < DP_GRO_NBUF) {
		__typeof__(q->m[0]) *e = &q->m[(q->head + q->n) % DP_GRO_NBUF];

		e->buf = buf;
		e->len = len;
		e->seg = seg;
		e->off = off;
		q->n++;
	}
	return got;
}

void dp_zc_reap(struct dp_ctx *ctx, int fd, int all)
{
	uint64_t deadline = 0;

	for (;;) {
		char ctl[CMSG_SPACE(sizeof(struct sock_extended_err)) + 64];
		struct msghdr m = { .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		int r;

		if (ctx->st->zc_done >= ctx->st->zc_sends && all)
			return;
		ctx->st->tx_syscalls++;
		ctx->st->zc_reap_calls++;
		r = DP_SYSCALL(ctx, SYS_recvmsg, recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT));
		if (r < 0) {
			if (!all || errno != EAGAIN)
				return;
			if (!deadline)
				deadline = tsc_now() + DP_ZC_WAIT_NS * ctx->cfg->tsc_hz / 1000000000ull;
			else if (tsc_now() > deadline)
				return;
			continue;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			struct sock_extended_err ee;
			uint64_t n;

			if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR)
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY || ee.ee_errno)
				continue;
			/* ee_info..ee_data: the range of send ids completed. */
			n = (uint64_t)(ee.ee_data - ee.ee_info) + 1;
			ctx->st->zc_done += n;
			if (ee.ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
				ctx->st->zc_copied += n;
		}
	}
}

void dp_feat_kstats(struct dp_ctx *ctx, int fd, struct ep_kstats *ks)
{
	unsigned int id = 0;
	socklen_t len = sizeof(id);

	if (!getsockopt(fd, SOL_SOCKET, SO_INCOMING_NAPI_ID, &id, &len))
		ks->sock_napi_id = id;
	ks->zc_outstanding = ctx->st->zc_sends - ctx->st->zc_done;
}

void dp_gso_msg(struct msghdr *m, struct iovec *iov, const struct pkt_buf *bufs, int n,
		struct sockaddr_in *peer)
{
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = bufs[i].data;
		iov[i].iov_len = bufs[i].len;
	}
	memset(m, 0, sizeof(*m));
	m->msg_name = peer;
	m->msg_namelen = peer ? sizeof(*peer) : 0;
	m->msg_iov = iov;
	m->msg_iovlen = (size_t)n;
}

/* A GSO super-packet is one IPv4 datagram: at most 65535 bytes with headers. */
#define DP_GSO_MAX_PAYLOAD (65535u - 20u - 8u)

const char *const *dp_sock_check_at(const struct dp_case *dc, int base, char *msg, size_t len)
{
	static const char *const seg_size[] = { "udp_segment", "size", NULL };
	static const char *const seg_burst[] = { "udp_segment", "burst", NULL };
	unsigned int seg = (unsigned int)dc->opt[base + DP_FEAT_SEGMENT];
	unsigned int pay = (unsigned int)frame_payload_len(dc->size);

	if (seg > 1 && (uint64_t)seg * pay > DP_GSO_MAX_PAYLOAD) {
		snprintf(msg, len,
			 "%u datagrams of %u bytes (size %u) exceed one GSO super-packet's %u "
			 "bytes (allowed: udp_segment <= %u at size %u)",
			 seg, pay, dc->size, DP_GSO_MAX_PAYLOAD, DP_GSO_MAX_PAYLOAD / pay, dc->size);
		return seg_size;
	}
	if (seg > 1 && !dc->pingpong && seg > dc->burst) {
		snprintf(msg, len,
			 "a send carries at most one burst: udp_segment %u would never be "
			 "reached with burst %u (allowed: udp_segment <= burst)",
			 seg, dc->burst);
		return seg_burst;
	}
	return NULL;
}

const char *const *dp_sock_check(const struct dp_case *dc, char *msg, size_t len)
{
	return dp_sock_check_at(dc, 0, msg, len);
}

unsigned int dp_sock_needs_at(const struct dp_case *dc, int base)
{
	return dc->opt[base + DP_FEAT_GRO] || dc->opt[base + DP_FEAT_BUSY_POLL]
		       ? DP_NEED_VETH_NAPI
		       : 0;
}

unsigned int dp_sock_needs(const struct dp_case *dc)
{
	return dp_sock_needs_at(dc, 0);
}

static const struct dp_kfield sock_fast_fields[] = {
	{ "sock_napi_id", DP_KS(sock_napi_id) },
	{ "zc_outstanding", DP_KS(zc_outstanding) },
	{ NULL },
};

const struct dp_kgroup dp_sock_kgroups[] = {
	{ NULL, "fastpaths", sock_fast_fields },
	{ NULL },
};

/* One setsockopt on s: 0 or -errno. */
static int try_opt(int s, int level, int name, int v)
{
	return setsockopt(s, level, name, &v, sizeof(v)) < 0 ? -errno : 0;
}

int dp_sock_features(struct dp_feature *f, int max)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), n = 0, e;

	if (max < 4)
		return 0;
	if (s < 0) {
		e = -errno;
		for (; n < 4; n++)
			f[n] = (struct dp_feature){ "udp socket", "socket(AF_INET, SOCK_DGRAM)", e };
		return n;
	}
	f[n++] = (struct dp_feature){ "udp_segment", "UDP_SEGMENT",
				      try_opt(s, SOL_UDP, UDP_SEGMENT, 1400) };
	f[n++] = (struct dp_feature){ "udp_gro", "UDP_GRO", try_opt(s, SOL_UDP, UDP_GRO, 1) };
	f[n++] = (struct dp_feature){ "zerocopy", "SO_ZEROCOPY",
				      try_opt(s, SOL_SOCKET, SO_ZEROCOPY, 1) };
	e = try_opt(s, SOL_SOCKET, SO_BUSY_POLL, 50);
	if (!e)
		e = try_opt(s, SOL_SOCKET, SO_PREFER_BUSY_POLL, 1);
	if (!e)
		e = try_opt(s, SOL_SOCKET, SO_BUSY_POLL_BUDGET, 64);
	f[n++] = (struct dp_feature){ "busy_poll_us", "SO_BUSY_POLL, SO_PREFER_BUSY_POLL, "
						      "SO_BUSY_POLL_BUDGET", e };
	close(s);
	return n;
}

int dp_feat_sock_open(struct dp_ctx *ctx, struct dp_feat *f, int base, struct sockaddr_in *peer,
		      char *info, size_t len)
{
	int fd, err;

	dp_feat_read(f, ctx->cfg, base);
	fd = dp_sock_udp_open(ctx, peer);
	if (fd < 0)
		return fd;
	err = dp_feat_apply(ctx, fd, f, info, len);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}
