// SPDX-License-Identifier: BSD-3-Clause
/*
 * The workload engine, written once for every datapath: pacing, packet
 * build, sequence numbers, timestamps, loss/reorder/duplicate accounting and
 * the RTT histogram. Datapaths only move buffers (dp.h).
 *
 * Counters go straight into the shared page (single writer); the harness
 * snapshots them at window open and close. Nothing here prints, allocates or
 * makes a system call of its own on the hot path.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <sys/sdt.h>
#include <sys/syscall.h>

#include "engine.h"
#include "frame.h"
#include "pace.h"
#include "tsc.h"

/* Ping-pong in-flight table (closed loop): slot = seq % INFLIGHT_SLOTS. */
#define INFLIGHT_SLOTS 512u

struct engine {
	const struct dp_ops *ops;
	struct dp_ctx *ctx;
	const struct ep_config *cfg;
	struct ep_stats *st;
	struct histo *rtt;
	volatile uint32_t *cmd;
	int l2;
	unsigned int burst;
	uint32_t wire_len;    /* bytes a buffer carries: frame w/o FCS, or UDP payload */
	uint32_t hdr_off;     /* offset of struct bl_hdr in a buffer */
	uint32_t frame_bytes; /* RFC 2544 bytes counted per packet */
	uint64_t deadline;    /* safety stop (TSC) */
	uint64_t timeout_tsc;
	uint64_t stamp_base; /* L2: frame_stamp_base of the template */
	uint64_t seq;
	uint64_t loop_last;   /* TSC at the previous loop mark */
	uint64_t inject_tsc;  /* injected user spin per packet, TSC cycles */
	struct frame_expect expect; /* what a frame to this endpoint looks like */
	uint8_t tmpl[FRAME_MAX];                       /* template buffer */
	uint8_t own[DP_MAX_BURST][FRAME_MAX] __attribute__((aligned(64)));
	struct seq_track track;
	struct {
		uint64_t seq;
		uint64_t tsc;
		int live;
	} inflight[INFLIGHT_SLOTS];
};

static struct engine eng_storage;

_Static_assert(EP_NFOREIGN == FRAME_NBAD, "ep_stats.rx_foreign_by holds every frame_bad");

void seq_track_init(struct seq_track *t)
{
	memset(t, 0, sizeof(*t));
}

static inline void seq_bit_set(struct seq_track *t, uint64_t s)
{
	uint64_t i = s % SEQ_WINDOW;

	t->bits[i / 64] |= 1ull << (i % 64);
}

static inline int seq_bit_test(const struct seq_track *t, uint64_t s)
{
	uint64_t i = s % SEQ_WINDOW;

	return !!(t->bits[i / 64] & (1ull << (i % 64)));
}

static inline void seq_bit_clear(struct seq_track *t, uint64_t s)
{
	uint64_t i = s % SEQ_WINDOW;

	t->bits[i / 64] &= ~(1ull << (i % 64));
}

/*
 * Wrap-safe: positions are compared as differences modulo 2^64, so a head
 * that passes 2^64 - 1 goes on at 0. A sequence more than SEQ_JUMP_MAX ahead
 * of the head, or behind it by more than the head has ever advanced (a
 * number before the first), cannot have come from the sender: it is
 * SEQ_IMPLAUSIBLE and leaves the tracker as it was.
 */
int seq_track_add(struct seq_track *t, uint64_t seq)
{
	uint64_t d = seq - t->next, back;
	int v;

	if (d < SEQ_JUMP_MAX) {
		v = d == 0 ? SEQ_IN_ORDER : SEQ_GAP;
		/* Vacate the slots between the old and the new head. */
		if (d >= SEQ_WINDOW) {
			memset(t->bits, 0, sizeof(t->bits));
		} else {
			for (uint64_t s = t->next; s != seq; s++)
				seq_bit_clear(t, s);
		}
		seq_bit_clear(t, seq);
		seq_bit_set(t, seq);
		t->next = seq + 1;
		t->span += d + 1; /* < 2^64 for centuries of packets */
		return v;
	}
	back = t->next - seq;
	if (back > t->span || back > SEQ_JUMP_MAX)
		return SEQ_IMPLAUSIBLE;
	if (back > SEQ_WINDOW)
		return SEQ_TOO_OLD;
	if (seq_bit_test(t, seq))
		return SEQ_DUP;
	seq_bit_set(t, seq);
	return SEQ_REORDER;
}

/* Every iteration of a role loop passes here: the loop's TSC span. */
static inline int should_stop(struct engine *e, uint64_t now)
{
	e->st->cyc_loop += now - e->loop_last;
	e->loop_last = now;
	return *e->cmd >= EP_CMD_STOP || now >= e->deadline;
}

/* Known costs per packet handled (calibration knobs, off by default): a
 * user-code spin and one getppid() timed like the datapath's calls. */
static void inject(struct engine *e, int n)
{
	if (n <= 0)
		return;
	if (e->inject_tsc) {
		uint64_t t0 = tsc_now(), until = t0 + e->inject_tsc * (uint64_t)n, t;

		while ((t = tsc_now()) < until)
			;
		e->st->cyc_inject += t - t0;
	}
	for (int i = 0; e->cfg->inject_syscall && i < n; i++)
		DP_SYSCALL(e->ctx, SYS_getppid, syscall(SYS_getppid));
}

/* Read every payload byte: what an application that looks at its data pays. */
static inline uint64_t touch_read(const uint8_t *p, uint32_t len)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < len; i++)
		s += p[i];
	return s;
}

static void prep_buf(struct engine *e, struct pkt_buf *b)
{
	memcpy(b->data, e->tmpl, e->wire_len);
	b->len = e->wire_len;
}

/* Stamp seq/tsc into a buffer that holds the template (fresh: copied from
 * it just now) or the frame it carried last time (the sender's own
 * buffers, prepared once). */
static inline void stamp(struct engine *e, struct pkt_buf *b, uint64_t seq, uint64_t tsc,
			 int fresh)
{
	uint8_t *p = b->data;

	if (e->cfg->touch) {
		/* Write every payload byte past the test header. */
		uint32_t off = e->hdr_off + (uint32_t)sizeof(struct bl_hdr);

		for (uint32_t i = off; i < e->wire_len; i++)
			p[i] = (uint8_t)(i + seq);
		if (e->l2) {
			/* Full UDP checksum: the payload changed. */
			uint16_t zero = 0, c;
			uint8_t *udp = p + FRAME_ETH_HLEN + FRAME_IP_HLEN;
			uint32_t sip, dip;
			struct bl_hdr *h = (struct bl_hdr *)(p + e->hdr_off);

			memcpy(&h->seq, &seq, sizeof(seq));
			memcpy(h->tsc, &tsc, BL_TSC_BYTES);
			memcpy(udp + 6, &zero, 2);
			memcpy(&sip, p + FRAME_ETH_HLEN + 12, 4);
			memcpy(&dip, p + FRAME_ETH_HLEN + 16, 4);
			c = udp_csum(sip, dip, udp, e->wire_len - FRAME_ETH_HLEN - FRAME_IP_HLEN);
			memcpy(udp + 6, &c, 2);
			return;
		}
	}
	if (e->l2 && fresh) {
		frame_stamp_tmpl(p, e->stamp_base, seq, tsc);
	} else if (e->l2) {
		frame_stamp(p, seq, tsc);
	} else {
		struct bl_hdr *h = (struct bl_hdr *)p;

		memcpy(&h->seq, &seq, sizeof(seq));
		memcpy(h->tsc, &tsc, BL_TSC_BYTES);
	}
}

/* Get n buffers to fill: ring slots from the datapath, or the engine's own. */
static inline int get_tx_bufs(struct engine *e, struct pkt_buf *bufs, int n)
{
	if (e->ops->alloc_tx) {
		int got = e->ops->alloc_tx(e->ctx, bufs, n);

		for (int i = 0; i < got; i++)
			prep_buf(e, &bufs[i]);
		return got;
	}
	return n;
}

/* A frame that is not the workload's, and why (enum frame_bad). */
static inline void rx_foreign(struct engine *e, int why)
{
	e->st->rx_foreign++;
	e->st->rx_foreign_by[why]++;
}

/* Check a received buffer; returns the test header, or NULL if it is not
 * the workload's (counted by reason). L2: frame_check (addresses, ports,
 * lengths, checksums with verify); sockets: the kernel has checked the
 * rest, the length is ours to check. Then the case's token. */
static inline const struct bl_hdr *rx_hdr(struct engine *e, const struct pkt_buf *b,
					  uint32_t *plen)
{
	const uint8_t *payload = b->data;
	const struct bl_hdr *h;
	uint32_t token;
	int why;

	if (e->l2)
		why = frame_check(b->data, b->len, e->cfg->verify, &e->expect,
				  (const void **)&payload);
	else
		why = b->len == e->expect.payload_len ? FRAME_OK : FRAME_BAD_LEN;
	if (why == FRAME_OK) {
		h = (const struct bl_hdr *)payload;
		memcpy(&token, &h->token, sizeof(token));
		if (token == e->cfg->token) {
			*plen = e->expect.payload_len;
			return h;
		}
		why = FRAME_BAD_TOKEN;
	}
	rx_foreign(e, why);
	return NULL;
}

/* Transmit all n buffers, retrying the rest while the datapath is full.
 * Returns the number sent (fewer only when told to stop) or -errno. */
static int tx_all(struct engine *e, struct pkt_buf *bufs, int n)
{
	int done = 0;

	while (done < n) {
		uint64_t t0 = tsc_now();
		int r = e->ops->tx_burst(e->ctx, bufs + done, n - done);
		uint64_t t1 = tsc_now();

		/* USDT bypasslab:tx_burst(packets or -errno, TSC cycles, role) */
		DTRACE_PROBE3(bypasslab, tx_burst, r, t1 - t0, e->cfg->role);

		e->st->cyc_tx += t1 - t0;
		if (r < 0) {
			e->st->tx_errors++;
			return r;
		}
		if (r == 0) {
			e->st->tx_busy++;
			if (should_stop(e, t1))
				break;
			continue;
		}
		e->st->tx_bursts++;
		done += r;
	}
	e->st->tx_pkts += (uint64_t)done;
	e->st->tx_bytes += (uint64_t)done * e->frame_bytes;
	return done;
}

static inline int rx_poll(struct engine *e, struct pkt_buf *bufs, int max)
{
	uint64_t t0 = tsc_now();
	int r = e->ops->rx_burst(e->ctx, bufs, max);
	uint64_t t1 = tsc_now();

	/* USDT bypasslab:rx_burst(packets or -errno, TSC cycles, role) */
	DTRACE_PROBE3(bypasslab, rx_burst, r, t1 - t0, e->cfg->role);

	if (r > 0) {
		e->st->cyc_rx += t1 - t0;
		e->st->rx_bursts++;
	} else {
		e->st->cyc_idle += t1 - t0;
		if (r == 0)
			e->st->rx_empty++;
		else
			e->st->rx_errors++;
	}
	return r;
}

static inline void rx_done(struct engine *e, struct pkt_buf *bufs, int n)
{
	if (e->ops->release && n > 0)
		e->ops->release(e->ctx, bufs, n);
}

static int role_send(struct engine *e)
{
	struct pkt_buf bufs[DP_MAX_BURST];
	struct pace pace;
	uint64_t now = tsc_now();
	int err = 0;

	for (unsigned int i = 0; i < e->burst; i++) {
		bufs[i].data = e->own[i];
		prep_buf(e, &bufs[i]);
	}
	pace_init(&pace, now, e->cfg->tsc_hz, e->cfg->rate_pps, e->burst);
	for (;;) {
		int n, sent;

		now = tsc_now();
		if (should_stop(e, now))
			break;
		if (!pace_ready(&pace, now)) {
			cpu_relax();
			continue;
		}
		if (!e->ops->alloc_tx) {
			for (unsigned int i = 0; i < e->burst; i++)
				bufs[i].data = e->own[i], bufs[i].len = e->wire_len;
		}
		n = get_tx_bufs(e, bufs, (int)e->burst);
		if (n <= 0) {
			e->st->tx_busy++;
			continue;
		}
		now = tsc_now();
		for (int i = 0; i < n; i++)
			stamp(e, &bufs[i], e->seq + (uint64_t)i, now, !!e->ops->alloc_tx);
		if (pace_advance(&pace, now))
			e->st->pace_late++;
		sent = tx_all(e, bufs, n);
		if (sent < 0) {
			err = sent;
			break;
		}
		e->seq += (uint64_t)sent;
		inject(e, sent);
		e->st->loops++;
	}
	return err;
}

/* One received test packet's sequence; the counts are added per burst
 * (account_burst): the shared page is written once a burst, not per packet.
 * 0 if the sequence is one the sender cannot have sent (foreign). */
static inline int account_rx(struct engine *e, uint64_t seq)
{
	switch (seq_track_add(&e->track, seq)) {
	case SEQ_IMPLAUSIBLE:
		rx_foreign(e, FRAME_BAD_SEQ);
		return 0;
	case SEQ_REORDER:
	case SEQ_TOO_OLD:
		e->st->rx_reorder++;
		break;
	case SEQ_DUP:
		e->st->rx_dup++;
		break;
	default:
		break;
	}
	return 1;
}

static inline void account_burst(struct engine *e, int ours)
{
	e->st->rx_seq_max = e->track.next;
	e->st->rx_pkts += (uint64_t)ours;
	e->st->rx_bytes += (uint64_t)ours * e->frame_bytes;
}

/* Account one received burst; returns the test packets in it. */
static int recv_burst(struct engine *e, struct pkt_buf *bufs, int n, uint64_t *sink)
{
	int ours = 0;

	for (int i = 0; i < n; i++) {
		uint32_t plen;
		const struct bl_hdr *h = rx_hdr(e, &bufs[i], &plen);
		uint64_t seq;

		if (!h)
			continue;
		memcpy(&seq, &h->seq, sizeof(seq));
		if (!account_rx(e, seq))
			continue;
		if (e->cfg->touch)
			*sink += touch_read((const uint8_t *)h, plen);
		ours++;
	}
	account_burst(e, ours);
	rx_done(e, bufs, n);
	return ours;
}

/*
 * After stop, what is still queued for the receiver (a socket, a ring
 * block not yet handed over) is read and counted (rx_drained), not lost
 * with the socket: a receiver that was preempted may stop behind its
 * queue. Until 10 ms with nothing and at least 8 empty polls, at most
 * 200 ms. Blocking receivers would wait in the call: not drained.
 */
static void recv_drain(struct engine *e, struct pkt_buf *bufs, uint64_t *sink)
{
	uint64_t hz = e->cfg->tsc_hz, start = tsc_now(), last = start;
	uint64_t quiet = ns_to_tsc(10000000ull, hz), limit = ns_to_tsc(200000000ull, hz);
	int empty = 0;

	if (e->cfg->blocking)
		return;
	for (;;) {
		uint64_t now = tsc_now();
		int n;

		if (now - start > limit || (empty >= 8 && now - last > quiet) || now >= e->deadline)
			break;
		n = rx_poll(e, bufs, (int)e->burst);
		if (n <= 0) {
			empty++;
			continue;
		}
		empty = 0;
		last = tsc_now();
		e->st->rx_drained += (uint64_t)recv_burst(e, bufs, n, sink);
	}
}

static int role_recv(struct engine *e)
{
	struct pkt_buf bufs[DP_MAX_BURST];
	uint64_t sink = 0;
	int max = (int)e->burst;

	seq_track_init(&e->track);
	for (;;) {
		uint64_t now = tsc_now();
		int n;

		if (should_stop(e, now))
			break;
		n = rx_poll(e, bufs, max);
		if (n <= 0)
			continue;
		recv_burst(e, bufs, n, &sink);
		inject(e, n);
		e->st->loops++;
	}
	recv_drain(e, bufs, &sink);
	e->st->cyc_work += sink & 1; /* keep the touch loop alive */
	return 0;
}

/* Echo every valid request back to the client. */
static int role_server(struct engine *e)
{
	struct pkt_buf rx[DP_MAX_BURST], tx[DP_MAX_BURST];
	int max = (int)e->burst;

	for (;;) {
		uint64_t now = tsc_now();
		int n, m = 0, ours = 0, got, sent;

		if (should_stop(e, now))
			break;
		n = rx_poll(e, rx, max);
		if (n <= 0)
			continue;
		if (e->ops->alloc_tx) {
			got = e->ops->alloc_tx(e->ctx, tx, n);
			if (got < 0)
				got = 0;
		} else {
			got = n;
			for (int i = 0; i < n; i++)
				tx[i].data = e->own[i];
		}
		for (int i = 0; i < n; i++) {
			uint32_t plen;
			const struct bl_hdr *h = rx_hdr(e, &rx[i], &plen);
			uint64_t seq;

			if (!h)
				continue;
			memcpy(&seq, &h->seq, sizeof(seq));
			if (!account_rx(e, seq))
				continue;
			ours++;
			if (m >= got) {
				e->st->tx_busy++;
				continue;
			}
			/* The reply carries the request's bytes, addresses swapped. */
			memcpy(tx[m].data, rx[i].data, rx[i].len);
			tx[m].len = rx[i].len;
			if (e->l2)
				frame_swap(tx[m].data);
			m++;
		}
		account_burst(e, ours);
		rx_done(e, rx, n);
		inject(e, n);
		if (m > 0) {
			sent = tx_all(e, tx, m);
			if (sent < 0)
				return sent;
		}
		e->st->loops++;
	}
	return 0;
}

static inline void client_reply(struct engine *e, const struct bl_hdr *h, uint64_t now,
				int closed)
{
	uint64_t seq, tsc = 0, rtt;

	memcpy(&seq, &h->seq, sizeof(seq));
	memcpy(&tsc, h->tsc, BL_TSC_BYTES);
	rtt = (now - tsc) & BL_TSC_MASK; /* the header carries 48 bits of TSC */
	if (closed) {
		unsigned int slot = (unsigned int)(seq % INFLIGHT_SLOTS);

		if (!e->inflight[slot].live || e->inflight[slot].seq != seq) {
			e->st->rx_late++;
			return;
		}
		e->inflight[slot].live = 0;
	} else if (rtt > e->timeout_tsc) {
		e->st->rx_late++;
		return;
	}
	e->st->rx_pkts++;
	e->st->rx_bytes += e->frame_bytes;
	histo_record(e->rtt, tsc_to_ns(rtt, e->cfg->tsc_hz));
}

/*
 * After stop the server still answers what was in flight: collect those
 * replies so none is left unread in the socket when it closes (it would be
 * lost without a kernel counter to show for it). A closed loop waits until
 * no request is pending, an open one until nothing came for 10 ms; at
 * most 200 ms either way.
 */
static void client_drain(struct engine *e, int closed, uint64_t oldest)
{
	struct pkt_buf rx[DP_MAX_BURST];
	uint64_t hz = e->cfg->tsc_hz, start = tsc_now(), last = start;
	uint64_t quiet = ns_to_tsc(10000000ull, hz), limit = ns_to_tsc(200000000ull, hz);

	for (;;) {
		uint64_t now = tsc_now(), s;
		int n, pending = 0;

		if (closed) {
			for (s = oldest; s < e->seq && !pending; s++) {
				unsigned int slot = (unsigned int)(s % INFLIGHT_SLOTS);

				pending = e->inflight[slot].live && e->inflight[slot].seq == s;
			}
			if (!pending)
				break;
		}
		/* A closed loop knows its replies are owed: on a busy machine
		 * the server may be off its CPU for longer than `quiet`. */
		if (now - start > limit || (!closed && now - last > quiet) || now >= e->deadline)
			break;
		n = rx_poll(e, rx, (int)e->burst);
		if (n <= 0)
			continue;
		now = tsc_now();
		last = now;
		for (int i = 0; i < n; i++) {
			uint32_t plen;
			const struct bl_hdr *h = rx_hdr(e, &rx[i], &plen);

			if (!h)
				continue;
			e->st->rx_drained++;
			client_reply(e, h, now, closed);
		}
		rx_done(e, rx, n);
	}
}

/*
 * Client. rate = max: closed loop with `outstanding` requests in flight (1 =
 * classic ping-pong); a request unanswered after timeout_us is lost and
 * replaced. rate = N: open loop, requests paced at N pps regardless of
 * replies; RTT from the echoed timestamp.
 */
static int role_client(struct engine *e)
{
	struct pkt_buf tx[DP_MAX_BURST], rx[DP_MAX_BURST];
	unsigned int want = e->cfg->outstanding ? e->cfg->outstanding : 1;
	int closed = e->cfg->rate_pps == 0;
	unsigned int inflight = 0;
	uint64_t oldest = 0;
	struct pace pace;

	if (want > INFLIGHT_SLOTS / 2)
		want = INFLIGHT_SLOTS / 2;
	histo_init(e->rtt);
	pace_init(&pace, tsc_now(), e->cfg->tsc_hz, e->cfg->rate_pps, e->burst);
	for (;;) {
		uint64_t now = tsc_now();
		int n, k = 0;

		if (should_stop(e, now))
			break;
		/* Send: refill the window (closed) or follow the schedule (open). */
		if (closed && inflight < want)
			k = (int)(want - inflight);
		else if (!closed && pace_ready(&pace, now))
			k = (int)e->burst;
		if (k > (int)DP_MAX_BURST)
			k = DP_MAX_BURST;
		if (k > 0) {
			int sent;

			if (!e->ops->alloc_tx) {
				for (int i = 0; i < k; i++) {
					tx[i].data = e->own[i];
					prep_buf(e, &tx[i]);
				}
			}
			k = get_tx_bufs(e, tx, k);
			now = tsc_now();
			for (int i = 0; i < k; i++)
				stamp(e, &tx[i], e->seq + (uint64_t)i, now, 1);
			if (!closed && k > 0 && pace_advance(&pace, now))
				e->st->pace_late++;
			sent = k > 0 ? tx_all(e, tx, k) : 0;
			if (sent < 0)
				return sent;
			for (int i = 0; closed && i < sent; i++) {
				uint64_t s = e->seq + (uint64_t)i;
				unsigned int slot = (unsigned int)(s % INFLIGHT_SLOTS);

				e->inflight[slot].seq = s;
				e->inflight[slot].tsc = now;
				e->inflight[slot].live = 1;
				inflight++;
			}
			e->seq += (uint64_t)(sent > 0 ? sent : 0);
		}
		/* Closed loop: at most `want` replies can be pending, so asking for
		 * more would only add a call that finds nothing. */
		n = rx_poll(e, rx, closed ? (int)want : (int)e->burst);
		if (n > 0) {
			now = tsc_now();
			for (int i = 0; i < n; i++) {
				uint32_t plen;
				const struct bl_hdr *h = rx_hdr(e, &rx[i], &plen);

				if (!h)
					continue;
				if (e->cfg->touch)
					e->st->cyc_work += touch_read((const uint8_t *)h, plen) & 1;
				client_reply(e, h, now, closed);
			}
			rx_done(e, rx, n);
			inject(e, n);
		}
		if (closed) {
			/* Retire answered slots and time out the oldest. */
			now = tsc_now();
			while (oldest < e->seq) {
				unsigned int slot = (unsigned int)(oldest % INFLIGHT_SLOTS);

				if (e->inflight[slot].live && e->inflight[slot].seq == oldest) {
					if (now - e->inflight[slot].tsc <= e->timeout_tsc)
						break;
					e->inflight[slot].live = 0;
					e->st->timeouts++;
				}
				inflight--;
				oldest++;
			}
		}
		e->st->loops++;
	}
	client_drain(e, closed, oldest);
	return 0;
}

int engine_run(const struct dp_ops *ops, struct dp_ctx *ctx)
{
	struct engine *e = &eng_storage;
	const struct ep_config *cfg = ctx->cfg;
	struct flow f;
	int err;

	memset(e, 0, sizeof(*e));
	e->ops = ops;
	e->ctx = ctx;
	e->cfg = cfg;
	e->st = ctx->st;
	e->rtt = &ctx->shm->rtt;
	e->cmd = &ctx->shm->cmd;
	e->l2 = !!(ops->caps & DP_CAP_L2);
	e->burst = cfg->burst ? cfg->burst : 1;
	if (e->burst > DP_MAX_BURST)
		e->burst = DP_MAX_BURST;
	e->frame_bytes = cfg->frame_size;
	e->timeout_tsc = ns_to_tsc((uint64_t)cfg->timeout_us * 1000ull, cfg->tsc_hz);
	e->deadline = tsc_now() + ns_to_tsc(cfg->max_run_ms * 1000000ull, cfg->tsc_hz);
	e->inject_tsc = ns_to_tsc(cfg->inject_user_ns, cfg->tsc_hz);

	memcpy(f.src_mac, cfg->src_mac, 6);
	memcpy(f.dst_mac, cfg->dst_mac, 6);
	f.src_ip = cfg->src_ip;
	f.dst_ip = cfg->dst_ip;
	f.sport = cfg->sport;
	f.dport = cfg->dport;
	f.token = cfg->token;
	frame_expect_init(&e->expect, &f, frame_payload_len(cfg->frame_size));
	err = frame_build(e->tmpl, sizeof(e->tmpl), &f, cfg->frame_size);
	if (err < 0)
		return err;
	if (e->l2) {
		e->wire_len = (uint32_t)frame_wire_len(cfg->frame_size);
		e->hdr_off = FRAME_HDRS;
		e->stamp_base = frame_stamp_base(e->tmpl);
	} else {
		/* Socket datapaths carry only the payload; the kernel adds headers. */
		e->wire_len = (uint32_t)frame_payload_len(cfg->frame_size);
		e->hdr_off = 0;
		memmove(e->tmpl, e->tmpl + FRAME_HDRS, e->wire_len);
	}

	e->loop_last = tsc_now();
	switch (cfg->role) {
	case EP_ROLE_SEND:
		return role_send(e);
	case EP_ROLE_RECV:
		return role_recv(e);
	case EP_ROLE_CLIENT:
		return role_client(e);
	case EP_ROLE_SERVER:
		return role_server(e);
	}
	return -EINVAL;
}
