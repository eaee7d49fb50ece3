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
#include <vmx_asm.h>
#include <vmx_exit.h>

#include "console.h"
#include "cpu.h"
#include "gdt.h"
#include "lapic.h"
#include "percpu.h"
#include "smp.h"
#include "guest_load.h"
#include "host_ops.h"
#include "idt.h"
#include "mem.h"
#include "multiboot2.h"
#include "vcpu.h"

void kmain(uint64_t mb2_info);

void bochs_exit(bool pass)
{
	if (pass) {
		x86_outb(0x8900, 'D');
	} else {
		for (const char *s = "Shutdown"; *s; s++)
			x86_outb(0x8900, (uint8_t)*s);
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

static void print_stats(struct smmu_vm *vm)
{
	struct vcpu sum = { 0 };
	for (unsigned i = 0; i < nr_cpus; i++) {
		const struct vcpu *v = &cpus[i].vcpu;
		for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
			sum.exits[r] += v->exits[r];
		sum.pf_fixed += v->pf_fixed;
		sum.pf_injected += v->pf_injected;
		sum.pf_emulated += v->pf_emulated;
		sum.emulated_stores += v->emulated_stores;
		sum.cr_writes += v->cr_writes;
		sum.invlpgs += v->invlpgs;
		sum.local_flushes += v->local_flushes;
		sum.interrupts += v->interrupts;
	}
	kprintf("refvmx: exits by reason (%u vCPU(s)):", nr_cpus);
	for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
		if (sum.exits[r])
			kprintf(" %s=%llu", vmx_exit_reason_name(r),
				(unsigned long long)sum.exits[r]);
	kprintf("\n");
	kprintf("refvmx: #PF exits fixed %llu, injected %llu, emulated %llu "
		"(stores emulated %llu); CR writes %llu; INVLPG %llu; local "
		"flushes %llu; all-CPU flushes %llu (flush IPIs sent %llu); "
		"guest interrupts %llu; deferred frees %llu; shadow pages in "
		"use %u\n",
		(unsigned long long)sum.pf_fixed,
		(unsigned long long)sum.pf_injected,
		(unsigned long long)sum.pf_emulated,
		(unsigned long long)sum.emulated_stores,
		(unsigned long long)sum.cr_writes,
		(unsigned long long)sum.invlpgs,
		(unsigned long long)sum.local_flushes,
		(unsigned long long)host_ops_stats.flushes,
		(unsigned long long)flush_ipis_sent,
		(unsigned long long)sum.interrupts,
		(unsigned long long)host_ops_stats.deferred_frees,
		pool_pages_in_use());
	struct smmu_stats st;
	smmu_vm_get_stats(vm, &st);
	kprintf("libshadowmmu: shadow pages built %llu, evicted %llu, zapped "
		"%llu; faults fixed %llu, injected %llu, emulated %llu; "
		"emulated writes %llu; out of sync %llu, back in sync %llu, "
		"compared %llu, found unwritten %llu; prefetched %llu; 2 MiB "
		"leaves %llu\n",
		(unsigned long long)st.sp_created,
		(unsigned long long)st.sp_evicted,
		(unsigned long long)st.sp_zapped,
		(unsigned long long)st.faults_fixed,
		(unsigned long long)st.faults_injected,
		(unsigned long long)st.faults_emulated,
		(unsigned long long)st.emulated_writes,
		(unsigned long long)st.sp_unsynced,
		(unsigned long long)st.sp_synced,
		(unsigned long long)st.sp_unsync_checks,
		(unsigned long long)st.sync_skipped,
		(unsigned long long)st.prefetched,
		(unsigned long long)st.large_sptes);
}

/* Whether the kernel command line holds `word` as a whole word. */
static bool has_word(const char *line, const char *word)
{
	for (const char *p = line; *p;) {
		while (*p == ' ')
			p++;
		const char *w = word;
		while (*w && *p == *w) {
			p++;
			w++;
		}
		if (!*w && (*p == ' ' || !*p))
			return true;
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

void kmain(uint64_t mb2_info)
{
	struct cpu *bsp = &cpus[0];
	percpu_load(bsp);
	console_init();
	idt_init();
	/* The BIOS may leave the legacy PICs unmasked: their interrupts
	 * would only cost VM exits. Everything here goes through the APIC. */
	x86_outb(0x21, 0xff);
	x86_outb(0xa1, 0xff);
	lapic_init();
	bsp->apic_id = lapic_id();
	kprintf("refvmx: starting\n");
	struct boot_info bi;
	mb2_parse(mb2_info, &bi);
	vcpu_break_guest_tr = has_word(bi.cmdline, "break-guest-tr");
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
	__atomic_store_n(&bsp->in_vmx, true, __ATOMIC_RELEASE);
	smp_start_aps(&bi);

	/* The guest sees this CPU's MAXPHYADDR and 1 GiB pages (CPUID is
	 * passed through for them); the library must walk its tables so. */
	struct smmu_vm *vm;
	struct x86_cpuid ext = x86_cpuid(0x80000001u, 0);
	struct x86_cpuid size = x86_cpuid(0x80000008u, 0);
	struct smmu_vm_config cfg = {
		.maxphyaddr = (uint8_t)(size.eax & 0xff),
		.gbpages = ext.edx & (1u << 26),
	};
	if (smmu_vm_create(&cfg, &refvmx_host_ops, 0, &vm) != SMMU_OK)
		finish(false, "smmu_vm_create failed");
	/* One vCPU per CPU, all made here: the library's vCPU lifecycle
	 * calls are serialised by the host. */
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct vcpu *v = &cpus[i].vcpu;
		v->index = i;
		v->vm = vm;
		if (smmu_vcpu_create(vm, i, &v->mmu) != SMMU_OK)
			finish(false, "smmu_vcpu_create failed");
	}
	kprintf("refvmx: entering the guest\n");
	vcpu_start(&bsp->vcpu, entry);
	print_stats(vm);
	if (!run_end.passed && run_end.vcpu != 0)
		kprintf("refvmx: vCPU %u ended the run\n", run_end.vcpu);
	finish(run_end.passed, run_end.why);
}
