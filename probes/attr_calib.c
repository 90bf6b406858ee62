// SPDX-License-Identifier: BSD-3-Clause
/*
 * The instrument's own cost. Every program run costs time in the segments it
 * closes and opens (see attr.bpf.c's charge()). What one run costs is found
 * on the running machine, per case:
 *
 *  - sys_enter/sys_exit: a getppid() loop on each endpoint core
 *    (harness/calib.c), timed on the TSC in batches with those two programs
 *    detached and attached in turn, the looping thread counted as an
 *    endpoint. (on - off) / 2 is one full run: the program, its dispatch,
 *    and the syscall-tracing work path every call takes while they are
 *    attached. It is split between the two by their in-program times;
 *  - every other program: its in-program time per run from the kernel's BPF
 *    run-time statistics (BPF_ENABLE_STATS) over the warm-up, with traffic,
 *    so each runs on the paths it runs on in the window (the statistics' own
 *    clock read stands for the small dispatch of a non-syscall tracepoint).
 *
 * Also here: the calibration loop's detach/attach of the system call
 * programs, and the clock the programs read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attr_priv.h"
#include "attr.skel.h"
#include "path.skel.h"

const char *const attr_prog_tp[ATTR_NPROGS] = {
	[ATTR_P_SCHED_SWITCH] = "sched_switch",	    [ATTR_P_SYS_ENTER] = "sys_enter",
	[ATTR_P_SYS_EXIT] = "sys_exit",		    [ATTR_P_SOFTIRQ_ENTRY] = "softirq_entry",
	[ATTR_P_SOFTIRQ_EXIT] = "softirq_exit",	    [ATTR_P_SOFTIRQ_RAISE] = "softirq_raise",
	[ATTR_P_IRQ_ENTRY] = "irq_handler_entry",   [ATTR_P_IRQ_EXIT] = "irq_handler_exit",
	[ATTR_P_TIMER_ENTRY] = "local_timer_entry", [ATTR_P_TIMER_EXIT] = "local_timer_exit",
	[ATTR_P_DEV_QUEUE] = "net_dev_queue",	    [ATTR_P_DEV_XMIT] = "net_dev_xmit",
	[ATTR_P_RECEIVE_SKB] = "netif_receive_skb", [ATTR_P_DATA_READY] = "sk_data_ready",
	[ATTR_P_NAPI_POLL] = "napi_poll",	    [ATTR_P_CONSUME_SKB] = "consume_skb",
	[ATTR_P_KFREE_SKB] = "kfree_skb",	    [ATTR_P_SEND_LENGTH] = "sock_send_length",
	[ATTR_P_RECV_LENGTH] = "sock_recv_length",
};

static int prog_id(const char *sec)
{
	const char *tp = strchr(sec, '/');

	tp = tp ? tp + 1 : sec;
	for (int i = 0; i < ATTR_NPROGS; i++)
		if (!strcmp(attr_prog_tp[i], tp))
			return i;
	return -1;
}

static int prog_stats(int fd, uint64_t *cnt, uint64_t *ns)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return 0;
}

static void path_stats_begin(struct attr *a)
{
	struct bpf_program *p;
	int n = 0;

	for (int i = 0; i < 16; i++)
		a->pprog_fd[i] = -1;
	if (!a->pskel)
		return;
	bpf_object__for_each_program(p, a->pskel->obj) {
		if (n >= 16 || !bpf_program__autoload(p) || bpf_program__fd(p) < 0)
			continue;
		a->pprog_fd[n] = bpf_program__fd(p);
		a->pprog_tp[n] = prog_id(bpf_program__section_name(p));
		prog_stats(a->pprog_fd[n], &a->pst_cnt0[n], &a->pst_ns0[n]);
		n++;
	}
}

/* The path programs' in-program ns per run over the warm-up, per
 * tracepoint, and their mean weighted by how often each ran. */
static void path_stats_end(struct attr *a)
{
	uint64_t runs = 0, ns = 0;

	for (int i = 0; i < 16; i++) {
		uint64_t cnt, t;
		int tp = a->pprog_tp[i];

		if (a->pprog_fd[i] < 0 || prog_stats(a->pprog_fd[i], &cnt, &t))
			continue;
		cnt -= a->pst_cnt0[i];
		t -= a->pst_ns0[i];
		runs += cnt;
		ns += t;
		if (tp >= 0 && cnt)
			a->path_ns[tp] = (double)t / (double)cnt;
	}
	a->path_runs_cal = runs;
	a->path_run_ns = runs ? (double)ns / (double)runs : 0;
}

void attr__stats_begin(struct attr *a)
{
	struct bpf_program *p;

	for (int i = 0; i < ATTR_NPROGS; i++)
		a->prog_fd[i] = -1;
	a->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (a->stats_fd < 0) {
		snprintf(a->stats_err, sizeof(a->stats_err), "BPF_ENABLE_STATS: %s",
			 strerror(errno));
		return;
	}
	bpf_object__for_each_program(p, a->skel->obj) {
		int id = prog_id(bpf_program__section_name(p));

		if (id < 0 || !bpf_program__autoload(p) || bpf_program__fd(p) < 0)
			continue;
		a->prog_fd[id] = bpf_program__fd(p);
		prog_stats(a->prog_fd[id], &a->st_cnt0[id], &a->st_ns0[id]);
	}
	path_stats_begin(a);
}

void attr__stats_end(struct attr *a)
{
	if (a->stats_fd < 0)
		return;
	for (int i = 0; i < ATTR_NPROGS; i++) {
		uint64_t cnt, ns;

		if (a->prog_fd[i] < 0 || prog_stats(a->prog_fd[i], &cnt, &ns))
			continue;
		a->prog_runs_cal[i] = cnt - a->st_cnt0[i];
		if (cnt > a->st_cnt0[i])
			a->prog_run_ns[i] = (double)(ns - a->st_ns0[i]) / (double)(cnt - a->st_cnt0[i]);
	}
	path_stats_end(a);
	close(a->stats_fd);
	a->stats_fd = -1;
}

void attr__set_slices(struct attr *a, int slices)
{
	a->slices = slices;
}

void attr__set_calib(struct attr *a, int cpu, const struct attr_calib *k)
{
	if (cpu >= 0 && cpu < 64)
		a->cal[cpu] = *k;
}

/* One full sys_enter/sys_exit run, from the loop: (on - off) / 2. */
static double sys_run_ns(const struct attr_calib *k)
{
	double full = (k->on_ns - k->off_ns) / 2;

	return full > 0 ? full : 0;
}

/*
 * The system call programs are priced by the loop: attached, they also send
 * every system call through the kernel's syscall-tracing work path, which
 * the loop measures with them (on - off), split by their in-program times.
 * The other programs' tracepoints have no such path: their cost is their
 * in-program time (the statistics' own clock read stands for the dispatch).
 */
double attr_prog_cost(const struct attr *a, int cpu, int prog)
{
	const struct attr_calib *k = cpu >= 0 && cpu < 64 ? &a->cal[cpu] : NULL;
	double full, rs;

	if (prog < 0 || prog >= ATTR_NPROGS)
		return 0;
	if (!k || !k->valid)
		return a->prog_run_ns[prog];
	full = sys_run_ns(k);
	rs = a->prog_run_ns[ATTR_P_SYS_ENTER] + a->prog_run_ns[ATTR_P_SYS_EXIT];
	/* No statistics: every program costs what sys_enter/exit cost. */
	if (rs <= 0 || a->prog_run_ns[prog] <= 0)
		return full;
	if (prog == ATTR_P_SYS_ENTER || prog == ATTR_P_SYS_EXIT)
		return 2.0 * full * a->prog_run_ns[prog] / rs;
	return a->prog_run_ns[prog] + attr_disp_ns(a, cpu);
}

/* A non-syscall program's dispatch on cpu (bpf_trace_run: what its
 * in-program time leaves out), from the dispatch loop; 0 if not measured. */
double attr_disp_ns(const struct attr *a, int cpu)
{
	const struct attr_calib *k = cpu >= 0 && cpu < 64 ? &a->cal[cpu] : NULL;

	return k && k->disp_valid && k->disp_ns > 0 ? k->disp_ns : 0;
}

const char *attr_cost_method(const struct attr *a, int cpu)
{
	int loop = cpu >= 0 && cpu < 64 && a->cal[cpu].valid;
	int stats = a->prog_run_ns[ATTR_P_SYS_ENTER] > 0;

	if (loop && stats)
		return "sys_enter/sys_exit: a getppid() loop on this core timed on the TSC with and "
		       "without them (they also send every call through the syscall-tracing work "
		       "path), split by their in-program times; every other program: its "
		       "in-program ns per run from the kernel's BPF run-time statistics over the "
		       "warm-up, plus its dispatch from a recv() loop on this core with and without "
		       "the programs on sock_recv_length, when that loop's batches agree "
		       "(dispatch_loop.applied); path programs likewise, per tracepoint";
	if (loop)
		return "every program as one sys_enter/exit run, measured on this core by a getppid() "
		       "loop timed on the TSC with and without the probes (no BPF statistics)";
	if (stats)
		return "in-program ns per run from the kernel's BPF run-time statistics only: "
		       "dispatch not measured (an underestimate)";
	return "not calibrated: the probes' cost is left in the segments";
}

void attr__sys_wall(const struct attr *a, const struct attr_snap *o, const struct attr_snap *c,
		    int cpu, uint32_t nr, uint64_t *calls, double *ns)
{
	size_t base = ((size_t)cpu * ATTR_NR_SYSCALLS + nr) * ATTR_HIST_SLOTS;

	*calls = 0;
	*ns = 0;
	if (cpu < 0 || cpu >= a->ncpus || nr >= ATTR_NR_SYSCALLS)
		return;
	*ns = (double)(c->hist[base + ATTR_HIST_SUM] - o->hist[base + ATTR_HIST_SUM]);
	for (int k = 0; k < ATTR_HIST_BUCKETS; k++)
		*calls += c->hist[base + 1 + k] - o->hist[base + 1 + k];
}

/* Detach (on = 0) or attach again (on = 1) the sys_enter/sys_exit programs:
 * the calibration loop alternates batches without and with them, so both
 * see the same machine (a guest's system call cost drifts by tens of per
 * cent within a second). */
int attr__sys_probes(struct attr *a, int on)
{
	for (int i = 0; i < a->nlinks; i++) {
		int id = prog_id(bpf_program__section_name(a->lprog[i]));

		if (id != ATTR_P_SYS_ENTER && id != ATTR_P_SYS_EXIT)
			continue;
		if (!on && a->links[i]) {
			bpf_link__destroy(a->links[i]);
			a->links[i] = NULL;
		} else if (on && !a->links[i]) {
			a->links[i] = bpf_program__attach(a->lprog[i]);
			if (!a->links[i])
				return -errno;
		}
	}
	return 0;
}

/*
 * The dispatch loop's programs: every program on sock_recv_length, which a
 * recv() on an empty socket fires once per call with nothing else of ours.
 * Detach (on = 0) or attach (on = 1) them all; the number of programs, or
 * -errno.
 */
static int links_tp(struct bpf_link **links, struct bpf_program **progs, int n, int tp, int on)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (prog_id(bpf_program__section_name(progs[i])) != tp)
			continue;
		k++;
		if (!on && links[i]) {
			bpf_link__destroy(links[i]);
			links[i] = NULL;
		} else if (on && !links[i]) {
			links[i] = bpf_program__attach(progs[i]);
			if (!links[i])
				return -errno;
		}
	}
	return k;
}

int attr__disp_probes(struct attr *a, int on)
{
	int tp = ATTR_P_RECV_LENGTH, n1, n2, n3 = 0;

	n1 = links_tp(a->links, a->lprog, a->nlinks, tp, on);
	n2 = links_tp(a->plinks, a->plprog, a->nplinks, tp, on);
	if (n1 < 0 || n2 < 0)
		return n1 < 0 ? n1 : n2;
	if (a->disp_prog) {
		n3 = links_tp(&a->disp_link, &a->disp_prog, 1, tp, on);
		if (n3 < 0)
			return n3;
	}
	return n1 + n2 + n3;
}

/* The dispatch loop's programs' run counts and in-program ns so far (the
 * statistics on: attr__stats_on). */
int attr__disp_stats(struct attr *a, uint64_t *runs, uint64_t *ns)
{
	struct bpf_program *progs[3] = { a->disp_prog };
	int n = a->disp_prog ? 1 : 0;

	*runs = *ns = 0;
	for (int i = 0; i < a->nlinks && n < 3; i++)
		if (prog_id(bpf_program__section_name(a->lprog[i])) == ATTR_P_RECV_LENGTH)
			progs[n++] = a->lprog[i];
	for (int i = 0; i < a->nplinks && n < 3; i++)
		if (prog_id(bpf_program__section_name(a->plprog[i])) == ATTR_P_RECV_LENGTH)
			progs[n++] = a->plprog[i];
	for (int i = 0; i < n; i++) {
		uint64_t c, t;
		int err = prog_stats(bpf_program__fd(progs[i]), &c, &t);

		if (err)
			return err;
		*runs += c;
		*ns += t;
	}
	return n;
}

/* After the loop: the programs as the window has them (light detail
 * leaves its own out). */
int attr__disp_done(struct attr *a)
{
	int err = attr__disp_probes(a, 1);

	bpf_link__destroy(a->disp_link);
	a->disp_link = NULL;
	return err < 0 ? err : 0;
}

int attr__stats_on(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

json_t *attr_clock_json(void)
{
	char src[64] = "unknown";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");
	struct timespec a, b, t;
	double best = 0;

	if (f) {
		if (fgets(src, sizeof(src), f))
			src[strcspn(src, "\n")] = 0;
		fclose(f);
	}
	/* Best of five batches of 1000 reads: the read, not what preempts it. */
	for (int k = 0; k < 5; k++) {
		double ns;

		clock_gettime(CLOCK_MONOTONIC_RAW, &a);
		for (int i = 0; i < 1000; i++)
			clock_gettime(CLOCK_MONOTONIC, &t);
		clock_gettime(CLOCK_MONOTONIC_RAW, &b);
		ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1000;
		if (!k || ns < best)
			best = ns;
	}
	return json_pack("{s:s, s:s, s:f, s:s}", "helper", "bpf_ktime_get_ns", "clocksource", src,
			 "user_read_ns", best, "note",
			 "one read per program run; user_read_ns is clock_gettime(CLOCK_MONOTONIC) "
			 "through the vDSO on the same clocksource, the kernel helper's read is of the "
			 "same kind");
}
