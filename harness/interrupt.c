// SPDX-License-Identifier: BSD-3-Clause
/*
 * Signals read from a signalfd, not handled asynchronously: a wait that
 * sees one returns -EINTR and the case unwinds through its one exit path.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

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
	sig_fd = signalfd(-1, &sig_blocked, SFD_CLOEXEC);
	return sig_fd < 0 ? -1 : 0;
}

void interrupt_end(void)
{
	if (sig_fd >= 0)
		close(sig_fd);
	sig_fd = -1;
	sigprocmask(SIG_SETMASK, &sig_saved, NULL);
}

int interrupt_caught(void)
{
	return interrupted;
}

void interrupt_child(void)
{
	sigprocmask(SIG_SETMASK, &sig_saved, NULL);
}

int hsleep_ms(int ms)
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
