/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An endpoint on another host (topology = hosts), seen from the harness:
 * the `bypasslab agent` there, reached through ssh (or, for host =
 * local, a child with a pipe pair), and a mirror of the endpoint's shared
 * page that ep_run.c reads as if it were local. The agent pushes the
 * page's state word as it changes; counters, CPU time, the core's ticks
 * and the interface's counters come back on request (a snapshot), each
 * with the interval of the harness's clock it was taken in: from the
 * request's sending to its reply's arrival, less what the agent did after
 * taking it. Two hosts' snapshots are no further apart than the union of
 * their intervals (hosts_json: the window's skew bounds).
 */
#ifndef BL_EP_REMOTE_H
#define BL_EP_REMOTE_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "agent_proto.h"
#include "disturb.h"
#include "harness.h"
#include "shm.h"
#include "topo.h"

#define REMOTE_HELLO_MS 20000 /* ssh: connect, authenticate, start the agent */
#define REMOTE_CALL_MS 15000  /* an interface lent, a carrier waited for, ... */
#define REMOTE_BYE_MS 15000   /* the agent's teardown: the interface home */

struct case_cfg;

struct ep_remote {
	struct ctl ctl;
	char host[128];    /* "local" or the ssh destination */
	char name[64];     /* its host name, from its hello */
	char kernel[64];
	char boot_id[40];  /* its running kernel's /proc/sys/kernel/random/boot_id */
	char version[64];
	char prefix[16];   /* the agent's run-state prefix there */
	pid_t pid;         /* ssh, or the local agent */
	int efd;           /* its stderr, forwarded line by line */
	char elast[256];   /* the last line it wrote there */
	int gone;          /* the channel ended */
	int said_hello;    /* its stderr is forwarded from then on */
	uint64_t tsc_hz;
	struct ep_shm *mirror;
	/* the last snapshot */
	uint64_t snap_t_ns; /* on its clock */
	/* The snapshot was taken within [sent, sent + within_ns] on the
	 * harness's clock: the round trip less the agent's work after it. */
	uint64_t snap_sent, within_ns;
	struct proc_cpu cpu;
	struct cpu_ticks tk;
	struct if_counters ifc;
	struct ns_counters nsc;
	uint64_t softnet;
	/* window open and close: on its clock, and on the harness's the
	 * interval each lies in (sent, sent + within) */
	uint64_t win_t[2], win_sent[2], win_within[2];
	int final_ok;
	json_t *usdt; /* usdt = yes: its endpoint's bursts, from the final message */
};

/* ssh (or the local agent) started and its hello checked: the same
 * version as this binary. NULL with one line in err (host unreachable,
 * authentication refused, no bypasslab there, another version). */
struct ep_remote *ep_remote_open(const char *host, const struct case_cfg *c, char *err,
				 size_t len);
/* ssh's argv up to and including "--" for host: -T, BatchMode, (with
 * keepalive) ServerAlive, the words of opts (split in place), the
 * destination as an ssh:// URL written to url. The count, or -E2BIG if
 * more than max - 2 words. */
int ep_remote_ssh_argv(const char *host, char *opts, int keepalive, char *url, size_t urllen,
		       const char **argv, int max);
/* Send msg (taken over) and wait for the reply of type want (state
 * pushes on the way go into the mirror): 0 and *reply (the caller's), or
 * -EIO with the agent's error line in err, -ETIMEDOUT, -EPIPE. */
int ep_remote_call(struct ep_remote *r, const char *type, json_t *msg, const char *want,
		   json_t **reply, int timeout_ms, char *err, size_t len);
/* Apply what the agent pushed (state), without waiting. */
void ep_remote_pump(struct ep_remote *r);
/* Fire and forget (cmd). */
int ep_remote_send(struct ep_remote *r, const char *type, json_t *msg);
/* Send a snapshot request (which: 0 plain, 1 window open, 2 window
 * close), and take its reply into the mirror and r. */
int ep_remote_snap_send(struct ep_remote *r, int which, uint64_t *t_sent);
int ep_remote_snap_recv(struct ep_remote *r, int which, uint64_t t_sent);
/* The endpoint told to exit; its final page into the mirror. */
int ep_remote_exit(struct ep_remote *r, int *status);
/* bye, the agent's teardown waited for, then the process reaped (killed
 * if it would not end); freed. */
void ep_remote_close(struct ep_remote *r);
/* The hosts object's entry for r. */
json_t *ep_remote_json(const struct ep_remote *r);

#endif
