/* SPDX-License-Identifier: MIT */
/*
 * The guest's I/O ports. COM1 (0x3F8-0x3FF) is passed through: the I/O
 * bitmap lets the guest drive the UART itself. Two ports end the run,
 * as they end a test under QEMU or Bochs:
 *   0xF4    an OUT of 1, 2 or 4 bytes ends it with that value as the
 *           guest's status, 0 meaning pass (QEMU's isa-debug-exit
 *           device, which kvm-unit-tests and the project's guests use);
 *   0x8900  the string "Shutdown", byte by byte, ends it as a failure
 *           (Bochs's shutdown port: a guest that powers off without a
 *           status has not passed).
 * Every other port reads as all ones and ignores writes: nothing is
 * there.
 */
#ifndef REFVMX_PORTS_H
#define REFVMX_PORTS_H

#include "vcpu.h"

#define TEST_EXIT_PORT 0xf4
#define SHUTDOWN_PORT  0x8900
#define STATS_PORT     0xf5

/*
 * A PVH guest (a Linux kernel) gets a PC platform instead (set
 * ports_platform before its vCPUs start):
 *   0x3F8-0x3FF  a virtual 16550A with its interrupt (uart.c), not the
 *                real COM1;
 *   0x20, 0x21, 0xA0, 0xA1  the 8259s, initialised and masked, never
 *                raising anything;
 *   0x600-0x60B  ACPI PM1a status/enable, PM1a control (SLP_EN with
 *                SLP_TYP 5 powers off: the run ends as passed, "refvmx:
 *                guest powered off"), the PM timer (firmware.h);
 *   0x64 <- 0xFE, 0xCF9 <- reset: the run ends as failed;
 *   0xF5 (a write) prints the statistics so far (the in-guest workload
 *                marks its start and end with it);
 *   0x40-0x43, 0x61 (PIT, its channel 2 gate), 0x70-0x71 (CMOS, RTC)
 *                passed through to the machine's own, which refvmx no
 *                longer uses once it runs guests.
 */
extern bool ports_platform;

/* An I/O-instruction exit. */
void ports_io(struct vcpu *v);

#endif
