// SPDX-License-Identifier: BSD-3-Clause
/*
 * One case in phases over one struct case_run:
 *
 *   topology    namespaces (or the bridge LXC joins), veths, addresses
 *   pages       each endpoint's shared page and configuration (dpdk: EAL)
 *   spawn       receivers/servers first, each until READY
 *   containers  lxc: the containers' network once they run
 *   switch      dpdk: the switch between the endpoints, every link up
 *   probes      usdt, attribution, sampling (case_probes.c)
 *   window      warm-up, open (snapshot everything), per-second samples,
 *               close (snapshot again)
 *   drain       stop the senders, drain, stop the receivers, read the path
 *   exit        probes off, endpoints and containers gone, switch stopped
 *   collect     result_build from everything above
 *   teardown    topology and shared pages removed
 *
 * The first phase that fails (or sees a signal) sets the status and error,
 * and the phases after it up to drain do not run; exit, collect and
 * teardown always run, in that order, so a failed or interrupted case
 * leaves nothing behind and still has its result.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "case_run.h"
#include "hosts.h"
#include "dp.h"
#include "endpoint.h"
#include "interrupt.h"
#include "lxc.h"
#include "proc.h"
#include "qdisc.h"
#include "tsc.h"

/* topo_hook: a command that configures the path, not a workload. */
#define HOOK_TIMEOUT_MS 10000

/* The case stops at this phase with status; errmsg as the failing call
 * left it. Returns err, or -EIO for a failure without an errno. */
static int case_status(struct case_run *cr, int err, const char *status)
{
	snprintf(cr->status, sizeof(cr->status), "%s", status);
	return err ? err : -EIO;
}

__attribute__((format(printf, 4, 5)))
static int case_fail(struct case_run *cr, int err, const char *status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cr->errmsg, sizeof(cr->errmsg), fmt, ap);
	va_end(ap);
	return case_status(cr, err, status);
}

/* "a.eth0", "host_a", "bridge" for pair 0; "a1.eth0", "host_a1" for pair 1;
 * a lent interface by its own name ("a.enp3s0f0"). */
static void if_label(char *buf, size_t len, const struct topo *t, int k)
{
	int nep = 2 * t->npairs;
	char lbl[8];

	if (k == 2 * nep) {
		snprintf(buf, len, "bridge");
		return;
	}
	result_ep_label(lbl, sizeof(lbl), k % nep);
	if (k < nep)
		snprintf(buf, len, "%s.%s", lbl, t->ep[k].ifname);
	else
		snprintf(buf, len, "host_%s", lbl);
}

static int read_ns_side(void *arg)
{
	void **a = arg;

	if_counters_read(0, a[2], a[0]);
	if (a[3] && qdisc_drops_read(a[2], a[3]))
		*(int *)a[4] = 0;
	return ns_counters_read(a[1]);
}

/* qdiscs: also every interface's qdisc drops (only a topo_hook adds
 * qdiscs; reading them costs a tc per interface). */
static void path_counters_read(const struct topo *t, struct path_counters *pc, int qdiscs)
{
	int nep = 2 * t->npairs;

	memset(pc, 0, sizeof(*pc));
	pc->qdisc_ok = qdiscs;
	for (int i = 0; i < nep; i++) {
		void *arg[5] = { &pc->ifs[i], &pc->ns[i], (void *)t->ep[i].ifname,
				 qdiscs ? &pc->qdisc[i] : NULL, &pc->qdisc_ok };

		netns_visit(topo_ep_ns(&t->ep[i]), read_ns_side, arg);
	}
	pc->nifs = nep;
	if (t->kind == TOPO_BRIDGE) {
		for (int i = 0; i < nep; i++)
			if_counters_read(0, t->ep[i].host_if, &pc->ifs[nep + i]);
		if_counters_read(0, t->bridge, &pc->ifs[2 * nep]);
		pc->nifs = 2 * nep + 1;
		for (int i = nep; qdiscs && i < pc->nifs; i++)
			if (qdisc_drops_read(i < 2 * nep ? t->ep[i - nep].host_if : t->bridge,
					     &pc->qdisc[i]))
				pc->qdisc_ok = 0;
	}
	pc->softnet_drops = softnet_dropped();
}

/* The path's counters now: read here, or each host's from its agent. */
static void case_path_counters(struct case_run *cr, struct path_counters *pc)
{
	if (cr->t.kind != TOPO_HOSTS) {
		path_counters_read(&cr->t, pc, cr->c->topo_hook[0] != 0);
		return;
	}
	ep_run_refresh_all(cr->ep, cr->nep, 0);
	hosts_path_counters(cr, pc);
}



/* Topology: namespaces and links, and the AF_PACKET guard in each
 * namespace. Not for xdp: its XDP program takes our frames before IP, and
 * passes only what is not ours, or ours while no socket is bound; the UDP
 * counters see those, and the reconciliation counts them. LXC's
 * namespaces exist only once the containers run (case_containers). */
static int case_topology(struct case_run *cr)
{
	const struct case_cfg *c = cr->c;
	struct runstate *rs = cr->cc->rs;
	int err;

	if (c->topology == TOPO_HOSTS)
		return hosts_up(cr);
	if (cr->lxc)
		err = topo_up_lxc(&cr->t, rs, cr->cc->prefix, cr->np);
	else if (c->topology == TOPO_IFACE)
		err = topo_up_iface(&cr->t, rs, cr->cc->prefix, c);
	else
		err = topo_up_pairs(&cr->t, rs, c->topology, cr->cc->prefix, cr->np);
	if (err)
		return case_fail(cr, err, "failed", "topology %s: %s", topo_name(c->topology),
				 strerror(-err));
	cr->topo_ok = 1;
	err = (cr->needs & DP_NEED_VETH_NAPI) && !cr->lxc ? topo_veth_napi(&cr->t) : 0;
	if (err)
		return case_fail(cr, err, "unsupported", "veth NAPI (GRO on, TSO off on its peer): %s",
				 strerror(-err));
	if ((cr->needs & DP_NEED_NFT_GUARD) && !cr->lxc) {
		for (int i = 0; i < cr->nep && !err; i++)
			err = topo_guard_udp(cr->t.ep[i].ns);
		if (err)
			return case_fail(cr, err, "failed",
					 "nft drop rule for AF_PACKET receive: %d", err);
	}
	return 0;
}

/* topo_hook: the user's command once every namespace and port exists
 * and no endpoint sends yet (a tc policer, netem): what it adds lives on
 * the run's own interfaces and goes with them. Bounded in time. */
static int case_hook(struct case_run *cr)
{
	const char *argv[] = { "/bin/sh", "-c", cr->c->topo_hook, NULL };
	static const char *const vars[] = { "BL_NS_A", "BL_NS_B", "BL_IF", "BL_BRIDGE",
					    "BL_PORT_A", "BL_PORT_B" };
	const char *vals[] = { cr->t.ep[0].ns, cr->t.ep[1].ns, cr->t.ep[0].ifname, cr->t.bridge,
			       cr->t.ep[0].host_if, cr->t.ep[1].host_if };
	int st;

	if (!cr->c->topo_hook[0])
		return 0;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		setenv(vars[i], vals[i], 1);
	st = run_cmd_bounded(argv, HOOK_TIMEOUT_MS);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	if (st == -ETIME)
		return case_fail(cr, -ETIME, "failed", "topo_hook did not finish within %d ms",
				 HOOK_TIMEOUT_MS);
	if (st)
		return case_fail(cr, -EIO, "failed", "topo_hook '%s' exited with %d",
				 cr->c->topo_hook, st);
	return 0;
}

/* dpdk: hugepages, sockets and each endpoint's EAL line, every file in
 * the run state before it exists. */
static int case_dpdk_eal(struct case_run *cr)
{
	const struct case_cfg *c = cr->c;
	struct dpdk_case *dk = &cr->dk;
	struct ep_run *ep = cr->ep;
	int err;

	err = dpdk_case_prepare(dk, c, cr->cc->rs, cr->cc->prefix, cr->nep, cr->errmsg,
				sizeof(cr->errmsg));
	for (int i = 0; i < cr->nep && !err; i++) {
		err = dpdk_case_eal(dk, c, &cr->t, i, ep[i].tag, case_cpu(cr, i), cr->cc->rs);
		if (err)
			snprintf(cr->errmsg, sizeof(cr->errmsg),
				 "dpdk: EAL for endpoint %.7s: %.64s", ep[i].tag, strerror(-err));
		memcpy(ep[i].shm->cfg.dpdk_eal, dk->eal[i], sizeof(ep[i].shm->cfg.dpdk_eal));
	}
	if (err)
		return case_status(cr, err, err == -EOPNOTSUPP ? "unsupported" : "failed");
	return 0;
}

/* Each endpoint's shared page, in the run state before it exists, and
 * the configuration the endpoint reads from it. */
static int case_pages(struct case_run *cr)
{
	struct ep_run *ep = cr->ep;
	int pp = cr->pp;

	for (int i = 0; i < cr->nep; i++) {
		/* On another host: a mirror of its page there. */
		if (ep[i].rem) {
			ep[i].shm = hosts_mirror(&ep[i]);
			if (!ep[i].shm)
				return case_fail(cr, -ENOMEM, "failed", "mirror: %s",
						 strerror(ENOMEM));
			continue;
		}
		snprintf(ep[i].shm_path, sizeof(ep[i].shm_path), "/dev/shm/%s-%.7s",
			 cr->cc->prefix, ep[i].tag);
		runstate__add(cr->cc->rs, RS_SHM, ep[i].shm_path);
		unlink(ep[i].shm_path);
		ep[i].shm = ep_shm_map(ep[i].shm_path, 1);
		if (!ep[i].shm) {
			int err = -errno;

			return case_fail(cr, err, "failed", "%s: %s", ep[i].shm_path,
					 strerror(-err));
		}
	}
	/* One random token per case, never 0: frames a former case, another
	 * run or anyone else sends are not taken as this case's. */
	while (!cr->in.token)
		if (getrandom(&cr->in.token, sizeof(cr->in.token), 0) < 0 && errno != EINTR)
			cr->in.token = (uint32_t)(mono_ns() ^ (uint64_t)getpid() << 16);
	for (int i = 0; i < cr->nep; i += 2) {
		ep_run_config(&ep[i].shm->cfg, cr->c, &cr->t, i, pp ? EP_ROLE_CLIENT : EP_ROLE_SEND,
			      cr->cpu_a, cr->cc->tsc_hz);
		ep_run_config(&ep[i + 1].shm->cfg, cr->c, &cr->t, i + 1,
			      pp ? EP_ROLE_SERVER : EP_ROLE_RECV, cr->cpu_b, cr->cc->tsc_hz);
		ep[i].shm->cfg.peer_cpu = cr->cpu_b;
		ep[i + 1].shm->cfg.peer_cpu = cr->cpu_a;
		ep[i].shm->cfg.token = ep[i + 1].shm->cfg.token = cr->in.token;
	}
	return cr->dpdk ? case_dpdk_eal(cr) : 0;
}

/* Start endpoint i and wait until it is READY. */
static int spawn_one(struct case_run *cr, int i)
{
	struct ep_run *ep = &cr->ep[i];
	int via_switch = cr->dpdk && cr->dk.via_switch;
	int err;

	if (cr->lxc)
		err = lxc_spawn(ep, &cr->t, i, case_cpu(cr, i), cr->cc->rs);
	else
		err = ep_run_spawn(ep, cr->t.ep[i].ns, cr->cc->rs);
	interrupt_test_point("startup");
	/* A vhost-user server endpoint finishes its EAL init only once the
	 * switch has connected: wait for its socket (case_switch waits for
	 * READY). */
	if (!err && via_switch)
		err = ep_run_wait(ep, EP_ST_READY, cr->dk.sock[i], READY_TIMEOUT_MS);
	else if (!err)
		err = ep_run_wait_state(ep, EP_ST_READY, READY_TIMEOUT_MS);
	if (!err && !via_switch)
		ep->startup_ms = (double)(mono_ns() - ep->t_fork) / 1e6;
	if (!err && cr->lxc) {
		ep->ep_pid = lxc_endpoint_pid(ep->shm_path);
		err = ep->ep_pid < 0 ? ep->ep_pid : topo_attach(&cr->t, i, ep->ep_pid);
	}
	return err;
}

/* Receivers/servers first: their sockets must exist before the first
 * packet. Index order nep-1 .. 0 starts every b side before any a side
 * only with one pair, so go in two passes. */
static int case_spawn(struct case_run *cr)
{
	for (int pass = 1; pass >= 0; pass--) {
		for (int i = pass; i < cr->nep; i += 2) {
			const struct ep_run *ep = &cr->ep[i];
			int err = spawn_one(cr, i);
			const char *st = err == -EOPNOTSUPP ? "unsupported" : "failed";

			if (err == -EINTR)
				return case_status(cr, err, "interrupted");
			if (err)
				return case_fail(cr, err, st, "endpoint %.7s: %s", ep->tag,
						 ep->shm->errmsg[0] ? ep->shm->errmsg
								    : strerror(-err));
		}
	}
	return 0;
}

/* lxc: the containers' ports on the bridge, and the AF_PACKET guard in
 * the namespaces that exist now. */
static int case_containers(struct case_run *cr)
{
	int err;

	if (!cr->lxc)
		return 0;
	err = topo_wait_ports(&cr->t);
	if (!err && (cr->needs & DP_NEED_VETH_NAPI))
		err = topo_veth_napi(&cr->t);
	for (int i = 0; i < cr->nep && !err && (cr->needs & DP_NEED_NFT_GUARD); i++)
		err = topo_guard_udp(topo_ep_ns(&cr->t.ep[i]));
	if (err)
		return case_fail(cr, err, "failed", "lxc: containers' network: %s",
				 strerror(-err));
	return 0;
}

/* dpdk: the switch between the endpoints (if any), every endpoint READY
 * once it connected, then every port's link up. */
static int case_switch(struct case_run *cr)
{
	struct dpdk_case *dk = &cr->dk;
	struct ep_run *ep = cr->ep;
	int which = 0, err;

	if (!cr->dpdk)
		return 0;
	err = dpdk_case_switch_start(dk, cr->c, cr->cc->rs, cr->errmsg, sizeof(cr->errmsg));
	for (int i = 0; i < cr->nep && !err && dk->via_switch; i++) {
		err = ep_run_wait_state(&ep[i], EP_ST_READY, READY_TIMEOUT_MS);
		if (!err)
			ep[i].startup_ms = (double)(mono_ns() - ep[i].t_fork) / 1e6;
		else if (err != -EINTR)
			snprintf(cr->errmsg, sizeof(cr->errmsg), "endpoint %.7s: %.200s", ep[i].tag,
				 ep[i].shm->errmsg[0] ? ep[i].shm->errmsg : strerror(-err));
	}
	if (!err) {
		err = ep_run_wait_links(ep, cr->nep, LINK_TIMEOUT_MS, &which);
		if (err == -ETIMEDOUT)
			snprintf(cr->errmsg, sizeof(cr->errmsg),
				 "dpdk: endpoint %s: port link still down after %d ms",
				 ep[which].tag, LINK_TIMEOUT_MS);
	}
	if (err)
		return case_status(cr, err, err == -EINTR ? "interrupted" : "failed");
	return 0;
}

/* Sent and received over every pair: a's sends, and b's (throughput) or
 * a's (ping-pong) receives; live counters, or the window's open. */
static void pair_totals(struct case_run *cr, int live, uint64_t *tx, uint64_t *rx)
{
	*tx = *rx = 0;
	if (live)
		ep_run_refresh_all(cr->ep, cr->nep, 0);
	for (int i = 0; i < cr->nep; i += 2) {
		const struct ep_stats *a = &cr->ep[i].w_open, *b = &cr->ep[i + 1].w_open;
		struct ep_stats cur[2];

		if (live) {
			ep_run_snap(&cur[0], cr->ep[i].shm);
			ep_run_snap(&cur[1], cr->ep[i + 1].shm);
			a = &cur[0];
			b = &cur[1];
		}
		*tx += a->tx_pkts;
		*rx += cr->pp ? a->rx_pkts : b->rx_pkts;
	}
}

/* Other bypasslab runs alive now, added to the case's list. */
static void case_other_runs(struct case_run *cr)
{
	char now[sizeof(cr->in.other_runs)];

	if (disturb_other_runs(cr->cc->prefix, now, sizeof(now)))
		hosts_filter_runs(cr, now);
	if (now[0])
		disturb_merge_runs(cr->in.other_runs, sizeof(cr->in.other_runs), now);
}

/* Window open: every endpoint at (nearly) the same instant. */
static int window_open(struct case_run *cr)
{
	struct ep_run *ep = cr->ep;

	for (int i = 0; i < cr->nep; i += 2) {
		ep[i].rtt_open = malloc(sizeof(struct histo));
		if (!ep[i].rtt_open)
			return -ENOMEM;
	}
	cr->t_open = mono_ns();
	ep_run_refresh_all(ep, cr->nep, 1);
	for (int i = 0; i < cr->nep; i++)
		ep_run_snap(&ep[i].w_open, ep[i].shm);
	for (int i = 0; i < cr->nep; i += 2)
		memcpy(ep[i].rtt_open, &ep[i].shm->rtt, sizeof(struct histo));
	for (int i = 0; i < cr->nep; i++)
		ep_run_cpu(&ep[i], &ep[i].cpu_open);
	for (int i = 0; i < cr->nep; i++)
		ep_run_ticks(&ep[i], case_cpu(cr, i), &ep[i].tk_open);
	case_probes_open(cr);
	return 0;
}

/* One sample a second (the last one at the window's end): the rates
 * since the previous one, totalled over every pair. */
static int window_samples(struct case_run *cr)
{
	uint64_t t_prev = cr->t_open, t_end = cr->t_open + (uint64_t)(cr->c->duration_s * 1e9);
	uint64_t prev_tx, prev_rx;

	pair_totals(cr, 0, &prev_tx, &prev_rx);
	for (int sec = 1;; sec++) {
		uint64_t now, cur_tx, cur_rx, t_next = cr->t_open + (uint64_t)sec * 1000000000ull;
		double dt;
		int err;

		if (t_next > t_end)
			t_next = t_end;
		err = case_probes_sleep_until(cr, t_next);
		if (err)
			return err;
		now = mono_ns();
		pair_totals(cr, 1, &cur_tx, &cur_rx);
		dt = (double)(now - t_prev) / 1e9;
		if (dt > 0)
			json_array_append_new(cr->samples,
					      json_pack("{s:f, s:f, s:f}", "t_s",
							(double)(now - cr->t_open) / 1e9, "tx_pps",
							(double)(cur_tx - prev_tx) / dt, "rx_pps",
							(double)(cur_rx - prev_rx) / dt));
		prev_tx = cur_tx;
		prev_rx = cur_rx;
		t_prev = now;
		if (t_next >= t_end)
			return 0;
	}
}

/* The window's RTT: each client's, and every client's merged. */
static void window_rtt(struct case_run *cr)
{
	struct histo *win = malloc(sizeof(*win));

	if (win)
		histo_init(win);
	for (int p = 0; p < cr->np; p++) {
		const struct ep_run *a = &cr->ep[2 * p];

		cr->pair_rtt[p] = malloc(sizeof(struct histo));
		if (cr->pair_rtt[p])
			histo_sub(cr->pair_rtt[p], &a->shm->rtt, a->rtt_open);
	}
	/* One pair: the window histogram as before; more: every pair's merged. */
	if (win && cr->np == 1 && cr->pair_rtt[0])
		memcpy(win, cr->pair_rtt[0], sizeof(*win));
	else if (win)
		for (int p = 0; p < cr->np; p++)
			if (cr->pair_rtt[p])
				histo_add(win, cr->pair_rtt[p]);
	cr->rtt_win = win;
}

static void window_close(struct case_run *cr)
{
	struct ep_run *ep = cr->ep;

	cr->t_close = mono_ns();
	ep_run_refresh_all(ep, cr->nep, 2);
	for (int i = 0; i < cr->nep; i++)
		ep_run_snap(&ep[i].w_close, ep[i].shm);
	for (int i = 0; i < cr->nep; i++)
		ep_run_cpu(&ep[i], &ep[i].cpu_close);
	for (int i = 0; i < cr->nep; i++)
		ep_run_ticks(&ep[i], case_cpu(cr, i), &ep[i].tk_close);
	case_probes_close(cr);
	case_other_runs(cr);
	window_rtt(cr);
}

/* Every endpoint running: the warm-up (from the path's counters at its
 * start), then the window. */
static int case_window(struct case_run *cr)
{
	int err;

	case_path_counters(cr, &cr->pc0);
	for (int i = 1; i < cr->nep; i += 2)
		ep_run_cmd(&cr->ep[i], EP_CMD_RUN);
	for (int i = 0; i < cr->nep; i += 2)
		ep_run_cmd(&cr->ep[i], EP_CMD_RUN);
	err = case_probes_warmup(cr, (int)(cr->c->warmup_s * 1000.0));
	if (!err)
		err = window_open(cr);
	if (!err)
		interrupt_test_point("window");
	if (!err)
		err = window_samples(cr);
	if (err == -EINTR)
		return case_status(cr, err, "interrupted");
	if (err)
		return case_fail(cr, err, "failed", "%s", strerror(-err));
	window_close(cr);
	return 0;
}

/* Stop the senders/clients, let the path drain into the receivers, stop
 * them; then the path's counters and each endpoint's end state. */
static void case_drain(struct case_run *cr)
{
	struct ep_run *ep = cr->ep;

	for (int i = 0; i < cr->nep; i += 2)
		ep_run_stop(&ep[i]);
	for (int i = 0; i < cr->nep; i += 2)
		ep_run_wait_state(&ep[i], EP_ST_DONE, STOP_TIMEOUT_MS);
	ep_run_drain(ep, cr->nep);
	/* OVS forgets a port's counters when its peer goes: read them while
	 * the receivers are still up and nothing moves any more. */
	if (cr->dpdk)
		dpdk_case_switch_snapshot(&cr->dk);
	for (int i = 1; i < cr->nep; i += 2)
		ep_run_stop(&ep[i]);
	for (int i = 1; i < cr->nep; i += 2)
		ep_run_wait_state(&ep[i], EP_ST_DONE, STOP_TIMEOUT_MS);
	case_path_counters(cr, &cr->pc1);
	for (int i = 0; i < cr->nep; i++)
		ep_run_check(&ep[i], cr->status, sizeof(cr->status), cr->errmsg,
			     sizeof(cr->errmsg));
	/* The switch's counters, now that nothing moves any more and every
	 * endpoint's port is still open (they close on EP_CMD_EXIT); it
	 * stops after the endpoints, so they can close their rings cleanly. */
	if (cr->dpdk)
		dpdk_case_switch_snapshot(&cr->dk);
	cr->drained = 1;
}

/* dpdk: the switch stops after the endpoints; its final counters (and
 * the case's DPDK details) go into the result, then its files go. */
static void dpdk_exit(struct case_run *cr)
{
	struct dpdk_case *dk = &cr->dk;
	const char *tags[2 * TOPO_MAX_PAIRS];

	dpdk_case_switch_stop(dk, cr->cc->rs);
	for (int i = 0; i < cr->nep; i++)
		tags[i] = cr->ep[i].tag;
	cr->in.dpdk = dpdk_case_json(dk, tags);
	cr->in.switch_stats = dk->sw_stats_ok;
	cr->in.switch_dropped = dk->sw_st[0].rx_dropped + dk->sw_st[0].tx_dropped +
				dk->sw_st[1].rx_dropped + dk->sw_st[1].tx_dropped;
	dpdk_case_teardown(dk, cr->cc->rs);
}

/* Probes off, then every endpoint told to exit and made sure gone (the
 * containers with them), then the switch. The shared pages stay mapped:
 * they hold the final counters. */
static void case_exit(struct case_run *cr)
{
	struct ep_run *ep = cr->ep;

	interrupt_test_point("teardown");
	case_probes_down(cr);
	/* Lets the containers' shells end (see lxc_spawn); the mapping stays. */
	for (int i = 0; i < cr->nep && cr->lxc; i++)
		if (ep[i].shm)
			unlink(ep[i].shm_path);
	for (int i = 0; i < cr->nep; i++)
		ep_run_finish(&ep[i], cr->cc->rs);
	/* Stopped with their endpoints; this removes what LXC leaves. */
	for (int i = 0; i < cr->nep; i++)
		if (ep[i].lxc_path[0])
			runstate__undo(cr->cc->rs, RS_LXC, ep[i].lxc_path);
	if (cr->dpdk && cr->dk.active)
		dpdk_exit(cr);
}

/* What only a closed, drained window has: its counters, the path's and
 * the RTT. */
static void collect_window(struct case_run *cr)
{
	struct result_in *in = &cr->in;

	in->window_ns = cr->t_close - cr->t_open;
	for (int i = 0; i < cr->nep; i++) {
		in->ep[i].w_open = &cr->ep[i].w_open;
		in->ep[i].w_close = &cr->ep[i].w_close;
		in->ep[i].cpu_open = &cr->ep[i].cpu_open;
		in->ep[i].cpu_close = &cr->ep[i].cpu_close;
		in->ep[i].tk_open = &cr->ep[i].tk_open;
		in->ep[i].tk_close = &cr->ep[i].tk_close;
		in->ns_before[i] = cr->pc0.ns[i];
		in->ns_after[i] = cr->pc1.ns[i];
	}
	in->nifs = cr->pc1.nifs;
	for (int i = 0; i < cr->pc1.nifs; i++) {
		if_label(in->ifs[i].name, sizeof(in->ifs[i].name), &cr->t, i);
		in->ifs[i].before = cr->pc0.ifs[i];
		in->ifs[i].after = cr->pc1.ifs[i];
		in->ifs[i].has_qdisc = cr->pc0.qdisc_ok && cr->pc1.qdisc_ok;
		in->ifs[i].qdisc_before = cr->pc0.qdisc[i];
		in->ifs[i].qdisc_after = cr->pc1.qdisc[i];
	}
	in->softnet_drops = cr->pc1.softnet_drops - cr->pc0.softnet_drops;
	in->rtt = cr->rtt_win;
	for (int p = 0; p < cr->np; p++)
		in->pair_rtt[p] = cr->pair_rtt[p];
}

/* Everything the case measured, as its result object. */
static json_t *case_collect(struct case_run *cr)
{
	struct result_in *in = &cr->in;
	json_t *res;

	if (cr->drained)
		collect_window(cr);
	for (int i = 0; i < cr->nep; i++) {
		in->ep[i].shm = cr->ep[i].shm;
		in->ep[i].ns = cr->t.ep[i].ns;
		in->ep[i].startup_ms = cr->ep[i].startup_ms;
		in->cpu[i] = case_cpu(cr, i);
	}
	case_probes_usdt(cr);
	in->case_cfg = cr->c;
	in->status = cr->status;
	in->error = cr->errmsg;
	in->topo = cr->topo_ok ? &cr->t : NULL;
	in->npairs = cr->np;
	in->machine = cr->cc->machine;
	in->idx = cr->cc->idx;
	in->hosts = cr->t.kind == TOPO_HOSTS ? hosts_json(cr) : NULL;
	res = result_build(in, cr->samples);
	cr->samples = NULL;
	in->attribution = NULL;
	json_decref(in->hosts);
	in->hosts = NULL;
	return res;
}

/* The topology and the shared pages: the last of the case. */
static void case_teardown(struct case_run *cr)
{
	struct ep_run *ep = cr->ep;

	free(cr->rtt_win);
	for (int p = 0; p < cr->np; p++) {
		free(cr->pair_rtt[p]);
		free(ep[2 * p].rtt_open);
	}
	if (cr->topo_ok)
		topo_down(&cr->t, cr->cc->rs);
	/* Each agent tears its side down (its interface home) and ends. */
	hosts_down(cr);
	for (int i = 0; i < cr->nep; i++) {
		if (ep[i].shm) {
			ep_shm_unmap(ep[i].shm);
			unlink(ep[i].shm_path);
		}
		if (ep[i].shm_path[0])
			runstate__done(cr->cc->rs, RS_SHM, ep[i].shm_path);
	}
}

static unsigned int pick_cpu(int want, unsigned int dflt)
{
	return want >= 0 ? (unsigned int)want : dflt;
}

static struct case_run *case_run_new(const struct case_ctx *cc)
{
	const struct case_cfg *c = cc->c;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct case_run *cr = calloc(1, sizeof(*cr));

	if (!cr)
		return NULL;
	cr->samples = json_array();
	cr->c = c;
	cr->cc = cc;
	cr->pp = c->pattern == PAT_PINGPONG;
	cr->np = c->pairs ? (int)c->pairs : 1;
	cr->nep = 2 * cr->np;
	cr->lxc = c->container == CONTAINER_LXC;
	cr->needs = case_needs(c);
	cr->dpdk = !!(cr->needs & DP_NEED_EAL);
	cr->cpu_a = pick_cpu(c->cpu_a, 0);
	cr->cpu_b = pick_cpu(c->cpu_b, ncpu > 1 ? 1 : 0);
	for (int i = 0; i < cr->nep; i++) {
		result_ep_label(cr->ep[i].tag, sizeof(cr->ep[i].tag), i);
		cr->ep[i].startup_ms = -1;
	}
	snprintf(cr->status, sizeof(cr->status), "ok");
	return cr;
}

json_t *run_case(const struct case_ctx *cc)
{
	struct case_run *cr = case_run_new(cc);
	json_t *res;

	if (!cr)
		return NULL;
	case_other_runs(cr);
	if (!case_topology(cr) && !case_pages(cr) && !case_spawn(cr) && !case_containers(cr) &&
	    !case_hook(cr) && !case_switch(cr) && !case_probes_up(cr) && !case_window(cr)) {
		case_drain(cr);
		cr->in.attribution = case_probes_json(cr);
	}
	case_exit(cr);
	res = case_collect(cr);
	case_teardown(cr);
	json_decref(cr->samples);
	free(cr);
	return res;
}
