/* SPDX-License-Identifier: MIT */
/*
 * Guest programs: what a simulated vCPU executes. A program is an array of
 * operations — memory accesses, stores (page-table updates are stores
 * through a linear mapping of the tables, as in a real kernel), control
 * register writes, invalidations and TLB shootdowns by guest IPI.
 */
#ifndef SMMU_POSIX_GUEST_OPS_H
#define SMMU_POSIX_GUEST_OPS_H

#include <stdint.h>

enum gop_kind {
	GOP_ACCESS,	/* la, flags (SMMU_ACCESS_*), pkru: read or fetch */
	GOP_STORE,	/* 8-byte store of `val` at la (flags may add USER) */
	GOP_MOV_CR0,	/* val */
	GOP_MOV_CR3,	/* val: CR3 operand, NOFLUSH bit included */
	GOP_MOV_CR4,	/* val */
	GOP_WRMSR_EFER, /* val */
	GOP_INVLPG,	/* la */
	GOP_INVPCID,	/* type, pcid, la */
	GOP_PV_FLUSH,	/* paravirtual "flush my TLB" */
	/* Guest TLB shootdown: ask every vCPU in `targets` to INVLPG la (or,
	 * with la == GOP_ALL, to flush everything) by guest IPI, and wait
	 * until all did. */
	GOP_SHOOTDOWN,
	/* Not the guest's own: a device writes 8 bytes `val` at gpa `la`
	 * (DMA), which the host reports (SMMU_GFN_CONTENT). The vCPU's
	 * thread stands in for the device. */
	GOP_DMA_STORE,
	/* Not the guest's own: the host takes `val` bytes of frames at gpa
	 * `la` away (SMMU_GFN_UNMAP, then a hole), or moves them to other
	 * host pages (SMMU_GFN_UNMAP, the same content: REMAP). */
	GOP_HOST_UNMAP,
	GOP_HOST_REMAP,
};

#define GOP_ALL UINT64_MAX

struct gop {
	uint8_t kind;	/* enum gop_kind */
	uint8_t type;	/* INVPCID type */
	uint16_t pcid;	/* INVPCID */
	uint32_t flags; /* SMMU_ACCESS_* */
	uint32_t pkru;	/* ACCESS/STORE */
	uint64_t la;
	uint64_t val;
	uint64_t targets; /* SHOOTDOWN: vCPU bitmask */
};

struct guest_prog {
	struct gop *ops;
	unsigned nr, cap;
};

void guest_prog_init(struct guest_prog *p);
void guest_prog_fini(struct guest_prog *p);
void guest_prog_add(struct guest_prog *p, struct gop op);
/* One line describing an op, for violation reports. */
void gop_describe(const struct gop *op, char *buf, unsigned len);

#endif
