/* SPDX-License-Identifier: MIT */
/*
 * The boot module mb1-boot is given (test_module.S, flattened to a
 * binary): a magic, the number of words, then words of a pattern both
 * sides compute. 3000 words make it 12012 bytes: not a whole number of
 * pages, so its end address is checked to the byte.
 *
 * Included from assembly: plain numbers only.
 */
#ifndef MB1_TEST_MODULE_H
#define MB1_TEST_MODULE_H

#define TEST_MODULE_MAGIC0 0x4d31424d /* "MB1M" */
#define TEST_MODULE_MAGIC1 0x3176444f /* "ODv1" */
#define TEST_MODULE_WORDS  3000
#define TEST_MODULE_SIZE   (12 + 4 * TEST_MODULE_WORDS)
/* Word i of the pattern (32 bits). */
#define TEST_MODULE_WORD(i) ((((i)*0x9e3779b1) + 0x12345) & 0xffffffff)

#endif
