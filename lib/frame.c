// SPDX-License-Identifier: BSD-3-Clause
/*
 * Ethernet / IPv4 / UDP test frames.
 *
 * Checksums are one's complement sums of 16-bit words loaded in host order;
 * the sum is byte-order independent (RFC 1071 section 2(B)), so the folded
 * result is already in network order and is stored with a plain memcpy.
 * Every multi-byte field goes through memcpy: frames may sit at any alignment.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include "frame.h"

#define FR_ETH_TYPE_IPV4 0x0800u
#define FR_IP_PROTO_UDP 17u
#define FR_IP_DF 0x4000u
#define FR_IP_MF 0x2000u
#define FR_IP_OFFMASK 0x1fffu
#define FR_IP_TTL 64u

/* Offsets from the start of the frame. */
#define OFF_ETH_DST 0u
#define OFF_ETH_SRC 6u
#define OFF_ETH_TYPE 12u
#define OFF_IP FRAME_ETH_HLEN
#define OFF_IP_TOTLEN (OFF_IP + 2u)
#define OFF_IP_FRAG (OFF_IP + 6u)
#define OFF_IP_PROTO (OFF_IP + 9u)
#define OFF_IP_CSUM (OFF_IP + 10u)
#define OFF_IP_SRC (OFF_IP + 12u)
#define OFF_IP_DST (OFF_IP + 16u)
#define OFF_UDP (FRAME_ETH_HLEN + FRAME_IP_HLEN)
#define OFF_UDP_SPORT (OFF_UDP + 0u)
#define OFF_UDP_DPORT (OFF_UDP + 2u)
#define OFF_UDP_LEN (OFF_UDP + 4u)
#define OFF_UDP_CSUM (OFF_UDP + 6u)
#define OFF_BL FRAME_HDRS

static inline uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Unfolded one's complement sum of len bytes added to acc. */
static uint64_t csum_add(uint64_t acc, const void *data, size_t len)
{
	const uint8_t *p = data;

	/* 32-bit words into a 64-bit accumulator: no carry is lost before
	 * 2^32 words, far beyond any frame. */
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, sizeof(w));
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += get16(p);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the high-order byte of a zero-padded word,
		 * i.e. the first byte in memory. */
		uint16_t w = 0;

		memcpy(&w, p, 1);
		acc += w;
	}
	return acc;
}

static uint16_t csum_fold(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	return (uint16_t)acc;
}

uint16_t ip_csum(const void *data, size_t len)
{
	return (uint16_t)~csum_fold(csum_add(0, data, len));
}

static uint64_t pseudo_sum(uint32_t src_ip, uint32_t dst_ip, size_t len)
{
	uint64_t acc = 0;

	acc += src_ip;
	acc += dst_ip;
	acc += htons(FR_IP_PROTO_UDP);
	acc += htons((uint16_t)len);
	return acc;
}

uint16_t udp_csum(uint32_t src_ip, uint32_t dst_ip, const void *udp, size_t len)
{
	uint16_t c = (uint16_t)~csum_fold(csum_add(pseudo_sum(src_ip, dst_ip, len), udp, len));

	/* 0 means "no checksum" in UDP over IPv4 (RFC 768). */
	return c ? c : 0xffff;
}

void payload_fill(void *payload, size_t len, uint32_t token)
{
	uint8_t *p = payload;
	size_t i = 0;

	if (len >= sizeof(struct bl_hdr)) {
		struct bl_hdr h = { .token = token, .seq = 0 };

		memcpy(p, &h, sizeof(h));
		i = sizeof(h);
	}
	for (; i < len; i++)
		p[i] = (uint8_t)i;
}

int frame_build(void *buf, size_t cap, const struct flow *f, unsigned int frame_size)
{
	uint8_t *p = buf;
	size_t wire, ip_len, udp_len;

	if (!buf || !f || frame_size < FRAME_MIN || frame_size > FRAME_MAX)
		return -EINVAL;
	wire = frame_wire_len(frame_size);
	if (cap < wire)
		return -ENOSPC;
	ip_len = wire - FRAME_ETH_HLEN;
	udp_len = ip_len - FRAME_IP_HLEN;

	memcpy(p + OFF_ETH_DST, f->dst_mac, 6);
	memcpy(p + OFF_ETH_SRC, f->src_mac, 6);
	put16(p + OFF_ETH_TYPE, htons(FR_ETH_TYPE_IPV4));

	p[OFF_IP] = 0x45; /* version 4, IHL 5 */
	p[OFF_IP + 1] = 0; /* TOS */
	put16(p + OFF_IP_TOTLEN, htons((uint16_t)ip_len));
	put16(p + OFF_IP + 4, 0); /* ID: DF set, never fragmented */
	put16(p + OFF_IP_FRAG, htons(FR_IP_DF));
	p[OFF_IP + 8] = FR_IP_TTL;
	p[OFF_IP_PROTO] = FR_IP_PROTO_UDP;
	put16(p + OFF_IP_CSUM, 0);
	memcpy(p + OFF_IP_SRC, &f->src_ip, 4);
	memcpy(p + OFF_IP_DST, &f->dst_ip, 4);
	put16(p + OFF_IP_CSUM, ip_csum(p + OFF_IP, FRAME_IP_HLEN));

	put16(p + OFF_UDP_SPORT, htons(f->sport));
	put16(p + OFF_UDP_DPORT, htons(f->dport));
	put16(p + OFF_UDP_LEN, htons((uint16_t)udp_len));
	put16(p + OFF_UDP_CSUM, 0);
	payload_fill(p + FRAME_HDRS, udp_len - FRAME_UDP_HLEN, f->token);
	put16(p + OFF_UDP_CSUM, udp_csum(f->src_ip, f->dst_ip, p + OFF_UDP, udp_len));

	return (int)wire;
}

void frame_stamp(void *frame, uint64_t seq, uint64_t tsc)
{
	uint8_t *p = frame;
	uint8_t *bs = p + OFF_BL + offsetof(struct bl_hdr, seq);
	uint8_t nw[sizeof(seq) + BL_TSC_BYTES];
	uint16_t old_c = get16(p + OFF_UDP_CSUM);
	uint64_t acc;
	uint16_t c;

	_Static_assert(offsetof(struct bl_hdr, tsc) == offsetof(struct bl_hdr, seq) + sizeof(seq),
		       "seq and tsc must be adjacent");
	_Static_assert((OFF_BL + offsetof(struct bl_hdr, seq) - OFF_UDP) % 2 == 0,
		       "seq must start on a 16-bit word of the UDP checksum");
	_Static_assert(sizeof(nw) % 2 == 0, "seq and tsc must be whole 16-bit words");

	memcpy(nw, &seq, sizeof(seq));
	memcpy(nw + sizeof(seq), &tsc, BL_TSC_BYTES); /* little-endian: the low bytes */
	if (!old_c) {
		/* Sender chose no checksum: keep it that way. */
		memcpy(bs, nw, sizeof(nw));
		return;
	}

	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over every changed word. */
	acc = (uint16_t)~old_c;
	for (size_t i = 0; i < sizeof(nw); i += 2) {
		acc += (uint16_t)~get16(bs + i);
		acc += get16(nw + i);
	}
	memcpy(bs, nw, sizeof(nw));
	c = (uint16_t)~csum_fold(acc);
	/* A full recompute turns 0 into 0xffff; so must we. */
	put16(p + OFF_UDP_CSUM, c ? c : 0xffff);
}

#define STAMP_NO_CSUM UINT64_MAX

uint64_t frame_stamp_base(const void *tmpl)
{
	const uint8_t *p = tmpl;
	const uint8_t *bs = p + OFF_BL + offsetof(struct bl_hdr, seq);
	uint16_t old_c = get16(p + OFF_UDP_CSUM);
	uint64_t acc;

	if (!old_c)
		return STAMP_NO_CSUM;
	/* RFC 1624 eqn. 3 with the template's words taken out: ~HC + sum ~m. */
	acc = (uint16_t)~old_c;
	for (size_t i = 0; i < sizeof(uint64_t) + BL_TSC_BYTES; i += 2)
		acc += (uint16_t)~get16(bs + i);
	return acc;
}

void frame_stamp_tmpl(void *frame, uint64_t base, uint64_t seq, uint64_t tsc)
{
	uint8_t *p = frame;
	uint8_t nw[sizeof(seq) + BL_TSC_BYTES];
	uint64_t acc = base;
	uint16_t c;

	memcpy(nw, &seq, sizeof(seq));
	memcpy(nw + sizeof(seq), &tsc, BL_TSC_BYTES);
	memcpy(p + OFF_BL + offsetof(struct bl_hdr, seq), nw, sizeof(nw));
	if (base == STAMP_NO_CSUM)
		return;
	for (size_t i = 0; i < sizeof(nw); i += 2)
		acc += get16(nw + i);
	c = (uint16_t)~csum_fold(acc);
	put16(p + OFF_UDP_CSUM, c ? c : 0xffff);
}

int frame_parse(const void *buf, size_t len, struct flow *f, const void **payload)
{
	const uint8_t *p = buf;
	size_t ip_len, udp_len;
	uint16_t frag, c;
	uint32_t sip, dip;
	uint64_t acc;

	if (!p || len < FRAME_HDRS)
		return -EINVAL;
	if (get16(p + OFF_ETH_TYPE) != htons(FR_ETH_TYPE_IPV4))
		return -EINVAL;
	if (p[OFF_IP] != 0x45) /* IPv4 without options only */
		return -EINVAL;
	if (ip_csum(p + OFF_IP, FRAME_IP_HLEN) != 0)
		return -EINVAL;
	ip_len = ntohs(get16(p + OFF_IP_TOTLEN));
	/* Shorter than the buffer is fine (Ethernet padding), longer is not. */
	if (ip_len < FRAME_IP_HLEN + FRAME_UDP_HLEN || ip_len > len - FRAME_ETH_HLEN)
		return -EINVAL;
	frag = ntohs(get16(p + OFF_IP_FRAG));
	if (frag & (FR_IP_MF | FR_IP_OFFMASK)) /* a fragment is not a whole datagram */
		return -EINVAL;
	if (p[OFF_IP_PROTO] != FR_IP_PROTO_UDP)
		return -EINVAL;
	udp_len = ntohs(get16(p + OFF_UDP_LEN));
	if (udp_len != ip_len - FRAME_IP_HLEN)
		return -EINVAL;
	memcpy(&sip, p + OFF_IP_SRC, 4);
	memcpy(&dip, p + OFF_IP_DST, 4);
	c = get16(p + OFF_UDP_CSUM);
	/* Summing over the stored checksum too gives 0xffff when it is right
	 * (the data is never all zero: the protocol word is 17). */
	if (c) {
		acc = csum_add(pseudo_sum(sip, dip, udp_len), p + OFF_UDP, udp_len);
		if (csum_fold(acc) != 0xffff)
			return -EINVAL;
	}

	if (f) {
		memcpy(f->dst_mac, p + OFF_ETH_DST, 6);
		memcpy(f->src_mac, p + OFF_ETH_SRC, 6);
		f->src_ip = sip;
		f->dst_ip = dip;
		f->sport = ntohs(get16(p + OFF_UDP_SPORT));
		f->dport = ntohs(get16(p + OFF_UDP_DPORT));
	}
	if (payload)
		*payload = p + FRAME_HDRS;
	return (int)(udp_len - FRAME_UDP_HLEN);
}

int frame_parse_headers(const void *buf, size_t len, const void **payload)
{
	const uint8_t *p = buf;
	size_t ip_len, udp_len;

	if (!p || len < FRAME_HDRS || get16(p + OFF_ETH_TYPE) != htons(FR_ETH_TYPE_IPV4) ||
	    p[OFF_IP] != 0x45 || p[OFF_IP_PROTO] != FR_IP_PROTO_UDP ||
	    (ntohs(get16(p + OFF_IP_FRAG)) & (FR_IP_MF | FR_IP_OFFMASK)))
		return -EINVAL;
	ip_len = ntohs(get16(p + OFF_IP_TOTLEN));
	udp_len = ntohs(get16(p + OFF_UDP_LEN));
	if (ip_len < FRAME_IP_HLEN + FRAME_UDP_HLEN || ip_len > len - FRAME_ETH_HLEN ||
	    udp_len != ip_len - FRAME_IP_HLEN)
		return -EINVAL;
	*payload = p + FRAME_HDRS;
	return (int)(udp_len - FRAME_UDP_HLEN);
}

void frame_swap(void *frame)
{
	uint8_t *p = frame;
	uint8_t t[6];

	/* Checksums are sums: swapping operands leaves them valid. */
	memcpy(t, p + OFF_ETH_DST, 6);
	memcpy(p + OFF_ETH_DST, p + OFF_ETH_SRC, 6);
	memcpy(p + OFF_ETH_SRC, t, 6);
	memcpy(t, p + OFF_IP_SRC, 4);
	memcpy(p + OFF_IP_SRC, p + OFF_IP_DST, 4);
	memcpy(p + OFF_IP_DST, t, 4);
	memcpy(t, p + OFF_UDP_SPORT, 2);
	memcpy(p + OFF_UDP_SPORT, p + OFF_UDP_DPORT, 2);
	memcpy(p + OFF_UDP_DPORT, t, 2);
}

const char *const frame_bad_names[FRAME_NBAD] = {
	[FRAME_OK] = "ok",	       [FRAME_BAD_MAC] = "mac",	  [FRAME_BAD_IP] = "ip",
	[FRAME_BAD_PORT] = "port",     [FRAME_BAD_TOKEN] = "token", [FRAME_BAD_LEN] = "length",
	[FRAME_BAD_CSUM] = "checksum", [FRAME_BAD_SEQ] = "seq",
};

void frame_expect_init(struct frame_expect *x, const struct flow *own, size_t payload_len)
{
	/* A frame to us: our MAC first, then the peer's; the peer's address
	 * and port first, then ours. */
	memcpy(x->macs, own->src_mac, 6);
	memcpy(x->macs + 6, own->dst_mac, 6);
	memcpy(x->ips, &own->dst_ip, 4);
	memcpy(x->ips + 4, &own->src_ip, 4);
	put16(x->ports, htons(own->dport));
	put16(x->ports + 2, htons(own->sport));
	x->payload_len = (uint32_t)payload_len;
}

int frame_check(const void *buf, size_t len, int verify, const struct frame_expect *x,
		const void **payload)
{
	const uint8_t *p = buf;
	uint64_t a8, b8;
	uint32_t a4, b4;
	size_t ip_len, udp_len;
	uint16_t c;

	if (len < FRAME_HDRS)
		return FRAME_BAD_LEN;
	/* Both MACs: one 8-byte and one 4-byte compare. */
	memcpy(&a8, p, 8);
	memcpy(&b8, x->macs, 8);
	memcpy(&a4, p + 8, 4);
	memcpy(&b4, x->macs + 8, 4);
	if (a8 != b8 || a4 != b4)
		return FRAME_BAD_MAC;
	if (get16(p + OFF_ETH_TYPE) != htons(FR_ETH_TYPE_IPV4) || p[OFF_IP] != 0x45 ||
	    p[OFF_IP_PROTO] != FR_IP_PROTO_UDP ||
	    (ntohs(get16(p + OFF_IP_FRAG)) & (FR_IP_MF | FR_IP_OFFMASK)))
		return FRAME_BAD_IP;
	ip_len = ntohs(get16(p + OFF_IP_TOTLEN));
	udp_len = ntohs(get16(p + OFF_UDP_LEN));
	if (ip_len < FRAME_IP_HLEN + FRAME_UDP_HLEN || ip_len > len - FRAME_ETH_HLEN ||
	    udp_len != ip_len - FRAME_IP_HLEN)
		return FRAME_BAD_LEN;
	if (verify) {
		if (ip_csum(p + OFF_IP, FRAME_IP_HLEN) != 0)
			return FRAME_BAD_CSUM;
		c = get16(p + OFF_UDP_CSUM);
		if (c) {
			uint32_t sip, dip;

			memcpy(&sip, p + OFF_IP_SRC, 4);
			memcpy(&dip, p + OFF_IP_DST, 4);
			if (csum_fold(csum_add(pseudo_sum(sip, dip, udp_len), p + OFF_UDP,
					       udp_len)) != 0xffff)
				return FRAME_BAD_CSUM;
		}
	}
	/* Source and destination address are adjacent, so are the ports. */
	memcpy(&a8, p + OFF_IP_SRC, 8);
	memcpy(&b8, x->ips, 8);
	if (a8 != b8)
		return FRAME_BAD_IP;
	memcpy(&a4, p + OFF_UDP_SPORT, 4);
	memcpy(&b4, x->ports, 4);
	if (a4 != b4)
		return FRAME_BAD_PORT;
	if (udp_len - FRAME_UDP_HLEN != x->payload_len)
		return FRAME_BAD_LEN;
	*payload = p + FRAME_HDRS;
	return FRAME_OK;
}
