/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * topology = hosts in a case: both sides through agents (ep_remote.h), one
 * per host, `local` included. case.c runs its phases as for any topology;
 * these are the phases' hosts-only parts: the agents and their interfaces,
 * the mirrors, the probes on each host, the path's counters from the
 * agents' snapshots, and what result.json says of the hosts.
 */
#ifndef BL_HOSTS_H
#define BL_HOSTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct case_run;
struct case_cfg;
struct path_counters;
struct ep_shm;

/* Agents started, each side's interface lent there, neighbours set: cr->t
 * describes both sides. -1 with the case's status and error set. */
int hosts_up(struct case_run *cr);
/* The page that mirrors ep's page on its host (unmapped as a local one
 * is), NULL if none could be mapped. */
struct ep_run;
struct ep_shm *hosts_mirror(struct ep_run *ep);
/* usdt = yes and the probes: each agent attaches to its endpoint and core. */
int hosts_probes_up(struct case_run *cr);
void hosts_probes_stats(struct case_run *cr, int on);
/* Each host's breakdown, its cores labelled with the host, as one. */
json_t *hosts_probes_json(struct case_run *cr);
/* Sleep ms as hsleep_ms does, refreshing the mirrors every second: an
 * agent whose running endpoint hears nothing for AGENT_SILENCE_MS takes
 * the harness for lost (a network gone, an ssh session its server has not
 * noticed the end of) and tears its side down. */
int hosts_sleep_ms(struct case_run *cr, int ms);
/* usdt = yes: each endpoint's bursts, as its agent's final message
 * brought them, into the result input (taken over). */
void hosts_usdt(struct case_run *cr);
/* The path's counters as the last refresh brought them. */
void hosts_path_counters(const struct case_run *cr, struct path_counters *pc);
/* Other runs' prefixes less the case's own agents' (which live on a
 * shared host as runs of their own). */
void hosts_filter_runs(const struct case_run *cr, char *runs);
/* result.json's topology.hosts. */
json_t *hosts_json(const struct case_run *cr);
/* Every agent told to tear down, waited for, gone. */
void hosts_down(struct case_run *cr);
/* `run`: each distinct host of the hosts cases reachable, at this version,
 * and its interface free there. 0, or -EINVAL with one line in err
 * ("FILE:LINE: key 'host_b': ..."). */
struct sweep;
int hosts_preflight(const struct sweep *sw, const struct case_cfg *cases, int n, char *err,
		    size_t len);

#endif
