/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BL_ENGINE_H
#define BL_ENGINE_H

#include "dp.h"

/* Run the role in ctx->cfg over ops until the harness says stop or the
 * safety limit passes. Returns 0 or -errno. Never prints. */
int engine_run(const struct dp_ops *ops, struct dp_ctx *ctx);

/* Sequence tracking for receivers: reorder and duplicate detection over a
 * sliding window of SEQ_WINDOW sequence numbers, wrap-safe (modulo 2^64).
 * A jump of SEQ_JUMP_MAX or more ahead, or back past the first sequence
 * seen, is SEQ_IMPLAUSIBLE: no sender can have sent it. */
#define SEQ_WINDOW 65536u
#define SEQ_JUMP_MAX (1ull << 32)
struct seq_track {
	uint64_t next; /* highest seen + 1 (modulo 2^64) */
	uint64_t span; /* how far the head has moved since init */
	uint64_t bits[SEQ_WINDOW / 64];
};
enum seq_verdict { SEQ_IN_ORDER = 0, SEQ_GAP, SEQ_REORDER, SEQ_DUP, SEQ_TOO_OLD, SEQ_IMPLAUSIBLE };
void seq_track_init(struct seq_track *t);
int seq_track_add(struct seq_track *t, uint64_t seq);

#endif
