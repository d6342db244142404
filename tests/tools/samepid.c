// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * samepid PROGRAM [ARG]...: run PROGRAM, wait for it, then run it again
 * under the same PID, so that one PID stands for two processes within
 * moments (clone3() with set_tid; needs CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE). Prints the PID on stdout. Exit 0 when both ran
 * and exited 0; 3 when the PID could not be taken again.
 */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t spawn(char **argv, pid_t want)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	pid_t pid;

	if (want) {
		args.set_tid = (uint64_t)(uintptr_t)&want;
		args.set_tid_size = 1;
	}
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (!pid) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv)
{
	pid_t first, second;

	if (argc < 2) {
		fprintf(stderr, "usage: samepid PROGRAM [ARG]...\n");
		return 2;
	}
	first = spawn(argv + 1, 0);
	if (first < 0) {
		fprintf(stderr, "samepid: failed to clone: %s\n", strerror(errno));
		return 1;
	}
	printf("%d\n", first);
	fflush(stdout);
	if (reap(first))
		return 1;
	second = spawn(argv + 1, first);
	if (second < 0) {
		fprintf(stderr, "samepid: failed to take PID %d again: %s\n", first, strerror(errno));
		return 3;
	}
	return reap(second) ? 1 : 0;
}
