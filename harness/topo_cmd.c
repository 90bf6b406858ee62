// SPDX-License-Identifier: BSD-3-Clause
/*
 * `bypasslab topo [--topology bridge|direct] -- CMD [ARGS]`: build the same
 * topology a run uses, run CMD with its names in the environment, tear it
 * down. Lets peer tools (sockperf, iperf3, ...) be measured on the identical
 * path:
 *   BL_NS_A, BL_NS_B   namespaces (sender/client side, receiver/server side)
 *   BL_IP_A, BL_IP_B   their addresses
 *   BL_IF              the device inside each namespace
 *   BL_BRIDGE          the bridge ("" for direct)
 * Signals go to CMD; the topology is removed whatever CMD does.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "config.h"
#include "harness.h"
#include "runstate.h"
#include "topo.h"

int do_topo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int kind = TOPO_BRIDGE, opt, err, status = 0, ret = EXIT_FAIL, sfd;
	char prefix[16], ip[INET_ADDRSTRLEN];
	sigset_t set, saved;
	struct runstate *rs;
	struct topo t;
	pid_t pid;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (!strcmp(optarg, "bridge"))
				kind = TOPO_BRIDGE;
			else if (!strcmp(optarg, "direct"))
				kind = TOPO_DIRECT;
			else {
				fprintf(stderr, "bypasslab topo: --topology '%s': allowed bridge|direct\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "usage: bypasslab topo [--topology bridge|direct] -- CMD [ARGS]\n");
			return opt == 'h' ? EXIT_OK : EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: bypasslab topo [--topology bridge|direct] -- CMD [ARGS]\n");
		return EXIT_USAGE;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bypasslab topo: needs root\n");
		return EXIT_FAIL;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &saved);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("bypasslab topo: signalfd");
		goto out_mask;
	}
	err = runstate_gen_prefix(prefix);
	rs = err ? NULL : runstate__open(prefix);
	if (!rs) {
		perror("bypasslab topo: run-state file");
		goto out_sfd;
	}
	memset(&t, 0, sizeof(t));
	err = topo_up(&t, rs, kind, prefix);
	if (err) {
		fprintf(stderr, "bypasslab topo: %s: %s\n", topo_name(kind), strerror(-err));
		goto out_rs;
	}
	pid = fork();
	if (pid < 0) {
		perror("bypasslab topo: fork");
		goto out_topo;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &saved, NULL);
		setenv("BL_NS_A", t.ep[0].ns, 1);
		setenv("BL_NS_B", t.ep[1].ns, 1);
		inet_ntop(AF_INET, &t.ep[0].ip, ip, sizeof(ip));
		setenv("BL_IP_A", ip, 1);
		inet_ntop(AF_INET, &t.ep[1].ip, ip, sizeof(ip));
		setenv("BL_IP_B", ip, 1);
		setenv("BL_IF", t.ep[0].ifname, 1);
		setenv("BL_BRIDGE", t.bridge, 1);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "bypasslab topo: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	for (;;) {
		struct signalfd_siginfo si;

		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			continue;
		}
		kill(pid, (int)si.ssi_signo);
	}
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out_topo:
	topo_down(&t, rs);
out_rs:
	runstate__undo_all(rs);
	runstate__close(rs);
out_sfd:
	close(sfd);
out_mask:
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return ret;
}
