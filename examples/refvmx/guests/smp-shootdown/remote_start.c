/* SPDX-License-Identifier: MIT */
/*
 * Starting the second vCPU (32-bit stage, on a cleared mailbox): the
 * startup stub copied to STARTUP_PAGE with its slots filled, then the
 * INIT-STARTUP-STARTUP sequence of SDM vol. 3, 8.4.4.1, each STARTUP
 * followed by a bounded wait for the second vCPU's answer.
 *
 * The SDM's 10 ms after INIT and 200 us between the STARTUPs assume a
 * timer this guest does not use. Neither Bochs nor refvmx needs them, and
 * on hardware a slow second vCPU is still caught by the long bounded
 * wait after each STARTUP. The second STARTUP is only sent when the first
 * got no answer: refvmx ignores (and logs) one to a running vCPU.
 */
#include "remote.h"

#include "second_vcpu.h"
#include "x2apic.h"

/* startup_stub.S */
extern const char startup_stub[], startup_stub_end[];
extern const char startup_stub_gdtr[], startup_stub_stack[],
	startup_stub_entry[];

struct __attribute__((packed)) gdtr32 {
	uint16_t limit;
	uint32_t base;
};

/* The stub's copy of a slot. */
static volatile void *at_startup_page(const char *slot)
{
	return (volatile void *)(uintptr_t)(STARTUP_PAGE +
					    (slot - startup_stub));
}

static void install_stub(void)
{
	volatile uint8_t *page = (volatile uint8_t *)(uintptr_t)STARTUP_PAGE;
	struct gdtr32 gdtr;

	for (const char *c = startup_stub; c < startup_stub_end; c++)
		page[c - startup_stub] = (uint8_t)*c;
	/* The GDT boot.S loaded, wherever the image put it. */
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	*(volatile struct gdtr32 *)at_startup_page(startup_stub_gdtr) = gdtr;
	*(volatile uint32_t *)at_startup_page(startup_stub_stack) =
		(uint32_t)second_vcpu_stack32_top();
	*(volatile uint32_t *)at_startup_page(startup_stub_entry) =
		(uint32_t)(uintptr_t)second_vcpu_main32;
}

bool remote_start(void)
{
	volatile struct mailbox *mb = mailbox();
	const uint8_t vector = STARTUP_PAGE >> 12;

	install_stub();
	x2apic_send_init(SECOND_VCPU_ID);
	x2apic_send_startup(SECOND_VCPU_ID, vector);
	if (wait_for(&mb->second_alive, 1))
		return true;
	x2apic_send_startup(SECOND_VCPU_ID, vector);
	return wait_for(&mb->second_alive, 1);
}
