/* SPDX-License-Identifier: MIT */
/* refvmx's own command line (the multiboot2 line in grub.cfg): words,
 * some of them key=value. */
#ifndef REFVMX_CMDLINE_H
#define REFVMX_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

/* Whether the line holds `word` as a whole word. */
bool cmdline_has(const char *line, const char *word);
/* The decimal value of the word `key`=N (key given with its '='), or
 * `fallback` when there is none or it is not a number. */
uint64_t cmdline_uint(const char *line, const char *key, uint64_t fallback);

#endif
