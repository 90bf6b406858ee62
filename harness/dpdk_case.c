// SPDX-License-Identifier: BSD-3-Clause
/* The DPDK side of a case: see dpdk_case.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp.h"
#include "dpdk_case.h"
#include "log.h"
#include "runstate.h"
#include "sriov.h"

/* Pages: each endpoint's -m, the switch's, and slack for DPDK's own. */
#define SWITCH_PAGES 256

static void bcat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void bcat(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strnlen(buf, len);
	va_list ap;

	if (n >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static const char *sriov_want(const struct case_cfg *c)
{
	return strcmp(c->sriov_pf, "any") && c->sriov_pf[0] ? c->sriov_pf : NULL;
}

int dpdk_sriov_preflight(const struct case_cfg *cases, int n, char *msg, size_t len)
{
	char why[256];

	for (int i = 0; i < n; i++) {
		const struct case_cfg *c = &cases[i];
		int err;

		if (!(case_needs(c) & DP_NEED_EAL) || case_dp_opt(c, "dpdk_port") != DPDK_PORT_SRIOV)
			continue;
		err = sriov_preflight(NULL, sriov_want(c), 1, why, sizeof(why));
		if (err) {
			snprintf(msg, len, "dpdk_port=sriov: %s", why);
			return err;
		}
	}
	return 0;
}

/* VFs for every endpoint, bound to vfio-pci. */
static int sriov_prepare(struct dpdk_case *d, const struct case_cfg *c, char *msg, size_t len)
{
	struct sriov_pf *pf = calloc(1, sizeof(*pf));
	const char *want = sriov_want(c);
	int err;

	if (!pf)
		return -ENOMEM;
	if (want) {
		err = sriov_find_pf(NULL, want, pf);
	} else {
		err = sriov_scan(NULL, pf, 1);
		err = err == 1 ? 0 : err < 0 ? err : -ENODEV;
	}
	if (err) {
		snprintf(msg, len, "sriov: PF %s: %s", want ? want : "(any)", strerror(-err));
		goto out;
	}
	snprintf(d->pf, sizeof(d->pf), "%s", pf->netdev[0] ? pf->netdev : pf->pci);
	err = sriov_ensure_vfs(NULL, pf, d->nep);
	if (err) {
		snprintf(msg, len, "sriov: PF %s: %d VFs: %s", d->pf, d->nep, strerror(-err));
		goto out;
	}
	for (int i = 0; i < d->nep && !err; i++) {
		char drv[32];

		snprintf(d->vf_pci[i], sizeof(d->vf_pci[i]), "%s", pf->vfs[i].pci);
		err = sriov_bind_vfio(NULL, d->vf_pci[i]);
		if (!err && (sriov_pci_driver(NULL, d->vf_pci[i], drv, sizeof(drv)) ||
			     strcmp(drv, "vfio-pci")))
			err = -ENODEV;
		if (err)
			snprintf(msg, len, "sriov: VF %s of %s: bind to vfio-pci: %s", d->vf_pci[i],
				 d->pf, strerror(-err));
	}
out:
	free(pf);
	return err;
}

int dpdk_case_prepare(struct dpdk_case *d, const struct case_cfg *c, struct runstate *rs,
		      const char *prefix, int nep, char *msg, size_t len)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	memset(d, 0, sizeof(*d));
	d->active = 1;
	d->port = (int)case_dp_opt(c, "dpdk_port");
	d->via_switch = !!(case_needs(c) & DP_NEED_SWITCH);
	d->nep = nep;
	snprintf(d->prefix, sizeof(d->prefix), "%s", prefix);
	d->pages = (long)nep * (DPDK_EP_MEM_MB / 2) + (d->via_switch ? SWITCH_PAGES : 0) + 32;
	err = hugepages_ensure(&d->hp, d->pages, msg, len);
	if (err)
		return err;
	d->hp_ok = 1;
	snprintf(d->sockdir, sizeof(d->sockdir), "%s/%s-dk", RS_STATE_DIR, prefix);
	err = runstate__add(rs, RS_TREE, d->sockdir);
	if (!err && mkdir(d->sockdir, 0700))
		err = -errno;
	if (err) {
		snprintf(msg, len, "%s: %s", d->sockdir, strerror(-err));
		return err;
	}
	if (d->port == DPDK_PORT_SRIOV) {
		err = sriov_prepare(d, c, msg, len);
		if (err)
			return err;
	}
	if (d->via_switch) {
		/* A core of its own if there is one, else the receiver's. */
		if (c->switch_cpu >= 0)
			d->sw_cpu = (unsigned int)c->switch_cpu;
		else if (ncpu > 2)
			d->sw_cpu = (unsigned int)(ncpu - 1);
		else
			d->sw_cpu = ncpu > 1 ? 1 : 0;
	}
	return 0;
}

int dpdk_case_eal(struct dpdk_case *d, const struct case_cfg *c, const struct topo *t, int i,
		  const char *tag, unsigned int cpu, struct runstate *rs)
{
	char path[PATH_MAX], *e = d->eal[i];
	size_t el = sizeof(d->eal[i]);
	unsigned int qs = c->ring_frames > 1024 ? 1024 : c->ring_frames;
	int b = i & 1, pair = i / 2, err;
	const uint8_t *m = t->ep[i].mac;
	char mac[24];

	snprintf(d->fp[i], sizeof(d->fp[i]), "%s-%s", d->prefix, tag);
	/* Recorded before the EAL creates them. */
	snprintf(path, sizeof(path), "%s/%s", HUGE_MOUNT, d->fp[i]);
	err = runstate__add(rs, RS_HUGE, path);
	snprintf(path, sizeof(path), "%s/%s", DPDK_RUNTIME_DIR, d->fp[i]);
	if (!err)
		err = runstate__add(rs, RS_TREE, path);
	if (err)
		return err;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	e[0] = '\0';
	bcat(e, el, "-l %u --file-prefix=%s -m %u --no-telemetry --log-level=*:warning", cpu,
	     d->fp[i], DPDK_EP_MEM_MB);
	if (d->port != DPDK_PORT_SRIOV)
		bcat(e, el, " --no-pci");
	switch (d->port) {
	case DPDK_PORT_VHOST:
		if (d->via_switch) {
			/* The switch connects to every endpoint's socket. */
			snprintf(d->sock[i], sizeof(d->sock[i]), "%s/%s.sock", d->sockdir, tag);
			bcat(e, el,
			     " --single-file-segments --vdev=net_virtio_user0,path=%s,server=1,"
			     "queues=1,queue_size=%u,mac=%s",
			     d->sock[i], qs, mac);
		} else if (b) {
			/* b starts first and serves the pair's socket. */
			snprintf(d->sock[i], sizeof(d->sock[i]), "%s/p%d.sock", d->sockdir, pair);
			bcat(e, el, " --vdev=net_vhost0,iface=%s,queues=1", d->sock[i]);
		} else {
			snprintf(d->sock[i], sizeof(d->sock[i]), "%s/p%d.sock", d->sockdir, pair);
			bcat(e, el,
			     " --single-file-segments --vdev=net_virtio_user0,path=%s,queues=1,"
			     "queue_size=%u,mac=%s",
			     d->sock[i], qs, mac);
		}
		break;
	case DPDK_PORT_MEMIF:
		snprintf(d->sock[i], sizeof(d->sock[i]), "%s/p%d.memif", d->sockdir, pair);
		bcat(e, el, " --vdev=net_memif0,role=%s,id=0,socket=%s,socket-abstract=no",
		     b ? "server" : "client", d->sock[i]);
		break;
	case DPDK_PORT_AF_XDP:
		bcat(e, el, " --vdev=net_af_xdp0,iface=%s,start_queue=0,queue_count=1",
		     t->ep[i].ifname);
		break;
	case DPDK_PORT_SRIOV:
		if (!d->vf_pci[i][0])
			return -ENODEV;
		bcat(e, el, " -a %s", d->vf_pci[i]);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

int dpdk_case_switch_start(struct dpdk_case *d, const struct case_cfg *c, struct runstate *rs,
			   char *msg, size_t len)
{
	char dir[PATH_MAX];
	const char *sock[2] = { d->sock[0], d->sock[1] };
	enum vswitch_kind k = c->dpdk_switch == CFG_SWITCH_OVS ? VSWITCH_OVS : VSWITCH_TESTPMD;
	int err;

	if (!d->via_switch)
		return 0;
	snprintf(dir, sizeof(dir), "%s/%s-sw", RS_STATE_DIR, d->prefix);
	err = vswitch_start(&d->sw, k, rs, d->prefix, dir, d->sw_cpu, sock, msg, len);
	if (!err)
		d->sw_up = 1;
	return err;
}

void dpdk_case_switch_snapshot(struct dpdk_case *d)
{
	if (d->sw_up && !vswitch_stats(&d->sw, d->sw_st))
		d->sw_stats_ok = 1;
}

void dpdk_case_switch_stop(struct dpdk_case *d, struct runstate *rs)
{
	struct vswitch_port_stats st[2];

	if (!d->sw_up)
		return;
	/* testpmd's final counters come at its exit; OVS gives back the last
	 * ones read (the snapshot), which stay valid. */
	if (!vswitch_stop(&d->sw, rs, st) && d->sw.have_final) {
		memcpy(d->sw_st, st, sizeof(st));
		d->sw_stats_ok = 1;
	}
	d->sw_up = 0;
}

static const char *const port_names[] = { "vhost", "memif", "af_xdp", "sriov" };

json_t *dpdk_case_json(const struct dpdk_case *d, const char *const *tags)
{
	json_t *o = json_object(), *eal = json_object();

	json_object_set_new(o, "port", json_string(port_names[d->port & 3]));
	json_object_set_new(o, "mode", json_string(d->port != DPDK_PORT_VHOST ? port_names[d->port & 3]
						   : d->via_switch ? "vhost-switch"
								   : "vhost-direct"));
	for (int i = 0; i < d->nep; i++)
		json_object_set_new(eal, tags[i], json_string(d->eal[i]));
	json_object_set_new(o, "eal", eal);
	json_object_set_new(o, "switch", d->via_switch ? vswitch_json(&d->sw, d->sw_stats_ok ? d->sw_st
											     : NULL)
						       : json_null());
	json_object_set_new(o, "hugepages",
			    json_pack("{s:I, s:I, s:b}", "reserved_2m", (json_int_t)d->pages,
				      "total_2m", (json_int_t)d->hp.total, "raised",
				      d->hp.raised_from >= 0));
	return o;
}

void dpdk_case_teardown(struct dpdk_case *d, struct runstate *rs)
{
	char path[PATH_MAX];

	if (!d->active)
		return;
	dpdk_case_switch_stop(d, rs);
	for (int i = 0; i < d->nep; i++) {
		if (!d->fp[i][0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", HUGE_MOUNT, d->fp[i]);
		runstate__undo(rs, RS_HUGE, path);
		snprintf(path, sizeof(path), "%s/%s", DPDK_RUNTIME_DIR, d->fp[i]);
		runstate__undo(rs, RS_TREE, path);
	}
	if (d->sockdir[0])
		runstate__undo(rs, RS_TREE, d->sockdir);
	if (d->hp_ok)
		hugepages_release(&d->hp);
	d->active = 0;
}
