/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder API until the switch module lands. */
#ifndef BL_VSWITCH_H
#define BL_VSWITCH_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "runstate.h"
enum vswitch_kind { VSWITCH_NONE = 0, VSWITCH_TESTPMD, VSWITCH_OVS };
struct vswitch_port_stats { uint64_t rx_pkts, tx_pkts, rx_dropped, tx_dropped; };
struct vswitch { enum vswitch_kind kind; unsigned int cpu; char dir[256]; char name[64]; char version[64]; };
const char *vswitch_name(enum vswitch_kind k);
int vswitch_kind_parse(const char *s);
int vswitch_probe(enum vswitch_kind kind, char *msg, size_t len);
int vswitch_start(struct vswitch *sw, enum vswitch_kind kind, struct runstate *rs, const char *prefix, const char *dir, unsigned int cpu, const char *const sock[2], char *err, size_t errlen);
int vswitch_stats(struct vswitch *sw, struct vswitch_port_stats st[2]);
int vswitch_stop(struct vswitch *sw, struct runstate *rs, struct vswitch_port_stats st[2]);
json_t *vswitch_json(const struct vswitch *sw, const struct vswitch_port_stats st[2]);
#endif
