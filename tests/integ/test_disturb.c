// SPDX-License-Identifier: BSD-3-Clause
/*
 * The disturbance verdict. A CPU hog pinned to the receiver's core (a
 * bounded busy loop this test starts and kills) must make the case
 * `disturbed`, naming other tasks on that core and the receiver's wait for
 * it, with figures beyond the documented thresholds, while the case keeps
 * its status and numbers; the table, table.txt, the breakdown and compare
 * must say so. A run that starts while another run is alive says so and its
 * cases name that run; `exclusive = yes` refuses after its bounded wait
 * (creating nothing) or, given time, waits until the other run has ended.
 *
 * A quiet case cannot be promised on a shared machine (other runs may be
 * going on): for it only the verdict's consistency is checked, and its
 * verdict is reported.
 */
#include <sched.h>
#include <sys/mman.h>

#include "integ.h"
#include "disturb.h"

static pid_t hog_pid;

static json_t *jpath_arr(json_t *o, const char *path)
{
	char buf[256], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = json_object_get(o, tok);
	return o;
}

/* A busy loop on cpu, for at most max_s seconds (and never past its
 * parent): the test kills it when its run is over. */
static pid_t hog_start(int cpu, int max_s)
{
	pid_t parent = getpid(), pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		cpu_set_t set;
		time_t end = time(NULL) + max_s;
		volatile unsigned long spin = 0;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			_exit(2);
		while (time(NULL) < end && getppid() == parent)
			for (int i = 0; i < 1000000; i++)
				spin++;
		_exit(0);
	}
	hog_pid = pid;
	return pid;
}

static void hog_stop(void)
{
	if (hog_pid > 0) {
		kill(hog_pid, SIGKILL);
		waitpid(hog_pid, NULL, 0);
		hog_pid = 0;
	}
}

static int teardown(void **state)
{
	hog_stop();
	return group_teardown(state);
}

static const char *const quiet_cfg =
	"[run]\nduration = 1\nwarmup = 0.3\n[workload]\npattern = throughput\nsize = 64\n"
	"rate = 20k\nburst = 8\n[topology]\ncpu_a = 0\ncpu_b = 1\n[datapath]\ndatapath = udp\n"
	"[probes]\nprobes = off\n";

/* The reason of `check` at `where` in r's verdict, or NULL. */
static json_t *reason(json_t *r, const char *check, const char *where)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(r, "disturbance"), "reasons"), i, x)
		if (!strcmp(str(x, "check"), check) && (!where || !strcmp(str(x, "where"), where)))
			return x;
	return NULL;
}

/* Whatever the verdict: disturbed iff there is a reason, every reason's
 * figure is beyond its threshold, and every figure is there. */
static void check_consistent(json_t *r)
{
	json_t *rs = json_object_get(json_object_get(r, "disturbance"), "reasons"), *x, *c;
	size_t i;

	assert_true(json_is_boolean(json_object_get(r, "disturbed")));
	assert_int_equal(json_is_true(json_object_get(r, "disturbed")), json_array_size(rs) > 0);
	json_array_foreach(rs, i, x)
		if (!(num(x, "value") > num(x, "threshold")))
			fail_msg("reason %s: %.2f not beyond %.2f", str(x, "text"), num(x, "value"),
				 num(x, "threshold"));
	assert_int_equal(json_array_size(jpath_arr(r, "disturbance.cores")), 2);
	json_array_foreach(jpath_arr(r, "disturbance.cores"), i, c) {
		num(c, "other_tasks_pct");
		num(c, "steal_pct");
		assert_true(num(c, "endpoints_run_pct") >= 0);
		assert_true(num(c, "endpoints_run_pct") <= 100 + num(c, "resolution_pct"));
	}
	num(r, "disturbance.endpoints.a.run_queue_wait_pct");
	num(r, "disturbance.endpoints.b.involuntary_switches_per_s");
	assert_true(num(r, "disturbance.thresholds.other_tasks_pct") == DISTURB_OTHER_TASKS_PCT);
}

static void test_quiet_consistent(void **state)
{
	char prefix[32];
	json_t *list, *r, *x;
	size_t i;
	int rc;

	(void)state;
	list = run_text("quiet", quiet_cfg, NULL, &rc, prefix, sizeof(prefix));
	assert_int_equal(rc, 0);
	r = json_array_get(list, 0);
	assert_non_null(r);
	assert_string_equal(str(r, "status"), "ok");
	check_consistent(r);
	print_message("quiet case: %s\n",
		      json_is_true(json_object_get(r, "disturbed")) ? "disturbed" : "not disturbed");
	json_array_foreach(jpath_arr(r, "disturbance.reasons"), i, x)
		print_message("  %s\n", str(x, "text"));
	json_decref(list);
	assert_no_leftovers(prefix);
}

/* The hog on the receiver's core: cpu 1 shared half and half. */
static void test_hog_disturbs(void **state)
{
	char prefix[32], dir[600], path[700], cmd[1600];
	const char *rargs[] = { bin, "report", dir, NULL };
	const char *cargs[] = { bin, "compare", dir, dir, NULL };
	json_t *list, *r, *x, *c;
	char *out = NULL;
	size_t i;
	int rc;

	(void)state;
	need_root();
	hog_start(1, 30);
	list = run_text("hog", quiet_cfg, NULL, &rc, prefix, sizeof(prefix));
	hog_stop();
	assert_int_equal(rc, 0);
	r = json_array_get(list, 0);
	assert_non_null(r);
	/* It keeps its status and its numbers. */
	assert_string_equal(str(r, "status"), "ok");
	assert_true(num(r, "throughput.rx_pkts") > 0);
	check_consistent(r);
	assert_true(json_is_true(json_object_get(r, "disturbed")));
	x = reason(r, "other_tasks", "cpu 1");
	if (!x)
		fail_msg("no other_tasks reason for cpu 1: %s",
			 json_dumps(jpath_arr(r, "disturbance.reasons"), JSON_COMPACT));
	json_array_foreach(jpath_arr(r, "disturbance.cores"), i, c)
		if (num(c, "cpu") == 1 &&
		    num(c, "other_tasks_pct") - num(c, "resolution_pct") <= DISTURB_OTHER_TASKS_PCT)
			fail_msg("cpu 1: other tasks %.1f %%", num(c, "other_tasks_pct"));
	if (!reason(r, "run_queue_wait", "b"))
		fail_msg("no run_queue_wait reason for b: %.1f %%",
			 num(r, "disturbance.endpoints.b.run_queue_wait_pct"));
	print_message("hog on cpu 1: %s\n", str(x, "text"));
	/* table.txt and the report, the breakdown's line, compare's warning. */
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, str(r, "run_id"));
	assert_int_equal(run_bin(NULL, rargs), 0);
	snprintf(path, sizeof(path), "%s/table.txt", dir);
	snprintf(cmd, sizeof(cmd), "grep -q 'case 1 disturbed (its figures are kept): .*cpu 1' %s",
		 path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "grep -q 'disturbed: other tasks took' %s/report.html", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run_bin(&out, cargs), 0);
	if (!strstr(out, "WARNING: comparing disturbed cases"))
		fail_msg("compare did not warn: %s", out);
	free(out);
	json_decref(list);
	assert_no_leftovers(prefix);
}

/* Run args with stderr into errbuf; the exit status. */
static int run_err(const char *const args[], char *errbuf, size_t len)
{
	char path[400];
	int fd, saved, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/stderr.txt", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	st = run_bin(NULL, args);
	dup2(saved, 2);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(errbuf, 1, len - 1, f);
	errbuf[n] = 0;
	fclose(f);
	return st;
}

static int bg_prefix(const char *res, char *prefix, size_t len, int ms)
{
	char p[300];

	for (int t = 0; t < ms; t += 50) {
		if (run_prefix(res, prefix, len)) {
			snprintf(p, sizeof(p), "/run/bypasslab/%s.state", prefix);
			if (!access(p, F_OK))
				return 1;
		}
		usleep(50000);
	}
	return 0;
}

/* Another run alive: the start says so, the case names it; exclusive
 * refuses after its wait, creating nothing. */
static void test_other_run(void **state)
{
	char cfg[400], bgres[400], res[400], fgcfg[400], other[32], prefix[32], err[8192];
	const char *refusal;
	const char *args[] = { bin, "run", fgcfg, "--json", "--results", res, NULL };
	json_t *list, *r, *x;
	pid_t pid;
	int rc;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/long.ini", tmpdir);
	snprintf(bgres, sizeof(bgres), "%s/bg", tmpdir);
	snprintf(res, sizeof(res), "%s/fg", tmpdir);
	snprintf(fgcfg, sizeof(fgcfg), "%s/fg.ini", tmpdir);
	write_file(cfg, "[run]\nduration = 6\nwarmup = 0\n[workload]\nrate = 1k\nburst = 1\n"
			"[probes]\nprobes = off\n");
	pid = start_bg(cfg, bgres);
	assert_true(bg_prefix(bgres, other, sizeof(other), 10000));
	/* exclusive = yes, no wait: refused, nothing created. */
	write_file(fgcfg, "[run]\nexclusive = yes\nexclusive_wait = 0.5\nduration = 0.5\n"
			  "[probes]\nprobes = off\n");
	rc = run_err(args, err, sizeof(err));
	assert_int_equal(rc, 1);
	if (!strstr(err, "still alive") || !strstr(err, other))
		fail_msg("exclusive refusal did not name %s: %s", other, err);
	assert_int_equal(access(res, F_OK), -1);
	/* Without exclusive: said at the start, and in the case's verdict. */
	write_file(fgcfg, "[run]\nduration = 0.5\nwarmup = 0.2\n[workload]\nrate = 10k\n"
			  "[probes]\nprobes = off\n");
	list = run_json((const char *const[]){ bin, "run", fgcfg, "--json", "--results", res,
					       NULL },
			&rc, prefix, sizeof(prefix));
	assert_int_equal(rc, 0);
	r = json_array_get(list, 0);
	assert_non_null(r);
	x = reason(r, "other_runs", NULL);
	if (!x || !strstr(str(x, "where"), other))
		fail_msg("the case does not name run %s", other);
	assert_true(json_is_true(json_object_get(r, "disturbed")));
	json_decref(list);
	assert_no_leftovers(prefix);
	/* exclusive = yes with time to wait: it starts once the other run is
	 * over, and then nothing else is alive. */
	write_file(fgcfg, "[run]\nexclusive = yes\nexclusive_wait = 20\nduration = 0.5\n"
			  "[probes]\nprobes = off\n");
	rc = run_err(args, err, sizeof(err));
	if (!strstr(err, "waiting up to"))
		fail_msg("exclusive did not say it waits: %s", err);
	for (int t = 0; t < 5000 && waitpid(pid, NULL, WNOHANG) != pid; t += 50)
		usleep(50000);
	assert_int_equal(kill(pid, 0), -1);
	refusal = strstr(err, "still alive");
	if (rc == 1 && refusal) {
		/* Refused: only for a run of someone else's that outlived the
		 * wait, never for ours, which ended within it. */
		const char *line = refusal;

		while (line > err && line[-1] != '\n')
			line--;
		if (strstr(line, other) && strstr(line, other) < refusal)
			fail_msg("exclusive refused for %s, which had ended: %s", other, err);
		print_message("exclusive: another run outlived the wait: %s", err);
	} else if (rc != 0) {
		fail_msg("exclusive run: exit %d: %s", rc, err);
	}
	assert_no_leftovers(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_consistent),
		cmocka_unit_test(test_hog_disturbs),
		cmocka_unit_test(test_other_run),
	};

	return cmocka_run_group_tests(tests, group_setup, teardown);
}
