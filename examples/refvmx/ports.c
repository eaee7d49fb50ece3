/* SPDX-License-Identifier: MIT */
#include "ports.h"

#include <vmx_exit.h>
#include <vmx_fields.h>

#include "console.h"

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
	/* Nothing else is there: reads float high, writes vanish. */
	/* (IN EAX zero-extends into RAX, as any 32-bit result does.) */
	if (q.in)
		v->regs.rax = q.size == 4 ? mask : (v->regs.rax & ~mask) | mask;
	vcpu_skip_instruction();
}
