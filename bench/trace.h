/* SPDX-License-Identifier: MIT */
/*
 * A benchmark's guest, complete: the machine it needs, guest memory at
 * the start, each vCPU's paging registers and its program of guest
 * events. A run depends on this and on the policy, nothing else.
 *
 * Workloads build one (workload.h); `smmu-bench record` and --trace-out
 * write it as text, `smmu-bench replay` reads it back (TRACE.md is the
 * format, trace_parse.c the reader).
 */
#ifndef SMMU_BENCH_TRACE_H
#define SMMU_BENCH_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <shadowmmu/shadowmmu.h>

#include "guest_ops.h"
#include "sim_cpu.h"
#include "u64map.h"

#define BENCH_TRACE_VERSION 1
#define BENCH_MAX_VCPUS	    SIM_MAX_CPUS

/* One guest event: a guest operation, and whether a store is a
 * page-table store (the same operation; the tag is for the reader and
 * for counting). */
struct bench_event {
	struct gop op;
	bool pt;
};

struct bench_vcpu_prog {
	bool has_regs;
	struct smmu_paging_regs regs; /* at the start */
	struct bench_event *ev;
	unsigned nr, cap;
};

struct bench_trace {
	unsigned nr_vcpus; /* 1..BENCH_MAX_VCPUS; 0 until the machine is set */
	uint64_t ram_size; /* bytes, a multiple of 4 KiB */
	uint8_t maxphyaddr;
	bool gbpages;
	/* The shadow-page budget the guest was made for (0: the tool's
	 * default); a host setting, kept so that a replay is the same run. */
	uint32_t pool_pages;
	/* Guest memory at the start: gpa (8-byte aligned) -> value; words
	 * not listed are zero. */
	struct u64map mem;
	struct bench_vcpu_prog vcpu[BENCH_MAX_VCPUS];
};

void bench_trace_init(struct bench_trace *t);
void bench_trace_fini(struct bench_trace *t);
/* Move src into dst (dst's old content freed); src is left empty. */
void bench_trace_move(struct bench_trace *dst, struct bench_trace *src);

/* Append an event to vCPU v's program. */
void bench_trace_add(struct bench_trace *t, unsigned v, struct gop op, bool pt);
/* Events of every vCPU. */
uint64_t bench_trace_events(const struct bench_trace *t);

/* Write the text form (TRACE.md); 0, or -1 on an output error. */
int bench_trace_write(const struct bench_trace *t, FILE *out);

/* Read the text form from `in` (`name` for messages). On success the
 * trace replaces *t; on any error *t is left as it was and `err` says
 * where ("name:LINE: ...") and what. 0 or -1. */
int bench_trace_parse(FILE *in, const char *name, struct bench_trace *t,
		      char *err, size_t err_len);
/* The same from a file path. */
int bench_trace_load(const char *path, struct bench_trace *t, char *err,
		     size_t err_len);

#endif
