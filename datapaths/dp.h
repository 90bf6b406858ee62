/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Datapath ops: the only thing a backend implements. One shared engine
 * (engine.c) drives every datapath through this table, in the spirit of
 * testpmd's struct fwd_engine. probe, tx_burst and rx_burst are required;
 * a NULL hook means "nothing special".
 *
 * Buffers: for DP_CAP_L2 datapaths a pkt_buf holds a whole Ethernet frame
 * (no FCS); otherwise it holds the UDP payload and the kernel builds headers.
 * Bursts return a count (0..n) or -errno; everything else 0 or -errno.
 * Datapaths count their own system calls in ctx->st (tx_syscalls,
 * rx_syscalls) and never print on the hot path.
 */
#ifndef BL_DP_H
#define BL_DP_H

#include <stddef.h>
#include <stdint.h>
#include "shm.h"
#include "tsc.h"

struct pkt_buf {
	void *data;
	uint32_t len;
	uint64_t priv;
};

enum dp_caps {
	DP_CAP_L2 = 1u << 0,    /* buffers carry Ethernet frames; engine builds headers */
	DP_CAP_BATCH = 1u << 1, /* one call moves a whole burst */
	DP_CAP_ZC_TX = 1u << 2, /* alloc_tx hands out ring slots to fill in place */
	/* Moves packets with its own system calls, counted in tx_syscalls and
	 * rx_syscalls. Without it (a PMD) only the probes can count the calls,
	 * and the engine's TSC split is the whole cost. */
	DP_CAP_SYSCALLS = 1u << 3,
};

/* What the harness must build around a datapath's endpoints. */
enum dp_needs {
	/* Receivers take frames at the device tap, before IP: an nftables rule
	 * in every endpoint netns drops the workload's ports at prerouting so
	 * the UDP stack does not answer them too. The stack's drop counters
	 * then say nothing about our packets. */
	DP_NEED_NFT_GUARD = 1u << 0,
	/* An EAL per endpoint: hugepages and a port (harness/dpdk_case.c). */
	DP_NEED_EAL = 1u << 1,
	/* A userspace switch between the endpoints' ports stands for the
	 * bridge (the harness's dpdk_switch key picks which). */
	DP_NEED_SWITCH = 1u << 2,
	/* Every endpoint's veth receives in NAPI: GRO on it, TSO off on what
	 * transmits into it (topo_veth_napi). UDP GRO can then merge plain
	 * datagrams, and a busy-polling socket has a NAPI instance to poll. */
	DP_NEED_VETH_NAPI = 1u << 3,
};

/*
 * A datapath's own config keys (section [datapath]). The harness parses,
 * checks, lists (`bypasslab keys`) and echoes them (result.json params);
 * the endpoint finds each value in cfg->opt[] at the option's index in the
 * table. An enum's value is its word's index, a bool 0 or 1.
 */
enum dp_opt_type { DP_OPT_ENUM = 0, DP_OPT_BOOL, DP_OPT_INT };

struct dp_opt {
	const char *key;
	enum dp_opt_type type;
	const char *const *words; /* ENUM: NULL-terminated */
	long long min, max;       /* INT */
	const char *allowed;      /* as `bypasslab keys` and errors show it */
	const char *def;          /* the default, spelt as in a config file */
	const char *help;
	/* Asks the kernel for a feature (udp_segment, zerocopy): on a datapath
	 * without this key any value but the default is a config error naming
	 * both keys, and a sweep leaves such cases out when the default is
	 * among the key's values. Other keys are ignored where they do not
	 * apply. */
	int feature;
};

/* Options one datapath may have (ep_config.opt[]). */
#define DP_MAX_OPTS EP_NOPTS

/* A drop counter on the path, for the loss reconciliation: the sum of
 * these ep_kstats fields, reported as "<endpoint>.<name>". */
struct dp_drop {
	const char *name;
	int n;
	size_t off[4];
};

#define DP_KS(f) offsetof(struct ep_kstats, f)
#define DP_DROP(name_, ...)                                                    \
	{                                                                      \
		.name = (name_),                                               \
		.n = (int)(sizeof((size_t[]){ __VA_ARGS__ }) / sizeof(size_t)), \
		.off = { __VA_ARGS__ },                                        \
	}

/* Driver counters an endpoint's result shows: an object `name` of the
 * ep_kstats fields listed, inside the endpoint's `parent` object
 * ("kernel_drops"), or in the endpoint itself when parent is NULL. */
struct dp_kfield {
	const char *name;
	size_t off;
};

struct dp_kgroup {
	const char *parent;
	const char *name;
	const struct dp_kfield *fields; /* ends at a NULL name */
};

/* What a cross-key check sees of a case besides the datapath's options. */
struct dp_case {
	int bridge;        /* topology=bridge (else direct) */
	int container;     /* endpoints in containers (else plain netns) */
	unsigned int pairs;
	int blocking;
	int pingpong;      /* pattern=pingpong (else throughput) */
	unsigned int size; /* RFC 2544 frame size */
	unsigned int burst;
	const int64_t *opt; /* this datapath's options, in its table's order */
};

struct dp_ctx {
	const struct ep_config *cfg;
	struct ep_stats *st; /* shared counters (single writer: this thread) */
	struct ep_shm *shm;  /* for dp_info */
	int ifindex;
	void *priv; /* priv_size bytes, zeroed */
};

/* A kernel feature one of a datapath's options asks for, probed here. */
struct dp_feature {
	const char *key;  /* the option */
	const char *what; /* what was tried */
	int err;          /* 0 or -errno */
};

struct dp_ops {
	const char *name;
	const char *desc;
	unsigned int caps;  /* enum dp_caps */
	unsigned int needs; /* enum dp_needs */
	const struct dp_opt *opts;      /* ends at a NULL key; NULL: none */
	const struct dp_drop *drops;    /* ends at a NULL name; NULL: none */
	const struct dp_kgroup *kgroups; /* ends at a NULL name; NULL: none */
	/* Case-level questions, asked by the harness before anything runs. */
	/* 0, or the keys to blame (NULL-terminated) with msg saying why. */
	const char *const *(*check)(const struct dp_case *dc, char *msg, size_t len);
	/* 1 when a burst (and ping-pong's window) must fit ring_frames. */
	int (*ring)(const int64_t *opt);
	/* 0 when no frame crosses the endpoint's kernel interface. NULL: 1. */
	int (*kernel_ifs)(const int64_t *opt);
	/* Needs beyond `needs` that depend on the case. */
	unsigned int (*case_needs)(const struct dp_case *dc);
	/* An enum option whose word names the variant in tables: "dpdk-vhost". */
	const char *label_opt;
	size_t priv_size;
	int (*probe)(void);
	/* The kernel features its options ask for, each tried on a throwaway
	 * socket or ring (`bypasslab probe`): how many rows filled. */
	int (*features)(struct dp_feature *f, int max);
	int (*open)(struct dp_ctx *ctx);
	void (*close)(struct dp_ctx *ctx);
	int (*alloc_tx)(struct dp_ctx *ctx, struct pkt_buf *bufs, int n);
	int (*tx_burst)(struct dp_ctx *ctx, struct pkt_buf *bufs, int n);
	int (*rx_burst)(struct dp_ctx *ctx, struct pkt_buf *bufs, int max);
	void (*release)(struct dp_ctx *ctx, struct pkt_buf *bufs, int n);
	int (*kstats)(struct dp_ctx *ctx, struct ep_kstats *ks);
	/* 1 when the port can carry traffic, 0 not yet (polled before RUN). */
	int (*link)(struct dp_ctx *ctx);
};

/* NULL-terminated registry (dp.c). */
extern const struct dp_ops *const dp_table[];
const struct dp_ops *dp_find(const char *name);
/*
 * Every datapath's options in registry order, as one list of keys: a key
 * several datapaths have (udp_segment on udp, mmsg and uring) is one key,
 * described by its first row; their rows must agree (the unit tests say
 * so). How many keys, the g-th (and the first datapath that has it), the
 * key of ops' option j, and ops' row of a key (-1: it has none).
 */
int dp_opt_total(void);
const struct dp_opt *dp_opt_at(int g, const struct dp_ops **owner);
int dp_opt_index(const struct dp_ops *ops, int j);
int dp_opt_row(const struct dp_ops *ops, const char *key);
int dp_nopts(const struct dp_ops *ops);

/* Account one timed system call (single writer: the endpoint thread). */
static inline void dp_sys_add(struct ep_stats *st, unsigned int nr, uint64_t cyc)
{
	for (unsigned int i = 0; i < EP_NSYS; i++) {
		struct ep_sys *s = &st->sys[i];

		if (s->nr == nr + 1ull || !s->nr) {
			s->nr = nr + 1ull;
			s->calls++;
			s->cyc += cyc;
			return;
		}
	}
	st->sys_untimed++;
}

/* Make a system call (or a library call that may make it) timed on the TSC
 * and accounted under syscall number nr; evaluates to the call's result,
 * errno untouched. */
#define DP_SYSCALL(ctx, nr, call)                                              \
	({                                                                     \
		uint64_t t0_ = tsc_now();                                      \
		__typeof__(call) r_ = (call);                                  \
		dp_sys_add((ctx)->st, (nr), tsc_now() - t0_);                  \
		r_;                                                            \
	})

/* Largest burst any datapath accepts. */
#define DP_MAX_BURST 256

#endif
