/* SPDX-License-Identifier: MIT */
#include "idt.h"

#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include "lapic.h"

#define NR_EXCEPTIONS 22

struct idt_gate {
	uint16_t offset_lo, selector;
	uint8_t ist, type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi, reserved;
} __attribute__((packed));

/* What isr.S pushed, lowest address first. */
struct exception_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

extern const uint64_t isr_table[NR_EXCEPTIONS];
extern char wake_isr[], spurious_isr[];
static struct idt_gate idt[256] __attribute__((aligned(16)));

void exception_report(const struct exception_frame *f);

void exception_report(const struct exception_frame *f)
{
	panic("host exception %llu error 0x%llx at rip 0x%llx rsp 0x%llx "
	      "cr2 0x%llx\n  rax 0x%llx rbx 0x%llx rcx 0x%llx rdx 0x%llx rsi "
	      "0x%llx rdi 0x%llx",
	      (unsigned long long)f->vector, (unsigned long long)f->error,
	      (unsigned long long)f->rip, (unsigned long long)f->rsp,
	      (unsigned long long)read_cr2(), (unsigned long long)f->rax,
	      (unsigned long long)f->rbx, (unsigned long long)f->rcx,
	      (unsigned long long)f->rdx, (unsigned long long)f->rsi,
	      (unsigned long long)f->rdi);
}

static void set_gate(unsigned v, uint64_t a)
{
	idt[v] = (struct idt_gate){ .offset_lo = (uint16_t)a,
				    .selector = 0x08,
				    .type_attr = 0x8e, /* interrupt gate */
				    .offset_mid = (uint16_t)(a >> 16),
				    .offset_hi = (uint32_t)(a >> 32) };
}

void idt_init(void)
{
	for (unsigned v = 0; v < NR_EXCEPTIONS; v++)
		set_gate(v, isr_table[v]);
	set_gate(IPI_VECTOR, (uint64_t)wake_isr);
	set_gate(WAKE_TIMER_VECTOR, (uint64_t)wake_isr);
	set_gate(0xff, (uint64_t)spurious_isr);
	idt_load();
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(ptr));
}
