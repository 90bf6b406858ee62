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
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

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
