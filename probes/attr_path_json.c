// SPDX-License-Identifier: BSD-3-Clause
/*
 * probes=path: the per-packet stage latencies of path.bpf.c as the "path"
 * object of the attribution: hop histograms per direction and together,
 * the one-way total, and what happened to the packets followed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "attr.h"
#include "attr_priv.h"
#include "path.h"

static const char *const path_stage[PATH_NSTAGES] = {
	"sender syscall entry",	 "sender eth0 queue",	    "sender bridge port receive",
	"receiver bridge port queue", "receiver eth0 receive", "receiving socket queued",
	"receiving call returned",
};

/* What the hop into each stage covers. */
static const char *const path_into[PATH_NSTAGES] = {
	"",
	"left the sender's socket layer",
	"crossed the sender veth",
	"bridge forwarding done",
	"crossed the receiver veth",
	"queued to the socket (IP/UDP receive)",
	"waited in the socket, dequeued and copied to user",
};

struct phist {
	uint64_t count, sum;
	uint64_t b[PATH_NBUCKETS];
};

/* Window delta of one slot, summed over CPUs and the directions in dirs
 * (bit 0: a -> b, bit 1: b -> a). */
static void phist_delta(const struct attr *a, const struct attr_snap *o,
			const struct attr_snap *c, unsigned int dirs, unsigned int slot,
			struct phist *out)
{
	memset(out, 0, sizeof(*out));
	for (int cpu = 0; cpu < a->ncpus; cpu++) {
		for (unsigned int d = 0; d < PATH_NDIRS; d++) {
			size_t i = ((size_t)cpu * PATH_NDIRS + d) * PATH_NSLOTS + slot;
			const struct path_hist *ho = &o->phist[i], *hc = &c->phist[i];

			if (!(dirs & (1u << d)))
				continue;
			out->count += hc->count - ho->count;
			out->sum += hc->sum - ho->sum;
			for (int k = 0; k < PATH_NBUCKETS; k++)
				out->b[k] += hc->b[k] - ho->b[k];
		}
	}
}

/* Bucket k covers [lo, hi) ns; see path.h. */
static void pbucket_bounds(unsigned int k, uint64_t *lo, uint64_t *hi)
{
	unsigned int e, sub;

	if (k < PATH_SUB) {
		*lo = k;
		*hi = k + 1;
		return;
	}
	e = (k - PATH_SUB) / PATH_SUB + PATH_SUB_BITS;
	sub = (k - PATH_SUB) % PATH_SUB;
	*lo = (uint64_t)(PATH_SUB + sub) << (e - PATH_SUB_BITS);
	*hi = (uint64_t)(PATH_SUB + sub + 1) << (e - PATH_SUB_BITS);
}

/* Nearest rank; the bucket's midpoint (its lower bound for the last one). */
static double phist_pct(const struct phist *h, double p)
{
	uint64_t rank, seen = 0, lo, hi;

	if (!h->count)
		return 0;
	rank = (uint64_t)((double)h->count * p / 100.0 + 0.999999);
	if (rank < 1)
		rank = 1;
	for (unsigned int k = 0; k < PATH_NBUCKETS; k++) {
		seen += h->b[k];
		if (seen >= rank) {
			pbucket_bounds(k, &lo, &hi);
			if (k == PATH_NBUCKETS - 1)
				return (double)lo;
			return k < PATH_SUB ? (double)lo : ((double)lo + (double)hi) / 2.0;
		}
	}
	return 0;
}

static json_t *phist_json(const struct phist *h)
{
	return json_pack("{s:I, s:f, s:f, s:f, s:f}", "count", (json_int_t)h->count, "mean_ns",
			 h->count ? (double)h->sum / (double)h->count : 0.0, "p50_ns",
			 phist_pct(h, 50), "p90_ns", phist_pct(h, 90), "p99_ns",
			 phist_pct(h, 99));
}

uint64_t attr_pev_delta(const struct attr *a, const struct attr_snap *o,
			const struct attr_snap *c, int cpu, unsigned int ev)
{
	uint64_t n = 0;

	for (int i = 0; i < a->ncpus; i++) {
		if (cpu >= 0 && i != cpu)
			continue;
		n += c->pevs[(size_t)i * PATH_NEV + ev] - o->pevs[(size_t)i * PATH_NEV + ev];
	}
	return n;
}

/* Hops in path order (by from, then to) and the one-way total, for the
 * directions in dirs. */
static json_t *path_hops_json(const struct attr *a, const struct attr_snap *o,
			      const struct attr_snap *c, unsigned int dirs, json_t **one_way)
{
	json_t *hops = json_array();
	double mean[PATH_NSTAGES][PATH_NSTAGES] = { { 0 } }, chain = 0;
	uint64_t cnt[PATH_NSTAGES][PATH_NSTAGES] = { { 0 } };
	struct phist *h = malloc(sizeof(*h));
	int st = -1;

	*one_way = NULL;
	if (!h)
		return hops;
	for (unsigned int f = 0; f < PATH_NSTAGES; f++) {
		for (unsigned int t = f + 1; t < PATH_NSTAGES; t++) {
			char what[160];
			json_t *j;

			phist_delta(a, o, c, dirs, f * PATH_NSTAGES + t, h);
			if (!h->count)
				continue;
			cnt[f][t] = h->count;
			mean[f][t] = (double)h->sum / (double)h->count;
			if (st < 0)
				st = (int)f;
			if (t == f + 1)
				snprintf(what, sizeof(what), "%s", path_into[t]);
			else if (f == PATH_ST_QUEUE && t == PATH_ST_RECV)
				snprintf(what, sizeof(what), "crossed the veth pair");
			else
				snprintf(what, sizeof(what), "%s ... %s", path_into[f + 1],
					 path_into[t]);
			j = phist_json(h);
			json_object_set_new(j, "from", json_string(path_stage[f]));
			json_object_set_new(j, "to", json_string(path_stage[t]));
			json_object_set_new(j, "what", json_string(what));
			json_array_append_new(hops, j);
		}
	}
	/* Sum of the means along the path most packets took: from the first
	 * stage, always the most used hop onwards. */
	while (st >= 0 && st < PATH_ST_USER) {
		int next = -1;

		for (int t = st + 1; t < PATH_NSTAGES; t++)
			if (cnt[st][t] && (next < 0 || cnt[st][t] > cnt[st][next]))
				next = t;
		if (next < 0)
			break;
		chain += mean[st][next];
		st = next;
	}
	phist_delta(a, o, c, dirs, PATH_SLOT_ONE_WAY, h);
	*one_way = phist_json(h);
	json_object_set_new(*one_way, "sum_of_hop_means_ns", json_real(chain));
	json_object_set_new(*one_way, "to", json_string(path_stage[PATH_ST_USER]));
	free(h);
	return hops;
}

json_t *attr_path_json(const struct attr *a, const struct attr_snap *o,
		       const struct attr_snap *c)
{
	static const char *const dir_name[PATH_NDIRS] = { "a->b", "b->a" };
	/* What became of the packets followed, beyond the counts per stage. */
	static const struct {
		const char *key;
		unsigned int ev;
	} pk_evs[] = {
		{ "dropped_before_socket", PATH_EV_DROPPED },
		{ "restarted", PATH_EV_RESTART },
		{ "untracked_deliveries", PATH_EV_UNTRACKED },
		{ "received_before_delivery_seen", PATH_EV_EARLY },
		{ "received_before_delivery_completed", PATH_EV_LATE_DONE },
		{ "lost_from_socket_ring", PATH_EV_LOST },
		{ "sockets_without_ring", PATH_EV_NO_RING },
	};
	json_t *j = json_object(), *dirs = json_array(), *one_way, *pk;
	uint64_t started = 0, done = 0, from_sys = 0, sock = 0, events;
	unsigned int seen = 0;

	for (unsigned int d = 0; d < PATH_NDIRS; d++) {
		uint64_t n = attr_pev_delta(a, o, c, -1, PATH_EV_START + d);
		json_t *dj, *hops;

		started += n;
		done += attr_pev_delta(a, o, c, -1, PATH_EV_DONE + d);
		sock += attr_pev_delta(a, o, c, -1, PATH_EV_SOCK + d);
		from_sys += attr_pev_delta(a, o, c, -1, PATH_EV_FROM_SYSCALL + d);
		if (!n)
			continue;
		seen |= 1u << d;
		hops = path_hops_json(a, o, c, 1u << d, &one_way);
		dj = json_pack("{s:s, s:I, s:I, s:o, s:o}", "dir", dir_name[d], "packets",
			       (json_int_t)n, "completed",
			       (json_int_t)attr_pev_delta(a, o, c, -1, PATH_EV_DONE + d), "hops",
			       hops, "one_way_ns", one_way ? one_way : json_null());
		json_array_append_new(dirs, dj);
	}
	/* Both directions together (ping-pong: requests and replies). */
	json_object_set_new(j, "hops", path_hops_json(a, o, c, seen, &one_way));
	json_object_set_new(j, "one_way_ns", one_way ? one_way : json_null());
	events = attr_pev_delta(a, o, c, -1, PATH_EV_EVENTS);
	json_object_set_new(j, "events_per_pkt",
			    json_real(started ? (double)events / (double)started : 0.0));
	pk = json_object();
	json_object_set_new(pk, "followed", json_integer((json_int_t)started));
	json_object_set_new(pk, "from_syscall", json_integer((json_int_t)from_sys));
	json_object_set_new(pk, "to_socket", json_integer((json_int_t)sock));
	json_object_set_new(pk, "to_user", json_integer((json_int_t)done));
	for (size_t i = 0; i < sizeof(pk_evs) / sizeof(pk_evs[0]); i++)
		json_object_set_new(pk, pk_evs[i].key,
				    json_integer((json_int_t)attr_pev_delta(a, o, c, -1,
									    pk_evs[i].ev)));
	json_object_set_new(j, "packets", pk);
	json_object_set_new(j, "directions", dirs);
	json_object_set_new(j, "attach", json_string(a->pattach));
	json_object_set_new(j, "programs", json_integer(a->nplinks));
	json_object_set_new(j, "missing_tracepoints", json_string(a->pmissing));
	json_object_set_new(
		j, "method",
		json_string("skb address followed in an LRU hash between stage tracepoints; stage 0 "
			    "= the sending thread's system call entry (net_dev_queue inside it); "
			    "stage 5 = sk_data_ready, for the skb this CPU last passed to "
			    "netif_receive_skb on the receiver's eth0; stage 6 = sock_recv_length "
			    "(the receiving call returning with the datagram), paired with the "
			    "socket's deliveries in queue order: the skb itself is freed later, "
			    "on the sending CPU, by skb_attempt_defer_free. Histograms: 16 linear "
			    "buckets per octave (<= 6.25 % wide), percentiles at bucket "
			    "midpoints"));
	return j;
}
