// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of the reports: `report` on the recorded fixture writes
 * the text table, the CSV and every plot (valid SVG and PNG); the HTML page
 * is self-contained and renders in headless Chromium with its tables and
 * images and no console message; `compare` of the fixture with itself gives
 * ratios of 1; bad input is refused with exit code 2 and one line; and each
 * course lab's config parses and runs in a one-second version, its report
 * included, leaving nothing behind.
 */
#include <math.h>
#include <sys/types.h>

#include "integ.h"

#define FIXTURE "tests/fixtures/small-run"
#define ARTIFACTS ".output/test-artifacts"

static char outdir[300];

/* Run bin with args, stdout and stderr into malloc'd strings. */
static int run_cap(const char *const args[], char **out, char **err)
{
	char opath[400], epath[400];
	int st, fo, fe;
	pid_t pid;

	snprintf(opath, sizeof(opath), "%s/cap.out", tmpdir);
	snprintf(epath, sizeof(epath), "%s/cap.err", tmpdir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fo = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		fe = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fo < 0 || fe < 0)
			_exit(127);
		dup2(fo, 1);
		dup2(fe, 2);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(i ? epath : opath, "r");
		char *buf = NULL;
		size_t cap = 0, len = 0;

		assert_non_null(f);
		for (;;) {
			if (len + 4096 >= cap) {
				cap = cap ? cap * 2 : 65536;
				buf = realloc(buf, cap);
				assert_non_null(buf);
			}
			size_t r = fread(buf + len, 1, cap - len - 1, f);

			if (!r)
				break;
			len += r;
		}
		buf[len] = 0;
		fclose(f);
		if (i)
			*err = buf;
		else
			*out = buf;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static int have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* A tool the test needs: skip without it, except under CI=true. */
static void need(const char *prog)
{
	if (have(prog))
		return;
	if (must_run())
		fail_msg("%s is missing and CI=true forbids skipping (make deps installs it)", prog);
	skip();
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void check_svg(const char *path)
{
	size_t len;
	char *s = slurp(path, &len);
	const char *p = s + strspn(s, " \t\r\n");

	if (!len)
		fail_msg("%s is empty", path);
	if (strncmp(p, "<?xml", 5) && strncmp(p, "<svg", 4))
		fail_msg("%s does not start with <?xml or <svg", path);
	if (!strstr(s, "</svg>"))
		fail_msg("%s has no </svg>", path);
	free(s);
}

static void check_png(const char *path)
{
	static const unsigned char magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	size_t len;
	char *s = slurp(path, &len);

	if (len < 1000 || memcmp(s, magic, 8))
		fail_msg("%s is not a PNG image (%zu bytes)", path, len);
	free(s);
}

/* Run `report` on the fixture into outdir once; the tests read its files. */
static void report_fixture(char **listing)
{
	const char *args[] = { bin, "report", FIXTURE, "--out", outdir, NULL };
	char *out, *err;
	int rc;

	rc = run_cap(args, &out, &err);
	if (rc)
		fail_msg("report exited %d: %s", rc, err);
	free(err);
	*listing = out;
}

/* The fixture's report, written unless `path` in it exists already. */
static void report_once(const char *path)
{
	char *listing;

	if (!access(path, F_OK))
		return;
	report_fixture(&listing);
	free(listing);
}

static void test_report_files(void **state)
{
	char *listing, path[700];
	int nsvg = 0, npng = 0;
	const char *want[] = { "report.html", "table.txt", "cases.csv",
			       "plots/breakdown-throughput.svg", "plots/breakdown-pingpong.svg",
			       "plots/pps-vs-size.svg", "plots/rtt-cdf.svg",
			       "plots/syscalls-throughput.svg", NULL };

	(void)state;
	need("gnuplot");
	report_fixture(&listing);
	/* Every file it lists exists, is not empty, and is what its name says. */
	for (char *line = strtok(listing, "\n"); line; line = strtok(NULL, "\n")) {
		struct stat st;
		size_t l = strlen(line);

		if (stat(line, &st) || !st.st_size)
			fail_msg("listed file %s is missing or empty", line);
		if (l > 4 && !strcmp(line + l - 4, ".svg")) {
			check_svg(line);
			nsvg++;
		} else if (l > 4 && !strcmp(line + l - 4, ".png")) {
			check_png(line);
			npng++;
		}
	}
	free(listing);
	assert_true(nsvg >= 5);
	assert_int_equal(nsvg, npng);
	for (int i = 0; want[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", outdir, want[i]);
		if (access(path, F_OK))
			fail_msg("report did not write %s", want[i]);
	}
}

static void test_report_table_csv(void **state)
{
	char path[400], *s, *line, *save;
	int rows = 0, cols = -1;

	(void)state;
	need("gnuplot");
	snprintf(path, sizeof(path), "%s/table.txt", outdir);
	report_once(path);
	s = slurp(path, NULL);
	assert_non_null(strstr(s, "Throughput"));
	assert_non_null(strstr(s, "Ping-pong latency"));
	assert_non_null(strstr(s, "ns per packet by attribution group"));
	assert_non_null(strstr(s, "udp throughput"));
	assert_non_null(strstr(s, "mmsg pingpong"));
	free(s);

	/* One header and one row per case, every row as wide as the header
	 * (no field holds a comma outside quotes in the fixture's names). */
	snprintf(path, sizeof(path), "%s/cases.csv", outdir);
	s = slurp(path, NULL);
	assert_true(!strncmp(s, "case,case_dir,status,", 21));
	assert_non_null(strstr(s, "throughput.rx_pps"));
	assert_non_null(strstr(s, "attribution.cores.0.groups.syscalls.ns_per_pkt"));
	assert_non_null(strstr(s, "rtt_ns.p99"));
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int c = 1, quoted = 0;

		for (char *p = line; *p; p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (*p == ',' && !quoted)
				c++;
		}
		if (cols < 0)
			cols = c;
		else if (c != cols)
			fail_msg("cases.csv row %d has %d fields, the header %d", rows, c, cols);
		rows++;
	}
	assert_int_equal(rows, 1 + 4);
	assert_true(cols > 100);
	free(s);
}

/* Chromium with a throw-away profile; output and log into files. */
static int chromium(const char *what, const char *page, const char *out, const char *log)
{
	char prof[300], cmd[2400];
	int rc;

	snprintf(prof, sizeof(prof), "%s/chromium-XXXXXX", tmpdir);
	assert_non_null(mkdtemp(prof));
	snprintf(cmd, sizeof(cmd),
		 "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic "
		 "--no-first-run --disable-background-networking --disable-component-update "
		 "--disable-sync --user-data-dir='%s' --window-size=1280,2000 "
		 "--enable-logging=stderr --v=0 %s 'file://%s' >'%s' 2>'%s'",
		 prof, what, page, out, log);
	rc = system(cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", prof);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", prof);
	return rc;
}

static void test_report_html(void **state)
{
	char page[400], path[1200], shot[400], log[400], dom[400], what[600], *s, *line, *save;
	int nsvg;

	(void)state;
	need("gnuplot");
	need("chromium");
	snprintf(page, sizeof(page), "%s/report.html", outdir);
	report_once(page);
	assert_true(page[0] == '/'); /* tmpdir is absolute: a file:// URL */

	/* Self-contained: no scripts, no stylesheets or images to fetch, no
	 * link that leaves the page. */
	s = slurp(page, NULL);
	assert_true(!strncmp(s, "<!DOCTYPE html>", 15));
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, " src="));
	assert_null(strstr(s, "<link rel=\"stylesheet\""));
	assert_null(strstr(s, "url(http"));
	for (const char *p = s; (p = strstr(p, "href=")); p += 5) {
		char q = p[5];

		if (p[6] != '#' && strncmp(p + 6, "data:", 5))
			fail_msg("report.html links out: %.60s", p);
		(void)q;
	}
	nsvg = count(s, "<svg");
	assert_true(nsvg >= 5);
	assert_true(count(s, "<table") >= 5);
	free(s);

	mkdir(".output", 0755);
	mkdir(ARTIFACTS, 0755);
	snprintf(shot, sizeof(shot), "%s/report.png", ARTIFACTS);
	snprintf(log, sizeof(log), "%s/chromium-screenshot.log", tmpdir);
	snprintf(path, sizeof(path), "%s/chromium-screenshot.out", tmpdir);
	unlink(shot);
	snprintf(what, sizeof(what), "--screenshot='%s'", shot);
	assert_int_equal(chromium(what, page, path, log), 0);
	check_png(shot);
	/* No JavaScript runs and nothing is fetched: any console message
	 * (script error, failed resource) is a defect. */
	s = slurp(log, NULL);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "CONSOLE"))
			fail_msg("console message while rendering report.html: %s", line);
	free(s);

	snprintf(dom, sizeof(dom), "%s/dom.html", tmpdir);
	snprintf(log, sizeof(log), "%s/chromium-dom.log", tmpdir);
	assert_int_equal(chromium("--dump-dom", page, dom, log), 0);
	s = slurp(dom, NULL);
	/* The rendered document holds every table and every inline plot. */
	assert_true(count(s, "<table") >= 5);
	assert_int_equal(count(s, "<svg"), nsvg);
	assert_non_null(strstr(s, "id=\"t-throughput\""));
	assert_non_null(strstr(s, "id=\"t-breakdown\""));
	assert_non_null(strstr(s, "id=\"breakdown-throughput\""));
	free(s);
	s = slurp(log, NULL);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "CONSOLE"))
			fail_msg("console message while rendering report.html: %s", line);
	free(s);
	/* The page next to its screenshot, for a person to open. */
	snprintf(path, sizeof(path), "cp '%s' %s/report.html", page, ARTIFACTS);
	assert_int_equal(system(path), 0);
}

/* The same three significant digits the report prints. */
static void fmt_si(char *b, size_t len, double v)
{
	if (fabs(v) >= 1e6)
		snprintf(b, len, "%.3gM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(b, len, "%.3gk", v / 1e3);
	else
		snprintf(b, len, "%.0f", v);
}

/*
 * A figure the report aggregates, recomputed here from the result.json it
 * came from: the fixture's udp throughput combination has one repetition,
 * so its received rate is the mean of the per-second samples without the
 * first and last second, and its interval Student's t (n - 1 degrees of
 * freedom) times the standard error. table.txt must print those, the
 * compare JSON must carry them, and report.html must show the table's text.
 */
static void test_report_figures(void **state)
{
	static const double t975[] = { 0, 12.7062047, 4.3026527, 3.1824463, 2.7764451, 2.5705818 };
	char path[600], want[96], m[32], ci[32], *s, *out, *err;
	const char *args[] = { bin, "compare", FIXTURE, FIXTURE, "--json", NULL };
	json_t *r, *samples, *j, *a;
	json_error_t je;
	double v[16], mean = 0, sd = 0, ci95;
	int n = 0;

	(void)state;
	need("gnuplot");
	snprintf(path, sizeof(path), "%s/001-udp-bridge-throughput-64-r1/result.json", FIXTURE);
	r = json_load_file(path, 0, &je);
	assert_non_null(r);
	samples = json_object_get(r, "samples");
	for (size_t i = 1; i + 1 < json_array_size(samples) && n < 16; i++)
		v[n++] = num(json_array_get(samples, i), "rx_pps");
	assert_true(n >= 2 && n <= 5);
	for (int i = 0; i < n; i++)
		mean += v[i] / n;
	for (int i = 0; i < n; i++)
		sd += (v[i] - mean) * (v[i] - mean) / (n - 1);
	sd = sqrt(sd);
	ci95 = t975[n - 1] * sd / sqrt((double)n);
	json_decref(r);

	/* compare --json: the same mean and interval, from its own code path. */
	assert_int_equal(run_cap(args, &out, &err), 0);
	j = json_loads(out, 0, &je);
	assert_non_null(j);
	a = json_object_get(json_object_get(json_object_get(json_array_get(
							json_object_get(j, "pairs"), 0), "metrics"),
					    "pps"), "a");
	if (fabs(num(a, "mean") - mean) > 1e-6 * mean || fabs(num(a, "ci95") - ci95) > 1e-6 * ci95)
		fail_msg("compare: udp throughput %.3f +- %.3f pkt/s, recomputed %.3f +- %.3f",
			 num(a, "mean"), num(a, "ci95"), mean, ci95);
	json_decref(j);
	free(out);
	free(err);

	/* table.txt and report.html: "<mean> ±<interval>" as the report formats it. */
	fmt_si(m, sizeof(m), mean);
	fmt_si(ci, sizeof(ci), ci95);
	snprintf(want, sizeof(want), "%s ±%s", m, ci);
	snprintf(path, sizeof(path), "%s/table.txt", outdir);
	report_once(path);
	s = slurp(path, NULL);
	if (!strstr(s, want))
		fail_msg("table.txt has no '%s' (udp throughput recomputed)", want);
	free(s);
	snprintf(path, sizeof(path), "%s/report.html", outdir);
	s = slurp(path, NULL);
	if (!strstr(s, m) || !strstr(s, ci))
		fail_msg("report.html has no %s or %s (udp throughput recomputed)", m, ci);
	free(s);
}

/* Copy the fixture into dir with every rate scaled by k (a known injected
 * difference). */
static void scaled_fixture(const char *dir, double k)
{
	char cmd[1400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -r '%s' '%s'", dir, FIXTURE, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "for f in '%s'/*/result.json; do jq '(.samples[]? |= (.rx_pps *= %g | .tx_pps *= %g))"
		 " | .throughput.rx_pps *= %g | .throughput.tx_pps *= %g' \"$f\" > \"$f.t\" && "
		 "mv \"$f.t\" \"$f\" || exit 1; done",
		 dir, k, k, k, k);
	assert_int_equal(system(cmd), 0);
}

/* compare of two runs with a known difference: the throughput ratio is
 * outside 1 with the right sign, the size injected. */
static void test_compare_injected(void **state)
{
	char a[400], b[400], *out, *err;
	const char *args[] = { bin, "compare", a, b, "--json", NULL };
	json_t *j, *p;
	json_error_t je;
	size_t i;
	int seen = 0;

	(void)state;
	need("jq");
	snprintf(a, sizeof(a), "%s/cmp-a", tmpdir);
	snprintf(b, sizeof(b), "%s/cmp-b", tmpdir);
	scaled_fixture(a, 1.0);
	scaled_fixture(b, 0.8);
	assert_int_equal(run_cap(args, &out, &err), 0);
	j = json_loads(out, 0, &je);
	assert_non_null(j);
	json_array_foreach(json_object_get(j, "pairs"), i, p) {
		json_t *r = json_object_get(json_object_get(json_object_get(p, "metrics"), "pps"),
					    "b_over_a");

		if (!json_is_object(r))
			continue;
		/* b is a with every rate x 0.8: below 1, by exactly that. */
		if (num(r, "ratio") >= 1.0 || fabs(num(r, "ratio") - 0.8) > 1e-6)
			fail_msg("pair %zu: pps ratio %.6f, injected 0.8", i, num(r, "ratio"));
		seen++;
	}
	assert_true(seen >= 2);
	json_decref(j);
	free(out);
	free(err);
}

static void test_compare_self(void **state)
{
	const char *args[] = { bin, "compare", FIXTURE, FIXTURE, "--json", NULL };
	char *out, *err;
	json_t *j, *pairs, *p;
	json_error_t je;
	size_t i;
	int rc, nratios = 0;

	(void)state;
	rc = run_cap(args, &out, &err);
	if (rc)
		fail_msg("compare exited %d: %s", rc, err);
	j = json_loads(out, 0, &je);
	if (!j)
		fail_msg("compare --json: %s", je.text);
	pairs = json_object_get(j, "pairs");
	assert_int_equal(json_array_size(pairs), 4);
	assert_int_equal(json_array_size(json_object_get(j, "only_a")), 0);
	json_array_foreach(pairs, i, p) {
		const char *k;
		json_t *m, *c, *g;
		size_t x, y;

		json_object_foreach(json_object_get(p, "metrics"), k, m) {
			json_t *r = json_object_get(m, "b_over_a");

			if (json_is_null(r))
				continue; /* a zero figure has no ratio */
			assert_true(fabs(num(r, "ratio") - 1.0) < 1e-9);
			if (json_is_number(json_object_get(r, "lo"))) {
				assert_true(num(r, "lo") <= 1.0 + 1e-9);
				assert_true(num(r, "hi") >= 1.0 - 1e-9);
			}
			nratios++;
		}
		json_array_foreach(json_object_get(p, "cores"), x, c)
			json_array_foreach(json_object_get(c, "groups"), y, g)
				assert_true(fabs(num(g, "diff")) < 1e-9);
	}
	assert_true(nratios >= 12);
	json_decref(j);
	free(out);
	free(err);

	/* The text form says the same. */
	{
		const char *a2[] = { bin, "compare", FIXTURE, FIXTURE, NULL };

		rc = run_cap(a2, &out, &err);
		assert_int_equal(rc, 0);
		assert_non_null(strstr(out, "1.000 ["));
		assert_non_null(strstr(out, "4 matching combination(s)"));
		free(out);
		free(err);
	}
}

static void test_compare_by(void **state)
{
	const char *args[] = { bin, "compare", FIXTURE, "--by", "datapath", "udp", "mmsg",
			       "--json", NULL };
	char *out, *err;
	json_error_t je;
	json_t *j, *p;
	size_t i;

	(void)state;
	assert_int_equal(run_cap(args, &out, &err), 0);
	j = json_loads(out, 0, &je);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "pairs")), 2);
	json_array_foreach(json_object_get(j, "pairs"), i, p) {
		assert_string_equal(json_string_value(json_object_get(json_object_get(p, "a_params"),
								      "datapath")),
				    "udp");
		assert_string_equal(json_string_value(json_object_get(json_object_get(p, "b_params"),
								      "datapath")),
				    "mmsg");
		assert_true(num(p, "metrics.pps.b_over_a.ratio") > 0);
	}
	json_decref(j);
	free(out);
	free(err);
}

/* Exit 2 and exactly one line on stderr naming what is wrong. */
static void bad(const char *const args[], const char *names)
{
	char *out, *err;
	int rc = run_cap(args, &out, &err);

	if (rc != 2)
		fail_msg("%s %s: exit %d, want 2 (%s)", args[1], args[2], rc, err);
	if (!strstr(err, names))
		fail_msg("%s: the message does not name '%s': %s", args[1], names, err);
	if (count(err, "\n") != 1)
		fail_msg("%s: want one line on stderr, got: %s", args[1], err);
	free(out);
	free(err);
}

static void test_bad_input(void **state)
{
	char missing[400];
	const char *r1[] = { bin, "report", missing, NULL };
	const char *r2[] = { bin, "report", "configs", NULL };
	const char *c1[] = { bin, "compare", FIXTURE, "--by", "nosuchkey", "a", "b", NULL };
	const char *c2[] = { bin, "compare", FIXTURE, "--by", "datapath", "udp", "nosuchdp", NULL };
	const char *c3[] = { bin, "compare", FIXTURE, missing, NULL };

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-such-run", tmpdir);
	bad(r1, "no-such-run");
	bad(r2, "configs");
	bad(c1, "nosuchkey");
	bad(c2, "nosuchdp");
	bad(c3, "no-such-run");
}

/* Each lab in a one-second version; sweeps cut so that all stay near 60 s. */
static const struct {
	const char *config;
	const char *sets[6];
	int cases;
} lab_runs[] = {
	{ "configs/labs/01-syscall-price.ini", { NULL }, 3 },
	{ "configs/labs/02-bridge-cost.ini", { "pattern=throughput" }, 2 },
	{ "configs/labs/03-afxdp-vs-dpdk.ini", { "pattern=throughput" }, 3 },
	{ "configs/labs/04-batching.ini", { "burst=1,256", "datapath=mmsg" }, 2 },
	{ "configs/labs/05-zero-loss.ini",
	  { "datapath=udp", "search_trial=0.3", "search_final=0.5", "search_max=20k",
	    "search_precision=10" },
	  2 },
	/* One case per datapath of each variant. */
	{ "configs/labs/06-kernel-fastpaths.ini", { "size=64", "pattern=throughput" }, 11 },
};

static void test_labs(void **state)
{
	(void)state;
	need_root();
	need("gnuplot");
	for (size_t l = 0; l < sizeof(lab_runs) / sizeof(lab_runs[0]); l++) {
		char res[400], run_dir[700], prefix[32], *out, *err;
		const char *args[24];
		struct dirent *e;
		int n = 0, rc, ncase = 0;
		DIR *d;

		snprintf(res, sizeof(res), "%s/lab%zu", tmpdir, l + 1);
		args[n++] = bin;
		args[n++] = "run";
		args[n++] = lab_runs[l].config;
		args[n++] = "--set";
		args[n++] = "duration=1";
		args[n++] = "--set";
		args[n++] = "warmup=0.2";
		args[n++] = "--set";
		args[n++] = "repeat=1";
		for (int i = 0; lab_runs[l].sets[i]; i++) {
			args[n++] = "--set";
			args[n++] = lab_runs[l].sets[i];
		}
		args[n++] = "--results";
		args[n++] = res;
		args[n] = NULL;
		rc = run_cap(args, &out, &err);
		if (rc)
			fail_msg("%s: exit %d: %s", lab_runs[l].config, rc, err);
		free(out);
		free(err);
		d = opendir(res);
		assert_non_null(d);
		run_dir[0] = 0;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				snprintf(run_dir, sizeof(run_dir), "%s/%s", res, e->d_name);
		closedir(d);
		assert_true(run_dir[0]);
		snprintf(prefix, sizeof(prefix), "%s", strrchr(run_dir, '-') + 1);
		assert_no_leftovers(prefix);
		d = opendir(run_dir);
		assert_non_null(d);
		while ((e = readdir(d))) {
			char p[1000];

			snprintf(p, sizeof(p), "%s/%s/result.json", run_dir, e->d_name);
			ncase += !access(p, F_OK);
		}
		closedir(d);
		if (ncase != lab_runs[l].cases)
			fail_msg("%s: %d case results, want %d", lab_runs[l].config, ncase,
				 lab_runs[l].cases);
		/* The report a student will make of it. */
		{
			const char *ra[] = { bin, "report", run_dir, NULL };
			char page[800];

			rc = run_cap(ra, &out, &err);
			if (rc)
				fail_msg("report of %s: exit %d: %s", lab_runs[l].config, rc, err);
			free(out);
			free(err);
			snprintf(page, sizeof(page), "%s/report.html", run_dir);
			assert_int_equal(access(page, F_OK), 0);
		}
	}
}

static int setup(void **state)
{
	if (group_setup(state))
		return -1;
	snprintf(outdir, sizeof(outdir), "%s/report", tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_files), cmocka_unit_test(test_report_table_csv),
		cmocka_unit_test(test_report_html),  cmocka_unit_test(test_compare_self),
		cmocka_unit_test(test_compare_by),   cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_labs),	     cmocka_unit_test(test_report_figures),
		cmocka_unit_test(test_compare_injected),
	};

	return cmocka_run_group_tests(tests, setup, group_teardown);
}
