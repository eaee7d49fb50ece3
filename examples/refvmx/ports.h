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

/* An I/O-instruction exit. */
void ports_io(struct vcpu *v);

#endif
