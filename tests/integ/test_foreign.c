// SPDX-License-Identifier: BSD-3-Clause
/*
 * Foreign traffic is contained: during a paced run (udp, packet, xdp
 * receivers), a raw AF_PACKET socket in the sender's namespace injects 18
 * kinds of hostile frame onto the wire towards the receiver: wrong MACs,
 * wrong addresses and ports, a wrong token (and the old header's magic),
 * short, long and truncated frames, bad checksums, a foreign EtherType and
 * IP protocol, a fragment, seq = 2^64 - 1 and a duplicated sequence number.
 * Each kind but the duplicate carries this case's token and a sequence
 * number the receiver has already seen, so a frame that got through would
 * show as a duplicate.
 *
 * Then: the workload's counts are untouched (received <= sent, loss >= 0,
 * every lost packet located, no reorder, exactly the injected duplicates),
 * the receiver's rx_foreign_by counts exactly what was injected of each
 * reason where the receiver can see it (a socket receiver sees no MACs and
 * what the kernel drops before the socket; AF_PACKET's filter and the XDP
 * program pass only IPv4/UDP to the receiver's port), and nothing is left
 * behind.
 */
#include <sched.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "integ.h"
#include "frame.h"
#include "shm.h"

#define PER_KIND 5 /* frames of each kind */

enum dp_col { C_UDP = 0, C_PACKET, C_XDP };
#define NONE 0	    /* the receiver cannot see it: no count */
#define NOT_SENT -1 /* not injected at this receiver */
#define DUP -2	    /* a genuine duplicate: rx_dup, not foreign */

enum kind {
	K_MAC_DST, K_MAC_SRC, K_IP_SRC, K_IP_DST, K_PORT_SRC, K_PORT_DST, K_TOKEN, K_MAGIC_OLD,
	K_SHORT, K_LONG, K_IP_TRUNC, K_IP_CSUM, K_UDP_CSUM, K_ETHERTYPE, K_IP_PROTO, K_FRAGMENT,
	K_SEQ_HUGE, K_SEQ_DUP, K_N
};

/* What each receiver makes of each kind (enum frame_bad, NONE, NOT_SENT or
 * DUP). A udp receiver is a connected socket: the kernel drops other
 * sources, other ports, bad checksums and truncated datagrams before it,
 * and a MAC never reaches it (a frame from another MAC to its own would
 * be taken: not sent). */
static const struct {
	const char *name;
	int want[3];
} kinds[K_N] = {
	[K_MAC_DST] = { "mac_dst", { NONE, FRAME_BAD_MAC, FRAME_BAD_MAC } },
	[K_MAC_SRC] = { "mac_src", { NOT_SENT, FRAME_BAD_MAC, FRAME_BAD_MAC } },
	[K_IP_SRC] = { "ip_src", { NONE, FRAME_BAD_IP, FRAME_BAD_IP } },
	[K_IP_DST] = { "ip_dst", { NONE, FRAME_BAD_IP, FRAME_BAD_IP } },
	[K_PORT_SRC] = { "port_src", { NONE, FRAME_BAD_PORT, FRAME_BAD_PORT } },
	[K_PORT_DST] = { "port_dst", { NONE, NONE, NONE } },
	[K_TOKEN] = { "token", { FRAME_BAD_TOKEN, FRAME_BAD_TOKEN, FRAME_BAD_TOKEN } },
	[K_MAGIC_OLD] = { "magic_old", { FRAME_BAD_TOKEN, FRAME_BAD_TOKEN, FRAME_BAD_TOKEN } },
	[K_SHORT] = { "short", { FRAME_BAD_LEN, FRAME_BAD_LEN, FRAME_BAD_LEN } },
	[K_LONG] = { "long", { FRAME_BAD_LEN, FRAME_BAD_LEN, FRAME_BAD_LEN } },
	[K_IP_TRUNC] = { "ip_truncated", { NONE, FRAME_BAD_LEN, FRAME_BAD_LEN } },
	[K_IP_CSUM] = { "ip_csum", { NONE, FRAME_BAD_CSUM, FRAME_BAD_CSUM } },
	[K_UDP_CSUM] = { "udp_csum", { NONE, FRAME_BAD_CSUM, FRAME_BAD_CSUM } },
	[K_ETHERTYPE] = { "ethertype", { NONE, NONE, NONE } },
	[K_IP_PROTO] = { "ip_proto", { NONE, NONE, NONE } },
	[K_FRAGMENT] = { "fragment", { NONE, FRAME_BAD_IP, FRAME_BAD_IP } },
	[K_SEQ_HUGE] = { "seq_huge", { FRAME_BAD_SEQ, FRAME_BAD_SEQ, FRAME_BAD_SEQ } },
	[K_SEQ_DUP] = { "seq_dup", { DUP, DUP, DUP } },
};

#define OFF_IP FRAME_ETH_HLEN
#define OFF_UDP (FRAME_ETH_HLEN + FRAME_IP_HLEN)

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static json_t *jpath_get(json_t *o, const char *path)
{
	char buf[256], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = json_object_get(o, tok);
	return o;
}

/* Both checksums over the headers as they now are (the UDP one over what
 * the UDP length says, if the frame holds it). */
static void fix_csums(uint8_t *p, size_t wire)
{
	uint16_t ulen = ntohs(*(uint16_t *)(p + OFF_UDP + 4));
	uint32_t sip, dip;

	put16(p + OFF_IP + 10, 0);
	put16(p + OFF_IP + 10, ip_csum(p + OFF_IP, FRAME_IP_HLEN));
	if (OFF_UDP + (size_t)ulen > wire)
		return;
	memcpy(&sip, p + OFF_IP + 12, 4);
	memcpy(&dip, p + OFF_IP + 16, 4);
	put16(p + OFF_UDP + 6, 0);
	put16(p + OFF_UDP + 6, udp_csum(sip, dip, p + OFF_UDP, ulen));
}

/* One frame of kind k from the sender's flow; its wire length. */
static size_t make_frame(uint8_t *p, enum kind k, const struct ep_config *a, uint64_t seen)
{
	struct flow f = { .src_ip = a->src_ip, .dst_ip = a->dst_ip, .sport = (uint16_t)a->sport,
			  .dport = (uint16_t)a->dport, .token = a->token };
	unsigned int size = k == K_LONG ? a->frame_size + 100 : a->frame_size;
	size_t wire;
	uint16_t v;

	memcpy(f.src_mac, a->src_mac, 6);
	memcpy(f.dst_mac, a->dst_mac, 6);
	wire = (size_t)frame_build(p, FRAME_MAX, &f, size);
	frame_stamp(p, k == K_SEQ_HUGE ? UINT64_MAX : seen, 0);
	switch (k) {
	case K_MAC_DST: p[5] = 0x99; break;
	case K_MAC_SRC: p[11] = 0x98; break;
	case K_IP_SRC: p[OFF_IP + 15] = 99; fix_csums(p, wire); break;
	case K_IP_DST: p[OFF_IP + 19] = 97; fix_csums(p, wire); break;
	case K_PORT_SRC: put16(p + OFF_UDP, htons(9999)); fix_csums(p, wire); break;
	case K_PORT_DST: put16(p + OFF_UDP + 2, htons(9999)); fix_csums(p, wire); break;
	case K_TOKEN:
		v = (uint16_t)~a->token;
		memcpy(p + FRAME_HDRS, &v, 2);
		fix_csums(p, wire);
		break;
	case K_MAGIC_OLD: /* the header before tokens: magic 0xb1a5, then seq */
		put16(p + FRAME_HDRS, htons(0xb1a5));
		fix_csums(p, wire);
		break;
	case K_SHORT: /* a valid datagram with 10 payload bytes */
		put16(p + OFF_IP + 2, htons(FRAME_IP_HLEN + FRAME_UDP_HLEN + 10));
		put16(p + OFF_UDP + 4, htons(FRAME_UDP_HLEN + 10));
		wire = FRAME_HDRS + 10;
		fix_csums(p, wire);
		break;
	case K_IP_TRUNC: /* IP says 40 bytes more than the frame holds */
		put16(p + OFF_IP + 2, htons((uint16_t)(wire - FRAME_ETH_HLEN + 40)));
		fix_csums(p, wire);
		break;
	case K_IP_CSUM: p[OFF_IP + 10] ^= 0x5a; break;
	case K_UDP_CSUM: p[OFF_UDP + 7] ^= 0x5a; break;
	case K_ETHERTYPE: put16(p + 12, htons(0x88b5)); break;
	case K_IP_PROTO: p[OFF_IP + 9] = 253; fix_csums(p, wire); break;
	case K_FRAGMENT: put16(p + OFF_IP + 6, htons(0x2000)); fix_csums(p, wire); break;
	default: break;
	}
	return wire;
}

static struct ep_shm *map_page(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct ep_shm *s;

	if (fd < 0)
		return NULL;
	s = mmap(NULL, sizeof(*s), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return s == MAP_FAILED ? NULL : s;
}

/* In the sender's namespace, PER_KIND frames of every kind sent at the
 * receiver on a.eth0; sent[k] gets how many of each went out. 0 or -1. */
static int inject(const char *prefix, const struct ep_shm *a, const struct ep_shm *b, int col,
		  int sent[K_N])
{
	int *shared = mmap(NULL, sizeof(int) * K_N, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char ns[128];
	pid_t pid;
	int st;

	assert_true(shared != MAP_FAILED);
	memset(shared, 0, sizeof(int) * K_N);
	snprintf(ns, sizeof(ns), "/run/netns/%s-a", prefix);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nsfd = open(ns, O_RDONLY), fd;
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
		uint8_t frame[FRAME_MAX];

		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
			_exit(2);
		fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: receives nothing */
		sll.sll_ifindex = (int)if_nametoindex("eth0");
		if (fd < 0 || !sll.sll_ifindex)
			_exit(3);
		for (int k = 0; k < K_N; k++) {
			if (kinds[k].want[col] == NOT_SENT)
				continue;
			if (k == K_MAGIC_OLD && (a->cfg.token & 0xffff) == htons(0xb1a5))
				continue; /* this token starts like the old magic */
			for (int i = 0; i < PER_KIND; i++) {
				/* A sequence the receiver has had: its highest. */
				uint64_t seen = __atomic_load_n(&b->st.rx_seq_max, __ATOMIC_ACQUIRE) - 1;
				size_t len = make_frame(frame, (enum kind)k, &a->cfg, seen);

				memcpy(sll.sll_addr, frame, 6);
				if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) ==
				    (ssize_t)len)
					shared[k]++;
			}
		}
		_exit(0);
	}
	waitpid(pid, &st, 0);
	memcpy(sent, shared, sizeof(int) * K_N);
	munmap(shared, sizeof(int) * K_N);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The only case result under a --results directory. */
static json_t *load_result(const char *res)
{
	char path[1600], sub[800] = "";
	struct dirent *e;
	json_error_t je;
	DIR *d = opendir(res);

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && !strchr(e->d_name, '.'))
			snprintf(sub, sizeof(sub), "%s/%s", res, e->d_name);
	closedir(d);
	assert_true(sub[0]);
	d = opendir(sub);
	assert_non_null(d);
	path[0] = 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "001-", 4))
			snprintf(path, sizeof(path), "%s/%s/result.json", sub, e->d_name);
	closedir(d);
	if (!path[0])
		fail_msg("no case result under %s", sub);
	return json_load_file(path, 0, &je);
}

/* Until f() holds, at most ms. */
static int wait_for(int (*f)(void *), void *arg, int ms)
{
	for (int t = 0; t < ms; t += 20) {
		if (f(arg))
			return 1;
		usleep(20000);
	}
	return f(arg);
}

struct watch {
	const char *res;
	char prefix[32];
	struct ep_shm *a, *b;
};

static int have_prefix(void *arg)
{
	struct watch *w = arg;

	return run_prefix(w->res, w->prefix, sizeof(w->prefix));
}

/* Both endpoints running, and the receiver has had some traffic. */
static int flowing(void *arg)
{
	struct watch *w = arg;
	char p[160];

	if (!w->a) {
		snprintf(p, sizeof(p), "/dev/shm/%s-a", w->prefix);
		w->a = map_page(p);
	}
	if (!w->b) {
		snprintf(p, sizeof(p), "/dev/shm/%s-b", w->prefix);
		w->b = map_page(p);
	}
	return w->a && w->b && w->a->state == EP_ST_RUNNING && w->b->state == EP_ST_RUNNING &&
	       w->b->st.rx_seq_max > 2000;
}

/* What the receiver makes of kind k here: with bridge-nf-call-iptables = 1
 * the bridge's netfilter hook validates IPv4 headers and drops a bad IP
 * checksum or a truncated datagram before any receiver. */
static int want_of(json_t *r, int k, int col)
{
	if ((k == K_IP_CSUM || k == K_IP_TRUNC) && num(r, "machine.bridge_nf_call_iptables") &&
	    !strcmp(str(r, "params.topology"), "bridge"))
		return NONE;
	return kinds[k].want[col];
}

static void check_counts(json_t *r, int col, const int sent[K_N])
{
	const char *label = str(r, "case_dir");
	double tx = num(r, "endpoints.a.total.tx_pkts");
	double rx = num(r, "endpoints.b.total.rx_pkts"), dup = num(r, "endpoints.b.total.rx_dup");
	int want[FRAME_NBAD] = { 0 }, ndup = 0, total = 0;
	char key[96];

	for (int k = 0; k < K_N; k++) {
		if (want_of(r, k, col) == DUP)
			ndup += sent[k];
		else if (want_of(r, k, col) > 0)
			want[want_of(r, k, col)] += sent[k];
	}
	for (int i = 1; i < FRAME_NBAD; i++) {
		snprintf(key, sizeof(key), "endpoints.b.total.rx_foreign_by.%s", frame_bad_names[i]);
		if (num(r, key) != want[i]) {
			char *by = json_dumps(jpath_get(r, "endpoints.b.total.rx_foreign_by"),
					      JSON_COMPACT | JSON_SORT_KEYS);

			char *rec = json_dumps(json_object_get(r, "reconcile"),
					       JSON_COMPACT | JSON_SORT_KEYS);

			fail_msg("%s: rx_foreign_by.%s = %.0f, injected %d (all: %s; reconcile %s)",
				 label, frame_bad_names[i], num(r, key), want[i], by ? by : "?",
				 rec ? rec : "?");
		}
		total += want[i];
	}
	assert_int_equal((int)num(r, "endpoints.b.total.rx_foreign"), total);
	/* The workload's counts: only its own packets, the injected
	 * duplicates as duplicates and nothing else. */
	if (dup != ndup)
		fail_msg("%s: rx_dup %.0f, injected %d duplicates", label, dup, ndup);
	if (num(r, "endpoints.b.total.rx_reorder") != 0)
		fail_msg("%s: rx_reorder %.0f", label, num(r, "endpoints.b.total.rx_reorder"));
	if (rx - dup > tx)
		fail_msg("%s: received %.0f > sent %.0f", label, rx - dup, tx);
	assert_true(rx - dup > 0);
	assert_true(num(r, "reconcile.lost") >= 0);
	assert_true(num(r, "reconcile.foreign.arrived") > 0);
	check_located(r, label);
}

static void run_one(const char *dp, int col)
{
	char cfg[512], res[512], text[512];
	struct watch w = { .res = res };
	int sent[K_N], n = 0, rc = -1, inj;
	json_t *r;
	pid_t pid;

	need_root();
	snprintf(cfg, sizeof(cfg), "%s/foreign-%s.ini", tmpdir, dp);
	snprintf(res, sizeof(res), "%s/foreign-%s", tmpdir, dp);
	snprintf(text, sizeof(text),
		 "[run]\nduration = 2\nwarmup = 0.3\n[workload]\npattern = throughput\n"
		 "size = 64\nrate = 10k\nburst = 8\n[topology]\ncpu_a = 0\ncpu_b = 1\n"
		 "[datapath]\ndatapath = %s\n[probes]\nprobes = off\n",
		 dp);
	write_file(cfg, text);
	pid = start_bg(cfg, res);
	if (!wait_for(have_prefix, &w, 10000) || !wait_for(flowing, &w, 15000)) {
		kill(pid, SIGINT);
		waitpid(pid, NULL, 0);
		fail_msg("%s: the run never got its endpoints running", dp);
	}
	inj = inject(w.prefix, w.a, w.b, col, sent);
	for (int t = 0; t < 30000 && waitpid(pid, &rc, WNOHANG) == 0; t += 50)
		usleep(50000);
	if (waitpid(pid, &rc, WNOHANG) == 0) {
		kill(pid, SIGINT);
		waitpid(pid, &rc, 0);
	}
	munmap(w.a, sizeof(*w.a));
	munmap(w.b, sizeof(*w.b));
	assert_int_equal(inj, 0);
	assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	for (int k = 0; k < K_N; k++)
		n += sent[k];
	print_message("%s: injected %d frames of %d kinds\n", dp, n, K_N);
	r = load_result(res);
	assert_non_null(r);
	assert_string_equal(str(r, "status"), "ok");
	check_counts(r, col, sent);
	json_decref(r);
	assert_no_leftovers(w.prefix);
}

static void test_foreign_udp(void **state)
{
	(void)state;
	run_one("udp", C_UDP);
}

static void test_foreign_packet(void **state)
{
	(void)state;
	run_one("packet", C_PACKET);
}

static void test_foreign_xdp(void **state)
{
	(void)state;
	run_one("xdp", C_XDP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_foreign_udp),
		cmocka_unit_test(test_foreign_packet),
		cmocka_unit_test(test_foreign_xdp),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
