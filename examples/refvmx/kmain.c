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

#include "cmdline.h"
#include "console.h"
#include "cpu.h"
#include "gdt.h"
#include "lapic.h"
#include "percpu.h"
#include "smp.h"
#include "guest_load.h"
#include "guest_cpu.h"
#include "host_ops.h"
#include "idle.h"
#include "idt.h"
#include "mb1_info.h"
#include "mem.h"
#include "multiboot2.h"
#include "firmware.h"
#include "ports.h"
#include "pvh.h"
#include "tsc.h"
#include "uart.h"
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

void refvmx_print_stats(struct smmu_vm *vm)
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
		sum.invpcids += v->invpcids;
		for (unsigned k = 0; k <= SMMU_FLUSH_VCPU_ALL; k++)
			sum.flush_kind[k] += v->flush_kind[k];
		sum.local_flushes += v->local_flushes;
		sum.interrupts += v->interrupts;
		sum.nmis += v->nmis;
		sum.mmio_accesses += v->mmio_accesses;
		sum.unprotects += v->unprotects;
	}
	kprintf("refvmx: exits by reason (%u vCPU(s)):", nr_cpus);
	for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
		if (sum.exits[r])
			kprintf(" %s=%llu", vmx_exit_reason_name(r),
				(unsigned long long)sum.exits[r]);
	kprintf("\n");
	kprintf("refvmx: #PF exits fixed %llu, injected %llu, emulated %llu "
		"(stores emulated %llu); CR writes %llu; INVLPG %llu; INVPCID "
		"%llu; entries with local flushes %llu (flushes: addr %llu, "
		"pcid-addr %llu, pcid %llu, vcpu %llu, vcpu-all %llu); "
		"all-CPU flushes %llu (flush IPIs sent %llu); kicks %llu "
		"(kick IPIs sent %llu); guest interrupts %llu, NMIs %llu; APIC "
		"accesses %llu; frames unprotected %llu; deferred frees %llu "
		"after %llu grace periods; shadow pages in use %u\n",
		(unsigned long long)sum.pf_fixed,
		(unsigned long long)sum.pf_injected,
		(unsigned long long)sum.pf_emulated,
		(unsigned long long)sum.emulated_stores,
		(unsigned long long)sum.cr_writes,
		(unsigned long long)sum.invlpgs,
		(unsigned long long)sum.invpcids,
		(unsigned long long)sum.local_flushes,
		(unsigned long long)sum.flush_kind[SMMU_FLUSH_ADDR],
		(unsigned long long)sum.flush_kind[SMMU_FLUSH_PCID_ADDR],
		(unsigned long long)sum.flush_kind[SMMU_FLUSH_PCID],
		(unsigned long long)sum.flush_kind[SMMU_FLUSH_VCPU],
		(unsigned long long)sum.flush_kind[SMMU_FLUSH_VCPU_ALL],
		(unsigned long long)host_ops_stats.flushes,
		(unsigned long long)flush_ipis_sent,
		(unsigned long long)kick_calls,
		(unsigned long long)kick_ipis_sent,
		(unsigned long long)sum.interrupts,
		(unsigned long long)sum.nmis,
		(unsigned long long)sum.mmio_accesses,
		(unsigned long long)sum.unprotects,
		(unsigned long long)host_ops_stats.deferred_frees,
		(unsigned long long)host_ops_stats.grace_periods,
		pool_pages_in_use());
	struct smmu_stats st;
	smmu_vm_get_stats(vm, &st);
	kprintf("libshadowmmu: shadow pages built %llu, evicted %llu, zapped "
		"%llu; faults fixed %llu, injected %llu, emulated %llu; "
		"emulated writes %llu; out of sync %llu, back in sync %llu, "
		"compared %llu, found unwritten %llu; prefetched %llu; 2 MiB "
		"leaves %llu; root loads %llu, cached hits %llu, NOFLUSH "
		"switches without a flush %llu\n",
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
		(unsigned long long)st.large_sptes,
		(unsigned long long)st.root_loads,
		(unsigned long long)st.root_cache_hits,
		(unsigned long long)st.noflush_honoured);
	kprintf("libshadowmmu: flushes asked at entry: addr %llu, pcid-addr "
		"%llu, pcid %llu, vcpu %llu, vcpu-all %llu; remote requests "
		"%llu (flush_all_cpus %llu), vCPUs they reached %llu: deferred "
		"to the next entry %llu, skipped by the TLB clock %llu; kicks "
		"%llu reaching %llu CPU(s)\n",
		(unsigned long long)st.flushes[SMMU_FLUSH_ADDR],
		(unsigned long long)st.flushes[SMMU_FLUSH_PCID_ADDR],
		(unsigned long long)st.flushes[SMMU_FLUSH_PCID],
		(unsigned long long)st.flushes[SMMU_FLUSH_VCPU],
		(unsigned long long)st.flushes[SMMU_FLUSH_VCPU_ALL],
		(unsigned long long)st.remote_requests,
		(unsigned long long)st.remote_flushes,
		(unsigned long long)st.remote_targets,
		(unsigned long long)st.remote_deferred,
		(unsigned long long)st.remote_skipped,
		(unsigned long long)st.kicks,
		(unsigned long long)st.kicked_cpus);
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
	vcpu_break_guest_tr = cmdline_has(bi.cmdline, "break-guest-tr");
	/* Remote flushes by the library's flush engine (kicks, flushes
	 * deferred to a vCPU's next entry), or all by flush_all_cpus. */
	bool flush_all = cmdline_has(bi.cmdline, "flush=all");
	if (bi.nr_modules == 0)
		finish(false, "no guest module (grub.cfg: module2 GUEST.elf)");
	uint64_t ram_mib =
		cmdline_uint(bi.cmdline, "guest-ram=", GUEST_RAM_DEFAULT >> 20);
	/* Whole 2 MiB pages, below the local APIC's page at 0xFEE00000
	 * (the guest's physical map has nothing else above RAM). */
	if (ram_mib < (GUEST_RAM_MIN >> 20) || ram_mib > 3072 || ram_mib % 2)
		finish(false, "guest-ram= must be an even number of MiB "
			      "from 16 to 3072");
	uint64_t pool_mib = cmdline_uint(
		bi.cmdline, "shadow-pool=", SHADOW_POOL_DEFAULT >> 20);
	if (pool_mib < 1 || pool_mib > 512)
		finish(false, "shadow-pool= must be 1 to 512 MiB");
	if (!mem_init(&bi, ram_mib << 20, pool_mib << 20))
		finish(false, "memory layout");
	tsc_calibrate();
	kprintf("refvmx: TSC at %llu kHz (against the PIT)\n",
		(unsigned long long)(tsc_hz / 1000));
	idle_init();
	vcpu_stats_every =
		cmdline_uint(bi.cmdline, "stats-every=", 0) * (tsc_hz / 1000);
	struct guest_image img;
	if (!guest_load(bi.module[0].start, bi.module[0].end, &img))
		finish(false, "cannot load the guest");
	struct vcpu_boot boot = { .entry = img.entry };
	if (img.protocol == GUEST_MULTIBOOT1) {
		boot.eax = 0x2badb002; /* Multiboot 1, 3.2 "Machine state" */
		boot.ebx = mb1_info_build(&bi, &img);
		if (!boot.ebx)
			finish(false, "no room for the Multiboot information");
	} else if (img.protocol == GUEST_MULTIBOOT2) {
		boot.eax = 0x36d76289; /* Multiboot 2; no information */
	}
	kprintf("refvmx: guest '%s' loaded (%s%s), entry 0x%llx\n",
		bi.module[0].name,
		img.protocol == GUEST_MULTIBOOT1   ? "Multiboot 1"
		: img.protocol == GUEST_MULTIBOOT2 ? "Multiboot 2"
						   : "PVH",
		img.aout_kludge ? ", a.out kludge" : "",
		(unsigned long long)img.entry);
	/* A PVH guest (Linux) gets the PC platform: ports.h, ioapic.h. */
	ports_platform = img.protocol == GUEST_PVH;

	vmx_cpu_enable();
	__atomic_store_n(&bsp->in_vmx, true, __ATOMIC_RELEASE);
	smp_start_aps(&bi);
	if (img.protocol == GUEST_PVH) {
		/* The tables list every vCPU: after the APs came up. */
		firmware_build(nr_cpus);
		boot.ebx = pvh_start_info_build(&bi, &img);
		if (!boot.ebx)
			finish(false, "no room for the PVH start information");
	}

	/* The guest's CPUID (guest_cpu.c) decides what the library lets
	 * its control registers hold. */
	struct smmu_vm *vm;
	struct smmu_vm_config cfg = {
		.maxphyaddr = guest_cpu.maxphyaddr,
		.gbpages = guest_cpu.gbpages,
		.cpu_features = guest_cpu.smmu_features,
		.host_caps = vmx_host_caps,
	};
	kprintf("refvmx: guest PCID %s, INVPCID %s; host runs roots under "
		"hardware PCIDs %s, INVVPID of one address %s\n",
		guest_cpu.smmu_features & SMMU_CPU_PCID ? "shown" : "hidden",
		guest_cpu.smmu_features & SMMU_CPU_INVPCID ? "shown" : "hidden",
		vmx_host_caps & SMMU_HOST_PCID ? "yes" : "no",
		vmx_host_caps & SMMU_HOST_FLUSH_ADDR ? "yes" : "no");
	kprintf("refvmx: remote flushes by %s\n",
		flush_all ? "flush_all_cpus (flush=all)"
			  : "the flush engine (kick_cpus)");
	if (smmu_vm_create(&cfg,
			   flush_all ? &refvmx_host_ops_flush_all
				     : &refvmx_host_ops,
			   0, &vm) != SMMU_OK)
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
	vcpu_start(&bsp->vcpu, &boot);
	uart_flush();
	refvmx_print_stats(vm);
	if (!run_end.passed && run_end.vcpu != 0)
		kprintf("refvmx: vCPU %u ended the run\n", run_end.vcpu);
	finish(run_end.passed, run_end.why);
}
