/* SPDX-License-Identifier: MIT */
/*
 * VM and vCPU lifecycle, and what the API does when it is misused: every
 * bad argument is refused with a status (and, where the library can reach
 * the host, a log line), never with a crash or a half-built object.
 *
 * Lifecycle tests run on a counting host that wraps the posix one: it
 * counts allocations, frees and log lines, and can be told to fail alloc().
 * Tests of a vCPU's state use the common fixture.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"

#define ULL(v) ((unsigned long long)(v))

/* --- A host that counts what the library asks of it --- */

struct counting_host {
	struct smmu_posix_host posix; /* guest RAM */
	int allocs_left;   /* alloc() fails once this reaches 0; <0: never */
	unsigned allocs;   /* successful alloc() calls */
	unsigned frees;	   /* free() calls */
	size_t live_bytes; /* allocated minus freed, by the sizes passed */
	unsigned logs;	   /* log lines received */
};

static void *counting_alloc(void *host, size_t size)
{
	struct counting_host *h = host;
	if (h->allocs_left == 0)
		return NULL;
	if (h->allocs_left > 0)
		h->allocs_left--;
	void *p = smmu_posix_host_ops.alloc(&h->posix, size);
	cr_assert_not_null(p);
	h->allocs++;
	h->live_bytes += size;
	return p;
}

static void counting_free(void *host, void *ptr, size_t size)
{
	struct counting_host *h = host;
	cr_assert_not_null(ptr, "library freed NULL");
	cr_assert_geq(h->live_bytes, size, "library freed more than it got");
	h->frees++;
	h->live_bytes -= size;
	smmu_posix_host_ops.free(&h->posix, ptr, size);
}

static int counting_read_gpa(void *host, uint64_t gpa, void *buf, size_t len)
{
	struct counting_host *h = host;
	return smmu_posix_host_ops.read_gpa(&h->posix, gpa, buf, len);
}

static int counting_cmpxchg_gpa(void *host, uint64_t gpa, unsigned size,
				uint64_t old_val, uint64_t new_val)
{
	struct counting_host *h = host;
	return smmu_posix_host_ops.cmpxchg_gpa(&h->posix, gpa, size, old_val,
					       new_val);
}

static void counting_log(void *host, enum smmu_log_level level, const char *msg)
{
	struct counting_host *h = host;
	cr_assert_not_null(msg);
	h->logs++;
}

static const struct smmu_host_ops counting_ops = {
	.alloc = counting_alloc,
	.free = counting_free,
	.read_gpa = counting_read_gpa,
	.cmpxchg_gpa = counting_cmpxchg_gpa,
	.log = counting_log,
};

static struct counting_host h;
static const struct smmu_vm_config config = { .maxphyaddr = 46 };

static void host_setup(void)
{
	memset(&h, 0, sizeof(h));
	h.allocs_left = -1;
	cr_assert_eq(smmu_posix_ram_init(&h.posix.ram, 1u << 20), 0);
}

static void host_teardown(void)
{
	smmu_posix_ram_fini(&h.posix.ram);
}

/* Everything the library allocated has been given back, with its size. */
static void assert_no_leak(void)
{
	cr_assert_eq(h.frees, h.allocs, "%u allocations, %u frees", h.allocs,
		     h.frees);
	cr_assert_eq(h.live_bytes, 0, "%zu bytes not freed", h.live_bytes);
}

static struct smmu_vm *create_vm(void)
{
	struct smmu_vm *vm = NULL;
	cr_assert_eq(smmu_vm_create(&config, &counting_ops, &h, &vm), SMMU_OK);
	cr_assert_not_null(vm);
	return vm;
}

static struct smmu_vcpu *create_vcpu(struct smmu_vm *vm, uint32_t id)
{
	struct smmu_vcpu *vcpu = NULL;
	cr_assert_eq(smmu_vcpu_create(vm, id, &vcpu), SMMU_OK);
	cr_assert_not_null(vcpu);
	return vcpu;
}

TestSuite(vm, .init = host_setup, .fini = host_teardown);
TestSuite(vcpu, .init = host_setup, .fini = host_teardown);

Test(vm, create_with_null_arguments_is_einval)
{
	struct smmu_vm *vm = NULL;
	cr_assert_eq(smmu_vm_create(NULL, &counting_ops, &h, &vm), SMMU_EINVAL);
	cr_assert_null(vm);
	cr_assert_eq(smmu_vm_create(&config, NULL, &h, &vm), SMMU_EINVAL);
	cr_assert_null(vm);
	cr_assert_eq(smmu_vm_create(&config, &counting_ops, &h, NULL),
		     SMMU_EINVAL);
	cr_assert_eq(h.allocs, 0);
}

Test(vm, maxphyaddr_outside_32_to_52_is_einval_and_logged)
{
	static const uint8_t bad[] = { 0, 31, 53, 64, 255 };
	for (unsigned i = 0; i < sizeof(bad); i++) {
		struct smmu_vm_config c = { .maxphyaddr = bad[i] };
		struct smmu_vm *vm = (struct smmu_vm *)&h; /* not NULL */
		unsigned logs = h.logs;
		cr_assert_eq(smmu_vm_create(&c, &counting_ops, &h, &vm),
			     SMMU_EINVAL, "maxphyaddr %u accepted", bad[i]);
		cr_assert_null(vm, "vm_out not cleared on failure");
		cr_assert_eq(h.logs, logs + 1, "maxphyaddr %u not logged",
			     bad[i]);
	}
	cr_assert_eq(h.allocs, 0);

	static const uint8_t good[] = { 32, 36, 46, 52 };
	for (unsigned i = 0; i < sizeof(good); i++) {
		struct smmu_vm_config c = { .maxphyaddr = good[i] };
		struct smmu_vm *vm = NULL;
		cr_assert_eq(smmu_vm_create(&c, &counting_ops, &h, &vm),
			     SMMU_OK, "maxphyaddr %u refused", good[i]);
		cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK);
	}
	assert_no_leak();
}

Test(vm, maxphyaddr_error_reaches_the_posix_host_log)
{
	struct smmu_posix_host posix = { 0 };
	struct smmu_vm_config c = { .maxphyaddr = 53 };
	struct smmu_vm *vm = NULL;
	cr_assert_eq(smmu_vm_create(&c, &smmu_posix_host_ops, &posix, &vm),
		     SMMU_EINVAL);
	cr_assert_eq(posix.nr_logs, 1);
}

Test(vm, missing_required_host_op_is_einval_and_logged)
{
	for (int missing = 0; missing < 4; missing++) {
		struct smmu_host_ops ops = counting_ops;
		switch (missing) {
		case 0:
			ops.alloc = NULL;
			break;
		case 1:
			ops.free = NULL;
			break;
		case 2:
			ops.read_gpa = NULL;
			break;
		case 3:
			ops.cmpxchg_gpa = NULL;
			break;
		}
		struct smmu_vm *vm = NULL;
		unsigned logs = h.logs;
		cr_assert_eq(smmu_vm_create(&config, &ops, &h, &vm),
			     SMMU_EINVAL, "host op %d not required", missing);
		cr_assert_null(vm);
		cr_assert_eq(h.logs, logs + 1, "missing op %d not logged",
			     missing);
	}
	cr_assert_eq(h.allocs, 0);
}

Test(vm, log_op_is_optional)
{
	struct smmu_host_ops ops = counting_ops;
	ops.log = NULL;
	struct smmu_vm *vm = NULL;

	/* Errors are still reported by status when nobody listens. */
	struct smmu_vm_config bad = { .maxphyaddr = 31 };
	cr_assert_eq(smmu_vm_create(&bad, &ops, &h, &vm), SMMU_EINVAL);

	cr_assert_eq(smmu_vm_create(&config, &ops, &h, &vm), SMMU_OK);
	struct smmu_vcpu *vcpu = create_vcpu(vm, 0);
	struct smmu_vcpu *dup = NULL;
	cr_assert_eq(smmu_vcpu_create(vm, 0, &dup), SMMU_EINVAL);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_EBUSY);
	smmu_vcpu_destroy(vcpu);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK);
	cr_assert_eq(h.logs, 0);
	assert_no_leak();
}

Test(vm, alloc_failure_is_enomem)
{
	struct smmu_vm *vm = (struct smmu_vm *)&h; /* not NULL */
	h.allocs_left = 0;
	cr_assert_eq(smmu_vm_create(&config, &counting_ops, &h, &vm),
		     SMMU_ENOMEM);
	cr_assert_null(vm, "vm_out not cleared on failure");
	assert_no_leak();
}

Test(vm, destroy_null_is_einval)
{
	cr_assert_eq(smmu_vm_destroy(NULL), SMMU_EINVAL);
}

/* Whether `id` is taken in `vm`, by trying to create it. */
static bool id_in_use(struct smmu_vm *vm, uint32_t id)
{
	struct smmu_vcpu *probe;
	enum smmu_status st = smmu_vcpu_create(vm, id, &probe);
	if (st == SMMU_EINVAL)
		return true;
	cr_assert_eq(st, SMMU_OK);
	smmu_vcpu_destroy(probe);
	return false;
}

Test(vm, destroy_is_ebusy_until_every_vcpu_is_destroyed)
{
	struct smmu_vm *vm = create_vm();
	struct smmu_vcpu *v0 = create_vcpu(vm, 0);
	struct smmu_vcpu *v1 = create_vcpu(vm, 1);
	struct smmu_vcpu *v2 = create_vcpu(vm, 2);

	unsigned logs = h.logs;
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_EBUSY);
	cr_assert_eq(h.logs, logs + 1, "EBUSY not logged");
	/* Destroy from the middle, then either end, of creation order. */
	smmu_vcpu_destroy(v1);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_EBUSY);
	cr_assert(id_in_use(vm, 0) && !id_in_use(vm, 1) && id_in_use(vm, 2),
		  "destroying vCPU 1 lost track of another vCPU");
	smmu_vcpu_destroy(v2);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_EBUSY);
	cr_assert(id_in_use(vm, 0) && !id_in_use(vm, 2));
	/* The VM is intact after EBUSY: its last vCPU still works. */
	cr_assert_eq(smmu_vcpu_write_cr0(v0, X86_CR0_PE), SMMU_CR_DONE);
	smmu_vcpu_destroy(v0);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK);
	assert_no_leak();
}

Test(vcpu, create_with_null_arguments_is_einval)
{
	struct smmu_vcpu *vcpu = NULL;
	cr_assert_eq(smmu_vcpu_create(NULL, 0, &vcpu), SMMU_EINVAL);
	cr_assert_null(vcpu);

	struct smmu_vm *vm = create_vm();
	cr_assert_eq(smmu_vcpu_create(vm, 0, NULL), SMMU_EINVAL);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK, "a vCPU was left behind");
	assert_no_leak();
}

Test(vcpu, duplicate_id_is_einval_and_logged)
{
	struct smmu_vm *vm = create_vm();
	struct smmu_vcpu *a = create_vcpu(vm, 7);
	struct smmu_vcpu *b = create_vcpu(vm, UINT32_MAX);

	struct smmu_vcpu *dup = (struct smmu_vcpu *)&h; /* not NULL */
	unsigned logs = h.logs;
	cr_assert_eq(smmu_vcpu_create(vm, 7, &dup), SMMU_EINVAL);
	cr_assert_null(dup, "vcpu_out not cleared on failure");
	cr_assert_eq(h.logs, logs + 1, "duplicate id not logged");
	cr_assert_eq(smmu_vcpu_create(vm, UINT32_MAX, &dup), SMMU_EINVAL);

	/* Ids are per VM ... */
	struct smmu_vm *other = create_vm();
	struct smmu_vcpu *c = create_vcpu(other, 7);
	/* ... and free again once their vCPU is gone. */
	smmu_vcpu_destroy(a);
	a = create_vcpu(vm, 7);

	smmu_vcpu_destroy(a);
	smmu_vcpu_destroy(b);
	smmu_vcpu_destroy(c);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK);
	cr_assert_eq(smmu_vm_destroy(other), SMMU_OK);
	assert_no_leak();
}

Test(vcpu, alloc_failure_is_enomem_and_leaves_the_vm_clean)
{
	struct smmu_vm *vm = create_vm();
	struct smmu_vcpu *vcpu = (struct smmu_vcpu *)&h; /* not NULL */

	h.allocs_left = 0;
	cr_assert_eq(smmu_vcpu_create(vm, 3, &vcpu), SMMU_ENOMEM);
	cr_assert_null(vcpu, "vcpu_out not cleared on failure");
	h.allocs_left = -1;

	/* The id was not taken, and the VM has no vCPU to wait for. */
	vcpu = create_vcpu(vm, 3);
	smmu_vcpu_destroy(vcpu);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK);
	assert_no_leak();
}

Test(vcpu, destroy_null_is_a_no_op)
{
	smmu_vcpu_destroy(NULL);
	cr_assert_eq(h.frees, 0);
}

Test(vcpu, registers_are_per_vcpu)
{
	struct smmu_vm *vm = create_vm();
	struct smmu_vcpu *a = create_vcpu(vm, 0);
	struct smmu_vcpu *b = create_vcpu(vm, 1);

	cr_assert_eq(smmu_vcpu_write_cr0(a, X86_CR0_PE), SMMU_CR_DONE);
	cr_assert_eq(smmu_vcpu_write_cr3(a, 0x5000), SMMU_CR_DONE);
	struct smmu_paging_regs ra, rb;
	smmu_vcpu_get_paging(a, &ra);
	smmu_vcpu_get_paging(b, &rb);
	cr_assert_eq(ra.cr0, X86_CR0_PE);
	cr_assert_eq(ra.cr3, 0x5000);
	cr_assert_eq(rb.cr0, X86_CR0_CD | X86_CR0_NW | X86_BIT(4));
	cr_assert_eq(rb.cr3, 0);

	smmu_vcpu_destroy(a);
	smmu_vcpu_destroy(b);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK);
}

/* --- A vCPU's state, on the common fixture --- */

static struct fixture f;

static void fixture_setup(void)
{
	fixture_init(&f, 1u << 20, 36, false, 0x10000);
}

static void fixture_teardown(void)
{
	fixture_fini(&f);
}

TestSuite(reset, .init = fixture_setup, .fini = fixture_teardown);
TestSuite(set_paging, .init = fixture_setup, .fini = fixture_teardown);
TestSuite(translate, .init = fixture_setup, .fini = fixture_teardown);

static struct smmu_paging_regs regs_now(void)
{
	struct smmu_paging_regs r;
	smmu_vcpu_get_paging(f.vcpu, &r);
	return r;
}

static bool regs_equal(const struct smmu_paging_regs *a,
		       const struct smmu_paging_regs *b)
{
	return a->cr0 == b->cr0 && a->cr3 == b->cr3 && a->cr4 == b->cr4 &&
	       a->efer == b->efer && !memcmp(a->pdpte, b->pdpte, 32);
}

Test(reset, vcpu_starts_with_reset_registers_and_paging_off)
{
	/* SDM 10.1, table 10-1: CR0 = 60000010H, CR3 = CR4 = EFER = 0. */
	struct smmu_paging_regs r = regs_now();
	cr_assert_eq(r.cr0, UINT64_C(0x60000010), "CR0 %#llx", ULL(r.cr0));
	cr_assert_eq(r.cr3, 0);
	cr_assert_eq(r.cr4, 0);
	cr_assert_eq(r.efer, 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(r.pdpte[i], 0);
	cr_assert_eq(smmu_vcpu_paging_mode(f.vcpu), SMMU_PAGING_OFF);
}

Test(reset, translation_is_identity_for_every_access)
{
	static const uint64_t las[] = { 0, 0x1234, 0x000fffff, 0x80000000,
					0xffffffff };
	static const uint32_t flags[] = {
		0,
		SMMU_ACCESS_WRITE,
		SMMU_ACCESS_USER,
		SMMU_ACCESS_USER | SMMU_ACCESS_WRITE,
		SMMU_ACCESS_FETCH,
		SMMU_ACCESS_IMPLICIT | SMMU_ACCESS_WRITE,
	};
	for (unsigned i = 0; i < sizeof(las) / sizeof(las[0]); i++) {
		for (unsigned j = 0; j < sizeof(flags) / sizeof(flags[0]);
		     j++) {
			struct smmu_translation t;
			cr_assert_eq(
				fixture_translate(&f, las[i], flags[j], &t),
				SMMU_XLATE_OK, "la %#llx flags %#x",
				ULL(las[i]), flags[j]);
			cr_assert_eq(t.gpa, las[i], "la %#llx -> %#llx",
				     ULL(las[i]), ULL(t.gpa));
			cr_assert_eq(t.page_size, X86_PAGE_SIZE);
			cr_assert_eq(t.rights, SMMU_RIGHT_W | SMMU_RIGHT_U |
						       SMMU_RIGHT_X);
		}
	}
}

Test(reset, linear_addresses_are_truncated_to_32_bits)
{
	struct smmu_translation t;
	cr_assert_eq(fixture_translate(&f, UINT64_C(0x123456789), 0, &t),
		     SMMU_XLATE_OK);
	cr_assert_eq(t.gpa, UINT64_C(0x23456789), "gpa %#llx", ULL(t.gpa));
	cr_assert_eq(fixture_translate(&f, UINT64_C(0xfffffffffffff123), 0, &t),
		     SMMU_XLATE_OK);
	cr_assert_eq(t.gpa, UINT64_C(0xfffff123), "gpa %#llx", ULL(t.gpa));
}

#define PROT  (X86_CR0_PE | X86_CR0_NE)
#define PAGED (PROT | X86_CR0_PG)
#define LONG  (X86_EFER_LME | X86_EFER_LMA)
/* Paging registers with no PDPTEs. */
#define REGS(cr0_, cr3_, cr4_, efer_)                                          \
	{                                                                      \
		.cr0 = (cr0_), .cr3 = (cr3_), .cr4 = (cr4_), .efer = (efer_)   \
	}

Test(set_paging, rejects_combinations_no_cpu_can_hold)
{
	static const struct {
		const char *what;
		struct smmu_paging_regs regs;
	} bad[] = {
		{ "LMA without PAE", REGS(PAGED, 0x1000, 0, LONG) },
		{ "LMA without PG", REGS(PROT, 0x1000, X86_CR4_PAE, LONG) },
		{ "LMA without LME",
		  REGS(PAGED, 0x1000, X86_CR4_PAE, X86_EFER_LMA) },
		{ "LMA with paging off",
		  REGS(X86_CR0_CD | X86_CR0_NW, 0, 0, X86_EFER_LMA) },
		{ "PG with LME but not LMA",
		  REGS(PAGED, 0x1000, X86_CR4_PAE, X86_EFER_LME) },
		{ "PCIDE in PAE paging",
		  REGS(PAGED, 0x1000, X86_CR4_PAE | X86_CR4_PCIDE, 0) },
		{ "PCIDE with paging off", REGS(PROT, 0, X86_CR4_PCIDE, 0) },
		{ "PG without PE", REGS(X86_CR0_PG, 0x1000, 0, 0) },
		{ "CR3 bit 63 with PCIDE",
		  REGS(PAGED, X86_CR3_NOFLUSH | 0x1000,
		       X86_CR4_PAE | X86_CR4_PCIDE, LONG) },
		{ "CR3 bit 63 in 4-level paging",
		  REGS(PAGED, X86_CR3_NOFLUSH | 0x1000, X86_CR4_PAE, LONG) },
		{ "CR3 bit 63 with paging off",
		  REGS(PROT, X86_CR3_NOFLUSH | 0x1000, 0, 0) },
		{ "CR0 bit 32", REGS(PAGED | (1ull << 32), 0x1000, 0, 0) },
		{ "CR0 bit 63 with paging off",
		  REGS(PROT | (1ull << 63), 0, 0, 0) },
		{ "CR0.NW without CD", REGS(PROT | X86_CR0_NW, 0, 0, 0) },
		{ "CR3 beyond MAXPHYADDR in 4-level paging",
		  REGS(PAGED, (1ull << 46) | 0x1000, X86_CR4_PAE, LONG) },
		{ "CR3 above 4 GiB in PAE paging",
		  REGS(PAGED, (1ull << 32) | 0x1000, X86_CR4_PAE, 0) },
	};
	struct smmu_paging_regs before = regs_now();

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned long logs = f.host.nr_logs;
		cr_assert_eq(smmu_vcpu_set_paging(f.vcpu, &bad[i].regs),
			     SMMU_EINVAL, "accepted %s", bad[i].what);
		cr_assert_eq(f.host.nr_logs, logs + 1, "%s not logged",
			     bad[i].what);
		struct smmu_paging_regs after = regs_now();
		cr_assert(regs_equal(&after, &before), "%s changed registers",
			  bad[i].what);
		cr_assert_eq(smmu_vcpu_paging_mode(f.vcpu), SMMU_PAGING_OFF);
	}
}

Test(set_paging, accepts_every_reachable_state_as_given)
{
	static const struct {
		const char *what;
		struct smmu_paging_regs regs;
		enum smmu_paging_mode mode;
	} good[] = {
		{ "reset", REGS(0x60000010, 0, 0, 0), SMMU_PAGING_OFF },
		{ "LME before activation",
		  REGS(PROT, 0x1000, X86_CR4_PAE, X86_EFER_LME),
		  SMMU_PAGING_OFF },
		{ "32-bit", REGS(PAGED, 0x1018, X86_CR4_PSE, 0),
		  SMMU_PAGING_32BIT },
		/* PDPTEs are taken as given, not read from CR3. */
		{ "PAE",
		  { .cr0 = PAGED,
		    .cr3 = 0x1020,
		    .cr4 = X86_CR4_PAE,
		    .efer = X86_EFER_NXE,
		    .pdpte = { 0x2001, 0, 0x3019, 0x123456000 } },
		  SMMU_PAGING_PAE },
		{ "4-level with PCID",
		  REGS(PAGED | X86_CR0_WP, 0x1005, X86_CR4_PAE | X86_CR4_PCIDE,
		       LONG | X86_EFER_NXE),
		  SMMU_PAGING_4LEVEL },
		{ "5-level",
		  REGS(PAGED, 0x1000, X86_CR4_PAE | X86_CR4_LA57, LONG),
		  SMMU_PAGING_5LEVEL },
		{ "LA57 outside IA-32e",
		  REGS(PAGED, 0x1000, X86_CR4_PAE | X86_CR4_LA57, 0),
		  SMMU_PAGING_PAE },
	};

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert_eq(smmu_vcpu_set_paging(f.vcpu, &good[i].regs),
			     SMMU_OK, "refused %s", good[i].what);
		struct smmu_paging_regs r = regs_now();
		cr_assert(regs_equal(&r, &good[i].regs),
			  "%s not read back as set", good[i].what);
		cr_assert_eq(smmu_vcpu_paging_mode(f.vcpu), good[i].mode,
			     "%s: wrong mode", good[i].what);
	}
}

Test(set_paging, null_arguments_are_einval)
{
	struct smmu_paging_regs r = regs_now();
	cr_assert_eq(smmu_vcpu_set_paging(NULL, &r), SMMU_EINVAL);
	cr_assert_eq(smmu_vcpu_set_paging(f.vcpu, NULL), SMMU_EINVAL);
}

/* A 4-level hierarchy mapping la 0x400000 to gpa 0x80000, user and
 * writable; returns CR3. */
static uint64_t build_4level(void)
{
	uint64_t t[4];
	for (int i = 0; i < 4; i++)
		t[i] = fixture_alloc_table(&f);
	const uint64_t flags = X86_PTE_P | X86_PTE_RW | X86_PTE_US;
	smmu_posix_ram_write64(&f.host.ram, t[0], t[1] | flags);
	smmu_posix_ram_write64(&f.host.ram, t[1], t[2] | flags);
	smmu_posix_ram_write64(&f.host.ram, t[2] + 8 * 2, t[3] | flags);
	smmu_posix_ram_write64(&f.host.ram, t[3], 0x80000 | flags);
	return t[0];
}

static const uint32_t contradictory_flags[] = {
	SMMU_ACCESS_FETCH | SMMU_ACCESS_WRITE,
	SMMU_ACCESS_IMPLICIT | SMMU_ACCESS_USER,
	SMMU_ACCESS_IMPLICIT | SMMU_ACCESS_FETCH,
	SMMU_ACCESS_USER | SMMU_ACCESS_FETCH | SMMU_ACCESS_WRITE,
	UINT32_C(1) << 18, /* unknown bits */
	UINT32_C(1) << 31,
	SMMU_ACCESS_WRITE | (UINT32_C(1) << 24),
};

static const uint32_t consistent_flags[] = {
	0,
	SMMU_ACCESS_WRITE,
	SMMU_ACCESS_USER,
	SMMU_ACCESS_USER | SMMU_ACCESS_WRITE,
	SMMU_ACCESS_FETCH,
	SMMU_ACCESS_USER | SMMU_ACCESS_FETCH,
	SMMU_ACCESS_IMPLICIT,
	SMMU_ACCESS_IMPLICIT | SMMU_ACCESS_WRITE,
	SMMU_ACCESS_AC,
	SMMU_ACCESS_AC | SMMU_ACCESS_WRITE,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_flags_checked(uint64_t la)
{
	struct smmu_translation t;
	for (unsigned i = 0; i < N(contradictory_flags); i++)
		cr_assert_eq(
			fixture_translate(&f, la, contradictory_flags[i], &t),
			SMMU_XLATE_EINVAL, "flags %#x accepted",
			contradictory_flags[i]);
	for (unsigned i = 0; i < N(consistent_flags); i++)
		cr_assert_eq(fixture_translate(&f, la, consistent_flags[i], &t),
			     SMMU_XLATE_OK, "flags %#x refused",
			     consistent_flags[i]);
}

Test(translate, contradictory_access_flags_are_einval_with_paging_off)
{
	assert_flags_checked(0x400000);
}

Test(translate, contradictory_access_flags_are_einval_with_paging_on)
{
	uint64_t cr3 = build_4level();
	fixture_set_paging(&f, PAGED, cr3, X86_CR4_PAE, LONG);
	assert_flags_checked(0x400000);
}

Test(translate, refused_access_sets_no_accessed_bit)
{
	uint64_t cr3 = build_4level();
	fixture_set_paging(&f, PAGED, cr3, X86_CR4_PAE, LONG);
	struct smmu_translation t;

	for (unsigned i = 0; i < N(contradictory_flags); i++)
		cr_assert_eq(fixture_translate(&f, 0x400000,
					       contradictory_flags[i], &t),
			     SMMU_XLATE_EINVAL);
	uint64_t pml4e = smmu_posix_ram_read64(&f.host.ram, cr3);
	cr_assert_eq(pml4e & X86_PTE_A, 0, "a refused access set A");

	/* The same address is fine with consistent flags, and then A is
	 * set, so the check above could see it. */
	cr_assert_eq(fixture_translate(&f, 0x400000, SMMU_ACCESS_WRITE, &t),
		     SMMU_XLATE_OK);
	cr_assert_eq(t.gpa, 0x80000);
	pml4e = smmu_posix_ram_read64(&f.host.ram, cr3);
	cr_assert_eq(pml4e & X86_PTE_A, X86_PTE_A);
}

Test(translate, null_arguments_are_einval)
{
	struct smmu_access acc = { .la = 0x1000 };
	struct smmu_translation t;
	cr_assert_eq(smmu_vcpu_translate(NULL, &acc, &t), SMMU_XLATE_EINVAL);
	cr_assert_eq(smmu_vcpu_translate(f.vcpu, NULL, &t), SMMU_XLATE_EINVAL);
	cr_assert_eq(smmu_vcpu_translate(f.vcpu, &acc, NULL),
		     SMMU_XLATE_EINVAL);
}
