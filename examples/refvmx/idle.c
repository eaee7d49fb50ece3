/* SPDX-License-Identifier: MIT */
#include "idle.h"

#include <vmx_asm.h>

#include "cpu.h"
#include "lapic.h"

static bool have_mwait;

void idle_init(void)
{
	have_mwait = x86_cpuid(1, 0).ecx & (1u << 3);
	lapic_timer_calibrate();
}

void idle_monitor(const volatile void *p)
{
	if (have_mwait)
		__asm__ volatile("monitor" : : "a"(p), "c"(0), "d"(0));
}

void idle_wait(uint64_t tsc_due, bool watched)
{
	if (watched && !have_mwait) {
		cpu_relax();
		return;
	}
	lapic_timer_oneshot(tsc_due);
	/* STI's shadow covers the next instruction: an interrupt that
	 * came after the caller's last look ends the sleep at once. */
	if (watched)
		__asm__ volatile("sti; mwait; cli"
				 :
				 : "a"(0), "c"(0)
				 : "memory");
	else
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	if (tsc_due)
		lapic_timer_oneshot(0);
}
