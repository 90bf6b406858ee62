/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BL_ENDPOINT_H
#define BL_ENDPOINT_H

#include "shm.h"

int endpoint_main(int argc, char **argv);
/* Map an endpoint page; create = 1 makes a new file (O_EXCL) and zeroes it.
 * NULL + errno on failure. */
struct ep_shm *ep_shm_map(const char *path, int create);
void ep_shm_unmap(struct ep_shm *shm);

#endif
