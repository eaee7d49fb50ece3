/* SPDX-License-Identifier: MIT */
#include "cpu.h"

#define BIT(n) (UINT32_C(1) << (n))

void cpu_caps_read(struct cpu_caps *caps)
{
	uint32_t r[4];
	uint32_t max_basic, max_extended;

	cpuid(0, 0, r);
	max_basic = r[0];
	cpuid(0x80000000, 0, r);
	max_extended = r[0];

	cpuid(1, 0, r);
	caps->pse = r[3] & BIT(3);
	caps->pae = r[3] & BIT(6);
	caps->pge = r[3] & BIT(13);
	caps->pcid = r[2] & BIT(17);

	caps->la57 = caps->invpcid = false;
	if (max_basic >= 7) {
		cpuid(7, 0, r);
		caps->la57 = r[2] & BIT(16);
		caps->invpcid = r[1] & BIT(10);
	}

	caps->nx = caps->page_1g = caps->long_mode = false;
	if (max_extended >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		caps->nx = r[3] & BIT(20);
		caps->page_1g = r[3] & BIT(26);
		caps->long_mode = r[3] & BIT(29);
	}

	/* SDM 4.1.4: without leaf 80000008H, MAXPHYADDR is 36 with PAE. */
	caps->maxphyaddr = 36;
	if (max_extended >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		caps->maxphyaddr = r[0] & 0xff;
	}
}

bool cpu_under_refvmx(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & BIT(31)))
		return false;
	cpuid(0x40000000, 0, r);
	/* "RefVMXshadow" in EBX, ECX, EDX */
	return r[1] == 0x56666552u && r[2] == 0x6873584du &&
	       r[3] == 0x776f6461u;
}
