/* SPDX-License-Identifier: MIT */
/*
 * The smallest complete libshadowmmu host.
 *
 * It gives the library a host-operations table over a plain array of
 * "guest RAM", boots a guest's paging the way a guest kernel does (CR4.PAE,
 * EFER.LME, CR3, CR0.PG, each through the entry point its VM exit would
 * call), and translates a few guest accesses: a hit, a write that sets the
 * dirty bit, a user access to a supervisor page and a non-canonical address.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shadowmmu/shadowmmu.h>

#define GUEST_RAM_SIZE (1u << 20)

/* Guest RAM. 8-byte aligned so compare-exchange of entries is atomic. */
static _Alignas(4096) uint8_t guest_ram[GUEST_RAM_SIZE];

static void *host_alloc(void *host, size_t size)
{
	return calloc(1, size);
}

static void host_free(void *host, void *ptr, size_t size)
{
	free(ptr);
}

static int host_read_gpa(void *host, uint64_t gpa, void *buf, size_t len)
{
	if (gpa >= GUEST_RAM_SIZE || len > GUEST_RAM_SIZE - gpa)
		return SMMU_GPA_NOT_RAM;
	memcpy(buf, guest_ram + gpa, len);
	return SMMU_GPA_OK;
}

static int host_cmpxchg_gpa(void *host, uint64_t gpa, unsigned size,
			    uint64_t old_val, uint64_t new_val)
{
	if (size != 8 || gpa % 8 || gpa >= GUEST_RAM_SIZE)
		return SMMU_GPA_NOT_RAM; /* this guest only uses 8-byte PTEs */
	uint64_t expected = old_val;
	return __atomic_compare_exchange_n((uint64_t *)(guest_ram + gpa),
					   &expected, new_val, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
		       ? SMMU_GPA_OK
		       : SMMU_GPA_CHANGED;
}

static void host_log(void *host, enum smmu_log_level level, const char *msg)
{
	fprintf(stderr, "shadowmmu: %s\n", msg);
}

static const struct smmu_host_ops ops = {
	.alloc = host_alloc,
	.free = host_free,
	.read_gpa = host_read_gpa,
	.cmpxchg_gpa = host_cmpxchg_gpa,
	.log = host_log,
};

static void put_pte(uint64_t table, unsigned index, uint64_t val)
{
	memcpy(guest_ram + table + 8 * index, &val, 8);
}

static uint64_t get_pte(uint64_t table, unsigned index)
{
	uint64_t v;
	memcpy(&v, guest_ram + table + 8 * index, 8);
	return v;
}

static int translate(struct smmu_vcpu *vcpu, const char *what, uint64_t la,
		     uint32_t flags)
{
	struct smmu_access acc = { .la = la, .flags = flags };
	struct smmu_translation t;
	enum smmu_xlate_status st = smmu_vcpu_translate(vcpu, &acc, &t);

	printf("  %-34s la=%#018" PRIx64 " -> ", what, la);
	switch (st) {
	case SMMU_XLATE_OK:
		printf("gpa=%#" PRIx64 " size=%" PRIu64 "K rights=%s%s%s\n",
		       t.gpa, t.page_size >> 10,
		       t.rights & SMMU_RIGHT_W ? "W" : "-",
		       t.rights & SMMU_RIGHT_U ? "U" : "-",
		       t.rights & SMMU_RIGHT_X ? "X" : "-");
		break;
	case SMMU_XLATE_PAGE_FAULT:
		printf("#PF error=%#x\n", t.pf_error);
		break;
	case SMMU_XLATE_NONCANONICAL:
		printf("non-canonical: inject #GP\n");
		break;
	default:
		printf("status %d\n", st);
		return 1;
	}
	return 0;
}

int main(void)
{
	struct smmu_vm_config cfg = { .maxphyaddr = 39, .gbpages = true };
	struct smmu_vm *vm;
	struct smmu_vcpu *vcpu;

	if (smmu_vm_create(&cfg, &ops, NULL, &vm) != SMMU_OK ||
	    smmu_vcpu_create(vm, 0, &vcpu) != SMMU_OK)
		return 1;

	/* Guest page tables at 0x1000..0x4fff: 0x400000 maps a supervisor
	 * page at gpa 0x80000, 0x401000 a user page at 0x81000. */
	const uint64_t pml4 = 0x1000, pdpt = 0x2000, pd = 0x3000, pt = 0x4000;
	const uint64_t tbl = X86_PTE_P | X86_PTE_RW | X86_PTE_US;
	put_pte(pml4, 0, pdpt | tbl);
	put_pte(pdpt, 0, pd | tbl);
	put_pte(pd, 2, pt | tbl);
	put_pte(pt, 0, 0x80000 | X86_PTE_P | X86_PTE_RW);
	put_pte(pt, 1, 0x81000 | X86_PTE_P | X86_PTE_US);

	/* What a 64-bit guest kernel does to enable paging; each line is
	 * one VM exit in a real host. */
	int gp = 0;
	gp |= smmu_vcpu_write_cr0(vcpu, X86_CR0_PE) != SMMU_CR_DONE;
	gp |= smmu_vcpu_write_cr4(vcpu, X86_CR4_PAE) != SMMU_CR_DONE;
	gp |= smmu_vcpu_write_efer(vcpu, X86_EFER_LME | X86_EFER_NXE) !=
	      SMMU_CR_DONE;
	gp |= smmu_vcpu_write_cr3(vcpu, pml4) != SMMU_CR_DONE;
	gp |= smmu_vcpu_write_cr0(vcpu, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP) !=
	      SMMU_CR_DONE;
	if (gp || smmu_vcpu_paging_mode(vcpu) != SMMU_PAGING_4LEVEL) {
		fprintf(stderr, "embed: enabling 4-level paging failed\n");
		return 1;
	}
	printf("embed: guest in 4-level paging, CR3=%#" PRIx64 "\n", pml4);

	int bad = 0;
	bad |= translate(vcpu, "supervisor read", 0x400123, 0);
	bad |= translate(vcpu, "supervisor write (sets D)", 0x400123,
			 SMMU_ACCESS_WRITE);
	bad |= translate(vcpu, "user read of a user page", 0x401008,
			 SMMU_ACCESS_USER);
	bad |= translate(vcpu, "user write to a read-only page", 0x401008,
			 SMMU_ACCESS_USER | SMMU_ACCESS_WRITE);
	bad |= translate(vcpu, "user read of a supervisor page", 0x400000,
			 SMMU_ACCESS_USER);
	bad |= translate(vcpu, "read of an unmapped page", 0x402000, 0);
	bad |= translate(vcpu, "non-canonical address", 0x0000800000000000, 0);
	printf("embed: leaf PTE after the write: %#" PRIx64 " (A=%d D=%d)\n",
	       get_pte(pt, 0), !!(get_pte(pt, 0) & X86_PTE_A),
	       !!(get_pte(pt, 0) & X86_PTE_D));

	smmu_vcpu_destroy(vcpu);
	smmu_vm_destroy(vm);
	return bad;
}
