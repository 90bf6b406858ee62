/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BL_HARNESS_H
#define BL_HARNESS_H

#include <stdint.h>
#include <jansson.h>

#include "analysis.h" /* do_report, do_compare */
#include "exitcode.h"

int do_run(int argc, char **argv);
int do_cleanup(int argc, char **argv);
int agent_main(int argc, char **argv);
int do_probe(int argc, char **argv);
int do_keys(int argc, char **argv);
int do_topo(int argc, char **argv);

/* Facts about this machine recorded with every result. */
json_t *sysinfo_json(uint64_t tsc_hz);

/* Per-netns kernel counters read from inside the namespace. */
struct ns_counters {
	uint64_t udp_in, udp_noports, udp_inerrors, udp_rcvbuf_errors, udp_sndbuf_errors;
	uint64_t ip_in_receives, ip_in_discards, ip_in_hdr_errors, ip_in_addr_errors;
	uint64_t ip_out_requests, ip_out_discards;
};
int ns_counters_read(struct ns_counters *c); /* of the calling thread's netns */
/* setns into /run/netns/NAME (or an absolute path), call fn, setns back. */
int netns_visit(const char *ns, int (*fn)(void *), void *arg);
uint64_t softnet_dropped(void);

/* Process CPU time (utime/stime from /proc/PID/stat, run time from schedstat). */
struct proc_cpu {
	uint64_t utime_ns, stime_ns, run_ns, wait_ns, nvcsw, nivcsw;
};
int proc_cpu_read(pid_t pid, struct proc_cpu *c);

#endif
