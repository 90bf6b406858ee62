// SPDX-License-Identifier: BSD-3-Clause
/*
 * packet: AF_PACKET raw socket bound to the endpoint's interface, whole
 * Ethernet frames in and out, qdisc bypassed.
 *
 * The TPACKET version is per socket and applies to both rings, so it is
 * chosen by role:
 *  - throughput (send/recv): TPACKET_V3. Its RX ring hands user space whole
 *    blocks, and a block is released only when it fills or its retire timer
 *    (1 ms at the least) fires: few wakeups and cache-friendly batches, which
 *    is what a stream wants.
 *  - ping-pong (client/server): TPACKET_V2. Every frame has its own status
 *    word and is visible the moment the kernel marks it TP_STATUS_USER; with
 *    V3 a lone reply would sit in a half-empty block until the timer, and
 *    every round trip would take about 1 ms.
 *
 * TX ring (packet_tx=ring): a mmap'ed ring of fixed 2048-byte slots (V2 or
 * V3 headers; transmit behaves the same in both). alloc_tx hands out free
 * slots for the engine to fill in place, tx_burst flips them to SEND_REQUEST
 * and kicks the kernel with one sendto per burst. The kernel walks the ring
 * from its own head, so slots are handed out and submitted strictly in ring
 * order.
 * TX sendto (packet_tx=sendto): one sendto per frame from private buffers.
 *
 * RX ring (packet_rx=ring), V3: rx_burst walks the packets of ready blocks
 * without a system call; a block goes back to the kernel once it has been
 * walked and every frame taken from it released.
 * RX ring, V2: rx_burst takes ready frames in ring order without a system
 * call; each goes back to the kernel when the engine releases it.
 * RX recv (packet_rx=recv): one recvfrom per frame.
 */
#include "dp.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>

#define PK_FRAME 2048u               /* slot size of both rings, and copy buffers */
#define PK_RX_BLOCK (1u << 20)       /* V3 RX block: 1 MiB */
#define PK_RX_TOV_MS 1u              /* retire a partly filled V3 RX block after 1 ms */
#define PK_RX_MAX_BLOCKS 1024u
#define PK_SLOT_BLOCK (64u << 10)    /* TX and V2 RX block: 32 slots, small enough to be contiguous */
#define PK_DEF_FRAMES 4096u
#define PK_POLL_MS 50

/* cfg->opt[]: pk_opts[] in this order. */
enum pk_opt { PK_OPT_TX = 0, PK_OPT_RX };

struct pk_priv {
	int fd;
	uint8_t *map; /* RX ring, then TX ring, one mapping */
	size_t map_len;
	int blocking;
	int v2; /* TPACKET_V2 on both rings (ping-pong), else TPACKET_V3 */

	/* TX ring */
	uint8_t *tx_ring;
	unsigned int tx_frames;
	unsigned int tx_head; /* oldest slot not yet submitted: next to hand out */
	unsigned int tx_off;  /* frame offset in a slot: the aligned header of the version */

	/* RX ring */
	uint8_t *rx_ring;
	unsigned int rx_blocks;         /* V3 */
	unsigned int rx_frames;         /* V2 */
	unsigned int rx_cur;            /* V3: block being walked, or next to look at; V2: next frame */
	int rx_open;                    /* rx_cur is being walked */
	unsigned int rx_left;           /* packets of rx_cur not yet handed out */
	struct tpacket3_hdr *rx_pkt;    /* next packet of rx_cur */
	uint32_t rx_refs[PK_RX_MAX_BLOCKS]; /* frames handed out, not released */

	uint8_t txbuf[DP_MAX_BURST][PK_FRAME];
	uint8_t rxbuf[DP_MAX_BURST][PK_FRAME];
};

static inline uint32_t load_acq(const volatile uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void store_rel(volatile uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline uint8_t *tx_slot(struct pk_priv *p, unsigned int i)
{
	/* PK_SLOT_BLOCK is a multiple of PK_FRAME: slots are contiguous in the map. */
	return p->tx_ring + (size_t)i * PK_FRAME;
}

/* The status word sits at a different offset in the V2 and V3 headers. */
static inline uint32_t *slot_status(const struct pk_priv *p, uint8_t *slot)
{
	return p->v2 ? &((struct tpacket2_hdr *)slot)->tp_status
		     : &((struct tpacket3_hdr *)slot)->tp_status;
}

static inline struct tpacket2_hdr *rx_frame(struct pk_priv *p, unsigned int i)
{
	return (struct tpacket2_hdr *)(p->rx_ring + (size_t)i * PK_FRAME);
}

static inline struct tpacket_block_desc *rx_block(struct pk_priv *p, unsigned int b)
{
	return (struct tpacket_block_desc *)(p->rx_ring + (size_t)b * PK_RX_BLOCK);
}

static int pk_probe(void)
{
	int fd, err;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		/* No CAP_NET_RAW, or no AF_PACKET in this kernel. */
		if (err == -EPERM || err == -EACCES || err == -EAFNOSUPPORT)
			err = -EOPNOTSUPP;
		return err;
	}
	close(fd);
	return 0;
}

/* setsockopt with the failure written to errmsg; 0 or -errno. */
static int pk_setopt(struct dp_ctx *ctx, int fd, int level, int name, const void *val,
		     socklen_t len, const char *what)
{
	int err;

	if (!setsockopt(fd, level, name, val, len))
		return 0;
	err = -errno;
	snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), "setsockopt %s: %s", what,
		 strerror(-err));
	return err;
}

/* Accept IPv4/UDP, unfragmented or first fragment, to our port; drop the rest. */
static int pk_attach_filter(struct dp_ctx *ctx, int fd, uint16_t port)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 8),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	return pk_setopt(ctx, fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog),
			 "SO_ATTACH_FILTER");
}

/* What the endpoint's role and options ask of the socket. */
struct pk_want {
	int tx, rx;           /* the role sends, receives */
	int tx_ring, rx_ring; /* through a mapped ring (else sendto, recvfrom) */
	unsigned int frames;  /* ring size asked for */
};

static struct pk_want pk_want(const struct ep_config *cfg)
{
	struct pk_want w = {
		.tx = cfg->role != EP_ROLE_RECV,
		.rx = cfg->role != EP_ROLE_SEND,
		.frames = cfg->ring_frames ? cfg->ring_frames : PK_DEF_FRAMES,
	};

	w.tx_ring = w.tx && cfg->opt[PK_OPT_TX] != PKT_TX_SENDTO;
	w.rx_ring = w.rx && cfg->opt[PK_OPT_RX] != PKT_RX_RECV;
	return w;
}

/* What only a receiving socket needs: no copies of its own frames, a
 * filter for the workload's port, and a bounded wait for recvfrom. */
static int pk_rx_opts(struct dp_ctx *ctx, int fd, const struct pk_want *w)
{
	const struct ep_config *cfg = ctx->cfg;
	struct timeval tv = { 0, PK_POLL_MS * 1000 };
	int one = 1, err;

	err = pk_setopt(ctx, fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one),
			"PACKET_IGNORE_OUTGOING");
	if (!err && cfg->rcvbuf)
		err = pk_setopt(ctx, fd, SOL_SOCKET, SO_RCVBUFFORCE, &cfg->rcvbuf,
				sizeof(cfg->rcvbuf), "SO_RCVBUFFORCE");
	if (!err)
		err = pk_attach_filter(ctx, fd, cfg->sport);
	if (!err && !w->rx_ring && cfg->blocking)
		err = pk_setopt(ctx, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv), "SO_RCVTIMEO");
	return err;
}

static int pk_sockopts(struct dp_ctx *ctx, int fd, const struct pk_want *w)
{
	const struct ep_config *cfg = ctx->cfg;
	struct pk_priv *p = ctx->priv;
	int one = 1, ver = p->v2 ? TPACKET_V2 : TPACKET_V3, err;

	err = pk_setopt(ctx, fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver),
			"PACKET_VERSION");
	/* Hand frames straight to the driver: the point of this datapath. */
	if (!err)
		err = pk_setopt(ctx, fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one),
				"PACKET_QDISC_BYPASS");
	if (!err && cfg->sndbuf)
		err = pk_setopt(ctx, fd, SOL_SOCKET, SO_SNDBUFFORCE, &cfg->sndbuf,
				sizeof(cfg->sndbuf), "SO_SNDBUFFORCE");
	if (!err && w->rx)
		err = pk_rx_opts(ctx, fd, w);
	/* Frames the kernel cannot parse are skipped, not left to jam the TX
	 * ring. Like PACKET_VERSION, only accepted before any ring exists. */
	if (!err && w->tx_ring)
		err = pk_setopt(ctx, fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one), "PACKET_LOSS");
	return err;
}

/* V2 reads the leading struct tpacket_req part only (shorter optlen). */
static socklen_t pk_req_len(const struct pk_priv *p)
{
	return p->v2 ? sizeof(struct tpacket_req) : sizeof(struct tpacket_req3);
}

/* Fixed slots in small blocks: the TX ring, and the V2 RX ring. */
static void pk_slot_req(struct tpacket_req3 *r, unsigned int frames)
{
	unsigned int per_block = PK_SLOT_BLOCK / PK_FRAME;
	unsigned int nb = (frames + per_block - 1) / per_block;

	r->tp_block_size = PK_SLOT_BLOCK;
	r->tp_block_nr = nb;
	r->tp_frame_size = PK_FRAME;
	r->tp_frame_nr = nb * per_block;
}

/* The V3 RX ring: large blocks, handed over whole. */
static void pk_block_req(struct tpacket_req3 *r, unsigned int frames)
{
	unsigned int per_block = PK_RX_BLOCK / PK_FRAME;
	unsigned int nb = (frames + per_block - 1) / per_block;

	/* Two blocks at least: the kernel fills one while we read the other. */
	if (nb < 2)
		nb = 2;
	if (nb > PK_RX_MAX_BLOCKS)
		nb = PK_RX_MAX_BLOCKS;
	r->tp_block_size = PK_RX_BLOCK;
	r->tp_block_nr = nb;
	r->tp_frame_size = PK_FRAME;
	r->tp_frame_nr = nb * per_block;
	r->tp_retire_blk_tov = PK_RX_TOV_MS;
}

static int pk_rx_ring(struct dp_ctx *ctx, int fd, const struct pk_want *w,
		      struct tpacket_req3 *r, char *info, size_t len)
{
	struct pk_priv *p = ctx->priv;
	int err;

	if (p->v2)
		pk_slot_req(r, w->frames);
	else
		pk_block_req(r, w->frames);
	err = pk_setopt(ctx, fd, SOL_PACKET, PACKET_RX_RING, r, pk_req_len(p), "PACKET_RX_RING");
	if (err)
		return err;
	if (p->v2) {
		p->rx_frames = r->tp_frame_nr;
		snprintf(info, len, "ring(tpacket_v2: per-frame, for latency; %ux%u)",
			 p->rx_frames, PK_FRAME);
	} else {
		p->rx_blocks = r->tp_block_nr;
		snprintf(info, len, "ring(tpacket_v3: blocks, for batching; %ux%uKiB tov=%ums)",
			 p->rx_blocks, PK_RX_BLOCK >> 10, PK_RX_TOV_MS);
	}
	return 0;
}

static int pk_tx_ring(struct dp_ctx *ctx, int fd, const struct pk_want *w,
		      struct tpacket_req3 *r, char *info, size_t len)
{
	struct pk_priv *p = ctx->priv;
	int err;

	pk_slot_req(r, w->frames);
	err = pk_setopt(ctx, fd, SOL_PACKET, PACKET_TX_RING, r, pk_req_len(p), "PACKET_TX_RING");
	if (err)
		return err;
	p->tx_frames = r->tp_frame_nr;
	/* Transmit is the same in V2 and V3: the version follows the RX
	 * ring, or the role when there is none. */
	snprintf(info, len, "ring(tpacket_v%d: %s; %ux%u)", p->v2 ? 2 : 3,
		 w->rx_ring ? "as rx" : p->v2 ? "ping-pong" : "throughput", p->tx_frames,
		 PK_FRAME);
	return 0;
}

/* One mapping: the RX ring first, then the TX ring. */
static int pk_map_rings(struct dp_ctx *ctx, int fd, const struct pk_want *w,
			const struct tpacket_req3 *rxr, const struct tpacket_req3 *txr)
{
	size_t rx_len = (size_t)rxr->tp_block_size * rxr->tp_block_nr;
	size_t tx_len = (size_t)txr->tp_block_size * txr->tp_block_nr;
	struct pk_priv *p = ctx->priv;
	int err;

	p->map_len = rx_len + tx_len;
	p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p->map == MAP_FAILED) {
		err = -errno;
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg),
			 "mmap packet rings (%zu bytes): %s", p->map_len, strerror(-err));
		return err;
	}
	p->rx_ring = w->rx_ring ? p->map : NULL;
	p->tx_ring = w->tx_ring ? p->map + rx_len : NULL;
	return 0;
}

static void pk_unmap_rings(struct pk_priv *p)
{
	if (p->map != MAP_FAILED)
		munmap(p->map, p->map_len);
	p->map = MAP_FAILED;
	p->rx_ring = NULL;
	p->tx_ring = NULL;
}

/* Send-only endpoints bind protocol 0: they receive nothing at all. */
static int pk_bind(struct dp_ctx *ctx, int fd, int rx)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int err;

	sll.sll_protocol = rx ? htons(ETH_P_ALL) : 0;
	sll.sll_ifindex = ctx->ifindex;
	if (!bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		return 0;
	err = -errno;
	snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), "bind AF_PACKET to %s: %s",
		 ctx->cfg->ifname, strerror(-err));
	return err;
}

static int pk_open(struct dp_ctx *ctx)
{
	const struct ep_config *cfg = ctx->cfg;
	struct pk_priv *p = ctx->priv;
	struct pk_want w = pk_want(cfg);
	struct tpacket_req3 rxr = { 0 }, txr = { 0 };
	char rxinfo[64] = "none", txinfo[64] = "none";
	int fd, err;

	p->fd = -1;
	p->map = MAP_FAILED;
	p->blocking = !!cfg->blocking;
	/* Ping-pong waits on single frames: per-frame status words (see top). */
	p->v2 = cfg->role == EP_ROLE_CLIENT || cfg->role == EP_ROLE_SERVER;
	p->tx_off = p->v2 ? TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
			  : TPACKET_ALIGN(sizeof(struct tpacket3_hdr));

	/* Protocol 0: nothing is queued to the socket until bind(). */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), "AF_PACKET socket: %s",
			 strerror(-err));
		return err;
	}
	err = pk_sockopts(ctx, fd, &w);
	if (!err && w.rx_ring)
		err = pk_rx_ring(ctx, fd, &w, &rxr, rxinfo, sizeof(rxinfo));
	else if (!err && w.rx)
		snprintf(rxinfo, sizeof(rxinfo), "recvfrom/frame");
	if (!err && w.tx_ring)
		err = pk_tx_ring(ctx, fd, &w, &txr, txinfo, sizeof(txinfo));
	else if (!err && w.tx)
		snprintf(txinfo, sizeof(txinfo), "sendto/frame");
	if (!err && (w.rx_ring || w.tx_ring))
		err = pk_map_rings(ctx, fd, &w, &rxr, &txr);
	if (err)
		goto close_fd;
	err = pk_bind(ctx, fd, w.rx);
	if (err)
		goto unmap_rings;
	p->fd = fd;
	snprintf(ctx->shm->dp_info, sizeof(ctx->shm->dp_info), "tx=%s rx=%s qdisc_bypass=on%s",
		 txinfo, rxinfo, w.rx ? " bpf=udp dport" : "");
	return 0;

unmap_rings:
	pk_unmap_rings(p);
close_fd:
	close(fd);
	return err;
}

static void pk_close(struct dp_ctx *ctx)
{
	struct pk_priv *p = ctx->priv;

	if (p->fd < 0)
		return;
	/* Push out whatever is still queued in the TX ring; bounded by SO_SNDTIMEO. */
	if (p->tx_ring) {
		struct timeval tv = { 0, 100000 };

		setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		sendto(p->fd, NULL, 0, 0, NULL, 0);
	}
	pk_unmap_rings(p);
	close(p->fd);
	p->fd = -1;
}

/* Ask the kernel to transmit every SEND_REQUEST slot from its head on. */
static inline int pk_kick(struct dp_ctx *ctx, struct pk_priv *p)
{
	ctx->st->tx_syscalls++;
	if (DP_SYSCALL(ctx, SYS_sendto,
		       sendto(p->fd, NULL, 0, p->blocking ? 0 : MSG_DONTWAIT, NULL, 0)) < 0)
		return -errno;
	return 0;
}

static int pk_alloc_tx(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct pk_priv *p = ctx->priv;
	unsigned int idx = p->tx_head;
	int i;

	if (!p->tx_ring) {
		if (n > DP_MAX_BURST)
			n = DP_MAX_BURST;
		for (i = 0; i < n; i++) {
			bufs[i].data = p->txbuf[i];
			bufs[i].len = 0;
			bufs[i].priv = 0;
		}
		return n;
	}
	/* Never hand out a slot twice in one call: a burst cannot wrap the ring. */
	if (n > (int)p->tx_frames)
		n = (int)p->tx_frames;
	for (i = 0; i < n; i++) {
		uint8_t *slot = tx_slot(p, idx);
		uint32_t st = load_acq(slot_status(p, slot));

		/*
		 * SEND_REQUEST: queued, not taken yet; SENDING: the skb is still in
		 * flight and the kernel frees the slot from its destructor. Both stay
		 * the kernel's. WRONG_FORMAT cannot stick: with PACKET_LOSS the kernel
		 * marks a frame it cannot parse AVAILABLE and moves past it.
		 */
		if (st != TP_STATUS_AVAILABLE)
			break;
		bufs[i].data = slot + p->tx_off;
		bufs[i].len = 0;
		bufs[i].priv = idx;
		if (++idx == p->tx_frames)
			idx = 0;
	}
	/*
	 * Full ring whose oldest slot the kernel has not even started (the last
	 * kick stopped on a full device queue or socket buffer): kick again, or
	 * nothing would ever drain it. SENDING slots complete on their own.
	 */
	if (i == 0 && n > 0 &&
	    load_acq(slot_status(p, tx_slot(p, idx))) == TP_STATUS_SEND_REQUEST) {
		int err = pk_kick(ctx, p);

		if (err && err != -EAGAIN && err != -ENOBUFS && err != -EINTR)
			return err;
	}
	return i;
}

static int pk_tx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct pk_priv *p = ctx->priv;
	int flags = p->blocking ? 0 : MSG_DONTWAIT;
	int i, err;

	if (!p->tx_ring) {
		for (i = 0; i < n; i++) {
			ctx->st->tx_syscalls++;
			if (DP_SYSCALL(ctx, SYS_sendto,
				       send(p->fd, bufs[i].data, bufs[i].len, flags)) < 0) {
				/* ENOBUFS: the device (veth peer backlog) dropped it. */
				if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
					break;
				return i ? i : -errno;
			}
		}
		return i;
	}
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned int idx = (unsigned int)bufs[i].priv;
		uint8_t *slot = tx_slot(p, idx);

		if (p->v2) {
			struct tpacket2_hdr *h = (struct tpacket2_hdr *)slot;

			h->tp_len = bufs[i].len;
			h->tp_snaplen = bufs[i].len;
		} else {
			struct tpacket3_hdr *h = (struct tpacket3_hdr *)slot;

			h->tp_len = bufs[i].len;
			h->tp_snaplen = bufs[i].len;
			h->tp_next_offset = 0; /* fixed-size slots only */
		}
		store_rel(slot_status(p, slot), TP_STATUS_SEND_REQUEST);
		p->tx_head = idx + 1 == p->tx_frames ? 0 : idx + 1;
	}
	/*
	 * The slots are queued either way: on EAGAIN/ENOBUFS the kernel stopped at
	 * a full socket buffer or device and leaves the rest SEND_REQUEST for the
	 * next kick, so the burst counts as sent.
	 */
	err = pk_kick(ctx, p);
	if (err && err != -EAGAIN && err != -ENOBUFS && err != -EINTR)
		return err;
	return n;
}

/* Give a fully walked, fully released block back to the kernel. */
static inline void rx_block_done(struct pk_priv *p, unsigned int b)
{
	store_rel(&rx_block(p, b)->hdr.bh1.block_status, TP_STATUS_KERNEL);
}

/*
 * V2: take ready frames in ring order. The kernel fills frames strictly in
 * order too and drops a packet when its next frame is still ours, so frames
 * are released in the order they were taken (the engine releases whole
 * bursts) and a burst never exceeds the ring (burst <= ring_frames).
 */
static int rx_v2_take(struct pk_priv *p, struct pkt_buf *bufs, int max)
{
	int got = 0;

	if (max > (int)p->rx_frames)
		max = (int)p->rx_frames;
	while (got < max) {
		struct tpacket2_hdr *h = rx_frame(p, p->rx_cur);

		if (!(load_acq(&h->tp_status) & TP_STATUS_USER))
			break;
		bufs[got].data = (uint8_t *)h + h->tp_mac;
		bufs[got].len = h->tp_snaplen;
		bufs[got].priv = p->rx_cur;
		got++;
		if (++p->rx_cur == p->rx_frames)
			p->rx_cur = 0;
	}
	return got;
}

static int rx_v3_take(struct pk_priv *p, struct pkt_buf *bufs, int max)
{
	int got = 0;

	while (got < max) {
		struct tpacket_block_desc *bd = rx_block(p, p->rx_cur);

		if (!p->rx_open) {
			/* A block we wrapped around to may still have frames out. */
			if (p->rx_refs[p->rx_cur] ||
			    !(load_acq(&bd->hdr.bh1.block_status) & TP_STATUS_USER))
				break;
			p->rx_open = 1;
			p->rx_left = bd->hdr.bh1.num_pkts;
			p->rx_pkt = (struct tpacket3_hdr *)((uint8_t *)bd +
							    bd->hdr.bh1.offset_to_first_pkt);
		}
		while (got < max && p->rx_left) {
			struct tpacket3_hdr *h = p->rx_pkt;

			bufs[got].data = (uint8_t *)h + h->tp_mac;
			bufs[got].len = h->tp_snaplen;
			bufs[got].priv = p->rx_cur;
			got++;
			p->rx_refs[p->rx_cur]++;
			p->rx_pkt = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
			p->rx_left--;
		}
		if (p->rx_left)
			break;
		/* Walked to the end: done with it as soon as its frames come back. */
		if (!p->rx_refs[p->rx_cur])
			rx_block_done(p, p->rx_cur);
		p->rx_open = 0;
		if (++p->rx_cur == p->rx_blocks)
			p->rx_cur = 0;
	}
	return got;
}

static inline int rx_ring_take(struct pk_priv *p, struct pkt_buf *bufs, int max)
{
	return p->v2 ? rx_v2_take(p, bufs, max) : rx_v3_take(p, bufs, max);
}

static int pk_rx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct pk_priv *p = ctx->priv;
	int i;

	if (p->rx_ring) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN | POLLERR };
		int got = rx_ring_take(p, bufs, max);

		if (got || !p->blocking)
			return got;
		/* V2 wakes the poller per frame, V3 when a block is retired. */
		ctx->st->rx_syscalls++;
		if (DP_SYSCALL(ctx, SYS_poll, poll(&pfd, 1, PK_POLL_MS)) < 0 && errno != EINTR)
			return -errno;
		return rx_ring_take(p, bufs, max);
	}
	if (max > DP_MAX_BURST)
		max = DP_MAX_BURST;
	for (i = 0; i < max; i++) {
		/* Blocking mode waits (SO_RCVTIMEO) for the first frame only. */
		int flags = (p->blocking && i == 0) ? 0 : MSG_DONTWAIT;
		ssize_t r;

		ctx->st->rx_syscalls++;
		r = DP_SYSCALL(ctx, SYS_recvfrom, recv(p->fd, p->rxbuf[i], PK_FRAME, flags));
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return i ? i : -errno;
		}
		bufs[i].data = p->rxbuf[i];
		bufs[i].len = (uint32_t)r;
		bufs[i].priv = 0;
	}
	return i;
}

static void pk_release(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct pk_priv *p = ctx->priv;

	if (!p->rx_ring)
		return;
	if (p->v2) {
		for (int i = 0; i < n; i++)
			store_rel(&rx_frame(p, (unsigned int)bufs[i].priv)->tp_status,
				  TP_STATUS_KERNEL);
		return;
	}
	for (int i = 0; i < n; i++) {
		unsigned int b = (unsigned int)bufs[i].priv;

		if (--p->rx_refs[b] == 0 && !(p->rx_open && b == p->rx_cur))
			rx_block_done(p, b);
	}
}

static int pk_kstats(struct dp_ctx *ctx, struct ep_kstats *ks)
{
	struct pk_priv *p = ctx->priv;
	/* V2 fills the leading struct tpacket_stats part: same fields. */
	struct tpacket_stats_v3 s = { 0 };
	socklen_t len = sizeof(s);

	/* Reading resets the kernel's counters: once, at the end. */
	if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &s, &len))
		return -errno;
	if (p->rx_ring)
		ks->ring_drops = s.tp_drops;
	else
		ks->sock_drops = s.tp_drops;
	return 0;
}

/* A burst goes to a ring unless both directions use calls. */
static int pk_ring(const int64_t *opt)
{
	return opt[PK_OPT_TX] == PKT_TX_RING || opt[PK_OPT_RX] == PKT_RX_RING;
}

static const char *const pk_tx_words[] = { "ring", "sendto", NULL };
static const char *const pk_rx_words[] = { "ring", "recv", NULL };

/* Indexes match enum pk_opt. */
static const struct dp_opt pk_opts[] = {
	{ "packet_tx", DP_OPT_ENUM, pk_tx_words, .allowed = "ring|sendto", .def = "ring",
	  .help = "transmit through the ring or sendto()" },
	{ "packet_rx", DP_OPT_ENUM, pk_rx_words, .allowed = "ring|recv", .def = "ring",
	  .help = "receive through the ring or recv()" },
	{ NULL },
};

/* AF_PACKET receivers never hand our frames to the UDP stack (the nft
 * guard drops them there): the ring or socket is where they are lost. */
static const struct dp_drop pk_drops[] = {
	DP_DROP("packet_socket_drops", DP_KS(ring_drops), DP_KS(sock_drops)),
	{ NULL },
};

const struct dp_ops dp_packet_ops = {
	.name = "packet",
	.desc = "AF_PACKET raw socket: TX/RX rings (TPACKET_V2 for ping-pong, V3 for "
		"throughput) or sendto/recvfrom, qdisc bypass",
	/* ZC_TX holds for packet_tx=ring (the default); sendto mode copies. */
	.caps = DP_CAP_L2 | DP_CAP_BATCH | DP_CAP_ZC_TX | DP_CAP_SYSCALLS,
	.needs = DP_NEED_NFT_GUARD,
	.opts = pk_opts,
	.drops = pk_drops,
	.ring = pk_ring,
	.priv_size = sizeof(struct pk_priv),
	.probe = pk_probe,
	.open = pk_open,
	.close = pk_close,
	.alloc_tx = pk_alloc_tx,
	.tx_burst = pk_tx_burst,
	.rx_burst = pk_rx_burst,
	.release = pk_release,
	.kstats = pk_kstats,
};
