// SPDX-License-Identifier: BSD-3-Clause
/*
 * Every kind's undo. Each remove function tolerates an object that is
 * already gone (it runs after crashes, on signals and twice in a row) and
 * says whether it removed anything, so that cleanup can report it.
 * To add a kind: a value in enum rs_kind (runstate.h) and a row in
 * rs_kinds[] below.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "iface.h"
#include "log.h"
#include "proc.h"
#include "runstate_kinds.h"

/* How long a SIGKILLed endpoint may take to disappear. */
#define KILL_WAIT_MS 2000

static int rm_netns(const struct rs_obj *o)
{
	char path[PATH_MAX];
	bool umounted;

	/* What `ip netns delete` does, without its noise for missing names.
	 * The namespace itself lives on until its last process/fd is gone. */
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, o->name);
	umounted = !umount2(path, MNT_DETACH);
	if (!umounted && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path)) {
		if (errno == ENOENT)
			return umounted;
		return -errno;
	}
	return 1;
}

static int rm_link(const struct rs_obj *o)
{
	const char *argv[] = { "ip", "link", "delete", "dev", o->name, NULL };
	char err[256];
	int r;

	if (!if_nametoindex(o->name))
		return 0;
	r = run_cmd_capture(argv, NULL, 0, err, sizeof(err));
	if (!r)
		return 1;
	/* Deleting one end of a veth pair (or its netns) takes the other along. */
	if (!if_nametoindex(o->name))
		return 0;
	err[strcspn(err, "\n")] = 0;
	pr_warn("bypasslab: ip link delete %s: %s\n", o->name, err[0] ? err : "failed");
	return r < 0 ? r : -EIO;
}

static int rm_path(const struct rs_obj *o)
{
	if (unlink(o->name))
		return errno == ENOENT ? 0 : -errno;
	return 1;
}

static int rm_dir(const struct rs_obj *o)
{
	if (rmdir(o->name))
		return errno == ENOENT ? 0 : -errno;
	return 1;
}

static int rm_tree_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT)
		return -errno;
	return 0;
}

static int rm_tree(const struct rs_obj *o)
{
	struct stat st;
	int r;

	if (lstat(o->name, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return rm_path(o);
	/* Depth first, never following links or leaving the file system. */
	r = nftw(o->name, rm_tree_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	return r < 0 ? (errno ? -errno : -EIO) : r > 0 ? -r : 1;
}

static int rm_huge(const struct rs_obj *o)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	const char *base = strrchr(o->name, '/') + 1;
	size_t blen = strlen(base);
	struct dirent *e;
	int removed = 0, err = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%.*s", (int)(base - o->name), o->name);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, base, blen))
			continue;
		snprintf(path, sizeof(path), "%s%s", dir, e->d_name);
		if (!unlink(path))
			removed = 1;
		else if (errno != ENOENT && !err)
			err = -errno;
	}
	closedir(d);
	return err ? err : removed;
}

/* SIGKILL every process in one cgroup directory (v1 hierarchy or v2). */
static void kill_cgroup_procs(const char *dir)
{
	char path[PATH_MAX + 16];
	long pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}

/* rmdir DIR's subdirectories (deepest first), then DIR. 0 if DIR is gone,
 * -errno if it is still there (busy: processes not yet gone). */
static int rmdir_tree(const char *dir, int depth)
{
	struct dirent *e;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (depth < 4 && (e = readdir(d))) {
		char sub[PATH_MAX];

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%.3000s/%s", dir, e->d_name);
		rmdir_tree(sub, depth + 1);
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	return 0;
}

/* The cgroup directories LXC makes for container NAME in the cgroup2 root
 * and in every v1 hierarchy: lxc.payload.NAME and lxc.monitor.NAME (left
 * behind when the container was killed), and the shared lxc.pivot it never
 * removes (only removed when empty: another container may be using it).
 * do_kill: SIGKILL what is still inside instead. Returns how many of the
 * container's own directories are still there. */
static int lxc_cgroups(const char *name, bool do_kill)
{
	static const char *const fmts[] = { "%.3000s/lxc.payload.%s", "%.3000s/lxc.monitor.%s" };
	const char *root = "/sys/fs/cgroup";
	struct dirent *e = NULL;
	int left = 0;
	DIR *d;

	d = opendir(root);
	if (!d)
		return 0;
	for (int first = 1;; first = 0) {
		char hier[PATH_MAX], cg[PATH_MAX];

		if (first) {
			snprintf(hier, sizeof(hier), "%s", root);
		} else {
			e = readdir(d);
			if (!e)
				break;
			if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
			    !strncmp(e->d_name, "lxc.", 4))
				continue;
			snprintf(hier, sizeof(hier), "%s/%s", root, e->d_name);
		}
		for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
			snprintf(cg, sizeof(cg), fmts[f], hier, name);
			if (do_kill)
				kill_cgroup_procs(cg);
			else if (rmdir_tree(cg, 0))
				left++;
		}
		if (!do_kill) {
			snprintf(cg, sizeof(cg), "%.3000s/lxc.pivot", hier);
			rmdir(cg);
		}
	}
	closedir(d);
	return left;
}

/* SIGKILL the lxc-execute monitor of container name in dir, if one is
 * left: killed at the wrong moment of its start, a container can leave a
 * monitor that waits forever, and lxc-stop with it. The name carries the
 * run's prefix, so only the run's own monitor matches. */
static void kill_lxc_monitor(const char *name, const char *dir)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], buf[1024];
		bool has_n = false, has_p = false;
		size_t len;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		if (!strstr(buf, "lxc-execute"))
			continue;
		/* argv is NUL-separated: "-n" NAME ... "-P" DIR */
		for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
			const char *next = buf + i + strlen(buf + i) + 1;

			if (next >= buf + len)
				break;
			has_n |= !strcmp(buf + i, "-n") && !strcmp(next, name);
			has_p |= !strcmp(buf + i, "-P") && !strcmp(next, dir);
		}
		if (has_n && has_p)
			kill((pid_t)atol(e->d_name), SIGKILL);
	}
	closedir(d);
}

static int rm_lxc(const struct rs_obj *o)
{
	const char *name = strrchr(o->name, '/') + 1;
	char dir[PATH_MAX], cfg[PATH_MAX + 16];
	int removed = 0;

	snprintf(dir, sizeof(dir), "%.*s", (int)(name - 1 - o->name), o->name);
	if (!access(o->name, F_OK)) {
		const char *argv[] = { "lxc-stop", "-k", "-n", name, "-P", dir, NULL };

		/* Not running (the usual case at this point) is no error; a
		 * monitor that no longer answers is killed instead. */
		if (run_cmd_bounded(argv, 5000) == -ETIME)
			pr_warn("bypasslab: lxc-stop %s did not return; killing its monitor\n", name);
		kill_lxc_monitor(name, dir);
	}
	/* lxc-stop needs the container's monitor; if that was killed, its
	 * processes may still be in the payload cgroup. A cgroup directory can
	 * only go once the last of them has exited: bounded wait. */
	lxc_cgroups(name, true);
	for (int i = 0; i < 200 && lxc_cgroups(name, false); i++)
		usleep(10000);
	snprintf(cfg, sizeof(cfg), "%s/config", o->name);
	if (!unlink(cfg))
		removed = 1;
	if (!rmdir(o->name))
		removed = 1;
	else if (errno != ENOENT)
		return -errno;
	return removed;
}

static int rm_pid(const struct rs_obj *o)
{
	return proc_kill((pid_t)atol(o->name), o->start, KILL_WAIT_MS);
}

/* An interface lent to the run goes back before its namespace goes. */
static int rm_iface(const struct rs_obj *o)
{
	return iface_restore(o->name);
}

const struct rs_kind_desc rs_kinds[RS_NKINDS] = {
	[RS_NETNS] = { "netns", RS_NAME_NETNS, rm_netns },
	[RS_LINK] = { "link", RS_NAME_IFACE, rm_link },
	[RS_SHM] = { "shm", RS_NAME_PATH, rm_path },
	[RS_PID] = { "pid", RS_NAME_PID, rm_pid },
	[RS_FILE] = { "file", RS_NAME_PATH, rm_path },
	[RS_DIR] = { "dir", RS_NAME_PATH, rm_dir },
	[RS_LXC] = { "lxc", RS_NAME_PATH, rm_lxc },
	[RS_TREE] = { "tree", RS_NAME_PATH, rm_tree },
	[RS_HUGE] = { "huge", RS_NAME_PATH, rm_huge },
	[RS_IFACE] = { "iface", RS_NAME_PATH, rm_iface },
};
