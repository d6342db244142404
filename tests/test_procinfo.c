// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* procinfo: cmdline conversion, read-once caching on a fake /proc, the bound, real /proc. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "helpers.h"
#include "procs/procinfo.h"

/* --- cmdline_from_raw ------------------------------------------------------------ */

/* A literal with its embedded NULs, without the one C adds. */
#define RAW(s) s, sizeof(s) - 1

static const char *conv(const char *raw, size_t n, size_t outlen, int *len)
{
	static char out[64];

	memset(out, 'X', sizeof(out));
	*len = cmdline_from_raw(raw, n, out, outlen);
	return out;
}

Test(cmdline_from_raw, nul_separated_args)
{
	int len;

	cr_expect_str_eq(conv(RAW("/usr/bin/python3\0-m\0http.server\0"), 64, &len),
			 "/usr/bin/python3 -m http.server");
	cr_expect_eq(len, 31);
	/* no trailing NUL (a process rewrote its args), a single arg */
	cr_expect_str_eq(conv(RAW("nginx: worker process"), 64, &len), "nginx: worker process");
	cr_expect_eq(len, 21);
	cr_expect_str_eq(conv(RAW("sleep\0"), 64, &len), "sleep");
	cr_expect_eq(len, 5);
}

Test(cmdline_from_raw, empty_args_inside_are_kept_trailing_padding_dropped)
{
	int len;

	/* `prog "" x`: the empty argument shows as two spaces */
	cr_expect_str_eq(conv(RAW("prog\0\0x\0"), 64, &len), "prog  x");
	cr_expect_eq(len, 7);
	/* setproctitle pads with NULs */
	cr_expect_str_eq(conv(RAW("postgres: checkpointer\0\0\0\0\0\0"), 64, &len),
			 "postgres: checkpointer");
	cr_expect_eq(len, 22);
}

Test(cmdline_from_raw, kernel_thread_and_empty)
{
	int len;

	cr_expect_str_eq(conv(RAW(""), 64, &len), "");
	cr_expect_eq(len, 0);
	cr_expect_str_eq(conv(NULL, 0, 64, &len), "");
	cr_expect_eq(len, 0);
	cr_expect_str_eq(conv(RAW("\0\0\0"), 64, &len), "");
	cr_expect_eq(len, 0);
}

Test(cmdline_from_raw, other_bytes_kept_and_truncation)
{
	int len;
	const char *out;

	cr_expect_str_eq(conv(RAW("a\nb\0c\td\0"), 64, &len), "a\nb c\td");
	out = conv(RAW("abc\0def\0"), 6, &len);
	cr_expect_eq(len, 5);
	cr_expect_str_eq(out, "abc d");
	cr_expect_eq(out[6], 'X', "wrote past outlen");
	out = conv(RAW("abc"), 1, &len);
	cr_expect_eq(len, 0);
	cr_expect_str_eq(out, "");
	cr_expect_eq(cmdline_from_raw("abc", 3, NULL, 8), -EINVAL);
	cr_expect_eq(cmdline_from_raw("abc", 3, (char[4]){ 0 }, 0), -EINVAL);
}

/* --- stat_starttime ---------------------------------------------------------------- */

Test(stat_starttime, field_22_whatever_the_comm_holds)
{
	static const char line[] =
		"4242 (a) b (c) 1 2) S 1 4242 4242 0 -1 4194560 96 0 0 0 0 0 0 0 20 0 1 0 "
		"123456 2301952 165 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0\n";
	unsigned long long t = 0;

	cr_expect_eq(stat_starttime(line, sizeof(line) - 1, &t), 0);
	cr_expect_eq(t, 123456);
	cr_expect_eq(stat_starttime("1 (x) S 1 2 3", 13, &t), -EINVAL);
	cr_expect_eq(stat_starttime("no paren at all", 15, &t), -EINVAL);
	cr_expect_eq(stat_starttime("1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12x", 49, &t),
		     -EINVAL);
}

/* --- a fake /proc ---------------------------------------------------------------- */

/* /proc/PID/stat of a process that started start_ticks after boot. */
static void write_stat(const char *root, unsigned pid, unsigned long long start_ticks)
{
	char path[PATH_MAX], line[256];

	snprintf(path, sizeof(path), "%s/%u/stat", root, pid);
	snprintf(line, sizeof(line), "%u (fake) S 1 %u %u 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu "
		 "0 0\n", pid, pid, pid, start_ticks);
	cr_assert_eq(th_write_file(path, line), 0, "%s", path);
}

/* A file of /proc/PID; with the cmdline comes a stat saying the process started at boot
 * (every start_ns below 10 ms is that, at 100 ticks a second). */
static void write_proc(const char *root, unsigned pid, const char *file, const char *raw,
		       size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/%s", root, pid, file);
	cr_assert_eq(th_write_file(path, ""), 0, "%s", path);
	f = fopen(path, "w");
	cr_assert(f);
	cr_assert_eq(fwrite(raw, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
	if (!strcmp(file, "cmdline"))
		write_stat(root, pid, 0);
}

static void link_exe(const char *root, unsigned pid, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
	unlink(path);
	cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path, strerror(errno));
}

Test(procinfo, read_once_then_cached)
{
	char *tmp = th_tmpdir();
	struct procinfo *p;

	cr_assert(tmp);
	write_proc(tmp, 42, "cmdline", RAW("/usr/sbin/nginx\0-g\0daemon off;\0"));
	link_exe(tmp, 42, "/usr/sbin/nginx");
	p = procinfo__new(tmp, 16);
	cr_assert(p);

	cr_expect_str_eq(procinfo__cmdline(p, 42, 1000), "/usr/sbin/nginx -g daemon off;");
	cr_expect_str_eq(procinfo__exe(p, 42, 1000), "/usr/sbin/nginx");
	cr_expect_eq(procinfo__size(p), 1);

	/* the files change (exec, or another process took the pid): the cache does not look */
	write_proc(tmp, 42, "cmdline", RAW("/bin/sh\0"));
	link_exe(tmp, 42, "/bin/dash");
	cr_expect_str_eq(procinfo__cmdline(p, 42, 1000), "/usr/sbin/nginx -g daemon off;");
	cr_expect_str_eq(procinfo__exe(p, 42, 1000), "/usr/sbin/nginx");

	/* the same pid with another start time is another process: read again */
	cr_expect_str_eq(procinfo__cmdline(p, 42, 2000), "/bin/sh");
	cr_expect_str_eq(procinfo__exe(p, 42, 2000), "/bin/dash");
	cr_expect_eq(procinfo__size(p), 2);
	/* and the first is still what it was */
	cr_expect_str_eq(procinfo__cmdline(p, 42, 1000), "/usr/sbin/nginx -g daemon off;");

	/* forget: the next lookup reads again */
	procinfo__forget(p, 42, 1000);
	cr_expect_eq(procinfo__size(p), 1);
	cr_expect_str_eq(procinfo__cmdline(p, 42, 1000), "/bin/sh");
	procinfo__forget(p, 4242, 1);	/* unknown: nothing happens */
	cr_expect_eq(procinfo__size(p), 2);

	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

Test(procinfo, argv_as_the_kernel_gives_it)
{
	char *tmp = th_tmpdir();
	struct procinfo *p;
	const char *argv;
	size_t len = 99;

	cr_assert(tmp);
	/* an argument with a space is one argument: the line cannot say so, argv can */
	write_proc(tmp, 7, "cmdline", RAW("qemu\0-name\0guest=my vm\0-smp\0" "2\0\0"));
	p = procinfo__new(tmp, 4);
	cr_assert(p);
	argv = procinfo__argv(p, 7, 1, &len);
	cr_assert(argv);
	cr_expect_eq(len, 29, "len %zu", len);
	cr_expect_eq(memcmp(argv, "qemu\0-name\0guest=my vm\0-smp\0" "2", 29), 0);
	/* one read for both */
	write_proc(tmp, 7, "cmdline", RAW("other\0"));
	cr_expect_str_eq(procinfo__cmdline(p, 7, 1), "qemu -name guest=my vm -smp 2");
	/* gone: unknown */
	cr_expect_null(procinfo__argv(p, 8, 1, &len));
	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

/*
 * Arguments without a space, an empty one among them, are kept once, as the line: argv is
 * made of it, the same bytes as the kernel gave; the line is as before; a process whose
 * arguments hold a space, read after, keeps its own.
 */
Test(procinfo, argv_without_spaces_from_the_line)
{
	char *tmp = th_tmpdir();
	struct procinfo *p;
	const char *argv;
	size_t len = 99;

	cr_assert(tmp);
	write_proc(tmp, 7, "cmdline", RAW("qemu-system-x86_64\0-name\0guest=vm1\0\0-smp\0" "4\0"));
	write_proc(tmp, 9, "cmdline", RAW("qemu\0-name\0guest=my vm\0"));
	write_proc(tmp, 11, "cmdline", RAW(""));
	p = procinfo__new(tmp, 4);
	cr_assert(p);
	cr_expect_str_eq(procinfo__cmdline(p, 7, 1), "qemu-system-x86_64 -name guest=vm1  -smp 4");
	argv = procinfo__argv(p, 7, 1, &len);
	cr_assert(argv);
	cr_expect_eq(len, 42, "len %zu", len);
	cr_expect_eq(memcmp(argv, "qemu-system-x86_64\0-name\0guest=vm1\0\0-smp\0" "4", 42), 0);
	cr_expect_str_eq(procinfo__cmdline(p, 7, 1), "qemu-system-x86_64 -name guest=vm1  -smp 4");
	argv = procinfo__argv(p, 9, 1, &len);
	cr_assert(argv);
	cr_expect_eq(len, 22, "len %zu", len);
	cr_expect_eq(memcmp(argv, "qemu\0-name\0guest=my vm", 22), 0);
	argv = procinfo__argv(p, 11, 1, &len);
	cr_assert(argv);
	cr_expect_eq(len, 0);
	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

/* The executable is read at the first procinfo__exe(), not with the command line (BPF
 * gives most of them: a flood's links were 48 bytes a process never asked for), once,
 * and only of the process that was asked for. */
Test(procinfo, exe_read_at_the_first_ask_once)
{
	char *tmp = th_tmpdir();
	struct procinfo *p;

	cr_assert(tmp);
	write_proc(tmp, 50, "cmdline", RAW("/usr/bin/a\0"));
	link_exe(tmp, 50, "/usr/bin/a");
	write_proc(tmp, 51, "cmdline", RAW("/usr/bin/b\0"));
	link_exe(tmp, 51, "/usr/bin/b");
	p = procinfo__new(tmp, 16);
	cr_assert(p);
	cr_expect_str_eq(procinfo__cmdline(p, 50, 1000), "/usr/bin/a");
	cr_expect_str_eq(procinfo__cmdline(p, 51, 1000), "/usr/bin/b");

	/* exec'd after its command line was read: the link at the first ask, then kept */
	link_exe(tmp, 50, "/usr/bin/a2");
	cr_expect_str_eq(procinfo__exe(p, 50, 1000), "/usr/bin/a2");
	link_exe(tmp, 50, "/usr/bin/a3");
	cr_expect_str_eq(procinfo__exe(p, 50, 1000), "/usr/bin/a2");

	/* its PID taken by a later process meanwhile: nothing, then or later */
	write_stat(tmp, 51, 500);
	cr_expect_null(procinfo__exe(p, 51, 1000));
	write_stat(tmp, 51, 0);
	cr_expect_null(procinfo__exe(p, 51, 1000));
	cr_expect_str_eq(procinfo__cmdline(p, 51, 1000), "/usr/bin/b");

	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

Test(procinfo, gone_process_is_cached_unknown)
{
	char *tmp = th_tmpdir();
	struct procinfo *p;

	cr_assert(tmp);
	p = procinfo__new(tmp, 16);
	cr_assert(p);
	cr_expect_null(procinfo__cmdline(p, 77, 5));
	cr_expect_null(procinfo__exe(p, 77, 5));
	cr_expect_eq(procinfo__size(p), 1);

	/* a process appearing later under that pid is not this one */
	write_proc(tmp, 77, "cmdline", RAW("late\0"));
	cr_expect_null(procinfo__cmdline(p, 77, 5));
	cr_expect_str_eq(procinfo__cmdline(p, 77, 6), "late");
	/* no exe link (kernel thread, EACCES): exe unknown, cmdline known */
	cr_expect_null(procinfo__exe(p, 77, 6));

	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

/* The PID now belongs to a process that started at another time: nothing of it is
 * reported as the process asked for, neither cmdline nor exe nor comm. */
Test(procinfo, reused_pid_is_not_read_as_the_old_process)
{
	const unsigned long long old_start = 5000000000ULL, new_start = 7000000000ULL;
	char *tmp = th_tmpdir(), comm[32], path[PATH_MAX];
	struct procinfo *p;

	cr_assert(tmp);
	write_proc(tmp, 300, "cmdline", RAW("/usr/bin/later --secret\0"));
	write_proc(tmp, 300, "comm", RAW("later\n"));
	link_exe(tmp, 300, "/usr/bin/later");
	write_stat(tmp, 300, new_start / 10000000ULL);
	p = procinfo__new(tmp, 8);
	cr_assert(p);
	cr_expect_null(procinfo__cmdline(p, 300, old_start));
	cr_expect_null(procinfo__exe(p, 300, old_start));
	cr_expect_eq(procinfo__comm(p, 300, old_start, comm, sizeof(comm)), -ESRCH);
	cr_expect_eq(procinfo__alive(p, 300, old_start), 0);
	/* the later process itself is read */
	cr_expect_str_eq(procinfo__cmdline(p, 300, new_start), "/usr/bin/later --secret");
	cr_expect_str_eq(procinfo__exe(p, 300, new_start), "/usr/bin/later");
	cr_expect_eq(procinfo__comm(p, 300, new_start + 5000000, comm, sizeof(comm)), 0);
	cr_expect_str_eq(comm, "later");
	cr_expect_eq(procinfo__alive(p, 300, new_start), 1);
	/* no stat at all: not known to be the process */
	write_proc(tmp, 301, "cmdline", RAW("x\0"));
	snprintf(path, sizeof(path), "%s/301/stat", tmp);
	cr_assert_eq(unlink(path), 0);
	cr_expect_null(procinfo__cmdline(p, 301, 1));
	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

Test(procinfo, kernel_thread_has_empty_cmdline)
{
	char *tmp = th_tmpdir();
	struct procinfo *p;

	cr_assert(tmp);
	write_proc(tmp, 2, "cmdline", RAW(""));
	p = procinfo__new(tmp, 4);
	cr_assert(p);
	cr_expect_str_eq(procinfo__cmdline(p, 2, 1), "");
	cr_expect_null(procinfo__exe(p, 2, 1));
	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

Test(procinfo, long_cmdline_is_capped)
{
	static char raw[3 * PROCINFO_CMDLINE_MAX];
	char *tmp = th_tmpdir();
	struct procinfo *p;
	const char *got;

	cr_assert(tmp);
	memset(raw, 'a', sizeof(raw));
	for (size_t i = 100; i < sizeof(raw); i += 100)
		raw[i] = '\0';
	write_proc(tmp, 9, "cmdline", raw, sizeof(raw));
	p = procinfo__new(tmp, 4);
	cr_assert(p);
	got = procinfo__cmdline(p, 9, 1);
	cr_assert(got);
	cr_expect_eq(strlen(got), PROCINFO_CMDLINE_MAX - 1);
	cr_expect_eq(got[100], ' ');
	cr_expect_eq(got[101], 'a');
	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

/* Under tmp, the cmdline "PREFIX-PID" of every pid from first to last. */
static void write_cmdlines(const char *tmp, unsigned first, unsigned last, const char *prefix)
{
	char cmd[32];

	for (unsigned pid = first; pid <= last; pid++) {
		snprintf(cmd, sizeof(cmd), "%s-%u", prefix, pid);
		write_proc(tmp, pid, "cmdline", cmd, strlen(cmd) + 1);
	}
}

Test(procinfo, bounded_least_recently_used_goes)
{
	const size_t max = 64;
	char *tmp = th_tmpdir(), want[32];
	struct procinfo *p;

	cr_assert(tmp);
	write_cmdlines(tmp, 1, max + 100, "proc");
	p = procinfo__new(tmp, max);
	cr_assert(p);
	for (unsigned pid = 1; pid <= max + 100; pid++) {
		snprintf(want, sizeof(want), "proc-%u", pid);
		cr_expect_str_eq(procinfo__cmdline(p, pid, pid * 10ULL), want);
		cr_expect_leq(procinfo__size(p), max);
		/* pid 1 stays recently used, so it is never the one to go */
		cr_expect_str_eq(procinfo__cmdline(p, 1, 10), "proc-1");
	}
	cr_expect_eq(procinfo__size(p), max);

	/* the cached pid 1 still answers from the cache; pid 2 went long ago and is read again */
	write_proc(tmp, 1, "cmdline", RAW("new-1"));
	write_proc(tmp, 2, "cmdline", RAW("new-2"));
	cr_expect_str_eq(procinfo__cmdline(p, 1, 10), "proc-1");
	cr_expect_str_eq(procinfo__cmdline(p, 2, 20), "new-2");
	cr_expect_eq(procinfo__size(p), max);

	/* forget everything: the pool is reused, not grown */
	for (unsigned pid = 1; pid <= max + 100; pid++)
		procinfo__forget(p, pid, pid * 10ULL);
	cr_expect_eq(procinfo__size(p), 0);
	cr_expect_str_eq(procinfo__cmdline(p, 3, 30), "proc-3");
	cr_expect_eq(procinfo__size(p), 1);

	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

/*
 * Issue 23: a flood of processes came and went; once under a quarter of the entries it
 * used are cached, they move to a new pool (the old one's pages go back): what is cached
 * answers as before, without reading /proc, and the least recently used still goes first.
 */
Test(procinfo, a_flood_that_went_leaves_a_small_pool)
{
	const unsigned max = 1200;
	char *tmp = th_tmpdir(), want[32];
	struct procinfo *p;

	cr_assert(tmp);
	write_cmdlines(tmp, 1, max + 1001, "proc");
	p = procinfo__new(tmp, max);
	cr_assert(p);
	for (unsigned pid = 1; pid <= max; pid++)
		cr_assert_not_null(procinfo__cmdline(p, pid, pid * 10ULL));
	for (unsigned pid = 201; pid <= max; pid++)
		procinfo__forget(p, pid, pid * 10ULL);
	cr_expect_eq(procinfo__size(p), 200);
	cr_expect_lt(procinfo__top(p), 300, "a pool of %zu", procinfo__top(p));
	/* the 200 left answer from the cache (their files say otherwise now) */
	write_cmdlines(tmp, 1, 200, "new");
	for (unsigned pid = 200; pid >= 1; pid--) {	/* (most recent last: 1 stays the least) */
		snprintf(want, sizeof(want), "proc-%u", pid);
		cr_expect_str_eq(procinfo__cmdline(p, pid, pid * 10ULL), want);
	}
	/* filled again to the bound, then one more: the one to go is pid 200, used longest ago */
	for (unsigned pid = max + 1; pid <= max + 1001; pid++)
		cr_assert_not_null(procinfo__cmdline(p, pid, pid * 10ULL));
	cr_expect_eq(procinfo__size(p), max);
	cr_expect_str_eq(procinfo__cmdline(p, 1, 10), "proc-1");
	cr_expect_str_eq(procinfo__cmdline(p, 200, 2000), "new-200");

	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

Test(procinfo, one_entry)
{
	char *tmp = th_tmpdir();
	struct procinfo *p;

	cr_assert(tmp);
	write_proc(tmp, 5, "cmdline", RAW("five"));
	write_proc(tmp, 6, "cmdline", RAW("six"));
	p = procinfo__new(tmp, 1);
	cr_assert(p);
	cr_expect_str_eq(procinfo__cmdline(p, 5, 1), "five");
	cr_expect_str_eq(procinfo__cmdline(p, 6, 1), "six");
	cr_expect_str_eq(procinfo__cmdline(p, 5, 1), "five");
	cr_expect_eq(procinfo__size(p), 1);
	procinfo__free(p);
	th_rmrf(tmp);
	free(tmp);
}

Test(procinfo, bad_arguments)
{
	errno = 0;
	cr_expect_null(procinfo__new("/proc", 0));
	cr_expect_eq(errno, EINVAL);
	cr_expect_null(procinfo__cmdline(NULL, 1, 1));
	cr_expect_null(procinfo__exe(NULL, 1, 1));
	cr_expect_eq(procinfo__size(NULL), 0);
	procinfo__forget(NULL, 1, 1);
	procinfo__free(NULL);
}

/* --- the real /proc ---------------------------------------------------------------- */

Test(procinfo, real_proc_self)
{
	char exe[PATH_MAX], want[PATH_MAX + 2];
	struct procinfo *p;
	const char *got;
	ssize_t n;

	char stat[1024];
	unsigned long long ticks, self_ns, kthreadd_ns = 0;
	FILE *sf;
	size_t len;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(n, 0);
	exe[n] = '\0';
	sf = fopen("/proc/self/stat", "r");
	cr_assert(sf);
	len = fread(stat, 1, sizeof(stat), sf);
	fclose(sf);
	cr_assert_eq(stat_starttime(stat, len, &ticks), 0);
	self_ns = ticks * (1000000000ULL / sysconf(_SC_CLK_TCK));
	p = procinfo__new(NULL, 8);
	cr_assert(p);

	/* a start time one tick off is another process */
	cr_expect_null(procinfo__cmdline(p, getpid(), self_ns + 1000000000ULL / sysconf(_SC_CLK_TCK)));
	got = procinfo__cmdline(p, getpid(), self_ns);
	cr_assert(got);
	/* argv[0] comes first, then a space if there are more arguments */
	snprintf(want, sizeof(want), "%s", program_invocation_name);
	cr_expect(!strncmp(got, want, strlen(want)) &&
			  (got[strlen(want)] == '\0' || got[strlen(want)] == ' '),
		  "cmdline %s does not start with argv[0] %s", got, want);
	cr_expect_str_eq(procinfo__exe(p, getpid(), self_ns), exe);

	/* pid 2 is kthreadd outside a pid namespace: empty cmdline, exe unknown */
	sf = fopen("/proc/2/stat", "r");
	if (sf) {
		len = fread(stat, 1, sizeof(stat), sf);
		fclose(sf);
		if (!stat_starttime(stat, len, &ticks))
			kthreadd_ns = ticks * (1000000000ULL / sysconf(_SC_CLK_TCK));
	}
	got = procinfo__cmdline(p, 2, kthreadd_ns);
	if (got && !access("/proc/2/comm", R_OK)) {
		char comm[32] = "";
		FILE *f = fopen("/proc/2/comm", "r");

		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, "kthreadd\n")) {
			cr_expect_str_eq(got, "");
			cr_expect_null(procinfo__exe(p, 2, kthreadd_ns));
		}
		if (f)
			fclose(f);
	}
	procinfo__free(p);
}
