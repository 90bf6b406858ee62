/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit codes of every subcommand. Only main-level functions (do_<cmd>) map
 * errors to these; everything below returns 0 or -errno.
 */
#ifndef BL_EXITCODE_H
#define BL_EXITCODE_H

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_UNSUPPORTED = 3, /* the harness records it as SKIP */
	/* A run a signal ended exits 128 + the signal: 130 SIGINT, 143
	 * SIGTERM, 129 SIGHUP (interrupt_exit_code()). */
	EXIT_SIGNAL_BASE = 128,
};

#endif
