/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Small helpers shared by the Criterion tests. */
#ifndef __TESTS_HELPERS_H
#define __TESTS_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Write a whole file, creating the directories above it. Returns 0 or -errno. */
static inline int th_write_file(const char *path, const char *text)
{
	char dir[4096], *p;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	for (p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/*
 * Make pid the next PID the kernel hands out in this PID namespace (root:
 * ns_last_pid), so that a test can reuse the PID of a process that exited.
 * 0, or -errno (-ENOENT: no ns_last_pid on this kernel).
 */
static inline int th_next_pid(pid_t pid)
{
	char last[32];

	snprintf(last, sizeof(last), "%d", pid - 1);
	return th_write_file("/proc/sys/kernel/ns_last_pid", last);
}

/* A fresh temporary directory; the caller owns the returned string. */
static inline char *th_tmpdir(void)
{
	char *d = strdup("/tmp/wattprobe-test.XXXXXX");

	if (!d || !mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

static inline void th_rmrf(const char *dir)
{
	char cmd[4200];

	if (!dir || strncmp(dir, "/tmp/", 5))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* The build folder, where the test tools are: $OUT or "build". */
static inline const char *th_out_dir(void)
{
	const char *o = getenv("OUT");

	return o && *o ? o : "build";
}

#endif /* __TESTS_HELPERS_H */
