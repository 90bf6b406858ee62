// SPDX-License-Identifier: BSD-3-Clause
/*
 * `bypasslab endpoint --shm PATH`: one endpoint of a case, started by the
 * harness inside its network namespace. Configuration comes from the shared
 * page; the endpoint reports state and counters there and prints nothing but
 * errors. Exit codes: 0 ok, 1 error, 2 usage, 3 datapath unsupported here.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "dp.h"
#include "endpoint.h"
#include "engine.h"
#include "log.h"
#include "tsc.h"

static void fail(struct ep_shm *shm, int err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(struct ep_shm *shm, int err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(shm->errmsg, sizeof(shm->errmsg), fmt, ap);
	va_end(ap);
	shm->err = err;
	shm->exit_code = code;
	__atomic_store_n(&shm->state, EP_ST_FAILED, __ATOMIC_RELEASE);
}

struct ep_shm *ep_shm_map(const char *path, int create)
{
	struct ep_shm *shm;
	int fd, err;

	fd = open(path, create ? O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC : O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (create && ftruncate(fd, sizeof(struct ep_shm)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (shm == MAP_FAILED) {
		errno = err;
		return NULL;
	}
	if (create) {
		memset(shm, 0, sizeof(*shm));
		shm->magic = EP_SHM_MAGIC;
		shm->version = EP_SHM_VERSION;
		shm->size = sizeof(*shm);
		histo_init(&shm->rtt);
	} else if (shm->magic != EP_SHM_MAGIC || shm->version != EP_SHM_VERSION ||
		   shm->size != sizeof(*shm)) {
		munmap(shm, sizeof(*shm));
		errno = EPROTO;
		return NULL;
	}
	return shm;
}

void ep_shm_unmap(struct ep_shm *shm)
{
	if (shm)
		munmap(shm, sizeof(*shm));
}

static void on_wake(int sig)
{
	(void)sig;
}

static int pin_cpu(unsigned int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int endpoint_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shm", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL;
	const struct dp_ops *ops;
	struct dp_ctx ctx = { 0 };
	struct ep_shm *shm;
	struct timespec nap = { 0, 100000 };
	int c, err;

	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		default:
			fprintf(stderr, "usage: bypasslab endpoint --shm PATH\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!path) {
		fprintf(stderr, "bypasslab endpoint: --shm PATH is required\n");
		return 2;
	}
	/* The harness owns the run: die with it, leave SIGINT, SIGTERM and
	 * SIGHUP to it (it also starts us in a process group of our own, so a
	 * signal to its group does not reach us), and stop when it says so. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* The harness's wake-up for a call blocked without a timeout: no
	 * SA_RESTART, so the call returns EINTR and the engine sees "stop". */
	{
		struct sigaction sa = { .sa_handler = on_wake };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
	}
	shm = ep_shm_map(path, 0);
	if (!shm && errno == ENOENT) {
		/* The harness removes the page only once it stopped waiting for
		 * this endpoint (an interrupted case, an LXC container that
		 * started late): nothing to report to anyone. */
		return 1;
	}
	if (!shm) {
		fprintf(stderr, "bypasslab endpoint: %s: %s\n", path, strerror(errno));
		return 1;
	}
	shm->pid = (uint32_t)getpid();
	ops = dp_find(shm->cfg.datapath);
	if (!ops) {
		fail(shm, -EINVAL, 2, "unknown datapath '%s'", shm->cfg.datapath);
		return 2;
	}
	err = pin_cpu(shm->cfg.cpu);
	if (err) {
		fail(shm, err, 1, "pin to CPU %u: %s", shm->cfg.cpu, strerror(-err));
		return 1;
	}
	err = ops->probe();
	if (err) {
		fail(shm, err, 3, "datapath %s unsupported here: %s", ops->name, strerror(-err));
		return 3;
	}
	ctx.cfg = &shm->cfg;
	ctx.st = &shm->st;
	ctx.shm = shm;
	ctx.ifindex = (int)if_nametoindex(shm->cfg.ifname);
	if (!ctx.ifindex) {
		err = -errno;
		fail(shm, err, 1, "interface %s: %s", shm->cfg.ifname, strerror(errno));
		return 1;
	}
	if (ops->priv_size) {
		ctx.priv = calloc(1, ops->priv_size);
		if (!ctx.priv) {
			fail(shm, -ENOMEM, 1, "out of memory");
			return 1;
		}
	}
	err = ops->open ? ops->open(&ctx) : 0;
	if (err) {
		char msg[sizeof(shm->errmsg)];

		/* Keep the datapath's own message; fail() rewrites errmsg. */
		snprintf(msg, sizeof(msg), "%s", shm->errmsg[0] ? shm->errmsg : strerror(-err));
		fail(shm, err, err == -EOPNOTSUPP ? 3 : 1, "%s open: %s", ops->name, msg);
		free(ctx.priv);
		return err == -EOPNOTSUPP ? 3 : 1;
	}
	__atomic_store_n(&shm->state, EP_ST_READY, __ATOMIC_RELEASE);
	while (shm->cmd == EP_CMD_WAIT) {
		if (ops->link)
			shm->link_up = (uint32_t)(ops->link(&ctx) > 0);
		nanosleep(&nap, NULL);
	}
	if (shm->cmd == EP_CMD_RUN) {
		__atomic_store_n(&shm->state, EP_ST_RUNNING, __ATOMIC_RELEASE);
		err = engine_run(ops, &ctx);
	}
	if (ops->kstats && !ops->kstats(&ctx, &shm->ks))
		shm->ks.valid = 1;
	if (ops->link && !err) {
		struct timespec t0, t;

		__atomic_store_n(&shm->state, EP_ST_DONE, __ATOMIC_RELEASE);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			nanosleep(&nap, NULL);
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while (shm->cmd != EP_CMD_EXIT && t.tv_sec - t0.tv_sec < 30);
	}
	if (ops->close)
		ops->close(&ctx);
	free(ctx.priv);
	if (err) {
		fail(shm, err, 1, "%s: %s", ops->name, strerror(-err));
		return 1;
	}
	__atomic_store_n(&shm->state, EP_ST_DONE, __ATOMIC_RELEASE);
	return 0;
}
