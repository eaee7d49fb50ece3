/* SPDX-License-Identifier: MIT */
/*
 * refvmx: the reference minimal VMX hypervisor. It runs the guest from
 * the first multiboot2 module on shadow page tables built by
 * libshadowmmu, until the guest writes its status to the test-exit port;
 * then it prints the statistics and ends the run (under Bochs, with the
 * matching exit status).
 */
#include <shadowmmu/shadowmmu.h>
#include <stdint.h>
#include <vmx_exit.h>

#include "console.h"
#include "cpu.h"
#include "gdt.h"
#include "guest_load.h"
#include "host_ops.h"
#include "idt.h"
#include "mem.h"
#include "multiboot2.h"
#include "vcpu.h"

void kmain(uint64_t mb2_info);

static struct vcpu bsp_vcpu;

void bochs_exit(bool pass)
{
	if (pass) {
		outb(0x8900, 'D');
	} else {
		for (const char *s = "Shutdown"; *s; s++)
			outb(0x8900, (uint8_t)*s);
	}
}

static void finish(bool pass, const char *why)
{
	/* The harness (refvmx-bochs.sh) prints the verdict line. */
	if (pass)
		kprintf("refvmx: run passed\n");
	else
		kprintf("refvmx: run failed: %s\n", why ? why : "(no reason)");
	console_drain();
	bochs_exit(pass);
	for (;;)
		cpu_halt();
}

static void print_stats(const struct vcpu *v)
{
	kprintf("refvmx: exits by reason:");
	for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
		if (v->exits[r])
			kprintf(" %s=%llu", vmx_exit_reason_name(r),
				(unsigned long long)v->exits[r]);
	kprintf("\n");
	kprintf("refvmx: #PF exits fixed %llu, injected %llu, emulated %llu "
		"(stores emulated %llu); CR writes %llu; INVLPG %llu; local "
		"flushes %llu; remote flushes %llu; deferred frees %llu; "
		"shadow pages in use %u\n",
		(unsigned long long)v->pf_fixed,
		(unsigned long long)v->pf_injected,
		(unsigned long long)v->pf_emulated,
		(unsigned long long)v->emulated_stores,
		(unsigned long long)v->cr_writes,
		(unsigned long long)v->invlpgs,
		(unsigned long long)v->local_flushes,
		(unsigned long long)host_ops_stats.flushes,
		(unsigned long long)host_ops_stats.deferred_frees,
		pool_pages_in_use());
	struct smmu_stats st;
	smmu_vm_get_stats(v->vm, &st);
	kprintf("libshadowmmu: shadow pages built %llu, evicted %llu, zapped "
		"%llu; faults fixed %llu, injected %llu, emulated %llu; "
		"emulated writes %llu; out of sync %llu, back in sync %llu; "
		"prefetched %llu; 2 MiB leaves %llu\n",
		(unsigned long long)st.sp_created,
		(unsigned long long)st.sp_evicted,
		(unsigned long long)st.sp_zapped,
		(unsigned long long)st.faults_fixed,
		(unsigned long long)st.faults_injected,
		(unsigned long long)st.faults_emulated,
		(unsigned long long)st.emulated_writes,
		(unsigned long long)st.sp_unsynced,
		(unsigned long long)st.sp_synced,
		(unsigned long long)st.prefetched,
		(unsigned long long)st.large_sptes);
}

void kmain(uint64_t mb2_info)
{
	console_init();
	gdt_load();
	idt_init();
	kprintf("refvmx: starting\n");
	struct boot_info bi;
	mb2_parse(mb2_info, &bi);
	if (bi.nr_modules == 0)
		finish(false, "no guest module (grub.cfg: module2 GUEST.elf)");
	if (!mem_init(&bi))
		finish(false, "memory layout");
	uint64_t entry;
	if (!guest_load_elf(bi.module[0].start, bi.module[0].end, &entry))
		finish(false, "cannot load the guest");
	kprintf("refvmx: guest '%s' loaded, entry 0x%llx\n", bi.module[0].name,
		(unsigned long long)entry);

	vmx_cpu_enable();
	struct smmu_vm *vm;
	struct smmu_vm_config cfg = { .maxphyaddr = 36 };
	if (smmu_vm_create(&cfg, &refvmx_host_ops, 0, &vm) != SMMU_OK)
		finish(false, "smmu_vm_create failed");
	vcpu_init(&bsp_vcpu, vm, entry);
	kprintf("refvmx: entering the guest\n");
	vcpu_run(&bsp_vcpu);
	print_stats(&bsp_vcpu);
	finish(bsp_vcpu.passed, bsp_vcpu.why);
}
