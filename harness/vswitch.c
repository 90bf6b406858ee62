// SPDX-License-Identifier: BSD-3-Clause
/*
 * Userspace switches between two vhost-user ports (see vswitch.h).
 *
 * testpmd: `stdbuf -oL dpdk-testpmd ... --vdev=net_vhost0,iface=S0,client=1
 *   --vdev=net_vhost1,iface=S1,client=1 -- --forward-mode=io`, its stdin a
 *   pipe we hold (non-interactive testpmd forwards until stdin has a byte,
 *   EOF or a signal). Ready when it prints "Press enter to exit"; SIGTERM
 *   makes it print the "Forward statistics for port N" blocks we parse.
 * ovs: ovsdb-tool create, ovsdb-server and ovs-vswitchd-dpdk with every
 *   socket, pid and log file in the private directory; ovs-vswitchd runs in
 *   a network namespace of its own, so that the taps of its netdev datapath
 *   ("ovs-netdev" and the bridge's local port, created persistent) vanish
 *   with it and never meet another OVS's. Counters come live from the
 *   datapath (ovs-ofctl dump-ports); the Interface statistics column in the
 *   database is only refreshed every 5 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "log.h"
#include "proc.h"
#include "vswitch.h"

extern char **environ;

#define HUGE_DIR "/dev/hugepages"
#define DPDK_RUN_DIR "/var/run/dpdk"
#define TESTPMD "dpdk-testpmd"
#define OVS_VSWITCHD "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
#define OVS_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
/* Memory each switch takes from the hugepages (MB): testpmd's mbuf pool of
 * 16384 buffers is ~36 MB, OVS sizes its pool to what the limit allows. */
#define SW_MEM_MB 128
#define TESTPMD_MBUFS "16384"

#define START_TIMEOUT_MS 30000 /* DPDK init + ports; OVS takes ~1 s here */
#define TERM_WAIT_MS 10000     /* after SIGTERM, before SIGKILL */
#define KILL_WAIT_MS 3000
#define EXEC_WAIT_MS 5000

enum { OVSDB = 0, VSWITCHD = 1 };

static const char *const kind_names[] = { "none", "testpmd", "ovs" };

const char *vswitch_name(enum vswitch_kind k)
{
	return (unsigned int)k < 3 ? kind_names[k] : "?";
}

int vswitch_kind_parse(const char *s)
{
	for (int k = 0; s && k < 3; k++)
		if (!strcmp(s, kind_names[k]))
			return k;
	return -1;
}

/* ---- helpers ------------------------------------------------------------ */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	/* One line. */
	for (char *p = err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/* name as given if it has a '/', else the first executable in PATH,
 * /usr/sbin, /sbin. */
static bool find_exe(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return !access(out, X_OK);
	}
	snprintf(buf, sizeof(buf), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, name);
		if (*d && !access(out, X_OK))
			return true;
	}
	return false;
}

/* Paths that go into vdev arguments and OVSDB values unquoted, and must
 * fit a unix socket address. */
static bool path_ok(const char *p, size_t max)
{
	size_t n = strnlen(p, max + 1);

	if (p[0] != '/' || n > max)
		return false;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("/._-", *p)))
			return false;
	return true;
}

/* The last len-1 bytes of a file, NUL-terminated; "" if unreadable. */
static size_t read_tail(const char *path, char *buf, size_t len)
{
	ssize_t n;
	off_t size;
	int fd;

	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		size = 0;
	lseek(fd, size > (off_t)(len - 1) ? size - (off_t)(len - 1) : 0, SEEK_SET);
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	/* Logs may hold NULs after a crash: keep what follows the last one. */
	for (ssize_t i = n - 1; i >= 0; i--)
		if (!buf[i]) {
			memmove(buf, buf + i + 1, (size_t)(n - i));
			return (size_t)(n - i - 1);
		}
	return (size_t)n;
}

/* The last line of text containing one of the needles (or, with none, the
 * last non-empty line) into out. */
static void last_line(const char *text, const char *const needles[], char *out, size_t len)
{
	const char *best = NULL, *p = text;

	out[0] = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		bool hit = !needles && n > 0;

		for (int i = 0; needles && needles[i] && !hit; i++) {
			const char *h = strstr(p, needles[i]);

			hit = h && h < p + n;
		}
		if (hit)
			best = p;
		p += n + (e ? 1 : 0);
	}
	if (best)
		snprintf(out, len, "%.*s", (int)strcspn(best, "\n"), best);
}

/* ---- processes ---------------------------------------------------------- */

/* Reap pid within ms. 1 exited (*status set), 0 still running. */
static int wait_exit(pid_t pid, unsigned int ms, int *status)
{
	uint64_t end = now_ms() + ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return 1;
		if (now_ms() >= end)
			return 0;
		sleep_ms(10);
	}
}

static bool child_alive(pid_t pid, int *status)
{
	return pid > 0 && waitpid(pid, status, WNOHANG) == 0;
}

/* What the child of spawn() needs between fork and exec. */
struct spawn_args {
	pid_t parent;
	unsigned int cpu;
	bool newnet;
	int in_fd, out_fd, err_fd; /* err_fd: the pipe for {stage, errno} */
	const char *const *argv;
	char *const *envp;
};

/* In the child: set it up and exec. On failure the step that failed and
 * its errno go to the parent through err_fd. */
static void __attribute__((noreturn)) spawn_child(const struct spawn_args *c)
{
	sigset_t none;
	cpu_set_t set;
	int stage = 0, e[2];

	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	/* The harness blocks the signals it reads from a signalfd. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	errno = ESRCH; /* the parent is already gone */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != c->parent)
		goto fail;
	setpgid(0, 0);
	/* Nothing of the harness's (state file, signalfd, pipes) leaks. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	stage = 1;
	if (sched_setaffinity(0, sizeof(set), &set))
		goto fail;
	stage = 2;
	if (c->newnet && unshare(CLONE_NEWNET))
		goto fail;
	stage = 3;
	if (dup2(c->in_fd, 0) < 0 || dup2(c->out_fd, 1) < 0 || dup2(c->out_fd, 2) < 0)
		goto fail;
	stage = 4;
	execve(c->argv[0], (char *const *)c->argv, c->envp ? c->envp : environ);
fail:
	e[0] = stage;
	e[1] = errno;
	if (write(c->err_fd, e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/*
 * fork + exec argv (absolute path) with stdin from in_fd (or /dev/null),
 * stdout and stderr to out_path, pinned to cpu, in its own process group
 * (a terminal's ^C is for the harness), dying with the calling thread; in a
 * new network namespace with newnet. The pid is recorded in rs right after
 * the fork, before the child can have created anything. 0 or -errno.
 */
static int spawn(struct vswitch *sw, struct runstate *rs, int slot, const char *const argv[],
		 char *const envp[], int in_fd, const char *out_path, bool newnet, char *err,
		 size_t errlen)
{
	pid_t parent = getpid(), pid;
	int ep[2], outfd, infd, e[2], r;
	struct pollfd p;
	ssize_t n;

	outfd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (outfd < 0) {
		r = -errno;
		seterr(err, errlen, "%s: %s", out_path, strerror(-r));
		return r;
	}
	infd = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (infd < 0 || pipe2(ep, O_CLOEXEC)) {
		r = -errno;
		seterr(err, errlen, "pipe: %s", strerror(-r));
		goto out_fds;
	}
	pid = fork();
	if (pid == 0)
		spawn_child(&(struct spawn_args){ .parent = parent, .cpu = sw->cpu,
						  .newnet = newnet, .in_fd = infd,
						  .out_fd = outfd, .err_fd = ep[1],
						  .argv = argv, .envp = envp });
	close(ep[1]);
	if (pid < 0) {
		r = -errno;
		seterr(err, errlen, "fork: %s", strerror(-r));
		close(ep[0]);
		goto out_fds;
	}
	sw->pid[slot] = pid;
	r = runstate__add_pid(rs, pid);
	if (r) {
		/* Not recorded: it must not outlive this call. */
		kill(pid, SIGKILL);
		wait_exit(pid, KILL_WAIT_MS, NULL);
		sw->pid[slot] = 0;
		seterr(err, errlen, "recording pid %d: %s", (int)pid, strerror(-r));
		close(ep[0]);
		goto out_fds;
	}
	/* EOF on the pipe once exec succeeded (O_CLOEXEC). */
	p = (struct pollfd){ .fd = ep[0], .events = POLLIN };
	r = poll(&p, 1, EXEC_WAIT_MS);
	n = r > 0 ? read(ep[0], e, sizeof(e)) : -1;
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		static const char *const what[] = { "PR_SET_PDEATHSIG", "sched_setaffinity",
						    "unshare(CLONE_NEWNET)", "dup2", "exec" };

		seterr(err, errlen, "%s %s: %s", what[e[0]], argv[0], strerror(e[1]));
		r = -(e[1] > 0 ? e[1] : EIO);
		goto out_fds; /* the caller's teardown reaps it and forgets the pid */
	}
	if (n != 0) {
		seterr(err, errlen, "%s did not start within %d ms", argv[0], EXEC_WAIT_MS);
		r = -ETIMEDOUT;
		goto out_fds;
	}
	r = 0;
out_fds:
	if (infd >= 0 && infd != in_fd)
		close(infd);
	close(outfd);
	return r;
}

/* SIGTERM (graceful: testpmd prints its statistics), SIGKILL after a
 * bounded wait, reap, and record it gone. Only signals a child that has
 * not been reaped yet, so its pid cannot belong to anyone else. */
static int stop_proc(struct vswitch *sw, struct runstate *rs, int slot)
{
	pid_t pid = sw->pid[slot];
	char name[16];
	int r;

	if (pid <= 0)
		return 0;
	if (child_alive(pid, NULL)) {
		kill(pid, SIGTERM);
		if (!wait_exit(pid, TERM_WAIT_MS, NULL)) {
			pr_warn("bypasslab: %s switch pid %d ignored SIGTERM for %d ms, "
				"killing it\n", vswitch_name(sw->kind), (int)pid, TERM_WAIT_MS);
			kill(pid, SIGKILL);
			wait_exit(pid, KILL_WAIT_MS, NULL);
		}
	}
	snprintf(name, sizeof(name), "%d", (int)pid);
	r = runstate__undo(rs, RS_PID, name);
	sw->pid[slot] = 0;
	return r == -ENOENT ? 0 : r;
}

static int undo(struct runstate *rs, enum rs_kind kind, const char *name)
{
	int r;

	if (!name[0])
		return 0;
	r = runstate__undo(rs, kind, name);
	return r == -ENOENT ? 0 : r;
}

/* Processes first (newest first), then DPDK's leftovers and the directory. */
static int teardown(struct vswitch *sw, struct runstate *rs)
{
	int err = 0, r;

	for (int i = 1; i >= 0; i--) {
		r = stop_proc(sw, rs, i);
		if (r && !err)
			err = r;
	}
	if (sw->stdin_fd >= 0) {
		close(sw->stdin_fd);
		sw->stdin_fd = -1;
	}
	r = undo(rs, RS_TREE, sw->rundir);
	if (r && !err)
		err = r;
	r = undo(rs, RS_HUGE, sw->huge);
	if (r && !err)
		err = r;
	r = undo(rs, RS_TREE, sw->dir);
	if (r && !err)
		err = r;
	sw->stopped = 1;
	return err;
}

/* Why a child died (or is not ready): the most telling line of its log. */
static void child_reason(const char *log, const char *const needles[], char *out, size_t len)
{
	char *buf = malloc(65536);

	out[0] = 0;
	if (!buf)
		return;
	read_tail(log, buf, 65536);
	last_line(buf, needles, out, len);
	if (!out[0])
		last_line(buf, NULL, out, len);
	free(buf);
}

/* ---- testpmd ------------------------------------------------------------ */

static void path_in(const struct vswitch *sw, char *out, size_t len, const char *file)
{
	snprintf(out, len, "%s/%s", sw->dir, file);
}

/* The number after "key" within [p, end), 0 if absent or not a number. */
static uint64_t num_after(const char *p, const char *end, const char *key)
{
	size_t klen = strlen(key);

	for (; p && p + klen <= end; p++) {
		if (!memcmp(p, key, klen)) {
			p += klen;
			while (*p == ' ')
				p++;
			return strtoull(p, NULL, 10);
		}
	}
	return 0;
}

/* The last "Forward statistics for port N" blocks testpmd printed when it
 * stopped forwarding. 0 or -ENODATA. */
static int testpmd_parse(const char *text, struct vswitch_port_stats st[2])
{
	for (int i = 0; i < 2; i++) {
		char needle[48];
		const char *p = NULL, *q, *end;

		snprintf(needle, sizeof(needle), "Forward statistics for port %d ", i);
		for (q = text; (q = strstr(q, needle)); q++)
			p = q;
		if (!p)
			return -ENODATA;
		/* The block ends at its closing "  ----" line. */
		end = strstr(p, "\n  ---");
		if (!end)
			return -ENODATA;
		if (!strstr(p, "RX-packets:") || strstr(p, "RX-packets:") > end)
			return -ENODATA;
		st[i].rx_pkts = num_after(p, end, "RX-packets:");
		/* RX-dropped is the port's imissed; errors and mbuf shortages are
		 * receive losses too. */
		st[i].rx_dropped = num_after(p, end, "RX-dropped:") +
				   num_after(p, end, "RX-error:") +
				   num_after(p, end, "RX-nombufs:");
		st[i].tx_pkts = num_after(p, end, "TX-packets:");
		st[i].tx_dropped = num_after(p, end, "TX-dropped:");
	}
	return 0;
}

static int testpmd_start(struct vswitch *sw, struct runstate *rs, const char *const sock[2],
			 char *err, size_t errlen)
{
	static const char *const why[] = { "Cause:", "EAL: Error", "rror", "ail", NULL };
	char exe[PATH_MAX], sb[PATH_MAX], log[PATH_MAX], lcores[64], fprefix[64], mem[16];
	char vdev[2][PATH_MAX + 64], reason[256], *buf;
	uint64_t end;
	int pfd[2], r, st;

	if (!find_exe(TESTPMD, exe, sizeof(exe)) || !find_exe("stdbuf", sb, sizeof(sb))) {
		seterr(err, errlen, "%s or stdbuf not found", TESTPMD);
		return -ENOENT;
	}
	snprintf(lcores, sizeof(lcores), "--lcores=0@%u,1@%u", sw->cpu, sw->cpu);
	snprintf(fprefix, sizeof(fprefix), "--file-prefix=%s-sw", sw->prefix);
	snprintf(mem, sizeof(mem), "%d", SW_MEM_MB);
	for (int i = 0; i < 2; i++)
		snprintf(vdev[i], sizeof(vdev[i]),
			 "--vdev=net_vhost%d,iface=%s,client=1,queues=1", i, sock[i]);
	/* Line-buffered stdout: readiness and the final statistics are read
	 * from the log while testpmd runs, and a signal ends it unflushed. The
	 * main lcore sleeps in read(0), lcore 1 forwards; both on one CPU. */
	const char *const argv[] = { sb, "-oL", "-eL", exe, "-v", lcores, "--no-pci", "--in-memory",
				     "-m", mem, "--huge-dir=" HUGE_DIR, fprefix, vdev[0], vdev[1],
				     "--", "--forward-mode=io", "--auto-start", "--nb-cores=1",
				     "--total-num-mbufs=" TESTPMD_MBUFS, "--disable-link-check",
				     "--no-mlockall", NULL };

	path_in(sw, log, sizeof(log), "testpmd.log");
	if (pipe2(pfd, O_CLOEXEC)) {
		r = -errno;
		seterr(err, errlen, "pipe: %s", strerror(-r));
		return r;
	}
	sw->stdin_fd = pfd[1];
	r = spawn(sw, rs, 0, argv, NULL, pfd[0], log, false, err, errlen);
	close(pfd[0]);
	if (r)
		return r;
	buf = malloc(65536);
	if (!buf) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	end = now_ms() + START_TIMEOUT_MS;
	for (;;) {
		read_tail(log, buf, 65536);
		if (strstr(buf, "Press enter to exit"))
			break;
		if (!child_alive(sw->pid[0], &st)) {
			last_line(buf, why, reason, sizeof(reason));
			seterr(err, errlen, "dpdk-testpmd exited (%s): %s",
			       WIFEXITED(st) ? "status" : "signal",
			       reason[0] ? reason : "no output");
			sw->pid[0] = 0; /* reaped */
			free(buf);
			return -EIO;
		}
		if (now_ms() >= end) {
			last_line(buf, NULL, reason, sizeof(reason));
			seterr(err, errlen, "dpdk-testpmd not forwarding after %d ms: %s",
			       START_TIMEOUT_MS, reason);
			free(buf);
			return -ETIMEDOUT;
		}
		sleep_ms(20);
	}
	/* "EAL: RTE Version: 'DPDK 22.11.11'" (-v), near the top. */
	{
		int fd = open(log, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, 8191) : -1;
		const char *v;

		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = 0;
		v = strstr(buf, "RTE Version: '");
		if (v) {
			v += strlen("RTE Version: '");
			snprintf(sw->version, sizeof(sw->version), "%.*s",
				 (int)strcspn(v, "'\n"), v);
		}
	}
	free(buf);
	snprintf(sw->name, sizeof(sw->name), "testpmd");
	return 0;
}

static int testpmd_stop(struct vswitch *sw, struct runstate *rs)
{
	char log[PATH_MAX], *buf;
	int r;

	/* SIGTERM: testpmd stops forwarding, prints the statistics of every
	 * port, closes the ports and exits. */
	r = stop_proc(sw, rs, 0);
	path_in(sw, log, sizeof(log), "testpmd.log");
	buf = malloc(262144);
	if (!buf)
		return -ENOMEM;
	read_tail(log, buf, 262144);
	sw->have_final = !testpmd_parse(buf, sw->final);
	free(buf);
	return sw->have_final ? r : -ENODATA;
}

/* ---- ovs ---------------------------------------------------------------- */

#define OVS_CMD_MAX 40

/* Run an OVS client tool; its first stderr line into err on failure. */
static int ovs_tool(const char *const argv[], char *out, size_t outlen, char *err, size_t errlen)
{
	char ebuf[512];
	int r = run_cmd_capture(argv, out, outlen, ebuf, sizeof(ebuf));

	if (r) {
		ebuf[strcspn(ebuf, "\n")] = 0;
		seterr(err, errlen, "%s %s: %s", argv[0], argv[1],
		       ebuf[0] ? ebuf : r < 0 ? strerror(-r) : "failed");
		return r < 0 ? r : -EIO;
	}
	return 0;
}

/* ovs-vsctl against the switch's own database. wait: let ovs-vswitchd
 * apply the change before returning (else --no-wait). args NULL-terminated. */
static int vsctl(const struct vswitch *sw, bool wait, char *out, size_t outlen, char *err,
		 size_t errlen, const char *const args[])
{
	const char *argv[OVS_CMD_MAX];
	char db[PATH_MAX + 16];
	int n = 0;

	snprintf(db, sizeof(db), "--db=unix:%s/db.sock", sw->dir);
	argv[n++] = "ovs-vsctl";
	argv[n++] = db;
	argv[n++] = "--timeout=20";
	if (!wait)
		argv[n++] = "--no-wait";
	for (int i = 0; args[i]; i++) {
		if (n == OVS_CMD_MAX - 1)
			return -E2BIG;
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return ovs_tool(argv, out, outlen, err, errlen);
}

static void mgmt_target(const struct vswitch *sw, char *out, size_t len)
{
	snprintf(out, len, "unix:%s/%s.mgmt", sw->dir, sw->name);
}

/* The environment of ovsdb-server and ovs-vswitchd: every default path in
 * the private directory. Freed by the caller (one allocation). */
static char **ovs_env(const struct vswitch *sw)
{
	static const char *const vars[] = { "OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR" };
	size_t n = 0, k = 0, vlen = strlen(sw->dir) + 16;
	char **env, *s;

	while (environ[n])
		n++;
	env = malloc((n + 4) * sizeof(*env) + 3 * vlen);
	if (!env)
		return NULL;
	s = (char *)(env + n + 4);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "OVS_RUNDIR=", 11) &&
		    strncmp(environ[i], "OVS_DBDIR=", 10) &&
		    strncmp(environ[i], "OVS_LOGDIR=", 11))
			env[k++] = environ[i];
	for (int i = 0; i < 3; i++, s += vlen) {
		snprintf(s, vlen, "%s=%s", vars[i], sw->dir);
		env[k++] = s;
	}
	env[k] = NULL;
	return env;
}

/* "port  1: rx pkts=5, bytes=320, drop=0, errs=0, ...\n  tx pkts=..." lines
 * of `ovs-ofctl dump-ports` ("?" where a counter is not kept). */
static uint64_t ofctl_num(const char *p, const char *end, const char *key)
{
	const char *q = p;
	size_t klen = strlen(key);

	while ((q = strstr(q, key)) && q < end) {
		if (q == p || q[-1] == ' ' || q[-1] == ',') {
			q += klen;
			return *q == '?' ? 0 : strtoull(q, NULL, 10);
		}
		q += klen;
	}
	return 0;
}

/* valid[i]: port i's counters were there ("?" while its vhost-user peer is
 * not connected). */
static int ofctl_parse(const char *text, struct vswitch_port_stats st[2], bool valid[2])
{
	for (int i = 0; i < 2; i++) {
		const char *p = text, *rx = NULL, *tx, *end;

		/* OpenFlow port i+1 (ofport_request): "port  1:" (padded). */
		while ((p = strstr(p, "port "))) {
			const char *q = p + 5;

			while (*q == ' ')
				q++;
			if (strtoul(q, NULL, 10) == (unsigned long)i + 1 &&
			    q[strspn(q, "0123456789")] == ':') {
				rx = q;
				break;
			}
			p = q;
		}
		if (!rx)
			return -ENODATA;
		tx = strstr(rx, "tx pkts=");
		if (!tx)
			return -ENODATA;
		end = strchr(tx, '\n');
		if (!end)
			end = tx + strlen(tx);
		p = strstr(rx, "pkts=");
		valid[i] = p && p[5] >= '0' && p[5] <= '9';
		st[i].rx_pkts = ofctl_num(rx, tx, "pkts=");
		st[i].rx_dropped = ofctl_num(rx, tx, "drop=") + ofctl_num(rx, tx, "errs=");
		st[i].tx_pkts = ofctl_num(tx, end, "pkts=");
		st[i].tx_dropped = ofctl_num(tx, end, "drop=") + ofctl_num(tx, end, "errs=");
	}
	return 0;
}

/*
 * Live counters of both ports. OVS has none for a port whose vhost-user
 * peer has disconnected (and starts again from zero when it reconnects);
 * such a port keeps the values last read here, kept in sw->final.
 * 0, or -ENODATA while a port's counters were never seen.
 */
static int ovs_read_stats(struct vswitch *sw, struct vswitch_port_stats st[2])
{
	char target[PATH_MAX + 16], out[4096];
	const char *const argv[] = { "ovs-ofctl", "dump-ports", target, NULL };
	struct vswitch_port_stats now[2];
	bool valid[2] = { false, false };
	int r;

	mgmt_target(sw, target, sizeof(target));
	r = ovs_tool(argv, out, sizeof(out), NULL, 0);
	if (!r)
		r = ofctl_parse(out, now, valid);
	for (int i = 0; !r && i < 2; i++)
		if (valid[i]) {
			sw->final[i] = now[i];
			sw->have_port[i] = 1;
		}
	if (st)
		memcpy(st, sw->final, sizeof(sw->final));
	if (r)
		return r;
	return sw->have_port[0] && sw->have_port[1] ? 0 : -ENODATA;
}

/* Poll a DB value until it equals want, the process dies, or time is up. */
static int ovs_wait_value(struct vswitch *sw, const char *const args[], const char *want,
			  const char *what, char *err, size_t errlen)
{
	static const char *const why[] = { "|EMER|", "|ERR|", "Cause:", NULL };
	uint64_t end = now_ms() + START_TIMEOUT_MS;
	char out[256], log[PATH_MAX], reason[256];
	int st;

	for (;;) {
		if (!vsctl(sw, false, out, sizeof(out), NULL, 0, args)) {
			out[strcspn(out, "\n")] = 0;
			if (!strcmp(out, want))
				return 0;
		}
		if (!child_alive(sw->pid[VSWITCHD], &st)) {
			path_in(sw, log, sizeof(log), "ovs-vswitchd.log");
			child_reason(log, why, reason, sizeof(reason));
			if (!reason[0]) {
				path_in(sw, log, sizeof(log), "ovs-vswitchd.out");
				child_reason(log, NULL, reason, sizeof(reason));
			}
			seterr(err, errlen, "ovs-vswitchd exited before %s: %s", what,
			       reason[0] ? reason : "no log");
			sw->pid[VSWITCHD] = 0; /* reaped */
			return -EIO;
		}
		if (now_ms() >= end) {
			seterr(err, errlen, "ovs-vswitchd: no %s after %d ms", what,
			       START_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		sleep_ms(50);
	}
}

/* Where one OVS daemon (OVSDB or VSWITCHD) keeps its files: options for
 * its command line and the file its stdout and stderr go to. */
struct ovs_files {
	char pidfile[PATH_MAX + 16], unixctl[PATH_MAX + 16], logfile[PATH_MAX + 16];
	char out[PATH_MAX];
};

static void ovs_files(const struct vswitch *sw, int which, struct ovs_files *f)
{
	const char *n = which == OVSDB ? "ovsdb-server" : "ovs-vswitchd";

	snprintf(f->pidfile, sizeof(f->pidfile), "--pidfile=%s/%s.pid", sw->dir, n);
	snprintf(f->unixctl, sizeof(f->unixctl), "--unixctl=%s/%s.ctl", sw->dir, n);
	snprintf(f->logfile, sizeof(f->logfile), "--log-file=%s/%s.log", sw->dir, n);
	snprintf(f->out, sizeof(f->out), "%s/%s.out", sw->dir, n);
}

/* ovsdb-server has no readiness signal but its socket. */
static int ovsdb_wait_socket(struct vswitch *sw, const char *dbsock, const char *out, char *err,
			     size_t errlen)
{
	uint64_t end = now_ms() + START_TIMEOUT_MS;
	char reason[256];
	int st;

	for (struct stat sb; stat(dbsock, &sb) || !S_ISSOCK(sb.st_mode);) {
		if (!child_alive(sw->pid[OVSDB], &st)) {
			child_reason(out, NULL, reason, sizeof(reason));
			seterr(err, errlen, "ovsdb-server exited: %s",
			       reason[0] ? reason : "no output");
			sw->pid[OVSDB] = 0;
			return -EIO;
		}
		if (now_ms() >= end) {
			seterr(err, errlen, "ovsdb-server: no %s after %d ms", dbsock,
			       START_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		sleep_ms(10);
	}
	return 0;
}

/* A fresh database in the private directory and its own server. */
static int ovsdb_start(struct vswitch *sw, struct runstate *rs, char *const env[],
		       const char *tool, const char *server, char *err, size_t errlen)
{
	char db[PATH_MAX], dbsock[PATH_MAX], remote[PATH_MAX + 16];
	struct ovs_files f;
	int r;

	path_in(sw, db, sizeof(db), "conf.db");
	path_in(sw, dbsock, sizeof(dbsock), "db.sock");
	snprintf(remote, sizeof(remote), "--remote=punix:%s", dbsock);
	ovs_files(sw, OVSDB, &f);

	const char *const create[] = { tool, "create", db, OVS_SCHEMA, NULL };
	const char *const argv[] = { server, db, remote, f.pidfile, f.unixctl, f.logfile,
				     "-vconsole:err", NULL };

	r = ovs_tool(create, NULL, 0, err, errlen);
	if (r)
		return r;
	r = spawn(sw, rs, OVSDB, argv, env, -1, f.out, false, err, errlen);
	if (r)
		return r;
	return ovsdb_wait_socket(sw, dbsock, f.out, err, errlen);
}

/* DPDK: one core for everything, the run's file prefix, no PCI scan,
 * 128 MB of hugepages at most (OVS adds --in-memory itself). */
static int ovs_dpdk_config(struct vswitch *sw, char *err, size_t errlen)
{
	char mask[80], lcm[112], pmd[112], mem[48], lim[48], extra[128];

	snprintf(mask, sizeof(mask), "0x%x", 1u << (sw->cpu % 4));
	for (unsigned int i = 0; i < sw->cpu / 4 && strlen(mask) < sizeof(mask) - 1; i++)
		strcat(mask, "0");
	snprintf(lcm, sizeof(lcm), "other_config:dpdk-lcore-mask=%s", mask);
	snprintf(pmd, sizeof(pmd), "other_config:pmd-cpu-mask=%s", mask);
	snprintf(mem, sizeof(mem), "other_config:dpdk-socket-mem=%d", SW_MEM_MB);
	snprintf(lim, sizeof(lim), "other_config:dpdk-socket-limit=%d", SW_MEM_MB);
	snprintf(extra, sizeof(extra),
		 "other_config:dpdk-extra=\"--file-prefix=%s-sw --no-pci\"", sw->prefix);

	const char *const args[] = { "init", "--", "set", "Open_vSwitch", ".",
				     "other_config:dpdk-init=true", lcm, pmd, mem, lim,
				     "other_config:dpdk-hugepage-dir=" HUGE_DIR, extra, NULL };

	return vsctl(sw, false, NULL, 0, err, errlen, args);
}

/* ovs-vswitchd in a network namespace of its own; ready once DPDK is. */
static int vswitchd_start(struct vswitch *sw, struct runstate *rs, char *const env[], char *err,
			  size_t errlen)
{
	static const char *const ready[] = { "get", "Open_vSwitch", ".", "dpdk_initialized",
					     NULL };
	char dbarg[PATH_MAX + 8];
	struct ovs_files f;
	int r;

	snprintf(dbarg, sizeof(dbarg), "unix:%s/db.sock", sw->dir);
	ovs_files(sw, VSWITCHD, &f);

	const char *const argv[] = { OVS_VSWITCHD, dbarg, f.pidfile, f.unixctl, f.logfile,
				     "-vconsole:err", NULL };

	r = spawn(sw, rs, VSWITCHD, argv, env, -1, f.out, true, err, errlen);
	if (r)
		return r;
	return ovs_wait_value(sw, ready, "true", "DPDK initialisation", err, errlen);
}

/* The bridge without the NORMAL flow (fail_mode=secure) and with the
 * port-to-port flows before the ports exist: a port whose peer is already
 * sending would otherwise drop its first packets for want of a flow. */
static int ovs_add_bridge(struct vswitch *sw, char *err, size_t errlen)
{
	const char *const args[] = { "add-br", sw->name, "--", "set", "Bridge", sw->name,
				     "datapath_type=netdev", "fail_mode=secure", NULL };
	char target[PATH_MAX + 16], flow[48];
	int r;

	r = vsctl(sw, true, NULL, 0, err, errlen, args);
	if (r)
		return r;
	mgmt_target(sw, target, sizeof(target));
	for (int i = 0; i < 2; i++) {
		const char *const argv[] = { "ovs-ofctl", "add-flow", target, flow, NULL };

		snprintf(flow, sizeof(flow), "in_port=%d,actions=output:%d", i + 1, 2 - i);
		r = ovs_tool(argv, NULL, 0, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

/* Whether port (OpenFlow number ofport) made it into the bridge; OVS
 * says why not in the interface's error column. */
static int ovs_check_port(struct vswitch *sw, const char *port, int ofport, char *err,
			  size_t errlen)
{
	const char *const args[] = { "get", "Interface", port, "ofport", NULL };
	const char *const eargs[] = { "get", "Interface", port, "error", NULL };
	char buf[256];
	int r;

	r = vsctl(sw, false, buf, sizeof(buf), err, errlen, args);
	if (r)
		return r;
	if (atoi(buf) == ofport)
		return 0;
	vsctl(sw, false, buf, sizeof(buf), NULL, 0, eargs);
	buf[strcspn(buf, "\n")] = 0;
	seterr(err, errlen, "ovs: port %s not added: %s", port, buf);
	return -EIO;
}

/* Two vhost-user client ports at OpenFlow ports 1 and 2; ovs-vsctl waits
 * until ovs-vswitchd has applied the change. (A peer that sends the moment
 * its link is up can still lose a few thousand packets, "miss with failed
 * upcall", while ovs-vswitchd has the port in its datapath but not yet in
 * its bridge: endpoints send after this returns.) */
static int ovs_add_ports(struct vswitch *sw, const char *const sock[2], char *err,
			 size_t errlen)
{
	char port[2][32], sockopt[2][PATH_MAX + 48], ofreq[2][24];
	int r;

	for (int i = 0; i < 2; i++) {
		snprintf(port[i], sizeof(port[i]), "%s-p%d", sw->prefix, i);
		snprintf(sockopt[i], sizeof(sockopt[i]), "options:vhost-server-path=%s",
			 sock[i]);
		snprintf(ofreq[i], sizeof(ofreq[i]), "ofport_request=%d", i + 1);
	}

	const char *const args[] = { "add-port", sw->name, port[0],
				     "--", "set", "Interface", port[0],
				     "type=dpdkvhostuserclient", sockopt[0], ofreq[0],
				     "--", "add-port", sw->name, port[1],
				     "--", "set", "Interface", port[1],
				     "type=dpdkvhostuserclient", sockopt[1], ofreq[1],
				     NULL };

	r = vsctl(sw, true, NULL, 0, err, errlen, args);
	for (int i = 0; !r && i < 2; i++)
		r = ovs_check_port(sw, port[i], i + 1, err, errlen);
	return r;
}

/* Version: "3.1.0 DPDK 22.11.11". */
static void ovs_version(struct vswitch *sw)
{
	const char *const argv[] = { OVS_VSWITCHD, "--version", NULL };
	const char *const args[] = { "get", "Open_vSwitch", ".", "dpdk_version", NULL };
	char ver[256], dver[128], *v;

	ver[0] = dver[0] = 0;
	run_cmd_capture(argv, ver, sizeof(ver), NULL, 0);
	v = strstr(ver, ") ");
	v = v ? v + 2 : ver;
	v[strcspn(v, "\n")] = 0;
	vsctl(sw, false, dver, sizeof(dver), NULL, 0, args);
	dver[strcspn(dver, "\n")] = 0;
	snprintf(sw->version, sizeof(sw->version), "%.24s %.36s", v,
		 dver[0] == '"' ? dver + 1 : dver);
	sw->version[strcspn(sw->version, "\"")] = 0;
}

static int ovs_start(struct vswitch *sw, struct runstate *rs, const char *const sock[2],
		     char *err, size_t errlen)
{
	char tool[PATH_MAX], server[PATH_MAX];
	char **env;
	int r;

	if (!find_exe("ovsdb-tool", tool, sizeof(tool)) ||
	    !find_exe("ovsdb-server", server, sizeof(server)) || access(OVS_VSWITCHD, X_OK)) {
		seterr(err, errlen, "Open vSwitch with DPDK not found (ovsdb-tool, "
				    "ovsdb-server, %s)", OVS_VSWITCHD);
		return -ENOENT;
	}
	snprintf(sw->name, sizeof(sw->name), "%s-br", sw->prefix);
	env = ovs_env(sw);
	if (!env)
		return -ENOMEM;
	r = ovsdb_start(sw, rs, env, tool, server, err, errlen);
	if (!r)
		r = ovs_dpdk_config(sw, err, errlen);
	if (!r)
		r = vswitchd_start(sw, rs, env, err, errlen);
	if (!r)
		r = ovs_add_bridge(sw, err, errlen);
	if (!r)
		r = ovs_add_ports(sw, sock, err, errlen);
	if (!r)
		ovs_version(sw);
	free(env);
	return r;
}

static int ovs_stop(struct vswitch *sw, struct runstate *rs)
{
	int r = -ESRCH;

	if (sw->pid[VSWITCHD] > 0 && child_alive(sw->pid[VSWITCHD], NULL))
		r = ovs_read_stats(sw, NULL);
	else if (sw->have_port[0] && sw->have_port[1])
		r = 0;
	sw->have_final = !r;
	/* SIGTERM: ovs-vswitchd removes its pid file and sockets and exits;
	 * its taps go with its network namespace. */
	stop_proc(sw, rs, VSWITCHD);
	stop_proc(sw, rs, OVSDB);
	return r;
}

/* ---- the API ------------------------------------------------------------ */

static int hugepages_ok(char *msg, size_t len)
{
	unsigned long free_pages = 0, size_kb = 0;
	struct statfs sfs;
	char line[128];
	FILE *f;

	if (statfs(HUGE_DIR, &sfs) || sfs.f_type != HUGETLBFS_MAGIC) {
		seterr(msg, len, "no hugetlbfs mounted at %s", HUGE_DIR);
		return -ENOENT;
	}
	f = fopen("/proc/meminfo", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "HugePages_Free: %lu", &free_pages);
			sscanf(line, "Hugepagesize: %lu", &size_kb);
		}
		fclose(f);
	}
	if (free_pages * size_kb < SW_MEM_MB * 1024UL) {
		seterr(msg, len, "%lu free hugepages of %lu kB: a switch needs %d MB", free_pages,
		       size_kb, SW_MEM_MB);
		return -ENOENT;
	}
	return 0;
}

int vswitch_probe(enum vswitch_kind kind, char *msg, size_t len)
{
	static const char *const ovs_tools[] = { "ovsdb-tool", "ovsdb-server", "ovs-vsctl",
						 "ovs-ofctl", NULL };
	char path[PATH_MAX];

	seterr(msg, len, "%s", "");
	switch (kind) {
	case VSWITCH_NONE:
		return 0;
	case VSWITCH_TESTPMD:
		if (!find_exe(TESTPMD, path, sizeof(path))) {
			seterr(msg, len, "%s not found (Debian package dpdk-dev)", TESTPMD);
			return -ENOENT;
		}
		if (!find_exe("stdbuf", path, sizeof(path))) {
			seterr(msg, len, "stdbuf not found (coreutils)");
			return -ENOENT;
		}
		return hugepages_ok(msg, len);
	case VSWITCH_OVS:
		if (access(OVS_VSWITCHD, X_OK)) {
			seterr(msg, len, "%s not found (Debian package openvswitch-switch-dpdk)",
			       OVS_VSWITCHD);
			return -ENOENT;
		}
		for (int i = 0; ovs_tools[i]; i++)
			if (!find_exe(ovs_tools[i], path, sizeof(path))) {
				seterr(msg, len, "%s not found (Debian package openvswitch-switch)",
				       ovs_tools[i]);
				return -ENOENT;
			}
		if (access(OVS_SCHEMA, R_OK)) {
			seterr(msg, len, "%s not found", OVS_SCHEMA);
			return -ENOENT;
		}
		return hugepages_ok(msg, len);
	}
	seterr(msg, len, "unknown switch kind %d", (int)kind);
	return -ENOENT;
}

int vswitch_start(struct vswitch *sw, enum vswitch_kind kind, struct runstate *rs,
		  const char *prefix, const char *dir, unsigned int cpu, const char *const sock[2],
		  char *err, size_t errlen)
{
	/* Longest name in dir that is a unix socket: "/<prefix>-br.mgmt". */
	const size_t dir_max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1 - 18;
	const size_t sock_max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	int r;

	seterr(err, errlen, "%s", "");
	if (!sw)
		return -EINVAL;
	memset(sw, 0, sizeof(*sw));
	sw->stdin_fd = -1;
	sw->stopped = 1;
	if (kind != VSWITCH_TESTPMD && kind != VSWITCH_OVS) {
		seterr(err, errlen, "no such switch kind %d", (int)kind);
		return -EINVAL;
	}
	if (!rs || !prefix || strcmp(prefix, runstate__prefix(rs))) {
		seterr(err, errlen, "switch prefix '%s' is not the run's", prefix ? prefix : "");
		return -EINVAL;
	}
	if (!dir || !path_ok(dir, dir_max)) {
		seterr(err, errlen, "switch directory '%s': not an absolute path of at most %zu "
				    "characters [A-Za-z0-9/._-]", dir ? dir : "", dir_max);
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++)
		if (!sock || !sock[i] || !path_ok(sock[i], sock_max)) {
			seterr(err, errlen, "vhost-user socket %d '%s': not an absolute path of at "
					    "most %zu characters [A-Za-z0-9/._-]", i,
			       sock && sock[i] ? sock[i] : "", sock_max);
			return -EINVAL;
		}
	{
		cpu_set_t allowed;

		if (cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(allowed), &allowed) ||
		    !CPU_ISSET(cpu, &allowed)) {
			seterr(err, errlen, "cpu %u is not one this process may run on", cpu);
			return -EINVAL;
		}
	}
	sw->kind = kind;
	sw->cpu = cpu;
	snprintf(sw->prefix, sizeof(sw->prefix), "%s", prefix);
	sw->stopped = 0;

	r = runstate__add(rs, RS_TREE, dir);
	if (r) {
		seterr(err, errlen, "recording %s: %s", dir, strerror(-r));
		goto fail;
	}
	snprintf(sw->dir, sizeof(sw->dir), "%s", dir);
	if (mkdir(dir, 0700)) {
		r = -errno;
		seterr(err, errlen, "mkdir %s: %s", dir, strerror(-r));
		goto fail;
	}
	/* DPDK's leftovers of "<prefix>-sw": hugepage files (none with
	 * --in-memory, but a killed process must not leave any either way)
	 * and its runtime directory. */
	snprintf(sw->huge, sizeof(sw->huge), "%s/%s-sw", HUGE_DIR, prefix);
	r = runstate__add(rs, RS_HUGE, sw->huge);
	if (r) {
		sw->huge[0] = 0;
		seterr(err, errlen, "recording %s-sw: %s", prefix, strerror(-r));
		goto fail;
	}
	snprintf(sw->rundir, sizeof(sw->rundir), "%s/%s-sw", DPDK_RUN_DIR, prefix);
	r = runstate__add(rs, RS_TREE, sw->rundir);
	if (r) {
		sw->rundir[0] = 0;
		seterr(err, errlen, "recording %s: %s", sw->rundir, strerror(-r));
		goto fail;
	}
	r = kind == VSWITCH_TESTPMD ? testpmd_start(sw, rs, sock, err, errlen)
				    : ovs_start(sw, rs, sock, err, errlen);
	if (r)
		goto fail;
	return 0;

fail:
	teardown(sw, rs);
	return r;
}

int vswitch_stats(struct vswitch *sw, struct vswitch_port_stats st[2])
{
	if (!sw || !st || sw->kind == VSWITCH_NONE)
		return -EINVAL;
	if (sw->stopped) {
		if (!sw->have_final)
			return -ENODATA;
		memcpy(st, sw->final, sizeof(sw->final));
		return 0;
	}
	if (sw->kind == VSWITCH_TESTPMD)
		return -EAGAIN;
	return ovs_read_stats(sw, st);
}

int vswitch_stop(struct vswitch *sw, struct runstate *rs, struct vswitch_port_stats st[2])
{
	int r = 0, r2;

	if (!sw)
		return -EINVAL;
	/* Once stopped (or never started), there is nothing more to do. */
	if (!sw->stopped && sw->kind != VSWITCH_NONE) {
		r = sw->kind == VSWITCH_TESTPMD ? testpmd_stop(sw, rs) : ovs_stop(sw, rs);
		r2 = teardown(sw, rs);
		if (r2)
			r = r2;
	}
	if (st) {
		if (sw->have_final)
			memcpy(st, sw->final, sizeof(sw->final));
		else
			memset(st, 0, 2 * sizeof(*st));
	}
	return r;
}

json_t *vswitch_json(const struct vswitch *sw, const struct vswitch_port_stats st[2])
{
	json_t *o, *ports;

	if (!sw)
		return NULL;
	o = json_pack("{s:s, s:s, s:I}", "kind", vswitch_name(sw->kind), "version", sw->version,
		      "cpu", (json_int_t)sw->cpu);
	if (!o || !st)
		return o;
	ports = json_array();
	for (int i = 0; i < 2; i++)
		json_array_append_new(ports, json_pack("{s:I, s:I, s:I, s:I}", "rx_pkts",
						       (json_int_t)st[i].rx_pkts, "tx_pkts",
						       (json_int_t)st[i].tx_pkts, "rx_dropped",
						       (json_int_t)st[i].rx_dropped, "tx_dropped",
						       (json_int_t)st[i].tx_dropped));
	json_object_set_new(o, "ports", ports);
	return o;
}
