/* SPDX-License-Identifier: MIT */
#include "guest_cpu.h"

#include <shadowmmu/shadowmmu.h>
#include <vmx_asm.h>
#include <vmx_fields.h>

#include "percpu.h"
#include "tsc.h"
#include "vapic.h"
#include "vcpu.h"

#define BIT(n) (1u << (n))

/* The guest's basic and extended leaf ranges; the hypervisor leaf. */
#define MAX_BASIC	0x16u
#define MAX_EXTENDED	0x80000008u
#define HYPERVISOR_LEAF 0x40000000u

/* Features shown when the host has them (SDM vol. 2A, CPUID, tables
 * 3-10, 3-11 and the leaf 7 table). What is not listed is hidden. */
#define L1_ECX_SHOWN                                                           \
	(BIT(0) /* SSE3 */ | BIT(1) /* PCLMULQDQ */ | BIT(9) /* SSSE3 */ |     \
	 BIT(13) /* CMPXCHG16B */ | BIT(19) /* SSE4.1 */ |                     \
	 BIT(20) /* SSE4.2 */ | BIT(22) /* MOVBE */ | BIT(23) /* POPCNT */ |   \
	 BIT(25) /* AES */ | BIT(30) /* RDRAND */)
#define L1_ECX_XSAVE   BIT(26)
#define L1_ECX_OSXSAVE BIT(27)
/* AVX, FMA, F16C */
#define L1_ECX_AVX	  (BIT(28) | BIT(12) | BIT(29))
#define L1_ECX_PCID	  BIT(17)
#define L1_ECX_X2APIC	  BIT(21)
#define L1_ECX_HYPERVISOR BIT(31)
#define L1_EDX_SHOWN                                                           \
	(BIT(0) /* FPU */ | BIT(2) /* DE */ | BIT(3) /* PSE */ |               \
	 BIT(4) /* TSC */ | BIT(5) /* MSR */ | BIT(6) /* PAE */ |              \
	 BIT(7) /* MCE */ | BIT(8) /* CX8 */ | BIT(11) /* SEP */ |             \
	 BIT(12) /* MTRR */ | BIT(13) /* PGE */ | BIT(14) /* MCA */ |          \
	 BIT(15) /* CMOV */ | BIT(16) /* PAT */ | BIT(17) /* PSE-36 */ |       \
	 BIT(19) /* CLFSH */ | BIT(23) /* MMX */ | BIT(24) /* FXSR */ |        \
	 BIT(25) /* SSE */ | BIT(26) /* SSE2 */ | BIT(27) /* SS */)
#define L1_EDX_APIC BIT(9)
#define L1_EDX_HTT  BIT(28)
#define L7_EBX_SHOWN                                                           \
	(BIT(0) /* FSGSBASE */ | BIT(3) /* BMI1 */ |                           \
	 BIT(6) /* FDP_EXCPTN_ONLY */ | BIT(7) /* SMEP */ |                    \
	 BIT(8) /* BMI2 */ | BIT(9) /* ERMS */ |                               \
	 BIT(13) /* FPU CS/DS deprecated */ | BIT(18) /* RDSEED */ |           \
	 BIT(19) /* ADX */ | BIT(20) /* SMAP */ | BIT(23) /* CLFLUSHOPT */ |   \
	 BIT(24) /* CLWB */ | BIT(29) /* SHA */)
#define L7_EBX_INVPCID BIT(10)
#define L7_EBX_AVX     BIT(5) /* AVX2 */
#define L7_EBX_AVX512                                                          \
	(BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | \
	 BIT(31)) /* F, DQ, IFMA, PF, ER, CD, BW, VL */
#define L7_ECX_SHOWN                                                           \
	(BIT(0) /* PREFETCHWT1 */ | BIT(2) /* UMIP */ | BIT(8) /* GFNI */ |    \
	 BIT(25) /* CLDEMOTE */ | BIT(27) /* MOVDIRI */ |                      \
	 BIT(28) /* MOVDIR64B */)
#define L7_ECX_AVX (BIT(9) /* VAES */ | BIT(10) /* VPCLMULQDQ */)
#define L7_ECX_AVX512                                                          \
	(BIT(1) | BIT(6) | BIT(11) | BIT(12) |                                 \
	 BIT(14)) /* VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ */
#define L7_ECX_RDPID BIT(22)
#define L7_EDX_SHOWN (BIT(4) /* FSRM */ | BIT(14) /* SERIALIZE */)
#define L7_EDX_AVX512                                                          \
	(BIT(2) | BIT(3) | BIT(8)) /* 4VNNIW, 4FMAPS, VP2INTERSECT */
#define E1_ECX_SHOWN                                                           \
	(BIT(0) /* LAHF/SAHF */ | BIT(5) /* LZCNT */ | BIT(8) /* PREFETCHW */)
#define E1_EDX_SHOWN                                                           \
	(BIT(11) /* SYSCALL */ | BIT(20) /* NX */ | BIT(26) /* 1 GiB */ |      \
	 BIT(29) /* LM */)
#define E1_EDX_RDTSCP	     BIT(27)
#define E7_EDX_INVARIANT_TSC BIT(8)
/* XSAVEC is hidden: Bochs 2.7 reports the standard format's size for
 * the compacted one (CPUID.(0DH,1):EBX), and a Linux guest that saved
 * its tasks' AVX-512 state with XSAVEC into buffers of the compacted
 * size (refvmx computes it) saw its processes' registers corrupted. */
#define XSAVE_LEAF1_SHOWN (BIT(0) /* XSAVEOPT */ | BIT(2) /* XGETBV 1 */)

/* XCR0 components (SDM vol. 1, 13.1): x87, SSE, AVX, and AVX-512's
 * opmask, ZMM_Hi256 and Hi16_ZMM. MPX, PKRU, AMX, CET are hidden. */
#define XCR0_X87    (1ull << 0)
#define XCR0_SSE    (1ull << 1)
#define XCR0_AVX    (1ull << 2)
#define XCR0_AVX512 (7ull << 5)

/* CR4 bits by the feature that defines them (SDM vol. 3A, 2.5). */
#define CR4_TSD	       (1ull << 2)
#define CR4_DE	       (1ull << 3)
#define CR4_MCE	       (1ull << 6)
#define CR4_PCE	       (1ull << 8)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP       (1ull << 11)
#define CR4_FSGSBASE   (1ull << 16)
#define CR4_OSXSAVE    (1ull << 18)
#define CR4_PCIDE      (1ull << 17)

struct guest_cpu guest_cpu;

/* Leaf values after masking, for the leaves whose bits other parts
 * depend on. */
static uint32_t l1_ecx, l1_edx, l7_ebx, l7_ecx, l7_edx, e1_ecx, e1_edx;
static uint32_t xsave_max_size;

static uint64_t xgetbv_supported(void)
{
	struct x86_cpuid d = x86_cpuid(0xd, 0);
	return ((uint64_t)d.edx << 32) | d.eax;
}

/* The XSAVE area size for every component shown (CPUID.(0DH,0):ECX
 * restricted to them): the legacy area and header, then the furthest
 * end of a shown component. */
static uint32_t xsave_size(uint64_t xcr0)
{
	uint32_t size = 576;
	for (unsigned i = 2; i < 63; i++) {
		if (!(xcr0 & (1ull << i)))
			continue;
		struct x86_cpuid c = x86_cpuid(0xd, i);
		if (c.ebx + c.eax > size)
			size = c.ebx + c.eax;
	}
	return size;
}

void guest_cpu_init(uint64_t cr4_fixed1)
{
	struct x86_cpuid l1 = x86_cpuid(1, 0), l7 = x86_cpuid(7, 0);
	struct x86_cpuid e1 = x86_cpuid(0x80000001u, 0);
	struct x86_cpuid e8 = x86_cpuid(0x80000008u, 0);
	struct guest_cpu *g = &guest_cpu;

	g->maxphyaddr = (uint8_t)(e8.eax & 0xff);
	g->linear_bits = (uint8_t)((e8.eax >> 8) & 0xff);

	/* XSAVE only with the host able to run XSETBV for the guest. */
	uint64_t xcr0 = 0;
	if ((l1.ecx & L1_ECX_XSAVE) && (cr4_fixed1 & CR4_OSXSAVE)) {
		xcr0 = xgetbv_supported() &
		       (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512);
		if (!(xcr0 & XCR0_AVX))
			xcr0 &= ~XCR0_AVX512;
		if ((xcr0 & XCR0_AVX512) != XCR0_AVX512)
			xcr0 &= ~XCR0_AVX512;
	}
	g->xcr0_supported = xcr0;
	xsave_max_size = xsave_size(xcr0);
	bool avx = xcr0 & XCR0_AVX, avx512 = xcr0 & XCR0_AVX512;

	l1_ecx = l1.ecx & (L1_ECX_SHOWN | (xcr0 ? L1_ECX_XSAVE : 0) |
			   (avx ? L1_ECX_AVX : 0));
	l1_ecx |= L1_ECX_X2APIC | L1_ECX_HYPERVISOR;
	l1_edx = l1.edx & L1_EDX_SHOWN;
	l7_ebx = l7.ebx & (L7_EBX_SHOWN | (avx ? L7_EBX_AVX : 0) |
			   (avx512 ? L7_EBX_AVX512 : 0));
	l7_ecx = l7.ecx & (L7_ECX_SHOWN | (avx ? L7_ECX_AVX : 0) |
			   (avx512 ? L7_ECX_AVX512 : 0) |
			   (vmx_ctl.rdtscp ? L7_ECX_RDPID : 0));
	l7_edx = l7.edx & (L7_EDX_SHOWN | (avx512 ? L7_EDX_AVX512 : 0));
	e1_ecx = e1.ecx & E1_ECX_SHOWN;
	e1_edx = e1.edx & (E1_EDX_SHOWN | (vmx_ctl.rdtscp ? E1_EDX_RDTSCP : 0));
	/* A feature whose CR4 bit VMX operation does not allow cannot be
	 * given to the guest (its VM entry would fail). */
	if (!(cr4_fixed1 & CR4_UMIP))
		l7_ecx &= ~BIT(2);
	if (!(cr4_fixed1 & CR4_FSGSBASE))
		l7_ebx &= ~BIT(0);
	/* PCID and INVPCID: the library emulates the guest's PCIDs over
	 * hardware PCIDs of its own, so they are shown when the CPU has
	 * them and VMX lets them be used: CR4.PCIDE allowed in VMX
	 * operation, and INVPCID exiting to refvmx ("enable INVPCID";
	 * without it the guest's INVPCID would be #UD). */
	if ((l1.ecx & L1_ECX_PCID) && (cr4_fixed1 & CR4_PCIDE))
		l1_ecx |= L1_ECX_PCID;
	if ((l1_ecx & L1_ECX_PCID) && (l7.ebx & L7_EBX_INVPCID) &&
	    vmx_ctl.invpcid)
		l7_ebx |= L7_EBX_INVPCID;

	g->gbpages = e1_edx & BIT(26);
	g->syscall = e1_edx & BIT(11);
	g->long_mode = e1_edx & BIT(29);
	g->sysenter = l1_edx & BIT(11);
	g->rdtscp = e1_edx & E1_EDX_RDTSCP;
	g->mtrr = l1_edx & BIT(12);
	g->pat = l1_edx & BIT(16);
	g->mca = l1_edx & BIT(14);

	uint32_t f = 0;
	f |= (l1_edx & BIT(3)) ? SMMU_CPU_PSE : 0;
	f |= (l1_edx & BIT(6)) ? SMMU_CPU_PAE : 0;
	f |= (l1_edx & BIT(13)) ? SMMU_CPU_PGE : 0;
	f |= (l1_ecx & L1_ECX_PCID) ? SMMU_CPU_PCID : 0;
	f |= (l7_ebx & L7_EBX_INVPCID) ? SMMU_CPU_INVPCID : 0;
	f |= (l7_ebx & BIT(7)) ? SMMU_CPU_SMEP : 0;
	f |= (l7_ebx & BIT(20)) ? SMMU_CPU_SMAP : 0;
	f |= (e1_edx & BIT(20)) ? SMMU_CPU_NX : 0;
	f |= g->long_mode ? SMMU_CPU_LM : 0;
	g->smmu_features = f;

	/* CR4: the paging bits are the library's to judge; these are the
	 * others the guest may set, each with its feature. */
	uint64_t pass = CR4_TSD | CR4_PCE;
	pass |= (l1_edx & BIT(7)) ? CR4_MCE : 0;
	pass |= (l1_edx & BIT(2)) ? CR4_DE : 0;
	pass |= (l1_edx & BIT(24)) ? CR4_OSFXSR : 0;
	pass |= (l1_edx & BIT(25)) ? CR4_OSXMMEXCPT : 0;
	pass |= (l7_ecx & BIT(2)) ? CR4_UMIP : 0;
	pass |= (l7_ebx & BIT(0)) ? CR4_FSGSBASE : 0;
	pass |= xcr0 ? CR4_OSXSAVE : 0;
	pass |= (f & SMMU_CPU_SMEP) ? X86_CR4_SMEP : 0;
	pass |= (f & SMMU_CPU_SMAP) ? X86_CR4_SMAP : 0;
	g->cr4_passthrough = pass;
	g->cr4_allowed = pass | ((f & SMMU_CPU_PSE) ? X86_CR4_PSE : 0) |
			 ((f & SMMU_CPU_PAE) ? X86_CR4_PAE : 0) |
			 ((f & SMMU_CPU_PGE) ? X86_CR4_PGE : 0) |
			 ((f & SMMU_CPU_PCID) ? X86_CR4_PCIDE : 0);
	g->efer_allowed = (g->syscall ? X86_EFER_SCE : 0) |
			  (g->long_mode ? X86_EFER_LME | X86_EFER_LMA : 0) |
			  ((f & SMMU_CPU_NX) ? X86_EFER_NXE : 0);
}

bool guest_cpu_canonical(uint64_t la)
{
	unsigned bits = guest_cpu.linear_bits ? guest_cpu.linear_bits : 48;
	int64_t s = (int64_t)(la << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == la;
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* The XSAVEC area for the components of xcr0: legacy area and header,
 * then each component in order, 64-byte aligned where CPUID.(0DH,i):
 * ECX[1] says so (SDM vol. 1, 13.4.3). */
static uint32_t xsave_compacted_size(uint64_t xcr0)
{
	uint32_t size = 576;
	for (unsigned i = 2; i < 63; i++) {
		if (!(xcr0 & (1ull << i)))
			continue;
		struct x86_cpuid c = x86_cpuid(0xd, i);
		if (c.ecx & 2)
			size = (size + 63) & ~63u;
		size += c.eax;
	}
	return size;
}

static unsigned log2_up(unsigned n)
{
	unsigned s = 0;
	while ((1u << s) < n)
		s++;
	return s;
}

static void basic_leaf(struct vcpu *v, uint32_t leaf, uint32_t sub,
		       uint32_t o[4])
{
	struct x86_cpuid c = x86_cpuid(leaf, sub);
	struct smmu_paging_regs r;
	o[0] = o[1] = o[2] = o[3] = 0;
	switch (leaf) {
	case 0:
		o[0] = MAX_BASIC;
		if ((v->msr.misc_enable & MISC_LIMIT_CPUID) && o[0] > 2)
			o[0] = 2;
		o[1] = c.ebx;
		o[2] = c.ecx;
		o[3] = c.edx;
		break;
	case 1:
		o[0] = c.eax;
		/* Brand index, CLFLUSH line size; the logical processors
		 * of the package and this one's initial APIC ID. */
		o[1] = (c.ebx & 0xffff) | (1u << log2_up(nr_cpus)) << 16 |
		       v->index << 24;
		smmu_vcpu_get_paging(v->mmu, &r);
		o[2] = l1_ecx | ((r.cr4 & CR4_OSXSAVE) ? L1_ECX_OSXSAVE : 0);
		o[3] = l1_edx | (vapic_enabled(v) ? L1_EDX_APIC : 0) |
		       (nr_cpus > 1 ? L1_EDX_HTT : 0);
		break;
	case 2: /* cache and TLB descriptors */
		o[0] = c.eax;
		o[1] = c.ebx;
		o[2] = c.ecx;
		o[3] = c.edx;
		break;
	case 4: /* cache parameters; each cache private to its vCPU */
		if (!(c.eax & 0x1f))
			break;
		o[0] = (c.eax & 0x3fff) | ((1u << log2_up(nr_cpus)) - 1) << 26;
		o[1] = c.ebx;
		o[2] = c.ecx;
		o[3] = c.edx;
		break;
	case 7:
		if (sub == 0) {
			o[1] = l7_ebx;
			o[2] = l7_ecx;
			o[3] = l7_edx;
		}
		break;
	case 0xb: /* x2APIC topology: one thread per core */
		o[3] = v->index;
		if (sub == 0) {
			o[1] = 1;
			o[2] = 1u << 8;
		} else if (sub == 1) {
			o[0] = log2_up(nr_cpus);
			o[1] = nr_cpus;
			o[2] = 1 | 2u << 8;
		} else {
			o[2] = sub & 0xff;
		}
		break;
	case 0xd:
		if (!guest_cpu.xcr0_supported)
			break;
		if (sub == 0) {
			o[0] = (uint32_t)guest_cpu.xcr0_supported;
			o[1] = c.ebx; /* for the XCR0 now loaded: the guest's */
			o[2] = xsave_max_size;
			o[3] = (uint32_t)(guest_cpu.xcr0_supported >> 32);
		} else if (sub == 1) {
			o[0] = c.eax & XSAVE_LEAF1_SHOWN;
			/* The compacted size (XSAVEC) of what XCR0 enables
			 * now: IA32_XSS is always 0 (no XSAVES). */
			o[1] = xsave_compacted_size(xgetbv0());
		} else if (sub < 63 &&
			   (guest_cpu.xcr0_supported & (1ull << sub))) {
			o[0] = c.eax;
			o[1] = c.ebx;
			o[2] = c.ecx;
			o[3] = c.edx;
		}
		break;
	case 6: /* power management: only ARAT, the APIC timer runs on
		 * in every C-state (it is refvmx's) */
		o[0] = BIT(2);
		break;
	case 0x15:
		/* TSC and core crystal clock: the crystal is the TSC
		 * itself (ratio 1/1), and the local APIC timer counts at
		 * its rate (apic_timer.c). */
		if (tsc_hz && tsc_hz <= 0xffffffffull) {
			o[0] = 1;
			o[1] = 1;
			o[2] = (uint32_t)tsc_hz;
		}
		break;
	case 0x16: /* base, maximum and bus frequencies in MHz */
		o[0] = o[1] = o[2] = (uint32_t)(tsc_hz / 1000000);
		break;
	default:
		/* 3 (serial number), 5 (MONITOR), 8, 9 (DCA), 0xA (PMU),
		 * 0xC, 0xE-0x14 (RDT, SGX, PT...): hidden. */
		break;
	}
}

static void extended_leaf(struct vcpu *v, uint32_t leaf, uint32_t o[4])
{
	struct x86_cpuid c = x86_cpuid(leaf, 0);
	o[0] = o[1] = o[2] = o[3] = 0;
	switch (leaf) {
	case 0x80000000u:
		o[0] = c.eax < MAX_EXTENDED ? c.eax : MAX_EXTENDED;
		break;
	case 0x80000001u:
		o[0] = c.eax;
		o[2] = e1_ecx;
		o[3] = e1_edx;
		if (v->msr.misc_enable & MISC_XD_DISABLE)
			o[3] &= ~BIT(20);
		break;
	case 0x80000002u: /* the brand string */
	case 0x80000003u:
	case 0x80000004u:
	case 0x80000006u: /* L2 cache */
		o[0] = c.eax;
		o[1] = c.ebx;
		o[2] = c.ecx;
		o[3] = c.edx;
		break;
	case 0x80000007u:
		o[3] = c.edx & E7_EDX_INVARIANT_TSC;
		break;
	case 0x80000008u:
		o[0] = c.eax & 0xffff; /* physical and linear bits */
		break;
	}
}

void guest_cpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub,
		     uint32_t out[4])
{
	uint32_t max_ext = x86_cpuid(0x80000000u, 0).eax;
	/* Leaves 6, 15H and 16H are refvmx's own: shown whatever the
	 * host's range. */
	uint32_t max_basic = MAX_BASIC;
	if ((v->msr.misc_enable & MISC_LIMIT_CPUID) && max_basic > 2)
		max_basic = 2;
	if (max_ext > MAX_EXTENDED)
		max_ext = MAX_EXTENDED;
	if (leaf == HYPERVISOR_LEAF) {
		/* "RefVMXshadow": a hypervisor, with no leaves of its own
		 * (CPUID.1:ECX[31] says one is there). */
		out[0] = HYPERVISOR_LEAF;
		out[1] = 0x56666552u;
		out[2] = 0x6873584du;
		out[3] = 0x776f6461u;
		return;
	}
	if (leaf > HYPERVISOR_LEAF && leaf <= 0x4fffffffu) {
		out[0] = out[1] = out[2] = out[3] = 0;
		return;
	}
	/* A leaf beyond the range's maximum returns the highest basic
	 * leaf (SDM vol. 2A, CPUID, "INPUT EAX"). */
	if (leaf >= 0x80000000u ? leaf > max_ext : leaf > max_basic) {
		leaf = max_basic;
		sub = 0;
	}
	if (leaf >= 0x80000000u)
		extended_leaf(v, leaf, out);
	else
		basic_leaf(v, leaf, sub, out);
}
