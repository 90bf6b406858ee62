// SPDX-License-Identifier: BSD-3-Clause
/* User side of probes/bursts.bpf.c: see bursts_user.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bursts.h"
#include "bursts.skel.h"
#include "bursts_user.h"

struct bursts {
	struct bursts_bpf *skel;
	struct bpf_link *links[2 * BURSTS_MAX_EPS];
	int nlinks;
};

void bursts__destroy(struct bursts *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nlinks; i++)
		bpf_link__destroy(b->links[i]);
	bursts_bpf__destroy(b->skel);
	free(b);
}

struct bursts *bursts__attach(const pid_t *pids, int n, char *err, size_t len)
{
	char exe[PATH_MAX];
	struct bursts *b;
	ssize_t el;

	if (n > BURSTS_MAX_EPS) {
		snprintf(err, len, "usdt: at most %d endpoints", BURSTS_MAX_EPS);
		return NULL;
	}
	/* The endpoints run this very binary. */
	el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (el < 0) {
		snprintf(err, len, "usdt: /proc/self/exe: %s", strerror(errno));
		return NULL;
	}
	exe[el] = '\0';
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, len, "usdt: out of memory");
		return NULL;
	}
	b->skel = bursts_bpf__open_and_load();
	if (!b->skel) {
		snprintf(err, len, "usdt: load probes/bursts.bpf.c: %s", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		for (int rx = 0; rx < 2; rx++) {
			LIBBPF_OPTS(bpf_usdt_opts, o, .usdt_cookie = (__u64)(2 * i + rx));
			struct bpf_program *p = rx ? b->skel->progs.bl_rx_burst
						   : b->skel->progs.bl_tx_burst;
			struct bpf_link *l = bpf_program__attach_usdt(
				p, pids[i], exe, "bypasslab", rx ? "rx_burst" : "tx_burst", &o);

			if (!l) {
				snprintf(err, len, "usdt: attach bypasslab:%s to pid %d: %s",
					 rx ? "rx_burst" : "tx_burst", (int)pids[i],
					 strerror(errno));
				goto fail;
			}
			b->links[b->nlinks++] = l;
		}
	}
	return b;
fail:
	bursts__destroy(b);
	return NULL;
}

static json_t *dir_json(const struct burst_stats *s, uint64_t tsc_hz)
{
	json_t *h = json_array();

	for (int k = 0; k < BURSTS_LOG2; k++)
		json_array_append_new(h, json_integer((json_int_t)s->size_log2[k]));
	return json_pack("{s:I, s:I, s:I, s:I, s:f, s:o}", "calls", (json_int_t)s->calls, "empty",
			 (json_int_t)s->empty, "errors", (json_int_t)s->errors, "packets",
			 (json_int_t)s->pkts, "ns_per_call",
			 s->calls && tsc_hz ? (double)s->cycles * 1e9 / (double)tsc_hz /
						      (double)s->calls
					    : 0.0,
			 "size_log2", h);
}

json_t *bursts__json(struct bursts *b, int i, uint64_t tsc_hz)
{
	int fd = bpf_map__fd(b->skel->maps.bursts);
	struct burst_stats s[2];

	memset(s, 0, sizeof(s));
	for (int rx = 0; rx < 2; rx++) {
		__u32 k = (__u32)(2 * i + rx);

		if (bpf_map_lookup_elem(fd, &k, &s[rx]))
			return json_null();
	}
	return json_pack("{s:o, s:o}", "tx", dir_json(&s[0], tsc_hz), "rx",
			 dir_json(&s[1], tsc_hz));
}
