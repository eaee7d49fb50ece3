/* SPDX-License-Identifier: MIT */
/*
 * SYSCALL and SYSENTER really use the MSRs the guest wrote: STAR, LSTAR,
 * SFMASK (the CPU's own registers, the guest's while it runs under
 * refvmx) and SYSENTER_CS/ESP/EIP (the VMCS's guest fields). Each
 * address MSR also refuses a non-canonical value with #GP.
 */
#include "cpu.h"
#include "cpu_model.h"
#include "gdt.h"
#include "insn_probe.h"
#include "report.h"

#define MSR_SYSENTER_CS	 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_STAR	 0xc0000081u
#define MSR_LSTAR	 0xc0000082u
#define MSR_CSTAR	 0xc0000083u
#define MSR_SFMASK	 0xc0000084u
#define EFER_SCE	 (1u << 0)
#define EFLAGS_DF	 (1u << 10)
#define EFLAGS_AC	 (1u << 18)
#define NONCANONICAL	 0x0000800000000000ull

struct entry_result {
	uint64_t rcx, r11, flags, cs, ss, rsp;
};

void syscall_probe(struct entry_result *r);
void sysenter_probe(struct entry_result *r);
extern char syscall_target[], syscall_return[], sysenter_target[];

static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));

static void check_syscall(void)
{
	uint64_t efer = rdmsr(X86_MSR_EFER);
	unsigned bad_l = try_wrmsr(MSR_LSTAR, NONCANONICAL);
	unsigned bad_c = try_wrmsr(MSR_CSTAR, NONCANONICAL);
	/* SFMASK's bits 63:32 are reserved (#GP); Bochs 2.7 takes them
	 * natively. */
	unsigned bad_m = try_wrmsr(MSR_SFMASK, 1ull << 32);
	if (!cpu_under_refvmx() && bad_m == 0)
		bad_m = VEC_GP;
	wrmsr(MSR_STAR, (uint64_t)GDT_CODE64 << 32);
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_target);
	wrmsr(MSR_SFMASK, EFLAGS_DF | EFLAGS_AC);
	wrmsr(X86_MSR_EFER, efer | EFER_SCE);
	struct entry_result r = { 0 };
	syscall_probe(&r);
	wrmsr(X86_MSR_EFER, efer);
	if (bad_l != VEC_GP || bad_c != VEC_GP || bad_m != VEC_GP)
		report_fail("syscall-msrs",
			    "non-canonical LSTAR: vector %u, CSTAR: vector %u, "
			    "SFMASK bit 32: vector %u (each must be #GP)",
			    bad_l, bad_c, bad_m);
	else
		report_pass("syscall-msrs");
	/* RCX = the next instruction, R11 = RFLAGS before (DF and AC
	 * set), RFLAGS & ~SFMASK, CS = STAR[47:32], SS = that + 8. */
	if (r.rcx == (uintptr_t)syscall_return &&
	    (r.r11 & (EFLAGS_DF | EFLAGS_AC)) == (EFLAGS_DF | EFLAGS_AC) &&
	    !(r.flags & (EFLAGS_DF | EFLAGS_AC)) && r.cs == GDT_CODE64 &&
	    r.ss == GDT_CODE64 + 8)
		report_pass("syscall");
	else
		report_fail("syscall",
			    "RCX %p (expected %p), R11 0x%llx, RFLAGS 0x%llx, "
			    "CS 0x%llx, SS 0x%llx",
			    (void *)r.rcx, (void *)syscall_return,
			    (unsigned long long)r.r11,
			    (unsigned long long)r.flags,
			    (unsigned long long)r.cs, (unsigned long long)r.ss);
}

static void check_sysenter(void)
{
	if (!cpuid_has(1, 0, EDX, 11)) {
		report_skip("sysenter", "CPUID.1:EDX.SEP is 0");
		return;
	}
	uint64_t top = (uintptr_t)(sysenter_stack + sizeof(sysenter_stack));
	unsigned bad_s = try_wrmsr(MSR_SYSENTER_ESP, NONCANONICAL);
	unsigned bad_e = try_wrmsr(MSR_SYSENTER_EIP, NONCANONICAL);
	wrmsr(MSR_SYSENTER_CS, GDT_CODE64);
	wrmsr(MSR_SYSENTER_ESP, top);
	wrmsr(MSR_SYSENTER_EIP, (uintptr_t)sysenter_target);
	uint64_t cs = rdmsr(MSR_SYSENTER_CS), esp = rdmsr(MSR_SYSENTER_ESP),
		 eip = rdmsr(MSR_SYSENTER_EIP);
	struct entry_result r = { 0 };
	sysenter_probe(&r);
	if (bad_s != VEC_GP || bad_e != VEC_GP || cs != GDT_CODE64 ||
	    esp != top || eip != (uintptr_t)sysenter_target)
		report_fail("sysenter-msrs",
			    "non-canonical ESP: vector %u, EIP: vector %u "
			    "(must be #GP); read back CS 0x%llx ESP 0x%llx "
			    "EIP 0x%llx",
			    bad_s, bad_e, (unsigned long long)cs,
			    (unsigned long long)esp, (unsigned long long)eip);
	else
		report_pass("sysenter-msrs");
	/* In IA-32e mode: CS = SYSENTER_CS, SS = CS + 8, RSP = ESP MSR,
	 * IF cleared (SDM vol. 2B, SYSENTER). */
	if (r.rsp == top && r.cs == GDT_CODE64 && r.ss == GDT_CODE64 + 8 &&
	    !(r.flags & (1u << 9)))
		report_pass("sysenter");
	else
		report_fail("sysenter",
			    "RSP 0x%llx (expected 0x%llx), CS 0x%llx, SS "
			    "0x%llx, RFLAGS 0x%llx",
			    (unsigned long long)r.rsp, (unsigned long long)top,
			    (unsigned long long)r.cs, (unsigned long long)r.ss,
			    (unsigned long long)r.flags);
}

void check_syscall_sysenter(void)
{
	check_syscall();
	check_sysenter();
}
