/* SPDX-License-Identifier: MIT */
/*
 * VM-wide calls made at once from several threads, on a host whose MMU
 * lock is a real mutex: vCPU creation and destruction, and dirty-log
 * start and stop. Each check-then-change of VM state is one step under
 * the MMU lock. Two kinds of test: deterministic ones, where the host's
 * lock op runs "another CPU's" call just before the library takes the
 * lock (the window a check made before the lock would leave open), and
 * threaded ones, whose every outcome is checked (never a duplicate id,
 * never two logs, every status a defined one, nothing leaked). The
 * threaded ones also give ThreadSanitizer something to look at, in a
 * build with -Db_sanitize=thread. Also here: the host's alloc failing
 * under an entry (SMMU_ENOMEM, not SMMU_ENOSPC), and a remote flush that
 * meets a vCPU entering without smmu_vcpu_load (white-box: the library's
 * own headers, to stop the race at its moment).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <shadowmmu/shadowmmu.h>

#include "../libshadowmmu/vcpu.h"

#define RAM_BYTES (1u << 20)

/* The host: counts what it hands out, so that a lost object shows. */
struct thost {
	pthread_mutex_t lock;
	/* Run once, by the next take of the MMU lock, just before it is
	 * taken: what another CPU does at that moment. */
	void (*lock_hook)(struct thost *h);
	long allocs;	    /* alloc()ed and not freed (atomic) */
	long alloc_bytes;   /* their bytes (atomic) */
	long pages;	    /* alloc_page()d and not freed (atomic) */
	unsigned budget;    /* pages alloc_page may have out at once */
	bool fail_allocs;   /* alloc() returns NULL */
	unsigned long logs; /* log lines (atomic) */
	unsigned long flush_alls, kicks; /* flush_all_cpus, kick_cpus */
	pthread_mutex_t deferred_lock;
	struct smmu_rcu_head *deferred;
	uint64_t next_hpa;
	uint8_t *ram;
	struct smmu_host_ops ops;
	struct smmu_vm *vm;
};

static struct thost h;
static __thread bool holds_lock;

static void *t_alloc(void *host, size_t size)
{
	struct thost *t = host;
	if (__atomic_load_n(&t->fail_allocs, __ATOMIC_RELAXED))
		return NULL;
	void *p = calloc(1, size);
	if (p) {
		__atomic_add_fetch(&t->allocs, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&t->alloc_bytes, (long)size,
				   __ATOMIC_RELAXED);
	}
	return p;
}

static void t_free(void *host, void *ptr, size_t size)
{
	struct thost *t = host;
	cr_assert_not_null(ptr, "free() of NULL");
	free(ptr);
	__atomic_sub_fetch(&t->allocs, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&t->alloc_bytes, (long)size, __ATOMIC_RELAXED);
}

static int t_read(void *host, uint64_t gpa, void *buf, size_t len)
{
	struct thost *t = host;
	if (gpa >= RAM_BYTES || len > RAM_BYTES - gpa)
		return SMMU_GPA_NOT_RAM;
	memcpy(buf, t->ram + gpa, len);
	return SMMU_GPA_OK;
}

static int t_write(void *host, uint64_t gpa, const void *buf, size_t len)
{
	struct thost *t = host;
	if (gpa >= RAM_BYTES || len > RAM_BYTES - gpa)
		return SMMU_GPA_NOT_RAM;
	memcpy(t->ram + gpa, buf, len);
	return SMMU_GPA_OK;
}

static int t_cmpxchg(void *host, uint64_t gpa, unsigned size, uint64_t old,
		     uint64_t new)
{
	struct thost *t = host;
	if (gpa >= RAM_BYTES || size > RAM_BYTES - gpa)
		return SMMU_GPA_NOT_RAM;
	if (size == 8) {
		uint64_t *p = (uint64_t *)(void *)(t->ram + gpa);
		return __atomic_compare_exchange_n(p, &old, new, false,
						   __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST)
			       ? SMMU_GPA_OK
			       : SMMU_GPA_CHANGED;
	}
	uint32_t *p = (uint32_t *)(void *)(t->ram + gpa), o = (uint32_t)old;
	return __atomic_compare_exchange_n(p, &o, (uint32_t) new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
		       ? SMMU_GPA_OK
		       : SMMU_GPA_CHANGED;
}

static int t_gfn_to_hpa(void *host, uint64_t gfn, uint64_t *hpa)
{
	(void)host;
	if (gfn >= RAM_BYTES >> 12)
		return SMMU_GPA_NOT_RAM;
	*hpa = (UINT64_C(1) << 32) + (gfn << 12);
	return SMMU_GPA_OK;
}

static void t_log(void *host, enum smmu_log_level level, const char *msg)
{
	(void)level, (void)msg;
	__atomic_add_fetch(&((struct thost *)host)->logs, 1, __ATOMIC_RELAXED);
}

static void t_lock(void *host)
{
	struct thost *t = host;
	void (*hook)(struct thost *) =
		__atomic_exchange_n(&t->lock_hook, NULL, __ATOMIC_ACQ_REL);
	if (hook)
		hook(t);
	cr_assert(!holds_lock, "the MMU lock taken twice");
	pthread_mutex_lock(&t->lock);
	holds_lock = true;
}

static void t_unlock(void *host)
{
	cr_assert(holds_lock, "the MMU lock dropped while not held");
	holds_lock = false;
	pthread_mutex_unlock(&((struct thost *)host)->lock);
}

static bool t_lock_held(void *host)
{
	(void)host;
	return holds_lock;
}

/* Pages at made-up host-physical addresses below 4 GiB (PAE roots). */
static bool t_alloc_page(void *host, uint64_t *hpa, void **hva)
{
	struct thost *t = host;
	if ((unsigned long)__atomic_load_n(&t->pages, __ATOMIC_RELAXED) >=
	    t->budget)
		return false;
	void *p = aligned_alloc(4096, 4096);
	cr_assert_not_null(p);
	memset(p, 0, 4096);
	__atomic_add_fetch(&t->pages, 1, __ATOMIC_RELAXED);
	*hpa = __atomic_add_fetch(&t->next_hpa, 4096, __ATOMIC_RELAXED);
	*hva = p;
	return true;
}

static void t_free_page(void *host, uint64_t hpa, void *hva)
{
	(void)hpa;
	free(hva);
	__atomic_sub_fetch(&((struct thost *)host)->pages, 1, __ATOMIC_RELAXED);
}

/* No vCPU runs in these tests: nothing to interrupt. */
static void t_flush_all_cpus(void *host)
{
	__atomic_add_fetch(&((struct thost *)host)->flush_alls, 1,
			   __ATOMIC_RELAXED);
}

static void t_kick_cpus(void *host, const struct smmu_cpu_set *cpus)
{
	(void)cpus;
	__atomic_add_fetch(&((struct thost *)host)->kicks, 1, __ATOMIC_RELAXED);
}

static void t_defer_free(void *host, struct smmu_rcu_head *head)
{
	struct thost *t = host;
	pthread_mutex_lock(&t->deferred_lock);
	head->next = t->deferred;
	t->deferred = head;
	pthread_mutex_unlock(&t->deferred_lock);
}

static void run_deferred(void)
{
	pthread_mutex_lock(&h.deferred_lock);
	struct smmu_rcu_head *batch = h.deferred;
	h.deferred = NULL;
	pthread_mutex_unlock(&h.deferred_lock);
	while (batch) {
		struct smmu_rcu_head *head = batch;
		batch = head->next;
		head->func(head);
	}
}

static void setup(void)
{
	memset(&h, 0, sizeof(h));
	pthread_mutex_init(&h.lock, NULL);
	pthread_mutex_init(&h.deferred_lock, NULL);
	h.ram = calloc(1, RAM_BYTES);
	cr_assert_not_null(h.ram);
	h.budget = 64;
	h.next_hpa = 0x100000;
	h.ops = (struct smmu_host_ops){
		.alloc = t_alloc,
		.free = t_free,
		.read_gpa = t_read,
		.cmpxchg_gpa = t_cmpxchg,
		.log = t_log,
		.alloc_page = t_alloc_page,
		.free_page = t_free_page,
		.write_gpa = t_write,
		.gfn_to_hpa = t_gfn_to_hpa,
		.lock = t_lock,
		.unlock = t_unlock,
		.flush_all_cpus = t_flush_all_cpus,
		.defer_free = t_defer_free,
		.lock_held = t_lock_held,
	};
	struct smmu_vm_config cfg = { .maxphyaddr = 36 };
	cr_assert_eq(smmu_vm_create(&cfg, &h.ops, &h, &h.vm), SMMU_OK);
}

/* Everything handed out came back. */
static void teardown(void)
{
	if (h.vm) {
		run_deferred();
		cr_expect_eq(smmu_vm_destroy(h.vm), SMMU_OK);
	}
	cr_expect_eq(h.allocs, 0, "%ld alloc()s not freed (%ld bytes)",
		     h.allocs, h.alloc_bytes);
	cr_expect_eq(h.pages, 0, "%ld shadow pages not freed", h.pages);
	free(h.ram);
	pthread_mutex_destroy(&h.lock);
	pthread_mutex_destroy(&h.deferred_lock);
}

TestSuite(vcpu_list, .init = setup, .fini = teardown);
TestSuite(dirty_log, .init = setup, .fini = teardown);
TestSuite(enter_memory, .init = setup, .fini = teardown);

/* ---- vCPU ids: checked and inserted in one step ---- */

static struct smmu_vcpu *raced_vcpu;
static enum smmu_status raced_status;

static void create_id_7(struct thost *t)
{
	raced_status = smmu_vcpu_create(t->vm, 7, &raced_vcpu);
}

Test(vcpu_list, an_id_taken_while_create_waits_for_the_lock_is_refused)
{
	/* Another CPU creates vCPU 7 just before this create of vCPU 7
	 * takes the lock: a check made before the lock passed, and both
	 * were inserted. */
	h.lock_hook = create_id_7;
	struct smmu_vcpu *v = (struct smmu_vcpu *)&h; /* not left as is */
	unsigned long logs = h.logs;
	cr_expect_eq(smmu_vcpu_create(h.vm, 7, &v), SMMU_EINVAL);
	cr_expect_null(v);
	cr_expect_eq(raced_status, SMMU_OK);
	cr_expect_eq(h.logs, logs + 1, "the refusal is logged");
	/* The id is free again once its vCPU is gone. */
	smmu_vcpu_destroy(raced_vcpu);
	cr_expect_eq(smmu_vcpu_create(h.vm, 7, &v), SMMU_OK);
	smmu_vcpu_destroy(v);
}

#define IDS	     8
#define CREATES	     20000
#define LIST_THREADS 3

static int live[IDS]; /* 1 while a thread holds vCPU id (atomic) */
static unsigned long outcome[LIST_THREADS][3]; /* OK, EINVAL, other */
static unsigned long duplicates;

static void *create_destroy(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	unsigned seed = me + 1;
	for (unsigned i = 0; i < CREATES; i++) {
		/* Ids from the same few for every thread: they collide. */
		seed = seed * 1103515245u + 12345u;
		uint32_t id = (seed >> 16) % IDS;
		struct smmu_vcpu *v;
		enum smmu_status st = smmu_vcpu_create(h.vm, id, &v);
		if (st == SMMU_OK) {
			outcome[me][0]++;
			if (__atomic_exchange_n(&live[id], 1, __ATOMIC_SEQ_CST))
				__atomic_add_fetch(&duplicates, 1,
						   __ATOMIC_RELAXED);
			/* Released before the destroy: a create that
			 * succeeds after it is no duplicate. */
			__atomic_store_n(&live[id], 0, __ATOMIC_SEQ_CST);
			smmu_vcpu_destroy(v);
		} else {
			outcome[me][st == SMMU_EINVAL ? 1 : 2]++;
			if (v)
				outcome[me][2]++; /* a handle with an error */
		}
	}
	return NULL;
}

static void *stats_reader(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < CREATES / 10; i++) {
		struct smmu_stats s;
		cr_assert_eq(smmu_vm_get_stats(h.vm, &s), SMMU_OK);
	}
	return NULL;
}

Test(vcpu_list, creates_and_destroys_on_several_threads, .timeout = 120)
{
	memset(live, 0, sizeof(live));
	memset(outcome, 0, sizeof(outcome));
	duplicates = 0;
	pthread_t t[LIST_THREADS], reader;
	for (unsigned i = 0; i < LIST_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, create_destroy,
					    (void *)(uintptr_t)i),
			     0);
	cr_assert_eq(pthread_create(&reader, NULL, stats_reader, NULL), 0);
	for (unsigned i = 0; i < LIST_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_join(reader, NULL);
	unsigned long ok = 0, refused = 0;
	for (unsigned i = 0; i < LIST_THREADS; i++) {
		cr_expect_eq(outcome[i][2], 0,
			     "thread %u: a status other than OK or EINVAL, "
			     "or a handle with EINVAL",
			     i);
		ok += outcome[i][0];
		refused += outcome[i][1];
	}
	cr_expect_eq(ok + refused, (unsigned long)LIST_THREADS * CREATES);
	cr_expect_eq(duplicates, 0, "%lu vCPUs created with an id in use",
		     duplicates);
	cr_expect_gt(ok, 0);
	cr_expect_eq(h.logs, refused, "each refusal logged once");
	/* Only the VM is still allocated: every vCPU went. */
	cr_expect_eq(h.allocs, 1);
}

/* ---- dirty logging: "logging already?" and the start in one step ---- */

static enum smmu_status raced_start;

static void start_other_log(struct thost *t)
{
	raced_start = smmu_vm_dirty_log_start(t->vm, 16, 64);
}

Test(dirty_log, a_start_while_another_waits_for_the_lock_is_ebusy)
{
	/* Another CPU starts a log just before this start takes the lock:
	 * a check made before the lock passed, both succeeded, and the
	 * first bitmap was lost. */
	long bytes = h.alloc_bytes;
	h.lock_hook = start_other_log;
	unsigned long logs = h.logs;
	cr_expect_eq(smmu_vm_dirty_log_start(h.vm, 0, 1u << 20), SMMU_EBUSY);
	cr_expect_eq(raced_start, SMMU_OK);
	cr_expect_eq(h.logs, logs + 1, "the refusal is logged");
	/* The log that runs is the other CPU's: 64 frames from 16. */
	uint64_t bitmap[1] = { ~0ull };
	cr_expect_eq(smmu_vm_dirty_log_get_and_clear(h.vm, bitmap), SMMU_OK);
	cr_expect_eq(bitmap[0], 0);
	cr_expect_eq(h.alloc_bytes, bytes + 8, "the loser's bitmap is freed");
	cr_expect_eq(smmu_vm_dirty_log_stop(h.vm), SMMU_OK);
	cr_expect_eq(smmu_vm_dirty_log_stop(h.vm), SMMU_EINVAL);
	cr_expect_eq(h.alloc_bytes, bytes);
}

static pthread_barrier_t both;
static enum smmu_status status2[2];

static void *start_at_once(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	pthread_barrier_wait(&both);
	status2[me] = smmu_vm_dirty_log_start(h.vm, 0, 1u << 16);
	return NULL;
}

static void *stop_at_once(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	pthread_barrier_wait(&both);
	status2[me] = smmu_vm_dirty_log_stop(h.vm);
	return NULL;
}

static void at_once(void *(*fn)(void *))
{
	pthread_t t[2];
	pthread_barrier_init(&both, NULL, 2);
	for (unsigned i = 0; i < 2; i++)
		cr_assert_eq(
			pthread_create(&t[i], NULL, fn, (void *)(uintptr_t)i),
			0);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&both);
}

Test(dirty_log, two_starts_at_once_one_wins, .timeout = 120)
{
	long bytes = h.alloc_bytes;
	for (unsigned round = 0; round < 300; round++) {
		at_once(start_at_once);
		cr_assert((status2[0] == SMMU_OK && status2[1] == SMMU_EBUSY) ||
				  (status2[0] == SMMU_EBUSY &&
				   status2[1] == SMMU_OK),
			  "round %u: starts gave %d and %d", round, status2[0],
			  status2[1]);
		cr_assert_eq(h.alloc_bytes, bytes + (1 << 16) / 8,
			     "round %u: one bitmap allocated", round);
		at_once(stop_at_once);
		cr_assert(
			(status2[0] == SMMU_OK && status2[1] == SMMU_EINVAL) ||
				(status2[0] == SMMU_EINVAL &&
				 status2[1] == SMMU_OK),
			"round %u: stops gave %d and %d", round, status2[0],
			status2[1]);
		cr_assert_eq(h.alloc_bytes, bytes);
	}
}

/* ---- the host's alloc failing under an entry ---- */

Test(enter_memory, alloc_failing_is_enomem_and_logged)
{
	struct smmu_vcpu *v;
	cr_assert_eq(smmu_vcpu_create(h.vm, 0, &v), SMMU_OK);
	struct smmu_entry e;
	unsigned long logs = h.logs;
	h.fail_allocs = true;
	cr_expect_eq(smmu_vcpu_enter(v, &e), SMMU_ENOMEM);
	cr_expect_eq(h.logs, logs + 1, "one log line");
	h.fail_allocs = false;
	cr_expect_eq(smmu_vcpu_enter(v, &e), SMMU_OK, "memory back: it enters");
	smmu_vcpu_destroy(v);
}

Test(enter_memory, no_page_for_the_root_is_enospc)
{
	struct smmu_vcpu *v;
	cr_assert_eq(smmu_vcpu_create(h.vm, 0, &v), SMMU_OK);
	struct smmu_entry e;
	h.budget = 0;
	cr_expect_eq(smmu_vcpu_enter(v, &e), SMMU_ENOSPC);
	h.budget = 64;
	cr_expect_eq(smmu_vcpu_enter(v, &e), SMMU_OK, "pages back: it enters");
	smmu_vcpu_destroy(v);
}

/* ---- a remote flush meets a vCPU entering unplaced ---- */

TestSuite(placement, .init = setup, .fini = teardown);

Test(placement, a_vcpu_entering_unplaced_under_a_request_gets_flush_all_cpus)
{
	/* vCPU 0 runs placed on CPU 0; vCPU 1 enters without
	 * smmu_vcpu_load just as a remote request starts: the request read
	 * placement_unknown before the entry set it, and finds vCPU 1 in
	 * guest mode on no CPU it knows. Neither a kick nor a deferral
	 * reaches it there: only flush_all_cpus. */
	h.ops.kick_cpus = t_kick_cpus;
	struct smmu_vcpu *placed, *unplaced;
	struct smmu_entry e;
	cr_assert_eq(smmu_vcpu_create(h.vm, 0, &placed), SMMU_OK);
	cr_assert_eq(smmu_vcpu_create(h.vm, 1, &unplaced), SMMU_OK);
	cr_assert_eq(smmu_vcpu_load(placed, 0), SMMU_OK);
	cr_assert_eq(smmu_vcpu_enter(placed, &e), SMMU_OK);
	cr_assert_eq(h.vm->placement_unknown, 0);
	/* The entry's state at the moment the request looks at it
	 * (flush_entering: dirty, then in guest mode). */
	__atomic_store_n(&unplaced->place.dirty, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&unplaced->place.in_guest, 1, __ATOMIC_SEQ_CST);
	h.ops.lock(&h);
	flush_remote(h.vm, 0);
	h.ops.unlock(&h);
	cr_expect_eq(h.kicks, 1, "the placed vCPU in guest mode is kicked");
	cr_expect_eq(h.flush_alls, 1, "the unplaced one needs flush_all_cpus");
	__atomic_store_n(&unplaced->place.in_guest, 0, __ATOMIC_SEQ_CST);
	/* Once the flag is set, every request is one flush_all_cpus. */
	cr_assert_eq(smmu_vcpu_enter(unplaced, &e), SMMU_OK);
	cr_expect_eq(h.vm->placement_unknown, 1);
	h.ops.lock(&h);
	flush_remote(h.vm, 0);
	h.ops.unlock(&h);
	cr_expect_eq(h.flush_alls, 2);
	cr_expect_eq(h.kicks, 1);
	smmu_vcpu_destroy(unplaced);
	smmu_vcpu_destroy(placed);
}
