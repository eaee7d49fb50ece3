/* SPDX-License-Identifier: MIT */
/*
 * A machine: one lean host, its guest (guest.h), one smmu_vm and up to
 * CB_MAX_VCPUS vCPUs in IA-32e paging on address space 0, and what a
 * host's exit handlers do with them. Every check here is a correctness
 * check: a failure ends the benchmark with exit status 1.
 */
#ifndef CB_MACHINE_H
#define CB_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include <shadowmmu/shadowmmu.h>

#include "host.h"

#define CB_MAX_VCPUS  8
#define CB_POOL_PAGES 512

struct cb_vm_opts {
	uint16_t prefetch;    /* prefetch_window (0: the default) */
	uint8_t unsync_after; /* unsync_after_stores (0: default) */
	uint8_t quiet_syncs;  /* unsync_quiet_syncs (0: default) */
	bool host_all;	      /* host_caps = SMMU_HOST_ALL */
	bool pcide;	      /* guest CR4.PCIDE=1 */
	unsigned nr_vcpus;    /* 0: 1 */
	bool time_lock;	      /* the lock-share figure's lock */
};

struct cb_vm {
	struct cb_host host;
	struct smmu_vm *vm;
	struct smmu_vcpu *vcpu[CB_MAX_VCPUS];
	struct smmu_entry entry[CB_MAX_VCPUS]; /* from each one's last entry */
	unsigned nr_vcpus;
	bool pcide;
};

/* Print the message (printf-style) and exit with status 1. */
void cb_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* Host, guest, VM and vCPUs; the vCPUs have not entered yet. */
void cb_vm_create(struct cb_vm *m, const struct cb_vm_opts *o);
/* Everything freed; fails if the library leaked. */
void cb_vm_destroy(struct cb_vm *m);

/* smmu_vcpu_enter for vCPU v into m->entry[v]. */
void cb_enter(struct cb_vm *m, unsigned v);
/* The #PF exit of vCPU v for la with SMMU_ACCESS_* flags. */
struct smmu_fault cb_fault(struct cb_vm *m, unsigned v, uint64_t la,
			   uint32_t flags);
/* A guest MOV to CR3 on vCPU v that must succeed. */
void cb_write_cr3(struct cb_vm *m, unsigned v, uint64_t cr3);
/* The VM's counters. */
struct smmu_stats cb_stats(const struct cb_vm *m);

/* What the hardware finds for guest page `page` on vCPU v's root: the
 * leaf spte, or 0. */
uint64_t cb_hw_page(const struct cb_vm *m, unsigned v, unsigned page);
/* Guest pages [first, first + n) the guest maps as its PTEs say: each
 * one the hardware finds on vCPU v's root must map the frame its guest
 * PTE names; if `all`, each must be found. */
void cb_verify(const struct cb_vm *m, unsigned v, unsigned first, unsigned n,
	       bool all, const char *when);
/* Touch guest pages [first, first + n) for reading on vCPU v: a fault
 * where the hardware finds nothing, which must map the page. Returns
 * the faults taken. */
unsigned cb_touch(struct cb_vm *m, unsigned v, unsigned first, unsigned n);

#endif
