// SPDX-License-Identifier: BSD-3-Clause
/*
 * uring: a connected UDP socket driven through io_uring (liburing).
 *
 * TX: one IORING_OP_SEND SQE per packet, submitted and waited for in a single
 * io_uring_enter per burst: the engine reuses its buffers as soon as tx_burst
 * returns, so every SEND must have completed by then.
 *
 * RX single (uring_rx=single): up to `max` IORING_OP_RECV SQEs outstanding
 * into private buffers; a buffer is re-armed after the engine releases it.
 * RX multishot (uring_rx=multishot): one multishot RECV picking buffers from
 * a provided-buffer ring; released buffers go straight back to that ring.
 *
 * Completions are reaped by peeking at the CQ (no system call); an enter
 * happens only to submit SQEs, in blocking mode to wait, or when the
 * task_work mode below needs one.
 *
 * A RECV that finds no data arms a poll on the socket; the packet's arrival
 * (softirq, usually on the peer's CPU) queues task_work on the endpoint's
 * task, and that task_work posts the CQE. uring_taskrun picks who runs it:
 *  - default: the kernel interrupts the endpoint's CPU with an IPI and runs
 *    it on the way back to user space. No system call, but an IPI per
 *    completion, and a costly one under virtualization.
 *  - coop (COOP_TASKRUN | TASKRUN_FLAG): no IPI. The work waits for the
 *    task's next kernel entry; the kernel sets IORING_SQ_TASKRUN in the SQ
 *    ring flags, and a busy-polling reaper that sees it enters once
 *    (io_uring_get_events) to run it.
 *  - defer (SINGLE_ISSUER | DEFER_TASKRUN): the work is queued on the ring
 *    and runs only in an enter with GETEVENTS, so a non-blocking receive
 *    that finds the CQ empty enters every time to reap.
 * Every enter made to run task_work is a receive system call.
 *
 * The kernel's fast paths (dp_sock.h keys, and uring's own):
 *  - udp_segment: SENDMSG per GSO super-packet of up to N datagrams;
 *  - udp_gro: RECVMSG (single mode) into 64 KiB buffers, split by the
 *    UDP_GRO segment size in the control data; a buffer goes back to the
 *    kernel when its last datagram is released;
 *  - zerocopy: SEND_ZC / SENDMSG_ZC; each has a result CQE and, when the
 *    kernel took it (F_MORE), a notification CQE (F_NOTIF) once the pages
 *    are free, flagged when the kernel copied after all (REPORT_USAGE);
 *    a burst returns when every notification is in;
 *  - busy_poll_us: the socket options only;
 *  - uring_fixed: the socket as registered file 0 (IOSQE_FIXED_FILE), and
 *    registered buffers for SEND_ZC (the engine's send buffers, registered
 *    at the first burst; the receive buffers at open);
 *  - uring_sqpoll: an SQ poll thread (SQPOLL|SQ_AFF) pinned to the peer's
 *    or the endpoint's own CPU submits for it: an enter only when the
 *    thread sleeps (IORING_SQ_NEED_WAKEUP); a send burst waits for its
 *    completions by peeking at the CQ.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "dp_sock.h"

#define UR_BUF DP_SOCK_BUF    /* receive buffer: room for the largest payload */
#define UR_MIN_ENTRIES 512u   /* a full TX burst and a full RECV set fit the SQ */
#define UR_MAX_ENTRIES 4096u
#define UR_BGID 7             /* provided-buffer group of the multishot RECV */
#define UR_WAIT_NS 50000000ll /* blocking receives wake this often to see "stop" */
#define UR_OPEN_WAIT_NS 10000000ll
#define UR_REAP_BATCH 64u

/* cfg->opt[]: ur_opts[] in this order; DP_SOCK_FEAT_OPTS from UR_OPT_FEAT. */
enum ur_opt {
	UR_OPT_RX = 0,
	UR_OPT_TASKRUN,
	UR_OPT_FEAT,
	UR_OPT_FIXED = UR_OPT_FEAT + 4,
	UR_OPT_SQPOLL,
	UR_OPT_SQPOLL_CPU,
};

#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif
#define UR_NOREL 0xffffffffu    /* a GRO datagram whose buffer is released with a later one */
#define UR_SQ_IDLE_MS 2000u     /* the SQ thread spins this long before it sleeps */
#define UR_SQ_SPIN_NS 20000000ull /* sqpoll: peek this long for a burst's CQEs, then enter */
enum { UR_BUF_RX = 0, UR_BUF_MS, UR_BUF_TX, UR_NBUFS }; /* registered buffer slots */

/* user_data: kind in the upper half, index (burst slot / buffer) in the lower. */
enum { UD_TX = 1, UD_RX = 2, UD_MS = 3 };
#define UD(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

struct ur_done {
	uint32_t id; /* RX slot (single) or buffer id (multishot) */
	int32_t len;
};

struct ur_priv {
	struct io_uring ring;
	struct ep_stats *st;
	int fd;
	int sfd;   /* fd in SQEs: 0 (registered file) or fd */
	int sqflags; /* IOSQE_FIXED_FILE or 0 */
	struct dp_feat feat;
	int fixed, sqpoll;
	unsigned int sqcpu;
	int bufs_reg; /* registered buffer table up */
	uint8_t *txreg; /* registered span of the engine's send buffers */
	size_t txreg_len;
	uint64_t zc_pending; /* notifications still to come */
	int txk[DP_MAX_BURST]; /* datagrams in each message of the burst */
	struct msghdr txmsg[DP_MAX_BURST];
	struct iovec txiov[DP_MAX_BURST];
	/* udp_gro: RECVMSG buffers, and the buffer being handed out */
	uint8_t *grobuf;
	struct msghdr gromsg[DP_GRO_NBUF];
	struct iovec groiov[DP_GRO_NBUF];
	char groctl[DP_GRO_NBUF][CMSG_SPACE(DP_GRO_CMSG)];
	struct {
		uint32_t slot, len, seg, off;
	} gcur;
	int ring_up;
	int blocking;
	int multishot;
	int defer; /* uring_taskrun=defer: completions need an enter */
	unsigned int entries;

	/* TX: results of the burst being sent */
	int32_t tx_res[DP_MAX_BURST];
	unsigned int tx_left;
	struct pkt_buf tx_failed[DP_MAX_BURST];

	/* RX: completions reaped but not handed out yet (FIFO, power of two) */
	struct ur_done done[UR_MAX_ENTRIES];
	unsigned int done_head, done_tail;
	int rx_err; /* a hard receive error not reported yet */

	/* RX single */
	unsigned int armed;
	unsigned int nfree;
	uint16_t free_slot[DP_MAX_BURST];
	uint8_t slot_buf[DP_MAX_BURST][UR_BUF];

	/* RX multishot */
	struct io_uring_buf_ring *br;
	size_t br_len;
	uint8_t *pbuf;
	size_t pbuf_len;
	unsigned int br_entries;
	int ms_armed;
	int ms_refused; /* -EINVAL/-EOPNOTSUPP from the kernel */
};

static int ur_probe(void)
{
	struct io_uring ring;
	int err;

	/* kernel.io_uring_disabled makes this fail with EPERM. */
	err = io_uring_queue_init(8, &ring, 0);
	if (err == -EPERM || err == -ENOSYS || err == -EACCES)
		return -EOPNOTSUPP;
	if (err)
		return err;
	io_uring_queue_exit(&ring);
	return 0;
}

/* The socket's features, then io_uring's own: SEND_ZC, SQPOLL with SQ_AFF,
 * a registered file and registered buffers. */
static int ur_features(struct dp_feature *f, int max)
{
	static uint8_t buf[64];
	struct io_uring_params par = { .flags = IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF,
				       .sq_thread_idle = 10 };
	struct iovec iov = { buf, sizeof(buf) };
	struct io_uring_probe *pr;
	struct io_uring ring;
	int n = dp_sock_features(f, max), e, fd = -1;

	if (n + 4 > max)
		return n;
	e = io_uring_queue_init(8, &ring, 0);
	pr = e ? NULL : io_uring_get_probe_ring(&ring);
	f[n++] = (struct dp_feature){ "zerocopy", "IORING_OP_SEND_ZC, IORING_OP_SENDMSG_ZC",
				      e ? e
				      : pr && io_uring_opcode_supported(pr, IORING_OP_SEND_ZC) &&
						  io_uring_opcode_supported(pr, IORING_OP_SENDMSG_ZC)
					      ? 0
					      : -EOPNOTSUPP };
	if (pr)
		io_uring_free_probe(pr);
	if (!e) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		e = fd < 0 ? -errno : io_uring_register_files(&ring, &fd, 1);
		if (!e)
			e = io_uring_register_buffers(&ring, &iov, 1);
		if (fd >= 0)
			close(fd);
		io_uring_queue_exit(&ring);
	}
	f[n++] = (struct dp_feature){ "uring_fixed", "registered file and buffers", e };
	e = io_uring_queue_init_params(8, &ring, &par);
	if (!e)
		io_uring_queue_exit(&ring);
	f[n++] = (struct dp_feature){ "uring_sqpoll", "SQPOLL|SQ_AFF on CPU 0", e };
	return n;
}

static inline int ur_transient(int res)
{
	/* ECONNREFUSED: an ICMP error reported once on the connected socket. */
	return res == -EAGAIN || res == -ENOBUFS || res == -EINTR || res == -ECANCELED ||
	       res == -ECONNREFUSED || res == -ETIME;
}

static inline uint8_t *ms_buf(struct ur_priv *p, unsigned int bid)
{
	return p->pbuf + (size_t)bid * UR_BUF;
}

static inline void ms_recycle(struct ur_priv *p, unsigned int bid, int off)
{
	io_uring_buf_ring_add(p->br, ms_buf(p, bid), UR_BUF, (unsigned short)bid,
			      io_uring_buf_ring_mask(p->br_entries), off);
}

static void ur_cqe(struct ur_priv *p, const struct io_uring_cqe *cqe)
{
	uint32_t idx = (uint32_t)cqe->user_data;
	int res = cqe->res;

	switch (cqe->user_data >> 32) {
	case UD_TX:
		if (cqe->flags & IORING_CQE_F_NOTIF) {
			/* SEND_ZC: the pages are free again. */
			p->zc_pending--;
			p->st->zc_done++;
			if ((uint32_t)res & IORING_NOTIF_USAGE_ZC_COPIED)
				p->st->zc_copied++;
			break;
		}
		if (cqe->flags & IORING_CQE_F_MORE) {
			p->zc_pending++;
			p->st->zc_sends++;
		}
		p->tx_res[idx] = res;
		p->tx_left--;
		break;
	case UD_RX:
		p->armed--;
		if (res >= 0) {
			p->done[p->done_tail++ & (UR_MAX_ENTRIES - 1)] =
				(struct ur_done){ idx, res };
			break;
		}
		p->free_slot[p->nfree++] = (uint16_t)idx;
		if (!ur_transient(res) && !p->rx_err)
			p->rx_err = res;
		break;
	case UD_MS:
		if (cqe->flags & IORING_CQE_F_BUFFER) {
			unsigned int bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

			if (res >= 0) {
				p->done[p->done_tail++ & (UR_MAX_ENTRIES - 1)] =
					(struct ur_done){ bid, res };
			} else {
				ms_recycle(p, bid, 0);
				io_uring_buf_ring_advance(p->br, 1);
			}
		}
		/* No F_MORE: the multishot ended (error, no buffers); arm it again. */
		if (!(cqe->flags & IORING_CQE_F_MORE))
			p->ms_armed = 0;
		if (res == -EINVAL || res == -EOPNOTSUPP)
			p->ms_refused = res;
		if (res < 0 && !ur_transient(res) && !p->rx_err)
			p->rx_err = res;
		break;
	default:
		break;
	}
}

/*
 * Drain the CQ into the TX results and the RX FIFO. Reading the CQ costs no
 * system call. Once it is empty, one enter if the kernel flags work for us:
 * pending task_work (IORING_SQ_TASKRUN, coop mode; counted in *tw_syscalls,
 * the receive side, since that work is what produces receive completions)
 * or CQEs held back on overflow (counted in *syscalls). The CQ is read
 * directly rather than through io_uring_peek_batch_cqe, which would make
 * that enter itself, uncounted.
 */
static void ur_reap(struct ur_priv *p, uint64_t *syscalls, uint64_t *tw_syscalls)
{
	int entered = 0;

	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned int head, sqf, n = 0;

		io_uring_for_each_cqe(&p->ring, head, cqe) {
			ur_cqe(p, cqe);
			if (++n == UR_REAP_BATCH)
				break;
		}
		if (n) {
			io_uring_cq_advance(&p->ring, n);
			continue;
		}
		sqf = IO_URING_READ_ONCE(*p->ring.sq.kflags);
		if (entered || !(sqf & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)))
			break;
		(*(sqf & IORING_SQ_TASKRUN ? tw_syscalls : syscalls))++;
		io_uring_get_events(&p->ring);
		entered = 1;
	}
}

/* Queue RECV SQEs: re-arm the multishot, or refill up to `want` single RECVs. */
static void ur_arm_rx(struct ur_priv *p, unsigned int want)
{
	struct io_uring_sqe *sqe;

	if (p->multishot) {
		if (p->ms_armed)
			return;
		sqe = io_uring_get_sqe(&p->ring);
		if (!sqe)
			return;
		io_uring_prep_recv_multishot(sqe, p->sfd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT | (uint8_t)p->sqflags;
		sqe->buf_group = UR_BGID;
		io_uring_sqe_set_data64(sqe, UD(UD_MS, 0));
		p->ms_armed = 1;
		return;
	}
	if (want > DP_MAX_BURST)
		want = DP_MAX_BURST;
	while (p->armed < want && p->nfree) {
		unsigned int slot = p->free_slot[p->nfree - 1];

		sqe = io_uring_get_sqe(&p->ring);
		if (!sqe)
			break;
		p->nfree--;
		/* No MSG_DONTWAIT: the kernel arms a poll and completes on arrival. */
		if (p->feat.gro) {
			/* The kernel writes the cmsg, not msg_controllen: a zeroed
			 * area ends the cmsg walk after what it wrote. */
			memset(p->groctl[slot], 0, sizeof(p->groctl[slot]));
			io_uring_prep_recvmsg(sqe, p->sfd, &p->gromsg[slot], 0);
		} else {
			io_uring_prep_recv(sqe, p->sfd, p->slot_buf[slot], UR_BUF, 0);
		}
		sqe->flags |= (uint8_t)p->sqflags;
		io_uring_sqe_set_data64(sqe, UD(UD_RX, slot));
		p->armed++;
	}
}

static const struct {
	const char *name;
	unsigned int flags;
	const char *flag_names;
	const char *info; /* for dp_info */
} ur_taskrun[] = {
	[URING_TASKRUN_DEFAULT] = { "default", 0, "none", "default(IPI)" },
	[URING_TASKRUN_COOP] = { "coop", IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
				 "COOP_TASKRUN|TASKRUN_FLAG", "coop(no IPI)" },
	[URING_TASKRUN_DEFER] = { "defer", IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
				  "SINGLE_ISSUER|DEFER_TASKRUN", "defer(enter to reap)" },
};

/* errmsg of the shared page, for the open steps below. */
#define ur_err(ctx, ...) \
	snprintf((ctx)->shm->errmsg, sizeof((ctx)->shm->errmsg), __VA_ARGS__)

/* The ring, with the completion mode uring_taskrun asks for. */
static int ur_ring_init(struct dp_ctx *ctx, unsigned int tr)
{
	struct ur_priv *p = ctx->priv;
	struct io_uring_params par = { 0 };
	unsigned int entries = ctx->cfg->ring_frames;
	int err;

	if (entries < UR_MIN_ENTRIES)
		entries = UR_MIN_ENTRIES;
	if (entries > UR_MAX_ENTRIES)
		entries = UR_MAX_ENTRIES;
	par.flags = IORING_SETUP_CQSIZE | ur_taskrun[tr].flags;
	par.cq_entries = entries * 2;
	if (p->sqpoll) {
		par.flags |= IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF;
		par.sq_thread_cpu = ctx->cfg->opt[UR_OPT_SQPOLL_CPU] == URING_SQCPU_SELF
					    ? ctx->cfg->cpu
					    : ctx->cfg->peer_cpu;
		par.sq_thread_idle = UR_SQ_IDLE_MS;
	}
	/*
	 * The setup doubles as the probe for the task_work flags: a kernel that
	 * does not know them refuses the ring (EINVAL), and the case reports
	 * that instead of quietly measuring the default mode.
	 */
	err = io_uring_queue_init_params(entries, &p->ring, &par);
	if (err && p->sqpoll) {
		ur_err(ctx, "uring_sqpoll: the kernel refused SQPOLL|SQ_AFF on CPU %u: %s (errno %d)",
		       par.sq_thread_cpu, strerror(-err), -err);
		return -EOPNOTSUPP;
	}
	if (err == -EINVAL && ur_taskrun[tr].flags) {
		ur_err(ctx, "uring_taskrun=%s: kernel refused io_uring setup flags %s (%s)",
		       ur_taskrun[tr].name, ur_taskrun[tr].flag_names, strerror(-err));
		return -EOPNOTSUPP;
	}
	if (err) {
		ur_err(ctx, "io_uring_queue_init(%u): %s", entries, strerror(-err));
		if (err == -EPERM || err == -ENOSYS)
			err = -EOPNOTSUPP;
		return err;
	}
	p->ring_up = 1;
	p->entries = p->ring.sq.ring_entries;
	p->sqcpu = par.sq_thread_cpu;
	return 0;
}

static void ur_unmap_bufs(struct ur_priv *p)
{
	if (p->pbuf != MAP_FAILED)
		munmap(p->pbuf, p->pbuf_len);
	if (p->br != MAP_FAILED)
		munmap(p->br, p->br_len);
	p->pbuf = MAP_FAILED;
	p->br = MAP_FAILED;
}

/* The provided-buffer ring, one buffer per SQ entry, every buffer in it.
 * liburing 2.3 has no io_uring_setup_buf_ring: map and register by hand. */
static int ur_buf_ring(struct dp_ctx *ctx)
{
	struct ur_priv *p = ctx->priv;
	struct io_uring_buf_reg reg = { 0 };
	int err;

	p->br_entries = p->entries;
	p->br_len = (size_t)p->br_entries * sizeof(struct io_uring_buf);
	p->br = mmap(NULL, p->br_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->br == MAP_FAILED) {
		err = -errno;
		ur_err(ctx, "mmap buffer ring: %s", strerror(-err));
		return err;
	}
	p->pbuf_len = (size_t)p->br_entries * UR_BUF;
	p->pbuf = mmap(NULL, p->pbuf_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p->pbuf == MAP_FAILED) {
		err = -errno;
		ur_err(ctx, "mmap receive buffers: %s", strerror(-err));
		return err;
	}
	reg.ring_addr = (uint64_t)(uintptr_t)p->br;
	reg.ring_entries = p->br_entries;
	reg.bgid = UR_BGID;
	err = io_uring_register_buf_ring(&p->ring, &reg, 0);
	if (err) {
		ur_err(ctx, "io_uring_register_buf_ring(%u): %s", p->br_entries, strerror(-err));
		return err;
	}
	io_uring_buf_ring_init(p->br);
	for (unsigned int i = 0; i < p->br_entries; i++)
		ms_recycle(p, i, (int)i);
	io_uring_buf_ring_advance(p->br, (int)p->br_entries);
	return 0;
}

/* Arm now: a kernel that refuses multishot says so right away. */
static int ur_multishot_arm(struct dp_ctx *ctx)
{
	struct ur_priv *p = ctx->priv;
	struct __kernel_timespec ts = { 0, UR_OPEN_WAIT_NS };
	struct io_uring_cqe *cqe;
	uint64_t sc = 0;
	int err;

	ur_arm_rx(p, 0);
	err = io_uring_submit(&p->ring);
	if (err < 0) {
		ur_err(ctx, "submit multishot RECV: %s", strerror(-err));
		return err;
	}
	err = io_uring_wait_cqe_timeout(&p->ring, &cqe, &ts);
	if (err && err != -ETIME && err != -EINTR) {
		ur_err(ctx, "wait for multishot RECV: %s", strerror(-err));
		return err;
	}
	ur_reap(p, &sc, &sc);
	if (p->ms_refused) {
		err = p->ms_refused;
		ur_err(ctx, "multishot RECV refused by the kernel: %s", strerror(-err));
		return err;
	}
	p->rx_err = 0;
	return 0;
}

/* udp_gro: DP_GRO_NBUF RECVMSGs into 64 KiB buffers, control for the
 * segment size. */
static int ur_gro_open(struct dp_ctx *ctx, char *info, size_t len)
{
	struct ur_priv *p = ctx->priv;
	int err;

	p->grobuf = mmap(NULL, (size_t)DP_GRO_NBUF * DP_GRO_BUF, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->grobuf == MAP_FAILED) {
		err = -errno;
		p->grobuf = NULL;
		ur_err(ctx, "mmap GRO buffers: %s", strerror(-err));
		return err;
	}
	for (unsigned int i = 0; i < DP_GRO_NBUF; i++) {
		p->groiov[i].iov_base = p->grobuf + (size_t)i * DP_GRO_BUF;
		p->groiov[i].iov_len = DP_GRO_BUF;
		p->gromsg[i].msg_iov = &p->groiov[i];
		p->gromsg[i].msg_iovlen = 1;
		p->gromsg[i].msg_control = p->groctl[i];
		p->gromsg[i].msg_controllen = sizeof(p->groctl[i]);
		p->free_slot[i] = (uint16_t)(DP_GRO_NBUF - 1 - i);
	}
	p->nfree = DP_GRO_NBUF;
	snprintf(info, len, "RECVMSG sqe/GRO buffer(%u x 64k)", DP_GRO_NBUF);
	return 0;
}

static int ur_rx_open(struct dp_ctx *ctx, char *info, size_t len)
{
	struct ur_priv *p = ctx->priv;
	int err;

	if (!p->multishot && p->feat.gro)
		return ur_gro_open(ctx, info, len);
	if (!p->multishot) {
		for (unsigned int i = 0; i < DP_MAX_BURST; i++)
			p->free_slot[i] = (uint16_t)(DP_MAX_BURST - 1 - i);
		p->nfree = DP_MAX_BURST;
		snprintf(info, len, "RECV sqe/pkt, burst kept armed");
		return 0;
	}
	err = ur_buf_ring(ctx);
	if (!err)
		err = ur_multishot_arm(ctx);
	if (err) {
		ur_unmap_bufs(p);
		return err;
	}
	snprintf(info, len, "multishot+pbuf ring(%u)", p->br_entries);
	return 0;
}

static void ur_rx_bufs_reg(struct ur_priv *p);

/* uring_fixed: the socket as registered file 0, and a sparse table of
 * registered buffers (the receive buffers now, the send buffers at the
 * first burst). */
static int ur_fixed_open(struct dp_ctx *ctx)
{
	struct ur_priv *p = ctx->priv;
	int err = io_uring_register_files(&p->ring, &p->fd, 1);

	if (err) {
		ur_err(ctx, "uring_fixed: the kernel refused a registered file: %s (errno %d)",
		       strerror(-err), -err);
		return -EOPNOTSUPP;
	}
	p->sfd = 0;
	p->sqflags = IOSQE_FIXED_FILE;
	err = io_uring_register_buffers_sparse(&p->ring, UR_NBUFS);
	if (err) {
		ur_err(ctx, "uring_fixed: the kernel refused registered buffers: %s (errno %d)",
		       strerror(-err), -err);
		return -EOPNOTSUPP;
	}
	p->bufs_reg = 1;
	return 0;
}

/* The socket's fast-path options; SEND_ZC needs no SO_ZEROCOPY. */
static int ur_feat_open(struct dp_ctx *ctx, char *info, size_t len)
{
	struct ur_priv *p = ctx->priv;
	struct dp_feat sock = p->feat;

	sock.zerocopy = 0;
	return dp_feat_apply(ctx, p->fd, &sock, info, len);
}

static int ur_open(struct dp_ctx *ctx)
{
	const struct ep_config *cfg = ctx->cfg;
	struct ur_priv *p = ctx->priv;
	struct sockaddr_in peer;
	unsigned int tr = (unsigned int)cfg->opt[UR_OPT_TASKRUN];
	char rxinfo[48], finfo[128];
	int err;

	p->fd = -1;
	p->st = ctx->st;
	p->blocking = !!cfg->blocking;
	p->multishot = cfg->opt[UR_OPT_RX] == URING_RX_MULTISHOT;
	dp_feat_read(&p->feat, cfg, UR_OPT_FEAT);
	p->fixed = !!cfg->opt[UR_OPT_FIXED];
	p->sqpoll = !!cfg->opt[UR_OPT_SQPOLL];
	if (tr >= sizeof(ur_taskrun) / sizeof(ur_taskrun[0])) {
		ur_err(ctx, "unknown uring_taskrun mode %u", tr);
		return -EINVAL;
	}
	p->defer = tr == URING_TASKRUN_DEFER;
	p->br = MAP_FAILED;
	p->pbuf = MAP_FAILED;

	p->fd = dp_sock_udp_open(ctx, &peer);
	if (p->fd < 0)
		return p->fd;
	p->sfd = p->fd;
	/* Connected: SEND/RECV SQEs need no address. */
	if (connect(p->fd, (struct sockaddr *)&peer, sizeof(peer))) {
		err = -errno;
		ur_err(ctx, "connect UDP socket: %s", strerror(-err));
		goto close_fd;
	}
	err = ur_feat_open(ctx, finfo, sizeof(finfo));
	if (err)
		goto close_fd;
	err = ur_ring_init(ctx, tr);
	if (err)
		goto close_fd;
	err = p->fixed ? ur_fixed_open(ctx) : 0;
	if (!err)
		err = ur_rx_open(ctx, rxinfo, sizeof(rxinfo));
	if (err)
		goto exit_ring;
	ur_rx_bufs_reg(p);
	snprintf(ctx->shm->dp_info, sizeof(ctx->shm->dp_info),
		 "send=%s%s, %s; recv=%s; sq=%u cq=%u%s; taskrun=%s%s%s%s%s",
		 p->feat.segment > 1 ? "SENDMSG sqe/super-packet" : "SEND sqe/pkt",
		 p->feat.zerocopy ? " ZC" : "",
		 p->sqpoll ? "SQPOLL submits" : "1 enter/burst", rxinfo, p->entries,
		 p->ring.cq.ring_entries, p->blocking ? " blocking" : "", ur_taskrun[tr].info,
		 p->fixed ? "; fixed=file+bufs" : "", p->sqpoll ? "; sqpoll cpu=" : "",
		 p->sqpoll ? (cfg->opt[UR_OPT_SQPOLL_CPU] == URING_SQCPU_SELF ? "self" : "peer")
			   : "",
		 finfo[0] ? "; " : "");
	snprintf(ctx->shm->dp_info + strlen(ctx->shm->dp_info),
		 sizeof(ctx->shm->dp_info) - strlen(ctx->shm->dp_info), "%s", finfo);
	if (p->sqpoll)
		snprintf(ctx->shm->dp_info + strlen(ctx->shm->dp_info),
			 sizeof(ctx->shm->dp_info) - strlen(ctx->shm->dp_info), "; sq_cpu=%u",
			 p->sqcpu);
	return 0;

exit_ring:
	io_uring_queue_exit(&p->ring);
	p->ring_up = 0;
close_fd:
	close(p->fd);
	p->fd = -1;
	return err;
}

static void ur_close(struct dp_ctx *ctx)
{
	struct ur_priv *p = ctx->priv;

	/* Cancels the outstanding RECVs; the socket itself is freed asynchronously. */
	if (p->ring_up)
		io_uring_queue_exit(&p->ring);
	p->ring_up = 0;
	ur_unmap_bufs(p);
	if (p->grobuf)
		munmap(p->grobuf, (size_t)DP_GRO_NBUF * DP_GRO_BUF);
	p->grobuf = NULL;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* Enter to submit, or under SQPOLL only when the SQ thread sleeps. */
static int ur_submit(struct dp_ctx *ctx, struct ur_priv *p, uint64_t *calls)
{
	if (p->sqpoll && !(IO_URING_READ_ONCE(*p->ring.sq.kflags) & IORING_SQ_NEED_WAKEUP))
		return io_uring_submit(&p->ring);
	(*calls)++;
	return DP_SYSCALL(ctx, SYS_io_uring_enter, io_uring_submit(&p->ring));
}

/* The registered buffer (uring_fixed) holding [d, d + len), or -1. */
static int ur_buf_index(const struct ur_priv *p, const void *d, uint32_t len)
{
	const uint8_t *b = d;
	const struct {
		const uint8_t *base;
		size_t len;
	} r[UR_NBUFS] = {
		[UR_BUF_RX] = { p->grobuf ? p->grobuf : &p->slot_buf[0][0],
				p->grobuf ? (size_t)DP_GRO_NBUF * DP_GRO_BUF : sizeof(p->slot_buf) },
		[UR_BUF_MS] = { p->pbuf != MAP_FAILED ? p->pbuf : NULL, p->pbuf_len },
		[UR_BUF_TX] = { p->txreg, p->txreg_len },
	};

	for (int i = 0; p->bufs_reg && i < UR_NBUFS; i++)
		if (r[i].base && b >= r[i].base && b + len <= r[i].base + r[i].len)
			return i;
	return -1;
}

static void ur_buf_reg(struct ur_priv *p, unsigned int slot, void *base, size_t len)
{
	struct iovec iov = { base, len };

	io_uring_register_buffers_update_tag(&p->ring, slot, &iov, NULL, 1);
}

/* Receive buffers, registered once: a server sends its replies from them. */
static void ur_rx_bufs_reg(struct ur_priv *p)
{
	if (!p->bufs_reg)
		return;
	if (p->grobuf)
		ur_buf_reg(p, UR_BUF_RX, p->grobuf, (size_t)DP_GRO_NBUF * DP_GRO_BUF);
	else
		ur_buf_reg(p, UR_BUF_RX, p->slot_buf, sizeof(p->slot_buf));
	if (p->pbuf != MAP_FAILED)
		ur_buf_reg(p, UR_BUF_MS, p->pbuf, p->pbuf_len);
}

/* The engine's send buffers are the same every burst: registered at the
 * first (one io_uring_register, a transmit system call). */
static void ur_tx_reg(struct dp_ctx *ctx, struct ur_priv *p, const struct pkt_buf *bufs, int n)
{
	uint8_t *lo = bufs[0].data, *hi = lo;

	if (!p->bufs_reg || p->txreg || !p->feat.zerocopy)
		return;
	for (int i = 0; i < n; i++) {
		uint8_t *d = bufs[i].data;

		if (ur_buf_index(p, d, bufs[i].len) >= 0)
			return; /* a server's replies: already registered */
		lo = d < lo ? d : lo;
		hi = d + bufs[i].len > hi ? d + bufs[i].len : hi;
	}
	ctx->st->tx_syscalls++;
	DP_SYSCALL(ctx, SYS_io_uring_register, (ur_buf_reg(p, UR_BUF_TX, lo, (size_t)(hi - lo)), 0));
	p->txreg = lo;
	p->txreg_len = (size_t)(hi - lo);
}

/* Message m of a burst: k datagrams, one SQE. */
static void ur_prep_tx(struct ur_priv *p, struct io_uring_sqe *sqe, struct pkt_buf *bufs, int k,
		       int m, int flags)
{
	int zc = p->feat.zerocopy;

	if (p->feat.segment > 1) {
		struct msghdr *h = &p->txmsg[m];

		dp_gso_msg(h, &p->txiov[m * (int)p->feat.segment], bufs, k, NULL);
		if (zc)
			io_uring_prep_sendmsg_zc(sqe, p->sfd, h, (unsigned int)flags);
		else
			io_uring_prep_sendmsg(sqe, p->sfd, h, (unsigned int)flags);
	} else if (zc) {
		int bi = ur_buf_index(p, bufs[0].data, bufs[0].len);

		if (bi >= 0)
			io_uring_prep_send_zc_fixed(sqe, p->sfd, bufs[0].data, bufs[0].len, flags,
						    0, (unsigned int)bi);
		else
			io_uring_prep_send_zc(sqe, p->sfd, bufs[0].data, bufs[0].len, flags, 0);
	} else {
		io_uring_prep_send(sqe, p->sfd, bufs[0].data, bufs[0].len, flags);
	}
	if (zc)
		sqe->ioprio |= IORING_SEND_ZC_REPORT_USAGE;
	sqe->flags |= (uint8_t)p->sqflags;
	io_uring_sqe_set_data64(sqe, UD(UD_TX, m));
	p->txk[m] = k;
}

/*
 * Every SQE of the burst completed, and every zero-copy notification in:
 * the engine reuses the buffers on return. Without SQPOLL one enter submits
 * and waits; with it the CQ is peeked for up to UR_SQ_SPIN_NS before an
 * enter waits. A notification later than UR_WAIT_NS is left outstanding.
 */
static int ur_tx_wait(struct dp_ctx *ctx, struct ur_priv *p, unsigned int nm)
{
	struct __kernel_timespec ts = { 0, UR_WAIT_NS };
	uint64_t spin = UR_SQ_SPIN_NS * ctx->cfg->tsc_hz / 1000000000ull, t0 = tsc_now();
	struct io_uring_cqe *cqe;
	int ret;

	if (p->sqpoll) {
		ret = ur_submit(ctx, p, &ctx->st->tx_syscalls);
	} else {
		ctx->st->tx_syscalls++;
		ret = DP_SYSCALL(ctx, SYS_io_uring_enter, io_uring_submit_and_wait(&p->ring, nm));
	}
	for (;;) {
		ur_reap(p, &ctx->st->tx_syscalls, &ctx->st->rx_syscalls);
		if (!p->tx_left && !p->zc_pending && !io_uring_sq_ready(&p->ring))
			break;
		/* EBUSY/EAGAIN (CQ backed up, just reaped) and EINTR: enter again. */
		if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN && ret != -ETIME)
			return ret;
		if (!p->tx_left && ret == -ETIME)
			break; /* only late notifications: counted as outstanding */
		if (p->sqpoll && tsc_now() - t0 < spin) {
			if (io_uring_sq_ready(&p->ring))
				ret = ur_submit(ctx, p, &ctx->st->tx_syscalls);
			continue;
		}
		ctx->st->tx_syscalls++;
		ret = DP_SYSCALL(ctx, SYS_io_uring_enter,
				 io_uring_submit_and_wait_timeout(&p->ring, &cqe, 1, &ts, NULL));
	}
	return 0;
}

static int ur_tx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct ur_priv *p = ctx->priv;
	int flags = p->blocking ? 0 : MSG_DONTWAIT;
	int per = p->feat.segment > 1 ? (int)p->feat.segment : 1;
	int i, m, sent = 0, failed = 0, hard = 0, ret;

	if (n > DP_MAX_BURST)
		n = DP_MAX_BURST;
	ur_tx_reg(ctx, p, bufs, n);
	for (i = 0, m = 0; i < n; i += per, m++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);

		/* The SQ holds a burst (UR_MIN_ENTRIES), this is only a guard. */
		if (!sqe)
			break;
		ur_prep_tx(p, sqe, bufs + i, n - i < per ? n - i : per, m, flags);
	}
	if (!m)
		return 0;
	n = i < n ? i : n;
	p->tx_left = (unsigned int)m;
	ret = ur_tx_wait(ctx, p, (unsigned int)m);
	if (ret < 0)
		return ret;
	/*
	 * The engine retries bufs[sent..n): move the packets that did not go there,
	 * keeping both groups in order.
	 */
	for (int j = 0, b = 0; j < m; b += p->txk[j], j++) {
		int res = p->tx_res[j];

		if (res >= 0) {
			if (p->txk[j] > 1) {
				ctx->st->tx_gso_sends++;
				ctx->st->tx_gso_segs += (uint64_t)p->txk[j];
			}
			for (int k = 0; k < p->txk[j]; k++)
				bufs[sent++] = bufs[b + k];
			continue;
		}
		if (!ur_transient(res) && !hard)
			hard = res;
		for (int k = 0; k < p->txk[j]; k++)
			p->tx_failed[failed++] = bufs[b + k];
	}
	if (failed)
		memcpy(&bufs[sent], p->tx_failed, (size_t)failed * sizeof(bufs[0]));
	if (!sent && hard)
		return hard;
	return sent;
}

/* udp_gro: the datagrams of the buffer being handed out, the next
 * completed buffer when it is done; only a buffer's last datagram carries
 * its slot, so release re-arms it once. */
static int ur_gro_take(struct dp_ctx *ctx, struct ur_priv *p, struct pkt_buf *bufs, int got,
		       int max)
{
	uint8_t *base;

	if (p->gcur.off >= p->gcur.len) {
		struct ur_done d = p->done[p->done_head++ & (UR_MAX_ENTRIES - 1)];
		uint32_t seg = dp_gro_seg(&p->gromsg[d.id]), len = (uint32_t)d.len;

		p->gcur.slot = d.id;
		p->gcur.len = len;
		p->gcur.off = 0;
		p->gcur.seg = seg && seg < len ? seg : len;
		if (seg && seg < len) {
			ctx->st->rx_gro_bufs++;
			ctx->st->rx_gro_segs += (len + seg - 1) / seg;
		}
		if (!len) { /* an empty datagram: still one buffer to release */
			bufs[got] = (struct pkt_buf){ p->grobuf + (size_t)d.id * DP_GRO_BUF, 0, d.id };
			return got + 1;
		}
	}
	base = p->grobuf + (size_t)p->gcur.slot * DP_GRO_BUF;
	while (got < max && p->gcur.off < p->gcur.len) {
		uint32_t n = p->gcur.len - p->gcur.off < p->gcur.seg ? p->gcur.len - p->gcur.off
								       : p->gcur.seg;

		bufs[got].data = base + p->gcur.off;
		bufs[got].len = n;
		p->gcur.off += n;
		bufs[got].priv = p->gcur.off >= p->gcur.len ? p->gcur.slot : UR_NOREL;
		got++;
	}
	return got;
}

static int ur_rx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct ur_priv *p = ctx->priv;
	int got = 0, ret = 0;

	if (max <= 0)
		return 0;
	ur_arm_rx(p, (unsigned int)max);
	ur_reap(p, &ctx->st->rx_syscalls, &ctx->st->rx_syscalls);
	if (p->done_head == p->done_tail && p->blocking && !p->rx_err) {
		struct __kernel_timespec ts = { 0, UR_WAIT_NS };
		struct io_uring_cqe *cqe;

		/* Nothing there: submit the re-armed RECVs and wait, one enter. */
		ctx->st->rx_syscalls++;
		ret = DP_SYSCALL(ctx, SYS_io_uring_enter,
				 io_uring_submit_and_wait_timeout(&p->ring, &cqe, 1, &ts, NULL));
		if (ret == -ETIME)
			ret = 0;
	} else if (p->defer && p->done_head == p->done_tail && !p->rx_err) {
		/* Deferred task_work runs only here: submit and reap, one enter. */
		ctx->st->rx_syscalls++;
		ret = DP_SYSCALL(ctx, SYS_io_uring_enter, io_uring_submit_and_get_events(&p->ring));
	} else if (io_uring_sq_ready(&p->ring)) {
		/* Enter only to submit: an idle non-blocking poll is a CQ peek. */
		ret = ur_submit(ctx, p, &ctx->st->rx_syscalls);
	}
	if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
		return ret;
	/* A RECV finds data already queued on the socket inline, in the enter. */
	ur_reap(p, &ctx->st->rx_syscalls, &ctx->st->rx_syscalls);
	while (p->feat.gro && got < max &&
	       (p->gcur.off < p->gcur.len || p->done_head != p->done_tail))
		got = ur_gro_take(ctx, p, bufs, got, max);
	while (got < max && p->done_head != p->done_tail) {
		struct ur_done d = p->done[p->done_head++ & (UR_MAX_ENTRIES - 1)];

		bufs[got].data = p->multishot ? ms_buf(p, d.id) : p->slot_buf[d.id];
		bufs[got].len = (uint32_t)d.len;
		bufs[got].priv = d.id;
		got++;
	}
	if (!got && p->rx_err) {
		int err = p->rx_err;

		p->rx_err = 0;
		return err;
	}
	return got;
}

static void ur_release(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct ur_priv *p = ctx->priv;

	if (p->multishot) {
		/* Back into the provided-buffer ring: no system call. */
		for (int i = 0; i < n; i++)
			ms_recycle(p, (unsigned int)bufs[i].priv, i);
		io_uring_buf_ring_advance(p->br, n);
		return;
	}
	/* Re-armed (and submitted in one enter) by the next rx_burst. */
	for (int i = 0; i < n; i++)
		if (bufs[i].priv != UR_NOREL)
			p->free_slot[p->nfree++] = (uint16_t)bufs[i].priv;
}

static int ur_kstats(struct dp_ctx *ctx, struct ep_kstats *ks)
{
	struct ur_priv *p = ctx->priv;

	if (p->ring_up)
		ks->ring_drops = IO_URING_READ_ONCE(*p->ring.cq.koverflow);
	dp_feat_kstats(ctx, p->fd, ks);
	return dp_sock_drops(p->fd, &ks->sock_drops);
}

/* Combinations the kernel or this datapath cannot run as asked. */
static const char *const *ur_check(const struct dp_case *dc, char *msg, size_t len)
{
	static const char *const ms_block[] = { "uring_rx", "blocking", NULL };
	static const char *const ms_gro[] = { "uring_rx", "udp_gro", NULL };
	static const char *const sq_defer[] = { "uring_sqpoll", "uring_taskrun", NULL };
	int ms = dc->opt[UR_OPT_RX] == URING_RX_MULTISHOT;

	/* Multishot receive completes on its own; there is no call to block in. */
	if (ms && dc->blocking) {
		snprintf(msg, len,
			 "multishot receive is completion-driven; blocking=yes has no meaning "
			 "(allowed: uring_rx=single with blocking=yes)");
		return ms_block;
	}
	/* A provided buffer holds one datagram; a GRO receive needs 64 KiB. */
	if (ms && dc->opt[UR_OPT_FEAT + DP_FEAT_GRO]) {
		snprintf(msg, len,
			 "multishot receive picks %u-byte provided buffers, too small for a GRO "
			 "receive of up to 64 KiB (allowed: uring_rx=single with udp_gro=yes)",
			 UR_BUF);
		return ms_gro;
	}
	/* DEFER_TASKRUN needs the submitting task to reap; SQPOLL submits for it. */
	if (dc->opt[UR_OPT_SQPOLL] && dc->opt[UR_OPT_TASKRUN] == URING_TASKRUN_DEFER) {
		snprintf(msg, len,
			 "the kernel refuses SQPOLL with DEFER_TASKRUN (allowed: uring_sqpoll=yes "
			 "with uring_taskrun=default|coop)");
		return sq_defer;
	}
	return dp_sock_check_at(dc, UR_OPT_FEAT, msg, len);
}

static unsigned int ur_needs(const struct dp_case *dc)
{
	return dp_sock_needs_at(dc, UR_OPT_FEAT);
}

/* The SQ and CQ are sized from ring_frames. */
static int ur_ring(const int64_t *opt)
{
	return 1;
}

static const char *const ur_rx_words[] = { "single", "multishot", NULL };
static const char *const ur_taskrun_words[] = { "default", "coop", "defer", NULL };
static const char *const ur_sqcpu_words[] = { "peer", "self", NULL };

/* Indexes match enum ur_opt. */
static const struct dp_opt ur_opts[] = {
	{ "uring_rx", DP_OPT_ENUM, ur_rx_words, .allowed = "single|multishot", .def = "single",
	  .help = "one receive per submission or multishot receive" },
	{ "uring_taskrun", DP_OPT_ENUM, ur_taskrun_words, .allowed = "default|coop|defer",
	  .def = "default",
	  .help = "who runs completion task_work: default = an IPI interrupts the endpoint; "
		  "coop = no IPI, run when the endpoint enters the kernel "
		  "(COOP_TASKRUN|TASKRUN_FLAG); defer = only when the endpoint enters to reap "
		  "(SINGLE_ISSUER|DEFER_TASKRUN)" },
	DP_SOCK_FEAT_OPTS,
	{ "uring_fixed", DP_OPT_BOOL, .allowed = DP_BOOL_WORDS, .def = "no",
	  .help = "the socket as a registered file (IOSQE_FIXED_FILE) and registered buffers for "
		  "zero-copy sends (SEND_ZC with IORING_RECVSEND_FIXED_BUF)",
	  .feature = 1 },
	{ "uring_sqpoll", DP_OPT_BOOL, .allowed = DP_BOOL_WORDS, .def = "no",
	  .help = "a kernel SQ poll thread submits (SQPOLL|SQ_AFF): no enter while it runs; its "
		  "CPU time is the group `io_uring kernel thread`",
	  .feature = 1 },
	{ "uring_sqpoll_cpu", DP_OPT_ENUM, ur_sqcpu_words, .allowed = "peer|self", .def = "peer",
	  .help = "the SQ poll thread's CPU: the other endpoint's (cpu_b for the sender) or the "
		  "endpoint's own" },
	{ NULL },
};

const struct dp_ops dp_uring_ops = {
	.name = "uring",
	.desc = "UDP socket through io_uring: SEND sqe per packet, one enter per burst; "
		"RECV single or multishot with a provided-buffer ring; completion task_work "
		"by IPI, coop or defer",
	.caps = DP_CAP_BATCH | DP_CAP_SYSCALLS,
	.opts = ur_opts,
	.check = ur_check,
	.ring = ur_ring,
	.priv_size = sizeof(struct ur_priv),
	.probe = ur_probe,
	.open = ur_open,
	.close = ur_close,
	.tx_burst = ur_tx_burst,
	.rx_burst = ur_rx_burst,
	.release = ur_release,
	.kstats = ur_kstats,
	.kgroups = dp_sock_kgroups,
	.features = ur_features,
	.case_needs = ur_needs,
};
