// SPDX-License-Identifier: BSD-3-Clause
/*
 * `bypasslab agent`: one side of a topology=hosts case on the host it runs
 * on, driven over its stdin and stdout (agent_proto.h) by the harness on
 * another host (through ssh) or on this one (host = local, through a pipe
 * pair). It does for its side what case.c does for both: the interface
 * lent to a namespace of its own (topo_up_side), the endpoint on the same
 * shared page (ep_run.c), the attribution on its core, and snapshots when
 * asked. Everything it makes is in a run-state ledger of its own prefix
 * on this host, so `bypasslab cleanup` here removes what a killed agent
 * left. End of file on stdin (the harness exited, was killed, or the ssh
 * session died), SIGINT, SIGTERM or SIGHUP tear its side down.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "build_version.h" /* generated: BL_VERSION */
#include "agent_proto.h"
#include "attr.h"
#include "bursts_user.h"
#include "calib.h"
#include "case_probes.h"
#include "config.h"
#include "disturb.h"
#include "endpoint.h"
#include "ep_run.h"
#include "exitcode.h"
#include "harness.h"
#include "iface.h"
#include "interrupt.h"
#include "log.h"
#include "runstate.h"
#include "topo.h"
#include "tsc.h"

#define AGENT_NICE -10
#define AGENT_QUIET_POLL_MS 200

struct agent {
	struct ctl ctl;
	struct runstate *rs;
	char prefix[16];
	uint64_t tsc_hz;
	int side; /* 0 a, 1 b */
	unsigned int cpu;
	struct topo t;
	int topo_ok;
	struct ep_run ep;
	uint32_t sent_state, sent_link;
	/* the attribution of this side's core */
	struct attr *attr;
	struct calib cal;
	struct attr_snap *open, *close;
	struct sampling smp; /* probes = sample | both */
	struct bursts *usdt; /* usdt = yes: its endpoint's burst calls */
};

static int reply_error(struct agent *ag, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int reply_error(struct agent *ag, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ctl_send(&ag->ctl, "error", json_pack("{s:s}", "msg", msg));
}

static int reply_ok(struct agent *ag)
{
	return ctl_send(&ag->ctl, "ok", NULL);
}

/* What only this host can say of the interface (iface_check), with the
 * host named: "" if it may be lent, else why not. */
static void check_iface_here(const json_t *m, char *why, size_t len)
{
	char host[64] = "", w[200];
	uint32_t kept;
	int plen, ip_key;

	why[0] = 0;
	gethostname(host, sizeof(host) - 1);
	if (iface_check(ctl_str(m, "iface"), ctl_str(m, "ip"), json_is_true(json_object_get(m, "force")),
			&kept, &plen, &ip_key, w, sizeof(w)))
		snprintf(why, len, "on %s: %s", host, w);
}

static int do_check(struct agent *ag, const json_t *m)
{
	char why[300];

	check_iface_here(m, why, sizeof(why));
	return why[0] ? reply_error(ag, "%s", why) : reply_ok(ag);
}

/* The ledger, once: a prefix of this agent's own on this host. */
static int ledger_open(struct agent *ag)
{
	int err;

	if (ag->rs)
		return 0;
	err = runstate_gen_prefix(ag->prefix);
	if (err)
		return err;
	ag->rs = runstate__open(ag->prefix);
	return ag->rs ? 0 : -errno;
}

static json_t *setup_json(const struct agent *ag)
{
	const struct topo_ep *ep = &ag->t.ep[ag->side];
	char mac[18];

	iface_fmt_mac(mac, sizeof(mac), ep->mac);
	return json_pack("{s:s, s:s, s:s, s:I, s:i, s:s, s:s, s:s, s:s, s:I}", "ns", ep->ns,
			 "ifname", ep->ifname, "mac", mac, "ip", (json_int_t)ep->ip, "plen",
			 ep->plen, "kind", ep->if_kind, "driver", ep->if_driver, "origin",
			 ep->if_origin, "prefix", ag->prefix, "tsc_hz", (json_int_t)ag->tsc_hz);
}

static int do_setup(struct agent *ag, const json_t *m)
{
	char why[300];
	int err;

	if (ag->topo_ok)
		return reply_error(ag, "setup: this agent has a side already");
	check_iface_here(m, why, sizeof(why));
	if (why[0])
		return reply_error(ag, "%s", why);
	ag->side = json_integer_value(json_object_get(m, "side")) ? 1 : 0;
	ag->cpu = (unsigned int)json_integer_value(json_object_get(m, "cpu"));
	err = ledger_open(ag);
	if (err)
		return reply_error(ag, "run state: %s", strerror(-err));
	err = topo_up_side(&ag->t, ag->rs, ag->prefix, ag->side, ctl_str(m, "iface"), ctl_str(m, "ip"));
	if (err)
		return reply_error(ag, "interface %s: %s", ctl_str(m, "iface"), strerror(-err));
	ag->topo_ok = 1;
	/* AF_PACKET receivers: as case_topology does it on one host. */
	err = json_is_true(json_object_get(m, "guard")) ? topo_guard_udp(ag->t.ep[ag->side].ns) : 0;
	if (err)
		return reply_error(ag, "nft drop rule for AF_PACKET receive: %s", strerror(-err));
	return ctl_send(&ag->ctl, "setup", setup_json(ag));
}

static int do_peer(struct agent *ag, const json_t *m)
{
	uint8_t mac[6];
	int err;

	if (!ag->topo_ok || iface_parse_mac(ctl_str(m, "mac"), mac))
		return reply_error(ag, "peer: no side set up, or a bad MAC");
	err = topo_side_peer(&ag->t, (uint32_t)json_integer_value(json_object_get(m, "ip")), mac);
	if (err == -ETIMEDOUT)
		return reply_error(ag, "interface %s has no carrier (link down?)",
				   ag->t.ep[ag->side].ifname);
	if (err)
		return reply_error(ag, "interface %s: %s", ag->t.ep[ag->side].ifname,
				   strerror(-err));
	return ctl_send(&ag->ctl, "peer", json_pack("{s:i}", "ifindex", ag->t.ep[ag->side].ifindex));
}

/* The endpoint on a page of this host, with the harness's configuration
 * and this host's TSC. */
static int do_spawn(struct agent *ag, const json_t *m)
{
	struct ep_run *ep = &ag->ep;
	struct ep_config cfg;
	int err;

	if (!ag->topo_ok || ep->shm || ctl_get_hex(m, "cfg", &cfg, sizeof(cfg)))
		return reply_error(ag, "spawn: no side set up, or a bad configuration");
	snprintf(ep->tag, sizeof(ep->tag), "%c", 'a' + ag->side);
	snprintf(ep->shm_path, sizeof(ep->shm_path), "/dev/shm/%s-%c", ag->prefix,
		 'a' + ag->side);
	runstate__add(ag->rs, RS_SHM, ep->shm_path);
	ep->shm = ep_shm_map(ep->shm_path, 1);
	if (!ep->shm)
		return reply_error(ag, "%s: %s", ep->shm_path, strerror(errno));
	cfg.tsc_hz = ag->tsc_hz;
	memcpy(&ep->shm->cfg, &cfg, sizeof(cfg));
	err = ep_run_spawn(ep, ag->t.ep[ag->side].ns, ag->rs);
	if (err)
		return reply_error(ag, "endpoint: %s", strerror(-err));
	return ctl_send(&ag->ctl, "spawned", json_pack("{s:i}", "pid", (int)ep->ep_pid));
}

static uint32_t netns_ino(const char *ns)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

/* The attribution on this side's core: its endpoint and its interface.
 * 0, or 1 once the error is replied (-errno if that failed). */
static int attr_fail(struct agent *ag, const char *what, int err)
{
	int r = reply_error(ag, "probes: %s: %s", what, strerror(err));

	return r ? r : 1;
}

static int attr_up(struct agent *ag, int light)
{
	const struct topo_ep *te = &ag->t.ep[ag->side];
	int err;

	calib_begin(&ag->cal, ag->cpu, ag->cpu, ag->tsc_hz);
	ag->attr = attr__open(1ull << ag->cpu, 0, light);
	if (!ag->attr)
		return attr_fail(ag, "load", errno);
	err = attr__add_tgid(ag->attr, (uint32_t)ag->ep.ep_pid, (uint32_t)ag->side);
	if (!err)
		err = attr__add_dev(ag->attr, netns_ino(te->ns), (uint32_t)te->ifindex,
				    ag->side ? ATTR_ROLE_B : ATTR_ROLE_A);
	if (!err)
		err = attr__attach(ag->attr);
	if (err)
		return attr_fail(ag, "attach", -err);
	calib_probed(&ag->cal, ag->attr);
	return 0;
}

/* What the case asks for (probes: aggregate, sample or both) on this
 * side's core. */
static int do_probes(struct agent *ag, const json_t *m)
{
	struct case_cfg c = { 0 };
	char why[256];
	int err;

	if (!ag->ep.shm || ag->attr || ag->smp.s)
		return reply_error(ag, "probes: no endpoint, or probes up already");
	c.probes = (int)json_integer_value(json_object_get(m, "mode"));
	c.sample_hz = (unsigned int)json_integer_value(json_object_get(m, "sample_hz"));
	if (c.probes == PROBES_AGGREGATE || c.probes == PROBES_BOTH) {
		err = attr_up(ag, json_is_true(json_object_get(m, "light")));
		if (err)
			return err < 0 ? err : 0;
	}
	if (sampling_up(&ag->smp, &c, &ag->ep, 1, ag->cpu, ag->cpu, why, sizeof(why)))
		return reply_error(ag, "%s", why);
	return reply_ok(ag);
}

/* usdt = yes: the burst probes on its endpoint; read once it is gone. */
static int do_usdt(struct agent *ag)
{
	char why[256];
	pid_t pid = ag->ep.ep_pid;

	if (!ag->ep.shm || ag->usdt)
		return reply_error(ag, "usdt: no endpoint, or attached already");
	ag->usdt = bursts__attach(&pid, 1, why, sizeof(why));
	return ag->usdt ? reply_ok(ag) : reply_error(ag, "%s", why);
}

static int do_stats(struct agent *ag, const json_t *m)
{
	if (ag->attr && json_is_true(json_object_get(m, "on")))
		attr__stats_begin(ag->attr);
	else if (ag->attr)
		attr__stats_end(ag->attr);
	return reply_ok(ag);
}

static int visit_side(void *arg)
{
	void **a = arg;

	if_counters_read(0, a[2], a[0]);
	return ns_counters_read(a[1]);
}

static json_t *counters_json(const uint64_t *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

#define U64S(x) (const uint64_t *)&(x), sizeof(x) / sizeof(uint64_t)

/* Everything the harness reads of a side at an instant, read here. */
static int do_snap(struct agent *ag, const json_t *m)
{
	struct ep_run *ep = &ag->ep;
	int which = (int)json_integer_value(json_object_get(m, "probes"));
	struct if_counters ifc = { 0 };
	struct ns_counters nsc = { 0 };
	struct cpu_ticks tk = { 0 };
	struct proc_cpu pc = { 0 };
	void *arg[3] = { &ifc, &nsc, ag->t.ep[ag->side].ifname };
	uint64_t t = mono_ns();
	struct ep_stats now;
	json_t *r;

	if (!ep->shm)
		return reply_error(ag, "snap: no endpoint");
	ep_run_snap(&now, ep->shm);
	if (which == 1)
		ep->t_open = now;
	if (which == 2)
		ep->t_close = now;
	if (which == 1 && ag->attr)
		ag->open = attr__snap(ag->attr);
	if (which == 2 && ag->attr)
		ag->close = attr__snap(ag->attr);
	if (which == 1 || which == 2)
		sampling_snap(&ag->smp, which - 1);
	proc_cpu_read(ep->ep_pid, &pc);
	cpu_ticks_read(ag->cpu, &tk);
	netns_visit(ag->t.ep[ag->side].ns, visit_side, arg);
	r = json_pack("{s:I, s:o, s:o, s:o, s:o, s:I}", "t_ns", (json_int_t)t, "cpu",
		      counters_json(U64S(pc)), "ticks", counters_json(U64S(tk)), "ifc",
		      counters_json(U64S(ifc)), "nsc", counters_json(U64S(nsc)), "softnet",
		      (json_int_t)softnet_dropped());
	ctl_set_hex(r, "st", &now, sizeof(now));
	if (ep->shm->cfg.role == EP_ROLE_CLIENT)
		ctl_set_hex(r, "rtt", &ep->shm->rtt, sizeof(ep->shm->rtt));
	/* How long after its counters were read the reply leaves: the part of
	 * the round trip that is not uncertainty. */
	json_object_set_new(r, "after_ns", json_integer((json_int_t)(mono_ns() - t)));
	return ctl_send(&ag->ctl, "snap", r);
}

/* This side's core's breakdown, divided by its endpoint's packets. */
static int do_attr(struct agent *ag, const json_t *m)
{
	const struct ep_stats *o = &ag->ep.t_open, *c = &ag->ep.t_close;
	uint32_t role = ag->ep.shm ? ag->ep.shm->cfg.role : 0;
	static const char *const labels[] = { "a: send", "b: recv", "a: client", "b: server" };
	struct attr_core core;
	json_t *j;

	if (!ag->attr || !ag->open || !ag->close)
		return ctl_send(&ag->ctl, "attr", json_pack("{s:o*}", "j", sampling_json(&ag->smp, NULL)));
	memset(&core, 0, sizeof(core));
	core.cpu = (int)ag->cpu;
	core.label = labels[role & 3];
	core.pkts = role == EP_ROLE_CLIENT ? c->rx_pkts - o->rx_pkts
		    : role == EP_ROLE_SEND ? c->tx_pkts - o->tx_pkts
					   : c->rx_pkts - o->rx_pkts;
	calib_core_add_engine(&core, o, c, ag->tsc_hz);
	j = attr__json(ag->attr, ag->open, ag->close, &core, 1,
		       (uint64_t)json_integer_value(json_object_get(m, "window_ns")));
	return ctl_send(&ag->ctl, "attr", json_pack("{s:o*}", "j", sampling_json(&ag->smp, j)));
}

static void probes_down(struct agent *ag)
{
	sampling_down(&ag->smp);
	memset(&ag->smp, 0, sizeof(ag->smp));
	calib_end(&ag->cal);
	attr__destroy(ag->attr);
	attr_snap__free(ag->open);
	attr_snap__free(ag->close);
	ag->attr = NULL;
	ag->open = ag->close = NULL;
}

/* The endpoint told to exit and gone; its page, final counters and all. */
static int do_exit(struct agent *ag)
{
	struct ep_run *ep = &ag->ep;
	json_t *r;

	probes_down(ag);
	if (!ep->shm)
		return reply_error(ag, "exit: no endpoint");
	ep_run_finish(ep, ag->rs);
	r = json_pack("{s:i}", "status", ep->status);
	if (ag->usdt)
		json_object_set_new(r, "usdt", bursts__json(ag->usdt, 0, ag->tsc_hz));
	bursts__destroy(ag->usdt);
	ag->usdt = NULL;
	ctl_set_hex(r, "page", ep->shm, sizeof(*ep->shm));
	return ctl_send(&ag->ctl, "final", r);
}

/* Everything of this side undone, newest first; the interface home. */
static void teardown(struct agent *ag)
{
	struct ep_run *ep = &ag->ep;

	probes_down(ag);
	if (ep->pid > 0)
		ep_run_finish(ep, ag->rs);
	bursts__destroy(ag->usdt);
	ag->usdt = NULL;
	if (ep->shm) {
		ep_shm_unmap(ep->shm);
		unlink(ep->shm_path);
		runstate__done(ag->rs, RS_SHM, ep->shm_path);
		ep->shm = NULL;
	}
	if (ag->topo_ok)
		topo_down(&ag->t, ag->rs);
	ag->topo_ok = 0;
	if (ag->rs) {
		runstate__undo_all(ag->rs);
		runstate__close(ag->rs);
		ag->rs = NULL;
	}
}

/* The endpoint's state word and link flag, sent whenever they change. */
static int push_state(struct agent *ag)
{
	const struct ep_shm *shm = ag->ep.shm;
	uint32_t st, link;
	json_t *r;

	if (!shm)
		return 0;
	st = __atomic_load_n(&shm->state, __ATOMIC_ACQUIRE);
	link = __atomic_load_n(&shm->link_up, __ATOMIC_ACQUIRE);
	if ((st == ag->sent_state && link == ag->sent_link) || st == EP_ST_INIT)
		return 0;
	ag->sent_state = st;
	ag->sent_link = link;
	r = json_pack("{s:i, s:i, s:i, s:s, s:s}", "state", (int)st, "link_up", (int)link,
		      "exit_code", shm->exit_code, "errmsg", shm->errmsg, "dp_info", shm->dp_info);
	return ctl_send(&ag->ctl, "state", r);
}

static int do_cmd(struct agent *ag, const json_t *m)
{
	uint32_t cmd = (uint32_t)json_integer_value(json_object_get(m, "cmd"));

	if (!ag->ep.shm)
		return 0;
	if (cmd == EP_CMD_STOP)
		ep_run_stop(&ag->ep);
	else if (cmd == EP_CMD_RUN)
		__atomic_store_n(&ag->ep.shm->cmd, EP_CMD_RUN, __ATOMIC_RELEASE);
	return 0;
}

/* One message: 1 to end (bye), 0 to go on, -errno if the reply failed. */
static int dispatch(struct agent *ag, const json_t *m)
{
	const char *t = ctl_type(m);

	if (!strcmp(t, "check"))
		return do_check(ag, m);
	if (!strcmp(t, "setup"))
		return do_setup(ag, m);
	if (!strcmp(t, "peer"))
		return do_peer(ag, m);
	if (!strcmp(t, "spawn"))
		return do_spawn(ag, m);
	if (!strcmp(t, "cmd"))
		return do_cmd(ag, m);
	if (!strcmp(t, "probes"))
		return do_probes(ag, m);
	if (!strcmp(t, "stats"))
		return do_stats(ag, m);
	if (!strcmp(t, "usdt"))
		return do_usdt(ag);
	if (!strcmp(t, "snap"))
		return do_snap(ag, m);
	if (!strcmp(t, "attr"))
		return do_attr(ag, m);
	if (!strcmp(t, "exit"))
		return do_exit(ag);
	if (!strcmp(t, "bye"))
		return 1;
	return reply_error(ag, "unknown message '%s'", t);
}

/* How long to wait for a message: 1 ms while the harness waits for the
 * endpoint's state to change (READY, DONE), AGENT_QUIET_POLL_MS while it
 * runs untold to stop. At nice -10 every wake-up preempts a busy endpoint
 * on its core: a thousand a second were a thousand involuntary switches
 * of it, and the disturbance verdict's. */
static int poll_ms(const struct agent *ag)
{
	const struct ep_shm *shm = ag->ep.shm;

	if (shm && __atomic_load_n(&shm->state, __ATOMIC_ACQUIRE) == EP_ST_RUNNING &&
	    __atomic_load_n(&shm->cmd, __ATOMIC_ACQUIRE) == EP_CMD_RUN)
		return AGENT_QUIET_POLL_MS;
	return 1;
}

/* Its endpoint running, and no word from the harness for
 * AGENT_SILENCE_MS: the harness (or the network to it) is gone. */
static int harness_lost(const struct agent *ag, uint64_t last)
{
	const struct ep_shm *shm = ag->ep.shm;

	if (!shm || __atomic_load_n(&shm->state, __ATOMIC_ACQUIRE) != EP_ST_RUNNING ||
	    mono_ns() - last < AGENT_SILENCE_MS * 1000000ull)
		return 0;
	fprintf(stderr, "bypasslab agent: no word from the harness for %d s while the endpoint "
			"runs: tearing down\n",
		AGENT_SILENCE_MS / 1000);
	return 1;
}

static int hello(struct agent *ag)
{
	char boot[64] = "";
	struct utsname u;
	FILE *f;

	uname(&u);
	/* Which running kernel: two agents on one say the same. */
	f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (f) {
		if (!fgets(boot, sizeof(boot), f))
			boot[0] = 0;
		boot[strcspn(boot, "\n")] = 0;
		fclose(f);
	}
	return ctl_send(&ag->ctl, "hello",
			json_pack("{s:s, s:i, s:s, s:s, s:s}", "version", BL_VERSION, "proto",
				  AGENT_PROTO, "host", u.nodename, "kernel", u.release, "boot_id",
				  boot));
}

int agent_main(int argc, char **argv)
{
	struct agent ag = { 0 };
	uint64_t last = mono_ns();
	int err = 0, done = 0;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: bypasslab agent (started by run, over ssh or a pipe)\n");
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Its endpoint keeps a core busy: a snapshot request must not wait
	 * for a time slice there (the wait is in the window's skew bound). */
	setpriority(PRIO_PROCESS, 0, AGENT_NICE);
	interrupt_begin();
	ctl_init(&ag.ctl, STDIN_FILENO, STDOUT_FILENO);
	ag.ep.startup_ms = -1;
	ag.tsc_hz = tsc_calibrate_hz(100);
	err = hello(&ag);
	while (!err && !done && !interrupt_caught()) {
		json_t *m = ctl_recv(&ag.ctl, poll_ms(&ag), &err);

		if (m) {
			last = mono_ns();
			done = dispatch(&ag, m);
			err = done < 0 ? done : 0;
			json_decref(m);
		} else if (err == -ETIMEDOUT) {
			err = push_state(&ag);
			if (!err && ag.ep.pid > 0 && !ag.ep.reaped)
				ep_run_reap(&ag.ep, 0);
			if (!err && harness_lost(&ag, last))
				err = -ETIMEDOUT;
		}
	}
	teardown(&ag);
	if (done > 0)
		ctl_send(&ag.ctl, "bye", NULL);
	ctl_free(&ag.ctl);
	interrupt_end();
	if (err && err != -EPIPE)
		fprintf(stderr, "bypasslab agent: %s\n", strerror(-err));
	return err && err != -EPIPE ? EXIT_FAIL : EXIT_OK;
}
