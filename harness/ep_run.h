/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One endpoint process seen from the harness: its shared page, its pid,
 * the counters snapshotted at window open and close, and the commands
 * (RUN, STOP, EXIT) and waits that drive it.
 */
#ifndef BL_EP_RUN_H
#define BL_EP_RUN_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "disturb.h"
#include "harness.h"
#include "runstate.h"
#include "shm.h"
#include "topo.h"

#define PORT_A TOPO_PORT_A
#define PORT_B TOPO_PORT_B
#define READY_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 3000
#define LINK_TIMEOUT_MS 10000

struct ep_remote;

struct ep_run {
	struct ep_remote *rem; /* topology=hosts: on another host (ep_remote.h); shm mirrors it */
	char tag[8];        /* "a", "b", "a1", ...: result_ep_label() */
	char shm_path[128];
	struct ep_shm *shm;
	pid_t pid;
	int reaped;
	int status;
	struct ep_stats w_open, w_close;
	struct ep_stats t_open, t_close; /* what the probes traced: the window, or its slices */
	struct proc_cpu cpu_open, cpu_close;
	struct cpu_ticks tk_open, tk_close; /* its core's /proc/stat line */
	struct histo *rtt_open;
	uint64_t t_fork;    /* mono_ns() at fork, for startup_ms */
	pid_t ep_pid;       /* the endpoint itself (lxc: inside its container) */
	char lxc_path[64];  /* lxc: the container's directory, "" for netns */
	double startup_ms;  /* fork to READY; -1 until then */
};

/* Endpoint `side` of the topology, in role `role` on `cpu`. */
void ep_run_config(struct ep_config *ec, const struct case_cfg *c, const struct topo *t,
		   int side, uint32_t role, unsigned int cpu, uint64_t tsc_hz);
void ep_run_snap(struct ep_stats *dst, const struct ep_shm *shm);
/* fork, setns into ns, exec `bypasslab endpoint --shm PATH`. */
int ep_run_spawn(struct ep_run *ep, const char *ns, struct runstate *rs);
/* 1 once the process is reaped (or never was), 0 while it runs. */
int ep_run_reap(struct ep_run *ep, int block);
/* Until the endpoint reaches state (READY also accepts RUNNING) or, with
 * a path, until that file exists: 0, -EOPNOTSUPP or -EIO when it failed,
 * -ECHILD when it exited, -ETIMEDOUT, -EINTR. */
int ep_run_wait(struct ep_run *ep, uint32_t state, const char *path, int timeout_ms);
int ep_run_wait_state(struct ep_run *ep, uint32_t state, int timeout_ms);
/* Until every endpoint's port is up (datapaths with a link op); *which
 * is the one still down. */
int ep_run_wait_links(const struct ep_run *ep, int nep, int timeout_ms, int *which);
void ep_run_stop(struct ep_run *ep);
/* Write a command word (RUN); a remote endpoint's agent writes it there. */
void ep_run_cmd(struct ep_run *ep, uint32_t cmd);
/* Remote endpoints' pages, CPU time, core ticks and interface counters
 * fetched into their mirrors, every request out before any reply is
 * waited for (which: 0 plain, 1 window open, 2 window close: the agents'
 * probes snapshot too). Nothing to do for local endpoints. 0 or the first
 * -errno. */
int ep_run_refresh_all(struct ep_run *ep, int nep, int which);
/* Its process's CPU time, and its core's /proc/stat line: read here, or
 * as the last refresh brought them. */
void ep_run_cpu(const struct ep_run *ep, struct proc_cpu *pc);
void ep_run_ticks(const struct ep_run *ep, unsigned int cpu, struct cpu_ticks *tk);
/* Let the path drain into every receiver (the b sides). */
void ep_run_drain(struct ep_run *ep, int nep);
/* Tell it to exit, then make sure the process is gone. */
void ep_run_finish(struct ep_run *ep, struct runstate *rs);
/* status and errmsg if it did not finish cleanly; left alone if it did. */
void ep_run_check(const struct ep_run *ep, char *status, size_t slen, char *errmsg,
		  size_t elen);

#endif
