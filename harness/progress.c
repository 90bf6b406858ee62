// SPDX-License-Identifier: BSD-3-Clause
/*
 * Run progress. The ETA is the remaining cases' warm-up and window plus,
 * per case, the set-up and tear-down time the finished cases actually took
 * (a guess before the first one finishes).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "progress.h"
#include "tsc.h"

/* Topology, endpoints, probes, drain and tear-down: seconds per case until
 * a case has been measured. */
#define GUESS_OVERHEAD_S 1.5

void progress_init(struct progress *p)
{
	memset(p, 0, sizeof(*p));
	p->tty = isatty(STDERR_FILENO);
}

static double nominal_s(const struct case_cfg *c)
{
	return c->warmup_s + c->duration_s;
}

void progress_case(struct progress *p, const struct case_cfg *cases, int i, int n)
{
	const struct case_cfg *c = &cases[i];
	double left = 0, overhead = GUESS_OVERHEAD_S, eta;
	char line[512], rep[32] = "";
	struct winsize ws;
	uint64_t now = mono_ns();
	int cols = 0;

	if (!p->tty) {
		fprintf(stderr, "bypasslab: case %d/%d: %s %s %s size=%u burst=%u rep=%u\n", i + 1,
			n, c->datapath, topo_name(c->topology), pattern_name(c->pattern), c->size,
			c->burst, c->rep + 1);
		return;
	}
	if (i == 0) {
		p->t0_ns = now;
	} else {
		double spent = (double)(now - p->t0_ns) / 1e9;

		if (spent > p->done_s)
			overhead = (spent - p->done_s) / i;
	}
	for (int j = i; j < n; j++)
		left += nominal_s(&cases[j]) + overhead;
	p->done_s += nominal_s(c);
	eta = left + 0.5;
	if (c->repeat > 1)
		snprintf(rep, sizeof(rep), " rep %u/%u", c->rep + 1, c->repeat);
	snprintf(line, sizeof(line), "bypasslab: case %d/%d, %s %s %s size=%u burst=%u%s, ETA %d:%02d",
		 i + 1, n, c->datapath, topo_name(c->topology), pattern_name(c->pattern), c->size,
		 c->burst, rep, (int)eta / 60, (int)eta % 60);
	/* A wrapped line cannot be rewritten with a carriage return. */
	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 1)
		cols = ws.ws_col - 1;
	if (cols && (int)strlen(line) > cols)
		line[cols] = 0;
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	p->shown = 1;
}

void progress_clear(struct progress *p)
{
	if (!p->tty || !p->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = 0;
}
