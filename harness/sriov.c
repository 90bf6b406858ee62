// SPDX-License-Identifier: BSD-3-Clause
/*
 * SR-IOV discovery and set-up through sysfs (see sriov.h).
 *
 * Paths inside the sysfs root ("/class/net/eth0/device") are resolved here,
 * component by component, instead of with realpath(): a fake tree's
 * absolute links must stay under its root, and ".." must stop there.
 * Writes open the attribute with O_APPEND: sysfs ignores the file offset of
 * an attribute write, and a fake tree's file then keeps every value written
 * to it in order, one per line. Values are therefore read from the last
 * line (a real attribute has only one).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sriov.h"

#define MAX_LINK_HOPS 40 /* the kernel's MAXSYMLINKS */
#define IFNAMSIZ 16

static int __attribute__((format(printf, 3, 0)))
vfmt(char *out, size_t len, const char *f, va_list ap)
{
	int n = vsnprintf(out, len, f, ap);

	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int __attribute__((format(printf, 3, 4))) fmt(char *out, size_t len, const char *f, ...)
{
	va_list ap;
	int err;

	va_start(ap, f);
	err = vfmt(out, len, f, ap);
	va_end(ap);
	return err;
}

/* The last component of a path ("" for ""). */
static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The root without trailing slashes ("/" becomes ""); NULL or "" = "/sys". */
static int root_norm(const char *root, char out[PATH_MAX])
{
	size_t n;

	if (!root || !*root)
		root = "/sys";
	n = strlen(root);
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	while (n && root[n - 1] == '/')
		n--;
	memcpy(out, root, n);
	out[n] = '\0';
	return 0;
}

/* Resolve path (inside root, "/"-separated) as the kernel would with root
 * mounted at "/": every symlink followed, an absolute target taken under
 * root, ".." never above root. out is the resolved path inside root ("" for
 * root itself). 0, or -errno (-ENOENT: a component does not exist). */
static int resolve(const char *root, const char *path, char *out, size_t len)
{
	char rest[PATH_MAX], cur[PATH_MAX] = "", link[PATH_MAX], full[PATH_MAX];
	size_t clen = 0;
	int hops = 0, err;
	char *p = rest;

	err = fmt(rest, sizeof(rest), "%s", path);
	while (!err && *p) {
		char *c = p + strspn(p, "/");
		size_t n = strcspn(c, "/");
		ssize_t l;

		p = c + n;
		if (!n || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (clen && cur[--clen] != '/')
				;
			cur[clen] = '\0';
			continue;
		}
		if (clen + 1 + n >= sizeof(cur))
			return -ENAMETOOLONG;
		cur[clen] = '/';
		memcpy(cur + clen + 1, c, n);
		cur[clen + 1 + n] = '\0';
		err = fmt(full, sizeof(full), "%s%s", root, cur);
		if (err)
			return err;
		l = readlink(full, link, sizeof(link) - 1);
		if (l < 0) {
			if (errno != EINVAL) /* EINVAL: not a symlink */
				return -errno;
			clen += 1 + n;
			continue;
		}
		if (++hops > MAX_LINK_HOPS)
			return -ELOOP;
		link[l] = '\0';
		cur[clen] = '\0';
		if (link[0] == '/') {
			clen = 0;
			cur[0] = '\0';
		}
		err = fmt(full, sizeof(full), "%s/%s", link, p);
		if (!err)
			memcpy(rest, full, strlen(full) + 1);
		p = rest;
	}
	return err ?: fmt(out, len, "%s", cur);
}

/* Resolve a formatted path inside root; out is the path inside root. */
static int __attribute__((format(printf, 4, 5)))
rpath(const char *root, char *out, size_t len, const char *f, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int err;

	va_start(ap, f);
	err = vfmt(path, sizeof(path), f, ap);
	va_end(ap);
	return err ?: resolve(root, path, out, len);
}

static int __attribute__((format(printf, 2, 3))) sys_exists(const char *root, const char *f, ...)
{
	char path[PATH_MAX], out[PATH_MAX];
	va_list ap;
	int err;

	va_start(ap, f);
	err = vfmt(path, sizeof(path), f, ap);
	va_end(ap);
	return !err && !resolve(root, path, out, sizeof(out));
}

/* The last line of an attribute, without its newline. */
static int sys_read(const char *root, const char *path, char *buf, size_t len)
{
	char in[PATH_MAX], full[PATH_MAX], data[4096], *line;
	ssize_t n;
	int fd, err;

	err = resolve(root, path, in, sizeof(in));
	err = err ?: fmt(full, sizeof(full), "%s%s", root, in);
	if (err)
		return err;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, data, sizeof(data) - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	while (n && data[n - 1] == '\n')
		n--;
	data[n] = '\0';
	line = strrchr(data, '\n');
	return fmt(buf, len, "%s", line ? line + 1 : data);
}

static int __attribute__((format(printf, 3, 4)))
sys_read_int(const char *root, int *val, const char *f, ...)
{
	char path[PATH_MAX], buf[64], *end;
	va_list ap;
	long v;
	int err;

	va_start(ap, f);
	err = vfmt(path, sizeof(path), f, ap);
	va_end(ap);
	err = err ?: sys_read(root, path, buf, sizeof(buf));
	if (err)
		return err;
	errno = 0;
	v = strtol(buf, &end, 0);
	if (errno || end == buf || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*val = (int)v;
	return 0;
}

/* Write s to an attribute; the whole value in one write(), as sysfs wants. */
static int __attribute__((format(printf, 3, 4)))
sys_write(const char *root, const char *s, const char *f, ...)
{
	char path[PATH_MAX], in[PATH_MAX], full[PATH_MAX];
	size_t len = strlen(s);
	va_list ap;
	ssize_t n;
	int fd, err;

	va_start(ap, f);
	err = vfmt(path, sizeof(path), f, ap);
	va_end(ap);
	err = err ?: resolve(root, path, in, sizeof(in));
	err = err ?: fmt(full, sizeof(full), "%s%s", root, in);
	if (err)
		return err;
	fd = open(full, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* The last component of what a path inside root resolves to. */
static int __attribute__((format(printf, 4, 5)))
sys_link_name(const char *root, char *name, size_t len, const char *f, ...)
{
	char path[PATH_MAX], out[PATH_MAX];
	va_list ap;
	int err;

	va_start(ap, f);
	err = vfmt(path, sizeof(path), f, ap);
	va_end(ap);
	err = err ?: resolve(root, path, out, sizeof(out));
	return err ?: fmt(name, len, "%s", base(out));
}

static int not_dot(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* Entries of a directory inside root, sorted; the count or -errno. */
static int sys_list(const char *root, const char *path, struct dirent ***ents)
{
	char in[PATH_MAX], full[PATH_MAX];
	int err, n;

	err = resolve(root, path, in, sizeof(in));
	err = err ?: fmt(full, sizeof(full), "%s%s", root, in);
	if (err)
		return err;
	n = scandir(full, ents, not_dot, alphasort);
	return n < 0 ? -errno : n;
}

static void free_list(struct dirent **ents, int n)
{
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

/* The first entry of dev/net (a device's netdev), "" if it has none. */
static void dev_netdev(const char *root, const char *dev, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent **ents;
	int n;

	name[0] = '\0';
	if (fmt(path, sizeof(path), "%s/net", dev))
		return;
	n = sys_list(root, path, &ents);
	if (n < 0)
		return;
	if (n && fmt(name, len, "%s", ents[0]->d_name))
		name[0] = '\0';
	free_list(ents, n);
}

static void dev_driver(const char *root, const char *dev, char *name, size_t len)
{
	if (sys_link_name(root, name, len, "%s/driver", dev))
		name[0] = '\0';
}

/* Kernel rule (dev_valid_name): 1..15 chars, not "." or "..", no '/', ':'
 * or white space. A PCI address is never one. */
static int is_netdev_name(const char *s)
{
	size_t n = strnlen(s, IFNAMSIZ);

	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return 0;
	return 1;
}

/* DDDD:BB:DD.F (the domain may be longer than 4 hex digits, as with VMD). */
static int is_pci_addr(const char *s)
{
	size_t d = strspn(s, "0123456789abcdefABCDEF");

	if (d < 4 || d > 8 || s[d] != ':')
		return 0;
	s += d + 1;
	return strspn(s, "0123456789abcdefABCDEF") == 2 && s[2] == ':' &&
	       strspn(s + 3, "0123456789abcdefABCDEF") == 2 && s[5] == '.' &&
	       s[6] >= '0' && s[6] <= '7' && !s[7];
}

static int vf_cmp(const void *a, const void *b)
{
	return ((const struct sriov_vf *)a)->index - ((const struct sriov_vf *)b)->index;
}

/* One VF from the PF's link virtfn<index>. */
static int vf_fill(const char *root, const char *pf_dev, int index, struct sriov_vf *vf)
{
	char dev[PATH_MAX];
	int err;

	memset(vf, 0, sizeof(*vf));
	vf->index = index;
	err = rpath(root, dev, sizeof(dev), "%s/virtfn%d", pf_dev, index);
	err = err ?: fmt(vf->pci, sizeof(vf->pci), "%s", base(dev));
	if (err || !vf->pci[0])
		return err ?: -ENOENT;
	dev_driver(root, dev, vf->driver, sizeof(vf->driver));
	dev_netdev(root, dev, vf->netdev, sizeof(vf->netdev));
	return 0;
}

/* The PF's virtfnN links with N < SRIOV_MAX_VFS, by index. */
static void vfs_fill(const char *root, const char *dev, struct sriov_pf *pf)
{
	struct dirent **ents;
	int n, idx, end;

	pf->nvfs = 0;
	n = sys_list(root, dev, &ents);
	for (int i = 0; i < n; i++) {
		if (sscanf(ents[i]->d_name, "virtfn%d%n", &idx, &end) != 1 ||
		    ents[i]->d_name[end] || idx < 0 || idx >= SRIOV_MAX_VFS)
			continue;
		if (!vf_fill(root, dev, idx, &pf->vfs[pf->nvfs]))
			pf->nvfs++;
	}
	if (n >= 0)
		free_list(ents, n);
	qsort(pf->vfs, pf->nvfs, sizeof(pf->vfs[0]), vf_cmp);
}

/* Fill pf from its device directory dev (inside root). -ENOENT if it has no
 * sriov_totalvfs, -ENODEV if that is 0, or -errno. */
static int pf_fill(const char *root, const char *dev, const char *netdev, struct sriov_pf *pf)
{
	int err;

	memset(pf, 0, sizeof(*pf));
	err = sys_read_int(root, &pf->total_vfs, "%s/sriov_totalvfs", dev);
	if (err)
		return err;
	if (pf->total_vfs <= 0)
		return -ENODEV;
	if (sys_read_int(root, &pf->num_vfs, "%s/sriov_numvfs", dev))
		pf->num_vfs = 0;
	err = fmt(pf->pci, sizeof(pf->pci), "%s", base(dev));
	if (err || !pf->pci[0])
		return err ?: -ENOENT;
	if (netdev)
		err = fmt(pf->netdev, sizeof(pf->netdev), "%s", netdev);
	else
		dev_netdev(root, dev, pf->netdev, sizeof(pf->netdev));
	dev_driver(root, dev, pf->driver, sizeof(pf->driver));
	vfs_fill(root, dev, pf);
	return err;
}

static int pci_listed(const struct sriov_pf *pfs, int n, const char *dev)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(pfs[i].pci, base(dev)))
			return 1;
	return 0;
}

int sriov_scan(const char *root, struct sriov_pf *pfs, int max)
{
	char r[PATH_MAX], dev[PATH_MAX];
	struct dirent **ents;
	int n, found = 0, err;

	err = root_norm(root, r);
	if (err)
		return err;
	n = sys_list(r, "/class/net", &ents);
	if (n < 0)
		return n;
	/* One entry per PCI function: a function may have several ports. */
	for (int i = 0; i < n && found < max; i++) {
		if (rpath(r, dev, sizeof(dev), "/class/net/%s/device", ents[i]->d_name) ||
		    pci_listed(pfs, found, dev))
			continue;
		if (!pf_fill(r, dev, ents[i]->d_name, &pfs[found]))
			found++;
	}
	free_list(ents, n);
	return found;
}

static int find_pf(const char *r, const char *name, struct sriov_pf *pf)
{
	char dev[PATH_MAX];
	int err;

	if (is_pci_addr(name))
		err = rpath(r, dev, sizeof(dev), "/bus/pci/devices/%s", name);
	else if (is_netdev_name(name))
		err = rpath(r, dev, sizeof(dev), "/class/net/%s/device", name);
	else
		return -EINVAL;
	err = err ?: pf_fill(r, dev, is_pci_addr(name) ? NULL : name, pf);
	return err == -ENODEV ? -ENOENT : err;
}

int sriov_find_pf(const char *root, const char *name, struct sriov_pf *pf)
{
	char r[PATH_MAX];
	int err = root_norm(root, r);

	return err ?: find_pf(r, name, pf);
}

/* Re-read pf by its PCI address, keeping the netdev it was found by. */
static int pf_refresh(const char *r, struct sriov_pf *pf)
{
	char netdev[sizeof(pf->netdev)], pci[sizeof(pf->pci)];
	int err;

	memcpy(netdev, pf->netdev, sizeof(netdev));
	memcpy(pci, pf->pci, sizeof(pci));
	err = find_pf(r, pci, pf);
	if (!err && netdev[0])
		memcpy(pf->netdev, netdev, sizeof(netdev));
	return err;
}

int sriov_ensure_vfs(const char *root, struct sriov_pf *pf, int n)
{
	char r[PATH_MAX], val[16];
	int err;

	if (n < 0)
		return -EINVAL;
	err = root_norm(root, r);
	err = err ?: pf_refresh(r, pf);
	if (err)
		return err;
	if (n > pf->total_vfs)
		return -ERANGE;
	if (pf->num_vfs >= n)
		return 0;
	/* The kernel refuses to change a non-zero count to another one. */
	if (pf->num_vfs)
		err = sys_write(r, "0\n", "/bus/pci/devices/%s/sriov_numvfs", pf->pci);
	snprintf(val, sizeof(val), "%d\n", n);
	err = err ?: sys_write(r, val, "/bus/pci/devices/%s/sriov_numvfs", pf->pci);
	if (pf_refresh(r, pf) && !err)
		err = -EIO;
	return err ?: (pf->num_vfs < n ? -EIO : 0);
}

int sriov_vfio_loaded(const char *root)
{
	char r[PATH_MAX];

	return !root_norm(root, r) && sys_exists(r, "/bus/pci/drivers/vfio-pci");
}

int sriov_pci_driver(const char *root, const char *pci, char *drv, size_t len)
{
	char r[PATH_MAX];
	int err;

	if (!is_pci_addr(pci))
		return -EINVAL;
	err = root_norm(root, r);
	return err ?: sys_link_name(r, drv, len, "/bus/pci/devices/%s/driver", pci);
}

int sriov_bind_vfio(const char *root, const char *vf_pci)
{
	char r[PATH_MAX], drv[64], val[40];
	int err, bound;

	if (!is_pci_addr(vf_pci))
		return -EINVAL;
	err = root_norm(root, r);
	if (err)
		return err;
	if (!sys_exists(r, "/bus/pci/devices/%s", vf_pci))
		return -ENOENT;
	if (!sys_exists(r, "/bus/pci/drivers/vfio-pci"))
		return -ENODEV;
	bound = !sys_link_name(r, drv, sizeof(drv), "/bus/pci/devices/%s/driver", vf_pci);
	if (bound && !strcmp(drv, "vfio-pci"))
		return 0;
	snprintf(val, sizeof(val), "%s\n", vf_pci);
	/* Only vfio-pci may take the device once it is unbound. */
	err = sys_write(r, "vfio-pci\n", "/bus/pci/devices/%s/driver_override", vf_pci);
	if (!err && bound)
		err = sys_write(r, val, "/bus/pci/devices/%s/driver/unbind", vf_pci);
	return err ?: sys_write(r, val, "/bus/pci/drivers_probe");
}

static int __attribute__((format(printf, 4, 5)))
fail(int err, char *msg, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(msg, len, f, ap);
	va_end(ap);
	return err;
}

static int preflight_any(const char *r, char *msg, size_t len)
{
	struct sriov_pf pf;
	int n = sriov_scan(r[0] ? r : "/", &pf, 1);

	if (n < 0)
		return fail(n, msg, len, "cannot list %s/class/net: %s", r, strerror(-n));
	if (!n)
		return fail(-ENODEV, msg, len,
			    "no SR-IOV capable NIC (no %s/class/net/*/device/sriov_totalvfs above 0)",
			    r);
	return 0;
}

/* want is a PCI address: a VF, or a PF with sriov_totalvfs above 0. */
static int preflight_pci(const char *r, const char *want, char *msg, size_t len)
{
	char dev[PATH_MAX];
	int total, err;

	if (rpath(r, dev, sizeof(dev), "/bus/pci/devices/%s", want))
		return fail(-ENOENT, msg, len, "PCI device %s not found (no %s/bus/pci/devices/%s)",
			    want, r, want);
	if (sys_exists(r, "%s/physfn", dev))
		return 0;
	err = sys_read_int(r, &total, "%s/sriov_totalvfs", dev);
	if (err == -ENOENT)
		return fail(-ENODEV, msg, len, "%s is not SR-IOV capable (no sriov_totalvfs)", want);
	if (err)
		return fail(err, msg, len, "%s: sriov_totalvfs: %s", want, strerror(-err));
	if (total <= 0)
		return fail(-ENODEV, msg, len, "PF %s: sriov_totalvfs is %d", want, total);
	return 0;
}

/* want is a netdev: it must be a PF. */
static int preflight_netdev(const char *r, const char *want, char *msg, size_t len)
{
	char dev[PATH_MAX], pf[64];
	int total, err;

	if (!sys_exists(r, "/class/net/%s", want))
		return fail(-ENOENT, msg, len, "PF %s not found (no %s/class/net/%s)", want, r, want);
	if (rpath(r, dev, sizeof(dev), "/class/net/%s/device", want))
		return fail(-ENODEV, msg, len, "%s is not SR-IOV capable (no device/sriov_totalvfs)",
			    want);
	if (!sys_link_name(r, pf, sizeof(pf), "%s/physfn", dev))
		return fail(-EINVAL, msg, len,
			    "%s is a VF of PF %s, not a PF (give the VF by PCI address %s)", want,
			    pf, base(dev));
	err = sys_read_int(r, &total, "%s/sriov_totalvfs", dev);
	if (err == -ENOENT)
		return fail(-ENODEV, msg, len, "%s is not SR-IOV capable (no device/sriov_totalvfs)",
			    want);
	if (err)
		return fail(err, msg, len, "%s: device/sriov_totalvfs: %s", want, strerror(-err));
	if (total <= 0)
		return fail(-ENODEV, msg, len, "PF %s: sriov_totalvfs is %d", want, total);
	return 0;
}

int sriov_preflight(const char *root, const char *want, int need_vfio, char *msg, size_t len)
{
	char r[PATH_MAX];
	int err;

	if (len)
		msg[0] = '\0';
	err = root_norm(root, r);
	if (err)
		return fail(err, msg, len, "sysfs root: %s", strerror(-err));
	if (!want || !*want)
		err = preflight_any(r, msg, len);
	else if (is_pci_addr(want))
		err = preflight_pci(r, want, msg, len);
	else if (is_netdev_name(want))
		err = preflight_netdev(r, want, msg, len);
	else
		err = fail(-EINVAL, msg, len, "'%s' is neither a netdev name nor a PCI address", want);
	if (err)
		return err;
	if (need_vfio && !sys_exists(r, "/bus/pci/drivers/vfio-pci"))
		return fail(-ENODEV, msg, len,
			    "vfio-pci not available (no %s/bus/pci/drivers/vfio-pci: modprobe vfio-pci)",
			    r);
	return 0;
}

static const char *nonempty(const char *s)
{
	return *s ? s : NULL;
}

json_t *sriov_pf_json(const struct sriov_pf *pf)
{
	json_t *vfs = json_array(), *o;

	for (int i = 0; vfs && i < pf->nvfs; i++) {
		const struct sriov_vf *vf = &pf->vfs[i];

		o = json_pack("{s:i, s:s, s:s?, s:s?}", "index", vf->index, "pci", vf->pci,
			      "netdev", nonempty(vf->netdev), "driver", nonempty(vf->driver));
		if (!o || json_array_append_new(vfs, o)) {
			json_decref(vfs);
			return NULL;
		}
	}
	if (!vfs)
		return NULL;
	return json_pack("{s:s?, s:s, s:s?, s:i, s:i, s:o}", "netdev", nonempty(pf->netdev), "pci",
			 pf->pci, "driver", nonempty(pf->driver), "total_vfs", pf->total_vfs,
			 "num_vfs", pf->num_vfs, "vfs", vfs);
}
