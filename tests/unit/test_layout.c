// SPDX-License-Identifier: BSD-3-Clause
/*
 * The code's shape, checked like its behaviour (docs/ARCHITECTURE.md):
 * - no function in the project's C sources is longer than 150 lines;
 * - no datapath is chosen by name outside datapaths/: a string literal
 *   that is a datapath's name (from the registry, dp_table) is not
 *   compared with strcmp/strncmp in harness/, analysis/ or probes/;
 * - analysis/ includes nothing from harness/ (or probes/, datapaths/):
 *   it reads result JSON only.
 * Runs from the repository's root (as `make test` does).
 */
#include <dirent.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "dp.h"

#define MAX_FN_LINES 150

static const char *const dirs[] = { "lib", "datapaths", "harness", "analysis", "probes", NULL };

/* Call fn on every .c/.h file of dir (not .bpf.c: those are checked too,
 * they are C). */
static void each_source(const char *dir, void (*fn)(const char *path, void *arg), void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		fail_msg("%s: cannot open (run from the repository's root)", dir);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[512];

		if (n < 3 || (strcmp(e->d_name + n - 2, ".c") && strcmp(e->d_name + n - 2, ".h")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fn(path, arg);
	}
	closedir(d);
}

struct fn_check {
	int bad;
	char worst[256];
};

/* A function body starts with "{" in column 0 and ends with "}" in column
 * 0 (the kernel style the project follows); its name is on the last line
 * before that which starts in column 0 with a letter and has a "(". */
static void fn_lengths(const char *path, void *arg)
{
	struct fn_check *c = arg;
	FILE *f = fopen(path, "r");
	char line[1024], name[128] = "";
	int no = 0, start = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		no++;
		if (((line[0] >= 'a' && line[0] <= 'z') || (line[0] >= 'A' && line[0] <= 'Z')) &&
		    strchr(line, '('))
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(line, "\n"), line);
		else if (line[0] == '{')
			start = no;
		else if (line[0] == '}' && start) {
			if (no - start > MAX_FN_LINES) {
				c->bad++;
				snprintf(c->worst, sizeof(c->worst), "%s:%d: %d lines: %s", path, start,
					 no - start, name);
				print_message("%s\n", c->worst);
			}
			start = 0;
		}
	}
	fclose(f);
}

static void test_function_length(void **state)
{
	struct fn_check c = { 0 };

	for (int i = 0; dirs[i]; i++)
		each_source(dirs[i], fn_lengths, &c);
	if (c.bad)
		fail_msg("%d function(s) over %d lines, e.g. %s", c.bad, MAX_FN_LINES, c.worst);
}

/* strcmp(x, "udp") and the like, for every registered datapath name. */
static void name_compares(const char *path, void *arg)
{
	int *bad = arg;
	FILE *f = fopen(path, "r");
	char line[1024];
	int no = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		no++;
		if (!strstr(line, "strcmp(") && !strstr(line, "strncmp("))
			continue;
		for (int i = 0; dp_table[i]; i++) {
			char lit[64];

			snprintf(lit, sizeof(lit), "\"%s\"", dp_table[i]->name);
			if (strstr(line, lit)) {
				print_message("%s:%d: compares the datapath name %s\n", path, no, lit);
				(*bad)++;
			}
		}
	}
	fclose(f);
}

static void test_no_datapath_names(void **state)
{
	static const char *const outside[] = { "harness", "analysis", "probes", NULL };
	int bad = 0;

	for (int i = 0; outside[i]; i++)
		each_source(outside[i], name_compares, &bad);
	if (bad)
		fail_msg("%d datapath name comparison(s) outside datapaths/", bad);
}

static void includes(const char *path, void *arg)
{
	static const char *const banned[] = { "harness/", "probes/", "datapaths/", NULL };
	static const char *const headers_of[] = { "harness", "probes", "datapaths", NULL };
	int *bad = arg;
	FILE *f = fopen(path, "r");
	char line[1024];
	int no = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char inc[256];

		no++;
		if (sscanf(line, "#include \"%255[^\"]\"", inc) != 1)
			continue;
		for (int i = 0; banned[i]; i++) {
			char there[512];
			struct stat st;

			snprintf(there, sizeof(there), "%s/%s", headers_of[i], inc);
			if (strstr(inc, banned[i]) || !stat(there, &st)) {
				print_message("%s:%d: includes %s (from %s/)\n", path, no, inc,
					      headers_of[i]);
				(*bad)++;
			}
		}
	}
	fclose(f);
}

static void test_analysis_reads_results_only(void **state)
{
	int bad = 0;

	each_source("analysis", includes, &bad);
	if (bad)
		fail_msg("analysis/ includes %d header(s) from harness/, probes/ or datapaths/", bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_function_length),
		cmocka_unit_test(test_no_datapath_names),
		cmocka_unit_test(test_analysis_reads_results_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
