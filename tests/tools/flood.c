// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * flood: many new processes, fast, for the tests and benchmarks of what the
 * agent keeps of processes that come and go. It forks N children at R a
 * second (as fast as it can without --rate), each with a command line of its
 * own ("flood-child NNNNNNN", written over its argv as setproctitle does) and,
 * with --rename, a name of its own too (PR_SET_NAME: a rename record, as an
 * exec makes). Each child runs once, at its start; without --live it then
 * exits, with --live it sleeps until flood ends (SIGTERM, or stdin at its end
 * with --stdin) and dies with it. With --vm the children share flood's
 * memory (clone with CLONE_VM, as vfork does without waiting: no page tables
 * to copy, several times the rate of fork), run raw system calls only, exit
 * at once and have flood's command line. On stdout: one JSON object, the
 * children started and the rate reached.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage_text[] =
"usage: flood [--count N] [--rate PER_S] [--live] [--rename] [--stdin] [--vm]\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

/* Write "flood-child N" over the argument area (argv[0] to the end of the last one). */
static void retitle(char **argv, int argc, long n)
{
	char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]);
	size_t room = end - start;

	memset(start, 0, room);
	snprintf(start, room, "flood-child %07ld", n);
}

/* A child of --vm: flood's memory, its own small stack; raw system calls only. */
#define VM_STACK (16 * 1024)
static bool vm_rename;

static int vm_child(void *name)
{
	if (vm_rename)
		syscall(SYS_prctl, PR_SET_NAME, name, 0, 0, 0);
	syscall(SYS_exit, 0);
	return 0;
}

static char vm_names[64][16];

/* Start one --vm child on a stack of the ring (64 in use at most: each exits at once). */
static pid_t vm_spawn(long n)
{
	static char *stacks;
	int k = n % 64;

	if (!stacks) {
		stacks = mmap(NULL, 64 * VM_STACK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (stacks == MAP_FAILED)
			return -1;
	}
	/* the child that used this stack 64 children ago is long gone (each runs a few us),
	 * but wait for it to make sure: its pid, kept in vm_pids */
	snprintf(vm_names[k], sizeof(vm_names[k]), "fl%07ld", n % 10000000);
	return clone(vm_child, stacks + (k + 1) * VM_STACK, CLONE_VM | SIGCHLD, vm_names[k]);
}

int main(int argc, char **argv)
{
	long count = 1000, started = 0;
	double rate = 0, t0, t1;
	bool live = false, rename = false, use_stdin = false, vm = false;
	pid_t vm_pids[64] = {};
	pid_t parent = getpid();
	sigset_t block, old;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--count") && v)
			count = atol(argv[++i]);
		else if (!strcmp(a, "--rate") && v)
			rate = atof(argv[++i]);
		else if (!strcmp(a, "--live"))
			live = true;
		else if (!strcmp(a, "--rename"))
			rename = true;
		else if (!strcmp(a, "--stdin"))
			use_stdin = true;
		else if (!strcmp(a, "--vm"))
			vm = true;
		else {
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (count < 1 || rate < 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (!live && !vm)
		signal(SIGCHLD, SIG_IGN);	/* reaped by the kernel */
	if (vm && live) {
		fputs("flood: --vm children exit at once: no --live\n", stderr);
		return 2;
	}
	/* a child must not take SIGTERM before it set its death signal */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	t0 = now_s();
	for (started = 0; started < count && !stop; started++) {
		pid_t pid;

		if (rate > 0) {
			double due = t0 + started / rate, wait = due - now_s();

			if (wait > 0) {
				struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };

				nanosleep(&ts, NULL);
			}
		}
		if (vm) {
			int k = started % 64;

			if (vm_pids[k] > 0)	/* its stack is free again once it is gone */
				while (waitpid(vm_pids[k], NULL, __WALL) < 0 && errno == EINTR)
					;
			vm_rename = rename;
			pid = vm_pids[k] = vm_spawn(started);
			if (pid < 0) {
				fprintf(stderr, "flood: clone after %ld children: %s\n", started,
					strerror(errno));
				break;
			}
			continue;
		}
		sigprocmask(SIG_BLOCK, &block, &old);
		pid = fork();
		if (pid < 0) {
			fprintf(stderr, "flood: fork after %ld children: %s\n", started,
				strerror(errno));
			break;
		}
		if (!pid) {
			char name[16];

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			signal(SIGTERM, SIG_DFL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			retitle(argv, argc, started);
			if (rename) {
				snprintf(name, sizeof(name), "fl%07ld", started % 10000000);
				prctl(PR_SET_NAME, name);
			}
			if (!live)
				_exit(0);
			for (;;)
				pause();
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	t1 = now_s();
	printf("{\"started\":%ld,\"seconds\":%.3f,\"per_s\":%.0f}\n", started, t1 - t0,
	       started / (t1 - t0 > 0 ? t1 - t0 : 1e-9));
	fflush(stdout);
	if (live) {
		if (use_stdin) {
			char buf[64];

			while (!stop && read(STDIN_FILENO, buf, sizeof(buf)) > 0)
				;
		} else {
			while (!stop)
				pause();
		}
	}
	/* the children die with us (PR_SET_PDEATHSIG) */
	return 0;
}
