/* SPDX-License-Identifier: MIT */
/*
 * The smallest complete shadow-paging host of libshadowmmu: read it first,
 * beside docs/embedding.md. One vCPU on one CPU, guest RAM an array, and
 * for hardware a software CPU that walks the shadow tables into a TLB and
 * makes a #PF exit when they refuse an access. Exit status 0 only if every
 * outcome is the expected one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shadowmmu/shadowmmu.h>

static _Noreturn void die(const char *why)
{
	fprintf(stderr, "embed: FAIL: %s\n", why);
	exit(1);
}

/* ---- the host: guest RAM, a pool of shadow pages, the host ops ---- */

#define RAM_PAGES	 64		/* 256 KiB of guest RAM */
#define RAM_HPA		 0x100000000ull /* where it is, host-physically */
#define POOL_PAGES	 9		/* host.h's minimum: 5 x vCPUs + 4 */
#define POOL_HPA	 0x10000000ull	/* below 4 GiB, as a PAE root needs */
#define PAGE(gfn)	 ((uint64_t)(gfn) << 12)
#define IN_RAM(gpa, len) ((gpa) < sizeof(ram) && (len) <= sizeof(ram) - (gpa))

static _Alignas(4096) uint64_t ram[RAM_PAGES * 512], pool[POOL_PAGES][512];
static unsigned pool_free[POOL_PAGES], nr_free; /* stack of free pages */
static struct smmu_rcu_head *deferred;		/* waiting for a grace period */
static long live_allocs;			/* alloc() minus free() */
static unsigned mmu_locked, freed_late;

/* One CPU here. With several, every op may run on all of them at once,
 * and aligned 8-byte guest entries need single loads and stores. */
static void *h_alloc(void *host, size_t size)
{
	void *p = calloc(1, size);
	live_allocs += p != NULL;
	return p;
}

static void h_free(void *host, void *p, size_t size)
{
	live_allocs -= p != NULL;
	free(p);
}

static int h_read_gpa(void *host, uint64_t gpa, void *buf, size_t len)
{
	if (!IN_RAM(gpa, len))
		return SMMU_GPA_NOT_RAM; /* never fault, whatever the gpa */
	memcpy(buf, (uint8_t *)ram + gpa, len);
	return SMMU_GPA_OK;
}

static int h_write_gpa(void *host, uint64_t gpa, const void *buf, size_t len)
{
	if (!IN_RAM(gpa, len))
		return SMMU_GPA_NOT_RAM;
	memcpy((uint8_t *)ram + gpa, buf, len);
	return SMMU_GPA_OK;
}

/* Guest A/D bits go in with this (size 4 only for 32-bit paging). */
static int h_cmpxchg_gpa(void *host, uint64_t gpa, unsigned size, uint64_t old,
			 uint64_t new)
{
	if (size != 8 || gpa % 8 || !IN_RAM(gpa, 8))
		return SMMU_GPA_NOT_RAM;
	return __atomic_compare_exchange_n(&ram[gpa / 8], &old, new, 0,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
		       ? SMMU_GPA_OK
		       : SMMU_GPA_CHANGED;
}

static int h_gfn_to_hpa(void *host, uint64_t gfn, uint64_t *hpa)
{
	if (gfn >= RAM_PAGES)
		return SMMU_GPA_NOT_RAM; /* MMIO or a hole: emulated */
	*hpa = RAM_HPA + PAGE(gfn);
	return SMMU_GPA_OK;
}

/* Over once every CPU has left guest mode since the pages were handed
 * over: now, for the one CPU is in a VM exit (refvmx counts per CPU). */
static void grace_period(void)
{
	while (deferred) {
		struct smmu_rcu_head *h = deferred;
		deferred = h->next;
		h->func(h); /* takes no lock; gives back via free_page, free */
		freed_late++;
	}
}

static void h_defer_free(void *host, struct smmu_rcu_head *head)
{
	head->next = deferred; /* never head->func(head) from in here */
	deferred = head;
}

static bool h_alloc_page(void *host, uint64_t *hpa, void **hva)
{
	if (!nr_free)
		grace_period(); /* evicted pages come back only this way */
	if (!nr_free)
		return false; /* the budget is spent */
	unsigned i = pool_free[--nr_free];
	memset(pool[i], 0, 4096);
	*hpa = POOL_HPA + PAGE(i);
	*hva = pool[i];
	return true;
}

static void h_free_page(void *host, uint64_t hpa, void *hva)
{
	pool_free[nr_free++] = (unsigned)((hpa - POOL_HPA) >> 12);
}

/* A spinlock whose waiters keep answering flush requests; never nested. */
static void h_lock(void *host)
{
	if (mmu_locked++)
		die("the MMU lock taken twice");
}

static void h_unlock(void *host)
{
	mmu_locked = 0;
}

/* ---- the toy hardware: one CPU, its TLB and its page walker ---- */

static struct smmu_entry cpu; /* what the CPU runs with */
static struct tlb_entry {
	bool valid;
	uint64_t vpn, pte; /* the leaf, with RW and US of every level ANDed */
} tlb[16];		   /* direct-mapped by page number */

/* Each scope as enum smmu_flush_scope defines it, on a CPU with one PCID
 * and CR4.PGE clear (more flushing, never less), so without globals. */
static void tlb_flush(const struct smmu_flush *f)
{
	for (struct tlb_entry *t = tlb; t < tlb + 16; t++)
		if (f->scope > SMMU_FLUSH_PCID_ADDR || t->vpn == f->la >> 12)
			t->valid = false;
}

/* Every CPU's translations of the VM, gone on return. The lock is held:
 * other CPUs must answer without it. */
static void h_flush_all_cpus(void *host)
{
	memset(tlb, 0, sizeof(tlb));
}

/* An 8-byte load or store (flags: PFERR_W, PFERR_U), CR0.WP=1: through the
 * TLB, else by a walk that sets A (and D). False with a #PF error code. */
static bool cpu_access(uint64_t la, uint32_t flags, uint64_t *val,
		       uint32_t *error)
{
	uint64_t need = (flags & PFERR_W ? X86_PTE_RW | X86_PTE_D : 0) |
			(flags & PFERR_U ? X86_PTE_US : 0);
	struct tlb_entry *t = &tlb[(la >> 12) % 16];
	if (!t->valid || t->vpn != la >> 12 || (t->pte & need) != need) {
		uint64_t *e = &cpu.cr3, rights = ~0ull;
		t->valid = false; /* a miss walks again; a #PF drops it */
		for (int level = 4; level >= 1; level--) {
			uint64_t i = ((*e & X86_BITS(51, 12)) - POOL_HPA) >> 12;
			if (i >= POOL_PAGES) /* no PS: no backing_is_2m op */
				die("a shadow entry outside the pool");
			e = &pool[i][(la >> (3 + 9 * level)) & 511];
			*error = flags; /* not present */
			if (!(*e & X86_PTE_P))
				return false;
			rights &= *e;
		}
		*error = flags | PFERR_P; /* a protection violation */
		if (((rights | X86_PTE_D) & need) != need) /* D: ours to set */
			return false;
		*e |= X86_PTE_A | (need & X86_PTE_D);
		rights |= ~(X86_PTE_RW | X86_PTE_US); /* the leaf's others */
		*t = (struct tlb_entry){ true, la >> 12, *e & rights };
	}
	uint64_t gpa = (t->pte & X86_BITS(51, 12)) - RAM_HPA + la % 4096;
	if (gpa >= sizeof(ram))
		die("a shadow leaf outside guest RAM");
	if (flags & PFERR_W)
		ram[gpa / 8] = *val;
	*val = ram[gpa / 8];
	return true;
}

/* ---- the guest: its page tables, and its program ---- */

#define V(gfn)	 (0xda7a0000ull + (gfn)) /* what frame gfn holds */
#define TABLE	 (X86_PTE_P | X86_PTE_RW | X86_PTE_US)
#define PTE(gfn) (PAGE(gfn) | X86_PTE_P | X86_PTE_RW)
#define AD	 (X86_PTE_A | X86_PTE_D)

/* An access's op is its #PF error-code flags. */
enum op { LOAD, STORE = PFERR_W, USER_LOAD = PFERR_U, INVLPG, MOV_CR3, HLT };
static const struct insn {
	enum op op;
	uint64_t la, val; /* val: what STORE stores, what MOV_CR3 loads */
	uint64_t want; /* value loaded, #PF error injected, or gpa emulated */
	const char *what;
} prog[] = {
	{ LOAD, 0x405000, 0, V(0x10), "first touch: filled on a #PF" },
	{ STORE, 0x405008, 42, 0, "first write: guest D set" },
	{ USER_LOAD, 0x401000, 0, PFERR_P | PFERR_U, "user read, kernel page" },
	{ LOAD, 0x402028, 0, PTE(0x10) | AD, "its own PTE: A, D set" },
	{ STORE, 0x402028, PTE(0x11), 0x4028, "PTE := frame 0x11: emulated" },
	{ LOAD, 0x405000, 0, V(0x10), "old frame until INVLPG" },
	{ INVLPG, 0x405000, 0, 0, "INVLPG 0x405000" },
	{ LOAD, 0x405000, 0, V(0x11), "new frame after INVLPG" },
	{ STORE, 0x406000, PTE(0x13) | AD, 0, "data page 0x16: [0] := 0x13" },
	{ STORE, 0x403018, 0x16000 | TABLE, 0x3018, "PDE 3 := 0x16: a table" },
	{ LOAD, 0x600000, 0, V(0x13), "through 0x16: write-protected" },
	{ STORE, 0x406000, 0, 0x16000, "0x16 again: no stale TLB entry" },
	{ MOV_CR3, 0, 0x5000, 0, "MOV CR3 <- 0x5000 (space B)" },
	{ LOAD, 0x405000, 0, V(0x12), "B's frame, not A's" },
	{ LOAD, 0x605000, 0, V(0x13), "B's second page table" },
	{ LOAD, 0x805000, 0, V(0x14), "third: the pool evicts" },
	{ MOV_CR3, 0, 0x1000, 0, "MOV CR3 <- 0x1000 (space A)" },
	{ LOAD, 0x405000, 0, V(0x11), "A again, rebuilt" },
	{ HLT, 0, 0, 0, "HLT" },
};

/* ---- the host's vCPU loop: enter, run the guest, handle its exit ---- */

static void run(struct smmu_vm *vm, struct smmu_vcpu *vcpu)
{
	for (unsigned rip = 0;;) {
		grace_period(); /* this CPU is out of guest mode */
		if (smmu_vcpu_enter(vcpu, &cpu) != SMMU_OK)
			die("smmu_vcpu_enter: no page (or memory) for a root");
		if (cpu.pae || cpu.la57 || cpu.pcide)
			die("this toy CPU walks 4-level tables, no PCIDs");
		/* The flushes are handed over once: all, in order, now. */
		for (unsigned i = 0; i < cpu.nr_flushes; i++)
			tlb_flush(&cpu.flush[i]);
		/* VM entry: CR3 = cpu.cr3, CR4.PCIDE = cpu.pcide, CR4.PGE =
		 * cpu.pge (or 0), CR0.WP = 1, EFER.NXE = 1. Guest mode: */
		const struct insn *in;
		uint64_t val;
		uint32_t error = 0;
		for (;; rip++) {
			in = &prog[rip], val = in->val;
			if (in->op > USER_LOAD ||
			    !cpu_access(in->la, in->op, &val, &error))
				break; /* an intercepted instruction, or #PF */
			if (in->op == USER_LOAD ||
			    in->want != (in->op == LOAD ? val : 0))
				die(in->what); /* no exit, or a wrong value */
		}
		/* The exit (with kick_cpus, call smmu_vcpu_exit() first). */
		if (in->op == HLT)
			return;
		if (in->op == INVLPG)
			smmu_vcpu_invlpg(vcpu, in->la);
		if (in->op == MOV_CR3 &&
		    smmu_vcpu_write_cr3(vcpu, in->val) != SMMU_CR_DONE)
			die("MOV CR3 faulted");
		if (in->op > USER_LOAD) {
			rip++; /* the host skips what it intercepted */
			continue;
		}
		/* A #PF: CR2, and the error code's bits the library takes. */
		struct smmu_access acc = {
			.la = in->la, .flags = error & SMMU_ACCESS_PFERR_MASK
		};
		struct smmu_fault f;
		smmu_vcpu_page_fault(vcpu, &acc, &f);
		switch (f.action) {
		case SMMU_FAULT_FIXED: /* RIP unchanged: the access again */
			break;
		case SMMU_FAULT_INJECT: /* #PF(pf_error) with CR2 = la */
			if (in->op != USER_LOAD || f.pf_error != in->want)
				die("a #PF the guest should not take");
			rip++; /* the guest's #PF handler skips the load */
			break;
		case SMMU_FAULT_EMULATE: /* through the library, so that the
					    shadow follows the store */
			if (in->op != STORE || f.gpa != in->want ||
			    smmu_vm_emulated_write(vm, f.gpa, &in->val, 8) !=
				    SMMU_GPA_OK)
				die("an emulation not expected");
			rip++; /* the host's emulator moves RIP on */
			break;
		case SMMU_FAULT_ERROR: /* stop the guest */
			die(f.reason);
		}
	}
}

int main(void)
{
	static const struct smmu_host_ops ops = {
		.alloc = h_alloc,
		.free = h_free,
		.read_gpa = h_read_gpa,
		.cmpxchg_gpa = h_cmpxchg_gpa,
		.alloc_page = h_alloc_page, /* shadow paging: all from here */
		.free_page = h_free_page,
		.write_gpa = h_write_gpa,
		.gfn_to_hpa = h_gfn_to_hpa,
		.lock = h_lock,
		.unlock = h_unlock,
		.flush_all_cpus = h_flush_all_cpus,
		.defer_free = h_defer_free,
		/* Optional: rcu_read_enter/exit, kick_cpus, assisted_flush,
		 * lock_held, backing_is_2m, log (docs/embedding.md 6). */
	};
	/* A VMX host with VPIDs (INVVPID of one address) and no PCIDs. */
	struct smmu_vm_config cfg = { .maxphyaddr = 36,
				      .host_caps = SMMU_HOST_FLUSH_ADDR };
	struct smmu_paging_regs boot = {
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = 0x1000,
		.cr4 = X86_CR4_PAE,
		.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
	};
	struct smmu_vm *vm;
	struct smmu_vcpu *vcpu;
	struct smmu_stats st;

	for (unsigned i = 0; i < POOL_PAGES; i++)
		pool_free[nr_free++] = i;
	/* Space A (CR3 0x1000): la 0x405000 maps frame 0x10, 0x401000 is a
	 * supervisor page, 0x402000 and 0x403000 the page table and directory
	 * themselves, 0x406000 a data page the guest makes a table (whose
	 * writable translation flush_all_cpus must then drop). Space B (CR3
	 * 0x5000): three page tables map frames 0x12..0x14, so A's and B's
	 * shadows do not fit in the pool together: it evicts. */
	ram[0x1000 / 8] = 0x2000 | TABLE;
	ram[0x2000 / 8] = 0x3000 | TABLE;
	ram[0x3000 / 8 + 2] = 0x4000 | TABLE;
	ram[0x4000 / 8 + 1] = PTE(0x15) & ~X86_PTE_US;
	ram[0x4000 / 8 + 2] = PTE(0x4);
	ram[0x4000 / 8 + 3] = PTE(0x3);
	ram[0x4000 / 8 + 6] = PTE(0x16) | AD;
	ram[0x4000 / 8 + 5] = PTE(0x10); /* A and D clear */
	ram[0x5000 / 8] = 0x6000 | TABLE;
	ram[0x6000 / 8] = 0x7000 | TABLE;
	for (unsigned i = 0; i < 3; i++) {
		ram[0x7000 / 8 + 2 + i] = PAGE(8 + i) | TABLE;
		ram[PAGE(8 + i) / 8 + 5] = PTE(0x12 + i) | AD;
	}
	for (unsigned gfn = 0x10; gfn <= 0x15; gfn++)
		ram[PAGE(gfn) / 8] = V(gfn);
	if (smmu_vm_create(&cfg, &ops, NULL, &vm) != SMMU_OK ||
	    smmu_vcpu_create(vm, 0, &vcpu) != SMMU_OK ||
	    smmu_vcpu_set_paging(vcpu, &boot) != SMMU_OK)
		die("creating the VM");
	run(vm, vcpu);
	smmu_vm_get_stats(vm, &st);
	if (!st.sp_evicted || !freed_late)
		die("no shadow page evicted and freed after a grace period");
	smmu_vcpu_destroy(vcpu);
	grace_period();
	if (smmu_vm_destroy(vm) != SMMU_OK) /* SMMU_EBUSY: frees pending */
		die("smmu_vm_destroy");
	if (nr_free != POOL_PAGES || live_allocs)
		die("the library left pages or allocations behind");
	printf("embed: PASS: %" PRIu64 " #PF exits, %" PRIu64 " shadow pages "
	       "evicted, %u freed after a grace period; nothing leaked\n",
	       st.faults_fixed + st.faults_injected + st.faults_emulated,
	       st.sp_evicted, freed_late);
	return 0;
}
