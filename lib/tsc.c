// SPDX-License-Identifier: BSD-3-Clause
#include <time.h>
#include "tsc.h"

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if !defined(__x86_64__) && !defined(__i386__)
uint64_t tsc_fallback_now(void)
{
	return mono_ns();
}
#endif

uint64_t tsc_calibrate_hz(unsigned int ms)
{
	uint64_t n0, n1, t0, t1;
	struct timespec req = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	n0 = mono_ns();
	t0 = tsc_now();
	nanosleep(&req, NULL);
	n1 = mono_ns();
	t1 = tsc_now();
	if (n1 <= n0)
		return 0;
	return (uint64_t)((unsigned __int128)(t1 - t0) * 1000000000ull / (n1 - n0));
}
