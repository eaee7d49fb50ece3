/* SPDX-License-Identifier: MIT */
/** @file
 * libshadowmmu public API, version 0.
 *
 * A hypervisor creates one smmu_vm per guest and one smmu_vcpu per virtual
 * CPU, fills in a struct smmu_host_ops (host.h), and calls the entry points
 * below from its VM-exit handlers. Each of them returns (or fills in) a
 * small result the host acts on.
 *
 * The library is a shadow MMU: it builds the shadow page tables the
 * hardware walks while the guest runs (smmu_vcpu_enter,
 * smmu_vcpu_page_fault), keeps them in sync with the guest's through the
 * guest's invalidations and the host's changes to guest memory, and asks
 * for the TLB flushes that needs as a flush policy says (struct
 * smmu_policy). Under it lies the guest paging view, which a host may use
 * alone, without the shadow-paging host ops: control-register writes with
 * their architectural side effects (PAE PDPTE loads, \#GP conditions) and
 * a guest page-table walker for every x86 paging mode
 * (smmu_vcpu_translate).
 */
#ifndef SHADOWMMU_SHADOWMMU_H
#define SHADOWMMU_SHADOWMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "host.h"
#include "x86.h"
#include <shadowmmu/version.h> /* generated: SMMU_VERSION... */

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared from here to the matching pop is the library's
 * exported API: libshadowmmu.so is built with -fvisibility=hidden, so
 * any other function it defines stays internal. */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(default)
#endif

/** API version of this header. */
#define SMMU_API_VERSION 0

/** The release of the library linked: "MAJOR.MINOR.PATCH", and the same
 * as SMMU_VERSION_NUMBER(major, minor, patch). version.h's
 * SMMU_VERSION_STRING and SMMU_VERSION are those of the header a
 * program was compiled with; a shared library it runs with may be
 * newer. Callable at any time, with no VM. */
const char *smmu_version(void);
/** The release of the library linked as one number,
 * SMMU_VERSION_NUMBER(major, minor, patch): see smmu_version(). */
unsigned smmu_version_number(void);

/** Status of lifecycle and configuration calls. */
enum smmu_status {
	SMMU_OK = 0,	  /**< done */
	SMMU_EINVAL = -1, /**< invalid argument; logged when a host is known */
	SMMU_ENOMEM = -2, /**< the host's alloc() failed */
	SMMU_EBUSY = -3,  /**< object still in use (e.g. vm with vcpus), or a
			     state already set (dirty logging on) */
	SMMU_ENOSPC = -4, /**< the shadow-page budget is spent: alloc_page()
			     failed, or gave a page the root cannot use */
};

/** @name Guest CPU features
 * Paging features of the guest's CPU, as its CPUID shows them
 * (smmu_vm_config.cpu_features). A control bit of a feature the guest
 * lacks is reserved for it: MOV to CR4 or WRMSR to EFER that sets one
 * gives SMMU_CR_INJECT_GP, smmu_vcpu_set_paging refuses it, and INVPCID
 * without SMMU_CPU_INVPCID gives SMMU_CR_INJECT_UD. Bits of other
 * features (CR4.OSXSAVE, FSGSBASE, EFER.SCE...) are the host's to
 * check before it calls in.
 * @{ */
#define SMMU_CPU_PSE	 (1u << 0)  /**< CR4.PSE (CPUID.1:EDX.PSE) */
#define SMMU_CPU_PAE	 (1u << 1)  /**< CR4.PAE (CPUID.1:EDX.PAE) */
#define SMMU_CPU_PGE	 (1u << 2)  /**< CR4.PGE (CPUID.1:EDX.PGE) */
#define SMMU_CPU_PCID	 (1u << 3)  /**< CR4.PCIDE (CPUID.1:ECX.PCID) */
#define SMMU_CPU_INVPCID (1u << 4)  /**< INVPCID (CPUID.07H:EBX.INVPCID) */
#define SMMU_CPU_SMEP	 (1u << 5)  /**< CR4.SMEP (CPUID.07H:EBX.SMEP) */
#define SMMU_CPU_SMAP	 (1u << 6)  /**< CR4.SMAP (CPUID.07H:EBX.SMAP) */
#define SMMU_CPU_PKU	 (1u << 7)  /**< CR4.PKE (CPUID.07H:ECX.PKU) */
#define SMMU_CPU_LA57	 (1u << 8)  /**< CR4.LA57 (CPUID.07H:ECX.LA57) */
#define SMMU_CPU_NX	 (1u << 9)  /**< EFER.NXE (CPUID.80000001H:EDX.NX) */
#define SMMU_CPU_LM	 (1u << 10) /**< EFER.LME (CPUID.80000001H:EDX.LM) */
#define SMMU_CPU_ALL	 ((1u << 11) - 1) /**< every feature above */
/** @} */

/** The flush policy: how the library turns what must be invalidated into
 * hardware flushes. Presets are named sets of these knobs
 * (smmu_policy_preset); every knob changes performance only, never
 * correctness (the oracle checks each preset). */
struct smmu_policy {
	/** Roots each vCPU keeps besides its current one (prev_roots),
	 * 0..SMMU_CACHED_ROOTS_MAX. */
	uint8_t cached_roots;
	/** Each cached root runs under a hardware PCID of its own (with
	 * SMMU_HOST_PCID); otherwise all under PCID 0. */
	bool hw_pcids;
	/** MOV CR3 with NOFLUSH keeps what the root's PCID caches when the
	 * root is unchanged; false: every MOV CR3 flushes, as Xen's shadow
	 * mode does since XSA-294. */
	bool honour_noflush;
	/** A paravirtual flush drops every root, current and cached, and
	 * rebuilds (KVM's fix for seed 004, "overkill"); otherwise it syncs
	 * them. */
	bool unload_on_pv_flush;
	/** A CR4.PCIDE change drops every root (KVM); otherwise only the
	 * scope the SDM gives it is invalidated. */
	bool drop_roots_on_pcide;
	/** A vCPU out of guest mode gets a remote flush at its next entry,
	 * without an interrupt. */
	bool defer_idle;
	/** Remote TLB flushes by the host's assisted_flush when it has one,
	 * rather than interrupting the CPUs. */
	bool use_assisted;
	/** A vCPU that has not entered the guest since its last full flush
	 * caches nothing: remote flushes skip it (Xen's TLB clock). */
	bool tlb_clock;
	/** Flushes for shadow pages being freed interrupt their targets even
	 * with an assisted flush at hand (Xen's fix for seed 003, for its
	 * lock-free walkers; the library's are covered by RCU). */
	bool ipi_for_frees;
	/** Every remote flush reaches every vCPU of the VM, deferred or not,
	 * and flushes all of each. */
	bool whole_vm;
};

/** Named sets of flush-policy knobs (smmu_policy_preset(),
 * smmu_vm_config.policy). */
enum smmu_policy_preset {
	/** The library's own: SMMU_CACHED_ROOTS_DEFAULT cached roots, PCIDs
	 * per cached root, NOFLUSH honoured exactly, scopes as the SDM gives
	 * them, idle vCPUs deferred, assisted flushes used, the TLB clock. */
	SMMU_POLICY_PRECISE,
	/** KVM's shadow MMU: 3 cached roots, a PV flush unloads the MMU, a
	 * PCIDE change drops the roots, IPIs to vCPUs in guest mode. */
	SMMU_POLICY_KVM,
	/** Xen's shadow mode: no cached roots, NOFLUSH ignored, one hardware
	 * PCID, IPIs for page-table frees, every remote flush to the whole
	 * VM. */
	SMMU_POLICY_CONSERVATIVE,
};

/** The knobs of a preset; SMMU_EINVAL for an unknown one or a NULL out. */
enum smmu_status smmu_policy_preset(enum smmu_policy_preset preset,
				    struct smmu_policy *out);

/** What the guest CPU supports; fixed for the life of a VM. */
struct smmu_vm_config {
	/** Guest MAXPHYADDR, 32..52 (CPUID.80000008H:EAX). */
	uint8_t maxphyaddr;
	bool gbpages; /**< 1 GiB pages (CPUID.80000001H:EDX.Page1GB) */
	/** SMMU_CPU_* the guest's CPUID shows; 0: SMMU_CPU_ALL. */
	uint32_t cpu_features;
	/** Out-of-sync page tables: once this many stores to a last-level
	 * guest table have had to be emulated, its next write fault makes
	 * it writable and out of sync instead, and it is synced when the
	 * guest invalidates. 0: SMMU_UNSYNC_AFTER_DEFAULT; SMMU_UNSYNC_NEVER
	 * keeps every shadowed table write-protected. */
	uint8_t unsync_after_stores;
	/** Syncs in a row that found an out-of-sync table unchanged before
	 * it is write-protected again (which flushes every CPU); until then
	 * each invalidation that covers it compares it with the guest's, or
	 * skips it when its write watch saw no store
	 * (smmu_stats.sync_skipped). 0: SMMU_UNSYNC_QUIET_DEFAULT. */
	uint8_t unsync_quiet_syncs;
	/** Prefetch: a fault fills the leaf spte it needs and the sptes of
	 * its aligned block of this many (a power of two up to 512) whose
	 * guest entries are present and accessed. 0: SMMU_PREFETCH_DEFAULT;
	 * 1: no prefetch. */
	uint16_t prefetch_window;
	/** The flush policy's preset (0: SMMU_POLICY_PRECISE). */
	enum smmu_policy_preset policy;
	/** Knobs that replace the preset's (NULL: the preset's); copied by
	 * smmu_vm_create. */
	const struct smmu_policy *policy_knobs;
	/** Roots each vCPU keeps besides its current one (prev_roots), keyed
	 * by (CR3, PCID, role): overrides the policy's. A switch back to one
	 * that nothing changed behind the guest's back costs no sync and,
	 * with SMMU_HOST_PCID and the policy's hw_pcids, no flush: each runs
	 * under a hardware PCID of its own. 0: the policy's
	 * (SMMU_CACHED_ROOTS_DEFAULT for precise); at most
	 * SMMU_CACHED_ROOTS_MAX. */
	uint8_t cached_roots;
	/** SMMU_HOST_*: what the host's hardware does with smmu_entry. 0: a
	 * host that runs every root under PCID 0 and flushes the whole vCPU
	 * for any flush the library asks for. */
	uint32_t host_caps;
	/** Testing only: SMMU_INJECT_* bugs to build in, so that a test
	 * oracle can prove it catches each; 0 for any real guest. */
	uint32_t inject;
};

/** The precise preset's cached_roots. Linux keeps 6 address spaces'
 * PCIDs per CPU, 12 with page-table isolation: 11 cached roots and the
 * current one hold all of them (smmu-bench ctxsw:kpti, bench/README.md). */
#define SMMU_CACHED_ROOTS_DEFAULT 11
#define SMMU_CACHED_ROOTS_MAX	  32 /**< the most cached_roots may be */

/** The host runs IA-32e guests with hardware CR4.PCIDE=1 and the PCID in
 * smmu_entry.cr3 (smmu_entry.pcide). Without it every root runs under
 * PCID 0, and switching roots flushes what the last one left. */
#define SMMU_HOST_PCID (1u << 0)
/** The host can flush one PCID of one vCPU (SMMU_FLUSH_PCID): INVPCID in
 * the guest's context, a hypercall to an L0 that has it. Without it the
 * library asks for SMMU_FLUSH_VCPU instead. (INVPCID in VMX root operation
 * reaches VPID 0 only, so a VMX host usually lacks this one.) */
#define SMMU_HOST_FLUSH_PCID (1u << 1)
/** The host can flush one address of one PCID (SMMU_FLUSH_PCID_ADDR);
 * without it the library asks for SMMU_FLUSH_ADDR. */
#define SMMU_HOST_FLUSH_PCID_ADDR (1u << 2)
/** The host can flush one address in every PCID of one vCPU
 * (SMMU_FLUSH_ADDR, INVVPID type 0); without it SMMU_FLUSH_VCPU_ALL. */
#define SMMU_HOST_FLUSH_ADDR (1u << 3)
#define SMMU_HOST_ALL	     ((1u << 4) - 1) /**< every SMMU_HOST_* bit */

/** smmu_vm_config.unsync_after_stores when 0 is given. */
#define SMMU_UNSYNC_AFTER_DEFAULT 2
/** smmu_vm_config.unsync_after_stores: no table ever goes out of sync. */
#define SMMU_UNSYNC_NEVER 255
/** smmu_vm_config.unsync_quiet_syncs when 0 is given. */
#define SMMU_UNSYNC_QUIET_DEFAULT 16
/** smmu_vm_config.prefetch_window when 0 is given. */
#define SMMU_PREFETCH_DEFAULT 8

/** @name Fault injection (testing only)
 * Fault-injection knobs, one per correctness mechanism
 * (smmu_vm_config.inject).
 * @{ */
#define SMMU_INJECT_NO_WRITE_PROTECT (1u << 0) /**< tables stay writable */
/** Emulated stores leave shadows stale. */
#define SMMU_INJECT_NO_ZAP_ON_WRITE (1u << 1)
/** INVLPG, INVPCID and PV flushes do not flush. */
#define SMMU_INJECT_NO_FLUSH_ON_INVALIDATE (1u << 2)
/** A new root keeps the old root's hardware translations. */
#define SMMU_INJECT_NO_FLUSH_ON_NEW_ROOT (1u << 3)
/** An evicted shadow page stays in the CPUs' TLBs and caches. */
#define SMMU_INJECT_NO_FLUSH_ON_EVICT (1u << 4)
/** A table reached through read-only or supervisor entries shares its
 * shadow with one reached through writable user ones (CVE-2021-38198). */
#define SMMU_INJECT_SHARE_ACROSS_RIGHTS (1u << 5)
/** Guest invalidations (INVLPG, MOV CR3, INVPCID, PV flush) flush the
 * hardware without syncing the out-of-sync tables they cover (seed 004). */
#define SMMU_INJECT_NO_SYNC_ON_INVALIDATE (1u << 6)
/** An out-of-sync table is linked under a new parent as it is. */
#define SMMU_INJECT_NO_SYNC_BEFORE_LINK (1u << 7)
/** Prefetch takes guest entries whose A bit is clear. */
#define SMMU_INJECT_PREFETCH_UNACCESSED (1u << 8)
/** Host 2 MiB leaves map guest memory that holds shadowed tables. */
#define SMMU_INJECT_LARGE_OVER_TABLES (1u << 9)
/** Directories a PAE root links may be evicted while the CPU still holds
 * them in its PDPTE registers. */
#define SMMU_INJECT_PAE_UNPINNED (1u << 10)
/** A 32-bit guest's directory shares its shadow across CR4.PSE, which
 * decides whether a PS=1 entry maps a 4 MiB page or links a table. */
#define SMMU_INJECT_ROLE_WITHOUT_PSE (1u << 11)
/** MOV CR3 without NOFLUSH invalidates only the root it loads, not the
 * other cached roots of the same PCID (KVM 21823fbda552's class). */
#define SMMU_INJECT_FLUSH_SPARES_SHARED_PCID (1u << 12)
/** With CR4.PCIDE=0, an invalidation covers only the current root, and
 * the roots cached meanwhile are trusted once PCIDE is set (seed 001). */
#define SMMU_INJECT_PCIDE0_CURRENT_ONLY (1u << 13)
/** Invalidations of every PCID (INVPCID types 2 and 3, PV flush) sync and
 * flush the current root only (KVM b53e84eed08b's class). */
#define SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY (1u << 14)
/** A PAE guest's root is kept across a MOV CR3 that loads the same CR3,
 * whose PDPTEs may differ (KVM 2c5653caecc4's class). */
#define SMMU_INJECT_PAE_ROOT_ACROSS_CR3 (1u << 15)
/** A root whose frame the host takes away is handled as a TLB matter only:
 * unhashed and flushed from the TLBs, but the vCPUs running on it are
 * not made to drop it (state sent as a TLB flush, seed 002). */
#define SMMU_INJECT_STATE_AS_TLB_FLUSH (1u << 16)
/** The host's reports of guest tables it wrote (SMMU_GFN_CONTENT) leave
 * their shadows as they were (the class of CVE-2026-46113). */
#define SMMU_INJECT_CONTENT_IGNORED (1u << 17)
/** Shadow pages are freed as soon as every CPU is flushed, without waiting
 * for a grace period: a lock-free walker may read a recycled page (seed
 * 003's class). */
#define SMMU_INJECT_FREE_BEFORE_GRACE (1u << 18)

/** An out-of-sync table's write watch (clear D in every spte mapping its
 * frame, then trust a clear D) is armed without flushing every CPU: a
 * TLB entry cached with D=1 writes the table unseen. */
#define SMMU_INJECT_WATCH_UNFLUSHED (1u << 19)

/** A fill without the MMU lock maps a frame writable without asking
 * whether it holds a guest table in sync (fill_lockfree.c, step 4). */
#define SMMU_INJECT_LOCKFREE_UNCHECKED (1u << 20)

/** A vCPU that comes back with NOFLUSH to a cached root trusts the
 * out-of-sync tables it links, although fills through other roots (other
 * PCIDs, other vCPUs) stored guest entries it never saw, which the guest
 * has rewritten since. */
#define SMMU_INJECT_UNSYNC_SEEN_ACROSS_ROOTS (1u << 21)

/** An address the guest invalidates in a cached root that is not running
 * is synced there at once, not when the root runs again: an out-of-sync
 * entry the guest rewrites unseen in between is then trusted, although
 * that root's PCID cached nothing since the invalidation. */
#define SMMU_INJECT_SYNC_AT_INVALIDATION (1u << 22)

/** The direct page that stands for a guest large page gets every right
 * whatever the guest's entry grants: read-only and writable large pages
 * over the same frames share one (KVM d28c6cfbbc5e's class). */
#define SMMU_INJECT_DIRECT_SHARE_ACROSS_RIGHTS (1u << 23)

/** A vCPU entering the guest does not look again for a remote request
 * that came after it took what it owed: the requester counts on its
 * next entry, which has already happened (CVE-2019-3016's class). */
#define SMMU_INJECT_ENTRY_MISSES_REQUESTS (1u << 24)

/** INVLPG (or INVPCID type 0) flushes the one address, although the
 * shadow mapped the guest's large page there with smaller leaves whose
 * link it has dropped since: the CPU keeps the other splinters of a
 * translation the guest invalidated whole. */
#define SMMU_INJECT_SPLINTERS_UNFLUSHED (1u << 25)

/** A table going out of sync counts as out of sync for fills without the
 * MMU lock before its guest entries are copied: one maps its frame
 * writable, and a guest store made before the copy is taken looks
 * unchanged to every later sync. */
#define SMMU_INJECT_UNSYNC_BEFORE_COPY (1u << 26)
/** @} */

/** @struct smmu_vm
 * One guest; opaque. */
struct smmu_vm;
/** @struct smmu_vcpu
 * One virtual CPU of a guest; opaque. */
struct smmu_vcpu;

/** Create a VM. `ops` and `host` must outlive it; `config` is read
 * during the call only. SMMU_EINVAL for NULL arguments, host ops missing
 * (alloc, free, read_gpa and cmpxchg_gpa are required; the shadow-paging
 * ops and the RCU pair come whole or not at all) or a config field out of
 * its range, logged through ops->log; SMMU_ENOMEM when alloc() fails. */
enum smmu_status smmu_vm_create(const struct smmu_vm_config *config,
				const struct smmu_host_ops *ops, void *host,
				struct smmu_vm **vm_out);
/** Destroy a VM. SMMU_EBUSY while it still has vCPUs, or while shadow
 * pages it handed to the host's defer_free() wait for their callback
 * (the callbacks use the VM): let them run (with liburcu, rcu_barrier())
 * and call it again. */
enum smmu_status smmu_vm_destroy(struct smmu_vm *vm);

/** @name Where a vCPU runs
 * Where a vCPU runs, for remote flushes. The host calls smmu_vcpu_load
 * when the vCPU starts running on physical CPU `cpu` (below
 * SMMU_MAX_CPUS) and smmu_vcpu_put when it stops (scheduled out,
 * migrated); a vCPU that comes back to a CPU after running on another
 * gets its translations there flushed at its next entry (the CPU may
 * hold stale ones of its last stay). smmu_vcpu_exit after every VM exit:
 * the vCPU counts as in guest mode from smmu_vcpu_enter until
 * smmu_vcpu_exit (or smmu_vcpu_put); out of it, a remote flush waits for
 * its next entry instead of interrupting the CPU (with the policy's
 * defer_idle, and without its whole_vm), in it the CPU is kicked.
 *
 * Without smmu_vcpu_load the library does not know where a vCPU runs:
 * one smmu_vcpu_enter of a vCPU not placed (never loaded, or put and not
 * loaded again) sends every remote flush of the VM to flush_all_cpus from
 * then on, for good, whatever the other vCPUs do (correct, only slower:
 * with kick_cpus, load every vCPU before it enters). And the flushes
 * smmu_vcpu_enter asks for are done on the CPU of that entry only: a host
 * that moves a vCPU to another CPU without smmu_vcpu_load must itself
 * flush all of that vCPU's translations there (its VPID, global ones
 * included: INVVPID single-context) before the vCPU's first entry on it,
 * or a vCPU moved A -> B -> A reads on A through a translation it
 * invalidated on B. A host that runs each vCPU on one CPU only, and never
 * calls these, needs neither. Each is SMMU_EINVAL for a NULL vcpu.
 * @{ */
/** The vCPU starts running on physical CPU `cpu`; SMMU_EINVAL for a cpu
 * not below SMMU_MAX_CPUS. */
enum smmu_status smmu_vcpu_load(struct smmu_vcpu *vcpu, unsigned cpu);
/** The vCPU stops running on its CPU. */
enum smmu_status smmu_vcpu_put(struct smmu_vcpu *vcpu);
/** The vCPU left guest mode (after every VM exit). */
enum smmu_status smmu_vcpu_exit(struct smmu_vcpu *vcpu);
/** @} */

/** Create vCPU `id` (unique within the VM) in the reset state: paging off.
 * SMMU_EINVAL for NULL arguments or an id in use (logged); SMMU_ENOMEM
 * when alloc() fails. With the shadow-paging ops it may run at once with
 * other creates and destroys and with the other vCPUs' calls: the id is
 * checked and the vCPU inserted in one step under the MMU lock, so of two
 * creates of one id one succeeds. Without them (no lock) the host
 * serialises creates and destroys. */
enum smmu_status smmu_vcpu_create(struct smmu_vm *vm, uint32_t id,
				  struct smmu_vcpu **vcpu_out);
/** Destroy a vCPU: not running, and no other call on it in progress. It
 * may run at once with other vCPUs' calls, creates and destroys, as
 * smmu_vcpu_create says. */
void smmu_vcpu_destroy(struct smmu_vcpu *vcpu);

/** The paging mode a vCPU's registers select (SDM 4.1.1). */
enum smmu_paging_mode {
	SMMU_PAGING_INVALID = -1, /**< no vCPU (a NULL handle) */
	SMMU_PAGING_OFF,	  /**< CR0.PG=0: linear = physical */
	SMMU_PAGING_32BIT, /**< 2-level, 4-byte entries, optional 4 MiB pages */
	SMMU_PAGING_PAE,   /**< PDPTE registers + 2 levels of 8-byte entries */
	SMMU_PAGING_4LEVEL, /**< IA-32e, 48-bit linear addresses */
	SMMU_PAGING_5LEVEL, /**< IA-32e, CR4.LA57=1: 57-bit linear addresses */
};

/** The guest's paging registers, as the guest sees them. */
struct smmu_paging_regs {
	uint64_t cr0;	   /**< guest CR0 */
	uint64_t cr3;	   /**< guest CR3 (never holds the NOFLUSH bit) */
	uint64_t cr4;	   /**< guest CR4 */
	uint64_t efer;	   /**< guest IA32_EFER, LMA included */
	uint64_t pdpte[4]; /**< PAE PDPTE registers; used only in PAE mode */
};

/** Replace a vCPU's paging registers without the side effects of a MOV
 * (vCPU reset, state restore, migration). PDPTEs are taken as given.
 * Every translation the guest may have cached is invalidated, global
 * ones included.
 * SMMU_EINVAL for values no CPU can hold: combinations such as LMA
 * without PAE, CR0 bits 63:32, CR0.NW without CD, CR3 bits beyond
 * MAXPHYADDR in IA-32e mode or above bit 31 outside it; logged. */
enum smmu_status smmu_vcpu_set_paging(struct smmu_vcpu *vcpu,
				      const struct smmu_paging_regs *regs);
/** Read back a vCPU's paging registers; SMMU_EINVAL for NULL arguments. */
enum smmu_status smmu_vcpu_get_paging(const struct smmu_vcpu *vcpu,
				      struct smmu_paging_regs *regs);
/** The paging mode the vCPU's registers select now (SMMU_PAGING_INVALID
 * for a NULL vcpu). */
enum smmu_paging_mode smmu_vcpu_paging_mode(const struct smmu_vcpu *vcpu);

/** Result of a guest control-register or EFER write, or of INVPCID. */
enum smmu_cr_result {
	SMMU_CR_DONE,	     /**< register written; resume the guest */
	SMMU_CR_INJECT_GP,   /**< the write (or INVPCID) faults: inject \#GP(0),
				nothing changed */
	SMMU_CR_INJECT_UD,   /**< the instruction does not exist for this guest
				(INVPCID without the feature): inject \#UD */
	SMMU_CR_EINVAL = -1, /**< API misuse (a NULL vcpu): nothing done */
};

/** Guest MOV to CR0. Checks PG/PE/long-mode activation, updates EFER.LMA,
 * loads PDPTEs when PAE paging results and PG, CD or NW changed (SDM
 * 4.4.1). Clearing PG invalidates every translation, global ones too. */
enum smmu_cr_result smmu_vcpu_write_cr0(struct smmu_vcpu *vcpu, uint64_t val);
/** Guest MOV to CR3 (operand as written, NOFLUSH bit included); loads the
 * PDPTEs in PAE mode and faults if one has reserved bits set or the table
 * is not in guest RAM. In IA-32e mode bits beyond MAXPHYADDR fault (bit 63
 * too without CR4.PCIDE); outside it only the low 32 bits are written. */
enum smmu_cr_result smmu_vcpu_write_cr3(struct smmu_vcpu *vcpu, uint64_t val);
/** Guest MOV to CR4. Checks PAE/LA57/PCIDE transitions, loads PDPTEs when
 * PAE paging results and a paging-relevant bit changed (SDM 4.4.1).
 * Toggling PGE or clearing PCIDE invalidates every translation, setting
 * SMEP those of the current PCID (SDM 4.10.4.1). */
enum smmu_cr_result smmu_vcpu_write_cr4(struct smmu_vcpu *vcpu, uint64_t val);
/** Guest WRMSR to IA32_EFER. LMA is read-only and kept; LME cannot change
 * while paging is on. Changing NXE invalidates every translation (more
 * than the SDM asks: XD turns from a reserved bit into a right). */
enum smmu_cr_result smmu_vcpu_write_efer(struct smmu_vcpu *vcpu, uint64_t val);

/** @name Access flags
 * Access flags for smmu_vcpu_translate() and smmu_vcpu_page_fault(). W,
 * U and I have the values of the \#PF error-code bits, so
 * `error_code & (PFERR_W | PFERR_U | PFERR_I)` of a hardware \#PF is a
 * valid flags value; other error-code bits are rejected as unknown flags
 * (smmu_vcpu_page_fault() ignores P, RSVD and PK).
 * @{ */
#define SMMU_ACCESS_WRITE ((uint32_t)PFERR_W) /**< data write */
#define SMMU_ACCESS_USER  ((uint32_t)PFERR_U) /**< CPL=3 (explicit) access */
#define SMMU_ACCESS_FETCH ((uint32_t)PFERR_I) /**< instruction fetch */
/** Implicit supervisor access (GDT/IDT/TSS...): supervisor even at CPL=3,
 * never exempted from SMAP by EFLAGS.AC (SDM 4.6). */
#define SMMU_ACCESS_IMPLICIT (UINT32_C(1) << 16)
/** EFLAGS.AC was 1 at the time of the access. */
#define SMMU_ACCESS_AC (UINT32_C(1) << 17)
/** The bits of a hardware \#PF error code that smmu_vcpu_page_fault()
 * takes: `error_code & SMMU_ACCESS_PFERR_MASK` (P, RSVD and PK ignored). */
#define SMMU_ACCESS_PFERR_MASK                                                 \
	((uint32_t)(PFERR_P | PFERR_W | PFERR_U | PFERR_RSVD | PFERR_I |       \
		    PFERR_PK))
/** @} */

/** One guest memory access to translate. */
struct smmu_access {
	uint64_t la;	/**< linear address */
	uint32_t flags; /**< SMMU_ACCESS_* */
	uint32_t pkru;	/**< guest PKRU at the time of the access */
};

/** Outcome of a translation. */
enum smmu_xlate_status {
	SMMU_XLATE_OK,	       /**< translated: see gpa, page_size, rights */
	SMMU_XLATE_PAGE_FAULT, /**< the guest takes \#PF(pf_error), CR2 = la */
	SMMU_XLATE_NONCANONICAL, /**< not canonical: \#GP or \#SS */
	SMMU_XLATE_NOT_RAM,	 /**< a paging structure lies outside guest RAM
				    (at not_ram_gpa); the host decides */
	SMMU_XLATE_RETRY,  /**< guest entries kept changing under the walk;
			      re-enter the guest and let it retry */
	SMMU_XLATE_EINVAL, /**< unknown or contradictory access flags, or
			      a NULL argument */
};

/** @name Access rights
 * Effective access rights of a translation, accumulated over all levels.
 * @{ */
#define SMMU_RIGHT_W 1u /**< writable (R/W=1 at every level) */
#define SMMU_RIGHT_U 2u /**< user-mode address (U/S=1 at every level) */
#define SMMU_RIGHT_X 4u /**< executable (no XD at any level, or NXE=0) */
/** @} */

/** A completed translation or the fault it raised. */
struct smmu_translation {
	uint64_t gpa;	      /**< guest-physical address of `la` (OK) */
	uint64_t page_size;   /**< 4 KiB, 2 MiB, 4 MiB or 1 GiB (OK) */
	uint32_t pf_error;    /**< \#PF error code, PFERR_* (PAGE_FAULT) */
	uint8_t rights;	      /**< SMMU_RIGHT_* (OK) */
	uint8_t pkey;	      /**< the leaf's protection key, 0 if PKE unused */
	bool global;	      /**< leaf G=1 with CR4.PGE=1 (OK) */
	uint64_t not_ram_gpa; /**< where the walk left guest RAM (NOT_RAM) */
};

/** Walk the guest's page tables for `access` as the CPU would: checks
 * rights, reserved bits and canonicality, sets accessed/dirty flags in guest
 * memory with compare-exchange when the access succeeds. Outside IA-32e
 * mode only la's low 32 bits count. */
enum smmu_xlate_status smmu_vcpu_translate(struct smmu_vcpu *vcpu,
					   const struct smmu_access *access,
					   struct smmu_translation *out);

/** @file
 * @par Shadow paging
 * Needs the shadow-paging host ops. The library keeps the
 * shadow tables in sync with the guest's by write-protecting the guest
 * pages that hold shadowed tables: guest stores to them come back as
 * SMMU_FAULT_EMULATE and the host performs them with
 * smmu_vm_emulated_write(). A last-level table stored to often enough
 * goes out of sync instead (smmu_vm_config.unsync_after_stores): it is
 * writable, and synced at each guest invalidation that covers it. Every
 * paging mode is shadowed: a guest in IA-32e mode runs on 4-level shadow
 * tables (5-level for 5-level guests), one outside it (paging off, 32-bit
 * or PAE paging) on legacy PAE paging with a root private to the vCPU
 * (smmu_entry.pae).
 */

/** A flush of the hardware TLB and paging-structure caches of this vCPU
 * (its VPID) that smmu_vcpu_enter asks for. A host may always flush more
 * than asked (a wider scope), never less. */
enum smmu_flush_scope {
	/** la in every PCID, global translations too: INVVPID type 0
	 * (individual address). */
	SMMU_FLUSH_ADDR,
	/** la in hardware PCID `pcid`, global translations kept: INVPCID
	 * type 0 in the guest's context (SMMU_HOST_FLUSH_PCID_ADDR). */
	SMMU_FLUSH_PCID_ADDR,
	/** everything of hardware PCID `pcid` but global translations:
	 * INVPCID type 1 in the guest's context (SMMU_HOST_FLUSH_PCID). */
	SMMU_FLUSH_PCID,
	/** every PCID, global translations kept: INVVPID type 3. */
	SMMU_FLUSH_VCPU,
	/** every PCID, global translations too: INVVPID type 1. */
	SMMU_FLUSH_VCPU_ALL,
};

/** One flush smmu_vcpu_enter asks for (smmu_entry.flush). */
struct smmu_flush {
	uint8_t scope; /**< enum smmu_flush_scope */
	uint16_t pcid; /**< SMMU_FLUSH_PCID, SMMU_FLUSH_PCID_ADDR */
	uint64_t la;   /**< SMMU_FLUSH_ADDR, SMMU_FLUSH_PCID_ADDR */
};

/** Flushes one entry asks for at most; more are merged into wider ones. */
#define SMMU_ENTRY_MAX_FLUSHES 8

/** What the host loads before it enters the guest (smmu_vcpu_enter). */
struct smmu_entry {
	uint64_t cr3; /**< shadow root: host-physical address | PCID */
	bool la57;    /**< the shadow tables are 5-level */
	/** The guest is not in IA-32e mode (paging off, 32-bit or PAE
	 * paging): run it with legacy PAE paging (CR4.PAE=1, CR0.PG=1,
	 * EFER.LME=LMA=0, no IA-32e-mode entry control), cr3 being a
	 * page-directory-pointer table below 4 GiB whose four entries the
	 * CPU loads at VM entry. Otherwise IA-32e paging with 4-level (or,
	 * with la57, 5-level) shadow tables. */
	bool pae;
	/** Hardware CR4.PCIDE: cr3's bits 11:0 are the root's hardware PCID
	 * (IA-32e mode with SMMU_HOST_PCID). */
	bool pcide;
	/** Hardware CR4.PGE, the guest's in IA-32e mode (clear outside it):
	 * shadow leaves carry the guest's G bit, so global translations
	 * outlive PCID flushes exactly as the guest's do. A host may run
	 * with PGE clear (more flushing, never less). */
	bool pge;
	/** No flush below covers cr3's PCID: a host that loads the root with
	 * MOV to CR3 (rather than by VM entry) may set bit 63, NOFLUSH. */
	bool noflush;
	/** How many of flush[] to do; 0: no flush. */
	unsigned nr_flushes;
	/** What to flush on this CPU before entering, in this order. */
	struct smmu_flush flush[SMMU_ENTRY_MAX_FLUSHES];
};

/** Just before VM entry: the root to run on and the local flushes the
 * entry needs. The flushes are handed over once: a second call before
 * the entry returns only those asked for since, so do what the first
 * gave even if you call it again. From this call until smmu_vcpu_exit
 * (or smmu_vcpu_put) the vCPU counts as in guest mode: a remote flush
 * meanwhile kicks its CPU and waits, holding the MMU lock, until it has
 * left guest mode; so between this call and the VM entry do not wait for
 * the MMU lock (or anything its holder may hold) without answering that
 * kick. A vCPU not placed with smmu_vcpu_load puts the VM on
 * flush_all_cpus for good ("Where a vCPU runs").
 *
 * SMMU_ENOSPC when the budget cannot hold a root (alloc_page() failed
 * with nothing left to evict, or gave a page above 4 GiB for the root of
 * a guest outside IA-32e mode, logged); SMMU_ENOMEM when the host's
 * alloc() failed for a shadow page's bookkeeping (logged). After either
 * nothing was entered: free budget or memory (end a grace period so that
 * evicted pages come back) and call it again, or stop the vCPU.
 * SMMU_EINVAL for NULL arguments or a VM without the shadow-paging ops
 * (logged). */
enum smmu_status smmu_vcpu_enter(struct smmu_vcpu *vcpu,
				 struct smmu_entry *out);

/** What a shadow page-fault exit handler does next. */
enum smmu_fault_action {
	SMMU_FAULT_FIXED,   /**< shadow updated: re-enter the guest */
	SMMU_FAULT_INJECT,  /**< inject \#PF(pf_error) with CR2 = the address */
	SMMU_FAULT_EMULATE, /**< emulate the access at gpa (a write-protected
			       guest table, not RAM, a walk through a guest
			       table outside RAM, or a supervisor write only
			       the guest's CR0.WP=0 allows); a store through
			       smmu_vm_emulated_write(). The host's emulator
			       advances RIP: the library never does */
	SMMU_FAULT_ERROR,   /**< cannot continue: see reason */
};

/** What smmu_vcpu_page_fault() reports. */
struct smmu_fault {
	enum smmu_fault_action action; /**< what to do next */
	uint32_t pf_error; /**< INJECT: the \#PF error code, PFERR_* */
	/** EMULATE: the guest-physical address of the access, page offset
	 * included (the byte `la` names). */
	uint64_t gpa;
	/** ERROR: why, a string that lives forever. "shadow-page budget
	 * spent: ..." also when the host's alloc() failed for a new shadow
	 * page's bookkeeping (memory, not budget: the fault cannot tell). */
	const char *reason;
};

/** A \#PF VM exit for `access` (flags from the hardware error code plus
 * EFLAGS.AC and PKRU, as for smmu_vcpu_translate). Of the error code pass
 * `error_code & SMMU_ACCESS_PFERR_MASK`: P, RSVD and PK describe the
 * shadow, not the guest's tables, and are ignored, as is PFERR_HLAT (the
 * host's HLAT paging). The whole code may be passed too: PFERR_SS and
 * PFERR_SGX are then SMMU_FAULT_ERROR with a reason that names them
 * (accesses the library does not shadow: CET shadow stacks, enclaves,
 * which a guest without them never makes), any other unknown bit
 * "contradictory access flags". Outside IA-32e mode linear addresses are 32
 * bits wide: only la's low 32 bits count (a CPU never reports more).
 *
 * A NULL vcpu or access is SMMU_FAULT_ERROR, and so is a VM without the
 * shadow-paging ops. So is a fault on a vCPU that holds no root, "no
 * shadow root: smmu_vcpu_enter first": before its first smmu_vcpu_enter,
 * and after a register write or smmu_vcpu_set_paging that moved it to a
 * root it does not keep cached, with no entry since (hardware cannot
 * fault on a root it has not entered: the host called out of order). A
 * NULL out is ignored (nothing to report through). */
void smmu_vcpu_page_fault(struct smmu_vcpu *vcpu,
			  const struct smmu_access *access,
			  struct smmu_fault *out);
/** @name Guest invalidations
 * Guest INVLPG, INVPCID (types 0-3) and a paravirtual "flush my TLB":
 * the flush happens at the next smmu_vcpu_enter. On a VM without the
 * shadow-paging ops they change nothing (INVPCID still decides its
 * faults).
 * @{ */
/** Guest INVLPG of `la`. INVLPG of a non-canonical address in IA-32e mode
 * does nothing, as on the CPU (SDM vol. 2, INVLPG). SMMU_EINVAL for a
 * NULL vcpu. */
enum smmu_status smmu_vcpu_invlpg(struct smmu_vcpu *vcpu, uint64_t la);
/** INVPCID with its descriptor: `pcid` is the descriptor's first quadword
 * (bits 63:12 must be 0), `la` its second. SMMU_CR_INJECT_GP as the
 * SDM says (vol. 2, INVPCID): a type above 3, descriptor bits 63:12 set,
 * type 0 with a non-canonical address in IA-32e mode, type 0 or 1 with a
 * non-zero PCID while CR4.PCIDE=0; SMMU_CR_INJECT_UD without
 * SMMU_CPU_INVPCID. The host checks CPL itself. */
enum smmu_cr_result smmu_vcpu_invpcid(struct smmu_vcpu *vcpu, unsigned type,
				      uint64_t pcid, uint64_t la);
/** A paravirtual "flush my TLB": every translation of the vCPU, global
 * ones too, as INVPCID type 2 (with the policy's unload_on_pv_flush its
 * roots are dropped and rebuilt). SMMU_EINVAL for a NULL vcpu. */
enum smmu_status smmu_vcpu_pv_flush(struct smmu_vcpu *vcpu);
/** @} */

/** Perform the guest store of `len` bytes (within one page) at gpa that
 * the host emulates after SMMU_FAULT_EMULATE. The library writes guest
 * memory itself (write_gpa) and zaps the shadow entries that mirror the
 * bytes stored in the same step under the MMU lock, so that no CPU can
 * walk a shadow entry older than the guest memory it mirrors. SMMU_GPA_OK,
 * or SMMU_GPA_NOT_RAM (nothing written: the host's MMIO; also for invalid
 * arguments, logged unless vm is NULL: NULL vm or data, len 0, a range
 * crossing a page, a VM without the shadow-paging ops). */
int smmu_vm_emulated_write(struct smmu_vm *vm, uint64_t gpa, const void *data,
			   unsigned len);

/** The host cannot emulate a store that SMMU_FAULT_EMULATE asked for, to
 * a guest table the library write-protects: the CPU's own pushes while
 * it delivers an event, or an instruction its emulator does not decode.
 * This makes frame gfn writable, so that the access, retried, runs: a
 * last-level table goes out of sync (synced at the guest's next
 * invalidation, as after its own stores), any other table is no longer
 * shadowed (shadowed afresh from what it then holds when the guest
 * walks it again). SMMU_OK: re-enter the guest at the same
 * instruction; SMMU_EBUSY: a
 * vCPU runs on a shadow of it as its root or keeps one as a cached root
 * (the guest's top-level table, or a directory a PAE guest's PDPTE
 * registers hold), which stays;
 * SMMU_EINVAL: a NULL vm or no shadow-paging ops. */
enum smmu_status smmu_vm_unprotect_gfn(struct smmu_vm *vm, uint64_t gfn);

/** The host changed, or is about to change, guest-physical frames
 * [first_gfn, first_gfn + count) behind the guest's back: */
enum smmu_gfn_change {
	/** They stop being RAM (balloon, unplug), or are backed by other
	 * host pages from now on. First make gfn_to_hpa answer for the new
	 * backing, then call this, then reuse the old host pages once it has
	 * returned: every shadow entry mapping them goes, every shadow of a
	 * guest table in them too, every CPU is flushed, and a fault that
	 * asked gfn_to_hpa before the change retries; a vCPU running on a
	 * root there drops it at its next entry. */
	SMMU_GFN_UNMAP,
	/** Every shadow entry mapping them becomes read-only (dirty logging:
	 * smmu_vm_dirty_log_start does this); a later fault may map a frame
	 * writable again (a dirty-logged one only for a write, which the
	 * log records). */
	SMMU_GFN_WRITE_PROTECT,
	/** The host, or a device by DMA, wrote them. Guest page tables there
	 * get their shadows rebuilt from what memory holds now, as after the
	 * guest's own stores (the guest still invalidates before it may rely
	 * on a changed entry). Every host write to guest RAM that may hold a
	 * guest page table must be reported so; other writes need not. */
	SMMU_GFN_CONTENT,
};

/** The host changed frames [first_gfn, first_gfn + count) as `how` says.
 * SMMU_EINVAL: a NULL vm, no shadow-paging ops, an unknown `how`, or a
 * range that wraps. */
enum smmu_status smmu_vm_invalidate_gfn_range(struct smmu_vm *vm,
					      uint64_t first_gfn,
					      uint64_t count,
					      enum smmu_gfn_change how);

/** @name Dirty logging
 * Dirty logging, for live migration: start write-protects frames
 * [first_gfn, first_gfn + count) and records every one the guest writes
 * from then on (count at most SMMU_DIRTY_LOG_MAX_PAGES); get_and_clear
 * copies the record into `bitmap` (bit i: first_gfn + i), clears it and
 * protects those frames again; stop ends it. A frame the library itself
 * writes for the guest (an emulated store, an accessed or dirty flag its
 * walker sets) counts as written. One range per VM at a time.
 * @{ */
/** The most frames one log covers. */
#define SMMU_DIRTY_LOG_MAX_PAGES (UINT64_C(1) << 32)
/** Start logging. SMMU_EINVAL for a NULL vm, no shadow-paging ops, a count
 * of 0 or above SMMU_DIRTY_LOG_MAX_PAGES, or a range that wraps;
 * SMMU_EBUSY while a log runs already (logged: of two starts at once, one
 * wins, the other is SMMU_EBUSY); SMMU_ENOMEM when alloc() fails. */
enum smmu_status smmu_vm_dirty_log_start(struct smmu_vm *vm, uint64_t first_gfn,
					 uint64_t count);
/** Hand over the record: `bitmap` has (count + 63) / 64 words. SMMU_EINVAL
 * for NULL arguments or no log running. */
enum smmu_status smmu_vm_dirty_log_get_and_clear(struct smmu_vm *vm,
						 uint64_t *bitmap);
/** End the log. SMMU_EINVAL for a NULL vm or no log running. */
enum smmu_status smmu_vm_dirty_log_stop(struct smmu_vm *vm);
/** @} */

/** Counters of a VM's shadow MMU, since it was created. */
struct smmu_stats {
	uint64_t sp_created;	  /**< shadow pages built */
	uint64_t sp_evicted;	  /**< shadow pages evicted (pool pressure) */
	uint64_t sp_lookups;	  /**< shadow-page cache lookups */
	uint64_t sp_hits;	  /**< of which found */
	uint64_t sp_chain_steps;  /**< hash-chain entries looked at */
	uint64_t write_protects;  /**< guest table frames write-protected:
				     a first shadow, or a resync */
	uint64_t faults_fixed;	  /**< \#PF exits that built shadow entries */
	uint64_t faults_injected; /**< \#PF exits handed to the guest */
	uint64_t faults_emulated; /**< \#PF exits the host emulated */
	uint64_t emulated_writes; /**< guest stores done by the library */
	uint64_t sptes_zapped;	  /**< shadow entries removed */
	uint64_t walk_races;	  /**< faults retried: the guest moved */
	/** Shadows of guest tables dropped: stores flooded them, or
	 * smmu_vm_unprotect_gfn or SMMU_GFN_UNMAP asked for it. */
	uint64_t unshadowed;
	uint64_t sp_zapped;   /**< shadow pages zapped, evictions included */
	uint64_t sp_unsynced; /**< shadow pages made out of sync */
	uint64_t sp_synced;   /**< out-of-sync shadow pages back in sync */
	/** out-of-sync pages a sync left out of sync (still being written):
	 * compared with the guest's table, or found unwritten by their
	 * write watch (sync_skipped) */
	uint64_t sp_unsync_checks;
	uint64_t prefetched;  /**< leaf sptes filled ahead of a fault */
	uint64_t large_sptes; /**< 2 MiB shadow leaves installed */
	/** Roots loaded at entry after the vCPU's root changed. */
	uint64_t root_loads;
	/** Of root_loads, those found cached and unchanged (no rebuild). */
	uint64_t root_cache_hits;
	uint64_t roots_built; /**< roots built */
	/** Switches with NOFLUSH that needed no hardware flush. */
	uint64_t noflush_honoured;
	/** Local flushes asked of the host at entry, by enum
	 * smmu_flush_scope. */
	uint64_t flushes[SMMU_FLUSH_VCPU_ALL + 1];
	uint64_t remote_flushes; /**< remote flushes by flush_all_cpus */
	/** The flush engine: remote flush requests made. */
	uint64_t remote_requests;
	uint64_t remote_targets;  /**< vCPUs the requests reached */
	uint64_t remote_deferred; /**< of those, deferred to their next entry */
	uint64_t remote_skipped;  /**< vCPUs skipped by the TLB clock */
	uint64_t kicks;		  /**< kick_cpus calls */
	uint64_t kicked_cpus;	  /**< vCPUs the kick_cpus calls reached */
	uint64_t assisted;	  /**< assisted_flush calls */
	uint64_t assisted_cpus;	  /**< vCPUs the assisted_flush calls reached */
	/** \#PF exits the shadow already answered, settled without the MMU
	 * lock (another vCPU filled the entry meanwhile). */
	uint64_t faults_spurious;
	/** Out-of-sync pages a sync found unwritten by their write watch
	 * (the D bits of the sptes mapping the table), not compared. */
	uint64_t sync_skipped;
	/** \#PF exits fixed without the MMU lock (a leaf under shadow tables
	 * that exist; needs the host's rcu_read_enter/exit). Counted in
	 * faults_fixed too. */
	uint64_t faults_lockfree;
};

/** A snapshot of the VM's counters (they change while vCPUs run), the
 * VM's and each vCPU's added up; takes the MMU lock, so not from a host
 * callback the library calls with it held. SMMU_EINVAL for NULL
 * arguments. */
enum smmu_status smmu_vm_get_stats(const struct smmu_vm *vm,
				   struct smmu_stats *out);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* SHADOWMMU_SHADOWMMU_H */
