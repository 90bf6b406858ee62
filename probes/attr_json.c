// SPDX-License-Identifier: BSD-3-Clause
/*
 * The breakdown: each core's window between two snapshots as the
 * "attribution" object of result.json. Slots become named categories in
 * fixed summary groups, system call entry/exit is moved out of "user", the
 * probes' own cost is taken out of the segments it landed in, and the
 * result is checked against the engine's clock and /proc/stat.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#include "attr.h"
#include "attr_user.h"
#include "attr_priv.h"
#include "path.h"

static const char *const syscall_names[] = {
#include "syscall_names.h"
};

static const char *const softirq_names[ATTR_NR_SOFTIRQ] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
};

/* ---- naming ---------------------------------------------------------------- */

static const char *const role_xmit[ATTR_NROLES] = {
	"xmit on another device",	  "veth xmit a.eth0 -> bridge port a",
	"veth xmit b.eth0 -> bridge port b", "veth xmit bridge port a -> a.eth0",
	"veth xmit bridge port b -> b.eth0", "bridge device xmit",
};
static const char *const role_recv[ATTR_NROLES] = {
	"receive on another device",	   "IP/UDP receive in a",
	"IP/UDP receive in b",		   "bridge forwarding (in from port a)",
	"bridge forwarding (in from port b)", "bridge local receive",
};

/* Direct topology: the a/b veths are each other's peers. */
static const char *stage_name(unsigned int st, char *buf, size_t len)
{
	if (st == ATTR_ST_SELF)
		return NULL;
	if (st >= ATTR_ST_XMIT && st < ATTR_ST_XMIT + ATTR_NROLES)
		return role_xmit[st - ATTR_ST_XMIT];
	if (st >= ATTR_ST_RECV && st < ATTR_ST_RECV + ATTR_NROLES)
		return role_recv[st - ATTR_ST_RECV];
	if (st == ATTR_ST_SOCK_WAKE)
		return "socket enqueue done -> wakeup";
	if (st == ATTR_ST_NAPI)
		return "napi/backlog";
	if (st == ATTR_ST_FREE)
		return "after skb free";
	if (st == ATTR_ST_SOCK_DONE)
		return "socket call return";
	snprintf(buf, len, "stage %u", st);
	return buf;
}

static void ctx_name(unsigned int ctx, char *buf, size_t len)
{
	unsigned int nsys = sizeof(syscall_names) / sizeof(syscall_names[0]);

	if (ctx == ATTR_CTX_USER)
		snprintf(buf, len, "user");
	else if (ctx == ATTR_CTX_OTHER)
		snprintf(buf, len, "other tasks");
	else if (ctx == ATTR_CTX_IDLE)
		snprintf(buf, len, "idle");
	else if (ctx == ATTR_CTX_HARDIRQ)
		snprintf(buf, len, "hardirq");
	else if (ctx == ATTR_CTX_KWORKER)
		snprintf(buf, len, "io_uring kernel thread");
	else if (ctx < ATTR_CTX_SYSCALL)
		snprintf(buf, len, "softirq %s", softirq_names[ctx - ATTR_CTX_SOFTIRQ]);
	else if (ctx - ATTR_CTX_SYSCALL < nsys && syscall_names[ctx - ATTR_CTX_SYSCALL])
		snprintf(buf, len, "syscall %s", syscall_names[ctx - ATTR_CTX_SYSCALL]);
	else
		snprintf(buf, len, "syscall %u", ctx - ATTR_CTX_SYSCALL);
}

/* The fixed summary groups a reader compares across datapaths. */
static const char *group_of(unsigned int ctx, unsigned int st)
{
	if (ctx == ATTR_CTX_IDLE)
		return "idle";
	if (ctx == ATTR_CTX_OTHER)
		return "other tasks (off-CPU)";
	if (ctx == ATTR_CTX_HARDIRQ)
		return "hardirq";
	if (st >= ATTR_ST_XMIT && st < ATTR_ST_XMIT + ATTR_NROLES)
		return st == ATTR_ST_XMIT + ATTR_ROLE_BRIDGE ? "bridge" : "veth xmit";
	if (st == ATTR_ST_RECV + ATTR_ROLE_HOST_A || st == ATTR_ST_RECV + ATTR_ROLE_HOST_B ||
	    st == ATTR_ST_RECV + ATTR_ROLE_BRIDGE)
		return "bridge";
	if (st == ATTR_ST_RECV + ATTR_ROLE_A || st == ATTR_ST_RECV + ATTR_ROLE_B)
		return "IP/UDP receive";
	if (st >= ATTR_ST_RECV && st < ATTR_ST_RECV + ATTR_NROLES)
		return "receive (other devices)";
	if (st == ATTR_ST_SOCK_WAKE)
		return "socket enqueue/wakeup";
	if (ctx == ATTR_CTX_USER)
		return st == ATTR_ST_SELF ? "user" : "task_work";
	if (ctx == ATTR_CTX_KWORKER)
		return "io_uring kernel thread";
	if (ctx >= ATTR_CTX_SYSCALL)
		return "syscalls";
	if (ctx == ATTR_CTX_SOFTIRQ + 2)
		return "softirq NET_TX";
	if (ctx == ATTR_CTX_SOFTIRQ + 3)
		return "softirq NET_RX (napi, backlog)";
	return "other softirqs";
}

/* ---- JSON ------------------------------------------------------------------ */

struct cat {
	char name[128];
	const char *group;
	double ns; /* after the corrections below */
	uint64_t count, runs;
};

/* Entry/exit per system call number, as found for one core. */
struct ee_info {
	double ns;	   /* entry+exit, total over the window */
	const char *method; /* NULL: none */
	uint64_t eng_calls;
	double eng_ns;
};

/* One core's window while its breakdown is built. */
struct core_acc {
	const struct attr *a;
	const struct attr_snap *o, *c;
	const struct attr_core *core;
	int cpu;
	double pkts;
	struct cat *cats;
	int n, user_i;
	struct ee_info *ee; /* [ATTR_NR_SYSCALLS] */
	double probe_ns, probe_model_ns, ee_clamped_ns;
	double untimed_ns; /* calls the engine did not time: in-kernel + entry/exit */
	double taskwork_ns; /* kernel work after sys_exit, seen by the probes */
	double tw_in_call;  /* ... of which inside the engine's timing of its calls */
	double off_used;    /* off-CPU/nested time taken out of the engine's calls */
	double offcpu_user_ns; /* endpoints off the CPU after leaving it outside a call,
				* beyond what fell inside the engine's timing of a call */
	uint64_t runs, untimed_calls;
	uint64_t path_runs; /* probes=path: its programs' runs on this core */
};

static int cat_cmp(const void *x, const void *y)
{
	const struct cat *a = x, *b = y;

	return a->ns < b->ns ? 1 : a->ns > b->ns ? -1 : strcmp(a->name, b->name);
}

static struct cat *cat_add(struct core_acc *k, const char *group)
{
	struct cat *c = &k->cats[k->n++];

	memset(c, 0, sizeof(*c));
	c->group = group;
	return c;
}

/* Every slot with time in the window, as measured between tracepoints. */
static void collect_slots(struct core_acc *k)
{
	const struct attr_seg *so = k->o->segs + (size_t)k->cpu * ATTR_NSLOTS;
	const struct attr_seg *sc = k->c->segs + (size_t)k->cpu * ATTR_NSLOTS;

	k->user_i = -1;
	for (unsigned int ctx = 0; ctx < ATTR_NCTX; ctx++) {
		for (unsigned int st = 0; st < ATTR_NSTAGES; st++) {
			unsigned int i = ctx * ATTR_NSTAGES + st;
			uint64_t ns = sc[i].ns - so[i].ns;
			char cn[64], sb[32];
			const char *sn;
			struct cat *c;

			if (!ns)
				continue;
			ctx_name(ctx, cn, sizeof(cn));
			sn = stage_name(st, sb, sizeof(sb));
			c = cat_add(k, group_of(ctx, st));
			/* Kernel work in user context happens after sys_exit (task_work
			 * on the way back to user, e.g. io_uring completions); nothing
			 * marks its end, so it runs until the next boundary. */
			if (ctx == ATTR_CTX_USER && sn)
				snprintf(c->name, sizeof(c->name),
					 "task_work after sys_exit or an interrupt / %s", sn);
			else
				snprintf(c->name, sizeof(c->name), "%s%s%s", cn, sn ? " / " : "",
					 sn ? sn : "");
			c->ns = (double)ns;
			c->count = sc[i].count - so[i].count;
			c->runs = sc[i].runs - so[i].runs;
			if (ctx == ATTR_CTX_USER && st == ATTR_ST_SELF)
				k->user_i = k->n - 1;
			else if (ctx == ATTR_CTX_USER)
				k->taskwork_ns += (double)ns;
		}
	}
}

/* The engine's TSC time in its calls of number nr on this core. */
static int engine_sys(const struct attr_core *core, uint32_t nr, uint64_t *calls, double *ns)
{
	int found = 0;

	*calls = 0;
	*ns = 0;
	for (int i = 0; core->engine_valid && i < core->nsys; i++) {
		if (core->sys[i].nr != nr)
			continue;
		*calls += core->sys[i].calls;
		*ns += core->sys[i].ns;
		found = 1;
	}
	return found;
}

/* The engine's time in calls of nr less the probes', per-call means
 * times the probes' calls (the two counts differ by the calls cut by a
 * window or slice boundary). */
static double raw_ee(const struct core_acc *k, uint32_t nr, uint64_t calls, double wall)
{
	uint64_t ec;
	double en;

	if (!engine_sys(k->core, nr, &ec, &en) || !ec || !calls)
		return 0;
	return (en / (double)ec - wall / (double)calls) * (double)calls;
}

/* Entry+exit of the calls of one number, total ns (< 0: none known). */
static double ee_of(struct core_acc *k, struct ee_info *e, uint32_t nr, uint64_t calls,
		    double wall, double off_frac)
{
	const struct attr_calib *cal = &k->a->cal[k->cpu];
	double ee, cal_ee = cal->valid ? (double)calls * (cal->on_ns - cal->in_ns) : -1;

	if (!engine_sys(k->core, nr, &e->eng_calls, &e->eng_ns)) {
		k->untimed_calls += calls;
		if (cal_ee < 0)
			return -1;
		e->method = "calibrated: not the engine's own call; the getppid() loop's "
			    "entry+exit per call on this core";
		k->untimed_ns += wall + cal_ee;
		return cal_ee;
	}
	ee = raw_ee(k, nr, calls, wall);
	/* Preempted on the way back from a call (after sys_exit), an endpoint
	 * waits off the CPU inside the engine's timing of that call, and an
	 * interrupt or softirq taken there runs inside it too: that is not
	 * the call's entry or exit. Shared over the calls by their raw time. */
	if (ee > 0 && off_frac > 0) {
		k->off_used += ee * off_frac;
		ee -= ee * off_frac;
	}
	e->method = "measured: the engine's TSC around each call - the probes' "
		    "sys_enter..sys_exit time";
	/* task_work run on the way out of a call (io_uring completions) is in
	 * the engine's time too: then entry+exit proper is the calibrated
	 * figure, and the rest of the difference is that task_work. */
	if (k->taskwork_ns > 0 && cal_ee >= 0 && ee > cal_ee) {
		k->tw_in_call += ee - cal_ee;
		ee = cal_ee;
		e->method = "calibrated: task_work ran on the way out of these calls, so the "
			    "engine's TSC - the probes' time holds it too; entry+exit is the "
			    "getppid() loop's per call on this core";
	}
	return ee > 0 ? ee : 0;
}

/* Take ns out of the user segment, then out of the task_work segments
 * (the ones that ran on past the end of task_work into user code). */
static double take_from_user(struct core_acc *k, double ns, uint64_t calls)
{
	double taken = 0;

	for (int i = -1; i < k->n && taken < ns; i++) {
		struct cat *c = i < 0 ? (k->user_i >= 0 ? &k->cats[k->user_i] : NULL) : &k->cats[i];
		double x;

		if (!c || (i >= 0 && strcmp(c->group, "task_work")))
			continue;
		x = ns - taken < c->ns ? ns - taken : c->ns;
		c->ns -= x;
		taken += x;
		if (c->runs >= calls) {
			c->runs -= calls;
			calls = 0;
		} else {
			calls -= c->runs;
			c->runs = 0;
		}
	}
	if (taken < ns)
		k->ee_clamped_ns += ns - taken;
	return taken;
}

/*
 * A system call's entry and exit paths run before sys_enter and after
 * sys_exit: between two tracepoints they fall into the user segment. The
 * engine times each of its calls on the TSC; less the probes' time from
 * sys_enter to sys_exit, that is entry+exit, moved out of "user" under the
 * call's own name. Calls the engine does not time (a library's own, e.g. a
 * DPDK driver's) get the per-call figure of the getppid() loop on this core.
 * Each moved piece carries one probe run (the end of sys_exit's program, the
 * start of sys_enter's), removed with the rest below.
 */
static void split_entry_exit(struct core_acc *k)
{
	const uint64_t *eo = k->o->evs + (size_t)k->cpu * ATTR_NEV;
	const uint64_t *ec = k->c->evs + (size_t)k->cpu * ATTR_NEV;
	/* Off the CPU, or in an interrupt or softirq, after leaving a call:
	 * inside the engine's timing of the call, but not the call's. */
	double off = (double)(ec[ATTR_EV_OFFCPU_USER] - eo[ATTR_EV_OFFCPU_USER]) +
		     (double)(ec[ATTR_EV_NESTED_USER] - eo[ATTR_EV_NESTED_USER]);
	double raw = 0;

	for (uint32_t nr = 0; nr < ATTR_NR_SYSCALLS; nr++) {
		uint64_t calls;
		double wall, r;

		attr__sys_wall(k->a, k->o, k->c, k->cpu, nr, &calls, &wall);
		r = raw_ee(k, nr, calls, wall);
		raw += r > 0 ? r : 0;
	}
	for (uint32_t nr = 0; nr < ATTR_NR_SYSCALLS; nr++) {
		struct ee_info *e = &k->ee[nr];
		uint64_t calls;
		double wall, ee;
		char cn[64];
		struct cat *c;

		attr__sys_wall(k->a, k->o, k->c, k->cpu, nr, &calls, &wall);
		if (!calls)
			continue;
		ee = ee_of(k, e, nr, calls, wall, raw > 0 ? (off < raw ? off / raw : 1.0) : 0);
		if (ee < 0)
			continue;
		e->ns = take_from_user(k, ee, calls);
		ctx_name(ATTR_CTX_SYSCALL + nr, cn, sizeof(cn));
		c = cat_add(k, "syscall entry/exit");
		snprintf(c->name, sizeof(c->name), "%s / entry+exit", cn);
		c->ns = e->ns;
		c->count = calls;
		c->runs = calls;
	}
	k->offcpu_user_ns = off > k->off_used ? off - k->off_used : 0;
}

/* Program runs on this core in the window, per program. */
static uint64_t prog_runs(const struct core_acc *k, int prog)
{
	const uint64_t *eo = k->o->evs + (size_t)k->cpu * ATTR_NEV;
	const uint64_t *ec = k->c->evs + (size_t)k->cpu * ATTR_NEV;

	return ec[ATTR_EV_PROG + prog] - eo[ATTR_EV_PROG + prog];
}

/* probes=path: its programs' runs on this core (they run on tracepoints
 * the attribution has programs on too, so they land in the same segments). */
static uint64_t path_runs(const struct core_acc *k)
{
	size_t i = (size_t)k->cpu * PATH_NEV + PATH_EV_EVENTS;

	if (!k->a->pskel || !k->o->pevs || !k->c->pevs)
		return 0;
	return k->c->pevs[i] - k->o->pevs[i];
}

/* What the path programs cost on this core: per tracepoint, the runs of
 * the attribution's program there at the path program's price; what
 * path.bpf.c counted beyond those (a tracepoint light detail leaves to the
 * path programs alone) at their mean. */
static double path_model_ns(const struct core_acc *k)
{
	uint64_t seen = 0;
	double ns = 0;

	if (!k->path_runs)
		return 0;
	for (int p = 0; p < ATTR_NPROGS; p++) {
		uint64_t r = k->a->path_ns[p] > 0 ? prog_runs(k, p) : 0;

		if (seen + r > k->path_runs)
			r = k->path_runs - seen;
		seen += r;
		ns += (double)r * k->a->path_ns[p];
	}
	ns += (double)(k->path_runs - seen) * k->a->path_run_ns;
	return ns + (double)k->path_runs * attr_disp_ns(k->a, k->cpu);
}

#define TASKWORK_NS_PER_PKT 1.0

/* Segments between a system call's exit and the next call's entry (user
 * code, and the entry/exit pieces moved out of it) hold the end of a
 * sys_exit run and the start of a sys_enter run. */
static int sys_bounded(const struct cat *c)
{
	return !strcmp(c->group, "user") || !strcmp(c->group, "syscall entry/exit");
}

/*
 * The probes' own time, out of the segments it landed in. Segments bounded
 * by the system call programs lose what one of those runs costs on this
 * core (their mean); every other segment loses the mean cost of the other
 * runs here, per run counted in its slot. What is taken out is the
 * "probes" group, so the breakdown still adds up.
 */
static void remove_probe_cost(struct core_acc *k)
{
	double p_sys, p_rest, sys_ns, rest_runs = 0;
	uint64_t sys_runs = 0;
	int n = k->n;
	struct cat *c;

	for (int p = 0; p < ATTR_NPROGS; p++) {
		uint64_t r = prog_runs(k, p);

		k->runs += r;
		k->probe_model_ns += (double)r * attr_prog_cost(k->a, k->cpu, p);
	}
	k->path_runs = path_runs(k);
	k->runs += k->path_runs;
	k->probe_model_ns += path_model_ns(k);
	p_sys = (attr_prog_cost(k->a, k->cpu, ATTR_P_SYS_ENTER) +
		 attr_prog_cost(k->a, k->cpu, ATTR_P_SYS_EXIT)) / 2;
	for (int i = 0; i < n; i++)
		if (sys_bounded(&k->cats[i]))
			sys_runs += k->cats[i].runs;
		else
			rest_runs += (double)k->cats[i].runs;
	sys_ns = (double)sys_runs * p_sys;
	if (sys_ns > k->probe_model_ns)
		sys_ns = k->probe_model_ns;
	p_sys = sys_runs ? sys_ns / (double)sys_runs : 0;
	p_rest = rest_runs > 0 ? (k->probe_model_ns - sys_ns) / rest_runs : 0;
	if (p_sys <= 0 && p_rest <= 0)
		return;
	for (int i = 0; i < n; i++) {
		double x = (double)k->cats[i].runs * (sys_bounded(&k->cats[i]) ? p_sys : p_rest);

		if (x > k->cats[i].ns)
			x = k->cats[i].ns;
		k->cats[i].ns -= x;
		k->probe_ns += x;
	}
	c = cat_add(k, "probes");
	snprintf(c->name, sizeof(c->name), "probes (the instrument's own programs)");
	c->ns = k->probe_ns;
	c->count = k->runs;
}

static json_t *cats_json(struct core_acc *k, json_t *jg, double total)
{
	json_t *jc = json_array();

	qsort(k->cats, (size_t)k->n, sizeof(*k->cats), cat_cmp);
	for (int i = 0; i < k->n; i++) {
		const struct cat *c = &k->cats[i];
		json_t *g = json_object_get(jg, c->group);
		double gns;

		if (c->ns <= 0 && !c->count)
			continue;
		json_array_append_new(
			jc, json_pack("{s:s, s:s, s:I, s:f, s:f, s:I}", "name", c->name, "group",
				      c->group, "ns", (json_int_t)(c->ns + 0.5), "ns_per_pkt",
				      c->ns / k->pkts, "pct", total > 0 ? 100.0 * c->ns / total : 0.0,
				      "segments", (json_int_t)c->count));
		if (!g) {
			g = json_pack("{s:I, s:f}", "ns", (json_int_t)0, "ns_per_pkt", 0.0);
			json_object_set_new(jg, c->group, g);
		}
		gns = json_number_value(json_object_get(g, "ns_exact")) + c->ns;
		json_object_set_new(g, "ns_exact", json_real(gns));
		json_object_set_new(g, "ns", json_integer((json_int_t)(gns + 0.5)));
		json_object_set_new(g, "ns_per_pkt", json_real(gns / k->pkts));
	}
	return jc;
}

/* Per-syscall table: calls, exclusive time, entry/exit, latency histogram. */
static json_t *syscalls_json(const struct core_acc *k, uint64_t *sys_calls)
{
	const struct attr_seg *so = k->o->segs + (size_t)k->cpu * ATTR_NSLOTS;
	const struct attr_seg *sc = k->c->segs + (size_t)k->cpu * ATTR_NSLOTS;
	json_t *js = json_array();

	for (unsigned int nr = 0; nr < ATTR_NR_SYSCALLS; nr++) {
		size_t base = ((size_t)k->cpu * ATTR_NR_SYSCALLS + nr) * ATTR_HIST_SLOTS;
		const uint64_t *ho = k->o->hist + base, *hc = k->c->hist + base;
		const struct ee_info *e = &k->ee[nr];
		uint64_t calls = 0, excl = 0;
		json_t *h = json_array(), *j;
		char cn[64];

		for (int s = 0; s < ATTR_HIST_BUCKETS; s++) {
			calls += hc[1 + s] - ho[1 + s];
			json_array_append_new(h, json_integer((json_int_t)(hc[1 + s] - ho[1 + s])));
		}
		for (unsigned int st = 0; st < ATTR_NSTAGES; st++) {
			unsigned int i = (ATTR_CTX_SYSCALL + nr) * ATTR_NSTAGES + st;

			excl += sc[i].ns - so[i].ns;
		}
		if (!calls && !excl) {
			json_decref(h);
			continue;
		}
		*sys_calls += calls;
		ctx_name(ATTR_CTX_SYSCALL + nr, cn, sizeof(cn));
		j = json_pack("{s:s, s:i, s:I, s:f, s:I, s:f, s:f, s:f}", "name", cn + 8, "nr", nr,
			      "calls", (json_int_t)calls, "calls_per_pkt", (double)calls / k->pkts,
			      "ns", (json_int_t)excl, "ns_per_call",
			      calls ? (double)excl / (double)calls : 0.0, "ns_per_pkt",
			      (double)excl / k->pkts, "in_kernel_ns_per_call",
			      calls ? (double)(hc[ATTR_HIST_SUM] - ho[ATTR_HIST_SUM]) / (double)calls
				    : 0.0);
		if (e->method) {
			json_object_set_new(j, "entry_exit_ns_per_call",
					    json_real(calls ? e->ns / (double)calls : 0.0));
			json_object_set_new(j, "entry_exit_method", json_string(e->method));
		}
		if (e->eng_calls) {
			json_object_set_new(j, "engine_calls", json_integer((json_int_t)e->eng_calls));
			json_object_set_new(j, "engine_ns_per_call",
					    json_real(e->eng_ns / (double)e->eng_calls));
		}
		json_object_set_new(j, "latency_log2_ns", h);
		json_array_append_new(js, j);
	}
	return js;
}

static json_t *softirqs_json(const struct core_acc *k, uint64_t *sirq)
{
	const uint64_t *eo = k->o->evs + (size_t)k->cpu * ATTR_NEV;
	const uint64_t *ec = k->c->evs + (size_t)k->cpu * ATTR_NEV;
	const struct attr_seg *so = k->o->segs + (size_t)k->cpu * ATTR_NSLOTS;
	const struct attr_seg *sc = k->c->segs + (size_t)k->cpu * ATTR_NSLOTS;
	json_t *jsi = json_array();

	for (int v = 0; v < ATTR_NR_SOFTIRQ; v++) {
		uint64_t ent = ec[ATTR_EV_SOFTIRQ + v] - eo[ATTR_EV_SOFTIRQ + v];
		uint64_t wn = ec[ATTR_EV_RAISE_N + v] - eo[ATTR_EV_RAISE_N + v];
		uint64_t w = ec[ATTR_EV_RAISE_WAIT + v] - eo[ATTR_EV_RAISE_WAIT + v];
		uint64_t ns = 0;

		for (unsigned int st = 0; st < ATTR_NSTAGES; st++) {
			unsigned int i = (ATTR_CTX_SOFTIRQ + (unsigned int)v) * ATTR_NSTAGES + st;

			ns += sc[i].ns - so[i].ns;
		}
		*sirq += ent;
		if (!ent && !ns)
			continue;
		json_array_append_new(
			jsi, json_pack("{s:s, s:I, s:f, s:I, s:f, s:f}", "name", softirq_names[v],
				       "entries", (json_int_t)ent, "entries_per_pkt",
				       (double)ent / k->pkts, "ns", (json_int_t)ns, "ns_per_pkt",
				       (double)ns / k->pkts, "raise_to_entry_ns_avg",
				       wn ? (double)w / (double)wn : 0.0));
	}
	return jsi;
}

/* What the instrument cost on this core, and how that was found. */
static json_t *instrument_json(const struct core_acc *k, uint64_t window_ns)
{
	const struct attr_calib *cal = &k->a->cal[k->cpu];
	json_t *j = json_object(), *progs = json_array();

	for (int p = 0; p < ATTR_NPROGS; p++) {
		uint64_t r = prog_runs(k, p);

		if (!r)
			continue;
		json_t *e = json_pack("{s:s, s:I, s:f, s:f, s:f}", "tracepoint", attr_prog_tp[p],
				      "runs", (json_int_t)r, "runs_per_pkt", (double)r / k->pkts,
				      "in_program_ns_per_run", k->a->prog_run_ns[p], "ns_per_run",
				      attr_prog_cost(k->a, k->cpu, p));

		/* A path program on the same tracepoint runs as often again. */
		if (k->path_runs && k->a->path_ns[p] > 0)
			json_object_set_new(e, "path_program_ns_per_run",
					    json_real(k->a->path_ns[p]));
		json_array_append_new(progs, e);
	}
	if (k->path_runs)
		json_object_set_new(j, "path_programs",
				    json_pack("{s:I, s:f, s:f, s:f, s:I}", "runs",
					      (json_int_t)k->path_runs, "runs_per_pkt",
					      (double)k->path_runs / k->pkts, "ns_per_run",
					      path_model_ns(k) / (double)k->path_runs,
					      "mean_in_program_ns_per_run", k->a->path_run_ns,
					      "warmup_runs", (json_int_t)k->a->path_runs_cal));
	json_object_set_new(j, "runs", json_integer((json_int_t)k->runs));
	json_object_set_new(j, "runs_per_pkt", json_real((double)k->runs / k->pkts));
	json_object_set_new(j, "ns_per_run",
			    json_real(k->runs ? k->probe_model_ns / (double)k->runs : 0.0));
	json_object_set_new(j, "ns", json_real(k->probe_ns));
	json_object_set_new(j, "ns_per_pkt", json_real(k->probe_ns / k->pkts));
	json_object_set_new(j, "model_ns", json_real(k->probe_model_ns));
	json_object_set_new(j, "pct_of_core",
			    json_real(window_ns ? 100.0 * k->probe_ns / (double)window_ns : 0.0));
	json_object_set_new(j, "method", json_string(attr_cost_method(k->a, k->cpu)));
	if (k->a->stats_err[0])
		json_object_set_new(j, "bpf_stats_error", json_string(k->a->stats_err));
	if (cal->valid)
		json_object_set_new(j, "getppid_loop",
				    json_pack("{s:f, s:f, s:f, s:f, s:I}", "off_ns_per_call",
					      cal->off_ns, "on_ns_per_call", cal->on_ns,
					      "in_kernel_ns_per_call", cal->in_ns,
					      "entry_exit_ns_per_call", cal->on_ns - cal->in_ns,
					      "calls", (json_int_t)cal->calls));
	if (cal->disp_measured)
		json_object_set_new(
			j, "dispatch_loop",
			json_pack("{s:s, s:f, s:f, s:i, s:f, s:f, s:f, s:f, s:b}", "loop",
				  "recv() on an empty socket: one sock_recv_length hit per call",
				  "off_ns_per_call", cal->disp_off_ns, "on_ns_per_call",
				  cal->disp_on_ns, "programs", cal->disp_progs,
				  "runs_per_call", cal->disp_runs_per_call,
				  "in_program_ns_per_run", cal->disp_in_ns, "dispatch_ns_per_run",
				  cal->disp_ns, "dispatch_iqr_ns", cal->disp_spread_ns, "applied",
				  cal->disp_valid));
	json_object_set_new(j, "programs", progs);
	return j;
}

/* The user group against the engine's TSC time outside its calls: two
 * clocks, one judged by the other (10 % or 50 ns/pkt). */
static json_t *user_check_json(const struct core_acc *k, json_t *groups)
{
	double user = json_number_value(json_object_get(json_object_get(groups, "user"),
							"ns_exact")) / k->pkts;
	/* The engine's loop outside its own timed calls still holds the calls
	 * a library made for it (a DPDK driver's): those are taken out too.
	 * task_work that ran outside the engine's calls (an interrupt's) is in
	 * its loop time: it joins the user side of the comparison. */
	double eng = (k->core->engine_outside_ns - k->untimed_ns - k->offcpu_user_ns) / k->pkts;
	double tw = json_number_value(json_object_get(json_object_get(groups, "task_work"),
						      "ns_exact")) - k->tw_in_call;
	double d;

	if (tw > 0)
		user += tw / k->pkts;
	d = user - eng;
	json_t *j;

	if (!k->core->engine_valid)
		return json_null();
	j = json_pack("{s:f, s:f, s:f, s:f}", "user_ns_per_pkt", user,
		      "engine_outside_calls_ns_per_pkt", eng, "diff_ns_per_pkt", d, "diff_pct",
		      eng > 0 ? 100.0 * d / eng : 0.0);
	double other = json_number_value(json_object_get(
		json_object_get(groups, "other tasks (off-CPU)"), "ns_exact"));
	double busy = 0;
	const char *gn;
	json_t *gv;

	json_object_foreach(groups, gn, gv)
		if (strcmp(gn, "idle"))
			busy += json_number_value(json_object_get(gv, "ns_exact"));
	/* task_work in user context (io_uring completions after an IPI) has a
	 * start no tracepoint marks: the user group then holds part of it.
	 * Below 1 ns a packet (a stray free after an interrupt) it cannot move
	 * the comparison, whose tolerance is 10 % or 50 ns a packet. */
	if (k->taskwork_ns > TASKWORK_NS_PER_PKT * (double)k->core->pkts) {
		json_object_set_new(j, "within_tolerance", json_null());
		json_object_set_new(j, "not_comparable",
				    json_string("task_work ran in user context (io_uring "
						"completions): no tracepoint separates its start "
						"from user code"));
	} else if (busy > 0 && other > 0.02 * busy) {
		/* The engine's loop time holds the time other tasks took the
		 * core; what of it fell outside the endpoint's calls is known
		 * only where the endpoint left the CPU itself. */
		char why[128];

		snprintf(why, sizeof(why), "the core was shared: other tasks took %.1f %% of it",
			 100.0 * other / busy);
		json_object_set_new(j, "within_tolerance", json_null());
		json_object_set_new(j, "not_comparable", json_string(why));
	} else {
		json_object_set_new(j, "within_tolerance",
				    json_boolean(fabs(d) <= 50.0 || fabs(d) <= 0.1 * eng));
	}
	json_object_set_new(j, "untimed_calls", json_integer((json_int_t)k->untimed_calls));
	json_object_set_new(j, "tolerance", json_string("10 % or 50 ns/pkt"));
	return j;
}

/* Busy time, closure and coverage. Closure compares the segments with the
 * busy time /proc/stat counted on the core: it proves coverage (every
 * nanosecond went to some segment), not that the labels are right. */
static void summary_json(json_t *j, const struct core_acc *k, double total, double idle,
			 uint64_t window_ns)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t busy_ticks = k->c->busy_ticks[k->cpu] - k->o->busy_ticks[k->cpu];
	double measured_busy = (double)busy_ticks * 1e9 / (double)hz;
	double attributed_busy = total - idle;

	json_object_set_new(j, "cpu", json_integer(k->cpu));
	json_object_set_new(j, "endpoints", json_string(k->core->label));
	json_object_set_new(j, "pkts", json_integer((json_int_t)k->core->pkts));
	json_object_set_new(j, "window_ns", json_integer((json_int_t)window_ns));
	json_object_set_new(j, "attributed_ns", json_integer((json_int_t)(total + 0.5)));
	json_object_set_new(j, "attributed_busy_ns", json_real(attributed_busy));
	json_object_set_new(j, "measured_busy_ns", json_real(measured_busy));
	json_object_set_new(j, "measured_busy_source",
			    json_string("/proc/stat per-CPU ticks (user+nice+system+irq+softirq+steal)"));
	json_object_set_new(j, "closure_pct",
			    json_real(measured_busy > 0 ? 100.0 * attributed_busy / measured_busy
							: 0.0));
	/* /proc/stat counts in ticks: each slice's two ends are a tick off at most. */
	json_object_set_new(j, "closure_resolution_pct",
			    json_real(window_ns ? 100.0 * 2.0 * (k->a->slices > 0 ? k->a->slices : 1) *
							  1e9 / (double)hz / (double)window_ns
						: 0.0));
	json_object_set_new(j, "coverage_pct",
			    json_real(window_ns ? 100.0 * total / (double)window_ns : 0.0));
	json_object_set_new(j, "unattributed_ns_per_pkt",
			    json_real((measured_busy - attributed_busy) / k->pkts));
	json_object_set_new(j, "busy_ns_per_pkt", json_real(attributed_busy / k->pkts));
	json_object_set_new(j, "busy_without_probes_ns_per_pkt",
			    json_real((attributed_busy - k->probe_ns) / k->pkts));
}

static json_t *core_json(const struct attr *a, const struct attr_snap *o,
			 const struct attr_snap *c, const struct attr_core *core, uint64_t window_ns)
{
	struct core_acc k = { .a = a, .o = o, .c = c, .core = core, .cpu = core->cpu };
	const uint64_t *eo = o->evs + (size_t)core->cpu * ATTR_NEV;
	const uint64_t *ec = c->evs + (size_t)core->cpu * ATTR_NEV;
	uint64_t sys_calls = 0, sirq = 0;
	json_t *j = json_object(), *jg = json_object(), *jc, *js, *jsi;
	double total = 0, idle = 0;

	k.pkts = core->pkts ? (double)core->pkts : 1.0;
	k.cats = calloc(ATTR_NSLOTS + ATTR_NR_SYSCALLS + 1, sizeof(*k.cats));
	k.ee = calloc(ATTR_NR_SYSCALLS, sizeof(*k.ee));
	if (!k.cats || !k.ee) {
		free(k.cats);
		free(k.ee);
		return j;
	}
	collect_slots(&k);
	split_entry_exit(&k);
	remove_probe_cost(&k);
	for (int i = 0; i < k.n; i++) {
		total += k.cats[i].ns;
		if (!strcmp(k.cats[i].group, "idle"))
			idle += k.cats[i].ns;
	}
	jc = cats_json(&k, jg, total);
	js = syscalls_json(&k, &sys_calls);
	jsi = softirqs_json(&k, &sirq);
	summary_json(j, &k, total, idle, window_ns);
	json_object_set_new(j, "syscalls_per_pkt", json_real((double)sys_calls / k.pkts));
	json_object_set_new(j, "softirq_entries_per_pkt", json_real((double)sirq / k.pkts));
	json_object_set_new(j, "context_switches_per_pkt",
			    json_real((double)(ec[ATTR_EV_SWITCHES] - eo[ATTR_EV_SWITCHES]) / k.pkts));
	json_object_set_new(j, "hardirqs_per_pkt",
			    json_real((double)(ec[ATTR_EV_HARDIRQ] - eo[ATTR_EV_HARDIRQ]) / k.pkts));
	json_object_set_new(j, "probe_events_per_pkt", json_real((double)k.runs / k.pkts));
	json_object_set_new(j, "events_before_state_known",
			    json_integer((json_int_t)(ec[ATTR_EV_NOT_READY] - eo[ATTR_EV_NOT_READY])));
	json_object_set_new(j, "instrument", instrument_json(&k, window_ns));
	json_object_set_new(j, "endpoint_off_cpu_outside_calls_ns_per_pkt",
			    json_real(k.offcpu_user_ns / k.pkts));
	json_object_set_new(j, "user_vs_engine", user_check_json(&k, jg));
	if (k.ee_clamped_ns > 0)
		json_object_set_new(j, "entry_exit_beyond_user_ns",
				    json_real(k.ee_clamped_ns));
	json_object_set_new(j, "groups", jg);
	json_object_set_new(j, "categories", jc);
	json_object_set_new(j, "syscalls", js);
	json_object_set_new(j, "softirqs", jsi);
	free(k.cats);
	free(k.ee);
	return j;
}

json_t *attr__json(const struct attr *a, const struct attr_snap *open,
		   const struct attr_snap *close, const struct attr_core *cores, int ncores,
		   uint64_t window_ns)
{
	json_t *j = json_object(), *jc = json_array();

	json_object_set_new(j, "attach", json_string(a->attach));
	json_object_set_new(j, "programs", json_integer(a->nlinks));
	json_object_set_new(j, "missing_tracepoints", json_string(a->missing));
	json_object_set_new(j, "method",
			    json_string("exclusive per-CPU segments between tracepoints"));
	json_object_set_new(j, "clock", attr_clock_json());
	json_object_set_new(j, "detail", json_string(a->light ? "light" : "full"));
	for (int i = 0; i < ncores; i++) {
		json_t *cj = core_json(a, open, close, &cores[i], window_ns);

		if (a->pskel && open->pevs && close->pevs)
			json_object_set_new(
				cj, "path_probe_events_per_pkt",
				json_real((double)attr_pev_delta(a, open, close, cores[i].cpu,
								 PATH_EV_EVENTS) /
					  (cores[i].pkts ? (double)cores[i].pkts : 1.0)));
		json_array_append_new(jc, cj);
	}
	json_object_set_new(j, "cores", jc);
	if (a->pskel && open->phist && close->phist)
		json_object_set_new(j, "path", attr_path_json(a, open, close));
	return j;
}
