/* SPDX-License-Identifier: MIT */
/*
 * Shared by the VM-entry check files: one diagnosis run's state and the
 * helpers that turn a failed check into a reported line.
 */
#ifndef VMX_DIAG_INTERNAL_H
#define VMX_DIAG_INTERNAL_H

#include "vmx_diag.h"
#include "vmx_text.h"

/* Architectural bits the checks name (SDM vol. 3A 2.5, 2.2.1, 3.4.3). */
#define CR0_PE		  VMX_BIT(0)
#define CR0_NW		  VMX_BIT(29)
#define CR0_CD		  VMX_BIT(30)
#define CR0_PG		  VMX_BIT(31)
#define CR4_PAE		  VMX_BIT(5)
#define CR4_PCIDE	  VMX_BIT(17)
#define EFER_SCE	  VMX_BIT(0)
#define EFER_LME	  VMX_BIT(8)
#define EFER_LMA	  VMX_BIT(10)
#define EFER_NXE	  VMX_BIT(11)
#define RFLAGS_FIXED1	  VMX_BIT(1)
#define RFLAGS_TF	  VMX_BIT(8)
#define RFLAGS_IF	  VMX_BIT(9)
#define RFLAGS_VM	  VMX_BIT(17)
#define DEBUGCTL_BTF	  VMX_BIT(1)
#define SELECTOR_RPL_MASK 3u
#define SELECTOR_TI	  VMX_BIT32(2)

struct diag {
	const struct vmx_diag_env *env;
	unsigned findings;
	unsigned maxphyaddr;
	unsigned linear_bits;
	/* Control fields, read once; proc2 is 0 unless the primary
	 * controls activate it, as the CPU treats it. */
	uint32_t pin, proc, proc2, exit, entry;
	bool ia32e_guest;
	bool unrestricted;
};

void vmx_diag_begin(struct diag *d, const struct vmx_diag_env *env);

static inline uint64_t diag_read(const struct diag *d, uint32_t field)
{
	return d->env->vmread(field, d->env->ctx);
}

/* Bits 63:N equal, N the processor's linear-address width. */
bool vmx_diag_canonical(const struct diag *d, uint64_t la);
/* Physical-address bits the CPU does not have: 63:MAXPHYADDR. */
uint64_t vmx_diag_beyond_maxphyaddr(const struct diag *d);
/* Each byte is a memory type WRMSR accepts: 0, 1, 4, 5, 6 or 7. */
bool vmx_diag_pat_valid(uint64_t pat);

struct diag_line {
	struct vmx_text t;
	char buf[VMX_DIAG_LINE_MAX];
};

void vmx_diag_line_begin(struct diag_line *l);
/* Send the line to report() and count it as a finding. */
void vmx_diag_line_report(struct diag *d, struct diag_line *l);

/* "<subject> <value>: <rule>" */
void vmx_diag_flag(struct diag *d, const char *subject, uint64_t value,
		   const char *rule);
/* "<subject1> <value1>, <subject2> <value2>: <rule>" */
void vmx_diag_flag2(struct diag *d, const char *subject1, uint64_t value1,
		    const char *subject2, uint64_t value2, const char *rule);

/*
 * CR0 or CR4 against the bits VMX operation fixes: "<subject> <value>:
 * bits <b> must be 1 (<fixed0_msr> <v>)" and the same for fixed-0 bits.
 * Bits in `unchecked` are skipped.
 */
void vmx_diag_check_fixed_cr(struct diag *d, const char *subject,
			     uint64_t value, uint64_t fixed0, uint64_t fixed1,
			     uint64_t unchecked, const char *fixed0_msr,
			     const char *fixed1_msr);

#endif /* VMX_DIAG_INTERNAL_H */
