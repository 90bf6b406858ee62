// SPDX-License-Identifier: BSD-3-Clause
/*
 * Signals sent to the harness's whole process group, as a terminal's ^C or
 * `kill -SIG -PGID` sends them, at three moments of a case: start-up (an
 * endpoint was just forked), in the window, and in teardown; for plain
 * namespaces, LXC containers and DPDK endpoints. Each run has two cases:
 * the first is the one the signal lands in, the second must never start.
 * Every time: the exit code is 128 + the signal (130, 143, 129), run.json
 * says `interrupted` and names case 1 and the signal, no result was kept,
 * no endpoint was killed by the signal (none was reported failed or not
 * finished, and no stray line came from an endpoint), and nothing of the
 * run is left.
 *
 * The moment comes from the harness itself (BYPASSLAB_TEST_SIGNAL), which
 * signals its own process group there; the harness runs in a process group
 * of its own (start_bg), so only it and what it started receive it.
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

static const char *const kinds[] = {
	"[topology]\ncontainer = netns\n[datapath]\ndatapath = udp\n",
	"[topology]\ncontainer = lxc\n[datapath]\ndatapath = udp\n",
	"[topology]\ntopology = direct\n[datapath]\ndatapath = dpdk\ndpdk_port = vhost\n",
};
static const char *const kind_names[] = { "netns", "lxc", "dpdk" };

/* Case results kept under the run directory (there must be none). */
static int results_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[2048];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/result.json", dir, e->d_name);
		n += !access(path, F_OK);
	}
	if (d)
		closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = 0;
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

static void signal_at(int kind, const char *point, int sig)
{
	char cfg[512], res[512], text[512], env[64], prefix[32] = "", dir[1024], path[1200];
	const char *out;
	json_error_t je;
	json_t *run, *intr;
	pid_t pid;
	int st;

	need_root();
	snprintf(cfg, sizeof(cfg), "%s/sig-%s-%s.ini", tmpdir, kind_names[kind], point);
	snprintf(res, sizeof(res), "%s/sig-%s-%s", tmpdir, kind_names[kind], point);
	snprintf(text, sizeof(text),
		 "[run]\nduration = 1\nwarmup = 0.2\n[workload]\nsize = 64, 128\n"
		 "[probes]\nprobes = off\n%s",
		 kinds[kind]);
	write_file(cfg, text);
	snprintf(env, sizeof(env), "%s:%d", point, sig);
	setenv("BYPASSLAB_TEST_SIGNAL", env, 1);
	pid = start_bg(cfg, res);
	unsetenv("BYPASSLAB_TEST_SIGNAL");
	waitpid(pid, &st, 0);
	snprintf(path, sizeof(path), "%s.out", res);
	out = slurp(path);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 128 + sig)
		fail_msg("%s %s: status %#x, want exit %d; output:\n%s", kind_names[kind], point,
			 st, 128 + sig, out);
	if (strstr(out, "did not finish") || strstr(out, "killed by signal") ||
	    strstr(out, "No such file") || strstr(out, "failed:"))
		fail_msg("%s %s: an endpoint saw the signal:\n%s", kind_names[kind], point, out);
	assert_true(run_prefix(res, prefix, sizeof(prefix)));
	{
		DIR *d = opendir(res);
		struct dirent *e;

		dir[0] = 0;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				snprintf(dir, sizeof(dir), "%s/%s", res, e->d_name);
		if (d)
			closedir(d);
	}
	snprintf(path, sizeof(path), "%s/run.json", dir);
	run = json_load_file(path, 0, &je);
	assert_non_null(run);
	assert_string_equal(json_string_value(json_object_get(run, "status")), "interrupted");
	intr = json_object_get(run, "interrupted");
	assert_non_null(intr);
	assert_int_equal(json_integer_value(json_object_get(intr, "case")), 1);
	snprintf(path, sizeof(path), "SIG%s", sigabbrev_np(sig));
	assert_string_equal(json_string_value(json_object_get(intr, "signal")), path);
	assert_int_equal(json_integer_value(json_object_get(run, "cases_done")), 0);
	json_decref(run);
	assert_int_equal(results_in(dir), 0);
	assert_no_lxc_leftovers(prefix);
}

static void test_netns_startup(void **s) { (void)s; signal_at(0, "startup", SIGINT); }
static void test_netns_window(void **s) { (void)s; signal_at(0, "window", SIGTERM); }
static void test_netns_teardown(void **s) { (void)s; signal_at(0, "teardown", SIGHUP); }
static void test_lxc_startup(void **s) { (void)s; signal_at(1, "startup", SIGTERM); }
static void test_lxc_window(void **s) { (void)s; signal_at(1, "window", SIGINT); }
static void test_lxc_teardown(void **s) { (void)s; signal_at(1, "teardown", SIGINT); }
static void test_dpdk_startup(void **s) { (void)s; signal_at(2, "startup", SIGHUP); }
static void test_dpdk_window(void **s) { (void)s; signal_at(2, "window", SIGINT); }
static void test_dpdk_teardown(void **s) { (void)s; signal_at(2, "teardown", SIGTERM); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netns_startup),   cmocka_unit_test(test_netns_window),
		cmocka_unit_test(test_netns_teardown),  cmocka_unit_test(test_lxc_startup),
		cmocka_unit_test(test_lxc_window),      cmocka_unit_test(test_lxc_teardown),
		cmocka_unit_test(test_dpdk_startup),    cmocka_unit_test(test_dpdk_window),
		cmocka_unit_test(test_dpdk_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
