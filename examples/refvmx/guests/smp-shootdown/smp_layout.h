/* SPDX-License-Identifier: MIT */
/*
 * Where smp-shootdown's two vCPUs meet: fixed addresses and vectors that
 * both stages and the startup stub agree on. The stages are linked
 * separately, so anything both vCPUs touch across them lives at a fixed
 * physical address, identity-mapped in every paging mode (layout.h).
 *
 * Included from assembly: plain numbers only.
 */
#ifndef SMP_LAYOUT_H
#define SMP_LAYOUT_H

#include "layout.h"

/* The page a STARTUP IPI sends the second vCPU to (layout.h). */
#define STARTUP_PAGE LAYOUT_STARTUP_PAGE

/* The mailbox (mailbox.h): the last of the data pages. */
#define MAILBOX_PAGE (LAYOUT_DATA_PAGES_END - 0x1000)

/* x2APIC IDs, which are vCPU numbers under refvmx and Bochs's CPU
 * numbers natively. */
#define BOOT_VCPU_ID   0
#define SECOND_VCPU_ID 1

/* Interrupt vectors. Above the exceptions and the 0x20-0x2f a BIOS may
 * leave the 8259s on; nothing else sends them. */
#define SHOOTDOWN_VECTOR 0x40
#define SELF_IPI_VECTOR	 0x41
/* The local APIC's spurious-interrupt vector (SVR); its low four bits
 * are all ones, as older APICs require. */
#define SPURIOUS_VECTOR 0xff

#endif /* SMP_LAYOUT_H */
