/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * topology = iface: two existing interfaces of this host (two NIC ports
 * cabled back to back, or the two ends of a veth pair) lent to a run.
 *
 * Each is moved into the run's namespace under its own name and returned
 * to the namespace it came from on teardown, with its name, MTU, addresses,
 * IPv6 switch and up/down state as they were. Moving an interface between
 * namespaces takes it down and drops its addresses, so everything needed
 * to put it back is written to a restore record
 * (/run/bypasslab/<prefix>-if-<side>.iface, fsync'd) and the record is in
 * the run-state ledger (kind "iface") before the interface moves: the
 * ledger undoes newest first, so the interface goes back before its
 * namespace is deleted (a veth in a deleted namespace is destroyed; a
 * physical NIC falls back to the init namespace, perhaps renamed, and is
 * found there by its MAC). `bypasslab cleanup` restores the records of a
 * dead run, and orphaned records too, before it deletes any namespace.
 */
#ifndef BL_IFACE_H
#define BL_IFACE_H

#include <stddef.h>
#include <stdint.h>

struct sweep;
struct case_cfg;

#define IFACE_MAX_ADDRS 16
#define IFACE_REC_SUFFIX ".iface"

struct iface_addr {
	int family; /* AF_INET or AF_INET6 */
	char local[48];
	char brd[16]; /* IPv4 broadcast as configured, "" if none */
	int plen;
};

/* What an interface is, and was before a run took it. */
struct iface_state {
	char name[16];
	/* Where it came from: the harness's netns, by inode, and its name
	 * under /run/netns if it has one ("" if not: the init netns, usually,
	 * whose /proc/1/ns/net may not even be readable). Without a name,
	 * only a process in that very netns can bring it back. */
	char origin[40];
	unsigned long long origin_ino;
	char ns[32];     /* the run's namespace it is lent to */
	int ifindex;
	unsigned int mtu;
	int up;          /* administratively up */
	int loopback;
	int ipv6_off;    /* its disable_ipv6; -1: no IPv6 in this kernel */
	uint8_t mac[6];
	char kind[16];   /* "veth", another link kind, "physical" (a bus device
			  * behind it: a NIC port, a VF, virtio) or "virtual" */
	char driver[32]; /* ethtool's driver name, "" if it has none */
	char master[16]; /* the bridge or bond it is enslaved to, "" if none */
	int naddr;       /* IPv6 link-local and autoconfigured addresses are not
			  * kept: they return by themselves */
	int naddr_over;  /* addresses beyond IFACE_MAX_ADDRS (preflight refuses) */
	struct iface_addr addr[IFACE_MAX_ADDRS];
};

/* "keep" (*ip = 0), "A.B.C.D" (/24) or "A.B.C.D/P" inside 198.18.0.0/15
 * with P 16..30, not the network or broadcast address. 0 or -EINVAL with
 * why filled. ip in network order. */
int iface_parse_ip(const char *s, uint32_t *ip, int *plen, char *why, size_t len);
/* "aa:bb:cc:dd:ee:ff", unicast. 0 or -EINVAL. */
int iface_parse_mac(const char *s, uint8_t mac[6]);
/* ... and back: lowercase, colon-separated (len >= 18). */
void iface_fmt_mac(char *buf, size_t len, const uint8_t *m);

/* Interface name in the calling thread's netns: 0, -ENODEV or -errno. */
int iface_read(const char *name, struct iface_state *st);
/* The caller's netns as a place to return to into st: its inode and its
 * name under /run/netns, if any. 0 or -errno. */
int iface_origin(struct iface_state *st);
/* "NAME" or "net:[INODE]" of st's origin, for people. */
void iface_origin_str(const struct iface_state *st, char *buf, size_t len);
/* 1 if name carries an IPv4 or IPv6 default route here, 0 if not, -errno. */
int iface_default_route(const char *name);
/* The prefix of a live run (other than self, if given) that claims or
 * holds this interface of the caller's netns into prefix; 1 found, 0 none. */
int iface_in_use(const char *name, const char *self, char *prefix, size_t len);
/* Claim the interfaces of the run's topology=iface cases for the whole
 * run (between its cases they are back home, and must not be taken):
 * RS_STATE_DIR/<prefix>-claim-<name>, in the run state. 0, or -errno with
 * one line on stderr (-EBUSY: another run claimed one meanwhile). */
struct runstate;
int iface_claim(struct runstate *rs, const struct case_cfg *cases, int n);

/* Write the record durably (temporary file, fsync, rename). 0 or -errno. */
int iface_record_write(const char *path, const struct iface_state *st);
int iface_record_read(const char *path, struct iface_state *st);
/* True for a file name "<prefix>-if-....iface". */
int iface_record_name(const char *name);
/* True if a restore record of run prefix is still in RS_STATE_DIR. */
int iface_records_left(const char *prefix);
/* Put the interface of the record at path back where and as it was, then
 * delete the record. 1 restored (a property that would not come back is
 * warned about), 0 no record, -errno if it could not be brought home: the
 * record stays, and so must the namespace it is in (deleting that would
 * destroy a veth). */
int iface_restore(const char *path);

/* What only this host can say of one side: the interface exists here, is
 * free, carries no default route (unless force), is no bridge port, and
 * `keep` has an address to keep (*kept, *kept_plen; *ip_key = 1 if that
 * is what failed). 0, or -EINVAL with why filled. */
int iface_check(const char *name, const char *ip, int force, uint32_t *kept, int *kept_plen,
		int *ip_key, char *why, size_t len);
/* `run`: for every case with topology=iface, what only this host can say
 * (the interfaces exist here, are free, carry no default route, are no
 * bridge port, `keep` has an address to keep). 0, or -EINVAL with one line
 * "FILE:LINE: key 'K': ..." in err. Nothing is created. */
int iface_preflight(const struct sweep *sw, const struct case_cfg *cases, int n, char *err,
		    size_t len);

#endif
