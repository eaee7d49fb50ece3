/* SPDX-License-Identifier: MIT */
#include "fixture.h"

#include <criterion/criterion.h>
#include <string.h>

void fixture_init(struct fixture *f, uint64_t ram_size, uint8_t maxphyaddr,
		  bool gbpages, uint64_t table_base)
{
	memset(f, 0, sizeof(*f));
	cr_assert_eq(smmu_posix_ram_init(&f->host.ram, ram_size), 0);
	struct smmu_vm_config cfg = { .maxphyaddr = maxphyaddr,
				      .gbpages = gbpages };
	cr_assert_eq(
		smmu_vm_create(&cfg, &smmu_posix_host_ops, &f->host, &f->vm),
		SMMU_OK);
	cr_assert_eq(smmu_vcpu_create(f->vm, 0, &f->vcpu), SMMU_OK);
	f->next_table = table_base;
}

void fixture_fini(struct fixture *f)
{
	smmu_vcpu_destroy(f->vcpu);
	cr_assert_eq(smmu_vm_destroy(f->vm), SMMU_OK);
	smmu_posix_ram_fini(&f->host.ram);
}

uint64_t fixture_alloc_table(struct fixture *f)
{
	uint64_t gpa = f->next_table;
	void *p = smmu_posix_ram_ptr(&f->host.ram, gpa, 4096);
	cr_assert_not_null(p, "fixture ran out of table pages");
	memset(p, 0, 4096);
	f->next_table += 4096;
	return gpa;
}

void fixture_set_paging(struct fixture *f, uint64_t cr0, uint64_t cr3,
			uint64_t cr4, uint64_t efer)
{
	struct smmu_paging_regs regs = {
		.cr0 = cr0, .cr3 = cr3, .cr4 = cr4, .efer = efer
	};
	cr_assert_eq(smmu_vcpu_set_paging(f->vcpu, &regs), SMMU_OK);
}

enum smmu_xlate_status fixture_translate(struct fixture *f, uint64_t la,
					 uint32_t flags,
					 struct smmu_translation *out)
{
	struct smmu_access acc = { .la = la, .flags = flags, .pkru = 0 };
	memset(out, 0, sizeof(*out));
	return smmu_vcpu_translate(f->vcpu, &acc, out);
}
