/* SPDX-License-Identifier: BSD-3-Clause */
/* Endpoints in LXC application containers (container = lxc). */
#ifndef BL_LXC_H
#define BL_LXC_H

#include <sys/types.h>

#include "ep_run.h"
#include "runstate.h"
#include "topo.h"

/* Start endpoint i of t in its container on cpu; the container and its
 * bridge port are in the run state before they exist. */
int lxc_spawn(struct ep_run *ep, const struct topo *t, int i, unsigned int cpu,
	      struct runstate *rs);
/* The host pid of the endpoint serving shm_path, or -errno. */
pid_t lxc_endpoint_pid(const char *shm_path);

#endif
