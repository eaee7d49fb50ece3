/* SPDX-License-Identifier: MIT */
/*
 * The release version: version.h's macros (generated from meson's project
 * version), and smmu_version() / smmu_version_number() of the library
 * linked, which is the shared library here, so this also checks that
 * they are exported. They must all say the same.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <shadowmmu/shadowmmu.h>

/* The number is usable in #if. */
#if SMMU_VERSION < SMMU_VERSION_NUMBER(0, 1, 0)
#error "SMMU_VERSION is older than the first release"
#endif

Test(version, macros_agree)
{
	char s[32];

	snprintf(s, sizeof(s), "%d.%d.%d", SMMU_VERSION_MAJOR,
		 SMMU_VERSION_MINOR, SMMU_VERSION_PATCH);
	cr_expect_str_eq(s, SMMU_VERSION_STRING);
	cr_expect_eq(SMMU_VERSION, (SMMU_VERSION_MAJOR << 16) |
					   (SMMU_VERSION_MINOR << 8) |
					   SMMU_VERSION_PATCH);
	cr_expect(SMMU_VERSION_NUMBER(0, 2, 0) > SMMU_VERSION_NUMBER(0, 1, 9));
	cr_expect(SMMU_VERSION_NUMBER(1, 0, 0) > SMMU_VERSION_NUMBER(0, 9, 9));
}

/* SMMU_PROJECT_VERSION is meson.project_version(), from tests/meson.build. */
Test(version, header_is_the_project_version)
{
	cr_expect_str_eq(SMMU_VERSION_STRING, SMMU_PROJECT_VERSION);
}

Test(version, runtime_matches_header)
{
	cr_assert_not_null(smmu_version());
	cr_expect_str_eq(smmu_version(), SMMU_VERSION_STRING);
	cr_expect_eq(smmu_version_number(), (unsigned)SMMU_VERSION);
	/* Stable: the same string every call. */
	cr_expect_eq(smmu_version(), smmu_version());
}
