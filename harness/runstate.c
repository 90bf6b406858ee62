// SPDX-License-Identifier: BSD-3-Clause
/*
 * Run-state file, undo and `bypasslab cleanup`. See runstate.h for the file
 * format. Everything here must keep working on a half-written state file and
 * on objects that are already gone: it runs after crashes, on signals and
 * twice in a row.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "log.h"
#include "runstate.h"

extern char **environ;

#define NETNS_RUN_DIR "/run/netns"
#define SHM_DIR "/dev/shm"
#define HUGE_DIR "/dev/hugepages"
#define DPDK_RUN_DIR "/var/run/dpdk"
/* A stuck helper command must not hang a run or its cleanup forever. */
#define CMD_TIMEOUT_MS 30000
/* How long a SIGKILLed endpoint may take to disappear. */
#define KILL_WAIT_MS 2000

struct rs_obj {
	enum rs_kind kind;
	bool live;
	unsigned long long start; /* RS_PID: starttime of the process */
	char *name;
};

struct runstate {
	char prefix[16];
	char path[PATH_MAX];
	int fd;                  /* state file, O_APPEND */
	pid_t owner;
	unsigned long long owner_start;
	bool verbose;            /* say what is removed (cleanup) */
	struct rs_obj *objs;
	size_t nobjs, cap;
};

enum rs_name_rule {
	RS_NAME_IFACE, /* "<prefix>-..." and at most IFNAMSIZ-1 chars */
	RS_NAME_NETNS, /* "<prefix>-..." file name under /run/netns */
	RS_NAME_PATH,  /* absolute path, basename starts with the prefix */
	RS_NAME_PID,   /* decimal pid */
};

/* Returns 1 removed, 0 already gone, or -errno. */
typedef int (*rs_remove_fn)(const struct rs_obj *o);

struct rs_kind_desc {
	const char *name; /* as written in the state file */
	enum rs_name_rule rule;
	rs_remove_fn remove;
};

static int rm_netns(const struct rs_obj *o);
static int rm_link(const struct rs_obj *o);
static int rm_path(const struct rs_obj *o);
static int rm_pid(const struct rs_obj *o);
static int rm_dir(const struct rs_obj *o);
static int rm_lxc(const struct rs_obj *o);
static int rm_tree(const struct rs_obj *o);
static int rm_huge(const struct rs_obj *o);

static const struct rs_kind_desc rs_kinds[RS_NKINDS] = {
	[RS_NETNS] = { "netns", RS_NAME_NETNS, rm_netns },
	[RS_LINK] = { "link", RS_NAME_IFACE, rm_link },
	[RS_SHM] = { "shm", RS_NAME_PATH, rm_path },
	[RS_PID] = { "pid", RS_NAME_PID, rm_pid },
	[RS_FILE] = { "file", RS_NAME_PATH, rm_path },
	[RS_DIR] = { "dir", RS_NAME_PATH, rm_dir },
	[RS_LXC] = { "lxc", RS_NAME_PATH, rm_lxc },
	[RS_TREE] = { "tree", RS_NAME_PATH, rm_tree },
	[RS_HUGE] = { "huge", RS_NAME_PATH, rm_huge },
};

/* ---- helpers ---------------------------------------------------------- */

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool prefix_valid(const char *p)
{
	if (p[0] != 'b' || p[1] != 'l')
		return false;
	for (int i = 2; i < RS_PREFIX_LEN; i++)
		if (!is_hex_lower(p[i]))
			return false;
	return true;
}

bool runstate_name_has_prefix(const char *name)
{
	return strnlen(name, RS_PREFIX_LEN + 1) == RS_PREFIX_LEN + 1 && prefix_valid(name) &&
	       name[RS_PREFIX_LEN] == '-';
}

static bool has_run_prefix(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, RS_PREFIX_LEN) && name[RS_PREFIX_LEN] == '-';
}

/* Names end up as one whitespace-separated field of a line. */
static bool name_chars_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static int name_check(const char *prefix, enum rs_kind kind, const char *name)
{
	const char *base;
	size_t len = strnlen(name, PATH_MAX);

	if (!len || len >= PATH_MAX || !name_chars_ok(name))
		return -EINVAL;
	switch (rs_kinds[kind].rule) {
	case RS_NAME_IFACE:
		if (len >= IFNAMSIZ || !has_run_prefix(name, prefix))
			return -EINVAL;
		break;
	case RS_NAME_NETNS:
		if (len > NAME_MAX || strchr(name, '/') || !has_run_prefix(name, prefix))
			return -EINVAL;
		break;
	case RS_NAME_PATH:
		if (name[0] != '/' || strstr(name, "/../") || strstr(name, "/./"))
			return -EINVAL;
		base = strrchr(name, '/') + 1;
		if (strncmp(base, prefix, RS_PREFIX_LEN))
			return -EINVAL;
		break;
	case RS_NAME_PID:
		for (const char *p = name; *p; p++)
			if (*p < '0' || *p > '9')
				return -EINVAL;
		if (len > 10 || atol(name) <= 0)
			return -EINVAL;
		break;
	}
	return 0;
}

static int kind_from_name(const char *s)
{
	for (int k = 0; k < RS_NKINDS; k++)
		if (rs_kinds[k].name && !strcmp(rs_kinds[k].name, s))
			return k;
	return -1;
}

static int proc_stat_read(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[2048], *p;
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	err = -errno;
	close(fd);
	if (n < 0)
		return err;
	buf[n] = 0;
	/* comm (field 2) may contain spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	p++;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		if (field == 3)
			*state = *p;
		if (field == 22) {
			*start = strtoull(p, NULL, 10);
			return 0;
		}
		while (*p && *p != ' ')
			p++;
	}
	return -EINVAL;
}

unsigned long long proc_starttime(pid_t pid)
{
	unsigned long long start;
	char state;

	if (pid <= 0 || proc_stat_read(pid, &state, &start))
		return 0;
	if (state == 'Z' || state == 'X')
		return 0;
	return start;
}

static bool owner_alive(pid_t pid, unsigned long long start)
{
	return pid > 0 && start && proc_starttime(pid) == start;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int state_path(char *buf, size_t len, const char *prefix)
{
	int n = snprintf(buf, len, "%s/%.*s.state", RS_STATE_DIR, RS_PREFIX_LEN, prefix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- running commands ------------------------------------------------- */

#define FD_INHERIT (-1)
#define FD_DEVNULL (-2)

static int fa_setup(posix_spawn_file_actions_t *fa, int target, int fd)
{
	if (fd == FD_INHERIT)
		return 0;
	if (fd == FD_DEVNULL)
		return posix_spawn_file_actions_addopen(fa, target, "/dev/null", O_WRONLY, 0);
	return posix_spawn_file_actions_adddup2(fa, fd, target);
}

static int spawn_cmd(const char *const argv[], int out_fd, int err_fd, pid_t *pid)
{
	static const char *const sbin[] = { "/usr/sbin/", "/sbin/" };
	posix_spawn_file_actions_t fa;
	char path[PATH_MAX];
	int err;

	err = posix_spawn_file_actions_init(&fa);
	if (err)
		return -err;
	err = fa_setup(&fa, STDOUT_FILENO, out_fd);
	if (!err)
		err = fa_setup(&fa, STDERR_FILENO, err_fd);
	if (err)
		goto out_fa;
	err = posix_spawnp(pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	/* Root's PATH from sudo or cron may lack the sbin directories `ip` is in. */
	for (size_t i = 0; err == ENOENT && !strchr(argv[0], '/') && i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", sbin[i], argv[0]);
		err = posix_spawn(pid, path, &fa, NULL, (char *const *)argv, environ);
	}
out_fa:
	posix_spawn_file_actions_destroy(&fa);
	return -err;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct capture {
	int fd; /* read end, -1 when closed */
	char *buf;
	size_t len, used;
};

static void capture_read(struct capture *c)
{
	char sink[512];
	ssize_t n;

	if (c->buf && c->used + 1 < c->len)
		n = read(c->fd, c->buf + c->used, c->len - 1 - c->used);
	else
		n = read(c->fd, sink, sizeof(sink)); /* full: keep draining */
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	if (c->buf && c->used + 1 < c->len) {
		c->used += (size_t)n;
		c->buf[c->used] = 0;
	}
}

int run_cmd_capture(const char *const argv[], char *out, size_t outlen, char *errbuf,
		    size_t errlen)
{
	struct capture cap[2] = { { -1, out, outlen, 0 }, { -1, errbuf, errlen, 0 } };
	int wfd[2] = { FD_DEVNULL, FD_DEVNULL };
	uint64_t deadline = now_ms() + CMD_TIMEOUT_MS;
	pid_t pid;
	int err;

	if (!argv || !argv[0])
		return -EINVAL;
	if (out && outlen)
		out[0] = 0;
	if (errbuf && errlen)
		errbuf[0] = 0;
	for (int i = 0; i < 2; i++) {
		int p[2];

		if (!cap[i].buf || !cap[i].len)
			continue;
		if (pipe2(p, O_CLOEXEC)) {
			err = -errno;
			goto out_pipes;
		}
		cap[i].fd = p[0];
		wfd[i] = p[1];
	}
	err = spawn_cmd(argv, wfd[0], wfd[1], &pid);
	for (int i = 0; i < 2; i++) {
		if (wfd[i] >= 0)
			close(wfd[i]);
		wfd[i] = FD_DEVNULL;
	}
	if (err)
		goto out_pipes;
	while (cap[0].fd >= 0 || cap[1].fd >= 0) {
		struct pollfd p[2];
		int np = 0, left = (int)(deadline - now_ms());

		if (deadline <= now_ms()) {
			pr_warn("bypasslab: '%s' did not finish in %d ms, killing it\n", argv[0],
				CMD_TIMEOUT_MS);
			kill(pid, SIGKILL);
			break;
		}
		for (int i = 0; i < 2; i++)
			if (cap[i].fd >= 0)
				p[np++] = (struct pollfd){ .fd = cap[i].fd, .events = POLLIN };
		if (poll(p, (nfds_t)np, left) < 0 && errno != EINTR)
			break;
		for (int i = 0, j = 0; i < 2; i++) {
			if (cap[i].fd < 0)
				continue;
			if (p[j++].revents)
				capture_read(&cap[i]);
		}
	}
	err = wait_status(pid);
out_pipes:
	for (int i = 0; i < 2; i++) {
		if (cap[i].fd >= 0)
			close(cap[i].fd);
		if (wfd[i] >= 0)
			close(wfd[i]);
	}
	return err;
}

int run_cmd(const char *const argv[], bool quiet)
{
	int fd = quiet ? FD_DEVNULL : FD_INHERIT;
	pid_t pid;
	int err;

	if (!argv || !argv[0])
		return -EINVAL;
	err = spawn_cmd(argv, fd, fd, &pid);
	if (err)
		return err;
	return wait_status(pid);
}

/* ---- removing objects --------------------------------------------------- */

static int rm_netns(const struct rs_obj *o)
{
	char path[PATH_MAX];
	bool umounted;

	/* What `ip netns delete` does, without its noise for missing names.
	 * The namespace itself lives on until its last process/fd is gone. */
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, o->name);
	umounted = !umount2(path, MNT_DETACH);
	if (!umounted && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path)) {
		if (errno == ENOENT)
			return umounted;
		return -errno;
	}
	return 1;
}

static int rm_link(const struct rs_obj *o)
{
	const char *argv[] = { "ip", "link", "delete", "dev", o->name, NULL };
	char err[256];
	int r;

	if (!if_nametoindex(o->name))
		return 0;
	r = run_cmd_capture(argv, NULL, 0, err, sizeof(err));
	if (!r)
		return 1;
	/* Deleting one end of a veth pair (or its netns) takes the other along. */
	if (!if_nametoindex(o->name))
		return 0;
	err[strcspn(err, "\n")] = 0;
	pr_warn("bypasslab: ip link delete %s: %s\n", o->name, err[0] ? err : "failed");
	return r < 0 ? r : -EIO;
}

static int rm_path(const struct rs_obj *o)
{
	if (unlink(o->name))
		return errno == ENOENT ? 0 : -errno;
	return 1;
}

static int rm_dir(const struct rs_obj *o)
{
	if (rmdir(o->name))
		return errno == ENOENT ? 0 : -errno;
	return 1;
}

static int rm_tree_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT)
		return -errno;
	return 0;
}

static int rm_tree(const struct rs_obj *o)
{
	struct stat st;
	int r;

	if (lstat(o->name, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return rm_path(o);
	/* Depth first, never following links or leaving the file system. */
	r = nftw(o->name, rm_tree_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	return r < 0 ? (errno ? -errno : -EIO) : r > 0 ? -r : 1;
}

static int rm_huge(const struct rs_obj *o)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	const char *base = strrchr(o->name, '/') + 1;
	size_t blen = strlen(base);
	struct dirent *e;
	int removed = 0, err = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%.*s", (int)(base - o->name), o->name);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, base, blen))
			continue;
		snprintf(path, sizeof(path), "%s%s", dir, e->d_name);
		if (!unlink(path))
			removed = 1;
		else if (errno != ENOENT && !err)
			err = -errno;
	}
	closedir(d);
	return err ? err : removed;
}

/* SIGKILL every process in one cgroup directory (v1 hierarchy or v2). */
static void kill_cgroup_procs(const char *dir)
{
	char path[PATH_MAX + 16];
	long pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}

/* rmdir DIR's subdirectories (deepest first), then DIR. 0 if DIR is gone,
 * -errno if it is still there (busy: processes not yet gone). */
static int rmdir_tree(const char *dir, int depth)
{
	struct dirent *e;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (depth < 4 && (e = readdir(d))) {
		char sub[PATH_MAX];

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%.3000s/%s", dir, e->d_name);
		rmdir_tree(sub, depth + 1);
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	return 0;
}

/* The cgroup directories LXC makes for container NAME in the cgroup2 root
 * and in every v1 hierarchy: lxc.payload.NAME and lxc.monitor.NAME (left
 * behind when the container was killed), and the shared lxc.pivot it never
 * removes (only removed when empty: another container may be using it).
 * do_kill: SIGKILL what is still inside instead. Returns how many of the
 * container's own directories are still there. */
static int lxc_cgroups(const char *name, bool do_kill)
{
	static const char *const fmts[] = { "%.3000s/lxc.payload.%s", "%.3000s/lxc.monitor.%s" };
	const char *root = "/sys/fs/cgroup";
	struct dirent *e = NULL;
	int left = 0;
	DIR *d;

	d = opendir(root);
	if (!d)
		return 0;
	for (int first = 1;; first = 0) {
		char hier[PATH_MAX], cg[PATH_MAX];

		if (first) {
			snprintf(hier, sizeof(hier), "%s", root);
		} else {
			e = readdir(d);
			if (!e)
				break;
			if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
			    !strncmp(e->d_name, "lxc.", 4))
				continue;
			snprintf(hier, sizeof(hier), "%s/%s", root, e->d_name);
		}
		for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
			snprintf(cg, sizeof(cg), fmts[f], hier, name);
			if (do_kill)
				kill_cgroup_procs(cg);
			else if (rmdir_tree(cg, 0))
				left++;
		}
		if (!do_kill) {
			snprintf(cg, sizeof(cg), "%.3000s/lxc.pivot", hier);
			rmdir(cg);
		}
	}
	closedir(d);
	return left;
}

/* Run argv for at most timeout_ms, then SIGKILL it. Its status, or -ETIME. */
static int run_cmd_bounded(const char *const argv[], int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	pid_t pid;
	int st, err = spawn_cmd(argv, FD_DEVNULL, FD_DEVNULL, &pid);

	if (err)
		return err;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_ms() >= end) {
			kill(pid, SIGKILL);
			wait_status(pid);
			return -ETIME;
		}
		usleep(10000);
	}
}

/* SIGKILL the lxc-execute monitor of container name in dir, if one is
 * left: killed at the wrong moment of its start, a container can leave a
 * monitor that waits forever, and lxc-stop with it. The name carries the
 * run's prefix, so only the run's own monitor matches. */
static void kill_lxc_monitor(const char *name, const char *dir)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], buf[1024];
		bool has_n = false, has_p = false;
		size_t len;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		if (!strstr(buf, "lxc-execute"))
			continue;
		/* argv is NUL-separated: "-n" NAME ... "-P" DIR */
		for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
			const char *next = buf + i + strlen(buf + i) + 1;

			if (next >= buf + len)
				break;
			has_n |= !strcmp(buf + i, "-n") && !strcmp(next, name);
			has_p |= !strcmp(buf + i, "-P") && !strcmp(next, dir);
		}
		if (has_n && has_p)
			kill((pid_t)atol(e->d_name), SIGKILL);
	}
	closedir(d);
}

static int rm_lxc(const struct rs_obj *o)
{
	const char *name = strrchr(o->name, '/') + 1;
	char dir[PATH_MAX], cfg[PATH_MAX + 16];
	int removed = 0;

	snprintf(dir, sizeof(dir), "%.*s", (int)(name - 1 - o->name), o->name);
	if (!access(o->name, F_OK)) {
		const char *argv[] = { "lxc-stop", "-k", "-n", name, "-P", dir, NULL };

		/* Not running (the usual case at this point) is no error; a
		 * monitor that no longer answers is killed instead. */
		if (run_cmd_bounded(argv, 5000) == -ETIME)
			pr_warn("bypasslab: lxc-stop %s did not return; killing its monitor\n", name);
		kill_lxc_monitor(name, dir);
	}
	/* lxc-stop needs the container's monitor; if that was killed, its
	 * processes may still be in the payload cgroup. A cgroup directory can
	 * only go once the last of them has exited: bounded wait. */
	lxc_cgroups(name, true);
	for (int i = 0; i < 200 && lxc_cgroups(name, false); i++)
		usleep(10000);
	snprintf(cfg, sizeof(cfg), "%s/config", o->name);
	if (!unlink(cfg))
		removed = 1;
	if (!rmdir(o->name))
		removed = 1;
	else if (errno != ENOENT)
		return -errno;
	return removed;
}

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static void reap_if_child(pid_t pid)
{
	while (waitpid(pid, NULL, WNOHANG) < 0 && errno == EINTR)
		;
}

static int rm_pid(const struct rs_obj *o)
{
	pid_t pid = (pid_t)atol(o->name);
	unsigned long long start;
	struct pollfd p;
	int pidfd, err = 1;
	char state;

	/* The pidfd pins the process: no pid reuse between check and kill. */
	pidfd = sys_pidfd_open(pid);
	if (pidfd < 0) {
		if (errno == ESRCH)
			return 0;
		if (errno != ENOSYS)
			return -errno;
	}
	if (proc_stat_read(pid, &state, &start) || start != o->start) {
		err = 0; /* gone, or the pid now belongs to someone else */
		goto out_pidfd;
	}
	if (state == 'Z' || state == 'X') {
		reap_if_child(pid);
		err = 0;
		goto out_pidfd;
	}
	if (pidfd >= 0 ? sys_pidfd_send_signal(pidfd, SIGKILL) : kill(pid, SIGKILL)) {
		err = errno == ESRCH ? 0 : -errno;
		goto out_pidfd;
	}
	if (pidfd >= 0) {
		/* A pidfd polls readable once the process has exited, ours or not. */
		p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		while (poll(&p, 1, KILL_WAIT_MS) < 0 && errno == EINTR)
			;
	} else {
		uint64_t end = now_ms() + KILL_WAIT_MS;

		while (proc_starttime(pid) == o->start && now_ms() < end) {
			struct timespec ts = { 0, 1000000 };

			reap_if_child(pid);
			nanosleep(&ts, NULL);
		}
	}
	reap_if_child(pid);
out_pidfd:
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

/* ---- the state file ------------------------------------------------------- */

static struct runstate *rs_alloc(const char *prefix)
{
	struct runstate *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	snprintf(rs->prefix, sizeof(rs->prefix), "%.*s", RS_PREFIX_LEN, prefix);
	rs->fd = -1;
	if (state_path(rs->path, sizeof(rs->path), prefix)) {
		free(rs);
		errno = ENAMETOOLONG;
		return NULL;
	}
	return rs;
}

static void rs_free(struct runstate *rs)
{
	for (size_t i = 0; i < rs->nobjs; i++)
		free(rs->objs[i].name);
	free(rs->objs);
	if (rs->fd >= 0)
		close(rs->fd);
	free(rs);
}

static int rs_reserve(struct runstate *rs)
{
	struct rs_obj *o;
	size_t cap;

	if (rs->nobjs < rs->cap)
		return 0;
	cap = rs->cap ? rs->cap * 2 : 16;
	o = realloc(rs->objs, cap * sizeof(*o));
	if (!o)
		return -ENOMEM;
	rs->objs = o;
	rs->cap = cap;
	return 0;
}

static int rs_push(struct runstate *rs, enum rs_kind kind, const char *name,
		   unsigned long long start)
{
	struct rs_obj *o;
	int err = rs_reserve(rs);

	if (err)
		return err;
	o = &rs->objs[rs->nobjs];
	o->name = strdup(name);
	if (!o->name)
		return -ENOMEM;
	o->kind = kind;
	o->live = true;
	o->start = start;
	rs->nobjs++;
	return 0;
}

/* Durable before the caller goes on to create or forget the object. */
static int rs_append(struct runstate *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int rs_append(struct runstate *rs, const char *fmt, ...)
{
	char line[PATH_MAX + 64];
	va_list ap;
	int n, err;

	if (rs->fd < 0)
		return -EBADF;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	err = write_all(rs->fd, line, (size_t)n);
	if (err)
		return err;
	if (fsync(rs->fd))
		return -errno;
	return 0;
}

static struct rs_obj *rs_find_live(struct runstate *rs, enum rs_kind kind, const char *name)
{
	for (size_t i = rs->nobjs; i-- > 0;) {
		struct rs_obj *o = &rs->objs[i];

		if (o->live && o->kind == kind && !strcmp(o->name, name))
			return o;
	}
	return NULL;
}

static int mkdir_state_dir(void)
{
	if (mkdir("/run", 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(RS_STATE_DIR, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* The owner line is in place before the file is visible, so a concurrent
 * cleanup never sees an ownerless file of a live run. */
static int rs_create_file(struct runstate *rs)
{
	char line[96], fdpath[64];
	int n, fd, dfd, err;

	n = snprintf(line, sizeof(line), "owner %d %llu\n", (int)rs->owner, rs->owner_start);
	fd = open(RS_STATE_DIR, O_TMPFILE | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return -errno;
		/* No O_TMPFILE here: a short window with an empty file. */
		fd = open(rs->path, O_CREAT | O_EXCL | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		err = write_all(fd, line, (size_t)n);
		if (!err && fsync(fd))
			err = -errno;
		if (err)
			goto out_unlink;
		rs->fd = fd;
		return 0;
	}
	err = write_all(fd, line, (size_t)n);
	if (!err && fsync(fd))
		err = -errno;
	if (err)
		goto out_fd;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	/* linkat fails with EEXIST if the prefix is taken: O_EXCL for free. */
	if (linkat(AT_FDCWD, fdpath, AT_FDCWD, rs->path, AT_SYMLINK_FOLLOW)) {
		err = -errno;
		goto out_fd;
	}
	dfd = open(RS_STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rs->fd = fd;
	return 0;

out_unlink:
	unlink(rs->path);
out_fd:
	close(fd);
	return err;
}

struct runstate *runstate__open(const char *prefix)
{
	struct runstate *rs;
	int err;

	if (!prefix || strlen(prefix) != RS_PREFIX_LEN || !prefix_valid(prefix)) {
		errno = EINVAL;
		return NULL;
	}
	rs = rs_alloc(prefix);
	if (!rs)
		return NULL;
	rs->owner = getpid();
	rs->owner_start = proc_starttime(rs->owner);
	if (!rs->owner_start) {
		err = -ENOENT; /* no /proc: nobody could tell whether we are alive */
		goto out_free;
	}
	err = mkdir_state_dir();
	if (err)
		goto out_free;
	err = rs_create_file(rs);
	if (err)
		goto out_free;
	return rs;

out_free:
	rs_free(rs);
	errno = -err;
	return NULL;
}

const char *runstate__prefix(const struct runstate *rs)
{
	return rs ? rs->prefix : NULL;
}

const char *runstate__path(const struct runstate *rs)
{
	return rs ? rs->path : NULL;
}

int runstate__add(struct runstate *rs, enum rs_kind kind, const char *name)
{
	int err;

	if (!rs || !name || (unsigned int)kind >= RS_NKINDS || kind == RS_PID)
		return -EINVAL;
	err = name_check(rs->prefix, kind, name);
	if (err)
		return err;
	/* Memory first: once the line is on disk the caller creates the object
	 * and we must be able to undo it. */
	err = rs_reserve(rs);
	if (err)
		return err;
	err = rs_append(rs, "+ %s %s\n", rs_kinds[kind].name, name);
	if (err)
		return err;
	return rs_push(rs, kind, name, 0);
}

int runstate__add_pid(struct runstate *rs, pid_t pid)
{
	unsigned long long start;
	char name[16];
	int err;

	if (!rs || pid <= 0)
		return -EINVAL;
	start = proc_starttime(pid);
	if (!start)
		return -ESRCH;
	snprintf(name, sizeof(name), "%d", (int)pid);
	err = rs_reserve(rs);
	if (err)
		return err;
	err = rs_append(rs, "+ pid %s %llu\n", name, start);
	if (err)
		return err;
	return rs_push(rs, RS_PID, name, start);
}

int runstate__done(struct runstate *rs, enum rs_kind kind, const char *name)
{
	struct rs_obj *o;
	int err;

	if (!rs || !name || (unsigned int)kind >= RS_NKINDS)
		return -EINVAL;
	o = rs_find_live(rs, kind, name);
	if (!o)
		return -ENOENT;
	err = rs_append(rs, "- %s %s\n", rs_kinds[kind].name, name);
	/* In memory it is gone either way; a stale '+' only costs a no-op undo. */
	o->live = false;
	return err;
}

static int rs_undo_obj(struct runstate *rs, struct rs_obj *o)
{
	const struct rs_kind_desc *k = &rs_kinds[o->kind];
	int r;

	r = k->remove(o);
	if (r < 0) {
		pr_warn("bypasslab: removing %s %s: %s\n", k->name, o->name, strerror(-r));
		return r;
	}
	if (r > 0 && rs->verbose)
		fprintf(stderr, "bypasslab cleanup: removed %s %s\n", k->name, o->name);
	rs_append(rs, "- %s %s\n", k->name, o->name);
	o->live = false;
	return r;
}

int runstate__undo(struct runstate *rs, enum rs_kind kind, const char *name)
{
	struct rs_obj *o;
	int r;

	if (!rs || !name || (unsigned int)kind >= RS_NKINDS)
		return -EINVAL;
	o = rs_find_live(rs, kind, name);
	if (!o)
		return -ENOENT;
	r = rs_undo_obj(rs, o);
	return r < 0 ? r : 0;
}

/* How many objects were actually removed, or the first -errno. */
static int rs_undo_all_count(struct runstate *rs)
{
	int removed = 0, err = 0;

	/* Newest first: processes before the netns they run in, bridge ports
	 * before the bridge, files before their directory. */
	for (size_t i = rs->nobjs; i-- > 0;) {
		struct rs_obj *o = &rs->objs[i];
		int r;

		if (!o->live)
			continue;
		r = rs_undo_obj(rs, o);
		if (r < 0 && !err)
			err = r;
		else if (r > 0)
			removed++;
	}
	return err ? err : removed;
}

int runstate__undo_all(struct runstate *rs)
{
	int r;

	if (!rs)
		return -EINVAL;
	r = rs_undo_all_count(rs);
	return r < 0 ? r : 0;
}

int runstate__live(const struct runstate *rs)
{
	int n = 0;

	for (size_t i = 0; rs && i < rs->nobjs; i++)
		n += rs->objs[i].live;
	return n;
}

void runstate__close(struct runstate *rs)
{
	if (!rs)
		return;
	if (!runstate__live(rs) && unlink(rs->path) && errno != ENOENT)
		pr_warn("bypasslab: removing %s: %s\n", rs->path, strerror(errno));
	rs_free(rs);
}

/* ---- prefixes --------------------------------------------------------- */

static bool dir_has_prefixed(const char *dir, const char *prefix)
{
	struct dirent *e;
	bool found = false;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = has_run_prefix(e->d_name, prefix);
	closedir(d);
	return found;
}

static bool link_has_prefixed(const char *prefix)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	bool found = false;

	if (!ifs)
		return false;
	for (i = ifs; i->if_index && !found; i++)
		found = has_run_prefix(i->if_name, prefix);
	if_freenameindex(ifs);
	return found;
}

static bool prefix_in_use(const char *prefix)
{
	char path[PATH_MAX];

	if (state_path(path, sizeof(path), prefix) || !access(path, F_OK))
		return true;
	return dir_has_prefixed(NETNS_RUN_DIR, prefix) || dir_has_prefixed(SHM_DIR, prefix) ||
	       link_has_prefixed(prefix);
}

int runstate_gen_prefix(char out[16])
{
	uint8_t rnd[3];

	/* 2^24 prefixes: a collision is unlikely, but cheap to rule out. */
	for (int tries = 0; tries < 16; tries++) {
		ssize_t n = getrandom(rnd, sizeof(rnd), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(rnd))
			return n < 0 ? -errno : -EIO;
		snprintf(out, 16, "bl%02x%02x%02x", rnd[0], rnd[1], rnd[2]);
		if (!prefix_in_use(out))
			return 0;
	}
	return -EEXIST;
}

/* ---- cleanup -------------------------------------------------------------- */

/* Reads a state file someone else (or an earlier run) wrote. Unparsable
 * lines are skipped: the file may end in a torn write. */
static struct runstate *rs_load(const char *prefix, bool owner_only)
{
	struct runstate *rs = rs_alloc(prefix);
	char *line = NULL, kind[16], name[PATH_MAX];
	size_t cap = 0;
	FILE *f;
	int lineno = 0, err = 0;

	if (!rs)
		return NULL;
	f = fopen(rs->path, "re");
	if (!f) {
		err = -errno;
		goto out_free;
	}
	while (getline(&line, &cap, f) > 0) {
		unsigned long long start = 0;
		char op;
		int k, n;

		line[strcspn(line, "\n")] = 0;
		if (++lineno == 1) {
			int pid;

			if (sscanf(line, "owner %d %llu", &pid, &start) == 2) {
				rs->owner = pid;
				rs->owner_start = start;
			}
			if (owner_only)
				break;
			continue;
		}
		n = sscanf(line, "%c %15s %4095s %llu", &op, kind, name, &start);
		k = n >= 3 ? kind_from_name(kind) : -1;
		if (k < 0 || (op != '+' && op != '-') ||
		    name_check(rs->prefix, (enum rs_kind)k, name)) {
			pr_warn("bypasslab: %s:%d: ignoring '%s'\n", rs->path, lineno, line);
			continue;
		}
		if (op == '+') {
			err = rs_push(rs, (enum rs_kind)k, name, start);
			if (err)
				goto out_line;
		} else {
			struct rs_obj *o = rs_find_live(rs, (enum rs_kind)k, name);

			if (o)
				o->live = false;
		}
	}
	if (!owner_only) {
		rs->fd = open(rs->path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (rs->fd < 0) {
			err = -errno;
			goto out_line;
		}
	}
out_line:
	free(line);
	fclose(f);
	if (!err)
		return rs;
out_free:
	rs_free(rs);
	errno = -err;
	return NULL;
}

struct prefix_set {
	char (*p)[16];
	bool *live;
	size_t n, cap;
};

static int pset_add(struct prefix_set *s, const char *prefix, bool live)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char(*p)[16] = realloc(s->p, cap * sizeof(*p));
		bool *l;

		if (!p)
			return -ENOMEM;
		s->p = p;
		l = realloc(s->live, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		s->live = l;
		s->cap = cap;
	}
	snprintf(s->p[s->n], sizeof(s->p[0]), "%.*s", RS_PREFIX_LEN, prefix);
	s->live[s->n++] = live;
	return 0;
}

static void pset_free(struct prefix_set *s)
{
	free(s->p);
	free(s->live);
}

/* Whether objects named "<prefix>-..." belong to a run that is still
 * alive. Looks at the state file again for prefixes not seen in the first
 * pass: a run that started since then wrote it before creating anything. */
static bool prefix_owned(struct prefix_set *s, const char *name, bool force)
{
	struct runstate *rs;
	bool live = false;

	if (force)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (!strncmp(s->p[i], name, RS_PREFIX_LEN))
			return s->live[i];
	rs = rs_load(name, true);
	if (rs) {
		live = owner_alive(rs->owner, rs->owner_start);
		rs_free(rs);
	}
	pset_add(s, name, live);
	return live;
}

/* 0 or the number removed, or -errno. */
static int cleanup_state_file(const char *prefix, bool force, bool verbose,
			      struct prefix_set *seen)
{
	struct runstate *rs = rs_load(prefix, false);
	bool alive;
	int r;

	if (!rs)
		return errno == ENOENT ? 0 : -errno;
	alive = owner_alive(rs->owner, rs->owner_start);
	if (alive && !force) {
		if (verbose)
			fprintf(stderr, "bypasslab cleanup: %s: owner pid %d is running, skipped\n",
				prefix, (int)rs->owner);
		r = pset_add(seen, prefix, true);
		goto out_free;
	}
	if (verbose)
		fprintf(stderr, "bypasslab cleanup: %s: owner pid %d %s, %d object(s) left\n",
			prefix, (int)rs->owner, alive ? "is running (forced)" : "is gone",
			runstate__live(rs));
	rs->verbose = verbose;
	r = rs_undo_all_count(rs);
	if (!runstate__live(rs)) {
		if (!unlink(rs->path)) {
			if (verbose)
				fprintf(stderr, "bypasslab cleanup: removed %s\n", rs->path);
		} else if (errno != ENOENT && r >= 0) {
			r = -errno;
		}
	}
	pset_add(seen, prefix, false);
out_free:
	rs_free(rs);
	return r;
}

static int sweep_one(enum rs_kind kind, const char *name, bool verbose)
{
	struct rs_obj o = { .kind = kind, .live = true, .name = (char *)name };
	int r = rs_kinds[kind].remove(&o);

	if (r < 0)
		pr_warn("bypasslab cleanup: removing %s %s: %s\n", rs_kinds[kind].name, name,
			strerror(-r));
	else if (r > 0 && verbose)
		fprintf(stderr, "bypasslab cleanup: removed orphan %s %s\n", rs_kinds[kind].name,
			name);
	return r;
}

/* Objects that escaped their state file (or whose file is gone). */
static bool is_lxc_dir(const char *path)
{
	char cfg[PATH_MAX + 16], line[256];
	bool lxc = false;
	FILE *f;

	snprintf(cfg, sizeof(cfg), "%s/config", path);
	f = fopen(cfg, "re");
	if (!f)
		return false;
	while (!lxc && fgets(line, sizeof(line), f))
		lxc = !strncmp(line, "lxc.", 4);
	fclose(f);
	return lxc;
}

static int sweep_dir(const char *dir, enum rs_kind kind, struct prefix_set *seen, bool force,
		     bool verbose, int *err)
{
	char path[PATH_MAX];
	struct dirent *e;
	int removed = 0;
	DIR *d = opendir(dir);

	if (!d) {
		if (errno != ENOENT && !*err)
			*err = -errno;
		return 0;
	}
	while ((e = readdir(d))) {
		int r;

		if (!runstate_name_has_prefix(e->d_name) || prefix_owned(seen, e->d_name, force))
			continue;
		if (kind == RS_NETNS)
			snprintf(path, sizeof(path), "%s", e->d_name);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		/* In the state directory, an LXC container's directory (it has
		 * the config the run wrote) is stopped as a container. */
		r = sweep_one(kind == RS_TREE && is_lxc_dir(path) ? RS_LXC : kind, path, verbose);
		if (r < 0 && !*err)
			*err = r;
		else if (r > 0)
			removed++;
	}
	closedir(d);
	return removed;
}

static int sweep_links(struct prefix_set *seen, bool force, bool verbose, int *err)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int removed = 0;

	if (!ifs) {
		if (!*err)
			*err = -errno;
		return 0;
	}
	for (i = ifs; i->if_index; i++) {
		int r;

		if (!runstate_name_has_prefix(i->if_name) || prefix_owned(seen, i->if_name, force))
			continue;
		r = sweep_one(RS_LINK, i->if_name, verbose);
		if (r < 0 && !*err)
			*err = r;
		else if (r > 0)
			removed++;
	}
	if_freenameindex(ifs);
	return removed;
}

static bool state_file_name(const char *name, char prefix[16])
{
	if (strlen(name) != RS_PREFIX_LEN + 6 || strcmp(name + RS_PREFIX_LEN, ".state") ||
	    !prefix_valid(name))
		return false;
	snprintf(prefix, 16, "%.*s", RS_PREFIX_LEN, name);
	return true;
}

int cleanup_all(bool force, bool verbose)
{
	struct prefix_set seen = { 0 };
	struct dirent *e;
	char prefix[16];
	int removed = 0, err = 0;
	DIR *d;

	d = opendir(RS_STATE_DIR);
	if (!d && errno != ENOENT)
		err = -errno;
	while (d && (e = readdir(d))) {
		int r;

		if (!state_file_name(e->d_name, prefix))
			continue;
		r = cleanup_state_file(prefix, force, verbose, &seen);
		if (r < 0 && !err)
			err = r;
		else if (r > 0)
			removed += r;
	}
	if (d)
		closedir(d);
	/* Root-netns links before namespaces: deleting a host-side veth takes
	 * its peer along at once, while a deleted netns frees its veths later
	 * from a kernel workqueue. */
	removed += sweep_links(&seen, force, verbose, &err);
	removed += sweep_dir(NETNS_RUN_DIR, RS_NETNS, &seen, force, verbose, &err);
	removed += sweep_dir(SHM_DIR, RS_SHM, &seen, force, verbose, &err);
	/* DPDK: hugepage files and runtime directories of every --file-prefix. */
	removed += sweep_dir(HUGE_DIR, RS_HUGE, &seen, force, verbose, &err);
	removed += sweep_dir(DPDK_RUN_DIR, RS_TREE, &seen, force, verbose, &err);
	/* Socket and switch directories, and LXC containers whose state
	 * file is gone. */
	removed += sweep_dir(RS_STATE_DIR, RS_TREE, &seen, force, verbose, &err);
	pset_free(&seen);
	return err ? err : removed;
}
