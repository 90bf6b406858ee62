/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A run's signals as a file descriptor: SIGINT, SIGTERM and SIGHUP are
 * blocked for the run and read from a signalfd in every wait, so an
 * interrupt ends the current case at its next wait, which then tears it
 * down and keeps what finished before it.
 */
#ifndef BL_INTERRUPT_H
#define BL_INTERRUPT_H

#include <stdint.h>

/* Block the signals and open the signalfd: 0, or -1 with errno set. */
int interrupt_begin(void);
/* Close the signalfd and restore the signal mask the run started with. */
void interrupt_end(void);
/* The signal that interrupted the run, 0 while none has (reads the
 * signalfd without waiting, so a signal that came outside a wait counts). */
int interrupt_caught(void);
/* In a forked child before exec: a process group of its own, SIGINT,
 * SIGTERM and SIGHUP ignored, the mask the harness started with. */
void interrupt_child(void);
/* The exit code for a run ended by sig: 128 + sig (130, 143, 129). */
int interrupt_exit_code(int sig);
/* Test hook: BYPASSLAB_TEST_SIGNAL=POINT:SIGNO signals the process group
 * at POINT (startup, window, teardown), once. */
void interrupt_test_point(const char *point);

/* Sleep up to ms, waking on a signal: -EINTR once interrupted. */
int hsleep_ms(int ms);
/* Sleep until mono_ns() >= t (or a signal). */
int hsleep_until(uint64_t t);

#endif
