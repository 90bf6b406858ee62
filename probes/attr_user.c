// SPDX-License-Identifier: BSD-3-Clause
/*
 * The attribution's loader: open attr.bpf.c (and path.bpf.c in path mode)
 * with feature fallback, fill the filters, attach, snapshot the per-CPU
 * results and unload. The breakdown built from two snapshots is in
 * attr_json.c and attr_path_json.c; the instrument's own cost and duty
 * cycling's detach/attach in attr_calib.c.
 */
#include <errno.h>
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

static void light_set(struct attr *a, struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj) {
		if (!bpf_program__autoload(p))
			continue;
		/* Loaded, but attached only while the dispatch loop runs. */
		if (!strcmp(tp_of(p), attr_prog_tp[ATTR_P_RECV_LENGTH])) {
			a->disp_prog = p;
			continue;
		}
		for (int i = 0; light_skip[i]; i++)
			if (!strcmp(tp_of(p), light_skip[i]))
				bpf_program__set_autoload(p, false);
	}
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
		light_set(a, skel->obj);
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

int attr__del_tgid(struct attr *a, uint32_t tgid)
{
	return bpf_map__delete_elem(a->skel->maps.tgids, &tgid, sizeof(tgid), 0);
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

		if (!bpf_program__autoload(p) || p == a->disp_prog)
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
	bpf_link__destroy(a->disp_link);
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

/* ---- duty cycling: detach, reattach, sum the traced slices ---------------- */

static void links_set(struct bpf_link **links, struct bpf_program **progs, int n, int on)
{
	for (int i = 0; i < n; i++) {
		if (!on) {
			bpf_link__destroy(links[i]);
			links[i] = NULL;
		} else if (!links[i]) {
			links[i] = bpf_program__attach(progs[i]);
		}
	}
}

void attr__pause(struct attr *a)
{
	links_set(a->links, a->lprog, a->nlinks, 0);
	links_set(a->plinks, a->plprog, a->nplinks, 0);
}

/* What the CPUs knew is stale after a gap: forget it (a CPU's state is
 * known again at its next context switch or endpoint system call). */
static int reset_state(struct attr *a)
{
	size_t vs = bpf_map__value_size(a->skel->maps.cstate);
	size_t cs = bpf_map__value_size(a->skel->maps.curtask);
	void *z = calloc((size_t)a->ncpus, vs > cs ? vs : cs);
	__u32 zero = 0, key, next;
	int err;

	if (!z)
		return -ENOMEM;
	err = bpf_map__update_elem(a->skel->maps.cstate, &zero, sizeof(zero), z,
				   vs * (size_t)a->ncpus, BPF_ANY);
	if (!err)
		err = bpf_map__update_elem(a->skel->maps.curtask, &zero, sizeof(zero), z,
					   cs * (size_t)a->ncpus, BPF_ANY);
	free(z);
	while (!err && !bpf_map__get_next_key(a->skel->maps.tasks, NULL, &next, sizeof(next))) {
		key = next;
		if (bpf_map__delete_elem(a->skel->maps.tasks, &key, sizeof(key), 0))
			break;
	}
	return err;
}

int attr__resume(struct attr *a)
{
	int err = reset_state(a);

	links_set(a->links, a->lprog, a->nlinks, 1);
	links_set(a->plinks, a->plprog, a->nplinks, 1);
	for (int i = 0; i < a->nlinks; i++)
		if (!a->links[i])
			return -errno;
	return err;
}

static void add_delta(uint64_t *acc, const uint64_t *o, const uint64_t *c, size_t bytes)
{
	for (size_t i = 0; i < bytes / sizeof(uint64_t); i++)
		acc[i] += c[i] - o[i];
}

struct attr_snap *attr_snap__zero(const struct attr *a)
{
	struct attr_snap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->segs = calloc(1, a->sz_segs);
	s->hist = calloc(1, a->sz_hist);
	s->evs = calloc(1, a->sz_evs);
	if (a->pskel) {
		s->phist = calloc(1, a->sz_phist);
		s->pevs = calloc(1, a->sz_pevs);
	}
	if (!s->segs || !s->hist || !s->evs || (a->pskel && (!s->phist || !s->pevs))) {
		attr_snap__free(s);
		return NULL;
	}
	return s;
}

void attr_snap__acc(const struct attr *a, struct attr_snap *acc, const struct attr_snap *o,
		    const struct attr_snap *c)
{
	add_delta((uint64_t *)acc->segs, (const uint64_t *)o->segs, (const uint64_t *)c->segs,
		  a->sz_segs);
	add_delta(acc->hist, o->hist, c->hist, a->sz_hist);
	add_delta(acc->evs, o->evs, c->evs, a->sz_evs);
	if (acc->phist && o->phist && c->phist) {
		add_delta((uint64_t *)acc->phist, (const uint64_t *)o->phist,
			  (const uint64_t *)c->phist, a->sz_phist);
		add_delta(acc->pevs, o->pevs, c->pevs, a->sz_pevs);
	}
	add_delta(acc->busy_ticks, o->busy_ticks, c->busy_ticks, sizeof(acc->busy_ticks));
	add_delta(acc->total_ticks, o->total_ticks, c->total_ticks, sizeof(acc->total_ticks));
}

double attr_snap__busy_ns(const struct attr *a, const struct attr_snap *o,
			  const struct attr_snap *c, int cpu)
{
	const struct attr_seg *so, *sc;
	double ns = 0;

	if (cpu < 0 || cpu >= a->ncpus)
		return 0;
	so = o->segs + (size_t)cpu * ATTR_NSLOTS;
	sc = c->segs + (size_t)cpu * ATTR_NSLOTS;
	for (unsigned int i = 0; i < ATTR_NSLOTS; i++)
		if (i / ATTR_NSTAGES != ATTR_CTX_IDLE && i / ATTR_NSTAGES != ATTR_CTX_OTHER)
			ns += (double)(sc[i].ns - so[i].ns);
	return ns;
}
