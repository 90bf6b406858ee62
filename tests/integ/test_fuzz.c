// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fuzz targets (tests/fuzz, libFuzzer with ASan and UBSan), run for
 * FUZZ_S seconds in all (default 60), shared between them, each from
 * seeds: the configs of the tree for the loader, valid frames of several
 * sizes for the parser (built here with frame_build). A target passes when
 * the fuzzer ran (it reports its runs) and found nothing; a finding fails
 * with the fuzzer's report, and the input is kept in .output/fuzz/findings
 * (replay: .output/fuzz/TARGET FILE).
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
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "frame.h"
#include "integ.h"

#define NTARGETS 2

static int fuzz_seconds(void)
{
	const char *s = getenv("FUZZ_S");
	long v = s && *s ? strtol(s, NULL, 10) : 60;

	return (int)(v >= NTARGETS ? v / NTARGETS : 1);
}

/* Run target over corpus (written to) and seeds (read only) for its share
 * of FUZZ_S; fail with its report on a finding. */
static void fuzz(const char *target, const char *corpus, const char *seeds)
{
	char cmd[2048], log[600], *out;
	int rc;
	FILE *f;
	size_t n;

	snprintf(log, sizeof(log), "%s/%s.log", tmpdir, target);
	snprintf(cmd, sizeof(cmd),
		 ".output/fuzz/%s -max_total_time=%d -max_len=4096 -timeout=20 -rss_limit_mb=2048 "
		 "-artifact_prefix=.output/fuzz/findings/%s- -print_final_stats=1 %s %s > %s 2>&1",
		 target, fuzz_seconds(), target, corpus, seeds, log);
	assert_int_equal(system("mkdir -p .output/fuzz/findings"), 0);
	rc = system(cmd);
	out = calloc(1, 1 << 16);
	assert_non_null(out);
	f = fopen(log, "r");
	assert_non_null(f);
	/* The report is at the end of the log. */
	fseek(f, 0, SEEK_END);
	if (ftell(f) > (1 << 16) - 1)
		fseek(f, -((1 << 16) - 1), SEEK_END);
	else
		fseek(f, 0, SEEK_SET);
	n = fread(out, 1, (1 << 16) - 1, f);
	out[n] = 0;
	fclose(f);
	if (rc != 0) {
		const char *report = strstr(out, "==ERROR");

		if (!report)
			report = strstr(out, "ERROR:");
		fail_msg("%s found a problem (exit %d), input kept in .output/fuzz/findings:\n%.3000s",
			 target, rc, report ? report : out);
	}
	if (!strstr(out, "stat::number_of_executed_units"))
		fail_msg("%s did not report its runs:\n%s", target, out);
	{
		const char *p = strstr(out, "stat::number_of_executed_units:");
		long runs = p ? strtol(p + 31, NULL, 10) : 0;

		print_message("    %s: %ld inputs in %d s, nothing found\n", target, runs,
			      fuzz_seconds());
		assert_true(runs > 0);
	}
	free(out);
}

static void test_fuzz_config(void **state)
{
	char corpus[600], cmd[1400];

	(void)state;
	snprintf(corpus, sizeof(corpus), "%s/corpus-config", tmpdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/seeds-config && cp configs/*.ini configs/labs/*.ini "
		 "%s/seeds-config/ && mkdir -p %s", tmpdir, tmpdir, corpus);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/seeds-config", tmpdir);
	fuzz("fuzz_config", corpus, cmd);
}

/* Valid frames of several sizes, each for verify = yes and no. */
static void frame_seeds(const char *dir)
{
	static const unsigned int sizes[] = { 64, 65, 128, 1500, 1518 };
	struct flow fl = {
		.src_mac = { 2, 0x42, 0xc6, 0x12, 0, 1 }, .dst_mac = { 2, 0x42, 0xc6, 0x12, 0, 2 },
		.src_ip = htonl(0xc6120001), .dst_ip = htonl(0xc6120002),
		.sport = 9000, .dport = 9001,
	};
	uint8_t buf[FRAME_MAX + 1];

	assert_int_equal(mkdir(dir, 0700), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int len = frame_build(buf + 1, sizeof(buf) - 1, &fl, sizes[i]);

		assert_true(len > 0);
		frame_stamp(buf + 1, 12345 + i, 678);
		for (int v = 0; v < 2; v++) {
			char path[700];
			FILE *f;

			buf[0] = (uint8_t)v;
			snprintf(path, sizeof(path), "%s/frame-%u-%d", dir, sizes[i], v);
			f = fopen(path, "w");
			assert_non_null(f);
			assert_int_equal(fwrite(buf, 1, (size_t)len + 1, f), (size_t)len + 1);
			fclose(f);
		}
	}
}

static void test_fuzz_frame(void **state)
{
	char corpus[600], seeds[600];

	(void)state;
	snprintf(corpus, sizeof(corpus), "%s/corpus-frame", tmpdir);
	snprintf(seeds, sizeof(seeds), "%s/seeds-frame", tmpdir);
	assert_int_equal(mkdir(corpus, 0700), 0);
	frame_seeds(seeds);
	fuzz("fuzz_frame", corpus, seeds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_config),
		cmocka_unit_test(test_fuzz_frame),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
