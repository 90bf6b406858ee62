// SPDX-License-Identifier: BSD-3-Clause
/*
 * SR-IOV through sysfs, against fake sysfs trees built per test in a
 * mkdtemp() directory (removed by the teardown, also after a failure):
 * discovery, lookups, VF creation, vfio-pci binding, every preflight
 * message, that links never lead out of the root, and the real /sys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sriov.h"

#define BUS "/devices/pci0000:00"
#define PF_PCI "0000:03:00.0"
#define VF0_PCI "0000:03:10.0"
#define VF1_PCI "0000:03:10.2"

static char tmpdir[PATH_MAX / 2]; /* removed by the teardown */
static char root[PATH_MAX];     /* tmpdir/sys: the fake sysfs */
static char outside[PATH_MAX];  /* tmpdir/outside: must never be reached */

/* ---- fake tree --------------------------------------------------------- */

static void __attribute__((format(printf, 3, 4)))
full_path(char *out, const char *base, const char *f, ...)
{
	char rel[PATH_MAX];
	va_list ap;

	va_start(ap, f);
	assert_true(vsnprintf(rel, sizeof(rel), f, ap) < (int)sizeof(rel));
	va_end(ap);
	assert_true(snprintf(out, PATH_MAX, "%s%s", base, rel) < PATH_MAX);
}

static void mkdir_p(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
}

static void mkdir_parent(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	*strrchr(p, '/') = '\0';
	mkdir_p(p);
}

#define fake_dir(...)                              \
	do {                                       \
		char _p[PATH_MAX];                 \
		full_path(_p, root, __VA_ARGS__);  \
		mkdir_p(_p);                       \
	} while (0)

/* A file (text written as is) or a symlink at a path inside base. */
static void put_file(const char *path, const char *text)
{
	FILE *f;

	mkdir_parent(path);
	f = fopen(path, "w");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void put_link(const char *path, const char *target)
{
	mkdir_parent(path);
	if (symlink(target, path))
		fail_msg("symlink %s -> %s: %s", path, target, strerror(errno));
}

#define fake_file(text, ...)                       \
	do {                                       \
		char _p[PATH_MAX];                 \
		full_path(_p, root, __VA_ARGS__);  \
		put_file(_p, text);                \
	} while (0)

#define fake_link(target, ...)                     \
	do {                                       \
		char _p[PATH_MAX];                 \
		full_path(_p, root, __VA_ARGS__);  \
		put_link(_p, target);              \
	} while (0)

/* The content of a file inside the root, "<missing>" if there is none. */
static const char *__attribute__((format(printf, 1, 2))) slurp(const char *f, ...)
{
	static char buf[4096];
	char rel[PATH_MAX / 2], p[PATH_MAX];
	va_list ap;
	ssize_t n;
	int fd;

	va_start(ap, f);
	assert_true(vsnprintf(rel, sizeof(rel), f, ap) < (int)sizeof(rel));
	va_end(ap);
	full_path(p, root, "%s", rel);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return "<missing>";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* A PCI function at BUS/<pci>, listed in bus/pci/devices, bound to driver
 * ("" = unbound) whose bind/unbind files exist. */
static void fake_pci(const char *pci, const char *driver)
{
	char t[PATH_MAX];

	fake_dir(BUS "/%s", pci);
	fake_file("", BUS "/%s/driver_override", pci);
	snprintf(t, sizeof(t), "../../..%s/%s", BUS, pci);
	fake_link(t, "/bus/pci/devices/%s", pci);
	if (!*driver)
		return;
	fake_dir("/bus/pci/drivers/%s", driver);
	if (strcmp(driver, "vfio-pci")) {
		fake_file("", "/bus/pci/drivers/%s/bind", driver);
		fake_file("", "/bus/pci/drivers/%s/unbind", driver);
	}
	snprintf(t, sizeof(t), "../../../bus/pci/drivers/%s", driver);
	fake_link(t, BUS "/%s/driver", pci);
}

/* Netdev ifname on the device directory dev (inside the root). */
static void fake_netdev(const char *dev, const char *ifname)
{
	char t[PATH_MAX];

	fake_dir("%s/net/%s", dev, ifname);
	snprintf(t, sizeof(t), "../../../%s", strrchr(dev, '/') + 1);
	fake_link(t, "%s/net/%s/device", dev, ifname);
	snprintf(t, sizeof(t), "../..%s/net/%s", dev, ifname);
	fake_link(t, "/class/net/%s", ifname);
}

/* A PF: its sriov_totalvfs (< 0: none) and sriov_numvfs. */
static void fake_pf(const char *pci, const char *driver, const char *ifname, int total, int num)
{
	char dev[PATH_MAX], v[16];

	fake_pci(pci, driver);
	snprintf(dev, sizeof(dev), BUS "/%s", pci);
	if (total >= 0) {
		snprintf(v, sizeof(v), "%d\n", total);
		fake_file(v, "%s/sriov_totalvfs", dev);
		snprintf(v, sizeof(v), "%d\n", num);
		fake_file(v, "%s/sriov_numvfs", dev);
	}
	if (ifname)
		fake_netdev(dev, ifname);
}

/* VF index of pf (what the kernel makes when sriov_numvfs is written). */
static void fake_vf(const char *pf, int index, const char *pci, const char *driver,
		    const char *ifname)
{
	char t[PATH_MAX], dev[PATH_MAX];

	fake_pci(pci, driver);
	snprintf(t, sizeof(t), "../%s", pci);
	fake_link(t, BUS "/%s/virtfn%d", pf, index);
	snprintf(t, sizeof(t), "../%s", pf);
	fake_link(t, BUS "/%s/physfn", pci);
	snprintf(dev, sizeof(dev), BUS "/%s", pci);
	if (ifname)
		fake_netdev(dev, ifname);
}

/* virtio-net NIC as on a VM: the netdev hangs off a virtio device under
 * the PCI function, which has no SR-IOV capability. */
static void fake_virtio(const char *ifname)
{
	fake_pci("0000:00:03.0", "virtio-pci");
	fake_dir("/bus/virtio/drivers/virtio_net");
	fake_dir(BUS "/0000:00:03.0/virtio2");
	fake_link("../../../../bus/virtio/drivers/virtio_net", BUS "/0000:00:03.0/virtio2/driver");
	fake_netdev(BUS "/0000:00:03.0/virtio2", ifname);
}

static void fake_veth(const char *ifname)
{
	char t[PATH_MAX];

	fake_dir("/devices/virtual/net/%s", ifname);
	snprintf(t, sizeof(t), "../../devices/virtual/net/%s", ifname);
	fake_link(t, "/class/net/%s", ifname);
}

static void fake_vfio(void)
{
	fake_dir("/bus/pci/drivers/vfio-pci");
}

/* eth3 = PF_PCI (ixgbe, 8 VFs possible, 2 made): VF 0 on iavf with netdev
 * eth4, VF 1 unbound without a netdev. vfio-pci is not loaded. */
static void fake_pf_two_vfs(void)
{
	fake_pf(PF_PCI, "ixgbe", "eth3", 8, 2);
	fake_vf(PF_PCI, 0, VF0_PCI, "iavf", "eth4");
	fake_vf(PF_PCI, 1, VF1_PCI, "", NULL);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/bl-test-sriov.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(root, sizeof(root), "%s/sys", tmpdir);
	snprintf(outside, sizeof(outside), "%s/outside", tmpdir);
	/* What every sysfs has, NIC or not. */
	if (mkdir(root, 0755) || mkdir(outside, 0755))
		return -1;
	fake_dir("/class/net");
	fake_dir("/bus/pci/devices");
	fake_file("", "/bus/pci/drivers_probe");
	return 0;
}

static int teardown(void **state)
{
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- helpers for the checks -------------------------------------------- */

static void __attribute__((format(printf, 3, 4)))
check_msg(const char *msg, int err, const char *f, ...)
{
	char want[1024];
	va_list ap;

	va_start(ap, f);
	vsnprintf(want, sizeof(want), f, ap);
	va_end(ap);
	if (getenv("TEST_SRIOV_VERBOSE"))
		print_message("    %s\n", msg);
	if (!err)
		fail_msg("no error, expected \"%s\"", want);
	if (!strstr(msg, want))
		fail_msg("message \"%s\" does not say \"%s\"", msg, want);
	if (strchr(msg, '\n'))
		fail_msg("message \"%s\" is not one line", msg);
}

static int preflight(const char *want, int need_vfio, char *msg)
{
	return sriov_preflight(root, want, need_vfio, msg, 512);
}

static void assert_vf(const struct sriov_vf *vf, int index, const char *pci, const char *netdev,
		      const char *driver)
{
	assert_int_equal(vf->index, index);
	assert_string_equal(vf->pci, pci);
	assert_string_equal(vf->netdev, netdev);
	assert_string_equal(vf->driver, driver);
}

/* ---- discovery ---------------------------------------------------------- */

static void test_no_nics(void **state)
{
	struct sriov_pf pfs[2], pf;
	char msg[512];
	int err;

	assert_int_equal(sriov_scan(root, pfs, 2), 0);
	assert_int_equal(sriov_find_pf(root, "eth0", &pf), -ENOENT);
	err = preflight(NULL, 0, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "no SR-IOV capable NIC (no %s/class/net/*/device/sriov_totalvfs above 0)",
		  root);
	/* The PF is the first thing missing, before vfio-pci. */
	err = preflight("", 1, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "no SR-IOV capable NIC");
}

static void test_no_sysfs(void **state)
{
	struct sriov_pf pf;
	char r[PATH_MAX + 8], msg[512];
	int err;

	snprintf(r, sizeof(r), "%s/none", root);
	assert_int_equal(sriov_scan(r, &pf, 1), -ENOENT);
	err = sriov_preflight(r, NULL, 0, msg, sizeof(msg));
	assert_int_equal(err, -ENOENT);
	check_msg(msg, err, "cannot list %s/class/net: ", r);
}

static void test_virtual_nics_are_not_pfs(void **state)
{
	struct sriov_pf pfs[4], pf;
	char msg[512];
	int err;

	fake_virtio("eth0");
	fake_veth("veth0");
	fake_vfio();
	assert_int_equal(sriov_scan(root, pfs, 4), 0);
	assert_int_equal(sriov_find_pf(root, "eth0", &pf), -ENOENT);
	assert_int_equal(sriov_find_pf(root, "veth0", &pf), -ENOENT);
	assert_int_equal(sriov_find_pf(root, "0000:00:03.0", &pf), -ENOENT);
	err = preflight(NULL, 1, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "no SR-IOV capable NIC (no %s/class/net/*/device/sriov_totalvfs", root);
	err = preflight("eth0", 0, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "eth0 is not SR-IOV capable (no device/sriov_totalvfs)");
	err = preflight("veth0", 0, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "veth0 is not SR-IOV capable (no device/sriov_totalvfs)");
	err = preflight("0000:00:03.0", 0, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "0000:00:03.0 is not SR-IOV capable (no sriov_totalvfs)");
}

static void test_pf_without_vfs(void **state)
{
	struct sriov_pf pfs[2], pf;
	char msg[512] = "stale";

	fake_virtio("eth0");
	fake_pf(PF_PCI, "ixgbe", "eth3", 8, 0);
	assert_int_equal(sriov_scan(root, pfs, 2), 1);
	assert_string_equal(pfs[0].netdev, "eth3");
	assert_string_equal(pfs[0].pci, PF_PCI);
	assert_string_equal(pfs[0].driver, "ixgbe");
	assert_int_equal(pfs[0].total_vfs, 8);
	assert_int_equal(pfs[0].num_vfs, 0);
	assert_int_equal(pfs[0].nvfs, 0);

	assert_int_equal(sriov_find_pf(root, "eth3", &pf), 0);
	assert_memory_equal(&pf, &pfs[0], sizeof(pf));
	assert_int_equal(sriov_find_pf(root, PF_PCI, &pf), 0);
	assert_memory_equal(&pf, &pfs[0], sizeof(pf));

	assert_int_equal(preflight(NULL, 0, msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(preflight("eth3", 0, msg), 0);
	assert_int_equal(preflight(PF_PCI, 0, msg), 0);
}

static void test_pf_with_vfs(void **state)
{
	struct sriov_pf pfs[4], pf;
	char msg[512];
	int err;

	fake_pf_two_vfs();
	/* The VF's netdev eth4 is in class/net too, but is not a PF. */
	assert_int_equal(sriov_scan(root, pfs, 4), 1);
	assert_string_equal(pfs[0].netdev, "eth3");
	assert_int_equal(pfs[0].total_vfs, 8);
	assert_int_equal(pfs[0].num_vfs, 2);
	assert_int_equal(pfs[0].nvfs, 2);
	assert_vf(&pfs[0].vfs[0], 0, VF0_PCI, "eth4", "iavf");
	assert_vf(&pfs[0].vfs[1], 1, VF1_PCI, "", "");

	assert_int_equal(sriov_find_pf(root, PF_PCI, &pf), 0);
	assert_int_equal(pf.nvfs, 2);
	assert_vf(&pf.vfs[1], 1, VF1_PCI, "", "");
	assert_int_equal(sriov_find_pf(root, "eth4", &pf), -ENOENT);
	assert_int_equal(sriov_find_pf(root, VF0_PCI, &pf), -ENOENT);

	/* A VF by PCI address is usable; its netdev is not a PF. */
	assert_int_equal(preflight(VF0_PCI, 0, msg), 0);
	err = preflight("eth4", 0, msg);
	assert_int_equal(err, -EINVAL);
	check_msg(msg, err, "eth4 is a VF of PF " PF_PCI ", not a PF");
	check_msg(msg, err, VF0_PCI);
}

static void test_vfs_by_index(void **state)
{
	struct sriov_pf pf;
	char pci[32];

	/* virtfn10 sorts before virtfn2 by name. */
	fake_pf(PF_PCI, "ice", "eth3", 16, 12);
	for (int i = 11; i >= 0; i--) {
		snprintf(pci, sizeof(pci), "0000:03:%02x.%d", 0x10 + i / 8, i % 8);
		fake_vf(PF_PCI, i, pci, i % 2 ? "iavf" : "", NULL);
	}
	assert_int_equal(sriov_find_pf(root, "eth3", &pf), 0);
	assert_int_equal(pf.nvfs, 12);
	for (int i = 0; i < 12; i++) {
		snprintf(pci, sizeof(pci), "0000:03:%02x.%d", 0x10 + i / 8, i % 8);
		assert_vf(&pf.vfs[i], i, pci, "", i % 2 ? "iavf" : "");
	}
}

static void test_scan_dedup_and_max(void **state)
{
	struct sriov_pf pfs[4];

	fake_pf(PF_PCI, "mlx4_core", "eth3", 4, 0);
	fake_netdev(BUS "/" PF_PCI, "eth3b"); /* a second port on the same function */
	fake_pf("0000:05:00.0", "i40e", "eth5", 64, 0);
	assert_int_equal(sriov_scan(root, pfs, 4), 2);
	assert_string_equal(pfs[0].netdev, "eth3");
	assert_string_equal(pfs[1].netdev, "eth5");
	assert_string_equal(pfs[1].pci, "0000:05:00.0");
	assert_int_equal(pfs[1].total_vfs, 64);
	assert_int_equal(sriov_scan(root, pfs, 1), 1);
	assert_string_equal(pfs[0].pci, PF_PCI);
	assert_int_equal(sriov_scan(root, pfs, 0), 0);
}

static void test_pf_without_netdev(void **state)
{
	struct sriov_pf pfs[2], pf;

	/* A PF given to a VM or DPDK: no netdev, so not under class/net. */
	fake_pf(PF_PCI, "vfio-pci", NULL, 8, 0);
	assert_int_equal(sriov_scan(root, pfs, 2), 0);
	assert_int_equal(sriov_find_pf(root, PF_PCI, &pf), 0);
	assert_string_equal(pf.netdev, "");
	assert_string_equal(pf.driver, "vfio-pci");
}

static void test_links_stay_in_root(void **state)
{
	char t[PATH_MAX * 2];
	struct sriov_pf pfs[4], pf;

	/* A PF only reachable if an absolute link is taken under the root and
	 * ".." stops at the root. */
	fake_pf("0000:05:00.0", "i40e", NULL, 4, 0);
	fake_dir(BUS "/0000:05:00.0/net/eth5");
	fake_link("/devices/pci0000:00/0000:05:00.0/net/eth5", "/class/net/eth5");
	fake_link("../../../../../../../../../../../../devices/pci0000:00/0000:05:00.0",
		  BUS "/0000:05:00.0/net/eth5/device");
	/* A complete PF outside the root, through an absolute link and a
	 * relative one that climbs above the root. */
	snprintf(t, sizeof(t), "%s/pf", outside);
	put_file(strcat(t, "/sriov_totalvfs"), "8\n");
	snprintf(t, sizeof(t), "%s/pf", outside);
	fake_link(t, "/class/net/evil/device");
	fake_link("../../../../outside/pf", "/class/net/evil2/device");

	assert_int_equal(sriov_scan(root, pfs, 4), 1);
	assert_string_equal(pfs[0].netdev, "eth5");
	assert_string_equal(pfs[0].pci, "0000:05:00.0");
	assert_string_equal(pfs[0].driver, "i40e");
	assert_int_equal(sriov_find_pf(root, "evil", &pf), -ENOENT);
	assert_int_equal(sriov_find_pf(root, "evil2", &pf), -ENOENT);
	assert_int_equal(sriov_find_pf(root, "../../outside", &pf), -EINVAL);
	assert_int_equal(sriov_find_pf(root, "..", &pf), -EINVAL);
}

static void test_link_loop(void **state)
{
	struct sriov_pf pfs[2], pf;

	fake_dir("/class/net/loop");
	fake_link("device", "/class/net/loop/device");
	fake_pf(PF_PCI, "ixgbe", "eth3", 8, 0);
	assert_int_equal(sriov_find_pf(root, "loop", &pf), -ELOOP);
	assert_int_equal(sriov_scan(root, pfs, 2), 1);
}

static void test_default_root(void **state)
{
	struct sriov_pf *a = calloc(3 * SRIOV_MAX_PFS, sizeof(*a));
	int n;

	assert_non_null(a);
	n = sriov_scan("/sys", a, SRIOV_MAX_PFS);
	assert_int_equal(sriov_scan(NULL, a + SRIOV_MAX_PFS, SRIOV_MAX_PFS), n);
	assert_int_equal(sriov_scan("", a + 2 * SRIOV_MAX_PFS, SRIOV_MAX_PFS), n);
	for (int i = 0; i < n; i++) {
		assert_string_equal(a[i].pci, a[SRIOV_MAX_PFS + i].pci);
		assert_string_equal(a[i].pci, a[2 * SRIOV_MAX_PFS + i].pci);
	}
	free(a);
}

/* ---- preflight ---------------------------------------------------------- */

static void test_preflight_not_found(void **state)
{
	char msg[512];
	int err;

	fake_virtio("eth0");
	err = preflight("eth3", 0, msg);
	assert_int_equal(err, -ENOENT);
	check_msg(msg, err, "PF eth3 not found (no %s/class/net/eth3)", root);
	err = preflight("0000:09:00.0", 0, msg);
	assert_int_equal(err, -ENOENT);
	check_msg(msg, err, "PCI device 0000:09:00.0 not found (no %s/bus/pci/devices/0000:09:00.0)",
		  root);
	err = preflight("a/b", 0, msg);
	assert_int_equal(err, -EINVAL);
	check_msg(msg, err, "'a/b' is neither a netdev name nor a PCI address");
	err = preflight("averyveryverylongname", 0, msg);
	assert_int_equal(err, -EINVAL);
	check_msg(msg, err, "is neither a netdev name nor a PCI address");
}

static void test_preflight_totalvfs_zero(void **state)
{
	struct sriov_pf pfs[2], pf;
	char msg[512];
	int err;

	fake_pf(PF_PCI, "igb", "eth3", 0, 0);
	assert_int_equal(sriov_scan(root, pfs, 2), 0);
	assert_int_equal(sriov_find_pf(root, "eth3", &pf), -ENOENT);
	err = preflight("eth3", 0, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "PF eth3: sriov_totalvfs is 0");
	err = preflight(PF_PCI, 0, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "PF " PF_PCI ": sriov_totalvfs is 0");
	err = preflight(NULL, 0, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "no SR-IOV capable NIC");
}

static void test_preflight_vfio(void **state)
{
	char msg[512];
	int err;

	fake_pf_two_vfs();
	assert_int_equal(sriov_vfio_loaded(root), 0);
	assert_int_equal(preflight(NULL, 0, msg), 0);
	err = preflight(NULL, 1, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err,
		  "vfio-pci not available (no %s/bus/pci/drivers/vfio-pci: modprobe vfio-pci)", root);
	err = preflight("eth3", 1, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "vfio-pci not available");
	err = preflight(VF0_PCI, 1, msg);
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "vfio-pci not available");

	fake_vfio();
	assert_int_equal(sriov_vfio_loaded(root), 1);
	assert_int_equal(preflight(NULL, 1, msg), 0);
	assert_int_equal(preflight("eth3", 1, msg), 0);
	assert_int_equal(preflight(VF0_PCI, 1, msg), 0);
}

static void test_preflight_short_msg(void **state)
{
	char msg[8];
	int err;

	err = sriov_preflight(root, NULL, 0, msg, sizeof(msg));
	assert_int_equal(err, -ENODEV);
	assert_string_equal(msg, "no SR-I");
}

/* ---- VF creation -------------------------------------------------------- */

static void test_ensure_from_zero(void **state)
{
	struct sriov_pf pf;

	fake_pf(PF_PCI, "ixgbe", "eth3", 8, 0);
	assert_int_equal(sriov_find_pf(root, "eth3", &pf), 0);
	assert_int_equal(sriov_ensure_vfs(root, &pf, 4), 0);
	/* The initial "0", then one write of the new count: no "0" first. */
	assert_string_equal(slurp(BUS "/" PF_PCI "/sriov_numvfs"), "0\n4\n");
	assert_int_equal(pf.num_vfs, 4);
	assert_string_equal(pf.netdev, "eth3");
}

static void test_ensure_from_nonzero(void **state)
{
	struct sriov_pf pf;

	fake_pf_two_vfs();
	assert_int_equal(sriov_find_pf(root, "eth3", &pf), 0);
	assert_int_equal(sriov_ensure_vfs(root, &pf, 4), 0);
	assert_string_equal(slurp(BUS "/" PF_PCI "/sriov_numvfs"), "2\n0\n4\n");
	assert_int_equal(pf.num_vfs, 4);
	assert_int_equal(pf.nvfs, 2);
	/* Play the kernel: the two new VFs appear, a re-scan sees them. */
	fake_vf(PF_PCI, 2, "0000:03:10.4", "iavf", "eth6");
	fake_vf(PF_PCI, 3, "0000:03:10.6", "iavf", "eth7");
	assert_int_equal(sriov_find_pf(root, "eth3", &pf), 0);
	assert_int_equal(pf.nvfs, 4);
	assert_vf(&pf.vfs[3], 3, "0000:03:10.6", "eth7", "iavf");
}

static void test_ensure_nothing_to_do(void **state)
{
	struct sriov_pf pf;

	fake_pf_two_vfs();
	assert_int_equal(sriov_find_pf(root, "eth3", &pf), 0);
	assert_int_equal(sriov_ensure_vfs(root, &pf, 2), 0);
	assert_int_equal(sriov_ensure_vfs(root, &pf, 1), 0);
	assert_int_equal(sriov_ensure_vfs(root, &pf, 0), 0);
	assert_int_equal(sriov_ensure_vfs(root, &pf, 9), -ERANGE);
	assert_int_equal(sriov_ensure_vfs(root, &pf, -1), -EINVAL);
	assert_string_equal(slurp(BUS "/" PF_PCI "/sriov_numvfs"), "2\n");
	assert_int_equal(pf.num_vfs, 2);
}

static void test_ensure_rereads_the_pf(void **state)
{
	struct sriov_pf pf;

	/* pf is stale (count 0): the PF already has 2, so "0" goes first. */
	fake_pf_two_vfs();
	assert_int_equal(sriov_find_pf(root, "eth3", &pf), 0);
	pf.num_vfs = 0;
	assert_int_equal(sriov_ensure_vfs(root, &pf, 3), 0);
	assert_string_equal(slurp(BUS "/" PF_PCI "/sriov_numvfs"), "2\n0\n3\n");
}

static void test_ensure_write_fails(void **state)
{
	struct sriov_pf pf;

	/* sriov_numvfs that cannot be opened for writing (a directory). */
	fake_pf(PF_PCI, "ixgbe", "eth3", -1, 0);
	fake_file("8\n", BUS "/" PF_PCI "/sriov_totalvfs");
	fake_dir(BUS "/" PF_PCI "/sriov_numvfs");
	assert_int_equal(sriov_find_pf(root, "eth3", &pf), 0);
	assert_int_equal(sriov_ensure_vfs(root, &pf, 2), -EISDIR);
}

/* ---- vfio-pci ----------------------------------------------------------- */

static void test_bind_vfio(void **state)
{
	char drv[32];

	fake_pf_two_vfs();
	fake_vfio();
	assert_int_equal(sriov_pci_driver(root, VF0_PCI, drv, sizeof(drv)), 0);
	assert_string_equal(drv, "iavf");
	assert_int_equal(sriov_bind_vfio(root, VF0_PCI), 0);
	assert_string_equal(slurp(BUS "/" VF0_PCI "/driver_override"), "vfio-pci\n");
	assert_string_equal(slurp("/bus/pci/drivers/iavf/unbind"), VF0_PCI "\n");
	assert_string_equal(slurp("/bus/pci/drivers_probe"), VF0_PCI "\n");
	assert_string_equal(slurp("/bus/pci/drivers/iavf/bind"), "");
}

static void test_bind_vfio_unbound(void **state)
{
	fake_pf(PF_PCI, "ixgbe", "eth3", 8, 1);
	fake_vf(PF_PCI, 0, VF0_PCI, "", NULL);
	fake_file("", "/bus/pci/drivers/iavf/unbind");
	fake_vfio();
	assert_int_equal(sriov_bind_vfio(root, VF0_PCI), 0);
	assert_string_equal(slurp(BUS "/" VF0_PCI "/driver_override"), "vfio-pci\n");
	assert_string_equal(slurp("/bus/pci/drivers/iavf/unbind"), "");
	assert_string_equal(slurp("/bus/pci/drivers_probe"), VF0_PCI "\n");
}

static void test_bind_vfio_refused(void **state)
{
	char drv[32];

	fake_pf_two_vfs();
	assert_int_equal(sriov_bind_vfio(root, VF0_PCI), -ENODEV);
	fake_vfio();
	assert_int_equal(sriov_bind_vfio(root, "0000:09:00.0"), -ENOENT);
	assert_int_equal(sriov_bind_vfio(root, "eth4"), -EINVAL);
	assert_int_equal(sriov_bind_vfio(root, "0000:03:10.0/../x"), -EINVAL);
	/* Already there: nothing written. */
	fake_vf(PF_PCI, 2, "0000:03:10.4", "vfio-pci", NULL);
	assert_int_equal(sriov_bind_vfio(root, "0000:03:10.4"), 0);
	assert_string_equal(slurp(BUS "/" VF0_PCI "/driver_override"), "");
	assert_string_equal(slurp(BUS "/0000:03:10.4/driver_override"), "");
	assert_string_equal(slurp("/bus/pci/drivers/iavf/unbind"), "");
	assert_string_equal(slurp("/bus/pci/drivers_probe"), "");
	assert_int_equal(sriov_pci_driver(root, "0000:03:10.4", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "vfio-pci");
	assert_int_equal(sriov_pci_driver(root, VF1_PCI, drv, sizeof(drv)), -ENOENT);
	assert_int_equal(sriov_pci_driver(root, "0000:09:00.0", drv, sizeof(drv)), -ENOENT);
}

/* ---- JSON and the command ----------------------------------------------- */

static void test_json(void **state)
{
	struct sriov_pf pf;
	json_t *j, *vfs;

	fake_pf_two_vfs();
	assert_int_equal(sriov_find_pf(root, "eth3", &pf), 0);
	j = sriov_pf_json(&pf);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "netdev")), "eth3");
	assert_string_equal(json_string_value(json_object_get(j, "pci")), PF_PCI);
	assert_string_equal(json_string_value(json_object_get(j, "driver")), "ixgbe");
	assert_int_equal(json_integer_value(json_object_get(j, "total_vfs")), 8);
	assert_int_equal(json_integer_value(json_object_get(j, "num_vfs")), 2);
	vfs = json_object_get(j, "vfs");
	assert_int_equal(json_array_size(vfs), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(vfs, 1), "index")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(vfs, 0), "netdev")),
			    "eth4");
	assert_true(json_is_null(json_object_get(json_array_get(vfs, 1), "netdev")));
	assert_true(json_is_null(json_object_get(json_array_get(vfs, 1), "driver")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(vfs, 0), "driver")),
			    "iavf");
	json_decref(j);
}

/* sriov_main's exit code, its stdout and stderr discarded. */
static int run_cmd(const char *r, const char *extra)
{
	char *argv[] = { "sriov", "--sysfs", (char *)r, (char *)extra, NULL };
	int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY), rc;

	assert_true(out >= 0 && err >= 0 && null >= 0);
	fflush(stdout);
	fflush(stderr);
	dup2(null, 1);
	dup2(null, 2);
	rc = sriov_main(extra ? 4 : 3, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	return rc;
}

static void test_command(void **state)
{
	assert_int_equal(run_cmd(root, NULL), 2);
	assert_int_equal(run_cmd(root, "--json"), 2);
	fake_pf_two_vfs();
	assert_int_equal(run_cmd(root, NULL), 0);
	assert_int_equal(run_cmd(root, "--json"), 0);
	assert_int_equal(run_cmd(root, "extra"), 2);
}

/* ---- this machine ------------------------------------------------------- */

/* Whether the real /sys has a PF, read without the code under test. */
static int real_pfs(void)
{
	glob_t g;
	int n = 0;

	if (glob("/sys/class/net/*/device/sriov_totalvfs", 0, NULL, &g))
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		int v = 0;

		if (f && fscanf(f, "%d", &v) == 1 && v > 0)
			n++;
		if (f)
			fclose(f);
	}
	globfree(&g);
	return n;
}

static void test_real_sys(void **state)
{
	char msg[512];
	int err = sriov_preflight(NULL, NULL, 0, msg, sizeof(msg));

	if (real_pfs()) {
		assert_int_equal(err, 0);
		return;
	}
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "no SR-IOV capable NIC (no /sys/class/net/*/device/sriov_totalvfs above 0)");
	err = sriov_preflight("/sys", NULL, 1, msg, sizeof(msg));
	assert_int_equal(err, -ENODEV);
	check_msg(msg, err, "no SR-IOV capable NIC");
	assert_int_equal(run_cmd("/sys", NULL), 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_nics),
		T(test_no_sysfs),
		T(test_virtual_nics_are_not_pfs),
		T(test_pf_without_vfs),
		T(test_pf_with_vfs),
		T(test_vfs_by_index),
		T(test_scan_dedup_and_max),
		T(test_pf_without_netdev),
		T(test_links_stay_in_root),
		T(test_link_loop),
		T(test_default_root),
		T(test_preflight_not_found),
		T(test_preflight_totalvfs_zero),
		T(test_preflight_vfio),
		T(test_preflight_short_msg),
		T(test_ensure_from_zero),
		T(test_ensure_from_nonzero),
		T(test_ensure_nothing_to_do),
		T(test_ensure_rereads_the_pf),
		T(test_ensure_write_fails),
		T(test_bind_vfio),
		T(test_bind_vfio_unbound),
		T(test_bind_vfio_refused),
		T(test_json),
		T(test_command),
		T(test_real_sys),
	};

	return cmocka_run_group_tests_name("sriov", tests, NULL, NULL);
}
