/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the integration tests (each test file is its own
 * program and includes this once): running ./bypasslab, reading its JSON,
 * and checking that a run left nothing behind.
 */
#ifndef BL_INTEG_H
#define BL_INTEG_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

static const char *bin = "./bypasslab";

/* TEST_FILTER=test_name (cmocka's wildcards) runs only the matching tests
 * of a program, for working on one check without the whole program's runs. */
static __attribute__((constructor)) void bl_test_filter(void)
{
	const char *f = getenv("TEST_FILTER");

	if (f && *f)
		cmocka_set_test_filter(f);
}

static char tmpdir[256];

static __attribute__((unused)) int must_run(void)
{
	const char *ci = getenv("CI");

	return ci && *ci && strcmp(ci, "false") && strcmp(ci, "0");
}

static __attribute__((unused)) void need_root(void)
{
	if (geteuid() == 0)
		return;
	if (must_run())
		fail_msg("integration tests need root and CI=true forbids skipping them");
	skip();
}

static __attribute__((unused)) void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Run bypasslab with args; capture stdout into *out (malloc'd). Returns the
 * exit status (or 128+signal). */
static __attribute__((unused)) int run_bin(char **out, const char *const args[])
{
	int pipefd[2], st;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	pid_t pid;

	assert_non_null(buf);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(bin, (char *const *)args);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t r;

		if (len + 4096 > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = read(pipefd[0], buf + len, cap - len - 1);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = 0;
	close(pipefd[0]);
	waitpid(pid, &st, 0);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run bypasslab with args, stderr captured: the exit status, and its
 * first line in line; a second line fails the test (a refusal is one
 * line). */
static __attribute__((unused)) int run_one_line(const char *const args[], char *line,
						size_t len)
{
	char err_path[300], extra[8];
	int fd, saved, rc;
	FILE *f;

	snprintf(err_path, sizeof(err_path), "%s/one-line.err", tmpdir);
	fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(2);
	dup2(fd, 2);
	rc = run_bin(NULL, args);
	dup2(saved, 2);
	close(saved);
	close(fd);
	f = fopen(err_path, "r");
	assert_non_null(f);
	if (!fgets(line, (int)len, f))
		line[0] = 0;
	if (fgets(extra, sizeof(extra), f))
		fail_msg("more than one line on stderr after: %s", line);
	fclose(f);
	return rc;
}

/* Processes whose command line names the prefix (DPDK --file-prefix,
 * a switch's private directory). */
static __attribute__((unused)) int prefix_procs(const char *prefix, char *what, size_t len)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], buf[4096];
		size_t got;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		got = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t i = 0; i < got; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[got] = 0;
		if (got && strstr(buf, prefix)) {
			n++;
			snprintf(what + strlen(what), len - strlen(what), "pid %s (%.60s) ",
				 e->d_name, buf);
		}
	}
	closedir(d);
	return n;
}

/* Names with the run's prefix that still exist anywhere: namespaces,
 * links, shared pages, DPDK hugepage files and runtime directories, socket
 * directories and the state file, and processes naming it. */
static __attribute__((unused)) int leftovers(const char *prefix, char *what, size_t len)
{
	const char *dirs[] = { "/run/netns", "/sys/class/net", "/dev/shm", "/dev/hugepages",
			       "/var/run/dpdk", "/run/bypasslab", NULL };
	int n = 0;

	what[0] = 0;
	for (int i = 0; dirs[i]; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		if (!d)
			continue;
		while ((e = readdir(d))) {
			if (!strncmp(e->d_name, prefix, strlen(prefix))) {
				n++;
				snprintf(what + strlen(what), len - strlen(what), "%s/%s ",
					 dirs[i], e->d_name);
			}
		}
		closedir(d);
	}
	return n + prefix_procs(prefix, what, len);
}

static __attribute__((unused)) void assert_no_leftovers(const char *prefix)
{
	char what[2048];
	int n = leftovers(prefix, what, sizeof(what));

	if (n)
		fail_msg("run %s left %d object(s): %s", prefix, n, what);
}

/* What LXC could leave of a run: its containers' directories (next to
 * the state files), cgroup directories in the cgroup2 root and every v1
 * hierarchy, the shared lxc.pivot, and processes naming the prefix. */
static __attribute__((unused)) int lxc_leftovers(const char *prefix, char *what, size_t len)
{
	const char *root = "/sys/fs/cgroup";
	char path[1024], pat[2][64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	what[0] = 0;
	snprintf(pat[0], sizeof(pat[0]), "lxc.payload.%s", prefix);
	snprintf(pat[1], sizeof(pat[1]), "lxc.monitor.%s", prefix);
	d = opendir("/run/bypasslab");
	while (d && (e = readdir(d))) {
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && !strstr(e->d_name, ".state")) {
			n++;
			snprintf(what + strlen(what), len - strlen(what), "/run/bypasslab/%s ",
				 e->d_name);
		}
	}
	if (d)
		closedir(d);
	d = opendir(root);
	for (int first = 1; d; first = 0) {
		char hier[512];
		DIR *h;
		struct dirent *f;

		if (first) {
			snprintf(hier, sizeof(hier), "%s", root);
		} else {
			e = readdir(d);
			if (!e)
				break;
			if (e->d_name[0] == '.' || e->d_type != DT_DIR)
				continue;
			snprintf(hier, sizeof(hier), "%s/%s", root, e->d_name);
		}
		h = opendir(hier);
		while (h && (f = readdir(h))) {
			if (strncmp(f->d_name, pat[0], strlen(pat[0])) &&
			    strncmp(f->d_name, pat[1], strlen(pat[1])) &&
			    strcmp(f->d_name, "lxc.pivot"))
				continue;
			n++;
			snprintf(what + strlen(what), len - strlen(what), "%s/%s ", hier, f->d_name);
		}
		if (h)
			closedir(h);
	}
	if (d)
		closedir(d);
	d = opendir("/proc");
	while (d && (e = readdir(d))) {
		char buf[4096];
		ssize_t r;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = 0;
		for (ssize_t i = 0; i < r; i++)
			if (!buf[i])
				buf[i] = ' ';
		if (strstr(buf, prefix) && strstr(buf, "lxc")) {
			n++;
			snprintf(what + strlen(what), len - strlen(what), "pid %s ", e->d_name);
		}
	}
	if (d)
		closedir(d);
	return n;
}

static __attribute__((unused)) void assert_no_lxc_leftovers(const char *prefix)
{
	char what[4096];
	int n = lxc_leftovers(prefix, what, sizeof(what));

	if (n)
		fail_msg("run %s left %d LXC object(s): %s", prefix, n, what);
	assert_no_leftovers(prefix);
}

/* The prefix is the last component of run_id ("YYYYmmdd-HHMMSS-blXXXXXX"). */
static __attribute__((unused)) void prefix_of(json_t *res, char *prefix, size_t len)
{
	const char *id = json_string_value(json_object_get(res, "run_id"));
	const char *p;

	assert_non_null(id);
	p = strrchr(id, '-');
	assert_non_null(p);
	snprintf(prefix, len, "%s", p + 1);
}

static __attribute__((unused)) double num(json_t *o, const char *path)
{
	char buf[256], *save, *tok;
	json_t *j = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	if (!j || !json_is_number(j))
		fail_msg("result has no number at %s", path);
	return json_number_value(j);
}

static __attribute__((unused)) const char *str(json_t *o, const char *path)
{
	char buf[256], *save, *tok;
	json_t *j = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	if (!j || !json_is_string(j))
		fail_msg("result has no string at %s", path);
	return json_string_value(j);
}

/* A ping-pong result's RTT: samples, and min <= p50 <= p99 <= max. */
static __attribute__((unused)) void check_rtt_ordered(json_t *r, const char *label)
{
	double mn = num(r, "rtt_ns.min"), p50 = num(r, "rtt_ns.p50");
	double p99 = num(r, "rtt_ns.p99"), mx = num(r, "rtt_ns.max");

	assert_true(num(r, "rtt_ns.count") > 0);
	if (!(mn <= p50 && p50 <= p99 && p99 <= mx))
		fail_msg("%s: RTT not ordered: min %.0f p50 %.0f p99 %.0f max %.0f", label, mn, p50,
			 p99, mx);
}

/*
 * Every lost packet is located: reconcile.located == reconcile.lost exactly
 * whenever anything was lost (no tolerance: a run losing 0.05 % with none
 * of it located is a failure). The one excuse is one result.json names:
 * softnet_dropped, the per-CPU backlog drops of /proc/net/softnet_stat,
 * which are machine-wide (any traffic on the core can cause them), so the
 * reconciliation never counts them as this run's; a shortfall no larger
 * than them is reported with that reason and passes. Located > lost is
 * never excused: a counter then holds something that was not this run's
 * loss, or holds it twice.
 */
static __attribute__((unused)) void check_located(json_t *r, const char *label)
{
	json_t *rec = json_object_get(r, "reconcile");
	double lost = num(r, "reconcile.lost"), located = num(r, "reconcile.located");
	double softnet = num(r, "reconcile.softnet_dropped");
	char *where;

	if (num(r, "reconcile.unexplained") != lost - located)
		fail_msg("%s: unexplained %.0f is not lost %.0f - located %.0f", label,
			 num(r, "reconcile.unexplained"), lost, located);
	if (lost < 0)
		fail_msg("%s: %.0f packets lost: more received than sent", label, lost);
	if (located == lost)
		return;
	if (located < lost && lost - located <= softnet) {
		print_message("%s: %.0f of %.0f lost packets not located; reason: "
			      "reconcile.softnet_dropped = %.0f (machine-wide backlog drops)\n",
			      label, lost - located, lost, softnet);
		return;
	}
	where = json_dumps(json_object_get(rec, "where"), JSON_COMPACT | JSON_SORT_KEYS);
	fail_msg("%s: lost %.0f, located %.0f (softnet_dropped %.0f): where %s", label, lost,
		 located, softnet, where ? where : "?");
}

/* The prefix of the only run in res (a --results directory). */
static __attribute__((unused)) int run_prefix(const char *res, char *prefix, size_t len)
{
	DIR *d = opendir(res);
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		const char *p = strrchr(e->d_name, '-');

		if (e->d_name[0] == '.' || !p)
			continue;
		snprintf(prefix, len, "%s", p + 1);
		found = 1;
	}
	closedir(d);
	return found;
}

/* Run bypasslab with args (which include --json) and parse its stdout: one
 * result object per line, returned as an array. Fills prefix with the run's
 * prefix (empty if no case finished) and *rc with the exit status. */
static __attribute__((unused)) json_t *run_json(const char *const args[], int *rc, char *prefix,
						size_t plen)
{
	json_t *list = json_array();
	char *out = NULL;

	prefix[0] = 0;
	*rc = run_bin(&out, args);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		json_error_t je;
		json_t *r = json_loads(line, 0, &je);

		if (!r)
			fail_msg("bad JSON line from run: %s", je.text);
		if (!prefix[0])
			prefix_of(r, prefix, plen);
		json_array_append_new(list, r);
	}
	free(out);
	return list;
}

/* Background runs, so a failed test's run is stopped at teardown. */
static __attribute__((unused)) pid_t bg_pids[32];
static __attribute__((unused)) int nbg;

/* Start a run in the background; its stdout and stderr go to RES.out. */
static __attribute__((unused)) pid_t start_bg(const char *cfg, const char *res)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char out[600];
		int fd;

		snprintf(out, sizeof(out), "%s.out", res);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		setpgid(0, 0);
		execl(bin, bin, "run", cfg, "--results", res, (char *)NULL);
		_exit(127);
	}
	if (nbg < (int)(sizeof(bg_pids) / sizeof(bg_pids[0])))
		bg_pids[nbg++] = pid;
	return pid;
}

static __attribute__((unused)) int group_setup(void **state)
{
	(void)state;
	if (getenv("BYPASSLAB"))
		bin = getenv("BYPASSLAB");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bypasslab-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static __attribute__((unused)) int group_teardown(void **state)
{
	char cmd[512];
	const char *args[] = { bin, "cleanup", NULL };

	(void)state;
	/* A run still going (its test failed first) is interrupted; it cleans
	 * up after itself like any interrupted run. */
	for (int i = 0; i < nbg; i++) {
		if (waitpid(bg_pids[i], NULL, WNOHANG) == 0) {
			kill(bg_pids[i], SIGINT);
			waitpid(bg_pids[i], NULL, 0);
		}
	}
	/* Whatever a failed test left: runs that are gone get cleaned up. */
	run_bin(NULL, args);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}


/* Run `bypasslab run` on a config text written to tmpdir/name.ini, results
 * in tmpdir, with --probes `probes` unless NULL. Returns the JSON lines as
 * an array, the exit status in *rc and the run's prefix. */
static __attribute__((unused)) json_t *run_text(const char *name, const char *text,
						const char *probes, int *rc, char *prefix,
						size_t plen)
{
	char cfg[512];
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir,
			       probes ? "--probes" : NULL, probes, NULL };

	need_root();
	snprintf(cfg, sizeof(cfg), "%s/%s.ini", tmpdir, name);
	write_file(cfg, text);
	return run_json(args, rc, prefix, plen);
}

/* ---- attribution results ------------------------------------------------- */

/* run_text; every case must be ok and carry an attribution, and the run
 * leave nothing behind. */
static __attribute__((unused)) json_t *run_attr_cfg(const char *name, const char *text,
						    const char *probes)
{
	char prefix[32] = "";
	json_t *list, *r;
	size_t i;
	int rc;

	list = run_text(name, text, probes, &rc, prefix, sizeof(prefix));
	json_array_foreach(list, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "status")), "ok"))
			fail_msg("%s: %s", json_string_value(json_object_get(r, "case_dir")),
				 json_string_value(json_object_get(r, "error")));
		if (!json_object_get(r, "attribution"))
			fail_msg("%s: no attribution in the result",
				 json_string_value(json_object_get(r, "case_dir")));
	}
	assert_int_equal(rc, 0);
	assert_no_leftovers(prefix);
	return list;
}

/* Core i of a result's attribution. */
static __attribute__((unused)) json_t *attr_core(json_t *r, int i)
{
	json_t *c = json_array_get(json_object_get(json_object_get(r, "attribution"), "cores"),
				   (size_t)i);

	assert_non_null(c);
	return c;
}

/* A group's ns per packet on a core (0 when absent). */
static __attribute__((unused)) double attr_group(json_t *core, const char *group)
{
	json_t *g = json_object_get(json_object_get(core, "groups"), group);

	return g ? json_number_value(json_object_get(g, "ns_per_pkt")) : 0.0;
}

/* The entry named `name` in a core's array `what` ("syscalls",
 * "categories"), or NULL. */
static __attribute__((unused)) json_t *attr_named(json_t *core, const char *what,
						  const char *name)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(core, what), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "name")), name))
			return s;
	return NULL;
}

#endif
