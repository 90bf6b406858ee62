// SPDX-License-Identifier: BSD-3-Clause
/*
 * User side of the sampling judge (sample.bpf.c): see sample_user.h.
 *
 * Method. Every CPU of the mask has a software cpu-clock perf event with a
 * fixed period; each sample is counted by (cpu, kind, kernel stack id),
 * where kind says idle, another task, or an endpoint in the kernel, in user
 * code, or on the instruction after `syscall`. Per window, each kernel
 * stack is classified by a table of symbol prefixes, innermost frame first:
 * the first frame that names a stage gives the group, so the softirq that a
 * sendto runs from local_bh_enable is "veth xmit"/"bridge"/... by its own
 * frames, not "syscalls". A task that is not an endpoint (and idle) takes a
 * stage only from frames under an interrupt or softirq entry (what the
 * tracepoints nest as softirq/hardirq contexts); its other time is "other
 * tasks (off-CPU)" or "idle".
 *
 * Bias. (1) No PMU: the clock interrupt cannot land while interrupts are
 * off, so hardirq handlers, the syscall exit path after interrupts go off,
 * and other irq-off sections are not seen where they run; their time
 * lands on the next instruction with interrupts on. For the exit path that
 * is the user instruction after `syscall`, counted as "syscall entry/exit";
 * hardirq time is mostly charged to what the interrupt returns to (an
 * irq-enable, a softirq), so "hardirq" reads low. (2) A frame is the
 * function, not the packet's stage: the unwinding after a stage (e.g. IP
 * receive returning after the socket wakeup) is charged to the outer frame,
 * while the tracepoints charge it to the last stage entered; receive-side
 * device code (__netif_receive_skb_core) has no stage frame and falls to
 * "softirq NET_RX (napi, backlog)", where the tracepoints split it by
 * device. (3) Sampling error: a share p of n samples has a standard error
 * of sqrt(p(1-p)/n), about 0.7 points at n = 5000, p = 0.5.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "sample.h"
#include "sample.skel.h"
#include "sample_user.h"

/* The groups, named as the tracepoint attribution names them. */
enum {
	G_USER,
	G_SYSENTRY,
	G_SYSCALLS,
	G_PROBES,
	G_VETH,
	G_BRIDGE,
	G_IPUDP,
	G_RECV_OTHER,
	G_SOCKWAKE,
	G_NETRX,
	G_NETTX,
	G_SOFTIRQ,
	G_HARDIRQ,
	G_OTHER,
	G_IDLE,
	NGROUPS,
};

static const char *const group_names[NGROUPS] = {
	[G_USER] = "user",
	[G_SYSENTRY] = "syscall entry/exit",
	[G_SYSCALLS] = "syscalls",
	[G_PROBES] = "probes",
	[G_VETH] = "veth xmit",
	[G_BRIDGE] = "bridge",
	[G_IPUDP] = "IP/UDP receive",
	[G_RECV_OTHER] = "receive (other devices)",
	[G_SOCKWAKE] = "socket enqueue/wakeup",
	[G_NETRX] = "softirq NET_RX (napi, backlog)",
	[G_NETTX] = "softirq NET_TX",
	[G_SOFTIRQ] = "other softirqs",
	[G_HARDIRQ] = "hardirq",
	[G_OTHER] = "other tasks (off-CPU)",
	[G_IDLE] = "idle",
};

/* What a matching frame means beyond its group. */
enum {
	R_STAGE, /* a stage: for endpoints wherever it is, for other tasks only in irq context */
	R_CTX,   /* an interrupt/softirq entry or the probes: counts for every task */
	R_TASK,  /* a system call frame: another task's own work ends the search here */
	R_WEAK,  /* only if no other frame of the stack matches */
};

/* Group "the task's own": idle, other tasks, or user for an endpoint. */
#define G_TASK (-1)

struct rule {
	const char *prefix;
	int group;
	int kind;
};

/* Symbol prefixes, checked in this order for each frame (the first that
 * matches the frame's name is its rule); frames are walked innermost first.
 * bpf_prog_* frames are weak: an XDP program is datapath (veth_xdp_rcv under
 * it), a tracepoint's program is "probes" through bpf_trace_run* under it;
 * only a stack that ends in the program (the unwinder stopped there) takes
 * "probes" from it. The
 * wakeup functions (__wake_up*, try_to_wake_up) match nothing either:
 * under sock_def_readable they are the socket wakeup, elsewhere (timers,
 * futexes) they are not. */
static const struct rule rules[] = {
	/* The probes' own cost: the program runs, their dispatch and helpers
	 * (the clock read under bpf_ktime_get_ns). */
	{ "bpf_trace_run", G_PROBES, R_CTX },
	{ "__bpf_trace_", G_PROBES, R_CTX },
	{ "__traceiter_", G_PROBES, R_CTX },
	{ "bpf_ktime_get", G_PROBES, R_CTX },
	{ "trace_call_bpf", G_PROBES, R_CTX },
	{ "bpf_prog_", G_PROBES, R_WEAK },
	/* A task preempted on its way out of an interrupt: the task's time
	 * (the tracepoints switch at sched_switch), not the interrupt's. */
	{ "preempt_schedule_irq", G_TASK, R_TASK },
	{ "irqentry_exit", G_TASK, R_TASK },
	/* Interrupt entries. */
	{ "asm_sysvec_", G_HARDIRQ, R_CTX },
	{ "sysvec_", G_HARDIRQ, R_CTX },
	{ "__sysvec_", G_HARDIRQ, R_CTX },
	{ "asm_common_interrupt", G_HARDIRQ, R_CTX },
	{ "common_interrupt", G_HARDIRQ, R_CTX },
	{ "handle_irq", G_HARDIRQ, R_CTX },
	{ "__handle_irq", G_HARDIRQ, R_CTX },
	{ "handle_edge_irq", G_HARDIRQ, R_CTX },
	{ "handle_fasteoi_irq", G_HARDIRQ, R_CTX },
	{ "irq_exit_rcu", G_HARDIRQ, R_CTX },
	/* Softirqs. */
	{ "net_rx_action", G_NETRX, R_CTX },
	{ "net_tx_action", G_NETTX, R_CTX },
	{ "handle_softirqs", G_SOFTIRQ, R_CTX },
	{ "__do_softirq", G_SOFTIRQ, R_CTX },
	{ "do_softirq", G_SOFTIRQ, R_CTX },
	{ "run_ksoftirqd", G_SOFTIRQ, R_CTX },
	{ "__napi_poll", G_NETRX, R_STAGE },
	{ "process_backlog", G_NETRX, R_STAGE },
	{ "veth_poll", G_NETRX, R_STAGE },
	{ "veth_xdp_rcv", G_NETRX, R_STAGE },
	/* Stages on the packet's way. */
	{ "sock_def_readable", G_SOCKWAKE, R_STAGE },
	{ "__udp_enqueue_schedule_skb", G_IPUDP, R_STAGE },
	{ "udp_queue_rcv", G_IPUDP, R_STAGE },
	{ "udp_unicast_rcv_skb", G_IPUDP, R_STAGE },
	{ "__udp4_lib_rcv", G_IPUDP, R_STAGE },
	{ "udp_rcv", G_IPUDP, R_STAGE },
	{ "ip_local_deliver", G_IPUDP, R_STAGE },
	{ "ip_rcv", G_IPUDP, R_STAGE },
	{ "ip_sublist_rcv", G_IPUDP, R_STAGE },
	{ "ip_list_rcv", G_IPUDP, R_STAGE },
	{ "br_", G_BRIDGE, R_STAGE },
	{ "veth_", G_VETH, R_STAGE },
	{ "__dev_queue_xmit", G_VETH, R_STAGE },
	{ "dev_hard_start_xmit", G_VETH, R_STAGE },
	/* System calls: the entry and exit path, then the call's own work. */
	{ "entry_SYSCALL_64", G_SYSENTRY, R_TASK },
	{ "do_syscall_64", G_SYSENTRY, R_TASK },
	{ "syscall_exit_to_user_mode", G_SYSENTRY, R_TASK },
	{ "syscall_exit_work", G_SYSENTRY, R_TASK },
	{ "exit_to_user_mode", G_SYSENTRY, R_TASK },
	{ "arch_exit_to_user_mode", G_SYSENTRY, R_TASK },
	{ "syscall_trace_enter", G_SYSENTRY, R_TASK },
	{ "syscall_enter_from_user_mode", G_SYSENTRY, R_TASK },
	{ "x64_sys_call", G_SYSCALLS, R_TASK },
	{ "__x64_sys_", G_SYSCALLS, R_TASK },
	{ "__do_sys_", G_SYSCALLS, R_TASK },
	{ "__se_sys_", G_SYSCALLS, R_TASK },
	{ "__sys_", G_SYSCALLS, R_TASK },
	{ "___sys_", G_SYSCALLS, R_TASK },
	{ "____sys_", G_SYSCALLS, R_TASK },
	{ "udp_sendmsg", G_SYSCALLS, R_TASK },
	{ "udp_recvmsg", G_SYSCALLS, R_TASK },
	{ "io_uring_", G_SYSCALLS, R_TASK },
};

#define NRULES (sizeof(rules) / sizeof(rules[0]))

struct ksym {
	uint64_t addr;
	const char *name;
};

struct sample {
	struct sample_bpf *skel;
	uint64_t cpu_mask;
	unsigned int freq_hz;
	int ncpus;
	int pfd[64];
	struct bpf_link *links[64];
	struct ksym *syms;
	size_t nsyms;
	char *names;
	int syms_stale; /* a snap since kallsyms was read */
};

struct sample_cnt {
	struct sample_key k;
	uint64_t n;
};

struct sample_snap {
	uint64_t t_ns;
	struct sample_cnt *cnt;
	size_t n;
	uint64_t *evs; /* ncpus * SAMPLE_NEV */
};

const char *sample__method(void)
{
	return "perf software cpu-clock sampling per CPU (fixed period), kernel stacks "
	       "classified by their innermost frame that names a stage (symbol prefix table; "
	       "other tasks and idle take a stage only under an interrupt or softirq entry); user "
	       "mode of an endpoint is \"user\", or \"syscall entry/exit\" on the instruction after "
	       "`syscall`. Bias: no PMU, so no sample lands while interrupts are off: hardirq "
	       "handlers and the irq-off syscall exit path are charged to the next instruction "
	       "with interrupts on (\"hardirq\" reads low; the exit path is caught at the user "
	       "instruction after `syscall`); a stage's unwinding goes to the outer frame; "
	       "receive-side device code without a stage frame is NET_RX. Shares carry a "
	       "sampling error of sqrt(p(1-p)/n)";
}

unsigned int sample__freq(const struct sample *s)
{
	return s->freq_hz;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct sample *sample__open(uint64_t cpu_mask, unsigned int freq_hz)
{
	struct sample *s;
	int err;

	if (!cpu_mask || !freq_hz || freq_hz > 100000) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	for (int i = 0; i < 64; i++)
		s->pfd[i] = -1;
	s->cpu_mask = cpu_mask;
	s->freq_hz = freq_hz;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0 || s->ncpus > 64) {
		err = s->ncpus <= 0 ? s->ncpus : -E2BIG;
		goto fail;
	}
	s->skel = sample_bpf__open();
	if (!s->skel) {
		err = -errno;
		goto fail;
	}
	s->skel->rodata->targ_cpu_mask = cpu_mask;
	bpf_map__set_max_entries(s->skel->maps.sevs, (__u32)(s->ncpus * SAMPLE_NEV));
	err = sample_bpf__load(s->skel);
	if (err)
		goto fail;
	return s;
fail:
	sample__destroy(s);
	errno = -err;
	return NULL;
}

int sample__add_tgid(struct sample *s, uint32_t tgid)
{
	uint32_t one = 1;

	return bpf_map__update_elem(s->skel->maps.ep_tgids, &tgid, sizeof(tgid), &one, sizeof(one),
				    BPF_ANY);
}

static int ksym_cmp(const void *x, const void *y)
{
	const struct ksym *a = x, *b = y;

	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* Text symbols of /proc/kallsyms (the kernel's, modules' and BPF
 * programs'), sorted by address. */
static int load_kallsyms(struct sample *s)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	size_t cap = 1 << 18, ncap = 1 << 22, nlen = 0;
	char line[512];

	if (!f)
		return -errno;
	free(s->syms);
	free(s->names);
	s->nsyms = 0;
	s->syms_stale = 0;
	s->syms = malloc(cap * sizeof(*s->syms));
	s->names = malloc(ncap);
	if (!s->syms || !s->names) {
		fclose(f);
		return -ENOMEM;
	}
	/* Offsets into names first: the buffer may move while it grows. */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256];
		size_t len;

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		len = strlen(name) + 1;
		if (s->nsyms == cap) {
			struct ksym *p = realloc(s->syms, 2 * cap * sizeof(*p));

			if (!p)
				break;
			s->syms = p;
			cap *= 2;
		}
		if (nlen + len > ncap) {
			char *p = realloc(s->names, 2 * ncap);

			if (!p)
				break;
			s->names = p;
			ncap *= 2;
		}
		memcpy(s->names + nlen, name, len);
		s->syms[s->nsyms].addr = addr;
		s->syms[s->nsyms].name = (const char *)(uintptr_t)nlen;
		s->nsyms++;
		nlen += len;
	}
	fclose(f);
	for (size_t i = 0; i < s->nsyms; i++)
		s->syms[i].name = s->names + (uintptr_t)s->syms[i].name;
	qsort(s->syms, s->nsyms, sizeof(*s->syms), ksym_cmp);
	return s->nsyms ? 0 : -ENOENT;
}

static const char *ksym_name(const struct sample *s, uint64_t ip)
{
	size_t lo = 0, hi = s->nsyms;

	if (!s->nsyms || ip < s->syms[0].addr)
		return "?";
	/* Last symbol at or below ip. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= ip)
			lo = mid;
		else
			hi = mid;
	}
	return s->syms[lo].name;
}

int sample__attach(struct sample *s)
{
	struct perf_event_attr pa = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(pa),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 1000000000ull / s->freq_hz,
	};
	int err;

	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		if (!(s->cpu_mask & (1ull << cpu)))
			continue;
		s->pfd[cpu] = (int)syscall(SYS_perf_event_open, &pa, -1, cpu, -1,
					   PERF_FLAG_FD_CLOEXEC);
		if (s->pfd[cpu] < 0) {
			err = -errno;
			pr_warn("sample: perf_event_open cpu-clock on cpu %d: %s\n", cpu,
				strerror(errno));
			return err;
		}
		s->links[cpu] = bpf_program__attach_perf_event(s->skel->progs.on_sample, s->pfd[cpu]);
		if (!s->links[cpu]) {
			err = -errno;
			pr_warn("sample: attach on cpu %d: %s\n", cpu, strerror(errno));
			return err;
		}
	}
	return 0;
}

static int cnt_cmp(const void *x, const void *y)
{
	const struct sample_key *a = &((const struct sample_cnt *)x)->k;
	const struct sample_key *b = &((const struct sample_cnt *)y)->k;

	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->stack != b->stack)
		return a->stack < b->stack ? -1 : 1;
	return 0;
}

struct sample_snap *sample__snap(struct sample *s)
{
	struct sample_snap *sn = calloc(1, sizeof(*sn));
	int fd = bpf_map__fd(s->skel->maps.counts), efd = bpf_map__fd(s->skel->maps.sevs);
	struct sample_key k, next, *prev = NULL;
	size_t cap = 1024;

	if (!sn)
		return NULL;
	s->syms_stale = 1;
	sn->t_ns = mono_now();
	sn->cnt = malloc(cap * sizeof(*sn->cnt));
	sn->evs = calloc((size_t)s->ncpus * SAMPLE_NEV, sizeof(*sn->evs));
	if (!sn->cnt || !sn->evs)
		goto nomem;
	for (uint32_t i = 0; i < (uint32_t)(s->ncpus * SAMPLE_NEV); i++)
		bpf_map_lookup_elem(efd, &i, &sn->evs[i]);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		uint64_t v;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		if (sn->n == cap) {
			struct sample_cnt *p = realloc(sn->cnt, 2 * cap * sizeof(*p));

			if (!p)
				goto nomem;
			sn->cnt = p;
			cap *= 2;
		}
		sn->cnt[sn->n].k = k;
		sn->cnt[sn->n].n = v;
		sn->n++;
	}
	qsort(sn->cnt, sn->n, sizeof(*sn->cnt), cnt_cmp);
	return sn;
nomem:
	sample_snap__free(sn);
	errno = ENOMEM;
	return NULL;
}

void sample_snap__free(struct sample_snap *sn)
{
	if (!sn)
		return;
	free(sn->cnt);
	free(sn->evs);
	free(sn);
}

static uint64_t snap_count(const struct sample_snap *sn, const struct sample_key *k)
{
	struct sample_cnt key = { .k = *k };
	const struct sample_cnt *p = bsearch(&key, sn->cnt, sn->n, sizeof(*sn->cnt), cnt_cmp);

	return p ? p->n : 0;
}

static const struct rule *rule_of(const char *name)
{
	for (size_t i = 0; i < NRULES; i++)
		if (!strncmp(name, rules[i].prefix, strlen(rules[i].prefix)))
			return &rules[i];
	return NULL;
}

/* The group of one kernel stack (ips innermost first, n frames) of a task
 * of the given kind; *matched = 0 when no frame matched a rule. */
static int classify_stack(const struct sample *s, const uint64_t *ips, int n, int endpoint,
			  int task_group, int *matched)
{
	int first = -1, weak = -1;

	*matched = 0;
	for (int i = 0; i < n; i++) {
		/* Outer frames are return addresses: the call is just before. */
		const struct rule *r = rule_of(ksym_name(s, i ? ips[i] - 1 : ips[i]));

		if (!r)
			continue;
		*matched = 1;
		if (r->kind == R_WEAK) {
			if (weak < 0)
				weak = r->group;
			continue;
		}
		if (first < 0)
			first = r->group == G_TASK ? task_group : r->group;
		if (endpoint || r->kind == R_CTX)
			return first;
		if (r->kind == R_TASK)
			return task_group;
	}
	return weak >= 0 ? weak : task_group;
}

struct unclass {
	char what[200];
	uint64_t n;
};

static int unclass_cmp(const void *x, const void *y)
{
	const struct unclass *a = x, *b = y;

	return a->n < b->n ? 1 : a->n > b->n ? -1 : 0;
}

/* The innermost frames of a stack, "a <- b <- c". */
static void stack_str(const struct sample *s, const uint64_t *ips, int n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < n && i < 5 && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " <- " : "",
					ksym_name(s, i ? ips[i] - 1 : ips[i]));
}

json_t *sample__core_json(struct sample *s, const struct sample_snap *o,
			  const struct sample_snap *c, int cpu)
{
	static const char *const kind_names[SAMPLE_NKINDS] = {
		"idle", "other_kernel", "other_user", "endpoint_kernel", "endpoint_user",
		"endpoint_after_syscall",
	};
	uint64_t grp[NGROUPS] = { 0 }, kinds[SAMPLE_NKINDS] = { 0 }, total = 0, unmatched = 0;
	int sfd = bpf_map__fd(s->skel->maps.stacks);
	json_t *j = json_object(), *jg = json_object(), *jk = json_object(), *ju = json_array();
	struct unclass *uc = calloc(c->n ? c->n : 1, sizeof(*uc));
	uint64_t ips[SAMPLE_MAX_DEPTH];
	double window_ns = (double)(c->t_ns - o->t_ns);
	size_t nuc = 0;

	/* Read after the window: BPF programs loaded during it (another
	 * run's probes, an XDP program) have their names then. */
	if (s->syms_stale && load_kallsyms(s))
		pr_warn("sample: /proc/kallsyms unreadable: frames stay unnamed\n");
	for (size_t i = 0; i < c->n; i++) {
		const struct sample_key *k = &c->cnt[i].k;
		uint64_t d = c->cnt[i].n - snap_count(o, k);
		int g, matched = 1, n = 0, ep = k->kind >= SAMPLE_K_EP_KERN;

		if ((int)k->cpu != cpu || !d || k->kind >= SAMPLE_NKINDS)
			continue;
		kinds[k->kind] += d;
		total += d;
		if (k->kind == SAMPLE_K_EP_USER) {
			grp[G_USER] += d;
			continue;
		}
		if (k->kind == SAMPLE_K_EP_SYSRET) {
			grp[G_SYSENTRY] += d;
			continue;
		}
		if (k->kind == SAMPLE_K_OTHER_USER) {
			grp[G_OTHER] += d;
			continue;
		}
		g = k->kind == SAMPLE_K_IDLE ? G_IDLE : ep ? G_USER : G_OTHER;
		if (k->stack != SAMPLE_NO_STACK &&
		    !bpf_map_lookup_elem(sfd, &k->stack, ips)) {
			while (n < SAMPLE_MAX_DEPTH && ips[n])
				n++;
			g = classify_stack(s, ips, n, ep, g, &matched);
		}
		grp[g] += d;
		/* Endpoint kernel time no rule knows: the list to refine them. */
		if (ep && !matched && uc) {
			char what[200];
			size_t u;

			stack_str(s, ips, n, what, sizeof(what));
			if (k->stack == SAMPLE_NO_STACK)
				snprintf(what, sizeof(what), "(no stack)");
			for (u = 0; u < nuc; u++)
				if (!strcmp(uc[u].what, what))
					break;
			if (u == nuc)
				snprintf(uc[nuc++].what, sizeof(uc[u].what), "%s", what);
			uc[u].n += d;
			unmatched += d;
		}
	}
	for (int g = 0; g < NGROUPS; g++)
		json_object_set_new(jg, group_names[g],
				    json_pack("{s:I, s:f}", "samples", (json_int_t)grp[g], "pct",
					      total ? 100.0 * (double)grp[g] / (double)total : 0.0));
	for (int k = 0; k < SAMPLE_NKINDS; k++)
		json_object_set_new(jk, kind_names[k], json_integer((json_int_t)kinds[k]));
	if (uc) {
		qsort(uc, nuc, sizeof(*uc), unclass_cmp);
		for (size_t u = 0; u < nuc && u < 8; u++)
			json_array_append_new(ju, json_pack("{s:s, s:I, s:f}", "stack", uc[u].what,
							    "samples", (json_int_t)uc[u].n, "pct",
							    total ? 100.0 * (double)uc[u].n /
									    (double)total
								  : 0.0));
	}
	free(uc);
	json_object_set_new(j, "cpu", json_integer(cpu));
	json_object_set_new(j, "samples", json_integer((json_int_t)total));
	json_object_set_new(j, "window_ns", json_integer((json_int_t)window_ns));
	json_object_set_new(j, "expected_samples", json_real(window_ns * s->freq_hz / 1e9));
	json_object_set_new(j, "busy_pct",
			    json_real(total ? 100.0 * (double)(total - grp[G_IDLE]) / (double)total
					    : 0.0));
	json_object_set_new(
		j, "stack_lost",
		json_integer((json_int_t)(c->evs[(size_t)cpu * SAMPLE_NEV + SAMPLE_EV_STACK_LOST] -
					  o->evs[(size_t)cpu * SAMPLE_NEV + SAMPLE_EV_STACK_LOST])));
	json_object_set_new(
		j, "samples_not_counted",
		json_integer((json_int_t)(c->evs[(size_t)cpu * SAMPLE_NEV + SAMPLE_EV_KEY_LOST] -
					  o->evs[(size_t)cpu * SAMPLE_NEV + SAMPLE_EV_KEY_LOST])));
	json_object_set_new(j, "groups", jg);
	json_object_set_new(j, "kinds", jk);
	json_object_set_new(j, "unclassified_pct",
			    json_real(total ? 100.0 * (double)unmatched / (double)total : 0.0));
	json_object_set_new(j, "unclassified_top", ju);
	return j;
}

/* A group's amount in a core object: "ns" (tracepoints) or "samples". */
static double group_amount(json_t *g)
{
	json_t *v = json_object_get(g, "ns");

	if (!v)
		v = json_object_get(g, "samples");
	return json_number_value(v);
}

static double busy_total(json_t *groups)
{
	const char *name;
	json_t *g;
	double t = 0;

	json_object_foreach(groups, name, g)
		if (strcmp(name, "idle"))
			t += group_amount(g);
	return t;
}

struct cmp_row {
	const char *group;
	double tp, sm;
};

static int row_cmp(const void *x, const void *y)
{
	const struct cmp_row *a = x, *b = y;
	double ma = a->tp > a->sm ? a->tp : a->sm, mb = b->tp > b->sm ? b->tp : b->sm;

	return ma < mb ? 1 : ma > mb ? -1 : strcmp(a->group, b->group);
}

json_t *sample__compare(json_t *attr_core, json_t *sample_core)
{
	json_t *tg = json_object_get(attr_core, "groups"), *sg = json_object_get(sample_core, "groups");
	double tb = busy_total(tg), sb = busy_total(sg), maxd = 0;
	size_t n = 0, cap = json_object_size(tg) + json_object_size(sg) + 1;
	struct cmp_row *rows = calloc(cap, sizeof(*rows));
	json_t *j = json_object(), *jr = json_array();
	const char *name, *maxg = "";
	json_t *g;

	if (!rows)
		return j;
	/* The union of both group sets, idle left out. */
	json_object_foreach(tg, name, g) {
		if (!strcmp(name, "idle"))
			continue;
		rows[n].group = name;
		rows[n].tp = tb > 0 ? 100.0 * group_amount(g) / tb : 0.0;
		rows[n].sm = sb > 0 ? 100.0 * group_amount(json_object_get(sg, name)) / sb : 0.0;
		n++;
	}
	json_object_foreach(sg, name, g) {
		if (!strcmp(name, "idle") || json_object_get(tg, name))
			continue;
		rows[n].group = name;
		rows[n].tp = 0.0;
		rows[n].sm = sb > 0 ? 100.0 * group_amount(g) / sb : 0.0;
		n++;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (size_t i = 0; i < n; i++) {
		double d = rows[i].sm - rows[i].tp;

		if (fabs(d) > fabs(maxd)) {
			maxd = d;
			maxg = rows[i].group;
		}
		json_array_append_new(jr, json_pack("{s:s, s:f, s:f, s:f}", "group", rows[i].group,
						    "tracepoint_pct", rows[i].tp, "sample_pct",
						    rows[i].sm, "diff_pts", d));
	}
	json_object_set_new(j, "cpu", json_incref(json_object_get(sample_core, "cpu")));
	json_object_set_new(j, "basis",
			    json_string("shares of busy time, idle excluded from both; diff = "
					"sample - tracepoint, in points"));
	json_object_set_new(j, "tracepoint_busy_ns", json_real(tb));
	json_object_set_new(j, "sample_busy_samples", json_real(sb));
	json_object_set_new(j, "groups", jr);
	json_object_set_new(j, "max_abs_diff_pts", json_real(fabs(maxd)));
	json_object_set_new(j, "max_abs_diff_group", json_string(maxg));
	free(rows);
	return j;
}

void sample__destroy(struct sample *s)
{
	if (!s)
		return;
	for (int i = 0; i < 64; i++) {
		bpf_link__destroy(s->links[i]);
		if (s->pfd[i] >= 0)
			close(s->pfd[i]);
	}
	sample_bpf__destroy(s->skel);
	free(s->syms);
	free(s->names);
	free(s);
}
