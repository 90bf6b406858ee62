// SPDX-License-Identifier: BSD-3-Clause
/*
 * The hosts-only parts of a topology=hosts case (hosts.h). Side a is
 * ep[0] and its agent on host_a, side b ep[1] on host_b; each agent lends
 * its host's interface to a namespace of its own there and starts the
 * endpoint on a page there, which the harness sees through the mirror in
 * ep[i].shm.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <arpa/inet.h>

#include "case_run.h"
#include "dp.h"
#include "ep_remote.h"
#include "hosts.h"
#include "iface.h"
#include "interrupt.h"
#include "log.h"
#include "tsc.h"

static const char *side_host(const struct case_cfg *c, int side)
{
	return side ? c->host_b : c->host_a;
}

static int hosts_fail(struct case_run *cr, const char *status)
{
	snprintf(cr->status, sizeof(cr->status), "%s", status);
	return -1;
}

/* What the agent lent, as this side of the topology. */
static void side_from(struct topo_ep *te, struct ep_remote *r, const json_t *m)
{
	ctl_copy(te->ns, sizeof(te->ns), m, "ns");
	ctl_copy(te->ifname, sizeof(te->ifname), m, "ifname");
	ctl_copy(te->if_kind, sizeof(te->if_kind), m, "kind");
	ctl_copy(te->if_driver, sizeof(te->if_driver), m, "driver");
	ctl_copy(te->if_origin, sizeof(te->if_origin), m, "origin");
	iface_parse_mac(ctl_str(m, "mac"), te->mac);
	te->ip = (uint32_t)json_integer_value(json_object_get(m, "ip"));
	te->plen = (int)json_integer_value(json_object_get(m, "plen"));
	te->nsfd = -1;
	ctl_copy(r->prefix, sizeof(r->prefix), m, "prefix");
	r->tsc_hz = (uint64_t)json_integer_value(json_object_get(m, "tsc_hz"));
}

/* One side's agent, and its interface lent there. */
static int side_up(struct case_run *cr, int side)
{
	const struct case_cfg *c = cr->c;
	struct ep_remote *r;
	json_t *m;
	int err;

	r = ep_remote_open(side_host(c, side), c, cr->errmsg, sizeof(cr->errmsg));
	if (!r)
		return -EHOSTUNREACH;
	cr->ep[side].rem = r;
	runstate__add_pid(cr->cc->rs, r->pid);
	m = json_pack("{s:i, s:s, s:s, s:b, s:i, s:b}", "side", side, "iface",
		      side ? c->iface_b : c->iface_a, "ip", side ? c->ip_b : c->ip_a, "force",
		      c->force, "cpu", (int)case_cpu(cr, side), "guard",
		      !!(cr->needs & DP_NEED_NFT_GUARD));
	err = ep_remote_call(r, "setup", m, "setup", &m, REMOTE_CALL_MS, cr->errmsg,
			     sizeof(cr->errmsg));
	if (err)
		return err;
	side_from(&cr->t.ep[side], r, m);
	json_decref(m);
	return 0;
}

/* Each side's neighbour: the other side's address and MAC (a's from
 * mac_b if given). */
static int peers_up(struct case_run *cr)
{
	struct topo *t = &cr->t;
	char mac[18];
	int err = 0;

	memcpy(t->ep[0].peer_mac, t->ep[1].mac, 6);
	memcpy(t->ep[1].peer_mac, t->ep[0].mac, 6);
	if (cr->c->mac_b[0] && !iface_parse_mac(cr->c->mac_b, t->ep[0].peer_mac))
		t->ep[0].mac_cfg = 1;
	for (int side = 0; side < 2 && !err; side++) {
		const uint8_t *p = t->ep[side].peer_mac;
		json_t *m;

		iface_fmt_mac(mac, sizeof(mac), p);
		err = ep_remote_call(cr->ep[side].rem, "peer",
				     json_pack("{s:I, s:s}", "ip", (json_int_t)t->ep[side ^ 1].ip,
					       "mac", mac),
				     "peer", &m, REMOTE_CALL_MS, cr->errmsg, sizeof(cr->errmsg));
		t->ep[side].ifindex = (int)json_integer_value(json_object_get(m, "ifindex"));
		json_decref(m);
	}
	return err;
}

int hosts_up(struct case_run *cr)
{
	struct topo *t = &cr->t;
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->kind = TOPO_HOSTS;
	t->npairs = 1;
	snprintf(t->prefix, sizeof(t->prefix), "%s", cr->cc->prefix);
	for (int side = 0; side < 2 && !err; side++)
		err = side_up(cr, side);
	if (!err)
		err = peers_up(cr);
	if (err)
		return hosts_fail(cr, "failed");
	cr->topo_ok = 1;
	return 0;
}

struct ep_shm *hosts_mirror(struct ep_run *ep)
{
	void *p = mmap(NULL, sizeof(struct ep_shm), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	ep->rem->mirror = p;
	return p;
}

int hosts_probes_up(struct case_run *cr)
{
	for (int side = 0; side < 2 && cr->c->usdt; side++) {
		json_t *m;
		int err = ep_remote_call(cr->ep[side].rem, "usdt", NULL, "ok", &m, REMOTE_CALL_MS,
					 cr->errmsg, sizeof(cr->errmsg));

		json_decref(m);
		if (err)
			return hosts_fail(cr, "failed");
	}
	for (int side = 0; side < 2 && cr->c->probes != PROBES_OFF; side++) {
		json_t *m;
		json_t *req = json_pack("{s:i, s:b, s:i}", "mode", cr->c->probes, "light",
					cr->c->probe_light, "sample_hz", (int)cr->c->sample_hz);
		int err = ep_remote_call(cr->ep[side].rem, "probes", req, "ok", &m, REMOTE_CALL_MS,
					 cr->errmsg, sizeof(cr->errmsg));

		json_decref(m);
		if (err)
			return hosts_fail(cr, "failed");
	}
	return 0;
}

void hosts_probes_stats(struct case_run *cr, int on)
{
	char buf[256];

	for (int side = 0; side < 2; side++) {
		json_t *m;

		if (ep_remote_call(cr->ep[side].rem, "stats", json_pack("{s:b}", "on", on), "ok", &m,
				   REMOTE_CALL_MS, buf, sizeof(buf)))
			pr_warn("bypasslab: %s\n", buf);
		json_decref(m);
	}
}

static void label_host(json_t *core, const struct ep_remote *r)
{
	json_object_set_new(core, "host", json_string(r->host));
	json_object_set_new(core, "hostname", json_string(r->name));
}

/* An array of a's object extended by b's (either may be missing). */
static void merge_array(json_t *into, const char *key, const json_t *from)
{
	json_t *a = json_object_get(into, key), *b = json_object_get(from, key);

	if (!json_is_array(b))
		return;
	if (json_is_array(a))
		json_array_extend(a, b);
	else
		json_object_set(into, key, b);
}

/* Side's breakdown: its core(s), each with its host. */
static json_t *side_attr(struct case_run *cr, int side)
{
	struct ep_remote *r = cr->ep[side].rem;
	json_t *m, *j, *core;
	char buf[256];
	size_t k;

	if (ep_remote_call(r, "attr",
			   json_pack("{s:I}", "window_ns", (json_int_t)(r->win_t[1] - r->win_t[0])),
			   "attr", &m, REMOTE_CALL_MS, buf, sizeof(buf))) {
		pr_warn("bypasslab: %s\n", buf);
		return NULL;
	}
	j = json_incref(json_object_get(m, "j"));
	json_decref(m);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	json_array_foreach(json_object_get(j, "cores"), k, core)
		label_host(core, r);
	json_array_foreach(json_object_get(json_object_get(j, "sample"), "cores"), k, core)
		label_host(core, r);
	return j;
}

json_t *hosts_probes_json(struct case_run *cr)
{
	json_t *j[2], *all, *by = json_array();

	if (cr->c->probes == PROBES_OFF) {
		json_decref(by);
		return NULL;
	}
	for (int side = 0; side < 2; side++)
		j[side] = side_attr(cr, side);
	if (!j[0] || !j[1]) {
		json_decref(j[0]);
		json_decref(j[1]);
		json_decref(by);
		return NULL;
	}
	/* a's object with b's cores after its own; what each host's probes
	 * were (programs, clock, missing tracepoints) under by_host. */
	all = json_deep_copy(j[0]);
	merge_array(all, "cores", j[1]);
	merge_array(all, "agreement", j[1]);
	if (json_object_get(all, "sample"))
		merge_array(json_object_get(all, "sample"), "cores", json_object_get(j[1], "sample"));
	for (int side = 0; side < 2; side++) {
		json_object_del(j[side], "cores");
		json_object_del(j[side], "agreement");
		json_object_del(j[side], "sample");
		json_object_set_new(j[side], "host", json_string(cr->ep[side].rem->host));
		json_array_append_new(by, j[side]);
	}
	json_object_set_new(all, "by_host", by);
	return all;
}

int hosts_sleep_ms(struct case_run *cr, int ms)
{
	uint64_t end = mono_ns() + (uint64_t)ms * 1000000ull;

	for (;;) {
		uint64_t now = mono_ns();
		int err;

		if (now >= end)
			return 0;
		err = hsleep_ms((int)((end - now) / 1000000 > 1000 ? 1000 : (end - now) / 1000000 + 1));
		if (err)
			return err;
		ep_run_refresh_all(cr->ep, cr->nep, 0);
	}
}

void hosts_usdt(struct case_run *cr)
{
	for (int side = 0; side < 2; side++) {
		struct ep_remote *r = cr->ep[side].rem;

		if (r && r->usdt) {
			cr->in.ep[side].usdt_bursts = r->usdt;
			r->usdt = NULL;
		}
	}
}

void hosts_path_counters(const struct case_run *cr, struct path_counters *pc)
{
	memset(pc, 0, sizeof(*pc));
	for (int side = 0; side < 2; side++) {
		const struct ep_remote *r = cr->ep[side].rem;

		if (!r)
			continue;
		pc->ifs[side] = r->ifc;
		pc->ns[side] = r->nsc;
		pc->softnet_drops += r->softnet;
	}
	pc->nifs = 2;
}

void hosts_filter_runs(const struct case_run *cr, char *runs)
{
	for (int side = 0; side < 2; side++) {
		const struct ep_remote *r = cr->ep[side].rem;
		char *p;

		if (!r || !r->prefix[0] || !(p = strstr(runs, r->prefix)))
			continue;
		memmove(p, p + strlen(r->prefix), strlen(p + strlen(r->prefix)) + 1);
		while (*p == ' ')
			memmove(p, p + 1, strlen(p));
	}
	for (size_t n = strlen(runs); n && runs[n - 1] == ' '; n--)
		runs[n - 1] = 0;
}

/* How far apart the two sides' snapshots of the window's open (k = 0) or
 * close (1) can be: each lies in [sent, sent + within] of the harness's
 * clock, so no further apart than the union of the two intervals. */
static uint64_t skew_bound(const struct case_run *cr, int k)
{
	const struct ep_remote *a = cr->ep[0].rem, *b = cr->ep[1].rem;
	uint64_t lo, hi;

	lo = a->win_sent[k] < b->win_sent[k] ? a->win_sent[k] : b->win_sent[k];
	hi = a->win_sent[k] + a->win_within[k];
	if (b->win_sent[k] + b->win_within[k] > hi)
		hi = b->win_sent[k] + b->win_within[k];
	return hi - lo;
}

json_t *hosts_json(const struct case_run *cr)
{
	json_t *h = json_object();

	for (int side = 0; side < 2; side++)
		if (cr->ep[side].rem)
			json_object_set_new(h, side ? "b" : "a", ep_remote_json(cr->ep[side].rem));
	if (cr->ep[0].rem && cr->ep[1].rem && cr->drained) {
		json_object_set_new(h, "window_open_skew_bound_ns",
				    json_integer((json_int_t)skew_bound(cr, 0)));
		json_object_set_new(h, "window_close_skew_bound_ns",
				    json_integer((json_int_t)skew_bound(cr, 1)));
	}
	/* Two agents on one kernel (two namespaces of one machine, as in the
	 * tests): tracepoint programs attach to every CPU, so each core also
	 * runs the other side's programs (they return at once, off their
	 * core), and its breakdown holds their dispatch; and one side's
	 * receive may run on the other's core, whose probes know only their
	 * own device ("receive (other devices)"). */
	if (cr->ep[0].rem && cr->ep[1].rem && cr->ep[0].rem->boot_id[0]) {
		int same = !strcmp(cr->ep[0].rem->boot_id, cr->ep[1].rem->boot_id);

		json_object_set_new(h, "same_kernel", json_boolean(same));
		if (same)
			json_object_set_new(
				h, "same_kernel_note",
				json_string("both sides run on one kernel: each core also runs the "
					    "other side's probe programs, and a receive the other "
					    "side's device causes here is 'receive (other "
					    "devices)'"));
	}
	json_object_set_new(h, "rtt_clock", json_string("the client's own TSC"));
	json_object_set_new(h, "one_way_latency",
			    json_string("not measured: the hosts share no clock (needs PTP)"));
	return h;
}

void hosts_down(struct case_run *cr)
{
	char pid[16];

	for (int side = 1; side >= 0; side--) {
		struct ep_remote *r = cr->ep[side].rem;

		if (!r)
			continue;
		snprintf(pid, sizeof(pid), "%d", (int)r->pid);
		ep_remote_close(r);
		runstate__done(cr->cc->rs, RS_PID, pid);
		cr->ep[side].rem = NULL;
	}
}

/* One host can take its side: reachable, this version, the interface
 * free there. */
static int preflight_side(const struct sweep *sw, const struct case_cfg *c, int side, char *err,
			  size_t len)
{
	struct ep_remote *r;
	char why[320];
	json_t *m = NULL;
	int e = 0;

	r = ep_remote_open(side_host(c, side), c, why, sizeof(why));
	if (r)
		e = ep_remote_call(r, "check",
				   json_pack("{s:i, s:s, s:s, s:b}", "side", side, "iface",
					     side ? c->iface_b : c->iface_a, "ip",
					     side ? c->ip_b : c->ip_a, "force", c->force),
				   "ok", &m, REMOTE_CALL_MS, why, sizeof(why));
	json_decref(m);
	ep_remote_close(r);
	if (r && !e)
		return 0;
	/* Unreachable: the host's key; refused there: the interface's. */
	config_key_where(sw,
			 (const char *const[]){ r ? (side ? "iface_b" : "iface_a")
					      : (side ? "host_b" : "host_a"),
						NULL },
			 err, len);
	snprintf(err + strlen(err), len - strlen(err), "%s", why);
	return -EINVAL;
}

int hosts_preflight(const struct sweep *sw, const struct case_cfg *cases, int n, char *err,
		    size_t len)
{
	for (int i = 0; i < n; i++) {
		const struct case_cfg *c = &cases[i];
		int seen = 0;

		if (c->topology != TOPO_HOSTS)
			continue;
		/* Once per host and interface. */
		for (int k = 0; k < i && !seen; k++)
			seen = cases[k].topology == TOPO_HOSTS &&
			       !strcmp(cases[k].host_a, c->host_a) &&
			       !strcmp(cases[k].host_b, c->host_b) &&
			       !strcmp(cases[k].iface_a, c->iface_a) &&
			       !strcmp(cases[k].iface_b, c->iface_b);
		for (int side = 0; side < 2 && !seen; side++)
			if (preflight_side(sw, c, side, err, len))
				return -EINVAL;
	}
	return 0;
}
