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

/* cfg->opt[]: ur_opts[] in this order. */
enum ur_opt { UR_OPT_RX = 0, UR_OPT_TASKRUN };

/* user_data: kind in the upper half, index (burst slot / buffer) in the lower. */
enum { UD_TX = 1, UD_RX = 2, UD_MS = 3 };
#define UD(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

struct ur_done {
	uint32_t id; /* RX slot (single) or buffer id (multishot) */
	int32_t len;
};

struct ur_priv {
	struct io_uring ring;
	int fd;
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
		io_uring_prep_recv_multishot(sqe, p->fd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
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
		io_uring_prep_recv(sqe, p->fd, p->slot_buf[slot], UR_BUF, 0);
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
	/*
	 * The setup doubles as the probe for the task_work flags: a kernel that
	 * does not know them refuses the ring (EINVAL), and the case reports
	 * that instead of quietly measuring the default mode.
	 */
	err = io_uring_queue_init_params(entries, &p->ring, &par);
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

static int ur_rx_open(struct dp_ctx *ctx, char *info, size_t len)
{
	struct ur_priv *p = ctx->priv;
	int err;

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

static int ur_open(struct dp_ctx *ctx)
{
	const struct ep_config *cfg = ctx->cfg;
	struct ur_priv *p = ctx->priv;
	struct sockaddr_in peer;
	unsigned int tr = (unsigned int)cfg->opt[UR_OPT_TASKRUN];
	char rxinfo[40];
	int err;

	p->fd = -1;
	p->blocking = !!cfg->blocking;
	p->multishot = cfg->opt[UR_OPT_RX] == URING_RX_MULTISHOT;
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
	/* Connected: SEND/RECV SQEs need no address. */
	if (connect(p->fd, (struct sockaddr *)&peer, sizeof(peer))) {
		err = -errno;
		ur_err(ctx, "connect UDP socket: %s", strerror(-err));
		goto close_fd;
	}
	err = ur_ring_init(ctx, tr);
	if (err)
		goto close_fd;
	err = ur_rx_open(ctx, rxinfo, sizeof(rxinfo));
	if (err)
		goto exit_ring;
	snprintf(ctx->shm->dp_info, sizeof(ctx->shm->dp_info),
		 "send=SEND sqe/pkt, 1 enter/burst; recv=%s; sq=%u cq=%u%s; taskrun=%s", rxinfo,
		 p->entries, p->ring.cq.ring_entries, p->blocking ? " blocking" : "",
		 ur_taskrun[tr].info);
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
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static int ur_tx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct ur_priv *p = ctx->priv;
	int flags = p->blocking ? 0 : MSG_DONTWAIT;
	int i, sent = 0, failed = 0, hard = 0, ret;

	if (n > DP_MAX_BURST)
		n = DP_MAX_BURST;
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);

		/* The SQ holds a burst (UR_MIN_ENTRIES), this is only a guard. */
		if (!sqe)
			break;
		io_uring_prep_send(sqe, p->fd, bufs[i].data, bufs[i].len, flags);
		io_uring_sqe_set_data64(sqe, UD(UD_TX, i));
	}
	n = i;
	if (!n)
		return 0;
	p->tx_left = (unsigned int)n;
	/*
	 * Submit and wait for the whole burst in one enter. The wait counts any CQE,
	 * so queued RX completions can end it early: then wait again for the rest.
	 */
	ctx->st->tx_syscalls++;
	ret = DP_SYSCALL(ctx, SYS_io_uring_enter,
			 io_uring_submit_and_wait(&p->ring, (unsigned int)n));
	for (;;) {
		ur_reap(p, &ctx->st->tx_syscalls, &ctx->st->rx_syscalls);
		if (!p->tx_left && !io_uring_sq_ready(&p->ring))
			break;
		/* EBUSY/EAGAIN (CQ backed up, just reaped) and EINTR: enter again. */
		if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
			return ret;
		ctx->st->tx_syscalls++;
		ret = DP_SYSCALL(ctx, SYS_io_uring_enter, io_uring_submit_and_wait(&p->ring, 1));
	}
	/*
	 * The engine retries bufs[sent..n): move the packets that did not go there,
	 * keeping both groups in order.
	 */
	for (i = 0; i < n; i++) {
		int res = p->tx_res[i];

		if (res >= 0) {
			bufs[sent++] = bufs[i];
			continue;
		}
		if (!ur_transient(res) && !hard)
			hard = res;
		p->tx_failed[failed++] = bufs[i];
	}
	if (failed)
		memcpy(&bufs[sent], p->tx_failed, (size_t)failed * sizeof(bufs[0]));
	if (!sent && hard)
		return hard;
	return sent;
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
		ctx->st->rx_syscalls++;
		ret = DP_SYSCALL(ctx, SYS_io_uring_enter, io_uring_submit(&p->ring));
	}
	if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
		return ret;
	/* A RECV finds data already queued on the socket inline, in the enter. */
	ur_reap(p, &ctx->st->rx_syscalls, &ctx->st->rx_syscalls);
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
		p->free_slot[p->nfree++] = (uint16_t)bufs[i].priv;
}

static int ur_kstats(struct dp_ctx *ctx, struct ep_kstats *ks)
{
	struct ur_priv *p = ctx->priv;

	if (p->ring_up)
		ks->ring_drops = IO_URING_READ_ONCE(*p->ring.cq.koverflow);
	return dp_sock_drops(p->fd, &ks->sock_drops);
}

/* Multishot receive completes on its own; there is no call to block in. */
static const char *const *ur_check(const struct dp_case *dc, char *msg, size_t len)
{
	static const char *const keys[] = { "uring_rx", "blocking", NULL };

	if (dc->opt[UR_OPT_RX] != URING_RX_MULTISHOT || !dc->blocking)
		return NULL;
	snprintf(msg, len, "multishot receive is completion-driven; blocking=yes has no meaning "
			   "(allowed: uring_rx=single with blocking=yes)");
	return keys;
}

/* The SQ and CQ are sized from ring_frames. */
static int ur_ring(const int64_t *opt)
{
	return 1;
}

static const char *const ur_rx_words[] = { "single", "multishot", NULL };
static const char *const ur_taskrun_words[] = { "default", "coop", "defer", NULL };

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
};
