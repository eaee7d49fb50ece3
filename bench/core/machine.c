/* SPDX-License-Identifier: MIT */
#include "machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "guest.h"
#include "hw.h"

void cb_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "smmu-corebench: FAILED: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

void cb_vm_create(struct cb_vm *m, const struct cb_vm_opts *o)
{
	memset(m, 0, sizeof(*m));
	m->nr_vcpus = o->nr_vcpus ? o->nr_vcpus : 1;
	m->pcide = o->pcide;
	if (m->nr_vcpus > CB_MAX_VCPUS)
		cb_fail("%u vCPUs asked, at most %u", m->nr_vcpus,
			CB_MAX_VCPUS);
	if (!cb_host_init(&m->host, CB_RAM_SIZE, CB_POOL_PAGES, o->time_lock))
		exit(1);
	cb_guest_build(&m->host);

	struct smmu_vm_config c;
	memset(&c, 0, sizeof(c));
	c.maxphyaddr = 46;
	c.prefetch_window = o->prefetch;
	c.unsync_after_stores = o->unsync_after;
	c.unsync_quiet_syncs = o->quiet_syncs;
	cb_config_caps(&c, o->host_all);
	if (smmu_vm_create(&c, &m->host.ops, &m->host, &m->vm) != SMMU_OK)
		cb_fail("smmu_vm_create");
	struct smmu_paging_regs regs = cb_guest_regs(o->pcide);
	for (unsigned v = 0; v < m->nr_vcpus; v++) {
		if (smmu_vcpu_create(m->vm, v, &m->vcpu[v]) != SMMU_OK)
			cb_fail("smmu_vcpu_create %u", v);
		if (smmu_vcpu_set_paging(m->vcpu[v], &regs) != SMMU_OK)
			cb_fail("smmu_vcpu_set_paging: IA-32e paging%s",
				o->pcide ? " with CR4.PCIDE" : "");
	}
}

void cb_vm_destroy(struct cb_vm *m)
{
	for (unsigned v = 0; v < m->nr_vcpus; v++)
		smmu_vcpu_destroy(m->vcpu[v]);
	cb_host_run_deferred(&m->host);
	if (smmu_vm_destroy(m->vm) != SMMU_OK)
		cb_fail("smmu_vm_destroy");
	if (!cb_host_fini(&m->host))
		cb_fail("the library leaked host memory");
	memset(m, 0, sizeof(*m));
}

void cb_enter(struct cb_vm *m, unsigned v)
{
	if (smmu_vcpu_enter(m->vcpu[v], &m->entry[v]) != SMMU_OK)
		cb_fail("smmu_vcpu_enter");
	if (!cb_host_hva(&m->host, m->entry[v].cr3))
		cb_fail("smmu_vcpu_enter gave a root outside the pool");
}

struct smmu_fault cb_fault(struct cb_vm *m, unsigned v, uint64_t la,
			   uint32_t flags)
{
	struct smmu_access a;
	struct smmu_fault f;
	memset(&a, 0, sizeof(a));
	memset(&f, 0, sizeof(f));
	a.la = la;
	a.flags = flags;
	f.action = SMMU_FAULT_ERROR;
	smmu_vcpu_page_fault(m->vcpu[v], &a, &f);
	return f;
}

void cb_write_cr3(struct cb_vm *m, unsigned v, uint64_t cr3)
{
	if (smmu_vcpu_write_cr3(m->vcpu[v], cr3) != SMMU_CR_DONE)
		cb_fail("MOV to CR3 %#llx refused", (unsigned long long)cr3);
}

struct smmu_stats cb_stats(const struct cb_vm *m)
{
	struct smmu_stats s;
	memset(&s, 0, sizeof(s));
	smmu_vm_get_stats(m->vm, &s);
	return s;
}

uint64_t cb_hw_page(const struct cb_vm *m, unsigned v, unsigned page)
{
	return cb_hw_walk(&m->host, m->entry[v].cr3, cb_la(page));
}

void cb_verify(const struct cb_vm *m, unsigned v, unsigned first, unsigned n,
	       bool all, const char *when)
{
	for (unsigned page = first; page < first + n; page++) {
		uint64_t spte = cb_hw_page(m, v, page);
		uint64_t want =
			CB_GUEST_HPA + (*cb_pte(&m->host, page) & CB_PTE_ADDR);
		if (!spte && !all)
			continue;
		if (!spte)
			cb_fail("%s: guest page %u (la %#llx) is not mapped",
				when, page, (unsigned long long)cb_la(page));
		if ((spte & CB_PTE_ADDR) != want)
			cb_fail("%s: guest page %u maps host page %#llx, its "
				"PTE says %#llx",
				when, page,
				(unsigned long long)(spte & CB_PTE_ADDR),
				(unsigned long long)want);
	}
}

unsigned cb_touch(struct cb_vm *m, unsigned v, unsigned first, unsigned n)
{
	unsigned faults = 0;
	for (unsigned page = first; page < first + n; page++) {
		/* A fixed fault may have done nothing (a walk that raced, a
		 * root dropped): the guest re-enters and faults again. A few
		 * times in a row means the fault does not map the page. */
		for (unsigned tries = 0;; tries++) {
			if (cb_hw_page(m, v, page) & X86_PTE_P)
				break;
			if (tries == 4)
				cb_fail("fixed faults left guest page %u "
					"unmapped",
					page);
			struct smmu_fault f = cb_fault(m, v, cb_la(page), 0);
			if (f.action != SMMU_FAULT_FIXED)
				cb_fail("read fault on guest page %u: action "
					"%d (%s)",
					page, (int)f.action,
					f.reason ? f.reason : "no reason");
			faults++;
			if (tries)
				cb_enter(m, v);
		}
	}
	cb_verify(m, v, first, n, true, "after touching");
	return faults;
}
