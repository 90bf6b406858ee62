// SPDX-License-Identifier: BSD-3-Clause
/*
 * Signals read from a signalfd, not handled asynchronously: a wait that
 * sees one returns -EINTR and the case unwinds through its one exit path.
 *
 * The harness owns SIGINT, SIGTERM and SIGHUP. Every child it forks and
 * execs itself (endpoints, lxc-execute) goes into a process group of its
 * own with those signals ignored, so a signal sent to the harness's process
 * group (a terminal's ^C, `kill -TERM -PGID`) reaches the harness alone,
 * which then ends the case in order. Helpers started with posix_spawn
 * inherit the blocked mask and finish what they were doing.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "exitcode.h"
#include "interrupt.h"
#include "log.h"
#include "tsc.h"

static int sig_fd = -1;
static int interrupted;
static sigset_t sig_blocked, sig_saved;

int interrupt_begin(void)
{
	sigemptyset(&sig_blocked);
	sigaddset(&sig_blocked, SIGINT);
	sigaddset(&sig_blocked, SIGTERM);
	sigaddset(&sig_blocked, SIGHUP);
	sigprocmask(SIG_BLOCK, &sig_blocked, &sig_saved);
	sig_fd = signalfd(-1, &sig_blocked, SFD_CLOEXEC | SFD_NONBLOCK);
	return sig_fd < 0 ? -1 : 0;
}

void interrupt_end(void)
{
	if (sig_fd >= 0)
		close(sig_fd);
	sig_fd = -1;
	sigprocmask(SIG_SETMASK, &sig_saved, NULL);
}

/* Read what the signalfd holds; the first signal is the one that counts. */
static int interrupt_read(void)
{
	struct signalfd_siginfo si;

	if (sig_fd < 0)
		return 0;
	while (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (interrupted)
			continue;
		interrupted = (int)si.ssi_signo;
		pr_warn("bypasslab: %s: stopping after tearing down the current case\n",
			strsignal((int)si.ssi_signo));
	}
	return interrupted;
}

int interrupt_caught(void)
{
	return interrupted ? interrupted : interrupt_read();
}

void interrupt_child(void)
{
	/* Its own process group, and the harness's signals ignored before
	 * they are unblocked: one sent to the group between fork and here is
	 * pending in this child and would otherwise kill it now. Ignored
	 * stays ignored across exec. */
	setpgid(0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* The harness ignores it while it talks to agents (ep_remote.c). */
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &sig_saved, NULL);
}

int interrupt_exit_code(int sig)
{
	return EXIT_SIGNAL_BASE + sig;
}

/*
 * BYPASSLAB_TEST_SIGNAL=POINT:SIGNO sends SIGNO to the harness's whole
 * process group once, when the run reaches POINT (startup: an endpoint
 * was just forked; window: the window is open; teardown: the endpoints
 * are being stopped). The integration tests use it to signal at a known
 * moment, as a terminal or `kill -SIG -PGID` would.
 */
void interrupt_test_point(const char *point)
{
	static int done;
	const char *v = getenv("BYPASSLAB_TEST_SIGNAL");
	size_t n = strlen(point);
	char *end;
	long sig;

	if (done || !v || strncmp(v, point, n) || v[n] != ':')
		return;
	sig = strtol(v + n + 1, &end, 10);
	if (*end || sig <= 0 || sig >= 32)
		return;
	done = 1;
	kill(0, (int)sig);
}

int hsleep_ms(int ms)
{
	struct pollfd p = { .fd = sig_fd, .events = POLLIN };

	if (interrupt_caught())
		return -EINTR;
	if (poll(&p, 1, ms) > 0 && (p.revents & POLLIN) && interrupt_read())
		return -EINTR;
	return 0;
}

int hsleep_until(uint64_t t)
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
