// SPDX-License-Identifier: BSD-3-Clause
/*
 * bypasslab: one binary, subcommands in a table (xdp-bench style).
 * Exit codes: 0 ok, 1 error, 2 usage/bad input, 3 unsupported here,
 * 128 + signal when a signal ended a run (130 SIGINT, 143 SIGTERM, 129 SIGHUP).
 */
#include <stdio.h>
#include <string.h>

#include "endpoint.h"
#include "harness.h"
#include "log.h"
#include "sriov.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "run", do_run, "run CONFIG [--set key=v1,v2]... [--json] [-v]: run every case of a config" },
	{ "cleanup", do_cleanup, "cleanup [--force] [-v]: remove what crashed or killed runs left" },
	{ "probe", do_probe, "probe: which datapaths work on this machine" },
	{ "keys", do_keys, "keys: every config key, its section, allowed values and default" },
	{ "topo", do_topo, "topo [--topology bridge|direct] -- CMD: run CMD on a run's topology" },
	{ "report", do_report, "report RUN_DIR [--out DIR]: tables, CSV, plots, HTML page" },
	{ "compare", do_compare, "compare RUN_A RUN_B | RUN --by KEY A B [--json]: B/A with CIs" },
	{ "sriov", sriov_main, "sriov [--sysfs ROOT] [--json]: SR-IOV PFs and VFs (exit 2 if none)" },
	{ "endpoint", endpoint_main, "endpoint --shm PATH: one endpoint (started by run)" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bypasslab COMMAND [ARGS]\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %s\n", c->help);
}

int main(int argc, char **argv)
{
	const struct command *hit = NULL;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	/* A unique prefix selects the command. */
	for (const struct command *c = commands; c->name; c++) {
		if (!strncmp(c->name, argv[1], strlen(argv[1]))) {
			if (hit) {
				fprintf(stderr, "bypasslab: '%s' is ambiguous\n", argv[1]);
				return 2;
			}
			hit = c;
		}
	}
	if (!hit) {
		fprintf(stderr, "bypasslab: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	return hit->fn(argc - 1, argv + 1);
}
