// SPDX-License-Identifier: BSD-3-Clause
/* Frame build/parse/stamp/swap and the Internet checksums. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "frame.h"

#define OFF_IP FRAME_ETH_HLEN
#define OFF_UDP (FRAME_ETH_HLEN + FRAME_IP_HLEN)

static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ull;
}

/* xorshift64* */
static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/*
 * Reference checksum, written independently of lib/frame.c: big-endian
 * 16-bit words, 32-bit accumulator folded as it goes. Returns the folded sum
 * (not inverted) in host order.
 */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint32_t acc)
{
	for (size_t i = 0; i < len; i += 2) {
		uint32_t w = (uint32_t)p[i] << 8;

		if (i + 1 < len)
			w |= p[i + 1];
		acc += w;
		if (acc > 0xffff)
			acc = (acc & 0xffff) + (acc >> 16);
	}
	while (acc > 0xffff)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Reference UDP checksum in host order, with the 0 -> 0xffff rule. */
static uint16_t ref_udp_csum(const uint8_t *src_ip, const uint8_t *dst_ip, const uint8_t *udp,
			     size_t len)
{
	uint8_t ph[12];
	uint16_t c;

	memcpy(ph, src_ip, 4);
	memcpy(ph + 4, dst_ip, 4);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	c = (uint16_t)~ref_sum(udp, len, ref_sum(ph, sizeof(ph), 0));
	return c ? c : 0xffff;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t x[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, x, 4);
	return v;
}

#define TEST_TOKEN 0x5eed1234u

static const struct flow test_flow = {
	.token = TEST_TOKEN,
	.src_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
	.dst_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 },
	.sport = 9000,
	.dport = 9001,
};

static struct flow make_flow(void)
{
	struct flow f = test_flow;

	f.src_ip = ip4(10, 11, 0, 1);
	f.dst_ip = ip4(10, 11, 0, 2);
	return f;
}

/* The frame's UDP checksum recomputed from scratch, in network order. */
static uint16_t full_udp_csum(uint8_t *frame)
{
	uint8_t *udp = frame + OFF_UDP;
	uint16_t saved, c, zero = 0;
	uint32_t sip, dip;

	memcpy(&saved, udp + 6, 2);
	memcpy(udp + 6, &zero, 2);
	memcpy(&sip, frame + OFF_IP + 12, 4);
	memcpy(&dip, frame + OFF_IP + 16, 4);
	c = udp_csum(sip, dip, udp, rd16(udp + 4));
	memcpy(udp + 6, &saved, 2);
	return c;
}

/* Recompute the IPv4 header checksum after a test edits the header. */
static void fix_ip_csum(uint8_t *frame)
{
	uint16_t c;

	wr16(frame + OFF_IP + 10, 0);
	c = ip_csum(frame + OFF_IP, FRAME_IP_HLEN);
	memcpy(frame + OFF_IP + 10, &c, 2);
}

static void fix_udp_csum(uint8_t *frame)
{
	uint16_t c;

	wr16(frame + OFF_UDP + 6, 0);
	c = full_udp_csum(frame);
	memcpy(frame + OFF_UDP + 6, &c, 2);
}

static void test_ip_csum_vectors(void **state)
{
	static const uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
					 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
					 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	/* RFC 1071 section 3: the sum is ddf2, so the checksum is 220d. */
	static const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[32];
	uint16_t c;

	(void)state;
	c = ip_csum(hdr, sizeof(hdr));
	assert_int_equal(ntohs(c), 0xb861);
	assert_int_equal(ntohs(ip_csum(rfc, sizeof(rfc))), 0x220d);
	assert_int_equal((uint16_t)~ref_sum(rfc, sizeof(rfc), 0), 0x220d);

	/* Any alignment, and a header carrying its checksum sums to zero. */
	for (unsigned int off = 0; off < 4; off++) {
		memcpy(buf + off, hdr, sizeof(hdr));
		assert_int_equal(ip_csum(buf + off, sizeof(hdr)), c);
		memcpy(buf + off + 10, &c, 2);
		assert_int_equal(ip_csum(buf + off, sizeof(hdr)), 0);
	}

	/* Odd lengths: the last byte is the high half of a padded word. */
	assert_int_equal(ntohs(ip_csum(rfc, 7)), (uint16_t)~ref_sum(rfc, 7, 0));
	assert_int_equal(ntohs(ip_csum(rfc, 1)), (uint16_t)~0x0000);
	assert_int_equal(ntohs(ip_csum(rfc + 2, 1)), (uint16_t)~0xf200);
	assert_int_equal(ntohs(ip_csum(rfc, 0)), 0xffff);
}

static void test_udp_csum_vectors(void **state)
{
	/*
	 * 192.168.0.1:1234 -> 192.168.0.199:5678, payload "abcd", length 12.
	 * Pseudo header c0a8 0001 c0a8 00c7 0011 000c, UDP header 04d2 162e
	 * 000c 0000, payload 6162 6364:
	 *   c0a8 + 0001 + c0a8 + 00c7 + 0011 + 000c = 18235
	 *   + 04d2 + 162e + 000c + 0000 = 19d41
	 *   + 6162 + 6364 = 26207, folded 6207 + 2 = 6209, inverted 9df6.
	 * With payload "abc" (length 11) both length words drop by one and the
	 * last word is 6300: 26207 - 2 - 64 = 261a1 -> 61a3 -> 9e5c.
	 */
	uint8_t u4[12] = { 0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0c, 0, 0, 'a', 'b', 'c', 'd' };
	uint8_t u3[11] = { 0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0b, 0, 0, 'a', 'b', 'c' };
	uint32_t s = ip4(192, 168, 0, 1), d = ip4(192, 168, 0, 199);

	(void)state;
	assert_int_equal(ntohs(udp_csum(s, d, u4, sizeof(u4))), 0x9df6);
	assert_int_equal(ntohs(udp_csum(s, d, u3, sizeof(u3))), 0x9e5c);
	assert_int_equal(ref_udp_csum((uint8_t *)&s, (uint8_t *)&d, u4, sizeof(u4)), 0x9df6);
	assert_int_equal(ref_udp_csum((uint8_t *)&s, (uint8_t *)&d, u3, sizeof(u3)), 0x9e5c);
}

static void test_udp_csum_random(void **state)
{
	uint8_t buf[1600];

	(void)state;
	rng_seed(7);
	for (unsigned int k = 0; k < 2000; k++) {
		size_t len = 8 + rng_next() % 1473;
		unsigned int off = (unsigned int)(rng_next() % 8);
		uint32_t s = (uint32_t)rng_next(), d = (uint32_t)rng_next();
		uint8_t *u = buf + off;

		for (size_t i = 0; i < len; i++)
			u[i] = (uint8_t)rng_next();
		wr16(u + 4, (uint16_t)len);
		wr16(u + 6, 0);
		assert_int_equal(ntohs(udp_csum(s, d, u, len)),
				 ref_udp_csum((uint8_t *)&s, (uint8_t *)&d, u, len));
	}
}

static void test_udp_csum_zero(void **state)
{
	uint8_t u[16] = { 0x12, 0x34, 0x56, 0x78, 0x00, 0x10, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0 };
	uint32_t s = ip4(10, 0, 0, 1), d = ip4(10, 0, 0, 2);
	uint16_t sum;

	(void)state;
	/* Pick the last word so the data sums to ffff: the checksum computes
	 * as 0 and must be sent as ffff. */
	sum = (uint16_t)~ref_udp_csum((uint8_t *)&s, (uint8_t *)&d, u, sizeof(u));
	wr16(u + 14, (uint16_t)~sum);
	assert_int_equal(udp_csum(s, d, u, sizeof(u)), 0xffff);
	assert_int_equal(ref_udp_csum((uint8_t *)&s, (uint8_t *)&d, u, sizeof(u)), 0xffff);
}

static void check_built(const uint8_t *p, unsigned int size)
{
	size_t plen = size - FRAME_OVERHEAD;
	const uint8_t *pl = p + FRAME_HDRS;
	uint8_t u[FRAME_MAX];
	uint32_t token;
	uint64_t seq, tsc = 0;

	assert_int_equal(rd16(p + 12), 0x0800);
	assert_int_equal(p[OFF_IP], 0x45);
	assert_int_equal(p[OFF_IP + 1], 0);
	assert_int_equal(rd16(p + OFF_IP + 2), size - FRAME_FCS - FRAME_ETH_HLEN);
	assert_int_equal(rd16(p + OFF_IP + 4), 0);
	assert_int_equal(rd16(p + OFF_IP + 6), 0x4000);
	assert_int_equal(p[OFF_IP + 8], 64);
	assert_int_equal(p[OFF_IP + 9], 17);
	assert_int_equal(ip_csum(p + OFF_IP, FRAME_IP_HLEN), 0);
	assert_int_equal(rd16(p + OFF_UDP + 4), plen + FRAME_UDP_HLEN);
	/* UDP checksum against the reference over a copy with the field zeroed. */
	memcpy(u, p + OFF_UDP, plen + FRAME_UDP_HLEN);
	wr16(u + 6, 0);
	assert_int_equal(rd16(p + OFF_UDP + 6),
			 ref_udp_csum(p + OFF_IP + 12, p + OFF_IP + 16, u, plen + FRAME_UDP_HLEN));

	memcpy(&token, pl, 4);
	memcpy(&seq, pl + 4, 8);
	memcpy(&tsc, pl + 12, 6);
	assert_int_equal(token, TEST_TOKEN);
	assert_int_equal(seq, 0);
	assert_int_equal(tsc, 0);
	for (size_t i = sizeof(struct bl_hdr); i < plen; i++)
		assert_int_equal(pl[i], (uint8_t)i);
}

static void test_build_parse(void **state)
{
	static const unsigned int sizes[] = { 64, 65, 128, 512, 1500, 1518 };
	uint8_t buf[FRAME_MAX + 8];
	struct flow f = make_flow(), g;

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (unsigned int off = 0; off < 4; off++) {
			uint8_t *p = buf + off;
			const void *payload = NULL;
			unsigned int size = sizes[k];
			int n;

			memset(buf, 0xee, sizeof(buf));
			n = frame_build(p, FRAME_MAX, &f, size);
			assert_int_equal(n, size - 4);
			assert_int_equal(n, frame_wire_len(size));
			/* Nothing written past the wire length. */
			assert_int_equal(p[n], 0xee);
			check_built(p, size);

			memset(&g, 0, sizeof(g));
			n = frame_parse(p, frame_wire_len(size), &g, &payload);
			assert_int_equal(n, size - 46);
			assert_int_equal(n, frame_payload_len(size));
			assert_ptr_equal(payload, p + FRAME_HDRS);
			assert_memory_equal(g.src_mac, f.src_mac, 6);
			assert_memory_equal(g.dst_mac, f.dst_mac, 6);
			assert_int_equal(g.src_ip, f.src_ip);
			assert_int_equal(g.dst_ip, f.dst_ip);
			assert_int_equal(g.sport, f.sport);
			assert_int_equal(g.dport, f.dport);
			/* On the wire: destination MAC first, ports big-endian. */
			assert_memory_equal(p, f.dst_mac, 6);
			assert_memory_equal(p + 6, f.src_mac, 6);
			assert_int_equal(rd16(p + OFF_UDP), 9000);
			assert_int_equal(rd16(p + OFF_UDP + 2), 9001);
			assert_int_equal(payload_hdr((void *)payload)->token, TEST_TOKEN);

			/* Optional outputs. */
			assert_int_equal(frame_parse(p, frame_wire_len(size), NULL, NULL),
					 size - 46);
			/* Trailing bytes (Ethernet padding) are not payload. */
			assert_int_equal(frame_parse(p, frame_wire_len(size) + 3, NULL, NULL),
					 size - 46);
		}
	}
}

static void test_build_errors(void **state)
{
	uint8_t buf[FRAME_MAX];
	struct flow f = make_flow();

	(void)state;
	assert_int_equal(frame_build(buf, sizeof(buf), &f, 63), -EINVAL);
	assert_int_equal(frame_build(buf, sizeof(buf), &f, 1519), -EINVAL);
	assert_int_equal(frame_build(buf, sizeof(buf), &f, 0), -EINVAL);
	assert_int_equal(frame_build(NULL, sizeof(buf), &f, 64), -EINVAL);
	assert_int_equal(frame_build(buf, sizeof(buf), NULL, 64), -EINVAL);
	assert_int_equal(frame_build(buf, 59, &f, 64), -ENOSPC);
	assert_int_equal(frame_build(buf, 60, &f, 64), 60);
	assert_int_equal(frame_build(buf, 1513, &f, 1518), -ENOSPC);
	assert_int_equal(frame_build(buf, 1514, &f, 1518), 1514);
	assert_int_equal(frame_build(buf, sizeof(buf), &f, 64), 60);
	assert_int_equal(frame_build(buf, sizeof(buf), &f, 1518), 1514);
}

static void test_stamp(void **state)
{
	static const unsigned int sizes[] = { 64, 65, 99, 512, 1518 };
	uint8_t buf[FRAME_MAX + 8];
	struct flow f = make_flow();

	(void)state;
	rng_seed(99);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned int off = (unsigned int)k % 4;
		uint8_t *p = buf + off;
		size_t wire = frame_wire_len(sizes[k]);

		assert_int_equal(frame_build(p, FRAME_MAX, &f, sizes[k]), (int)wire);
		/* Chained stamps: each starts from the previous checksum. */
		for (unsigned int i = 0; i < 20000; i++) {
			uint64_t seq = rng_next(), tsc = rng_next(), s2, t2 = 0;
			const void *payload;
			uint16_t c;

			if (i % 4 == 1)
				seq = i; /* small counters, as in a real run */
			if (i % 8 == 3)
				tsc = 0;
			frame_stamp(p, seq, tsc);
			assert_int_equal(frame_parse(p, wire, NULL, &payload),
					 frame_payload_len(sizes[k]));
			memcpy(&s2, &payload_hdr((void *)payload)->seq, 8);
			memcpy(&t2, payload_hdr((void *)payload)->tsc, BL_TSC_BYTES);
			assert_int_equal(s2, seq);
			assert_int_equal(t2, tsc & BL_TSC_MASK);
			memcpy(&c, p + OFF_UDP + 6, 2);
			assert_int_equal(c, full_udp_csum(p));
			/* Reference verifier: with the checksum in, the sum is ffff. */
			assert_int_equal(ref_sum(p + OFF_UDP, wire - OFF_UDP,
						 ref_sum(p + OFF_IP + 12, 8, 17 + wire - OFF_UDP)),
					 0xffff);
		}
	}
}

/* Stamps that make the data sum to ffff: the checksum must come out as ffff
 * (never 0), and stamping away from that state must stay right. */
static void test_stamp_ffff(void **state)
{
	uint8_t p[FRAME_MAX];
	struct flow f = make_flow();
	size_t wire = frame_wire_len(128);

	(void)state;
	rng_seed(1234);
	assert_int_equal(frame_build(p, sizeof(p), &f, 128), (int)wire);
	for (unsigned int i = 0; i < 1000; i++) {
		uint64_t seq = rng_next(), tsc = rng_next();
		size_t tw = FRAME_HDRS + offsetof(struct bl_hdr, tsc) + BL_TSC_BYTES - 2;
		uint8_t q[FRAME_MAX];
		uint16_t sum, c;

		/* On a copy with the checksum field and the tsc's last two bytes
		 * zeroed, choose those two bytes so the datagram sums to ffff.
		 * Stamping that tsc for real must then give ffff, never 0. */
		frame_stamp(p, seq, tsc);
		memcpy(q, p, wire);
		wr16(q + OFF_UDP + 6, 0);
		wr16(q + tw, 0);
		sum = (uint16_t)~ref_udp_csum(q + OFF_IP + 12, q + OFF_IP + 16, q + OFF_UDP,
					      wire - OFF_UDP);
		wr16(q + tw, (uint16_t)~sum);
		assert_int_equal(ref_udp_csum(q + OFF_IP + 12, q + OFF_IP + 16, q + OFF_UDP,
					      wire - OFF_UDP),
				 0xffff);
		tsc = 0;
		memcpy(&tsc, q + FRAME_HDRS + offsetof(struct bl_hdr, tsc), BL_TSC_BYTES);

		frame_stamp(p, seq, tsc);
		memcpy(&c, p + OFF_UDP + 6, 2);
		assert_int_equal(c, 0xffff);
		assert_int_equal(c, full_udp_csum(p));
		assert_true(frame_parse(p, wire, NULL, NULL) > 0);

		/* And away from the ffff state again. */
		frame_stamp(p, rng_next(), rng_next());
		memcpy(&c, p + OFF_UDP + 6, 2);
		assert_int_equal(c, full_udp_csum(p));
		assert_true(frame_parse(p, wire, NULL, NULL) > 0);
	}
}

/* verify = no: the same structural checks, checksums not looked at. */
static void test_parse_headers(void **state)
{
	uint8_t p[FRAME_MAX];
	struct flow f = make_flow();
	const void *pl = NULL, *pl2 = NULL;

	(void)state;
	for (unsigned int size = 64; size <= 1518; size += 227) {
		size_t wire = frame_wire_len(size);

		assert_int_equal(frame_build(p, sizeof(p), &f, size), (int)wire);
		assert_int_equal(frame_parse_headers(p, wire, &pl), frame_payload_len(size));
		assert_int_equal(frame_parse(p, wire, NULL, &pl2), frame_payload_len(size));
		assert_ptr_equal(pl, pl2);
		/* A broken checksum: only the verifying parse notices. */
		p[OFF_UDP + 6] ^= 0x5a;
		assert_int_equal(frame_parse_headers(p, wire, &pl), frame_payload_len(size));
		assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);
		p[OFF_IP + 10] ^= 0x5a;
		assert_int_equal(frame_parse_headers(p, wire, &pl), frame_payload_len(size));
		assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);
		/* Structure is still checked: truncated, not UDP, a fragment, not IPv4. */
		assert_int_equal(frame_parse_headers(p, wire - 1, &pl), -EINVAL);
		p[OFF_IP + 9] = 6;
		assert_int_equal(frame_parse_headers(p, wire, &pl), -EINVAL);
		p[OFF_IP + 9] = 17;
		p[OFF_IP + 6] |= 0x20;
		assert_int_equal(frame_parse_headers(p, wire, &pl), -EINVAL);
		p[OFF_IP + 6] &= (uint8_t)~0x20;
		p[12] = 0x86;
		assert_int_equal(frame_parse_headers(p, wire, &pl), -EINVAL);
		assert_int_equal(frame_parse_headers(p, 10, &pl), -EINVAL);
	}
}

/* Stamping a fresh copy of the template from the template's base gives the
 * same frame, byte for byte, as frame_stamp on that copy; the checksum is
 * the full recompute's; and a template without checksum keeps none. */
static void test_stamp_tmpl(void **state)
{
	uint8_t tmpl[FRAME_MAX], a[FRAME_MAX], b[FRAME_MAX];
	struct flow f = make_flow();

	(void)state;
	for (unsigned int size = 64; size <= 1518; size += 97) {
		size_t wire = frame_wire_len(size);
		uint64_t base;
		uint16_t c;

		assert_int_equal(frame_build(tmpl, sizeof(tmpl), &f, size), (int)wire);
		base = frame_stamp_base(tmpl);
		for (int k = 0; k < 200; k++) {
			uint64_t seq = rng_next(), tsc = rng_next();

			if (k == 0)
				seq = tsc = 0;
			memcpy(a, tmpl, wire);
			memcpy(b, tmpl, wire);
			frame_stamp(a, seq, tsc);
			frame_stamp_tmpl(b, base, seq, tsc);
			assert_memory_equal(a, b, wire);
			memcpy(&c, b + OFF_UDP + 6, 2);
			assert_int_equal(c, full_udp_csum(b));
			assert_true(frame_parse(b, wire, NULL, NULL) > 0);
		}
		wr16(tmpl + OFF_UDP + 6, 0);
		base = frame_stamp_base(tmpl);
		memcpy(b, tmpl, wire);
		frame_stamp_tmpl(b, base, 7, 77);
		assert_int_equal(rd16(b + OFF_UDP + 6), 0);
		assert_int_equal(frame_parse(b, wire, NULL, NULL), frame_payload_len(size));
	}
}

static void test_stamp_no_csum(void **state)
{
	uint8_t p[FRAME_MAX];
	struct flow f = make_flow();
	size_t wire = frame_wire_len(256);
	uint64_t seq;

	(void)state;
	assert_int_equal(frame_build(p, sizeof(p), &f, 256), (int)wire);
	wr16(p + OFF_UDP + 6, 0); /* sender opted out of the UDP checksum */
	frame_stamp(p, 42, 4242);
	assert_int_equal(rd16(p + OFF_UDP + 6), 0);
	memcpy(&seq, p + FRAME_HDRS + offsetof(struct bl_hdr, seq), 8);
	assert_int_equal(seq, 42);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), frame_payload_len(256));
}

static void test_swap(void **state)
{
	uint8_t p[FRAME_MAX + 1], orig[FRAME_MAX + 1];
	struct flow f = make_flow(), g;
	size_t wire = frame_wire_len(200);

	(void)state;
	/* Odd address: the swap must not assume alignment. */
	memset(p, 0, sizeof(p));
	assert_int_equal(frame_build(p + 1, FRAME_MAX, &f, 200), (int)wire);
	frame_stamp(p + 1, 7, 77);
	memcpy(orig, p, sizeof(p));

	frame_swap(p + 1);
	assert_int_equal(frame_parse(p + 1, wire, &g, NULL), frame_payload_len(200));
	assert_memory_equal(g.src_mac, f.dst_mac, 6);
	assert_memory_equal(g.dst_mac, f.src_mac, 6);
	assert_int_equal(g.src_ip, f.dst_ip);
	assert_int_equal(g.dst_ip, f.src_ip);
	assert_int_equal(g.sport, f.dport);
	assert_int_equal(g.dport, f.sport);
	/* Checksums and payload untouched. */
	assert_memory_equal(p + 1 + OFF_IP + 10, orig + 1 + OFF_IP + 10, 2);
	assert_memory_equal(p + 1 + OFF_UDP + 4, orig + 1 + OFF_UDP + 4, wire - OFF_UDP - 4);

	frame_swap(p + 1);
	assert_memory_equal(p, orig, sizeof(p));
}

static void test_parse_malformed(void **state)
{
	uint8_t good[FRAME_MAX], p[FRAME_MAX];
	struct flow f = make_flow();
	size_t wire = frame_wire_len(128);
	const void *payload = NULL;

	(void)state;
	assert_int_equal(frame_build(good, sizeof(good), &f, 128), (int)wire);
	frame_stamp(good, 5, 55);

#define RESET() memcpy(p, good, sizeof(p))
	/* Truncated: shorter than the headers, or than the IP total length. */
	RESET();
	assert_int_equal(frame_parse(p, 0, NULL, NULL), -EINVAL);
	assert_int_equal(frame_parse(p, FRAME_HDRS - 1, NULL, NULL), -EINVAL);
	assert_int_equal(frame_parse(p, wire - 1, NULL, NULL), -EINVAL);
	assert_int_equal(frame_parse(NULL, wire, NULL, NULL), -EINVAL);

	/* Corrupt IP checksum. */
	RESET();
	p[OFF_IP + 10] ^= 0x01;
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);
	RESET();
	p[OFF_IP + 8] = 63; /* TTL changed, checksum not updated */
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);

	/* Corrupt UDP checksum, or a payload byte under it. */
	RESET();
	p[OFF_UDP + 7] ^= 0x80;
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);
	RESET();
	p[wire - 1] ^= 0x01;
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);

	/* Wrong ethertype (IPv6, ARP). */
	RESET();
	wr16(p + 12, 0x86dd);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);
	RESET();
	wr16(p + 12, 0x0806);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);

	/* Wrong protocol (TCP), IP checksum fixed so only the protocol is off. */
	RESET();
	p[OFF_IP + 9] = 6;
	fix_ip_csum(p);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);

	/* Version 6 / IHL 6, checksums fixed. */
	RESET();
	p[OFF_IP] = 0x65;
	fix_ip_csum(p);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);
	RESET();
	p[OFF_IP] = 0x46;
	fix_ip_csum(p);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);

	/* IP total length beyond the buffer, or below IP + UDP headers. */
	RESET();
	wr16(p + OFF_IP + 2, (uint16_t)(wire - OFF_IP + 1));
	fix_ip_csum(p);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);
	RESET();
	wr16(p + OFF_IP + 2, 27);
	fix_ip_csum(p);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);

	/* UDP length disagreeing with the IP length (UDP checksum fixed). */
	RESET();
	wr16(p + OFF_UDP + 4, (uint16_t)(rd16(p + OFF_UDP + 4) - 1));
	fix_udp_csum(p);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);
	RESET();
	wr16(p + OFF_UDP + 4, 7);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);

	/* A shorter IP datagram in a padded frame is fine when consistent. */
	RESET();
	wr16(p + OFF_IP + 2, (uint16_t)(rd16(p + OFF_IP + 2) - 10));
	fix_ip_csum(p);
	wr16(p + OFF_UDP + 4, (uint16_t)(rd16(p + OFF_UDP + 4) - 10));
	fix_udp_csum(p);
	assert_int_equal(frame_parse(p, wire, NULL, &payload), frame_payload_len(128) - 10);
	assert_ptr_equal(payload, p + FRAME_HDRS);

	/* A fragment is not a datagram we can check. */
	RESET();
	wr16(p + OFF_IP + 6, 0x2000);
	fix_ip_csum(p);
	assert_int_equal(frame_parse(p, wire, NULL, NULL), -EINVAL);

	/* A zero UDP checksum means "not computed": accepted. */
	RESET();
	wr16(p + OFF_UDP + 6, 0);
	p[wire - 1] ^= 0xff;
	assert_int_equal(frame_parse(p, wire, NULL, NULL), frame_payload_len(128));
#undef RESET

	/* The good frame still parses. */
	assert_int_equal(frame_parse(good, wire, NULL, NULL), frame_payload_len(128));
}

/* frame_check: the workload's frame passes; each single defect is named. */
static void test_frame_check(void **state)
{
	struct flow f = make_flow(), rx = f;
	struct frame_expect x;
	uint8_t good[FRAME_MAX], p[FRAME_MAX];
	size_t wire = frame_wire_len(128), plen = frame_payload_len(128);
	const void *pl = NULL;

	(void)state;
	assert_int_equal(frame_build(good, sizeof(good), &f, 128), (int)wire);
	/* The receiver's own flow: src = itself, dst = the sender. */
	memcpy(rx.src_mac, f.dst_mac, 6);
	memcpy(rx.dst_mac, f.src_mac, 6);
	rx.src_ip = f.dst_ip;
	rx.dst_ip = f.src_ip;
	rx.sport = f.dport;
	rx.dport = f.sport;
	frame_expect_init(&x, &rx, plen);
	assert_int_equal(frame_check(good, wire, 1, &x, &pl), FRAME_OK);
	assert_ptr_equal(pl, good + FRAME_HDRS);
#define BAD(what, verify, len, why)                                                    \
	do {                                                                           \
		memcpy(p, good, wire);                                                 \
		what;                                                                  \
		assert_int_equal(frame_check(p, len, verify, &x, &pl), why);           \
	} while (0)
	BAD(p[0] ^= 1, 1, wire, FRAME_BAD_MAC);
	BAD(p[11] ^= 1, 1, wire, FRAME_BAD_MAC);
	BAD(wr16(p + 12, 0x86dd), 1, wire, FRAME_BAD_IP);
	BAD(p[OFF_IP + 9] = 6, 0, wire, FRAME_BAD_IP);
	BAD(wr16(p + OFF_IP + 6, 0x2000), 0, wire, FRAME_BAD_IP);
	BAD(p[OFF_IP + 15] ^= 1, 0, wire, FRAME_BAD_IP);
	BAD(p[OFF_IP + 19] ^= 1, 0, wire, FRAME_BAD_IP);
	BAD(p[OFF_IP + 15] ^= 1, 1, wire, FRAME_BAD_CSUM);
	BAD(p[OFF_UDP + 1] ^= 1, 0, wire, FRAME_BAD_PORT);
	BAD(p[OFF_UDP + 3] ^= 1, 0, wire, FRAME_BAD_PORT);
	BAD(p[wire - 1] ^= 1, 1, wire, FRAME_BAD_CSUM);
	BAD(p[wire - 1] ^= 1, 0, wire, FRAME_OK);
	BAD((void)0, 1, wire - 1, FRAME_BAD_LEN);
	BAD((void)0, 1, FRAME_HDRS - 1, FRAME_BAD_LEN);
	BAD(wr16(p + OFF_UDP + 4, (uint16_t)(plen + 7)), 0, wire, FRAME_BAD_LEN);
#undef BAD
	/* A whole, valid frame of another size is not the workload's. */
	assert_int_equal(frame_build(p, sizeof(p), &f, 256), (int)frame_wire_len(256));
	assert_int_equal(frame_check(p, frame_wire_len(256), 1, &x, &pl), FRAME_BAD_LEN);
	for (int i = 0; i < FRAME_NBAD; i++)
		assert_non_null(frame_bad_names[i]);
}

static void test_payload_fill(void **state)
{
	uint8_t pl[300], small[10];
	uint32_t token;
	uint64_t z = 0;

	(void)state;
	memset(pl, 0xee, sizeof(pl));
	payload_fill(pl, 299, TEST_TOKEN);
	memcpy(&token, pl, 4);
	assert_int_equal(token, TEST_TOKEN);
	memcpy(&z, pl + 4, 8);
	assert_int_equal(z, 0);
	memcpy(&z, pl + 12, 6);
	assert_int_equal(z, 0);
	for (size_t i = sizeof(struct bl_hdr); i < 299; i++)
		assert_int_equal(pl[i], (uint8_t)i);
	assert_int_equal(pl[299], 0xee);

	/* Too short for the header: pattern only, within bounds. */
	payload_fill(small, sizeof(small), TEST_TOKEN);
	for (size_t i = 0; i < sizeof(small); i++)
		assert_int_equal(small[i], (uint8_t)i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_csum_vectors),
		cmocka_unit_test(test_udp_csum_vectors),
		cmocka_unit_test(test_udp_csum_random),
		cmocka_unit_test(test_udp_csum_zero),
		cmocka_unit_test(test_build_parse),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_stamp_ffff),
		cmocka_unit_test(test_stamp_no_csum),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_headers),
		cmocka_unit_test(test_stamp_tmpl),
		cmocka_unit_test(test_payload_fill),
		cmocka_unit_test(test_frame_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
