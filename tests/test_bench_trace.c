/* SPDX-License-Identifier: MIT */
/*
 * smmu-bench's trace format (bench/TRACE.md): a good file is read whole,
 * a bad line is named with its line number and nothing of its file is
 * applied, and what the writer writes the reader reads back, down to a
 * replay that counts exactly what the recorded workload counted.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "trace.h"
#include "workload.h"

static int parse_text(const char *text, struct bench_trace *t, char *err,
		      size_t len)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	cr_assert_not_null(in);
	int r = bench_trace_parse(in, "t.trace", t, err, len);
	fclose(in);
	return r;
}

/* The text the writer makes of t. */
static char *write_text(const struct bench_trace *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	cr_assert_not_null(out);
	cr_assert_eq(bench_trace_write(t, out), 0);
	fclose(out);
	return buf;
}

static const char good[] =
	"smmu-trace 1\n"
	"# a comment line, and a blank one:\n"
	"\n"
	"machine vcpus=2 ram=0x400000 maxphyaddr=40 gbpages=0\n"
	"host pool-pages=64\n"
	"mem 0x1000 0x2003   # a PML4E\n"
	"regs 0 cr0=0x80010001 cr3=0x1000 cr4=0x20 efer=0xd00\n"
	"regs 1 cr0=0x80000001 cr3=0x1001 cr4=0x20020 efer=0x500\n"
	"0 read 0x400000 user\n"
	"0 fetch 0x401000\n"
	"0 write 0x402000 42 user ac pkru=0xc\n"
	"1 ptwrite 0xffff888000002000 0x3003\n"
	"1 read 0xffff888000003000 implicit\n"
	"0 cr3 0x8000000000001001\n"
	"0 cr0 0x80010001\n"
	"0 cr4 0x20\n"
	"0 efer 0xd00\n"
	"0 invlpg 0x400000\n"
	"0 invpcid 1 0x5 0x0\n"
	"1 pvflush\n"
	"0 shootdown 0x2 0x400000\n"
	"0 shootdown 0x2 all\n"
	"1 dma 0x3008 0x5\n"
	"1 remap 0x10000 0x2000\n"
	"1 unmap 0x12000 0x1000\n";

Test(bench_trace, a_good_file_is_read_whole)
{
	struct bench_trace t;
	char err[256] = "";
	bench_trace_init(&t);
	cr_assert_eq(parse_text(good, &t, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(t.nr_vcpus, 2);
	cr_expect_eq(t.ram_size, 0x400000);
	cr_expect_eq(t.maxphyaddr, 40);
	cr_expect_not(t.gbpages);
	cr_expect_eq(t.pool_pages, 64);
	cr_expect_eq(*u64map_get(&t.mem, 0x1000), 0x2003);
	cr_expect_eq(t.vcpu[1].regs.cr4, 0x20020);
	cr_expect_eq(t.vcpu[0].regs.efer, 0xd00);
	cr_assert_eq(t.vcpu[0].nr, 11);
	cr_assert_eq(t.vcpu[1].nr, 6);

	const struct bench_event *e = t.vcpu[0].ev;
	cr_expect_eq(e[0].op.kind, GOP_ACCESS);
	cr_expect_eq(e[0].op.flags, SMMU_ACCESS_USER);
	cr_expect_eq(e[1].op.flags, SMMU_ACCESS_FETCH);
	cr_expect_eq(e[2].op.kind, GOP_STORE);
	cr_expect_eq(e[2].op.val, 42);
	cr_expect_eq(e[2].op.flags, SMMU_ACCESS_USER | SMMU_ACCESS_AC);
	cr_expect_eq(e[2].op.pkru, 0xc);
	cr_expect_not(e[2].pt);
	cr_expect_eq(e[3].op.kind, GOP_MOV_CR3);
	cr_expect_eq(e[3].op.val, 0x8000000000001001ull);
	cr_expect_eq(e[4].op.kind, GOP_MOV_CR0);
	cr_expect_eq(e[5].op.kind, GOP_MOV_CR4);
	cr_expect_eq(e[6].op.kind, GOP_WRMSR_EFER);
	cr_expect_eq(e[7].op.kind, GOP_INVLPG);
	cr_expect_eq(e[8].op.kind, GOP_INVPCID);
	cr_expect_eq(e[8].op.type, 1);
	cr_expect_eq(e[8].op.pcid, 5);
	cr_expect_eq(e[9].op.kind, GOP_SHOOTDOWN);
	cr_expect_eq(e[9].op.targets, 2);
	cr_expect_eq(e[9].op.la, 0x400000);
	cr_expect_eq(e[10].op.kind, GOP_SHOOTDOWN);
	cr_expect_eq(e[10].op.la, GOP_ALL);

	const struct bench_event *f = t.vcpu[1].ev;
	cr_expect_eq(f[0].op.kind, GOP_STORE);
	cr_expect(f[0].pt);
	cr_expect_eq(f[1].op.flags, SMMU_ACCESS_IMPLICIT);
	cr_expect_eq(f[2].op.kind, GOP_PV_FLUSH);
	cr_expect_eq(f[3].op.kind, GOP_DMA_STORE);
	cr_expect_eq(f[3].op.la, 0x3008);
	cr_expect_eq(f[3].op.val, 5);
	cr_expect_eq(f[4].op.kind, GOP_HOST_REMAP);
	cr_expect_eq(f[4].op.val, 0x2000);
	cr_expect_eq(f[5].op.kind, GOP_HOST_UNMAP);
	cr_expect_eq(f[5].op.la, 0x12000);
	bench_trace_fini(&t);
}

/* Each bad file: the line the reader must name and what it must say. */
static const struct {
	const char *text;
	unsigned line;
	const char *says;
} bad[] = {
	{ "", 1, "first line must be 'smmu-trace 1'" },
	{ "# comment\n", 1, "first line must be 'smmu-trace 1'" },
	{ "smmu-trace 2\n", 1, "trace version 2" },
	{ "smmu-trace 1\nmem 0 1\n", 2, "before the 'machine' line" },
	{ "smmu-trace 1\nmachine vcpus=0 ram=4096\n", 2, "vcpus=1.." },
	{ "smmu-trace 1\nmachine vcpus=1 ram=4097\n", 2, "multiple of 4096" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=4096 cpus=2\n", 2,
	  "not 'cpus=2'" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=4096\nmachine vcpus=1 "
	  "ram=4096\n",
	  3, "a second 'machine' line" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\nmem 0x1004 1\n", 3,
	  "not 8-byte aligned" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\nmem 0x2000 1\n", 3,
	  "beyond the machine's RAM" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\nmem 8 1\nmem 8 2\n", 4,
	  "set already at line 3" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\nmem 010 0x1g\n", 3,
	  "'0x1g' is not a number" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\nregs 0 cr0=1 cr3=0 "
	  "cr4=0\n",
	  3, "lacks efer=" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\nregs 1 cr0=1\n", 3,
	  "vCPU 1: the machine has 1" },
	{ "smmu-trace 1\nmachine vcpus=2 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 read 0\n",
	  4, "end of file: vCPU 1 has no 'regs' line" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 jump 0\n",
	  4, "unknown event 'jump'" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 invpcid 4 0 0\n",
	  4, "INVPCID type: 4 is more than 3" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 read 0 user implicit\n",
	  4, "not with user or fetch" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 write 0\n",
	  4, "'write' wants" },
	{ "smmu-trace 1\nmachine vcpus=2 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 shootdown 0x4 all\n",
	  4, "name vCPUs the machine has not" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\nfrobnicate\n", 3,
	  "unknown line 'frobnicate'" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 unmap 0x1000 0x2000\n",
	  4, "beyond the machine's RAM" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 remap 0x800 0x1000\n",
	  4, "not 4096-byte aligned" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 dma 0x4 1\n",
	  4, "not 8-byte aligned" },
	{ "smmu-trace 1\nmachine vcpus=1 ram=0x2000\n"
	  "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n0 read -1\n",
	  4, "'-1' is not a number" },
};

Test(bench_trace, a_bad_line_is_named_and_nothing_is_applied)
{
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bench_trace t;
		char err[256] = "", where[32];
		bench_trace_init(&t);
		/* What the caller had must survive the failure. */
		cr_assert_eq(parse_text(good, &t, err, sizeof(err)), 0);
		cr_assert_eq(parse_text(bad[i].text, &t, err, sizeof(err)), -1,
			     "case %u was accepted", i);
		snprintf(where, sizeof(where), "t.trace:%u: ", bad[i].line);
		cr_expect(strncmp(err, where, strlen(where)) == 0,
			  "case %u: '%s' does not start with '%s'", i, err,
			  where);
		cr_expect(strstr(err, bad[i].says) != NULL,
			  "case %u: '%s' does not say '%s'", i, err,
			  bad[i].says);
		cr_expect_eq(t.nr_vcpus, 2, "case %u changed the trace", i);
		cr_expect_eq(bench_trace_events(&t), 17, "case %u", i);
		cr_expect_eq(*u64map_get(&t.mem, 0x1000), 0x2003, "case %u", i);
		bench_trace_fini(&t);
	}
}

Test(bench_trace, a_bad_line_late_in_a_file_applies_nothing_before_it)
{
	/* Everything before line 8 is good and would change the trace. */
	static const char text[] = "smmu-trace 1\n"
				   "machine vcpus=1 ram=0x2000\n"
				   "mem 8 7\n"
				   "regs 0 cr0=0 cr3=0 cr4=0 efer=0\n"
				   "0 read 0\n"
				   "0 read 8\n"
				   "0 invlpg 0\n"
				   "0 invlpg\n";
	struct bench_trace t;
	char err[256];
	bench_trace_init(&t);
	cr_assert_eq(parse_text(text, &t, err, sizeof(err)), -1);
	cr_expect(strstr(err, "t.trace:8: 'invlpg' wants") != NULL, "%s", err);
	cr_expect_eq(t.nr_vcpus, 0);
	cr_expect_eq(bench_trace_events(&t), 0);
	cr_expect_null(u64map_get(&t.mem, 8));
	bench_trace_fini(&t);
}

static void workload_trace(const char *spec_text, struct bench_trace *t)
{
	struct bench_spec spec;
	char err[256];
	cr_assert_eq(bench_spec_parse(spec_text, 1.0, &spec, err, sizeof(err)),
		     0, "%s", err);
	bench_trace_init(t);
	cr_assert_eq(bench_spec_trace(&spec, 7, t, err, sizeof(err)), 0, "%s",
		     err);
}

static void expect_same_trace(const struct bench_trace *a,
			      const struct bench_trace *b)
{
	cr_assert_eq(a->nr_vcpus, b->nr_vcpus);
	cr_expect_eq(a->ram_size, b->ram_size);
	cr_expect_eq(a->maxphyaddr, b->maxphyaddr);
	cr_expect_eq(a->gbpages, b->gbpages);
	cr_expect_eq(a->pool_pages, b->pool_pages);
	cr_expect_eq(a->mem.count, b->mem.count);
	for (uint64_t i = 0; i < a->mem.cap; i++) {
		if (!a->mem.used[i])
			continue;
		const uint64_t *v = u64map_get(&b->mem, a->mem.keys[i]);
		cr_expect(v && *v == a->mem.vals[i], "mem %#llx",
			  (unsigned long long)a->mem.keys[i]);
	}
	for (unsigned v = 0; v < a->nr_vcpus; v++) {
		const struct bench_vcpu_prog *p = &a->vcpu[v], *q = &b->vcpu[v];
		cr_expect_eq(memcmp(&p->regs, &q->regs, sizeof(p->regs)), 0);
		cr_assert_eq(p->nr, q->nr, "vCPU %u", v);
		for (unsigned i = 0; i < p->nr; i++)
			cr_expect(!memcmp(&p->ev[i].op, &q->ev[i].op,
					  sizeof(p->ev[i].op)) &&
					  p->ev[i].pt == q->ev[i].pt,
				  "vCPU %u event %u differs", v, i);
	}
}

Test(bench_trace, what_is_read_is_written_back_whole)
{
	struct bench_trace t, back;
	char err[256];
	bench_trace_init(&t);
	bench_trace_init(&back);
	cr_assert_eq(parse_text(good, &t, err, sizeof(err)), 0, "%s", err);
	char *text = write_text(&t);
	cr_assert_eq(parse_text(text, &back, err, sizeof(err)), 0, "%s", err);
	expect_same_trace(&t, &back);
	free(text);
	bench_trace_fini(&t);
	bench_trace_fini(&back);
}

Test(bench_trace, what_is_written_reads_back_the_same)
{
	static const char *const specs[] = {
		"ctxsw:kpti:procs=3:rounds=2",
		"shootdown:vcpus=3:rounds=2:batch=40:pages=64",
		"forkexec:rounds=2:pages=4:cow=2",
		"pressure:vcpus=2:tables=16:rounds=20:pool=32",
	};
	for (unsigned i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct bench_trace t, back;
		char err[256];
		workload_trace(specs[i], &t);
		char *text = write_text(&t);
		bench_trace_init(&back);
		cr_assert_eq(parse_text(text, &back, err, sizeof(err)), 0,
			     "%s: %s", specs[i], err);
		char *again = write_text(&back);
		cr_expect_str_eq(again, text, "%s", specs[i]);
		cr_expect_eq(bench_trace_events(&back), bench_trace_events(&t));
		cr_expect_eq(back.pool_pages, t.pool_pages);
		free(text);
		free(again);
		bench_trace_fini(&t);
		bench_trace_fini(&back);
	}
}

Test(bench_trace, a_replay_counts_what_the_recorded_workload_counted,
     .timeout = 60)
{
	struct bench_trace t, back;
	struct bench_result a, b;
	char err[256];
	struct bench_run_config c = { .policy = &bench_policies[0],
				      .oracle = true,
				      .seed = 1,
				      .report_max = 3 };
	workload_trace("shootdown:vcpus=3:rounds=4", &t);
	char *text = write_text(&t);
	bench_trace_init(&back);
	cr_assert_eq(parse_text(text, &back, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bench_run(&t, &c, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bench_run(&back, &c, &b, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(a.violations, 0);
	cr_expect_gt(a.ops, 0);
	cr_expect_gt(bench_flushes(&a, -1, -1), 0);
	/* Every count, not just a few: only the host's time may differ. */
	a.lib_ns = b.lib_ns = 0;
	cr_expect_eq(memcmp(&a, &b, sizeof(a)), 0,
		     "the replay counted differently");
	free(text);
	bench_trace_fini(&t);
	bench_trace_fini(&back);
}
