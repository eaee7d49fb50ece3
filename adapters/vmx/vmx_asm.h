/* SPDX-License-Identifier: MIT */
/*
 * Inline-assembly wrappers for the VMX instructions a hypervisor issues
 * outside its entry stub, and the handful of privileged x86 instructions
 * around them. Header-only, for the bare-metal kernel: none of these may
 * run in a hosted process (CPUID excepted).
 *
 * VMX instructions report their outcome in RFLAGS (SDM vol. 3C
 * "Conventions" in the VMX instruction reference): CF=1 is VMfailInvalid
 * (no current VMCS, so no error number), ZF=1 is VMfailValid (the number
 * is in the VM-instruction error field), neither is VMsucceed. Every
 * wrapper returns that as an enum vmx_status instead of ignoring it.
 *
 * VMLAUNCH and VMRESUME are not here: they must save and restore the
 * guest's general-purpose registers around the transition, which only
 * the hypervisor's own entry stub can do.
 */
#ifndef VMX_ASM_H
#define VMX_ASM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx_fields.h"

enum vmx_status {
	VMX_OK = 0,
	VMX_FAIL_VALID = 1,   /* read VMCS_VM_INSTRUCTION_ERROR */
	VMX_FAIL_INVALID = 2, /* no current VMCS */
};

static inline enum vmx_status vmx_status_from_flags(bool cf, bool zf)
{
	if (cf)
		return VMX_FAIL_INVALID;
	if (zf)
		return VMX_FAIL_VALID;
	return VMX_OK;
}

/* The 128-bit INVVPID descriptor: VPID in bits 15:0, bits 63:16 zero,
 * the linear address (individual-address type only) in bits 127:64. */
struct vmx_invvpid_desc {
	uint64_t vpid;
	uint64_t linear_address;
};

/* region_pa: 4 KiB-aligned physical address of the VMXON region, whose
 * first 32 bits hold the VMCS revision identifier. */
static inline enum vmx_status vmx_vmxon(uint64_t region_pa)
{
	bool cf, zf;

	__asm__ volatile("vmxon %[pa]"
			 : "=@ccc"(cf), "=@ccz"(zf)
			 : [pa] "m"(region_pa)
			 : "memory");
	return vmx_status_from_flags(cf, zf);
}

static inline enum vmx_status vmx_vmxoff(void)
{
	bool cf, zf;

	__asm__ volatile("vmxoff" : "=@ccc"(cf), "=@ccz"(zf) : : "memory");
	return vmx_status_from_flags(cf, zf);
}

static inline enum vmx_status vmx_vmclear(uint64_t vmcs_pa)
{
	bool cf, zf;

	__asm__ volatile("vmclear %[pa]"
			 : "=@ccc"(cf), "=@ccz"(zf)
			 : [pa] "m"(vmcs_pa)
			 : "memory");
	return vmx_status_from_flags(cf, zf);
}

static inline enum vmx_status vmx_vmptrld(uint64_t vmcs_pa)
{
	bool cf, zf;

	__asm__ volatile("vmptrld %[pa]"
			 : "=@ccc"(cf), "=@ccz"(zf)
			 : [pa] "m"(vmcs_pa)
			 : "memory");
	return vmx_status_from_flags(cf, zf);
}

static inline enum vmx_status vmx_vmread(uint32_t field, uint64_t *value)
{
	bool cf, zf;
	uint64_t v;

	__asm__ volatile("vmread %[field], %[v]"
			 : [v] "=rm"(v), "=@ccc"(cf), "=@ccz"(zf)
			 : [field] "r"((uint64_t)field)
			 : "memory");
	*value = v;
	return vmx_status_from_flags(cf, zf);
}

static inline enum vmx_status vmx_vmwrite(uint32_t field, uint64_t value)
{
	bool cf, zf;

	__asm__ volatile("vmwrite %[v], %[field]"
			 : "=@ccc"(cf), "=@ccz"(zf)
			 : [field] "r"((uint64_t)field), [v] "rm"(value)
			 : "memory");
	return vmx_status_from_flags(cf, zf);
}

static inline enum vmx_status
vmx_invvpid(enum vmx_invvpid_type type, uint16_t vpid, uint64_t linear_address)
{
	struct vmx_invvpid_desc desc = { .vpid = vpid,
					 .linear_address = linear_address };
	bool cf, zf;

	__asm__ volatile("invvpid %[desc], %[type]"
			 : "=@ccc"(cf), "=@ccz"(zf)
			 : [desc] "m"(desc), [type] "r"((uint64_t)type)
			 : "memory");
	return vmx_status_from_flags(cf, zf);
}

/* Drop the translations of one linear address tagged with `vpid`. */
static inline enum vmx_status vmx_invvpid_address(uint16_t vpid,
						  uint64_t linear_address)
{
	return vmx_invvpid(VMX_INVVPID_INDIVIDUAL_ADDRESS, vpid,
			   linear_address);
}

/* Drop every translation tagged with `vpid`. */
static inline enum vmx_status vmx_invvpid_single(uint16_t vpid)
{
	return vmx_invvpid(VMX_INVVPID_SINGLE_CONTEXT, vpid, 0);
}

/* Drop the translations of every VPID except 0 (the host's). */
static inline enum vmx_status vmx_invvpid_all(void)
{
	return vmx_invvpid(VMX_INVVPID_ALL_CONTEXT, 0, 0);
}

/* Like vmx_invvpid_single(), but global translations survive. */
static inline enum vmx_status vmx_invvpid_single_nonglobal(uint16_t vpid)
{
	return vmx_invvpid(VMX_INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS, vpid,
			   0);
}

static inline uint64_t x86_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void x86_wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)value),
			   "d"((uint32_t)(value >> 32))
			 : "memory");
}

static inline uint64_t x86_read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void x86_write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t x86_read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void x86_write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t x86_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void x86_write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

struct x86_cpuid {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct x86_cpuid x86_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct x86_cpuid r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint8_t x86_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t x86_inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t x86_inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void x86_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void x86_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void x86_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

#endif /* VMX_ASM_H */
