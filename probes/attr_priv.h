/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the attribution's user-side files share: attr_user.c (loading,
 * snapshots), attr_calib.c (the instrument's own cost, duty cycling),
 * attr_json.c (the per-core breakdown) and attr_path_json.c (the path).
 */
#ifndef BL_ATTR_PRIV_H
#define BL_ATTR_PRIV_H

#include <stdint.h>
#include <linux/types.h>
#include "attr.h"
#include "attr_user.h"

struct path_hist;

struct attr {
	struct attr_bpf *skel;
	const char *attach; /* "tp_btf" or "raw_tp" */
	int ncpus;
	uint64_t cpu_mask;
	struct bpf_link *links[64];
	struct bpf_program *lprog[64]; /* the program of each link */
	int nlinks;
	char missing[512];
	void *m_segs, *m_hist, *m_evs;
	size_t sz_segs, sz_hist, sz_evs;
	/* probes=path: the per-packet stage latency object (path.bpf.c). */
	struct path_bpf *pskel;
	const char *pattach;
	struct bpf_link *plinks[16];
	struct bpf_program *plprog[16];
	int nplinks;
	char pmissing[256];
	void *m_phist, *m_pevs;
	size_t sz_phist, sz_pevs;
	/* The instrument's own cost (attr_calib.c): in-program ns per run of
	 * each program from the kernel's BPF run-time statistics over a slice
	 * of the case, and per CPU the getppid() loop with and without probes. */
	double prog_run_ns[ATTR_NPROGS];
	uint64_t prog_runs_cal[ATTR_NPROGS];
	uint64_t st_cnt0[ATTR_NPROGS], st_ns0[ATTR_NPROGS];
	int prog_fd[ATTR_NPROGS];
	/* probes=path: its programs share the attribution's tracepoints and
	 * land in the same segments. Each is priced by its in-program ns per
	 * run (path_ns[tracepoint]); its runs on a CPU are the attribution
	 * program's there on the same tracepoint, and the rest of path.bpf.c's
	 * own count (PATH_EV_EVENTS) is priced at their mean, path_run_ns. */
	int pprog_fd[16], pprog_tp[16];
	uint64_t pst_cnt0[16], pst_ns0[16];
	double path_ns[ATTR_NPROGS];
	double path_run_ns;
	uint64_t path_runs_cal;
	/* The dispatch loop's tracepoint (sock_recv_length): light detail
	 * loads its program for the loop only (disp_prog, disp_link). */
	struct bpf_program *disp_prog;
	struct bpf_link *disp_link;
	int stats_fd;
	int light; /* probe_detail = light */
	int slices; /* windows the snapshots span (duty cycling), for closure's resolution */
	char stats_err[96];
	struct attr_calib cal[64];
};

struct attr_snap {
	struct attr_seg *segs;
	uint64_t *hist;
	uint64_t *evs;
	struct path_hist *phist; /* path mode only */
	uint64_t *pevs;
	uint64_t busy_ticks[64], total_ticks[64];
};

/* Tracepoint of each program id (ATTR_P_*). */
extern const char *const attr_prog_tp[ATTR_NPROGS];

/* Full cost of one run of program `prog` on `cpu` (dispatch + program),
 * ns; 0 when nothing was calibrated. */
double attr_prog_cost(const struct attr *a, int cpu, int prog);
/* The clock the programs read (bpf_ktime_get_ns: CLOCK_MONOTONIC on the
 * kernel's clocksource) and what one read costs from user space. */
json_t *attr_clock_json(void);
/* The method behind attr_prog_cost, for result.json. */
const char *attr_cost_method(const struct attr *a, int cpu);

/* probes=path: the "path" object of the attribution, and one of the path
 * programs' counters (PATH_EV_*) over the window, on cpu (< 0: all). */
json_t *attr_path_json(const struct attr *a, const struct attr_snap *o,
		       const struct attr_snap *c);
uint64_t attr_pev_delta(const struct attr *a, const struct attr_snap *o,
			const struct attr_snap *c, int cpu, unsigned int ev);

#endif
