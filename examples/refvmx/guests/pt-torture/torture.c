/* SPDX-License-Identifier: MIT */
/*
 * Building the address space the checks run in, and running them: which
 * apply to the mode, which the CPU cannot do (SKIP), in which order.
 */
#include "torture.h"

#include "report.h"

/* 4 KiB pages in 32-bit paging, so the page tables there sit under 4 KiB
 * mappings; large pages elsewhere. */
static unsigned int identity_level(const struct paging_mode *mode)
{
	return mode == &paging_32bit ? 1 : 2;
}

void torture_build_space(struct address_space *as,
			 const struct paging_mode *mode, uintptr_t window)
{
	as_init(as, mode);
	as_map_identity(as, LAYOUT_IDENTITY_END, identity_level(mode));
	/* MOV CR3 loads PAE paging's four PDPTEs into the CPU, which does not
	 * read them from memory again (SDM 4.4.1): the window's PDPTE must
	 * be present before CR3 is loaded. Creating the window's page
	 * directory here does that in every mode. */
	as_entry(as, window, 2);
}

void torture_build(struct torture *t, const struct paging_mode *mode)
{
	torture_build_space(&t->as, mode, t->window);
}

void torture_set_nxe(const struct torture *t, bool on)
{
	uint64_t efer;

	/* Without NX, EFER.NXE cannot be set and is already clear. */
	if (!t->caps->nx)
		return;
	efer = rdmsr(X86_MSR_EFER);
	efer = on ? efer | X86_EFER_NXE : efer & ~X86_EFER_NXE;
	wrmsr(X86_MSR_EFER, efer);
}

/* NULL: the check runs. "": it does not apply to this mode (no line).
 * Otherwise: why it is skipped. */
static const char *unmet(enum requirement r, const struct torture *t)
{
	const struct paging_mode *m = t->as.mode;
	const struct cpu_caps *caps = t->caps;

	switch (r) {
	case REQ_NONE:
		return NULL;
	case REQ_XD:
		return m->has_xd ? NULL : "";
	case REQ_NX:
		if (!m->has_xd)
			return "";
		return caps->nx ? NULL : "CPUID.80000001H:EDX[20] (NX) is 0";
	case REQ_PHYS_RSVD:
		if (!m->has_xd)
			return "";
		return caps->maxphyaddr < 52 ? NULL
					     : "MAXPHYADDR is 52: no reserved "
					       "address bit";
	case REQ_PGE:
		return caps->pge ? NULL : "CPUID.1:EDX[13] (PGE) is 0";
	case REQ_PCID:
	case REQ_INVPCID:
	case REQ_PCID_INVPCID:
		if (!m->ia32e)
			return "";
		if (r != REQ_INVPCID && !caps->pcid)
			return "CPUID.1:ECX[17] (PCID) is 0";
		if (r != REQ_PCID && !caps->invpcid)
			return "CPUID.(EAX=7,ECX=0):EBX[10] (INVPCID) is 0";
		return NULL;
	case REQ_1G:
		if (!m->ia32e)
			return "";
		return caps->page_1g ? NULL
				     : "CPUID.80000001H:EDX[26] (1-GByte "
				       "pages) is 0";
	}
	return "";
}

static void run_group(struct torture *t, const struct check_group *group)
{
	for (size_t i = 0; i < group->count; i++) {
		const struct check *c = &group->checks[i];
		const char *why = unmet(c->needs, t);

		if (!why) {
			report_running(c->name);
			c->run(t, c->name);
		} else if (*why) {
			report_skip(c->name, why);
		}
	}
}

void torture_run(struct torture *t)
{
	/* Every mode starts from the same state, whatever the last left. */
	write_cr0(read_cr0() | X86_CR0_WP);
	write_cr4(read_cr4() & ~X86_CR4_PGE);
	torture_set_nxe(t, false);

	run_group(t, &translation_checks);
	run_group(t, &fault_checks);
	run_group(t, &accessed_dirty_checks);
#ifdef __x86_64__
	run_group(t, &pcid_checks);
#endif
}

void torture_check_control_registers(struct torture *t, const char *check)
{
	const struct paging_mode *m = t->as.mode;
	const unsigned long cr0_on = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	const unsigned long cr4_mode = X86_CR4_PSE | X86_CR4_PAE | X86_CR4_LA57;
	unsigned long cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
	/* IA-32e mode ignores CR4.PSE, and boot.S leaves it clear. */
	unsigned long cr4_mask =
		m->ia32e ? X86_CR4_PAE | X86_CR4_LA57 : cr4_mode;

	if ((cr0 & cr0_on) != cr0_on) {
		report_fail(check, "CR0 0x%lx: PE, PG and WP should be set",
			    cr0);
		return;
	}
	if (cr3 != t->as.root) {
		report_fail(check, "CR3 0x%lx, expected 0x%lx", cr3,
			    (unsigned long)t->as.root);
		return;
	}
	if ((cr4 & cr4_mask) != (m->cr4_bits & cr4_mask)) {
		report_fail(check, "CR4 0x%lx: expected PSE/PAE/LA57 0x%lx",
			    cr4, m->cr4_bits & cr4_mask);
		return;
	}
	if (cr4 & X86_CR4_VMXE) {
		report_fail(check,
			    "CR4 0x%lx: VMXE reads 1, the guest never "
			    "set it",
			    cr4);
		return;
	}
	if (t->caps->nx || t->caps->long_mode) {
		bool lma = rdmsr(X86_MSR_EFER) & X86_EFER_LMA;

		if (lma != m->ia32e) {
			report_fail(check, "EFER.LMA is %d in %s paging", lma,
				    m->name);
			return;
		}
	}
	report_pass(check);
}
