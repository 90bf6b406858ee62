/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BL_ENGINE_H
#define BL_ENGINE_H

#include "dp.h"

/* Run the role in ctx->cfg over ops until the harness says stop or the
 * safety limit passes. Returns 0 or -errno. Never prints. */
int engine_run(const struct dp_ops *ops, struct dp_ctx *ctx);

/* Sequence tracking for receivers: reorder and duplicate detection over a
 * sliding window of SEQ_WINDOW sequence numbers. */
#define SEQ_WINDOW 65536u
struct seq_track {
	uint64_t next; /* highest seen + 1 */
	uint64_t bits[SEQ_WINDOW / 64];
};
enum seq_verdict { SEQ_IN_ORDER = 0, SEQ_GAP, SEQ_REORDER, SEQ_DUP, SEQ_TOO_OLD };
void seq_track_init(struct seq_track *t);
int seq_track_add(struct seq_track *t, uint64_t seq);

#endif
