/* SPDX-License-Identifier: MIT */
#include "insn_probe.h"

#include "cpu.h"
#include "fault_probe.h"

struct op {
	uint32_t index; /* MSR or XCR number */
	uint64_t value;
};

static unsigned run(void (*fn)(void *), struct op *op)
{
	struct fault f;

	return probe_call(fn, op, &f) ? (unsigned)f.vector : 0;
}

static void rdmsr_op(void *p)
{
	struct op *op = p;

	op->value = rdmsr(op->index);
}

static void wrmsr_op(void *p)
{
	struct op *op = p;

	wrmsr(op->index, op->value);
}

static void cr4_op(void *p)
{
	write_cr4((unsigned long)((struct op *)p)->value);
}

static void xgetbv_op(void *p)
{
	struct op *op = p;
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(op->index));
	op->value = ((uint64_t)hi << 32) | lo;
}

static void xsetbv_op(void *p)
{
	struct op *op = p;

	__asm__ volatile("xsetbv"
			 :
			 : "c"(op->index), "a"((uint32_t)op->value),
			   "d"((uint32_t)(op->value >> 32))
			 : "memory");
}

unsigned try_rdmsr(uint32_t msr, uint64_t *value)
{
	struct op op = { msr, 0 };
	unsigned v = run(rdmsr_op, &op);

	*value = op.value;
	return v;
}

unsigned try_wrmsr(uint32_t msr, uint64_t value)
{
	struct op op = { msr, value };

	return run(wrmsr_op, &op);
}

unsigned try_write_cr4(unsigned long value)
{
	struct op op = { 0, value };

	return run(cr4_op, &op);
}

unsigned try_xgetbv(uint32_t xcr, uint64_t *value)
{
	struct op op = { xcr, 0 };
	unsigned v = run(xgetbv_op, &op);

	*value = op.value;
	return v;
}

unsigned try_xsetbv(uint32_t xcr, uint64_t value)
{
	struct op op = { xcr, value };

	return run(xsetbv_op, &op);
}

struct invpcid_op {
	unsigned long type;
	uint64_t pcid, la;
};

static void invpcid_op(void *p)
{
	struct invpcid_op *op = p;

	invpcid(op->type, op->pcid, op->la);
}

unsigned try_invpcid(unsigned long type, uint64_t pcid, uint64_t la)
{
	struct invpcid_op op = { type, pcid, la };
	struct fault f;

	return probe_call(invpcid_op, &op, &f) ? (unsigned)f.vector : 0;
}
