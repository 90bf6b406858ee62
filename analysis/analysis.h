/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The analysis subcommands. They read result JSON only and include nothing
 * from harness/; they return the exit codes of exitcode.h.
 */
#ifndef BL_ANALYSIS_H
#define BL_ANALYSIS_H

int do_report(int argc, char **argv);  /* report.c */
int do_compare(int argc, char **argv); /* compare.c */

#endif
