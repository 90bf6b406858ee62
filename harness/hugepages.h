/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * 2 MiB hugepages for DPDK processes: hugetlbfs mounted at /dev/hugepages
 * (mounted here if absent, like bpffs in deps.sh: machine set-up that stays),
 * and enough free pages reserved through /proc/sys/vm/nr_hugepages. A run
 * that raised the reservation lowers it back at its end if no page is in
 * use then. Each DPDK process's files (/dev/hugepages/<file-prefix>*) and
 * runtime directory (/var/run/dpdk/<file-prefix>) are run-state objects
 * (kinds "huge" and "tree"), so a crashed run's are removed by cleanup.
 */
#ifndef BL_HUGEPAGES_H
#define BL_HUGEPAGES_H

#include <stdint.h>
#include <stddef.h>

#define HUGE_MOUNT "/dev/hugepages"
#define HUGE_PAGE_KB 2048u
#define DPDK_RUNTIME_DIR "/var/run/dpdk"

struct hugepages {
	long total, free;   /* 2 MiB pages, as /sys/kernel/mm/hugepages says */
	long raised_from;   /* nr_hugepages before this run raised it, -1 if it did not */
	int mounted;        /* hugetlbfs mounted by this run */
};

/* Read the 2 MiB page counters. 0 or -errno. */
int hugepages_read(long *total, long *free);
/* Mount hugetlbfs if needed and make `pages` free 2 MiB pages available.
 * 0, or -errno with one line in msg ("only 100 of 512 2 MiB hugepages
 * could be reserved (fragmented memory?)"). */
int hugepages_ensure(struct hugepages *h, long pages, char *msg, size_t len);
/* Give back what hugepages_ensure raised, if nothing uses hugepages now. */
void hugepages_release(struct hugepages *h);

#endif
