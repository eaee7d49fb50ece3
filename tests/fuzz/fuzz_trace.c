/* SPDX-License-Identifier: MIT */
/*
 * fuzz-trace: smmu-bench's trace reader (bench/trace_parse.c,
 * bench/TRACE.md) fed arbitrary bytes. Besides the sanitizers it checks
 * what the reader promises: a refused file names itself in a message
 * that ends inside the buffer and leaves the trace untouched; an accepted
 * one, written back (bench_trace_write), reads back and writes the same
 * text again.
 */
#define _GNU_SOURCE /* fmemopen, open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_count.h"
#include "trace.h"

static void finding(const char *what)
{
	fprintf(stderr, "fuzz-trace: %s\n", what);
	abort();
}

/* The text form of t, malloc'ed. */
static char *write_text(const struct bench_trace *t, size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);
	if (!out)
		finding("open_memstream failed");
	if (bench_trace_write(t, out))
		finding("bench_trace_write failed on a trace the reader "
			"accepted");
	fclose(out);
	return buf;
}

static int parse(const void *data, size_t size, struct bench_trace *t,
		 char *err, size_t err_len)
{
	/* fmemopen wants a buffer of at least one byte. */
	static const char empty[1];
	FILE *in =
		fmemopen((void *)(size ? data : empty), size ? size : 1, "r");
	if (!in)
		finding("fmemopen failed");
	if (!size)
		fgetc(in); /* at end of file: an empty input */
	int r = bench_trace_parse(in, "fuzz", t, err, err_len);
	fclose(in);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bench_trace t;
	char err[256];
	memset(err, 0x55, sizeof(err));
	bench_trace_init(&t);
	fuzz_count("fuzz-trace", 1);
	if (parse(data, size, &t, err, sizeof(err))) {
		if (!memchr(err, 0, sizeof(err)))
			finding("an error message without its NUL");
		if (strncmp(err, "fuzz:", 5))
			finding("an error message that does not name the "
				"file");
		if (t.nr_vcpus || t.mem.count || bench_trace_events(&t))
			finding("a refused file changed the trace");
		bench_trace_fini(&t);
		return 0;
	}

	size_t len1, len2;
	char *text1 = write_text(&t, &len1);
	struct bench_trace again;
	bench_trace_init(&again);
	if (parse(text1, len1, &again, err, sizeof(err))) {
		fprintf(stderr, "fuzz-trace: %s\n", err);
		finding("the reader refuses what the writer wrote of a trace "
			"it accepted");
	}
	char *text2 = write_text(&again, &len2);
	if (len1 != len2 || memcmp(text1, text2, len1))
		finding("a trace written, read back and written again is "
			"not the same text");
	free(text1);
	free(text2);
	bench_trace_fini(&again);
	bench_trace_fini(&t);
	return 0;
}
