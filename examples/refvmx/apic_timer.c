/* SPDX-License-Identifier: MIT */
#include "apic_timer.h"

#include "vapic.h"
#include "vcpu.h"

#define LVT_TIMER	   0 /* index of the timer's LVT entry */
#define LVT_MASKED	   (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Divide configuration 3, 1:0 (SDM figure 10-10): 2^((value + 1) & 7). */
static uint64_t divisor(const struct apic_timer *t)
{
	unsigned v = ((t->divide >> 1) & 4) | (t->divide & 3);
	return 1ull << ((v + 1) & 7);
}

static uint64_t period(const struct apic_timer *t)
{
	return (uint64_t)t->initial * divisor(t);
}

static bool periodic(const struct vcpu *v)
{
	return v->apic.lvt[LVT_TIMER] & LVT_TIMER_PERIODIC;
}

/* Bring the timer up to `now` under the current mode. */
static void update(struct vcpu *v, uint64_t now)
{
	struct apic_timer *t = &v->apic.timer;
	if (!t->running)
		return;
	uint64_t p = period(t), elapsed = now - t->start;
	if (elapsed < p)
		return;
	uint32_t lvt = v->apic.lvt[LVT_TIMER];
	if (!(lvt & LVT_MASKED))
		vapic_post_local(v, (uint8_t)lvt);
	if (periodic(v))
		t->start += elapsed / p * p; /* expiries missed are one */
	else
		t->running = false;
}

void apic_timer_check(struct vcpu *v)
{
	update(v, rdtsc());
}

void apic_timer_write_initial(struct vcpu *v, uint32_t count)
{
	struct apic_timer *t = &v->apic.timer;
	/* A write restarts the count; 0 stops it (SDM 10.5.4). */
	t->initial = count;
	t->running = count != 0;
	t->start = rdtsc();
}

uint32_t apic_timer_current(struct vcpu *v)
{
	struct apic_timer *t = &v->apic.timer;
	uint64_t now = rdtsc();
	update(v, now);
	if (!t->running)
		return 0;
	return t->initial - (uint32_t)((now - t->start) / divisor(t));
}

void apic_timer_write_divide(struct vcpu *v, uint32_t dcr)
{
	struct apic_timer *t = &v->apic.timer;
	uint64_t now = rdtsc();
	update(v, now);
	uint32_t left = apic_timer_current(v);
	t->divide = dcr & 0xb;
	/* The count goes on from where it is, at the new rate. */
	if (t->running)
		t->start = now - (uint64_t)(t->initial - left) * divisor(t);
}

void apic_timer_before_lvt_write(struct vcpu *v)
{
	update(v, rdtsc());
}

uint64_t apic_timer_due_in(struct vcpu *v)
{
	struct apic_timer *t = &v->apic.timer;
	uint64_t now = rdtsc();
	update(v, now);
	if (!t->running)
		return 0;
	uint64_t due = t->start + period(t);
	return due > now ? due - now : 1;
}
