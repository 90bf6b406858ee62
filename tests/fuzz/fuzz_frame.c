// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer target: the receive-side frame parser, as the engine uses it
 * for whole frames: frame_parse (verify = yes: headers and both checksums)
 * and frame_parse_headers (verify = no). The first input byte picks
 * verify (its low bit); the rest is the frame, in a buffer of exactly its
 * size so that any read past it is an ASan report. Properties: a payload
 * lies inside the frame; a frame that passes with checksums passes
 * without them, with the same payload; a checksummed frame still passes
 * after frame_swap (the echo a server sends back).
 *
 * The engine classifies every frame with frame_check (addresses, ports,
 * lengths, checksums with verify) against what its peer sends: the same
 * buffer is checked against the frame's own addresses and payload length
 * (so that the fuzzer reaches past the address compares) and against a
 * fixed flow. A frame it accepts has its payload inside the frame, of the
 * expected length, and passes frame_parse (verify) or frame_parse_headers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

/* frame_check against x: its properties, whatever the verdict. */
static void check_one(const uint8_t *buf, size_t size, int verify, const struct frame_expect *x)
{
	const void *payload = NULL, *p2;
	int why = frame_check(buf, size, verify, x, &payload);

	if (why < FRAME_OK || why >= FRAME_NBAD)
		abort();
	if (why != FRAME_OK)
		return;
	if ((const uint8_t *)payload != buf + FRAME_HDRS ||
	    FRAME_HDRS + (size_t)x->payload_len > size)
		abort();
	if ((verify ? frame_parse(buf, size, NULL, &p2) : frame_parse_headers(buf, size, &p2)) !=
	    (int)x->payload_len)
		abort();
}

/* The receiver's expectation for a frame as it came: its own addresses
 * and ports seen from the receiving side, and its UDP payload length. */
static void expect_of(struct frame_expect *x, const uint8_t *buf, size_t size)
{
	uint16_t ulen = 0;

	memcpy(x->macs, buf, 12);
	memcpy(x->ips, buf + FRAME_ETH_HLEN + 12, 8);
	memcpy(x->ports, buf + FRAME_ETH_HLEN + FRAME_IP_HLEN, 4);
	if (size >= FRAME_HDRS)
		ulen = (uint16_t)(buf[FRAME_ETH_HLEN + FRAME_IP_HLEN + 4] << 8 |
				  buf[FRAME_ETH_HLEN + FRAME_IP_HLEN + 5]);
	x->payload_len = ulen >= FRAME_UDP_HLEN ? ulen - FRAME_UDP_HLEN : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const void *payload = NULL, *payload2 = NULL;
	int verify, len, len2;
	uint8_t *buf;

	if (!size)
		return 0;
	verify = data[0] & 1;
	size--;
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, size);
	if (size >= FRAME_HDRS) {
		struct frame_expect x;
		struct flow own = { .src_mac = { 2, 0x42, 0xc6, 0x12, 0, 2 },
				    .dst_mac = { 2, 0x42, 0xc6, 0x12, 0, 1 },
				    .src_ip = 0x020012c6, .dst_ip = 0x010012c6,
				    .sport = 9001, .dport = 9000 };

		expect_of(&x, buf, size);
		check_one(buf, size, verify, &x);
		frame_expect_init(&x, &own, 18);
		check_one(buf, size, verify, &x);
	} else {
		struct frame_expect x = { .payload_len = 0 };

		check_one(buf, size, verify, &x);
	}
	if (verify) {
		struct flow f;

		len = frame_parse(buf, size, &f, &payload);
	} else {
		len = frame_parse_headers(buf, size, &payload);
	}
	if (len >= 0) {
		const uint8_t *p = payload;

		if (p < buf || p + len > buf + size)
			abort();
		for (int i = 0; i < len; i++)
			sink ^= p[i];
		/* What the engine reads: the test header, if it fits. */
		if (len >= (int)sizeof(struct bl_hdr)) {
			struct bl_hdr h;

			memcpy(&h, p, sizeof(h));
			sink ^= (uint8_t)h.seq;
		}
	}
	if (verify && len >= 0) {
		len2 = frame_parse_headers(buf, size, &payload2);
		if (len2 != len || payload2 != payload)
			abort();
		frame_swap(buf);
		if (frame_parse(buf, size, NULL, &payload2) != len)
			abort();
	}
	free(buf);
	return 0;
}
