// SPDX-License-Identifier: BSD-3-Clause
/*
 * The harness's own sources for the disturbance verdict: /proc/stat per
 * CPU, and the run-state files of other runs. Reading a state file's
 * first line ("owner <pid> <starttime>") and comparing the owner's start
 * time is all `cleanup` does to tell a live run from a dead one.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disturb.h"
#include "proc.h"
#include "runstate.h"

/* The run time of the kernel thread ksoftirqd/<cpu>, ns; 0 if not found. */
static uint64_t softirqd_ns(unsigned int cpu)
{
	char want[32], path[64], comm[32];
	unsigned long long ns = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc");
	FILE *f;

	snprintf(want, sizeof(want), "ksoftirqd/%u\n", cpu);
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/comm", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f) || strcmp(comm, want)) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%.20s/schedstat", d->d_name);
		f = fopen(path, "re");
		if (f) {
			if (fscanf(f, "%llu", &ns) != 1)
				ns = 0;
			fclose(f);
		}
		break;
	}
	if (dir)
		closedir(dir);
	return ns;
}

int cpu_ticks_read(unsigned int cpu, struct cpu_ticks *t)
{
	char line[512], want[16];
	FILE *f = fopen("/proc/stat", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "cpu%u ", cpu);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };

		if (strncmp(line, want, strlen(want)))
			continue;
		if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8)
			break;
		/* user nice system idle iowait irq softirq steal */
		t->busy = v[0] + v[1] + v[2] + v[5] + v[6];
		t->steal = v[7];
		t->total = t->busy + v[3] + v[4] + v[7];
		err = 0;
		break;
	}
	fclose(f);
	t->softirqd_ns = err ? 0 : softirqd_ns(cpu);
	return err;
}

/* Whether RS_STATE_DIR/name is a live run's state file. */
static int run_alive(const char *name)
{
	char path[512];
	unsigned long long start = 0;
	int pid = 0, ok;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", RS_STATE_DIR, name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	ok = fscanf(f, "owner %d %llu", &pid, &start) == 2;
	fclose(f);
	return ok && pid > 0 && start && proc_starttime(pid) == start;
}

static void add_word(char *buf, size_t len, const char *w, size_t wl)
{
	size_t n = strlen(buf);

	if (n + wl + 2 > len)
		return;
	if (n)
		buf[n++] = ' ';
	memcpy(buf + n, w, wl);
	buf[n + wl] = '\0';
}

int disturb_other_runs(const char *self, char *buf, size_t len)
{
	DIR *d = opendir(RS_STATE_DIR);
	struct dirent *de;
	int n = 0;

	if (len)
		buf[0] = '\0';
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l != RS_PREFIX_LEN + 6 || strcmp(de->d_name + RS_PREFIX_LEN, ".state"))
			continue;
		if (self && !strncmp(de->d_name, self, RS_PREFIX_LEN))
			continue;
		if (!run_alive(de->d_name))
			continue;
		add_word(buf, len, de->d_name, RS_PREFIX_LEN);
		n++;
	}
	closedir(d);
	return n;
}

void disturb_merge_runs(char *buf, size_t len, const char *more)
{
	for (const char *p = more; *p;) {
		size_t wl = strcspn(p, " ");
		const char *q = buf;
		int have = 0;

		while (*q && !have) {
			size_t ql = strcspn(q, " ");

			have = ql == wl && !strncmp(q, p, wl);
			q += ql + (q[ql] == ' ');
		}
		if (!have && wl)
			add_word(buf, len, p, wl);
		p += wl + (p[wl] == ' ');
	}
}

int disturb_wait_alone(const char *self, int wait_ms, char *buf, size_t len, int (*stop)(void))
{
	struct timespec ts = { 0, DISTURB_POLL_MS * 1000000L };

	for (int waited = 0;; waited += DISTURB_POLL_MS) {
		if (!disturb_other_runs(self, buf, len))
			return 0;
		if (waited >= wait_ms)
			return -EBUSY;
		if (stop && stop())
			return -EINTR;
		nanosleep(&ts, NULL);
	}
}
