/* SPDX-License-Identifier: MIT */
#include <shadowmmu/shadowmmu.h>

const char *smmu_version(void)
{
	return SMMU_VERSION_STRING;
}

unsigned smmu_version_number(void)
{
	return SMMU_VERSION;
}
