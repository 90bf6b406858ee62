/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kinds of object a run records in its run-state file: how each name
 * is checked and how each object is removed. Private to runstate*.c; the
 * public interface is runstate.h.
 */
#ifndef BL_RUNSTATE_KINDS_H
#define BL_RUNSTATE_KINDS_H

#include <stdbool.h>

#include "runstate.h"

#define NETNS_RUN_DIR "/run/netns"

struct rs_obj {
	enum rs_kind kind;
	bool live;
	unsigned long long start; /* RS_PID: starttime of the process */
	char *name;
};

enum rs_name_rule {
	RS_NAME_IFACE, /* "<prefix>-..." and at most IFNAMSIZ-1 chars */
	RS_NAME_NETNS, /* "<prefix>-..." file name under /run/netns */
	RS_NAME_PATH,  /* absolute path, basename starts with the prefix */
	RS_NAME_PID,   /* decimal pid */
};

/* Returns 1 removed, 0 already gone, or -errno. */
typedef int (*rs_remove_fn)(const struct rs_obj *o);

struct rs_kind_desc {
	const char *name; /* as written in the state file */
	enum rs_name_rule rule;
	rs_remove_fn remove;
};

/* Indexed by enum rs_kind. */
extern const struct rs_kind_desc rs_kinds[RS_NKINDS];

#endif
