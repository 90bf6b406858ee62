// SPDX-License-Identifier: BSD-3-Clause
/*
 * xdp: an AF_XDP socket (libxdp's xsk API) on queue 0 of the endpoint's
 * eth0, fed by the datapath's own XDP program (xdp_redirect.bpf.c); whole
 * Ethernet frames in and out.
 *
 * UMEM: one anonymous mapping of XK_FRAME-byte frames, one pool of
 * ring_frames frames per direction the role uses (the RX pool first, then
 * the TX pool). Every ring is exactly as large as its pool — fill and RX
 * rings as the RX pool, TX and completion rings as the TX pool — so user
 * space never finds a ring it produces into full, and the kernel never finds
 * the completion ring full.
 *
 * TX (DP_CAP_ZC_TX): alloc_tx takes back the frames its last call handed out
 * that the engine did not submit, reaps the completion ring onto a free
 * stack and hands out free frames for the engine to build frames in place;
 * tx_burst writes their descriptors into the TX ring and kicks the kernel
 * with sendto() only when the ring's need_wakeup flag asks for it.
 *
 * RX: rx_burst hands out pointers into the UMEM straight from the RX ring,
 * without a system call; release() puts the frames back on the fill ring.
 * The kernel is woken with recvfrom() only when the fill ring's need_wakeup
 * flag asks for it, or on an empty poll when busy polling is on (a busy poll
 * only happens inside a system call); blocking endpoints wait in poll().
 *
 * What the flags do depends on the bind mode, and veth has no zero-copy
 * support, so here the socket runs in copy mode: the kernel transmits a
 * copy-mode TX ring only from inside sendto(), so the TX flag stays set and
 * every burst costs a sendto (each moves at most one kernel batch, 32 frames
 * by default, and fails with EAGAIN when more are queued: tx kicks again
 * while that makes progress); only zero-copy drivers ever set the fill
 * ring's flag, so receiving costs no system call at all. Every call made is
 * counted.
 *
 * XDP program: loaded from its skeleton with the endpoint's port set before
 * load, its XSK map filled here, attached to eth0 through a BPF link in the
 * requested mode (native: veth's own XDP, in its NAPI poll; generic: the skb
 * path). The socket is created with XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, or
 * libxdp would install its default program (through its dispatcher and
 * bpffs). A link belongs to its file descriptor: close() detaches the
 * program, and so does the kernel when the process dies, SIGKILL included.
 * Send-only endpoints receive nothing and attach no program.
 *
 * Bind: copy; zerocopy (the device must support it, or the endpoint is
 * "unsupported here"); or auto: zero-copy first, then copy, with the reason
 * in dp_info. dp_info shows the mode the kernel reports (XDP_OPTIONS).
 */
#include "dp.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "xdp_redirect.h"
#include "xdp_redirect.skel.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

/* cfg->opt[]: xk_opts[] in this order. */
enum xk_opt { XK_OPT_MODE = 0, XK_OPT_BIND, XK_OPT_BUSY_POLL };

#define XK_FRAME 2048u     /* UMEM frame: XDP headroom (256) + the largest frame (1514) fit */
#define XK_DEF_FRAMES 4096u
#define XK_MIN_RING 64u    /* fill or completion ring of a direction the role does not use */
#define XK_QUEUE 0u        /* the harness's veths have one queue */
#define XK_POLL_MS 50
#define XK_BUSY_POLL_US 20
#define XK_MAX_KICKS 16    /* sendto calls per kick while the kernel makes progress */
#define XK_FLUSH_NS 100000000ll /* close: time queued frames get to leave */

struct xk_priv {
	uint8_t *area; /* UMEM; NULL = not open */
	size_t area_len;
	unsigned int frames; /* per pool, and every ring's size */
	int has_rx, has_tx;
	int blocking;
	int busy_poll;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	int fd;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	struct xdp_redirect_bpf *skel;
	int link_fd;

	/* TX pool */
	uint64_t *tx_free; /* free frames (UMEM offsets), a stack */
	unsigned int tx_nfree;
	uint64_t tx_out[DP_MAX_BURST]; /* handed out by the last alloc_tx... */
	unsigned int tx_nout;
	unsigned int tx_nsub; /* ...of which tx_out[0..tx_nsub) were submitted */
};

static const char *err_name(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "error";
}

static int xk_probe(void)
{
	int fd, err;

	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		/* No CAP_NET_RAW, or no CONFIG_XDP_SOCKETS in this kernel. */
		if (err == -EPERM || err == -EACCES || err == -EAFNOSUPPORT)
			err = -EOPNOTSUPP;
		return err;
	}
	close(fd);
	return 0;
}

/* The device's driver name, for messages ("veth"). */
static void xk_driver(const char *ifname, char *drv, size_t len)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd;

	snprintf(drv, len, "device");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&di;
	if (!ioctl(fd, SIOCETHTOOL, &ifr) && di.driver[0])
		snprintf(drv, len, "%s", di.driver);
	close(fd);
}

/*
 * UMEM and socket, bound with copy_flag (XDP_COPY or XDP_ZEROCOPY). On
 * failure nothing is left (the UMEM's registration is per socket, so a retry
 * in another mode starts over) and errmsg says what failed.
 */
static int xk_socket(struct dp_ctx *ctx, struct xk_priv *p, uint16_t copy_flag)
{
	struct xsk_umem_config ucfg = {
		.fill_size = p->has_rx ? p->frames : XK_MIN_RING,
		.comp_size = p->has_tx ? p->frames : XK_MIN_RING,
		.frame_size = XK_FRAME,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = p->has_rx ? p->frames : 0,
		.tx_size = p->has_tx ? p->frames : 0,
		/* Our own program and map: see the top of the file. */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = XDP_USE_NEED_WAKEUP | copy_flag,
	};
	char *msg = ctx->shm->errmsg;
	size_t mlen = sizeof(ctx->shm->errmsg);
	int err;

	err = xsk_umem__create(&p->umem, p->area, p->area_len, &p->fill, &p->comp, &ucfg);
	if (err) {
		snprintf(msg, mlen, "AF_XDP UMEM (%zu bytes): %s", p->area_len, strerror(-err));
		p->umem = NULL;
		return err;
	}
	err = xsk_socket__create(&p->xsk, ctx->cfg->ifname, XK_QUEUE, p->umem,
				 p->has_rx ? &p->rx : NULL, p->has_tx ? &p->tx : NULL, &scfg);
	if (err) {
		snprintf(msg, mlen, "bind AF_XDP (%s) to %s queue %u: %s",
			 copy_flag == XDP_ZEROCOPY ? "zero-copy" : "copy", ctx->cfg->ifname,
			 XK_QUEUE, strerror(-err));
		p->xsk = NULL;
		goto delete_umem;
	}
	p->fd = xsk_socket__fd(p->xsk);
	return 0;

delete_umem:
	xsk_umem__delete(p->umem);
	p->umem = NULL;
	return err;
}

static void xk_socket_delete(struct xk_priv *p)
{
	xsk_socket__delete(p->xsk);
	p->xsk = NULL;
	xsk_umem__delete(p->umem);
	p->umem = NULL;
	p->fd = -1;
}

/* Busy-poll options, each where the kernel takes it; info lists the taken. */
static void xk_busy_poll(struct dp_ctx *ctx, struct xk_priv *p, char *info, size_t len)
{
	int one = 1, us = XK_BUSY_POLL_US, budget = (int)ctx->cfg->burst;
	size_t n = 0;

	info[0] = 0;
	if (!setsockopt(p->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)))
		n += (size_t)snprintf(info + n, len - n, "prefer,");
	if (n < len && !setsockopt(p->fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)))
		n += (size_t)snprintf(info + n, len - n, "%dus,", us);
	if (n < len && !setsockopt(p->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget,
				   sizeof(budget)))
		n += (size_t)snprintf(info + n, len - n, "budget%d,", budget);
	if (n && n < len)
		info[n - 1] = 0;
	else if (!n)
		snprintf(info, len, "refused");
}

/* Load the program for our port, put the socket in its map, attach it. */
static int xk_attach(struct dp_ctx *ctx, struct xk_priv *p, const char *mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	char *msg = ctx->shm->errmsg;
	size_t mlen = sizeof(ctx->shm->errmsg);
	uint32_t q = XK_QUEUE;
	int fd = p->fd, err;

	p->skel = xdp_redirect_bpf__open();
	if (!p->skel) {
		err = -errno;
		snprintf(msg, mlen, "open the XDP program: %s", strerror(-err));
		return err;
	}
	p->skel->rodata->targ_port = ctx->cfg->sport;
	err = xdp_redirect_bpf__load(p->skel);
	if (err) {
		snprintf(msg, mlen, "load the XDP program: %s", strerror(-err));
		goto destroy_skel;
	}
	err = bpf_map__update_elem(p->skel->maps.bl_xsks, &q, sizeof(q), &fd, sizeof(fd), BPF_ANY);
	if (err) {
		snprintf(msg, mlen, "insert the AF_XDP socket into the XSK map: %s",
			 strerror(-err));
		goto destroy_skel;
	}
	lopts.flags = ctx->cfg->opt[XK_OPT_MODE] == XDPMODE_GENERIC ? XDP_FLAGS_SKB_MODE
							    : XDP_FLAGS_DRV_MODE;
	p->link_fd = bpf_link_create(bpf_program__fd(p->skel->progs.bl_xsk_redir), ctx->ifindex,
				     BPF_XDP, &lopts);
	if (p->link_fd < 0) {
		err = -errno;
		snprintf(msg, mlen, "attach the XDP program (%s) to %s: %s", mode,
			 ctx->cfg->ifname, strerror(-err));
		p->link_fd = -1;
		goto destroy_skel;
	}
	return 0;

destroy_skel:
	xdp_redirect_bpf__destroy(p->skel);
	p->skel = NULL;
	return err;
}

/* The UMEM: frames for the RX pool, then frames for the TX pool. */
static int xk_umem_area(struct dp_ctx *ctx, struct xk_priv *p, unsigned int pools)
{
	int err;

	p->area_len = (size_t)p->frames * XK_FRAME * pools;
	p->area = mmap(NULL, p->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p->area == MAP_FAILED) {
		err = -errno;
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), "mmap UMEM (%zu bytes): %s",
			 p->area_len, strerror(-err));
		p->area = NULL;
		return err;
	}
	return 0;
}

/* Every TX frame starts free, handed out from the stack's top. */
static int xk_tx_pool(struct dp_ctx *ctx, struct xk_priv *p)
{
	uint64_t base = p->has_rx ? (uint64_t)p->frames * XK_FRAME : 0;

	p->tx_free = calloc(p->frames, sizeof(*p->tx_free));
	if (!p->tx_free) {
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < p->frames; i++)
		p->tx_free[i] = base + (uint64_t)(p->frames - 1 - i) * XK_FRAME;
	p->tx_nfree = p->frames;
	return 0;
}

static void xk_umem_free(struct xk_priv *p)
{
	free(p->tx_free);
	p->tx_free = NULL;
	munmap(p->area, p->area_len);
	p->area = NULL;
}

/* The socket in the bind mode xdp_bind asks for; auto tries zero-copy
 * first and says in why what it fell back from. */
static int xk_bind(struct dp_ctx *ctx, struct xk_priv *p, char *why, size_t whylen)
{
	const struct ep_config *cfg = ctx->cfg;
	char *msg = ctx->shm->errmsg;
	char drv[32];
	int err;

	xk_driver(cfg->ifname, drv, sizeof(drv));
	switch (cfg->opt[XK_OPT_BIND]) {
	case XDPBIND_COPY:
		return xk_socket(ctx, p, XDP_COPY);
	case XDPBIND_ZEROCOPY:
		err = xk_socket(ctx, p, XDP_ZEROCOPY);
		/* The harness reports EOPNOTSUPP as "unsupported here". */
		if (err == -EOPNOTSUPP)
			snprintf(msg, sizeof(ctx->shm->errmsg),
				 "xdp_bind=zerocopy: zero-copy AF_XDP is not supported by %s %s "
				 "(EOPNOTSUPP)",
				 drv, cfg->ifname);
		return err;
	default:
		err = xk_socket(ctx, p, XDP_ZEROCOPY);
		if (err) {
			snprintf(why, whylen, " (zero-copy: %s on %s)", err_name(-err), drv);
			err = xk_socket(ctx, p, XDP_COPY);
			if (!err)
				msg[0] = 0;
		}
		return err;
	}
}

/* Every RX frame starts in the fill ring (the ring is the pool's size). */
static int xk_fill(struct dp_ctx *ctx, struct xk_priv *p)
{
	uint32_t idx;

	if (xsk_ring_prod__reserve(&p->fill, p->frames, &idx) != p->frames) {
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg),
			 "fill ring: no room for %u frames", p->frames);
		return -ENOSPC;
	}
	for (unsigned int i = 0; i < p->frames; i++)
		*xsk_ring_prod__fill_addr(&p->fill, idx + i) = (uint64_t)i * XK_FRAME;
	xsk_ring_prod__submit(&p->fill, p->frames);
	return 0;
}

static int xk_open(struct dp_ctx *ctx)
{
	const struct ep_config *cfg = ctx->cfg;
	struct xk_priv *p = ctx->priv;
	const char *mode = cfg->opt[XK_OPT_MODE] == XDPMODE_GENERIC ? "generic" : "native";
	char why[64] = "", bp[48] = "off";
	struct xdp_options opts = { 0 };
	socklen_t olen = sizeof(opts);
	unsigned int pools;
	int err, zc;

	p->fd = -1;
	p->link_fd = -1;
	p->has_tx = cfg->role != EP_ROLE_RECV;
	p->has_rx = cfg->role != EP_ROLE_SEND;
	p->blocking = !!cfg->blocking;
	p->busy_poll = !!cfg->opt[XK_OPT_BUSY_POLL];
	p->frames = cfg->ring_frames ? cfg->ring_frames : XK_DEF_FRAMES;
	pools = (unsigned int)(p->has_rx + p->has_tx);
	err = xk_umem_area(ctx, p, pools);
	if (err)
		return err;
	if (p->has_tx)
		err = xk_tx_pool(ctx, p);
	if (!err)
		err = xk_bind(ctx, p, why, sizeof(why));
	if (err)
		goto free_umem;

	if (cfg->sndbuf && setsockopt(p->fd, SOL_SOCKET, SO_SNDBUFFORCE, &cfg->sndbuf,
				      sizeof(cfg->sndbuf))) {
		/* Copy-mode TX charges its skbs to the socket's send buffer. */
		err = -errno;
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg),
			 "setsockopt SO_SNDBUFFORCE: %s", strerror(-err));
		goto delete_socket;
	}
	if (p->busy_poll)
		xk_busy_poll(ctx, p, bp, sizeof(bp));
	if (p->has_rx) {
		err = xk_fill(ctx, p);
		if (!err)
			err = xk_attach(ctx, p, mode);
		if (err)
			goto delete_socket;
	}
	zc = !getsockopt(p->fd, SOL_XDP, XDP_OPTIONS, &opts, &olen) &&
	     (opts.flags & XDP_OPTIONS_ZEROCOPY);
	snprintf(ctx->shm->dp_info, sizeof(ctx->shm->dp_info),
		 "xdp=%s bind=%s%s need_wakeup=on busy_poll=%s umem=%ux%u",
		 p->has_rx ? mode : "none(tx only)", zc ? "zerocopy" : "copy", why, bp,
		 p->frames * pools, XK_FRAME);
	return 0;

delete_socket:
	xk_socket_delete(p);
free_umem:
	xk_umem_free(p);
	return err;
}

/* Queued TX descriptors the kernel has not taken yet. */
static inline unsigned int tx_queued(struct xk_priv *p)
{
	return p->frames - xsk_prod_nb_free(&p->tx, p->frames);
}

/*
 * Make the kernel transmit what the TX ring holds, if the ring says it
 * needs a wakeup. In copy mode one sendto moves at most one batch and stops
 * early at a full socket buffer, a busy device (EAGAIN) or a frame the
 * device dropped (EBUSY; veth counts it as tx_dropped), leaving the rest
 * queued: kick again while that makes progress, bounded.
 */
static int xk_kick_tx(struct dp_ctx *ctx, struct xk_priv *p)
{
	for (int i = 0; i < XK_MAX_KICKS; i++) {
		unsigned int before = tx_queued(p);

		if (!before || !xsk_ring_prod__needs_wakeup(&p->tx))
			return 0;
		ctx->st->tx_syscalls++;
		if (DP_SYSCALL(ctx, SYS_sendto, sendto(p->fd, NULL, 0, MSG_DONTWAIT, NULL, 0)) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != EINTR)
			return -errno;
		if (tx_queued(p) >= before)
			return 0;
	}
	return 0;
}

/* Completed TX frames back onto the free stack. */
static inline void xk_reap(struct xk_priv *p)
{
	uint32_t idx, n = xsk_ring_cons__peek(&p->comp, p->frames, &idx);

	for (uint32_t i = 0; i < n && p->tx_nfree < p->frames; i++)
		p->tx_free[p->tx_nfree++] = *xsk_ring_cons__comp_addr(&p->comp, idx + i);
	if (n)
		xsk_ring_cons__release(&p->comp, n);
}

static int xk_alloc_tx(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct xk_priv *p = ctx->priv;
	int i;

	/* A server hands out one frame per request and may use fewer. */
	while (p->tx_nsub < p->tx_nout)
		p->tx_free[p->tx_nfree++] = p->tx_out[p->tx_nsub++];
	p->tx_nout = 0;
	p->tx_nsub = 0;
	xk_reap(p);
	if (!p->tx_nfree && n > 0) {
		/* Every frame queued or in flight. If a kick stopped short, no
		 * other call would send the rest: kick now. */
		int err = xk_kick_tx(ctx, p);

		if (err)
			return err;
		xk_reap(p);
	}
	if (n > (int)p->tx_nfree)
		n = (int)p->tx_nfree;
	if (n > DP_MAX_BURST)
		n = DP_MAX_BURST;
	for (i = 0; i < n; i++) {
		uint64_t addr = p->tx_free[--p->tx_nfree];

		p->tx_out[i] = addr;
		bufs[i].data = p->area + addr;
		bufs[i].len = 0;
		bufs[i].priv = addr;
	}
	p->tx_nout = (unsigned int)(n > 0 ? n : 0);
	return n;
}

/* Move a handed-out frame into the submitted prefix of tx_out. The engine
 * submits in the order it was given, so this is the first one looked at. */
static inline int tx_mark(struct xk_priv *p, uint64_t addr)
{
	for (unsigned int j = p->tx_nsub; j < p->tx_nout; j++) {
		if (p->tx_out[j] == addr) {
			p->tx_out[j] = p->tx_out[p->tx_nsub];
			p->tx_out[p->tx_nsub++] = addr;
			return 0;
		}
	}
	return -EINVAL; /* not a frame from alloc_tx */
}

static int xk_tx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct xk_priv *p = ctx->priv;
	uint32_t idx;
	int i, err;

	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++)
		if (tx_mark(p, bufs[i].priv))
			return -EINVAL;
	/* The ring holds the whole pool: there is room for every frame out. */
	if (xsk_ring_prod__reserve(&p->tx, (uint32_t)n, &idx) != (uint32_t)n)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&p->tx, idx + (uint32_t)i);

		d->addr = bufs[i].priv;
		d->len = bufs[i].len;
		d->options = 0;
	}
	xsk_ring_prod__submit(&p->tx, (uint32_t)n);
	/* Queued either way: what a kick leaves behind goes with the next. */
	err = xk_kick_tx(ctx, p);
	return err ? err : n;
}

/* Nothing in the RX ring: the system call the mode asks for, if any. */
static int xk_rx_wake(struct dp_ctx *ctx, struct xk_priv *p)
{
	if (p->blocking) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

		ctx->st->rx_syscalls++;
		if (DP_SYSCALL(ctx, SYS_poll, poll(&pfd, 1, XK_POLL_MS)) < 0 && errno != EINTR)
			return -errno;
		return 0;
	}
	if (!p->busy_poll && !xsk_ring_prod__needs_wakeup(&p->fill))
		return 0;
	ctx->st->rx_syscalls++;
	if (DP_SYSCALL(ctx, SYS_recvfrom, recvfrom(p->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL)) < 0 &&
	    errno != EAGAIN &&
	    errno != EBUSY && errno != EINTR)
		return -errno;
	return 0;
}

static int xk_rx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct xk_priv *p = ctx->priv;
	uint32_t idx, n;

	if (max <= 0)
		return 0;
	n = xsk_ring_cons__peek(&p->rx, (uint32_t)max, &idx);
	if (!n) {
		int err = xk_rx_wake(ctx, p);

		if (err)
			return err;
		n = xsk_ring_cons__peek(&p->rx, (uint32_t)max, &idx);
		if (!n)
			return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx + i);

		bufs[i].data = p->area + d->addr;
		bufs[i].len = d->len;
		bufs[i].priv = d->addr;
	}
	/* The descriptors are copied out: the slots go back now, the frames
	 * on release. */
	xsk_ring_cons__release(&p->rx, n);
	return (int)n;
}

static void xk_release(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct xk_priv *p = ctx->priv;
	uint32_t idx;

	/* The fill ring holds the whole RX pool: always room. */
	if (n <= 0 || xsk_ring_prod__reserve(&p->fill, (uint32_t)n, &idx) != (uint32_t)n)
		return;
	for (int i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&p->fill, idx + (uint32_t)i) =
			bufs[i].priv & ~(uint64_t)(XK_FRAME - 1);
	xsk_ring_prod__submit(&p->fill, (uint32_t)n);
}

static int64_t mono_ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void xk_close(struct dp_ctx *ctx)
{
	struct xk_priv *p = ctx->priv;

	if (!p->area)
		return;
	/* The engine counted queued frames as sent: let them leave (bounded). */
	if (p->has_tx) {
		int64_t end = mono_ns_now() + XK_FLUSH_NS;

		while (tx_queued(p) && mono_ns_now() < end) {
			struct timespec ts = { 0, 100000 };

			if (xk_kick_tx(ctx, p))
				break;
			if (tx_queued(p))
				nanosleep(&ts, NULL);
		}
	}
	/* Program first: from here on a late frame of ours meets the stack,
	 * which counts it, not a socket on its way out. */
	if (p->link_fd >= 0)
		close(p->link_fd);
	p->link_fd = -1;
	xdp_redirect_bpf__destroy(p->skel);
	p->skel = NULL;
	xk_socket_delete(p);
	xk_umem_free(p);
}

/*
 * Frames the socket received that the engine never read: it stops when told
 * to, and a receiver that was behind leaves up to a ring's worth. They were
 * delivered, not dropped; the reconciliation needs to know where they are.
 * Peek (which refreshes the producer only once the cached entries are used
 * up) until nothing is left, bounded by the ring.
 */
static uint64_t xk_rx_unread(struct xk_priv *p)
{
	uint64_t total = 0;
	uint32_t idx, n;

	for (unsigned int i = 0; i <= p->frames; i++) {
		n = xsk_ring_cons__peek(&p->rx, p->frames, &idx);
		if (!n)
			break;
		total += n;
	}
	return total;
}

/* Sum the program's per-CPU verdict counters. */
static void xk_prog_counts(struct xk_priv *p, struct ep_kstats *ks)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(p->skel->maps.bl_xdp_cnt);
	uint64_t sum[XR_NCOUNTS] = { 0 }, *v;

	if (ncpu <= 0)
		return;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (uint32_t k = 0; k < XR_NCOUNTS; k++) {
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum[k] += v[c];
	}
	free(v);
	ks->xdp_redirect = sum[XR_REDIRECT];
	ks->xdp_fallback = sum[XR_FALLBACK];
	ks->xdp_pass = sum[XR_PASS];
}

static int xk_kstats(struct dp_ctx *ctx, struct ep_kstats *ks)
{
	struct xk_priv *p = ctx->priv;
	struct xdp_statistics s = { 0 };
	socklen_t len = sizeof(s);

	if (getsockopt(p->fd, SOL_XDP, XDP_STATISTICS, &s, &len))
		return -errno;
	ks->xsk_rx_dropped = s.rx_dropped;
	ks->xsk_rx_invalid_descs = s.rx_invalid_descs;
	ks->xsk_tx_invalid_descs = s.tx_invalid_descs;
	ks->xsk_rx_ring_full = s.rx_ring_full;
	ks->xsk_rx_fill_ring_empty_descs = s.rx_fill_ring_empty_descs;
	ks->xsk_tx_ring_empty_descs = s.tx_ring_empty_descs;
	/* The generic columns: frames the socket dropped for want of a fill
	 * buffer (or too large), and for a full RX ring. */
	ks->sock_drops = s.rx_dropped;
	ks->ring_drops = s.rx_ring_full;
	if (p->skel)
		xk_prog_counts(p, ks);
	if (p->has_rx)
		ks->xsk_rx_unread = xk_rx_unread(p);
	return 0;
}

/* Every ring is as large as a UMEM pool: ring_frames. */
static int xk_ring(const int64_t *opt)
{
	return 1;
}

static const char *const xk_mode_words[] = { "native", "generic", NULL };
static const char *const xk_bind_words[] = { "copy", "zerocopy", "auto", NULL };

/* Indexes match enum xk_opt. */
static const struct dp_opt xk_opts[] = {
	{ "xdp_mode", DP_OPT_ENUM, xk_mode_words, .allowed = "native|generic", .def = "native",
	  .help = "attach mode of the XDP program on the endpoint's eth0 (driver or skb path)" },
	{ "xdp_bind", DP_OPT_ENUM, xk_bind_words, .allowed = "copy|zerocopy|auto", .def = "auto",
	  .help = "AF_XDP bind; auto = zero-copy, else copy; zerocopy where the device cannot = "
		  "unsupported" },
	{ "busy_poll", DP_OPT_BOOL, .allowed = "yes|no|true|false|on|off|1|0", .def = "no",
	  .help = "SO_PREFER_BUSY_POLL, SO_BUSY_POLL=20us, SO_BUSY_POLL_BUDGET=burst; receive "
		  "polls enter the kernel to busy-poll" },
	{ NULL },
};

/* What the socket dropped (no fill buffer, RX ring full), and what it
 * received after the endpoint stopped reading. Frames its XDP program
 * passed on (no socket bound) are in the UDP counters. */
static const struct dp_drop xk_drops[] = {
	DP_DROP("xsk_drops", DP_KS(xsk_rx_dropped), DP_KS(xsk_rx_ring_full)),
	DP_DROP("xsk_unread_at_stop", DP_KS(xsk_rx_unread)),
	{ NULL },
};

/* The socket's XDP_STATISTICS and its program's verdicts. */
static const struct dp_kfield xk_xsk_fields[] = {
	{ "rx_dropped", DP_KS(xsk_rx_dropped) },
	{ "rx_invalid_descs", DP_KS(xsk_rx_invalid_descs) },
	{ "tx_invalid_descs", DP_KS(xsk_tx_invalid_descs) },
	{ "rx_ring_full", DP_KS(xsk_rx_ring_full) },
	{ "rx_fill_ring_empty_descs", DP_KS(xsk_rx_fill_ring_empty_descs) },
	{ "tx_ring_empty_descs", DP_KS(xsk_tx_ring_empty_descs) },
	{ "rx_unread_at_stop", DP_KS(xsk_rx_unread) },
	{ NULL },
};

static const struct dp_kfield xk_prog_fields[] = {
	{ "redirect", DP_KS(xdp_redirect) },
	{ "fallback_pass", DP_KS(xdp_fallback) },
	{ "pass", DP_KS(xdp_pass) },
	{ NULL },
};

static const struct dp_kgroup xk_kgroups[] = {
	{ "kernel_drops", "xsk", xk_xsk_fields },
	{ "kernel_drops", "xdp_prog", xk_prog_fields },
	{ NULL },
};

const struct dp_ops dp_xdp_ops = {
	.name = "xdp",
	.desc = "AF_XDP socket (libxdp): UMEM with fill/completion/RX/TX rings, need_wakeup, "
		"own XDP redirect program (native or generic), copy or zero-copy bind",
	.caps = DP_CAP_L2 | DP_CAP_BATCH | DP_CAP_ZC_TX | DP_CAP_SYSCALLS,
	.opts = xk_opts,
	.drops = xk_drops,
	.kgroups = xk_kgroups,
	.ring = xk_ring,
	.priv_size = sizeof(struct xk_priv),
	.probe = xk_probe,
	.open = xk_open,
	.close = xk_close,
	.alloc_tx = xk_alloc_tx,
	.tx_burst = xk_tx_burst,
	.rx_burst = xk_rx_burst,
	.release = xk_release,
	.kstats = xk_kstats,
};
