/* SPDX-License-Identifier: MIT */
/*
 * cpu-model, 32-bit stage: the base-address MSRs outside IA-32e mode.
 * A 64-bit kernel's 32-bit entry code may write IA32_GS_BASE before it
 * has an IDT (kvm-unit-tests' does): a hypervisor that raises #GP there
 * ends the guest at once. The write is made before trap_init(), so a
 * fault here is fatal, as it would be for such a kernel.
 */
#include "cpu.h"
#include "report.h"
#include "stage.h"
#include "trap.h"

#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u

static volatile uint32_t marker = 0x5eed0f5u;

void stage32_main(struct report_totals *totals, const struct boot_entry *entry)
{
	(void)entry;
	struct cpu_caps caps;
	cpu_caps_read(&caps);
	report_init(totals, "cpu-model");
	report_mode("32-bit");
	if (!caps.long_mode) {
		report_skip("gs-base-before-idt", "no IA-32e mode: no MSR");
		return;
	}
	wrmsr(MSR_GS_BASE, 0x12345000u);
	uint64_t got = rdmsr(MSR_GS_BASE);
	trap_init();
	report_note("cpu-model: 32-bit stage");
	if (got == 0x12345000u)
		report_pass("gs-base-before-idt");
	else
		report_fail("gs-base-before-idt", "read 0x%llx back",
			    (unsigned long long)got);

	/* Outside 64-bit mode IA32_FS_BASE is FS's base all the same: an
	 * FS-relative load sees memory at the new base (SDM vol. 4,
	 * IA32_FS_BASE; under refvmx through the VMCS's guest FS base). */
	wrmsr(MSR_FS_BASE, (uint32_t)(uintptr_t)&marker);
	uint32_t seen;
	__asm__ volatile("movl %%fs:0, %0" : "=r"(seen));
	__asm__ volatile("mov %0, %%fs" : : "r"(0x10));
	if (seen == marker)
		report_pass("fs-base-addressing");
	else
		report_fail("fs-base-addressing",
			    "%%fs:0 read 0x%08x, the marker at the base is "
			    "0x%08x",
			    seen, marker);
}
