/* SPDX-License-Identifier: MIT */
/*
 * The trace reader (TRACE.md is the format). The whole file is read into
 * a trace of its own before the caller's is touched: a file with a bad
 * line anywhere applies nothing, and the message names the line.
 */
#include "trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE   4096
#define MAX_FIELDS 16
#define MAX_RAM	   (UINT64_C(64) << 30)

struct parser {
	const char *name;
	unsigned line;
	char *err;
	size_t err_len;
	struct bench_trace t;
	unsigned machine_line, host_line;
	unsigned regs_line[BENCH_MAX_VCPUS];
	struct u64map mem_line; /* gpa -> the line that set it */
	unsigned nf;
	char *f[MAX_FIELDS];
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	int n = snprintf(p->err, p->err_len, "%s:%u: ", p->name, p->line);
	if (n < 0 || (size_t)n >= p->err_len)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Decimal, or hexadecimal with 0x; nothing else (no octal surprises). */
static int number(struct parser *p, const char *s, const char *what,
		  uint64_t max, uint64_t *out)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	char *end;
	if (!*digits || strchr(digits, '-') || strchr(digits, '+') ||
	    strchr(digits, ' '))
		return fail(p, "%s: '%s' is not a number", what, s);
	errno = 0;
	unsigned long long v = strtoull(digits, &end, hex ? 16 : 10);
	if (errno || *end)
		return fail(p, "%s: '%s' is not a number", what, s);
	if (v > max)
		return fail(p, "%s: %s is more than %llu", what, s,
			    (unsigned long long)max);
	*out = v;
	return 0;
}

/* The value of field `key=...`, or NULL. */
static const char *value_of(const char *field, const char *key)
{
	size_t n = strlen(key);
	return strncmp(field, key, n) == 0 && field[n] == '=' ? field + n + 1
							      : NULL;
}

/* `want` fields in all; what names the line is its first field, or the
 * second for an event (the first is its vCPU). */
static int expect_fields(struct parser *p, unsigned want, const char *usage)
{
	const char *what = p->nf > 1 && p->f[0][0] >= '0' && p->f[0][0] <= '9'
				   ? p->f[1]
				   : p->f[0];
	if (p->nf != want)
		return fail(p, "'%s' wants: %s", what, usage);
	return 0;
}

static int need_machine(struct parser *p)
{
	if (!p->machine_line)
		return fail(p, "'%s' before the 'machine' line", p->f[0]);
	return 0;
}

static int vcpu_number(struct parser *p, const char *s, unsigned *v)
{
	uint64_t x;
	if (number(p, s, "vCPU", UINT32_MAX, &x))
		return -1;
	if (x >= p->t.nr_vcpus)
		return fail(p, "vCPU %llu: the machine has %u (0..%u)",
			    (unsigned long long)x, p->t.nr_vcpus,
			    p->t.nr_vcpus - 1);
	*v = (unsigned)x;
	return 0;
}

static int parse_version(struct parser *p)
{
	uint64_t version;
	if (p->nf != 2 || strcmp(p->f[0], "smmu-trace") != 0)
		return fail(p,
			    "not an smmu-bench trace: the first line must "
			    "be 'smmu-trace %d'",
			    BENCH_TRACE_VERSION);
	if (number(p, p->f[1], "version", UINT32_MAX, &version))
		return -1;
	if (version != BENCH_TRACE_VERSION)
		return fail(p,
			    "trace version %llu; this smmu-bench reads "
			    "version %d",
			    (unsigned long long)version, BENCH_TRACE_VERSION);
	return 0;
}

static int parse_machine(struct parser *p)
{
	uint64_t vcpus = 0, ram = 0, maxphy = 46, gb = 1;
	if (p->machine_line)
		return fail(p, "a second 'machine' line (the first is line %u)",
			    p->machine_line);
	for (unsigned i = 1; i < p->nf; i++) {
		const char *f = p->f[i], *val;
		int r;
		if ((val = value_of(f, "vcpus")))
			r = number(p, val, "vcpus", BENCH_MAX_VCPUS, &vcpus);
		else if ((val = value_of(f, "ram")))
			r = number(p, val, "ram", MAX_RAM, &ram);
		else if ((val = value_of(f, "maxphyaddr")))
			r = number(p, val, "maxphyaddr", 52, &maxphy);
		else if ((val = value_of(f, "gbpages")))
			r = number(p, val, "gbpages", 1, &gb);
		else
			r = fail(p,
				 "'machine' knows vcpus=, ram=, maxphyaddr= "
				 "and gbpages=, not '%s'",
				 f);
		if (r)
			return r;
	}
	if (vcpus < 1)
		return fail(p, "'machine' wants vcpus=1..%d", BENCH_MAX_VCPUS);
	if (ram < 4096 || (ram & 4095))
		return fail(p, "'machine' wants ram= a multiple of 4096");
	if (maxphy < 32)
		return fail(p, "maxphyaddr: %llu is less than 32",
			    (unsigned long long)maxphy);
	p->t.nr_vcpus = (unsigned)vcpus;
	p->t.ram_size = ram;
	p->t.maxphyaddr = (uint8_t)maxphy;
	p->t.gbpages = gb;
	p->machine_line = p->line;
	return 0;
}

static int parse_host(struct parser *p)
{
	uint64_t pool;
	const char *val;
	if (p->host_line)
		return fail(p, "a second 'host' line (the first is line %u)",
			    p->host_line);
	if (p->nf != 2 || !(val = value_of(p->f[1], "pool-pages")))
		return fail(p, "'host' wants: host pool-pages=N");
	if (number(p, val, "pool-pages", UINT32_MAX, &pool))
		return -1;
	if (!pool)
		return fail(p, "pool-pages: 0 pages cannot hold a root");
	p->t.pool_pages = (uint32_t)pool;
	p->host_line = p->line;
	return 0;
}

static int parse_mem(struct parser *p)
{
	uint64_t gpa, val;
	if (need_machine(p) || expect_fields(p, 3, "mem GPA VALUE") ||
	    number(p, p->f[1], "gpa", UINT64_MAX, &gpa) ||
	    number(p, p->f[2], "value", UINT64_MAX, &val))
		return -1;
	if (gpa & 7)
		return fail(p, "gpa %#llx is not 8-byte aligned",
			    (unsigned long long)gpa);
	if (gpa >= p->t.ram_size)
		return fail(p, "gpa %#llx is beyond the machine's RAM (%#llx)",
			    (unsigned long long)gpa,
			    (unsigned long long)p->t.ram_size);
	uint64_t *at = u64map_get(&p->mem_line, gpa);
	if (at)
		return fail(p, "gpa %#llx was set already at line %llu",
			    (unsigned long long)gpa, (unsigned long long)*at);
	*u64map_put(&p->mem_line, gpa, 0) = p->line;
	*u64map_put(&p->t.mem, gpa, 0) = val;
	return 0;
}

static int parse_regs(struct parser *p)
{
	static const char *const keys[] = { "cr0", "cr3", "cr4", "efer" };
	unsigned v;
	bool seen[4] = { false };
	struct smmu_paging_regs r = { 0 };
	uint64_t *dst[4] = { &r.cr0, &r.cr3, &r.cr4, &r.efer };

	if (need_machine(p))
		return -1;
	if (p->nf < 2)
		return fail(p, "'regs' wants: regs VCPU cr0=X cr3=X cr4=X "
			       "efer=X [pdpte=A:B:C:D]");
	if (vcpu_number(p, p->f[1], &v))
		return -1;
	if (p->regs_line[v])
		return fail(p, "vCPU %u has registers already (line %u)", v,
			    p->regs_line[v]);
	for (unsigned i = 2; i < p->nf; i++) {
		const char *f = p->f[i], *val = NULL;
		unsigned k;
		for (k = 0; k < 4 && !(val = value_of(f, keys[k])); k++)
			;
		if (k < 4) {
			if (number(p, val, keys[k], UINT64_MAX, dst[k]))
				return -1;
			seen[k] = true;
			continue;
		}
		if (!(val = value_of(f, "pdpte")))
			return fail(p,
				    "'regs' knows cr0=, cr3=, cr4=, efer= and "
				    "pdpte=, not '%s'",
				    f);
		char copy[MAX_LINE];
		snprintf(copy, sizeof(copy), "%s", val);
		char *save = NULL, *tok = strtok_r(copy, ":", &save);
		for (unsigned j = 0; j < 4; j++) {
			if (!tok)
				return fail(p, "pdpte= wants A:B:C:D");
			if (number(p, tok, "pdpte", UINT64_MAX, &r.pdpte[j]))
				return -1;
			tok = strtok_r(NULL, ":", &save);
		}
		if (tok)
			return fail(p, "pdpte= wants A:B:C:D");
	}
	for (unsigned k = 0; k < 4; k++)
		if (!seen[k])
			return fail(p, "'regs' for vCPU %u lacks %s=", v,
				    keys[k]);
	p->t.vcpu[v].regs = r;
	p->t.vcpu[v].has_regs = true;
	p->regs_line[v] = p->line;
	return 0;
}

/* The flags after an access's address (and value): user, implicit, ac,
 * pkru=X. */
static int access_flags(struct parser *p, unsigned first, struct gop *op)
{
	for (unsigned i = first; i < p->nf; i++) {
		const char *f = p->f[i], *val;
		uint64_t pkru;
		if (!strcmp(f, "user"))
			op->flags |= SMMU_ACCESS_USER;
		else if (!strcmp(f, "implicit"))
			op->flags |= SMMU_ACCESS_IMPLICIT;
		else if (!strcmp(f, "ac"))
			op->flags |= SMMU_ACCESS_AC;
		else if ((val = value_of(f, "pkru"))) {
			if (number(p, val, "pkru", UINT32_MAX, &pkru))
				return -1;
			op->pkru = (uint32_t)pkru;
		} else
			return fail(p,
				    "an access takes the flags user, "
				    "implicit, ac and pkru=X, not '%s'",
				    f);
	}
	/* Combinations no instruction makes (the simulated CPU refuses
	 * them). */
	if ((op->flags & SMMU_ACCESS_IMPLICIT) &&
	    (op->flags & (SMMU_ACCESS_USER | SMMU_ACCESS_FETCH)))
		return fail(p, "an implicit access is a supervisor data "
			       "access: not with user or fetch");
	return 0;
}

static int parse_access(struct parser *p, const char *what, struct gop *op,
			bool *pt)
{
	bool store = !strcmp(what, "write") || !strcmp(what, "ptwrite");
	unsigned first = store ? 4 : 3;
	if (p->nf < first)
		return fail(p,
			    "'%s' wants: VCPU %s LA%s [user] [implicit] "
			    "[ac] [pkru=X]",
			    what, what, store ? " VALUE" : "");
	if (number(p, p->f[2], "linear address", UINT64_MAX, &op->la) ||
	    (store && number(p, p->f[3], "value", UINT64_MAX, &op->val)))
		return -1;
	op->kind = store ? GOP_STORE : GOP_ACCESS;
	if (!strcmp(what, "fetch"))
		op->flags = SMMU_ACCESS_FETCH;
	*pt = !strcmp(what, "ptwrite");
	return access_flags(p, first, op);
}

/* A guest-physical address `s` aligned to `align` with `len` bytes from
 * it inside the machine's RAM. */
static int guest_range(struct parser *p, const char *s, uint64_t len,
		       uint64_t align, uint64_t *gpa)
{
	if (number(p, s, "gpa", UINT64_MAX, gpa))
		return -1;
	if (*gpa & (align - 1))
		return fail(p, "gpa %#llx is not %llu-byte aligned",
			    (unsigned long long)*gpa,
			    (unsigned long long)align);
	if (*gpa >= p->t.ram_size || len > p->t.ram_size - *gpa)
		return fail(p,
			    "gpa %#llx + %#llx is beyond the machine's RAM "
			    "(%#llx)",
			    (unsigned long long)*gpa, (unsigned long long)len,
			    (unsigned long long)p->t.ram_size);
	return 0;
}

static int parse_targets(struct parser *p, const char *s, uint64_t *out)
{
	uint64_t all = p->t.nr_vcpus == 64 ? UINT64_MAX
					   : (UINT64_C(1) << p->t.nr_vcpus) - 1;
	if (number(p, s, "targets", UINT64_MAX, out))
		return -1;
	if (*out & ~all)
		return fail(p, "targets %#llx name vCPUs the machine has not",
			    (unsigned long long)*out);
	return 0;
}

static int parse_event(struct parser *p)
{
	static const struct {
		const char *name;
		enum gop_kind kind;
	} crs[] = { { "cr0", GOP_MOV_CR0 },
		    { "cr3", GOP_MOV_CR3 },
		    { "cr4", GOP_MOV_CR4 },
		    { "efer", GOP_WRMSR_EFER } };
	struct gop op = { 0 };
	bool pt = false;
	unsigned v;
	uint64_t x;

	if (need_machine(p) || vcpu_number(p, p->f[0], &v))
		return -1;
	if (p->nf < 2)
		return fail(p, "vCPU %u: an event is missing", v);
	const char *what = p->f[1];
	if (!strcmp(what, "read") || !strcmp(what, "fetch") ||
	    !strcmp(what, "write") || !strcmp(what, "ptwrite")) {
		if (parse_access(p, what, &op, &pt))
			return -1;
		goto add;
	}
	for (unsigned i = 0; i < 4; i++) {
		if (strcmp(what, crs[i].name))
			continue;
		if (expect_fields(p, 3, "VCPU cr0|cr3|cr4|efer VALUE") ||
		    number(p, p->f[2], what, UINT64_MAX, &op.val))
			return -1;
		op.kind = crs[i].kind;
		goto add;
	}
	if (!strcmp(what, "invlpg")) {
		if (expect_fields(p, 3, "VCPU invlpg LA") ||
		    number(p, p->f[2], "linear address", UINT64_MAX, &op.la))
			return -1;
		op.kind = GOP_INVLPG;
	} else if (!strcmp(what, "invpcid")) {
		if (expect_fields(p, 5, "VCPU invpcid TYPE PCID LA") ||
		    number(p, p->f[2], "INVPCID type", 3, &x))
			return -1;
		op.type = (uint8_t)x;
		if (number(p, p->f[3], "PCID", 0xfff, &x) ||
		    number(p, p->f[4], "linear address", UINT64_MAX, &op.la))
			return -1;
		op.pcid = (uint16_t)x;
		op.kind = GOP_INVPCID;
	} else if (!strcmp(what, "pvflush")) {
		if (expect_fields(p, 2, "VCPU pvflush"))
			return -1;
		op.kind = GOP_PV_FLUSH;
	} else if (!strcmp(what, "dma")) {
		if (expect_fields(p, 4, "VCPU dma GPA VALUE") ||
		    guest_range(p, p->f[2], 8, 8, &op.la) ||
		    number(p, p->f[3], "value", UINT64_MAX, &op.val))
			return -1;
		op.kind = GOP_DMA_STORE;
	} else if (!strcmp(what, "unmap") || !strcmp(what, "remap")) {
		if (expect_fields(p, 4, "VCPU unmap|remap GPA BYTES") ||
		    number(p, p->f[3], "bytes", UINT64_MAX, &op.val))
			return -1;
		if (!op.val)
			return fail(p, "%s of 0 bytes", what);
		if (guest_range(p, p->f[2], op.val, X86_PAGE_SIZE, &op.la))
			return -1;
		op.kind = !strcmp(what, "unmap") ? GOP_HOST_UNMAP
						 : GOP_HOST_REMAP;
	} else if (!strcmp(what, "shootdown")) {
		if (expect_fields(p, 4, "VCPU shootdown TARGETS LA|all") ||
		    parse_targets(p, p->f[2], &op.targets))
			return -1;
		if (!strcmp(p->f[3], "all"))
			op.la = GOP_ALL;
		else if (number(p, p->f[3], "linear address", UINT64_MAX,
				&op.la))
			return -1;
		op.kind = GOP_SHOOTDOWN;
	} else {
		return fail(p,
			    "unknown event '%s' (read, fetch, write, ptwrite, "
			    "cr0, cr3, cr4, efer, invlpg, invpcid, pvflush, "
			    "shootdown, dma, unmap, remap)",
			    what);
	}
add:
	bench_trace_add(&p->t, v, op, pt);
	return 0;
}

/* Split a line into fields; a '#' starts a comment. */
static int split(struct parser *p, char *line)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	p->nf = 0;
	for (char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (p->nf == MAX_FIELDS)
			return fail(p, "more than %d fields", MAX_FIELDS);
		p->f[p->nf++] = tok;
	}
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	if (split(p, line))
		return -1;
	if (p->line == 1)
		return parse_version(p);
	if (!p->nf)
		return 0;
	const char *k = p->f[0];
	if (!strcmp(k, "machine"))
		return parse_machine(p);
	if (!strcmp(k, "host"))
		return parse_host(p);
	if (!strcmp(k, "mem"))
		return parse_mem(p);
	if (!strcmp(k, "regs"))
		return parse_regs(p);
	if (!strcmp(k, "smmu-trace"))
		return fail(p, "'smmu-trace' belongs on the first line only");
	if (k[0] >= '0' && k[0] <= '9')
		return parse_event(p);
	return fail(p,
		    "unknown line '%s' (machine, host, mem, regs, or an event "
		    "starting with its vCPU number)",
		    k);
}

static int parse_all(struct parser *p, FILE *in)
{
	char line[MAX_LINE];
	while (fgets(line, sizeof(line), in)) {
		p->line++;
		size_t n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n' && !feof(in))
			return fail(p, "line longer than %d characters",
				    MAX_LINE - 2);
		if (parse_line(p, line))
			return -1;
	}
	if (ferror(in))
		return fail(p, "read error");
	if (!p->line) {
		p->line = 1;
		return fail(p, "empty: the first line must be 'smmu-trace %d'",
			    BENCH_TRACE_VERSION);
	}
	if (!p->machine_line)
		return fail(p, "no 'machine' line");
	for (unsigned v = 0; v < p->t.nr_vcpus; v++)
		if (!p->t.vcpu[v].has_regs)
			return fail(p,
				    "end of file: vCPU %u has no 'regs' line",
				    v);
	return 0;
}

int bench_trace_parse(FILE *in, const char *name, struct bench_trace *t,
		      char *err, size_t err_len)
{
	struct parser p = { .name = name, .err = err, .err_len = err_len };
	bench_trace_init(&p.t);
	u64map_init(&p.mem_line);
	int r = parse_all(&p, in);
	if (!r)
		bench_trace_move(t, &p.t);
	bench_trace_fini(&p.t);
	u64map_fini(&p.mem_line);
	return r;
}

int bench_trace_load(const char *path, struct bench_trace *t, char *err,
		     size_t err_len)
{
	FILE *in = fopen(path, "r");
	if (!in) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	int r = bench_trace_parse(in, path, t, err, err_len);
	fclose(in);
	return r;
}
