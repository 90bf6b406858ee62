/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two "hosts" on this one machine for the tests of topology = hosts: each
 * is a network namespace running its own OpenSSH server, so a test drives
 * real ssh sessions (`ssh -T <ssh_options> <dest> -- cmd`) exactly as the
 * harness drives a remote machine. Include after integ.h.
 *
 * What sshhosts_up() makes, every name starting with a per-run prefix
 * "th<6 hex>" (`bypasslab cleanup` never sweeps it; parallel runs do not
 * collide):
 *   - a private directory /tmp/<prefix>.XXXXXX: host keys, the client key,
 *     authorized_keys, known_hosts, sshd configs, pid files and logs;
 *   - namespaces <prefix>A and <prefix>B (ip netns), lo up, IPv6 off;
 *   - per host a management veth: <prefix>ma / <prefix>mb in the root netns,
 *     "eth-m" in the host, a /30 each out of one /29 of 198.19.0.0/16 picked
 *     from the prefix (only 198.18.0.0/15 is ever used), IPv6 off on both
 *     ends so no stray traffic appears;
 *   - a "wire" veth pair <prefix>wa (in A) <-> <prefix>wb (in B), down and
 *     without addresses: runs lend, address and restore them;
 *   - per host an sshd (/usr/sbin/sshd -D -e -E DIR/sshd_X.log -f
 *     DIR/sshd_config_X) listening only on the host's management address,
 *     in its own process group.
 *
 * A session on host A runs in A's netns (eth-m, <prefix>wa), and sees A's
 * interfaces in /sys/class/net as a real host would: each sshd runs in a
 * mount namespace of its own in which only /sys is a fresh sysfs of the
 * host's netns; the machine's mounts under /sys (bpffs, tracefs, cgroups)
 * are bound into it again, so pins and tracepoints are the machine's. The
 * rest of the mount tree stays the root's, and /run/netns keeps its shared
 * propagation, so a namespace a session adds (`ip netns add`) is visible
 * in the root netns and to `bypasslab cleanup` there. /run/bypasslab,
 * /dev/shm and the kernel are shared too: one machine. (`ip netns exec`
 * is not used to start sshd: its fresh /sys has no bpffs pins or tracefs,
 * and its mount namespace is a slave of the root's, so namespaces added in
 * a session would not appear in the root's /run/netns.)
 *
 * sshhosts_down() kills both sshds (their process groups) and everything
 * else whose netns is a host's (sessions and what they started, e.g. an
 * agent), then deletes the namespaces, the root-side veth ends and the
 * directory. It is called from the group teardown, and an atexit()
 * handler takes down whatever is still up when the program exits (a test
 * that failed between up and down).
 *
 * A test killed with SIGKILL leaves its objects (the sshd listeners die
 * with it: parent-death signal). By hand, P being the prefix (the name of
 * the directory /tmp/P.XXXXXX, or `ip netns list | grep '^th'`):
 *   for n in $(ip netns pids PA) $(ip netns pids PB); do kill -9 $n; done
 *   ip link del Pma; ip link del Pmb; ip netns del PA; ip netns del PB
 *   rm -rf /tmp/P.*
 * An sshd still running shows /tmp/P. in `pgrep -a sshd`: kill it by pid.
 * /run/sshd, if this machine has no sshd of its own: rmdir /run/sshd.
 */
#ifndef BL_SSHHOSTS_H
#define BL_SSHHOSTS_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SSHHOSTS_SSHD "/usr/sbin/sshd"

struct sshhosts {
	char prefix[16];       /* "th" + 6 random hex: every object's name starts with it */
	char dir[128];         /* private temp dir (mkdtemp): keys, configs, logs */
	char ns[2][24];        /* host namespaces "<prefix>A", "<prefix>B" */
	char mgmt_ip[2][16];   /* each host's management address (dotted) */
	char dest[2][40];      /* "root@<mgmt_ip>" */
	char wire[2][16];      /* the wire veth end in each host ("<prefix>wa"/"<prefix>wb") */
	char ssh_options[512]; /* for `ssh -T <ssh_options> <dest> -- cmd` */
	pid_t sshd[2];
	/* Below: the fixture's own bookkeeping. */
	char root_if[2][16];       /* root-side management ends "<prefix>ma"/"<prefix>mb" */
	char root_ip[2][16];       /* their addresses */
	unsigned long ns_ino[2];   /* the host namespaces' inodes (0: not made) */
};

/* Instances that are up, as copies (a test's local struct may be gone by
 * exit time), for the atexit() fallback. */
static struct sshhosts sshhosts_live[8];
static int sshhosts_atexit_set;
/* /run/sshd made by this program (sshd's privilege separation dir). */
static int sshhosts_made_privsep;

static __attribute__((unused)) void sshhosts_down(struct sshhosts *h);
static __attribute__((unused)) int sshhosts_ssh(const struct sshhosts *h, int host, const char *cmd,
						char *out, size_t len);

static __attribute__((unused)) void sshhosts_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static __attribute__((unused)) long sshhosts_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The last non-empty line of a file (a log), for a one-line error. */
static __attribute__((unused)) void sshhosts_lastline(const char *path, char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] && len) {
			size_t n = strlen(line) < len - 1 ? strlen(line) : len - 1;

			memcpy(buf, line, n); /* cut to fit: it is for a message */
			buf[n] = 0;
		}
	}
	fclose(f);
}

static __attribute__((unused)) int sshhosts_write(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t n = strlen(text);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/* Run argv (no shell), stdout and stderr appended to DIR/setup.log (or
 * /dev/null before the directory exists). Exit status, 127 if it could not
 * run, or -errno. On failure msg gets the command and its last log line. */
static __attribute__((unused)) int sshhosts_exec(const struct sshhosts *h, const char *const argv[],
						 char *msg, size_t mlen)
{
	char log[200], last[256] = "", cmd[256] = "";
	pid_t pid;
	int st;

	snprintf(log, sizeof(log), "%s/setup.log", h->dir);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = h->dir[0] ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0600) : -1;

		if (fd < 0)
			fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (st && msg) {
		for (int i = 0; argv[i]; i++)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", i ? " " : "",
				 argv[i]);
		if (h->dir[0])
			sshhosts_lastline(log, last, sizeof(last));
		snprintf(msg, mlen, "`%s` failed (exit %d)%s%s", cmd, st, last[0] ? ": " : "",
			 last);
	}
	return st;
}

#define SSHHOSTS_RUN(h, msg, ...)                                                            \
	sshhosts_exec((h), (const char *const[]){ __VA_ARGS__, NULL }, (msg), sizeof(msg))

/* The inode of a network namespace file (/run/netns/X, /proc/P/ns/net). */
static __attribute__((unused)) unsigned long sshhosts_ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (unsigned long)st.st_ino;
}

/* Signal every process (but this one) whose netns has inode ino; how many
 * there were. sig 0 only counts. pids/plen, when given, name them. */
static __attribute__((unused)) int sshhosts_ns_procs(unsigned long ino, int sig, char *pids,
						     size_t plen)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d || !ino) {
		if (d)
			closedir(d);
		return 0;
	}
	while ((e = readdir(d))) {
		char path[300], link[64];
		const char *b;
		ssize_t r;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		r = readlink(path, link, sizeof(link) - 1);
		if (r <= 0)
			continue; /* gone, or a zombie: holds no namespace */
		link[r] = 0;
		b = strchr(link, '[');
		if (!b || strtoul(b + 1, NULL, 10) != ino)
			continue;
		n++;
		if (sig)
			kill(atoi(e->d_name), sig);
		if (pids)
			snprintf(pids + strlen(pids), plen - strlen(pids), "pid %s (in %lu) ",
				 e->d_name, ino);
	}
	closedir(d);
	return n;
}

/* Whether any process named sshd exists (then /run/sshd is in use). */
static __attribute__((unused)) int sshhosts_any_sshd(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "sshd\n"))
			found = 1;
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* Write val to a file in a namespace (a sysctl under /proc/sys/net, which
 * resolves in the writer's netns). ns NULL: this one. */
static __attribute__((unused)) int sshhosts_ns_write(const char *ns, const char *path,
						     const char *val)
{
	pid_t pid;
	int st;

	if (!ns)
		return sshhosts_write(path, val, 0644);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char nspath[64];
		int fd;

		snprintf(nspath, sizeof(nspath), "/run/netns/%s", ns);
		fd = open(nspath, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(1);
		_exit(sshhosts_write(path, val, 0644) ? 2 : 0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

/*
 * In the sshd child, before exec: enter the host's netns, then a mount
 * namespace of its own in which /sys is a sysfs of that netns (so
 * /sys/class/net lists the host's interfaces) with the machine's mounts
 * under /sys bound into it again. /sys is made a slave first so none of
 * this propagates back to the root's mounts; nothing else changes.
 * Returns a message, or NULL.
 */
static __attribute__((unused)) const char *sshhosts_enter_host(const char *ns)
{
	char nspath[64], line[1024], mnt[64][256];
	int fds[64], n = 0, sys_id = -1, fd;
	FILE *f;

	snprintf(nspath, sizeof(nspath), "/run/netns/%s", ns);
	fd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		return "cannot enter the host netns";
	close(fd);
	if (unshare(CLONE_NEWNS))
		return "unshare(CLONE_NEWNS) failed";
	if (mount(NULL, "/sys", NULL, MS_SLAVE | MS_REC, NULL))
		return "cannot make /sys a slave mount";
	/* The mounts directly on /sys (the last /sys entry is the top one);
	 * each is bound back with its own submounts (MS_REC). */
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return "cannot read /proc/self/mountinfo";
	while (fgets(line, sizeof(line), f)) {
		int id, parent;
		char point[256];

		if (sscanf(line, "%d %d %*s %*s %255s", &id, &parent, point) != 3)
			continue;
		if (!strcmp(point, "/sys")) {
			sys_id = id;
			n = 0; /* something stacked on /sys: only what is on top counts */
		} else if (parent == sys_id && !strncmp(point, "/sys/", 5) && !strchr(point, '\\') &&
			   n < 64) {
			snprintf(mnt[n++], sizeof(mnt[0]), "%s", point);
		}
	}
	fclose(f);
	for (int i = 0; i < n; i++) {
		fds[i] = open(mnt[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fds[i] < 0)
			return "cannot open a mount under /sys";
	}
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return "cannot mount a sysfs of the host netns on /sys";
	for (int i = 0; i < n; i++) {
		char src[64];

		snprintf(src, sizeof(src), "/proc/self/fd/%d", fds[i]);
		if (mount(src, mnt[i], NULL, MS_BIND | MS_REC, NULL))
			return "cannot bind a mount under /sys into the host's /sys";
		close(fds[i]);
	}
	return NULL;
}

/* Start host i's sshd; its stdout/stderr (anything before its own log is
 * open, such as a config error) go to DIR/sshd_X.log as well. */
static __attribute__((unused)) int sshhosts_start_sshd(struct sshhosts *h, int i, char *msg,
						       size_t mlen)
{
	char cfg[200], log[200];
	const char X = "AB"[i];
	pid_t pid, parent = getpid();

	snprintf(cfg, sizeof(cfg), "%s/sshd_config_%c", h->dir, X);
	snprintf(log, sizeof(log), "%s/sshd_%c.log", h->dir, X);
	pid = fork();
	if (pid < 0) {
		snprintf(msg, mlen, "fork: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600), nul = open("/dev/null", O_RDONLY);
		const char *err;

		setpgid(0, 0);
		/* The listener dies with this program even under SIGKILL. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		err = sshhosts_enter_host(h->ns[i]);
		if (err) {
			fprintf(stderr, "sshhosts: %s: %s\n", err, strerror(errno));
			_exit(126);
		}
		execl(SSHHOSTS_SSHD, SSHHOSTS_SSHD, "-D", "-e", "-E", log, "-f", cfg, (char *)NULL);
		fprintf(stderr, "sshhosts: exec %s: %s\n", SSHHOSTS_SSHD, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* as the child does: whichever runs first */
	h->sshd[i] = pid;
	return 0;
}

/* Until host i's sshd accepts TCP on its management address, or it died,
 * or timeout_ms passed. */
static __attribute__((unused)) int sshhosts_wait_tcp(struct sshhosts *h, int i, long timeout_ms,
						     char *msg, size_t mlen)
{
	long end = sshhosts_now_ms() + timeout_ms;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(22) };
	char log[200], last[256];

	inet_pton(AF_INET, h->mgmt_ip[i], &sa.sin_addr);
	snprintf(log, sizeof(log), "%s/sshd_%c.log", h->dir, "AB"[i]);
	for (;;) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), st, ok;

		if (s < 0)
			return -errno;
		ok = !connect(s, (struct sockaddr *)&sa, sizeof(sa));
		close(s);
		if (ok)
			return 0;
		if (waitpid(h->sshd[i], &st, WNOHANG) == h->sshd[i]) {
			h->sshd[i] = 0;
			sshhosts_lastline(log, last, sizeof(last));
			snprintf(msg, mlen, "sshd of %s exited (status 0x%x): %s", h->ns[i], st,
				 last[0] ? last : "no log");
			return -ECHILD;
		}
		if (sshhosts_now_ms() > end) {
			sshhosts_lastline(log, last, sizeof(last));
			snprintf(msg, mlen, "sshd of %s not accepting on %s:22 after %ld ms: %s",
				 h->ns[i], h->mgmt_ip[i], timeout_ms, last[0] ? last : "no log");
			return -ETIMEDOUT;
		}
		sshhosts_sleep_ms(50);
	}
}

/* A prefix nobody uses: no namespace, root link or address of ours exists
 * (another run, or one left by a killed test). The management /29 is
 * 198.19.(bits of the prefix).0/29: A gets .1 (root) / .2 (host), B .5/.6. */
static __attribute__((unused)) int sshhosts_pick(struct sshhosts *h)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned char r[3];
		unsigned int base;
		struct ifaddrs *ifa, *p;
		char path[64];
		int taken = 0;

		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			return -EIO;
		snprintf(h->prefix, sizeof(h->prefix), "th%02x%02x%02x", r[0], r[1], r[2]);
		base = (((unsigned int)r[1] << 8 | r[2]) & 0x1fff) * 8;
		for (int i = 0; i < 2; i++) {
			snprintf(h->ns[i], sizeof(h->ns[i]), "%.8s%c", h->prefix, "AB"[i]);
			snprintf(h->root_if[i], sizeof(h->root_if[i]), "%.8sm%c", h->prefix, "ab"[i]);
			snprintf(h->wire[i], sizeof(h->wire[i]), "%.8sw%c", h->prefix, "ab"[i]);
			snprintf(h->root_ip[i], sizeof(h->root_ip[i]), "198.19.%u.%u", base >> 8,
				 (base & 0xff) + 4 * i + 1);
			snprintf(h->mgmt_ip[i], sizeof(h->mgmt_ip[i]), "198.19.%u.%u", base >> 8,
				 (base & 0xff) + 4 * i + 2);
			snprintf(h->dest[i], sizeof(h->dest[i]), "root@%s", h->mgmt_ip[i]);
			snprintf(path, sizeof(path), "/run/netns/%s", h->ns[i]);
			if (!access(path, F_OK) || if_nametoindex(h->root_if[i]))
				taken = 1;
		}
		if (getifaddrs(&ifa))
			return -errno;
		for (p = ifa; p; p = p->ifa_next) {
			if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET) {
				uint32_t a = ntohl(((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr);

				if ((a & ~7u) == (198u << 24 | 19u << 16 | base))
					taken = 1;
			}
		}
		freeifaddrs(ifa);
		if (!taken)
			return 0;
	}
	return -EEXIST;
}

static __attribute__((unused)) void sshhosts_atexit(void)
{
	for (size_t i = 0; i < sizeof(sshhosts_live) / sizeof(sshhosts_live[0]); i++)
		if (sshhosts_live[i].prefix[0])
			sshhosts_down(&sshhosts_live[i]);
}

/* Make the two hosts and wait until both take ssh sessions. 0, or -errno
 * with one line on stderr saying what failed; on failure nothing is left. */
static __attribute__((unused)) int sshhosts_up(struct sshhosts *h)
{
	char msg[1024] = "", path[300], text[2048];
	int err;

	memset(h, 0, sizeof(*h));
	err = sshhosts_pick(h);
	if (err) {
		snprintf(msg, sizeof(msg), "no free prefix / 198.19.0.0/16 block: %s", strerror(-err));
		h->prefix[0] = 0; /* nothing made: down must not touch a name it saw taken */
		goto fail;
	}
	snprintf(h->dir, sizeof(h->dir), "/tmp/%s.XXXXXX", h->prefix);
	if (!mkdtemp(h->dir)) {
		err = -errno;
		snprintf(msg, sizeof(msg), "mkdtemp %s: %s", h->dir, strerror(errno));
		h->dir[0] = 0;
		goto fail;
	}
	if (access(SSHHOSTS_SSHD, X_OK)) {
		err = -ENOENT;
		snprintf(msg, sizeof(msg), "%s missing (install openssh-server: harness/deps.sh)",
			 SSHHOSTS_SSHD);
		goto fail;
	}
	snprintf(h->ssh_options, sizeof(h->ssh_options),
		 "-i %s/id -o IdentitiesOnly=yes -o UserKnownHostsFile=%s/known_hosts "
		 "-o StrictHostKeyChecking=accept-new -o BatchMode=yes -o ConnectTimeout=5 "
		 "-o LogLevel=ERROR",
		 h->dir, h->dir);

	/* Keys: one host key per sshd, one client key both accept. */
	for (int i = 0; i < 3; i++) {
		char key[200], comment[32];

		snprintf(key, sizeof(key), "%s/%s", h->dir, i < 2 ? (i ? "host_B" : "host_A") : "id");
		snprintf(comment, sizeof(comment), "%s-%s", h->prefix, i < 2 ? "host" : "client");
		if ((err = SSHHOSTS_RUN(h, msg, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
					comment, "-f", key))) {
			err = err == 127 ? -ENOENT : -EIO;
			goto fail;
		}
	}
	{
		FILE *f;

		snprintf(path, sizeof(path), "%s/id.pub", h->dir);
		f = fopen(path, "r");
		if (!f || !fgets(text, sizeof(text), f)) {
			err = -EIO;
			snprintf(msg, sizeof(msg), "cannot read %s", path);
			if (f)
				fclose(f);
			goto fail;
		}
		fclose(f);
		snprintf(path, sizeof(path), "%s/authorized_keys", h->dir);
		if ((err = sshhosts_write(path, text, 0600))) {
			snprintf(msg, sizeof(msg), "write %s: %s", path, strerror(-err));
			goto fail;
		}
	}

	/* The hosts and their links. IPv6 is off in each host before any
	 * interface is there (new ones take the default) and on every end. */
	for (int i = 0; i < 2; i++) {
		char cidr[24], proc[128];

		if ((err = SSHHOSTS_RUN(h, msg, "ip", "netns", "add", h->ns[i])))
			goto fail_cmd;
		snprintf(path, sizeof(path), "/run/netns/%s", h->ns[i]);
		h->ns_ino[i] = sshhosts_ns_inode(path);
		if ((err = sshhosts_ns_write(h->ns[i], "/proc/sys/net/ipv6/conf/default/disable_ipv6",
					     "1")) ||
		    (err = sshhosts_ns_write(h->ns[i], "/proc/sys/net/ipv6/conf/all/disable_ipv6",
					     "1"))) {
			snprintf(msg, sizeof(msg), "cannot turn IPv6 off in %s", h->ns[i]);
			goto fail;
		}
		if ((err = SSHHOSTS_RUN(h, msg, "ip", "-n", h->ns[i], "link", "set", "lo", "up")) ||
		    (err = SSHHOSTS_RUN(h, msg, "ip", "link", "add", h->root_if[i], "type", "veth",
					"peer", "name", "eth-m", "netns", h->ns[i])))
			goto fail_cmd;
		snprintf(proc, sizeof(proc), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", h->root_if[i]);
		if ((err = sshhosts_ns_write(NULL, proc, "1")) ||
		    (err = sshhosts_ns_write(h->ns[i], "/proc/sys/net/ipv6/conf/eth-m/disable_ipv6",
					     "1"))) {
			snprintf(msg, sizeof(msg), "cannot turn IPv6 off on %s", h->root_if[i]);
			goto fail;
		}
		snprintf(cidr, sizeof(cidr), "%s/30", h->root_ip[i]);
		if ((err = SSHHOSTS_RUN(h, msg, "ip", "addr", "add", cidr, "dev", h->root_if[i])) ||
		    (err = SSHHOSTS_RUN(h, msg, "ip", "link", "set", h->root_if[i], "up")))
			goto fail_cmd;
		snprintf(cidr, sizeof(cidr), "%s/30", h->mgmt_ip[i]);
		if ((err = SSHHOSTS_RUN(h, msg, "ip", "-n", h->ns[i], "addr", "add", cidr, "dev",
					"eth-m")) ||
		    (err = SSHHOSTS_RUN(h, msg, "ip", "-n", h->ns[i], "link", "set", "eth-m", "up")))
			goto fail_cmd;
	}
	if ((err = SSHHOSTS_RUN(h, msg, "ip", "-n", h->ns[0], "link", "add", h->wire[0], "type",
				"veth", "peer", "name", h->wire[1], "netns", h->ns[1])))
		goto fail_cmd;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", h->wire[i]);
		if ((err = sshhosts_ns_write(h->ns[i], path, "1"))) {
			snprintf(msg, sizeof(msg), "cannot turn IPv6 off on %s", h->wire[i]);
			goto fail;
		}
	}

	/* sshd refuses to start without its privilege separation dir. */
	if (mkdir("/run/sshd", 0755) == 0)
		sshhosts_made_privsep = 1;
	else if (errno != EEXIST) {
		err = -errno;
		snprintf(msg, sizeof(msg), "mkdir /run/sshd: %s", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		const char X = "AB"[i];

		snprintf(text, sizeof(text),
			 "# sshhosts: host %s of test fixture %s\n"
			 "Port 22\n"
			 "ListenAddress %s\n"
			 "AddressFamily inet\n"
			 "HostKey %s/host_%c\n"
			 "PidFile %s/sshd_%c.pid\n"
			 "AuthorizedKeysFile %s/authorized_keys\n"
			 "PermitRootLogin prohibit-password\n"
			 "PubkeyAuthentication yes\n"
			 "PasswordAuthentication no\n"
			 "KbdInteractiveAuthentication no\n"
			 "UsePAM no\n"
			 "StrictModes no\n"
			 "PrintMotd no\n"
			 "PrintLastLog no\n"
			 "UseDNS no\n"
			 "X11Forwarding no\n"
			 "LogLevel VERBOSE\n",
			 h->ns[i], h->prefix, h->mgmt_ip[i], h->dir, X, h->dir, X, h->dir);
		snprintf(path, sizeof(path), "%s/sshd_config_%c", h->dir, X);
		if ((err = sshhosts_write(path, text, 0600))) {
			snprintf(msg, sizeof(msg), "write %s: %s", path, strerror(-err));
			goto fail;
		}
		if ((err = sshhosts_start_sshd(h, i, msg, sizeof(msg))))
			goto fail;
	}
	for (int i = 0; i < 2; i++)
		if ((err = sshhosts_wait_tcp(h, i, 5000, msg, sizeof(msg))))
			goto fail;
	/* TCP up is not yet a session: the first `true` also records the host
	 * keys (accept-new). */
	for (int i = 0; i < 2; i++) {
		long end = sshhosts_now_ms() + 10000;
		while ((err = sshhosts_ssh(h, i, "true", NULL, 0)) != 0) {
			if (sshhosts_now_ms() > end) {
				char log[200], last[256];

				snprintf(log, sizeof(log), "%s/sshd_%c.log", h->dir, "AB"[i]);
				sshhosts_lastline(log, last, sizeof(last));
				snprintf(msg, sizeof(msg), "`ssh %s true` keeps failing (%d); sshd: %s",
					 h->dest[i], err, last[0] ? last : "no log");
				err = -ETIMEDOUT;
				goto fail;
			}
			sshhosts_sleep_ms(200);
		}
	}

	for (size_t i = 0; i < sizeof(sshhosts_live) / sizeof(sshhosts_live[0]); i++) {
		if (!sshhosts_live[i].prefix[0]) {
			sshhosts_live[i] = *h;
			break;
		}
	}
	if (!sshhosts_atexit_set && !atexit(sshhosts_atexit))
		sshhosts_atexit_set = 1;
	return 0;

fail_cmd:
	err = err == 127 ? -ENOENT : err < 0 ? err : -EIO;
fail:
	fprintf(stderr, "sshhosts: %s\n", msg[0] ? msg : strerror(-err));
	sshhosts_down(h);
	return err ? err : -EIO;
}

/*
 * Run cmd on host (0: A, 1: B) as `ssh -T <ssh_options> <dest> -- cmd`,
 * stdin from /dev/null, stderr this program's; stdout into out (up to
 * len - 1 bytes, NUL-terminated; out may be NULL). Returns the exit status
 * (255: ssh itself failed, 128 + signal), -ETIMEDOUT after 60 s (ssh is
 * killed), or -errno.
 */
static __attribute__((unused)) int sshhosts_ssh(const struct sshhosts *h, int host, const char *cmd,
						char *out, size_t len)
{
	char opts[sizeof(h->ssh_options)], *argv[40], *save, *tok, sink[512];
	long end = sshhosts_now_ms() + 60000;
	int argc = 0, pfd[2], st, timed_out = 0;
	size_t got = 0;
	pid_t pid;

	if (host < 0 || host > 1 || !h->dest[host][0])
		return -EINVAL;
	snprintf(opts, sizeof(opts), "%s", h->ssh_options);
	argv[argc++] = "ssh";
	argv[argc++] = "-T";
	for (tok = strtok_r(opts, " ", &save); tok && argc < 34; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc++] = (char *)h->dest[host];
	argv[argc++] = "--";
	argv[argc++] = (char *)cmd;
	argv[argc] = NULL;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(pfd[1], 1);
		execvp("ssh", argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		long left = end - sshhosts_now_ms();
		ssize_t r;

		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (out && got + 1 < len)
			r = read(pfd[0], out + got, len - 1 - got);
		else
			r = read(pfd[0], sink, sizeof(sink));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out && got + 1 < len)
			got += (size_t)r;
	}
	if (out && len)
		out[got] = 0;
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (timed_out)
		return -ETIMEDOUT;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static __attribute__((unused)) int sshhosts_rm_one(const char *path, const struct stat *st,
						   int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0; /* on with the rest: leftovers() reports what stayed */
}

/* Idempotent; safe on a half-built or zeroed struct. */
static __attribute__((unused)) void sshhosts_down(struct sshhosts *h)
{
	char msg[512], path[300];
	int live[2];

	if (strlen(h->prefix) != 8 || strncmp(h->prefix, "th", 2))
		return; /* zeroed, or nothing made yet */
	/* Only a namespace still ours by name is searched by inode: once it
	 * is gone its inode number may belong to someone else's. */
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/run/netns/%s", h->ns[i]);
		live[i] = h->ns_ino[i] && h->ns[i][0] && sshhosts_ns_inode(path) == h->ns_ino[i];
	}
	/* The sshds' groups, and whatever runs in a host (sessions have their
	 * own sessions; an agent must not outlive its host): TERM, then KILL. */
	for (int round = 0; round < 2; round++) {
		int sig = round ? SIGKILL : SIGTERM;
		long end = sshhosts_now_ms() + (round ? 3000 : 1000);

		for (int i = 0; i < 2; i++) {
			if (h->sshd[i] > 0)
				kill(-h->sshd[i], sig);
			if (live[i])
				sshhosts_ns_procs(h->ns_ino[i], sig, NULL, 0);
		}
		for (;;) {
			int left = 0;

			for (int i = 0; i < 2; i++) {
				if (h->sshd[i] > 0) {
					pid_t r = waitpid(h->sshd[i], NULL, WNOHANG);

					if (r == h->sshd[i] || (r < 0 && errno == ECHILD))
						h->sshd[i] = 0;
					else
						left++;
				}
				if (live[i])
					left += sshhosts_ns_procs(h->ns_ino[i], round ? SIGKILL : 0,
								  NULL, 0);
			}
			if (!left || sshhosts_now_ms() > end)
				break;
			sshhosts_sleep_ms(20);
		}
	}
	/* The root-side ends first (deleting a namespace frees its veths only
	 * later, asynchronously), then every namespace and root link with the
	 * prefix: the hosts, and any a test made under it and did not remove. */
	for (int k = 0; k < 2; k++) {
		const char *where = k ? "/run/netns" : "/sys/class/net";
		DIR *d = opendir(where);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			if (strncmp(e->d_name, h->prefix, strlen(h->prefix)))
				continue;
			if (k)
				SSHHOSTS_RUN(h, msg, "ip", "netns", "del", e->d_name);
			else
				SSHHOSTS_RUN(h, msg, "ip", "link", "del", e->d_name);
		}
		if (d)
			closedir(d);
	}
	/* Only ever our own /tmp/th...: */
	if (!strncmp(h->dir, "/tmp/th", 7) && !strstr(h->dir, "..") && !access(h->dir, F_OK))
		nftw(h->dir, sshhosts_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (sshhosts_made_privsep && !sshhosts_any_sshd()) {
		rmdir("/run/sshd");
		sshhosts_made_privsep = 0;
	}
	/* Down: the atexit() fallback has nothing more to do for it. */
	for (size_t i = 0; i < sizeof(sshhosts_live) / sizeof(sshhosts_live[0]); i++)
		if (&sshhosts_live[i] != h && !strcmp(sshhosts_live[i].prefix, h->prefix))
			sshhosts_live[i].prefix[0] = 0;
}

/* 1 if anything of h is still there: a namespace, root-side link or
 * process naming the prefix (the sshds: their config path), a process in
 * one of its hosts' namespaces, the directory. what says which. */
static __attribute__((unused)) int sshhosts_leftovers(const struct sshhosts *h, char *what,
						      size_t len)
{
	const char *dirs[] = { "/run/netns", "/sys/class/net", NULL };
	size_t plen = strlen(h->prefix);
	DIR *d;
	struct dirent *e;

	what[0] = 0;
	if (!plen)
		return 0;
	for (int i = 0; dirs[i]; i++) {
		d = opendir(dirs[i]);
		while (d && (e = readdir(d)))
			if (!strncmp(e->d_name, h->prefix, plen))
				snprintf(what + strlen(what), len - strlen(what), "%s/%s ", dirs[i],
					 e->d_name);
		if (d)
			closedir(d);
	}
	prefix_procs(h->prefix, what + strlen(what), len - strlen(what));
	for (int i = 0; i < 2; i++)
		sshhosts_ns_procs(h->ns_ino[i], 0, what + strlen(what), len - strlen(what));
	if (h->dir[0] && !access(h->dir, F_OK))
		snprintf(what + strlen(what), len - strlen(what), "%s ", h->dir);
	return what[0] ? 1 : 0;
}

#endif
