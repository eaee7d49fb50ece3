/* SPDX-License-Identifier: MIT */
/* The host's IDT: every exception prints the CPU state and stops. */
#ifndef REFVMX_IDT_H
#define REFVMX_IDT_H

void idt_init(void);
/* Load the IDT on this CPU (the BSP after idt_init, and each AP). */
void idt_load(void);

#endif
