// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "calib.h"
#include "tsc.h"

#define CALIB_BATCHES 11 /* of each kind, alternating */
#define CALIB_CALLS 300  /* per batch */
#define DISP_BATCHES 21  /* of the dispatch loop: its difference is small */
#define DISP_SPREAD 1.0  /* its batches' interquartile range, at most x the median */

static int dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* Medians over batches: a batch an interrupt or a wake-up landed in does
 * not move them. */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), dbl_cmp);
	return n ? v[n / 2] : 0;
}

/* One batch: TSC ns per getppid() call. */
static double loop_ns(uint64_t tsc_hz)
{
	uint64_t t0 = tsc_now();

	for (int j = 0; j < CALIB_CALLS; j++)
		syscall(SYS_getppid);
	return (double)tsc_to_ns(tsc_now() - t0, tsc_hz) / CALIB_CALLS;
}

/* One batch: TSC ns per recv() on an empty socket (the dispatch loop). */
static double recv_loop_ns(int fd, uint64_t tsc_hz)
{
	uint64_t t0 = tsc_now();
	char b;

	for (int j = 0; j < CALIB_CALLS; j++)
		if (recv(fd, &b, 1, MSG_DONTWAIT) >= 0)
			return -1;
	return (double)tsc_to_ns(tsc_now() - t0, tsc_hz) / CALIB_CALLS;
}

static void child(int cpu, int cmd, int res, uint64_t tsc_hz)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cpu_set_t set;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		double ns;

		if (c == 'w') /* woken: the switch to here and back is the point */
			continue;
		ns = c == 'r' ? (fd >= 0 ? recv_loop_ns(fd, tsc_hz) : -1) : loop_ns(tsc_hz);
		if (write(res, &ns, sizeof(ns)) != sizeof(ns))
			break;
	}
	_exit(0);
}

/* One measurement by child k: ns per call of its getppid() loop (cmd
 * 'm') or recv() loop ('r'), < 0 on failure. */
static double measure_loop(struct calib_child *k, char cmd)
{
	double ns;

	if (k->pid <= 0 || write(k->cmd, &cmd, 1) != 1)
		return -1;
	if (read(k->res, &ns, sizeof(ns)) != sizeof(ns))
		return -1;
	return ns;
}

static double measure(struct calib_child *k)
{
	return measure_loop(k, 'm');
}

static int spawn(struct calib_child *k, int cpu, uint64_t tsc_hz)
{
	int to[2], from[2];

	memset(k, 0, sizeof(*k));
	k->cpu = cpu;
	if (pipe2(to, O_CLOEXEC))
		return -errno;
	if (pipe2(from, O_CLOEXEC)) {
		close(to[0]);
		close(to[1]);
		return -errno;
	}
	k->pid = fork();
	if (k->pid == 0) {
		close(to[1]);
		close(from[0]);
		child(cpu, to[0], from[1], tsc_hz);
	}
	close(to[0]);
	close(from[1]);
	k->cmd = to[1];
	k->res = from[0];
	if (k->pid < 0) {
		close(k->cmd);
		close(k->res);
		return -errno;
	}
	return 0;
}

static void reap(struct calib_child *k)
{
	if (k->pid <= 0)
		return;
	close(k->cmd);
	close(k->res);
	kill(k->pid, SIGKILL);
	waitpid(k->pid, NULL, 0);
	k->pid = 0;
}

void calib_begin(struct calib *cb, unsigned int cpu_a, unsigned int cpu_b, uint64_t tsc_hz)
{
	memset(cb, 0, sizeof(*cb));
	cb->tsc_hz = tsc_hz;
	for (int i = 0; i < (cpu_a == cpu_b ? 1 : 2); i++) {
		struct calib_child *k = &cb->k[cb->n];

		if (spawn(k, (int)(i ? cpu_b : cpu_a), tsc_hz))
			continue;
		cb->n++;
	}
}

/* One batch with the probes on: TSC ns per call, and the probes' own
 * sys_enter..sys_exit ns per call. 0 on failure. */
static int batch_on(struct calib_child *k, struct attr *a, double *on, double *in)
{
	struct attr_snap *o = attr__snap(a), *c;
	uint64_t calls = 0;
	double wall = 0;

	*on = measure(k);
	c = attr__snap(a);
	if (o && c)
		attr__sys_wall(a, o, c, k->cpu, SYS_getppid, &calls, &wall);
	attr_snap__free(o);
	attr_snap__free(c);
	*in = calls ? wall / (double)calls : 0;
	k->r.calls += calls;
	return *on > 0 && calls > 0;
}

/* The dispatch loop's programs' in-program ns per run over one batch,
 * with the statistics on (a batch of its own: they add a clock read). */
static int disp_in(struct calib_child *k, struct attr *a, double *in, double *runs)
{
	uint64_t r0, n0, r1, n1;
	int fd = attr__stats_on(), ok;

	if (fd < 0)
		return 0;
	ok = attr__disp_stats(a, &r0, &n0) > 0 && measure_loop(k, 'r') > 0 &&
	     attr__disp_stats(a, &r1, &n1) > 0 && r1 > r0;
	close(fd);
	*in = ok ? (double)(n1 - n0) / (double)(r1 - r0) : 0;
	*runs = ok ? (double)(r1 - r0) / CALIB_CALLS : 0;
	return ok;
}

/*
 * What a non-syscall program run costs beyond its in-program time: recv()
 * on an empty socket fires sys_enter, sys_exit and sock_recv_length once
 * per call. Batches with sock_recv_length's programs detached and attached
 * (the system call programs attached in both) differ by those programs'
 * full runs; less their in-program time, the rest is the dispatch.
 */
static void calibrate_dispatch(struct calib_child *k, struct attr *a)
{
	double off[DISP_BATCHES], on[DISP_BATCHES], in[DISP_BATCHES], d[DISP_BATCHES];
	double runs[DISP_BATCHES];
	int n = 0, progs = 0;

	for (int b = 0; b < DISP_BATCHES; b++) {
		if (attr__disp_probes(a, 0) < 0)
			break;
		off[n] = measure_loop(k, 'r');
		progs = attr__disp_probes(a, 1);
		if (progs <= 0 || off[n] <= 0)
			break;
		on[n] = measure_loop(k, 'r');
		if (on[n] <= 0 || !disp_in(k, a, &in[n], &runs[n]))
			break;
		/* Each batch's difference to its neighbour: the median of
		 * those, as a guest's call cost drifts between batches. */
		d[n] = (on[n] - off[n]) / progs - in[n];
		n++;
	}
	attr__disp_done(a);
	if (n < DISP_BATCHES)
		return;
	k->r.disp_ns = median(d, n); /* sorts d */
	k->r.disp_spread_ns = d[3 * n / 4] - d[n / 4];
	k->r.disp_off_ns = median(off, n);
	k->r.disp_on_ns = median(on, n);
	k->r.disp_in_ns = median(in, n);
	k->r.disp_runs_per_call = median(runs, n);
	k->r.disp_progs = progs;
	/* Applied only when the batches agree on it: a loop that other work
	 * on the core disturbed says nothing about the dispatch. */
	k->r.disp_measured = 1;
	k->r.disp_valid = k->r.disp_ns > 0 && k->r.disp_spread_ns <= DISP_SPREAD * k->r.disp_ns;
}

/* Batches without and with the system call probes, alternating, the loop's
 * thread an endpoint throughout. */
static void calibrate(struct calib_child *k, struct attr *a)
{
	double off[CALIB_BATCHES], on[CALIB_BATCHES], in[CALIB_BATCHES];
	int n = 0;

	if (attr__add_tgid(a, (uint32_t)k->pid, 0))
		return;
	for (int b = 0; b < CALIB_BATCHES; b++) {
		if (attr__sys_probes(a, 0))
			break;
		off[n] = measure(k);
		if (attr__sys_probes(a, 1) || off[n] <= 0 || !batch_on(k, a, &on[n], &in[n]))
			break;
		n++;
	}
	attr__sys_probes(a, 1);
	if (n == CALIB_BATCHES)
		calibrate_dispatch(k, a);
	attr__del_tgid(a, (uint32_t)k->pid);
	if (n < CALIB_BATCHES)
		return;
	k->r.off_ns = median(off, n);
	k->r.on_ns = median(on, n);
	k->r.in_ns = median(in, n);
	k->r.valid = 1;
	attr__set_calib(a, k->cpu, &k->r);
}

void calib_probed(struct calib *cb, struct attr *a)
{
	for (int i = 0; i < cb->n; i++) {
		if (cb->k[i].pid > 0)
			calibrate(&cb->k[i], a);
		if (!cb->keep)
			reap(&cb->k[i]);
	}
}

void calib_keep(struct calib *cb)
{
	cb->keep = 1;
}

void calib_wake(struct calib *cb)
{
	for (int i = 0; i < cb->n; i++)
		if (cb->k[i].pid > 0 && write(cb->k[i].cmd, "w", 1) != 1)
			reap(&cb->k[i]);
}

void calib_end(struct calib *cb)
{
	for (int i = 0; i < cb->n; i++)
		reap(&cb->k[i]);
}

void calib_core_add_engine(struct attr_core *core, const struct ep_stats *o,
			   const struct ep_stats *c, uint64_t tsc_hz)
{
	double k = tsc_hz ? 1e9 / (double)tsc_hz : 0, in_calls = 0;

	core->engine_valid = 1;
	for (int i = 0; i < EP_NSYS; i++) {
		uint64_t calls = c->sys[i].calls - o->sys[i].calls;
		double ns = (double)(c->sys[i].cyc - o->sys[i].cyc) * k;
		int j;

		if (!c->sys[i].nr || !calls)
			continue;
		in_calls += ns;
		for (j = 0; j < core->nsys; j++)
			if (core->sys[j].nr == (uint32_t)(c->sys[i].nr - 1))
				break;
		if (j == core->nsys) {
			if (core->nsys == ATTR_CORE_NSYS)
				continue;
			core->nsys++;
			core->sys[j].nr = (uint32_t)(c->sys[i].nr - 1);
		}
		core->sys[j].calls += calls;
		core->sys[j].ns += ns;
	}
	core->engine_outside_ns += (double)(c->cyc_loop - o->cyc_loop) * k - in_calls;
}
