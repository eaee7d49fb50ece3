/* SPDX-License-Identifier: MIT */
/*
 * Starting the second vCPU (32-bit stage, on a cleared mailbox): the
 * startup stub installed (runtime/startup_page.c), then the
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
#include "startup_page.h"
#include "x2apic.h"

bool remote_start(void)
{
	volatile struct mailbox *mb = mailbox();
	const uint8_t vector = STARTUP_PAGE_VECTOR;

	startup_page_install((uint32_t)second_vcpu_stack32_top(),
			     second_vcpu_main32);
	x2apic_send_init(SECOND_VCPU_ID);
	x2apic_send_startup(SECOND_VCPU_ID, vector);
	if (wait_for(&mb->second_alive, 1))
		return true;
	x2apic_send_startup(SECOND_VCPU_ID, vector);
	return wait_for(&mb->second_alive, 1);
}
