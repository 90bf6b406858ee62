// SPDX-License-Identifier: BSD-3-Clause
/*
 * result.json: every parameter, the machine, window rates, RTT statistics and
 * histogram, per-second samples, each endpoint's counters and CPU time, and
 * the packet reconciliation: every packet sent is either received or counted
 * as dropped somewhere the kernel keeps a counter ("located"); what is left is
 * "unexplained" and reported, never hidden.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "frame.h"
#include "result.h"

static const char *const role_names[] = { "send", "recv", "client", "server" };

#define STAT(f) { #f, offsetof(struct ep_stats, f) }
static const struct {
	const char *name;
	size_t off;
} stat_fields[] = {
	STAT(tx_pkts),	   STAT(tx_bytes),    STAT(tx_bursts),	 STAT(tx_busy),
	STAT(tx_syscalls), STAT(tx_errors),   STAT(rx_pkts),	 STAT(rx_bytes),
	STAT(rx_bursts),   STAT(rx_empty),    STAT(rx_syscalls), STAT(rx_errors),
	STAT(rx_foreign),  STAT(rx_reorder),  STAT(rx_dup),	 STAT(rx_late),
	STAT(timeouts),	   STAT(pace_late),   STAT(cyc_tx),	 STAT(cyc_rx),
	STAT(cyc_work),	   STAT(cyc_idle),    STAT(loops),
};

static uint64_t stat_get(const struct ep_stats *s, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

static json_t *stats_json(const struct ep_stats *a, const struct ep_stats *b)
{
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		uint64_t v = stat_get(a, stat_fields[i].off) -
			     (b ? stat_get(b, stat_fields[i].off) : 0);

		json_object_set_new(o, stat_fields[i].name, json_integer((json_int_t)v));
	}
	return o;
}

json_t *case_cfg_json(const struct case_cfg *c)
{
	static const char *const ptx[] = { "ring", "sendto" }, *const prx[] = { "ring", "recv" },
				 *const urx[] = { "single", "multishot" },
				 *const utr[] = { "default", "coop", "defer" },
				 *const xmode[] = { "native", "generic" },
				 *const xbind[] = { "copy", "zerocopy", "auto" };
	const char *taskrun = c->uring_taskrun >= 0 && c->uring_taskrun < 3 ? utr[c->uring_taskrun]
									   : "?";
	json_t *o;

	o = json_pack("{s:s, s:i, s:i, s:f, s:f, s:s, s:s, s:i, s:s, s:I, s:b, s:b, s:i, s:i,"
		      " s:s, s:i, s:i, s:s, s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:s}",
		      "name", c->name, "repeat", c->repeat, "rep", c->rep, "duration_s",
		      c->duration_s, "warmup_s", c->warmup_s, "pattern",
		      pattern_name(c->pattern), "open_loop",
		      c->pattern == PAT_PINGPONG ? (c->rate_pps ? "yes" : "no") : "n/a",
		      "size", c->size, "rate", c->rate_pps ? "paced" : "max", "rate_pps",
		      (json_int_t)c->rate_pps, "blocking", c->blocking, "touch", c->touch,
		      "timeout_us", c->timeout_us, "outstanding", c->outstanding, "topology",
		      topo_name(c->topology), "cpu_a", c->cpu_a, "cpu_b", c->cpu_b, "datapath",
		      c->datapath, "burst", c->burst, "sndbuf", c->sndbuf, "rcvbuf", c->rcvbuf,
		      "packet_tx", ptx[c->packet_tx & 1], "packet_rx", prx[c->packet_rx & 1],
		      "uring_rx", urx[c->uring_rx & 1], "uring_taskrun", taskrun, "probes",
		      probes_name(c->probes));
	json_object_set_new(o, "xdp_mode", json_string(xmode[c->xdp_mode & 1]));
	json_object_set_new(o, "xdp_bind",
			    json_string(c->xdp_bind >= 0 && c->xdp_bind < 3 ? xbind[c->xdp_bind]
									    : "?"));
	json_object_set_new(o, "busy_poll", json_boolean(c->busy_poll));
	return o;
}

json_t *histo_json(const struct histo *h)
{
	static const double ps[] = { 50, 90, 99, 99.9, 99.99 };
	static const char *const pn[] = { "p50", "p90", "p99", "p99_9", "p99_99" };
	json_t *o = json_object(), *b = json_array();

	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	if (!h->count) {
		json_decref(b);
		return o;
	}
	json_object_set_new(o, "min", json_integer((json_int_t)histo_min(h)));
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		json_object_set_new(o, pn[i],
				    json_integer((json_int_t)histo_percentile(h, ps[i])));
	json_object_set_new(o, "max", json_integer((json_int_t)histo_max(h)));
	json_object_set_new(o, "mean", json_real(histo_mean(h)));
	json_object_set_new(o, "stddev", json_real(histo_stddev(h)));
	/* Occupied buckets as [lower bound, upper bound (exclusive), count]. */
	for (unsigned int i = 0; i < HISTO_NBUCKETS; i++)
		if (h->b[i])
			json_array_append_new(b, json_pack("[I, I, I]",
							   (json_int_t)histo_bucket_lo(i),
							   (json_int_t)(histo_bucket_hi(i) > INT64_MAX
									? INT64_MAX
									: histo_bucket_hi(i)),
							   (json_int_t)h->b[i]));
	json_object_set_new(o, "histogram",
			    json_pack("{s:s, s:i, s:o}", "kind", "log-linear", "sub_bits",
				      HISTO_SUB_BITS, "buckets", b));
	return o;
}

static json_t *if_json(const struct result_if *r)
{
	const struct if_counters *a = &r->after, *b = &r->before;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_packets",
			 (json_int_t)(a->rx_packets - b->rx_packets), "rx_bytes",
			 (json_int_t)(a->rx_bytes - b->rx_bytes), "rx_dropped",
			 (json_int_t)(a->rx_dropped - b->rx_dropped), "rx_errors",
			 (json_int_t)(a->rx_errors - b->rx_errors), "tx_packets",
			 (json_int_t)(a->tx_packets - b->tx_packets), "tx_bytes",
			 (json_int_t)(a->tx_bytes - b->tx_bytes), "tx_dropped",
			 (json_int_t)(a->tx_dropped - b->tx_dropped), "tx_errors",
			 (json_int_t)(a->tx_errors - b->tx_errors));
}

/* xdp: the socket's XDP_STATISTICS and its program's verdicts. */
static void xdp_kstats_json(json_t *o, const struct ep_kstats *ks)
{
	json_object_set_new(o, "xsk",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_dropped",
				      (json_int_t)ks->xsk_rx_dropped, "rx_invalid_descs",
				      (json_int_t)ks->xsk_rx_invalid_descs, "tx_invalid_descs",
				      (json_int_t)ks->xsk_tx_invalid_descs, "rx_ring_full",
				      (json_int_t)ks->xsk_rx_ring_full, "rx_fill_ring_empty_descs",
				      (json_int_t)ks->xsk_rx_fill_ring_empty_descs,
				      "tx_ring_empty_descs", (json_int_t)ks->xsk_tx_ring_empty_descs,
				      "rx_unread_at_stop", (json_int_t)ks->xsk_rx_unread));
	json_object_set_new(o, "xdp_prog",
			    json_pack("{s:I, s:I, s:I}", "redirect", (json_int_t)ks->xdp_redirect,
				      "fallback_pass", (json_int_t)ks->xdp_fallback, "pass",
				      (json_int_t)ks->xdp_pass));
}

#define NSD(f) ((json_int_t)(in->ns_after[i].f - in->ns_before[i].f))

static json_t *reconcile_json(const struct result_in *in)
{
	const struct ep_stats *a = &in->ep[0].shm->st, *b = &in->ep[1].shm->st;
	int is_packet = !strcmp(in->case_cfg->datapath, "packet");
	int is_xdp = !strcmp(in->case_cfg->datapath, "xdp");
	json_t *o = json_object(), *where = json_object(), *ns = json_object();
	int64_t a_tx = (int64_t)a->tx_pkts, b_tx = (int64_t)b->tx_pkts;
	int64_t b_rx = (int64_t)(b->rx_pkts - b->rx_dup);
	int64_t a_rx = (int64_t)(a->rx_pkts + a->rx_late - a->rx_dup);
	int64_t lost = (a_tx - b_rx) + (b_tx - a_rx), located = 0, if_tx = 0;
	int64_t sent = a_tx + b_tx;

	/* A veth that cannot hand a frame to its peer counts it as tx_dropped
	 * (the peer's rx_dropped shows the same frame again), so only tx_dropped
	 * is summed across interfaces. */
	for (int i = 0; i < in->nifs; i++) {
		int64_t d = (int64_t)(in->ifs[i].after.tx_dropped - in->ifs[i].before.tx_dropped);

		if (d) {
			char k[48];

			snprintf(k, sizeof(k), "%s.tx_dropped", in->ifs[i].name);
			json_object_set_new(where, k, json_integer(d));
		}
		located += d;
	}
	for (int i = 0; i < 2; i++) {
		json_t *n = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "udp_in_datagrams",
				      NSD(udp_in), "udp_in_errors", NSD(udp_inerrors),
				      "udp_rcvbuf_errors", NSD(udp_rcvbuf_errors), "udp_no_ports",
				      NSD(udp_noports), "ip_in_discards", NSD(ip_in_discards),
				      "ip_in_hdr_errors", NSD(ip_in_hdr_errors),
				      "ip_in_addr_errors", NSD(ip_in_addr_errors));
		int64_t d = NSD(udp_inerrors) + NSD(udp_noports) + NSD(ip_in_discards) +
			    NSD(ip_in_hdr_errors) + NSD(ip_in_addr_errors);
		char k[48];

		json_object_set_new(ns, i ? "b" : "a", n);
		/* AF_PACKET receivers never hand our frames to the UDP stack (nft drop). */
		if (is_packet) {
			const struct ep_kstats *ks = &in->ep[i].shm->ks;

			d = (int64_t)(ks->ring_drops + ks->sock_drops);
			snprintf(k, sizeof(k), "%c.packet_socket_drops", i ? 'b' : 'a');
		} else {
			snprintf(k, sizeof(k), "%c.udp_ip_stack_drops", i ? 'b' : 'a');
		}
		if (d)
			json_object_set_new(where, k, json_integer(d));
		located += d;
		/* AF_XDP: what the socket dropped (no fill buffer, RX ring full),
		 * and what it received after the endpoint stopped reading. Frames
		 * its XDP program passed on (no socket bound) are in the UDP
		 * counters above. */
		if (is_xdp) {
			const struct ep_kstats *ks = &in->ep[i].shm->ks;

			d = (int64_t)(ks->xsk_rx_dropped + ks->xsk_rx_ring_full);
			snprintf(k, sizeof(k), "%c.xsk_drops", i ? 'b' : 'a');
			if (d)
				json_object_set_new(where, k, json_integer(d));
			located += d;
			d = (int64_t)ks->xsk_rx_unread;
			snprintf(k, sizeof(k), "%c.xsk_unread_at_stop", i ? 'b' : 'a');
			if (d)
				json_object_set_new(where, k, json_integer(d));
			located += d;
		}
	}
	if (in->nifs >= 2)
		if_tx = (int64_t)(in->ifs[0].after.tx_packets - in->ifs[0].before.tx_packets) +
			(int64_t)(in->ifs[1].after.tx_packets - in->ifs[1].before.tx_packets);
	json_object_set_new(o, "sent", json_integer(sent));
	json_object_set_new(o, "received", json_integer(b_rx + a_rx));
	json_object_set_new(o, "lost", json_integer(lost));
	json_object_set_new(o, "located", json_integer(located));
	json_object_set_new(o, "unexplained", json_integer(lost - located));
	json_object_set_new(o, "unexplained_pct",
			    json_real(sent ? 100.0 * (double)(lost - located) / (double)sent : 0));
	json_object_set_new(o, "where", where);
	json_object_set_new(o, "netns_counters", ns);
	json_object_set_new(o, "softnet_dropped", json_integer((json_int_t)in->softnet_drops));
	json_object_set_new(o, "if_tx_packets", json_integer(if_tx));
	json_object_set_new(o, "if_tx_vs_endpoint_pct",
			    json_real(sent ? 100.0 * (double)(if_tx - sent) / (double)sent : 0));
	return o;
}

static json_t *cpu_json(const struct proc_cpu *o, const struct proc_cpu *c, uint64_t win_ns,
			uint64_t pkts)
{
	uint64_t run = c->run_ns - o->run_ns;

	return json_pack("{s:I, s:I, s:I, s:f, s:f, s:I, s:I}", "utime_ns",
			 (json_int_t)(c->utime_ns - o->utime_ns), "stime_ns",
			 (json_int_t)(c->stime_ns - o->stime_ns), "run_ns", (json_int_t)run,
			 "utilization", win_ns ? (double)run / (double)win_ns : 0.0, "run_ns_per_pkt",
			 pkts ? (double)run / (double)pkts : 0.0, "voluntary_switches",
			 (json_int_t)(c->nvcsw - o->nvcsw), "involuntary_switches",
			 (json_int_t)(c->nivcsw - o->nivcsw));
}

json_t *result_build(const struct result_in *in, json_t *samples)
{
	const struct case_cfg *c = in->case_cfg;
	int pp = c->pattern == PAT_PINGPONG;
	json_t *r = json_object(), *eps = json_object();
	char dir[128];

	snprintf(dir, sizeof(dir), "%03d-%s-%s-%s-%u-r%u", in->idx + 1, c->datapath,
		 topo_name(c->topology), pattern_name(c->pattern), c->size, c->rep + 1);
	json_object_set_new(r, "type", json_string("case"));
	json_object_set_new(r, "case", json_integer(in->idx + 1));
	json_object_set_new(r, "case_dir", json_string(dir));
	json_object_set_new(r, "status", json_string(in->status));
	if (in->error && in->error[0])
		json_object_set_new(r, "error", json_string(in->error));
	json_object_set_new(r, "params", case_cfg_json(c));
	json_object_set_new(r, "machine", json_deep_copy(in->machine));
	if (in->topo) {
		char ip[2][INET_ADDRSTRLEN];

		for (int i = 0; i < 2; i++)
			inet_ntop(AF_INET, &in->topo->ep[i].ip, ip[i], sizeof(ip[i]));
		json_object_set_new(r, "topology",
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
					      topo_name(c->topology), "a_ns", in->topo->ep[0].ns,
					      "b_ns", in->topo->ep[1].ns, "a_ip", ip[0], "b_ip",
					      ip[1]));
	}
	for (int i = 0; i < 2; i++) {
		const struct result_ep_in *e = &in->ep[i];
		json_t *o;

		if (!e->shm)
			continue;
		o = json_pack("{s:s, s:i, s:s}", "role",
			      role_names[e->shm->cfg.role & 3], "cpu", in->cpu[i], "dp_info",
			      e->shm->dp_info);
		json_object_set_new(o, "total", stats_json(&e->shm->st, NULL));
		if (in->window_ns && e->w_open) {
			const struct ep_stats *wo = e->w_open, *wc = e->w_close;
			uint64_t pkts = (wc->tx_pkts - wo->tx_pkts) + (wc->rx_pkts - wo->rx_pkts);

			json_object_set_new(o, "window", stats_json(wc, wo));
			json_object_set_new(o, "cpu",
					    cpu_json(e->cpu_open, e->cpu_close, in->window_ns, pkts));
			json_object_set_new(o, "tx_syscalls_per_pkt",
					    json_real(wc->tx_pkts - wo->tx_pkts
							      ? (double)(wc->tx_syscalls -
									 wo->tx_syscalls) /
									(double)(wc->tx_pkts - wo->tx_pkts)
							      : 0));
			json_object_set_new(o, "rx_syscalls_per_pkt",
					    json_real(wc->rx_pkts - wo->rx_pkts
							      ? (double)(wc->rx_syscalls -
									 wo->rx_syscalls) /
									(double)(wc->rx_pkts - wo->rx_pkts)
							      : 0));
		}
		if (e->shm->ks.valid)
			json_object_set_new(o, "kernel_drops",
					    json_pack("{s:I, s:I}", "socket",
						      (json_int_t)e->shm->ks.sock_drops, "ring",
						      (json_int_t)e->shm->ks.ring_drops));
		if (e->shm->ks.valid && !strcmp(c->datapath, "xdp"))
			xdp_kstats_json(json_object_get(o, "kernel_drops"), &e->shm->ks);
		json_object_set_new(eps, i ? "b" : "a", o);
	}
	json_object_set_new(r, "endpoints", eps);
	if (in->window_ns && in->ep[0].w_open && in->ep[1].w_open) {
		const struct ep_stats *ao = in->ep[0].w_open, *ac = in->ep[0].w_close;
		const struct ep_stats *bo = in->ep[1].w_open, *bc = in->ep[1].w_close;
		double w = (double)in->window_ns / 1e9;
		uint64_t tx = ac->tx_pkts - ao->tx_pkts;
		uint64_t rx = pp ? ac->rx_pkts - ao->rx_pkts : bc->rx_pkts - bo->rx_pkts;
		double tx_pps = (double)tx / w, rx_pps = (double)rx / w;
		json_t *tp = json_object();

		json_object_set_new(tp, "window_s", json_real(w));
		json_object_set_new(tp, "tx_pkts", json_integer((json_int_t)tx));
		json_object_set_new(tp, "rx_pkts", json_integer((json_int_t)rx));
		json_object_set_new(tp, "tx_pps", json_real(tx_pps));
		json_object_set_new(tp, "rx_pps", json_real(rx_pps));
		json_object_set_new(tp, "tx_gbps_l2", json_real(tx_pps * c->size * 8 / 1e9));
		json_object_set_new(tp, "rx_gbps_l2", json_real(rx_pps * c->size * 8 / 1e9));
		json_object_set_new(tp, "tx_gbps_l1",
				    json_real(tx_pps * (c->size + FRAME_L1_OVERHEAD) * 8 / 1e9));
		json_object_set_new(tp, "rx_gbps_l1",
				    json_real(rx_pps * (c->size + FRAME_L1_OVERHEAD) * 8 / 1e9));
		json_object_set_new(tp, "loss_pct",
				    json_real(tx ? 100.0 * ((double)tx - (double)rx) / (double)tx
						 : 0));
		if (pp)
			json_object_set_new(tp, "transactions_per_s", json_real(rx_pps));
		json_object_set_new(tp, "reorder",
				    json_integer((json_int_t)((pp ? 0 : bc->rx_reorder - bo->rx_reorder))));
		json_object_set_new(tp, "duplicates",
				    json_integer((json_int_t)(pp ? ac->rx_dup - ao->rx_dup
								 : bc->rx_dup - bo->rx_dup)));
		json_object_set_new(r, "throughput", tp);
		if (pp && in->rtt)
			json_object_set_new(r, "rtt_ns", histo_json(in->rtt));
		json_object_set_new(r, "reconcile", reconcile_json(in));
		json_object_set_new(r, "interfaces", json_object());
		for (int i = 0; i < in->nifs; i++)
			json_object_set_new(json_object_get(r, "interfaces"), in->ifs[i].name,
					    if_json(&in->ifs[i]));
	}
	json_object_set_new(r, "samples", samples ? samples : json_array());
	return r;
}
