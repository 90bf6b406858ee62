/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sampling judge of the tracepoint attribution (probes=sample|both): a
 * PERF_COUNT_SW_CPU_CLOCK event per CPU of a mask runs sample.bpf.c, which
 * counts samples by (cpu, what ran, kernel stack). Per core and window the
 * samples are classified into the same groups as the tracepoint attribution
 * ("user", "syscalls", "veth xmit", ...), by the innermost kernel frame that
 * names a stage, so the two methods can be set side by side.
 */
#ifndef BL_SAMPLE_USER_H
#define BL_SAMPLE_USER_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

struct sample;
struct sample_snap;

/* Each cpu-clock sample costs the core about 17-21 us on the KVM (PVM)
 * guests this runs on, with or without the BPF program (the guest's timer
 * interrupt, not the program): 999 Hz keeps that near 2 % of a core, where
 * 4999 Hz took 10 %. */
#define SAMPLE_DEFAULT_HZ 999

/* Load the program for the CPUs in cpu_mask (< 64), sampling at freq_hz
 * (a fixed period of 1e9 / freq_hz ns of cpu-clock). NULL + errno. */
struct sample *sample__open(uint64_t cpu_mask, unsigned int freq_hz);
/* An endpoint process: its threads' samples are "user"/kernel stages, not
 * "other tasks". */
int sample__add_tgid(struct sample *s, uint32_t tgid);
/* Open the perf events and attach. Negative errno. */
int sample__attach(struct sample *s);
/* Copy of the counts now. NULL + errno. */
struct sample_snap *sample__snap(struct sample *s);
void sample_snap__free(struct sample_snap *sn);
/* One core over the window between two snaps (the first call after a snap
 * reads /proc/kallsyms, so that every program loaded in the window has its
 * name):
 * {"cpu", "samples", "expected_samples", "groups": {name: {"samples", "pct"}},
 *  "kinds", "stack_lost", "unclassified_top": [...]}. */
json_t *sample__core_json(struct sample *s, const struct sample_snap *o,
			  const struct sample_snap *c, int cpu);
/* Side by side, one core: the tracepoint attribution's core object (groups
 * with "ns") and the sample core object, as shares of busy time (idle left
 * out of both): per group both shares and the difference in points, and
 * the largest absolute difference. */
json_t *sample__compare(json_t *attr_core, json_t *sample_core);
/* The "method" string for result.json. */
const char *sample__method(void);
unsigned int sample__freq(const struct sample *s);
/* Detach and unload; accepts NULL. */
void sample__destroy(struct sample *s);

#endif
