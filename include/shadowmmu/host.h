/* SPDX-License-Identifier: MIT */
/** @file
 * The host boundary: everything libshadowmmu needs from the world it runs
 * in comes through this table, and nothing else does. The core never calls
 * libc, a thread library or an RCU library directly, so the same object code
 * runs in a user-space test host and in a bare-metal hypervisor.
 *
 * Every callback receives the opaque `host` pointer given to
 * smmu_vm_create(). Callbacks may be called concurrently from several vCPUs
 * unless noted otherwise.
 */
#ifndef SHADOWMMU_HOST_H
#define SHADOWMMU_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Results of guest-physical memory accesses. */
enum smmu_gpa_status {
	SMMU_GPA_OK = 0,       /**< access done */
	SMMU_GPA_CHANGED = 1,  /**< compare-exchange found another value */
	SMMU_GPA_NOT_RAM = -1, /**< gpa is not guest RAM (hole, MMIO, beyond) */
};

/** Log levels for smmu_host_ops.log. */
enum smmu_log_level {
	SMMU_LOG_ERROR, /**< API misuse or an unrecoverable guest error */
	SMMU_LOG_WARN,	/**< hostile or unusual guest behaviour */
	SMMU_LOG_DEBUG, /**< tracing */
};

/** Physical CPUs as the host numbers them (smmu_vcpu_load): 0 to
 * SMMU_MAX_CPUS - 1. */
#define SMMU_MAX_CPUS 256
/** A set of physical CPUs (kick_cpus, assisted_flush). */
struct smmu_cpu_set {
	/** CPU c is bit c % 64 of bits[c / 64]. */
	uint64_t bits[SMMU_MAX_CPUS / 64];
};

/** Is CPU c (below SMMU_MAX_CPUS) in set s? */
static inline bool smmu_cpu_set_has(const struct smmu_cpu_set *s, unsigned c)
{
	return (s->bits[c / 64] >> (c % 64)) & 1;
}

/** A call deferred until an RCU grace period; embedded in the library's
 * objects, chained by the host as it likes. */
struct smmu_rcu_head {
	struct smmu_rcu_head *next; /**< for the host's use */
	/** Set by the library: what defer_free() calls, with this head. */
	void (*func)(struct smmu_rcu_head *head);
};

/** The host-operations table; filled in by the embedder, read-only after. */
struct smmu_host_ops {
	/** Allocate `size` zeroed bytes for a control structure: the VM,
	 * each vCPU, a dirty-log bitmap, and the bookkeeping of shadow
	 * pages. The last comes from per-vCPU caches the library fills
	 * before it takes the MMU lock, but is asked for with the lock held
	 * when a cache runs short (on the \#PF path too): it must not sleep
	 * on a host whose lock is a spinlock. NULL on failure: SMMU_ENOMEM
	 * from the calls that create and from smmu_vcpu_enter, and
	 * SMMU_FAULT_ERROR from a fault (see smmu_fault.reason). */
	void *(*alloc)(void *host, size_t size);
	/** Release memory from alloc(); `size` is the size that was asked
	 * for. Called with the MMU lock held too, and from defer_free
	 * callbacks on any CPU. */
	void (*free)(void *host, void *ptr, size_t size);

	/** Read `len` bytes of guest-physical memory at `gpa` into `buf`
	 * (the range never crosses a 4 KiB page). SMMU_GPA_OK or
	 * SMMU_GPA_NOT_RAM; must not fault on any gpa. A naturally aligned
	 * read of 4 or 8 bytes (a paging entry) must be single-copy atomic:
	 * other vCPUs may be storing to it. Longer reads (a table 64
	 * entries or a page at a time, when the library compares or copies
	 * one) should copy each aligned 8-byte entry whole too; one that
	 * tears an entry only makes the library zap an spte it could have
	 * kept. */
	int (*read_gpa)(void *host, uint64_t gpa, void *buf, size_t len);
	/** Atomically replace the naturally aligned `size`-byte (4 or 8) value
	 * at `gpa` with `new_val` if it equals `old_val`. SMMU_GPA_OK,
	 * SMMU_GPA_CHANGED or SMMU_GPA_NOT_RAM. Used for guest A/D bits. */
	int (*cmpxchg_gpa)(void *host, uint64_t gpa, unsigned size,
			   uint64_t old_val, uint64_t new_val);

	/** Optional (may be NULL): one line of diagnostics, no newline. */
	void (*log)(void *host, enum smmu_log_level level, const char *msg);

	/** @name Shadow paging
	 * All of these or none (a host that only uses the guest walker
	 * leaves them NULL).
	 * @{ */

	/** A zeroed 4 KiB page for a shadow table: its host-physical address,
	 * which the hardware walks, and a pointer the library writes through.
	 * false when the VM's shadow-page budget is spent. Called with the
	 * MMU lock held. On false the library evicts shadow pages, which
	 * reach the host only through defer_free callbacks, and asks again:
	 * so with its pool empty alloc_page should end a grace period and
	 * run the callbacks due (they take no lock, and may run with the MMU
	 * lock held) before it answers false. A host that does not gets
	 * "shadow-page budget spent" faults and SMMU_ENOSPC entries at the
	 * minimum budget, with the evicted pages waiting in its queue. A
	 * budget of at least 5 x vCPUs + 4 pages lets every fault complete
	 * (with such an alloc_page): each vCPU
	 * holds its root (outside IA-32e mode a PAE root and the up to four
	 * directories the CPU loaded from it), and the fault being handled
	 * links up to four more. Below it a fault may end in
	 * SMMU_FAULT_ERROR and an entry in SMMU_ENOSPC; never in a stale
	 * translation. A vCPU outside IA-32e mode needs its root page below
	 * 4 GiB (legacy CR3 is 32 bits wide); a page above is an
	 * SMMU_ENOSPC entry with a log line. */
	bool (*alloc_page)(void *host, uint64_t *hpa, void **hva);
	/** Give back a page from alloc_page that no CPU can reference. */
	void (*free_page)(void *host, uint64_t hpa, void *hva);
	/** Store `len` bytes at `gpa` (within one page): the guest store the
	 * host emulates. SMMU_GPA_OK or SMMU_GPA_NOT_RAM. A naturally aligned
	 * 4- or 8-byte store must be single-copy atomic. */
	int (*write_gpa)(void *host, uint64_t gpa, const void *buf, size_t len);
	/** Host-physical address of guest frame `gfn`: SMMU_GPA_OK, or
	 * SMMU_GPA_NOT_RAM for MMIO and holes (accesses there are
	 * emulated). */
	int (*gfn_to_hpa)(void *host, uint64_t gfn, uint64_t *hpa);
	/** Take the VM's MMU lock, held while shared shadow state changes
	 * (libshadowmmu/LOCKING.md: what it guards, and the order of
	 * everything the library waits for). Not recursive: the library
	 * never takes it twice. */
	void (*lock)(void *host);
	void (*unlock)(void *host); /**< Release the MMU lock. */
	/** Make every physical CPU drop the translations of every vCPU of
	 * this VM, and return when they have: no hardware TLB may keep a
	 * writable mapping of a page the library starts to write-protect.
	 * Called with the MMU lock held; a CPU must be able to complete it
	 * without taking that lock. The fallback for every remote flush
	 * when the host lacks kick_cpus, or does not tell the library where
	 * its vCPUs run (smmu_vcpu_load). */
	void (*flush_all_cpus)(void *host);
	/** Call head->func(head) once no CPU can still use anything the
	 * library unlinked before this call: after an RCU grace period, the
	 * hardware's page walks and any lock-free software walker included.
	 * Every shadow page the library takes out of its tables (evicted
	 * under pool pressure, zapped, unshadowed) is freed this way. The
	 * callback may run on any CPU, with the MMU lock held or not (inside
	 * alloc_page, say, where the library holds it): it takes no lock and
	 * needs none, touches only the page it frees (calling free_page and
	 * free) and the VM's count of pending frees. It must not run inside
	 * defer_free itself (that is no grace period). It frees through the
	 * VM:
	 * smmu_vm_destroy() refuses (SMMU_EBUSY) while any is pending, so
	 * a host drains its queue (rcu_barrier() with liburcu) before it
	 * destroys the VM. */
	void (*defer_free)(void *host, struct smmu_rcu_head *head);

	/** @} */

	/** Optional, both or neither: enter an RCU read-side section, within
	 * which the library walks shadow tables without the MMU lock (a \#PF
	 * exit the shadow already answers is settled there). A grace period of
	 * defer_free must wait for every section that began before it. The
	 * sections are short and take no lock; without them the library
	 * takes the MMU lock for every fault. */
	void (*rcu_read_enter)(void *host);
	/** Leave the RCU read-side section. */
	void (*rcu_read_exit)(void *host);

	/** Optional, the flush engine's primitives (libshadowmmu/README.md,
	 * "Remote flushes: the flush engine"). kick_cpus: interrupt the
	 * physical CPUs in `cpus` so that a vCPU in guest mode there leaves it,
	 * and return once each has; the interrupt handler needs to do nothing
	 * else (the vCPU's next smmu_vcpu_enter does what was asked of it).
	 * `cpus` may hold the calling CPU, which is not in guest mode. Called
	 * with the MMU lock held, like flush_all_cpus. */
	void (*kick_cpus)(void *host, const struct smmu_cpu_set *cpus);
	/** Optional: drop every translation of this VM (global ones and the
	 * paging-structure caches included) on the physical CPUs in `cpus`
	 * without interrupting them — an L0 hypervisor's flush hypercall
	 * (Hyper-V's HvFlushVirtualAddressSpace, Xen's and KVM's PV flush)
	 * — and return when done. The vCPUs there go on running on the
	 * roots they had: the library uses it only for requests that need
	 * no vCPU to change state. */
	void (*assisted_flush)(void *host, const struct smmu_cpu_set *cpus);

	/** Optional: does the calling CPU (thread) hold the MMU lock? A
	 * library built with lock checks (meson -Dlock_checks=true, as the
	 * test suite builds it) asserts with it, at every function that
	 * needs the lock held or not held (libshadowmmu/LOCKING.md), and
	 * stops at the first breach: a log line, then a trap. */
	bool (*lock_held)(void *host);

	/** Optional, with the shadow-paging ops (NULL: every shadow leaf maps
	 * 4 KiB): whether the 2 MiB of guest-physical memory from gfn (2 MiB
	 * aligned) are all RAM, backed by host-physical memory that is
	 * contiguous and 2 MiB aligned from *hpa. Then a guest large page
	 * over it, or paging-off memory, may be shadowed by one 2 MiB leaf
	 * (never while a guest table the library shadows lies inside). */
	bool (*backing_is_2m)(void *host, uint64_t gfn, uint64_t *hpa);
};

#endif /* SHADOWMMU_HOST_H */
