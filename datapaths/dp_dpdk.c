// SPDX-License-Identifier: BSD-3-Clause
/*
 * dpdk: DPDK 22.11 ethdev. The harness builds the whole EAL command line
 * (cfg->dpdk_eal: one lcore on the endpoint's CPU, a --file-prefix of its
 * own, --no-pci unless a PCI device is named, and exactly one port as a
 * --vdev or an allow-listed PCI address); the endpoint's thread is the main
 * lcore and runs the engine loop, as testpmd's forwarding lcores do.
 *
 * Ports (enum dpdk_port_kind): vhost (net_vhost / net_virtio_user over a
 * vhost-user socket, directly or through a switch), memif (shared memory
 * between two endpoints), af_xdp (net_af_xdp on the endpoint's veth) and
 * sriov (a VF). The driver does not matter here: one queue pair, mbufs
 * from one pool, frames built by the engine straight into mbufs
 * (DP_CAP_ZC_TX).
 *
 * Receive is promiscuous-safe: a frame not addressed to this endpoint
 * (destination MAC, IPv4, UDP port) is freed before the engine sees it and
 * counted in rx_foreign.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp.h"
#include "frame.h"

#define DPDK_MAX_ARGS 48
#define DPDK_MIN_DESC 256
#define DPDK_MAX_DESC 4096

/* cfg->opt[]: dk_opts[] in this order. The endpoint itself only sees the
 * EAL line the harness built from dpdk_port. */
enum dk_opt { DK_OPT_PORT = 0 };

struct dk_priv {
	uint16_t port;
	int eal_up, port_up;
	struct rte_mempool *mp;
	/* Handed out by the last alloc_tx and not yet transmitted (NULL once
	 * the PMD owns them); buf.priv is the index here. */
	struct rte_mbuf *out[DP_MAX_BURST];
	int nout;
	uint8_t mac[6];
	uint32_t ip;
	uint16_t port_be;
	uint16_t nb_rxd, nb_txd;
};

/*
 * net_af_xdp loads its program through libxdp, which first tries (and here
 * fails, EPERM) its multi-program dispatcher and falls back: keep their
 * chatter out of the harness's output, and the last line for an error.
 */
static char dk_lib_last[160];

static int dk_lib_print(const char *fmt, va_list ap)
{
	vsnprintf(dk_lib_last, sizeof(dk_lib_last), fmt, ap);
	return 0;
}

static int dk_bpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : dk_lib_print(fmt, ap);
}

static int dk_xdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return level == LIBXDP_DEBUG ? 0 : dk_lib_print(fmt, ap);
}

static int dk_probe(void)
{
	return 0;
}

static void dk_msg(struct dp_ctx *ctx, const char *fmt, const char *what, int err)
{
	snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg), fmt, what, rte_strerror(err));
}

/* Split the harness's command line in place into argv. */
static int dk_split(char *line, char **argv, int max)
{
	int argc = 0;

	argv[argc++] = "bypasslab-endpoint";
	for (char *tok = strtok(line, " "); tok; tok = strtok(NULL, " ")) {
		if (argc >= max - 1)
			return -E2BIG;
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return argc;
}

static int dk_port_setup(struct dp_ctx *ctx, struct dk_priv *p)
{
	const struct ep_config *cfg = ctx->cfg;
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	unsigned int want = cfg->ring_frames, nmbufs;
	int sock, err;

	err = rte_eth_dev_info_get(p->port, &info);
	if (err)
		return dk_msg(ctx, "%s: %s", "rte_eth_dev_info_get", -err), err;
	if (want < DPDK_MIN_DESC)
		want = DPDK_MIN_DESC;
	if (want > DPDK_MAX_DESC)
		want = DPDK_MAX_DESC;
	p->nb_rxd = p->nb_txd = (uint16_t)want;
	err = rte_eth_dev_configure(p->port, 1, 1, &conf);
	if (err)
		return dk_msg(ctx, "%s: %s", "rte_eth_dev_configure", -err), err;
	err = rte_eth_dev_adjust_nb_rx_tx_desc(p->port, &p->nb_rxd, &p->nb_txd);
	if (err)
		return dk_msg(ctx, "%s: %s", "rte_eth_dev_adjust_nb_rx_tx_desc", -err), err;
	sock = rte_eth_dev_socket_id(p->port);
	if (sock < 0)
		sock = (int)rte_socket_id();
	/* Every descriptor of both rings, a burst in the engine's hands on
	 * each side, and the per-lcore cache: 2^k - 1 for the ring mempool. */
	nmbufs = (unsigned int)p->nb_rxd + p->nb_txd + 2 * DP_MAX_BURST + 512;
	for (want = 1023; want < nmbufs; want = want * 2 + 1)
		;
	p->mp = rte_pktmbuf_pool_create("bl_mbufs", want, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					sock);
	if (!p->mp)
		return dk_msg(ctx, "%s: %s", "rte_pktmbuf_pool_create", rte_errno), -rte_errno;
	err = rte_eth_rx_queue_setup(p->port, 0, p->nb_rxd, (unsigned int)sock, NULL, p->mp);
	if (err)
		return dk_msg(ctx, "%s: %s", "rte_eth_rx_queue_setup", -err), err;
	err = rte_eth_tx_queue_setup(p->port, 0, p->nb_txd, (unsigned int)sock, NULL);
	if (err)
		return dk_msg(ctx, "%s: %s", "rte_eth_tx_queue_setup", -err), err;
	err = rte_eth_dev_start(p->port);
	if (err)
		return dk_msg(ctx, "%s: %s", "rte_eth_dev_start", -err), err;
	p->port_up = 1;
	/* Not every PMD has a filter to open (vhost, memif): the software
	 * filter in dk_rx_burst is what keeps foreign frames out. */
	rte_eth_promiscuous_enable(p->port);
	snprintf(ctx->shm->dp_info, sizeof(ctx->shm->dp_info),
		 "%s lcore %u rxd %u txd %u mbufs %u", info.driver_name, rte_lcore_id(),
		 p->nb_rxd, p->nb_txd, want);
	return 0;
}

static int dk_open(struct dp_ctx *ctx)
{
	static char line[sizeof(ctx->cfg->dpdk_eal)];
	struct dk_priv *p = ctx->priv;
	char *argv[DPDK_MAX_ARGS];
	uint16_t pid;
	int argc, n = 0, err;

	memcpy(p->mac, ctx->cfg->src_mac, 6);
	p->ip = ctx->cfg->src_ip;
	p->port_be = htons(ctx->cfg->sport);
	snprintf(line, sizeof(line), "%s", ctx->cfg->dpdk_eal);
	argc = dk_split(line, argv, DPDK_MAX_ARGS);
	if (argc < 0) {
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg),
			 "EAL command line has more than %d arguments", DPDK_MAX_ARGS - 2);
		return argc;
	}
	libbpf_set_print(dk_bpf_print);
	libxdp_set_print(dk_xdp_print);
	if (rte_eal_init(argc, argv) < 0) {
		err = rte_errno;
		dk_msg(ctx, "%s: %s", "rte_eal_init", err);
		if (dk_lib_last[0])
			snprintf(ctx->shm->errmsg + strlen(ctx->shm->errmsg),
				 sizeof(ctx->shm->errmsg) - strlen(ctx->shm->errmsg), " (%s)",
				 strtok(dk_lib_last, "\n"));
		/* No hugepages, no vhost support, ...: not this machine's fault
		 * to report as a crash. */
		return err == ENOTSUP || err == ENOENT ? -EOPNOTSUPP : -(err ? err : EINVAL);
	}
	p->eal_up = 1;
	RTE_ETH_FOREACH_DEV(pid) {
		if (!n)
			p->port = pid;
		n++;
	}
	if (n != 1) {
		snprintf(ctx->shm->errmsg, sizeof(ctx->shm->errmsg),
			 "the EAL brought up %d ports, expected exactly 1", n);
		return -ENODEV;
	}
	return dk_port_setup(ctx, p);
}

static void dk_close(struct dp_ctx *ctx)
{
	struct dk_priv *p = ctx->priv;

	for (int i = 0; i < p->nout; i++)
		if (p->out[i])
			rte_pktmbuf_free(p->out[i]);
	p->nout = 0;
	if (p->port_up) {
		rte_eth_dev_stop(p->port);
		rte_eth_dev_close(p->port);
		p->port_up = 0;
	}
	/* With the port closed every mbuf is back, unless one leaked. */
	if (p->mp) {
		ctx->shm->ks.mbufs_free = rte_mempool_avail_count(p->mp);
		rte_mempool_free(p->mp);
	}
	p->mp = NULL;
	if (p->eal_up)
		rte_eal_cleanup();
	p->eal_up = 0;
}

static int dk_link(struct dp_ctx *ctx)
{
	struct dk_priv *p = ctx->priv;
	struct rte_eth_link link;

	if (!p->port_up || rte_eth_link_get_nowait(p->port, &link))
		return 0;
	return link.link_status == RTE_ETH_LINK_UP;
}

static int dk_alloc_tx(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct dk_priv *p = ctx->priv;

	/* What the engine did not send last time goes back to the pool. */
	for (int i = 0; i < p->nout; i++)
		if (p->out[i])
			rte_pktmbuf_free(p->out[i]);
	p->nout = 0;
	if (n > DP_MAX_BURST)
		n = DP_MAX_BURST;
	while (n > 0 && rte_pktmbuf_alloc_bulk(p->mp, p->out, (unsigned int)n))
		n /= 2;
	for (int i = 0; i < n; i++) {
		bufs[i].data = rte_pktmbuf_mtod(p->out[i], void *);
		bufs[i].priv = (uint64_t)i;
	}
	p->nout = n;
	return n;
}

static int dk_tx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct dk_priv *p = ctx->priv;
	struct rte_mbuf *m[DP_MAX_BURST];
	uint16_t sent;

	for (int i = 0; i < n; i++) {
		uint64_t idx = bufs[i].priv;

		if (idx >= (uint64_t)p->nout || !p->out[idx])
			return -EINVAL; /* not a buffer from alloc_tx */
		m[i] = p->out[idx];
		m[i]->data_len = (uint16_t)bufs[i].len;
		m[i]->pkt_len = bufs[i].len;
	}
	sent = rte_eth_tx_burst(p->port, 0, m, (uint16_t)n);
	for (int i = 0; i < sent; i++)
		p->out[bufs[i].priv] = NULL;
	return sent;
}

/* Ours: to our MAC, IPv4/UDP to our address and port. FRAME_OK, or why
 * not (enum frame_bad: the engine checks the rest). */
static inline int dk_ours(const struct dk_priv *p, const uint8_t *f, uint32_t len)
{
	uint16_t dport;
	uint32_t dip;

	if (len < FRAME_HDRS)
		return FRAME_BAD_LEN;
	if (memcmp(f, p->mac, 6))
		return FRAME_BAD_MAC;
	if (f[12] != 0x08 || f[13] != 0x00 || f[FRAME_ETH_HLEN + 9] != 17)
		return FRAME_BAD_IP;
	memcpy(&dip, f + FRAME_ETH_HLEN + 16, 4);
	memcpy(&dport, f + FRAME_ETH_HLEN + FRAME_IP_HLEN + 2, 2);
	if (dip != p->ip)
		return FRAME_BAD_IP;
	return dport == p->port_be ? FRAME_OK : FRAME_BAD_PORT;
}

static int dk_rx_burst(struct dp_ctx *ctx, struct pkt_buf *bufs, int max)
{
	struct dk_priv *p = ctx->priv;
	struct rte_mbuf *m[DP_MAX_BURST];
	uint16_t n;
	int k = 0;

	if (max > DP_MAX_BURST)
		max = DP_MAX_BURST;
	n = rte_eth_rx_burst(p->port, 0, m, (uint16_t)max);
	for (int i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *);
		int why = m[i]->nb_segs != 1 ? FRAME_BAD_LEN : dk_ours(p, f, m[i]->data_len);

		if (why != FRAME_OK) {
			ctx->st->rx_foreign++;
			ctx->st->rx_foreign_by[why]++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		bufs[k].data = (void *)f;
		bufs[k].len = m[i]->data_len;
		bufs[k].priv = (uint64_t)(uintptr_t)m[i];
		k++;
	}
	return k;
}

static void dk_release(struct dp_ctx *ctx, struct pkt_buf *bufs, int n)
{
	struct rte_mbuf *m[DP_MAX_BURST];

	(void)ctx;
	for (int i = 0; i < n; i++)
		m[i] = (struct rte_mbuf *)(uintptr_t)bufs[i].priv;
	rte_pktmbuf_free_bulk(m, (unsigned int)n);
}

static int dk_kstats(struct dp_ctx *ctx, struct ep_kstats *ks)
{
	struct dk_priv *p = ctx->priv;
	struct rte_eth_stats s;

	if (!p->port_up || rte_eth_stats_get(p->port, &s))
		return -EIO;
	/* The engine has stopped: a burst it allocated and never sent goes
	 * back (mbufs_free is final only after close: PMDs hold mbufs in
	 * their rings until then). */
	for (int i = 0; i < p->nout; i++)
		if (p->out[i])
			rte_pktmbuf_free(p->out[i]);
	p->nout = 0;
	ks->eth_ipackets = s.ipackets;
	ks->eth_opackets = s.opackets;
	ks->eth_imissed = s.imissed;
	ks->eth_ierrors = s.ierrors;
	ks->eth_oerrors = s.oerrors;
	ks->eth_rx_nombuf = s.rx_nombuf;
	ks->mbufs_free = rte_mempool_avail_count(p->mp);
	ks->mbufs_total = p->mp->size;
	return 0;
}

static const char *const *dk_check(const struct dp_case *dc, char *msg, size_t len)
{
	static const char *const lxc[] = { "container", "datapath", NULL };
	static const char *const memif[] = { "dpdk_port", "topology", NULL };
	static const char *const pairs[] = { "pairs", "dpdk_port", "topology", NULL };
	static const char *const blocking[] = { "blocking", "datapath", NULL };
	int64_t port = dc->opt[DK_OPT_PORT];

	if (dc->container) {
		snprintf(msg, len, "DPDK endpoints run in network namespaces (allowed: "
				   "datapath=dpdk with container=netns)");
		return lxc;
	}
	/* memif joins exactly two processes; there is nothing to bridge. */
	if (port == DPDK_PORT_MEMIF && dc->bridge) {
		snprintf(msg, len, "memif connects two endpoints directly (allowed: "
				   "dpdk_port=memif with topology=direct)");
		return memif;
	}
	/* One switch with two vhost-user ports per case. */
	if (port == DPDK_PORT_VHOST && dc->bridge && dc->pairs > 1) {
		snprintf(msg, len, "the vhost switch has one pair of ports (allowed: pairs=1 with "
				   "dpdk_port=vhost and topology=bridge, or topology=direct)");
		return pairs;
	}
	/* A DPDK lcore polls; there is nothing to block in. */
	if (dc->blocking) {
		snprintf(msg, len, "a DPDK lcore busy-polls its port (allowed: blocking=no with "
				   "datapath=dpdk)");
		return blocking;
	}
	return NULL;
}

/* vhost through a bridge: a switch joins the two vhost-user ports. */
static unsigned int dk_case_needs(const struct dp_case *dc)
{
	return dc->opt[DK_OPT_PORT] == DPDK_PORT_VHOST && dc->bridge ? DP_NEED_SWITCH : 0;
}

/* Only net_af_xdp puts the endpoint's frames on its veth. */
static int dk_kernel_ifs(const int64_t *opt)
{
	return opt[DK_OPT_PORT] == DPDK_PORT_AF_XDP;
}

/* Index = enum dpdk_port_kind. */
static const char *const dk_port_words[] = { "vhost", "memif", "af_xdp", "sriov", NULL };

static const struct dp_opt dk_opts[] = {
	{ "dpdk_port", DP_OPT_ENUM, dk_port_words, .allowed = "vhost|memif|af_xdp|sriov",
	  .def = "vhost",
	  .help = "vhost = net_virtio_user/net_vhost over vhost-user (topology=direct: "
		  "endpoint to endpoint; bridge: through dpdk_switch); memif = shared memory, "
		  "the ceiling (direct only); af_xdp = DPDK's net_af_xdp PMD on the endpoint's "
		  "veth; sriov = an SR-IOV VF (vfio-pci)" },
	{ NULL },
};

/* The port's own drop counters: the kernel sees none of its frames,
 * except af_xdp's veth. */
static const struct dp_drop dk_drops[] = {
	DP_DROP("dpdk_port_drops", DP_KS(eth_imissed), DP_KS(eth_ierrors), DP_KS(eth_rx_nombuf),
		DP_KS(eth_oerrors)),
	{ NULL },
};

/* The port's rte_eth_stats and the mempool. */
static const struct dp_kfield dk_port_fields[] = {
	{ "ipackets", DP_KS(eth_ipackets) },   { "opackets", DP_KS(eth_opackets) },
	{ "imissed", DP_KS(eth_imissed) },     { "ierrors", DP_KS(eth_ierrors) },
	{ "oerrors", DP_KS(eth_oerrors) },     { "rx_nombuf", DP_KS(eth_rx_nombuf) },
	{ "mbufs_free", DP_KS(mbufs_free) },   { "mbufs_total", DP_KS(mbufs_total) },
	{ NULL },
};

static const struct dp_kgroup dk_kgroups[] = {
	{ NULL, "dpdk_port", dk_port_fields },
	{ NULL },
};

const struct dp_ops dp_dpdk_ops = {
	.name = "dpdk",
	.desc = "DPDK 22.11 ethdev: vhost-user, memif, af_xdp PMD or an SR-IOV VF; one lcore",
	/* No DP_CAP_SYSCALLS: the PMD's calls are its own. */
	.caps = DP_CAP_L2 | DP_CAP_BATCH | DP_CAP_ZC_TX,
	.needs = DP_NEED_EAL,
	.opts = dk_opts,
	.drops = dk_drops,
	.kgroups = dk_kgroups,
	.check = dk_check,
	.kernel_ifs = dk_kernel_ifs,
	.case_needs = dk_case_needs,
	.label_opt = "dpdk_port",
	.priv_size = sizeof(struct dk_priv),
	.probe = dk_probe,
	.open = dk_open,
	.close = dk_close,
	.alloc_tx = dk_alloc_tx,
	.tx_burst = dk_tx_burst,
	.rx_burst = dk_rx_burst,
	.release = dk_release,
	.kstats = dk_kstats,
	.link = dk_link,
};
