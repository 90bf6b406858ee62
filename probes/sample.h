/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types shared by sample.bpf.c and sample_user.c: per-CPU cpu-clock samples
 * counted by (cpu, kind, kernel stack id). Only __u32/__u64 and constants
 * here: included by BPF code (with vmlinux.h) and user code (linux/types.h).
 */
#ifndef BL_SAMPLE_H
#define BL_SAMPLE_H

/* What the sampled CPU was running. */
#define SAMPLE_K_IDLE 0        /* pid 0, kernel stack recorded */
#define SAMPLE_K_OTHER_KERN 1  /* a task that is not an endpoint, in the kernel */
#define SAMPLE_K_OTHER_USER 2  /* ... in user mode */
#define SAMPLE_K_EP_KERN 3     /* an endpoint thread in the kernel */
#define SAMPLE_K_EP_USER 4     /* an endpoint thread in user mode */
#define SAMPLE_K_EP_SYSRET 5   /* ... on the instruction after a `syscall` */
#define SAMPLE_NKINDS 6

/* Stack id of samples without a kernel stack (user mode) or whose stack did
 * not fit the stack map (counted per CPU in SAMPLE_EV_STACK_LOST). */
#define SAMPLE_NO_STACK 0xffffffffu

/* Kernel frames kept per stack, and stacks: a distinct stack whose hash
 * bucket is taken is lost (its sample is still counted, by kind), so the
 * map is kept sparse (64 Ki * 48 * 8 B = 24 MiB). */
#define SAMPLE_MAX_DEPTH 48
#define SAMPLE_MAX_STACKS 65536
#define SAMPLE_MAX_KEYS 32768

/* Per-CPU counters (array of nr_cpus * SAMPLE_NEV). */
#define SAMPLE_EV_SAMPLES 0     /* program runs on a CPU of the mask */
#define SAMPLE_EV_STACK_LOST 1  /* bpf_get_stackid failed (map full, collision) */
#define SAMPLE_EV_KEY_LOST 2    /* the count map was full */
#define SAMPLE_NEV 4

struct sample_key {
	__u32 cpu;
	__u32 kind;
	__u32 stack; /* stack map id, or SAMPLE_NO_STACK */
	__u32 pad;
};

#endif
