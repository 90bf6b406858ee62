/* SPDX-License-Identifier: BSD-3-Clause */
/* TSC reads for timestamps and pacing (constant/nonstop TSC, monotonic across CPUs). */
#ifndef BL_TSC_H
#define BL_TSC_H

#include <stdint.h>

uint64_t tsc_fallback_now(void);

static inline uint64_t tsc_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
#else
	return tsc_fallback_now();
#endif
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause" ::: "memory");
#endif
}

/* Measure TSC ticks per second against CLOCK_MONOTONIC_RAW over ms milliseconds. */
uint64_t tsc_calibrate_hz(unsigned int ms);
uint64_t mono_ns(void);

static inline uint64_t tsc_to_ns(uint64_t ticks, uint64_t hz)
{
	return (uint64_t)((unsigned __int128)ticks * 1000000000ull / hz);
}

static inline uint64_t ns_to_tsc(uint64_t ns, uint64_t hz)
{
	return (uint64_t)((unsigned __int128)ns * hz / 1000000000ull);
}

#endif
