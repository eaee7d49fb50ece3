/* SPDX-License-Identifier: MIT */
/*
 * The trace in memory and its writer; trace_parse.c reads it back. The
 * writer puts the machine first, then memory in address order, then each
 * vCPU's registers and events: a file that reads top to bottom.
 */
#include "trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void bench_trace_init(struct bench_trace *t)
{
	memset(t, 0, sizeof(*t));
	t->maxphyaddr = 46;
	t->gbpages = true;
	u64map_init(&t->mem);
}

void bench_trace_fini(struct bench_trace *t)
{
	for (unsigned v = 0; v < BENCH_MAX_VCPUS; v++)
		free(t->vcpu[v].ev);
	u64map_fini(&t->mem);
	memset(t, 0, sizeof(*t));
}

void bench_trace_move(struct bench_trace *dst, struct bench_trace *src)
{
	bench_trace_fini(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
	bench_trace_init(src);
}

void bench_trace_add(struct bench_trace *t, unsigned v, struct gop op, bool pt)
{
	struct bench_vcpu_prog *p = &t->vcpu[v];
	if (p->nr == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->ev = realloc(p->ev, p->cap * sizeof(*p->ev));
		if (!p->ev) {
			fprintf(stderr, "smmu-bench: out of memory\n");
			abort();
		}
	}
	p->ev[p->nr++] = (struct bench_event){ .op = op, .pt = pt };
}

uint64_t bench_trace_events(const struct bench_trace *t)
{
	uint64_t n = 0;
	for (unsigned v = 0; v < t->nr_vcpus; v++)
		n += t->vcpu[v].nr;
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Non-zero words only: memory starts zeroed. */
static int write_memory(const struct bench_trace *t, FILE *out)
{
	const struct u64map *m = &t->mem;
	uint64_t *gpa = malloc((m->count ? m->count : 1) * sizeof(*gpa));
	uint64_t n = 0;
	if (!gpa)
		return -1;
	for (uint64_t i = 0; i < m->cap; i++)
		if (m->used[i] && m->vals[i])
			gpa[n++] = m->keys[i];
	qsort(gpa, n, sizeof(*gpa), cmp_u64);
	for (uint64_t i = 0; i < n; i++)
		fprintf(out, "mem %#" PRIx64 " %#" PRIx64 "\n", gpa[i],
			*u64map_get(m, gpa[i]));
	free(gpa);
	return 0;
}

static void write_access_flags(FILE *out, const struct gop *op)
{
	if (op->flags & SMMU_ACCESS_USER)
		fputs(" user", out);
	if (op->flags & SMMU_ACCESS_IMPLICIT)
		fputs(" implicit", out);
	if (op->flags & SMMU_ACCESS_AC)
		fputs(" ac", out);
	if (op->pkru)
		fprintf(out, " pkru=%#" PRIx32, op->pkru);
}

static void write_event(FILE *out, unsigned v, const struct bench_event *e)
{
	const struct gop *op = &e->op;
	static const char *const cr_name[] = {
		[GOP_MOV_CR0] = "cr0",
		[GOP_MOV_CR3] = "cr3",
		[GOP_MOV_CR4] = "cr4",
		[GOP_WRMSR_EFER] = "efer",
	};
	fprintf(out, "%u ", v);
	switch ((enum gop_kind)op->kind) {
	case GOP_ACCESS:
		fprintf(out, "%s %#" PRIx64,
			op->flags & SMMU_ACCESS_FETCH ? "fetch" : "read",
			op->la);
		write_access_flags(out, op);
		break;
	case GOP_STORE:
		fprintf(out, "%s %#" PRIx64 " %#" PRIx64,
			e->pt ? "ptwrite" : "write", op->la, op->val);
		write_access_flags(out, op);
		break;
	case GOP_MOV_CR0:
	case GOP_MOV_CR3:
	case GOP_MOV_CR4:
	case GOP_WRMSR_EFER:
		fprintf(out, "%s %#" PRIx64, cr_name[op->kind], op->val);
		break;
	case GOP_INVLPG:
		fprintf(out, "invlpg %#" PRIx64, op->la);
		break;
	case GOP_INVPCID:
		fprintf(out, "invpcid %u %#x %#" PRIx64, op->type, op->pcid,
			op->la);
		break;
	case GOP_PV_FLUSH:
		fputs("pvflush", out);
		break;
	case GOP_SHOOTDOWN:
		if (op->la == GOP_ALL)
			fprintf(out, "shootdown %#" PRIx64 " all", op->targets);
		else
			fprintf(out, "shootdown %#" PRIx64 " %#" PRIx64,
				op->targets, op->la);
		break;
	case GOP_DMA_STORE:
		fprintf(out, "dma %#" PRIx64 " %#" PRIx64, op->la, op->val);
		break;
	case GOP_HOST_UNMAP:
	case GOP_HOST_REMAP:
		fprintf(out, "%s %#" PRIx64 " %#" PRIx64,
			op->kind == GOP_HOST_UNMAP ? "unmap" : "remap", op->la,
			op->val);
		break;
	}
	fputc('\n', out);
}

int bench_trace_write(const struct bench_trace *t, FILE *out)
{
	fprintf(out, "smmu-trace %d\n", BENCH_TRACE_VERSION);
	fprintf(out,
		"machine vcpus=%u ram=%#" PRIx64 " maxphyaddr=%u "
		"gbpages=%d\n",
		t->nr_vcpus, t->ram_size, t->maxphyaddr, t->gbpages);
	if (t->pool_pages)
		fprintf(out, "host pool-pages=%" PRIu32 "\n", t->pool_pages);
	if (write_memory(t, out))
		return -1;
	for (unsigned v = 0; v < t->nr_vcpus; v++) {
		const struct bench_vcpu_prog *p = &t->vcpu[v];
		const struct smmu_paging_regs *r = &p->regs;
		fprintf(out,
			"regs %u cr0=%#" PRIx64 " cr3=%#" PRIx64
			" cr4=%#" PRIx64 " efer=%#" PRIx64,
			v, r->cr0, r->cr3, r->cr4, r->efer);
		if (r->pdpte[0] | r->pdpte[1] | r->pdpte[2] | r->pdpte[3])
			fprintf(out,
				" pdpte=%#" PRIx64 ":%#" PRIx64 ":%#" PRIx64
				":%#" PRIx64,
				r->pdpte[0], r->pdpte[1], r->pdpte[2],
				r->pdpte[3]);
		fputc('\n', out);
	}
	for (unsigned v = 0; v < t->nr_vcpus; v++)
		for (unsigned i = 0; i < t->vcpu[v].nr; i++)
			write_event(out, v, &t->vcpu[v].ev[i]);
	return ferror(out) ? -1 : 0;
}
