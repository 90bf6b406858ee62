// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of the cost attribution (probes=aggregate): the
 * breakdown must see what is really there (a bridge stage only when there is
 * a bridge), count system calls as an independent counter does (the
 * endpoint's own count of the calls its datapath made), show each
 * datapath's batching (sendmmsg per burst, io_uring_enter and no sendto),
 * close over the measured busy time of each core, and leave no BPF program
 * behind — also after SIGINT.
 */
#include <bpf/bpf.h>

#include "integ.h"

/* One run per datapath config, kept for several tests. */
static json_t *runs[4];

static json_t *run_config(const char *name, const char *text)
{
	return run_attr_cfg(name, text, "aggregate");
}

static json_t *find_case(json_t *list, const char *topo, const char *pattern)
{
	size_t i;
	json_t *r;

	json_array_foreach(list, i, r) {
		json_t *p = json_object_get(r, "params");

		if (!strcmp(json_string_value(json_object_get(p, "topology")), topo) &&
		    !strcmp(json_string_value(json_object_get(p, "pattern")), pattern))
			return r;
	}
	fail_msg("no %s/%s case in the run", topo, pattern);
	return NULL;
}

/* cores[i] of the attribution: 0 = a's core, 1 = b's core. */
#define core attr_core
#define group_ns attr_group
#define syscall_of(c, n) attr_named(c, "syscalls", n)

static const char *const base_cfg =
	"[run]\nduration = 1\nwarmup = 0.3\n"
	"[workload]\npattern = throughput, pingpong\nsize = 64\nburst = 32\n"
	"[topology]\ntopology = bridge, direct\n"
	"[datapath]\ndatapath = %s\n";

static json_t *get_run(int idx, const char *dp)
{
	char text[512];

	need_root();
	if (!runs[idx]) {
		snprintf(text, sizeof(text), base_cfg, dp);
		runs[idx] = run_config(dp, text);
	}
	return runs[idx];
}

/* The bridge stage exists only where there is a bridge. */
static void test_bridge_stage(void **state)
{
	json_t *list = get_run(0, "udp");
	double br = group_ns(core(find_case(list, "bridge", "throughput"), 0), "bridge");
	double di = group_ns(core(find_case(list, "direct", "throughput"), 0), "bridge");

	(void)state;
	if (!(br > 50.0))
		fail_msg("bridge stage %.1f ns/pkt with a bridge", br);
	if (di > 0.02 * br)
		fail_msg("bridge stage %.1f ns/pkt without a bridge (%.1f with)", di, br);
	/* The veth and IP/UDP stages exist in both. */
	assert_true(group_ns(core(find_case(list, "direct", "throughput"), 0), "veth xmit") > 0);
	assert_true(group_ns(core(find_case(list, "direct", "throughput"), 0), "IP/UDP receive") >
		    0);
}

/* BPF's syscall counts agree with the endpoints' own counts of the calls
 * their datapath made in the same window, within 1 %. */
static void check_calls(json_t *r, int side, const char *sys, const char *ep_field)
{
	json_t *s = syscall_of(core(r, side), sys);
	double bpf_calls, ep_calls;
	char path[96];

	if (!s)
		fail_msg("%s: no %s in core %d's syscalls",
			 json_string_value(json_object_get(r, "case_dir")), sys, side);
	bpf_calls = json_number_value(json_object_get(s, "calls"));
	snprintf(path, sizeof(path), "endpoints.%c.window.%s", side ? 'b' : 'a', ep_field);
	ep_calls = num(r, path);
	if (ep_calls < 1000 || bpf_calls < 0.99 * ep_calls || bpf_calls > 1.01 * ep_calls)
		fail_msg("%s: %s counted %.0f by the probes, %.0f by the endpoint",
			 json_string_value(json_object_get(r, "case_dir")), sys, bpf_calls,
			 ep_calls);
}

static void test_syscall_counts(void **state)
{
	json_t *list = get_run(0, "udp");

	(void)state;
	check_calls(find_case(list, "bridge", "throughput"), 0, "sendto", "tx_syscalls");
	check_calls(find_case(list, "bridge", "throughput"), 1, "recvfrom", "rx_syscalls");
	check_calls(find_case(list, "direct", "pingpong"), 0, "sendto", "tx_syscalls");
	check_calls(find_case(list, "direct", "pingpong"), 1, "recvfrom", "rx_syscalls");
}

static void test_mmsg_batching(void **state)
{
	json_t *list = get_run(1, "mmsg");
	json_t *r = find_case(list, "bridge", "throughput");
	json_t *s = syscall_of(core(r, 0), "sendmmsg");
	double per_pkt;

	(void)state;
	assert_non_null(s);
	per_pkt = json_number_value(json_object_get(s, "calls_per_pkt"));
	if (per_pkt > 1.05 / 32 || per_pkt <= 0)
		fail_msg("%.4f sendmmsg calls per packet at burst 32", per_pkt);
	assert_null(syscall_of(core(r, 0), "sendto"));
	check_calls(r, 0, "sendmmsg", "tx_syscalls");
}

static void test_uring_enter(void **state)
{
	json_t *list = get_run(2, "uring");
	json_t *r = find_case(list, "bridge", "throughput");

	(void)state;
	assert_non_null(syscall_of(core(r, 0), "io_uring_enter"));
	assert_null(syscall_of(core(r, 0), "sendto"));
	assert_null(syscall_of(core(r, 0), "sendmsg"));
}

/* The segments of each core add up to the busy time measured on it. */
static void test_closure(void **state)
{
	json_t *list = get_run(0, "udp");
	json_t *r = find_case(list, "bridge", "throughput");

	(void)state;
	for (int i = 0; i < 2; i++) {
		double c = json_number_value(json_object_get(core(r, i), "closure_pct"));

		if (c < 90.0 || c > 110.0)
			fail_msg("core %d closure %.1f%% (want 90..110)", i, c);
		assert_non_null(json_object_get(core(r, i), "unattributed_ns_per_pkt"));
	}
}

static int our_name(__u32 prog_id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id), ours = 0;

	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		ours = !strncmp(info.name, "btf_", 4) || !strncmp(info.name, "raw_", 4);
	close(fd);
	return ours;
}

/* BPF links (attachments) of this project's probes that exist right now. */
static int our_links(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && our_name(info.prog_id))
			n++;
		close(fd);
	}
	return n;
}

/* Programs of this project's probes still loaded. */
static int our_programs(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id))
		n += our_name(id);
	return n;
}

/* Links go with the process at once; a detached tracing program is freed
 * after an RCU grace period, which can take a few seconds. */
static void assert_nothing_attached(void)
{
	int progs = 0;

	assert_int_equal(our_links(), 0);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 100000000 };

		progs = our_programs();
		if (!progs)
			break;
		nanosleep(&ts, NULL);
	}
	if (progs)
		fail_msg("%d probe program(s) still loaded 10 s after the run", progs);
}

static void test_no_programs_left(void **state)
{
	(void)state;
	get_run(3, "packet");
	assert_nothing_attached();
}

static void test_sigint_detaches(void **state)
{
	char cfg[512], res[512];
	pid_t pid;
	int st, seen = 0;

	(void)state;
	need_root();
	snprintf(cfg, sizeof(cfg), "%s/sig.ini", tmpdir);
	snprintf(res, sizeof(res), "%s/sig-results", tmpdir);
	write_file(cfg, "[run]\nduration = 3\nwarmup = 0.2\n[probes]\nprobes = aggregate\n");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "run", cfg, "--results", res, (char *)NULL);
		_exit(127);
	}
	/* Wait until the probes are attached, then interrupt. */
	for (int i = 0; i < 300 && !seen; i++) {
		struct timespec ts = { 0, 20000000 };

		nanosleep(&ts, NULL);
		seen = our_links() > 0;
	}
	assert_true(seen);
	kill(pid, SIGINT);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_nothing_attached();
}

static int teardown_all(void **state)
{
	for (int i = 0; i < 4; i++)
		json_decref(runs[i]);
	return group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bridge_stage),   cmocka_unit_test(test_syscall_counts),
		cmocka_unit_test(test_closure),	       cmocka_unit_test(test_mmsg_batching),
		cmocka_unit_test(test_uring_enter),    cmocka_unit_test(test_no_programs_left),
		cmocka_unit_test(test_sigint_detaches),
	};

	return cmocka_run_group_tests_name("probes", tests, group_setup, teardown_all);
}
