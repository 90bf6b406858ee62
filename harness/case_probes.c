// SPDX-License-Identifier: BSD-3-Clause
/*
 * The probes' side of a case: attach to the endpoints and the devices on
 * the path, snapshot at the window's open and close (or sum the duty
 * slices), and turn what they saw into result.json's attribution and each
 * endpoint's usdt_bursts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "attr.h"
#include "case_run.h"
#include "hosts.h"
#include "interrupt.h"

static uint32_t netns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

/* Load and attach the attribution probes for this case: the endpoints'
 * processes and the devices on the path, by (netns, ifindex). */
static struct attr *probes_up(const struct topo *t, const struct ep_run *ep, unsigned int cpu_a,
			      unsigned int cpu_b, int path_mode, int light, char *errmsg,
			      size_t len)
{
	uint32_t root = netns_ino("/proc/self/ns/net");
	int nep = 2 * t->npairs;
	struct attr *a;
	char path[64];
	int err = 0;

	a = attr__open((1ull << cpu_a) | (1ull << cpu_b), path_mode, light);
	if (!a) {
		snprintf(errmsg, len, "probes: load: %s", strerror(errno));
		return NULL;
	}
	/* Every pair's endpoints and devices: per core, the breakdown is of
	 * everything that runs there. */
	for (int i = 0; i < nep && !err; i++) {
		uint32_t side = (uint32_t)(i & 1);

		if (t->ep[i].nspath[0])
			snprintf(path, sizeof(path), "%s", t->ep[i].nspath);
		else
			snprintf(path, sizeof(path), "/run/netns/%s", t->ep[i].ns);
		err = attr__add_tgid(a, (uint32_t)ep[i].ep_pid, side);
		if (!err)
			err = attr__add_dev(a, netns_ino(path), (uint32_t)t->ep[i].ifindex,
					    side ? ATTR_ROLE_B : ATTR_ROLE_A);
		if (!err && t->kind == TOPO_BRIDGE)
			err = attr__add_dev(a, root, (uint32_t)t->ep[i].host_ifindex,
					    side ? ATTR_ROLE_HOST_B : ATTR_ROLE_HOST_A);
	}
	if (!err && t->kind == TOPO_BRIDGE)
		err = attr__add_dev(a, root, (uint32_t)t->bridge_ifindex, ATTR_ROLE_BRIDGE);
	if (err) {
		/* The probe's tables are sized for a handful of devices. */
		snprintf(errmsg, len, "probes: %d pair(s) do not fit the probe's tables: %s",
			 t->npairs, strerror(-err));
		attr__destroy(a);
		return NULL;
	}
	err = attr__attach(a);
	if (err) {
		snprintf(errmsg, len, "probes: attach: %s", strerror(-err));
		attr__destroy(a);
		return NULL;
	}
	return a;
}

/* Per-core breakdown: each endpoint's core divided by its own packets. */
static json_t *probes_json(const struct attr *a, const struct attr_snap *o,
			   const struct attr_snap *c, const struct ep_run *ep, int nep, int pp,
			   unsigned int cpu_a, unsigned int cpu_b, uint64_t window_ns)
{
	uint64_t a_pkts = 0, b_pkts = 0;
	struct attr_core cores[2];

	/* Every pair's packets on the core their endpoints share. */
	for (int i = 0; i < nep; i += 2) {
		const struct ep_stats *ao = &ep[i].t_open, *ac = &ep[i].t_close;
		const struct ep_stats *bo = &ep[i + 1].t_open, *bc = &ep[i + 1].t_close;

		a_pkts += pp ? ac->rx_pkts - ao->rx_pkts : ac->tx_pkts - ao->tx_pkts;
		b_pkts += bc->rx_pkts - bo->rx_pkts;
	}
	memset(cores, 0, sizeof(cores));
	cores[0].cpu = (int)cpu_a;
	cores[0].label = pp ? "a: client" : "a: send";
	cores[0].pkts = a_pkts;
	cores[1].cpu = (int)cpu_b;
	cores[1].label = pp ? "b: server" : "b: recv";
	cores[1].pkts = b_pkts;
	/* The engine's clock for the endpoints on each core. */
	for (int i = 0; i < nep; i++)
		calib_core_add_engine(&cores[(i & 1) && cpu_a != cpu_b], &ep[i].t_open,
				      &ep[i].t_close, ep[i].shm->cfg.tsc_hz);
	if (cpu_a == cpu_b) {
		cores[0].label = pp ? "a+b: client and server" : "a+b: send and recv";
		return attr__json(a, o, c, cores, 1, window_ns);
	}
	return attr__json(a, o, c, cores, 2, window_ns);
}

int sampling_up(struct sampling *sg, const struct case_cfg *c, const struct ep_run *ep,
		       int nep, unsigned int cpu_a, unsigned int cpu_b, char *errmsg, size_t len)
{
	int err = 0;

	if (c->probes != PROBES_SAMPLE && c->probes != PROBES_BOTH)
		return 0;
	sg->cpu[0] = cpu_a;
	sg->cpu[1] = cpu_b;
	sg->ncpu = cpu_a == cpu_b ? 1 : 2;
	sg->s = sample__open((1ull << cpu_a) | (1ull << cpu_b), c->sample_hz);
	if (!sg->s) {
		snprintf(errmsg, len, "probes: sampling: load: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < nep && !err; i++)
		err = sample__add_tgid(sg->s, (uint32_t)ep[i].ep_pid);
	if (!err)
		err = sample__attach(sg->s);
	if (err)
		snprintf(errmsg, len, "probes: sampling: attach: %s", strerror(-err));
	return err;
}

void sampling_snap(struct sampling *sg, int close)
{
	if (sg->s)
		sg->snap[close] = sample__snap(sg->s);
}

json_t *sampling_json(struct sampling *sg, json_t *attr_j)
{
	json_t *j, *cores = json_array(), *agr = json_array();

	if (!sg->s || !sg->snap[0] || !sg->snap[1]) {
		json_decref(cores);
		json_decref(agr);
		return attr_j;
	}
	for (int i = 0; i < sg->ncpu; i++) {
		json_t *sc = sample__core_json(sg->s, sg->snap[0], sg->snap[1], (int)sg->cpu[i]);
		json_t *tcs = json_object_get(attr_j, "cores"), *tc = NULL;

		/* The tracepoint core of the same CPU. */
		for (size_t k = 0; k < json_array_size(tcs) && !tc; k++)
			if (json_integer_value(json_object_get(json_array_get(tcs, k), "cpu")) ==
			    (json_int_t)sg->cpu[i])
				tc = json_array_get(tcs, k);
		if (tc)
			json_array_append_new(agr, sample__compare(tc, sc));
		json_array_append_new(cores, sc);
	}
	j = json_pack("{s:s, s:i, s:o}", "method", sample__method(), "freq_hz",
		      (int)sample__freq(sg->s), "cores", cores);
	if (!attr_j)
		attr_j = json_object();
	json_object_set_new(attr_j, "sample", j);
	if (json_array_size(agr))
		json_object_set_new(attr_j, "agreement", agr);
	else
		json_decref(agr);
	return attr_j;
}

void sampling_down(struct sampling *sg)
{
	sample_snap__free(sg->snap[0]);
	sample_snap__free(sg->snap[1]);
	sample__destroy(sg->s);
}

/* Window open for the probes: a snapshot, and with probe_duty < 1 the
 * first traced slice. */
static struct attr_snap *probes_window_open(struct attr *a, struct duty *d, struct calib *cal,
					    const struct case_cfg *c, struct ep_run *ep, int nep)
{
	struct ep_shm *shm[DUTY_MAX_EPS];

	for (int i = 0; i < nep && i < DUTY_MAX_EPS; i++)
		shm[i] = ep[i].shm;
	if (c->probe_duty < 1.0)
		duty_begin(d, a, cal, c->probe_duty, shm, nep);
	return attr__snap(a);
}

/* Window close for the probes: what they traced, as open/close snapshots
 * of the probes and of every endpoint (t_open/t_close). */
static void probes_window_close(struct attr *a, struct duty *d, struct ep_run *ep, int nep,
				struct attr_snap **o, struct attr_snap **c)
{
	if (!d->a) {
		*c = attr__snap(a);
		for (int i = 0; i < nep; i++) {
			ep[i].t_open = ep[i].w_open;
			ep[i].t_close = ep[i].w_close;
		}
		return;
	}
	duty_end(d);
	attr__set_slices(a, d->slices);
	attr_snap__free(*o);
	*o = attr_snap__zero(a);
	*c = d->sacc;
	d->sacc = NULL;
	for (int i = 0; i < nep; i++) {
		memset(&ep[i].t_open, 0, sizeof(ep[i].t_open));
		ep[i].t_close = d->acc[i];
		/* the syscall slots' numbers are labels, not counters */
		for (int k = 0; k < EP_NSYS; k++)
			ep[i].t_open.sys[k].nr = ep[i].t_close.sys[k].nr;
	}
}

/* usdt=yes: the burst probes on every endpoint process. */
static int usdt_up(struct case_run *cr)
{
	pid_t pids[2 * TOPO_MAX_PAIRS];

	for (int i = 0; i < cr->nep; i++)
		pids[i] = cr->ep[i].ep_pid;
	cr->pr.usdt = bursts__attach(pids, cr->nep, cr->errmsg, sizeof(cr->errmsg));
	return cr->pr.usdt ? 0 : -1;
}

/* The tracepoint attribution and the calibration of its costs. */
static int attr_up(struct case_run *cr)
{
	const struct case_cfg *c = cr->c;
	struct case_probes *pr = &cr->pr;

	calib_begin(&pr->cal, cr->cpu_a, cr->cpu_b, cr->cc->tsc_hz);
	if (c->probe_duty < 1.0)
		calib_keep(&pr->cal); /* duty slices wake them */
	pr->attr = probes_up(&cr->t, cr->ep, cr->cpu_a, cr->cpu_b, c->probes == PROBES_PATH,
			     c->probe_light, cr->errmsg, sizeof(cr->errmsg));
	if (!pr->attr)
		return -1;
	calib_probed(&pr->cal, pr->attr);
	return 0;
}

int case_probes_up(struct case_run *cr)
{
	const struct case_cfg *c = cr->c;
	int err = 0;

	/* Each host's agent attaches to its own side. */
	if (c->topology == TOPO_HOSTS)
		return hosts_probes_up(cr);
	if (c->usdt)
		err = usdt_up(cr);
	if (!err && c->probes != PROBES_OFF && c->probes != PROBES_SAMPLE)
		err = attr_up(cr);
	if (!err)
		err = sampling_up(&cr->pr.smp, c, cr->ep, cr->nep, cr->cpu_a, cr->cpu_b,
				  cr->errmsg, sizeof(cr->errmsg));
	if (err)
		snprintf(cr->status, sizeof(cr->status), "failed");
	return err;
}

int case_probes_warmup(struct case_run *cr, int ms)
{
	struct attr *a = cr->pr.attr;
	int hosts = cr->c->topology == TOPO_HOSTS && cr->c->probes != PROBES_OFF;
	int err;

	if (hosts)
		hosts_probes_stats(cr, 1);
	if (a)
		attr__stats_begin(a);
	err = cr->t.kind == TOPO_HOSTS ? hosts_sleep_ms(cr, ms) : hsleep_ms(ms);
	if (a)
		attr__stats_end(a);
	if (hosts)
		hosts_probes_stats(cr, 0);
	return err;
}

void case_probes_open(struct case_run *cr)
{
	struct case_probes *pr = &cr->pr;

	if (pr->attr)
		pr->open = probes_window_open(pr->attr, &pr->dty, &pr->cal, cr->c, cr->ep, cr->nep);
	sampling_snap(&pr->smp, 0);
}

int case_probes_sleep_until(struct case_run *cr, uint64_t t)
{
	struct duty *d = &cr->pr.dty;

	return d->a ? duty_sleep_until(d, t, hsleep_until) : hsleep_until(t);
}

void case_probes_close(struct case_run *cr)
{
	struct case_probes *pr = &cr->pr;

	if (pr->attr)
		probes_window_close(pr->attr, &pr->dty, cr->ep, cr->nep, &pr->open, &pr->close);
	sampling_snap(&pr->smp, 1);
}

json_t *case_probes_json(struct case_run *cr)
{
	struct case_probes *pr = &cr->pr;
	uint64_t window_ns = cr->t_close - cr->t_open;
	json_t *j = NULL;

	if (cr->c->topology == TOPO_HOSTS)
		return hosts_probes_json(cr);
	if (pr->attr && pr->open && pr->close)
		j = probes_json(pr->attr, pr->open, pr->close, cr->ep, cr->nep, cr->pp, cr->cpu_a,
				cr->cpu_b, pr->dty.a ? pr->dty.traced_ns : window_ns);
	if (j && cr->c->probe_duty < 1.0)
		json_object_set_new(j, "duty", duty_json(&pr->dty, window_ns));
	return sampling_json(&pr->smp, j);
}

void case_probes_down(struct case_run *cr)
{
	struct case_probes *pr = &cr->pr;

	duty_free(&pr->dty);
	calib_end(&pr->cal);
	sampling_down(&pr->smp);
	attr__destroy(pr->attr);
	attr_snap__free(pr->open);
	attr_snap__free(pr->close);
	pr->attr = NULL;
	pr->open = pr->close = NULL;
}

void case_probes_usdt(struct case_run *cr)
{
	if (cr->c->topology == TOPO_HOSTS) {
		hosts_usdt(cr);
		return;
	}
	for (int i = 0; i < cr->nep && cr->pr.usdt; i++)
		cr->in.ep[i].usdt_bursts = bursts__json(cr->pr.usdt, i, cr->cc->tsc_hz);
	bursts__destroy(cr->pr.usdt);
	cr->pr.usdt = NULL;
}
