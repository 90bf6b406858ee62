/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workload's frame: Ethernet II / IPv4 (no options, DF, TTL 64) / UDP /
 * bypasslab test header / padding. One definition for every datapath.
 *
 * Frame size follows RFC 2544: the Ethernet frame including its 4-byte FCS,
 * FRAME_MIN..FRAME_MAX. What goes on a veth is size - FRAME_FCS bytes (no FCS
 * there); the UDP payload is size - FRAME_OVERHEAD bytes and starts with
 * struct bl_hdr.
 */
#ifndef BL_FRAME_H
#define BL_FRAME_H

#include <stdint.h>
#include <stddef.h>

#define FRAME_FCS 4u
#define FRAME_ETH_HLEN 14u
#define FRAME_IP_HLEN 20u
#define FRAME_UDP_HLEN 8u
#define FRAME_HDRS (FRAME_ETH_HLEN + FRAME_IP_HLEN + FRAME_UDP_HLEN) /* 42 */
#define FRAME_OVERHEAD (FRAME_HDRS + FRAME_FCS)                      /* 46 */
#define FRAME_MIN 64u
#define FRAME_MAX 1518u
#define FRAME_L1_OVERHEAD 20u /* preamble + SFD (8) + inter-frame gap (12) */

/* Test header at the start of the UDP payload (18 bytes: fits a 64 B frame).
 * The token is a random value per case (ep_config.token): a receiver takes
 * a frame as the workload's only if it carries it. The TSC is its low 48
 * bits (about a day at 3 GHz): RTTs are differences modulo 2^48. */
#define BL_TSC_BYTES 6u
#define BL_TSC_MASK ((1ull << (8 * BL_TSC_BYTES)) - 1)
struct bl_hdr {
	uint32_t token;              /* host order: both ends are this machine */
	uint64_t seq;                /* host order */
	uint8_t tsc[BL_TSC_BYTES];   /* sender's TSC at tx (client's for ping-pong),
				      * low 48 bits, little-endian */
} __attribute__((packed));

_Static_assert(sizeof(struct bl_hdr) == FRAME_MIN - FRAME_OVERHEAD, "bl_hdr must fit a 64 B frame");

struct flow {
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint32_t src_ip; /* network order */
	uint32_t dst_ip; /* network order */
	uint16_t sport;  /* host order */
	uint16_t dport;  /* host order */
	uint32_t token;  /* frame_build: the test header's token */
};

static inline size_t frame_payload_len(unsigned int frame_size)
{
	return frame_size - FRAME_OVERHEAD;
}

static inline size_t frame_wire_len(unsigned int frame_size)
{
	return frame_size - FRAME_FCS;
}

/* RFC 1071 one's complement sum folded and inverted. */
uint16_t ip_csum(const void *data, size_t len);
/* UDP checksum over the IPv4 pseudo header + UDP header + payload
 * (udp points at the UDP header, len = UDP length); 0 is sent as 0xffff. */
uint16_t udp_csum(uint32_t src_ip, uint32_t dst_ip, const void *udp, size_t len);

/* Build a complete frame (wire length frame_wire_len(frame_size)) into buf:
 * headers, valid IPv4 and UDP checksums, a bl_hdr with seq 0 / tsc 0, and a
 * deterministic padding pattern. Returns the wire length or -EINVAL/-ENOSPC. */
int frame_build(void *buf, size_t cap, const struct flow *f, unsigned int frame_size);

/* Write seq and tsc into a built frame's bl_hdr and fix the UDP checksum
 * incrementally (RFC 1624). */
void frame_stamp(void *frame, uint64_t seq, uint64_t tsc);
/* The same for a frame that holds exactly tmpl's bytes (just copied from
 * it): the checksum follows from frame_stamp_base(tmpl), and the frame is
 * only written, never read (no store-to-load stall behind the copy). */
uint64_t frame_stamp_base(const void *tmpl);
void frame_stamp_tmpl(void *frame, uint64_t base, uint64_t seq, uint64_t tsc);

/* Parse and validate a frame: Ethernet type IPv4, version/IHL, IP checksum,
 * total length within len, protocol UDP, UDP length, UDP checksum (if
 * non-zero). Fills *f (may be NULL) and points *payload at the UDP payload.
 * Returns the payload length or -EINVAL. */
int frame_parse(const void *buf, size_t len, struct flow *f, const void **payload);
/* The same checks without the two checksums (verify = no): what a receiver
 * that trusts its link does. Returns the payload length or -EINVAL. */
int frame_parse_headers(const void *buf, size_t len, const void **payload);

/* Swap L2/L3/L4 source and destination in place (echo); checksums stay valid. */
void frame_swap(void *frame);

/* Why a received frame is not the workload's (frame_check). */
enum frame_bad {
	FRAME_OK = 0,
	FRAME_BAD_MAC,   /* source or destination MAC is not the peer's / ours */
	FRAME_BAD_IP,    /* not IPv4/UDP, a fragment, or not between the peer and us */
	FRAME_BAD_PORT,  /* UDP ports not the workload's */
	FRAME_BAD_TOKEN, /* the test header does not carry this case's token */
	FRAME_BAD_LEN,   /* lengths inconsistent, or not the workload's frame size */
	FRAME_BAD_CSUM,  /* IPv4 or UDP checksum wrong */
	FRAME_BAD_SEQ,   /* a sequence number the sender cannot have sent */
	FRAME_NBAD,
};
extern const char *const frame_bad_names[FRAME_NBAD];

/* What a receiver expects of the workload's frames: the addresses as they
 * sit on the wire (dst MAC, src MAC; src IP, dst IP; src port, dst port),
 * so that each pair is one or two loads and compares. */
struct frame_expect {
	uint8_t macs[12];
	uint8_t ips[8];
	uint8_t ports[4];
	uint32_t payload_len; /* UDP payload bytes */
};
/* From the receiver's own flow (src = us, dst = the peer). */
void frame_expect_init(struct frame_expect *x, const struct flow *own, size_t payload_len);
/* Classify a whole frame: FRAME_OK with *payload set, or why not. Structure
 * first (frame_parse's checks; the checksums only with verify), then MACs,
 * addresses, ports and the payload length. The token is the caller's. */
int frame_check(const void *buf, size_t len, int verify, const struct frame_expect *x,
		const void **payload);

/* Payload-only helpers for datapaths where the kernel builds the headers. */
void payload_fill(void *payload, size_t len, uint32_t token);
static inline struct bl_hdr *payload_hdr(void *payload)
{
	return (struct bl_hdr *)payload;
}

#endif
