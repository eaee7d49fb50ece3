/* SPDX-License-Identifier: MIT */
/*
 * What firmware would leave in guest memory for an operating system
 * booted by the PVH protocol (pvh.c): the ACPI tables that describe
 * refvmx's virtual platform, and the application processors' wakeup
 * mailbox with what they start on.
 *
 * All of it lies in guest-physical [0xE0000, 0x100000), which the
 * memory map reserves (a PC's BIOS area):
 *
 *   0xE0000  RSDP (revision 2), then XSDT, RSDT, MADT, FADT, FACS, DSDT
 *   0xE1000  the multiprocessor wakeup mailbox (ACPI 6.4, 5.2.12.19)
 *   0xE2000  identity page tables for the first 4 GiB (PML4, PDPT and
 *            four page directories of 2 MiB pages), for the APs
 *   0xE8000  a GDT for the APs (64-bit code 0x08, data 0x10)
 *   0xF0000  the PVH start information (pvh.c)
 *
 * The platform the tables describe (ACPI 6.4):
 * - MADT: one enabled Processor Local APIC per vCPU (APIC ID = vCPU
 *   number), the I/O APIC (ioapic.c) at 0xFEC00000 with GSIs 0-23,
 *   ISA IRQ 0 on GSI 2 and the SCI (IRQ 9) level-triggered active high,
 *   LINT1 as NMI, PC-AT-compatible 8259s (masked, ports.c), and with more
 *   than one vCPU the Multiprocessor Wakeup structure: the APs start
 *   through the mailbox instead of INIT-SIPI-SIPI (they would start in
 *   real mode, which VMX without unrestricted guest cannot run);
 * - FADT: no SMI command port (always in ACPI mode), SCI on IRQ 9, the
 *   PM1a event and control blocks and the 24-bit PM timer at I/O ports
 *   0x600-0x60B (ports.c), no GPE blocks, no 8042, no VGA, no MSI, no
 *   ASPM, no CMOS RTC; FACS; DSDT with only \_S5 (SLP_TYP 5), so the OS
 *   can power off: SLP_EN with SLP_TYP 5 in PM1a control ends the run.
 * No HPET, no MCFG, no PCI.
 */
#ifndef REFVMX_FIRMWARE_H
#define REFVMX_FIRMWARE_H

#include <stdbool.h>
#include <stdint.h>

#define FW_BASE	       0xe0000u
#define FW_END	       0x100000u
#define FW_RSDP	       0xe0000u
#define FW_MAILBOX     0xe1000u
#define FW_AP_PML4     0xe2000u
#define FW_AP_GDT      0xe8000u
#define FW_START_INFO  0xf0000u
#define FW_AP_CODE_SEL 0x08
#define FW_AP_DATA_SEL 0x10

#define IOAPIC_BASE 0xfec00000u
#define LAPIC_BASE  0xfee00000u

/* The ACPI fixed-hardware ports (FADT): PM1a event block (status,
 * enable), PM1a control, PM timer. */
#define PM1A_EVT_PORT 0x600
#define PM1A_CNT_PORT 0x604
#define PM_TMR_PORT   0x608
#define SCI_IRQ	      9

/* Write the tables, mailbox, AP page tables and GDT for nr_vcpus vCPUs
 * into guest RAM. */
void firmware_build(unsigned nr_vcpus);

/* Whether the firmware's mailbox is in use (firmware_build ran with more
 * than one vCPU): parked APs watch it. */
extern bool firmware_mailbox;

/* A parked AP looks at the mailbox: true if the guest asked vCPU `index`
 * to wake up, with *vector the 64-bit entry it gave (the command is then
 * acknowledged, as the specification's AP does). */
bool firmware_mailbox_poll(unsigned index, uint64_t *vector);
/* The same without acknowledging; and the command's host address (what
 * a parked AP's MONITOR watches, idle.h). */
bool firmware_mailbox_pending(unsigned index);
const volatile void *firmware_mailbox_command(void);

#endif
