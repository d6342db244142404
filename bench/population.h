/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A host population for the benchmarks: child processes that sleep, spin, or
 * wake now and then to burn a little CPU. Each dies with its parent.
 */
#ifndef __POPULATION_H
#define __POPULATION_H

#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum pop_kind {
	POP_SLEEP,	/* pause() forever */
	POP_SPIN,	/* 100% of a CPU */
	POP_TICK,	/* every tick_ms, burn burn_us of CPU */
	POP_HALF,	/* burn burn_us, sleep burn_us: about half a CPU */
};

struct pop_spec {
	enum pop_kind kind;
	const char *comm;
	long burn_us;
	long tick_ms;
};

/* Burn this much of our own CPU time (not wall time). */
static inline void pop_burn_us(long us)
{
	struct timespec ts;
	double end;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	end = ts.tv_sec + ts.tv_nsec / 1e9 + us / 1e6;
	do {
		for (volatile int i = 0; i < 1000; i++)
			;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	} while (ts.tv_sec + ts.tv_nsec / 1e9 < end);
}

static inline void pop_nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts))
		;
}

static inline void pop_child(const struct pop_spec *s, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	if (s->comm)
		prctl(PR_SET_NAME, s->comm);
	switch (s->kind) {
	case POP_SLEEP:
		for (;;)
			pause();
	case POP_SPIN:
		for (volatile unsigned long x = 0;; x++)
			;
	case POP_TICK:
		/* spread the wake-ups over the period */
		pop_nap_us((getpid() * 7919L) % (s->tick_ms * 1000));
		for (;;) {
			pop_burn_us(s->burn_us);
			pop_nap_us(s->tick_ms * 1000);
		}
	case POP_HALF:
		for (;;) {
			pop_burn_us(s->burn_us);
			pop_nap_us(s->burn_us);
		}
	}
	_exit(0);
}

/* Start one child; its pid, or -1. */
static inline pid_t pop_spawn(const struct pop_spec *s)
{
	pid_t parent = getpid(), pid = fork();

	if (!pid)
		pop_child(s, parent);
	return pid;
}

/*
 * A sleeping process for a fraction of a fork's cost: clone() with CLONE_VM
 * (as vfork does, but without waiting), so no page tables are copied. It is a
 * process of its own (own pid, own /proc/PID) that shares our memory, so it
 * runs nothing but raw system calls on its own small stack.
 */
#define POP_STACK (16 * 1024)

static int pop_sleeper(void *comm)
{
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	syscall(SYS_prctl, PR_SET_NAME, comm, 0, 0, 0);
	for (;;)
		syscall(SYS_pause);
	return 0;
}

static inline pid_t pop_spawn_sleeper(const char *comm)
{
	static char *stacks;
	static size_t left;

	if (!left) {
		left = 1024;
		stacks = mmap(NULL, left * POP_STACK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (stacks == MAP_FAILED) {
			left = 0;
			return -1;
		}
	}
	left--;
	stacks += POP_STACK;
	return clone(pop_sleeper, stacks, CLONE_VM | SIGCHLD, (void *)comm);
}

/* Live processes on the host (thread group leaders in /proc). */
static inline int pop_count_host(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *end;

		if (strtoul(de->d_name, &end, 10) && !*end)
			n++;
	}
	closedir(d);
	return n;
}

static inline void pop_kill_all(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

#endif /* __POPULATION_H */
