// SPDX-License-Identifier: BSD-3-Clause
/*
 * result.json: every parameter, the machine, window rates, RTT statistics and
 * histogram, per-second samples, each endpoint's counters and CPU time, and
 * the packet reconciliation: every packet sent is either received or counted
 * as dropped somewhere the kernel keeps a counter ("located"); what is left is
 * "unexplained" and reported, never hidden.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "fileutil.h"
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
	STAT(cyc_work),	   STAT(cyc_idle),    STAT(loops),	 STAT(rx_drained),
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
	json_object_set_new(o, "dpdk_port", json_string(dpdk_port_name(c->dpdk_port)));
	json_object_set_new(o, "dpdk_switch", json_string(switch_name(c->dpdk_switch)));
	json_object_set_new(o, "switch_cpu", json_integer(c->switch_cpu));
	json_object_set_new(o, "sriov_pf", json_string(c->sriov_pf));
	json_object_set_new(o, "usdt", json_boolean(c->usdt));
	json_object_set_new(o, "probe_duty", json_real(c->probe_duty));
	json_object_set_new(o, "probe_detail", json_string(c->probe_light ? "light" : "full"));
	json_object_set_new(o, "inject_user_ns", json_integer(c->inject_user_ns));
	json_object_set_new(o, "inject_syscall", json_boolean(c->inject_syscall));
	json_object_set_new(o, "sample_hz", json_integer(c->sample_hz));
	json_object_set_new(o, "verify", json_boolean(c->verify));
	json_object_set_new(o, "pairs", json_integer(c->pairs));
	json_object_set_new(o, "container", json_string(container_name(c->container)));
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

void result_ep_label(char *buf, size_t len, int i)
{
	if (i < 2)
		snprintf(buf, len, "%c", 'a' + (i & 1));
	else
		snprintf(buf, len, "%c%d", 'a' + (i & 1), i / 2);
}

static int result_npairs(const struct result_in *in)
{
	return in->npairs > 0 ? in->npairs : 1;
}

/* Over every pair: each pair's a and b exchange packets only with each
 * other, so sent and received add up pair by pair. */
static json_t *reconcile_json(const struct result_in *in)
{
	int is_packet = !strcmp(in->case_cfg->datapath, "packet");
	int is_xdp = !strcmp(in->case_cfg->datapath, "xdp");
	int is_dpdk = !strcmp(in->case_cfg->datapath, "dpdk");
	/* Only af_xdp puts a DPDK endpoint's frames on its veth. */
	int kernel_ifs = !is_dpdk || in->case_cfg->dpdk_port == CFG_DPDK_AF_XDP;
	int nep = 2 * result_npairs(in);
	json_t *o = json_object(), *where = json_object(), *ns = json_object();
	int64_t lost = 0, located = 0, if_tx = 0, sent = 0, received = 0;

	for (int p = 0; p < nep; p += 2) {
		const struct ep_stats *a = &in->ep[p].shm->st, *b = &in->ep[p + 1].shm->st;
		int64_t a_tx = (int64_t)a->tx_pkts, b_tx = (int64_t)b->tx_pkts;
		int64_t b_rx = (int64_t)(b->rx_pkts - b->rx_dup);
		int64_t a_rx = (int64_t)(a->rx_pkts + a->rx_late - a->rx_dup);

		lost += (a_tx - b_rx) + (b_tx - a_rx);
		sent += a_tx + b_tx;
		received += b_rx + a_rx;
	}
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
	for (int i = 0; i < nep; i++) {
		json_t *n = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "udp_in_datagrams",
				      NSD(udp_in), "udp_in_errors", NSD(udp_inerrors),
				      "udp_rcvbuf_errors", NSD(udp_rcvbuf_errors), "udp_no_ports",
				      NSD(udp_noports), "ip_in_discards", NSD(ip_in_discards),
				      "ip_in_hdr_errors", NSD(ip_in_hdr_errors),
				      "ip_in_addr_errors", NSD(ip_in_addr_errors));
		int64_t d = NSD(udp_inerrors) + NSD(udp_noports) + NSD(ip_in_discards) +
			    NSD(ip_in_hdr_errors) + NSD(ip_in_addr_errors);
		char k[48], lbl[8];

		result_ep_label(lbl, sizeof(lbl), i);
		json_object_set_new(ns, lbl, n);
		/* AF_PACKET receivers never hand our frames to the UDP stack (nft drop). */
		if (is_packet) {
			const struct ep_kstats *ks = &in->ep[i].shm->ks;

			d = (int64_t)(ks->ring_drops + ks->sock_drops);
			snprintf(k, sizeof(k), "%s.packet_socket_drops", lbl);
		} else {
			snprintf(k, sizeof(k), "%s.udp_ip_stack_drops", lbl);
		}
		if (d)
			json_object_set_new(where, k, json_integer(d));
		located += d;
		/* DPDK: the port's own drop counters (the kernel sees none of
		 * its frames, except af_xdp's veth). */
		if (is_dpdk) {
			const struct ep_kstats *ks = &in->ep[i].shm->ks;

			d = (int64_t)(ks->eth_imissed + ks->eth_ierrors + ks->eth_rx_nombuf +
				      ks->eth_oerrors);
			snprintf(k, sizeof(k), "%s.dpdk_port_drops", lbl);
			if (d)
				json_object_set_new(where, k, json_integer(d));
			located += d;
		}
		/* AF_XDP: what the socket dropped (no fill buffer, RX ring full),
		 * and what it received after the endpoint stopped reading. Frames
		 * its XDP program passed on (no socket bound) are in the UDP
		 * counters above. */
		if (is_xdp) {
			const struct ep_kstats *ks = &in->ep[i].shm->ks;

			d = (int64_t)(ks->xsk_rx_dropped + ks->xsk_rx_ring_full);
			snprintf(k, sizeof(k), "%s.xsk_drops", lbl);
			if (d)
				json_object_set_new(where, k, json_integer(d));
			located += d;
			d = (int64_t)ks->xsk_rx_unread;
			snprintf(k, sizeof(k), "%s.xsk_unread_at_stop", lbl);
			if (d)
				json_object_set_new(where, k, json_integer(d));
			located += d;
		}
	}
	if (in->switch_stats) {
		if (in->switch_dropped)
			json_object_set_new(where, "switch_dropped",
					    json_integer((json_int_t)in->switch_dropped));
		located += (int64_t)in->switch_dropped;
	}
	/* The endpoints' own eth0s come first in ifs[]. */
	if (in->nifs >= nep && kernel_ifs)
		for (int i = 0; i < nep; i++)
			if_tx += (int64_t)(in->ifs[i].after.tx_packets -
					   in->ifs[i].before.tx_packets);
	json_object_set_new(o, "sent", json_integer(sent));
	json_object_set_new(o, "received", json_integer(received));
	json_object_set_new(o, "lost", json_integer(lost));
	json_object_set_new(o, "located", json_integer(located));
	json_object_set_new(o, "unexplained", json_integer(lost - located));
	json_object_set_new(o, "unexplained_pct",
			    json_real(sent ? 100.0 * (double)(lost - located) / (double)sent : 0));
	json_object_set_new(o, "where", where);
	json_object_set_new(o, "netns_counters", ns);
	json_object_set_new(o, "softnet_dropped", json_integer((json_int_t)in->softnet_drops));
	if (kernel_ifs) {
		json_object_set_new(o, "if_tx_packets", json_integer(if_tx));
		json_object_set_new(o, "if_tx_vs_endpoint_pct",
				    json_real(sent ? 100.0 * (double)(if_tx - sent) / (double)sent
						   : 0));
	}
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

/*
 * The engine's own TSC accounting over the window, per packet the endpoint
 * handled (sent for a sender, received otherwise: a client's reply stands
 * for its request too). For a bypass datapath this is the whole cost: the
 * bursts are the driver, "work" is building, stamping and parsing frames
 * and the loop itself. Every part is on the TSC: work is the role loop's
 * TSC span less the timed bursts, polls and injected spin. The scheduler's
 * clocks judge the sum: loop span = CPU time + time waiting on the run
 * queue (schedstat), for an endpoint that never sleeps (busy-polling).
 * For kernel datapaths the bursts include their system calls, which are
 * also timed one by one ("syscalls").
 */
static json_t *engine_json(const struct result_ep_in *e, uint64_t win_ns)
{
	const struct ep_stats *o = e->w_open, *c = e->w_close;
	double hz = (double)e->shm->cfg.tsc_hz;
	uint64_t pkts = e->shm->cfg.role == EP_ROLE_SEND ? c->tx_pkts - o->tx_pkts
							 : c->rx_pkts - o->rx_pkts;
	double n = pkts ? (double)pkts : 1.0, k = hz > 0 ? 1e9 / hz / n : 0;
	double tx = (double)(c->cyc_tx - o->cyc_tx) * k, rx = (double)(c->cyc_rx - o->cyc_rx) * k;
	double idle = (double)(c->cyc_idle - o->cyc_idle) * k;
	double inj = (double)(c->cyc_inject - o->cyc_inject) * k;
	double loop = (double)(c->cyc_loop - o->cyc_loop) * k;
	double run = (double)(e->cpu_close->run_ns - e->cpu_open->run_ns) / n;
	double wait = (double)(e->cpu_close->wait_ns - e->cpu_open->wait_ns) / n;
	double work = loop - tx - rx - idle - inj, sys = 0;
	uint64_t calls = 0;

	for (int i = 0; i < EP_NSYS; i++) {
		calls += c->sys[i].calls - o->sys[i].calls;
		sys += (double)(c->sys[i].cyc - o->sys[i].cyc) * k;
	}
	(void)win_ns;
	return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I}",
			 "tx_burst", tx, "rx_burst", rx, "empty_polls", idle, "work", work,
			 "injected_spin", inj, "loop", loop, "cpu", run, "off_cpu", wait,
			 "loop_vs_cpu_pct", run + wait > 0 ? 100.0 * loop / (run + wait) : 0.0,
			 "syscalls", sys, "outside_syscalls", loop - sys, "timed_syscalls",
			 (json_int_t)calls, "packets", (json_int_t)pkts);
}

/* Where the endpoints run. a sides share cpu_a and b sides cpu_b, so
 * with more than one pair (or cpu_a == cpu_b) endpoints share cores: the
 * total then measures those cores, not more of them. */
static json_t *placement_json(const struct result_in *in, int nep)
{
	json_t *o = json_object(), *cpus = json_array();
	int shared = 0;

	for (int i = 0; i < nep; i++) {
		int seen = 0;

		for (int j = 0; j < i; j++)
			if (in->cpu[j] == in->cpu[i])
				seen = 1;
		shared |= seen;
		if (!seen)
			json_array_append_new(cpus, json_integer(in->cpu[i]));
	}
	json_object_set_new(o, "policy", json_string("a sides on cpu_a, b sides on cpu_b"));
	json_object_set_new(o, "shared_cores", json_boolean(shared));
	json_object_set_new(o, "cpus", cpus);
	return o;
}

/* Packets of one pair in the window: a's sends, and b's (throughput) or
 * a's (ping-pong) receives. */
static void pair_window(const struct result_in *in, int p, int pp, uint64_t *tx, uint64_t *rx,
			uint64_t *reorder, uint64_t *dup)
{
	const struct ep_stats *ao = in->ep[2 * p].w_open, *ac = in->ep[2 * p].w_close;
	const struct ep_stats *bo = in->ep[2 * p + 1].w_open, *bc = in->ep[2 * p + 1].w_close;

	*tx = ac->tx_pkts - ao->tx_pkts;
	*rx = pp ? ac->rx_pkts - ao->rx_pkts : bc->rx_pkts - bo->rx_pkts;
	*reorder = pp ? 0 : bc->rx_reorder - bo->rx_reorder;
	*dup = pp ? ac->rx_dup - ao->rx_dup : bc->rx_dup - bo->rx_dup;
}

static json_t *pairs_json(const struct result_in *in, int pp)
{
	json_t *arr = json_array();
	int np = result_npairs(in);
	double w = (double)in->window_ns / 1e9;

	for (int p = 0; p < np; p++) {
		json_t *o = json_object();

		json_object_set_new(o, "pair", json_integer(p));
		if (in->topo) {
			char ip[2][INET_ADDRSTRLEN];

			for (int k = 0; k < 2; k++)
				inet_ntop(AF_INET, &in->topo->ep[2 * p + k].ip, ip[k], sizeof(ip[k]));
			json_object_set_new(o, "a_ns", json_string(in->topo->ep[2 * p].ns));
			json_object_set_new(o, "b_ns", json_string(in->topo->ep[2 * p + 1].ns));
			json_object_set_new(o, "a_ip", json_string(ip[0]));
			json_object_set_new(o, "b_ip", json_string(ip[1]));
		}
		json_object_set_new(o, "a_cpu", json_integer(in->cpu[2 * p]));
		json_object_set_new(o, "b_cpu", json_integer(in->cpu[2 * p + 1]));
		if (in->window_ns && in->ep[2 * p].w_open && in->ep[2 * p + 1].w_open) {
			uint64_t tx, rx, reorder, dup;

			pair_window(in, p, pp, &tx, &rx, &reorder, &dup);
			json_object_set_new(o, "tx_pkts", json_integer((json_int_t)tx));
			json_object_set_new(o, "rx_pkts", json_integer((json_int_t)rx));
			json_object_set_new(o, "tx_pps", json_real((double)tx / w));
			json_object_set_new(o, "rx_pps", json_real((double)rx / w));
			json_object_set_new(o, "loss_pct",
					    json_real(tx ? 100.0 * ((double)tx - (double)rx) /
								   (double)tx
							 : 0));
			json_object_set_new(o, "reorder", json_integer((json_int_t)reorder));
			json_object_set_new(o, "duplicates", json_integer((json_int_t)dup));
			/* Statistics only: the buckets are in the merged rtt_ns. */
			if (pp && in->pair_rtt[p]) {
				json_t *h = histo_json(in->pair_rtt[p]);

				json_object_del(h, "histogram");
				json_object_set_new(o, "rtt_ns", h);
			}
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static double ratio(uint64_t n, uint64_t d)
{
	return d ? (double)n / (double)d : 0;
}

/* A DPDK endpoint's calls are the PMD's own: only the probes can count
 * them, and a core's calls are one endpoint's only with one pair on two
 * cores (a's sends on the first, b's receives on the second). */
static void probed_syscalls_json(json_t *o, const struct result_in *in, int i)
{
	json_t *cores = json_object_get(in->attribution, "cores");

	if (result_npairs(in) != 1 || json_array_size(cores) != 2)
		return;
	json_object_set(o, i ? "rx_syscalls_per_pkt" : "tx_syscalls_per_pkt",
			json_object_get(json_array_get(cores, (size_t)i), "syscalls_per_pkt"));
}

/* Endpoint i over the window: its counters, CPU time and engine split. */
static void ep_window_json(json_t *o, const struct result_in *in, int i)
{
	const struct case_cfg *c = in->case_cfg;
	const struct result_ep_in *e = &in->ep[i];
	const struct ep_stats *wo = e->w_open, *wc = e->w_close;
	uint64_t pkts = (wc->tx_pkts - wo->tx_pkts) + (wc->rx_pkts - wo->rx_pkts);

	json_object_set_new(o, "window", stats_json(wc, wo));
	json_object_set_new(o, "cpu", cpu_json(e->cpu_open, e->cpu_close, in->window_ns, pkts));
	json_object_set_new(o, "engine_ns_per_pkt", engine_json(e, in->window_ns));
	if (!strcmp(c->datapath, "dpdk")) {
		probed_syscalls_json(o, in, i);
		return;
	}
	json_object_set_new(o, "tx_syscalls_per_pkt",
			    json_real(ratio(wc->tx_syscalls - wo->tx_syscalls,
					    wc->tx_pkts - wo->tx_pkts)));
	json_object_set_new(o, "rx_syscalls_per_pkt",
			    json_real(ratio(wc->rx_syscalls - wo->rx_syscalls,
					    wc->rx_pkts - wo->rx_pkts)));
}

static json_t *dpdk_port_json(const struct ep_kstats *ks)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "ipackets",
			 (json_int_t)ks->eth_ipackets, "opackets", (json_int_t)ks->eth_opackets,
			 "imissed", (json_int_t)ks->eth_imissed, "ierrors",
			 (json_int_t)ks->eth_ierrors, "oerrors", (json_int_t)ks->eth_oerrors,
			 "rx_nombuf", (json_int_t)ks->eth_rx_nombuf, "mbufs_free",
			 (json_int_t)ks->mbufs_free, "mbufs_total", (json_int_t)ks->mbufs_total);
}

/* endpoints.<label>: what endpoint i was, counted and used. */
static json_t *endpoint_json(const struct result_in *in, int i)
{
	const struct case_cfg *c = in->case_cfg;
	const struct result_ep_in *e = &in->ep[i];
	json_t *o;

	o = json_pack("{s:s, s:i, s:s}", "role", role_names[e->shm->cfg.role & 3], "cpu",
		      in->cpu[i], "dp_info", e->shm->dp_info);
	if (e->startup_ms >= 0)
		json_object_set_new(o, "startup_ms", json_real(e->startup_ms));
	json_object_set_new(o, "total", stats_json(&e->shm->st, NULL));
	if (in->window_ns && e->w_open)
		ep_window_json(o, in, i);
	if (e->shm->ks.valid)
		json_object_set_new(o, "kernel_drops",
				    json_pack("{s:I, s:I}", "socket",
					      (json_int_t)e->shm->ks.sock_drops, "ring",
					      (json_int_t)e->shm->ks.ring_drops));
	if (e->shm->ks.valid && !strcmp(c->datapath, "xdp"))
		xdp_kstats_json(json_object_get(o, "kernel_drops"), &e->shm->ks);
	if (e->shm->ks.valid && !strcmp(c->datapath, "dpdk"))
		json_object_set_new(o, "dpdk_port", dpdk_port_json(&e->shm->ks));
	if (e->usdt_bursts)
		json_object_set_new(o, "usdt_bursts", e->usdt_bursts);
	return o;
}

/* Every endpoint that had a shared page; usdt figures of the others
 * are dropped. */
static json_t *endpoints_json(const struct result_in *in, int nep)
{
	json_t *eps = json_object();

	for (int i = 0; i < nep; i++) {
		char lbl[8];

		if (!in->ep[i].shm) {
			json_decref(in->ep[i].usdt_bursts);
			continue;
		}
		result_ep_label(lbl, sizeof(lbl), i);
		json_object_set_new(eps, lbl, endpoint_json(in, i));
	}
	return eps;
}

/* throughput: the window's totals over every pair. */
static json_t *throughput_json(const struct result_in *in, int pp)
{
	const struct case_cfg *c = in->case_cfg;
	double w = (double)in->window_ns / 1e9;
	uint64_t tx = 0, rx = 0, reorder = 0, dup = 0;
	double tx_pps, rx_pps;
	json_t *tp = json_object();

	for (int p = 0; p < result_npairs(in); p++) {
		uint64_t t1, r1, o1, d1;

		pair_window(in, p, pp, &t1, &r1, &o1, &d1);
		tx += t1;
		rx += r1;
		reorder += o1;
		dup += d1;
	}
	tx_pps = (double)tx / w;
	rx_pps = (double)rx / w;
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
			    json_real(tx ? 100.0 * ((double)tx - (double)rx) / (double)tx : 0));
	if (pp)
		json_object_set_new(tp, "transactions_per_s", json_real(rx_pps));
	json_object_set_new(tp, "reorder", json_integer((json_int_t)reorder));
	json_object_set_new(tp, "duplicates", json_integer((json_int_t)dup));
	return tp;
}

/* What only a closed window has: rates, RTT, reconciliation, interfaces. */
static void window_json(json_t *r, const struct result_in *in, int pp)
{
	json_t *ifs = json_object();

	json_object_set_new(r, "throughput", throughput_json(in, pp));
	if (pp && in->rtt)
		json_object_set_new(r, "rtt_ns", histo_json(in->rtt));
	json_object_set_new(r, "reconcile", reconcile_json(in));
	for (int i = 0; i < in->nifs; i++)
		json_object_set_new(ifs, in->ifs[i].name, if_json(&in->ifs[i]));
	json_object_set_new(r, "interfaces", ifs);
}

/* type, case, status, params, machine, topology: what the case was. */
static json_t *case_head_json(const struct result_in *in)
{
	const struct case_cfg *c = in->case_cfg;
	json_t *r = json_object();
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
	return r;
}

json_t *result_build(const struct result_in *in, json_t *samples)
{
	const struct case_cfg *c = in->case_cfg;
	int pp = c->pattern == PAT_PINGPONG;
	int nep = 2 * result_npairs(in), window = in->window_ns != 0;
	json_t *r = case_head_json(in);

	json_object_set_new(r, "placement", placement_json(in, nep));
	json_object_set_new(r, "endpoints", endpoints_json(in, nep));
	for (int i = 0; i < nep; i++)
		window &= in->ep[i].w_open != NULL;
	if (window)
		window_json(r, in, pp);
	json_object_set_new(r, "pairs", pairs_json(in, pp));
	if (in->dpdk)
		json_object_set_new(r, "dpdk", in->dpdk);
	json_object_set_new(r, "samples", samples ? samples : json_array());
	if (in->attribution) {
		json_object_set_new(in->attribution, "mode", json_string(probes_name(c->probes)));
		json_object_set_new(r, "attribution", in->attribution);
	}
	return r;
}

int json_write_atomic(json_t *j, const char *path)
{
	const size_t flags = JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10);
	char tmp[PATH_MAX];
	FILE *f = file_open_tmp(path, tmp, sizeof(tmp));

	if (!f)
		return -EIO;
	return file_commit(f, tmp, path, json_dumpf(j, f, flags) ? -EIO : 0);
}
