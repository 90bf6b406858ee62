/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a datapath=dpdk case needs around its endpoints: hugepages, a
 * directory for its vhost-user/memif sockets (/run/bypasslab/<prefix>-dk),
 * every endpoint's EAL command line with its own --file-prefix (whose
 * hugepage files and runtime directory are run-state objects before the
 * endpoint starts), and for dpdk_port=vhost with topology=bridge the switch
 * between the two endpoints (harness/vswitch.c).
 *
 * Order in a case: dpdk_case_prepare, dpdk_case_eal for each endpoint,
 * start the endpoints, dpdk_case_switch_start, wait for every endpoint's
 * link, run, stop the endpoints, dpdk_case_switch_stop, dpdk_case_json,
 * dpdk_case_teardown (idempotent; also after any failure).
 *
 * sriov: the PF gets as many VFs as the case has endpoints (sriov_numvfs),
 * each bound to vfio-pci and given to one endpoint's EAL by PCI address.
 * VFs stay created and bound after the run, as after `dpdk-devbind`: they
 * are the machine's configuration, not run objects.
 */
#ifndef BL_DPDK_CASE_H
#define BL_DPDK_CASE_H

#include <jansson.h>
#include <limits.h>

#include "config.h"
#include "hugepages.h"
#include "runstate.h"
#include "topo.h"
#include "vswitch.h"

#define DPDK_EP_MEM_MB 128 /* EAL -m per endpoint */

struct dpdk_case {
	int active;
	int port;       /* enum dpdk_port_kind (shm.h) */
	int via_switch; /* vhost through a switch */
	int nep;
	unsigned int sw_cpu;
	char prefix[16];
	char sockdir[64]; /* short: socket paths have 108 bytes */
	char fp[2 * TOPO_MAX_PAIRS][32]; /* each endpoint's --file-prefix */
	char eal[2 * TOPO_MAX_PAIRS][768];
	char sock[2 * TOPO_MAX_PAIRS][108];
	char vf_pci[2 * TOPO_MAX_PAIRS][32]; /* sriov: each endpoint's VF */
	char pf[32];
	struct hugepages hp;
	int hp_ok;
	struct vswitch sw;
	int sw_up, sw_stats_ok;
	struct vswitch_port_stats sw_st[2];
	long pages;
};

/* Hugepages and the socket directory. 0 or -errno with one line in msg. */
int dpdk_case_prepare(struct dpdk_case *d, const struct case_cfg *c, struct runstate *rs,
		      const char *prefix, int nep, char *msg, size_t len);
/* Endpoint i's EAL line (into d->eal[i]), recording its hugepage files and
 * runtime directory first. tag: "a", "b", "a1", ... 0 or -errno. */
int dpdk_case_eal(struct dpdk_case *d, const struct case_cfg *c, const struct topo *t, int i,
		  const char *tag, unsigned int cpu, struct runstate *rs);
/* The switch, when the case has one (no-op otherwise). */
int dpdk_case_switch_start(struct dpdk_case *d, const struct case_cfg *c, struct runstate *rs,
			   char *msg, size_t len);
/* The switch's counters now (OVS; testpmd only has them at stop). */
void dpdk_case_switch_snapshot(struct dpdk_case *d);
void dpdk_case_switch_stop(struct dpdk_case *d, struct runstate *rs);
/* {"port":..., "switch":{...}|null, "eal":{"a":"...",...}, "hugepages":{...}} */
json_t *dpdk_case_json(const struct dpdk_case *d, const char *const *tags);
/* Remove everything the case created (endpoints must have exited). */
void dpdk_case_teardown(struct dpdk_case *d, struct runstate *rs);
/* Before anything is created: every dpdk_port=sriov case's PF must exist
 * with VFs and vfio-pci must be loaded. 0, or -ENODEV/... with one line in
 * msg ("dpdk_port=sriov: no SR-IOV capable NIC (...)"). */
int dpdk_sriov_preflight(const struct case_cfg *cases, int n, char *msg, size_t len);

#endif
