/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run configuration: an INI file (libinih) whose keys may hold one value, a
 * list "64,512,1500" or a range "start..step..end" (or "start..end", step 1).
 * The cases are the Cartesian product of every key's values, times `repeat`.
 * --set key=v1,v2 overrides use the same parser. Every error names the file,
 * line, key and what is allowed, and nothing is created before all cases are
 * expanded and validated.
 */
#ifndef BL_CONFIG_H
#define BL_CONFIG_H

#include <stdint.h>
#include <stddef.h>

struct dp_ops;
struct dp_case;

enum topo_kind { TOPO_BRIDGE = 0, TOPO_DIRECT, TOPO_IFACE, TOPO_HOSTS };
enum container_kind { CONTAINER_NETNS = 0, CONTAINER_LXC };
enum pattern_kind { PAT_THROUGHPUT = 0, PAT_PINGPONG };
/* sample: cpu-clock sampling only; both: aggregate tracepoints + sampling. */
enum probes_mode { PROBES_OFF = 0, PROBES_AGGREGATE, PROBES_PATH, PROBES_SAMPLE, PROBES_BOTH };
enum cfg_switch { CFG_SWITCH_TESTPMD = 0, CFG_SWITCH_OVS };
/* search: bits of the rates an RFC 2544 search finds (0 = no search). */
enum search_goal_bits { SEARCH_NDR = 1u << 0, SEARCH_PDR = 1u << 1 };
/* rate = P%ndr | P%pdr: a fraction of a searched rate (rate_of). */
enum rate_ref { RATE_ABS = 0, RATE_OF_NDR, RATE_OF_PDR };

/* Datapath options over all datapaths (the unit tests check they fit). */
#define CFG_MAX_DP_OPTS 32

#define CFG_VARIANT_LEN 32
#define CFG_MAX_VARIANTS 64 /* [variant NAME] sections in one file */

/* One fully parsed, validated case. */
struct case_cfg {
	/* [run] */
	char name[64];
	char variant[CFG_VARIANT_LEN]; /* its [variant NAME], "" without */
	unsigned int repeat;     /* total repetitions of each case */
	unsigned int rep;        /* 0-based repetition index of this case */
	double duration_s;       /* measurement window */
	double warmup_s;         /* before the window opens */
	char results_dir[256];
	int exclusive;           /* wait for (then refuse) other live runs */
	double exclusive_wait_s; /* how long exclusive waits */
	/* [workload] */
	int pattern;             /* enum pattern_kind */
	unsigned int size;       /* RFC 2544 frame size incl. FCS, 64..1518 */
	uint64_t rate_pps;       /* 0 = max */
	unsigned int burst;      /* 1..DP_MAX_BURST */
	int blocking;
	int touch;
	int verify;              /* L2 datapaths: check every received frame's checksums */
	unsigned int timeout_us; /* ping-pong reply timeout */
	unsigned int outstanding;
	int rate_of;             /* enum rate_ref: rate_pct % of the searched NDR/PDR */
	double rate_pct;         /* rate_of != RATE_ABS: 0.1..1000 */
	unsigned int search;     /* enum search_goal_bits */
	double search_loss_pct;  /* PDR: loss allowed, % of the packets sent */
	double search_trial_s;   /* each search trial's window */
	double search_final_s;   /* the confirming trial's window */
	double search_precision_pct; /* stop when hi - lo <= this % of hi */
	uint64_t search_max_pps; /* 0 = the rate=max throughput of a first trial */
	/* [topology] */
	int topology;            /* enum topo_kind */
	int cpu_a;               /* sender/client CPU, -1 = auto */
	int cpu_b;               /* receiver/server CPU, -1 = auto */
	unsigned int pairs;      /* endpoint pairs, 1..TOPO_MAX_PAIRS */
	int container;           /* enum container_kind */
	char topo_hook[256];     /* shell command run once the topology is up, "" = none */
	/* topology=iface: two existing interfaces (harness/iface.h) */
	char iface_a[16], iface_b[16];
	char ip_a[24], ip_b[24]; /* "keep" or "A.B.C.D[/P]" */
	char mac_b[18];          /* "" = iface_b's own */
	/* topology=hosts: each side on a host of its own, driven by a
	 * `bypasslab agent` there (harness/agent.c, ep_remote.c) */
	char host_a[128], host_b[128]; /* "local" or an OpenSSH [user@]host[:port] */
	char ssh_options[512];   /* passed to ssh, split on blanks; "" = none */
	char remote_bin[256];    /* the bypasslab binary on a remote host */
	int force;               /* iface/hosts: lend an interface that carries the default route */
	/* [datapath] */
	char datapath[16];
	unsigned int sndbuf, rcvbuf; /* 0 = kernel default */
	unsigned int ring_frames;
	/* Every datapath's own options (struct dp_opt), in dp_opt_at() order:
	 * a sweep may name several datapaths, and each keeps its values. */
	int64_t dp_opt[CFG_MAX_DP_OPTS];
	/* The harness's keys for what it builds around DPDK endpoints. */
	int dpdk_switch;         /* enum cfg_switch: with dpdk_port=vhost, topology=bridge */
	int switch_cpu;          /* -1 = auto */
	char sriov_pf[32];       /* PF netdev or PCI address, "" = any */
	/* [probes] */
	int probes;              /* enum probes_mode */
	int usdt;                /* count every burst through the endpoints' USDT probes */
	double probe_duty;           /* fraction of each second the probes are attached */
	int probe_light;             /* probe_detail: 0 full, 1 light */
	unsigned int inject_user_ns; /* calibration: user spin per packet */
	int inject_syscall;          /* calibration: one getppid() per packet */
	unsigned int sample_hz;  /* probes=sample|both: cpu-clock samples per second per core */
};

struct sweep_key {
	const char *key;   /* canonical key name from the schema */
	char file[256];    /* where the value came from ("--set" for overrides) */
	int line;
	char **values;     /* expanded list, in order */
	int nvalues;
};

struct sweep {
	struct sweep_key *keys; /* only keys that were set, in schema order */
	int nkeys;
	char *path;             /* first config file loaded: the default case name */
	/* [variant NAME] sections, in file order: each is a sweep of its own,
	 * the keys above with its keys in their place; the run is the cases
	 * of every variant, one after the other. None: the keys above alone. */
	struct sweep *var;
	char (*vname)[CFG_VARIANT_LEN];
	int nvar;
	int files, file_keys;   /* config files loaded, keys they set */
};

/* topology=iface: the addresses lent interfaces get unless told. */
#define CFG_IP_A "198.18.0.1/24"
#define CFG_IP_B "198.18.0.2/24"

/* Error text buffer size used throughout. */
#define CONFIG_ERR_LEN 512
/* Limits that keep a typo from turning into a week-long run. */
#define CONFIG_MAX_RANGE 10000  /* values one range may expand to */
#define CONFIG_MAX_CASES 100000 /* cases in a sweep, repetitions included */

void sweep_init(struct sweep *sw);
void sweep_free(struct sweep *sw);
/* Load an INI file. Returns 0 or -EINVAL with err filled:
 * "FILE:LINE: key 'K': WHAT (allowed: ...)" (-errno if the file cannot be
 * read, -ENOMEM). On error the sweep is left as it was. */
int config_load(struct sweep *sw, const char *path, char *err, size_t errlen);
/* Apply "key=v1,v2" (same value syntax); replaces the key's values.
 * Errors read "--set: key 'K': WHAT (allowed: ...)". */
int config_set(struct sweep *sw, const char *kv, char *err, size_t errlen);
/* Expand the product into *cases (malloc'd; caller frees). Keys go in
 * config_keys[] order, the last one varying fastest; repetitions are
 * innermost. Every case is validated (values and cross-key constraints)
 * before returning; at most CONFIG_MAX_CASES cases. */
int sweep_expand(const struct sweep *sw, struct case_cfg **cases, int *ncases, char *err,
		 size_t errlen);
/* "FILE:LINE: key 'K': " for the first of keys (NULL-terminated) the
 * sweep sets (keys[0] and the config file alone if none), for errors found
 * after the sweep was expanded. */
void config_key_where(const struct sweep *sw, const char *const *keys, char *buf, size_t len);
/* What the config needs that no single value can say, checked before a
 * run creates anything: a loaded file that sets no key is refused unless
 * --set names the datapath; every CPU a case names is online here; the
 * results directory is not under /proc or /sys and is (or can become) a
 * directory. Errors name the file, line and key as config_load's do. */
int sweep_check_host(const struct sweep *sw, const struct case_cfg *cases, int ncases,
		     char *err, size_t errlen);
/* Whether cpu is in the online set (/sys/devices/system/cpu/online);
 * with list, that set as text ("0-1"). */
int cpu_online(int cpu, char *list, size_t len);
/* Defaults for every key. */
void case_defaults(struct case_cfg *c);
/* Names of the keys that have more than one value (for case labels), in
 * schema order; returns how many were stored (at most max). */
int sweep_varying(const struct sweep *sw, const char **keys, int max);

/* The schema, for docs and `bypasslab keys`: the harness's keys and, in
 * their place in [datapath], every datapath's own (datapath set). */
struct config_key_info {
	const char *key;
	const char *section;
	const char *allowed; /* human text: "64..1518", "udp|mmsg|packet|uring|xdp" */
	const char *def;
	const char *help;
	const char *datapath; /* the datapath the key belongs to, NULL: the harness's */
};
int config_nkeys(void);
/* Key k (0 .. config_nkeys() - 1) in schema order; -ENOENT past the end. */
int config_key(int k, struct config_key_info *info);

/* The case's datapath, NULL if it is not built in. */
const struct dp_ops *case_dp(const struct case_cfg *c);
/* The value of datapath option `key` in c (-1 if there is no such option). */
int64_t case_dp_opt(const struct case_cfg *c, const char *key);
/* The case as its datapath's hooks see it; opt holds DP_MAX_OPTS values. */
void case_dp_view(const struct case_cfg *c, struct dp_case *dc, int64_t *opt);
/* enum dp_needs of the case's datapath with these options. */
unsigned int case_needs(const struct case_cfg *c);

const char *topo_name(int t);
const char *container_name(int c);
const char *pattern_name(int p);
const char *probes_name(int p);
const char *switch_name(int s);
/* "none", "ndr", "pdr", "ndr,pdr" */
const char *search_name(unsigned int bits);
/* "ndr" / "pdr" for RATE_OF_*, NULL for RATE_ABS */
const char *rate_ref_name(int r);

#endif
