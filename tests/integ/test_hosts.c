// SPDX-License-Identifier: BSD-3-Clause
/*
 * Integration tests of topology = hosts: endpoints on two hosts, the
 * remote side driven over ssh. The two hosts are namespaces of this
 * machine, each with its own sshd (tests/integ/sshhosts.h), made once in
 * the group setup as the global H and taken down in the group teardown
 * (or at exit, when a test failed in between).
 *
 * Checked so far: the fixture itself. A session on a host runs in that
 * host's netns and sees its interfaces (/sys/class/net, ip link) and not
 * the other host's; the wire ends are down, unaddressed, with IPv6 off,
 * like everything the fixture makes; a namespace a session adds appears in
 * the root netns (the agent's namespaces must be visible to `bypasslab
 * cleanup` there); bpffs is the machine's. A second fixture, with a
 * process left running in one of its hosts, leaves nothing once down.
 *
 * Tests of runs over the two hosts go into this file: they use H (its
 * dest[], ssh_options, wire[]) and call need_hosts() first.
 *
 * Under CI=true these tests never skip: a missing sshd is a failure.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "integ.h"
#include "sshhosts.h"

static struct sshhosts H;
static int hosts_err = -EAGAIN; /* sshhosts_up's result; -EAGAIN: not tried */

/* Root, an sshd to run, and the fixture up; under CI=true nothing skips. */
static void need_hosts(void)
{
	need_root();
	if (access(SSHHOSTS_SSHD, X_OK)) {
		if (must_run())
			fail_msg("%s missing (openssh-server; harness/deps.sh installs it) and "
				 "CI=true forbids skipping",
				 SSHHOSTS_SSHD);
		skip();
	}
	if (hosts_err)
		fail_msg("the two hosts did not come up: %s (the line above from sshhosts says "
			 "what failed)",
			 strerror(-hosts_err));
}

static int setup_hosts(void **state)
{
	if (group_setup(state))
		return -1;
	if (geteuid() == 0 && !access(SSHHOSTS_SSHD, X_OK))
		hosts_err = sshhosts_up(&H);
	return 0;
}

static int teardown_hosts(void **state)
{
	/* cleanup first (integ.h's teardown): it brings back what a failed
	 * run left lent, the wire ends among it, while the hosts still exist. */
	int r = group_teardown(state);
	char what[2048];

	sshhosts_down(&H);
	if (sshhosts_leftovers(&H, what, sizeof(what))) {
		fprintf(stderr, "test_hosts: fixture %s left: %s\n", H.prefix, what);
		r = -1;
	}
	return r;
}

/* cmd on host over ssh must exit 0; its stdout, trailing newlines cut. */
static void ssh_ok(const struct sshhosts *h, int host, const char *cmd, char *out, size_t len)
{
	int rc = sshhosts_ssh(h, host, cmd, out, len);

	if (rc)
		fail_msg("`%s` on %s (%s) exited %d, stdout: %s", cmd, h->ns[host], h->dest[host], rc,
			 out ? out : "");
	for (size_t n = out ? strlen(out) : 0; n && out[n - 1] == '\n'; n--)
		out[n - 1] = 0;
}

static void test_hosts_fixture(void **state)
{
	char out[4096], cmd[256], want[64], mac[2][32], path[128];
	struct stat st;
	struct statfs sf;

	(void)state;
	need_hosts();
	for (int i = 0; i < 2; i++) {
		/* The session really runs inside host i. */
		snprintf(path, sizeof(path), "/run/netns/%s", H.ns[i]);
		assert_int_equal(stat(path, &st), 0);
		snprintf(want, sizeof(want), "net:[%lu]", (unsigned long)st.st_ino);
		ssh_ok(&H, i, "readlink /proc/self/ns/net", out, sizeof(out));
		if (strcmp(out, want))
			fail_msg("a session on %s runs in %s, the host is %s", H.ns[i], out, want);
		/* Its own interfaces, in sysfs too. */
		snprintf(cmd, sizeof(cmd), "cat /sys/class/net/%s/address", H.wire[i]);
		ssh_ok(&H, i, cmd, out, sizeof(out));
		if (strlen(out) != 17)
			fail_msg("%s on %s: no MAC: '%s'", H.wire[i], H.ns[i], out);
		snprintf(mac[i], sizeof(mac[i]), "%s", out);
		/* The wire end as the runs expect it: down, no address. */
		snprintf(cmd, sizeof(cmd), "ip -o link show dev %s; ip -o addr show dev %s", H.wire[i],
			 H.wire[i]);
		ssh_ok(&H, i, cmd, out, sizeof(out));
		if (!strstr(out, "state DOWN") || strstr(out, "inet"))
			fail_msg("%s on %s is not down and unaddressed: %s", H.wire[i], H.ns[i], out);
		/* No IPv6 anywhere in the host, nor on the root-side end. */
		ssh_ok(&H, i,
		       "cat /proc/sys/net/ipv6/conf/all/disable_ipv6 "
		       "/proc/sys/net/ipv6/conf/default/disable_ipv6; ip -6 -o addr show",
		       out, sizeof(out));
		if (strcmp(out, "1\n1"))
			fail_msg("IPv6 is on in %s: %s", H.ns[i], out);
		{
			char p[128], v[8] = "";
			FILE *f;

			snprintf(p, sizeof(p), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", H.root_if[i]);
			f = fopen(p, "r");
			assert_non_null(f);
			assert_non_null(fgets(v, sizeof(v), f));
			fclose(f);
			if (v[0] != '1')
				fail_msg("IPv6 is on on %s", H.root_if[i]);
		}
		if (strncmp(H.mgmt_ip[i], "198.19.", 7))
			fail_msg("management address %s is outside 198.19.0.0/16", H.mgmt_ip[i]);
	}
	if (!strcmp(mac[0], mac[1]))
		fail_msg("%s and %s have one MAC, %s", H.wire[0], H.wire[1], mac[0]);
	ssh_ok(&H, 0, "ip -o link show", out, sizeof(out));
	if (!strstr(out, H.wire[0]) || strstr(out, H.wire[1]))
		fail_msg("host A should list %s and not %s: %s", H.wire[0], H.wire[1], out);

	/* A namespace added in a session is the root's too, by name. */
	snprintf(cmd, sizeof(cmd), "ip netns add %sn && stat -L -c %%i /run/netns/%sn", H.prefix,
		 H.prefix);
	ssh_ok(&H, 0, cmd, out, sizeof(out));
	snprintf(path, sizeof(path), "/run/netns/%sn", H.prefix);
	assert_int_equal(stat(path, &st), 0);
	if (strtoul(out, NULL, 10) != (unsigned long)st.st_ino)
		fail_msg("%s is namespace %s in the session, inode %lu in the root ns", path, out,
			 (unsigned long)st.st_ino);
	snprintf(cmd, sizeof(cmd), "ip netns del %sn", H.prefix);
	ssh_ok(&H, 0, cmd, NULL, 0);
	if (!access(path, F_OK))
		fail_msg("%s deleted in a session is still in the root ns", path);

	/* bpffs, where mounted, is the machine's: pins are shared. */
	if (!statfs("/sys/fs/bpf", &sf) && sf.f_type == 0xcafe4a11 && !stat("/sys/fs/bpf", &st)) {
		snprintf(want, sizeof(want), "%lu:%lu", (unsigned long)st.st_dev,
			 (unsigned long)st.st_ino);
		ssh_ok(&H, 1, "stat -c %d:%i /sys/fs/bpf", out, sizeof(out));
		if (strcmp(out, want))
			fail_msg("/sys/fs/bpf on %s is %s, the machine's is %s", H.ns[1], out, want);
	}
}

/* A second fixture with a process left in a host (as an agent could be)
 * leaves nothing once down; down again, and on a zeroed struct, is
 * harmless; the first fixture still works. */
static void test_hosts_fixture_down(void **state)
{
	struct sshhosts h2, zero;
	char what[2048], out[256], pid[32];
	int n;

	(void)state;
	need_hosts();
	assert_int_equal(sshhosts_up(&h2), 0);
	assert_string_not_equal(h2.prefix, H.prefix);
	ssh_ok(&h2, 1, "setsid sleep 600 </dev/null >/dev/null 2>&1 & echo started", out,
	       sizeof(out));
	assert_string_equal(out, "started");
	/* What a live fixture has, the checker sees. */
	n = sshhosts_leftovers(&h2, what, sizeof(what));
	snprintf(pid, sizeof(pid), "pid %d ", (int)h2.sshd[1]);
	if (n != 1 || !strstr(what, h2.ns[0]) || !strstr(what, h2.root_if[1]) ||
	    !strstr(what, h2.dir) || !strstr(what, pid))
		fail_msg("a live fixture %s should show: %s", h2.prefix, what);
	sshhosts_down(&h2);
	if (sshhosts_leftovers(&h2, what, sizeof(what)))
		fail_msg("fixture %s left after down: %s", h2.prefix, what);
	sshhosts_down(&h2);
	memset(&zero, 0, sizeof(zero));
	sshhosts_down(&zero);
	assert_int_equal(sshhosts_leftovers(&zero, what, sizeof(what)), 0);
	for (int i = 0; i < 2; i++)
		ssh_ok(&H, i, "true", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts_fixture),
		cmocka_unit_test(test_hosts_fixture_down),
	};

	return cmocka_run_group_tests_name("hosts", tests, setup_hosts, teardown_hosts);
}
