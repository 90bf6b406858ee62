/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SR-IOV through sysfs: find physical functions (PFs) and their virtual
 * functions (VFs), create VFs, bind a VF to vfio-pci, and say precisely
 * what is missing when a run wants SR-IOV and the machine has none.
 *
 * Every function takes the sysfs root (NULL or "" = "/sys") so that tests
 * can point it at a fake tree. Paths are resolved inside that root as the
 * kernel would with the root mounted at /sys: relative symlinks resolve
 * naturally, an absolute target is taken under the root, ".." stops at the
 * root. Layout used:
 *   class/net/<if>/device           -> the PCI device directory
 *   <pf dir>/sriov_totalvfs, sriov_numvfs, virtfnN -> <vf dir>, driver
 *   <vf dir>/physfn, driver, net/<if>/
 *   bus/pci/devices/<pci>           -> device directory
 *   bus/pci/devices/<pci>/driver_override, driver/unbind
 *   bus/pci/drivers_probe, bus/pci/drivers/vfio-pci/
 * A netdev without device/sriov_totalvfs above 0 (veth, virtio) is not a PF.
 */
#ifndef BL_SRIOV_H
#define BL_SRIOV_H

#include <stddef.h>
#include <jansson.h>

#define SRIOV_MAX_VFS 64
#define SRIOV_MAX_PFS 16

struct sriov_vf {
	int index;       /* N of the PF's virtfnN */
	char pci[32];    /* e.g. "0000:03:10.0" */
	char netdev[16]; /* "" if it has none (or is bound to vfio-pci) */
	char driver[32]; /* "" if unbound */
};

struct sriov_pf {
	char netdev[16];
	char pci[32];
	char driver[32];
	int total_vfs;   /* sriov_totalvfs */
	int num_vfs;     /* sriov_numvfs */
	int nvfs;        /* entries in vfs[]: virtfnN links, by index, at most SRIOV_MAX_VFS */
	struct sriov_vf vfs[SRIOV_MAX_VFS];
};

/* PFs under class/net, sorted by netdev name, one per PCI function.
 * Fills at most max; returns how many it filled, or -errno. */
int sriov_scan(const char *root, struct sriov_pf *pfs, int max);
/* One PF by netdev name or PCI address (DDDD:BB:DD.F). 0, -ENOENT (no such
 * device, or not a PF), -EINVAL (neither a netdev name nor a PCI address). */
int sriov_find_pf(const char *root, const char *name, struct sriov_pf *pf);
/* Make sure the PF has at least n VFs: writes sriov_numvfs ("0" first if it
 * must change from a non-zero value, as the kernel requires) and re-scans pf.
 * 0, -EINVAL (n < 0), -ERANGE (n > total_vfs), -EIO (the PF has fewer than n
 * afterwards) or -errno of a write. */
int sriov_ensure_vfs(const char *root, struct sriov_pf *pf, int n);
/* Bind a VF to vfio-pci: driver_override, unbind from its driver, then
 * drivers_probe. 0 (also when already bound to vfio-pci), -ENOENT (no such
 * device), -ENODEV (vfio-pci not loaded), -errno of a write. The kernel
 * probes synchronously but a failed probe leaves the device unbound without
 * failing the write: check the result with sriov_pci_driver(). */
int sriov_bind_vfio(const char *root, const char *vf_pci);
/* 1 if vfio-pci is loaded (bus/pci/drivers/vfio-pci exists), else 0. */
int sriov_vfio_loaded(const char *root);
/* The driver bound to a PCI device, in drv. 0, or -ENOENT if it has none
 * (or the device does not exist). */
int sriov_pci_driver(const char *root, const char *pci, char *drv, size_t len);
/* Preflight for a run that wants SR-IOV: want is a PF netdev, a PF or VF PCI
 * address, or NULL for any PF; need_vfio: the DPDK side needs vfio-pci.
 * 0 when usable, else -ENODEV/-ENOENT/-EINVAL with one line in msg saying
 * exactly what is missing. */
int sriov_preflight(const char *root, const char *want, int need_vfio, char *msg, size_t len);
/* {"netdev", "pci", "driver", "total_vfs", "num_vfs", "vfs": [{"index",
 * "pci", "netdev", "driver"}]}; empty names are null. NULL on ENOMEM. */
json_t *sriov_pf_json(const struct sriov_pf *pf);

/* `bypasslab sriov [--sysfs ROOT] [--json]` */
int sriov_main(int argc, char **argv);

#endif
