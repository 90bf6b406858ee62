/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the qdiscs on an interface dropped: a path with a qdisc a hook
 * added (a tbf as a known bottleneck) loses packets there, and no
 * interface counter shows them.
 */
#ifndef BL_QDISC_H
#define BL_QDISC_H

#include <stdint.h>

/* The drops of every qdisc on ifname in the calling thread's netns
 * (`tc -s -j qdisc show`): 0, or -errno when tc cannot say. */
int qdisc_drops_read(const char *ifname, uint64_t *drops);

#endif
