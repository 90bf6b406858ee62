// SPDX-License-Identifier: BSD-3-Clause
/*
 * Run configuration: schema, value syntax (single, list, range), the INI
 * loader, --set overrides and the expansion of a sweep into cases.
 *
 * Every value is expanded and checked when it is read, so an error can name
 * the line it came from; the sweep keeps the checked values as text and
 * sweep_expand() applies them again to build each case, then checks the
 * combinations that no single key can rule out.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <ini.h>

#include "config.h"
#include "dp.h"
#include "iface.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CFG_MAX_BURST DP_MAX_BURST
#define CFG_FRAME_MIN 64
#define CFG_FRAME_MAX 1518

static const char *const sections[] = { "run", "workload", "topology", "datapath", "probes" };

/* The harness's keys, in schema order: it decides the order of the
 * product (last key varies fastest). The datapaths' own keys (dp_ops.opts,
 * registry order) stand in the DP_OPTS row; config_key() gives them all. */
#define DP_OPTS_ROW { NULL, "datapath", NULL, NULL, NULL }

static const struct common_key {
	const char *key, *section, *allowed, *def, *help;
} common_keys[] = {
	{ "name", "run", "[A-Za-z0-9_.-], 1..63 chars", "file name",
	  "label stored with every result (one value)" },
	{ "repeat", "run", "1..1000", "1", "repetitions of every case (one value)" },
	{ "duration", "run", "0.1..3600", "1", "measurement window, seconds" },
	{ "warmup", "run", "0..600", "0.5", "traffic before the window opens, seconds" },
	{ "results_dir", "run", "path", "results", "where results are written (one value)" },
	{ "exclusive", "run", "yes|no|true|false|on|off|1|0", "no",
	  "yes: while another bypasslab run is alive, wait for it (exclusive_wait) and refuse to "
	  "start if it is still there; no: start anyway, saying so (one value)" },
	{ "exclusive_wait", "run", "0..3600", "60",
	  "exclusive = yes: seconds to wait for other runs to end, 0 = refuse at once (one value)" },
	{ "pattern", "workload", "throughput|pingpong", "throughput",
	  "one-way stream, or request/reply (rate=max: closed loop; a rate: open loop)" },
	{ "size", "workload", "64..1518", "64", "RFC 2544 Ethernet frame size incl. FCS, bytes" },
	{ "rate", "workload", "1..100000000|max|P%ndr|P%pdr", "max",
	  "offered packets/s; k = 1000, M = 1000000 (\"500k\", \"1.5M\"); P%ndr / P%pdr: that "
	  "percentage of the rate the case's search finds (a load, e.g. for RTT under load)" },
	{ "burst", "workload", "1..256", "32", "packets per datapath call" },
	{ "blocking", "workload", "yes|no|true|false|on|off|1|0", "no",
	  "block in the datapath instead of busy-polling" },
	{ "touch", "workload", "yes|no|true|false|on|off|1|0", "no",
	  "read/write every payload byte (cache effects)" },
	{ "verify", "workload", "yes|no|true|false|on|off|1|0", "yes",
	  "datapaths that receive whole frames (packet, xdp, dpdk): check every frame's IPv4 and "
	  "UDP checksums in the engine, as the kernel does for sockets; no = headers only" },
	{ "timeout_us", "workload", "1..10000000", "100000",
	  "ping-pong: a reply later than this counts as lost" },
	{ "outstanding", "workload", "1..256", "1",
	  "ping-pong closed loop: requests in flight" },
	{ "search", "workload", "none|ndr|pdr|ndr,pdr", "none",
	  "RFC 2544 throughput search (one value): the highest rate with no loss (ndr) and/or "
	  "with at most search_loss (pdr), by trials at paced rates, confirmed by a final trial; "
	  "rate must be max, or P%ndr / P%pdr (a load at that fraction of the found rate)" },
	{ "search_loss", "workload", "0.001..50", "0.5", "PDR: loss allowed, % of the packets sent" },
	{ "search_trial", "workload", "0.1..60", "1", "each search trial's window, seconds" },
	{ "search_final", "workload", "0.1..3600", "10",
	  "the trial that confirms a found rate, seconds" },
	{ "search_precision", "workload", "0.1..50", "1",
	  "stop when the bracket (highest passing, lowest failing rate) is narrower than this % "
	  "of its upper end" },
	{ "search_max", "workload", "1..100000000|auto", "auto",
	  "the search's upper bound in pps (k, M); auto: the rate=max throughput of a first trial" },
	{ "topology", "topology", "bridge|direct|iface|hosts", "bridge",
	  "veth pair through a bridge, a direct veth pair, two existing interfaces of this "
	  "host (iface_a, iface_b) lent to the run, or one interface on each of two hosts "
	  "(host_a, host_b) driven over ssh" },
	{ "cpu_a", "topology", "-1..1023|auto", "auto", "sender/client CPU (-1 = auto)" },
	{ "cpu_b", "topology", "-1..1023|auto", "auto", "receiver/server CPU (-1 = auto)" },
	{ "pairs", "topology", "1..16", "1",
	  "independent sender/receiver (client/server) pairs at once; a sides on cpu_a, b sides "
	  "on cpu_b" },
	{ "container", "topology", "netns|lxc", "netns",
	  "endpoints in plain network namespaces, or in LXC application containers on the host "
	  "rootfs (lxc needs topology=bridge)" },
	{ "topo_hook", "topology", "shell command|none", "none",
	  "run with /bin/sh once the topology and the endpoints are up, before any traffic, with "
	  "BL_NS_A, BL_NS_B, BL_IF, BL_BRIDGE, BL_PORT_A, BL_PORT_B in its environment (e.g. a tc "
	  "shaper as a known bottleneck); a non-zero exit or more than 10 s fails the case (one "
	  "value)" },
	{ "iface_a", "topology", "interface name|none", "none",
	  "topology=iface: the sender/client's interface, moved into the run's namespace under "
	  "its own name and returned as it was afterwards (one value)" },
	{ "iface_b", "topology", "interface name|none", "none",
	  "topology=iface: the receiver/server's interface (one value)" },
	{ "ip_a", "topology", "A.B.C.D[/16..30]|keep", CFG_IP_A,
	  "topology=iface: a's address in 198.18.0.0/15, added for the run and removed after it; "
	  "keep = the interface's own IPv4 address there (one value)" },
	{ "ip_b", "topology", "A.B.C.D[/16..30]|keep", CFG_IP_B,
	  "topology=iface: b's address in 198.18.0.0/15, in a's subnet (one value)" },
	{ "mac_b", "topology", "aa:bb:cc:dd:ee:ff|none", "none",
	  "topology=iface|hosts: the MAC a addresses b with; none = iface_b's own, read from it "
	  "(one value)" },
	{ "host_a", "topology", "local|[user@]host[:port]", "local",
	  "topology=hosts: where the sender/client runs: this host, or an OpenSSH destination "
	  "whose `bypasslab agent` (same version) drives it (one value)" },
	{ "host_b", "topology", "local|[user@]host[:port]", "local",
	  "topology=hosts: where the receiver/server runs (one value)" },
	{ "ssh_options", "topology", "ssh options|none", "none",
	  "topology=hosts: options for every ssh to host_a/host_b, split on blanks, e.g. \"-i KEY "
	  "-o StrictHostKeyChecking=accept-new\" (one value)" },
	{ "remote_bin", "topology", "path", "bypasslab",
	  "topology=hosts: the bypasslab binary on a remote host (found through its PATH unless "
	  "absolute) (one value)" },
	{ "force", "topology", "yes|no|true|false|on|off|1|0", "no",
	  "topology=iface|hosts: lend an interface even though it carries the default route "
	  "(one value)" },
	{ "datapath", "datapath", NULL /* dp_allowed() */, "udp", "how packets are moved" },
	{ "sndbuf", "datapath", "0..1073741824", "0",
	  "SO_SNDBUF bytes, 0 = kernel default; k/M/G = 1024-based (\"64k\" = 65536)" },
	{ "rcvbuf", "datapath", "0..1073741824", "0",
	  "SO_RCVBUF bytes, 0 = kernel default; k/M/G = 1024-based (\"64k\" = 65536)" },
	{ "ring_frames", "datapath", "64..65536, power of two", "4096",
	  "packet: frames per ring; uring: queue entries; xdp: UMEM frames per direction "
	  "(= every ring's size)" },
	DP_OPTS_ROW,
	{ "dpdk_switch", "datapath", "testpmd|ovs", "testpmd",
	  "dpdk_port=vhost with topology=bridge: the switch between the endpoints' vhost-user "
	  "ports (dpdk-testpmd io forwarding, or Open vSwitch with DPDK)" },
	{ "switch_cpu", "datapath", "-1..1023|auto", "auto",
	  "the switch's one forwarding core (-1 = a CPU no endpoint uses, else cpu_b's)" },
	{ "sriov_pf", "datapath", "any|netdev|PCI address", "any",
	  "dpdk_port=sriov: the physical function whose VFs the endpoints use, any = the first "
	  "SR-IOV capable one (one value)" },
	{ "probes", "probes", "off|aggregate|path|sample|both", "aggregate",
	  "eBPF cost attribution: off, per-CPU segments (aggregate), + per-packet stage latency "
	  "(path), cpu-clock stack sampling into the same groups (sample), or aggregate and "
	  "sample in the same run with their agreement per core (both)" },
	{ "usdt", "probes", "yes|no|true|false|on|off|1|0", "no",
	  "count every burst call through the endpoints' USDT probes bypasslab:rx_burst/tx_burst: "
	  "calls, empty calls, packets, time per call, burst-size histogram (a uprobe hit, about "
	  "a microsecond, per call)" },
	{ "probe_duty", "probes", "0.01..1", "1",
	  "fraction of every second of the window the attribution probes are attached (the "
	  "breakdown comes from those slices; the instrument costs about that fraction of its "
	  "attached cost)" },
	{ "probe_detail", "probes", "full|light", "full",
	  "light: leave out the tracepoints that only split a group into finer stages (socket "
	  "call return, skb free) and the softirq raise timing: fewer program runs per packet, the "
	  "same groups" },
	{ "inject_user_ns", "probes", "0..1000000", "0",
	  "calibration: the engine spins this many ns of user code per packet it handles (the "
	  "breakdown's user group must rise by as much)" },
	{ "inject_syscall", "probes", "yes|no|true|false|on|off|1|0", "no",
	  "calibration: one getppid() per packet handled, timed like the datapath's calls" },
	{ "sample_hz", "probes", "1..20000", "999",
	  "probes=sample|both: cpu-clock samples per second on each endpoint core (a fixed "
	  "period); each costs the core ~20 us on a KVM guest: 999 Hz ~2 %, 4999 Hz ~10 %" },
};

/* V_DP marks the DP_OPTS row; V_DPNAME is a datapath of dp_table. */
/* V_SEARCH: a set of search goals, taken whole ("ndr,pdr" is one value). */
enum vtype { V_STR, V_INT, V_FLOAT, V_ENUM, V_BOOL, V_DPNAME, V_DP, V_SEARCH };
enum vstore { S_UINT, S_INT, S_U64, S_I64, S_DOUBLE, S_CHARS };

enum {
	F_SINGLE = 1u << 0, /* no lists, no ranges */
	F_POW2 = 1u << 1,
	F_SI = 1u << 2,     /* k/K = 1000, M = 1000000; a fraction is allowed before it */
	F_IEC = 1u << 3,    /* k/K = 1024, M = 1024^2, G = 1024^3 */
	F_FRAME = 1u << 4,  /* size: explain the limits */
	F_NAME = 1u << 5,   /* [A-Za-z0-9_.-] */
	F_IFNAME = 1u << 6, /* an interface name */
	F_IPV4 = 1u << 7,   /* iface_parse_ip() */
	F_MAC = 1u << 8,    /* iface_parse_mac() */
	F_NONE = 1u << 9,   /* "none" stores "" */
	F_PCTREF = 1u << 10, /* rate: also "P%ndr" / "P%pdr" */
	F_WHOLE = 1u << 11,  /* taken whole, commas included */
	F_HOST = 1u << 12,   /* "local" or an ssh destination: no blank, no leading '-' */
	F_PATH = 1u << 13,   /* a file name: no blank, no leading '-' */
};

/* How each key is parsed and where it lands; same order as common_keys. */
struct key_def {
	enum vtype type;
	enum vstore store;
	size_t off, size;
	long long min, max;
	double fmin, fmax;
	const char *const *words; /* V_ENUM: NULL-terminated, index = stored value */
	const char *word;         /* V_INT: a word accepted instead of a number */
	long long word_val;
	unsigned int flags;
};

static const char *const w_pattern[] = { "throughput", "pingpong", NULL };
static const char *const w_topo[] = { "bridge", "direct", "iface", "hosts", NULL };
static const char *const w_container[] = { "netns", "lxc", NULL };
static const char *const w_switch[] = { "testpmd", "ovs", NULL };
static const char *const w_detail[] = { "full", "light", NULL };
static const char *const w_probes[] = { "off", "aggregate", "path", "sample", "both", NULL };

#define OFF(f) offsetof(struct case_cfg, f), sizeof(((struct case_cfg *)0)->f)

static const struct key_def key_defs[] = {
	{ .type = V_STR, .store = S_CHARS, OFF(name), .flags = F_SINGLE | F_NAME },
	{ .type = V_INT, .store = S_UINT, OFF(repeat), .min = 1, .max = 1000, .flags = F_SINGLE },
	{ .type = V_FLOAT, .store = S_DOUBLE, OFF(duration_s), .fmin = 0.1, .fmax = 3600 },
	{ .type = V_FLOAT, .store = S_DOUBLE, OFF(warmup_s), .fmin = 0, .fmax = 600 },
	{ .type = V_STR, .store = S_CHARS, OFF(results_dir), .flags = F_SINGLE },
	{ .type = V_BOOL, .store = S_INT, OFF(exclusive), .flags = F_SINGLE },
	{ .type = V_FLOAT, .store = S_DOUBLE, OFF(exclusive_wait_s), .fmin = 0, .fmax = 3600,
	  .flags = F_SINGLE },
	{ .type = V_ENUM, .store = S_INT, OFF(pattern), .words = w_pattern },
	{ .type = V_INT, .store = S_UINT, OFF(size), .min = CFG_FRAME_MIN, .max = CFG_FRAME_MAX,
	  .flags = F_FRAME },
	{ .type = V_INT, .store = S_U64, OFF(rate_pps), .min = 1, .max = 100000000, .word = "max",
	  .word_val = 0, .flags = F_SI | F_PCTREF },
	{ .type = V_INT, .store = S_UINT, OFF(burst), .min = 1, .max = CFG_MAX_BURST },
	{ .type = V_BOOL, .store = S_INT, OFF(blocking) },
	{ .type = V_BOOL, .store = S_INT, OFF(touch) },
	{ .type = V_BOOL, .store = S_INT, OFF(verify) },
	{ .type = V_INT, .store = S_UINT, OFF(timeout_us), .min = 1, .max = 10000000 },
	{ .type = V_INT, .store = S_UINT, OFF(outstanding), .min = 1, .max = CFG_MAX_BURST },
	{ .type = V_SEARCH, .store = S_UINT, OFF(search) },
	{ .type = V_FLOAT, .store = S_DOUBLE, OFF(search_loss_pct), .fmin = 0.001, .fmax = 50 },
	{ .type = V_FLOAT, .store = S_DOUBLE, OFF(search_trial_s), .fmin = 0.1, .fmax = 60 },
	{ .type = V_FLOAT, .store = S_DOUBLE, OFF(search_final_s), .fmin = 0.1, .fmax = 3600 },
	{ .type = V_FLOAT, .store = S_DOUBLE, OFF(search_precision_pct), .fmin = 0.1, .fmax = 50 },
	{ .type = V_INT, .store = S_U64, OFF(search_max_pps), .min = 1, .max = 100000000,
	  .word = "auto", .word_val = 0, .flags = F_SI },
	{ .type = V_ENUM, .store = S_INT, OFF(topology), .words = w_topo },
	{ .type = V_INT, .store = S_INT, OFF(cpu_a), .min = -1, .max = 1023, .word = "auto",
	  .word_val = -1 },
	{ .type = V_INT, .store = S_INT, OFF(cpu_b), .min = -1, .max = 1023, .word = "auto",
	  .word_val = -1 },
	{ .type = V_INT, .store = S_UINT, OFF(pairs), .min = 1, .max = 16 },
	{ .type = V_ENUM, .store = S_INT, OFF(container), .words = w_container },
	{ .type = V_STR, .store = S_CHARS, OFF(topo_hook), .flags = F_SINGLE | F_WHOLE | F_NONE },
	{ .type = V_STR, .store = S_CHARS, OFF(iface_a), .flags = F_SINGLE | F_IFNAME | F_NONE },
	{ .type = V_STR, .store = S_CHARS, OFF(iface_b), .flags = F_SINGLE | F_IFNAME | F_NONE },
	{ .type = V_STR, .store = S_CHARS, OFF(ip_a), .flags = F_SINGLE | F_IPV4 },
	{ .type = V_STR, .store = S_CHARS, OFF(ip_b), .flags = F_SINGLE | F_IPV4 },
	{ .type = V_STR, .store = S_CHARS, OFF(mac_b), .flags = F_SINGLE | F_MAC | F_NONE },
	{ .type = V_STR, .store = S_CHARS, OFF(host_a), .flags = F_SINGLE | F_HOST },
	{ .type = V_STR, .store = S_CHARS, OFF(host_b), .flags = F_SINGLE | F_HOST },
	{ .type = V_STR, .store = S_CHARS, OFF(ssh_options), .flags = F_SINGLE | F_WHOLE | F_NONE },
	{ .type = V_STR, .store = S_CHARS, OFF(remote_bin), .flags = F_SINGLE | F_PATH },
	{ .type = V_BOOL, .store = S_INT, OFF(force), .flags = F_SINGLE },
	{ .type = V_DPNAME, .store = S_CHARS, OFF(datapath) },
	{ .type = V_INT, .store = S_UINT, OFF(sndbuf), .min = 0, .max = 1ll << 30, .flags = F_IEC },
	{ .type = V_INT, .store = S_UINT, OFF(rcvbuf), .min = 0, .max = 1ll << 30, .flags = F_IEC },
	{ .type = V_INT, .store = S_UINT, OFF(ring_frames), .min = 64, .max = 65536,
	  .flags = F_POW2 },
	{ .type = V_DP },
	{ .type = V_ENUM, .store = S_INT, OFF(dpdk_switch), .words = w_switch },
	{ .type = V_INT, .store = S_INT, OFF(switch_cpu), .min = -1, .max = 1023, .word = "auto",
	  .word_val = -1 },
	{ .type = V_STR, .store = S_CHARS, OFF(sriov_pf), .flags = F_SINGLE },
	{ .type = V_ENUM, .store = S_INT, OFF(probes), .words = w_probes },
	{ .type = V_BOOL, .store = S_INT, OFF(usdt) },
	{ .type = V_FLOAT, .store = S_DOUBLE, OFF(probe_duty), .fmin = 0.01, .fmax = 1 },
	{ .type = V_ENUM, .store = S_INT, OFF(probe_light), .words = w_detail },
	{ .type = V_INT, .store = S_UINT, OFF(inject_user_ns), .min = 0, .max = 1000000 },
	{ .type = V_BOOL, .store = S_INT, OFF(inject_syscall) },
	{ .type = V_INT, .store = S_UINT, OFF(sample_hz), .min = 1, .max = 20000 },
};

_Static_assert(ARRAY_SIZE(key_defs) == ARRAY_SIZE(common_keys),
	       "key_defs and common_keys must describe the same keys");

#define NROWS ((int)ARRAY_SIZE(key_defs))

/* One key of the schema, the harness's or a datapath's. */
struct key {
	struct config_key_info info;
	struct key_def def;
};

static int dp_nkeys(void)
{
	int n = dp_opt_total();

	return n < CFG_MAX_DP_OPTS ? n : CFG_MAX_DP_OPTS;
}

/* "udp|mmsg|...": the registry, so that a new datapath needs no edit here. */
static const char *dp_allowed(void)
{
	static char buf[160];

	if (!buf[0])
		for (int i = 0; dp_table[i]; i++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "|" : "",
				 dp_table[i]->name);
	return buf;
}

/* "udp, mmsg, uring": the datapaths that have key o (built once per key). */
static const char *dp_owners(int g, const struct dp_opt *o)
{
	static char buf[CFG_MAX_DP_OPTS][64];
	char *b = buf[g];

	if (!b[0])
		for (int i = 0; dp_table[i]; i++)
			if (dp_opt_row(dp_table[i], o->key) >= 0)
				snprintf(b + strlen(b), sizeof(buf[g]) - strlen(b), "%s%s",
					 b[0] ? ", " : "", dp_table[i]->name);
	return b;
}

/* Datapath option g as a key: its value lives in case_cfg.dp_opt[g]. */
static void dp_key(int g, struct key *ky)
{
	const struct dp_opt *o = dp_opt_at(g, NULL);

	memset(ky, 0, sizeof(*ky));
	ky->info = (struct config_key_info){ o->key, "datapath", o->allowed, o->def, o->help,
					     dp_owners(g, o) };
	ky->def.store = S_I64;
	ky->def.off = offsetof(struct case_cfg, dp_opt) + (size_t)g * sizeof(int64_t);
	ky->def.size = sizeof(int64_t);
	ky->def.type = o->type == DP_OPT_ENUM ? V_ENUM : o->type == DP_OPT_BOOL ? V_BOOL : V_INT;
	ky->def.words = o->words;
	ky->def.min = o->min;
	ky->def.max = o->max;
}

static int key_at(int k, struct key *ky)
{
	int ndp = dp_nkeys();

	for (int r = 0; r < NROWS && k >= 0; r++) {
		if (key_defs[r].type == V_DP) {
			if (k < ndp) {
				dp_key(k, ky);
				return 0;
			}
			k -= ndp;
		} else if (!k--) {
			const struct common_key *ck = &common_keys[r];

			ky->info = (struct config_key_info){ ck->key, ck->section, ck->allowed,
							     ck->def, ck->help, NULL };
			ky->def = key_defs[r];
			if (ky->def.type == V_DPNAME)
				ky->info.allowed = dp_allowed();
			return 0;
		}
	}
	return -ENOENT;
}

int config_nkeys(void)
{
	return NROWS - 1 + dp_nkeys();
}

int config_key(int k, struct config_key_info *info)
{
	struct key ky;

	if (key_at(k, &ky))
		return -ENOENT;
	*info = ky.info;
	return 0;
}

static const char *key_name(int k)
{
	struct key ky;

	return key_at(k, &ky) ? NULL : ky.info.key;
}

static int apply_value(const struct key_def *kd, const char *s, struct case_cfg *c, char *what,
		       size_t wlen);

/* A datapath's defaults are written once, as text in its option table. */
static void dp_defaults(struct case_cfg *c)
{
	char what[CONFIG_ERR_LEN];
	struct key ky;

	for (int g = 0; g < dp_nkeys(); g++) {
		dp_key(g, &ky);
		if (apply_value(&ky.def, ky.info.def, c, what, sizeof(what)))
			c->dp_opt[g] = 0; /* a table's bad default: the unit tests say so */
	}
}

void case_defaults(struct case_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "run");
	c->repeat = 1;
	c->rep = 0;
	c->duration_s = 1.0;
	c->warmup_s = 0.5;
	snprintf(c->results_dir, sizeof(c->results_dir), "results");
	c->pattern = PAT_THROUGHPUT;
	c->size = 64;
	c->rate_pps = 0;
	c->burst = 32;
	c->blocking = 0;
	c->touch = 0;
	c->verify = 1;
	c->timeout_us = 100000;
	c->outstanding = 1;
	c->search = 0;
	c->search_loss_pct = 0.5;
	c->search_trial_s = 1.0;
	c->search_final_s = 10.0;
	c->search_precision_pct = 1.0;
	c->search_max_pps = 0;
	c->topology = TOPO_BRIDGE;
	c->cpu_a = -1;
	c->cpu_b = -1;
	c->pairs = 1;
	c->container = CONTAINER_NETNS;
	snprintf(c->datapath, sizeof(c->datapath), "udp");
	c->sndbuf = 0;
	c->rcvbuf = 0;
	c->ring_frames = 4096;
	dp_defaults(c);
	c->dpdk_switch = CFG_SWITCH_TESTPMD;
	c->switch_cpu = -1;
	snprintf(c->sriov_pf, sizeof(c->sriov_pf), "any");
	snprintf(c->ip_a, sizeof(c->ip_a), "%s", CFG_IP_A);
	snprintf(c->ip_b, sizeof(c->ip_b), "%s", CFG_IP_B);
	snprintf(c->host_a, sizeof(c->host_a), "local");
	snprintf(c->host_b, sizeof(c->host_b), "local");
	snprintf(c->remote_bin, sizeof(c->remote_bin), "bypasslab");
	c->probes = PROBES_AGGREGATE;
	c->usdt = 0;
	c->probe_duty = 1.0;
	c->exclusive_wait_s = 60;
	c->sample_hz = 999; /* SAMPLE_DEFAULT_HZ */
}

const char *search_name(unsigned int bits)
{
	static const char *const n[] = { "none", "ndr", "pdr", "ndr,pdr" };

	return n[bits & 3];
}

const char *rate_ref_name(int r)
{
	return r == RATE_OF_NDR ? "ndr" : r == RATE_OF_PDR ? "pdr" : NULL;
}

const char *topo_name(int t)
{
	return t >= 0 && t < (int)ARRAY_SIZE(w_topo) - 1 ? w_topo[t] : "?";
}

const char *container_name(int c)
{
	return c >= 0 && c < (int)ARRAY_SIZE(w_container) - 1 ? w_container[c] : "?";
}

const char *pattern_name(int p)
{
	return p >= 0 && p < (int)ARRAY_SIZE(w_pattern) - 1 ? w_pattern[p] : "?";
}

const char *switch_name(int s)
{
	return s >= 0 && s < (int)ARRAY_SIZE(w_switch) - 1 ? w_switch[s] : "?";
}

const char *probes_name(int p)
{
	return p >= 0 && p < (int)ARRAY_SIZE(w_probes) - 1 ? w_probes[p] : "?";
}

static int key_index(const char *name)
{
	const char *k;

	for (int i = 0; (k = key_name(i)); i++)
		if (!strcmp(k, name))
			return i;
	return -1;
}

/* "variant NAME": NAME ([A-Za-z0-9_.+-], 1..31 chars) into name. */
static int variant_section(const char *sec, char *name, size_t len)
{
	size_t n;

	if (strncmp(sec, "variant", 7) || !isspace((unsigned char)sec[7]))
		return 0;
	sec += 8;
	while (isspace((unsigned char)*sec))
		sec++;
	n = strlen(sec);
	if (!n || n >= CFG_VARIANT_LEN || n >= len || strspn(sec, "abcdefghijklmnopqrstuvwxyz"
							      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
							      "0123456789_.+-") != n)
		return 0;
	snprintf(name, len, "%s", sec);
	return 1;
}

static int section_known(const char *name)
{
	char v[CFG_VARIANT_LEN];

	if (variant_section(name, v, sizeof(v)))
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(sections[i], name))
			return 1;
	return 0;
}

/* Append to a fixed buffer; silently truncates (messages are one line). */
static void __attribute__((format(printf, 3, 4))) bprintf(char *buf, size_t len, const char *fmt,
							   ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	if (vsnprintf(buf + used, len - used, fmt, ap) < 0)
		buf[used] = '\0';
	va_end(ap);
}

/* "a, b, c" of the keys of one section (all keys if section is NULL). */
static void list_keys(char *buf, size_t len, const char *section)
{
	int first = 1;

	struct config_key_info ki;

	buf[0] = '\0';
	for (int i = 0; !config_key(i, &ki); i++) {
		if (section && strcmp(ki.section, section))
			continue;
		bprintf(buf, len, "%s%s", first ? "" : ", ", ki.key);
		first = 0;
	}
}

static void list_sections(char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		bprintf(buf, len, "%s[%s]", i ? ", " : "", sections[i]);
	bprintf(buf, len, ", [variant NAME]");
}

/* "FILE:LINE: " or, for --set (line 0), "FILE: ". */
static void where(char *buf, size_t len, const char *file, int line)
{
	buf[0] = '\0';
	if (line > 0)
		bprintf(buf, len, "%s:%d: ", file, line);
	else
		bprintf(buf, len, "%s: ", file);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* s[0..n) with control bytes, DEL and backslash as \xNN: a key name in a
 * message must not reach the terminal raw. */
static const char *esc(const char *s, size_t n, char *buf, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 5 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch == '\\')
			j += (size_t)snprintf(buf + j, len - j, "\\x%02x", ch);
		else
			buf[j++] = (char)ch;
	}
	buf[j] = '\0';
	return buf;
}

/* The first byte of s[0..n) that no config text may hold (a control byte
 * other than a tab, or DEL), or NULL; a line (lines) may end in LF or CR LF. */
static const char *bad_byte(const char *s, size_t n, int lines)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (lines && ch == '\n' && i + 1 == n)
			continue;
		if (lines && ch == '\r' && (i + 1 == n || (s[i + 1] == '\n' && i + 2 == n)))
			continue;
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return s + i;
	}
	return NULL;
}

/* ---- single values ---------------------------------------------------- */

/*
 * An integer with the key's suffixes. A fraction is only meaningful with a
 * suffix ("1.5M"), and the product must be whole: the arithmetic is done in
 * integers so "0.3k" is exactly 300.
 */
static int parse_int(const struct key_def *kd, const char *s, long long *out, char *what,
		     size_t wlen)
{
	const char *p = s;
	long long ip, mult = 1, frac = 0, scale = 1, v;
	int nfrac = 0;
	char *end;

	if (*p == '-' && kd->min < 0)
		p++;
	if (!isdigit((unsigned char)*p)) {
		snprintf(what, wlen, "'%s' is not an integer", s);
		return -EINVAL;
	}
	errno = 0;
	ip = strtoll(s, &end, 10);
	if (errno == ERANGE) {
		snprintf(what, wlen, "'%s' is out of range", s);
		return -EINVAL;
	}
	if (*end == '.' && (kd->flags & (F_SI | F_IEC))) {
		end++;
		if (!isdigit((unsigned char)*end)) {
			snprintf(what, wlen, "'%s' is not a number", s);
			return -EINVAL;
		}
		while (isdigit((unsigned char)*end)) {
			if (nfrac == 9) {
				snprintf(what, wlen, "'%s' has too many decimals", s);
				return -EINVAL;
			}
			frac = frac * 10 + (*end++ - '0');
			scale *= 10;
			nfrac++;
		}
	}
	if (*end && (kd->flags & F_SI)) {
		if (*end == 'k' || *end == 'K')
			mult = 1000;
		else if (*end == 'M')
			mult = 1000000;
		if (mult > 1)
			end++;
	} else if (*end && (kd->flags & F_IEC)) {
		if (*end == 'k' || *end == 'K')
			mult = 1ll << 10;
		else if (*end == 'M')
			mult = 1ll << 20;
		else if (*end == 'G')
			mult = 1ll << 30;
		if (mult > 1)
			end++;
	}
	if (*end) {
		snprintf(what, wlen, "'%s' is not an integer%s", s,
			 kd->flags & F_SI	? " (suffixes: k = 1000, M = 1000000)" :
			 kd->flags & F_IEC ? " (suffixes: k, M, G = 1024-based)" :
					       "");
		return -EINVAL;
	}
	if (nfrac && mult == 1) {
		snprintf(what, wlen, "'%s' is not an integer", s);
		return -EINVAL;
	}
	if ((frac * mult) % scale) {
		snprintf(what, wlen, "'%s' is not a whole number", s);
		return -EINVAL;
	}
	if (__builtin_mul_overflow(ip, mult, &v) ||
	    __builtin_add_overflow(v, ip < 0 ? -(frac * mult / scale) : frac * mult / scale, &v)) {
		snprintf(what, wlen, "'%s' is out of range", s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int int_in_range(const struct key_def *kd, long long v, char *what, size_t wlen)
{
	if (kd->flags & F_FRAME) {
		if (v < kd->min) {
			snprintf(what, wlen,
				 "%lld is below the %lld-byte minimum frame (Eth+IPv4+UDP headers, "
				 "18-byte test header and FCS)",
				 v, kd->min);
			return -EINVAL;
		}
		if (v > kd->max) {
			snprintf(what, wlen,
				 "%lld is above the %lld-byte maximum Ethernet frame (1500-byte MTU)",
				 v, kd->max);
			return -EINVAL;
		}
	}
	if (v < kd->min || v > kd->max) {
		snprintf(what, wlen, "%lld is out of range", v);
		return -EINVAL;
	}
	if ((kd->flags & F_POW2) && (v & (v - 1))) {
		snprintf(what, wlen, "%lld is not a power of two", v);
		return -EINVAL;
	}
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* "ndr", "pdr", "ndr,pdr" (either order), "none". */
static int parse_search(const char *s, unsigned int *out, char *what, size_t wlen)
{
	char buf[64], *save = NULL, *tok;
	unsigned int bits = 0;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(what, wlen, "'%s' is not a search", s);
		return -EINVAL;
	}
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int bit;

		tok = trim(tok);
		if (!strcasecmp(tok, "ndr"))
			bit = SEARCH_NDR;
		else if (!strcasecmp(tok, "pdr"))
			bit = SEARCH_PDR;
		else if (!strcasecmp(tok, "none") && !bits && !strchr(s, ','))
			bit = 0;
		else {
			snprintf(what, wlen, "'%s' is not a search", s);
			return -EINVAL;
		}
		if (bits & bit) {
			snprintf(what, wlen, "'%s' names %s twice", s, tok);
			return -EINVAL;
		}
		bits |= bit;
	}
	if (!bits && strcasecmp(trim(buf), "none")) {
		snprintf(what, wlen, "'%s' is not a search", s);
		return -EINVAL;
	}
	*out = bits;
	return 0;
}

/* rate = "P%ndr" or "P%pdr": P in 0.1..1000 % of a searched rate. */
static int parse_pctref(const char *s, struct case_cfg *c, char *what, size_t wlen)
{
	const char *pct = strchr(s, '%');
	char num[32], *end;
	double p;

	if ((size_t)(pct - s) >= sizeof(num) || pct == s ||
	    strspn(s, "0123456789.") != (size_t)(pct - s)) {
		snprintf(what, wlen, "'%s' is not P%%ndr or P%%pdr", s);
		return -EINVAL;
	}
	memcpy(num, s, (size_t)(pct - s));
	num[pct - s] = '\0';
	p = strtod(num, &end);
	if (*end || p < 0.1 || p > 1000) {
		snprintf(what, wlen, "'%s': the percentage must be 0.1..1000", s);
		return -EINVAL;
	}
	if (!strcasecmp(pct + 1, "ndr"))
		c->rate_of = RATE_OF_NDR;
	else if (!strcasecmp(pct + 1, "pdr"))
		c->rate_of = RATE_OF_PDR;
	else {
		snprintf(what, wlen, "'%s' is not P%%ndr or P%%pdr", s);
		return -EINVAL;
	}
	c->rate_pct = p;
	c->rate_pps = 0;
	return 0;
}

#define HOST_CHARS                                                                         \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._:-[]/+%"

/* What a string key's flag asks of its value beyond its characters. */
static int str_check(const struct key_def *kd, const char *s, char *what, size_t wlen)
{
	uint8_t mac[6];
	uint32_t ip;
	int plen;

	if ((kd->flags & F_IFNAME) &&
	    (strpbrk(s, "/: \t") || !strcmp(s, ".") || !strcmp(s, ".."))) {
		snprintf(what, wlen, "'%s' is not an interface name", s);
		return -EINVAL;
	}
	if ((kd->flags & F_IPV4) && iface_parse_ip(s, &ip, &plen, what, wlen))
		return -EINVAL;
	if ((kd->flags & F_MAC) && iface_parse_mac(s, mac)) {
		snprintf(what, wlen, "'%s' is not a unicast MAC address", s);
		return -EINVAL;
	}
	/* Either goes onto ssh's command line as one word: an option there
	 * would change what ssh does. */
	if ((kd->flags & (F_HOST | F_PATH)) &&
	    (!s[0] || s[0] == '-' || strspn(s, HOST_CHARS) != strlen(s))) {
		snprintf(what, wlen, "'%s' is not %s", s,
			 kd->flags & F_HOST ? "local or [user@]host[:port]" : "a path");
		return -EINVAL;
	}
	return 0;
}

/* Parse one value (no list, no range) and store it into c. */
static int apply_value(const struct key_def *kd, const char *s, struct case_cfg *c, char *what,
		       size_t wlen)
{
	char *field = (char *)c + kd->off;
	long long iv = 0;
	double dv = 0;
	int err;

	switch (kd->type) {
	case V_STR: {
		size_t n = strlen(s);

		if ((kd->flags & F_NONE) && !strcmp(s, "none")) {
			field[0] = 0;
			return 0;
		}
		if (!n || n >= kd->size) {
			snprintf(what, wlen, "'%s' must be 1..%zu characters", s, kd->size - 1);
			return -EINVAL;
		}
		for (const char *p = s; *p; p++) {
			int ok = (kd->flags & F_NAME) ?
					 isalnum((unsigned char)*p) || strchr("_.-", *p) :
					 !iscntrl((unsigned char)*p);

			if (!ok) {
				snprintf(what, wlen, "'%s' has a character that is not allowed", s);
				return -EINVAL;
			}
		}
		if (str_check(kd, s, what, wlen))
			return -EINVAL;
		memcpy(field, s, n + 1);
		return 0;
	}
	case V_SEARCH:
		return parse_search(s, (unsigned int *)(void *)field, what, wlen);
	case V_INT:
		if ((kd->flags & F_PCTREF) && strchr(s, '%'))
			return parse_pctref(s, c, what, wlen);
		if (kd->flags & F_PCTREF)
			c->rate_of = RATE_ABS;
		if (kd->word && !strcasecmp(s, kd->word)) {
			iv = kd->word_val;
		} else {
			err = parse_int(kd, s, &iv, what, wlen);
			if (!err)
				err = int_in_range(kd, iv, what, wlen);
			if (err)
				return err;
		}
		break;
	case V_FLOAT: {
		char *end;

		/* strtod would also take "inf", "nan" and hex floats. */
		if (!s[0] || strspn(s, "0123456789.eE+-") != strlen(s) ||
		    !(isdigit((unsigned char)s[0]) || strchr(".+-", s[0]))) {
			snprintf(what, wlen, "'%s' is not a number", s);
			return -EINVAL;
		}
		errno = 0;
		dv = strtod(s, &end);
		if (*end || end == s) {
			snprintf(what, wlen, "'%s' is not a number", s);
			return -EINVAL;
		}
		if (errno == ERANGE || !isfinite(dv) || dv < kd->fmin || dv > kd->fmax) {
			snprintf(what, wlen, "%s is out of range", s);
			return -EINVAL;
		}
		break;
	}
	case V_ENUM:
		for (iv = 0; kd->words[iv]; iv++)
			if (!strcasecmp(s, kd->words[iv]))
				break;
		if (!kd->words[iv]) {
			snprintf(what, wlen, "unknown value '%s'", s);
			return -EINVAL;
		}
		if (kd->store == S_CHARS) {
			snprintf(field, kd->size, "%s", kd->words[iv]);
			return 0;
		}
		break;
	case V_BOOL: {
		int b;

		if (parse_bool(s, &b)) {
			snprintf(what, wlen, "'%s' is not a yes/no value", s);
			return -EINVAL;
		}
		iv = b;
		break;
	}
	case V_DPNAME:
		for (iv = 0; dp_table[iv]; iv++)
			if (!strcasecmp(s, dp_table[iv]->name))
				break;
		if (!dp_table[iv]) {
			snprintf(what, wlen, "unknown value '%s'", s);
			return -EINVAL;
		}
		snprintf(field, kd->size, "%s", dp_table[iv]->name);
		return 0;
	case V_DP:
		return -EINVAL;
	}

	switch (kd->store) {
	case S_UINT:
		*(unsigned int *)(void *)field = (unsigned int)iv;
		break;
	case S_INT:
		*(int *)(void *)field = (int)iv;
		break;
	case S_U64:
		*(uint64_t *)(void *)field = (uint64_t)iv;
		break;
	case S_I64:
		*(int64_t *)(void *)field = (int64_t)iv;
		break;
	case S_DOUBLE:
		*(double *)(void *)field = dv;
		break;
	case S_CHARS:
		break;
	}
	return 0;
}

/* ---- lists and ranges ------------------------------------------------- */

struct strvec {
	char **v;
	int n, cap;
};

static void strvec_free(struct strvec *sv)
{
	for (int i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

static int strvec_push(struct strvec *sv, const char *s)
{
	char *d;

	if (sv->n == sv->cap) {
		int cap = sv->cap ? sv->cap * 2 : 8;
		char **v = realloc(sv->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sv->v = v;
		sv->cap = cap;
	}
	d = strdup(s);
	if (!d)
		return -ENOMEM;
	sv->v[sv->n++] = d;
	return 0;
}

static int push_checked(const struct key_def *kd, const char *s, struct strvec *out, char *what,
			size_t wlen)
{
	struct case_cfg scratch;
	int err;

	if (out->n >= CONFIG_MAX_CASES) {
		snprintf(what, wlen, "more than %d values", CONFIG_MAX_CASES);
		return -EINVAL;
	}
	case_defaults(&scratch);
	err = apply_value(kd, s, &scratch, what, wlen);
	if (err)
		return err;
	err = strvec_push(out, s);
	if (err)
		snprintf(what, wlen, "out of memory");
	return err;
}

/* "start..end" or "start..step..end"; every value it yields is checked. */
static int expand_range(const struct key_def *kd, const char *item, struct strvec *out, char *what,
			size_t wlen)
{
	char buf[256], *part[3], *p, num[32];
	long long start, step = 1, end;
	unsigned long long count;
	int n = 0, err;

	if (strlen(item) >= sizeof(buf)) {
		snprintf(what, wlen, "range '%s' is too long", item);
		return -EINVAL;
	}
	strcpy(buf, item);
	part[n++] = buf;
	for (p = buf; (p = strstr(p, "..")); p += 2) {
		if (n == 3) {
			n = 4;
			break;
		}
		*p = '\0';
		part[n++] = p + 2;
	}
	for (int i = 0; i < n && n <= 3; i++)
		if (!*trim(part[i]))
			n = 4;
	if (n > 3) {
		snprintf(what, wlen, "bad range '%s': expected start..end or start..step..end", item);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++)
		part[i] = trim(part[i]);
	err = parse_int(kd, part[0], &start, what, wlen);
	if (!err && n == 3)
		err = parse_int(kd, part[1], &step, what, wlen);
	if (!err)
		err = parse_int(kd, part[n - 1], &end, what, wlen);
	if (err) {
		char inner[160];

		snprintf(inner, sizeof(inner), "%s", what);
		snprintf(what, wlen, "bad range '%s': %s", item, inner);
		return err;
	}
	if (start > end) {
		snprintf(what, wlen, "bad range '%s': start %lld is above end %lld", item, start, end);
		return -EINVAL;
	}
	if (step <= 0) {
		snprintf(what, wlen, "bad range '%s': step must be > 0", item);
		return -EINVAL;
	}
	/* Unsigned: end - start cannot overflow once start <= end. */
	count = ((unsigned long long)end - (unsigned long long)start) / (unsigned long long)step + 1;
	if (count > CONFIG_MAX_RANGE) {
		snprintf(what, wlen, "range '%s' expands to %llu values, more than %d", item, count,
			 CONFIG_MAX_RANGE);
		return -EINVAL;
	}
	for (unsigned long long i = 0; i < count; i++) {
		snprintf(num, sizeof(num), "%lld", start + (long long)i * step);
		err = push_checked(kd, num, out, what, wlen);
		if (err)
			return err;
	}
	return 0;
}

/* What value i of a list stores, for comparing values spelled apart
 * ("1k" and "1000", "yes" and "1", "auto" and "-1"). */
struct dup_ctx {
	const struct key_def *kd;
	const unsigned char *blob;
};

static int dup_cmp(const void *a, const void *b, void *arg)
{
	const struct dup_ctx *dc = arg;
	const unsigned char *x = dc->blob + (size_t)*(const int *)a * dc->kd->size;
	const unsigned char *y = dc->blob + (size_t)*(const int *)b * dc->kd->size;
	int r = dc->kd->store == S_CHARS ? strncmp((const char *)x, (const char *)y, dc->kd->size)
					 : memcmp(x, y, dc->kd->size);

	/* Ties by position, so the first repeat in list order is reported. */
	return r ? r : *(const int *)a - *(const int *)b;
}

/* A list that names one value twice would run the same cases twice: an
 * error (repetitions are what `repeat` is for). */
static int check_duplicates(const struct key_def *kd, const struct strvec *sv, char *what,
			    size_t wlen)
{
	struct dup_ctx dc = { .kd = kd };
	unsigned char *blob;
	struct case_cfg scratch;
	int *ord, err = 0, first = -1, second = -1;

	if (sv->n < 2)
		return 0;
	blob = calloc((size_t)sv->n, kd->size);
	ord = calloc((size_t)sv->n, sizeof(*ord));
	if (!blob || !ord) {
		snprintf(what, wlen, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	case_defaults(&scratch);
	for (int i = 0; i < sv->n; i++) {
		memset((char *)&scratch + kd->off, 0, kd->size);
		if (apply_value(kd, sv->v[i], &scratch, what, wlen)) {
			err = -EINVAL;
			goto out;
		}
		/* rate: P%ndr is no pps value; tell loads apart by what they are a
		 * fraction of, and how much (pps stay below 2^40). */
		if ((kd->flags & F_PCTREF) && scratch.rate_of != RATE_ABS)
			scratch.rate_pps = (1ull << 63) | ((uint64_t)scratch.rate_of << 40) |
					   (uint64_t)llround(scratch.rate_pct * 1000);
		memcpy(blob + (size_t)i * kd->size, (char *)&scratch + kd->off, kd->size);
		ord[i] = i;
	}
	dc.blob = blob;
	qsort_r(ord, (size_t)sv->n, sizeof(*ord), dup_cmp, &dc);
	for (int i = 1; i < sv->n; i++) {
		int a = ord[i - 1], b = ord[i];
		const unsigned char *x = blob + (size_t)a * kd->size, *y = blob + (size_t)b * kd->size;

		if ((kd->store == S_CHARS ? strncmp((const char *)x, (const char *)y, kd->size)
					  : memcmp(x, y, kd->size)) == 0 &&
		    (second < 0 || b < second)) {
			first = a;
			second = b;
		}
	}
	if (second >= 0) {
		if (strcmp(sv->v[first], sv->v[second]))
			snprintf(what, wlen, "'%s' and '%s' are the same value: each value once",
				 sv->v[first], sv->v[second]);
		else
			snprintf(what, wlen, "'%s' is listed twice: each value once (repeat = N "
				 "repeats cases)", sv->v[first]);
		err = -EINVAL;
	}
out:
	free(blob);
	free(ord);
	return err;
}

/* A whole value: "v", "v1, v2", "a..b", "a..s..b" or a mix. */
static int expand_value(int k, const char *value, struct strvec *out, char *what, size_t wlen)
{
	struct key ky;
	const struct key_def *kd = &ky.def;
	char *copy, *s, *item, *next;
	int err = 0;

	if (key_at(k, &ky)) {
		snprintf(what, wlen, "unknown key");
		return -EINVAL;
	}
	copy = strdup(value);
	if (!copy) {
		snprintf(what, wlen, "out of memory");
		return -ENOMEM;
	}
	s = trim(copy);
	if (!*s) {
		snprintf(what, wlen, "empty value");
		err = -EINVAL;
		goto out;
	}
	if (kd->type == V_SEARCH || (kd->flags & F_WHOLE)) {
		err = push_checked(kd, s, out, what, wlen);
		goto out;
	}
	if ((kd->flags & F_SINGLE) && strchr(s, ',')) {
		snprintf(what, wlen, "'%s' is a list; %s takes one value", s, ky.info.key);
		err = -EINVAL;
		goto out;
	}
	/* Strings are taken whole: a path may well contain "..". */
	if (kd->type == V_STR) {
		err = push_checked(kd, s, out, what, wlen);
		goto out;
	}
	for (item = s;; item = next + 1) {
		next = strchr(item, ',');
		if (next)
			*next = '\0';
		item = trim(item);
		if (!*item) {
			snprintf(what, wlen, "empty item in list '%s'", value);
			err = -EINVAL;
			goto out;
		}
		if (strstr(item, "..")) {
			if (kd->type != V_INT) {
				snprintf(what, wlen,
					 "'%s' is a range; ranges are only for integer keys", item);
				err = -EINVAL;
			} else if (kd->flags & F_SINGLE) {
				snprintf(what, wlen, "'%s' is a range; %s takes one value", item,
					 ky.info.key);
				err = -EINVAL;
			} else {
				err = expand_range(kd, item, out, what, wlen);
			}
		} else {
			err = push_checked(kd, item, out, what, wlen);
		}
		if (err || !next)
			break;
	}
	if (!err)
		err = check_duplicates(kd, out, what, wlen);
out:
	free(copy);
	return err;
}

/* ---- the sweep -------------------------------------------------------- */

void sweep_init(struct sweep *sw)
{
	memset(sw, 0, sizeof(*sw));
}

static void key_free(struct sweep_key *sk)
{
	for (int i = 0; i < sk->nvalues; i++)
		free(sk->values[i]);
	free(sk->values);
	sk->values = NULL;
	sk->nvalues = 0;
}

static struct sweep_key *sweep_find(const struct sweep *sw, const char *key)
{
	for (int i = 0; i < sw->nkeys; i++)
		if (!strcmp(sw->keys[i].key, key))
			return &sw->keys[i];
	return NULL;
}

void sweep_free(struct sweep *sw)
{
	for (int i = 0; i < sw->nkeys; i++)
		key_free(&sw->keys[i]);
	for (int v = 0; v < sw->nvar; v++)
		sweep_free(&sw->var[v]);
	free(sw->var);
	free(sw->vname);
	free(sw->keys);
	free(sw->path);
	sweep_init(sw);
}

/* Variant `name` of sw, made if new; NULL when out of memory. */
static struct sweep *sweep_variant(struct sweep *sw, const char *name)
{
	struct sweep *var;
	char(*vname)[CFG_VARIANT_LEN];

	for (int v = 0; v < sw->nvar; v++)
		if (!strcmp(sw->vname[v], name))
			return &sw->var[v];
	var = realloc(sw->var, (size_t)(sw->nvar + 1) * sizeof(*var));
	if (!var)
		return NULL;
	sw->var = var;
	vname = realloc(sw->vname, (size_t)(sw->nvar + 1) * sizeof(*vname));
	if (!vname)
		return NULL;
	sw->vname = vname;
	sweep_init(&sw->var[sw->nvar]);
	snprintf(sw->vname[sw->nvar], sizeof(sw->vname[0]), "%s", name);
	return &sw->var[sw->nvar++];
}

/* Drop key from sw (a --set replaces what every variant says of it). */
static void sweep_drop(struct sweep *sw, const char *key)
{
	struct sweep_key *sk = sweep_find(sw, key);

	if (!sk)
		return;
	key_free(sk);
	memmove(sk, sk + 1, (size_t)(sw->keys + sw->nkeys - (sk + 1)) * sizeof(*sk));
	sw->nkeys--;
}

/* Insert keeping schema order; the caller has made room for one more. */
static void sweep_insert(struct sweep *sw, int k, const char *file, int line, struct strvec *vals)
{
	struct sweep_key *sk;
	int pos = 0;

	while (pos < sw->nkeys && key_index(sw->keys[pos].key) < k)
		pos++;
	memmove(&sw->keys[pos + 1], &sw->keys[pos], (size_t)(sw->nkeys - pos) * sizeof(*sk));
	sk = &sw->keys[pos];
	memset(sk, 0, sizeof(*sk));
	sk->key = key_name(k);
	snprintf(sk->file, sizeof(sk->file), "%s", file);
	sk->line = line;
	sk->values = vals->v;
	sk->nvalues = vals->n;
	memset(vals, 0, sizeof(*vals));
	sw->nkeys++;
}

static int sweep_reserve(struct sweep *sw, int more)
{
	struct sweep_key *keys;

	if (!more)
		return 0;
	keys = realloc(sw->keys, (size_t)(sw->nkeys + more) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	sw->keys = keys;
	return 0;
}

/* ---- INI loading ------------------------------------------------------ */

/*
 * inih is driven through ini_parse_stream() with a reader that counts lines:
 * the packaged library is built without INI_HANDLER_LINENO, and declaring
 * the 5-argument handler against it would read garbage. The reader hands
 * inih whole lines only (a longer line is an error here rather than being
 * split into two "lines"), so its count and inih's agree, and the handler
 * runs for the line last read.
 *
 * Leading whitespace is removed before inih sees a line: inih would treat an
 * indented line as the continuation of the previous value, silently turning
 * an indented "size = 64" into part of another key's value.
 */
struct load_ctx {
	const struct sweep *sw; /* what is already loaded (for duplicates) */
	struct sweep tmp;       /* this file's keys; merged only on success */
	const char *path;
	int section_line[ARRAY_SIZE(sections)]; /* where each section began */
	/* [variant NAME] sections seen, and where (each once, as any section) */
	char vseen[CFG_MAX_VARIANTS][CFG_VARIANT_LEN];
	int vseen_line[CFG_MAX_VARIANTS];
	int nvseen;
	FILE *f;
	char *buf;
	size_t cap;
	int line;
	int err, err_line;
	char *errbuf;
	size_t errlen;
};

static void __attribute__((format(printf, 2, 3))) load_error(struct load_ctx *lc, const char *fmt,
							      ...)
{
	va_list ap;
	size_t n;

	if (lc->err)
		return;
	lc->err = -EINVAL;
	lc->err_line = lc->line;
	where(lc->errbuf, lc->errlen, lc->path, lc->line);
	n = strlen(lc->errbuf);
	va_start(ap, fmt);
	vsnprintf(lc->errbuf + n, lc->errlen - n, fmt, ap);
	va_end(ap);
}

/* A [variant NAME] header: an error if NAME came before or there are too
 * many; 1 for any variant section (handled), 0 for the others. */
static int variant_seen(struct load_ctx *lc, const char *sec)
{
	char v[CFG_VARIANT_LEN];

	if (!variant_section(sec, v, sizeof(v)))
		return 0;
	for (int i = 0; i < lc->nvseen; i++)
		if (!strcmp(lc->vseen[i], v)) {
			load_error(lc, "section [%s] repeated (first at line %d; allowed: "
				   "each section once)", sec, lc->vseen_line[i]);
			return 1;
		}
	if (lc->nvseen == CFG_MAX_VARIANTS) {
		load_error(lc, "section [%s]: more than %d variants (allowed: at most %d)", sec,
			   CFG_MAX_VARIANTS, CFG_MAX_VARIANTS);
		return 1;
	}
	snprintf(lc->vseen[lc->nvseen], sizeof(lc->vseen[0]), "%s", v);
	lc->vseen_line[lc->nvseen++] = lc->line;
	return 1;
}

/* Catch what inih would only call a syntax error, with a better message. */
static void check_line(struct load_ctx *lc, const char *s)
{
	char name[64], allowed[128];
	const char *p;

	if (!*s || *s == ';' || *s == '#' || *s == '\r' || *s == '\n')
		return;
	if (*s == '[') {
		const char *e = strchr(s, ']');
		size_t n;

		if (!e) {
			load_error(lc, "section header without ']'");
			return;
		}
		while (isspace((unsigned char)*++s))
			;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		n = (size_t)(e - s);
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
			 s);
		if (!section_known(name)) {
			list_sections(allowed, sizeof(allowed));
			load_error(lc, "unknown section [%s] (allowed: %s)", name, allowed);
			return;
		}
		/* A second [x] would silently merge into the first. */
		if (variant_seen(lc, name))
			return;
		for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
			if (strcmp(sections[i], name))
				continue;
			if (lc->section_line[i])
				load_error(lc, "section [%s] repeated (first at line %d; allowed: "
					   "each section once)", name, lc->section_line[i]);
			lc->section_line[i] = lc->line;
		}
		return;
	}
	/* Same rule as inih: the name ends at '=' or ':' unless an inline
	 * comment (';' after whitespace) comes first. */
	for (p = s; *p && *p != '=' && *p != ':'; p++)
		if (*p == ';' && p > s && isspace((unsigned char)p[-1]))
			break;
	if (*p != '=' && *p != ':') {
		size_t n = strcspn(s, " \t\r\n;");

		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
			 s);
		load_error(lc, "key '%s': no value (expected 'key = value')", name);
	}
}

/* A NUL would end the line early for inih, a control byte would reach the
 * terminal in a message: both are errors naming the key (escaped). */
static int line_bytes_bad(struct load_ctx *lc, size_t n)
{
	const char *line = lc->buf, *bad = memchr(line, '\0', n), *s;
	size_t k = 0, len;
	char name[160];

	if (!bad)
		bad = bad_byte(line, n, 1);
	if (!bad)
		return 0;
	s = line + strspn(line, " \t");
	len = n - (size_t)(s - line);
	while (k < len && !strchr("=:\n", s[k] ? s[k] : '\n'))
		k++;
	if (k < len && !s[k])
		k++; /* a NUL in the name is part of the name */
	while (k < len && s[k] && !strchr("=:\n", s[k]))
		k++;
	while (k && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	esc(s, k < 64 ? k : 64, name, sizeof(name));
	load_error(lc, "key '%s': %s byte at column %d (allowed: text without control bytes)",
		   name, *bad ? "control" : "NUL", (int)(bad - line) + 1);
	return 1;
}

static char *load_reader(char *str, int num, void *stream)
{
	struct load_ctx *lc = stream;
	ssize_t n;
	char *s;
	size_t len;

	if (lc->err)
		return NULL;
	n = getline(&lc->buf, &lc->cap, lc->f);
	if (n < 0)
		return NULL;
	lc->line++;
	s = lc->buf;
	if (line_bytes_bad(lc, (size_t)n))
		return NULL;
	if (lc->line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	while (*s == ' ' || *s == '\t' || *s == '\f' || *s == '\v')
		s++;
	len = strlen(s);
	if (len + 1 > (size_t)num) {
		size_t k = strcspn(s, " \t=:;#[");

		if (k && k < 64)
			load_error(lc, "key '%.*s': line is longer than %d characters", (int)k, s,
				   num - 2);
		else
			load_error(lc, "line is longer than %d characters", num - 2);
		return NULL;
	}
	check_line(lc, s);
	if (lc->err)
		return NULL;
	memcpy(str, s, len + 1);
	return str;
}

/* Where a key of section sec goes: this file's keys, or a variant's. */
static struct sweep *load_target(struct load_ctx *lc, const char *sec, const char *name,
				 const struct config_key_info *ki)
{
	char vname[CFG_VARIANT_LEN];
	struct sweep *t;

	if (!variant_section(sec, vname, sizeof(vname))) {
		if (strcmp(sec, ki->section)) {
			if (!*sec)
				load_error(lc, "key '%s': comes before any section (allowed: in [%s])",
					   name, ki->section);
			else
				load_error(lc,
					   "key '%s': not a key of section [%s], it belongs in [%s] "
					   "(allowed: in [%s])",
					   name, sec, ki->section, ki->section);
			return NULL;
		}
		return &lc->tmp;
	}
	/* A variant is a set of cases; the run's own keys stay the run's. */
	if (!strcmp(ki->section, "run")) {
		load_error(lc, "key '%s': a [run] key applies to every variant (allowed: in [run])",
			   name);
		return NULL;
	}
	t = sweep_variant(&lc->tmp, vname);
	if (!t) {
		load_error(lc, "out of memory");
		lc->err = -ENOMEM;
	}
	return t;
}

static int load_handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	char sec[64], allowed[256], what[CONFIG_ERR_LEN];
	struct config_key_info ki = { 0 };
	const struct sweep_key *dup;
	struct strvec vals = { 0 };
	struct sweep *target;
	int k, err;

	if (lc->err)
		return 0;
	if (!name)
		return 1; /* section start, already checked by the reader */
	snprintf(sec, sizeof(sec), "%s", section ? section : "");
	k = key_index(name);
	if (k < 0) {
		list_keys(allowed, sizeof(allowed), variant_section(trim(sec), what, sizeof(what))
							  ? NULL
							  : trim(sec));
		load_error(lc, "key '%s': unknown key in section [%s] (allowed: %s)", name,
			   trim(sec), allowed);
		return 0;
	}
	config_key(k, &ki);
	target = load_target(lc, trim(sec), name, &ki);
	if (!target)
		return 0;
	dup = sweep_find(target, name);
	if (!dup && target == &lc->tmp)
		dup = sweep_find(lc->sw, name);
	if (dup) {
		if (dup->line > 0 && !strcmp(dup->file, lc->path))
			load_error(lc, "key '%s': already set at line %d", name, dup->line);
		else if (dup->line > 0)
			load_error(lc, "key '%s': already set at %s:%d", name, dup->file, dup->line);
		else
			load_error(lc, "key '%s': already set by %s", name, dup->file);
		return 0;
	}
	err = expand_value(k, value ? value : "", &vals, what, sizeof(what));
	if (!err)
		err = sweep_reserve(target, 1);
	if (err) {
		strvec_free(&vals);
		if (err == -ENOMEM) {
			load_error(lc, "out of memory");
			lc->err = -ENOMEM;
		} else {
			load_error(lc, "key '%s': %s (allowed: %s)", name, what, ki.allowed);
		}
		return 0;
	}
	sweep_insert(target, k, lc->path, lc->line, &vals);
	return 1;
}

int config_load(struct sweep *sw, const char *path, char *err, size_t errlen)
{
	struct load_ctx lc = { .sw = sw, .path = path, .errbuf = err, .errlen = errlen };
	char *pathdup = NULL;
	int r;

	err[0] = '\0';
	/* "-" is standard input, named "stdin" in messages and results. */
	if (!strcmp(path, "-")) {
		lc.path = path = "stdin";
		lc.f = stdin;
	} else {
		lc.f = fopen(path, "r");
	}
	if (!lc.f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	sweep_init(&lc.tmp);
	r = ini_parse_stream(load_reader, &lc, load_handler, &lc);
	if (ferror(lc.f) && !lc.err) {
		snprintf(err, errlen, "%s: read error", path);
		lc.err = -EIO;
	}
	/* inih reports the first line it could not use; if our own error is
	 * later (or absent), that earlier line is the one to report. */
	if (r > 0 && (!lc.err || r < lc.err_line)) {
		snprintf(err, errlen, "%s:%d: syntax error (expected '[section]' or 'key = value')",
			 path, r);
		lc.err = -EINVAL;
	} else if (r < 0 && !lc.err) {
		snprintf(err, errlen, "%s: %s", path, r == -2 ? "out of memory" : "cannot read");
		lc.err = r == -2 ? -ENOMEM : -EIO;
	}
	if (!lc.err && !sw->path) {
		pathdup = strdup(path);
		if (!pathdup) {
			snprintf(err, errlen, "%s: out of memory", path);
			lc.err = -ENOMEM;
		}
	}
	if (!lc.err && sweep_reserve(sw, lc.tmp.nkeys)) {
		snprintf(err, errlen, "%s: out of memory", path);
		lc.err = -ENOMEM;
	}
	/* One file's variants: a second file may not add more. */
	if (!lc.err && lc.tmp.nvar && sw->nvar) {
		snprintf(err, errlen, "%s: [variant] sections come from one file only", path);
		lc.err = -EINVAL;
	}
	if (!lc.err) {
		/* Cannot fail from here on: the sweep changes all at once. */
		for (int i = 0; i < lc.tmp.nkeys; i++) {
			struct sweep_key *sk = &lc.tmp.keys[i];
			struct strvec v = { .v = sk->values, .n = sk->nvalues };

			sweep_insert(sw, key_index(sk->key), sk->file, sk->line, &v);
			sk->values = NULL;
			sk->nvalues = 0;
		}
		if (pathdup)
			sw->path = pathdup;
		pathdup = NULL;
		for (int v = 0; v < lc.tmp.nvar; v++)
			sw->file_keys += lc.tmp.var[v].nkeys;
		sw->var = lc.tmp.var;
		sw->vname = lc.tmp.vname;
		sw->nvar = lc.tmp.nvar;
		lc.tmp.var = NULL;
		lc.tmp.vname = NULL;
		lc.tmp.nvar = 0;
		sw->file_keys += lc.tmp.nkeys;
		sw->files++;
	}
	free(pathdup);
	sweep_free(&lc.tmp);
	free(lc.buf);
	if (lc.f != stdin)
		fclose(lc.f);
	return lc.err;
}

int config_set(struct sweep *sw, const char *kv, char *err, size_t errlen)
{
	char *copy, *eq, *key, *value, what[CONFIG_ERR_LEN], allowed[512];
	struct config_key_info ki = { 0 };
	struct strvec vals = { 0 };
	struct sweep_key *sk;
	int k, r;

	err[0] = '\0';
	if (bad_byte(kv, strlen(kv), 0)) {
		char name[160];
		size_t n = strcspn(kv, "=");

		snprintf(err, errlen,
			 "--set: key '%s': control byte at column %d (allowed: text without "
			 "control bytes)",
			 esc(kv, n < 64 ? n : 64, name, sizeof(name)),
			 (int)(bad_byte(kv, strlen(kv), 0) - kv) + 1);
		return -EINVAL;
	}
	copy = strdup(kv);
	if (!copy) {
		snprintf(err, errlen, "--set: out of memory");
		return -ENOMEM;
	}
	eq = strchr(copy, '=');
	if (eq)
		*eq = '\0';
	key = trim(copy);
	if (!eq) {
		snprintf(err, errlen, "--set: key '%s': expected key=value", key);
		r = -EINVAL;
		goto out;
	}
	value = trim(eq + 1);
	k = key_index(key);
	if (k < 0) {
		list_keys(allowed, sizeof(allowed), NULL);
		snprintf(err, errlen, "--set: key '%s': unknown key (allowed: %s)", key, allowed);
		r = -EINVAL;
		goto out;
	}
	r = expand_value(k, value, &vals, what, sizeof(what));
	if (r) {
		config_key(k, &ki);
		snprintf(err, errlen, "--set: key '%s': %s (allowed: %s)", key, what, ki.allowed);
		goto out;
	}
	sk = sweep_find(sw, key);
	if (sk) {
		key_free(sk);
		snprintf(sk->file, sizeof(sk->file), "--set");
		sk->line = 0;
		sk->values = vals.v;
		sk->nvalues = vals.n;
		memset(&vals, 0, sizeof(vals));
	} else {
		r = sweep_reserve(sw, 1);
		if (r) {
			snprintf(err, errlen, "--set: out of memory");
			goto out;
		}
		sweep_insert(sw, k, "--set", 0, &vals);
	}
	for (int v = 0; v < sw->nvar; v++)
		sweep_drop(&sw->var[v], key);
out:
	strvec_free(&vals);
	free(copy);
	return r;
}

/* ---- expansion -------------------------------------------------------- */

/* The case name when none is given: the file's base name without ".ini",
 * reduced to the characters a name may have. */
static void default_name(const struct sweep *sw, char *name, size_t len)
{
	const char *base, *slash;
	size_t n, j = 0;

	if (!sw->path)
		return;
	slash = strrchr(sw->path, '/');
	base = slash ? slash + 1 : sw->path;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".ini"))
		n -= 4;
	for (size_t i = 0; i < n && j + 1 < len; i++)
		name[j++] = isalnum((unsigned char)base[i]) || strchr("_.-", base[i]) ? base[i] :
											  '_';
	if (j)
		name[j] = '\0';
}

void config_key_where(const struct sweep *sw, const char *const *keys, char *buf, size_t len)
{
	const struct sweep_key *sk = NULL;
	const char *key = keys[0];

	for (int i = 0; keys[i] && !sk; i++) {
		sk = sweep_find(sw, keys[i]);
		if (sk)
			key = keys[i];
	}
	if (sk)
		where(buf, len, sk->file, sk->line);
	else
		where(buf, len, sw->path ? sw->path : "config", 0);
	bprintf(buf, len, "key '%s': ", key);
}

/* A cross-key error, reported at the first of keys[] that the sweep sets. */
static int __attribute__((format(printf, 5, 6)))
cross_error(const struct sweep *sw, char *err, size_t errlen, const char *const *keys,
	    const char *fmt, ...)
{
	va_list ap;
	size_t n;

	config_key_where(sw, keys, err, errlen);
	n = strlen(err);
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A key at its default is no use of it. */
struct key_use {
	const char *key;
	int set;
};

/* Each key set only with a topology that uses it. */
static int check_key_uses(const struct sweep *sw, const struct key_use *k, size_t n, int used,
			  const char *which, char *err, size_t errlen)
{
	for (size_t i = 0; i < n && !used; i++)
		if (k[i].set)
			return cross_error(sw, err, errlen, (const char *const[]){ k[i].key, NULL },
					   "only %s uses it (allowed: %s, or leave it out)", which,
					   which);
	return 0;
}

/* topology=hosts: what its agents can drive. Each host lends one
 * interface to one endpoint, whose breakdown its own agent takes. */
static int check_hosts(const struct sweep *sw, const struct case_cfg *c, char *err,
		       size_t errlen)
{
	const struct dp_ops *ops = case_dp(c);

	if (ops && (ops->needs & DP_NEED_EAL))
		return cross_error(sw, err, errlen,
				   (const char *const[]){ "datapath", "topology", NULL },
				   "datapath %s needs a switch and EAL files on one host (allowed: "
				   "udp, mmsg, uring, packet or xdp with topology=hosts)",
				   c->datapath);
	if (c->probes == PROBES_PATH)
		return cross_error(sw, err, errlen,
				   (const char *const[]){ "probes", "topology", NULL },
				   "probes=path times each packet from one endpoint to the other, "
				   "which needs one clock on both hosts (allowed: probes=off, "
				   "aggregate, sample or both with topology=hosts)");
	if (c->probe_duty < 1.0 || c->topo_hook[0])
		return cross_error(sw, err, errlen,
				   (const char *const[]){ c->probe_duty < 1.0 ? "probe_duty"
									  : "topo_hook",
							  "topology", NULL },
				   "the agents on the hosts do not carry it yet (allowed: "
				   "probe_duty=1, no topo_hook with topology=hosts)");
	return 0;
}

/* topology=iface|hosts and their keys: both interfaces, one pair in plain
 * namespaces; their keys only with them. */
static int check_iface(const struct sweep *sw, const struct case_cfg *c, char *err,
		       size_t errlen)
{
	int lent = c->topology == TOPO_IFACE || c->topology == TOPO_HOSTS;
	const struct key_use ikeys[] = {
		{ "iface_a", c->iface_a[0] != 0 },
		{ "iface_b", c->iface_b[0] != 0 },
		{ "ip_a", strcmp(c->ip_a, CFG_IP_A) != 0 },
		{ "ip_b", strcmp(c->ip_b, CFG_IP_B) != 0 },
		{ "mac_b", c->mac_b[0] != 0 },
		{ "force", c->force != 0 },
	};
	const struct key_use hkeys[] = {
		{ "host_a", strcmp(c->host_a, "local") != 0 },
		{ "host_b", strcmp(c->host_b, "local") != 0 },
		{ "ssh_options", c->ssh_options[0] != 0 },
		{ "remote_bin", strcmp(c->remote_bin, "bypasslab") != 0 },
	};

	if (check_key_uses(sw, ikeys, ARRAY_SIZE(ikeys), lent, "topology=iface or hosts", err,
			   errlen) ||
	    check_key_uses(sw, hkeys, ARRAY_SIZE(hkeys), c->topology == TOPO_HOSTS,
			   "topology=hosts", err, errlen))
		return -EINVAL;
	if (!lent)
		return 0;
	if (!c->iface_a[0] || !c->iface_b[0])
		return cross_error(sw, err, errlen,
				   (const char *const[]){ c->iface_a[0] ? "iface_b" : "iface_a",
							  "topology", NULL },
				   "topology=%s needs iface_a and iface_b (allowed: the names of "
				   "two existing interfaces)",
				   topo_name(c->topology));
	/* Two hosts may well name their ports alike. */
	if (!strcmp(c->iface_a, c->iface_b) &&
	    (c->topology == TOPO_IFACE || !strcmp(c->host_a, c->host_b)))
		return cross_error(sw, err, errlen, (const char *const[]){ "iface_b", NULL },
				   "'%s' is iface_a too (allowed: two different interfaces)",
				   c->iface_b);
	if (c->pairs > 1)
		return cross_error(sw, err, errlen,
				   (const char *const[]){ "pairs", "topology", NULL },
				   "topology=%s lends one interface to each side of one pair "
				   "(allowed: pairs=1 with topology=%s)",
				   topo_name(c->topology), topo_name(c->topology));
	if (c->container != CONTAINER_NETNS)
		return cross_error(sw, err, errlen,
				   (const char *const[]){ "container", "topology", NULL },
				   "topology=%s moves the interfaces into plain namespaces "
				   "(allowed: container=netns with topology=%s)",
				   topo_name(c->topology), topo_name(c->topology));
	return c->topology == TOPO_HOSTS ? check_hosts(sw, c, err, errlen) : 0;
}

const struct dp_ops *case_dp(const struct case_cfg *c)
{
	return dp_find(c->datapath);
}

int64_t case_dp_opt(const struct case_cfg *c, const char *key)
{
	for (int g = 0; g < dp_nkeys(); g++)
		if (!strcmp(dp_opt_at(g, NULL)->key, key))
			return c->dp_opt[g];
	return -1;
}

void case_dp_view(const struct case_cfg *c, struct dp_case *dc, int64_t *opt)
{
	const struct dp_ops *ops = case_dp(c);
	int n = ops ? dp_nopts(ops) : 0;

	memset(opt, 0, DP_MAX_OPTS * sizeof(*opt));
	for (int j = 0; j < n && j < DP_MAX_OPTS; j++) {
		int g = dp_opt_index(ops, j);

		if (g >= 0 && g < CFG_MAX_DP_OPTS)
			opt[j] = c->dp_opt[g];
	}
	memset(dc, 0, sizeof(*dc));
	dc->bridge = c->topology == TOPO_BRIDGE;
	dc->container = c->container != CONTAINER_NETNS;
	dc->pairs = c->pairs;
	dc->blocking = c->blocking;
	dc->pingpong = c->pattern == PAT_PINGPONG;
	dc->size = c->size;
	dc->burst = c->burst;
	dc->opt = opt;
}

unsigned int case_needs(const struct case_cfg *c)
{
	const struct dp_ops *ops = case_dp(c);
	int64_t opt[DP_MAX_OPTS];
	struct dp_case dc;

	if (!ops)
		return 0;
	case_dp_view(c, &dc, opt);
	return ops->needs | (ops->case_needs ? ops->case_needs(&dc) : 0);
}

/* A search sets the rate of its trials; a load names the rate it is a
 * fraction of, which the same case's search must find. */
static int search_check(const struct sweep *sw, const struct case_cfg *c, char *err,
			size_t errlen)
{
	unsigned int need = c->rate_of == RATE_OF_NDR ? SEARCH_NDR :
			    c->rate_of == RATE_OF_PDR ? SEARCH_PDR :
							0;

	if (c->search && c->rate_pps)
		return cross_error(sw, err, errlen, (const char *const[]){ "search", "rate", NULL },
				   "search=%s sets the rate of its trials, rate=%llu cannot be "
				   "kept (allowed: rate=max, or P%%ndr / P%%pdr for a load)",
				   search_name(c->search), (unsigned long long)c->rate_pps);
	if (need && !(c->search & need))
		return cross_error(sw, err, errlen, (const char *const[]){ "rate", "search", NULL },
				   "rate=%g%%%s is a fraction of a searched rate, but search=%s "
				   "does not find it (allowed: search=%s or ndr,pdr)",
				   c->rate_pct, rate_ref_name(c->rate_of), search_name(c->search),
				   rate_ref_name(c->rate_of));
	if ((c->search || c->rate_of) && c->pattern == PAT_PINGPONG && c->blocking)
		return cross_error(sw, err, errlen,
				   (const char *const[]){ "blocking", "search", NULL },
				   "a searched ping-pong is open loop at each trial's rate and must keep "
				   "its send schedule; a blocking receive would stall it (allowed: "
				   "blocking=no)");
	return 0;
}

/*
 * A feature key (dp_opt.feature) set for a datapath that lacks it: 1 when
 * the sweep also has the key's default (this case is left out of the
 * product: that datapath runs with the default), else an error naming the
 * key and `datapath`. 0: the case stands.
 */
static int feature_case(const struct sweep *sw, const struct case_cfg *c, char *err,
			size_t errlen)
{
	const struct dp_ops *ops = case_dp(c);
	struct case_cfg def;
	char what[CONFIG_ERR_LEN];
	const struct dp_opt *o;
	struct key ky;

	case_defaults(&def);
	for (int g = 0; ops && g < dp_nkeys() && (o = dp_opt_at(g, NULL)); g++) {
		const struct sweep_key *sk;

		if (!o->feature || dp_opt_row(ops, o->key) >= 0 || c->dp_opt[g] == def.dp_opt[g])
			continue;
		sk = sweep_find(sw, o->key);
		dp_key(g, &ky);
		for (int v = 0; sk && v < sk->nvalues; v++) {
			struct case_cfg t = def;

			if (!apply_value(&ky.def, sk->values[v], &t, what, sizeof(what)) &&
			    t.dp_opt[g] == def.dp_opt[g])
				return 1;
		}
		return cross_error(sw, err, errlen, (const char *const[]){ o->key, "datapath", NULL },
				   "datapath %s has no %s (allowed: %s = %s, or datapath = %s; in a "
				   "sweep, add %s's default %s to its values to run %s once "
				   "without it)",
				   c->datapath, o->key, o->key, o->def, dp_owners(g, o), o->key,
				   o->def, c->datapath);
	}
	return 0;
}

/*
 * Combinations that cannot be run as asked. Settings that merely do not apply
 * (packet_tx on udp, outstanding with a rate) are ignored by the endpoint,
 * and cpu_a == cpu_b is a legitimate same-CPU study.
 */
static int check_case(const struct sweep *sw, const struct case_cfg *c, char *err, size_t errlen)
{
	const struct dp_ops *ops = case_dp(c);
	int64_t opt[DP_MAX_OPTS];
	struct dp_case dc;
	char what[CONFIG_ERR_LEN];
	const char *const *keys;
	int ring;

	case_dp_view(c, &dc, opt);
	/* packet with sendto() and recv() on both sides has no ring at all;
	 * xdp's rings are as large as its UMEM pools. */
	ring = ops && ops->ring && ops->ring(opt);
	if (check_iface(sw, c, err, errlen))
		return -EINVAL;
	/* An LXC container's veth goes into a bridge (lxc.net.0.link); there is
	 * no container-to-container veth pair. */
	if (c->container == CONTAINER_LXC && c->topology != TOPO_BRIDGE)
		return cross_error(sw, err, errlen,
				   (const char *const[]){ "container", "topology", NULL },
				   "container=lxc attaches each container to a bridge (allowed: "
				   "container=lxc with topology=bridge)");
	/* What only the datapath knows it cannot do. */
	keys = ops && ops->check ? ops->check(&dc, what, sizeof(what)) : NULL;
	if (keys)
		return cross_error(sw, err, errlen, keys, "%s", what);
	/* One burst is handed to the ring in one go; it cannot exceed the ring. */
	if (ring && c->burst > c->ring_frames)
		return cross_error(sw, err, errlen,
				   (const char *const[]){ "burst", "ring_frames", NULL },
				   "burst %u does not fit a %s ring of %u frames (allowed: burst <= "
				   "ring_frames)",
				   c->burst, c->datapath, c->ring_frames);
	/* Closed-loop ping-pong sends its whole window as one burst, and every
	 * request and reply in flight needs a ring slot. */
	if (ring && c->pattern == PAT_PINGPONG && !c->rate_pps && c->outstanding > c->ring_frames)
		return cross_error(sw, err, errlen,
				   (const char *const[]){ "outstanding", "ring_frames", NULL },
				   "%u requests in flight do not fit a %s ring of %u frames "
				   "(allowed: outstanding <= ring_frames)",
				   c->outstanding, c->datapath, c->ring_frames);
	/* Open-loop ping-pong sends on a schedule from the same thread that
	 * collects replies; a receive that blocks until a reply arrives (or the
	 * socket timeout passes) would hold every send behind it, so the offered
	 * rate would no longer be the configured one. */
	if (search_check(sw, c, err, errlen))
		return -EINVAL;
	if (c->pattern == PAT_PINGPONG && c->rate_pps && c->blocking)
		return cross_error(sw, err, errlen, (const char *const[]){ "blocking", "rate", NULL },
				   "pingpong with rate=%llu is open loop and must keep its send "
				   "schedule while waiting for replies; a blocking receive would stall "
				   "it (allowed: blocking=no with a rate, or rate=max)",
				   (unsigned long long)c->rate_pps);
	return 0;
}

static int sweep_expand1(const struct sweep *sw, struct case_cfg **cases, int *ncases, char *err,
			 size_t errlen)
{
	struct case_cfg base, *out = NULL;
	char what[CONFIG_ERR_LEN];
	unsigned long long total;
	unsigned int repeat = 1;
	int *idx = NULL, n = 0, r = 0, skip;
	const struct sweep_key *rk = sweep_find(sw, "repeat");
	struct key *ks = NULL, rky;

	*cases = NULL;
	*ncases = 0;
	err[0] = '\0';
	if (rk && rk->nvalues > 0 && !key_at(key_index("repeat"), &rky)) {
		case_defaults(&base);
		if (!apply_value(&rky.def, rk->values[0], &base, what, sizeof(what)))
			repeat = base.repeat;
	}
	/* Count first, stopping at the key that takes the sweep over the cap. */
	total = repeat;
	for (int i = 0; i < sw->nkeys; i++) {
		const struct sweep_key *sk = &sw->keys[i];

		if (!strcmp(sk->key, "repeat"))
			continue;
		total *= (unsigned long long)(sk->nvalues > 0 ? sk->nvalues : 1);
		if (total > CONFIG_MAX_CASES) {
			where(err, errlen, sk->file, sk->line);
			bprintf(err, errlen,
				"key '%s': %d values take the sweep over %d cases (allowed: at most "
				"%d cases, repetitions included)",
				sk->key, sk->nvalues, CONFIG_MAX_CASES, CONFIG_MAX_CASES);
			return -EINVAL;
		}
	}
	out = calloc((size_t)total, sizeof(*out));
	idx = calloc((size_t)sw->nkeys + 1, sizeof(*idx));
	ks = calloc((size_t)sw->nkeys + 1, sizeof(*ks));
	if (!out || !idx || !ks) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	/* Looked up once: the product may have many cases. */
	for (int i = 0; i < sw->nkeys; i++)
		if (key_at(key_index(sw->keys[i].key), &ks[i]))
			ks[i].info.key = NULL;
	for (;;) {
		int i;

		case_defaults(&base);
		default_name(sw, base.name, sizeof(base.name));
		for (i = 0; i < sw->nkeys; i++) {
			const struct sweep_key *sk = &sw->keys[i];

			if (!ks[i].info.key || !sk->nvalues)
				continue;
			r = apply_value(&ks[i].def, sk->values[idx[i]], &base, what, sizeof(what));
			if (r) {
				/* Values are checked when read; only a sweep built by
				 * hand can get here. */
				where(err, errlen, sk->file, sk->line);
				bprintf(err, errlen, "key '%s': %s (allowed: %s)", sk->key, what,
					ks[i].info.allowed);
				goto fail;
			}
		}
		skip = feature_case(sw, &base, err, errlen);
		r = skip < 0 ? skip : skip ? 0 : check_case(sw, &base, err, errlen);
		if (r)
			goto fail;
		for (unsigned int rep = 0; !skip && rep < base.repeat; rep++) {
			out[n] = base;
			out[n].rep = rep;
			n++;
		}
		/* Odometer: the last key varies fastest. */
		for (i = sw->nkeys - 1; i >= 0; i--) {
			if (++idx[i] < sw->keys[i].nvalues)
				break;
			idx[i] = 0;
		}
		if (i < 0)
			break;
	}
	free(ks);
	free(idx);
	*cases = out;
	*ncases = n;
	return 0;
fail:
	free(ks);
	free(idx);
	free(out);
	return r;
}

/* Variant v as a sweep of its own: the run's keys with v's in their place
 * (shallow: m borrows every value, only m->keys is its own). */
static int sweep_merge(const struct sweep *sw, int v, struct sweep *m)
{
	const struct sweep *var = &sw->var[v];
	int i = 0, j = 0;

	sweep_init(m);
	m->path = sw->path;
	m->keys = calloc((size_t)(sw->nkeys + var->nkeys) + 1, sizeof(*m->keys));
	if (!m->keys)
		return -ENOMEM;
	while (i < sw->nkeys || j < var->nkeys) {
		int ki = i < sw->nkeys ? key_index(sw->keys[i].key) : INT_MAX;
		int kj = j < var->nkeys ? key_index(var->keys[j].key) : INT_MAX;

		if (kj <= ki) {
			m->keys[m->nkeys++] = var->keys[j++];
			i += kj == ki;
		} else {
			m->keys[m->nkeys++] = sw->keys[i++];
		}
	}
	return 0;
}

int sweep_expand(const struct sweep *sw, struct case_cfg **cases, int *ncases, char *err,
		 size_t errlen)
{
	struct case_cfg *out = NULL, *vc, *grown;
	int n = 0, vn, r = 0;

	if (!sw->nvar)
		return sweep_expand1(sw, cases, ncases, err, errlen);
	*cases = NULL;
	*ncases = 0;
	for (int v = 0; v < sw->nvar && !r; v++) {
		struct sweep m;

		r = sweep_merge(sw, v, &m);
		if (r) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		r = sweep_expand1(&m, &vc, &vn, err, errlen);
		free(m.keys);
		if (r)
			break;
		grown = n + vn > CONFIG_MAX_CASES ? NULL
						 : realloc(out, (size_t)(n + vn) * sizeof(*out));
		if (!grown) {
			snprintf(err, errlen, "[variant %s]: %s", sw->vname[v],
				 n + vn > CONFIG_MAX_CASES ? "the variants take the run over the "
							     "case limit (allowed: at most 100000 "
							     "cases)"
							   : "out of memory");
			free(vc);
			r = n + vn > CONFIG_MAX_CASES ? -EINVAL : -ENOMEM;
			break;
		}
		out = grown;
		for (int i = 0; i < vn; i++)
			snprintf(vc[i].variant, sizeof(vc[i].variant), "%s", sw->vname[v]);
		memcpy(out + n, vc, (size_t)vn * sizeof(*out));
		n += vn;
		free(vc);
	}
	if (r) {
		free(out);
		return r;
	}
	*cases = out;
	*ncases = n;
	return 0;
}

int sweep_varying(const struct sweep *sw, const char **keys, int max)
{
	int n = 0;

	for (int i = 0; i < sw->nkeys && n < max; i++)
		if (sw->keys[i].nvalues > 1)
			keys[n++] = sw->keys[i].key;
	return n;
}

/* ---- the host ---------------------------------------------------------- */

int cpu_online(int cpu, char *list, size_t len)
{
	char buf[1024], *p, *end;
	int found = 0;
	size_t n = 0;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	if (!n) /* no sysfs: what sysconf says, CPUs numbered from 0 */
		snprintf(buf, sizeof(buf), "0-%ld", sysconf(_SC_NPROCESSORS_ONLN) - 1);
	buf[strcspn(buf, "\n")] = '\0';
	if (list)
		snprintf(list, len, "%s", buf);
	for (p = buf; *p;) {
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			break;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (cpu >= lo && cpu <= hi)
			found = 1;
		p = *end == ',' ? end + 1 : end;
		if (*end != ',')
			break;
	}
	return found;
}

/* dir as an absolute path with ".", ".." and repeated slashes resolved
 * by name (the part that exists is then resolved through its links). */
static void path_normalize(const char *dir, char *out, size_t len)
{
	char buf[PATH_MAX * 2], *save = NULL, *tok;
	size_t n = 0;

	if (dir[0] == '/' || !getcwd(buf, PATH_MAX))
		buf[0] = '\0';
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%s", dir);
	out[0] = '\0';
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			while (n && out[n - 1] != '/')
				n--;
			if (n)
				n--;
			out[n] = '\0';
			continue;
		}
		n += (size_t)snprintf(out + n, len - n, "/%s", tok);
		if (n >= len)
			n = len - 1;
	}
	if (!n)
		snprintf(out, len, "/");
}

/* The results directory must be a directory, or creatable as one, and not
 * in a kernel file system: 0, or -EINVAL with what. */
static int results_dir_usable(const char *dir, char *what, size_t wlen)
{
	static const char *const kernel_fs[] = { "/proc", "/sys" };
	char abs[PATH_MAX], real[PATH_MAX];
	struct stat st;
	size_t n;

	path_normalize(dir, abs, sizeof(abs));
	/* The longest part of it that exists. */
	for (n = strlen(abs);;) {
		char part[PATH_MAX];

		snprintf(part, sizeof(part), "%.*s", (int)(n ? n : 1), abs);
		if (!stat(part, &st)) {
			if (!realpath(part, real))
				snprintf(real, sizeof(real), "%s", part);
			break;
		}
		while (n > 0 && abs[n - 1] != '/')
			n--;
		if (n > 0)
			n--;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kernel_fs); i++) {
		const char *fs = kernel_fs[i];
		size_t k = strlen(fs);

		if ((!strncmp(abs, fs, k) && (!abs[k] || abs[k] == '/')) ||
		    (!strncmp(real, fs, k) && (!real[k] || real[k] == '/'))) {
			snprintf(what, wlen, "'%s' is under %s, a kernel file system", dir, fs);
			return -EINVAL;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(what, wlen, "'%s' is %s: %.*s is %s, not a directory", dir,
			 n < strlen(abs) ? "not creatable" : "not a directory", (int)(n ? n : 1),
			 abs, S_ISREG(st.st_mode) ? "a regular file" : "a special file");
		return -EINVAL;
	}
	return 0;
}

int sweep_check_host(const struct sweep *sw, const struct case_cfg *cases, int ncases,
		     char *err, size_t errlen)
{
	static const char *const cpu_keys[] = { "cpu_a", "cpu_b", "switch_cpu" };
	char what[CONFIG_ERR_LEN], online[256];

	err[0] = '\0';
	if (sw->files && !sw->file_keys && !sweep_find(sw, "datapath")) {
		where(err, errlen, sw->path ? sw->path : "config", 0);
		bprintf(err, errlen,
			"key 'datapath': the config sets no key (allowed: a config that sets at "
			"least one key, or --set datapath=NAME with an empty one)");
		return -EINVAL;
	}
	for (int i = 0; i < ncases; i++) {
		const int cpu[] = { cases[i].cpu_a, cases[i].cpu_b, cases[i].switch_cpu };

		for (size_t k = 0; k < ARRAY_SIZE(cpu_keys); k++)
			if (cpu[k] >= 0 && !cpu_online(cpu[k], online, sizeof(online)))
				return cross_error(sw, err, errlen,
						   (const char *const[]){ cpu_keys[k], NULL },
						   "CPU %d is not online on this machine (allowed: "
						   "%s, or auto)",
						   cpu[k], online);
	}
	if (ncases > 0 && results_dir_usable(cases[0].results_dir, what, sizeof(what)))
		return cross_error(sw, err, errlen, (const char *const[]){ "results_dir", NULL },
				   "%s (allowed: a directory outside /proc and /sys)", what);
	return 0;
}
