/* SPDX-License-Identifier: MIT */
#include "cmdline.h"

/* The word at p starts with prefix: where the rest of it begins, or 0. */
static const char *word_after(const char *p, const char *prefix)
{
	while (*prefix && *p == *prefix) {
		p++;
		prefix++;
	}
	return *prefix ? 0 : p;
}

static const char *next_word(const char *p)
{
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

bool cmdline_has(const char *line, const char *word)
{
	for (const char *p = line; *p; p = next_word(p)) {
		while (*p == ' ')
			p++;
		const char *rest = word_after(p, word);
		if (rest && (*rest == ' ' || !*rest))
			return true;
	}
	return false;
}

uint64_t cmdline_uint(const char *line, const char *key, uint64_t fallback)
{
	for (const char *p = line; *p; p = next_word(p)) {
		while (*p == ' ')
			p++;
		const char *v = word_after(p, key);
		if (!v || *v < '0' || *v > '9')
			continue;
		uint64_t n = 0;
		while (*v >= '0' && *v <= '9')
			n = n * 10 + (uint64_t)(*v++ - '0');
		if (*v == ' ' || !*v)
			return n;
	}
	return fallback;
}
