/* SPDX-License-Identifier: MIT */
/*
 * What the posix tools' command lines share (smmu-sim, smmu-bench).
 */
#ifndef SMMU_POSIX_CLI_H
#define SMMU_POSIX_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* The number `s` given to option `opt` (decimal, 0x hex or 0 octal, as
 * strtoull reads them), at most max; false with a message on stderr
 * that starts with `prog`. */
bool cli_parse_u64(const char *prog, const char *opt, const char *s,
		   uint64_t max, uint64_t *out);

#endif
