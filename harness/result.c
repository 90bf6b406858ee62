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
#include <unistd.h>
#include <arpa/inet.h>

#include "dp.h"
#include "fileutil.h"
#include "frame.h"
#include "iface.h"
#include "jsonpath.h"
#include "result.h"
#include "search.h"

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
	STAT(tx_gso_sends), STAT(tx_gso_segs), STAT(rx_gro_bufs), STAT(rx_gro_segs),
	STAT(zc_sends),	   STAT(zc_done),     STAT(zc_copied),	 STAT(zc_reap_calls),
};

static uint64_t stat_get(const struct ep_stats *s, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

/* rx_foreign by reason (enum frame_bad): what the receiver saw and
 * refused, each reason with its count. */
static json_t *foreign_by_json(const struct ep_stats *a, const struct ep_stats *b)
{
	json_t *o = json_object();

	for (int k = FRAME_OK + 1; k < FRAME_NBAD; k++)
		json_object_set_new(o, frame_bad_names[k],
				    json_integer((json_int_t)(a->rx_foreign_by[k] -
							      (b ? b->rx_foreign_by[k] : 0))));
	return o;
}

static json_t *stats_json(const struct ep_stats *a, const struct ep_stats *b)
{
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		uint64_t v = stat_get(a, stat_fields[i].off) -
			     (b ? stat_get(b, stat_fields[i].off) : 0);

		json_object_set_new(o, stat_fields[i].name, json_integer((json_int_t)v));
	}
	json_object_set_new(o, "rx_foreign_by", foreign_by_json(a, b));
	return o;
}

/* Every datapath's options, as a config would spell them: a case echoes
 * the values it had for all of them, whichever datapath it ran. */
static void dp_opts_json(json_t *o, const struct case_cfg *c)
{
	for (int g = 0; g < dp_opt_total() && g < CFG_MAX_DP_OPTS; g++) {
		const struct dp_opt *d = dp_opt_at(g, NULL);
		int64_t v = c->dp_opt[g], n = 0;

		while (d->type == DP_OPT_ENUM && d->words[n])
			n++;
		if (d->type == DP_OPT_ENUM)
			json_object_set_new(o, d->key, json_string(v >= 0 && v < n ? d->words[v] : "?"));
		else if (d->type == DP_OPT_BOOL)
			json_object_set_new(o, d->key, json_boolean(v));
		else
			json_object_set_new(o, d->key, json_integer((json_int_t)v));
	}
}

json_t *case_cfg_json(const struct case_cfg *c)
{
	json_t *o;

	o = json_pack("{s:s, s:i, s:i, s:f, s:f, s:s, s:s, s:i, s:s, s:I, s:b, s:b, s:i, s:i,"
		      " s:s, s:i, s:i, s:s, s:i, s:i, s:i, s:s}",
		      "name", c->name, "repeat", c->repeat, "rep", c->rep, "duration_s",
		      c->duration_s, "warmup_s", c->warmup_s, "pattern",
		      pattern_name(c->pattern), "open_loop",
		      c->pattern == PAT_PINGPONG ? (c->rate_pps ? "yes" : "no") : "n/a",
		      "size", c->size, "rate", c->rate_pps ? "paced" : "max", "rate_pps",
		      (json_int_t)c->rate_pps, "blocking", c->blocking, "touch", c->touch,
		      "timeout_us", c->timeout_us, "outstanding", c->outstanding, "topology",
		      topo_name(c->topology), "cpu_a", c->cpu_a, "cpu_b", c->cpu_b, "datapath",
		      c->datapath, "burst", c->burst, "sndbuf", c->sndbuf, "rcvbuf", c->rcvbuf,
		      "probes", probes_name(c->probes));
	dp_opts_json(o, c);
	/* Only cases from a [variant NAME] section carry its name. */
	if (c->variant[0])
		json_object_set_new(o, "variant", json_string(c->variant));
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
	json_object_set_new(o, "search", json_string(search_name(c->search)));
	if (c->search) {
		json_object_set_new(o, "search_loss_pct", json_real(c->search_loss_pct));
		json_object_set_new(o, "search_trial_s", json_real(c->search_trial_s));
		json_object_set_new(o, "search_final_s", json_real(c->search_final_s));
		json_object_set_new(o, "search_precision_pct", json_real(c->search_precision_pct));
		json_object_set_new(o, "search_max_pps", json_integer((json_int_t)c->search_max_pps));
	}
	if (c->rate_of) {
		char load[32];

		snprintf(load, sizeof(load), "%g%%%s", c->rate_pct, rate_ref_name(c->rate_of));
		json_object_set_new(o, "rate", json_string(load));
		json_object_set_new(o, "load_pct", json_real(c->rate_pct));
		json_object_set_new(o, "load_of", json_string(rate_ref_name(c->rate_of)));
	}
	if (c->topo_hook[0])
		json_object_set_new(o, "topo_hook", json_string(c->topo_hook));
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

static uint64_t ks_get(const struct ep_kstats *ks, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)ks + off, sizeof(v));
	return v;
}

/* The datapath's driver counters (dp_ops.kgroups) of one endpoint. */
static void dp_kgroups_json(json_t *o, const struct dp_ops *ops, const struct ep_kstats *ks)
{
	for (const struct dp_kgroup *g = ops ? ops->kgroups : NULL; g && g->name; g++) {
		json_t *parent = g->parent ? json_object_get(o, g->parent) : o, *grp;

		if (!parent)
			continue;
		grp = json_object();
		for (const struct dp_kfield *f = g->fields; f->name; f++)
			json_object_set_new(grp, f->name, json_integer((json_int_t)ks_get(ks, f->off)));
		json_object_set_new(parent, g->name, grp);
	}
}

/* What the result needs to know of the datapath to read it without its
 * name: what it is and what the harness built for it, and the names a
 * table gives the case ("dpdk-vhost" through "testpmd"). */
static json_t *datapath_json(const struct case_cfg *c)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} caps[] = { { "l2", DP_CAP_L2 }, { "batch", DP_CAP_BATCH }, { "zc_tx", DP_CAP_ZC_TX },
		     { "syscalls", DP_CAP_SYSCALLS } },
	  needs[] = { { "nft_guard", DP_NEED_NFT_GUARD }, { "eal", DP_NEED_EAL },
		      { "switch", DP_NEED_SWITCH }, { "veth_napi", DP_NEED_VETH_NAPI } };
	const struct dp_ops *ops = case_dp(c);
	unsigned int nd = case_needs(c);
	json_t *o = json_object(), *jc = json_object(), *jn = json_object();
	char label[48];
	int64_t v;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		json_object_set_new(jc, caps[i].name, json_boolean(ops && (ops->caps & caps[i].bit)));
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++)
		json_object_set_new(jn, needs[i].name, json_boolean(nd & needs[i].bit));
	snprintf(label, sizeof(label), "%s", c->datapath);
	v = ops && ops->label_opt ? case_dp_opt(c, ops->label_opt) : -1;
	for (int g = 0; v >= 0 && g < dp_opt_total() && g < CFG_MAX_DP_OPTS; g++)
		if (!strcmp(dp_opt_at(g, NULL)->key, ops->label_opt))
			snprintf(label, sizeof(label), "%s-%s", c->datapath,
				 dp_opt_at(g, NULL)->words[v]);
	/* A variant names the case's datapath in tables: "mmsg/gso-gro". */
	if (c->variant[0])
		snprintf(label + strlen(label), sizeof(label) - strlen(label), "/%s", c->variant);
	json_object_set_new(o, "name", json_string(c->datapath));
	json_object_set_new(o, "label", json_string(label));
	json_object_set_new(o, "via", json_string(nd & DP_NEED_SWITCH ? switch_name(c->dpdk_switch)
								 : topo_name(c->topology)));
	json_object_set_new(o, "caps", jc);
	json_object_set_new(o, "needs", jn);
	return o;
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

/* The datapath's own drop counters of one endpoint, whatever they are. */
static int64_t dp_drops(json_t *where, const struct dp_ops *ops, const struct ep_kstats *ks,
			const char *lbl)
{
	int64_t located = 0;

	for (const struct dp_drop *dr = ops ? ops->drops : NULL; dr && dr->name; dr++) {
		int64_t d = 0;
		char k[48];

		for (int j = 0; j < dr->n; j++)
			d += (int64_t)ks_get(ks, dr->off[j]);
		snprintf(k, sizeof(k), "%s.%s", lbl, dr->name);
		if (d)
			json_object_set_new(where, k, json_integer(d));
		located += d;
	}
	return located;
}

/* Frames that reached endpoint i's eth0 and were not its peer's
 * workload: what came in beyond what the peer sent (a lower bound: a
 * workload frame lost before the interface leaves room for one foreign
 * frame more). 0 without the interface's counters. */
static int64_t foreign_arrived(const struct result_in *in, int i)
{
	const struct result_if *r = &in->ifs[i];
	int nep = 2 * result_npairs(in);
	int64_t rx, peer_tx;

	if (in->nifs < nep || !in->ep[i ^ 1].shm)
		return 0;
	rx = (int64_t)(r->after.rx_packets - r->before.rx_packets);
	peer_tx = (int64_t)in->ep[i ^ 1].shm->st.tx_pkts;
	return rx > peer_tx ? rx - peer_tx : 0;
}

/* Of endpoint i's stack drops that foreign frames could cause (d: no
 * port, bad headers or addresses, checksum errors), those they explain:
 * foreign frames that arrived and that the engine did not see went to the
 * stack, which drops the workload's own frames there only when something
 * is wrong. */
static int64_t foreign_stack_drops(const struct result_in *in, int i, int64_t d, json_t *fw)
{
	int64_t seen = (int64_t)in->ep[i].shm->st.rx_foreign;
	int64_t stack = foreign_arrived(in, i) - seen, f;
	char k[48], lbl[8];

	if (d <= 0 || stack <= 0)
		return 0;
	f = d < stack ? d : stack;
	result_ep_label(lbl, sizeof(lbl), i);
	snprintf(k, sizeof(k), "%s.udp_ip_stack_drops", lbl);
	json_object_set_new(fw, k, json_integer(f));
	return f;
}

/* reconcile.foreign: what arrived that was not the workload's, what the
 * engines refused, which drops it explains (taken out of `located`), and
 * when it may still hide in `unexplained`, why. fw is taken over. */
static void foreign_json(json_t *o, const struct result_in *in, json_t *fw, int64_t unexplained)
{
	int64_t arrived = 0, seen = 0;
	int nep = 2 * result_npairs(in);
	json_t *f = json_object();

	for (int i = 0; i < nep; i++) {
		arrived += foreign_arrived(in, i);
		seen += in->ep[i].shm ? (int64_t)in->ep[i].shm->st.rx_foreign : 0;
	}
	json_object_set_new(f, "arrived", json_integer(arrived));
	json_object_set_new(f, "refused_by_engine", json_integer(seen));
	json_object_set_new(f, "drops_subtracted", fw);
	json_object_set_new(o, "foreign", f);
	if (unexplained && arrived > 0) {
		char why[256];

		snprintf(why, sizeof(why),
			 "%lld foreign frame(s) reached the endpoints' interfaces: their drops in "
			 "counters the workload also uses (socket, ring, device) cannot be told "
			 "from the workload's",
			 (long long)arrived);
		json_object_set_new(o, "unexplained_reason", json_string(why));
	}
}

/* Over every pair: each pair's a and b exchange packets only with each
 * other, so sent and received add up pair by pair. */
/* Packets a sender handed the kernel: a GSO super-packet is one on the
 * wire (veth and bridge forward it whole) until a socket segments it. */
static int64_t ep_wire_pkts(const struct ep_stats *s)
{
	return (int64_t)(s->tx_pkts - s->tx_gso_segs + s->tx_gso_sends);
}

/*
 * Datagrams per packet the UDP stack of endpoint i counts. A UDP_GRO socket
 * takes its peer's GSO super-packets whole, so its drops are counted in
 * super-packets: they are converted at the peer's mean datagrams per wire
 * packet (exact when every send carries udp_segment datagrams). 1 otherwise.
 */
static double stack_scale(const struct result_in *in, int i)
{
	const struct ep_stats *peer = &in->ep[i ^ 1].shm->st;
	int64_t w = ep_wire_pkts(peer);

	if (case_dp_opt(in->case_cfg, "udp_gro") <= 0 || !peer->tx_gso_sends || w <= 0)
		return 1.0;
	return (double)peer->tx_pkts / (double)w;
}

static json_t *reconcile_json(const struct result_in *in)
{
	const struct dp_ops *ops = case_dp(in->case_cfg);
	int64_t opt[DP_MAX_OPTS];
	struct dp_case dc;
	int kernel_ifs, stack;
	int nep = 2 * result_npairs(in);
	json_t *o = json_object(), *where = json_object(), *ns = json_object();
	json_t *fw = json_object();
	int64_t lost = 0, located = 0, if_tx = 0, sent = 0, received = 0, wire = 0;

	case_dp_view(in->case_cfg, &dc, opt);
	/* Frames of a PMD other than net_af_xdp never cross a kernel interface. */
	kernel_ifs = !ops || !ops->kernel_ifs || ops->kernel_ifs(opt);
	/* Behind the nft guard the UDP stack never sees our frames. */
	stack = !ops || !(ops->needs & DP_NEED_NFT_GUARD);
	for (int p = 0; p < nep; p += 2) {
		const struct ep_stats *a = &in->ep[p].shm->st, *b = &in->ep[p + 1].shm->st;
		int64_t a_tx = (int64_t)a->tx_pkts, b_tx = (int64_t)b->tx_pkts;
		int64_t b_rx = (int64_t)(b->rx_pkts - b->rx_dup);
		int64_t a_rx = (int64_t)(a->rx_pkts + a->rx_late - a->rx_dup);

		lost += (a_tx - b_rx) + (b_tx - a_rx);
		sent += a_tx + b_tx;
		wire += ep_wire_pkts(a) + ep_wire_pkts(b);
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
	/* A qdisc a topo_hook added drops before the device counts a thing. */
	for (int i = 0; i < in->nifs; i++) {
		int64_t d = (int64_t)(in->ifs[i].qdisc_after - in->ifs[i].qdisc_before);

		if (in->ifs[i].has_qdisc && d) {
			char k[48];

			snprintf(k, sizeof(k), "%s.qdisc_drops", in->ifs[i].name);
			json_object_set_new(where, k, json_integer(d));
			located += d;
		}
	}
	for (int i = 0; i < nep; i++) {
		json_t *n = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "udp_in_datagrams",
				      NSD(udp_in), "udp_in_errors", NSD(udp_inerrors),
				      "udp_rcvbuf_errors", NSD(udp_rcvbuf_errors), "udp_no_ports",
				      NSD(udp_noports), "ip_in_discards", NSD(ip_in_discards),
				      "ip_in_hdr_errors", NSD(ip_in_hdr_errors),
				      "ip_in_addr_errors", NSD(ip_in_addr_errors));
		int64_t d = (int64_t)((double)(NSD(udp_inerrors) + NSD(udp_noports) +
					       NSD(ip_in_discards) + NSD(ip_in_hdr_errors) +
					       NSD(ip_in_addr_errors)) *
					      stack_scale(in, i) + 0.5);
		char k[48], lbl[8];

		result_ep_label(lbl, sizeof(lbl), i);
		json_object_set_new(ns, lbl, n);
		snprintf(k, sizeof(k), "%s.udp_ip_stack_drops", lbl);
		/* Foreign frames can be behind these, never behind a full
		 * receive buffer (the workload's own). */
		if (stack)
			d -= foreign_stack_drops(in, i,
						 NSD(udp_noports) + NSD(ip_in_hdr_errors) +
							 NSD(ip_in_addr_errors) + NSD(udp_inerrors) -
							 NSD(udp_rcvbuf_errors),
						 fw);
		if (stack && d)
			json_object_set_new(where, k, json_integer(d));
		located += stack ? d : 0;
		located += dp_drops(where, ops, &in->ep[i].shm->ks, lbl);
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
	foreign_json(o, in, fw, lost - located);
	json_object_set_new(o, "netns_counters", ns);
	json_object_set_new(o, "softnet_dropped", json_integer((json_int_t)in->softnet_drops));
	/* Interfaces count GSO super-packets as one: compare with wire packets. */
	if (kernel_ifs) {
		json_object_set_new(o, "if_tx_packets", json_integer(if_tx));
		json_object_set_new(o, "endpoint_wire_packets", json_integer(wire));
		json_object_set_new(o, "if_tx_vs_endpoint_pct",
				    json_real(wire ? 100.0 * (double)(if_tx - wire) / (double)wire
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
	*reorder = pp ? 0 : bc->rx_reorder - bo->rx_reorder;
	*dup = pp ? ac->rx_dup - ao->rx_dup : bc->rx_dup - bo->rx_dup;
	/* A duplicate is not a packet received: it would make loss negative. */
	*rx = (pp ? ac->rx_pkts - ao->rx_pkts : bc->rx_pkts - bo->rx_pkts) - *dup;
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

/* A PMD's calls are its own: only the probes can count them, and a
 * core's calls are one endpoint's only with one pair on two cores (a's
 * sends on the first, b's receives on the second). */
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
	if (!(case_dp(c)->caps & DP_CAP_SYSCALLS)) {
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
	if (e->shm->ks.valid)
		dp_kgroups_json(o, case_dp(c), &e->shm->ks);
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
	uint64_t tx = 0, rx = 0, reorder = 0, dup = 0, wire = 0;
	double tx_pps, rx_pps;
	json_t *tp = json_object();

	/* Packets on the wire: a GSO super-packet is one until segmented. */
	for (int i = 0; i < 2 * result_npairs(in); i++)
		if (in->ep[i].w_open && in->ep[i].w_close)
			wire += (uint64_t)(ep_wire_pkts(in->ep[i].w_close) -
					   ep_wire_pkts(in->ep[i].w_open));

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
	json_object_set_new(tp, "wire_pps", json_real((double)wire / w));
	json_object_set_new(tp, "datagrams_per_wire_pkt",
			    json_real(wire ? (double)(tx + (pp ? rx : 0)) / (double)wire : 0));
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

/* topology=iface: each lent interface as the run found it, and the MAC a
 * addressed b with (from mac_b, or b's own). */
static void iface_topo_json(json_t *o, const struct topo *t)
{
	char mac[18], peer[18];

	for (int i = 0; i < 2; i++) {
		const struct topo_ep *ep = &t->ep[i];

		iface_fmt_mac(mac, sizeof(mac), ep->mac);
		json_object_set_new(
			o, i ? "b_if" : "a_if",
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "name", ep->ifname, "kind",
				  ep->if_kind, "driver", ep->if_driver, "mac", mac, "origin_netns",
				  ep->if_origin,
				  "prefix_len", ep->plen, "ifindex", ep->ifindex));
	}
	iface_fmt_mac(peer, sizeof(peer), t->ep[0].peer_mac);
	json_object_set_new(o, "b_mac", json_string(peer));
	json_object_set_new(o, "b_mac_source",
			    json_string(t->ep[0].mac_cfg ? "mac_b" : "interface"));
}

/* ---- the disturbance verdict ------------------------------------------------ */

static void disturb_add(json_t *rs, const char *check, const char *where, double v, double thr,
			const char *text)
{
	json_array_append_new(rs, json_pack("{s:s, s:s, s:f, s:f, s:s}", "check", check, "where",
					    where, "value", v, "threshold", thr, "text", text));
}

/* Each endpoint core over the window: other tasks' share (/proc/stat's
 * busy ticks less every endpoint's own run time on that core), and steal.
 * Both are judged beyond /proc/stat's resolution: two ticks a window. */
static json_t *disturb_cores(const struct result_in *in, int nep, json_t *rs)
{
	long hz = sysconf(_SC_CLK_TCK);
	double tick = 1e9 / (double)(hz > 0 ? hz : 100), w = (double)in->window_ns;
	json_t *arr = json_array();

	for (int i = 0; i < nep && w > 0; i++) {
		const struct result_ep_in *e = &in->ep[i];
		double busy, steal, own = 0, sirq, other, res = 100.0 * 2.0 * tick / w;
		char where[32], text[200];
		int first = 1;

		for (int j = 0; j < i; j++)
			first &= in->cpu[j] != in->cpu[i];
		if (!first || !e->tk_open || !e->tk_close || e->tk_close->total == e->tk_open->total)
			continue;
		busy = (double)(e->tk_close->busy - e->tk_open->busy) * tick;
		steal = 100.0 * (double)(e->tk_close->steal - e->tk_open->steal) * tick / w;
		for (int j = 0; j < nep; j++)
			if (in->cpu[j] == in->cpu[i] && in->ep[j].cpu_open)
				own += (double)(in->ep[j].cpu_close->run_ns - in->ep[j].cpu_open->run_ns);
		/* The softirq work the kernel finished in ksoftirqd is the case's. */
		sirq = (double)(e->tk_close->softirqd_ns - e->tk_open->softirqd_ns);
		other = 100.0 * (busy - own - sirq) / w;
		json_array_append_new(arr, json_pack("{s:i, s:f, s:f, s:f, s:f, s:f}", "cpu",
						     in->cpu[i], "other_tasks_pct", other,
						     "endpoints_run_pct", 100.0 * own / w,
						     "ksoftirqd_pct", 100.0 * sirq / w, "steal_pct",
						     steal, "resolution_pct", res));
		snprintf(where, sizeof(where), "cpu %u", in->cpu[i]);
		if (other - res > DISTURB_OTHER_TASKS_PCT) {
			snprintf(text, sizeof(text),
				 "other tasks took %.1f %% (+-%.1f) of cpu %u, the endpoints %.1f %%",
				 other, res, in->cpu[i], 100.0 * own / w);
			disturb_add(rs, "other_tasks", where, other, DISTURB_OTHER_TASKS_PCT, text);
		}
		if (steal - res > DISTURB_STEAL_PCT) {
			snprintf(text, sizeof(text), "steal time was %.1f %% (+-%.1f) of cpu %u", steal,
				 res, in->cpu[i]);
			disturb_add(rs, "steal", where, steal, DISTURB_STEAL_PCT, text);
		}
	}
	return arr;
}

/* The probes' view of the same: "other tasks" in each core's traced time. */
static void disturb_probes(const struct result_in *in, json_t *cores, json_t *rs)
{
	json_t *c, *k;
	size_t i, j;

	json_array_foreach(json_object_get(in->attribution, "cores"), i, c) {
		json_t *g = json_object_get(json_object_get(c, "groups"), "other tasks (off-CPU)");
		double tot = json_number_value(json_object_get(c, "attributed_ns"));
		double pct = tot > 0 ? 100.0 * json_number_value(json_object_get(g, "ns_exact")) / tot
				     : 0;
		json_int_t cpu = json_integer_value(json_object_get(c, "cpu"));
		char where[32], text[160];

		if (tot <= 0)
			continue;
		json_array_foreach(cores, j, k)
			if (json_integer_value(json_object_get(k, "cpu")) == cpu)
				json_object_set_new(k, "other_tasks_probes_pct", json_real(pct));
		if (pct <= DISTURB_OTHER_TASKS_PCT)
			continue;
		snprintf(where, sizeof(where), "cpu %lld", (long long)cpu);
		snprintf(text, sizeof(text), "the probes saw other tasks on cpu %lld for %.1f %% of "
			 "its traced time", (long long)cpu, pct);
		disturb_add(rs, "other_tasks_probes", where, pct, DISTURB_OTHER_TASKS_PCT, text);
	}
}

/* Each endpoint over the window: time runnable but not running, and
 * involuntary switches (something else was given its core). */
static json_t *disturb_endpoints(const struct result_in *in, int nep, json_t *rs)
{
	double w = (double)in->window_ns;
	json_t *o = json_object();

	for (int i = 0; i < nep && w > 0; i++) {
		const struct result_ep_in *e = &in->ep[i];
		uint64_t niv;
		double wait, ivs;
		char lbl[8], text[160];

		if (!e->cpu_open || !e->cpu_close)
			continue;
		niv = e->cpu_close->nivcsw - e->cpu_open->nivcsw;
		wait = 100.0 * (double)(e->cpu_close->wait_ns - e->cpu_open->wait_ns) / w;
		ivs = (double)niv * 1e9 / w;
		result_ep_label(lbl, sizeof(lbl), i);
		json_object_set_new(o, lbl, json_pack("{s:f, s:f, s:I}", "run_queue_wait_pct", wait,
						      "involuntary_switches_per_s", ivs,
						      "involuntary_switches", (json_int_t)niv));
		if (wait > DISTURB_RQ_WAIT_PCT) {
			snprintf(text, sizeof(text),
				 "endpoint %s waited %.1f %% of the window for its core", lbl, wait);
			disturb_add(rs, "run_queue_wait", lbl, wait, DISTURB_RQ_WAIT_PCT, text);
		}
		if (ivs > DISTURB_NIVCSW_PER_S) {
			snprintf(text, sizeof(text),
				 "endpoint %s was switched out involuntarily %.0f times a second", lbl,
				 ivs);
			disturb_add(rs, "involuntary_switches", lbl, ivs, DISTURB_NIVCSW_PER_S, text);
		}
	}
	return o;
}

/* "disturbed" and "disturbance": whether anything else competed with the
 * case for its cores, what and how much. The case keeps its figures. */
static void disturbance_json(json_t *r, const struct result_in *in, int nep)
{
	json_t *d = json_object(), *rs = json_array(), *cores, *runs = json_array();
	char text[320];
	int n = 0;

	cores = disturb_cores(in, nep, rs);
	disturb_probes(in, cores, rs);
	json_object_set_new(d, "cores", cores);
	json_object_set_new(d, "endpoints", disturb_endpoints(in, nep, rs));
	for (const char *p = in->other_runs; *p;) {
		size_t l = strcspn(p, " ");

		json_array_append_new(runs, json_stringn(p, l));
		n++;
		p += l + (p[l] == ' ');
	}
	if (n) {
		snprintf(text, sizeof(text), "%d other bypasslab run(s) alive during the case: %s", n,
			 in->other_runs);
		disturb_add(rs, "other_runs", in->other_runs, n, 0, text);
	}
	json_object_set_new(d, "other_runs", runs);
	json_object_set_new(d, "thresholds",
			    json_pack("{s:f, s:f, s:f, s:f, s:i}", "other_tasks_pct",
				      DISTURB_OTHER_TASKS_PCT, "run_queue_wait_pct",
				      DISTURB_RQ_WAIT_PCT, "involuntary_switches_per_s",
				      DISTURB_NIVCSW_PER_S, "steal_pct", DISTURB_STEAL_PCT,
				      "other_runs", 0));
	json_object_set_new(r, "disturbed", json_boolean(json_array_size(rs) > 0));
	json_object_set_new(d, "reasons", rs);
	json_object_set_new(r, "disturbance", d);
}

/* type, case, status, params, machine, topology: what the case was. */
static json_t *case_head_json(const struct result_in *in)
{
	const struct case_cfg *c = in->case_cfg;
	json_t *r = json_object();
	char dir[128];

	snprintf(dir, sizeof(dir), "%03d-%s%s%s-%s-%s-%u-r%u", in->idx + 1, c->datapath,
		 c->variant[0] ? "-" : "", c->variant, topo_name(c->topology),
		 pattern_name(c->pattern), c->size, c->rep + 1);
	json_object_set_new(r, "type", json_string("case"));
	json_object_set_new(r, "case", json_integer(in->idx + 1));
	json_object_set_new(r, "case_dir", json_string(dir));
	json_object_set_new(r, "status", json_string(in->status));
	json_object_set_new(r, "token", json_integer((json_int_t)in->token));
	if (in->error && in->error[0])
		json_object_set_new(r, "error", json_string(in->error));
	json_object_set_new(r, "params", case_cfg_json(c));
	json_object_set_new(r, "datapath", datapath_json(c));
	json_object_set_new(r, "machine", json_deep_copy(in->machine));
	if (in->topo) {
		char ip[2][INET_ADDRSTRLEN];

		for (int i = 0; i < 2; i++)
			inet_ntop(AF_INET, &in->topo->ep[i].ip, ip[i], sizeof(ip[i]));
		json_t *topo = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", topo_name(c->topology),
					 "a_ns", in->topo->ep[0].ns, "b_ns", in->topo->ep[1].ns,
					 "a_ip", ip[0], "b_ip", ip[1]);

		if (c->topology == TOPO_IFACE || c->topology == TOPO_HOSTS)
			iface_topo_json(topo, in->topo);
		if (in->hosts)
			json_object_set_new(topo, "hosts", json_incref(in->hosts));
		json_object_set_new(r, "topology", topo);
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
	disturbance_json(r, in, window ? nep : 0);
	if (in->dpdk)
		json_object_set_new(r, "dpdk", in->dpdk);
	json_object_set_new(r, "samples", samples ? samples : json_array());
	if (in->attribution) {
		json_object_set_new(in->attribution, "mode", json_string(probes_name(c->probes)));
		json_object_set_new(r, "attribution", in->attribution);
	}
	return r;
}

/* ---- searched cases ---------------------------------------------------- */

/* The largest drop counter of a trial's reconciliation, in words: the UDP
 * stack's drops split by the namespace's own counters. */
static void loss_words(json_t *rec, char *at, size_t alen, char *what, size_t wlen)
{
	static const struct {
		const char *k, *words;
	} udp[] = {
		{ "udp_rcvbuf_errors", "UDP receive buffer errors" },
		{ "udp_no_ports", "UDP datagrams to no socket" },
		{ "ip_in_discards", "IP input discards" },
		{ "ip_in_hdr_errors", "IP header errors" },
		{ "ip_in_addr_errors", "IP address errors" },
		{ "udp_in_errors", "UDP input errors" },
	};
	json_t *where = json_object_get(rec, "where"), *v, *ns;
	const char *key, *best = NULL;
	json_int_t most = 0;
	char ep[16];

	json_object_foreach(where, key, v)
		if (json_integer_value(v) > most) {
			most = json_integer_value(v);
			best = key;
		}
	if (!best) {
		snprintf(at, alen, "unexplained");
		snprintf(what, wlen, "no drop counter on the path counted the lost packets");
		return;
	}
	snprintf(at, alen, "%s", best);
	snprintf(what, wlen, "%s", best);
	if (strstr(best, ".qdisc_drops")) {
		snprintf(what, wlen, "drops in the qdisc on %.*s",
			 (int)(strstr(best, ".qdisc_drops") - best), best);
		return;
	}
	if (strstr(best, ".tx_dropped")) {
		snprintf(what, wlen, "%.*s could not hand frames on (tx_dropped)",
			 (int)(strstr(best, ".tx_dropped") - best), best);
		return;
	}
	if (!strstr(best, ".udp_ip_stack_drops")) {
		const char *dot = strchr(best, '.');

		/* A datapath's own counter, "b.xsk_drops": its name, then whose. */
		if (dot)
			snprintf(what, wlen, "%s in %.*s", dot + 1, (int)(dot - best), best);
		return;
	}
	snprintf(ep, sizeof(ep), "%.*s", (int)(strchr(best, '.') - best), best);
	ns = json_object_get(json_object_get(rec, "netns_counters"), ep);
	/* udp_in_errors includes the receive buffer errors: it comes last. */
	for (size_t i = 0; i < sizeof(udp) / sizeof(udp[0]); i++) {
		if (json_integer_value(json_object_get(ns, udp[i].k)) > 0) {
			snprintf(at, alen, "%s.%s", ep, udp[i].k);
			snprintf(what, wlen, "%s in %s", udp[i].words, ep);
			return;
		}
	}
}

static json_t *trial_json(const struct search *s, int i, json_t *res)
{
	const struct search_trial *t = &s->trials[i];
	json_t *rec = json_object_get(res, "reconcile");
	json_t *o = json_object();

	json_object_set_new(o, "kind", json_string(search_kind_name(t->kind)));
	json_object_set_new(o, "goal", t->goal >= 0 ? json_string(search_goal_name(t->goal)) :
						      json_null());
	json_object_set_new(o, "target_pps", t->target_pps ?
						     json_integer((json_int_t)t->target_pps) :
						     json_string("max"));
	json_object_set_new(o, "duration_s", json_real(t->duration_s));
	json_object_set_new(o, "offered_pps", json_real(t->offered_pps));
	if (t->target_pps)
		json_object_set_new(o, "offered_vs_target_pct",
				    json_real(100.0 * (t->offered_pps - (double)t->target_pps) /
					      (double)t->target_pps));
	json_object_set_new(o, "received_pps", json_real(t->received_pps));
	json_object_set_new(o, "sent", json_integer(t->sent));
	json_object_set_new(o, "lost", json_integer(t->lost));
	json_object_set_new(o, "loss_pct", json_real(t->loss_pct));
	json_object_set_new(o, "on_pace", json_boolean(t->on_pace));
	json_object_set_new(o, "used", json_boolean(t->used));
	json_object_set_new(o, "short_of_target", json_boolean(t->short_of_target));
	json_object_set_new(o, "judged_at_pps", json_integer((json_int_t)t->rate_pps));
	json_object_set_new(o, "pass_ndr", json_boolean(t->pass[0]));
	json_object_set_new(o, "pass_pdr", json_boolean(t->pass[1]));
	if (rec) {
		json_object_set(o, "where", json_object_get(rec, "where"));
		json_object_set(o, "unexplained", json_object_get(rec, "unexplained"));
	}
	/* Something else competed for the trial's cores: its verdict may be that. */
	if (json_is_boolean(json_object_get(res, "disturbed")))
		json_object_set(o, "disturbed", json_object_get(res, "disturbed"));
	return o;
}

/* Where the packets went at the lowest rate that lost any. */
static json_t *first_loss_json(const struct search *s, json_t *const *res)
{
	int i = s->g[0].first_fail;
	json_t *rec, *o;
	char at[96], what[160];

	if (i < 0 || !res[i])
		return json_null();
	rec = json_object_get(res[i], "reconcile");
	loss_words(rec, at, sizeof(at), what, sizeof(what));
	o = json_pack("{s:i, s:o, s:f, s:f, s:I, s:O, s:O, s:s, s:s}", "trial", i, "target_pps",
		      s->trials[i].target_pps ? json_integer((json_int_t)s->trials[i].target_pps) :
						json_string("max"),
		      "offered_pps",
		      s->trials[i].offered_pps, "loss_pct", s->trials[i].loss_pct, "lost",
		      (json_int_t)s->trials[i].lost, "located", json_object_get(rec, "located"),
		      "where", json_object_get(rec, "where"), "at", at, "what", what);
	return o;
}

static json_t *goal_json(const struct result_search_in *in, int g, json_t *sj)
{
	const struct search *s = in->s;
	const struct search_goal *sg = &s->g[g];
	unsigned int size = in->case_cfg->size;
	int found = sg->outcome == SEARCH_CONFIRMED || sg->outcome == SEARCH_UNCONFIRMED;
	double pps = (double)sg->rate_pps;
	char k[32];
	json_t *o = json_object();

	json_object_set_new(o, "outcome", json_string(search_outcome_name(sg->outcome)));
	json_object_set_new(o, "finals", json_integer(sg->finals));
	json_object_set_new(o, "final_trial", sg->final_trial >= 0 ? json_integer(sg->final_trial) :
								      json_null());
	json_object_set_new(o, "bracket_lo_pps", json_integer((json_int_t)sg->lo));
	/* No bound yet: stopped in the trial that was to measure it. */
	json_object_set_new(o, "bracket_hi_pps", sg->hi == UINT64_MAX ?
							 json_null() :
							 json_integer((json_int_t)sg->hi));
	json_object_set_new(o, "pps", found ? json_integer((json_int_t)sg->rate_pps) : json_null());
	json_object_set_new(o, "gbps_l2", found ? json_real(pps * size * 8 / 1e9) : json_null());
	json_object_set_new(o, "gbps_l1",
			    found ? json_real(pps * (size + FRAME_L1_OVERHEAD) * 8 / 1e9) :
				    json_null());
	/* The flat figures the tables read. */
	snprintf(k, sizeof(k), "%s_pps", search_goal_name(g));
	json_object_set(sj, k, json_object_get(o, "pps"));
	snprintf(k, sizeof(k), "%s_gbps_l2", search_goal_name(g));
	json_object_set(sj, k, json_object_get(o, "gbps_l2"));
	snprintf(k, sizeof(k), "%s_gbps_l1", search_goal_name(g));
	json_object_set(sj, k, json_object_get(o, "gbps_l1"));
	return o;
}

json_t *result_search_json(const struct result_search_in *in, int with_finals)
{
	const struct search *s = in->s;
	const struct search_cfg *sc = &s->cfg;
	json_t *o = json_object(), *trials = json_array(), *finals = json_object();

	json_object_set_new(o, "goals", json_string(search_name(sc->goals)));
	json_object_set_new(o, "status", json_string(s->status == -EINTR ? "interrupted" :
						     s->status		? "failed" :
									  "ok"));
	json_object_set_new(o, "pdr_loss_pct", json_real(sc->pdr_loss_pct));
	json_object_set_new(o, "precision_pct", json_real(sc->precision_pct));
	json_object_set_new(o, "trial_s", json_real(sc->trial_s));
	json_object_set_new(o, "final_s", json_real(sc->final_s));
	json_object_set_new(o, "final_retries_max", json_integer(SEARCH_FINAL_RETRIES));
	json_object_set_new(o, "pace_tolerance_pct", json_real(SEARCH_PACE_TOL_PCT));
	json_object_set_new(o, "pace_retries_max", json_integer(SEARCH_PACE_RETRIES));
	json_object_set_new(o, "max_trials", json_integer(SEARCH_MAX_TRIALS));
	json_object_set_new(o, "max_given", json_boolean(sc->max_pps != 0));
	json_object_set_new(o, "max_pps", json_integer((json_int_t)s->max_pps));
	if (s->ntrials) {
		json_object_set_new(o, "max_rx_pps", json_real(s->trials[0].received_pps));
		json_object_set_new(o, "max_loss_pct", json_real(s->trials[0].loss_pct));
	}
	for (int g = 0; g < SEARCH_NGOALS; g++)
		if (sc->goals & (g ? SEARCH_PDR : SEARCH_NDR))
			json_object_set_new(o, search_goal_name(g), goal_json(in, g, o));
	for (int i = 0; i < s->ntrials; i++)
		json_array_append_new(trials, trial_json(s, i, in->trial_res[i]));
	json_object_set_new(o, "trials", trials);
	json_object_set_new(o, "first_loss", first_loss_json(s, in->trial_res));
	for (int g = 0; with_finals && g < SEARCH_NGOALS; g++) {
		int f = s->g[g].final_trial;

		if (f >= 0 && in->trial_res[f])
			json_object_set_new(finals, search_goal_name(g),
					    json_deep_copy(in->trial_res[f]));
	}
	json_object_set_new(o, "final", finals);
	return o;
}

json_t *result_search_build(const struct result_search_in *in)
{
	const struct search *s = in->s;
	int prim = s->cfg.goals & SEARCH_NDR ? 0 : 1, top = s->g[prim].final_trial;
	struct result_in head = { .case_cfg = in->case_cfg, .machine = in->machine,
				  .idx = in->idx, .status = "ok" };
	json_t *r;

	for (int i = s->ntrials - 1; i >= 0 && (top < 0 || !in->trial_res[top]); i--)
		top = in->trial_res[i] ? i : -1;
	r = top >= 0 ? json_deep_copy(in->trial_res[top]) : case_head_json(&head);
	json_object_set_new(r, "params", case_cfg_json(in->case_cfg));
	json_object_set_new(r, "status", json_string(s->status == -EINTR ? "interrupted" :
						     s->status		? "failed" :
									  "ok"));
	if (s->status && s->status != -EINTR && in->error)
		json_object_set_new(r, "error", json_string(in->error));
	else
		json_object_del(r, "error");
	json_object_set_new(r, "search", result_search_json(in, 1));
	json_object_set_new(json_object_get(r, "search"), "top_level_trial",
			    top >= 0 ? json_integer(top) : json_null());
	return r;
}

json_t *result_load_build(json_t *res, const struct case_cfg *c, uint64_t ref_pps,
			  json_t *search)
{
	json_object_set_new(res, "load",
			    json_pack("{s:s, s:f, s:I, s:I}", "of", rate_ref_name(c->rate_of),
				      "pct", c->rate_pct, "ref_pps", (json_int_t)ref_pps,
				      "rate_pps", (json_int_t)c->rate_pps));
	json_object_set_new(res, "search", search ? search : json_null());
	return res;
}

json_t *result_load_failed(const struct case_cfg *c, int idx, json_t *machine, const char *why,
			   json_t *search)
{
	struct result_in head = { .case_cfg = c, .machine = machine, .idx = idx,
				  .status = "failed", .error = why };
	json_t *r = case_head_json(&head);

	json_object_set_new(r, "search", search ? search : json_null());
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
