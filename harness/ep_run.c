// SPDX-License-Identifier: BSD-3-Clause
/*
 * Endpoint processes from the harness's side: spawned into their
 * namespaces, driven through the shared page's command word, waited for
 * through its state word (and the signalfd, so a wait ends on an
 * interrupt), and made sure to be gone at the end.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "dp.h"
#include "ep_remote.h"
#include "ep_run.h"
#include "interrupt.h"
#include "log.h"
#include "tsc.h"

void ep_run_snap(struct ep_stats *dst, const struct ep_shm *shm)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memcpy(dst, (const void *)&shm->st, sizeof(*dst));
}

/* The agent starts it there from the configuration in the mirror. */
static int remote_spawn(struct ep_run *ep)
{
	json_t *m = json_pack("{s:s}", "tag", ep->tag), *r;
	char buf[256];
	int err;

	ep->shm->cfg.tsc_hz = ep->rem->tsc_hz;
	ctl_set_hex(m, "cfg", &ep->shm->cfg, sizeof(ep->shm->cfg));
	err = ep_remote_call(ep->rem, "spawn", m, "spawned", &r, REMOTE_CALL_MS, buf, sizeof(buf));
	if (err) {
		snprintf(ep->shm->errmsg, sizeof(ep->shm->errmsg), "%s", buf);
		return err;
	}
	ep->ep_pid = (pid_t)json_integer_value(json_object_get(r, "pid"));
	json_decref(r);
	return 0;
}

int ep_run_spawn(struct ep_run *ep, const char *ns, struct runstate *rs)
{
	pid_t pid;

	ep->t_fork = mono_ns();
	if (ep->rem)
		return remote_spawn(ep);
	pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		interrupt_child();
		/* An agent runs at a higher priority than its endpoint (agent.c). */
		setpriority(PRIO_PROCESS, 0, 0);
		if (netns_enter(ns) < 0) {
			fprintf(stderr, "bypasslab: enter netns %s: %s\n", ns, strerror(errno));
			_exit(1);
		}
		execl("/proc/self/exe", "bypasslab", "endpoint", "--shm", ep->shm_path,
		      (char *)NULL);
		fprintf(stderr, "bypasslab: exec endpoint: %s\n", strerror(errno));
		_exit(1);
	}
	ep->pid = pid;
	ep->ep_pid = pid;
	runstate__add_pid(rs, pid);
	return 0;
}

int ep_run_reap(struct ep_run *ep, int block)
{
	int st;
	pid_t r;

	if (ep->rem)
		return ep->reaped || ep->rem->gone;
	if (ep->pid <= 0 || ep->reaped)
		return 1;
	r = waitpid(ep->pid, &st, block ? 0 : WNOHANG);
	if (r == ep->pid) {
		ep->reaped = 1;
		ep->status = st;
		return 1;
	}
	return 0;
}

/* An endpoint blocked in a call without a timeout sees a command only
 * once woken: SIGUSR1 interrupts the call. Only once its handler is in
 * place (it is before READY), and again while waiting, since the signal
 * may land just before the call. */
static void poke_endpoint(const struct ep_run *ep)
{
	uint32_t s = __atomic_load_n(&ep->shm->state, __ATOMIC_ACQUIRE);

	/* A remote endpoint's agent wakes it on STOP and EXIT. */
	if (ep->rem)
		return;
	if (ep->ep_pid > 0 && !ep->reaped && (s == EP_ST_READY || s == EP_ST_RUNNING))
		kill(ep->ep_pid, SIGUSR1);
}

/*
 * Until endpoint ep reaches state (READY also accepts RUNNING) or, with a
 * path, until that file exists (a vhost-user socket the endpoint serves).
 * Waiting for DONE, the endpoint is woken every 20 ms (see poke_endpoint).
 */
int ep_run_wait(struct ep_run *ep, uint32_t state, const char *path, int timeout_ms)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	unsigned int n = 0;

	for (;;) {
		uint32_t s;

		if (ep->rem)
			ep_remote_pump(ep->rem);
		s = __atomic_load_n(&ep->shm->state, __ATOMIC_ACQUIRE);
		if (path ? !access(path, F_OK)
			 : s == state || (state == EP_ST_READY && s == EP_ST_RUNNING))
			return 0;
		if (s == EP_ST_FAILED)
			return ep->shm->exit_code == 3 ? -EOPNOTSUPP : -EIO;
		if (ep_run_reap(ep, 0))
			return -ECHILD;
		if (mono_ns() >= end)
			return -ETIMEDOUT;
		if (hsleep_ms(1))
			return -EINTR;
		if (!path && state == EP_ST_DONE && !(++n % 20))
			poke_endpoint(ep);
	}
}

int ep_run_wait_state(struct ep_run *ep, uint32_t state, int timeout_ms)
{
	return ep_run_wait(ep, state, NULL, timeout_ms);
}

void ep_run_cmd(struct ep_run *ep, uint32_t cmd)
{
	if (!ep->shm)
		return;
	__atomic_store_n(&ep->shm->cmd, cmd, __ATOMIC_RELEASE);
	if (ep->rem)
		ep_remote_send(ep->rem, "cmd", json_pack("{s:i}", "cmd", (int)cmd));
}

void ep_run_stop(struct ep_run *ep)
{
	ep_run_cmd(ep, EP_CMD_STOP);
	if (ep->shm)
		poke_endpoint(ep);
}

int ep_run_refresh_all(struct ep_run *ep, int nep, int which)
{
	uint64_t t_sent[2 * TOPO_MAX_PAIRS] = { 0 };
	int err = 0;

	for (int i = 0; i < nep; i++)
		if (ep[i].rem && ep_remote_snap_send(ep[i].rem, which, &t_sent[i]))
			t_sent[i] = 0;
	for (int i = 0; i < nep; i++) {
		int r = ep[i].rem && t_sent[i] ? ep_remote_snap_recv(ep[i].rem, which, t_sent[i]) : 0;

		if (r && !err)
			err = r;
	}
	return err;
}

void ep_run_cpu(const struct ep_run *ep, struct proc_cpu *pc)
{
	if (ep->rem)
		*pc = ep->rem->cpu;
	else
		proc_cpu_read(ep->ep_pid, pc);
}

void ep_run_ticks(const struct ep_run *ep, unsigned int cpu, struct cpu_ticks *tk)
{
	if (ep->rem)
		*tk = ep->rem->tk;
	else
		cpu_ticks_read(cpu, tk);
}

/* Until every endpoint's port is up (datapaths with a link op). */
int ep_run_wait_links(const struct ep_run *ep, int nep, int timeout_ms, int *which)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		int down = -1;

		for (int i = 0; i < nep && down < 0; i++)
			if (!__atomic_load_n(&ep[i].shm->link_up, __ATOMIC_ACQUIRE))
				down = i;
		if (down < 0)
			return 0;
		*which = down;
		if (mono_ns() >= end)
			return -ETIMEDOUT;
		if (hsleep_ms(1))
			return -EINTR;
	}
}

/* Tell it to exit, then make sure the process is gone (SIGKILL after a
 * grace period). */
void ep_run_finish(struct ep_run *ep, struct runstate *rs)
{
	char pidname[32];
	uint64_t end;

	if (ep->rem) {
		/* Its final page, counters and driver figures with it. */
		if (!ep->reaped && !ep->rem->gone && ep->shm)
			ep_remote_exit(ep->rem, &ep->status);
		ep->reaped = 1;
		return;
	}
	if (ep->pid <= 0)
		return;
	if (ep->shm)
		__atomic_store_n(&ep->shm->cmd, EP_CMD_EXIT, __ATOMIC_RELEASE);
	end = mono_ns() + STOP_TIMEOUT_MS * 1000000ull;
	for (unsigned int n = 0; !ep_run_reap(ep, 0) && mono_ns() < end; n++) {
		struct timespec ts = { 0, 1000000 };

		if (ep->shm && !(n % 20))
			poke_endpoint(ep);
		nanosleep(&ts, NULL);
	}
	if (!ep->reaped) {
		pr_warn("bypasslab: endpoint %s (pid %d) did not stop; killing it\n", ep->tag,
			ep->pid);
		kill(ep->pid, SIGKILL);
		ep_run_reap(ep, 1);
	} else if (WIFSIGNALED(ep->status)) {
		/* Nothing of ours signals it to death: someone else did. */
		pr_warn("bypasslab: endpoint %s (pid %d) was killed by signal %d\n", ep->tag,
			ep->pid, WTERMSIG(ep->status));
	}
	snprintf(pidname, sizeof(pidname), "%d", ep->pid);
	runstate__done(rs, RS_PID, pidname);
}

void ep_run_config(struct ep_config *ec, const struct case_cfg *c, const struct topo *t,
			   int side, uint32_t role, unsigned int cpu, uint64_t tsc_hz)
{
	int peer = side ^ 1, b = side & 1;
	struct dp_case dc;

	memset(ec, 0, sizeof(*ec));
	snprintf(ec->datapath, sizeof(ec->datapath), "%s", c->datapath);
	snprintf(ec->ifname, sizeof(ec->ifname), "%s", t->ep[side].ifname);
	ec->role = role;
	ec->cpu = cpu;
	memcpy(ec->src_mac, t->ep[side].mac, 6);
	memcpy(ec->dst_mac, t->ep[side].peer_mac, 6);
	ec->src_ip = t->ep[side].ip;
	ec->dst_ip = t->ep[peer].ip;
	ec->sport = b ? PORT_B : PORT_A;
	ec->dport = b ? PORT_A : PORT_B;
	ec->frame_size = c->size;
	ec->burst = c->burst;
	ec->rate_pps = c->rate_pps;
	ec->blocking = (uint32_t)c->blocking;
	ec->touch = (uint32_t)c->touch;
	ec->inject_user_ns = c->inject_user_ns;
	ec->inject_syscall = (uint32_t)c->inject_syscall;
	ec->verify = (uint32_t)c->verify;
	ec->outstanding = c->outstanding;
	ec->timeout_us = c->timeout_us;
	ec->tsc_hz = tsc_hz;
	ec->max_run_ms = (uint64_t)((c->warmup_s + c->duration_s) * 1000.0) + 20000;
	ec->sndbuf = c->sndbuf;
	ec->rcvbuf = c->rcvbuf;
	ec->ring_frames = c->ring_frames;
	case_dp_view(c, &dc, ec->opt);
}

/* Endpoint i's status and error, if it did not finish cleanly. */
void ep_run_check(const struct ep_run *ep, char *status, size_t slen, char *errmsg,
			   size_t elen)
{
	uint32_t st = ep->shm->state;

	if (st == EP_ST_FAILED) {
		snprintf(status, slen, "failed");
		snprintf(errmsg, elen, "endpoint %.7s: %s", ep->tag, ep->shm->errmsg);
	} else if (st != EP_ST_DONE) {
		/* Died (killed, crashed) or hung: its counters stop short. */
		snprintf(status, slen, "failed");
		if (ep->rem && ep->rem->gone)
			snprintf(errmsg, elen, "endpoint %.7s: its agent on host %s is gone%s%.200s",
				 ep->tag, ep->rem->host, ep->rem->elast[0] ? ": " : "",
				 ep->rem->elast);
		else if (ep->reaped && WIFSIGNALED(ep->status))
			snprintf(errmsg, elen, "endpoint %.7s (pid %d) was killed by signal %d",
				 ep->tag, ep->pid, WTERMSIG(ep->status));
		else
			snprintf(errmsg, elen, "endpoint %.7s (pid %d) did not finish (state %u)",
				 ep->tag, ep->pid, st);
	}
}

/* Let the path drain into every receiver: until none of them has received
 * anything for 20 ms, at most 500 ms. */
void ep_run_drain(struct ep_run *ep, int nep)
{
	uint64_t until = mono_ns() + 500000000ull, last = 0;

	ep_run_refresh_all(ep, nep, 0);
	for (int i = 1; i < nep; i += 2)
		last += ep[i].shm->st.rx_pkts;
	while (mono_ns() < until) {
		struct timespec ts = { 0, 20000000 };
		uint64_t now = 0;

		nanosleep(&ts, NULL);
		ep_run_refresh_all(ep, nep, 0);
		for (int i = 1; i < nep; i += 2)
			now += ep[i].shm->st.rx_pkts;
		if (now == last)
			break;
		last = now;
	}
}

