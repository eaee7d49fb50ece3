/* SPDX-License-Identifier: MIT */
#include "ports.h"

#include <vmx_exit.h>
#include <vmx_fields.h>

#include "console.h"
#include "firmware.h"
#include "tsc.h"
#include "uart.h"

bool ports_platform;

static const char shutdown_string[] = "Shutdown";

static uint64_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
}

static void test_exit(struct vcpu *v, uint32_t status)
{
	kprintf("refvmx: guest wrote status %u (0x%x) to the test-exit port "
		"(vCPU %u)\n",
		status, status, v->index);
	run_end.status = status;
	vcpu_end_run(v, status == 0,
		     status ? "the guest reported failures" : 0);
}

static void shutdown_byte(struct vcpu *v, uint8_t c)
{
	/* A byte out of sequence starts the match again (at its own
	 * position if it is the first letter). */
	if (c != (uint8_t)shutdown_string[v->shutdown_chars])
		v->shutdown_chars = 0;
	if (c != (uint8_t)shutdown_string[v->shutdown_chars])
		return;
	if (++v->shutdown_chars < sizeof(shutdown_string) - 1)
		return;
	v->shutdown_chars = 0;
	kprintf("refvmx: guest wrote \"Shutdown\" to port 0x%x (vCPU %u)\n",
		SHUTDOWN_PORT, v->index);
	vcpu_end_run(v, false,
		     "the guest shut down without a test-exit "
		     "status");
}

/* ---- the PC platform of a PVH guest (ports.h) ---- */

/* The two 8259s, masked: ICW1-ICW4 are followed, OCW1 (the mask) is
 * kept and read back, nothing is ever raised. */
static struct {
	uint8_t imr, step, icw4;
} pic[2] = { { 0xff, 0, 0 }, { 0xff, 0, 0 } };

static uint8_t pic_access(unsigned chip, bool data, bool write, uint8_t val)
{
	if (!write)
		return data ? pic[chip].imr : 0; /* IRR/ISR: nothing */
	if (!data) {
		if (val & 0x10) { /* ICW1 */
			pic[chip].step = 1;
			pic[chip].icw4 = val & 1;
			pic[chip].imr = 0;
		}
		return 0; /* OCW2, OCW3 */
	}
	switch (pic[chip].step) {
	case 1: /* ICW2: the vector base */
		pic[chip].step = 2;
		break;
	case 2: /* ICW3: the cascade */
		pic[chip].step = pic[chip].icw4 ? 3 : 0;
		break;
	case 3: /* ICW4 */
		pic[chip].step = 0;
		break;
	default: /* OCW1 */
		pic[chip].imr = val;
		break;
	}
	return 0;
}

/* ACPI fixed hardware (the FADT's blocks): PM1a status (write 1 to
 * clear; nothing ever sets a bit), enable, control (SCI_EN always
 * set: there is no legacy mode), and the 24-bit PM timer at 3.579545
 * MHz, from the TSC. */
#define PM1_SCI_EN  0x0001u
#define PM1_SLP_EN  0x2000u
#define PM1_SLP_TYP 0x1c00u
#define PM_TIMER_HZ 3579545ull

static uint16_t pm1_status, pm1_enable, pm1_control = PM1_SCI_EN;

static uint32_t pm_timer(void)
{
	uint64_t t = rdtsc(), hz = tsc_hz ? tsc_hz : 1;
	return (uint32_t)((t / hz) * PM_TIMER_HZ +
			  (t % hz) * PM_TIMER_HZ / hz) &
	       0xffffff;
}

static void pm1_control_write(struct vcpu *v, uint16_t val)
{
	pm1_control = (uint16_t)((val & ~PM1_SLP_EN) | PM1_SCI_EN);
	if (!(val & PM1_SLP_EN))
		return;
	unsigned type = (val & PM1_SLP_TYP) >> 10;
	if (type == 5) {
		kprintf("refvmx: guest powered off (ACPI S5, vCPU %u)\n",
			v->index);
		vcpu_end_run(v, true, 0);
	} else {
		kprintf("refvmx: guest asked for sleep type %u (vCPU %u)\n",
			type, v->index);
		vcpu_fail(v, "the guest entered a sleep state refvmx lacks");
	}
}

/* A platform port: true if it is one (the access done, IN's value in
 * *val), false for nothing there. */
static bool platform_io(struct vcpu *v, uint16_t port, unsigned size, bool in,
			uint32_t *val)
{
	uint32_t out = 0;
	if (port >= UART_BASE && port < UART_BASE + 8) {
		out = uart_access(port - UART_BASE, !in, (uint8_t)*val);
		if (size > 1)
			out |= ~0u << 8;
	} else if (port == 0x20 || port == 0x21 || port == 0xa0 ||
		   port == 0xa1) {
		out = pic_access(port >= 0xa0, port & 1, !in, (uint8_t)*val);
	} else if (port >= PM1A_EVT_PORT && port < PM1A_EVT_PORT + 4) {
		bool enable = port >= PM1A_EVT_PORT + 2;
		if (!in && enable)
			pm1_enable = (uint16_t)*val;
		else if (!in)
			pm1_status &= (uint16_t) ~*val;
		out = enable ? pm1_enable : pm1_status;
	} else if (port == PM1A_CNT_PORT) {
		if (!in)
			pm1_control_write(v, (uint16_t)*val);
		out = pm1_control;
	} else if (port == PM_TMR_PORT) {
		out = pm_timer();
	} else if (port == STATS_PORT && !in) {
		/* The guest's workload marks its start and end: the
		 * statistics so far, which the two lines' difference makes
		 * the workload's own. */
		kprintf("refvmx: statistics at the guest's mark %u (vCPU "
			"%u):\n",
			*val & 0xff, v->index);
		refvmx_print_stats(v->vm);
	} else if ((port == 0x64 && !in && (uint8_t)*val == 0xfe) ||
		   (port == 0xcf9 && !in && (*val & 4))) {
		kprintf("refvmx: guest reset the machine (port 0x%x, vCPU "
			"%u)\n",
			port, v->index);
		vcpu_fail(v, "the guest reset the machine");
	} else {
		return false;
	}
	*val = out;
	return true;
}

void ports_io(struct vcpu *v)
{
	struct vmx_io_access q =
		vmx_decode_io(vmcs_read(VMCS_EXIT_QUALIFICATION));
	if (q.string) {
		kprintf("refvmx: vCPU %u: string I/O to port 0x%x at rip "
			"0x%llx\n",
			v->index, q.port,
			(unsigned long long)vmcs_read(VMCS_GUEST_RIP));
		vcpu_fail(v, "string I/O to an emulated port");
		return;
	}
	uint64_t mask = size_mask(q.size);
	if (!q.in && q.port == TEST_EXIT_PORT) {
		test_exit(v, (uint32_t)(v->regs.rax & mask));
		return;
	}
	if (!q.in && q.port == SHUTDOWN_PORT && q.size == 1) {
		vcpu_skip_instruction();
		shutdown_byte(v, (uint8_t)v->regs.rax);
		return;
	}
	uint32_t val = (uint32_t)(v->regs.rax & mask);
	if (ports_platform && platform_io(v, q.port, q.size, q.in, &val)) {
		if (v->done)
			return;
		if (q.in)
			v->regs.rax = q.size == 4 ? (val & mask)
						  : (v->regs.rax & ~mask) |
							    (val & mask);
		vcpu_skip_instruction();
		return;
	}
	/* Nothing else is there: reads float high, writes vanish. */
	/* (IN EAX zero-extends into RAX, as any 32-bit result does.) */
	if (q.in)
		v->regs.rax = q.size == 4 ? mask : (v->regs.rax & ~mask) | mask;
	vcpu_skip_instruction();
}
