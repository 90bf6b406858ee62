// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include "vswitch.h"
const char *vswitch_name(enum vswitch_kind k) { return k == VSWITCH_TESTPMD ? "testpmd" : k == VSWITCH_OVS ? "ovs" : "none"; }
int vswitch_kind_parse(const char *s) { (void)s; return -1; }
int vswitch_probe(enum vswitch_kind kind, char *msg, size_t len) { (void)kind; snprintf(msg, len, "no switch"); return -ENOENT; }
int vswitch_start(struct vswitch *sw, enum vswitch_kind kind, struct runstate *rs, const char *prefix, const char *dir, unsigned int cpu, const char *const sock[2], char *err, size_t errlen)
{ (void)sw; (void)kind; (void)rs; (void)prefix; (void)dir; (void)cpu; (void)sock; snprintf(err, errlen, "switch not built"); return -ENOTSUP; }
int vswitch_stats(struct vswitch *sw, struct vswitch_port_stats st[2]) { (void)sw; (void)st; return -EAGAIN; }
int vswitch_stop(struct vswitch *sw, struct runstate *rs, struct vswitch_port_stats st[2]) { (void)sw; (void)rs; (void)st; return 0; }
json_t *vswitch_json(const struct vswitch *sw, const struct vswitch_port_stats st[2]) { (void)sw; (void)st; return json_null(); }
