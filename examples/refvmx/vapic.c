/* SPDX-License-Identifier: MIT */
#include "vapic.h"

#include <vmx_fields.h>

#include "console.h"
#include "cpu.h"
#include "guest_cpu.h"
#include "idle.h"
#include "percpu.h"
#include "vcpu.h"

/* IA32_APIC_BASE (SDM 10.4.4). */
#define BASE_BSP  (1ull << 8)
#define BASE_EXTD (1ull << 10)
#define BASE_EN	  (1ull << 11)
#define BASE_ADDR 0xfee00000ull

/* Register offsets in the xAPIC page (SDM table 10-1); the x2APIC MSR
 * of each is 0x800 + offset / 16 (table 10-6). */
enum {
	REG_ID = 0x20,
	REG_VERSION = 0x30,
	REG_TPR = 0x80,
	REG_APR = 0x90,
	REG_PPR = 0xa0,
	REG_EOI = 0xb0,
	REG_RRD = 0xc0,
	REG_LDR = 0xd0,
	REG_DFR = 0xe0,
	REG_SVR = 0xf0,
	REG_ISR = 0x100,
	REG_TMR = 0x180,
	REG_IRR = 0x200,
	REG_ESR = 0x280,
	REG_ICR_LOW = 0x300,
	REG_ICR_HIGH = 0x310,
	REG_LVT_TIMER = 0x320, /* then thermal, perf, LINT0, LINT1, error */
	REG_TIMER_INITIAL = 0x380,
	REG_TIMER_CURRENT = 0x390,
	REG_TIMER_DIVIDE = 0x3e0,
	REG_SELF_IPI = 0x3f0, /* x2APIC only */
};

/* Version: an integrated APIC (0x14), LVT entries 0-5, no EOI-broadcast
 * suppression. */
#define VERSION			   (0x14u | (5u << 16))
#define SVR_ENABLE		   (1u << 8)
#define LVT_MASKED		   (1u << 16)
#define ICR_BUSY		   (1u << 12)
#define ICR_LOGICAL		   (1u << 11)
#define ICR_LEVEL		   (1u << 14)
#define ICR_TRIGGER		   (1u << 15)
#define ESR_SEND_ILLEGAL_VECTOR	   (1u << 5)
#define ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)

/* What software may write in each LVT (SDM figure 10-8); delivery
 * status and remote IRR are read-only. The timer has no TSC-deadline
 * mode here (bit 18). */
static const uint32_t lvt_writable[VAPIC_NR_LVT] = {
	0x000300ff, /* timer: vector, mask, periodic */
	0x000107ff, /* thermal: vector, delivery mode, mask */
	0x000107ff, /* performance counters */
	0x0001a7ff, /* LINT0: + polarity, trigger mode */
	0x0001a7ff, /* LINT1 */
	0x000100ff, /* error: vector, mask */
};

enum delivery_mode {
	DM_FIXED = 0,
	DM_LOWEST = 1,
	DM_SMI = 2,
	DM_NMI = 4,
	DM_INIT = 5,
	DM_STARTUP = 6,
};

static bool x2apic_mode(const struct vapic *a)
{
	return (a->base & (BASE_EN | BASE_EXTD)) == (BASE_EN | BASE_EXTD);
}

static bool xapic_mode(const struct vapic *a)
{
	return (a->base & (BASE_EN | BASE_EXTD)) == BASE_EN;
}

bool vapic_enabled(const struct vcpu *v)
{
	return v->apic.base & BASE_EN;
}

static int highest(const volatile uint64_t *bits)
{
	for (int w = 3; w >= 0; w--) {
		uint64_t b = __atomic_load_n(&bits[w], __ATOMIC_ACQUIRE);
		if (b)
			return w * 64 + 63 - __builtin_clzll(b);
	}
	return -1;
}

static void reset_registers(struct vcpu *v)
{
	struct vapic *a = &v->apic;
	a->xapic_id = v->index << 24;
	a->svr = 0xff;
	a->ldr = 0;
	a->dfr = 0xffffffffu;
	a->esr = a->esr_pending = 0;
	a->icr_low = a->icr_high = 0;
	a->timer = (struct apic_timer){ 0 };
	for (unsigned i = 0; i < VAPIC_NR_LVT; i++)
		a->lvt[i] = LVT_MASKED;
	for (unsigned w = 0; w < 4; w++) {
		__atomic_store_n(&a->irr[w], 0, __ATOMIC_RELEASE);
		a->isr[w] = 0;
	}
}

void vapic_reset(struct vcpu *v)
{
	v->apic.base = BASE_ADDR | BASE_EN | (v->index == 0 ? BASE_BSP : 0);
	v->apic.tpr = 0;
	reset_registers(v);
}

/* ---- priorities (SDM 10.8.3) ---- */

static uint32_t ppr(const struct vapic *a)
{
	int isrv = highest(a->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	return (a->tpr & 0xf0) >= isr_class ? a->tpr & 0xff : isr_class;
}

bool vapic_interrupt_ready(struct vcpu *v)
{
	int vec = highest(v->apic.irr);
	return vec >= 0 && ((uint32_t)vec & 0xf0) > (ppr(&v->apic) & 0xf0);
}

int vapic_accept(struct vcpu *v)
{
	if (!vapic_interrupt_ready(v))
		return -1;
	int vec = highest(v->apic.irr);
	__atomic_fetch_and(&v->apic.irr[vec / 64], ~(1ull << (vec % 64)),
			   __ATOMIC_ACQ_REL);
	v->apic.isr[vec / 64] |= 1ull << (vec % 64);
	return vec;
}

static void eoi(struct vcpu *v)
{
	int vec = highest(v->apic.isr);
	if (vec >= 0)
		v->apic.isr[vec / 64] &= ~(1ull << (vec % 64));
}

void vapic_set_cr8(struct vcpu *v, uint64_t cr8)
{
	v->apic.tpr = (uint32_t)(cr8 & 0xf) << 4;
}

uint64_t vapic_cr8(const struct vcpu *v)
{
	return v->apic.tpr >> 4;
}

bool vapic_halt(struct vcpu *v)
{
	bool can_take_interrupts = vmcs_read(VMCS_GUEST_RFLAGS) & (1u << 9);
	if (!can_take_interrupts &&
	    !__atomic_load_n(&v->ev.nmi_pending, __ATOMIC_ACQUIRE))
		return false;
	/* Waiting, the vCPU runs nowhere: remote flushes wait for its
	 * next entry without an interrupt (smmu_vcpu_put), and it comes
	 * back to the same CPU (smmu_vcpu_load, which owes no flush). */
	bool put = false;
	while (!__atomic_load_n(&v->ev.nmi_pending, __ATOMIC_ACQUIRE) &&
	       !(can_take_interrupts && vapic_interrupt_ready(v)) &&
	       !__atomic_load_n(&run_end.over, __ATOMIC_ACQUIRE)) {
		if (!put) {
			smmu_vcpu_put(v->mmu);
			put = true;
		}
		cpu_serve_requests();
		apic_timer_check(v);
		if (__atomic_load_n(&v->ev.nmi_pending, __ATOMIC_ACQUIRE) ||
		    (can_take_interrupts && vapic_interrupt_ready(v)))
			break;
		/* Whoever posts an interrupt or NMI here sends an IPI
		 * (cpu_kick); the APIC timer wakes it by the host's. */
		idle_wait(apic_timer_due_in(v), false);
	}
	if (put)
		smmu_vcpu_load(v->mmu, v->index);
	return true;
}

/* ---- IPIs (SDM 10.6) ---- */

/* A fixed interrupt arrives at vCPU t: only an enabled APIC accepts it
 * (SDM 10.4.7.2), and vectors 0-15 are illegal (10.5.3). */
static void post_fixed(unsigned t, uint8_t vector)
{
	struct vapic *a = &cpus[t].vcpu.apic;
	if (!(a->base & BASE_EN) || !(a->svr & SVR_ENABLE))
		return;
	if (vector < 16) {
		__atomic_fetch_or(&a->esr_pending, ESR_RECEIVE_ILLEGAL_VECTOR,
				  __ATOMIC_RELAXED);
		return;
	}
	__atomic_fetch_or(&a->irr[vector / 64], 1ull << (vector % 64),
			  __ATOMIC_ACQ_REL);
	cpu_kick(t);
}

void vapic_post_local(struct vcpu *v, uint8_t vector)
{
	post_fixed(v->index, vector);
}

static void start_vcpu(struct vcpu *v, unsigned target, uint8_t vector)
{
	if (target == 0 || cpus[target].guest_started) {
		kprintf("refvmx: vCPU %u: STARTUP IPI to vCPU %u ignored (it "
			"runs)\n",
			v->index, target);
		return;
	}
	cpus[target].guest_entry = (uint64_t)vector << 12;
	__atomic_store_n(&cpus[target].guest_started, true, __ATOMIC_RELEASE);
}

/* Whether vCPU t is a destination of `dest`, read as an x2APIC (x2) or
 * xAPIC destination. */
static bool is_destination_as(bool x2, unsigned t, uint32_t dest, bool logical)
{
	const struct vapic *a = &cpus[t].vcpu.apic;
	if (x2) {
		if (dest == 0xffffffffu)
			return true;
		if (!logical)
			return dest == t;
		/* Cluster in 31:16, a bit per member in 15:0 (10.12.10.2). */
		uint32_t ldr = (t >> 4) << 16 | 1u << (t & 15);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == (a->xapic_id >> 24);
	uint32_t id = a->ldr >> 24;
	if ((a->dfr >> 28) == 0xf) /* flat model: a bit per APIC */
		return dest & id;
	/* cluster model: cluster in 7:4, members in 3:0 */
	return (dest >> 4) == (id >> 4) && (dest & id & 0xf);
}

/* Whether vCPU t is a destination of `dest` in the sender's mode. */
static bool is_destination(const struct vcpu *sender, unsigned t, uint32_t dest,
			   bool logical)
{
	return is_destination_as(x2apic_mode(&sender->apic), t, dest, logical);
}

void vapic_deliver(uint8_t dest, bool logical, unsigned mode, uint8_t vector)
{
	for (unsigned t = 0; t < nr_cpus; t++) {
		/* An 8-bit destination: physical x2APIC IDs below 255 are
		 * the same; logical x2APIC destinations need interrupt
		 * remapping, which there is none of. */
		bool x2 = x2apic_mode(&cpus[t].vcpu.apic);
		if (x2 ? (logical || (dest != 0xff && dest != t))
		       : !is_destination_as(false, t, dest, logical))
			continue;
		switch (mode) {
		case DM_FIXED:
			post_fixed(t, vector);
			break;
		case DM_LOWEST:
			post_fixed(t, vector);
			return; /* one destination only */
		case DM_NMI:
			if (cpus[t].vcpu.apic.base & BASE_EN)
				event_post_nmi(t);
			break;
		default:
			break; /* SMI, INIT, ExtINT: no receiver here */
		}
	}
}

static void send_ipi(struct vcpu *v, uint32_t low, uint32_t dest)
{
	uint8_t vector = (uint8_t)low;
	unsigned mode = (low >> 8) & 7, shorthand = (low >> 18) & 3;
	bool logical = low & ICR_LOGICAL;
	if ((mode == DM_FIXED || mode == DM_LOWEST) && vector < 16) {
		v->apic.esr_pending |= ESR_SEND_ILLEGAL_VECTOR;
		return;
	}
	/* INIT level de-assert (level 0, trigger level) only synchronises
	 * arbitration IDs on old processors: nothing to deliver. */
	if (mode == DM_INIT && !(low & ICR_LEVEL) && (low & ICR_TRIGGER))
		return;
	for (unsigned t = 0; t < nr_cpus; t++) {
		bool hit = shorthand == 0 ? is_destination(v, t, dest, logical)
			   : shorthand == 1 ? t == v->index
			   : shorthand == 2 ? true
					    : t != v->index;
		if (!hit)
			continue;
		switch (mode) {
		case DM_FIXED:
			post_fixed(t, vector);
			break;
		case DM_LOWEST:
			post_fixed(t, vector);
			return; /* one destination only */
		case DM_NMI:
			if (cpus[t].vcpu.apic.base & BASE_EN)
				event_post_nmi(t);
			break;
		case DM_STARTUP:
			start_vcpu(v, t, vector);
			break;
		default:
			/* INIT does nothing here (vapic.h); SMI and the
			 * reserved modes have no receiver. */
			break;
		}
	}
}

/* ---- registers ---- */

enum reg_result { REG_OK, REG_FAULT };

static uint32_t read_bits(const uint64_t *bits, unsigned reg, unsigned base)
{
	unsigned i = (reg - base) >> 4; /* 8 registers of 32 vectors */
	return (uint32_t)(bits[i / 2] >> (32 * (i % 2)));
}

static uint32_t read_irr(const struct vapic *a, unsigned reg)
{
	unsigned i = (reg - REG_IRR) >> 4;
	uint64_t w = __atomic_load_n(&a->irr[i / 2], __ATOMIC_ACQUIRE);
	return (uint32_t)(w >> (32 * (i % 2)));
}

/* Read register `reg` (16-byte aligned offset); REG_FAULT where the
 * x2APIC has no such readable register. */
static enum reg_result reg_read(struct vcpu *v, unsigned reg, bool x2,
				uint64_t *out)
{
	struct vapic *a = &v->apic;
	uint64_t val = 0;
	if (reg >= REG_LVT_TIMER && reg < REG_LVT_TIMER + 0x60) {
		*out = a->lvt[(reg - REG_LVT_TIMER) >> 4];
		return REG_OK;
	}
	if (reg >= REG_ISR && reg < REG_ISR + 0x80) {
		*out = read_bits(a->isr, reg, REG_ISR);
		return REG_OK;
	}
	if (reg >= REG_IRR && reg < REG_IRR + 0x80) {
		*out = read_irr(a, reg);
		return REG_OK;
	}
	switch (reg) {
	case REG_ID:
		val = x2 ? v->index : a->xapic_id;
		break;
	case REG_VERSION:
		val = VERSION;
		break;
	case REG_TPR:
		val = a->tpr;
		break;
	case REG_PPR:
		val = ppr(a);
		break;
	case REG_LDR:
		val = x2 ? (v->index >> 4) << 16 | 1u << (v->index & 15)
			 : a->ldr;
		break;
	case REG_SVR:
		val = a->svr;
		break;
	case REG_ESR:
		val = a->esr;
		break;
	case REG_ICR_LOW:
		/* Sent at once: never busy (delivery status 0). */
		val = a->icr_low & ~ICR_BUSY;
		if (x2)
			val |= (uint64_t)a->icr_high << 32;
		break;
	case REG_TIMER_INITIAL:
		val = a->timer.initial;
		break;
	case REG_TIMER_DIVIDE:
		val = a->timer.divide;
		break;
	case REG_TIMER_CURRENT:
		val = apic_timer_current(v);
		break;
	case REG_TMR ... REG_TMR + 0x70: /* edge-triggered only */
		val = 0;
		break;
	case REG_APR: /* xAPIC only */
	case REG_RRD:
		if (x2)
			return REG_FAULT;
		val = reg == REG_APR ? ppr(a) : 0;
		break;
	case REG_DFR:
	case REG_ICR_HIGH:
		if (x2)
			return REG_FAULT;
		val = reg == REG_DFR ? a->dfr : a->icr_high;
		break;
	default:
		/* EOI and SELF IPI are write-only; the rest is reserved. */
		if (x2)
			return REG_FAULT;
		val = 0;
		break;
	}
	*out = val;
	return REG_OK;
}

static void set_svr(struct vapic *a, uint32_t val)
{
	a->svr = val & 0x1ff; /* vector, APIC software enable */
	/* Software-disabled: every LVT masked (SDM 10.4.7.2). */
	if (!(a->svr & SVR_ENABLE))
		for (unsigned i = 0; i < VAPIC_NR_LVT; i++)
			a->lvt[i] |= LVT_MASKED;
}

static enum reg_result reg_write(struct vcpu *v, unsigned reg, bool x2,
				 uint64_t val)
{
	struct vapic *a = &v->apic;
	/* Only the ICR is 64 bits wide (x2APIC). */
	if (x2 && reg != REG_ICR_LOW && (val >> 32))
		return REG_FAULT;
	if (reg >= REG_LVT_TIMER && reg < REG_LVT_TIMER + 0x60) {
		unsigned i = (reg - REG_LVT_TIMER) >> 4;
		uint32_t w = (uint32_t)val & lvt_writable[i];
		if (i == 0)
			apic_timer_before_lvt_write(v);
		if (!(a->svr & SVR_ENABLE))
			w |= LVT_MASKED;
		a->lvt[i] = w;
		return REG_OK;
	}
	switch (reg) {
	case REG_ID:
		if (x2)
			return REG_FAULT; /* read-only in x2APIC mode */
		a->xapic_id = (uint32_t)val & 0xff000000u;
		return REG_OK;
	case REG_TPR:
		if (x2 && (val & ~0xffull))
			return REG_FAULT;
		a->tpr = (uint32_t)val & 0xff;
		return REG_OK;
	case REG_EOI:
		if (x2 && val)
			return REG_FAULT;
		eoi(v);
		return REG_OK;
	case REG_LDR:
		if (x2)
			return REG_FAULT;
		a->ldr = (uint32_t)val & 0xff000000u;
		return REG_OK;
	case REG_DFR:
		if (x2)
			return REG_FAULT;
		a->dfr = (uint32_t)val | 0x0fffffffu;
		return REG_OK;
	case REG_SVR:
		set_svr(a, (uint32_t)val);
		return REG_OK;
	case REG_ESR:
		if (x2 && val)
			return REG_FAULT;
		/* A write latches the errors seen since the last one
		 * (SDM 10.5.3). */
		a->esr = __atomic_exchange_n(&a->esr_pending, 0,
					     __ATOMIC_ACQ_REL);
		return REG_OK;
	case REG_ICR_LOW:
		a->icr_low = (uint32_t)val & 0x000ccfffu;
		if (x2)
			a->icr_high = (uint32_t)(val >> 32);
		send_ipi(v, a->icr_low, x2 ? a->icr_high : a->icr_high >> 24);
		return REG_OK;
	case REG_ICR_HIGH:
		if (x2)
			return REG_FAULT;
		a->icr_high = (uint32_t)val & 0xff000000u;
		return REG_OK;
	case REG_TIMER_INITIAL:
		apic_timer_write_initial(v, (uint32_t)val);
		return REG_OK;
	case REG_TIMER_DIVIDE:
		apic_timer_write_divide(v, (uint32_t)val);
		return REG_OK;
	case REG_SELF_IPI:
		if (!x2 || (val & ~0xffull))
			return REG_FAULT;
		post_fixed(v->index, (uint8_t)val);
		return REG_OK;
	default:
		/* Read-only and reserved registers. */
		return x2 ? REG_FAULT : REG_OK;
	}
}

bool vapic_x2apic_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *value)
{
	if (!x2apic_mode(&v->apic))
		return false;
	unsigned reg = (msr - 0x800) << 4;
	if (write)
		return reg_write(v, reg, true, *value) == REG_OK;
	/* Write-only registers fault on reads (SDM table 10-6). */
	if (reg == REG_EOI || reg == REG_SELF_IPI)
		return false;
	return reg_read(v, reg, true, value) == REG_OK;
}

bool vapic_mmio_hit(const struct vcpu *v, uint64_t gpa)
{
	return (gpa & ~0xfffull) == (v->apic.base & ~0xfffull & ~(~0ull << 52));
}

void vapic_mmio(struct vcpu *v, unsigned offset, unsigned size, bool write,
		uint64_t *value)
{
	uint64_t mask = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
	if (!xapic_mode(&v->apic)) {
		/* Nothing decodes the page (SDM 10.4.3, 10.12.2). */
		if (!write)
			*value = mask;
		return;
	}
	/* Registers are 32 bits at 16-byte boundaries (SDM 10.4.1);
	 * narrower reads see their bytes, other writes are dropped. */
	unsigned reg = offset & ~0xfu, byte = offset & 0xf;
	if (write) {
		if (byte == 0 && size >= 4)
			(void)reg_write(v, reg, false, (uint32_t)*value);
		return;
	}
	uint64_t r = 0;
	(void)reg_read(v, reg, false, &r);
	*value = byte < 4 ? ((uint32_t)r >> (8 * byte)) & mask : 0;
}

bool vapic_set_base(struct vcpu *v, uint64_t value)
{
	struct vapic *a = &v->apic;
	uint64_t reserved = 0x2ffull | (~0ull << guest_cpu.maxphyaddr);
	if (value & reserved)
		return false;
	bool en = value & BASE_EN, extd = value & BASE_EXTD;
	bool was_en = a->base & BASE_EN, was_x2 = x2apic_mode(a);
	/* SDM 10.12.5.1: EXTD without EN is invalid; x2APIC goes back to
	 * xAPIC only through disabled, and disabled reaches x2APIC only
	 * through xAPIC. */
	if (extd && !en)
		return false;
	if ((was_x2 && en && !extd) || (!was_en && extd))
		return false;
	/* The BSP flag is the processor's, not software's. */
	uint64_t next = (value & ~BASE_BSP) | (a->base & BASE_BSP);
	if (was_en && !en) {
		/* Disabled: pending and in-service interrupts are gone. */
		reset_registers(v);
		__atomic_store_n(&v->ev.nmi_pending, false, __ATOMIC_RELEASE);
	}
	a->base = next;
	return true;
}
