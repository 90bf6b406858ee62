// SPDX-License-Identifier: BSD-3-Clause
/* Machine facts and kernel counters the harness reads around each case. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "build_version.h" /* generated: BL_VERSION */
#include "harness.h"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

json_t *sysinfo_json(uint64_t tsc_hz)
{
	struct utsname u;
	char model[256] = "unknown", line[512], v[64];
	json_t *o = json_object();
	FILE *f;

	if (!uname(&u)) {
		json_object_set_new(o, "kernel", json_string(u.release));
		json_object_set_new(o, "arch", json_string(u.machine));
		json_object_set_new(o, "hostname", json_string(u.nodename));
	}
	f = fopen("/proc/cpuinfo", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "model name", 10)) {
				char *p = strchr(line, ':');

				if (p) {
					snprintf(model, sizeof(model), "%s", p + 2);
					model[strcspn(model, "\n")] = 0;
				}
				break;
			}
		}
		fclose(f);
	}
	json_object_set_new(o, "cpu_model", json_string(model));
	json_object_set_new(o, "cpus_online", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(o, "tsc_hz", json_integer((json_int_t)tsc_hz));
	/* Bridged IPv4 traffic pays a netfilter hook when this is 1. */
	if (!read_line("/proc/sys/net/bridge/bridge-nf-call-iptables", v, sizeof(v)))
		json_object_set_new(o, "bridge_nf_call_iptables", json_integer(atoi(v)));
	else
		json_object_set_new(o, "bridge_nf_call_iptables", json_null());
	if (!read_line("/proc/sys/net/core/netdev_max_backlog", v, sizeof(v)))
		json_object_set_new(o, "netdev_max_backlog", json_integer(atoi(v)));
	if (!read_line("/proc/sys/net/core/rmem_default", v, sizeof(v)))
		json_object_set_new(o, "rmem_default", json_integer(atoi(v)));
	if (!read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource", v,
		       sizeof(v)))
		json_object_set_new(o, "clocksource", json_string(v));
	json_object_set_new(o, "bypasslab_version", json_string(BL_VERSION));
	return o;
}

static uint64_t snmp_field(char *hdr, char *val, const char *name)
{
	char *hs, *vs, *h, *x;

	h = strtok_r(hdr, " \n", &hs);
	x = strtok_r(val, " \n", &vs);
	while (h && x) {
		if (!strcmp(h, name))
			return strtoull(x, NULL, 10);
		h = strtok_r(NULL, " \n", &hs);
		x = strtok_r(NULL, " \n", &vs);
	}
	return 0;
}

static uint64_t snmp_get(const char *proto, const char *name)
{
	char hdr[2048], val[2048], h2[2048], v2[2048];
	FILE *f = fopen("/proc/thread-self/net/snmp", "re");
	uint64_t r = 0;
	size_t n = strlen(proto);

	if (!f)
		return 0;
	while (fgets(hdr, sizeof(hdr), f) && fgets(val, sizeof(val), f)) {
		if (!strncmp(hdr, proto, n) && hdr[n] == ':') {
			memcpy(h2, hdr, sizeof(h2));
			memcpy(v2, val, sizeof(v2));
			r = snmp_field(h2, v2, name);
			break;
		}
	}
	fclose(f);
	return r;
}

int ns_counters_read(struct ns_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->udp_in = snmp_get("Udp", "InDatagrams");
	c->udp_noports = snmp_get("Udp", "NoPorts");
	c->udp_inerrors = snmp_get("Udp", "InErrors");
	c->udp_rcvbuf_errors = snmp_get("Udp", "RcvbufErrors");
	c->udp_sndbuf_errors = snmp_get("Udp", "SndbufErrors");
	c->ip_in_receives = snmp_get("Ip", "InReceives");
	c->ip_in_discards = snmp_get("Ip", "InDiscards");
	c->ip_in_hdr_errors = snmp_get("Ip", "InHdrErrors");
	c->ip_in_addr_errors = snmp_get("Ip", "InAddrErrors");
	c->ip_out_requests = snmp_get("Ip", "OutRequests");
	c->ip_out_discards = snmp_get("Ip", "OutDiscards");
	return 0;
}

int netns_visit(const char *ns, int (*fn)(void *), void *arg)
{
	char path[128];
	int self, target, err, r;

	/* A name under /run/netns, or a path such as /proc/PID/ns/net. */
	if (ns[0] == '/')
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		err = -errno;
		goto out_self;
	}
	if (setns(target, CLONE_NEWNET)) {
		err = -errno;
		goto out_target;
	}
	r = fn(arg);
	if (setns(self, CLONE_NEWNET)) {
		/* Cannot return to the root namespace: nothing after this is safe. */
		perror("bypasslab: setns back to the original netns");
		abort();
	}
	err = r;
out_target:
	close(target);
out_self:
	close(self);
	return err;
}

uint64_t softnet_dropped(void)
{
	char line[512];
	uint64_t sum = 0;
	FILE *f = fopen("/proc/net/softnet_stat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned int processed, dropped;

		if (sscanf(line, "%x %x", &processed, &dropped) == 2)
			sum += dropped;
	}
	fclose(f);
	return sum;
}

int proc_cpu_read(pid_t pid, struct proc_cpu *c)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0, run = 0, wait = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	/* Fields after the command name (which may contain spaces). */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return -EIO;
	c->utime_ns = ut * (1000000000ull / (unsigned long long)hz);
	c->stime_ns = st * (1000000000ull / (unsigned long long)hz);
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "re");
	if (f) {
		/* on-CPU ns, ns waiting on a run queue, timeslices */
		if (fscanf(f, "%llu %llu", &run, &wait) == 2) {
			c->run_ns = run;
			c->wait_ns = wait;
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(buf, sizeof(buf), f)) {
			unsigned long long v;

			if (sscanf(buf, "voluntary_ctxt_switches: %llu", &v) == 1)
				c->nvcsw = v;
			else if (sscanf(buf, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
				c->nivcsw = v;
		}
		fclose(f);
	}
	return 0;
}
