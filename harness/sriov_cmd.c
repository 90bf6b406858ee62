// SPDX-License-Identifier: BSD-3-Clause
/*
 * `bypasslab sriov [--sysfs ROOT] [--json]`: the SR-IOV physical functions
 * of this machine with their virtual functions, and whether vfio-pci is
 * loaded. Without any PF it prints the preflight line and exits 2, as a run
 * that wants SR-IOV does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sriov.h"

static const char usage_line[] = "usage: bypasslab sriov [--sysfs ROOT] [--json]\n";

static const char *dash(const char *s)
{
	return *s ? s : "-";
}

static void print_text(const struct sriov_pf *pfs, int n, const char *root, int vfio)
{
	printf("%-10s %-14s %-12s %s\n", "pf/vf", "pci", "driver", "vfs/netdev");
	for (int i = 0; i < n; i++) {
		const struct sriov_pf *pf = &pfs[i];

		printf("%-10s %-14s %-12s %d/%d\n", dash(pf->netdev), pf->pci, dash(pf->driver),
		       pf->num_vfs, pf->total_vfs);
		for (int j = 0; j < pf->nvfs; j++)
			printf("  vf%-6d %-14s %-12s %s\n", pf->vfs[j].index, pf->vfs[j].pci,
			       dash(pf->vfs[j].driver), dash(pf->vfs[j].netdev));
		if (pf->num_vfs > pf->nvfs)
			printf("  (%d more not listed)\n", pf->num_vfs - pf->nvfs);
	}
	if (vfio)
		printf("vfio-pci: loaded\n");
	else
		printf("vfio-pci: not loaded (no %s/bus/pci/drivers/vfio-pci: modprobe vfio-pci)\n",
		       root && *root ? root : "/sys");
}

static int print_json(const struct sriov_pf *pfs, int n, const char *root, int vfio)
{
	json_t *arr = json_array(), *out;

	for (int i = 0; arr && i < n; i++) {
		if (json_array_append_new(arr, sriov_pf_json(&pfs[i]))) {
			json_decref(arr);
			arr = NULL;
		}
	}
	out = arr ? json_pack("{s:s, s:b, s:o}", "sysfs", root && *root ? root : "/sys",
			      "vfio_pci", vfio, "pfs", arr)
		  : NULL;
	if (!out)
		return -1;
	json_dumpf(out, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(out);
	return 0;
}

int sriov_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sysfs", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *root = NULL;
	struct sriov_pf *pfs;
	int opt, json = 0, n, err;
	char msg[512];

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			root = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			fputs(usage_line, stderr);
			return opt == 'h' ? EXIT_OK : EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fputs(usage_line, stderr);
		return EXIT_USAGE;
	}
	err = sriov_preflight(root, NULL, 0, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "bypasslab sriov: %s\n", msg);
		return EXIT_USAGE;
	}
	pfs = calloc(SRIOV_MAX_PFS, sizeof(*pfs));
	n = pfs ? sriov_scan(root, pfs, SRIOV_MAX_PFS) : -ENOMEM;
	if (n < 0) {
		fprintf(stderr, "bypasslab sriov: %s\n", strerror(-n));
		free(pfs);
		return EXIT_FAIL;
	}
	if (json)
		err = print_json(pfs, n, root, sriov_vfio_loaded(root));
	else
		print_text(pfs, n, root, sriov_vfio_loaded(root));
	free(pfs);
	if (err)
		fprintf(stderr, "bypasslab sriov: out of memory\n");
	return err ? EXIT_FAIL : EXIT_OK;
}
