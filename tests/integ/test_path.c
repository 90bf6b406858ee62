// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of the per-packet stage latency (probes=path): every
 * packet the sender sent in the window crosses each hop once (counts agree
 * with the endpoint's own), the bridge hops exist only with a bridge, replies
 * are followed too (ping-pong: both directions), the one-way total agrees
 * with the sum of its hops, and no BPF program stays loaded.
 */
#include <bpf/bpf.h>

#include "integ.h"

static json_t *runs;

static const char *const cfg_text =
	"[run]\nduration = 1\nwarmup = 0.3\n"
	"[workload]\npattern = throughput, pingpong\nsize = 64\nburst = 32\n"
	"[topology]\ntopology = bridge, direct\n"
	"[datapath]\ndatapath = udp\n"
	"[probes]\nprobes = path\n";

static json_t *get_runs(void)
{
	char cfg[512], prefix[32] = "";
	json_t *r;
	size_t i;
	const char *args[] = { bin, "run", cfg, "--json", "--results", tmpdir, NULL };
	int rc;

	need_root();
	if (runs)
		return runs;
	snprintf(cfg, sizeof(cfg), "%s/path.ini", tmpdir);
	write_file(cfg, cfg_text);
	runs = run_json(args, &rc, prefix, sizeof(prefix));
	json_array_foreach(runs, i, r)
		if (strcmp(json_string_value(json_object_get(r, "status")), "ok"))
			fail_msg("%s: %s", json_string_value(json_object_get(r, "case_dir")),
				 json_string_value(json_object_get(r, "error")));
	assert_int_equal(rc, 0);
	assert_no_leftovers(prefix);
	return runs;
}

static json_t *find_case(const char *topo, const char *pattern)
{
	json_t *list = get_runs(), *r;
	size_t i;

	json_array_foreach(list, i, r) {
		json_t *p = json_object_get(r, "params");

		if (!strcmp(json_string_value(json_object_get(p, "topology")), topo) &&
		    !strcmp(json_string_value(json_object_get(p, "pattern")), pattern))
			return r;
	}
	fail_msg("no %s/%s case in the run", topo, pattern);
	return NULL;
}

static json_t *path_of(json_t *r)
{
	json_t *p = json_object_get(json_object_get(r, "attribution"), "path");

	if (!p)
		fail_msg("%s: no attribution.path", json_string_value(json_object_get(r, "case_dir")));
	return p;
}

static json_t *hop(json_t *hops, const char *from, const char *to)
{
	json_t *h;
	size_t i;

	json_array_foreach(hops, i, h)
		if (!strcmp(json_string_value(json_object_get(h, "from")), from) &&
		    !strcmp(json_string_value(json_object_get(h, "to")), to))
			return h;
	return NULL;
}

static double count_of(json_t *h)
{
	return (double)json_integer_value(json_object_get(h, "count"));
}

static void near(const char *what, double got, double want, double tol)
{
	if (want < 1000 || got < want * (1 - tol) || got > want * (1 + tol))
		fail_msg("%s: %.0f, want %.0f +- %.0f %%", what, got, want, tol * 100);
}

/* Bridge: a -> b crosses the sender veth, the bridge and the receiver veth,
 * each hop once per packet sent in the window. */
static void test_bridge_hops(void **state)
{
	json_t *r = find_case("bridge", "throughput"), *hops = json_object_get(path_of(r), "hops");
	static const char *const chain[] = {
		"sender syscall entry",	      "sender eth0 queue",     "sender bridge port receive",
		"receiver bridge port queue", "receiver eth0 receive",
	};
	double tx = num(r, "throughput.tx_pkts");

	(void)state;
	for (size_t i = 0; i + 1 < sizeof(chain) / sizeof(chain[0]); i++) {
		json_t *h = hop(hops, chain[i], chain[i + 1]);

		if (!h)
			fail_msg("no hop %s -> %s", chain[i], chain[i + 1]);
		near(chain[i + 1], count_of(h), tx, 0.02);
		assert_true(json_number_value(json_object_get(h, "mean_ns")) > 0);
		assert_true(json_number_value(json_object_get(h, "p50_ns")) <=
			    json_number_value(json_object_get(h, "p99_ns")));
	}
	/* Hops are listed in path order. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(hops, 0), "from")),
			    "sender syscall entry");
}

/* Direct: eth0 to eth0, no bridge hop at all. */
static void test_direct_no_bridge(void **state)
{
	json_t *r = find_case("direct", "throughput"), *hops = json_object_get(path_of(r), "hops");
	json_t *h;
	size_t i;

	(void)state;
	json_array_foreach(hops, i, h) {
		if (strstr(json_string_value(json_object_get(h, "from")), "bridge") ||
		    strstr(json_string_value(json_object_get(h, "to")), "bridge"))
			fail_msg("bridge hop without a bridge: %s -> %s",
				 json_string_value(json_object_get(h, "from")),
				 json_string_value(json_object_get(h, "to")));
	}
	h = hop(hops, "sender eth0 queue", "receiver eth0 receive");
	assert_non_null(h);
	near("veth pair hop", count_of(h), num(r, "throughput.tx_pkts"), 0.02);
}

/* Ping-pong: requests and replies both followed to the receiving call. */
static void test_pingpong_directions(void **state)
{
	json_t *r = find_case("bridge", "pingpong"), *p = path_of(r), *d;
	double rtts = num(r, "rtt_ns.count");
	size_t i;

	(void)state;
	assert_int_equal(json_array_size(json_object_get(p, "directions")), 2);
	json_array_foreach(json_object_get(p, "directions"), i, d) {
		json_t *ow = json_object_get(d, "one_way_ns");

		assert_true(json_is_object(ow));
		near(json_string_value(json_object_get(d, "dir")), count_of(ow), rtts, 0.03);
	}
}

/* The one-way distribution, measured directly, agrees with its hops. */
static void test_one_way_sum(void **state)
{
	json_t *ow = json_object_get(path_of(find_case("direct", "pingpong")), "one_way_ns");
	double mean, sum;

	(void)state;
	assert_true(json_is_object(ow));
	mean = json_number_value(json_object_get(ow, "mean_ns"));
	sum = json_number_value(json_object_get(ow, "sum_of_hop_means_ns"));
	if (!(mean > 0) || sum < 0.9 * mean || sum > 1.1 * mean)
		fail_msg("one way mean %.0f ns, sum of the hop means %.0f ns", mean, sum);
}

static int our_programs(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (!strncmp(info.name, "btf_path_", 9) || !strncmp(info.name, "raw_path_", 9)))
			n++;
		close(fd);
	}
	return n;
}

static void test_no_programs_left(void **state)
{
	(void)state;
	get_runs();
	assert_int_equal(our_programs(), 0);
}

static int teardown_all(void **state)
{
	json_decref(runs);
	return group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bridge_hops),	    cmocka_unit_test(test_direct_no_bridge),
		cmocka_unit_test(test_pingpong_directions), cmocka_unit_test(test_one_way_sum),
		cmocka_unit_test(test_no_programs_left),
	};

	return cmocka_run_group_tests_name("path", tests, group_setup, teardown_all);
}
