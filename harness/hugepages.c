// SPDX-License-Identifier: BSD-3-Clause
/* Hugepage reservation for DPDK endpoints and switches: see hugepages.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "hugepages.h"
#include "log.h"

#define HUGETLBFS_MAGIC_ 0x958458f6
#define HP_SYS "/sys/kernel/mm/hugepages/hugepages-2048kB/"

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1)
		v = -EIO;
	fclose(f);
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", v) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

int hugepages_read(long *total, long *free)
{
	long t = read_long(HP_SYS "nr_hugepages"), f = read_long(HP_SYS "free_hugepages");

	if (t < 0)
		return (int)t;
	if (f < 0)
		return (int)f;
	*total = t;
	*free = f;
	return 0;
}

static int hugetlbfs_mounted(void)
{
	struct statfs s;

	return !statfs(HUGE_MOUNT, &s) && (unsigned long)s.f_type == HUGETLBFS_MAGIC_;
}

int hugepages_ensure(struct hugepages *h, long pages, char *msg, size_t len)
{
	long total = 0, free = 0;
	int err;

	memset(h, 0, sizeof(*h));
	h->raised_from = -1;
	if (!hugetlbfs_mounted()) {
		if (mkdir(HUGE_MOUNT, 0755) && errno != EEXIST) {
			err = -errno;
			snprintf(msg, len, "mkdir %s: %s", HUGE_MOUNT, strerror(errno));
			return err;
		}
		if (mount("nodev", HUGE_MOUNT, "hugetlbfs", 0, "pagesize=2M")) {
			err = -errno;
			snprintf(msg, len, "mount hugetlbfs on %s: %s", HUGE_MOUNT, strerror(errno));
			return err;
		}
		h->mounted = 1;
	}
	err = hugepages_read(&total, &free);
	if (err) {
		snprintf(msg, len, "no 2 MiB hugepages on this kernel (%s): %s", HP_SYS,
			 strerror(-err));
		return err;
	}
	if (free < pages) {
		err = write_long(HP_SYS "nr_hugepages", total + (pages - free));
		if (err) {
			snprintf(msg, len, "reserve %ld 2 MiB hugepages: %s", pages - free,
				 strerror(-err));
			return err;
		}
		h->raised_from = total;
		err = hugepages_read(&total, &free);
		if (err || free < pages) {
			snprintf(msg, len,
				 "only %ld of %ld 2 MiB hugepages could be reserved (memory "
				 "fragmented? try again after `echo 3 > /proc/sys/vm/drop_caches`)",
				 err ? 0 : free, pages);
			hugepages_release(h);
			return -ENOMEM;
		}
	}
	h->total = total;
	h->free = free;
	return 0;
}

void hugepages_release(struct hugepages *h)
{
	long total = 0, free = 0;

	if (h->raised_from < 0 || hugepages_read(&total, &free))
		return;
	/* Pages in use (another run, a process still exiting) stay; lowering
	 * then would only turn them into surplus pages. */
	if (free == total && total > h->raised_from)
		if (write_long(HP_SYS "nr_hugepages", h->raised_from))
			pr_warn("bypasslab: could not give back %ld hugepages\n",
				total - h->raised_from);
	h->raised_from = -1;
}
