// SPDX-License-Identifier: BSD-3-Clause
/*
 * Run configuration: values, lists and ranges, the product order, --set
 * overrides, and every error path (each must name the file, the line of the
 * offending key and the key itself, and leave nothing allocated).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dp.h"
#include "shm.h"

static char tmpdir[PATH_MAX];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Write tmpdir/name and load it into sw. */
static int load_text(struct sweep *sw, const char *name, const char *text, char *err)
{
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	write_file(path, text);
	return config_load(sw, path, err, CONFIG_ERR_LEN);
}

static void check_msg(const char *msg, const char *prefix, const char *key, const char *what)
{
	if (getenv("TEST_CONFIG_VERBOSE"))
		print_message("    %s\n", msg);
	if (strncmp(msg, prefix, strlen(prefix)))
		fail_msg("message \"%s\" does not start with \"%s\"", msg, prefix);
	if (key && !strstr(msg, key))
		fail_msg("message \"%s\" does not name \"%s\"", msg, key);
	if (what && !strstr(msg, what))
		fail_msg("message \"%s\" does not say \"%s\"", msg, what);
	if (strchr(msg, '\n'))
		fail_msg("message \"%s\" is not one line", msg);
}

/* Load text as name.ini and expand it; the sweep is freed. */
static int expand_text(const char *name, const char *text, struct case_cfg **cases, int *n)
{
	char err[CONFIG_ERR_LEN];
	struct sweep sw;
	int r;

	sweep_init(&sw);
	r = load_text(&sw, name, text, err);
	if (r)
		fail_msg("load: %s", err);
	r = sweep_expand(&sw, cases, n, err, sizeof(err));
	if (r)
		fail_msg("expand: %s", err);
	sweep_free(&sw);
	return r;
}

static void assert_case_equal(const struct case_cfg *a, const struct case_cfg *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->repeat, b->repeat);
	assert_int_equal(a->rep, b->rep);
	assert_true(a->duration_s == b->duration_s);
	assert_true(a->warmup_s == b->warmup_s);
	assert_string_equal(a->results_dir, b->results_dir);
	assert_int_equal(a->exclusive, b->exclusive);
	assert_true(a->exclusive_wait_s == b->exclusive_wait_s);
	assert_int_equal(a->pattern, b->pattern);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->rate_pps, b->rate_pps);
	assert_int_equal(a->burst, b->burst);
	assert_int_equal(a->blocking, b->blocking);
	assert_int_equal(a->touch, b->touch);
	assert_int_equal(a->timeout_us, b->timeout_us);
	assert_int_equal(a->outstanding, b->outstanding);
	assert_int_equal(a->topology, b->topology);
	assert_int_equal(a->cpu_a, b->cpu_a);
	assert_int_equal(a->cpu_b, b->cpu_b);
	assert_string_equal(a->datapath, b->datapath);
	assert_int_equal(a->sndbuf, b->sndbuf);
	assert_int_equal(a->rcvbuf, b->rcvbuf);
	assert_int_equal(a->ring_frames, b->ring_frames);
	assert_int_equal(case_dp_opt(a, "packet_tx"), case_dp_opt(b, "packet_tx"));
	assert_int_equal(case_dp_opt(a, "packet_rx"), case_dp_opt(b, "packet_rx"));
	assert_int_equal(case_dp_opt(a, "uring_rx"), case_dp_opt(b, "uring_rx"));
	assert_int_equal(case_dp_opt(a, "uring_taskrun"), case_dp_opt(b, "uring_taskrun"));
	assert_int_equal(case_dp_opt(a, "xdp_mode"), case_dp_opt(b, "xdp_mode"));
	assert_int_equal(case_dp_opt(a, "xdp_bind"), case_dp_opt(b, "xdp_bind"));
	assert_int_equal(case_dp_opt(a, "busy_poll"), case_dp_opt(b, "busy_poll"));
	assert_int_equal(case_dp_opt(a, "dpdk_port"), case_dp_opt(b, "dpdk_port"));
	assert_int_equal(a->dpdk_switch, b->dpdk_switch);
	assert_int_equal(a->switch_cpu, b->switch_cpu);
	assert_string_equal(a->sriov_pf, b->sriov_pf);
	assert_int_equal(a->probes, b->probes);
	assert_int_equal(a->usdt, b->usdt);
	assert_int_equal(a->verify, b->verify);
}

/* ---- valid configurations --------------------------------------------- */

static void test_defaults(void **state)
{
	struct case_cfg d, *c;
	int n;

	(void)state;
	case_defaults(&d);
	assert_int_equal(d.repeat, 1);
	assert_true(d.duration_s == 1.0);
	assert_true(d.warmup_s == 0.5);
	assert_string_equal(d.results_dir, "results");
	assert_int_equal(d.pattern, PAT_THROUGHPUT);
	assert_int_equal(d.size, 64);
	assert_int_equal(d.rate_pps, 0);
	assert_int_equal(d.burst, 32);
	assert_int_equal(d.blocking, 0);
	assert_int_equal(d.touch, 0);
	assert_int_equal(d.timeout_us, 100000);
	assert_int_equal(d.outstanding, 1);
	assert_int_equal(d.topology, TOPO_BRIDGE);
	assert_int_equal(d.cpu_a, -1);
	assert_int_equal(d.cpu_b, -1);
	assert_string_equal(d.datapath, "udp");
	assert_int_equal(d.sndbuf, 0);
	assert_int_equal(d.rcvbuf, 0);
	assert_int_equal(d.ring_frames, 4096);
	assert_int_equal(case_dp_opt(&d, "packet_tx"), PKT_TX_RING);
	assert_int_equal(case_dp_opt(&d, "packet_rx"), PKT_RX_RING);
	assert_int_equal(case_dp_opt(&d, "uring_rx"), URING_RX_SINGLE);
	assert_int_equal(case_dp_opt(&d, "uring_taskrun"), URING_TASKRUN_DEFAULT);
	assert_int_equal(case_dp_opt(&d, "xdp_mode"), XDPMODE_NATIVE);
	assert_int_equal(case_dp_opt(&d, "xdp_bind"), XDPBIND_AUTO);
	assert_int_equal(case_dp_opt(&d, "busy_poll"), 0);
	assert_int_equal(d.probes, PROBES_AGGREGATE);

	/* Sections without keys: one case, all defaults, named after the file. */
	expand_text("empty-ish.ini", "; nothing set\n[run]\n[workload]\n", &c, &n);
	assert_int_equal(n, 1);
	snprintf(d.name, sizeof(d.name), "empty-ish");
	assert_case_equal(&c[0], &d);
	free(c);
}

static void test_full_file(void **state)
{
	struct case_cfg *c;
	int n;

	(void)state;
	expand_text("full.ini",
		    "; every key, with comments, blank lines and indentation\n"
		    "[run]\n"
		    "name = full-test_1.0\n"
		    "repeat = 1\n"
		    "duration = 2.5\n"
		    "warmup = 0\n"
		    "results_dir = /tmp/bl results\n"
		    "\n"
		    "[workload]\n"
		    "pattern = pingpong\n"
		    "size = 512\n"
		    "rate = 250k        ; open loop\n"
		    "burst = 16\n"
		    "blocking = no\n"
		    "touch = yes\n"
		    "timeout_us = 5000\n"
		    "outstanding = 4\n"
		    "\n"
		    "[ topology ]\n"
		    "    topology = direct\n"
		    "\tcpu_a = 2\n"
		    "cpu_b = auto\n"
		    "# hash comments too\n"
		    "[datapath]\n"
		    "datapath = packet\n"
		    "sndbuf = 256k\n"
		    "rcvbuf = 4M\n"
		    "ring_frames = 1024\n"
		    "packet_tx = sendto\n"
		    "packet_rx = recv\n"
		    "uring_rx = multishot\n"
		    "uring_taskrun = defer\n"
		    "xdp_mode = generic\n"
		    "xdp_bind = copy\n"
		    "busy_poll = yes\n"
		    "[probes]\n"
		    "probes = aggregate\n",
		    &c, &n);
	assert_int_equal(n, 1);
	assert_string_equal(c->name, "full-test_1.0");
	assert_int_equal(c->repeat, 1);
	assert_int_equal(c->rep, 0);
	assert_true(c->duration_s == 2.5);
	assert_true(c->warmup_s == 0.0);
	assert_string_equal(c->results_dir, "/tmp/bl results");
	assert_int_equal(c->pattern, PAT_PINGPONG);
	assert_int_equal(c->size, 512);
	assert_int_equal(c->rate_pps, 250000);
	assert_int_equal(c->burst, 16);
	assert_int_equal(c->blocking, 0);
	assert_int_equal(c->touch, 1);
	assert_int_equal(c->timeout_us, 5000);
	assert_int_equal(c->outstanding, 4);
	assert_int_equal(c->topology, TOPO_DIRECT);
	assert_int_equal(c->cpu_a, 2);
	assert_int_equal(c->cpu_b, -1);
	assert_string_equal(c->datapath, "packet");
	assert_int_equal(c->sndbuf, 256 * 1024);
	assert_int_equal(c->rcvbuf, 4 * 1024 * 1024);
	assert_int_equal(c->ring_frames, 1024);
	assert_int_equal(case_dp_opt(c, "packet_tx"), PKT_TX_SENDTO);
	assert_int_equal(case_dp_opt(c, "packet_rx"), PKT_RX_RECV);
	assert_int_equal(case_dp_opt(c, "uring_rx"), URING_RX_MULTISHOT);
	assert_int_equal(case_dp_opt(c, "uring_taskrun"), URING_TASKRUN_DEFER);
	assert_int_equal(case_dp_opt(c, "xdp_mode"), XDPMODE_GENERIC);
	assert_int_equal(case_dp_opt(c, "xdp_bind"), XDPBIND_COPY);
	assert_int_equal(case_dp_opt(c, "busy_poll"), 1);
	assert_int_equal(c->probes, PROBES_AGGREGATE);
	free(c);
}

static void test_list_and_ranges(void **state)
{
	static const unsigned int mixed[] = { 64, 128, 256, 384, 512, 1518 };
	static const unsigned int stepped[] = { 64, 164, 264 };
	struct case_cfg *c;
	int n;

	(void)state;
	/* Mixed list; whitespace around items is ignored. */
	expand_text("mixed.ini", "[workload]\nsize =  64 , 128..128..512 ,1518\n", &c, &n);
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++)
		assert_int_equal(c[i].size, mixed[i]);
	free(c);

	/* start..end steps by one. */
	expand_text("plain-range.ini", "[workload]\nburst = 1..4\n", &c, &n);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++)
		assert_int_equal(c[i].burst, (unsigned int)i + 1);
	free(c);

	/* An end the step does not hit is not included. */
	expand_text("stepped.ini", "[workload]\nsize = 64..100..300\n", &c, &n);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++)
		assert_int_equal(c[i].size, stepped[i]);
	free(c);

	/* A one-value range, and negative bounds where the key allows them. */
	expand_text("tiny.ini", "[workload]\nsize = 64..64\n[topology]\ncpu_a = -1..1\n", &c, &n);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		assert_int_equal(c[i].size, 64);
		assert_int_equal(c[i].cpu_a, i - 1);
	}
	free(c);

	/* Suffixes work in range bounds and steps. */
	expand_text("suffix-range.ini",
		    "[workload]\nrate = 100k..100k..300k\n[datapath]\nsndbuf = 64k..64k..128k\n",
		    &c, &n);
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++) {
		assert_int_equal(c[i].rate_pps, 100000u * (unsigned int)(i / 2 + 1));
		assert_int_equal(c[i].sndbuf, 65536u * (unsigned int)(i % 2 + 1));
	}
	free(c);

	/* The largest range allowed. */
	expand_text("max-range.ini", "[workload]\nrate = 1..10000\n", &c, &n);
	assert_int_equal(n, CONFIG_MAX_RANGE);
	assert_int_equal(c[n - 1].rate_pps, 10000);
	free(c);
}

static void test_product_order(void **state)
{
	static const char *const dps[] = { "udp", "mmsg" };
	const char *vary[8];
	char err[CONFIG_ERR_LEN];
	struct case_cfg *c;
	struct sweep sw;
	int n;

	(void)state;
	sweep_init(&sw);
	/* File order is not schema order: the product follows the schema. */
	assert_int_equal(load_text(&sw, "order.ini",
				   "[datapath]\ndatapath = udp, mmsg\n"
				   "[workload]\nsize = 64, 128\npattern = throughput, pingpong\n"
				   "burst = 8\n",
				   err),
			 0);
	assert_int_equal(sweep_varying(&sw, vary, 8), 3);
	assert_string_equal(vary[0], "pattern");
	assert_string_equal(vary[1], "size");
	assert_string_equal(vary[2], "datapath");
	assert_int_equal(sweep_varying(&sw, vary, 2), 2);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 8);
	for (int i = 0; i < n; i++) {
		assert_int_equal(c[i].pattern, i / 4 ? PAT_PINGPONG : PAT_THROUGHPUT);
		assert_int_equal(c[i].size, (i / 2) % 2 ? 128 : 64);
		assert_string_equal(c[i].datapath, dps[i % 2]);
		assert_int_equal(c[i].burst, 8);
		assert_string_equal(c[i].name, "order");
	}
	free(c);
	sweep_free(&sw);
}

static void test_repeat(void **state)
{
	struct case_cfg *c;
	int n;

	(void)state;
	expand_text("rep.ini", "[run]\nrepeat = 3\n[workload]\nsize = 64, 128\n", &c, &n);
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++) {
		assert_int_equal(c[i].size, i < 3 ? 64 : 128);
		assert_int_equal(c[i].rep, (unsigned int)i % 3);
		assert_int_equal(c[i].repeat, 3);
	}
	free(c);
}

static void test_max_cases(void **state)
{
	struct case_cfg *c;
	int n;

	(void)state;
	/* Exactly at the cap is allowed. */
	expand_text("cap.ini", "[run]\nrepeat = 100\n[workload]\nsize = 64..1063\n", &c, &n);
	assert_int_equal(n, CONFIG_MAX_CASES);
	assert_int_equal(c[n - 1].size, 1063);
	assert_int_equal(c[n - 1].rep, 99);
	free(c);
}

static void test_set_override(void **state)
{
	static const unsigned int sizes[] = { 256, 512, 1024 };
	char err[CONFIG_ERR_LEN];
	struct case_cfg *c;
	struct sweep sw;
	int n;

	(void)state;
	sweep_init(&sw);
	assert_int_equal(load_text(&sw, "set.ini", "[workload]\nburst = 4\nsize = 64, 128\n", err),
			 0);
	/* Replaces the file's values. */
	assert_int_equal(config_set(&sw, " size = 256 , 512..512..1024", err, sizeof(err)), 0);
	assert_int_equal(sw.nkeys, 2);
	assert_string_equal(sw.keys[0].key, "size"); /* schema order: size before burst */
	assert_string_equal(sw.keys[0].file, "--set");
	assert_int_equal(sw.keys[0].line, 0);
	assert_int_equal(sw.keys[0].nvalues, 3);
	assert_int_equal(sw.keys[1].line, 2);
	/* Adds keys the file did not set, and a later --set wins. */
	assert_int_equal(config_set(&sw, "datapath=mmsg", err, sizeof(err)), 0);
	assert_int_equal(config_set(&sw, "burst=1..2", err, sizeof(err)), 0);
	assert_int_equal(config_set(&sw, "results_dir=out/x", err, sizeof(err)), 0);
	assert_int_equal(config_set(&sw, "probes=off", err, sizeof(err)), 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++) {
		assert_int_equal(c[i].size, sizes[i / 2]);
		assert_int_equal(c[i].burst, (unsigned int)(i % 2) + 1);
		assert_string_equal(c[i].datapath, "mmsg");
		assert_string_equal(c[i].results_dir, "out/x");
		assert_string_equal(c[i].name, "set");
	}
	free(c);

	/* A failed --set leaves the key as it was. */
	assert_int_equal(config_set(&sw, "size=40", err, sizeof(err)), -EINVAL);
	assert_string_equal(sw.keys[1].key, "size"); /* results_dir, size, burst, ... */
	assert_int_equal(sw.keys[1].nvalues, 3);
	sweep_free(&sw);

	/* --set alone, without a file. */
	sweep_init(&sw);
	assert_int_equal(config_set(&sw, "pattern=pingpong", err, sizeof(err)), 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].pattern, PAT_PINGPONG);
	assert_string_equal(c[0].name, "run");
	free(c);
	sweep_free(&sw);
}

static void test_rate_suffixes(void **state)
{
	static const uint64_t want[] = { 500000, 1500000, 2000, 1000, 0, 300, 100000000 };
	struct case_cfg *c;
	int n;

	(void)state;
	expand_text("rate.ini",
		    "[workload]\nrate = 500k, 1.5M, 2K, 1000, MAX, 0.3k, 100M\n", &c, &n);
	assert_int_equal(n, 7);
	for (int i = 0; i < n; i++)
		assert_int_equal(c[i].rate_pps, want[i]);
	free(c);
	expand_text("rate-milli.ini", "[workload]\nrate = 0.001M\n", &c, &n);
	assert_int_equal(c[0].rate_pps, 1000);
	free(c);

	/* Buffer sizes are 1024-based. */
	expand_text("bufs.ini", "[datapath]\nsndbuf = 0, 1k, 1.5k, 1M, 1G\n", &c, &n);
	assert_int_equal(n, 5);
	assert_int_equal(c[0].sndbuf, 0);
	assert_int_equal(c[1].sndbuf, 1024);
	assert_int_equal(c[2].sndbuf, 1536);
	assert_int_equal(c[3].sndbuf, 1u << 20);
	assert_int_equal(c[4].sndbuf, 1u << 30);
	free(c);
}

/* search takes a set as one value; rate takes a fraction of a searched rate. */
static void test_search_keys(void **state)
{
	static const struct {
		const char *text, *key, *what;
	} bad[] = {
		{ "[workload]\nsearch = ndr\nrate = 1000\n", "search", "rate=max" },
		{ "[workload]\nrate = 50%ndr\n", "rate", "search=ndr" },
		{ "[workload]\nsearch = pdr\nrate = 10%ndr\n", "rate", "search=ndr" },
		{ "[workload]\nsearch = ndr,xdr\n", "search", "not a search" },
		{ "[workload]\nsearch = ndr,ndr\n", "search", "twice" },
		{ "[workload]\nsearch = none,ndr\n", "search", "not a search" },
		{ "[workload]\nsearch = ndr\nrate = 0%ndr\n", "rate", "0.1..1000" },
		{ "[workload]\nsearch = ndr\nrate = 10%xdr\n", "rate", "P%ndr" },
		{ "[workload]\nsearch = ndr\npattern = pingpong\nblocking = yes\n", "blocking",
		  "open loop" },
		{ "[workload]\nsearch_precision = 0\n", "search_precision", "out of range" },
		{ "[topology]\ntopo_hook = a\ntopo_hook = b\n", "topo_hook", NULL },
		{ "[workload]\nsearch = ndr\nrate = 10%ndr, 10.0%ndr\n", "rate", "same value" },
	};
	struct case_cfg *c;
	int n;

	(void)state;
	expand_text("s1.ini",
		    "[workload]\nsearch = pdr, ndr\nsearch_loss = 0.1\nsearch_trial = 0.5\n"
		    "search_final = 2\nsearch_precision = 0.5\nsearch_max = 1.5M\n"
		    "rate = 10%ndr, 50%pdr, max, 10%pdr\n[topology]\ntopo_hook = tc a, b; echo x\n",
		    &c, &n);
	assert_int_equal(n, 4); /* the set is one value, the rates four */
	for (int i = 0; i < n; i++) {
		assert_int_equal(c[i].search, SEARCH_NDR | SEARCH_PDR);
		assert_true(c[i].search_loss_pct == 0.1 && c[i].search_trial_s == 0.5);
		assert_true(c[i].search_final_s == 2 && c[i].search_precision_pct == 0.5);
		assert_int_equal(c[i].search_max_pps, 1500000);
		assert_string_equal(c[i].topo_hook, "tc a, b; echo x");
	}
	assert_int_equal(c[0].rate_of, RATE_OF_NDR);
	assert_true(c[0].rate_pct == 10);
	assert_int_equal(c[1].rate_of, RATE_OF_PDR);
	assert_true(c[1].rate_pct == 50);
	assert_int_equal(c[2].rate_of, RATE_ABS);
	assert_int_equal(c[2].rate_pps, 0);
	free(c);
	expand_text("s2.ini", "[workload]\nsearch = none\n[topology]\ntopo_hook = none\n", &c,
		    &n);
	assert_int_equal(c[0].search, 0);
	assert_string_equal(c[0].topo_hook, "");
	free(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[CONFIG_ERR_LEN], prefix[PATH_MAX + 32], key[64];
		struct sweep sw;
		int r;

		sweep_init(&sw);
		r = load_text(&sw, "sbad.ini", bad[i].text, err);
		if (!r)
			r = sweep_expand(&sw, &c, &n, err, sizeof(err));
		if (!r)
			fail_msg("config %zu was accepted", i);
		snprintf(prefix, sizeof(prefix), "%s/sbad.ini:", tmpdir);
		snprintf(key, sizeof(key), "key '%s'", bad[i].key);
		check_msg(err, prefix, key, bad[i].what);
		sweep_free(&sw);
	}
}

static void test_cpu_auto(void **state)
{
	struct case_cfg *c;
	int n;

	(void)state;
	expand_text("cpu.ini", "[topology]\ncpu_a = auto, 0, 1023\ncpu_b = AUTO\n", &c, &n);
	assert_int_equal(n, 3);
	assert_int_equal(c[0].cpu_a, -1);
	assert_int_equal(c[1].cpu_a, 0);
	assert_int_equal(c[2].cpu_a, 1023);
	for (int i = 0; i < n; i++)
		assert_int_equal(c[i].cpu_b, -1);
	free(c);

	/* Both ends on one CPU is a valid study. */
	expand_text("same-cpu.ini", "[workload]\npattern = pingpong\n[topology]\ncpu_a = 3\ncpu_b = 3\n",
		    &c, &n);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].cpu_a, 3);
	assert_int_equal(c[0].cpu_b, 3);
	free(c);
}

static void test_bool_and_enum_words(void **state)
{
	struct case_cfg *c;
	int n;

	(void)state;
	{
		static const char *const words[] = { "yes", "no", "true", "false", "on",
						     "off", "1",   "0",     "Yes", "OFF" };

		for (int i = 0; i < 10; i++) {
			char text[64];

			snprintf(text, sizeof(text), "[workload]\ntouch = %s\n", words[i]);
			expand_text("bool.ini", text, &c, &n);
			assert_int_equal(n, 1);
			assert_int_equal(c[0].touch, !(i % 2));
			free(c);
		}
	}
	expand_text("bool2.ini", "[workload]\ntouch = yes, off\n", &c, &n);
	assert_int_equal(n, 2);
	assert_int_equal(c[0].touch, 1);
	assert_int_equal(c[1].touch, 0);
	free(c);

	/* Enum words are matched without case and stored canonically. */
	expand_text("enum.ini",
		    "[topology]\ntopology = Bridge, DIRECT\n[datapath]\n"
		    "datapath = UDP, mmsg, packet, uring\n",
		    &c, &n);
	assert_int_equal(n, 8);
	assert_int_equal(c[0].topology, TOPO_BRIDGE);
	assert_int_equal(c[4].topology, TOPO_DIRECT);
	assert_string_equal(c[0].datapath, "udp");
	assert_string_equal(c[3].datapath, "uring");
	free(c);
}

/* Every uring_taskrun word, in any case, stored as the shm.h enum value; the
 * key sweeps like any other and can be overridden with --set. */
static void test_uring_taskrun(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct case_cfg *c;
	struct sweep sw;
	int n;

	(void)state;
	expand_text("taskrun.ini",
		    "[workload]\npattern = pingpong\n[datapath]\ndatapath = uring\n"
		    "uring_rx = single, multishot\nuring_taskrun = default, COOP, Defer\n",
		    &c, &n);
	assert_int_equal(n, 6);
	/* uring_taskrun comes after uring_rx in the schema: it varies fastest. */
	assert_int_equal(case_dp_opt(&c[0], "uring_taskrun"), URING_TASKRUN_DEFAULT);
	assert_int_equal(case_dp_opt(&c[1], "uring_taskrun"), URING_TASKRUN_COOP);
	assert_int_equal(case_dp_opt(&c[2], "uring_taskrun"), URING_TASKRUN_DEFER);
	assert_int_equal(case_dp_opt(&c[3], "uring_rx"), URING_RX_MULTISHOT);
	assert_int_equal(case_dp_opt(&c[3], "uring_taskrun"), URING_TASKRUN_DEFAULT);
	assert_int_equal(case_dp_opt(&c[5], "uring_taskrun"), URING_TASKRUN_DEFER);
	free(c);

	/* Every mode combines with blocking receives (uring_rx=single). */
	expand_text("taskrun-blocking.ini",
		    "[workload]\nblocking = yes\n[datapath]\ndatapath = uring\n"
		    "uring_taskrun = coop, defer\n",
		    &c, &n);
	assert_int_equal(n, 2);
	assert_int_equal(c[0].blocking, 1);
	assert_int_equal(case_dp_opt(&c[1], "uring_taskrun"), URING_TASKRUN_DEFER);
	free(c);

	/* Ignored by the other datapaths, like uring_rx. */
	expand_text("taskrun-udp.ini", "[datapath]\ndatapath = udp\nuring_taskrun = defer\n", &c,
		    &n);
	assert_int_equal(n, 1);
	free(c);

	sweep_init(&sw);
	assert_int_equal(load_text(&sw, "taskrun-set.ini",
				   "[datapath]\ndatapath = uring\nuring_taskrun = defer\n", err),
			 0);
	assert_int_equal(config_set(&sw, "uring_taskrun=coop,default", err, sizeof(err)), 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(case_dp_opt(&c[0], "uring_taskrun"), URING_TASKRUN_COOP);
	assert_int_equal(case_dp_opt(&c[1], "uring_taskrun"), URING_TASKRUN_DEFAULT);
	free(c);
	sweep_free(&sw);
}

/* xdp_mode, xdp_bind and busy_poll: every word stored as the shm.h enum
 * value, swept in schema order, overridable, and ignored elsewhere. */
static void test_xdp_keys(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct case_cfg *c;
	struct sweep sw;
	int n;

	(void)state;
	expand_text("xdp.ini",
		    "[workload]\npattern = pingpong\n[datapath]\ndatapath = xdp\n"
		    "xdp_mode = native, GENERIC\nxdp_bind = copy, Zerocopy, auto\nbusy_poll = on\n",
		    &c, &n);
	assert_int_equal(n, 6);
	/* xdp_bind comes after xdp_mode in the schema: it varies fastest. */
	assert_int_equal(case_dp_opt(&c[0], "xdp_mode"), XDPMODE_NATIVE);
	assert_int_equal(case_dp_opt(&c[0], "xdp_bind"), XDPBIND_COPY);
	assert_int_equal(case_dp_opt(&c[1], "xdp_bind"), XDPBIND_ZEROCOPY);
	assert_int_equal(case_dp_opt(&c[2], "xdp_bind"), XDPBIND_AUTO);
	assert_int_equal(case_dp_opt(&c[3], "xdp_mode"), XDPMODE_GENERIC);
	assert_int_equal(case_dp_opt(&c[3], "xdp_bind"), XDPBIND_COPY);
	for (int i = 0; i < n; i++)
		assert_int_equal(case_dp_opt(&c[i], "busy_poll"), 1);
	free(c);

	/* The rings are as large as ring_frames: burst and window must fit. */
	expand_text("xdp-ring.ini",
		    "[workload]\npattern = pingpong\nburst = 64\noutstanding = 64\nblocking = yes\n"
		    "[datapath]\ndatapath = xdp\nring_frames = 64\n",
		    &c, &n);
	assert_int_equal(n, 1);
	free(c);

	/* Ignored by the other datapaths. */
	expand_text("xdp-udp.ini",
		    "[datapath]\ndatapath = udp, packet\nxdp_mode = generic\nxdp_bind = zerocopy\n"
		    "busy_poll = yes\n",
		    &c, &n);
	assert_int_equal(n, 2);
	free(c);

	sweep_init(&sw);
	assert_int_equal(load_text(&sw, "xdp-set.ini",
				   "[datapath]\ndatapath = xdp\nxdp_bind = copy\n", err),
			 0);
	assert_int_equal(config_set(&sw, "xdp_bind=zerocopy", err, sizeof(err)), 0);
	assert_int_equal(config_set(&sw, "busy_poll=no,yes", err, sizeof(err)), 0);
	assert_int_equal(config_set(&sw, "xdp_mode=generic", err, sizeof(err)), 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(case_dp_opt(&c[0], "xdp_bind"), XDPBIND_ZEROCOPY);
	assert_int_equal(case_dp_opt(&c[0], "xdp_mode"), XDPMODE_GENERIC);
	assert_int_equal(case_dp_opt(&c[0], "busy_poll"), 0);
	assert_int_equal(case_dp_opt(&c[1], "busy_poll"), 1);
	free(c);
	sweep_free(&sw);
}

/* Settings that do not apply, or look odd but are meaningful, are not errors. */
static void test_valid_combinations(void **state)
{
	struct case_cfg *c;
	int n;

	(void)state;
	/* packet_tx/rx and uring_rx are ignored by other datapaths; udp has no ring. */
	expand_text("ignored.ini",
		    "[workload]\nburst = 256\nblocking = yes\n[datapath]\ndatapath = udp, mmsg\n"
		    "ring_frames = 64\npacket_tx = sendto\nuring_rx = multishot\n",
		    &c, &n);
	assert_int_equal(n, 2);
	free(c);
	/* packet with sendto() and recv() has no ring to overflow. */
	expand_text("no-ring.ini",
		    "[workload]\nburst = 256\n[datapath]\ndatapath = packet\nring_frames = 64\n"
		    "packet_tx = sendto\npacket_rx = recv\n",
		    &c, &n);
	assert_int_equal(n, 1);
	free(c);
	/* Closed-loop ping-pong may block; open loop and throughput may be paced. */
	expand_text("loops.ini",
		    "[workload]\npattern = pingpong, throughput\nrate = max\nblocking = yes\n"
		    "outstanding = 64\n[datapath]\ndatapath = uring\nring_frames = 64\n",
		    &c, &n);
	assert_int_equal(n, 2);
	free(c);
	expand_text("paced.ini", "[workload]\npattern = throughput\nrate = 10k\nblocking = yes\n",
		    &c, &n);
	assert_int_equal(n, 1);
	free(c);
	/* Open-loop ping-pong: many requests in flight is what a rate means. */
	expand_text("open.ini",
		    "[workload]\npattern = pingpong\nrate = 1M\noutstanding = 256\n"
		    "[datapath]\ndatapath = packet\nring_frames = 64\n",
		    &c, &n);
	assert_int_equal(n, 1);
	free(c);
}

/* topology=iface: its keys, "none" as their unset value, keep. */
static void test_iface_keys(void **state)
{
	struct case_cfg *c;
	int n;

	(void)state;
	expand_text("iface.ini",
		    "[topology]\ntopology = iface\niface_a = enp3s0f0\niface_b = enp3s0f1\n"
		    "ip_a = keep\nip_b = 198.18.7.9/20\nmac_b = 02:00:00:aa:bb:cc\n",
		    &c, &n);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].topology, TOPO_IFACE);
	assert_string_equal(c[0].iface_a, "enp3s0f0");
	assert_string_equal(c[0].iface_b, "enp3s0f1");
	assert_string_equal(c[0].ip_a, "keep");
	assert_string_equal(c[0].ip_b, "198.18.7.9/20");
	assert_string_equal(c[0].mac_b, "02:00:00:aa:bb:cc");
	free(c);
	/* Defaults written out are no use of the keys with another topology. */
	expand_text("iface-none.ini",
		    "[topology]\ntopology = bridge\niface_a = none\nmac_b = none\n"
		    "ip_a = " CFG_IP_A "\n",
		    &c, &n);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].iface_a, "");
	assert_string_equal(c[0].mac_b, "");
	free(c);
}

static void test_name_default(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct case_cfg *c;
	struct sweep sw;
	int n;

	(void)state;
	expand_text("my run+1.ini", "[workload]\n", &c, &n);
	assert_string_equal(c[0].name, "my_run_1");
	free(c);
	expand_text("no-suffix", "[workload]\n", &c, &n);
	assert_string_equal(c[0].name, "no-suffix");
	free(c);
	expand_text("named.ini", "[run]\nname = explicit\n", &c, &n);
	assert_string_equal(c[0].name, "explicit");
	free(c);

	/* A name may contain "..": only integer keys take ranges. */
	sweep_init(&sw);
	assert_int_equal(load_text(&sw, "dots.ini", "[run]\nname = a..b\nresults_dir = ../r\n", err),
			 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), 0);
	assert_string_equal(c[0].name, "a..b");
	assert_string_equal(c[0].results_dir, "../r");
	free(c);
	sweep_free(&sw);
}

static void test_keys_table(void **state)
{
	static const char *const sections[] = { "run", "workload", "topology", "datapath", "probes" };
	char err[CONFIG_ERR_LEN], kv[128];
	struct config_key_info ki, *k = &ki;
	struct case_cfg d, *c;
	struct sweep sw;
	int nkeys = 0, ndp = 0, n;

	(void)state;
	sweep_init(&sw);
	for (; !config_key(nkeys, k); nkeys++) {
		int known = 0;

		/* A datapath's own key: in [datapath], of a registered datapath. */
		if (k->datapath) {
			char owners[128], *save = NULL;

			assert_string_equal(k->section, "datapath");
			snprintf(owners, sizeof(owners), "%s", k->datapath);
			for (char *t = strtok_r(owners, ", ", &save); t;
			     t = strtok_r(NULL, ", ", &save))
				assert_non_null(dp_find(t));
			ndp++;
		}

		for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
			known |= !strcmp(k->section, sections[i]);
		assert_true(known);
		assert_non_null(k->allowed);
		assert_non_null(k->def);
		assert_non_null(k->help);
		/* The documented default is a value the parser accepts and the
		 * one case_defaults() uses. */
		if (!strcmp(k->key, "name"))
			continue;
		snprintf(kv, sizeof(kv), "%s=%s", k->key, k->def);
		if (config_set(&sw, kv, err, sizeof(err)))
			fail_msg("%s: %s", kv, err);
	}
	assert_int_equal(nkeys, 67);
	assert_int_equal(config_nkeys(), 67);
	assert_int_equal(sw.nkeys, 66);
	/* Every datapath's options fit case_cfg and the shared page. */
	assert_int_equal(ndp, dp_opt_total());
	assert_true(dp_opt_total() <= CFG_MAX_DP_OPTS);
	for (int i = 0; dp_table[i]; i++)
		assert_true(dp_nopts(dp_table[i]) <= DP_MAX_OPTS);
	for (int i = 1; i < sw.nkeys; i++)
		assert_true(strcmp(sw.keys[i - 1].key, sw.keys[i].key) != 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	case_defaults(&d);
	assert_case_equal(&c[0], &d);
	free(c);
	sweep_free(&sw);
}

/* A key several datapaths have is one key: their rows agree, and each
 * datapath sees the value at its own row. */
static void test_shared_keys(void **state)
{
	static const char *const shared[] = { "udp_segment", "udp_gro", "zerocopy",
					      "busy_poll_us" };
	const struct dp_ops *udp = dp_find("udp"), *uring = dp_find("uring");
	int64_t opt[DP_MAX_OPTS];
	struct dp_case dc;
	struct case_cfg *c;
	int n;

	(void)state;
	for (int g = 0; g < dp_opt_total(); g++) {
		const struct dp_opt *o = dp_opt_at(g, NULL);

		for (int i = 0; dp_table[i]; i++) {
			int j = dp_opt_row(dp_table[i], o->key);
			const struct dp_opt *r = j >= 0 ? &dp_table[i]->opts[j] : NULL;

			if (!r)
				continue;
			assert_int_equal(dp_opt_index(dp_table[i], j), g);
			assert_int_equal(r->type, o->type);
			assert_string_equal(r->allowed, o->allowed);
			assert_string_equal(r->def, o->def);
			assert_true(r->min == o->min && r->max == o->max && r->words == o->words);
			assert_int_equal(r->feature, o->feature);
		}
	}
	for (size_t k = 0; k < sizeof(shared) / sizeof(shared[0]); k++) {
		assert_true(dp_opt_row(udp, shared[k]) >= 0);
		assert_true(dp_opt_row(dp_find("mmsg"), shared[k]) >= 0);
		assert_true(dp_opt_row(uring, shared[k]) >= 0);
		assert_int_equal(dp_opt_row(dp_find("packet"), shared[k]), -1);
	}
	expand_text("shared.ini",
		    "[workload]\nburst = 32\n[datapath]\ndatapath = udp, uring\nudp_segment = 16\nzerocopy = yes\n",
		    &c, &n);
	assert_int_equal(n, 2);
	case_dp_view(&c[0], &dc, opt);
	assert_int_equal(opt[dp_opt_row(udp, "udp_segment")], 16);
	assert_int_equal(opt[dp_opt_row(udp, "zerocopy")], 1);
	case_dp_view(&c[1], &dc, opt);
	assert_int_equal(opt[dp_opt_row(uring, "udp_segment")], 16);
	assert_int_equal(opt[dp_opt_row(uring, "zerocopy")], 1);
	assert_int_equal(opt[dp_opt_row(uring, "uring_fixed")], 0);
	free(c);
}

/* A feature key's cases on a datapath without it: left out when the sweep
 * has the key's default (that datapath runs once, without it). */
static void test_feature_sweep(void **state)
{
	struct case_cfg *c;
	int n;

	(void)state;
	expand_text("feature.ini", "[datapath]\ndatapath = udp, xdp, mmsg\nzerocopy = no, yes\n", &c, &n);
	assert_int_equal(n, 5);
	assert_string_equal(c[0].datapath, "udp");
	assert_int_equal(case_dp_opt(&c[1], "zerocopy"), 1);
	assert_string_equal(c[2].datapath, "xdp");
	assert_int_equal(case_dp_opt(&c[2], "zerocopy"), 0);
	assert_string_equal(c[3].datapath, "mmsg");
	free(c);
	/* Other datapaths' keys are still ignored where they do not apply. */
	expand_text("feature-other.ini", "[datapath]\ndatapath = udp, xdp\nxdp_mode = generic, native\n", &c,
		    &n);
	assert_int_equal(n, 4);
	free(c);
}

/* [variant NAME] sections: each a sweep of the run's keys with its own in
 * their place; the run is every variant's cases in file order. */
static void test_variants(void **state)
{
	static const char text[] = "[workload]\nsize = 64, 1518\nrate = 20k\n"
				   "[datapath]\ndatapath = udp\n"
				   "[variant plain]\ndatapath = udp, mmsg\n"
				   "[variant gso]\ndatapath = mmsg\nudp_segment = 16\nsize = 64\n"
				   "[variant bypass]\ndatapath = xdp\n";
	char err[CONFIG_ERR_LEN];
	struct case_cfg *c;
	struct sweep sw;
	int n;

	(void)state;
	expand_text("variants.ini", text, &c, &n);
	assert_int_equal(n, 7);
	assert_string_equal(c[0].variant, "plain");
	/* datapath varies fastest, as in any sweep */
	assert_string_equal(c[1].datapath, "mmsg");
	assert_int_equal(c[2].size, 1518);
	assert_string_equal(c[2].datapath, "udp");
	assert_string_equal(c[4].variant, "gso");
	assert_int_equal(c[4].size, 64);
	assert_int_equal(case_dp_opt(&c[4], "udp_segment"), 16);
	assert_int_equal(c[4].rate_pps, 20000); /* the run's keys hold in every variant */
	assert_string_equal(c[5].variant, "bypass");
	assert_string_equal(c[6].datapath, "xdp");
	assert_int_equal(case_dp_opt(&c[5], "udp_segment"), 0);
	free(c);
	/* --set replaces what every variant says of the key. */
	sweep_init(&sw);
	assert_int_equal(load_text(&sw, "variants-set.ini", text, err), 0);
	assert_int_equal(config_set(&sw, "size=512", err, sizeof(err)), 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++)
		assert_int_equal(c[i].size, 512);
	free(c);
	/* A combination one variant cannot run is that variant's error. */
	assert_int_equal(config_set(&sw, "zerocopy=yes", err, sizeof(err)), 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), -EINVAL);
	check_msg(err, "--set: ", "key 'zerocopy'", "datapath xdp has no zerocopy");
	sweep_free(&sw);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(topo_name(TOPO_BRIDGE), "bridge");
	assert_string_equal(topo_name(TOPO_DIRECT), "direct");
	assert_string_equal(topo_name(TOPO_IFACE), "iface");
	assert_string_equal(topo_name(TOPO_HOSTS), "hosts");
	assert_string_equal(topo_name(4), "?");
	assert_string_equal(pattern_name(PAT_THROUGHPUT), "throughput");
	assert_string_equal(pattern_name(PAT_PINGPONG), "pingpong");
	assert_string_equal(pattern_name(-1), "?");
	assert_string_equal(probes_name(PROBES_OFF), "off");
	assert_string_equal(probes_name(PROBES_AGGREGATE), "aggregate");
	assert_string_equal(probes_name(PROBES_PATH), "path");
	assert_string_equal(probes_name(PROBES_SAMPLE), "sample");
	assert_string_equal(probes_name(PROBES_BOTH), "both");
	assert_string_equal(probes_name(5), "?");
}

/* The source tree's root (with a trailing '/'), wherever the test runs
 * from: the directory __FILE__ names if it is absolute, the tree holding
 * this binary (.output/tests/test_config), or the current directory. */
static int find_root(char *root, size_t len)
{
	const char *tail = "tests/unit/test_config.c";
	char exe[PATH_MAX], cand[3][PATH_MAX], probe[PATH_MAX + 64];
	size_t n = strlen(__FILE__);
	ssize_t r;

	memset(cand, 0, sizeof(cand));
	if (n >= strlen(tail) && !strcmp(__FILE__ + n - strlen(tail), tail) && __FILE__[0] == '/')
		snprintf(cand[0], sizeof(cand[0]), "%.*s", (int)(n - strlen(tail)), __FILE__);
	r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (r > 0) {
		char *s;

		exe[r] = 0;
		/* .../ROOT/.output/tests/test_config -> .../ROOT/ */
		for (int up = 0; up < 3 && (s = strrchr(exe, '/')); up++)
			*s = 0;
		snprintf(cand[1], sizeof(cand[1]), "%.4000s/", exe);
	}
	snprintf(cand[2], sizeof(cand[2]), "./");
	for (int i = 0; i < 3; i++) {
		if (!cand[i][0])
			continue;
		snprintf(probe, sizeof(probe), "%.4000sconfigs/udp-throughput.ini", cand[i]);
		if (!access(probe, R_OK)) {
			snprintf(root, len, "%.4000s", cand[i]);
			return 1;
		}
	}
	return 0;
}

/* The shipped examples parse and mean what their comments say. */
static void test_example_configs(void **state)
{
	char root[PATH_MAX], path[PATH_MAX + 64], err[CONFIG_ERR_LEN];
	const char *ci = getenv("CI");
	struct case_cfg *c;
	struct sweep sw;
	int nc;

	(void)state;
	if (!find_root(root, sizeof(root))) {
		/* Under CI nothing is skipped: the examples must be found. */
		if (ci && *ci && strcmp(ci, "false") && strcmp(ci, "0"))
			fail_msg("configs/udp-throughput.ini not found next to the binary, "
				 "under the source path or in the current directory");
		print_message("configs/ not found: example configs not checked\n");
		skip();
	}
	snprintf(path, sizeof(path), "%sconfigs/udp-throughput.ini", root);
	sweep_init(&sw);
	if (config_load(&sw, path, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(sweep_expand(&sw, &c, &nc, err, sizeof(err)), 0);
	assert_int_equal(nc, 1);
	assert_string_equal(c[0].name, "udp-throughput");
	assert_string_equal(c[0].datapath, "udp");
	assert_int_equal(c[0].topology, TOPO_BRIDGE);
	assert_int_equal(c[0].pattern, PAT_THROUGHPUT);
	assert_int_equal(c[0].size, 64);
	assert_int_equal(c[0].rate_pps, 0);
	assert_int_equal(c[0].burst, 32);
	assert_true(c[0].duration_s == 1.0);
	free(c);
	sweep_free(&sw);

	snprintf(path, sizeof(path), "%sconfigs/pingpong.ini", root);
	sweep_init(&sw);
	if (config_load(&sw, path, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(sweep_expand(&sw, &c, &nc, err, sizeof(err)), 0);
	assert_int_equal(nc, 1);
	assert_string_equal(c[0].name, "pingpong");
	assert_string_equal(c[0].datapath, "udp");
	assert_int_equal(c[0].pattern, PAT_PINGPONG);
	assert_int_equal(c[0].size, 64);
	assert_int_equal(c[0].rate_pps, 0); /* closed loop */
	assert_int_equal(c[0].outstanding, 1);
	free(c);
	sweep_free(&sw);
}

/* ---- errors ----------------------------------------------------------- */

static void test_load_atomic(void **state)
{
	char err[CONFIG_ERR_LEN], prefix[PATH_MAX + 64];
	struct sweep sw;

	(void)state;
	sweep_init(&sw);
	/* An error on a late line undoes the keys read before it. */
	assert_int_equal(load_text(&sw, "late.ini",
				   "[workload]\nsize = 64,128\nburst = 1..8\n[datapath]\n"
				   "datapath = udp\nring_frames = 100\n",
				   err),
			 -EINVAL);
	snprintf(prefix, sizeof(prefix), "%s/late.ini:6: ", tmpdir);
	check_msg(err, prefix, "key 'ring_frames'", "not a power of two");
	assert_int_equal(sw.nkeys, 0);
	assert_null(sw.path);

	/* A second file may not set what the first did. */
	assert_int_equal(load_text(&sw, "first.ini", "[workload]\n\nsize = 64\n", err), 0);
	assert_int_equal(load_text(&sw, "second.ini", "[workload]\nburst = 2\nsize = 128\n", err),
			 -EINVAL);
	snprintf(prefix, sizeof(prefix), "%s/second.ini:3: ", tmpdir);
	check_msg(err, prefix, "key 'size'", "first.ini:3");
	assert_int_equal(sw.nkeys, 1);
	/* ... and a file may not set what --set already did. */
	assert_int_equal(config_set(&sw, "burst=4", err, sizeof(err)), 0);
	assert_int_equal(load_text(&sw, "third.ini", "[workload]\nburst = 2\n", err), -EINVAL);
	snprintf(prefix, sizeof(prefix), "%s/third.ini:2: ", tmpdir);
	check_msg(err, prefix, "key 'burst'", "already set by --set");
	sweep_free(&sw);
}

static void test_missing_file(void **state)
{
	char err[CONFIG_ERR_LEN], path[PATH_MAX + 64];
	struct sweep sw;

	(void)state;
	sweep_init(&sw);
	snprintf(path, sizeof(path), "%s/does-not-exist.ini", tmpdir);
	assert_int_equal(config_load(&sw, path, err, sizeof(err)), -ENOENT);
	check_msg(err, path, NULL, "No such file");
	assert_int_equal(sw.nkeys, 0);
	sweep_free(&sw);
}

/* A NUL byte would end inih's line early: an error naming the key. */
static void test_nul_byte(void **state)
{
	static const char text[] = "[workload]\nsi\0ze = 64\nburst = 8\n";
	static const char text2[] = "[workload]\nsize = 6\0" "4\n";
	char err[CONFIG_ERR_LEN], path[PATH_MAX + 64], want[PATH_MAX + 80];
	struct sweep sw;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/nul.ini", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	sweep_init(&sw);
	assert_int_equal(config_load(&sw, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: ", path);
	check_msg(err, want, "key 'si\\x00ze'", "NUL byte at column 3");
	assert_int_equal(sw.nkeys, 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text2, 1, sizeof(text2) - 1, f), sizeof(text2) - 1);
	fclose(f);
	assert_int_equal(config_load(&sw, path, err, sizeof(err)), -EINVAL);
	check_msg(err, want, "key 'size'", "NUL byte at column 9");
	assert_int_equal(sw.nkeys, 0);
	sweep_free(&sw);
}

/* --set with a control byte: the key escaped, nothing set. */
static void test_set_control_byte(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct sweep sw;

	(void)state;
	sweep_init(&sw);
	assert_int_equal(config_set(&sw, "bu\x1b[2Jrst=8", err, sizeof(err)), -EINVAL);
	check_msg(err, "--set: ", "key 'bu\\x1b[2Jrst'", "control byte at column 3");
	assert_null(strchr(err, '\x1b'));
	assert_int_equal(sw.nkeys, 0);
	sweep_free(&sw);
}

/* "-" reads the config from standard input, named "stdin". */
static void test_stdin(void **state)
{
	char err[CONFIG_ERR_LEN], path[PATH_MAX + 64];
	struct case_cfg *c;
	struct sweep sw;
	int n, saved;

	(void)state;
	snprintf(path, sizeof(path), "%s/stdin.ini", tmpdir);
	write_file(path, "[workload]\nsize = 128, 256\nburst = 0\n");
	saved = dup(0);
	assert_non_null(freopen(path, "r", stdin));
	sweep_init(&sw);
	assert_int_equal(config_load(&sw, "-", err, sizeof(err)), -EINVAL);
	check_msg(err, "stdin:3: ", "key 'burst'", "out of range");
	write_file(path, "[workload]\nsize = 128, 256\n");
	assert_non_null(freopen(path, "r", stdin));
	assert_int_equal(config_load(&sw, "-", err, sizeof(err)), 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(c[1].size, 256);
	assert_string_equal(c[0].name, "stdin");
	free(c);
	sweep_free(&sw);
	dup2(saved, 0);
	close(saved);
	clearerr(stdin);
}

/* Load text (NULL: nothing), apply set (or NULL), expand, check the host:
 * the check's return, err filled. */
static int host_check(const char *text, const char *set, char *err)
{
	struct case_cfg *c = NULL;
	struct sweep sw;
	int n = 0, r;

	sweep_init(&sw);
	r = load_text(&sw, "host.ini", text, err);
	if (!r && set)
		r = config_set(&sw, set, err, CONFIG_ERR_LEN);
	if (!r)
		r = sweep_expand(&sw, &c, &n, err, CONFIG_ERR_LEN);
	if (r)
		fail_msg("%s", err);
	r = sweep_check_host(&sw, c, n, err, CONFIG_ERR_LEN);
	free(c);
	sweep_free(&sw);
	return r;
}

/* An empty config runs nothing by accident: it needs --set datapath. */
static void test_empty_config(void **state)
{
	char err[CONFIG_ERR_LEN], want[PATH_MAX + 80];

	(void)state;
	snprintf(want, sizeof(want), "%s/host.ini: ", tmpdir);
	assert_int_equal(host_check("", NULL, err), -EINVAL);
	check_msg(err, want, "key 'datapath'", "sets no key");
	assert_int_equal(host_check("; only a comment\n[run]\n\n", NULL, err), -EINVAL);
	check_msg(err, want, "key 'datapath'", "--set datapath=NAME");
	assert_int_equal(host_check("", "size=128", err), -EINVAL);
	assert_int_equal(host_check("", "datapath=udp", err), 0);
	assert_int_equal(host_check("[workload]\nsize = 128\n", NULL, err), 0);
}

/* Every CPU a case names must be online here. */
static void test_cpu_online(void **state)
{
	char err[CONFIG_ERR_LEN], text[128], want[PATH_MAX + 80], list[64];
	long n = sysconf(_SC_NPROCESSORS_CONF);

	(void)state;
	assert_true(cpu_online(0, list, sizeof(list)));
	assert_false(cpu_online((int)n, NULL, 0));
	assert_int_equal(host_check("[topology]\ncpu_a = 0\ncpu_b = auto\n", NULL, err), 0);
	snprintf(text, sizeof(text), "[run]\nduration = 1\n[topology]\ncpu_a = 0\ncpu_b = 0, %ld\n",
		 n);
	assert_int_equal(host_check(text, NULL, err), -EINVAL);
	snprintf(want, sizeof(want), "%s/host.ini:5: ", tmpdir);
	check_msg(err, want, "key 'cpu_b'", "is not online on this machine");
	assert_non_null(strstr(err, list));
	snprintf(text, sizeof(text), "switch_cpu=%ld", n);
	assert_int_equal(host_check("[run]\nduration = 1\n", text, err), -EINVAL);
	check_msg(err, "--set: ", "key 'switch_cpu'", "not online");
}

/* results_dir: not in /proc or /sys, not a file or under one. */
static void test_results_dir_host(void **state)
{
	static const struct {
		const char *dir, *what;
	} bad[] = {
		{ "/proc/x", "under /proc" },   { "/sys", "under /sys" },
		{ "/tmp/../proc", "under /proc" }, { "/proc/self/cwd/x", "under /proc" },
		{ "@file", "a regular file" }, { "@file/sub", "not creatable" },
	};
	char err[CONFIG_ERR_LEN], text[PATH_MAX + 64], file[PATH_MAX + 16];

	(void)state;
	snprintf(file, sizeof(file), "%s/a-file", tmpdir);
	write_file(file, "x\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *d = bad[i].dir;

		snprintf(text, sizeof(text), "[run]\nresults_dir = %s%s\n", d[0] == '@' ? file : d,
			 d[0] == '@' ? d + 5 : "");
		assert_int_equal(host_check(text, NULL, err), -EINVAL);
		check_msg(err, tmpdir, "key 'results_dir'", bad[i].what);
		assert_non_null(strstr(err, "host.ini:2: "));
	}
	snprintf(text, sizeof(text), "[run]\nresults_dir = %s/new/deeper\n", tmpdir);
	assert_int_equal(host_check(text, NULL, err), 0);
}

struct err_case {
	const char *name; /* file is name.ini */
	const char *text;
	int line;
	const char *key;  /* must appear in the message */
	const char *what; /* must appear in the message */
};

static void run_load_error(void **state)
{
	const struct err_case *ec = *state;
	char err[CONFIG_ERR_LEN], file[128], prefix[PATH_MAX + 160];
	struct sweep sw;

	assert_non_null(ec);
	sweep_init(&sw);
	snprintf(file, sizeof(file), "%s.ini", ec->name);
	memset(err, 'x', sizeof(err));
	assert_int_equal(load_text(&sw, file, ec->text, err), -EINVAL);
	snprintf(prefix, sizeof(prefix), "%s/%s:%d: ", tmpdir, file, ec->line);
	check_msg(err, prefix, ec->key, ec->what);
	assert_int_equal(sw.nkeys, 0);
	sweep_free(&sw);
}

/* Loads fine; sweep_expand must refuse it. */
static void run_expand_error(void **state)
{
	const struct err_case *ec = *state;
	char err[CONFIG_ERR_LEN], file[128], prefix[PATH_MAX + 160];
	struct case_cfg *c = (struct case_cfg *)&c;
	struct sweep sw;
	int n = -1;

	assert_non_null(ec);
	sweep_init(&sw);
	snprintf(file, sizeof(file), "%s.ini", ec->name);
	if (load_text(&sw, file, ec->text, err))
		fail_msg("load: %s", err);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), -EINVAL);
	assert_null(c);
	assert_int_equal(n, 0);
	snprintf(prefix, sizeof(prefix), "%s/%s:%d: ", tmpdir, file, ec->line);
	check_msg(err, prefix, ec->key, ec->what);
	sweep_free(&sw);
}

/* --set errors: text is the argument, line is unused. */
static void run_set_error(void **state)
{
	const struct err_case *ec = *state;
	char err[CONFIG_ERR_LEN];
	struct sweep sw;

	assert_non_null(ec);
	sweep_init(&sw);
	assert_int_equal(config_set(&sw, ec->text, err, sizeof(err)), -EINVAL);
	check_msg(err, "--set: ", ec->key, ec->what);
	assert_int_equal(sw.nkeys, 0);
	sweep_free(&sw);
}

#define W "[workload]\n"
#define T "[topology]\n"
#define D "[datapath]\n"
#define L64 "64,64,64,64,64,64,64,64,64,64,"

/* name, file text, line, key, what */
#define LOAD_ERRORS(X)                                                                           \
	X(hosts_option_as_host, T "topology = hosts\nhost_a = -oProxyCommand=x\n", 3,            \
	  "key 'host_a'", "is not local or [user@]host[:port]")                                  \
	X(unknown_key, W "size = 64\nsizes = 64\n", 3, "key 'sizes'",                           \
	  "(allowed: pattern, size, rate, burst")                                                \
	X(unknown_section, "[run]\nrepeat = 1\n\n[wokload]\nsize = 64\n", 4, "[wokload]",       \
	  "(allowed: [run], [workload], [topology], [datapath], [probes], [variant NAME])")                      \
	X(unknown_empty_section, "[run]\n[bogus]\n", 2, "[bogus]", "unknown section")           \
	X(variant_bad_name, "[variant a/b]\nsize = 64\n", 1, "[variant a/b]", "unknown section") \
	X(variant_run_key, "[variant x]\nsize = 64\nduration = 2\n", 3, "key 'duration'",       \
	  "a [run] key applies to every variant (allowed: in [run])")                            \
	X(variant_repeated, "[variant x]\nsize = 64\n[variant y]\nsize = 64\n[variant x]\n"      \
	  "size = 128\n", 5, "[variant x]", "repeated (first at line 1")                        \
	X(variant_duplicate_key, "[variant x]\nsize = 64\nsize = 128\n", 3, "key 'size'",       \
	  "already set at line 2")                                                               \
	X(unterminated_section, "[workload\nsize = 64\n", 1, "section", "']'")                  \
	X(wrong_section, "[run]\nduration = 1\nsize = 64\n", 3, "key 'size'",                  \
	  "belongs in [workload]")                                                               \
	X(wrong_section_probes, "[probes]\ndatapath = udp\n", 2, "key 'datapath'",              \
	  "belongs in [datapath]")                                                               \
	X(before_section, "; comment\nsize = 64\n", 2, "key 'size'", "before any section")     \
	X(no_value, W "size\n", 2, "key 'size'", "no value")                                    \
	X(indent_is_not_continuation, W "size = 64\n    128\n", 3, "key '128'", "no value")   \
	X(empty_value, W "size =\n", 2, "key 'size'", "empty value")                           \
	X(empty_item, W "size = 64,,128\n", 2, "key 'size'", "empty item")                     \
	X(leading_comma, W "size = ,64\n", 2, "key 'size'", "empty item")                      \
	X(trailing_comma, W "size = 64,\n", 2, "key 'size'", "empty item")                     \
	X(duplicate, W "size = 64\nburst = 1\nsize = 128\n", 4, "key 'size'",                  \
	  "already set at line 2")                                                               \
	X(duplicate_second_block, W "size = 64\n[run]\nrepeat = 2\n" W "size = 64\n", 5,         \
	  "[workload]", "repeated (first at line 1")                                             \
	X(repeated_section, W "size = 64\n" W "burst = 8\n", 3, "[workload]", "repeated")      \
	X(dup_in_list, W "size = 64,64\n", 2, "key 'size'", "'64' is listed twice")            \
	X(dup_spelled_apart, W "rate = 1k, 1000\n", 2, "key 'rate'",                           \
	  "'1k' and '1000' are the same value")                                                  \
	X(dup_range_and_item, W "size = 64..66, 65\n", 2, "key 'size'", "listed twice")        \
	X(dup_auto, "[topology]\ncpu_a = auto, -1\n", 2, "key 'cpu_a'", "same value")          \
	X(dup_word_case, W "rate = max, MAX\n", 2, "key 'rate'", "same value")                 \
	X(dup_datapath, D "datapath = udp, UDP\n", 2, "key 'datapath'", "same value")          \
	X(control_in_key, W "si\x1b[31mze = 64\n", 2, "key 'si\\x1b", "control byte at column 3") \
	X(control_in_value, W "size = 6\x07" "4\n", 2, "key 'size'", "control byte at column 9") \
	X(del_in_key, W "size\x7f = 64\n", 2, "key 'size\\x7f'", "control byte")              \
	X(bad_number, W "burst = 3x\n", 2, "key 'burst'", "'3x' is not an integer")           \
	X(bad_number_hex, W "burst = 0x10\n", 2, "key 'burst'", "'0x10' is not an integer")   \
	X(bad_number_plus, W "burst = +3\n", 2, "key 'burst'", "not an integer")              \
	X(bad_number_huge, W "burst = 99999999999999999999\n", 2, "key 'burst'", "out of range") \
	X(negative, W "burst = -1\n", 2, "key 'burst'", "'-1' is not an integer")             \
	X(out_of_range, W "burst = 300\n", 2, "key 'burst'", "300 is out of range (allowed: 1..256)") \
	X(size_63, W "pattern = throughput\nsize = 63\n", 3, "key 'size'",                     \
	  "63 is below the 64-byte minimum frame (Eth+IPv4+UDP headers, 18-byte test header "    \
	  "and FCS) (allowed: 64..1518)")                                                        \
	X(size_40_in_list, W "size = 64, 40, 128\n", 2, "key 'size'", "40 is below the 64-byte") \
	X(size_1519, W "size = 1519\n", 2, "key 'size'", "1519 is above the 1518-byte maximum") \
	X(bad_enum, W "pattern = pingpog\n", 2, "key 'pattern'",                                \
	  "unknown value 'pingpog' (allowed: throughput|pingpong)")                              \
	X(bad_enum_datapath, D "datapath = udp, netmap\n", 2, "key 'datapath'",                 \
	  "(allowed: udp|mmsg|packet|uring|xdp|dpdk)")                                               \
	X(bad_enum_dpdk_port, D "dpdk_port = vhost, tap\n", 2, "key 'dpdk_port'",               \
	  "(allowed: vhost|memif|af_xdp|sriov)")                                                     \
	X(bad_enum_dpdk_switch, D "dpdk_switch = none\n", 2, "key 'dpdk_switch'",                \
	  "'none' (allowed: testpmd|ovs)")                                                           \
	X(sriov_pf_list, D "sriov_pf = eth1, eth2\n", 2, "key 'sriov_pf'", "one value")           \
	X(bad_enum_topology, "[topology]\ntopology = star\n", 2, "key 'topology'", "'star'")   \
	X(bad_enum_packet_tx, D "packet_tx = recv\n", 2, "key 'packet_tx'", "ring|sendto")     \
	X(bad_enum_packet_rx, D "packet_rx = sendto\n", 2, "key 'packet_rx'", "ring|recv")     \
	X(bad_enum_uring_rx, D "uring_rx = multi\n", 2, "key 'uring_rx'", "single|multishot")  \
	X(bad_enum_uring_taskrun, D "datapath = uring\nuring_taskrun = ipi\n", 3,              \
	  "key 'uring_taskrun'", "unknown value 'ipi' (allowed: default|coop|defer)")            \
	X(bad_enum_uring_taskrun_in_list, D "uring_taskrun = coop, deferred\n", 2,             \
	  "key 'uring_taskrun'", "unknown value 'deferred' (allowed: default|coop|defer)")       \
	X(uring_taskrun_range, D "uring_taskrun = 0..2\n", 2, "key 'uring_taskrun'",             \
	  "ranges are only for integer keys")                                                    \
	X(uring_taskrun_wrong_section, W "uring_taskrun = coop\n", 2, "key 'uring_taskrun'",     \
	  "belongs in [datapath]")                                                               \
	X(bad_enum_xdp_mode, D "datapath = xdp\nxdp_mode = skb\n", 3, "key 'xdp_mode'",        \
	  "unknown value 'skb' (allowed: native|generic)")                                     \
	X(bad_enum_xdp_bind, D "xdp_bind = copy, zc\n", 2, "key 'xdp_bind'",                 \
	  "unknown value 'zc' (allowed: copy|zerocopy|auto)")                                 \
	X(xdp_bind_wrong_section, W "xdp_bind = copy\n", 2, "key 'xdp_bind'",                \
	  "belongs in [datapath]")                                                               \
	X(bad_bool_busy_poll, D "busy_poll = 20\n", 2, "key 'busy_poll'", "'20' is not a yes/no") \
	X(bad_enum_probes, "[probes]\nprobes = all\n", 2, "key 'probes'", "off|aggregate|path") \
	X(bad_bool, W "blocking = maybe\n", 2, "key 'blocking'", "'maybe' is not a yes/no")    \
	X(bad_bool_touch, W "touch = 2\n", 2, "key 'touch'", "'2' is not a yes/no")            \
	X(bad_float, "[run]\nduration = fast\n", 2, "key 'duration'", "'fast' is not a number") \
	X(float_low, "[run]\nduration = 0.05\n", 2, "key 'duration'", "0.05 is out of range")  \
	X(float_high, "[run]\nduration = 3601\n", 2, "key 'duration'", "(allowed: 0.1..3600)") \
	X(float_nan, "[run]\nduration = nan\n", 2, "key 'duration'", "not a number")           \
	X(float_inf, "[run]\nwarmup = inf\n", 2, "key 'warmup'", "not a number")               \
	X(float_hex, "[run]\nwarmup = 0x1p1\n", 2, "key 'warmup'", "not a number")             \
	X(float_negative, "[run]\nwarmup = -1\n", 2, "key 'warmup'", "-1 is out of range")     \
	X(float_trailing, "[run]\nwarmup = 1.5.2\n", 2, "key 'warmup'", "not a number")        \
	X(range_reversed, W "size = 512..64\n", 2, "key 'size'", "start 512 is above end 64")  \
	X(range_step_zero, W "size = 64..0..512\n", 2, "key 'size'", "step must be > 0")       \
	X(range_step_negative, W "size = 64..-1..512\n", 2, "key 'size'", "bad range")         \
	X(range_open_end, W "size = 64..\n", 2, "key 'size'", "bad range '64..'")              \
	X(range_open_start, W "size = ..64\n", 2, "key 'size'", "bad range '..64'")            \
	X(range_dots, W "size = ..\n", 2, "key 'size'", "bad range '..'")                      \
	X(range_four_parts, W "size = 64..1..2..3\n", 2, "key 'size'", "bad range")            \
	X(range_three_dots, W "size = 64...128\n", 2, "key 'size'", "bad range")               \
	X(range_bad_bound, W "size = 64..x\n", 2, "key 'size'", "'x' is not an integer")       \
	X(range_leaves_range, W "size = 1500..10..1600\n", 2, "key 'size'",                    \
	  "1520 is above the 1518-byte maximum")                                                 \
	X(range_word_bound, W "rate = max..10\n", 2, "key 'rate'", "'max' is not an integer")  \
	X(range_auto_bound, "[topology]\ncpu_a = auto..3\n", 2, "key 'cpu_a'", "'auto'")       \
	X(range_too_long, W "rate = 1..10001\n", 2, "key 'rate'",                               \
	  "expands to 10001 values, more than 10000")                                            \
	X(range_not_pow2, D "ring_frames = 64..128\n", 2, "key 'ring_frames'",                  \
	  "65 is not a power of two")                                                            \
	X(range_on_float, "[run]\nduration = 1..5\n", 2, "key 'duration'",                      \
	  "ranges are only for integer keys")                                                    \
	X(range_on_enum, W "pattern = throughput..pingpong\n", 2, "key 'pattern'",              \
	  "ranges are only for integer keys")                                                    \
	X(range_on_bool, W "touch = 0..1\n", 2, "key 'touch'", "ranges are only for integer keys") \
	X(list_repeat, "[run]\nrepeat = 1,2\n", 2, "key 'repeat'", "takes one value")          \
	X(range_repeat, "[run]\nrepeat = 1..3\n", 2, "key 'repeat'", "takes one value")        \
	X(repeat_zero, "[run]\nrepeat = 0\n", 2, "key 'repeat'", "(allowed: 1..1000)")         \
	X(list_name, "[run]\nname = a,b\n", 2, "key 'name'", "takes one value")                \
	X(list_results_dir, "[run]\nresults_dir = a, b\n", 2, "key 'results_dir'",             \
	  "takes one value")                                                                     \
	X(bad_name, "[run]\nname = a/b\n", 2, "key 'name'", "not allowed")                     \
	X(long_name, "[run]\nname = "                                                          \
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",          \
	  2, "key 'name'", "1..63 characters")                                                   \
	X(ring_not_pow2, D "ring_frames = 100\n", 2, "key 'ring_frames'", "not a power of two") \
	X(ring_small, D "ring_frames = 32\n", 2, "key 'ring_frames'", "32 is out of range")    \
	X(rate_fraction, W "rate = 1.2345k\n", 2, "key 'rate'", "not a whole number")          \
	X(rate_plain_fraction, W "rate = 1.5\n", 2, "key 'rate'", "'1.5' is not an integer")   \
	X(rate_zero, W "rate = 0\n", 2, "key 'rate'", "0 is out of range")                     \
	X(rate_too_high, W "rate = 200M\n", 2, "key 'rate'", "200000000 is out of range")      \
	X(rate_bad_suffix, W "rate = 10G\n", 2, "key 'rate'", "k = 1000, M = 1000000")         \
	X(rate_milli, W "rate = 10m\n", 2, "key 'rate'", "'10m' is not an integer")            \
	X(rate_bad_word, W "rate = maximum\n", 2, "key 'rate'", "'maximum'")                   \
	X(sndbuf_too_big, D "sndbuf = 2G\n", 2, "key 'sndbuf'", "2147483648 is out of range")  \
	X(rcvbuf_fraction, D "rcvbuf = 1.3k\n", 2, "key 'rcvbuf'", "not a whole number")       \
	X(sndbuf_decimal_suffix, D "sndbuf = 1T\n", 2, "key 'sndbuf'", "1024-based")           \
	X(cpu_high, "[topology]\ncpu_a = 1024\n", 2, "key 'cpu_a'", "1024 is out of range")    \
	X(cpu_low, "[topology]\ncpu_b = -2\n", 2, "key 'cpu_b'", "-2 is out of range")         \
	X(cpu_word, "[topology]\ncpu_a = automatic\n", 2, "key 'cpu_a'", "'automatic'")        \
	X(pairs_zero, "[topology]\npairs = 0\n", 2, "key 'pairs'", "0 is out of range")          \
	X(pairs_high, "[topology]\npairs = 17\n", 2, "key 'pairs'", "(allowed: 1..16)")          \
	X(container_word, "[topology]\ncontainer = docker\n", 2, "key 'container'", "'docker'") \
	X(timeout_zero, W "timeout_us = 0\n", 2, "key 'timeout_us'", "(allowed: 1..10000000)") \
	X(outstanding_big, W "outstanding = 257\n", 2, "key 'outstanding'", "257 is out of range") \
	X(long_line, W "size = " L64 L64 L64 L64 L64 L64 L64 L64 "64\n", 2, "key 'size'", "longer than") \
	X(crlf_lines, "[workload]\r\nburst = 1\r\n\r\nsize = 40\r\n", 4, "key 'size'",          \
	  "40 is below")                                                                         \
	X(deep_line,                                                                             \
	  "; a longer file\n[run]\nduration = 1\n\n# warm up first\nwarmup = 0.2\n\n"           \
	  "[workload]\n  pattern = throughput   ; indented\nburst = 32\n\nsize = 40\n",          \
	  12, "key 'size'", "40 is below the 64-byte minimum frame")                      \
	X(iface_name_slash, T "iface_a = a/b\n", 2, "key 'iface_a'", "not an interface name")   \
	X(iface_list, T "iface_a = p0,p1\n", 2, "key 'iface_a'", "one value")                   \
	X(ip_outside, T "ip_a = 10.0.0.1\n", 2, "key 'ip_a'", "outside 198.18.0.0/15")          \
	X(ip_plen, T "ip_b = 198.18.0.2/8\n", 2, "key 'ip_b'", "prefix length must be 16..30") \
	X(ip_network, T "ip_b = 198.18.0.0/24\n", 2, "key 'ip_b'", "network or broadcast")     \
	X(mac_multicast, T "mac_b = 01:00:5e:00:00:01\n", 2, "key 'mac_b'", "unicast MAC")      \
	X(mac_short, T "mac_b = 02:00:00:00:01\n", 2, "key 'mac_b'", "unicast MAC")

/* name, file text, line of the key blamed, key, what */
#define EXPAND_ERRORS(X)                                                                         \
	X(too_many_cases, "[run]\nrepeat = 100\n" W "size = 64..1064\n", 4, "key 'size'",       \
	  "over 100000 cases")                                                                   \
	X(too_many_cases_product,                                                                \
	  W "size = 64..563\nburst = 1..256\n", 3, "key 'burst'", "100000")                      \
	X(lxc_direct, "[topology]\ntopology = direct\ncontainer = lxc\n", 3, "key 'container'",  \
	  "(allowed: container=lxc with topology=bridge)")                                      \
	X(multishot_blocking, W "blocking = yes\n" D "datapath = uring\nuring_rx = multishot\n", \
	  5, "key 'uring_rx'", "multishot receive is completion-driven; blocking=yes has no meaning") \
	X(multishot_blocking_in_sweep,                                                           \
	  W "blocking = no, yes\n" D "datapath = udp, uring\nuring_rx = single, multishot\n",   \
	  5, "key 'uring_rx'", "completion-driven")                                              \
	X(burst_over_ring_packet, W "burst = 128\n" D "datapath = packet\nring_frames = 64\n",  \
	  2, "key 'burst'", "burst 128 does not fit a packet ring of 64 frames")                 \
	X(burst_over_ring_uring, W "burst = 256\n" D "datapath = udp,uring\nring_frames = 128\n", \
	  2, "key 'burst'", "uring ring of 128")                                                 \
	X(burst_over_ring_packet_tx_only,                                                        \
	  W "burst = 128\n" D "datapath = packet\nring_frames = 64\npacket_rx = recv\n", 2,     \
	  "key 'burst'", "(allowed: burst <= ring_frames)")                                      \
	X(burst_over_ring_xdp, W "burst = 128\n" D "datapath = xdp\nring_frames = 64\n", 2,    \
	  "key 'burst'", "burst 128 does not fit a xdp ring of 64 frames")                    \
	X(outstanding_over_ring,                                                                 \
	  W "pattern = pingpong\noutstanding = 128\nburst = 1\n" D "datapath = packet\n"         \
	  "ring_frames = 64\n",                                                                  \
	  3, "key 'outstanding'", "128 requests in flight")                                      \
	X(open_loop_blocking, W "pattern = pingpong\nrate = 10k\n\nblocking = yes\n", 5,        \
	  "key 'blocking'", "open loop")                                                         \
	X(dpdk_memif_bridge, D "datapath = dpdk\ndpdk_port = memif\n", 3, "key 'dpdk_port'",   \
	  "(allowed: dpdk_port=memif with topology=direct)")                                     \
	X(dpdk_blocking, W "blocking = yes\n" D "datapath = udp, dpdk\n", 2, "key 'blocking'", \
	  "a DPDK lcore busy-polls its port")                                                    \
	X(dpdk_lxc, "[topology]\ncontainer = lxc\n" D "datapath = dpdk\n", 2,                 \
	  "key 'container'", "(allowed: datapath=dpdk with container=netns)")                    \
	X(dpdk_switch_pairs, "[topology]\npairs = 2\n" D "datapath = dpdk\n", 2, "key 'pairs'", \
	  "the vhost switch has one pair of ports")                                               \
	X(udp_segment_packet, D "datapath = packet\nudp_segment = 8\n", 3, "key 'udp_segment'",  \
	  "datapath packet has no udp_segment (allowed: udp_segment = 0, or datapath = udp, mmsg, " \
	  "uring")                                                                               \
	X(zerocopy_xdp, D "datapath = udp, xdp\nzerocopy = yes\n", 3, "key 'zerocopy'",          \
	  "datapath xdp has no zerocopy")                                                        \
	X(busy_poll_us_dpdk, D "datapath = dpdk\nbusy_poll_us = 50\n", 3, "key 'busy_poll_us'", \
	  "datapath dpdk has no busy_poll_us")                                                   \
	X(udp_segment_over_burst, W "burst = 8\n" D "datapath = mmsg\nudp_segment = 16\n", 5,   \
	  "key 'udp_segment'", "(allowed: udp_segment <= burst)")                                \
	X(udp_segment_over_64k, W "size = 1518\n" D "datapath = udp\nudp_segment = 64\n", 5,    \
	  "key 'udp_segment'", "(allowed: udp_segment <= 44 at size 1518)")                     \
	X(uring_multishot_gro, D "datapath = uring\nuring_rx = multishot\nudp_gro = yes\n", 3,   \
	  "key 'uring_rx'", "(allowed: uring_rx=single with udp_gro=yes)")                       \
	X(uring_sqpoll_defer, D "datapath = uring\nuring_taskrun = defer\nuring_sqpoll = yes\n", 4, \
	  "key 'uring_sqpoll'", "(allowed: uring_sqpoll=yes with uring_taskrun=default|coop)")   \
	X(iface_missing, T "topology = iface\niface_a = p0\n", 2, "key 'topology'",             \
	  "needs iface_a and iface_b")                                                           \
	X(iface_same, T "topology = iface\niface_a = p0\niface_b = p0\n", 4, "key 'iface_b'",  \
	  "is iface_a too")                                                                      \
	X(iface_other_topo, T "topology = direct\niface_b = p1\n", 3, "key 'iface_b'",          \
	  "only topology=iface")                                                                 \
	X(iface_ip_other_topo, T "ip_a = 198.18.0.5\n", 2, "key 'ip_a'", "only topology=iface") \
	X(iface_pairs, T "topology = iface\niface_a = p0\niface_b = p1\npairs = 2\n", 5,       \
	  "key 'pairs'", "pairs=1 with topology=iface")                                          \
	X(iface_lxc, T "topology = iface\niface_a = p0\niface_b = p1\ncontainer = lxc\n", 5,   \
	  "key 'container'", "container=netns with topology=iface")                            \
	X(hosts_key_other_topo, T "host_b = root@h\n", 2, "key 'host_b'", "only topology=hosts") \
	X(hosts_same_iface, T "topology = hosts\niface_a = p0\niface_b = p0\n", 4,              \
	  "key 'iface_b'", "is iface_a too")                                                     \
	X(hosts_dpdk, T "topology = hosts\niface_a = p0\niface_b = p1\n" D "datapath = dpdk\n", \
	  6, "key 'datapath'", "needs a switch and EAL files on one host")                       \
	X(hosts_probes_path,                                                                     \
	  T "topology = hosts\niface_a = p0\niface_b = p1\n[probes]\nprobes = path\n", 6,       \
	  "key 'probes'", "(allowed: probes=off, aggregate, sample or both with topology=hosts)")

#define DEF_CASE(n, t, l, k, w) static const struct err_case ec_##n = { #n, t, l, k, w };
#define LOAD_TEST(n, t, l, k, w) \
	{ "load_error_" #n, run_load_error, NULL, NULL, (void *)&ec_##n },
#define EXPAND_TEST(n, t, l, k, w) \
	{ "expand_error_" #n, run_expand_error, NULL, NULL, (void *)&ec_##n },
#define DEF_SET_CASE(n, t, l, k, w) \
	static const struct err_case ec_set_##n = { #n, t, l, k, w };
#define SET_TEST(n, t, l, k, w) \
	{ "set_error_" #n, run_set_error, NULL, NULL, (void *)&ec_set_##n },

/* name, --set argument, -, key, what */
#define SET_ERRORS(X)                                                                            \
	X(no_equals, "size", 0, "key 'size'", "expected key=value")                             \
	X(empty, "size=", 0, "key 'size'", "empty value")                                       \
	X(blank, "size =  ", 0, "key 'size'", "empty value")                                    \
	X(unknown, "sizes=64", 0, "key 'sizes'", "(allowed: name, repeat, duration")            \
	X(bad_value, "size=63", 0, "key 'size'", "63 is below the 64-byte minimum frame")       \
	X(list_repeat, "repeat=2,3", 0, "key 'repeat'", "takes one value")                      \
	X(bad_range, "size=64..", 0, "key 'size'", "bad range")                                 \
	X(bad_uring_taskrun, "uring_taskrun=coop,sqpoll", 0, "key 'uring_taskrun'",              \
	  "unknown value 'sqpoll' (allowed: default|coop|defer)")                                \
	X(empty_uring_taskrun, "uring_taskrun=", 0, "key 'uring_taskrun'", "empty value")     \
	X(bad_xdp_mode, "xdp_mode=native,driver", 0, "key 'xdp_mode'",                        \
	  "unknown value 'driver' (allowed: native|generic)")

LOAD_ERRORS(DEF_CASE)
EXPAND_ERRORS(DEF_CASE)
SET_ERRORS(DEF_SET_CASE)

/* A cross-key error caused by --set points at the --set. */
static void test_set_cross_error(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct case_cfg *c;
	struct sweep sw;
	int n;

	(void)state;
	sweep_init(&sw);
	assert_int_equal(load_text(&sw, "cross.ini", D "datapath = uring\n", err), 0);
	assert_int_equal(config_set(&sw, "blocking=yes", err, sizeof(err)), 0);
	assert_int_equal(config_set(&sw, "uring_rx=multishot", err, sizeof(err)), 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), -EINVAL);
	check_msg(err, "--set: ", "key 'uring_rx'", "completion-driven");
	/* Too many cases because of a --set. */
	assert_int_equal(config_set(&sw, "uring_rx=single", err, sizeof(err)), 0);
	assert_int_equal(config_set(&sw, "rate=1..10000", err, sizeof(err)), 0);
	assert_int_equal(config_set(&sw, "size=64..100", err, sizeof(err)), 0);
	assert_int_equal(sweep_expand(&sw, &c, &n, err, sizeof(err)), -EINVAL);
	check_msg(err, "--set: ", "key 'rate'", "100000");
	sweep_free(&sw);
}

static int rm_tree(const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/bl-test-config.XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return rm_tree(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_list_and_ranges),
		cmocka_unit_test(test_product_order),
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_max_cases),
		cmocka_unit_test(test_set_override),
		cmocka_unit_test(test_rate_suffixes),
		cmocka_unit_test(test_search_keys),
		cmocka_unit_test(test_cpu_auto),
		cmocka_unit_test(test_bool_and_enum_words),
		cmocka_unit_test(test_uring_taskrun),
		cmocka_unit_test(test_xdp_keys),
		cmocka_unit_test(test_valid_combinations),
		cmocka_unit_test(test_iface_keys),
		cmocka_unit_test(test_name_default),
		cmocka_unit_test(test_keys_table),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_example_configs),
		cmocka_unit_test(test_load_atomic),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_set_control_byte),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_empty_config),
		cmocka_unit_test(test_cpu_online),
		cmocka_unit_test(test_results_dir_host),
		cmocka_unit_test(test_set_cross_error),
		cmocka_unit_test(test_shared_keys),
		cmocka_unit_test(test_feature_sweep),
		cmocka_unit_test(test_variants),
		LOAD_ERRORS(LOAD_TEST) EXPAND_ERRORS(EXPAND_TEST) SET_ERRORS(SET_TEST)
	};

	/* The group fixture leaves its state NULL so each error test gets its
	 * own case as initial state. */
	return cmocka_run_group_tests_name("config", tests, group_setup, group_teardown);
}
