// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of the per-packet stage latency (probes=path): every
 * packet the sender sent in the window crosses each hop once (counts agree
 * with the endpoint's own), the bridge hops exist only with a bridge, replies
 * are followed too (ping-pong: both directions), the one-way total agrees
 * with the sum of its hops and, independently, with the client's RTT less
 * the server's turnaround, and no BPF program stays loaded.
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

/* A ping-pong with blocking sockets (see test_one_way_vs_rtt). */
static json_t *blocking_run;

static json_t *get_blocking_run(void)
{
	char prefix[32] = "";
	int rc;

	need_root();
	if (blocking_run)
		return json_array_get(blocking_run, 0);
	blocking_run = run_text("path-blocking",
				"[run]\nduration = 1\nwarmup = 0.3\n"
				"[workload]\npattern = pingpong\nsize = 64\nblocking = yes\n"
				"[topology]\ntopology = direct\n"
				"[datapath]\ndatapath = udp\n"
				"[probes]\nprobes = path\n",
				NULL, &rc, prefix, sizeof(prefix));
	assert_int_equal(rc, 0);
	assert_int_equal(json_array_size(blocking_run), 1);
	assert_no_leftovers(prefix);
	if (strcmp(str(json_array_get(blocking_run, 0), "status"), "ok"))
		fail_msg("blocking ping-pong: %s", str(json_array_get(blocking_run, 0), "status"));
	return json_array_get(blocking_run, 0);
}

/* ns per transaction of the named categories on the core running the
 * endpoint whose label is ep ("a" or "b"). */
static double core_ns(json_t *r, const char *ep, const char *const names[])
{
	json_t *cores = json_object_get(json_object_get(r, "attribution"), "cores"), *c, *cat;
	char want[8];
	size_t i, k;

	snprintf(want, sizeof(want), "%s:", ep);
	json_array_foreach(cores, i, c) {
		const char *eps = json_string_value(json_object_get(c, "endpoints"));
		double ns = 0;

		if (!eps || strncmp(eps, want, strlen(want)) || strchr(eps, ','))
			continue;
		json_array_foreach(json_object_get(c, "categories"), k, cat)
			for (int n = 0; names[n]; n++)
				if (!strcmp(json_string_value(json_object_get(cat, "name")), names[n]))
					ns += num(cat, "ns_per_pkt");
		return ns;
	}
	fail_msg("no core runs endpoint %s alone", ep);
	return 0;
}

static double dir_one_way(json_t *r, const char *dir)
{
	json_t *d;
	size_t i;

	json_array_foreach(json_object_get(path_of(r), "directions"), i, d)
		if (!strcmp(json_string_value(json_object_get(d, "dir")), dir))
			return num(d, "one_way_ns.mean_ns");
	fail_msg("no direction %s", dir);
	return 0;
}

/*
 * The one-way total against a figure it is not built from: the client's
 * RTT (engine, TSC, user space) less the server's turnaround, halved.
 *
 * Per transaction, on one clock: the client stamps the request (t0) and
 * enters sendto (t1); the server's recvfrom hands it the datagram (t2,
 * sock_recv_length) and the server enters sendto with the reply (t3); the
 * client's recvfrom hands it the reply (t4) and it reads the TSC (t5).
 * The path probe's one-way spans are a->b = t2 - t1 and b->a = t4 - t3, so
 *
 *   RTT = (a->b) + (b->a) + Ts + c,  Ts = t3 - t2,  c = (t1 - t0) + (t5 - t4)
 *
 * with Ts, c >= 0, and this holds for the means as well. Ts and c are spent
 * in user space, in the tail of recvfrom after sock_recv_length, in the
 * exit path of recvfrom and the entry path of sendto (and the probes' runs
 * there), so with blocking sockets (no empty polls adding user time) each
 * is at most the core's "user", "syscall recvfrom / socket call return",
 * both calls' "entry+exit", the probes' own time and "hardirq"
 * ns per transaction (U_b for the server, U_a for the client; they are
 * upper bounds: they also hold the loop from sendto back to recvfrom).
 * Hence, halved:
 *
 *   (RTT - U_b)/2 - U_a/2  <=  one-way  <=  RTT/2   (+- slack)
 *
 * i.e. the one-way mean (both directions averaged) is the RTT less the
 * server's turnaround (estimated by U_b), halved, within U_a/2 below and
 * U_b/2 above. slack = 1 % of the RTT on the halved figures (2 % on the
 * sums): the engine's window and the probes' are snapshotted a few
 * transactions apart; both means are exact (sum /
 * count), not bucket midpoints. A preemption inside a turnaround is not
 * covered by U: on a loaded machine the lower bound can fail, and then says
 * so with the numbers.
 */
static void test_one_way_vs_rtt(void **state)
{
	static const char *const turnaround[] = { "user",
						  "syscall recvfrom / socket call return",
						  "syscall recvfrom / entry+exit",
						  "syscall sendto / entry+exit",
						  "probes (the instrument's own programs)",
						  "hardirq", NULL };
	json_t *r = get_blocking_run();
	double rtt = num(r, "rtt_ns.mean");
	double ab = dir_one_way(r, "a->b"), ba = dir_one_way(r, "b->a");
	double ow = (ab + ba) / 2, u_a = core_ns(r, "a", turnaround);
	double u_b = core_ns(r, "b", turnaround), slack = 0.01 * rtt;
	double est = (rtt - u_b) / 2;

	(void)state;
	print_message("RTT %.0f ns, one way a->b %.0f b->a %.0f (mean %.0f), turnaround bound "
		      "server %.0f client %.0f: (RTT - server)/2 = %.0f, allowed %.0f .. %.0f\n",
		      rtt, ab, ba, ow, u_b, u_a, est, est - u_a / 2 - slack, rtt / 2 + slack);
	assert_true(rtt > 0 && ab > 0 && ba > 0);
	if (ow > rtt / 2 + slack)
		fail_msg("one way %.0f ns is more than half the RTT %.0f ns", ow, rtt);
	if (ow < est - u_a / 2 - slack)
		fail_msg("one way %.0f ns is below (RTT %.0f - server turnaround <= %.0f)/2 - "
			 "client's <= %.0f/2",
			 ow, rtt, u_b, u_a);
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
	json_decref(blocking_run);
	return group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bridge_hops),	    cmocka_unit_test(test_direct_no_bridge),
		cmocka_unit_test(test_pingpong_directions), cmocka_unit_test(test_one_way_sum),
		cmocka_unit_test(test_one_way_vs_rtt),
		cmocka_unit_test(test_no_programs_left),
	};

	return cmocka_run_group_tests_name("path", tests, group_setup, teardown_all);
}
