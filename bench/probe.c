/* SPDX-License-Identifier: MIT */
/*
 * The probe (probe.h). libcpuid reads CPUID and names the CPU and the
 * hypervisor. A few bits are taken from the raw leaves as the SDM and
 * the APM define them, because libcpuid 0.6 does not decode them (PCID,
 * INVPCID, 1 GiB pages) or decodes them for one vendor only (x2APIC).
 * The hypervisor's own leaves (0x40000000 up) are outside libcpuid's raw
 * data: they are read with the CPUID instruction, so a dump says nothing
 * about them.
 */
#include "probe.h"

#include <cpuid.h>
#include <libcpuid/libcpuid.h>
#include <string.h>

/* CPUID bits, by leaf and register (SDM vol. 2A CPUID; AMD APM vol. 3). */
#define LEAF1_ECX_VMX	     (1u << 5)
#define LEAF1_ECX_PCID	     (1u << 17)
#define LEAF1_ECX_X2APIC     (1u << 21)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF7_EBX_INVPCID    (1u << 10)
#define EXT1_ECX_SVM	     (1u << 2)
#define EXT1_EDX_PAGE1GB     (1u << 26)
/* Hyper-V TLFS, leaf 0x40000004 EAX: remote TLB flushes by hypercall
 * recommended over IPIs. */
#define HV_REMOTE_FLUSH_RECOMMENDED (1u << 2)
/* KVM, leaf 0x40000001 EAX: KVM_FEATURE_PV_TLB_FLUSH. */
#define KVM_PV_TLB_FLUSH (1u << 9)

static enum bench_tri tri(bool b)
{
	return b ? BENCH_YES : BENCH_NO;
}

static const char *tri_name(enum bench_tri t)
{
	return t == BENCH_YES ? "yes" : t == BENCH_NO ? "no" : "unknown";
}

/* The hypervisor's own leaves, this CPU only. */
static void hypervisor_leaves(struct bench_cpu_facts *f)
{
	unsigned r[4], max;
	char sig[13] = { 0 };
	__cpuid(0x40000000, r[EAX], r[EBX], r[ECX], r[EDX]);
	max = r[EAX];
	memcpy(sig, &r[EBX], 4);
	memcpy(sig + 4, &r[ECX], 4);
	memcpy(sig + 8, &r[EDX], 4);
	f->assisted = BENCH_NO;
	if (!strcmp(sig, "Microsoft Hv")) {
		bool rec = false;
		if (max >= 0x40000004) {
			__cpuid(0x40000004, r[EAX], r[EBX], r[ECX], r[EDX]);
			rec = r[EAX] & HV_REMOTE_FLUSH_RECOMMENDED;
		}
		f->assisted = tri(rec);
		snprintf(f->assisted_how, sizeof(f->assisted_how), "%s",
			 rec ? "HvFlushVirtualAddressSpace/List (Hyper-V\n"
			       "                    recommends it for remote "
			       "flushes)"
			     : "Hyper-V does not recommend its flush "
			       "hypercall here");
	} else if (!strncmp(sig, "KVMKVMKVM", 9)) {
		bool pv = false;
		if (max >= 0x40000001) {
			__cpuid(0x40000001, r[EAX], r[EBX], r[ECX], r[EDX]);
			pv = r[EAX] & KVM_PV_TLB_FLUSH;
		}
		/* KVM's PV TLB flush spares only preempted vCPUs their IPI:
		 * running ones are still interrupted. */
		f->assisted = BENCH_NO;
		snprintf(f->assisted_how, sizeof(f->assisted_how), "%s",
			 pv ? "KVM's PV TLB flush only defers flushes of\n"
			      "                    preempted vCPUs; running "
			      "ones still take IPIs"
			    : "KVM offers no flush hypercall here");
	} else if (!strcmp(sig, "XenVMMXenVMM")) {
		f->assisted = BENCH_UNKNOWN;
		snprintf(f->assisted_how, sizeof(f->assisted_how),
			 "likely: Xen's HVMOP_flush_tlbs, or its L0-assisted\n"
			 "                    flush in shim mode (not shown in "
			 "CPUID)");
	}
}

static void read_facts(struct bench_cpu_facts *f, struct cpu_raw_data_t *raw)
{
	struct cpu_id_t id;
	if (cpu_identify(raw, &id) < 0) {
		snprintf(f->why, sizeof(f->why),
			 "libcpuid cannot identify "
			 "the CPU: %s",
			 cpuid_error());
		return;
	}
	f->known = true;
	snprintf(f->vendor, sizeof(f->vendor), "%s", id.vendor_str);
	snprintf(f->brand, sizeof(f->brand), "%s", id.brand_str);
	snprintf(f->codename, sizeof(f->codename), "%s", id.cpu_codename);
	f->family = id.ext_family;
	f->model = id.ext_model;
	f->stepping = id.stepping;

	uint32_t max_basic = raw->basic_cpuid[0][EAX];
	uint32_t max_ext = raw->ext_cpuid[0][EAX];
	uint32_t ecx1 = raw->basic_cpuid[1][ECX];
	f->vmx = tri(id.flags[CPU_FEATURE_VMX] || (ecx1 & LEAF1_ECX_VMX));
	f->pcid = tri(ecx1 & LEAF1_ECX_PCID);
	f->x2apic =
		tri(id.flags[CPU_FEATURE_X2APIC] || (ecx1 & LEAF1_ECX_X2APIC));
	f->hypervisor = tri(id.flags[CPU_FEATURE_HYPERVISOR] ||
			    (ecx1 & LEAF1_ECX_HYPERVISOR));
	f->invpcid = max_basic >= 7
			     ? tri(raw->basic_cpuid[7][EBX] & LEAF7_EBX_INVPCID)
			     : BENCH_UNKNOWN;
	if (max_ext >= 0x80000001) {
		f->svm = tri(id.flags[CPU_FEATURE_SVM] ||
			     (raw->ext_cpuid[1][ECX] & EXT1_ECX_SVM));
		f->gbpages = tri(raw->ext_cpuid[1][EDX] & EXT1_EDX_PAGE1GB);
	}

	static const char *const hv_names[NUM_HYPERVISOR_VENDORS] = {
		[HYPERVISOR_NONE] = "",
		[HYPERVISOR_BHYVE] = "bhyve",
		[HYPERVISOR_HYPERV] = "Hyper-V",
		[HYPERVISOR_KVM] = "KVM",
		[HYPERVISOR_PARALLELS] = "Parallels",
		[HYPERVISOR_QEMU] = "QEMU (TCG)",
		[HYPERVISOR_VIRTUALBOX] = "VirtualBox",
		[HYPERVISOR_VMWARE] = "VMware",
		[HYPERVISOR_XEN] = "Xen",
	};
	/* libcpuid asks the running CPU which hypervisor it is: not a
	 * question for a dump. */
	hypervisor_vendor_t hv = f->from_dump ? HYPERVISOR_UNKNOWN
					      : cpuid_get_hypervisor(raw, &id);
	if (f->from_dump && f->hypervisor == BENCH_YES)
		snprintf(f->hv_name, sizeof(f->hv_name),
			 "which one is not in "
			 "a dump");
	else if (hv >= 0 && hv < NUM_HYPERVISOR_VENDORS)
		snprintf(f->hv_name, sizeof(f->hv_name), "%s", hv_names[hv]);
	else if (f->hypervisor == BENCH_YES)
		snprintf(f->hv_name, sizeof(f->hv_name), "not recognised");
	if (f->hypervisor == BENCH_NO) {
		f->assisted = BENCH_NO;
		snprintf(f->assisted_how, sizeof(f->assisted_how),
			 "bare metal: no hypervisor underneath to ask");
	} else if (f->from_dump) {
		snprintf(f->assisted_how, sizeof(f->assisted_how),
			 "the hypervisor's leaves are not in a libcpuid dump");
	} else {
		hypervisor_leaves(f);
	}
}

void bench_probe_read(struct bench_cpu_facts *f, const char *raw_dump)
{
	struct cpu_raw_data_t raw;
	memset(f, 0, sizeof(*f));
	f->pcid = f->invpcid = f->vmx = f->svm = f->x2apic = f->gbpages =
		f->hypervisor = f->assisted = BENCH_UNKNOWN;
	f->from_dump = raw_dump != NULL;
	int r;
	if (raw_dump) {
		r = cpuid_deserialize_raw_data(&raw, raw_dump);
	} else if (!cpuid_present()) {
		snprintf(f->why, sizeof(f->why), "this CPU has no CPUID");
		return;
	} else {
		r = cpuid_get_raw_data(&raw);
	}
	if (r < 0) {
		snprintf(f->why, sizeof(f->why), "libcpuid cannot read %s: %s",
			 raw_dump ? raw_dump : "CPUID", cpuid_error());
		return;
	}
	read_facts(f, &raw);
}

unsigned bench_probe_offers(const struct bench_cpu_facts *f)
{
	return (f->pcid == BENCH_YES ? BENCH_NEEDS_PCID : 0) |
	       (f->invpcid == BENCH_YES ? BENCH_NEEDS_INVPCID : 0) |
	       (f->assisted == BENCH_YES ? BENCH_NEEDS_ASSISTED : 0);
}

const struct bench_policy *
bench_probe_recommend(const struct bench_cpu_facts *f)
{
	unsigned offers = bench_probe_offers(f);
	for (const struct bench_policy *p = bench_policies; p->name; p++)
		if (!(p->needs & ~offers))
			return p;
	return NULL;
}

static void meaning(FILE *out, const struct bench_cpu_facts *f)
{
	fprintf(out, "\nwhat it means for libshadowmmu:\n");
	fprintf(out, "  hardware PCIDs:   %s\n",
		f->pcid == BENCH_YES
			? "usable: shadow roots can carry PCIDs of their own, "
			  "so switching\n                    between cached "
			  "roots need not flush"
		: f->pcid == BENCH_NO ? "none: every switch of shadow root "
					"flushes the vCPU's tag"
				      : "unknown");
	fprintf(out, "  precise flush:    %s\n",
		f->invpcid == BENCH_YES
			? "INVPCID: one address or one PCID at a time (a VMX "
			  "host reaches\n                    vCPU tags with "
			  "INVVPID by address or by context)"
		: f->invpcid == BENCH_NO
			? "no INVPCID: INVVPID single context or a CR3 "
			  "reload per flush"
			: "unknown");
	fprintf(out, "  virtualization:   %s\n",
		f->vmx == BENCH_YES
			? "VMX: the VPID tags and INVVPID that adapters/vmx "
			  "and refvmx drive"
		: f->svm == BENCH_YES
			? "SVM: ASIDs tag vCPU translations (TLB_CONTROL, "
			  "INVLPGA); the\n                    adapters here "
			  "are "
			  "VMX only"
		: f->vmx == BENCH_NO && f->svm == BENCH_NO
			? "neither VMX nor SVM visible (a hypervisor may hide "
			  "them): guests\n                    cannot run here; "
			  "smmu-bench's simulated machine can"
			: "unknown");
	fprintf(out, "  IPIs:             %s\n",
		f->x2apic == BENCH_YES
			? "x2APIC: one MSR write to send (bench/COSTS.md's "
			  "IPI figure)"
		: f->x2apic == BENCH_NO ? "xAPIC: MMIO writes to the ICR, "
					  "somewhat dearer than x2APIC"
					: "unknown");
	fprintf(out, "  assisted flush:   %s%s%s\n", tri_name(f->assisted),
		f->assisted_how[0] ? ": " : "", f->assisted_how);
	fprintf(out, "  1 GiB pages:      %s\n",
		f->gbpages == BENCH_YES
			? "can be offered to guests (smmu_vm_config.gbpages); "
			  "shadowed\n                    with 2 MiB leaves"
		: f->gbpages == BENCH_NO ? "do not offer them to guests"
					 : "unknown");
	const struct bench_policy *p = bench_probe_recommend(f);
	const char *remote = f->assisted == BENCH_YES ? "assisted" : "ipi";
	if (p)
		fprintf(out,
			"  recommended:      --policy %s --remote %s\n"
			"                    (the first policy in smmu-bench's "
			"table this CPU can run;\n                    compare "
			"them all with: smmu-bench --policy all)\n",
			p->name, remote);
	else
		fprintf(out,
			"  recommended:      none of smmu-bench's policies: "
			"each needs what this CPU\n                    lacks "
			"or does not show (PCID, INVPCID); the nearest is\n"
			"                    --policy %s --remote %s\n",
			bench_policies[0].name, remote);
}

void bench_probe_report(FILE *out, const struct bench_cpu_facts *f)
{
	fprintf(out, "smmu-bench probe (libcpuid %s)%s\n", cpuid_lib_version(),
		f->from_dump ? ", from a raw dump" : "");
	if (!f->known) {
		fprintf(out, "  %s\n  every answer below is unknown\n", f->why);
	} else {
		fprintf(out, "  CPU:              %s, %s", f->vendor, f->brand);
		if (f->codename[0])
			fprintf(out, " (%s)", f->codename);
		fprintf(out, ", family %#x model %#x stepping %d\n", f->family,
			f->model, f->stepping);
	}
	fprintf(out, "  PCID:             %s\n", tri_name(f->pcid));
	fprintf(out, "  INVPCID:          %s\n", tri_name(f->invpcid));
	fprintf(out, "  VMX / SVM:        %s / %s\n", tri_name(f->vmx),
		tri_name(f->svm));
	fprintf(out, "  x2APIC:           %s\n", tri_name(f->x2apic));
	fprintf(out, "  hypervisor bit:   %s%s%s\n", tri_name(f->hypervisor),
		f->hv_name[0] ? ", " : "", f->hv_name);
	fprintf(out, "  1 GiB pages:      %s\n", tri_name(f->gbpages));
	meaning(out, f);
}
