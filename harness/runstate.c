// SPDX-License-Identifier: BSD-3-Clause
/*
 * The ledger: the run-state file and `bypasslab cleanup`. See runstate.h
 * for the file format; each kind's undo is in runstate_kinds.c. Everything
 * here must keep working on a half-written state file and on objects that
 * are already gone: it runs after crashes, on signals and twice in a row.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <time.h>
#include <jansson.h>

#include "iface.h"
#include "log.h"
#include "result.h" /* json_write_atomic */
#include "proc.h"
#include "runstate_kinds.h"

#define SHM_DIR "/dev/shm"
#define HUGE_DIR "/dev/hugepages"
#define DPDK_RUN_DIR "/var/run/dpdk"

struct runstate {
	char prefix[16];
	char path[PATH_MAX];
	int fd;                  /* state file, O_APPEND */
	pid_t owner;
	unsigned long long owner_start;
	bool verbose;            /* say what is removed (cleanup) */
	char run_json[PATH_MAX]; /* the run's run.json, "" if not recorded */
	struct rs_obj *objs;
	size_t nobjs, cap;
};

/* ---- helpers ---------------------------------------------------------- */

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool prefix_valid(const char *p)
{
	if (p[0] != 'b' || p[1] != 'l')
		return false;
	for (int i = 2; i < RS_PREFIX_LEN; i++)
		if (!is_hex_lower(p[i]))
			return false;
	return true;
}

bool runstate_name_has_prefix(const char *name)
{
	return strnlen(name, RS_PREFIX_LEN + 1) == RS_PREFIX_LEN + 1 && prefix_valid(name) &&
	       name[RS_PREFIX_LEN] == '-';
}

static bool has_run_prefix(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, RS_PREFIX_LEN) && name[RS_PREFIX_LEN] == '-';
}

/* Names end up as one whitespace-separated field of a line. */
static bool name_chars_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static int name_check(const char *prefix, enum rs_kind kind, const char *name)
{
	const char *base;
	size_t len = strnlen(name, PATH_MAX);

	if (!len || len >= PATH_MAX || !name_chars_ok(name))
		return -EINVAL;
	switch (rs_kinds[kind].rule) {
	case RS_NAME_IFACE:
		if (len >= IFNAMSIZ || !has_run_prefix(name, prefix))
			return -EINVAL;
		break;
	case RS_NAME_NETNS:
		if (len > NAME_MAX || strchr(name, '/') || !has_run_prefix(name, prefix))
			return -EINVAL;
		break;
	case RS_NAME_PATH:
		if (name[0] != '/' || strstr(name, "/../") || strstr(name, "/./"))
			return -EINVAL;
		base = strrchr(name, '/') + 1;
		if (strncmp(base, prefix, RS_PREFIX_LEN))
			return -EINVAL;
		break;
	case RS_NAME_PID:
		for (const char *p = name; *p; p++)
			if (*p < '0' || *p > '9')
				return -EINVAL;
		if (len > 10 || atol(name) <= 0)
			return -EINVAL;
		break;
	}
	return 0;
}

static int kind_from_name(const char *s)
{
	for (int k = 0; k < RS_NKINDS; k++)
		if (rs_kinds[k].name && !strcmp(rs_kinds[k].name, s))
			return k;
	return -1;
}

static bool owner_alive(pid_t pid, unsigned long long start)
{
	return pid > 0 && start && proc_starttime(pid) == start;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int state_path(char *buf, size_t len, const char *prefix)
{
	int n = snprintf(buf, len, "%s/%.*s.state", RS_STATE_DIR, RS_PREFIX_LEN, prefix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- the state file ------------------------------------------------------- */

static struct runstate *rs_alloc(const char *prefix)
{
	struct runstate *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	snprintf(rs->prefix, sizeof(rs->prefix), "%.*s", RS_PREFIX_LEN, prefix);
	rs->fd = -1;
	if (state_path(rs->path, sizeof(rs->path), prefix)) {
		free(rs);
		errno = ENAMETOOLONG;
		return NULL;
	}
	return rs;
}

static void rs_free(struct runstate *rs)
{
	for (size_t i = 0; i < rs->nobjs; i++)
		free(rs->objs[i].name);
	free(rs->objs);
	if (rs->fd >= 0)
		close(rs->fd);
	free(rs);
}

static int rs_reserve(struct runstate *rs)
{
	struct rs_obj *o;
	size_t cap;

	if (rs->nobjs < rs->cap)
		return 0;
	cap = rs->cap ? rs->cap * 2 : 16;
	o = realloc(rs->objs, cap * sizeof(*o));
	if (!o)
		return -ENOMEM;
	rs->objs = o;
	rs->cap = cap;
	return 0;
}

static int rs_push(struct runstate *rs, enum rs_kind kind, const char *name,
		   unsigned long long start)
{
	struct rs_obj *o;
	int err = rs_reserve(rs);

	if (err)
		return err;
	o = &rs->objs[rs->nobjs];
	o->name = strdup(name);
	if (!o->name)
		return -ENOMEM;
	o->kind = kind;
	o->live = true;
	o->start = start;
	rs->nobjs++;
	return 0;
}

/* Durable before the caller goes on to create or forget the object. */
static int rs_append(struct runstate *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int rs_append(struct runstate *rs, const char *fmt, ...)
{
	char line[PATH_MAX + 64];
	va_list ap;
	int n, err;

	if (rs->fd < 0)
		return -EBADF;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	err = write_all(rs->fd, line, (size_t)n);
	if (err)
		return err;
	if (fsync(rs->fd))
		return -errno;
	return 0;
}

static struct rs_obj *rs_find_live(struct runstate *rs, enum rs_kind kind, const char *name)
{
	for (size_t i = rs->nobjs; i-- > 0;) {
		struct rs_obj *o = &rs->objs[i];

		if (o->live && o->kind == kind && !strcmp(o->name, name))
			return o;
	}
	return NULL;
}

static int mkdir_state_dir(void)
{
	if (mkdir("/run", 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(RS_STATE_DIR, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* The owner line is in place before the file is visible, so a concurrent
 * cleanup never sees an ownerless file of a live run. */
static int rs_create_file(struct runstate *rs)
{
	char line[96], fdpath[64];
	int n, fd, dfd, err;

	n = snprintf(line, sizeof(line), "owner %d %llu\n", (int)rs->owner, rs->owner_start);
	fd = open(RS_STATE_DIR, O_TMPFILE | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return -errno;
		/* No O_TMPFILE here: a short window with an empty file. */
		fd = open(rs->path, O_CREAT | O_EXCL | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		err = write_all(fd, line, (size_t)n);
		if (!err && fsync(fd))
			err = -errno;
		if (err)
			goto out_unlink;
		rs->fd = fd;
		return 0;
	}
	err = write_all(fd, line, (size_t)n);
	if (!err && fsync(fd))
		err = -errno;
	if (err)
		goto out_fd;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	/* linkat fails with EEXIST if the prefix is taken: O_EXCL for free. */
	if (linkat(AT_FDCWD, fdpath, AT_FDCWD, rs->path, AT_SYMLINK_FOLLOW)) {
		err = -errno;
		goto out_fd;
	}
	dfd = open(RS_STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rs->fd = fd;
	return 0;

out_unlink:
	unlink(rs->path);
out_fd:
	close(fd);
	return err;
}

struct runstate *runstate__open(const char *prefix)
{
	struct runstate *rs;
	int err;

	if (!prefix || strlen(prefix) != RS_PREFIX_LEN || !prefix_valid(prefix)) {
		errno = EINVAL;
		return NULL;
	}
	rs = rs_alloc(prefix);
	if (!rs)
		return NULL;
	rs->owner = getpid();
	rs->owner_start = proc_starttime(rs->owner);
	if (!rs->owner_start) {
		err = -ENOENT; /* no /proc: nobody could tell whether we are alive */
		goto out_free;
	}
	err = mkdir_state_dir();
	if (err)
		goto out_free;
	err = rs_create_file(rs);
	if (err)
		goto out_free;
	return rs;

out_free:
	rs_free(rs);
	errno = -err;
	return NULL;
}

const char *runstate__prefix(const struct runstate *rs)
{
	return rs ? rs->prefix : NULL;
}

const char *runstate__path(const struct runstate *rs)
{
	return rs ? rs->path : NULL;
}

int runstate__add(struct runstate *rs, enum rs_kind kind, const char *name)
{
	int err;

	if (!rs || !name || (unsigned int)kind >= RS_NKINDS || kind == RS_PID)
		return -EINVAL;
	err = name_check(rs->prefix, kind, name);
	if (err)
		return err;
	/* Memory first: once the line is on disk the caller creates the object
	 * and we must be able to undo it. */
	err = rs_reserve(rs);
	if (err)
		return err;
	err = rs_append(rs, "+ %s %s\n", rs_kinds[kind].name, name);
	if (err)
		return err;
	return rs_push(rs, kind, name, 0);
}

int runstate__add_pid(struct runstate *rs, pid_t pid)
{
	unsigned long long start;
	char name[16];
	int err;

	if (!rs || pid <= 0)
		return -EINVAL;
	start = proc_starttime(pid);
	if (!start)
		return -ESRCH;
	snprintf(name, sizeof(name), "%d", (int)pid);
	err = rs_reserve(rs);
	if (err)
		return err;
	err = rs_append(rs, "+ pid %s %llu\n", name, start);
	if (err)
		return err;
	return rs_push(rs, RS_PID, name, start);
}

int runstate__done(struct runstate *rs, enum rs_kind kind, const char *name)
{
	struct rs_obj *o;
	int err;

	if (!rs || !name || (unsigned int)kind >= RS_NKINDS)
		return -EINVAL;
	o = rs_find_live(rs, kind, name);
	if (!o)
		return -ENOENT;
	err = rs_append(rs, "- %s %s\n", rs_kinds[kind].name, name);
	/* In memory it is gone either way; a stale '+' only costs a no-op undo. */
	o->live = false;
	return err;
}

static int rs_undo_obj(struct runstate *rs, struct rs_obj *o)
{
	const struct rs_kind_desc *k = &rs_kinds[o->kind];
	int r;

	r = k->remove(o);
	if (r < 0) {
		pr_warn("bypasslab: removing %s %s: %s\n", k->name, o->name, strerror(-r));
		return r;
	}
	if (r > 0 && rs->verbose)
		fprintf(stderr, "bypasslab cleanup: removed %s %s\n", k->name, o->name);
	rs_append(rs, "- %s %s\n", k->name, o->name);
	o->live = false;
	return r;
}

int runstate__undo(struct runstate *rs, enum rs_kind kind, const char *name)
{
	struct rs_obj *o;
	int r;

	if (!rs || !name || (unsigned int)kind >= RS_NKINDS)
		return -EINVAL;
	o = rs_find_live(rs, kind, name);
	if (!o)
		return -ENOENT;
	r = rs_undo_obj(rs, o);
	return r < 0 ? r : 0;
}

/* How many objects were actually removed, or the first -errno. */
static int rs_undo_all_count(struct runstate *rs)
{
	int removed = 0, err = 0;
	bool lent_stuck = false;

	/* Newest first: processes before the netns they run in, bridge ports
	 * before the bridge, files before their directory, lent interfaces
	 * before their namespaces. */
	for (size_t i = rs->nobjs; i-- > 0;) {
		struct rs_obj *o = &rs->objs[i];
		int r;

		if (!o->live)
			continue;
		/* An interface that could not be brought home stays reachable
		 * in its namespace until a later cleanup can. */
		if (lent_stuck && o->kind == RS_NETNS) {
			if (!err)
				err = -EBUSY;
			continue;
		}
		r = rs_undo_obj(rs, o);
		if (r < 0 && o->kind == RS_IFACE)
			lent_stuck = true;
		if (r < 0 && !err)
			err = r;
		else if (r > 0)
			removed++;
	}
	return err ? err : removed;
}

int runstate__undo_all(struct runstate *rs)
{
	int r;

	if (!rs)
		return -EINVAL;
	r = rs_undo_all_count(rs);
	return r < 0 ? r : 0;
}

int runstate__live(const struct runstate *rs)
{
	int n = 0;

	for (size_t i = 0; rs && i < rs->nobjs; i++)
		n += rs->objs[i].live;
	return n;
}

void runstate__close(struct runstate *rs)
{
	if (!rs)
		return;
	if (!runstate__live(rs) && unlink(rs->path) && errno != ENOENT)
		pr_warn("bypasslab: removing %s: %s\n", rs->path, strerror(errno));
	rs_free(rs);
}

/* ---- prefixes --------------------------------------------------------- */

static bool dir_has_prefixed(const char *dir, const char *prefix)
{
	struct dirent *e;
	bool found = false;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = has_run_prefix(e->d_name, prefix);
	closedir(d);
	return found;
}

static bool link_has_prefixed(const char *prefix)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	bool found = false;

	if (!ifs)
		return false;
	for (i = ifs; i->if_index && !found; i++)
		found = has_run_prefix(i->if_name, prefix);
	if_freenameindex(ifs);
	return found;
}

static bool prefix_in_use(const char *prefix)
{
	char path[PATH_MAX];

	if (state_path(path, sizeof(path), prefix) || !access(path, F_OK))
		return true;
	return dir_has_prefixed(NETNS_RUN_DIR, prefix) || dir_has_prefixed(SHM_DIR, prefix) ||
	       link_has_prefixed(prefix);
}

int runstate_gen_prefix(char out[16])
{
	uint8_t rnd[3];

	/* 2^24 prefixes: a collision is unlikely, but cheap to rule out. */
	for (int tries = 0; tries < 16; tries++) {
		ssize_t n = getrandom(rnd, sizeof(rnd), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(rnd))
			return n < 0 ? -errno : -EIO;
		snprintf(out, 16, "bl%02x%02x%02x", rnd[0], rnd[1], rnd[2]);
		if (!prefix_in_use(out))
			return 0;
	}
	return -EEXIST;
}

/* ---- cleanup -------------------------------------------------------------- */

/* Reads a state file someone else (or an earlier run) wrote. Unparsable
 * lines are skipped: the file may end in a torn write. */
static struct runstate *rs_load(const char *prefix, bool owner_only)
{
	struct runstate *rs = rs_alloc(prefix);
	char *line = NULL, kind[16], name[PATH_MAX];
	size_t cap = 0;
	FILE *f;
	int lineno = 0, err = 0;

	if (!rs)
		return NULL;
	f = fopen(rs->path, "re");
	if (!f) {
		err = -errno;
		goto out_free;
	}
	while (getline(&line, &cap, f) > 0) {
		unsigned long long start = 0;
		char op;
		int k, n;

		line[strcspn(line, "\n")] = 0;
		if (++lineno == 1) {
			int pid;

			if (sscanf(line, "owner %d %llu", &pid, &start) == 2) {
				rs->owner = pid;
				rs->owner_start = start;
			}
			if (owner_only)
				break;
			continue;
		}
		if (!strncmp(line, "run /", 5) && strlen(line + 4) < sizeof(rs->run_json)) {
			snprintf(rs->run_json, sizeof(rs->run_json), "%s", line + 4);
			continue;
		}
		n = sscanf(line, "%c %15s %4095s %llu", &op, kind, name, &start);
		k = n >= 3 ? kind_from_name(kind) : -1;
		if (k < 0 || (op != '+' && op != '-') ||
		    name_check(rs->prefix, (enum rs_kind)k, name)) {
			pr_warn("bypasslab: %s:%d: ignoring '%s'\n", rs->path, lineno, line);
			continue;
		}
		if (op == '+') {
			err = rs_push(rs, (enum rs_kind)k, name, start);
			if (err)
				goto out_line;
		} else {
			struct rs_obj *o = rs_find_live(rs, (enum rs_kind)k, name);

			if (o)
				o->live = false;
		}
	}
	if (!owner_only) {
		rs->fd = open(rs->path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (rs->fd < 0) {
			err = -errno;
			goto out_line;
		}
	}
out_line:
	free(line);
	fclose(f);
	if (!err)
		return rs;
out_free:
	rs_free(rs);
	errno = -err;
	return NULL;
}

struct prefix_set {
	char (*p)[16];
	bool *live;
	size_t n, cap;
};

static int pset_add(struct prefix_set *s, const char *prefix, bool live)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char(*p)[16] = realloc(s->p, cap * sizeof(*p));
		bool *l;

		if (!p)
			return -ENOMEM;
		s->p = p;
		l = realloc(s->live, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		s->live = l;
		s->cap = cap;
	}
	snprintf(s->p[s->n], sizeof(s->p[0]), "%.*s", RS_PREFIX_LEN, prefix);
	s->live[s->n++] = live;
	return 0;
}

static void pset_free(struct prefix_set *s)
{
	free(s->p);
	free(s->live);
}

/* Whether objects named "<prefix>-..." belong to a run that is still
 * alive. Looks at the state file again for prefixes not seen in the first
 * pass: a run that started since then wrote it before creating anything. */
static bool prefix_owned(struct prefix_set *s, const char *name, bool force)
{
	struct runstate *rs;
	bool live = false;

	if (force)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (!strncmp(s->p[i], name, RS_PREFIX_LEN))
			return s->live[i];
	rs = rs_load(name, true);
	if (rs) {
		live = owner_alive(rs->owner, rs->owner_start);
		rs_free(rs);
	}
	pset_add(s, name, live);
	return live;
}

bool runstate_prefix_live(const char *prefix)
{
	struct runstate *rs;
	bool live;

	if (!prefix || !prefix_valid(prefix))
		return false;
	rs = rs_load(prefix, true);
	if (!rs)
		return false;
	live = owner_alive(rs->owner, rs->owner_start);
	rs_free(rs);
	return live;
}

/* A dead run's run.json still says "running": it says "killed" now, with
 * when it was cleaned up (UTC) and the owner that died. */
static void mark_killed(const struct runstate *rs, bool verbose)
{
	const char *st, *base = strrchr(rs->run_json, '/');
	char stamp[32];
	json_error_t je;
	struct tm tm;
	time_t now;
	json_t *run;

	if (!rs->run_json[0] || !base || strcmp(base, "/run.json"))
		return;
	run = json_load_file(rs->run_json, 0, &je);
	st = run ? json_string_value(json_object_get(run, "status")) : NULL;
	if (st && !strcmp(st, "running")) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(run, "status", json_string("killed"));
		json_object_set_new(run, "cleaned_at", json_string(stamp));
		json_object_set_new(run, "owner_pid", json_integer(rs->owner));
		if (json_write_atomic(run, rs->run_json))
			pr_warn("bypasslab cleanup: %s: could not mark it killed\n", rs->run_json);
		else if (verbose)
			fprintf(stderr, "bypasslab cleanup: %s: status killed\n", rs->run_json);
	}
	json_decref(run);
}

int runstate__set_run(struct runstate *rs, const char *run_json)
{
	if (run_json[0] != '/' || strchr(run_json, '\n'))
		return -EINVAL;
	snprintf(rs->run_json, sizeof(rs->run_json), "%s", run_json);
	return rs_append(rs, "run %s\n", run_json);
}

/* 0 or the number removed, or -errno. */
static int cleanup_state_file(const char *prefix, bool force, bool verbose,
			      struct prefix_set *seen)
{
	struct runstate *rs = rs_load(prefix, false);
	bool alive;
	int r;

	if (!rs)
		return errno == ENOENT ? 0 : -errno;
	alive = owner_alive(rs->owner, rs->owner_start);
	if (alive && !force) {
		if (verbose)
			fprintf(stderr, "bypasslab cleanup: %s: owner pid %d is running, skipped\n",
				prefix, (int)rs->owner);
		r = pset_add(seen, prefix, true);
		goto out_free;
	}
	if (verbose)
		fprintf(stderr, "bypasslab cleanup: %s: owner pid %d %s, %d object(s) left\n",
			prefix, (int)rs->owner, alive ? "is running (forced)" : "is gone",
			runstate__live(rs));
	rs->verbose = verbose;
	r = rs_undo_all_count(rs);
	if (!alive)
		mark_killed(rs, verbose);
	if (!runstate__live(rs)) {
		if (!unlink(rs->path)) {
			if (verbose)
				fprintf(stderr, "bypasslab cleanup: removed %s\n", rs->path);
		} else if (errno != ENOENT && r >= 0) {
			r = -errno;
		}
	}
	pset_add(seen, prefix, false);
out_free:
	rs_free(rs);
	return r;
}

static int sweep_one(enum rs_kind kind, const char *name, bool verbose)
{
	struct rs_obj o = { .kind = kind, .live = true, .name = (char *)name };
	int r = rs_kinds[kind].remove(&o);

	if (r < 0)
		pr_warn("bypasslab cleanup: removing %s %s: %s\n", rs_kinds[kind].name, name,
			strerror(-r));
	else if (r > 0 && verbose)
		fprintf(stderr, "bypasslab cleanup: removed orphan %s %s\n", rs_kinds[kind].name,
			name);
	return r;
}

/* Objects that escaped their state file (or whose file is gone). */
static bool is_lxc_dir(const char *path)
{
	char cfg[PATH_MAX + 16], line[256];
	bool lxc = false;
	FILE *f;

	snprintf(cfg, sizeof(cfg), "%s/config", path);
	f = fopen(cfg, "re");
	if (!f)
		return false;
	while (!lxc && fgets(line, sizeof(line), f))
		lxc = !strncmp(line, "lxc.", 4);
	fclose(f);
	return lxc;
}

static int sweep_dir(const char *dir, enum rs_kind kind, struct prefix_set *seen, bool force,
		     bool verbose, int *err)
{
	char path[PATH_MAX];
	struct dirent *e;
	int removed = 0;
	DIR *d = opendir(dir);

	if (!d) {
		if (errno != ENOENT && !*err)
			*err = -errno;
		return 0;
	}
	while ((e = readdir(d))) {
		enum rs_kind kind_here = kind;
		int r;

		if (!runstate_name_has_prefix(e->d_name) || prefix_owned(seen, e->d_name, force))
			continue;
		/* A namespace holding a lent interface that would not go home. */
		if (kind == RS_NETNS && iface_records_left(e->d_name))
			continue;
		if (kind == RS_NETNS)
			snprintf(path, sizeof(path), "%s", e->d_name);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		/* In the state directory, an LXC container's directory (it has
		 * the config the run wrote) is stopped as a container. */
		if (kind == RS_TREE && iface_record_name(e->d_name))
			kind_here = RS_IFACE;
		else if (kind == RS_TREE && is_lxc_dir(path))
			kind_here = RS_LXC;
		else if (kind == RS_IFACE && !iface_record_name(e->d_name))
			continue;
		r = sweep_one(kind_here, path, verbose);
		if (r < 0 && !*err)
			*err = r;
		else if (r > 0)
			removed++;
	}
	closedir(d);
	return removed;
}

static int sweep_links(struct prefix_set *seen, bool force, bool verbose, int *err)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int removed = 0;

	if (!ifs) {
		if (!*err)
			*err = -errno;
		return 0;
	}
	for (i = ifs; i->if_index; i++) {
		int r;

		if (!runstate_name_has_prefix(i->if_name) || prefix_owned(seen, i->if_name, force))
			continue;
		r = sweep_one(RS_LINK, i->if_name, verbose);
		if (r < 0 && !*err)
			*err = r;
		else if (r > 0)
			removed++;
	}
	if_freenameindex(ifs);
	return removed;
}

static bool state_file_name(const char *name, char prefix[16])
{
	if (strlen(name) != RS_PREFIX_LEN + 6 || strcmp(name + RS_PREFIX_LEN, ".state") ||
	    !prefix_valid(name))
		return false;
	snprintf(prefix, 16, "%.*s", RS_PREFIX_LEN, name);
	return true;
}

int cleanup_all(bool force, bool verbose)
{
	struct prefix_set seen = { 0 };
	struct dirent *e;
	char prefix[16];
	int removed = 0, err = 0;
	DIR *d;

	d = opendir(RS_STATE_DIR);
	if (!d && errno != ENOENT)
		err = -errno;
	while (d && (e = readdir(d))) {
		int r;

		if (!state_file_name(e->d_name, prefix))
			continue;
		r = cleanup_state_file(prefix, force, verbose, &seen);
		if (r < 0 && !err)
			err = r;
		else if (r > 0)
			removed += r;
	}
	if (d)
		closedir(d);
	/* Interfaces lent to a dead run go home before any namespace is
	 * deleted (a veth would be destroyed with it). */
	removed += sweep_dir(RS_STATE_DIR, RS_IFACE, &seen, force, verbose, &err);
	/* Root-netns links before namespaces: deleting a host-side veth takes
	 * its peer along at once, while a deleted netns frees its veths later
	 * from a kernel workqueue. */
	removed += sweep_links(&seen, force, verbose, &err);
	removed += sweep_dir(NETNS_RUN_DIR, RS_NETNS, &seen, force, verbose, &err);
	removed += sweep_dir(SHM_DIR, RS_SHM, &seen, force, verbose, &err);
	/* DPDK: hugepage files and runtime directories of every --file-prefix. */
	removed += sweep_dir(HUGE_DIR, RS_HUGE, &seen, force, verbose, &err);
	removed += sweep_dir(DPDK_RUN_DIR, RS_TREE, &seen, force, verbose, &err);
	/* Socket and switch directories, and LXC containers whose state
	 * file is gone. */
	removed += sweep_dir(RS_STATE_DIR, RS_TREE, &seen, force, verbose, &err);
	pset_free(&seen);
	return err ? err : removed;
}
