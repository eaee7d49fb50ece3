/* SPDX-License-Identifier: MIT */
/* The hardware flushes smmu_vcpu_enter asks for, as rows. */
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "figures.h"
#include "report.h"

const char *const cb_scope_name[CB_NR_SCOPES] = {
	[CB_SCOPE_ADDR] = "addr",	  [CB_SCOPE_PCID_ADDR] = "pcid_addr",
	[CB_SCOPE_PCID] = "pcid",	  [CB_SCOPE_VCPU] = "vcpu",
	[CB_SCOPE_VCPU_ALL] = "vcpu_all",
};

void cb_report_flushes(const char *name, const uint64_t by_scope[CB_NR_SCOPES],
		       double ops)
{
	char note[120] = "";
	size_t len = 0;
	uint64_t total = 0;
	for (unsigned s = 0; s < CB_NR_SCOPES; s++) {
		total += by_scope[s];
		if (by_scope[s] && len < sizeof(note))
			len += (size_t)snprintf(note + len, sizeof(note) - len,
						"%s%s %.3f", len ? ", " : "",
						cb_scope_name[s],
						(double)by_scope[s] / ops);
	}
	cb_report(name, (double)total / ops, "flushes/op", -1, 0, "%s",
		  total ? note : "none");
}
