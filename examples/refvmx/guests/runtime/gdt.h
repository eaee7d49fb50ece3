/* SPDX-License-Identifier: MIT */
/*
 * Selectors of the guest's own GDT (built in boot.S). Both stages use it:
 * the 32-bit stage's IDT gates name GDT_CODE32, the 64-bit stage's name
 * GDT_CODE64, and the 5-level switch passes through GDT_CODE32 because
 * CR0.PG can only be cleared outside 64-bit mode.
 */
#ifndef GUEST_GDT_H
#define GUEST_GDT_H

#define GDT_CODE32 0x08 /* flat 4 GiB, 32-bit code */
#define GDT_DATA   0x10 /* flat 4 GiB, read/write data */
#define GDT_CODE64 0x18 /* 64-bit code (L=1) */

#endif /* GUEST_GDT_H */
