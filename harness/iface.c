// SPDX-License-Identifier: BSD-3-Clause
/*
 * Lending two existing interfaces to a run and giving them back: reading
 * what an interface is (`ip -j -d addr show`), the restore record, the
 * restore itself, and the preflight that refuses what must not be taken.
 * See iface.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <jansson.h>

#include "config.h"
#include "iface.h"
#include "log.h"
#include "proc.h"
#include "runstate.h"

#define IP_OUT_LEN (1 << 20) /* `ip -j -d addr show` of a host with many links */
#define BENCH_NET 0xc6120000u  /* 198.18.0.0/15, RFC 2544 */
#define BENCH_MASK 0xfffe0000u

/* ---- values ---------------------------------------------------------------- */

int iface_parse_ip(const char *s, uint32_t *ip, int *plen, char *why, size_t len)
{
	char buf[32], *slash, *end;
	struct in_addr a;
	uint32_t h, mask;
	long p = 24;

	if (!strcmp(s, "keep")) {
		*ip = 0;
		*plen = 0;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		p = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || p < 16 || p > 30) {
			snprintf(why, len, "'%s': prefix length must be 16..30", s);
			return -EINVAL;
		}
	}
	if (inet_pton(AF_INET, buf, &a) != 1) {
		snprintf(why, len, "'%s' is not an IPv4 address or keep", s);
		return -EINVAL;
	}
	h = ntohl(a.s_addr);
	mask = ~0u << (32 - p);
	if ((h & BENCH_MASK) != BENCH_NET) {
		snprintf(why, len, "'%s' is outside 198.18.0.0/15, the benchmarking range", s);
		return -EINVAL;
	}
	if (!(h & ~mask) || (h & ~mask) == ~mask) {
		snprintf(why, len, "'%s' is the network or broadcast address of its subnet", s);
		return -EINVAL;
	}
	*ip = a.s_addr;
	*plen = (int)p;
	return 0;
}

int iface_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int m[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3],
				      &m[4], &m[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	if (mac[0] & 1) /* multicast or broadcast */
		return -EINVAL;
	return 0;
}

static int mac_parse_any(const char *s, uint8_t mac[6])
{
	unsigned int m[6];

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) !=
			  6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

/* ---- running ip in the right namespace ------------------------------------ */

static unsigned long long ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (unsigned long long)st.st_ino;
}

/* The calling thread's: after setns() only this thread is there. */
static unsigned long long self_ino(void)
{
	return ns_ino("/proc/thread-self/ns/net");
}

int iface_origin(struct iface_state *st)
{
	struct dirent *e;
	DIR *d;

	st->origin[0] = 0;
	st->origin_ino = self_ino();
	if (!st->origin_ino)
		return -ENOENT;
	d = opendir("/run/netns");
	while (d && (e = readdir(d))) {
		char path[PATH_MAX];

		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(st->origin))
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		if (ns_ino(path) == st->origin_ino) {
			snprintf(st->origin, sizeof(st->origin), "%s", e->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	return 0;
}

void iface_origin_str(const struct iface_state *st, char *buf, size_t len)
{
	if (st->origin[0])
		snprintf(buf, len, "%s", st->origin);
	else
		snprintf(buf, len, "net:[%llu]", st->origin_ino);
}

/* Where `ip` reaches st's origin: NULL (the caller is in it) or its name.
 * 0, or -EXDEV: an unnamed origin that is not the caller's. */
static int origin_where(const struct iface_state *st, const char **where)
{
	if (st->origin[0]) {
		*where = st->origin;
		return 0;
	}
	*where = NULL;
	return self_ino() == st->origin_ino ? 0 : -EXDEV;
}

/*
 * `ip TAIL...` in namespace where: NULL = the caller's, else a name under
 * /run/netns. Captures stdout into out; one warning line on failure
 * unless quiet. 0, the exit status or -errno.
 */
static int ip_in(const char *where, const char *const tail[], char *out, size_t outlen,
		 int quiet)
{
	const char *argv[24];
	char err[512];
	int n = 0, r;

	argv[n++] = "ip";
	if (where) {
		argv[n++] = "-n";
		argv[n++] = where;
	}
	for (int i = 0; tail[i] && n < (int)(sizeof(argv) / sizeof(argv[0])) - 1; i++)
		argv[n++] = tail[i];
	argv[n] = NULL;
	r = run_cmd_capture(argv, out, outlen, err, sizeof(err));
	if (r && !quiet) {
		err[strcspn(err, "\n")] = 0;
		pr_warn("bypasslab: iface: 'ip%s%s %s %s %s' failed: %s\n", where ? " in " : "",
			where ? where : "", tail[0], tail[1] ? tail[1] : "",
			tail[1] && tail[2] ? tail[2] : "", err[0] ? err : "no message");
	}
	return r;
}

/* ---- reading an interface --------------------------------------------------- */

static void read_driver(const char *name, char *drv, size_t len)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd;

	drv[0] = 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&di;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		snprintf(drv, len, "%s", di.driver);
	close(fd);
}

static int read_ipv6_off(const char *name)
{
	char path[PATH_MAX], buf[8] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? buf[0] == '1' : -1;
}

static int has_flag(json_t *flags, const char *f)
{
	size_t i;
	json_t *v;

	json_array_foreach(flags, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), f))
			return 1;
	return 0;
}

static void read_addrs(json_t *ai, struct iface_state *st)
{
	size_t i;
	json_t *a;

	json_array_foreach(ai, i, a) {
		const char *fam = json_string_value(json_object_get(a, "family"));
		const char *local = json_string_value(json_object_get(a, "local"));
		const char *scope = json_string_value(json_object_get(a, "scope"));
		const char *brd = json_string_value(json_object_get(a, "broadcast"));
		struct iface_addr *d = &st->addr[st->naddr];

		if (!fam || !local)
			continue;
		/* Link-local and autoconfigured IPv6 come back by themselves. */
		if (!strcmp(fam, "inet6") &&
		    ((scope && !strcmp(scope, "link")) ||
		     json_is_true(json_object_get(a, "dynamic"))))
			continue;
		if (st->naddr == IFACE_MAX_ADDRS) {
			st->naddr_over++;
			continue;
		}
		d->family = !strcmp(fam, "inet") ? AF_INET : !strcmp(fam, "inet6") ? AF_INET6 : 0;
		if (!d->family)
			continue;
		snprintf(d->local, sizeof(d->local), "%s", local);
		snprintf(d->brd, sizeof(d->brd), "%s", brd && d->family == AF_INET ? brd : "");
		d->plen = (int)json_integer_value(json_object_get(a, "prefixlen"));
		st->naddr++;
	}
}

/* One interface object of `ip -j -d addr show` into st. */
static void parse_link(json_t *o, struct iface_state *st)
{
	json_t *li = json_object_get(o, "linkinfo");
	const char *kind = json_string_value(json_object_get(li, "info_kind"));
	const char *master = json_string_value(json_object_get(o, "master"));

	snprintf(st->name, sizeof(st->name), "%s",
		 json_string_value(json_object_get(o, "ifname")) ?: "");
	st->ifindex = (int)json_integer_value(json_object_get(o, "ifindex"));
	st->mtu = (unsigned int)json_integer_value(json_object_get(o, "mtu"));
	st->up = has_flag(json_object_get(o, "flags"), "UP");
	st->loopback = has_flag(json_object_get(o, "flags"), "LOOPBACK");
	mac_parse_any(json_string_value(json_object_get(o, "address")), st->mac);
	snprintf(st->kind, sizeof(st->kind), "%s", kind ? kind : "physical");
	snprintf(st->master, sizeof(st->master), "%s", master ? master : "");
	read_addrs(json_object_get(o, "addr_info"), st);
}

/* `ip -j -d addr show [dev name]` in where, parsed. NULL + errno. */
static json_t *ip_addr_json(const char *where, const char *name)
{
	const char *tail[] = { "-j", "-d", "addr", "show", name ? "dev" : NULL, name, NULL };
	char *out = malloc(IP_OUT_LEN);
	json_error_t je;
	json_t *j;
	int r;

	if (!out) {
		errno = ENOMEM;
		return NULL;
	}
	r = ip_in(where, tail, out, IP_OUT_LEN, 1);
	if (r) {
		free(out);
		errno = r < 0 ? -r : ENODEV;
		return NULL;
	}
	j = json_loads(out, 0, &je);
	free(out);
	if (!j || !json_is_array(j) || (name && json_array_size(j) != 1)) {
		json_decref(j);
		errno = ENODEV;
		return NULL;
	}
	return j;
}

int iface_read(const char *name, struct iface_state *st)
{
	json_t *j;

	memset(st, 0, sizeof(*st));
	if (!name[0] || strlen(name) >= IFNAMSIZ || !if_nametoindex(name))
		return -ENODEV;
	j = ip_addr_json(NULL, name);
	if (!j)
		return -errno;
	parse_link(json_array_get(j, 0), st);
	json_decref(j);
	/* No link kind: a device driver's netdev (a NIC port, a VF, virtio)
	 * has a bus device behind it; anything else is virtual. */
	if (!strcmp(st->kind, "physical")) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/sys/class/net/%s/device", name);
		if (access(path, F_OK))
			snprintf(st->kind, sizeof(st->kind), "virtual");
	}
	read_driver(name, st->driver, sizeof(st->driver));
	st->ipv6_off = read_ipv6_off(name);
	return 0;
}

static int route_dev_is(json_t *route, const char *name)
{
	const char *dev = json_string_value(json_object_get(route, "dev"));
	size_t i;
	json_t *nh;

	if (dev && !strcmp(dev, name))
		return 1;
	json_array_foreach(json_object_get(route, "nexthops"), i, nh) {
		dev = json_string_value(json_object_get(nh, "dev"));
		if (dev && !strcmp(dev, name))
			return 1;
	}
	return 0;
}

int iface_default_route(const char *name)
{
	static const char *const fam[] = { "-4", "-6" };
	char *out = malloc(IP_OUT_LEN);
	int found = 0;

	if (!out)
		return -ENOMEM;
	for (size_t f = 0; f < 2 && !found; f++) {
		const char *tail[] = { "-j", fam[f], "route", "show", "default", NULL };
		json_t *j, *rt;
		size_t i;

		if (ip_in(NULL, tail, out, IP_OUT_LEN, 1))
			continue; /* no IPv6: no IPv6 default route */
		j = json_loads(out, 0, NULL);
		json_array_foreach(j, i, rt)
			found |= route_dev_is(rt, name);
		json_decref(j);
	}
	free(out);
	return found;
}

/* ---- the record ---------------------------------------------------------- */

int iface_record_name(const char *name)
{
	size_t n = strlen(name), s = strlen(IFACE_REC_SUFFIX);

	return runstate_name_has_prefix(name) && !strncmp(name + RS_PREFIX_LEN + 1, "if-", 3) &&
	       n > s && !strcmp(name + n - s, IFACE_REC_SUFFIX);
}

int iface_records_left(const char *prefix)
{
	DIR *d = opendir(RS_STATE_DIR);
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d)))
		found = iface_record_name(e->d_name) && !strncmp(e->d_name, prefix, RS_PREFIX_LEN);
	if (d)
		closedir(d);
	return found;
}

void iface_fmt_mac(char *buf, size_t len, const uint8_t *m)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

int iface_record_write(const char *path, const struct iface_state *st)
{
	char tmp[PATH_MAX], mac[18];
	int fd, err = 0;
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out_unlink;
	}
	iface_fmt_mac(mac, sizeof(mac), st->mac);
	fprintf(f,
		"name %s\norigin %s\norigin_ino %llu\nns %s\nifindex %d\nmtu %u\nup %d\n"
		"ipv6_off %d\nmac %s\n",
		st->name, st->origin[0] ? st->origin : "-", st->origin_ino, st->ns, st->ifindex,
		st->mtu, st->up, st->ipv6_off, mac);
	for (int i = 0; i < st->naddr; i++)
		fprintf(f, "addr %s %s/%d %s\n", st->addr[i].family == AF_INET ? "inet" : "inet6",
			st->addr[i].local, st->addr[i].plen,
			st->addr[i].brd[0] ? st->addr[i].brd : "-");
	if (fflush(f) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err) {
		fd = open(RS_STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		return 0;
	}
out_unlink:
	unlink(tmp);
	return err;
}

static int record_line(struct iface_state *st, const char *key, const char *val)
{
	char fam[8], addr[64], brd[20], *slash;

	if (!strcmp(key, "name"))
		snprintf(st->name, sizeof(st->name), "%s", val);
	else if (!strcmp(key, "origin"))
		snprintf(st->origin, sizeof(st->origin), "%s", strcmp(val, "-") ? val : "");
	else if (!strcmp(key, "origin_ino"))
		st->origin_ino = strtoull(val, NULL, 10);
	else if (!strcmp(key, "ns"))
		snprintf(st->ns, sizeof(st->ns), "%s", val);
	else if (!strcmp(key, "ifindex"))
		st->ifindex = atoi(val);
	else if (!strcmp(key, "mtu"))
		st->mtu = (unsigned int)strtoul(val, NULL, 10);
	else if (!strcmp(key, "up"))
		st->up = atoi(val);
	else if (!strcmp(key, "ipv6_off"))
		st->ipv6_off = atoi(val);
	else if (!strcmp(key, "mac"))
		return mac_parse_any(val, st->mac);
	else if (!strcmp(key, "addr") && st->naddr < IFACE_MAX_ADDRS &&
		 sscanf(val, "%7s %63s %19s", fam, addr, brd) == 3) {
		struct iface_addr *a = &st->addr[st->naddr];

		slash = strchr(addr, '/');
		if (!slash)
			return -EINVAL;
		*slash = 0;
		a->family = !strcmp(fam, "inet") ? AF_INET : AF_INET6;
		a->plen = atoi(slash + 1);
		snprintf(a->local, sizeof(a->local), "%.47s", addr);
		snprintf(a->brd, sizeof(a->brd), "%.15s", strcmp(brd, "-") ? brd : "");
		st->naddr++;
	}
	return 0;
}

int iface_record_read(const char *path, struct iface_state *st)
{
	char line[256];
	FILE *f;
	int err = 0;

	memset(st, 0, sizeof(*st));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');

		line[strcspn(line, "\n")] = 0;
		if (!sp)
			continue;
		*sp = 0;
		err = record_line(st, line, sp + 1);
	}
	fclose(f);
	/* A name that could make `ip` act on something else is not restored. */
	if (!err && (!st->name[0] || strchr(st->name, '/') || !st->origin_ino ||
		     strchr(st->origin, '/') || !runstate_name_has_prefix(st->ns)))
		err = -EINVAL;
	return err;
}

/* ---- restoring ------------------------------------------------------------ */

/* Name of the interface with this MAC in where (a NIC its namespace's
 * deletion sent back, perhaps renamed), into buf. 0 or -ENODEV. */
static int find_by_mac(const char *where, const uint8_t *mac, char *buf, size_t len)
{
	json_t *j = ip_addr_json(where, NULL), *o;
	int err = -ENODEV;
	size_t i;

	json_array_foreach(j, i, o) {
		uint8_t m[6];
		const char *perm = json_string_value(json_object_get(o, "permaddr"));

		if ((!mac_parse_any(json_string_value(json_object_get(o, "address")), m) &&
		     !memcmp(m, mac, 6)) ||
		    (!mac_parse_any(perm, m) && !memcmp(m, mac, 6))) {
			snprintf(buf, len, "%s", json_string_value(json_object_get(o, "ifname")));
			err = 0;
			break;
		}
	}
	json_decref(j);
	return err;
}

/* Bring the interface home (where: its origin, as origin_where() said):
 * out of the run's namespace if it is there. Its name there into cur. */
static int move_home(const struct iface_state *st, const char *where, char *cur, size_t len)
{
	const char *show[] = { "link", "show", "dev", st->name, NULL };
	char path[PATH_MAX], pid[16];
	const char *back[] = { "link", "set", "dev", st->name, "netns", where ? where : pid, NULL };
	int r;

	/* `netns PID`: the netns this process is in, which is the origin. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(cur, len, "%s", st->name);
	snprintf(path, sizeof(path), "/run/netns/%s", st->ns);
	if (!access(path, F_OK) && !ip_in(st->ns, show, NULL, 0, 1)) {
		r = ip_in(st->ns, back, NULL, 0, 0);
		return r < 0 ? r : r ? -EIO : 0;
	}
	if (!ip_in(where, show, NULL, 0, 1))
		return 0; /* never moved, or moved back already */
	if (!find_by_mac(where, st->mac, cur, len))
		return 0;
	return -ENODEV;
}

static int write_sysctl_in(const char *where, const char *name, int v)
{
	char path[PATH_MAX], val[64];
	const char *argv[] = { "nsenter", path, "sysctl", "-q", "-w", val, NULL };

	snprintf(val, sizeof(val), "net.ipv6.conf.%s.disable_ipv6=%d", name, v);
	if (!where) {
		char knob[PATH_MAX];
		int fd, err = 0;

		snprintf(knob, sizeof(knob), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
		fd = open(knob, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (write(fd, v ? "1" : "0", 1) != 1)
			err = -errno;
		close(fd);
		return err;
	}
	snprintf(path, sizeof(path), "--net=/run/netns/%s", where);
	return run_cmd(argv, true);
}

/* Name, IPv6 switch, MTU, addresses, up/down: as recorded. */
static int restore_state(const struct iface_state *st, const char *where, const char *cur)
{
	char mtu[16], addr[80];
	const char *down[] = { "link", "set", "dev", cur, "down", NULL };
	const char *ren[] = { "link", "set", "dev", cur, "name", st->name, NULL };
	const char *setmtu[] = { "link", "set", "dev", st->name, "mtu", mtu, NULL };
	const char *up[] = { "link", "set", "dev", st->name, st->up ? "up" : "down", NULL };
	int err = 0;

	if (strcmp(cur, st->name)) {
		ip_in(where, down, NULL, 0, 0);
		if (ip_in(where, ren, NULL, 0, 0))
			err = -EIO;
	}
	if (st->ipv6_off >= 0)
		write_sysctl_in(where, st->name, st->ipv6_off);
	snprintf(mtu, sizeof(mtu), "%u", st->mtu);
	if (st->mtu && ip_in(where, setmtu, NULL, 0, 0) && !err)
		err = -EIO;
	for (int i = 0; i < st->naddr; i++) {
		const struct iface_addr *a = &st->addr[i];
		const char *add[] = { a->family == AF_INET ? "-4" : "-6", "addr", "replace", addr,
				      "dev", st->name, a->brd[0] ? "broadcast" : NULL, a->brd,
				      NULL };

		snprintf(addr, sizeof(addr), "%s/%d", a->local, a->plen);
		if (ip_in(where, add, NULL, 0, 0) && !err)
			err = -EIO;
	}
	if (ip_in(where, up, NULL, 0, 0) && !err)
		err = -EIO;
	return err;
}

int iface_restore(const char *path)
{
	struct iface_state st;
	const char *where;
	char cur[IFNAMSIZ], origin[48];
	int err;

	err = iface_record_read(path, &st);
	if (err == -ENOENT)
		return 0;
	if (err) {
		pr_warn("bypasslab: iface: %s: unreadable restore record: %s\n", path,
			strerror(-err));
		return err;
	}
	iface_origin_str(&st, origin, sizeof(origin));
	err = origin_where(&st, &where);
	if (err) {
		pr_warn("bypasslab: iface: %s came from %s, which has no name: run `bypasslab "
			"cleanup` from that network namespace to return it\n",
			st.name, origin);
		return err;
	}
	err = move_home(&st, where, cur, sizeof(cur));
	if (err == -ENODEV) {
		/* A veth whose namespace was deleted first is gone for good. */
		pr_warn("bypasslab: iface: %s is in neither %s nor %s: it cannot be restored (a "
			"veth is destroyed with its namespace)\n",
			st.name, st.ns, origin);
	} else if (err) {
		pr_warn("bypasslab: iface: moving %s back from %s: %s\n", st.name, st.ns,
			strerror(-err));
		return err;
	} else if (restore_state(&st, where, cur)) {
		/* Home, which is what matters; a property that would not come
		 * back is named above and not retried forever. */
		pr_warn("bypasslab: iface: %s is back in %s, but not every property of it was "
			"restored (see above)\n",
			st.name, origin);
	}
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 1;
}

/* ---- in use, preflight ----------------------------------------------------- */

#define CLAIM_TAG "-claim-"

/* Whether directory entry fname claims or holds interface name of the
 * netns with inode ino. */
static int names_iface(const char *fname, const char *name, unsigned long long ino)
{
	char path[PATH_MAX];
	struct iface_state st;
	unsigned long long got = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", RS_STATE_DIR, fname);
	if (iface_record_name(fname))
		return !iface_record_read(path, &st) && !strcmp(st.name, name) &&
		       st.origin_ino == ino;
	if (!runstate_name_has_prefix(fname) ||
	    strncmp(fname + RS_PREFIX_LEN, CLAIM_TAG, strlen(CLAIM_TAG)) ||
	    strcmp(fname + RS_PREFIX_LEN + strlen(CLAIM_TAG), name))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &got) != 1)
		got = 0;
	fclose(f);
	return got == ino;
}

int iface_in_use(const char *name, const char *self, char *prefix, size_t len)
{
	DIR *d = opendir(RS_STATE_DIR);
	unsigned long long ino = self_ino();
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d))) {
		if ((self && !strncmp(e->d_name, self, RS_PREFIX_LEN)) ||
		    !names_iface(e->d_name, name, ino))
			continue;
		snprintf(prefix, len, "%.*s", RS_PREFIX_LEN, e->d_name);
		found = runstate_prefix_live(prefix);
	}
	if (d)
		closedir(d);
	return found;
}

int iface_claim(struct runstate *rs, const struct case_cfg *cases, int n)
{
	const struct case_cfg *c = NULL;
	const char *self = runstate__prefix(rs);

	for (int i = 0; i < n && !c; i++)
		if (cases[i].topology == TOPO_IFACE)
			c = &cases[i];
	for (int s = 0; c && s < 2; s++) {
		const char *name = s ? c->iface_b : c->iface_a;
		char path[PATH_MAX], other[16];
		int err;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s%s%s", RS_STATE_DIR, self, CLAIM_TAG, name);
		err = runstate__add(rs, RS_FILE, path);
		f = err ? NULL : fopen(path, "we");
		if (!f || fprintf(f, "%llu\n", self_ino()) < 0 || fclose(f)) {
			fprintf(stderr, "bypasslab: claiming %s: %s\n", name,
				strerror(err ? -err : errno));
			return -EIO;
		}
		/* Two runs that passed the preflight at once: one gives way. */
		if (iface_in_use(name, self, other, sizeof(other))) {
			fprintf(stderr, "bypasslab: key '%s': interface '%s' was taken by run %s "
				"meanwhile\n", s ? "iface_b" : "iface_a", name, other);
			return -EBUSY;
		}
	}
	return 0;
}

/* One side's interface: 0, or -EINVAL with "what (allowed: ...)" in why. */
int iface_check(const char *name, const char *ip, int force, uint32_t *kept, int *kept_plen,
		int *ip_key, char *why, size_t len)
{
	struct iface_state st;
	char prefix[16];
	int r;

	if (iface_in_use(name, NULL, prefix, sizeof(prefix))) {
		snprintf(why, len, "interface '%s' is in use by run %s (allowed: an interface no "
			 "live run holds)", name, prefix);
		return -EINVAL;
	}
	if (iface_read(name, &st)) {
		snprintf(why, len, "interface '%s' does not exist in this network namespace "
			 "(allowed: an existing interface, see `ip link`)", name);
		return -EINVAL;
	}
	if (st.loopback || !strcmp(st.kind, "bridge") || !strcmp(st.kind, "bond") ||
	    !strcmp(st.kind, "team") || !strcmp(st.kind, "vrf")) {
		snprintf(why, len, "interface '%s' is a %s (allowed: an Ethernet port or veth)",
			 name, st.loopback ? "loopback device" : st.kind);
		return -EINVAL;
	}
	if (st.master[0]) {
		snprintf(why, len, "interface '%s' is enslaved to %s, a bridge port or bond member "
			 "(allowed: a free interface)", name, st.master);
		return -EINVAL;
	}
	if (st.naddr_over) {
		snprintf(why, len, "interface '%s' has more than %d addresses, too many to "
			 "restore (allowed: at most %d)", name, IFACE_MAX_ADDRS, IFACE_MAX_ADDRS);
		return -EINVAL;
	}
	r = force ? 0 : iface_default_route(name);
	if (r) {
		snprintf(why, len, "interface '%s' carries the default route: moving it would cut "
			 "this host off (allowed: an interface without the default route, or "
			 "force = yes)", name);
		return -EINVAL;
	}
	*kept = 0;
	for (int i = 0; !strcmp(ip, "keep") && i < st.naddr && !*kept; i++) {
		char cidr[64];
		uint32_t a;
		int p;

		if (st.addr[i].family != AF_INET)
			continue;
		snprintf(cidr, sizeof(cidr), "%s/%d", st.addr[i].local, st.addr[i].plen);
		if (!iface_parse_ip(cidr, &a, &p, why, len)) {
			*kept = a;
			*kept_plen = p;
		}
	}
	if (!strcmp(ip, "keep") && !*kept) {
		*ip_key = 1;
		snprintf(why, len, "keep: interface '%s' has no IPv4 address inside "
			 "198.18.0.0/15 to keep (allowed: keep with such an address, or an "
			 "address)", name);
		return -EINVAL;
	}
	return 0;
}

static int same_subnet(uint32_t a, uint32_t b, int plen)
{
	uint32_t mask = ~0u << (32 - plen);

	return (ntohl(a) & mask) == (ntohl(b) & mask) && a != b;
}

int iface_preflight(const struct sweep *sw, const struct case_cfg *cases, int n, char *err,
		    size_t len)
{
	const struct case_cfg *c = NULL;
	char why[320];
	uint32_t kept[2], ip[2];
	int plen[2];

	for (int i = 0; i < n && !c; i++)
		if (cases[i].topology == TOPO_IFACE)
			c = &cases[i];
	if (!c)
		return 0;
	for (int s = 0; s < 2; s++) {
		const char *name = s ? c->iface_b : c->iface_a;
		const char *ipk = s ? c->ip_b : c->ip_a;
		int ip_key = 0;

		if (iface_check(name, ipk, c->force, &kept[s], &plen[s], &ip_key, why, sizeof(why))) {
			const char *key = ip_key ? (s ? "ip_b" : "ip_a") : (s ? "iface_b" : "iface_a");

			config_key_where(sw, (const char *const[]){ key, NULL }, err, len);
			snprintf(err + strlen(err), len - strlen(err), "%s", why);
			return -EINVAL;
		}
		if (!strcmp(ipk, "keep"))
			ip[s] = kept[s];
		else
			iface_parse_ip(ipk, &ip[s], &plen[s], why, sizeof(why));
	}
	if (!same_subnet(ip[0], ip[1], plen[0])) {
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &ip[0], a, sizeof(a));
		inet_ntop(AF_INET, &ip[1], b, sizeof(b));
		config_key_where(sw, (const char *const[]){ "ip_b", "ip_a", "iface_b", NULL }, err,
				 len);
		snprintf(err + strlen(err), len - strlen(err),
			 "%s and %s/%d are not two addresses of one subnet (allowed: ip_a and ip_b "
			 "distinct, in one subnet)", b, a, plen[0]);
		return -EINVAL;
	}
	return 0;
}
