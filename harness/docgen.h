/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the man page, the bash completion, --help and --version are made
 * of: the subcommand table (main.c), the config schema (config_key) and
 * the libraries found at build time. The man page and the completion are
 * generated from these by the binary itself (`bypasslab man`,
 * `bypasslab completion`), at build time, so they cannot drift from it.
 */
#ifndef BL_DOCGEN_H
#define BL_DOCGEN_H

struct bl_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help; /* "name ARGS: what it does"; NULL: hidden */
};

/* The subcommands (commands.c), NULL-terminated. */
extern const struct bl_command bl_commands[];

struct bl_lib {
	const char *name, *version; /* version "none" if not found at build time */
};

/* libbpf, libxdp, DPDK, liburing (and the rest) as pkg-config saw them
 * at build time, NULL-terminated. */
extern const struct bl_lib bl_build_libs[];

/* `bypasslab version` (and --version): the version and bl_build_libs. */
int do_version(int argc, char **argv);
/* `bypasslab man`: bypasslab(1) in roff on stdout. */
int do_man(int argc, char **argv);
/* `bypasslab completion`: a bash completion script on stdout. */
int do_completion(int argc, char **argv);

#endif
