// SPDX-License-Identifier: BSD-3-Clause
/*
 * bypasslab: one binary, subcommands in a table (xdp-bench style).
 * Exit codes: 0 ok, 1 error, 2 usage/bad input, 3 unsupported here,
 * 128 + signal when a signal ended a run (130 SIGINT, 143 SIGTERM, 129 SIGHUP).
 */
#include <stdio.h>
#include <string.h>

#include "docgen.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: bypasslab COMMAND [ARGS]\n\ncommands:\n");
	for (const struct bl_command *c = bl_commands; c->name; c++)
		if (c->help)
			fprintf(f, "  %s\n", c->help);
}

int main(int argc, char **argv)
{
	const struct bl_command *hit = NULL;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return do_version(argc - 1, argv + 1);
	/* A unique prefix selects a listed command; a hidden one its full name. */
	for (const struct bl_command *c = bl_commands; c->name; c++) {
		if (!c->help ? !strcmp(c->name, argv[1])
			     : !strncmp(c->name, argv[1], strlen(argv[1]))) {
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
