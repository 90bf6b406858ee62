// SPDX-License-Identifier: BSD-3-Clause
/*
 * `bypasslab run CONFIG [--set key=v1,v2]...`: expand the config into cases
 * and run each in turn (case.c: build the topology, start the endpoints in
 * their namespaces, warm up, open the window, sample each second, close
 * it, stop, drain, reconcile every packet, tear down); write each result
 * as it finishes, print the table, and keep run.json up to date.
 *
 * Signals (SIGINT/SIGTERM/SIGHUP) are read from a signalfd in every wait
 * (interrupt.c), so an interrupt stops the current case, tears it down and
 * keeps the results of the finished ones. Every object is in the run-state
 * file before it exists.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/stat.h>

#include "breakdown.h"
#include "case_run.h"
#include "config.h"
#include "dp.h"
#include "dpdk_case.h"
#include "fileutil.h"
#include "harness.h"
#include "ep_remote.h"
#include "hosts.h"
#include "iface.h"
#include "interrupt.h"
#include "log.h"
#include "disturb.h"
#include "progress.h"
#include "result.h"
#include "runstate.h"
#include "search_case.h"
#include "table.h"
#include "tsc.h"

/* One `bypasslab run`: its cases, where their results go, what finished. */
struct run {
	const char *config;
	char **sets; /* --set (and --probes, --results) in order */
	int nsets, json_out, want_report;
	struct sweep sw;
	struct case_cfg *cases;
	int ncases;
	char prefix[16], run_id[64], run_dir[PATH_MAX], run_json[PATH_MAX + 16];
	struct runstate *rs;
	uint64_t tsc_hz;
	json_t *run, *machine, *list;
	int ndone, nfail, nunsup;
	struct search_memo *memo; /* the searches loads (rate = P%ndr) refer to */
	int search_cols;          /* some case searches: the table shows NDR/PDR */
};

static void usage_run(FILE *f)
{
	fprintf(f,
		"usage: bypasslab run CONFIG [--set key=v1,v2]... [--probes MODE] [--json] [--report] [-v]\n"
		"  --set key=VALUES  override a config key (list a,b,c or range start..step..end)\n"
		"  --probes MODE     off|aggregate|path|sample|both (same as --set probes=MODE)\n"
		"  --json            print each case's result as one JSON line on stdout\n"
		"  --results DIR     results directory (same as --set results_dir=DIR)\n"
		"  --report          then write the run's report (as `bypasslab report RUN_DIR`)\n"
		"  -v                more log output (repeatable)\n"
		"Every case of the config's product runs in turn; see `bypasslab keys`.\n");
}

/* The options into r: -1 to go on, else the exit code. */
static int run_options(struct run *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "probes", required_argument, NULL, 'p' },
		{ "results", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "report", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char buf[PATH_MAX];
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:p:r:jvh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			r->sets[r->nsets++] = strdup(optarg);
			break;
		case 'p':
			snprintf(buf, sizeof(buf), "probes=%s", optarg);
			r->sets[r->nsets++] = strdup(buf);
			break;
		case 'r':
			snprintf(buf, sizeof(buf), "results_dir=%s", optarg);
			r->sets[r->nsets++] = strdup(buf);
			break;
		case 'j':
			r->json_out = 1;
			break;
		case 'R':
			r->want_report = 1;
			break;
		case 'v':
			log_set_level(log_level + 1);
			break;
		case 'h':
			usage_run(stdout);
			return EXIT_OK;
		default:
			usage_run(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage_run(stderr);
		return EXIT_USAGE;
	}
	r->config = argv[optind];
	return -1;
}

/* Everything is parsed and validated before anything is created: 0, or
 * -1 with one line in err. */
static int run_validate(struct run *r, char *err, size_t len)
{
	char why[320];

	if (config_load(&r->sw, r->config, err, len))
		return -1;
	for (int i = 0; i < r->nsets; i++)
		if (config_set(&r->sw, r->sets[i], err, len))
			return -1;
	if (sweep_expand(&r->sw, &r->cases, &r->ncases, err, len))
		return -1;
	if (sweep_check_host(&r->sw, r->cases, r->ncases, err, len))
		return -1;
	for (int i = 0; i < r->ncases; i++) {
		if (!dp_find(r->cases[i].datapath)) {
			snprintf(err, len, "%s: datapath '%s' is not built in", r->config,
				 r->cases[i].datapath);
			return -1;
		}
	}
	/* The interfaces topology=iface would take: checked on this host. */
	if (iface_preflight(&r->sw, r->cases, r->ncases, err, len))
		return -1;
	/* ... and on the hosts topology=hosts would use, through their agents. */
	if (hosts_preflight(&r->sw, r->cases, r->ncases, err, len))
		return -1;
	if (dpdk_sriov_preflight(r->cases, r->ncases, why, sizeof(why))) {
		snprintf(err, len, "%s: %s", r->config, why);
		return -1;
	}
	return 0;
}

/* run.json as the run starts: what it runs, on what, with which overrides. */
static void run_json_begin(struct run *r)
{
	json_t *a = json_array();

	r->run = json_pack("{s:s, s:s, s:s, s:i, s:o}", "type", "run", "run_id", r->run_id,
			   "config", r->config, "cases", r->ncases, "machine",
			   json_deep_copy(r->machine));
	for (int i = 0; i < r->nsets; i++)
		json_array_append_new(a, json_string(r->sets[i]));
	json_object_set_new(r->run, "overrides", a);
	snprintf(r->run_json, sizeof(r->run_json), "%s/run.json", r->run_dir);
	json_object_set_new(r->run, "status", json_string("running"));
	json_write_atomic(r->run, r->run_json);
	/* So that `bypasslab cleanup` can mark it killed if we die. */
	{
		char abs[PATH_MAX];

		if (realpath(r->run_dir, abs) && strlen(abs) + 10 < sizeof(abs)) {
			strcat(abs, "/run.json");
			runstate__set_run(r->rs, abs);
		}
	}
}

/* Another live run shares the machine: say so at the start (its cases
 * will say it too); exclusive = yes waits for it, bounded, then refuses.
 * 0, or -EBUSY / -EINTR: the run does not start. */
static int run_alone(const struct run *r)
{
	const struct case_cfg *c = &r->cases[0];
	char others[256];
	int err;

	if (!disturb_other_runs(r->prefix, others, sizeof(others)))
		return 0;
	if (!c->exclusive) {
		fprintf(stderr,
			"bypasslab: another bypasslab run is alive (%s): the cases it overlaps are "
			"marked disturbed (exclusive = yes waits for it)\n",
			others);
		return 0;
	}
	fprintf(stderr, "bypasslab: exclusive = yes: waiting up to %g s for %s to end\n",
		c->exclusive_wait_s, others);
	err = disturb_wait_alone(r->prefix, (int)(c->exclusive_wait_s * 1000.0), others,
				 sizeof(others), interrupt_caught);
	if (err == -EBUSY)
		fprintf(stderr,
			"bypasslab: exclusive = yes: %s still alive after %g s, not starting\n",
			others, c->exclusive_wait_s);
	return err;
}

/* The run's prefix and state file, its directory and run.json. */
static int run_open(struct run *r)
{
	char stamp[32];
	time_t now;
	struct tm tm;

	if (runstate_gen_prefix(r->prefix)) {
		perror("bypasslab: run prefix");
		return -1;
	}
	r->rs = runstate__open(r->prefix);
	if (!r->rs) {
		perror("bypasslab: run-state file");
		return -1;
	}
	if (run_alone(r))
		return -1;
	if (iface_claim(r->rs, r->cases, r->ncases))
		return -1;
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(r->run_id, sizeof(r->run_id), "%s-%s", stamp, r->prefix);
	snprintf(r->run_dir, sizeof(r->run_dir), "%s/%s", r->cases[0].results_dir, r->run_id);
	if (mkdir_p(r->run_dir)) {
		fprintf(stderr, "bypasslab: %s: %s\n", r->run_dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < r->ncases; i++)
		r->search_cols |= search_case_wanted(&r->cases[i]);
	r->tsc_hz = tsc_calibrate_hz(100);
	r->machine = sysinfo_json(r->tsc_hz);
	r->list = json_array();
	run_json_begin(r);
	fprintf(stderr, "bypasslab: run %s: %d case(s), results in %s\n", r->run_id, r->ncases,
		r->run_dir);
	if (!r->json_out)
		table_header(stdout, r->search_cols);
	return 0;
}

/* Case i's result.json, its line on stdout, and the counts. */
static void run_record(struct run *r, int i, json_t *res, const char *st)
{
	char cdir[PATH_MAX + 64], path[PATH_MAX + 96];

	snprintf(cdir, sizeof(cdir), "%s/%s", r->run_dir,
		 json_string_value(json_object_get(res, "case_dir")));
	mkdir_p(cdir);
	snprintf(path, sizeof(path), "%s/result.json", cdir);
	if (json_write_atomic(res, path))
		fprintf(stderr, "bypasslab: writing %s failed\n", path);
	if (st && !strcmp(st, "failed")) {
		r->nfail++;
		fprintf(stderr, "bypasslab: case %d failed: %s\n", i + 1,
			json_string_value(json_object_get(res, "error")));
	} else if (st && !strcmp(st, "unsupported")) {
		r->nunsup++;
		fprintf(stderr, "bypasslab: case %d unsupported here: %s\n", i + 1,
			json_string_value(json_object_get(res, "error")));
	}
	r->ndone++;
	if (r->json_out) {
		char *s = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);

		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		table_row(stdout, res, r->search_cols);
	}
	fflush(stdout);
}

/* The case a signal ended: not kept as a result (it did not finish as
 * configured), named in run.json and on stderr. */
static void run_interrupted(struct run *r, int i, json_t *res)
{
	const char *dir = json_string_value(json_object_get(res, "case_dir"));
	const char *st = json_string_value(json_object_get(res, "status"));
	char sig[32];

	snprintf(sig, sizeof(sig), "SIG%s", sigabbrev_np(interrupt_caught()));
	if (st && strcmp(st, "interrupted"))
		fprintf(stderr, "bypasslab: case %d interrupted by %s as it ended (%s)\n", i + 1,
			sig, st);
	else
		fprintf(stderr, "bypasslab: case %d interrupted by %s\n", i + 1, sig);
	json_object_set_new(r->run, "interrupted",
			    json_pack("{s:i, s:s, s:s, s:s}", "case", i + 1, "case_dir",
				      dir ? dir : "", "signal", sig, "case_status", st ? st : ""));
}

/* Every case in turn until a signal comes: the case it came in is not
 * kept (whatever phase it reached), every earlier one is, and no case
 * starts after it. */
static void run_cases(struct run *r)
{
	struct progress prog;

	progress_init(&prog);
	for (int i = 0; i < r->ncases && !interrupt_caught(); i++) {
		struct case_ctx cc = {
			.c = &r->cases[i], .idx = i, .ncases = r->ncases, .run_dir = r->run_dir,
			.prefix = r->prefix, .tsc_hz = r->tsc_hz, .rs = r->rs,
			.machine = r->machine,
		};
		const char *st;
		json_t *res;

		progress_case(&prog, r->cases, i, r->ncases);
		res = search_case_wanted(cc.c) ? search_case(&cc, &r->memo) : run_case(&cc);
		progress_clear(&prog);
		if (!res)
			continue;
		json_object_set_new(res, "run_id", json_string(r->run_id));
		st = json_string_value(json_object_get(res, "status"));
		if (interrupt_caught() || (st && !strcmp(st, "interrupted"))) {
			run_interrupted(r, i, res);
			/* A search keeps the trials that finished before the signal. */
			if (json_is_object(json_object_get(res, "search"))) {
				run_record(r, i, res, st);
				json_array_append_new(r->list, res);
				break;
			}
			json_decref(res);
			break;
		}
		run_record(r, i, res, st);
		json_array_append_new(r->list, res);
	}
}

/* run.json's final state, the table's footer and breakdowns, and the
 * report if asked for: the run's exit code. */
static int run_close(struct run *r)
{
	int interrupted = interrupt_caught(), ret;

	json_object_set_new(r->run, "status",
			    json_string(interrupted ? "interrupted" : "complete"));
	json_object_set_new(r->run, "cases_done", json_integer(r->ndone));
	json_object_set_new(r->run, "cases_failed", json_integer(r->nfail));
	json_object_set_new(r->run, "cases_unsupported", json_integer(r->nunsup));
	json_write_atomic(r->run, r->run_json);
	if (!r->json_out && json_array_size(r->list)) {
		table_footer(stdout, r->list);
		breakdown_print(stdout, r->list);
	}
	fprintf(stderr, "bypasslab: %d/%d case(s) done (%d failed, %d unsupported), results in %s\n",
		r->ndone, r->ncases, r->nfail, r->nunsup, r->run_dir);
	ret = interrupted ? interrupt_exit_code(interrupted) : r->nfail ? EXIT_FAIL : EXIT_OK;
	/* The report of what finished (not after Ctrl-C: the user wants out). */
	if (r->want_report && r->ndone && !interrupted) {
		char *rargv[] = { "report", r->run_dir, NULL };

		if (do_report(2, rargv) && ret == EXIT_OK)
			ret = EXIT_FAIL;
	}
	return ret;
}

static void run_free(struct run *r)
{
	search_memo_free(r->memo);
	json_decref(r->list);
	json_decref(r->run);
	json_decref(r->machine);
	free(r->cases);
	sweep_free(&r->sw);
	for (int i = 0; i < r->nsets; i++)
		free(r->sets[i]);
	free(r->sets);
}

int do_run(int argc, char **argv)
{
	char err[CONFIG_ERR_LEN];
	struct run r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.sets = calloc((size_t)argc + 1, sizeof(char *));
	if (!r.sets)
		return EXIT_FAIL;
	sweep_init(&r.sw);
	ret = run_options(&r, argc, argv);
	if (ret >= 0)
		goto out;
	ret = EXIT_FAIL;
	if (run_validate(&r, err, sizeof(err))) {
		fprintf(stderr, "bypasslab: %s\n", err);
		ret = EXIT_USAGE;
		goto out;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bypasslab: run needs root (network namespaces, veth, bridge)\n");
		goto out;
	}
	if (interrupt_begin()) {
		perror("bypasslab: signalfd");
		goto out_sig;
	}
	if (!run_open(&r)) {
		run_cases(&r);
		ret = run_close(&r);
	} else if (interrupt_caught()) {
		/* A signal while exclusive = yes waited for another run. */
		ret = interrupt_exit_code(interrupt_caught());
	}
	runstate__undo_all(r.rs);
	runstate__close(r.rs);
out_sig:
	interrupt_end();
out:
	run_free(&r);
	return ret;
}

/* `cleanup --host H`: the same cleanup run there, over ssh with the
 * given options; its output is ours, its exit code too. */
static int cleanup_remote(const char *host, const char *opts, const char *bin, int force,
			  int verbose)
{
	const char *argv[64];
	char o[512], url[160];
	int n, st;
	pid_t pid;

	snprintf(o, sizeof(o), "%s", opts ? opts : "");
	n = ep_remote_ssh_argv(host, o, 0, url, sizeof(url), argv, 58);
	if (n < 0) {
		fprintf(stderr, "bypasslab cleanup: --ssh-options: too many words\n");
		return EXIT_USAGE;
	}
	argv[n++] = bin ? bin : "bypasslab";
	argv[n++] = "cleanup";
	if (force)
		argv[n++] = "--force";
	if (verbose)
		argv[n++] = "-v";
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		execvp("ssh", (char *const *)argv);
		fprintf(stderr, "bypasslab cleanup: exec ssh: %s\n", strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		fprintf(stderr, "bypasslab cleanup: ssh: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 255) {
		fprintf(stderr, "bypasslab cleanup: host %s: ssh failed (unreachable, or "
				"authentication refused)\n", host);
		return EXIT_FAIL;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_FAIL;
}

int do_cleanup(int argc, char **argv)
{
	const char *host = NULL, *opts = NULL, *bin = NULL;
	int force = 0, verbose = 0, n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = 1;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = 1;
		else if (!strcmp(argv[i], "--host") && i + 1 < argc && argv[i + 1][0] != '-')
			host = argv[++i];
		else if (!strcmp(argv[i], "--ssh-options") && i + 1 < argc)
			opts = argv[++i];
		else if (!strcmp(argv[i], "--remote-bin") && i + 1 < argc && argv[i + 1][0] != '-')
			bin = argv[++i];
		else {
			fprintf(stderr, "usage: bypasslab cleanup [--force] [-v] [--host "
					"[USER@]HOST[:PORT] [--ssh-options OPTS] [--remote-bin PATH]]\n");
			return EXIT_USAGE;
		}
	}
	if (host)
		return cleanup_remote(host, opts, bin, force, verbose);
	if (opts || bin) {
		fprintf(stderr, "bypasslab cleanup: --ssh-options and --remote-bin go with --host\n");
		return EXIT_USAGE;
	}
	n = cleanup_all(force, verbose);
	if (n < 0) {
		fprintf(stderr, "bypasslab cleanup: %s\n", strerror(-n));
		return EXIT_FAIL;
	}
	fprintf(stderr, "bypasslab cleanup: removed %d object(s)\n", n);
	return EXIT_OK;
}

/* What this user can use: every datapath's own probe, run as the caller;
 * and `run` itself (namespaces, veth, bridge) needs root, so for anyone
 * else nothing is usable, whatever the datapath's probe says. */
int do_probe(int argc, char **argv)
{
	int root = geteuid() == 0;

	(void)argc;
	(void)argv;
	if (!root)
		fprintf(stderr, "bypasslab probe: running as uid %d: `bypasslab run` needs root "
				"(network namespaces, veth, bridge), so no datapath can run for "
				"this user\n",
			(int)geteuid());
	printf("%-8s %-12s %s\n", "datapath", "status", "description");
	for (int i = 0; dp_table[i]; i++) {
		int err = dp_table[i]->probe();

		struct dp_feature f[16];
		int n = dp_table[i]->features ? dp_table[i]->features(f, 16) : 0;

		printf("%-8s %-12s %s\n", dp_table[i]->name,
		       err ? "unsupported" : !root ? "needs-root" : "ok",
		       dp_table[i]->desc ? dp_table[i]->desc : "");
		/* The kernel features its options ask for, each tried here. */
		for (int j = 0; j < n; j++) {
			char st[48];

			snprintf(st, sizeof(st), "unsupported (%s)", strerror(-f[j].err));
			printf("  %-16s %-12s %s\n", f[j].key, f[j].err ? st : "ok", f[j].what);
		}
	}
	return EXIT_OK;
}

/* A datapath's own key says whose it is: "packet: transmit ...". */
int do_keys(int argc, char **argv)
{
	struct config_key_info k;

	(void)argc;
	(void)argv;
	printf("%-12s %-12s %-32s %-10s %s\n", "section", "key", "allowed", "default", "meaning");
	for (int i = 0; !config_key(i, &k); i++)
		printf("%-12s %-12s %-32s %-10s %s%s%s\n", k.section, k.key, k.allowed,
		       k.def ? k.def : "", k.datapath ? k.datapath : "", k.datapath ? ": " : "",
		       k.help ? k.help : "");
	return EXIT_OK;
}
