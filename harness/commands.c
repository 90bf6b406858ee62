// SPDX-License-Identifier: BSD-3-Clause
/*
 * The subcommand table main() dispatches on, which --help, the man page
 * and the bash completion are also written from (docgen.c); and
 * `bypasslab version`.
 */
#include <stdio.h>

#include "build_version.h" /* generated: BL_VERSION */
#include "docgen.h"
#include "endpoint.h"
#include "harness.h"
#include "sriov.h"

/* The subcommands: --help, the man page and the completion all read this
 * table (docgen.c). A NULL help hides a command from all three; hidden
 * commands match only by their full name. */
const struct bl_command bl_commands[] = {
	{ "run", do_run, "run CONFIG [--set key=v1,v2]... [--json] [-v]: run every case of a config "
			 "(CONFIG '-': standard input)" },
	{ "cleanup", do_cleanup, "cleanup [--force] [-v] [--host H [--ssh-options O] [--remote-bin P]]: "
				 "remove what crashed or killed runs left, here or on host H over ssh" },
	{ "probe", do_probe, "probe: which datapaths the calling user can run on this machine" },
	{ "keys", do_keys, "keys: every config key, its section, allowed values and default" },
	{ "topo", do_topo, "topo [--topology bridge|direct] -- CMD: run CMD on a run's topology" },
	{ "report", do_report, "report RUN_DIR [--out DIR]: tables, CSV, plots, HTML page" },
	{ "compare", do_compare, "compare RUN_A RUN_B | RUN --by KEY A B [--json]: B/A with CIs" },
	{ "sriov", sriov_main, "sriov [--sysfs ROOT] [--json]: SR-IOV PFs and VFs (exit 2 if none)" },
	{ "endpoint", endpoint_main, "endpoint --shm PATH: one endpoint (started by run)" },
	{ "agent", agent_main, "agent: one side of a topology=hosts case on this host, driven "
			       "over stdin/stdout (started by run, through ssh)" },
	{ "version", do_version, "version: the version and the libraries it was built against "
				 "(also --version)" },
	{ "man", do_man, NULL },
	{ "completion", do_completion, NULL },
	{ NULL, NULL, NULL },
};

int do_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("bypasslab %s\n", BL_VERSION);
	for (int i = 0; bl_build_libs[i].name; i++)
		printf("  %-8s %s\n", bl_build_libs[i].name, bl_build_libs[i].version);
	return 0;
}

