/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * User side of the attribution probes (attr.bpf.c): load with feature
 * fallback (tp_btf, else raw_tp), fill the endpoint and device filters,
 * attach, snapshot the per-CPU results at window open and close (attr_user.c),
 * and turn the difference into a per-core breakdown in ns per packet
 * (attr_json.c). Only the harness's calls are here; what the files share
 * among themselves is in attr_priv.h.
 *
 * In path mode the per-packet stage latency programs (path.bpf.c) are loaded
 * too, sharing the attribution's endpoint, device and per-task maps; their
 * hop histograms are snapshotted with the rest and reported as the "path"
 * object of the attribution.
 */
#ifndef BL_ATTR_USER_H
#define BL_ATTR_USER_H

#include <stdint.h>
#include <jansson.h>

struct attr;
struct attr_snap;

/* One system call as the engine timed it on the TSC (around the call). */
struct attr_sys_time {
	uint32_t nr;
	uint64_t calls;
	double ns;
};

#define ATTR_CORE_NSYS 16

struct attr_core {
	int cpu;
	const char *label; /* e.g. "a: send" */
	uint64_t pkts;     /* packets this core's breakdown is divided by */
	/* The engine's own clock for the endpoints on this core (window): its
	 * timed system calls by number, and the TSC time of its loops outside
	 * them (its user code). engine_valid = 0: none (probes only). */
	int engine_valid;
	int nsys;
	struct attr_sys_time sys[ATTR_CORE_NSYS];
	double engine_outside_ns;
};

/* The getppid() loop on one CPU (harness/calib.c): TSC ns per call with
 * no probes attached (off) and with them, the caller an endpoint (on), and
 * what the probes measured from sys_enter to sys_exit per call (in). */
struct attr_calib {
	int valid;
	double off_ns, on_ns, in_ns;
	uint64_t calls;
	/* The dispatch loop: recv() on an empty socket, ns per call with the
	 * programs on sock_recv_length detached (off) and attached (on),
	 * how many, and their in-program ns per run in the loop. disp_ns:
	 * ((on - off) / progs) - in-program, what one non-syscall program run
	 * costs beyond its in-program time. */
	int disp_measured, disp_valid, disp_progs; /* valid: consistent, applied */
	double disp_off_ns, disp_on_ns, disp_in_ns, disp_ns, disp_spread_ns;
	double disp_runs_per_call; /* the programs' runs per loop call: one each */
};

/* ---- attr_user.c: load, filter, attach, snapshot, unload ---- */

/* Load the programs for the CPUs in cpu_mask (the path programs, if
 * path_mode, on every CPU; light: without the tracepoints that only refine
 * stages within a group). NULL + errno on failure. */
struct attr *attr__open(uint64_t cpu_mask, int path_mode, int light);
int attr__add_tgid(struct attr *a, uint32_t tgid, uint32_t side);
int attr__del_tgid(struct attr *a, uint32_t tgid);
int attr__add_dev(struct attr *a, uint32_t netns_ino, uint32_t ifindex, uint32_t role);
int attr__attach(struct attr *a);
/* Duty cycling: detach every program; forget the CPUs' state and attach
 * them again. */
void attr__pause(struct attr *a);
int attr__resume(struct attr *a);
/* Copy of the counters now (and /proc/stat per CPU). NULL + errno. */
struct attr_snap *attr__snap(struct attr *a);
void attr_snap__free(struct attr_snap *s);
/* A snapshot of zeros, and acc += c - o (every counter). */
struct attr_snap *attr_snap__zero(const struct attr *a);
void attr_snap__acc(const struct attr *a, struct attr_snap *acc, const struct attr_snap *o,
		    const struct attr_snap *c);
/* Time the probes saw on cpu between two snapshots, idle and other tasks
 * excluded, ns. */
double attr_snap__busy_ns(const struct attr *a, const struct attr_snap *o,
			  const struct attr_snap *c, int cpu);
/* Detach and unload; accepts NULL. */
void attr__destroy(struct attr *a);

/* ---- attr_calib.c: the instrument's own cost ---- */

/* The kernel's BPF run-time statistics over a slice (begin .. end): each
 * program's in-program ns per run. Failure is recorded, not fatal. */
void attr__stats_begin(struct attr *a);
void attr__stats_end(struct attr *a);
/* getppid() calls on cpu between two snapshots, and their sys_enter ..
 * sys_exit time in ns (the probes' clock). */
void attr__sys_wall(const struct attr *a, const struct attr_snap *o, const struct attr_snap *c,
		    int cpu, uint32_t nr, uint64_t *calls, double *ns);
void attr__set_calib(struct attr *a, int cpu, const struct attr_calib *k);
/* Detach (0) or re-attach (1) the sys_enter/sys_exit programs. */
int attr__sys_probes(struct attr *a, int on);
/* The dispatch loop's programs (all on sock_recv_length): detach (0) or
 * attach (1) them, the number of programs or -errno; their run counts and
 * in-program ns so far (statistics on), the number of programs or -errno. */
int attr__disp_probes(struct attr *a, int on);
int attr__disp_stats(struct attr *a, uint64_t *runs, uint64_t *ns);
/* Back as the window has them. */
int attr__disp_done(struct attr *a);
/* BPF run-time statistics on while the fd returned is open; -errno. */
int attr__stats_on(void);
/* One non-syscall program run's dispatch on cpu, ns (0: not measured). */
double attr_disp_ns(const struct attr *a, int cpu);
/* The snapshots span this many separate slices (closure's resolution). */
void attr__set_slices(struct attr *a, int slices);

/* ---- attr_json.c: the breakdown ---- */

/* The "attribution" object for result.json (with "path" in path mode). */
json_t *attr__json(const struct attr *a, const struct attr_snap *open,
		   const struct attr_snap *close, const struct attr_core *cores, int ncores,
		   uint64_t window_ns);

#endif
