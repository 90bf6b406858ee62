// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer target: the config loader. An input is a config file's text,
 * optionally followed by --set arguments, each after a 0x01 byte:
 *
 *   "[workload]\nsize = 64..128\n" "\x01" "burst=1,8" "\x01" "pattern=pingpong"
 *
 * It goes through config_load (from a memfd, as from a file), config_set,
 * sweep_expand (when the product is small enough to stay fast),
 * sweep_check_host and sweep_varying, as `bypasslab run` does. Properties
 * beyond "no crash, no sanitizer report": an error is one line, naming
 * where it came from; a failed load leaves the sweep as it was; every
 * expanded case has values inside the schema's limits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "config.h"

#define MAX_EXPAND 2000 /* cases; larger products are checked, not built */

static int mfd = -1;
static char mpath[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mfd = memfd_create("fuzz.ini", 0);
	if (mfd < 0)
		abort();
	snprintf(mpath, sizeof(mpath), "/proc/self/fd/%d", mfd);
	return 0;
}

static void check_err(const char *err, const char *from)
{
	if (!err[0] || strchr(err, '\n'))
		abort(); /* an error is exactly one line */
	if (strncmp(err, from, strlen(from)) && strncmp(err, "--set", 5))
		abort(); /* and says where it came from */
	for (const char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			abort(); /* no control byte reaches the terminal */
}

static void expand(const struct sweep *sw)
{
	char err[CONFIG_ERR_LEN];
	const char *vary[64];
	struct case_cfg *cases = NULL;
	unsigned long long total = 1;
	int n = 0;

	for (int i = 0; i < sw->nkeys; i++)
		total *= (unsigned long long)(sw->keys[i].nvalues ? sw->keys[i].nvalues : 1);
	sweep_varying(sw, vary, 64);
	if (total > MAX_EXPAND)
		return;
	if (sweep_expand(sw, &cases, &n, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		return;
	}
	for (int i = 0; i < n; i++) {
		const struct case_cfg *c = &cases[i];

		if (c->size < 64 || c->size > 1518 || c->burst < 1 || c->burst > 256 ||
		    c->duration_s < 0.1 || c->pairs < 1 || c->pairs > 16 || !c->repeat ||
		    c->rep >= c->repeat || c->cpu_a < -1 || c->cpu_b < -1)
			abort();
	}
	sweep_check_host(sw, cases, n, err, sizeof(err));
	free(cases);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 0x01, size);
	size_t flen = sep ? (size_t)(sep - data) : size;
	char err[CONFIG_ERR_LEN];
	struct sweep sw;
	int r;

	if (ftruncate(mfd, 0) || pwrite(mfd, data, flen, 0) != (ssize_t)flen)
		abort();
	sweep_init(&sw);
	r = config_load(&sw, mpath, err, sizeof(err));
	if (r) {
		check_err(err, mpath);
		if (sw.nkeys || sw.files)
			abort(); /* a failed load changes nothing */
	}
	while (sep) {
		const uint8_t *start = sep + 1, *end = data + size;
		char *kv;

		sep = memchr(start, 0x01, (size_t)(end - start));
		kv = strndup((const char *)start, (size_t)((sep ? sep : end) - start));
		if (!kv)
			abort();
		if (config_set(&sw, kv, err, sizeof(err)))
			check_err(err, "--set");
		free(kv);
	}
	expand(&sw);
	sweep_free(&sw);
	return 0;
}
