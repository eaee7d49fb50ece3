/* SPDX-License-Identifier: MIT */
#include "startup_page.h"

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
	return (volatile void *)(uintptr_t)(LAYOUT_STARTUP_PAGE +
					    (slot - startup_stub));
}

void startup_page_install(uint32_t stack_top,
			  void (*entry)(uint32_t entered_in_real_mode))
{
	volatile uint8_t *page =
		(volatile uint8_t *)(uintptr_t)LAYOUT_STARTUP_PAGE;
	struct gdtr32 gdtr;

	for (const char *c = startup_stub; c < startup_stub_end; c++)
		page[c - startup_stub] = (uint8_t)*c;
	/* The GDT boot.S loaded, wherever the image put it. */
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	*(volatile struct gdtr32 *)at_startup_page(startup_stub_gdtr) = gdtr;
	*(volatile uint32_t *)at_startup_page(startup_stub_stack) = stack_top;
	*(volatile uint32_t *)at_startup_page(startup_stub_entry) =
		(uint32_t)(uintptr_t)entry;
}
