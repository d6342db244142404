// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * forkload: a command for the tests of `wattprobe run`. It starts one long
 * child and N short ones (at most J at a time), each burning CPU for a given
 * time, reaps them all, and writes what the kernel says they used: its own
 * getrusage(RUSAGE_SELF), getrusage(RUSAGE_CHILDREN), and each child's rusage
 * from wait4(), as one JSON object. Then it exits with --exit CODE or kills
 * itself with --signal SIG. --count-signal SIG counts the deliveries of SIG
 * (each one, nested if need be) instead of dying of it, for the report.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
"usage: forkload [--short N] [--short-ms MS] [--long-ms MS] [--jobs J] [--self-ms MS]\n"
"                [--report FILE] [--exit CODE | --signal SIG] [--count-signal SIG]\n";

static volatile sig_atomic_t delivered;

static void on_signal(int sig)
{
	delivered++;
}

static void burn(long long ms)
{
	struct timespec ts;
	long long end;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	end = ts.tv_sec * 1000000000LL + ts.tv_nsec + ms * 1000000LL;
	do
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	while (ts.tv_sec * 1000000000LL + ts.tv_nsec < end);
}

static long long ns_of(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000LL +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000LL;
}

static pid_t start(long long ms)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("forkload: fork");
		exit(1);
	}
	if (!pid) {
		burn(ms);
		_exit(0);
	}
	return pid;
}

struct child {
	pid_t pid;
	long long ns;
};

int main(int argc, char **argv)
{
	long long nshort = 200, short_ms = 2, long_ms = 1000, self_ms = 0, jobs = 2;
	int code = 0, sig = 0, count_sig = 0, running = 0, started = 0, n = 0;
	const char *report = NULL;
	struct child *kids;
	struct rusage ru, self, children;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fputs(usage_text, stderr);
			return 2;
		}
		if (!strcmp(a, "--short"))
			nshort = atoll(v);
		else if (!strcmp(a, "--short-ms"))
			short_ms = atoll(v);
		else if (!strcmp(a, "--long-ms"))
			long_ms = atoll(v);
		else if (!strcmp(a, "--self-ms"))
			self_ms = atoll(v);
		else if (!strcmp(a, "--jobs"))
			jobs = atoll(v);
		else if (!strcmp(a, "--report"))
			report = v;
		else if (!strcmp(a, "--exit"))
			code = atoi(v);
		else if (!strcmp(a, "--signal"))
			sig = atoi(v);
		else if (!strcmp(a, "--count-signal"))
			count_sig = atoi(v);
		else {
			fputs(usage_text, stderr);
			return 2;
		}
		i++;
	}
	if (count_sig) {
		struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_NODEFER | SA_RESTART };

		sigaction(count_sig, &sa, NULL);
	}
	kids = calloc(nshort + 1, sizeof(*kids));
	if (!kids || jobs < 1)
		return 1;
	if (long_ms > 0) {
		start(long_ms);
		running++;
	}
	burn(self_ms);
	while (started < nshort || running) {
		pid_t pid;

		if (started < nshort && running < jobs + (long_ms > 0)) {
			start(short_ms);
			started++;
			running++;
			continue;
		}
		pid = wait4(-1, NULL, 0, &ru);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		kids[n++] = (struct child){ pid, ns_of(&ru) };
		running--;
	}
	getrusage(RUSAGE_CHILDREN, &children);
	getrusage(RUSAGE_SELF, &self);
	f = report ? fopen(report, "w") : stdout;
	if (!f) {
		perror("forkload: report");
		return 1;
	}
	fprintf(f, "{\"pid\":%d,\"signals\":%d,\"self_ns\":%lld,\"children_ns\":%lld,"
		"\"children\":[", getpid(), (int)delivered, ns_of(&self), ns_of(&children));
	for (int i = 0; i < n; i++)
		fprintf(f, "%s{\"pid\":%d,\"ns\":%lld}", i ? "," : "", kids[i].pid, kids[i].ns);
	fprintf(f, "]}\n");
	if (f != stdout)
		fclose(f);
	else
		fflush(stdout);
	if (sig) {
		signal(sig, SIG_DFL);
		kill(getpid(), sig);
	}
	return code;
}
