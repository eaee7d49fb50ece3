/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine: guest RAM, a shadow-page pool, one simulated
 * physical CPU per vCPU, a shadow MMU under test, and the oracle.
 *
 * Each vCPU thread runs its guest program. Every guest access goes through
 * the simulated hardware MMU (hw_mmu.h) walking the shadow tables the MMU
 * under test built; hardware page faults become calls into that MMU, as
 * VM exits would; and the guest-visible outcome of every access is
 * checked against the architectural reference model (ref_model.h). Any
 * difference is a violation, reported with the vCPU's recent operations.
 */
#ifndef SMMU_POSIX_SIM_H
#define SMMU_POSIX_SIM_H

#include <pthread.h>
#include <stdio.h>

#include "guest_ops.h"
#include "host.h"
#include "hpa_space.h"
#include "hw_mmu.h"
#include "ref_model.h"
#include "sim_cpu.h"

struct sim;
struct sim_vcpu;

/* What a page-fault exit handler tells the host to do. */
enum sim_pf_action {
	SIM_PF_FIXED,	/* shadow fixed: re-enter, the access retries */
	SIM_PF_INJECT,	/* inject #PF with pf_error into the guest */
	SIM_PF_EMULATE, /* the access goes to gpa but must be emulated by
			   the host (MMIO, or a write-protected table) */
	SIM_PF_ERROR,	/* the MMU failed; the run reports it */
};

struct sim_pf_result {
	enum sim_pf_action action;
	uint32_t pf_error; /* INJECT */
	uint64_t gpa;	   /* EMULATE */
};

/* A fault-injection knob of an MMU under test: a bug it can build in. */
struct sim_knob {
	const char *name;
	uint32_t bit;
	const char *help;
};

/* The shadow MMU under test, called as a hypervisor's exit handlers
 * would call it. All callbacks run on the vCPU's own thread. */
struct sim_mmu_ops {
	const char *name;
	/* Its knobs for sim_config.inject, ending with a NULL name. */
	const struct sim_knob *knobs;
	int (*vm_init)(struct sim *sim);
	void (*vm_fini)(struct sim *sim);
	int (*vcpu_init)(struct sim_vcpu *v);
	void (*vcpu_fini)(struct sim_vcpu *v);
	/* Replace the guest's paging registers (reset / restore). */
	int (*set_regs)(struct sim_vcpu *v, const struct smmu_paging_regs *r);
	void (*get_regs)(struct sim_vcpu *v, struct smmu_paging_regs *out);
	/* Just before VM entry: fill in what the CPU will run with, doing
	 * any local flush it needs on sim_vcpu_tlb(v) first. */
	void (*vcpu_enter)(struct sim_vcpu *v, struct hw_mmu_ctx *ctx);
	/* Optional: vCPU v starts (loaded) or stops running on its CPU,
	 * which runs another vCPU in between. */
	void (*vcpu_load)(struct sim_vcpu *v, bool loaded);
	/* A hardware #PF exit for `access` with the hardware error code. */
	struct sim_pf_result (*page_fault)(struct sim_vcpu *v,
					   const struct smmu_access *access,
					   uint32_t hw_error);
	/* Guest MOV CR0/CR3/CR4 or WRMSR EFER (which: GOP_MOV_CR0...);
	 * false means #GP. */
	bool (*write_cr)(struct sim_vcpu *v, enum gop_kind which, uint64_t val);
	void (*invlpg)(struct sim_vcpu *v, uint64_t la);
	/* false: the instruction faults (#GP), nothing invalidated. */
	bool (*invpcid)(struct sim_vcpu *v, unsigned type, uint16_t pcid,
			uint64_t la);
	void (*pv_flush)(struct sim_vcpu *v);
	/* Perform the guest's 8-byte store at gpa that the MMU asked the
	 * host to emulate (store the memory with sim_guest_store, or let
	 * the MMU do it through its host). */
	void (*emulated_write)(struct sim_vcpu *v, uint64_t gpa, uint64_t val);
	/* Optional: the host changed guest frames [gfn, gfn + count)
	 * behind the guest's back (how: enum smmu_gfn_change). */
	void (*host_changed)(struct sim_vcpu *v, uint64_t gfn, uint64_t count,
			     unsigned how);
	/* Optional: print the MMU's statistics. */
	void (*print_stats)(struct sim *sim, FILE *out);
};

struct sim_config {
	unsigned nr_vcpus; /* 1..SIM_MAX_CPUS */
	/* Simulated CPUs, 1..nr_vcpus (0: one per vCPU); vCPU i runs on
	 * CPU i % nr_pcpus, which switches between its vCPUs. */
	unsigned nr_pcpus;
	unsigned slice; /* guest ops per turn on a shared CPU (0: 8) */
	uint64_t ram_size;
	uint8_t maxphyaddr;
	bool gbpages;
	uint32_t pool_pages; /* shadow-page budget of the VM */
	/* smmu_vm_config.unsync_after_stores of the library core */
	uint8_t unsync_after_stores;
	uint8_t unsync_quiet_syncs; /* smmu_vm_config.unsync_quiet_syncs */
	uint16_t prefetch_window;   /* smmu_vm_config.prefetch_window */
	uint8_t cached_roots;	    /* smmu_vm_config.cached_roots */
	/* lib: smmu_vm_config.host_caps (0: SMMU_HOST_ALL;
	 * SIM_HOST_NO_CAPS: none) */
	uint32_t host_caps;
	bool host_4k_only; /* lib: no backing_is_2m host op */
	/* lib: the host does not tell the library where vCPUs run nor
	 * offer kick_cpus/assisted_flush: every remote flush is
	 * flush_all_cpus, and the library's flush engine decides nothing. */
	bool no_flush_engine;
	/* lib: a lock-free shadow walk yields the CPU inside its RCU
	 * read-side section, as if an interrupt came (seed 003's window). */
	bool slow_readers;
	/* lib: smmu_vm_config.policy, the flush policy's preset */
	enum smmu_policy_preset policy;
	/* lib: the library's knobs as a whole (smmu-bench's policies): they
	 * replace unsync_after_stores..cached_roots and policy above; NULL:
	 * built from those. host_caps stays the host's. */
	const struct smmu_vm_config *vm_config;
	struct hw_tlb_config tlb;
	const struct sim_mmu_ops *mmu;
	uint32_t inject;     /* fault-injection knobs, MMU-defined bits */
	bool assisted_flush; /* remote flushes by assisted flush */
	/* The simulated CPUs take turns (sim_cpu.h): every count a run
	 * produces depends on its inputs alone. */
	bool lockstep;
	/* No verdicts: accesses are not checked and guest memory changes in
	 * place, so that the MMU under test can be timed alone. The model
	 * still follows registers and invalidations (ref_model_fill_info);
	 * what the hardware itself finds wrong (a walk into a freed shadow
	 * page, an MMU error) is still a violation. */
	bool no_oracle;
	unsigned report_max; /* violations printed in full (0: none) */
	FILE *report;	     /* where to print them (NULL: stderr) */
};

#define SIM_HOST_NO_CAPS (1u << 31)

struct sim_vcpu_stats {
	uint64_t ops, accesses, stores;
	uint64_t exits_pf, fixed, injected, emulated;
	uint64_t cr_writes, gp, invalidations, shootdowns;
	uint64_t switched_in; /* turns on a CPU shared with other vCPUs */
};

/* A guest TLB-shootdown request in a target vCPU's mailbox. */
struct sim_shootdown {
	uint64_t la;	   /* or GOP_ALL */
	unsigned *pending; /* the sender's count of outstanding requests */
	struct sim_shootdown *next;
};

#define SIM_RECENT_OPS 8

struct sim_vcpu {
	struct sim *sim;
	unsigned id;
	uint16_t vpid; /* id + 1: VPID 0 is the host's */
	struct sim_cpu *cpu;
	struct guest_prog prog;
	unsigned pc;
	struct hw_mmu_ctx hw; /* what the CPU runs with since entry */
	bool need_entry;      /* take a VM exit and re-enter first */
	const struct smmu_access *inflight; /* access being handled */
	void *mmu;			    /* the MMU's per-vCPU state */
	pthread_mutex_t lock;		    /* guest IPI mailbox */
	struct sim_shootdown *mailbox;
	/* A shootdown this vCPU sent and waits on: it does not block its CPU,
	 * whose other vCPUs may be the ones that have to answer it. */
	struct sim_shootdown sent[SIM_MAX_CPUS];
	unsigned sent_pending;
	bool waiting;
	struct gop recent[SIM_RECENT_OPS];
	unsigned nr_recent;
	struct sim_vcpu_stats stats;
};

/* A simulated CPU's share of the machine: the vCPUs it runs. */
struct sim_pcpu {
	struct sim_vcpu *vcpu[SIM_MAX_CPUS];
	unsigned nr;
};

struct sim {
	struct sim_config cfg;
	struct smmu_posix_host host; /* guest RAM, library host context */
	struct sim_pool pool;
	struct sim_hpa_space hpa;
	struct sim_cpus cpus;
	struct ref_model *model;
	struct sim_vcpu vcpu[SIM_MAX_CPUS];
	struct sim_pcpu pcpu[SIM_MAX_CPUS];
	void *mmu; /* the MMU's per-VM state */
	uint64_t violations;
	unsigned remaining; /* vCPUs whose program has not finished */
	pthread_mutex_t report_lock;
};

/* Set up RAM, pool, CPUs, vCPUs and the MMU (vm_init, vcpu_init). */
int sim_init(struct sim *s, const struct sim_config *config);
void sim_fini(struct sim *s);

/* Give vCPU v its initial paging registers; call after building the
 * guest's tables in RAM and before sim_run. */
int sim_vcpu_set_regs(struct sim *s, unsigned v,
		      const struct smmu_paging_regs *regs);

/* Run every vCPU's program to its end (the oracle is set up from guest
 * memory as it is at this point). Returns the number of violations. */
uint64_t sim_run(struct sim *s);

struct sim_totals {
	uint64_t ops, accesses, violations;
	struct sim_vcpu_stats sum;
	struct hw_tlb_stats tlb;
	struct ref_model_stats model;
};
void sim_get_totals(struct sim *s, struct sim_totals *out);

/* For MMUs under test: the TLB of the CPU vCPU v runs on, the vCPU the
 * calling thread runs, and a way to report what an MMU-internal check
 * found (e.g. a lock-free walker that read a freed page). */
struct hw_tlb *sim_vcpu_tlb(struct sim_vcpu *v);
/* Store 8 bytes of guest memory at gpa (aligned) so that the oracle sees
 * the change; false if gpa is not RAM. */
bool sim_guest_store(struct sim *s, uint64_t gpa, uint64_t val);
struct sim_vcpu *sim_current_vcpu(void);
void sim_report_violation(struct sim *s, struct sim_vcpu *v, const char *fmt,
			  ...) __attribute__((format(printf, 3, 4)));

#endif
