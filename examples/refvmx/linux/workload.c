/* SPDX-License-Identifier: MIT */
/*
 * The in-guest workload of the Linux guest (linux-guest.sh builds it
 * with gcc -static into the initramfs): what a shadow MMU must get right
 * under a real kernel, each part with its own checks of memory contents.
 *
 *   fork-exec   processes created, exec'd and reaped in a loop; each
 *               child checks a page it inherited, then execs busybox;
 *   cow         a parent's pattern survives its children's writes to
 *               the same addresses (copy-on-write), and each child sees
 *               the parent's data until it writes;
 *   pingpong    two processes (on two CPUs when there are two) pass a
 *               token through pipes; each keeps its own pattern at the
 *               same virtual addresses and checks it at every turn
 *               (address-space switches);
 *   munmap      two threads of one process on two CPUs: one maps fresh
 *               memory, fills it with a round's tag and publishes it,
 *               the other checks the tag (so its TLB holds the
 *               translations), then the first unmaps it (a TLB
 *               shootdown of the other CPU) and maps again, usually at
 *               the same address: fresh memory must read zero and the
 *               other thread must see the new tag, never an old one;
 *   mprotect    write-protecting a page must make the other thread's
 *               write fault (SIGSEGV caught), unprotecting it must let
 *               it through.
 *
 * Prints "PASS workload/<part>" or "FAIL workload/<part>: ..." per part
 * and exits with the number of failed parts. Usage: workload [rounds]
 * (a scale factor, default 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul

static unsigned scale = 1;
static int ncpus = 1;
static int failures;

static void verdict(const char *part, int ok, const char *detail)
{
	if (ok)
		printf("PASS workload/%s\n", part);
	else {
		printf("FAIL workload/%s: %s\n", part, detail);
		failures++;
	}
	fflush(stdout);
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu % ncpus, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

static uint64_t word_for(uint64_t tag, size_t page, size_t i)
{
	return tag * 0x9e3779b97f4a7c15ull ^ (page << 20) ^ i;
}

static void fill(volatile uint64_t *p, size_t pages, uint64_t tag)
{
	for (size_t pg = 0; pg < pages; pg++)
		for (size_t i = 0; i < PAGE / 8; i += 61)
			p[pg * PAGE / 8 + i] = word_for(tag, pg, i);
}

/* Index of the first page whose words are not tag's, or -1. */
static long check(const volatile uint64_t *p, size_t pages, uint64_t tag)
{
	for (size_t pg = 0; pg < pages; pg++)
		for (size_t i = 0; i < PAGE / 8; i += 61)
			if (p[pg * PAGE / 8 + i] != word_for(tag, pg, i))
				return (long)pg;
	return -1;
}

static long check_zero(const volatile uint64_t *p, size_t pages)
{
	for (size_t pg = 0; pg < pages; pg++)
		for (size_t i = 0; i < PAGE / 8; i += 61)
			if (p[pg * PAGE / 8 + i])
				return (long)pg;
	return -1;
}

static void *map(size_t pages)
{
	void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("workload: mmap");
		exit(100);
	}
	return p;
}

/* ---- fork-exec ---- */

static void part_fork_exec(void)
{
	unsigned n = 60 * scale, bad = 0;
	uint64_t *page = map(1);
	char detail[128] = "";
	for (unsigned k = 0; k < n; k++) {
		fill(page, 1, k);
		pid_t pid = fork();
		if (pid < 0) {
			snprintf(detail, sizeof(detail), "fork: %s",
				 strerror(errno));
			bad++;
			break;
		}
		if (pid == 0) {
			pin((int)k);
			if (check(page, 1, k) >= 0)
				_exit(3);
			/* busybox true: a fresh address space by exec */
			execl("/bin/busybox", "true", (char *)NULL);
			_exit(4);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			if (!bad)
				snprintf(detail, sizeof(detail),
					 "child %u ended with status 0x%x", k,
					 st);
			bad++;
		}
	}
	verdict("fork-exec", !bad, detail);
	munmap(page, PAGE);
}

/* ---- copy-on-write ---- */

static void part_cow(void)
{
	const size_t pages = 64;
	uint64_t *buf = map(pages);
	unsigned n = 16 * scale, bad = 0;
	char detail[128] = "";
	fill(buf, pages, 1);
	for (unsigned k = 0; k < n && !bad; k++) {
		pid_t pid = fork();
		if (pid == 0) {
			pin((int)k + 1);
			if (check(buf, pages, 1) >= 0)
				_exit(5);
			/* write half of it, check both halves */
			fill(buf, pages / 2, 1000 + k);
			if (check(buf, pages / 2, 1000 + k) >= 0)
				_exit(6);
			/* the other half is still the parent's */
			for (size_t pg = pages / 2; pg < pages; pg++)
				for (size_t i = 0; i < PAGE / 8; i += 61)
					if (buf[pg * PAGE / 8 + i] !=
					    word_for(1, pg, i))
						_exit(7);
			_exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			snprintf(detail, sizeof(detail),
				 "child %u ended with status 0x%x", k, st);
			bad++;
		}
		long pg = check(buf, pages, 1);
		if (pg >= 0) {
			snprintf(detail, sizeof(detail),
				 "the parent's page %ld changed after child %u",
				 pg, k);
			bad++;
		}
	}
	verdict("cow", !bad, detail);
	munmap(buf, pages * PAGE);
}

/* ---- ping-pong between two processes ---- */

/* One side of the ping-pong: at round r it waits for token 2r (the
 * first side starts without), checks that its buffer still holds what it
 * wrote in the previous round, writes the next pattern and passes token
 * 2r + 1 (the other side: waits for 2r + 1, passes 2r + 2). */
static int pingpong_side(int in, int out, uint64_t *buf, size_t pages,
			 uint64_t tag, unsigned rounds, int first)
{
	for (unsigned r = 0; r < rounds; r++) {
		uint32_t want = 2 * r + (first ? 0 : 1), token = want;
		if (!first || r) {
			if (read(in, &token, sizeof(token)) != sizeof(token))
				return 10;
			if (token != want)
				return 11;
		}
		if (check(buf, pages, tag + r) >= 0)
			return 12;
		fill(buf, pages, tag + r + 1);
		token = want + 1;
		if (write(out, &token, sizeof(token)) != sizeof(token))
			return 13;
	}
	return 0;
}

static void part_pingpong(void)
{
	const size_t pages = 8;
	unsigned rounds = 200 * scale;
	int ab[2], ba[2];
	char detail[128] = "";
	if (pipe(ab) || pipe(ba)) {
		verdict("pingpong", 0, "pipe failed");
		return;
	}
	uint64_t *buf = map(pages);
	pid_t pid = fork();
	if (pid == 0) {
		pin(1);
		fill(buf, pages, 500000);
		_exit(pingpong_side(ab[0], ba[1], buf, pages, 500000, rounds,
				    0));
	}
	pin(0);
	fill(buf, pages, 100);
	int r = pingpong_side(ba[0], ab[1], buf, pages, 100, rounds, 1);
	int st;
	waitpid(pid, &st, 0);
	if (r)
		snprintf(detail, sizeof(detail), "parent side failed (%d)", r);
	else if (!WIFEXITED(st) || WEXITSTATUS(st))
		snprintf(detail, sizeof(detail), "child side failed (0x%x)",
			 st);
	verdict("pingpong", !r && WIFEXITED(st) && !WEXITSTATUS(st), detail);
	munmap(buf, pages * PAGE);
	close(ab[0]);
	close(ab[1]);
	close(ba[0]);
	close(ba[1]);
}

/* ---- munmap storm between two threads ---- */

struct storm {
	volatile uint64_t *volatile area;
	volatile unsigned round; /* published by the mapper */
	volatile unsigned acked; /* the checker's last checked round */
	volatile int stop;
	size_t pages;
	unsigned bad;
	char detail[128];
};

static void *storm_checker(void *arg)
{
	struct storm *s = arg;
	pin(1);
	unsigned seen = 0;
	while (!s->stop) {
		unsigned r = __atomic_load_n(&s->round, __ATOMIC_ACQUIRE);
		if (r == seen) {
			sched_yield();
			continue;
		}
		long pg = check(s->area, s->pages, r);
		if (pg >= 0 && !s->bad) {
			snprintf(s->detail, sizeof(s->detail),
				 "round %u: the other CPU read a stale word on "
				 "page %ld",
				 r, pg);
			s->bad++;
		}
		seen = r;
		__atomic_store_n(&s->acked, r, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void part_munmap(void)
{
	struct storm s = { .pages = 16 };
	unsigned rounds = 150 * scale, same_va = 0;
	pthread_t t;
	pin(0);
	if (pthread_create(&t, NULL, storm_checker, &s)) {
		verdict("munmap", 0, "pthread_create failed");
		return;
	}
	volatile uint64_t *last = NULL;
	for (unsigned r = 1; r <= rounds && !s.bad; r++) {
		volatile uint64_t *p = map(s.pages);
		if (p == last)
			same_va++;
		long pg = check_zero(p, s.pages);
		if (pg >= 0) {
			snprintf(s.detail, sizeof(s.detail),
				 "round %u: fresh memory not zero on page %ld",
				 r, pg);
			s.bad++;
		}
		fill(p, s.pages, r);
		s.area = p;
		__atomic_store_n(&s.round, r, __ATOMIC_RELEASE);
		while (__atomic_load_n(&s.acked, __ATOMIC_ACQUIRE) != r &&
		       !s.bad)
			sched_yield();
		/* the checker's CPU now caches p's translations */
		munmap((void *)p, s.pages * PAGE);
		last = p;
	}
	s.stop = 1;
	pthread_join(t, NULL);
	printf("# workload/munmap: %u rounds, %u at the same address\n", rounds,
	       same_va);
	verdict("munmap", !s.bad, s.detail);
}

/* ---- mprotect seen by the other CPU ---- */

static sigjmp_buf fault_jmp;
static volatile int faulted;

static void on_segv(int sig)
{
	(void)sig;
	faulted = 1;
	siglongjmp(fault_jmp, 1);
}

struct prot {
	volatile uint64_t *page;
	volatile int phase; /* odd: the writer's turn */
	volatile int result[64];
};

static void *prot_writer(void *arg)
{
	struct prot *p = arg;
	pin(1);
	for (int ph = 1; ph < 64; ph += 2) {
		while (p->phase != ph)
			sched_yield();
		faulted = 0;
		if (!sigsetjmp(fault_jmp, 1))
			p->page[1] = (uint64_t)ph;
		p->result[ph] = faulted;
		__atomic_store_n(&p->phase, ph + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void part_mprotect(void)
{
	struct prot p = { 0 };
	struct sigaction sa = { .sa_handler = on_segv };
	sigaction(SIGSEGV, &sa, NULL);
	p.page = map(1);
	p.page[1] = 0;
	pthread_t t;
	pin(0);
	pthread_create(&t, NULL, prot_writer, &p);
	unsigned bad = 0;
	char detail[128] = "";
	for (int ph = 1; ph < 64; ph += 2) {
		int ro = (ph / 2) % 2;
		/* the writer's TLB holds the page writable from the last
		 * round: the change must reach it */
		mprotect((void *)p.page, PAGE,
			 ro ? PROT_READ : PROT_READ | PROT_WRITE);
		__atomic_store_n(&p.phase, ph, __ATOMIC_RELEASE);
		while (__atomic_load_n(&p.phase, __ATOMIC_ACQUIRE) != ph + 1)
			sched_yield();
		if (p.result[ph] != ro && !bad) {
			snprintf(detail, sizeof(detail),
				 "phase %d: write to a %s page %s", ph,
				 ro ? "read-only" : "writable",
				 ro ? "went through" : "faulted");
			bad++;
		}
	}
	pthread_join(t, NULL);
	signal(SIGSEGV, SIG_DFL);
	verdict("mprotect", !bad, detail);
	munmap((void *)p.page, PAGE);
}

/* Under refvmx, a write to port 0xF5 prints the hypervisor's statistics
 * (exits, faults, flushes): the workload's start and end are marked so
 * that their difference is its own. Natively the port is nothing. */
static void mark(unsigned n)
{
	/* What was printed is out first: refvmx's lines must not land
	 * inside the guest's. */
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
	if (ioperm(0xf5, 1, 1) == 0)
		outb((unsigned char)n, 0xf5);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		scale = (unsigned)atoi(argv[1]);
	if (!scale)
		scale = 1;
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 1)
		ncpus = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("# workload: %d CPU(s), scale %u\n", ncpus, scale);
	mark(1);
	part_fork_exec();
	part_cow();
	part_pingpong();
	part_munmap();
	part_mprotect();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mark(2);
	printf("# workload: %d failed, %.2f s\n", failures,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return failures;
}
