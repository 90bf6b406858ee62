// SPDX-License-Identifier: BSD-3-Clause
/*
 * Running and ending external processes: helper commands (ip, lxc-stop,
 * ovs-vsctl...) with bounded waits, and the pid + starttime identity the
 * run-state file records so that a reused pid is never killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "log.h"
#include "proc.h"

extern char **environ;

/* A stuck helper command must not hang a run or its cleanup forever. */
#define CMD_TIMEOUT_MS 30000

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

int run_cmd_bounded(const char *const argv[], int timeout_ms)
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

/* Bounded: a process stuck in the kernel must not hang the cleanup. */
static void wait_gone(pid_t pid, int pidfd, unsigned long long start, int wait_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	uint64_t end = now_ms() + (uint64_t)wait_ms;

	if (pidfd >= 0) {
		/* A pidfd polls readable once the process has exited, ours or not. */
		while (poll(&p, 1, wait_ms) < 0 && errno == EINTR)
			;
		return;
	}
	while (proc_starttime(pid) == start && now_ms() < end) {
		struct timespec ts = { 0, 1000000 };

		reap_if_child(pid);
		nanosleep(&ts, NULL);
	}
}

int proc_kill(pid_t pid, unsigned long long want_start, int wait_ms)
{
	unsigned long long start;
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
	if (proc_stat_read(pid, &state, &start) || start != want_start) {
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
	wait_gone(pid, pidfd, want_start, wait_ms);
	reap_if_child(pid);
out_pidfd:
	if (pidfd >= 0)
		close(pidfd);
	return err;
}
