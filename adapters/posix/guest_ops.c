/* SPDX-License-Identifier: MIT */
#include "guest_ops.h"

#include <stdio.h>
#include <stdlib.h>

void guest_prog_init(struct guest_prog *p)
{
	p->ops = NULL;
	p->nr = p->cap = 0;
}

void guest_prog_fini(struct guest_prog *p)
{
	free(p->ops);
	guest_prog_init(p);
}

void guest_prog_add(struct guest_prog *p, struct gop op)
{
	if (p->nr == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->ops = realloc(p->ops, p->cap * sizeof(*p->ops));
		if (!p->ops) {
			fprintf(stderr, "guest_prog: out of memory\n");
			abort();
		}
	}
	p->ops[p->nr++] = op;
}

void gop_describe(const struct gop *op, char *buf, unsigned len)
{
	static const char *const names[] = {
		[GOP_ACCESS] = "access",
		[GOP_STORE] = "store",
		[GOP_MOV_CR0] = "mov cr0",
		[GOP_MOV_CR3] = "mov cr3",
		[GOP_MOV_CR4] = "mov cr4",
		[GOP_WRMSR_EFER] = "wrmsr efer",
		[GOP_INVLPG] = "invlpg",
		[GOP_INVPCID] = "invpcid",
		[GOP_PV_FLUSH] = "pv flush",
		[GOP_SHOOTDOWN] = "shootdown",
		[GOP_DMA_STORE] = "device store",
		[GOP_HOST_UNMAP] = "host unmap",
		[GOP_HOST_REMAP] = "host remap",
	};
	const char *name = op->kind <= GOP_HOST_REMAP ? names[op->kind] : "?";
	switch (op->kind) {
	case GOP_ACCESS:
	case GOP_STORE:
		snprintf(buf, len, "%s la=%#llx flags=%#x val=%#llx", name,
			 (unsigned long long)op->la, op->flags,
			 (unsigned long long)op->val);
		break;
	case GOP_INVPCID:
		snprintf(buf, len, "%s type=%u pcid=%u la=%#llx", name,
			 op->type, op->pcid, (unsigned long long)op->la);
		break;
	case GOP_INVLPG:
	case GOP_SHOOTDOWN:
		snprintf(buf, len, "%s la=%#llx targets=%#llx", name,
			 (unsigned long long)op->la,
			 (unsigned long long)op->targets);
		break;
	case GOP_DMA_STORE:
		snprintf(buf, len, "%s gpa=%#llx val=%#llx", name,
			 (unsigned long long)op->la,
			 (unsigned long long)op->val);
		break;
	case GOP_HOST_UNMAP:
	case GOP_HOST_REMAP:
		snprintf(buf, len, "%s gpa=%#llx bytes=%#llx", name,
			 (unsigned long long)op->la,
			 (unsigned long long)op->val);
		break;
	default:
		snprintf(buf, len, "%s %#llx", name,
			 (unsigned long long)op->val);
		break;
	}
}
