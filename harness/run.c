// SPDX-License-Identifier: BSD-3-Clause
/*
 * `bypasslab run CONFIG [--set key=v1,v2]...`: expand the config into cases,
 * and for each: build the topology, start the endpoints in their namespaces,
 * warm up, open the window (snapshot every counter), sample each second, close
 * the window (snapshot again), stop, drain, reconcile every packet against the
 * kernel's counters, write result.json, tear down.
 *
 * Signals (SIGINT/SIGTERM/SIGHUP) are read from a signalfd in every wait, so
 * an interrupt stops the current case, tears it down and keeps the results of
 * the finished ones. Every object is in the run-state file before it exists.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/types.h>

#include "config.h"
#include "dpdk_case.h"
#include "dp.h"
#include "endpoint.h"
#include "harness.h"
#include "log.h"
#include "fileutil.h"
#include "proc.h"
#include "progress.h"
#include "attr.h"
#include "breakdown.h"
#include "attr_user.h"
#include "calib.h"
#include "duty.h"
#include "sample_user.h"
#include "bursts_user.h"
#include "result.h"
#include "runstate.h"
#include "table.h"
#include "topo.h"
#include "tsc.h"

#define PORT_A 9000
#define PORT_B 9001
#define READY_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 3000
#define LINK_TIMEOUT_MS 10000

static int sig_fd = -1;
static int interrupted;
static sigset_t sig_blocked, sig_saved;

/* Sleep up to ms, waking on a signal: -EINTR once interrupted. */
static int hsleep_ms(int ms)
{
	struct pollfd p = { .fd = sig_fd, .events = POLLIN };

	if (interrupted)
		return -EINTR;
	if (poll(&p, 1, ms) > 0 && (p.revents & POLLIN)) {
		struct signalfd_siginfo si;

		if (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			interrupted = (int)si.ssi_signo;
			pr_warn("bypasslab: %s: stopping after tearing down the current case\n",
				strsignal((int)si.ssi_signo));
		}
		return -EINTR;
	}
	return 0;
}

/* Sleep until mono_ns() >= t (or a signal). */
static int hsleep_until(uint64_t t)
{
	for (;;) {
		uint64_t now = mono_ns();
		int err;

		if (now >= t)
			return 0;
		err = hsleep_ms((int)((t - now + 999999) / 1000000));
		if (err)
			return err;
	}
}

struct ep_run {
	char tag[8];        /* "a", "b", "a1", ...: result_ep_label() */
	char shm_path[128];
	struct ep_shm *shm;
	pid_t pid;
	int reaped;
	int status;
	struct ep_stats w_open, w_close;
	struct ep_stats t_open, t_close; /* what the probes traced: the window, or its slices */
	struct proc_cpu cpu_open, cpu_close;
	struct histo *rtt_open;
	uint64_t t_fork;    /* mono_ns() at fork, for startup_ms */
	pid_t ep_pid;       /* the endpoint itself (lxc: inside its container) */
	char lxc_path[64];  /* lxc: the container's directory, "" for netns */
	double startup_ms;  /* fork to READY; -1 until then */
};

static void snap_stats(struct ep_stats *dst, const struct ep_shm *shm)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memcpy(dst, (const void *)&shm->st, sizeof(*dst));
}

static int spawn_endpoint(struct ep_run *ep, const char *ns, struct runstate *rs)
{
	pid_t pid;

	ep->t_fork = mono_ns();
	pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &sig_saved, NULL);
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

/* The LXC configuration of endpoint i: an application container on the
 * host rootfs (so the binary and the shm file are where they are here),
 * its veth into the run's bridge with the topology's MAC and address, and
 * its cpuset through the cgroup hierarchy that has one. */
static int lxc_write_config(const char *path, const struct topo *t, int i, unsigned int cpu)
{
	const struct topo_ep *ep = &t->ep[i];
	char ip[INET_ADDRSTRLEN];
	/* A v1 cpuset hierarchy (hybrid cgroups) takes the v1 key. */
	const char *cpuset = access("/sys/fs/cgroup/cpuset/cpuset.cpus", F_OK)
				     ? "lxc.cgroup2.cpuset.cpus"
				     : "lxc.cgroup.cpuset.cpus";
	int err = 0;
	FILE *f;

	inet_ntop(AF_INET, &ep->ip, ip, sizeof(ip));
	f = fopen(path, "wxe");
	if (!f)
		return -errno;
	fprintf(f,
		"lxc.uts.name = %s\n"
		"lxc.net.0.type = veth\n"
		"lxc.net.0.link = %s\n"
		"lxc.net.0.name = %s\n"
		"lxc.net.0.veth.pair = %s\n"
		"lxc.net.0.hwaddr = %02x:%02x:%02x:%02x:%02x:%02x\n"
		"lxc.net.0.ipv4.address = %s/24\n"
		"lxc.net.0.mtu = 1500\n"
		"lxc.apparmor.profile = unconfined\n"
		"lxc.console.path = none\n"
		"lxc.mount.auto = proc:mixed sys:mixed\n"
		/* Without it LXC mounts a fresh /dev: the shared pages live
		 * in the host's /dev/shm. */
		"lxc.autodev = 0\n"
		"%s = %u\n",
		ep->ns, t->bridge, ep->ifname, ep->host_if, ep->mac[0], ep->mac[1], ep->mac[2],
		ep->mac[3], ep->mac[4], ep->mac[5], ip, cpuset, cpu);
	if (fflush(f) || ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/*
 * container=lxc: `lxc-execute` runs a shell in the new container that
 * switches IPv6 off before eth0 comes up (LXC leaves it down: no
 * lxc.net.0.flags), adds the peer's permanent neighbour entry (no ARP, as
 * in the netns topology) and runs the endpoint. LXC deletes the veth when
 * the container ends, so the shell outlives the endpoint until the harness
 * has read the interface counters and removed the shm file (at most 20 s).
 * The container and its bridge port are in the run state before they
 * exist.
 */
static int spawn_lxc(struct ep_run *ep, const struct topo *t, int i, unsigned int cpu,
		     struct runstate *rs)
{
	static const char script[] =
		"echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && "
		"echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 && "
		"ip link set dev eth0 up && "
		"ip neigh replace \"$1\" lladdr \"$2\" dev eth0 nud permanent && "
		"{ \"$3\" endpoint --shm \"$4\"; st=$?; i=0; "
		"while [ -e \"$4\" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done; "
		"exit $st; }";
	const struct topo_ep *e = &t->ep[i], *peer = &t->ep[i ^ 1];
	char cfg[PATH_MAX + 16], bin[PATH_MAX], ip[INET_ADDRSTRLEN], mac[18];
	ssize_t n;
	pid_t pid;
	int err;

	n = readlink("/proc/self/exe", bin, sizeof(bin) - 1);
	if (n < 0)
		return -errno;
	bin[n] = 0;
	inet_ntop(AF_INET, &peer->ip, ip, sizeof(ip));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", peer->mac[0], peer->mac[1],
		 peer->mac[2], peer->mac[3], peer->mac[4], peer->mac[5]);
	snprintf(ep->lxc_path, sizeof(ep->lxc_path), "%s/%s", RS_STATE_DIR, e->ns);
	err = runstate__add(rs, RS_LXC, ep->lxc_path);
	if (!err)
		err = runstate__add(rs, RS_LINK, e->host_if);
	if (err)
		return err;
	if (mkdir(ep->lxc_path, 0700))
		return -errno;
	snprintf(cfg, sizeof(cfg), "%s/config", ep->lxc_path);
	err = lxc_write_config(cfg, t, i, cpu);
	if (err)
		return err;
	ep->t_fork = mono_ns();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &sig_saved, NULL);
		/* The container dies with lxc-execute, lxc-execute with us. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("lxc-execute", "lxc-execute", "-n", e->ns, "-P", RS_STATE_DIR, "-f", cfg,
		       "--", "/bin/sh", "-c", script, "sh", ip, mac, bin, ep->shm_path,
		       (char *)NULL);
		fprintf(stderr, "bypasslab: exec lxc-execute: %s\n", strerror(errno));
		_exit(1);
	}
	ep->pid = pid;
	runstate__add_pid(rs, pid);
	return 0;
}

/* The host pid of the process running `<bin> endpoint --shm PATH` (inside
 * a container's pid namespace, so the endpoint cannot tell it). */
static pid_t find_endpoint_pid(const char *shm_path)
{
	struct dirent *e;
	pid_t found = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while (!found && (e = readdir(d))) {
		char path[64], buf[PATH_MAX + 64];
		const char *arg[4];
		ssize_t n;
		int fd, k = 0;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		for (const char *p = buf; p < buf + n && k < 4; p += strlen(p) + 1)
			arg[k++] = p;
		if (k == 4 && !strcmp(arg[1], "endpoint") && !strcmp(arg[2], "--shm") &&
		    !strcmp(arg[3], shm_path))
			found = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return found ? found : -ESRCH;
}

static int reap(struct ep_run *ep, int block)
{
	int st;
	pid_t r;

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

/* Wait until the endpoint reaches `state` (or fails/exits). */
static void poke_endpoint(const struct ep_run *ep);

/*
 * Until endpoint ep reaches state (READY also accepts RUNNING) or, with a
 * path, until that file exists (a vhost-user socket the endpoint serves).
 * Waiting for DONE, the endpoint is woken every 20 ms (see poke_endpoint).
 */
static int wait_for(struct ep_run *ep, uint32_t state, const char *path, int timeout_ms)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	unsigned int n = 0;

	for (;;) {
		uint32_t s = __atomic_load_n(&ep->shm->state, __ATOMIC_ACQUIRE);

		if (path ? !access(path, F_OK)
			 : s == state || (state == EP_ST_READY && s == EP_ST_RUNNING))
			return 0;
		if (s == EP_ST_FAILED)
			return ep->shm->exit_code == 3 ? -EOPNOTSUPP : -EIO;
		if (reap(ep, 0))
			return -ECHILD;
		if (mono_ns() >= end)
			return -ETIMEDOUT;
		if (hsleep_ms(1))
			return -EINTR;
		if (!path && state == EP_ST_DONE && !(++n % 20))
			poke_endpoint(ep);
	}
}

static int wait_state(struct ep_run *ep, uint32_t state, int timeout_ms)
{
	return wait_for(ep, state, NULL, timeout_ms);
}

/* An endpoint blocked in a call without a timeout sees a command only
 * once woken: SIGUSR1 interrupts the call. Only once its handler is in
 * place (it is before READY), and again while waiting, since the signal
 * may land just before the call. */
static void poke_endpoint(const struct ep_run *ep)
{
	uint32_t s = __atomic_load_n(&ep->shm->state, __ATOMIC_ACQUIRE);

	if (ep->ep_pid > 0 && !ep->reaped && (s == EP_ST_READY || s == EP_ST_RUNNING))
		kill(ep->ep_pid, SIGUSR1);
}

static void stop_endpoint(struct ep_run *ep)
{
	if (!ep->shm)
		return;
	__atomic_store_n(&ep->shm->cmd, EP_CMD_STOP, __ATOMIC_RELEASE);
	poke_endpoint(ep);
}

/* Until every endpoint's port is up (datapaths with a link op). */
static int wait_links(const struct ep_run *ep, int nep, int timeout_ms, int *which)
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
static void finish_endpoint(struct ep_run *ep, struct runstate *rs)
{
	char pidname[32];
	uint64_t end;

	if (ep->pid <= 0)
		return;
	if (ep->shm)
		__atomic_store_n(&ep->shm->cmd, EP_CMD_EXIT, __ATOMIC_RELEASE);
	end = mono_ns() + STOP_TIMEOUT_MS * 1000000ull;
	for (unsigned int n = 0; !reap(ep, 0) && mono_ns() < end; n++) {
		struct timespec ts = { 0, 1000000 };

		if (ep->shm && !(n % 20))
			poke_endpoint(ep);
		nanosleep(&ts, NULL);
	}
	if (!ep->reaped) {
		pr_warn("bypasslab: endpoint %s (pid %d) did not stop; killing it\n", ep->tag,
			ep->pid);
		kill(ep->pid, SIGKILL);
		reap(ep, 1);
	}
	snprintf(pidname, sizeof(pidname), "%d", ep->pid);
	runstate__done(rs, RS_PID, pidname);
}

/* Every endpoint's eth0 (ep[] order), then its bridge port, then the
 * bridge: the order result_in.ifs[] expects. */
struct path_counters {
	struct if_counters ifs[RESULT_MAX_IFS];
	int nifs;
	struct ns_counters ns[2 * TOPO_MAX_PAIRS];
	uint64_t softnet_drops;
};

/* "a.eth0", "host_a", "bridge" for pair 0; "a1.eth0", "host_a1" for pair 1. */
static void if_label(char *buf, size_t len, const struct topo *t, int k)
{
	int nep = 2 * t->npairs;
	char lbl[8];

	if (k == 2 * nep) {
		snprintf(buf, len, "bridge");
		return;
	}
	result_ep_label(lbl, sizeof(lbl), k % nep);
	if (k < nep)
		snprintf(buf, len, "%s.eth0", lbl);
	else
		snprintf(buf, len, "host_%s", lbl);
}

static int read_ns_side(void *arg)
{
	void **a = arg;

	if_counters_read(0, "eth0", a[0]);
	return ns_counters_read(a[1]);
}

static void path_counters_read(const struct topo *t, struct path_counters *pc)
{
	int nep = 2 * t->npairs;

	memset(pc, 0, sizeof(*pc));
	for (int i = 0; i < nep; i++) {
		void *arg[2] = { &pc->ifs[i], &pc->ns[i] };

		netns_visit(topo_ep_ns(&t->ep[i]), read_ns_side, arg);
	}
	pc->nifs = nep;
	if (t->kind == TOPO_BRIDGE) {
		for (int i = 0; i < nep; i++)
			if_counters_read(0, t->ep[i].host_if, &pc->ifs[nep + i]);
		if_counters_read(0, t->bridge, &pc->ifs[2 * nep]);
		pc->nifs = 2 * nep + 1;
	}
	pc->softnet_drops = softnet_dropped();
}

static void fill_ep_config(struct ep_config *ec, const struct case_cfg *c, const struct topo *t,
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
	memcpy(ec->dst_mac, t->ep[peer].mac, 6);
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

/* AF_PACKET receivers take frames from the tap, before IP: keep the UDP
 * stack from answering them with ICMP port unreachable. netns-local, gone
 * with the namespace. */
static int run_in_ns_nft(void *arg)
{
	char rule[256];
	const char *argv[] = { "nft", rule, NULL };

	snprintf(rule, sizeof(rule),
		 "add table ip bypasslab; add chain ip bypasslab pre { type filter hook "
		 "prerouting priority -300; }; add rule ip bypasslab pre udp dport { %d, %d } "
		 "counter drop",
		 PORT_A, PORT_B);
	(void)arg;
	return run_cmd(argv, false);
}

static uint32_t netns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

/* Load and attach the attribution probes for this case: the endpoints'
 * processes and the devices on the path, by (netns, ifindex). */
static struct attr *probes_up(const struct topo *t, const struct ep_run *ep, unsigned int cpu_a,
			      unsigned int cpu_b, int path_mode, int light, char *errmsg,
			      size_t len)
{
	uint32_t root = netns_ino("/proc/self/ns/net");
	int nep = 2 * t->npairs;
	struct attr *a;
	char path[64];
	int err = 0;

	a = attr__open((1ull << cpu_a) | (1ull << cpu_b), path_mode, light);
	if (!a) {
		snprintf(errmsg, len, "probes: load: %s", strerror(errno));
		return NULL;
	}
	/* Every pair's endpoints and devices: per core, the breakdown is of
	 * everything that runs there. */
	for (int i = 0; i < nep && !err; i++) {
		uint32_t side = (uint32_t)(i & 1);

		if (t->ep[i].nspath[0])
			snprintf(path, sizeof(path), "%s", t->ep[i].nspath);
		else
			snprintf(path, sizeof(path), "/run/netns/%s", t->ep[i].ns);
		err = attr__add_tgid(a, (uint32_t)ep[i].ep_pid, side);
		if (!err)
			err = attr__add_dev(a, netns_ino(path), (uint32_t)t->ep[i].ifindex,
					    side ? ATTR_ROLE_B : ATTR_ROLE_A);
		if (!err && t->kind == TOPO_BRIDGE)
			err = attr__add_dev(a, root, (uint32_t)t->ep[i].host_ifindex,
					    side ? ATTR_ROLE_HOST_B : ATTR_ROLE_HOST_A);
	}
	if (!err && t->kind == TOPO_BRIDGE)
		err = attr__add_dev(a, root, (uint32_t)t->bridge_ifindex, ATTR_ROLE_BRIDGE);
	if (err) {
		/* The probe's tables are sized for a handful of devices. */
		snprintf(errmsg, len, "probes: %d pair(s) do not fit the probe's tables: %s",
			 t->npairs, strerror(-err));
		attr__destroy(a);
		return NULL;
	}
	err = attr__attach(a);
	if (err) {
		snprintf(errmsg, len, "probes: attach: %s", strerror(-err));
		attr__destroy(a);
		return NULL;
	}
	return a;
}

/* Per-core breakdown: each endpoint's core divided by its own packets. */
static json_t *probes_json(const struct attr *a, const struct attr_snap *o,
			   const struct attr_snap *c, const struct ep_run *ep, int nep, int pp,
			   unsigned int cpu_a, unsigned int cpu_b, uint64_t window_ns)
{
	uint64_t a_pkts = 0, b_pkts = 0;
	struct attr_core cores[2];

	/* Every pair's packets on the core their endpoints share. */
	for (int i = 0; i < nep; i += 2) {
		const struct ep_stats *ao = &ep[i].t_open, *ac = &ep[i].t_close;
		const struct ep_stats *bo = &ep[i + 1].t_open, *bc = &ep[i + 1].t_close;

		a_pkts += pp ? ac->rx_pkts - ao->rx_pkts : ac->tx_pkts - ao->tx_pkts;
		b_pkts += bc->rx_pkts - bo->rx_pkts;
	}
	memset(cores, 0, sizeof(cores));
	cores[0].cpu = (int)cpu_a;
	cores[0].label = pp ? "a: client" : "a: send";
	cores[0].pkts = a_pkts;
	cores[1].cpu = (int)cpu_b;
	cores[1].label = pp ? "b: server" : "b: recv";
	cores[1].pkts = b_pkts;
	/* The engine's clock for the endpoints on each core. */
	for (int i = 0; i < nep; i++)
		calib_core_add_engine(&cores[(i & 1) && cpu_a != cpu_b], &ep[i].t_open,
				      &ep[i].t_close, ep[i].shm->cfg.tsc_hz);
	if (cpu_a == cpu_b) {
		cores[0].label = pp ? "a+b: client and server" : "a+b: send and recv";
		return attr__json(a, o, c, cores, 1, window_ns);
	}
	return attr__json(a, o, c, cores, 2, window_ns);
}

/* probes=sample|both: the cpu-clock sampler on the endpoint cores and its
 * snapshots at window open and close. */
struct sampling {
	struct sample *s;
	struct sample_snap *snap[2];
	unsigned int cpu[2];
	int ncpu;
};

/* Nothing to do (0) unless the case samples; errmsg on failure. */
static int sampling_up(struct sampling *sg, const struct case_cfg *c, const struct ep_run *ep,
		       int nep, unsigned int cpu_a, unsigned int cpu_b, char *errmsg, size_t len)
{
	int err = 0;

	if (c->probes != PROBES_SAMPLE && c->probes != PROBES_BOTH)
		return 0;
	sg->cpu[0] = cpu_a;
	sg->cpu[1] = cpu_b;
	sg->ncpu = cpu_a == cpu_b ? 1 : 2;
	sg->s = sample__open((1ull << cpu_a) | (1ull << cpu_b), c->sample_hz);
	if (!sg->s) {
		snprintf(errmsg, len, "probes: sampling: load: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < nep && !err; i++)
		err = sample__add_tgid(sg->s, (uint32_t)ep[i].ep_pid);
	if (!err)
		err = sample__attach(sg->s);
	if (err)
		snprintf(errmsg, len, "probes: sampling: attach: %s", strerror(-err));
	return err;
}

static void sampling_snap(struct sampling *sg, int close)
{
	if (sg->s)
		sg->snap[close] = sample__snap(sg->s);
}

/* attribution.sample (and .agreement when the tracepoint attribution ran
 * too) into attr_j, which is created for probes=sample. */
static json_t *sampling_json(struct sampling *sg, json_t *attr_j)
{
	json_t *j, *cores = json_array(), *agr = json_array();

	if (!sg->s || !sg->snap[0] || !sg->snap[1]) {
		json_decref(cores);
		json_decref(agr);
		return attr_j;
	}
	for (int i = 0; i < sg->ncpu; i++) {
		json_t *sc = sample__core_json(sg->s, sg->snap[0], sg->snap[1], (int)sg->cpu[i]);
		json_t *tcs = json_object_get(attr_j, "cores"), *tc = NULL;

		/* The tracepoint core of the same CPU. */
		for (size_t k = 0; k < json_array_size(tcs) && !tc; k++)
			if (json_integer_value(json_object_get(json_array_get(tcs, k), "cpu")) ==
			    (json_int_t)sg->cpu[i])
				tc = json_array_get(tcs, k);
		if (tc)
			json_array_append_new(agr, sample__compare(tc, sc));
		json_array_append_new(cores, sc);
	}
	j = json_pack("{s:s, s:i, s:o}", "method", sample__method(), "freq_hz",
		      (int)sample__freq(sg->s), "cores", cores);
	if (!attr_j)
		attr_j = json_object();
	json_object_set_new(attr_j, "sample", j);
	if (json_array_size(agr))
		json_object_set_new(attr_j, "agreement", agr);
	else
		json_decref(agr);
	return attr_j;
}

static void sampling_down(struct sampling *sg)
{
	sample_snap__free(sg->snap[0]);
	sample_snap__free(sg->snap[1]);
	sample__destroy(sg->s);
}

/* Window open for the probes: a snapshot, and with probe_duty < 1 the
 * first traced slice. */
static struct attr_snap *probes_window_open(struct attr *a, struct duty *d, struct calib *cal,
					    const struct case_cfg *c, struct ep_run *ep, int nep)
{
	struct ep_shm *shm[DUTY_MAX_EPS];

	for (int i = 0; i < nep && i < DUTY_MAX_EPS; i++)
		shm[i] = ep[i].shm;
	if (c->probe_duty < 1.0)
		duty_begin(d, a, cal, c->probe_duty, shm, nep);
	return attr__snap(a);
}

/* Window close for the probes: what they traced, as open/close snapshots
 * of the probes and of every endpoint (t_open/t_close). */
static void probes_window_close(struct attr *a, struct duty *d, struct ep_run *ep, int nep,
				struct attr_snap **o, struct attr_snap **c)
{
	if (!d->a) {
		*c = attr__snap(a);
		for (int i = 0; i < nep; i++) {
			ep[i].t_open = ep[i].w_open;
			ep[i].t_close = ep[i].w_close;
		}
		return;
	}
	duty_end(d);
	attr__set_slices(a, d->slices);
	attr_snap__free(*o);
	*o = attr_snap__zero(a);
	*c = d->sacc;
	d->sacc = NULL;
	for (int i = 0; i < nep; i++) {
		memset(&ep[i].t_open, 0, sizeof(ep[i].t_open));
		ep[i].t_close = d->acc[i];
		/* the syscall slots' numbers are labels, not counters */
		for (int k = 0; k < EP_NSYS; k++)
			ep[i].t_open.sys[k].nr = ep[i].t_close.sys[k].nr;
	}
}

struct case_ctx {
	const struct case_cfg *c;
	int idx, ncases;
	const char *run_dir;
	const char *prefix;
	uint64_t tsc_hz;
	struct runstate *rs;
	json_t *machine;
};

static unsigned int pick_cpu(int want, unsigned int dflt)
{
	return want >= 0 ? (unsigned int)want : dflt;
}

/* Endpoint i's status and error, if it did not finish cleanly. */
static void check_finished(const struct ep_run *ep, char *status, size_t slen, char *errmsg,
			   size_t elen)
{
	uint32_t st = ep->shm->state;

	if (st == EP_ST_FAILED) {
		snprintf(status, slen, "failed");
		snprintf(errmsg, elen, "endpoint %.7s: %s", ep->tag, ep->shm->errmsg);
	} else if (st != EP_ST_DONE) {
		/* Died (killed, crashed) or hung: its counters stop short. */
		snprintf(status, slen, "failed");
		if (ep->reaped && WIFSIGNALED(ep->status))
			snprintf(errmsg, elen, "endpoint %.7s (pid %d) was killed by signal %d",
				 ep->tag, ep->pid, WTERMSIG(ep->status));
		else
			snprintf(errmsg, elen, "endpoint %.7s (pid %d) did not finish (state %u)",
				 ep->tag, ep->pid, st);
	}
}

/* Let the path drain into every receiver: until none of them has received
 * anything for 20 ms, at most 500 ms. */
static void drain_receivers(const struct ep_run *ep, int nep)
{
	uint64_t until = mono_ns() + 500000000ull, last = 0;

	for (int i = 1; i < nep; i += 2)
		last += ep[i].shm->st.rx_pkts;
	while (mono_ns() < until) {
		struct timespec ts = { 0, 20000000 };
		uint64_t now = 0;

		nanosleep(&ts, NULL);
		for (int i = 1; i < nep; i += 2)
			now += ep[i].shm->st.rx_pkts;
		if (now == last)
			break;
		last = now;
	}
}

/* Returns the case's result object (status inside), NULL only on OOM. */
static json_t *run_case(struct case_ctx *cc)
{
	const struct case_cfg *c = cc->c;
	int pp = c->pattern == PAT_PINGPONG;
	int np = c->pairs ? (int)c->pairs : 1, nep = 2 * np;
	int lxc = c->container == CONTAINER_LXC;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int cpu_a = pick_cpu(c->cpu_a, 0);
	unsigned int cpu_b = pick_cpu(c->cpu_b, ncpu > 1 ? 1 : 0);
	struct ep_run ep[2 * TOPO_MAX_PAIRS];
	struct path_counters *pc0 = NULL, *pc1 = NULL;
	struct topo t;
	struct result_in *in = NULL;
	json_t *samples = json_array(), *res = NULL;
	struct histo *rtt_win = NULL, *pair_rtt[TOPO_MAX_PAIRS] = { 0 };
	struct attr *attr = NULL;
	struct attr_snap *as_open = NULL, *as_close = NULL;
	json_t *attr_j = NULL;
	uint64_t t_open, t_close, t_next;
	char status[32] = "ok", errmsg[512] = "";
	int err, topo_ok = 0;
	unsigned int needs = case_needs(c);
	int dpdk = !!(needs & DP_NEED_EAL);
	struct dpdk_case *dk = NULL;
	struct bursts *usdt = NULL;
	struct calib cal = { 0 };
	struct duty dty = { 0 };
	struct sampling smp = { 0 };

	memset(ep, 0, sizeof(ep));
	for (int i = 0; i < nep; i++) {
		result_ep_label(ep[i].tag, sizeof(ep[i].tag), i);
		ep[i].startup_ms = -1;
	}
	memset(&t, 0, sizeof(t));
	pc0 = calloc(1, sizeof(*pc0));
	pc1 = calloc(1, sizeof(*pc1));
	in = calloc(1, sizeof(*in));
	dk = calloc(1, sizeof(*dk));
	if (!pc0 || !pc1 || !in || !dk) {
		err = -ENOMEM;
		goto out_free;
	}
	if (lxc)
		err = topo_up_lxc(&t, cc->rs, cc->prefix, np);
	else
		err = topo_up_pairs(&t, cc->rs, c->topology, cc->prefix, np);
	if (err) {
		snprintf(status, sizeof(status), "failed");
		snprintf(errmsg, sizeof(errmsg), "topology %s: %s", topo_name(c->topology),
			 strerror(-err));
		goto out;
	}
	topo_ok = 1;
	/* Not for xdp: its XDP program takes our frames before IP, and passes
	 * only what is not ours, or ours while no socket is bound; the UDP
	 * counters see those, and the reconciliation counts them. LXC's
	 * namespaces exist only once the containers run: see below. */
	if ((needs & DP_NEED_NFT_GUARD) && !lxc) {
		for (int i = 0; i < nep && !err; i++)
			err = netns_visit(t.ep[i].ns, run_in_ns_nft, NULL);
		if (err) {
			snprintf(status, sizeof(status), "failed");
			snprintf(errmsg, sizeof(errmsg), "nft drop rule for AF_PACKET receive: %d",
				 err);
			goto out;
		}
	}
	for (int i = 0; i < nep; i++) {
		snprintf(ep[i].shm_path, sizeof(ep[i].shm_path), "/dev/shm/%s-%.7s", cc->prefix,
			 ep[i].tag);
		runstate__add(cc->rs, RS_SHM, ep[i].shm_path);
		unlink(ep[i].shm_path);
		ep[i].shm = ep_shm_map(ep[i].shm_path, 1);
		if (!ep[i].shm) {
			err = -errno;
			snprintf(status, sizeof(status), "failed");
			snprintf(errmsg, sizeof(errmsg), "%s: %s", ep[i].shm_path, strerror(errno));
			goto out;
		}
	}
	for (int i = 0; i < nep; i += 2) {
		fill_ep_config(&ep[i].shm->cfg, c, &t, i, pp ? EP_ROLE_CLIENT : EP_ROLE_SEND,
			       cpu_a, cc->tsc_hz);
		fill_ep_config(&ep[i + 1].shm->cfg, c, &t, i + 1,
			       pp ? EP_ROLE_SERVER : EP_ROLE_RECV, cpu_b, cc->tsc_hz);
	}
	if (dpdk) {
		err = dpdk_case_prepare(dk, c, cc->rs, cc->prefix, nep, errmsg, sizeof(errmsg));
		for (int i = 0; i < nep && !err; i++) {
			err = dpdk_case_eal(dk, c, &t, i, ep[i].tag, i & 1 ? cpu_b : cpu_a, cc->rs);
			if (err)
				snprintf(errmsg, sizeof(errmsg), "dpdk: EAL for endpoint %.7s: %.64s",
					 ep[i].tag, strerror(-err));
			memcpy(ep[i].shm->cfg.dpdk_eal, dk->eal[i], sizeof(ep[i].shm->cfg.dpdk_eal));
		}
		if (err) {
			snprintf(status, sizeof(status), "%s",
				 err == -EOPNOTSUPP ? "unsupported" : "failed");
			goto out;
		}
	}

	/* Receivers/servers first: their sockets must exist before the first
	 * packet. Index order nep-1 .. 0 starts every b side before any a side
	 * only with one pair, so go in two passes. */
	for (int pass = 1; pass >= 0; pass--) {
		for (int i = pass; i < nep; i += 2) {
			if (lxc)
				err = spawn_lxc(&ep[i], &t, i, i & 1 ? cpu_b : cpu_a, cc->rs);
			else
				err = spawn_endpoint(&ep[i], t.ep[i].ns, cc->rs);
			/* A vhost-user server endpoint finishes its EAL init only
			 * once the switch has connected: wait for its socket. */
			if (!err && dpdk && dk->via_switch)
				err = wait_for(&ep[i], EP_ST_READY, dk->sock[i], READY_TIMEOUT_MS);
			else if (!err)
				err = wait_state(&ep[i], EP_ST_READY, READY_TIMEOUT_MS);
			if (!err && !(dpdk && dk->via_switch))
				ep[i].startup_ms = (double)(mono_ns() - ep[i].t_fork) / 1e6;
			if (!err && lxc) {
				ep[i].ep_pid = find_endpoint_pid(ep[i].shm_path);
				err = ep[i].ep_pid < 0 ? ep[i].ep_pid : topo_attach(&t, i, ep[i].ep_pid);
			}
			if (err) {
				if (err == -EINTR) {
					snprintf(status, sizeof(status), "interrupted");
				} else {
					snprintf(status, sizeof(status), "%s",
						 err == -EOPNOTSUPP ? "unsupported" : "failed");
					snprintf(errmsg, sizeof(errmsg), "endpoint %.7s: %s",
						 ep[i].tag,
						 ep[i].shm->errmsg[0] ? ep[i].shm->errmsg
								      : strerror(-err));
				}
				goto out;
			}
		}
	}
	if (lxc) {
		err = topo_wait_ports(&t);
		for (int i = 0; i < nep && !err && (needs & DP_NEED_NFT_GUARD); i++)
			err = netns_visit(topo_ep_ns(&t.ep[i]), run_in_ns_nft, NULL);
		if (err) {
			snprintf(status, sizeof(status), "failed");
			snprintf(errmsg, sizeof(errmsg), "lxc: containers' network: %s",
				 strerror(-err));
			goto out;
		}
	}
	if (dpdk) {
		int which = 0;

		err = dpdk_case_switch_start(dk, c, cc->rs, errmsg, sizeof(errmsg));
		for (int i = 0; i < nep && !err && dk->via_switch; i++) {
			err = wait_state(&ep[i], EP_ST_READY, READY_TIMEOUT_MS);
			if (!err)
				ep[i].startup_ms = (double)(mono_ns() - ep[i].t_fork) / 1e6;
			else if (err != -EINTR)
				snprintf(errmsg, sizeof(errmsg), "endpoint %.7s: %.200s", ep[i].tag,
					 ep[i].shm->errmsg[0] ? ep[i].shm->errmsg
							      : strerror(-err));
		}
		if (!err) {
			err = wait_links(ep, nep, LINK_TIMEOUT_MS, &which);
			if (err == -ETIMEDOUT)
				snprintf(errmsg, sizeof(errmsg),
					 "dpdk: endpoint %s: port link still down after %d ms",
					 ep[which].tag, LINK_TIMEOUT_MS);
		}
		if (err == -EINTR) {
			snprintf(status, sizeof(status), "interrupted");
			goto out;
		}
		if (err) {
			snprintf(status, sizeof(status), "failed");
			goto out;
		}
	}
	if (c->usdt) {
		pid_t pids[2 * TOPO_MAX_PAIRS];

		for (int i = 0; i < nep; i++)
			pids[i] = ep[i].ep_pid;
		usdt = bursts__attach(pids, nep, errmsg, sizeof(errmsg));
		if (!usdt) {
			snprintf(status, sizeof(status), "failed");
			goto out;
		}
	}
	if (c->probes != PROBES_OFF && c->probes != PROBES_SAMPLE) {
		calib_begin(&cal, cpu_a, cpu_b, cc->tsc_hz);
		if (c->probe_duty < 1.0)
			calib_keep(&cal); /* duty slices wake them */
		attr = probes_up(&t, ep, cpu_a, cpu_b, c->probes == PROBES_PATH, c->probe_light,
				 errmsg, sizeof(errmsg));
		if (!attr) {
			snprintf(status, sizeof(status), "failed");
			goto out;
		}
		calib_probed(&cal, attr);
	}
	if (sampling_up(&smp, c, ep, nep, cpu_a, cpu_b, errmsg, sizeof(errmsg))) {
		snprintf(status, sizeof(status), "failed");
		goto out;
	}
	path_counters_read(&t, pc0);
	for (int i = 1; i < nep; i += 2)
		__atomic_store_n(&ep[i].shm->cmd, EP_CMD_RUN, __ATOMIC_RELEASE);
	for (int i = 0; i < nep; i += 2)
		__atomic_store_n(&ep[i].shm->cmd, EP_CMD_RUN, __ATOMIC_RELEASE);

	if (attr)
		attr__stats_begin(attr); /* each program's cost, over the warm-up */
	err = hsleep_ms((int)(c->warmup_s * 1000.0));
	if (attr)
		attr__stats_end(attr);
	if (err)
		goto interrupted;
	/* Window open: every endpoint at (nearly) the same instant. */
	for (int i = 0; i < nep; i += 2) {
		ep[i].rtt_open = malloc(sizeof(struct histo));
		if (!ep[i].rtt_open) {
			err = -ENOMEM;
			goto interrupted;
		}
	}
	t_open = mono_ns();
	for (int i = 0; i < nep; i++)
		snap_stats(&ep[i].w_open, ep[i].shm);
	for (int i = 0; i < nep; i += 2)
		memcpy(ep[i].rtt_open, &ep[i].shm->rtt, sizeof(struct histo));
	for (int i = 0; i < nep; i++)
		proc_cpu_read(ep[i].ep_pid, &ep[i].cpu_open);
	if (attr)
		as_open = probes_window_open(attr, &dty, &cal, c, ep, nep);
	sampling_snap(&smp, 0);
	{
		uint64_t prev_tx = 0, prev_rx = 0;
		uint64_t t_prev = t_open, t_end = t_open + (uint64_t)(c->duration_s * 1e9);

		/* Per-second totals over every pair. */
		for (int i = 0; i < nep; i += 2) {
			prev_tx += ep[i].w_open.tx_pkts;
			prev_rx += pp ? ep[i].w_open.rx_pkts : ep[i + 1].w_open.rx_pkts;
		}
		for (int sec = 1;; sec++) {
			uint64_t now, cur_tx = 0, cur_rx = 0;
			double dt;

			t_next = t_open + (uint64_t)sec * 1000000000ull;
			if (t_next > t_end)
				t_next = t_end;
			err = dty.a ? duty_sleep_until(&dty, t_next, hsleep_until)
				    : hsleep_until(t_next);
			if (err)
				goto interrupted;
			now = mono_ns();
			for (int i = 0; i < nep; i += 2) {
				struct ep_stats cur[2];

				snap_stats(&cur[0], ep[i].shm);
				snap_stats(&cur[1], ep[i + 1].shm);
				cur_tx += cur[0].tx_pkts;
				cur_rx += pp ? cur[0].rx_pkts : cur[1].rx_pkts;
			}
			dt = (double)(now - t_prev) / 1e9;
			if (dt > 0)
				json_array_append_new(
					samples,
					json_pack("{s:f, s:f, s:f}", "t_s",
						  (double)(now - t_open) / 1e9, "tx_pps",
						  (double)(cur_tx - prev_tx) / dt, "rx_pps",
						  (double)(cur_rx - prev_rx) / dt));
			prev_tx = cur_tx;
			prev_rx = cur_rx;
			t_prev = now;
			if (t_next >= t_end)
				break;
		}
	}
	/* Window close. */
	t_close = mono_ns();
	for (int i = 0; i < nep; i++)
		snap_stats(&ep[i].w_close, ep[i].shm);
	for (int i = 0; i < nep; i++)
		proc_cpu_read(ep[i].ep_pid, &ep[i].cpu_close);
	if (attr)
		probes_window_close(attr, &dty, ep, nep, &as_open, &as_close);
	sampling_snap(&smp, 1);
	rtt_win = malloc(sizeof(struct histo));
	if (rtt_win)
		histo_init(rtt_win);
	for (int p = 0; p < np; p++) {
		pair_rtt[p] = malloc(sizeof(struct histo));
		if (!pair_rtt[p])
			continue;
		histo_sub(pair_rtt[p], &ep[2 * p].shm->rtt, ep[2 * p].rtt_open);
		in->pair_rtt[p] = pair_rtt[p];
	}
	/* One pair: the window histogram as before; more: every pair's merged. */
	if (rtt_win && np == 1 && pair_rtt[0])
		memcpy(rtt_win, pair_rtt[0], sizeof(*rtt_win));
	else if (rtt_win)
		for (int p = 0; p < np; p++)
			if (pair_rtt[p])
				histo_add(rtt_win, pair_rtt[p]);
	in->rtt = rtt_win;

	/* Stop the senders/clients, let the path drain into the receivers, stop them. */
	for (int i = 0; i < nep; i += 2)
		stop_endpoint(&ep[i]);
	for (int i = 0; i < nep; i += 2)
		wait_state(&ep[i], EP_ST_DONE, STOP_TIMEOUT_MS);
	drain_receivers(ep, nep);
	/* OVS forgets a port's counters when its peer goes: read them while
	 * the receivers are still up and nothing moves any more. */
	if (dpdk)
		dpdk_case_switch_snapshot(dk);
	for (int i = 1; i < nep; i += 2)
		stop_endpoint(&ep[i]);
	for (int i = 1; i < nep; i += 2)
		wait_state(&ep[i], EP_ST_DONE, STOP_TIMEOUT_MS);
	path_counters_read(&t, pc1);
	for (int i = 0; i < nep; i++)
		check_finished(&ep[i], status, sizeof(status), errmsg, sizeof(errmsg));
	/* The switch's counters, now that nothing moves any more and every
	 * endpoint's port is still open (they close on EP_CMD_EXIT); it
	 * stops after the endpoints, so they can close their rings cleanly. */
	if (dpdk)
		dpdk_case_switch_snapshot(dk);

	in->window_ns = t_close - t_open;
	for (int i = 0; i < nep; i++) {
		in->ep[i].w_open = &ep[i].w_open;
		in->ep[i].w_close = &ep[i].w_close;
		in->ep[i].cpu_open = &ep[i].cpu_open;
		in->ep[i].cpu_close = &ep[i].cpu_close;
	}
	in->nifs = pc1->nifs;
	for (int i = 0; i < pc1->nifs; i++) {
		if_label(in->ifs[i].name, sizeof(in->ifs[i].name), &t, i);
		in->ifs[i].before = pc0->ifs[i];
		in->ifs[i].after = pc1->ifs[i];
	}
	for (int i = 0; i < nep; i++) {
		in->ns_before[i] = pc0->ns[i];
		in->ns_after[i] = pc1->ns[i];
	}
	in->softnet_drops = pc1->softnet_drops - pc0->softnet_drops;
	if (attr && as_open && as_close)
		attr_j = probes_json(attr, as_open, as_close, ep, nep, pp, cpu_a, cpu_b,
				     dty.a ? dty.traced_ns : t_close - t_open);
	if (attr_j && c->probe_duty < 1.0)
		json_object_set_new(attr_j, "duty", duty_json(&dty, t_close - t_open));
	attr_j = sampling_json(&smp, attr_j);
	goto out;

interrupted:
	if (err == -EINTR)
		snprintf(status, sizeof(status), "interrupted");
	else {
		snprintf(status, sizeof(status), "failed");
		snprintf(errmsg, sizeof(errmsg), "%s", strerror(-err));
	}
out:
	duty_free(&dty);
	calib_end(&cal);
	sampling_down(&smp);
	attr__destroy(attr);
	attr_snap__free(as_open);
	attr_snap__free(as_close);
	/* Lets the containers' shells end (see spawn_lxc); the mapping stays. */
	for (int i = 0; i < nep && lxc; i++)
		if (ep[i].shm)
			unlink(ep[i].shm_path);
	for (int i = 0; i < nep; i++)
		finish_endpoint(&ep[i], cc->rs);
	/* Stopped with their endpoints; this removes what LXC leaves. */
	for (int i = 0; i < nep; i++)
		if (ep[i].lxc_path[0])
			runstate__undo(cc->rs, RS_LXC, ep[i].lxc_path);
	for (int i = 0; i < nep; i++) {
		in->ep[i].shm = ep[i].shm;
		in->ep[i].ns = t.ep[i].ns;
		in->ep[i].startup_ms = ep[i].startup_ms;
		in->cpu[i] = i & 1 ? cpu_b : cpu_a;
	}
	if (dpdk && dk->active) {
		const char *tags[2 * TOPO_MAX_PAIRS];

		dpdk_case_switch_stop(dk, cc->rs);
		for (int i = 0; i < nep; i++)
			tags[i] = ep[i].tag;
		in->dpdk = dpdk_case_json(dk, tags);
		in->switch_stats = dk->sw_stats_ok;
		in->switch_dropped = dk->sw_st[0].rx_dropped + dk->sw_st[0].tx_dropped +
				     dk->sw_st[1].rx_dropped + dk->sw_st[1].tx_dropped;
		dpdk_case_teardown(dk, cc->rs);
	}
	in->case_cfg = c;
	in->status = status;
	in->error = errmsg;
	in->topo = topo_ok ? &t : NULL;
	in->npairs = np;
	in->machine = cc->machine;
	in->idx = cc->idx;
	res = result_build(in, samples);
	samples = NULL;
	if (res && usdt) {
		json_t *eps = json_object_get(res, "endpoints");

		for (int i = 0; i < nep; i++)
			json_object_set_new(json_object_get(eps, ep[i].tag), "usdt_bursts",
					    bursts__json(usdt, i, cc->tsc_hz));
	}
	bursts__destroy(usdt);
	if (res && attr_j) {
		json_t *cores = json_object_get(attr_j, "cores");
		json_t *eps = json_object_get(res, "endpoints");

		/* Endpoints whose datapath makes no system calls of its own (a
		 * PMD) count none: what the probes saw on their cores is the
		 * figure (a PMD's kicks, say). */
		if (!(case_dp(c)->caps & DP_CAP_SYSCALLS) && json_array_size(cores) == 2 && np == 1) {
			json_object_set(json_object_get(eps, "a"), "tx_syscalls_per_pkt",
					json_object_get(json_array_get(cores, 0), "syscalls_per_pkt"));
			json_object_set(json_object_get(eps, "b"), "rx_syscalls_per_pkt",
					json_object_get(json_array_get(cores, 1), "syscalls_per_pkt"));
		}
		json_object_set_new(attr_j, "mode", json_string(probes_name(c->probes)));
		json_object_set_new(res, "attribution", attr_j);
	} else {
		json_decref(attr_j);
	}
	free(rtt_win);
	for (int p = 0; p < np; p++) {
		free(pair_rtt[p]);
		free(ep[2 * p].rtt_open);
	}
	if (topo_ok)
		topo_down(&t, cc->rs);
	for (int i = 0; i < nep; i++) {
		if (ep[i].shm) {
			ep_shm_unmap(ep[i].shm);
			unlink(ep[i].shm_path);
		}
		if (ep[i].shm_path[0])
			runstate__done(cc->rs, RS_SHM, ep[i].shm_path);
	}
out_free:
	json_decref(samples);
	free(dk);
	free(in);
	free(pc1);
	free(pc0);
	return res;
}

/* Write JSON atomically: a half-written result never exists. */
int json_write_atomic(json_t *j, const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10)))
		return -EIO;
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

static void usage_run(FILE *f)
{
	fprintf(f,
		"usage: bypasslab run CONFIG [--set key=v1,v2]... [--probes MODE] [--json] [--report] [-v]\n"
		"  --set key=VALUES  override a config key (list a,b,c or range start..step..end)\n"
		"  --probes MODE     off|aggregate|path|sample|both (same as --set probes=MODE)\n"
		"  --json            print each case's result as one JSON line on stdout\n"
		"  --results DIR     results directory (same as --set results_dir=DIR)\n"
		"  --report          then write the run's report (as `bypasslab report RUN_DIR`)\n"
		"  -v                more log output (repeatable)\n"
		"Every case of the config's product runs in turn; see `bypasslab keys`.\n");
}

int do_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "probes", required_argument, NULL, 'p' },
		{ "results", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "report", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int want_report = 0;
	char err_txt[CONFIG_ERR_LEN], prefix[16], run_id[64], run_dir[PATH_MAX], buf[PATH_MAX];
	char run_json[PATH_MAX + 16];
	struct case_cfg *cases = NULL;
	struct runstate *rs = NULL;
	struct sweep sw;
	json_t *run = NULL, *machine = NULL, *list = NULL;
	int ncases = 0, json_out = 0, ret = EXIT_FAIL, opt, nfail = 0, nunsup = 0, ndone = 0;
	char **sets = calloc((size_t)argc + 1, sizeof(char *));
	int nsets = 0;
	uint64_t tsc_hz;
	time_t now;
	struct tm tm;
	struct progress prog;

	if (!sets)
		return EXIT_FAIL;
	sweep_init(&sw);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:p:r:jvh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sets[nsets++] = strdup(optarg);
			break;
		case 'p':
			snprintf(buf, sizeof(buf), "probes=%s", optarg);
			sets[nsets++] = strdup(buf);
			break;
		case 'r':
			snprintf(buf, sizeof(buf), "results_dir=%s", optarg);
			sets[nsets++] = strdup(buf);
			break;
		case 'j':
			json_out = 1;
			break;
		case 'R':
			want_report = 1;
			break;
		case 'v':
			log_set_level(log_level + 1);
			break;
		case 'h':
			usage_run(stdout);
			ret = EXIT_OK;
			goto out_sets;
		default:
			usage_run(stderr);
			ret = EXIT_USAGE;
			goto out_sets;
		}
	}
	if (optind != argc - 1) {
		usage_run(stderr);
		ret = EXIT_USAGE;
		goto out_sets;
	}
	/* Everything is parsed and validated before anything is created. */
	if (config_load(&sw, argv[optind], err_txt, sizeof(err_txt)))
		goto bad_input;
	for (int i = 0; i < nsets; i++)
		if (config_set(&sw, sets[i], err_txt, sizeof(err_txt)))
			goto bad_input;
	if (sweep_expand(&sw, &cases, &ncases, err_txt, sizeof(err_txt)))
		goto bad_input;
	for (int i = 0; i < ncases; i++) {
		if (!dp_find(cases[i].datapath)) {
			snprintf(err_txt, sizeof(err_txt), "%s: datapath '%s' is not built in",
				 argv[optind], cases[i].datapath);
			goto bad_input;
		}
	}
	{
		char why[320];

		if (dpdk_sriov_preflight(cases, ncases, why, sizeof(why))) {
			snprintf(err_txt, sizeof(err_txt), "%s: %s", argv[optind], why);
			goto bad_input;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bypasslab: run needs root (network namespaces, veth, bridge)\n");
		goto out_sweep;
	}

	sigemptyset(&sig_blocked);
	sigaddset(&sig_blocked, SIGINT);
	sigaddset(&sig_blocked, SIGTERM);
	sigaddset(&sig_blocked, SIGHUP);
	sigprocmask(SIG_BLOCK, &sig_blocked, &sig_saved);
	sig_fd = signalfd(-1, &sig_blocked, SFD_CLOEXEC);
	if (sig_fd < 0) {
		perror("bypasslab: signalfd");
		goto out_sig;
	}
	if (runstate_gen_prefix(prefix)) {
		perror("bypasslab: run prefix");
		goto out_sig;
	}
	rs = runstate__open(prefix);
	if (!rs) {
		perror("bypasslab: run-state file");
		goto out_sig;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	{
		char stamp[32];

		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		snprintf(run_id, sizeof(run_id), "%s-%s", stamp, prefix);
	}
	snprintf(run_dir, sizeof(run_dir), "%s/%s", cases[0].results_dir, run_id);
	if (mkdir_p(run_dir)) {
		fprintf(stderr, "bypasslab: %s: %s\n", run_dir, strerror(errno));
		goto out_rs;
	}
	tsc_hz = tsc_calibrate_hz(100);
	machine = sysinfo_json(tsc_hz);
	list = json_array();
	run = json_pack("{s:s, s:s, s:s, s:i, s:o}", "type", "run", "run_id", run_id, "config",
			argv[optind], "cases", ncases, "machine", json_deep_copy(machine));
	{
		json_t *a = json_array();

		for (int i = 0; i < nsets; i++)
			json_array_append_new(a, json_string(sets[i]));
		json_object_set_new(run, "overrides", a);
	}
	snprintf(run_json, sizeof(run_json), "%s/run.json", run_dir);
	json_object_set_new(run, "status", json_string("running"));
	json_write_atomic(run, run_json);
	fprintf(stderr, "bypasslab: run %s: %d case(s), results in %s\n", run_id, ncases, run_dir);
	if (!json_out)
		table_header(stdout);

	progress_init(&prog);
	for (int i = 0; i < ncases && !interrupted; i++) {
		struct case_ctx cc = {
			.c = &cases[i], .idx = i, .ncases = ncases, .run_dir = run_dir,
			.prefix = prefix, .tsc_hz = tsc_hz, .rs = rs, .machine = machine,
		};
		char cdir[PATH_MAX + 64], path[PATH_MAX + 96];
		const char *st;
		json_t *res;

		progress_case(&prog, cases, i, ncases);
		res = run_case(&cc);
		progress_clear(&prog);
		if (!res)
			continue;
		json_object_set_new(res, "run_id", json_string(run_id));
		st = json_string_value(json_object_get(res, "status"));
		if (st && !strcmp(st, "interrupted")) {
			json_decref(res);
			break;
		}
		snprintf(cdir, sizeof(cdir), "%s/%s", run_dir,
			 json_string_value(json_object_get(res, "case_dir")));
		mkdir_p(cdir);
		snprintf(path, sizeof(path), "%s/result.json", cdir);
		if (json_write_atomic(res, path))
			fprintf(stderr, "bypasslab: writing %s failed\n", path);
		if (st && !strcmp(st, "failed")) {
			nfail++;
			fprintf(stderr, "bypasslab: case %d failed: %s\n", i + 1,
				json_string_value(json_object_get(res, "error")));
		} else if (st && !strcmp(st, "unsupported")) {
			nunsup++;
			fprintf(stderr, "bypasslab: case %d unsupported here: %s\n", i + 1,
				json_string_value(json_object_get(res, "error")));
		}
		ndone++;
		if (json_out) {
			char *s = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);

			if (s)
				printf("%s\n", s);
			free(s);
		} else {
			table_row(stdout, res);
		}
		fflush(stdout);
		json_array_append_new(list, res);
	}
	json_object_set_new(run, "status",
			    json_string(interrupted ? "interrupted" : "complete"));
	json_object_set_new(run, "cases_done", json_integer(ndone));
	json_object_set_new(run, "cases_failed", json_integer(nfail));
	json_object_set_new(run, "cases_unsupported", json_integer(nunsup));
	snprintf(run_json, sizeof(run_json), "%s/run.json", run_dir);
	json_write_atomic(run, run_json);
	if (!json_out && json_array_size(list)) {
		table_footer(stdout, list);
		breakdown_print(stdout, list);
	}
	fprintf(stderr, "bypasslab: %d/%d case(s) done (%d failed, %d unsupported), results in %s\n",
		ndone, ncases, nfail, nunsup, run_dir);
	ret = interrupted ? EXIT_INTERRUPTED : nfail ? EXIT_FAIL : EXIT_OK;
	/* The report of what finished (not after Ctrl-C: the user wants out). */
	if (want_report && ndone && !interrupted) {
		char *rargv[] = { "report", run_dir, NULL };

		if (do_report(2, rargv) && ret == EXIT_OK)
			ret = EXIT_FAIL;
	}
out_rs:
	runstate__undo_all(rs);
	runstate__close(rs);
out_sig:
	if (sig_fd >= 0)
		close(sig_fd);
	sigprocmask(SIG_SETMASK, &sig_saved, NULL);
out_sweep:
	json_decref(list);
	json_decref(run);
	json_decref(machine);
	free(cases);
	sweep_free(&sw);
out_sets:
	for (int i = 0; i < nsets; i++)
		free(sets[i]);
	free(sets);
	return ret;

bad_input:
	fprintf(stderr, "bypasslab: %s\n", err_txt);
	ret = EXIT_USAGE;
	goto out_sweep;
}

int do_cleanup(int argc, char **argv)
{
	int force = 0, verbose = 0, n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = 1;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = 1;
		else {
			fprintf(stderr, "usage: bypasslab cleanup [--force] [-v]\n");
			return EXIT_USAGE;
		}
	}
	n = cleanup_all(force, verbose);
	if (n < 0) {
		fprintf(stderr, "bypasslab cleanup: %s\n", strerror(-n));
		return EXIT_FAIL;
	}
	fprintf(stderr, "bypasslab cleanup: removed %d object(s)\n", n);
	return EXIT_OK;
}

int do_probe(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("%-8s %-12s %s\n", "datapath", "status", "description");
	for (int i = 0; dp_table[i]; i++) {
		int err = dp_table[i]->probe();

		printf("%-8s %-12s %s\n", dp_table[i]->name,
		       err ? "unsupported" : "ok", dp_table[i]->desc ? dp_table[i]->desc : "");
	}
	return EXIT_OK;
}

/* A datapath's own key says whose it is: "packet: transmit ...". */
int do_keys(int argc, char **argv)
{
	struct config_key_info k;

	(void)argc;
	(void)argv;
	printf("%-12s %-12s %-32s %-10s %s\n", "section", "key", "allowed", "default", "meaning");
	for (int i = 0; !config_key(i, &k); i++)
		printf("%-12s %-12s %-32s %-10s %s%s%s\n", k.section, k.key, k.allowed,
		       k.def ? k.def : "", k.datapath ? k.datapath : "", k.datapath ? ": " : "",
		       k.help ? k.help : "");
	return EXIT_OK;
}
