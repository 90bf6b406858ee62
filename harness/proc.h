/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running external processes: helper commands with bounded waits, and the
 * pid + starttime identity that keeps a kill away from a reused pid.
 */
#ifndef BL_PROC_H
#define BL_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Run argv (argv[0] looked up in PATH, then /usr/sbin and /sbin; no shell).
 * quiet: stdout and stderr to /dev/null. Returns the exit status
 * (128 + signal if killed) or -errno if it could not be started. */
int run_cmd(const char *const argv[], bool quiet);
/* Same, capturing stdout into out and stderr into err (each NUL-terminated,
 * truncated to its size; NULL discards that stream). */
int run_cmd_capture(const char *const argv[], char *out, size_t outlen, char *err,
		    size_t errlen);
/* Run argv quietly for at most timeout_ms, then SIGKILL it. Its status,
 * or -ETIME. */
int run_cmd_bounded(const char *const argv[], int timeout_ms);

/* starttime (field 22 of /proc/PID/stat) in clock ticks; 0 if the process
 * does not exist or is a zombie. */
unsigned long long proc_starttime(pid_t pid);
/* SIGKILL pid if its starttime is still start, wait up to wait_ms for it
 * to go and reap it if it is our child. 1 killed, 0 already gone (or the
 * pid belongs to another process now), or -errno. */
int proc_kill(pid_t pid, unsigned long long start, int wait_ms);

#endif
