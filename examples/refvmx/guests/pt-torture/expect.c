/* SPDX-License-Identifier: MIT */
#include "expect.h"

#include "fault_probe.h"
#include "report.h"

/* Never 0 and never repeated, so a read that returns an earlier check's
 * marker is caught, not mistaken for the expected one. */
uint32_t new_marker(void)
{
	static uint32_t count;

	return 0x6d6b0000u | (++count & 0xffff);
}

uint32_t mark(uint64_t pa)
{
	uint32_t m = new_marker();

	*probe_word(pa) = m;
	return m;
}

static const char *const access_names[] = { "read", "write", "fetch" };

static bool probe(enum access a, uintptr_t va, uint32_t *value, struct fault *f)
{
	switch (a) {
	case ACCESS_READ:
		return probe_read(va, value, f);
	case ACCESS_WRITE:
		return probe_write(va, *value, f);
	case ACCESS_FETCH:
		return probe_exec(va, value, f);
	}
	return false;
}

static void fail_fault(const char *check, enum access a, uintptr_t va,
		       const struct fault *f)
{
	report_fail(check, "%s at %p faulted: vector %lu, error 0x%lx, cr2 %p",
		    access_names[a], (void *)va, f->vector, f->error,
		    (void *)f->cr2);
}

bool expect_read(const char *check, uintptr_t va, uint32_t want, uint32_t old)
{
	struct fault f;
	uint32_t got;

	if (probe_read(va, &got, &f)) {
		fail_fault(check, ACCESS_READ, va, &f);
		return false;
	}
	if (got != want) {
		report_fail(check, "read at %p gave 0x%08x, expected 0x%08x%s",
			    (void *)va, got, want,
			    old && got == old ? " (the old mapping's marker)"
					      : "");
		return false;
	}
	return true;
}

bool expect_write(const char *check, uintptr_t va, uint32_t value)
{
	struct fault f;

	if (probe_write(va, value, &f)) {
		fail_fault(check, ACCESS_WRITE, va, &f);
		return false;
	}
	return true;
}

bool expect_exec(const char *check, uintptr_t va, uint32_t want)
{
	struct fault f;
	uint32_t got;

	if (probe_exec(va, &got, &f)) {
		fail_fault(check, ACCESS_FETCH, va, &f);
		return false;
	}
	if (got != want) {
		report_fail(check,
			    "code at %p returned 0x%08x, expected 0x%08x",
			    (void *)va, got, want);
		return false;
	}
	return true;
}

bool expect_pf(const char *check, enum access a, uintptr_t va, uint64_t error)
{
	uint32_t value = 0x0badf00d;
	struct fault f;

	if (!probe(a, va, &value, &f)) {
		report_fail(check,
			    "%s at %p did not fault; expected #PF, "
			    "error 0x%llx",
			    access_names[a], (void *)va,
			    (unsigned long long)error);
		return false;
	}
	if (f.vector != X86_VEC_PF || f.error != error || f.cr2 != va) {
		report_fail(check,
			    "%s at %p: vector %lu, error 0x%lx, cr2 %p; "
			    "expected vector 14, error 0x%llx, cr2 %p",
			    access_names[a], (void *)va, f.vector, f.error,
			    (void *)f.cr2, (unsigned long long)error,
			    (void *)va);
		return false;
	}
	return true;
}

bool expect_entry_bit(const char *check, const struct torture *t,
		      const void *entry, const char *what, uint64_t bit,
		      const char *bit_name, const char *after)
{
	uint64_t e = pte_read(t->as.mode, entry);

	if (!(e & bit)) {
		report_fail(check, "%s 0x%llx has %s clear after %s", what,
			    (unsigned long long)e, bit_name, after);
		return false;
	}
	return true;
}
