// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "attr.h"
#include "attr.skel.h"
#include "attr_user.h"
#include "attr_priv.h"
#include "log.h"
#include "path.h"
#include "path.skel.h"

static const char *const syscall_names[] = {
#include "syscall_names.h"
};

static const char *const softirq_names[ATTR_NR_SOFTIRQ] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
};

/* Tracepoints the breakdown cannot do without; the rest are refinements
 * whose absence is recorded. */
static const char *const required_tps[] = {
	"sched_switch", "sys_enter", "sys_exit", "softirq_entry", "softirq_exit", NULL,
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's messages one level below ours. */
	if (level == LIBBPF_DEBUG && log_level < LOG_DEBUG + 1)
		return 0;
	if (level == LIBBPF_INFO && log_level < LOG_DEBUG)
		return 0;
	if (log_level < LOG_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static const char *tp_of(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);
	const char *slash = strchr(sec, '/');

	return slash ? slash + 1 : sec;
}

static int is_required(const char *tp)
{
	for (int i = 0; required_tps[i]; i++)
		if (!strcmp(required_tps[i], tp))
			return 1;
	return 0;
}

static void add_missing(char *missing, size_t len, const char *tp)
{
	size_t n = strlen(missing);

	snprintf(missing + n, len - n, "%s%s", n ? "," : "", tp);
}

/* Keep one wrapper set ("btf_" or "raw_" programs) of obj. tp_btf needs the
 * tracepoint's BTF type; an absent optional one (e.g. local_timer_* off x86)
 * is left out and listed in missing, not fatal. */
static int select_variant(struct bpf_object *obj, int use_btf, char *missing, size_t len)
{
	const char *want = use_btf ? "btf_" : "raw_";
	struct btf *vmlinux = NULL;
	struct bpf_program *p;

	if (use_btf) {
		vmlinux = btf__load_vmlinux_btf();
		if (!vmlinux)
			return -errno;
	}
	missing[0] = 0;
	bpf_object__for_each_program(p, obj) {
		char tname[96];

		if (strncmp(bpf_program__name(p), want, 4)) {
			bpf_program__set_autoload(p, false);
			continue;
		}
		snprintf(tname, sizeof(tname), "btf_trace_%s", tp_of(p));
		if (vmlinux && btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF) < 0) {
			bpf_program__set_autoload(p, false);
			if (!is_required(tp_of(p)))
				add_missing(missing, len, tp_of(p));
		}
	}
	btf__free(vmlinux);
	return 0;
}

/* Light detail: the tracepoints that only split a group into finer
 * stages (the socket call's return, the skb free) or time softirq raises
 * are left out; every group keeps its boundaries. */
static const char *const light_skip[] = {
	"softirq_raise", "sock_send_length", "sock_recv_length", "consume_skb", "kfree_skb", NULL,
};

static void light_set(struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		for (int i = 0; light_skip[i]; i++)
			if (!strcmp(tp_of(p), light_skip[i]))
				bpf_program__set_autoload(p, false);
}

static struct attr_bpf *open_variant(struct attr *a, int use_btf)
{
	struct attr_bpf *skel;
	int err;

	skel = attr_bpf__open();
	if (!skel)
		return NULL;
	skel->rodata->targ_cpu_mask = a->cpu_mask;
	bpf_map__set_max_entries(skel->maps.segs, (__u32)(a->ncpus * ATTR_NSLOTS));
	bpf_map__set_max_entries(skel->maps.sys_hist,
				 (__u32)(a->ncpus * ATTR_NR_SYSCALLS * ATTR_HIST_SLOTS));
	bpf_map__set_max_entries(skel->maps.evs, (__u32)(a->ncpus * ATTR_NEV));
	err = select_variant(skel->obj, use_btf, a->missing, sizeof(a->missing));
	if (!err && a->light)
		light_set(skel->obj);
	if (!err)
		err = attr_bpf__load(skel);
	if (err) {
		attr_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

static void *map_mmap(struct bpf_map *m, size_t *sz)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size_t)bpf_map__value_size(m) * bpf_map__max_entries(m);
	void *p;

	len = (len + page - 1) / page * page;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, bpf_map__fd(m), 0);
	if (p == MAP_FAILED)
		return NULL;
	*sz = len;
	return p;
}

/* The path object shares the attribution's device roles, endpoint tgids and
 * system call state (per CPU and parked per task: maps of the same
 * definitions), so
 * attr__add_dev/attr__add_tgid fill both and stage 0 needs no program of
 * its own on sys_enter. */
static struct path_bpf *open_path_variant(struct attr *a, int use_btf)
{
	struct path_bpf *skel;
	int err;

	skel = path_bpf__open();
	if (!skel)
		return NULL;
	bpf_map__set_max_entries(skel->maps.hists, (__u32)(a->ncpus * PATH_NDIRS * PATH_NSLOTS));
	bpf_map__set_max_entries(skel->maps.pevs, (__u32)(a->ncpus * PATH_NEV));
	err = bpf_map__reuse_fd(skel->maps.tgids, bpf_map__fd(a->skel->maps.tgids));
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.devs, bpf_map__fd(a->skel->maps.devs));
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.tasks, bpf_map__fd(a->skel->maps.tasks));
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.curtask, bpf_map__fd(a->skel->maps.curtask));
	if (!err)
		err = select_variant(skel->obj, use_btf, a->pmissing, sizeof(a->pmissing));
	if (!err)
		err = path_bpf__load(skel);
	if (err) {
		path_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

static int open_path(struct attr *a)
{
	int use_btf = !strcmp(a->attach, "tp_btf");

	a->pskel = open_path_variant(a, use_btf);
	a->pattach = use_btf ? "tp_btf" : "raw_tp";
	if (!a->pskel && use_btf) {
		pr_info("attr: tp_btf path programs did not load (%s); using raw_tp\n",
			strerror(errno));
		a->pskel = open_path_variant(a, 0);
		a->pattach = "raw_tp";
	}
	if (!a->pskel)
		return -errno;
	a->m_phist = map_mmap(a->pskel->maps.hists, &a->sz_phist);
	a->m_pevs = map_mmap(a->pskel->maps.pevs, &a->sz_pevs);
	if (!a->m_phist || !a->m_pevs)
		return -errno;
	return 0;
}

struct attr *attr__open(uint64_t cpu_mask, int path_mode, int light)
{
	struct attr *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return NULL;
	libbpf_set_print(libbpf_print);
	a->cpu_mask = cpu_mask;
	a->light = light;
	a->stats_fd = -1;
	for (int i = 0; i < ATTR_NPROGS; i++)
		a->prog_fd[i] = -1;
	a->ncpus = libbpf_num_possible_cpus();
	if (a->ncpus <= 0 || a->ncpus > 64) {
		err = a->ncpus <= 0 ? a->ncpus : -E2BIG;
		goto err_free;
	}
	/* Feature fallback: BTF-typed tracepoints where the kernel has them,
	 * raw tracepoints otherwise. */
	a->skel = open_variant(a, 1);
	a->attach = "tp_btf";
	if (!a->skel) {
		pr_info("attr: tp_btf programs did not load (%s); using raw_tp\n", strerror(errno));
		a->skel = open_variant(a, 0);
		a->attach = "raw_tp";
	}
	if (!a->skel) {
		err = -errno;
		goto err_free;
	}
	a->m_segs = map_mmap(a->skel->maps.segs, &a->sz_segs);
	a->m_hist = map_mmap(a->skel->maps.sys_hist, &a->sz_hist);
	a->m_evs = map_mmap(a->skel->maps.evs, &a->sz_evs);
	if (!a->m_segs || !a->m_hist || !a->m_evs) {
		err = -errno;
		goto err_destroy;
	}
	if (path_mode) {
		err = open_path(a);
		if (err) {
			pr_warn("attr: path programs: %s\n", strerror(-err));
			goto err_destroy;
		}
	}
	return a;

err_destroy:
	attr__destroy(a);
	errno = -err;
	return NULL;

err_free:
	free(a);
	errno = -err;
	return NULL;
}

int attr__add_tgid(struct attr *a, uint32_t tgid, uint32_t side)
{
	return bpf_map__update_elem(a->skel->maps.tgids, &tgid, sizeof(tgid), &side, sizeof(side),
				    BPF_ANY);
}

int attr__add_dev(struct attr *a, uint32_t netns_ino, uint32_t ifindex, uint32_t role)
{
	struct attr_dev_key k = { .netns_ino = netns_ino, .ifindex = ifindex };

	return bpf_map__update_elem(a->skel->maps.devs, &k, sizeof(k), &role, sizeof(role),
				    BPF_ANY);
}

int attr__attach(struct attr *a)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, a->skel->obj) {
		struct bpf_link *l;
		int err;

		if (!bpf_program__autoload(p))
			continue;
		l = bpf_program__attach(p);
		if (!l) {
			err = -errno;
			if (is_required(tp_of(p))) {
				pr_warn("attr: attach %s: %s\n", bpf_program__name(p), strerror(-err));
				return err;
			}
			snprintf(a->missing + strlen(a->missing),
				 sizeof(a->missing) - strlen(a->missing), "%s%s",
				 a->missing[0] ? "," : "", tp_of(p));
			continue;
		}
		if (a->nlinks < (int)(sizeof(a->links) / sizeof(a->links[0]))) {
			a->lprog[a->nlinks] = p;
			a->links[a->nlinks++] = l;
		} else {
			bpf_link__destroy(l);
		}
	}
	if (!a->pskel)
		return 0;
	/* Path programs: each tracepoint that is not there costs its stages
	 * (listed), not the run. */
	bpf_object__for_each_program(p, a->pskel->obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		l = bpf_program__attach(p);
		if (!l) {
			add_missing(a->pmissing, sizeof(a->pmissing), tp_of(p));
			continue;
		}
		if (a->nplinks < (int)(sizeof(a->plinks) / sizeof(a->plinks[0]))) {
			a->plprog[a->nplinks] = p;
			a->plinks[a->nplinks++] = l;
		} else
			bpf_link__destroy(l);
	}
	return 0;
}

static void read_proc_stat(struct attr_snap *s)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[10] = { 0 };
		int cpu;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 9 ||
		    cpu < 0 || cpu >= 64)
			continue;
		/* user nice system idle iowait irq softirq steal */
		s->busy_ticks[cpu] = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		s->total_ticks[cpu] = s->busy_ticks[cpu] + v[3] + v[4];
	}
	fclose(f);
}

struct attr_snap *attr__snap(struct attr *a)
{
	struct attr_snap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->segs = malloc(a->sz_segs);
	s->hist = malloc(a->sz_hist);
	s->evs = malloc(a->sz_evs);
	if (!s->segs || !s->hist || !s->evs) {
		attr_snap__free(s);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(s->segs, a->m_segs, a->sz_segs);
	memcpy(s->hist, a->m_hist, a->sz_hist);
	memcpy(s->evs, a->m_evs, a->sz_evs);
	if (a->pskel) {
		s->phist = malloc(a->sz_phist);
		s->pevs = malloc(a->sz_pevs);
		if (!s->phist || !s->pevs) {
			attr_snap__free(s);
			errno = ENOMEM;
			return NULL;
		}
		memcpy(s->phist, a->m_phist, a->sz_phist);
		memcpy(s->pevs, a->m_pevs, a->sz_pevs);
	}
	read_proc_stat(s);
	return s;
}

void attr_snap__free(struct attr_snap *s)
{
	if (!s)
		return;
	free(s->segs);
	free(s->hist);
	free(s->evs);
	free(s->phist);
	free(s->pevs);
	free(s);
}

void attr__destroy(struct attr *a)
{
	if (!a)
		return;
	if (a->stats_fd >= 0)
		close(a->stats_fd);
	/* The path object holds its own references to the shared maps. */
	for (int i = 0; i < a->nplinks; i++)
		bpf_link__destroy(a->plinks[i]);
	if (a->m_phist)
		munmap(a->m_phist, a->sz_phist);
	if (a->m_pevs)
		munmap(a->m_pevs, a->sz_pevs);
	path_bpf__destroy(a->pskel);
	for (int i = 0; i < a->nlinks; i++)
		bpf_link__destroy(a->links[i]);
	if (a->m_segs)
		munmap(a->m_segs, a->sz_segs);
	if (a->m_hist)
		munmap(a->m_hist, a->sz_hist);
	if (a->m_evs)
		munmap(a->m_evs, a->sz_evs);
	attr_bpf__destroy(a->skel);
	free(a);
}

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
/* Entry+exit of the calls of one number, total ns (< 0: none known). */
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
		json_array_append_new(progs,
				      json_pack("{s:s, s:I, s:f, s:f, s:f}", "tracepoint",
						attr_prog_tp[p], "runs", (json_int_t)r, "runs_per_pkt",
						(double)r / k->pkts, "in_program_ns_per_run",
						k->a->prog_run_ns[p], "ns_per_run",
						attr_prog_cost(k->a, k->cpu, p)));
	}
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
	 * start no tracepoint marks: the user group then holds part of it. */
	if (k->taskwork_ns > 0.01 * (double)k->core->pkts) {
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

/* ---- path (probes=path) ------------------------------------------------------ */

static const char *const path_stage[PATH_NSTAGES] = {
	"sender syscall entry",	 "sender eth0 queue",	    "sender bridge port receive",
	"receiver bridge port queue", "receiver eth0 receive", "receiving socket queued",
	"receiving call returned",
};

/* What the hop into each stage covers. */
static const char *const path_into[PATH_NSTAGES] = {
	"",
	"left the sender's socket layer",
	"crossed the sender veth",
	"bridge forwarding done",
	"crossed the receiver veth",
	"queued to the socket (IP/UDP receive)",
	"waited in the socket, dequeued and copied to user",
};

struct phist {
	uint64_t count, sum;
	uint64_t b[PATH_NBUCKETS];
};

/* Window delta of one slot, summed over CPUs and the directions in dirs
 * (bit 0: a -> b, bit 1: b -> a). */
static void phist_delta(const struct attr *a, const struct attr_snap *o,
			const struct attr_snap *c, unsigned int dirs, unsigned int slot,
			struct phist *out)
{
	memset(out, 0, sizeof(*out));
	for (int cpu = 0; cpu < a->ncpus; cpu++) {
		for (unsigned int d = 0; d < PATH_NDIRS; d++) {
			size_t i = ((size_t)cpu * PATH_NDIRS + d) * PATH_NSLOTS + slot;
			const struct path_hist *ho = &o->phist[i], *hc = &c->phist[i];

			if (!(dirs & (1u << d)))
				continue;
			out->count += hc->count - ho->count;
			out->sum += hc->sum - ho->sum;
			for (int k = 0; k < PATH_NBUCKETS; k++)
				out->b[k] += hc->b[k] - ho->b[k];
		}
	}
}

/* Bucket k covers [lo, hi) ns; see path.h. */
static void pbucket_bounds(unsigned int k, uint64_t *lo, uint64_t *hi)
{
	unsigned int e, sub;

	if (k < PATH_SUB) {
		*lo = k;
		*hi = k + 1;
		return;
	}
	e = (k - PATH_SUB) / PATH_SUB + PATH_SUB_BITS;
	sub = (k - PATH_SUB) % PATH_SUB;
	*lo = (uint64_t)(PATH_SUB + sub) << (e - PATH_SUB_BITS);
	*hi = (uint64_t)(PATH_SUB + sub + 1) << (e - PATH_SUB_BITS);
}

/* Nearest rank; the bucket's midpoint (its lower bound for the last one). */
static double phist_pct(const struct phist *h, double p)
{
	uint64_t rank, seen = 0, lo, hi;

	if (!h->count)
		return 0;
	rank = (uint64_t)((double)h->count * p / 100.0 + 0.999999);
	if (rank < 1)
		rank = 1;
	for (unsigned int k = 0; k < PATH_NBUCKETS; k++) {
		seen += h->b[k];
		if (seen >= rank) {
			pbucket_bounds(k, &lo, &hi);
			if (k == PATH_NBUCKETS - 1)
				return (double)lo;
			return k < PATH_SUB ? (double)lo : ((double)lo + (double)hi) / 2.0;
		}
	}
	return 0;
}

static json_t *phist_json(const struct phist *h)
{
	return json_pack("{s:I, s:f, s:f, s:f, s:f}", "count", (json_int_t)h->count, "mean_ns",
			 h->count ? (double)h->sum / (double)h->count : 0.0, "p50_ns",
			 phist_pct(h, 50), "p90_ns", phist_pct(h, 90), "p99_ns",
			 phist_pct(h, 99));
}

static uint64_t pev_delta(const struct attr *a, const struct attr_snap *o,
			  const struct attr_snap *c, int cpu, unsigned int ev)
{
	uint64_t n = 0;

	for (int i = 0; i < a->ncpus; i++) {
		if (cpu >= 0 && i != cpu)
			continue;
		n += c->pevs[(size_t)i * PATH_NEV + ev] - o->pevs[(size_t)i * PATH_NEV + ev];
	}
	return n;
}

/* Hops in path order (by from, then to) and the one-way total, for the
 * directions in dirs. */
static json_t *path_hops_json(const struct attr *a, const struct attr_snap *o,
			      const struct attr_snap *c, unsigned int dirs, json_t **one_way)
{
	json_t *hops = json_array();
	double mean[PATH_NSTAGES][PATH_NSTAGES] = { { 0 } }, chain = 0;
	uint64_t cnt[PATH_NSTAGES][PATH_NSTAGES] = { { 0 } };
	struct phist *h = malloc(sizeof(*h));
	int st = -1;

	*one_way = NULL;
	if (!h)
		return hops;
	for (unsigned int f = 0; f < PATH_NSTAGES; f++) {
		for (unsigned int t = f + 1; t < PATH_NSTAGES; t++) {
			char what[160];
			json_t *j;

			phist_delta(a, o, c, dirs, f * PATH_NSTAGES + t, h);
			if (!h->count)
				continue;
			cnt[f][t] = h->count;
			mean[f][t] = (double)h->sum / (double)h->count;
			if (st < 0)
				st = (int)f;
			if (t == f + 1)
				snprintf(what, sizeof(what), "%s", path_into[t]);
			else if (f == PATH_ST_QUEUE && t == PATH_ST_RECV)
				snprintf(what, sizeof(what), "crossed the veth pair");
			else
				snprintf(what, sizeof(what), "%s ... %s", path_into[f + 1],
					 path_into[t]);
			j = phist_json(h);
			json_object_set_new(j, "from", json_string(path_stage[f]));
			json_object_set_new(j, "to", json_string(path_stage[t]));
			json_object_set_new(j, "what", json_string(what));
			json_array_append_new(hops, j);
		}
	}
	/* Sum of the means along the path most packets took: from the first
	 * stage, always the most used hop onwards. */
	while (st >= 0 && st < PATH_ST_USER) {
		int next = -1;

		for (int t = st + 1; t < PATH_NSTAGES; t++)
			if (cnt[st][t] && (next < 0 || cnt[st][t] > cnt[st][next]))
				next = t;
		if (next < 0)
			break;
		chain += mean[st][next];
		st = next;
	}
	phist_delta(a, o, c, dirs, PATH_SLOT_ONE_WAY, h);
	*one_way = phist_json(h);
	json_object_set_new(*one_way, "sum_of_hop_means_ns", json_real(chain));
	json_object_set_new(*one_way, "to", json_string(path_stage[PATH_ST_USER]));
	free(h);
	return hops;
}

static json_t *path_json(const struct attr *a, const struct attr_snap *o,
			 const struct attr_snap *c)
{
	static const char *const dir_name[PATH_NDIRS] = { "a->b", "b->a" };
	json_t *j = json_object(), *dirs = json_array(), *one_way, *pk;
	uint64_t started = 0, done = 0, from_sys = 0, sock = 0, events;
	unsigned int seen = 0;

	for (unsigned int d = 0; d < PATH_NDIRS; d++) {
		uint64_t n = pev_delta(a, o, c, -1, PATH_EV_START + d);
		json_t *dj, *hops;

		started += n;
		done += pev_delta(a, o, c, -1, PATH_EV_DONE + d);
		sock += pev_delta(a, o, c, -1, PATH_EV_SOCK + d);
		from_sys += pev_delta(a, o, c, -1, PATH_EV_FROM_SYSCALL + d);
		if (!n)
			continue;
		seen |= 1u << d;
		hops = path_hops_json(a, o, c, 1u << d, &one_way);
		dj = json_pack("{s:s, s:I, s:I, s:o, s:o}", "dir", dir_name[d], "packets",
			       (json_int_t)n, "completed",
			       (json_int_t)pev_delta(a, o, c, -1, PATH_EV_DONE + d), "hops", hops,
			       "one_way_ns", one_way ? one_way : json_null());
		json_array_append_new(dirs, dj);
	}
	/* Both directions together (ping-pong: requests and replies). */
	json_object_set_new(j, "hops", path_hops_json(a, o, c, seen, &one_way));
	json_object_set_new(j, "one_way_ns", one_way ? one_way : json_null());
	events = pev_delta(a, o, c, -1, PATH_EV_EVENTS);
	json_object_set_new(j, "events_per_pkt",
			    json_real(started ? (double)events / (double)started : 0.0));
	pk = json_object();
	json_object_set_new(pk, "followed", json_integer((json_int_t)started));
	json_object_set_new(pk, "from_syscall", json_integer((json_int_t)from_sys));
	json_object_set_new(pk, "to_socket", json_integer((json_int_t)sock));
	json_object_set_new(pk, "to_user", json_integer((json_int_t)done));
	json_object_set_new(pk, "dropped_before_socket",
			    json_integer((json_int_t)pev_delta(a, o, c, -1, PATH_EV_DROPPED)));
	json_object_set_new(pk, "restarted",
			    json_integer((json_int_t)pev_delta(a, o, c, -1, PATH_EV_RESTART)));
	json_object_set_new(pk, "untracked_deliveries",
			    json_integer((json_int_t)pev_delta(a, o, c, -1, PATH_EV_UNTRACKED)));
	json_object_set_new(pk, "received_before_delivery_seen",
			    json_integer((json_int_t)pev_delta(a, o, c, -1, PATH_EV_EARLY)));
	json_object_set_new(pk, "received_before_delivery_completed",
			    json_integer((json_int_t)pev_delta(a, o, c, -1, PATH_EV_LATE_DONE)));
	json_object_set_new(pk, "lost_from_socket_ring",
			    json_integer((json_int_t)pev_delta(a, o, c, -1, PATH_EV_LOST)));
	json_object_set_new(pk, "sockets_without_ring",
			    json_integer((json_int_t)pev_delta(a, o, c, -1, PATH_EV_NO_RING)));
	json_object_set_new(j, "packets", pk);
	json_object_set_new(j, "directions", dirs);
	json_object_set_new(j, "attach", json_string(a->pattach));
	json_object_set_new(j, "programs", json_integer(a->nplinks));
	json_object_set_new(j, "missing_tracepoints", json_string(a->pmissing));
	json_object_set_new(
		j, "method",
		json_string("skb address followed in an LRU hash between stage tracepoints; stage 0 "
			    "= the sending thread's system call entry (net_dev_queue inside it); "
			    "stage 5 = sk_data_ready, for the skb this CPU last passed to "
			    "netif_receive_skb on the receiver's eth0; stage 6 = sock_recv_length "
			    "(the receiving call returning with the datagram), paired with the "
			    "socket's deliveries in queue order: the skb itself is freed later, "
			    "on the sending CPU, by skb_attempt_defer_free. Histograms: 16 linear "
			    "buckets per octave (<= 6.25 % wide), percentiles at bucket "
			    "midpoints"));
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
				json_real((double)pev_delta(a, open, close, cores[i].cpu,
							    PATH_EV_EVENTS) /
					  (cores[i].pkts ? (double)cores[i].pkts : 1.0)));
		json_array_append_new(jc, cj);
	}
	json_object_set_new(j, "cores", jc);
	if (a->pskel && open->phist && close->phist)
		json_object_set_new(j, "path", path_json(a, open, close));
	return j;
}
