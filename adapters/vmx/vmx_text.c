/* SPDX-License-Identifier: MIT */
#include "vmx_text.h"

void vmx_text_init(struct vmx_text *t, char *buf, size_t size)
{
	t->buf = buf;
	t->size = size;
	t->len = 0;
	if (size)
		buf[0] = '\0';
}

static void put(struct vmx_text *t, char c)
{
	if (t->len + 1 >= t->size)
		return;
	t->buf[t->len++] = c;
	t->buf[t->len] = '\0';
}

void vmx_text_str(struct vmx_text *t, const char *s)
{
	while (*s)
		put(t, *s++);
}

void vmx_text_hex(struct vmx_text *t, uint64_t v)
{
	int shift = 60;

	put(t, '0');
	put(t, 'x');
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		put(t, "0123456789abcdef"[(v >> shift) & 0xf]);
}

void vmx_text_dec(struct vmx_text *t, uint64_t v)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		put(t, digits[--n]);
}
