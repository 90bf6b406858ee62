/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run state: every object a run creates carries the run's prefix
 * ("bl" + 6 hex digits) and is written to /run/bypasslab/<prefix>.state
 * before it exists, so a crashed or killed run can always be undone by
 * `bypasslab cleanup` (cleanup_all) or by the run's own error paths.
 *
 * File format, one record per line, appended and fsync'd:
 *   owner <pid> <starttime>      first line; starttime = /proc/pid/stat #22
 *   + <kind> <name>              before the object is created
 *   + pid <pid> <starttime>      an endpoint process to kill
 *   - <kind> <name>              after it was removed ("- pid <pid>")
 *   run <path>                   the run's run.json (absolute): cleanup marks
 *                                it "killed" if the owner died while running
 * A name may be added again after it was removed (one topology per case).
 */
#ifndef BL_RUNSTATE_H
#define BL_RUNSTATE_H

#include <stdbool.h>
#include <sys/types.h>

#define RS_STATE_DIR "/run/bypasslab"
#define RS_PREFIX_LEN 8 /* "bl" + 6 lowercase hex digits */

/* To add a kind: a value here and a row in rs_kinds[] (runstate_kinds.c). */
enum rs_kind {
	RS_NETNS = 0, /* name under /run/netns */
	RS_LINK,      /* link in the root netns */
	RS_SHM,       /* absolute path, e.g. /dev/shm/<prefix>-a */
	RS_PID,       /* process: name is the decimal pid */
	RS_FILE,      /* absolute path */
	RS_DIR,       /* absolute path of a directory, empty when removed */
	RS_LXC,       /* LXC container: absolute path DIR/NAME of its directory
		       * (lxc-execute -P DIR -n NAME); removal stops it, deletes
		       * the directory and the cgroup directories LXC leaves */
	RS_TREE,      /* absolute path of a directory, removed with its
		       * contents (DPDK runtime dirs, vhost-user socket dirs) */
	RS_HUGE,      /* absolute path DIR/BASE: every file in DIR whose name
		       * starts with BASE (DPDK hugepage files of a --file-prefix) */
	RS_IFACE,     /* absolute path of an interface's restore record
		       * (iface.h): removal moves the interface back where it
		       * came from and restores it, then deletes the record.
		       * Recorded after the run's namespaces, so undone first. */
	RS_NKINDS,
};

struct runstate;

/* "bl" + 6 lowercase hex digits from getrandom(), not in use by any state
 * file, netns or link. 0 or -errno. */
int runstate_gen_prefix(char out[16]);
/* True if name starts with "bl" + 6 lowercase hex digits + '-'. */
bool runstate_name_has_prefix(const char *name);

/* Create RS_STATE_DIR/<prefix>.state (fails with EEXIST if the prefix is taken). */
struct runstate *runstate__open(const char *prefix);
const char *runstate__prefix(const struct runstate *rs);
const char *runstate__path(const struct runstate *rs);
/* Record an object before creating it (processes: runstate__add_pid).
 * netns/link names must start with "<prefix>-", paths must be absolute
 * with a basename starting with the prefix (-EINVAL otherwise), so a
 * damaged state file cannot name anything that is not the run's own. */
int runstate__add(struct runstate *rs, enum rs_kind kind, const char *name);
/* Record a started process (with its starttime, against pid reuse). */
int runstate__add_pid(struct runstate *rs, pid_t pid);
/* Record that the object is gone (the caller removed it, or it was never
 * created). For RS_PID the name is the decimal pid. */
int runstate__done(struct runstate *rs, enum rs_kind kind, const char *name);
/* Remove one live object now (tolerating that it is already gone) and
 * record it done. 0, -ENOENT if it is not recorded live, or -errno (then
 * it stays live). Links are looked up in the calling thread's netns: call
 * these from the root netns. */
int runstate__undo(struct runstate *rs, enum rs_kind kind, const char *name);
/* Remove every live object, newest first: SIGKILL processes whose
 * starttime still matches (and reap our children), delete netns and links,
 * unlink files, rmdir directories. Idempotent; tolerant of objects that are
 * already gone. 0, or the first -errno after trying all of them. */
int runstate__undo_all(struct runstate *rs);
/* True if the state file of prefix names a live owner (pid + starttime). */
bool runstate_prefix_live(const char *prefix);
/* Record the run's run.json (an absolute path), so that `bypasslab
 * cleanup` of a killed run marks it killed. 0 or -errno. */
int runstate__set_run(struct runstate *rs, const char *run_json);
/* Number of objects still recorded live. */
int runstate__live(const struct runstate *rs);
/* Free; removes the state file if nothing is live any more. */
void runstate__close(struct runstate *rs);

/* `bypasslab cleanup`: undo every state file whose owner is dead (or all of
 * them with force), then restore the interfaces of orphaned restore records
 * and remove netns, root-netns links and /dev/shm files named "bl??????-*"
 * whose prefix has no live owner. Returns the number of
 * objects removed, or -errno. verbose: say what is removed on stderr. */
int cleanup_all(bool force, bool verbose);

#endif
