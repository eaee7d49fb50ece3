/* SPDX-License-Identifier: MIT */
/*
 * A bounded line builder for messages, because the VMX glue runs where
 * there is no snprintf. Appending never overflows: text past the buffer
 * is dropped and the line stays NUL-terminated.
 */
#ifndef VMX_TEXT_H
#define VMX_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct vmx_text {
	char *buf;
	size_t size; /* bytes in buf, including the terminating NUL */
	size_t len;
};

/* Start an empty line in buf[size]; size 0 is allowed (drops everything). */
void vmx_text_init(struct vmx_text *t, char *buf, size_t size);
void vmx_text_str(struct vmx_text *t, const char *s);
/* 0x-prefixed lower-case hex, no leading zeros: 0x0, 0x80000031. */
void vmx_text_hex(struct vmx_text *t, uint64_t v);
void vmx_text_dec(struct vmx_text *t, uint64_t v);

#endif /* VMX_TEXT_H */
