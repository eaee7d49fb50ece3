/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

bool cli_parse_u64(const char *prog, const char *opt, const char *s,
		   uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	/* strtoull takes "-1" as a huge number: a sign is refused. */
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr,
			"%s: %s wants a number up to %" PRIu64 ", not '%s'\n",
			prog, opt, max, s);
		return false;
	}
	*out = v;
	return true;
}
