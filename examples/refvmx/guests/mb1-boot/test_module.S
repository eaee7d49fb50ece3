/* SPDX-License-Identifier: MIT */
/* The boot module's bytes (test_module.h). */
#include "test_module.h"

	.section .data
	.long TEST_MODULE_MAGIC0, TEST_MODULE_MAGIC1, TEST_MODULE_WORDS
	.set i, 0
	.rept TEST_MODULE_WORDS
	.long TEST_MODULE_WORD(i)
	.set i, i + 1
	.endr
