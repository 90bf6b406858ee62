// SPDX-License-Identifier: BSD-3-Clause
/*
 * container = lxc: each endpoint in an LXC application container on the
 * host rootfs, started with lxc-execute, its veth into the run's bridge.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "interrupt.h"
#include "lxc.h"
#include "tsc.h"

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
int lxc_spawn(struct ep_run *ep, const struct topo *t, int i, unsigned int cpu,
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
		interrupt_child();
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
pid_t lxc_endpoint_pid(const char *shm_path)
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

