/* SPDX-License-Identifier: MIT */
/*
 * The boot vCPU's side of the mailbox (mailbox.h): starting the second
 * vCPU, asking it to act, and shooting down its TLB. Each call returns
 * once the second vCPU has answered; one that does not answer within
 * ANSWER_SPINS ends the run with a FAIL line, since nothing after it
 * could be trusted.
 */
#ifndef SMP_REMOTE_H
#define SMP_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "address_space.h"
#include "mailbox.h"

#ifndef __x86_64__
/* INIT, STARTUP and, if no answer came, a second STARTUP (SDM vol. 3,
 * 8.4.4.1) to SECOND_VCPU_ID, through the startup stub. false if it
 * never answered: a run with one vCPU. */
bool remote_start(void);
/* Paging off on the second vCPU, before the tables it ran on are
 * reused. */
void remote_leave_paging(void);
#else
/* From the 64-bit stage: the second vCPU, parked with paging off in the
 * 32-bit stage, follows. root is the identity map it enters IA-32e mode
 * on (below 4 GiB). */
void remote_enter_64bit(uint32_t root);
#endif

/* Both vCPUs on the same tables: the second one enters as. */
void remote_enter(const struct address_space *as);
/* A probed read or write by the second vCPU. */
void remote_read(uintptr_t va, struct access_result *r);
void remote_write(uintptr_t va, uint32_t value, struct access_result *r);
/* Sends SHOOTDOWN_VECTOR to the second vCPU, whose handler flushes va
 * (FLUSH_INVLPG) or its whole TLB (FLUSH_CR3) and acknowledges; returns
 * after the acknowledgement. */
void remote_shootdown(enum flush_kind kind, uintptr_t va);

#endif /* SMP_REMOTE_H */
