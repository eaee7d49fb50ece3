/* SPDX-License-Identifier: MIT */
#include "tsc.h"

#include <vmx_asm.h>

uint64_t tsc_hz;

#define PIT_HZ	    1193182ull
#define PIT_TICKS   59659u /* 50 ms */
#define PORT_B	    0x61   /* bit 0: channel 2 gate, bit 5: its output */
#define PIT_CH2	    0x42
#define PIT_COMMAND 0x43

void tsc_calibrate(void)
{
	/* Gate on, speaker off; channel 2, low then high byte, mode 0
	 * (the output rises when the count reaches zero). */
	x86_outb(PORT_B, (uint8_t)((x86_inb(PORT_B) & ~0x02) | 0x01));
	x86_outb(PIT_COMMAND, 0xb0);
	x86_outb(PIT_CH2, PIT_TICKS & 0xff);
	x86_outb(PIT_CH2, PIT_TICKS >> 8);
	uint64_t t0 = rdtsc();
	while (!(x86_inb(PORT_B) & 0x20))
		;
	uint64_t cycles = rdtsc() - t0;
	/* Whole kHz: what CPUID 15H's crystal can state exactly. */
	tsc_hz = cycles * PIT_HZ / PIT_TICKS / 1000 * 1000;
}
