/* SPDX-License-Identifier: MIT */
/*
 * VM-entry failure diagnosis: the entry points, the VM-instruction error
 * texts, and the line-reporting helpers the check files share.
 */
#include "vmx_diag_internal.h"
#include "vmx_exit.h"

/* SDM vol. 3C "VM-Instruction Error Numbers". */
static const char *const instruction_errors[] = {
	[VMX_ERR_VMCALL_IN_ROOT] = "VMCALL executed in VMX root operation",
	[VMX_ERR_VMCLEAR_INVALID_ADDRESS] =
		"VMCLEAR with invalid physical address",
	[VMX_ERR_VMCLEAR_VMXON_POINTER] = "VMCLEAR with VMXON pointer",
	[VMX_ERR_VMLAUNCH_NOT_CLEAR] = "VMLAUNCH with non-clear VMCS",
	[VMX_ERR_VMRESUME_NOT_LAUNCHED] = "VMRESUME with non-launched VMCS",
	[VMX_ERR_VMRESUME_AFTER_VMXOFF] = "VMRESUME after VMXOFF",
	[VMX_ERR_ENTRY_INVALID_CONTROLS] =
		"VM entry with invalid control field(s)",
	[VMX_ERR_ENTRY_INVALID_HOST_STATE] =
		"VM entry with invalid host-state field(s)",
	[VMX_ERR_VMPTRLD_INVALID_ADDRESS] =
		"VMPTRLD with invalid physical address",
	[VMX_ERR_VMPTRLD_VMXON_POINTER] = "VMPTRLD with VMXON pointer",
	[VMX_ERR_VMPTRLD_BAD_REVISION] =
		"VMPTRLD with incorrect VMCS revision identifier",
	[VMX_ERR_UNSUPPORTED_FIELD] =
		"VMREAD/VMWRITE from/to unsupported VMCS component",
	[VMX_ERR_VMWRITE_READ_ONLY] = "VMWRITE to read-only VMCS component",
	[VMX_ERR_VMXON_IN_ROOT] = "VMXON executed in VMX root operation",
	[VMX_ERR_ENTRY_INVALID_EXECUTIVE_VMCS] =
		"VM entry with invalid executive-VMCS pointer",
	[VMX_ERR_ENTRY_NON_LAUNCHED_EXECUTIVE] =
		"VM entry with non-launched executive VMCS",
	[VMX_ERR_ENTRY_EXECUTIVE_NOT_VMXON] =
		"VM entry with executive-VMCS pointer not VMXON pointer",
	[VMX_ERR_VMCALL_NOT_CLEAR] = "VMCALL with non-clear VMCS",
	[VMX_ERR_VMCALL_INVALID_EXIT_CONTROLS] =
		"VMCALL with invalid VM-exit control fields",
	[VMX_ERR_VMCALL_BAD_MSEG_REVISION] =
		"VMCALL with incorrect MSEG revision identifier",
	[VMX_ERR_VMXOFF_DUAL_MONITOR] =
		"VMXOFF under dual-monitor treatment of SMIs and SMM",
	[VMX_ERR_VMCALL_INVALID_SMM_FEATURES] =
		"VMCALL with invalid SMM-monitor features",
	[VMX_ERR_ENTRY_INVALID_EXECUTIVE_CONTROLS] =
		"VM entry with invalid VM-execution control fields in "
		"executive VMCS",
	[VMX_ERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS] =
		"VM entry with events blocked by MOV SS",
	[VMX_ERR_INVALID_INVEPT_INVVPID_OPERAND] =
		"invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_text(uint32_t error)
{
	if (error >= sizeof(instruction_errors) /
			     sizeof(instruction_errors[0]) ||
	    !instruction_errors[error])
		return "unknown VM-instruction error";
	return instruction_errors[error];
}

void vmx_diag_begin(struct diag *d, const struct vmx_diag_env *env)
{
	d->env = env;
	d->findings = 0;
	d->maxphyaddr = env->maxphyaddr ? env->maxphyaddr : 52;
	d->linear_bits = env->linear_bits ? env->linear_bits : 48;
	d->pin = (uint32_t)diag_read(d, VMCS_PIN_BASED_CONTROLS);
	d->proc = (uint32_t)diag_read(d, VMCS_PROC_BASED_CONTROLS);
	/* The secondary controls field may not even exist when the CPU
	 * has no secondary controls: read it only when it is in effect. */
	d->proc2 = 0;
	if (d->proc & VMX_PROC_ACTIVATE_SECONDARY)
		d->proc2 = (uint32_t)diag_read(d, VMCS_PROC_BASED_CONTROLS2);
	d->exit = (uint32_t)diag_read(d, VMCS_EXIT_CONTROLS);
	d->entry = (uint32_t)diag_read(d, VMCS_ENTRY_CONTROLS);
	d->ia32e_guest = d->entry & VMX_ENTRY_CTL_IA32E_MODE_GUEST;
	d->unrestricted = d->proc2 & VMX_PROC2_UNRESTRICTED_GUEST;
}

bool vmx_diag_canonical(const struct diag *d, uint64_t la)
{
	unsigned shift = 64 - d->linear_bits;

	return (uint64_t)((int64_t)(la << shift) >> shift) == la;
}

uint64_t vmx_diag_beyond_maxphyaddr(const struct diag *d)
{
	if (d->maxphyaddr >= 64)
		return 0;
	return ~UINT64_C(0) << d->maxphyaddr;
}

bool vmx_diag_pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		unsigned type = (pat >> (8 * i)) & 0xff;

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

void vmx_diag_line_begin(struct diag_line *l)
{
	vmx_text_init(&l->t, l->buf, sizeof(l->buf));
}

void vmx_diag_line_report(struct diag *d, struct diag_line *l)
{
	d->findings++;
	d->env->report(l->buf, d->env->ctx);
}

void vmx_diag_flag(struct diag *d, const char *subject, uint64_t value,
		   const char *rule)
{
	struct diag_line l;

	vmx_diag_line_begin(&l);
	vmx_text_str(&l.t, subject);
	vmx_text_str(&l.t, " ");
	vmx_text_hex(&l.t, value);
	vmx_text_str(&l.t, ": ");
	vmx_text_str(&l.t, rule);
	vmx_diag_line_report(d, &l);
}

void vmx_diag_flag2(struct diag *d, const char *subject1, uint64_t value1,
		    const char *subject2, uint64_t value2, const char *rule)
{
	struct diag_line l;

	vmx_diag_line_begin(&l);
	vmx_text_str(&l.t, subject1);
	vmx_text_str(&l.t, " ");
	vmx_text_hex(&l.t, value1);
	vmx_text_str(&l.t, ", ");
	vmx_text_str(&l.t, subject2);
	vmx_text_str(&l.t, " ");
	vmx_text_hex(&l.t, value2);
	vmx_text_str(&l.t, ": ");
	vmx_text_str(&l.t, rule);
	vmx_diag_line_report(d, &l);
}

static void fixed_cr_finding(struct diag *d, const char *subject,
			     uint64_t value, uint64_t bits, const char *must,
			     const char *msr, uint64_t msr_value)
{
	struct diag_line l;

	vmx_diag_line_begin(&l);
	vmx_text_str(&l.t, subject);
	vmx_text_str(&l.t, " ");
	vmx_text_hex(&l.t, value);
	vmx_text_str(&l.t, ": bits ");
	vmx_text_hex(&l.t, bits);
	vmx_text_str(&l.t, must);
	vmx_text_str(&l.t, msr);
	vmx_text_str(&l.t, " ");
	vmx_text_hex(&l.t, msr_value);
	vmx_text_str(&l.t, ")");
	vmx_diag_line_report(d, &l);
}

void vmx_diag_check_fixed_cr(struct diag *d, const char *subject,
			     uint64_t value, uint64_t fixed0, uint64_t fixed1,
			     uint64_t unchecked, const char *fixed0_msr,
			     const char *fixed1_msr)
{
	uint64_t clear_but_fixed1 = fixed0 & ~value & ~unchecked;
	uint64_t set_but_fixed0 = value & ~fixed1 & ~unchecked;

	if (clear_but_fixed1)
		fixed_cr_finding(d, subject, value, clear_but_fixed1,
				 " must be 1 (", fixed0_msr, fixed0);
	if (set_but_fixed0)
		fixed_cr_finding(d, subject, value, set_but_fixed0,
				 " must be 0 (", fixed1_msr, fixed1);
}

unsigned vmx_diag_check_vmcs(const struct vmx_diag_env *env)
{
	return vmx_diag_check_controls(env) + vmx_diag_check_host_state(env) +
	       vmx_diag_check_guest_state(env);
}

static void report_header(const struct vmx_diag_env *env, const char *what,
			  uint64_t number, const char *text, const char *extra,
			  uint64_t extra_value)
{
	struct diag_line l;

	vmx_diag_line_begin(&l);
	vmx_text_str(&l.t, what);
	vmx_text_dec(&l.t, number);
	vmx_text_str(&l.t, " (");
	vmx_text_str(&l.t, text);
	vmx_text_str(&l.t, ")");
	if (extra) {
		vmx_text_str(&l.t, extra);
		vmx_text_hex(&l.t, extra_value);
	}
	env->report(l.buf, env->ctx);
}

unsigned vmx_diag_vmfail(const struct vmx_diag_env *env)
{
	uint32_t error =
		(uint32_t)env->vmread(VMCS_VM_INSTRUCTION_ERROR, env->ctx);

	report_header(env, "VM entry failed: VM-instruction error ", error,
		      vmx_instruction_error_text(error), NULL, 0);
	return vmx_diag_check_vmcs(env);
}

/* SDM "VM-Entry Failures During or After Loading Guest State": the exit
 * qualification of reason 33 narrows the cause in a few cases. */
static const char *invalid_guest_state_cause(uint64_t qualification)
{
	switch (qualification) {
	case 2:
		return "loading the PDPTEs failed";
	case 3:
		return "NMI injected while blocked by STI";
	case 4:
		return "invalid VMCS link pointer";
	default:
		return NULL;
	}
}

unsigned vmx_diag_entry_failure(const struct vmx_diag_env *env)
{
	uint32_t reason = (uint32_t)env->vmread(VMCS_EXIT_REASON, env->ctx);
	uint64_t qualification = env->vmread(VMCS_EXIT_QUALIFICATION, env->ctx);
	const char *extra = ", exit qualification ";
	const char *cause = NULL;

	if (VMX_EXIT_REASON_BASIC(reason) ==
	    VMX_REASON_ENTRY_INVALID_GUEST_STATE)
		cause = invalid_guest_state_cause(qualification);
	else if (VMX_EXIT_REASON_BASIC(reason) == VMX_REASON_ENTRY_MSR_LOADING)
		extra = ", failing VM-entry MSR-load entry (1-based) ";
	report_header(env, "VM entry failed: exit reason ",
		      VMX_EXIT_REASON_BASIC(reason),
		      vmx_exit_reason_name(reason), extra, qualification);
	if (cause) {
		struct diag_line l;

		vmx_diag_line_begin(&l);
		vmx_text_str(&l.t, "exit qualification says: ");
		vmx_text_str(&l.t, cause);
		env->report(l.buf, env->ctx);
	}
	return vmx_diag_check_vmcs(env);
}
