// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bad inputs through the binary, as a user gives them (the config's
 * results_dir is tested without --results, which would override it): each must end with
 * exit 2 and one line on stderr naming the file, the line and the key, and
 * create nothing (no results directory, no run-state file or namespace:
 * the harness would have said "run <id>" before creating one).
 */
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

#include "integ.h"

/* Run `bypasslab run CFG --results RES [extra]` (stdin from in, if any):
 * the exit status, stderr in err. */
static int run_cfg(const char *cfg, const char *res, const char *extra, const char *in,
		   char *err, size_t len)
{
	char errpath[600];
	int st, fd;
	pid_t pid;
	FILE *f;
	size_t n;

	snprintf(errpath, sizeof(errpath), "%s/stderr", tmpdir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		fd = open(in ? in : "/dev/null", O_RDONLY);
		dup2(fd, 0);
		/* Without res, the config's own results_dir is the one tested. */
		if (!res)
			execl(bin, bin, "run", cfg, (char *)NULL);
		else if (extra)
			execl(bin, bin, "run", cfg, "--results", res, "--set", extra, (char *)NULL);
		else
			execl(bin, bin, "run", cfg, "--results", res, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	f = fopen(errpath, "r");
	assert_non_null(f);
	n = fread(err, 1, len - 1, f);
	fclose(f);
	err[n] = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* text (len bytes) as a config: exit 2, one line naming where and key,
 * nothing created. */
static void bad_input(const char *name, const char *text, size_t len, const char *extra,
		      const char *where, const char *key, const char *what)
{
	char cfg[512], res[512], err[4096], want[600];
	struct stat st;
	FILE *f;
	int rc;

	need_root();
	snprintf(cfg, sizeof(cfg), "%s/%s.ini", tmpdir, name);
	snprintf(res, sizeof(res), "%s/%s-results", tmpdir, name);
	f = fopen(cfg, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	rc = run_cfg(cfg, strstr(text, "results_dir") ? NULL : res, extra, NULL, err, sizeof(err));
	snprintf(want, sizeof(want), "bypasslab: %s/%s.ini%s", tmpdir, name, where);
	if (rc != 2 || strncmp(err, want, strlen(want)) || !strstr(err, key) ||
	    !strstr(err, what) || strchr(err, '\n') != err + strlen(err) - 1)
		fail_msg("%s: exit %d, stderr:\n%s(want exit 2 and one line starting \"%s\", "
			 "naming %s, saying %s)",
			 name, rc, err, want, key, what);
	for (const char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			fail_msg("%s: a control byte reached stderr: %s", name, err);
	if (!stat(res, &st))
		fail_msg("%s: the results directory %s was created", name, res);
}

#define BAD(name, text, extra, where, key, what) \
	bad_input(name, text, sizeof(text) - 1, extra, where, key, what)

static void test_cpu_not_online(void **state)
{
	char text[64];
	long n = sysconf(_SC_NPROCESSORS_CONF);

	(void)state;
	snprintf(text, sizeof(text), "[topology]\ncpu_a = %ld\n", n);
	bad_input("cpu", text, strlen(text), NULL, ":2: ", "key 'cpu_a'", "not online");
}

static void test_empty(void **state)
{
	(void)state;
	BAD("empty", "", NULL, ": ", "key 'datapath'", "sets no key");
	BAD("empty-set", "; nothing\n", "size=128", ": ", "key 'datapath'", "--set datapath=");
}

static void test_nul(void **state)
{
	(void)state;
	BAD("nul", "[workload]\nsize = 6\0" "4\n", NULL, ":2: ", "key 'size'", "NUL byte");
}

static void test_repeated_section(void **state)
{
	(void)state;
	BAD("section", "[workload]\nsize = 64\n[run]\nduration = 1\n[workload]\nburst = 8\n", NULL,
	    ":5: ", "[workload]", "repeated");
}

static void test_duplicate_values(void **state)
{
	(void)state;
	BAD("dup", "[workload]\nsize = 64,64\n", NULL, ":2: ", "key 'size'", "listed twice");
}

static void test_control_bytes(void **state)
{
	(void)state;
	BAD("ctl", "[workload]\nsi\x1b[2Jze = 64\n", NULL, ":2: ", "key 'si\\x1b[2Jze'",
	    "control byte");
}

static void test_results_dir(void **state)
{
	char file[600], text[700];

	(void)state;
	BAD("proc", "[run]\nresults_dir = /proc/bl-results\n", NULL, ":2: ", "key 'results_dir'",
	    "under /proc");
	BAD("sys", "[run]\nresults_dir = /sys/kernel/bl\n", NULL, ":2: ", "key 'results_dir'",
	    "under /sys");
	snprintf(file, sizeof(file), "%s/plain-file", tmpdir);
	write_file(file, "x\n");
	snprintf(text, sizeof(text), "[run]\nresults_dir = %s\n", file);
	bad_input("file", text, strlen(text), NULL, ":2: ", "key 'results_dir'",
		  "a regular file");
}

/* "-" is standard input: read, and its errors name "stdin". */
static void test_stdin(void **state)
{
	char in[512], res[512], err[4096];
	int rc;

	(void)state;
	need_root();
	snprintf(in, sizeof(in), "%s/stdin.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/stdin-results", tmpdir);
	write_file(in, "[workload]\nsize = 64\nburst = 999\n");
	rc = run_cfg("-", res, NULL, in, err, sizeof(err));
	assert_int_equal(rc, 2);
	if (strncmp(err, "bypasslab: stdin:3: key 'burst'", 31))
		fail_msg("stderr: %s", err);
	assert_int_not_equal(access(res, F_OK), 0);
}

/* `bypasslab probe` says what the user running it can use: as root the
 * datapaths this machine has are ok; as nobody none is (`run` needs root,
 * and AF_PACKET, AF_XDP and DPDK need privileges of their own). */
static void test_probe_per_user(void **state)
{
	const char *as_root[] = { bin, "probe", NULL };
	const char *as_nobody[] = { "/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup",
				    "--clear-groups", "--inh-caps=-all", bin, "probe", NULL };
	char *out = NULL, *line, *save = NULL;
	int n = 0, ok = 0;
	const char *saved = bin;

	(void)state;
	need_root();
	assert_int_equal(run_bin(&out, as_root), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char dp[32], st[32];

		/* Indented lines are a datapath's kernel features, not datapaths. */
		if (line[0] != ' ' && sscanf(line, "%31s %31s", dp, st) == 2 &&
		    strcmp(dp, "datapath")) {
			n++;
			ok += !strcmp(st, "ok");
		}
	}
	free(out);
	/* Every datapath is built and works here, as root. */
	assert_true(n >= 6);
	assert_int_equal(ok, n);
	bin = "/usr/bin/setpriv";
	assert_int_equal(run_bin(&out, as_nobody), 0);
	bin = saved;
	n = 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char dp[32], st[32];

		if (line[0] == ' ' || sscanf(line, "%31s %31s", dp, st) != 2 ||
		    !strcmp(dp, "datapath"))
			continue;
		n++;
		if (!strcmp(st, "ok"))
			fail_msg("as nobody, probe says %s", line);
	}
	free(out);
	assert_true(n >= 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_not_online), cmocka_unit_test(test_empty),
		cmocka_unit_test(test_nul),            cmocka_unit_test(test_repeated_section),
		cmocka_unit_test(test_duplicate_values), cmocka_unit_test(test_control_bytes),
		cmocka_unit_test(test_results_dir),    cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_probe_per_user),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
