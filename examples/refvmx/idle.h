/* SPDX-License-Identifier: MIT */
/*
 * Waiting without spinning. A CPU with nothing to do (its vCPU halted,
 * or parked until the guest starts it) sleeps with interrupts on until
 * what it waits for may have happened: HLT until an interrupt (the
 * wake-up IPI other CPUs send when they post an interrupt, an NMI or a
 * flush request, or the host's one-shot timer for the vCPU's APIC
 * timer), or MONITOR/MWAIT on the memory the guest writes to start it
 * (the wakeup mailbox, or the STARTUP flag), where the CPU has them.
 * Under Bochs a sleeping CPU costs nothing, where a spinning one takes
 * its share of the emulator: a second CPU parked until Linux wakes it,
 * or idle, used to halve the first one's speed. Every wait may end
 * early: callers look again.
 */
#ifndef REFVMX_IDLE_H
#define REFVMX_IDLE_H

#include <stdbool.h>
#include <stdint.h>

/* On the boot CPU, once its local APIC and tsc_hz are set up. */
void idle_init(void);
/* Arm MONITOR on the line of p (when the CPU has MONITOR/MWAIT); the
 * caller then checks what it waits for and calls idle_wait(.., true). */
void idle_monitor(const volatile void *p);
/* Sleep, interrupts off on entry and on return: MWAIT on the armed
 * line if `watched` (a spin step without MWAIT), else HLT; the host's
 * timer ends it after tsc_due TSC cycles (0: no timer). */
void idle_wait(uint64_t tsc_due, bool watched);

#endif
