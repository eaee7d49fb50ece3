/* SPDX-License-Identifier: MIT */
/*
 * The smallest complete shadow-paging host of libshadowmmu: read it first.
 *
 * One vCPU on one CPU, no threads. Guest RAM is an array. The "hardware"
 * is a software CPU: it walks the shadow tables the library builds, from
 * the root smmu_vcpu_enter() returns, keeps what it found in a TLB until
 * a flush removes it, and makes a #PF "VM exit" when the shadow refuses
 * an access. The guest is a list of instructions over its own 4-level
 * page tables. Every outcome is checked: exit status 0 only if each one
 * is the expected one. docs/embedding.md states the contracts followed.
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

#define RAM_PAGES  64		  /* 256 KiB of guest RAM */
#define RAM_HPA	   0x100000000ull /* where it is, host-physically */
#define POOL_PAGES 9		  /* host.h's minimum: 5 x vCPUs + 4 */
#define POOL_HPA   0x10000000ull  /* below 4 GiB, as a PAE root needs */
#define PAGE(gfn)  ((uint64_t)(gfn) << 12)

static _Alignas(4096) uint8_t ram[RAM_PAGES * 4096];
static _Alignas(4096) uint8_t pool[POOL_PAGES][4096];
static unsigned pool_free[POOL_PAGES], nr_free; /* stack of free pages */
static long live_allocs;			/* alloc() minus free() */
static struct smmu_rcu_head *deferred;		/* waiting for a grace period */
static unsigned mmu_locked, freed_late, remote_flushes;

/* One CPU, so no atomics. With several, every op may be called from all
 * of them at once, and aligned 8-byte guest entries must be read and
 * written with single loads and stores (host.h). */
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

static bool in_ram(uint64_t gpa, size_t len)
{
	return gpa < sizeof(ram) && len <= sizeof(ram) - gpa;
}

static int h_read_gpa(void *host, uint64_t gpa, void *buf, size_t len)
{
	if (!in_ram(gpa, len))
		return SMMU_GPA_NOT_RAM; /* never fault, whatever the gpa */
	memcpy(buf, ram + gpa, len);
	return SMMU_GPA_OK;
}

static int h_write_gpa(void *host, uint64_t gpa, const void *buf, size_t len)
{
	if (!in_ram(gpa, len))
		return SMMU_GPA_NOT_RAM;
	memcpy(ram + gpa, buf, len);
	return SMMU_GPA_OK;
}

/* Accessed and dirty flags go in with this. Size 4 comes from 32-bit
 * paging only, which this guest does not use. */
static int h_cmpxchg_gpa(void *host, uint64_t gpa, unsigned size, uint64_t old,
			 uint64_t new)
{
	if (size != 8 || gpa % 8 || !in_ram(gpa, 8))
		return SMMU_GPA_NOT_RAM;
	uint64_t *p = (uint64_t *)(ram + gpa);
	return __atomic_compare_exchange_n(p, &old, new, 0, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST)
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

/* The end of a grace period: each CPU has been out of guest mode (and
 * out of rcu_read_enter/exit, for a host with them) since the pages were
 * handed over. The one CPU is here, in a VM exit, so it is over now. A
 * host with several CPUs waits until every CPU has exited once since
 * (examples/refvmx/host_ops.c). The callbacks take no lock. */
static void grace_period(void)
{
	while (deferred) {
		struct smmu_rcu_head *h = deferred;
		deferred = h->next;
		h->func(h); /* gives the page back: free_page, free */
		freed_late++;
	}
}

static void h_defer_free(void *host, struct smmu_rcu_head *head)
{
	head->next = deferred; /* never head->func(head) from in here */
	deferred = head;
}

/* A zeroed page for a shadow table. Pages the library evicted may only
 * be waiting for their grace period: end it rather than fail. */
static bool h_alloc_page(void *host, uint64_t *hpa, void **hva)
{
	if (!nr_free)
		grace_period();
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
	uint64_t i = (hpa - POOL_HPA) >> 12;
	if (i >= POOL_PAGES || hva != pool[i])
		die("free_page of a page alloc_page did not give");
	pool_free[nr_free++] = (unsigned)i;
}

/* The MMU lock: on a real host a spinlock (the #PF path takes it) whose
 * waiters keep answering flush IPIs. The library never takes it twice. */
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

struct tlb_entry {
	bool valid, global, w, u, dirty;
	uint16_t pcid;
	uint64_t vpn, hpa;
};
#define TLB_SIZE 16
static struct tlb_entry tlb[TLB_SIZE]; /* direct-mapped by page number */
static struct smmu_entry cpu;	       /* what the CPU runs with */

/* Each scope as enum smmu_flush_scope defines it. */
static void tlb_flush(const struct smmu_flush *f)
{
	for (struct tlb_entry *t = tlb; t < tlb + TLB_SIZE; t++) {
		bool la = t->vpn == f->la >> 12, pcid = t->pcid == f->pcid;
		bool all = f->scope == SMMU_FLUSH_VCPU_ALL, g = t->global;
		if (all || (f->scope == SMMU_FLUSH_ADDR && la) ||
		    (f->scope == SMMU_FLUSH_PCID_ADDR && la && pcid && !g) ||
		    (f->scope == SMMU_FLUSH_PCID && pcid && !g) ||
		    (f->scope == SMMU_FLUSH_VCPU && !g))
			t->valid = false;
	}
}

/* Every CPU's translations of this VM, gone before it returns. Called
 * with the MMU lock held: another CPU must answer it without the lock. */
static void h_flush_all_cpus(void *host)
{
	tlb_flush(&(struct smmu_flush){ .scope = SMMU_FLUSH_VCPU_ALL });
	remote_flushes++;
}

static uint64_t *shadow_table(uint64_t spte)
{
	uint64_t i = ((spte & X86_BITS(51, 12)) - POOL_HPA) >> 12;
	if (i >= POOL_PAGES)
		die("a shadow entry points outside the pool");
	return (uint64_t *)pool[i];
}

/* Walk the shadow tables for an access (flags PFERR_W, PFERR_U) as the
 * CPU does with CR0.WP=1. False with the #PF error code if they refuse
 * it; else A (and D for a write) set in the leaf, and a TLB entry. */
static bool walk(uint64_t la, uint32_t flags, struct tlb_entry *t,
		 uint32_t *error)
{
	uint64_t *table = shadow_table(cpu.cr3), *e = NULL, rights = ~0ull;
	for (int level = 4; level >= 1; level--) {
		e = &table[(la >> (3 + 9 * level)) & 511];
		if (!(*e & X86_PTE_P)) {
			*error = flags; /* not present */
			return false;
		}
		if (*e & X86_PTE_PS)
			die("a 2 MiB shadow leaf, but no backing_is_2m op");
		rights &= *e;
		if (level > 1)
			table = shadow_table(*e);
	}
	if (((flags & PFERR_W) && !(rights & X86_PTE_RW)) ||
	    ((flags & PFERR_U) && !(rights & X86_PTE_US))) {
		*error = flags | PFERR_P; /* a protection violation */
		return false;
	}
	__atomic_fetch_or(e, X86_PTE_A | (flags & PFERR_W ? X86_PTE_D : 0),
			  __ATOMIC_SEQ_CST);
	uint64_t hpa = *e & X86_BITS(51, 12);
	if (hpa < RAM_HPA || hpa - RAM_HPA >= sizeof(ram))
		die("a shadow leaf maps a page outside guest RAM");
	*t = (struct tlb_entry){ .valid = true,
				 .global = cpu.pge && (*e & X86_PTE_G),
				 .w = rights & X86_PTE_RW,
				 .u = rights & X86_PTE_US,
				 .dirty = *e & X86_PTE_D,
				 .pcid = cpu.cr3 & 0xfff,
				 .vpn = la >> 12,
				 .hpa = hpa };
	return true;
}

/* An 8-byte load or store at la: through the TLB, else after a walk. */
static bool cpu_access(uint64_t la, uint32_t flags, uint64_t *val,
		       uint32_t *error)
{
	struct tlb_entry *t = &tlb[(la >> 12) % TLB_SIZE];
	bool hit = t->valid && t->vpn == la >> 12 &&
		   (t->global || t->pcid == (cpu.cr3 & 0xfff));
	if (!hit || ((flags & PFERR_W) && !(t->w && t->dirty)) ||
	    ((flags & PFERR_U) && !t->u)) {
		t->valid = false; /* the CPU walks again: a #PF drops it */
		if (!walk(la, flags, t, error))
			return false;
	}
	uint8_t *p = ram + (t->hpa - RAM_HPA) + (la & 0xff8);
	if (flags & PFERR_W)
		memcpy(p, val, 8);
	else
		memcpy(val, p, 8);
	return true;
}

/* ---- the guest: its page tables, and its program ---- */

#define V(gfn)	 (0xda7a0000ull + (gfn)) /* what frame gfn holds */
#define TABLE	 (X86_PTE_P | X86_PTE_RW | X86_PTE_US)
#define PTE(gfn) (PAGE(gfn) | X86_PTE_P | X86_PTE_RW)
#define AD	 (X86_PTE_A | X86_PTE_D)

static void put(uint64_t gpa, uint64_t val)
{
	memcpy(ram + gpa, &val, 8);
}

/* Space A (CR3 0x1000): la 0x405000 maps frame 0x10, 0x401000 is a
 * supervisor page, 0x402000 and 0x403000 are the page table and the
 * directory themselves (so the guest can edit them), 0x406000 a data
 * page the guest later turns into a page table. Space B (CR3 0x5000):
 * 0x405000, 0x605000 and 0x805000 map frames 0x12..0x14 through three
 * page tables: A's and B's tables do not fit in the pool together. */
static void build_guest(void)
{
	put(0x1000, 0x2000 | TABLE);
	put(0x2000, 0x3000 | TABLE);
	put(0x3000 + 2 * 8, 0x4000 | TABLE);
	put(0x4000 + 1 * 8, PTE(0x15) & ~X86_PTE_US);
	put(0x4000 + 2 * 8, PTE(0x4));
	put(0x4000 + 3 * 8, PTE(0x3));
	put(0x4000 + 6 * 8, PTE(0x16) | AD);
	put(0x4000 + 5 * 8, PTE(0x10)); /* A and D clear */
	put(0x5000, 0x6000 | TABLE);
	put(0x6000, 0x7000 | TABLE);
	for (unsigned i = 0; i < 3; i++) {
		put(0x7000 + (2 + i) * 8, PAGE(8 + i) | TABLE);
		put(PAGE(8 + i) + 5 * 8, PTE(0x12 + i) | AD);
	}
	for (unsigned gfn = 0x10; gfn < 0x16; gfn++)
		put(PAGE(gfn), V(gfn));
}

enum op { LOAD, USER_LOAD, STORE, INVLPG, MOV_CR3, HLT };
static const struct insn {
	enum op op;
	uint64_t la, val; /* val: what STORE stores, what MOV_CR3 loads */
	uint64_t want;	  /* LOAD: the value; USER_LOAD: the #PF error
			     code; STORE: the gpa if it is emulated */
	const char *what;
} prog[] = {
	{ LOAD, 0x405000, 0, V(0x10), "first touch: filled on a #PF" },
	{ STORE, 0x405008, 42, 0, "first write: guest D set" },
	{ USER_LOAD, 0x401000, 0, PFERR_P | PFERR_U, "user read, kernel page" },
	{ LOAD, 0x402028, 0, PTE(0x10) | AD, "its own PTE: A, D set" },
	{ STORE, 0x402028, PTE(0x11), 0x4028, "PTE := frame 0x11" },
	{ LOAD, 0x405000, 0, V(0x10), "old frame until INVLPG" },
	{ INVLPG, 0x405000, 0, 0, "INVLPG 0x405000" },
	{ LOAD, 0x405000, 0, V(0x11), "new frame after INVLPG" },
	{ STORE, 0x406000, PTE(0x13) | AD, 0, "data page 0x16: [0] := 0x13" },
	{ STORE, 0x403018, 0x16000 | TABLE, 0x3018, "PDE 3 := 0x16, a table" },
	{ LOAD, 0x600000, 0, V(0x13), "through 0x16: protects it" },
	{ STORE, 0x406000, PTE(0x14) | AD, 0x16000, "its [0] := 0x14" },
	{ INVLPG, 0x600000, 0, 0, "INVLPG 0x600000" },
	{ LOAD, 0x600000, 0, V(0x14), "sees 0x14: the store was seen" },
	{ MOV_CR3, 0, 0x5000, 0, "MOV CR3 <- 0x5000 (space B)" },
	{ LOAD, 0x405000, 0, V(0x12), "B's frame, not A's" },
	{ LOAD, 0x605000, 0, V(0x13), "B's second page table" },
	{ LOAD, 0x805000, 0, V(0x14), "third: the pool evicts" },
	{ MOV_CR3, 0, 0x1000, 0, "MOV CR3 <- 0x1000 (space A)" },
	{ LOAD, 0x405000, 0, V(0x11), "A again, rebuilt" },
	{ HLT, 0, 0, 0, "HLT" },
};
static unsigned rip; /* the guest's instruction pointer: prog[rip] */

/* Guest mode: run instructions until one exits (#PF, or an intercepted
 * INVLPG, MOV CR3, HLT: UINT32_MAX). Each load checks what it read. */
static uint32_t run_guest(void)
{
	for (;; rip++) {
		const struct insn *in = &prog[rip];
		uint32_t error, flags = in->op == STORE	      ? PFERR_W
					: in->op == USER_LOAD ? PFERR_U
							      : 0;
		uint64_t val = in->val;
		if (in->op >= INVLPG)
			return UINT32_MAX;
		if (!cpu_access(in->la, flags, &val, &error))
			return error;
		/* A wrong value, or no exit where one was due. */
		if (in->op == USER_LOAD ||
		    (in->op == LOAD && val != in->want) ||
		    (in->op == STORE && in->want))
			die(in->what);
		printf("  guest %-30s ok\n", in->what);
	}
}

/* ---- the host's vCPU loop: enter, run the guest, handle its exit ---- */

static const char *const scope_name[] = { "ADDR", "PCID_ADDR", "PCID", "VCPU",
					  "VCPU_ALL" };
static unsigned fixed, injected, emulated;

static void run(struct smmu_vm *vm, struct smmu_vcpu *vcpu)
{
	for (;;) {
		grace_period(); /* nothing runs in guest mode here */
		if (smmu_vcpu_enter(vcpu, &cpu) != SMMU_OK)
			die("smmu_vcpu_enter: no shadow page (or no memory) "
			    "for a root");
		if (cpu.pae || cpu.la57)
			die("this toy CPU walks 4-level IA-32e tables only");
		for (unsigned i = 0; i < cpu.nr_flushes; i++) {
			printf("  entry flush %s la %#" PRIx64 "\n",
			       scope_name[cpu.flush[i].scope], cpu.flush[i].la);
			tlb_flush(&cpu.flush[i]);
		}
		/* VM entry, with CR3 = cpu.cr3, CR4.PCIDE = cpu.pcide,
		 * CR4.PGE = cpu.pge, CR0.WP = 1, EFER.NXE = 1. A host with
		 * kick_cpus calls smmu_vcpu_exit() after each exit. */
		uint32_t error = run_guest();
		const struct insn *in = &prog[rip];
		printf("  exit  %-30s -> ", in->what);
		if (error == UINT32_MAX) {
			rip++; /* the host skips the instruction it handles */
			if (in->op == HLT) {
				printf("done\n");
				return;
			}
			if (in->op == INVLPG)
				smmu_vcpu_invlpg(vcpu, in->la);
			else if (smmu_vcpu_write_cr3(vcpu, in->val) !=
				 SMMU_CR_DONE)
				die("MOV CR3 faulted");
			printf("the library\n");
			continue;
		}
		/* The #PF exit: the address (CR2, the exit qualification)
		 * and the hardware error code's bits the library takes (a
		 * real CPU's may hold SS or SGX, which it does not). */
		struct smmu_access acc = {
			.la = in->la, .flags = error & SMMU_ACCESS_PFERR_MASK
		};
		struct smmu_fault f;
		smmu_vcpu_page_fault(vcpu, &acc, &f);
		switch (f.action) {
		case SMMU_FAULT_FIXED: /* RIP unchanged: the access again */
			printf("#PF %#x: FIXED\n", error);
			fixed++;
			break;
		case SMMU_FAULT_INJECT: /* #PF(pf_error), CR2 = la */
			printf("#PF %#x: INJECT #PF %#x\n", error, f.pf_error);
			if (in->op != USER_LOAD || f.pf_error != in->want)
				die("a #PF the guest should not take");
			injected++;
			rip++; /* the guest's #PF handler skips the load */
			break;
		case SMMU_FAULT_EMULATE: /* f.gpa: page offset included */
			printf("#PF %#x: EMULATE at gpa %#" PRIx64 "\n", error,
			       f.gpa);
			if (in->op != STORE || f.gpa != in->want ||
			    smmu_vm_emulated_write(vm, f.gpa, &in->val, 8) !=
				    SMMU_GPA_OK)
				die("an emulation not expected");
			emulated++;
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
		/* shadow paging: all of these */
		.alloc_page = h_alloc_page,
		.free_page = h_free_page,
		.write_gpa = h_write_gpa,
		.gfn_to_hpa = h_gfn_to_hpa,
		.lock = h_lock,
		.unlock = h_unlock,
		.flush_all_cpus = h_flush_all_cpus,
		.defer_free = h_defer_free,
		/* Optional, left out: rcu_read_enter/exit (faults settled
		 * without the MMU lock), kick_cpus and assisted_flush
		 * (remote flushes aimed at the CPUs that need one, not
		 * flush_all_cpus), lock_held (for -Dlock_checks=true),
		 * backing_is_2m (2 MiB shadow leaves), log. */
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
	build_guest();
	if (smmu_vm_create(&cfg, &ops, NULL, &vm) != SMMU_OK ||
	    smmu_vcpu_create(vm, 0, &vcpu) != SMMU_OK ||
	    smmu_vcpu_set_paging(vcpu, &boot) != SMMU_OK)
		die("creating the VM");
	printf("embed: a 4-level guest on %u shadow pages\n", POOL_PAGES);
	run(vm, vcpu);

	smmu_vm_get_stats(vm, &st);
	printf("embed: #PF fixed %u, injected %u, emulated %u; shadow pages "
	       "evicted %" PRIu64 ", freed after a grace period %u; "
	       "flush_all_cpus %u\n",
	       fixed, injected, emulated, st.sp_evicted, freed_late,
	       remote_flushes);
	if (injected != 1 || emulated != 3 || !st.sp_evicted || !freed_late)
		die("not the outcomes expected");
	smmu_vcpu_destroy(vcpu);
	grace_period();
	if (smmu_vm_destroy(vm) != SMMU_OK) /* SMMU_EBUSY: frees pending */
		die("smmu_vm_destroy");
	if (nr_free != POOL_PAGES || live_allocs)
		die("the library left pages or allocations behind");
	printf("embed: PASS, every page and allocation given back\n");
	return 0;
}
