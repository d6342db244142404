// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Which PID namespace the agent is in; see kernel/pidns.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kernel/pidns.h"
#include "lib/util.h"

int pidns_parse_link(const char *s, unsigned long long *ino)
{
	size_t n;

	if (!s || !ino || strncmp(s, "pid:[", 5))
		return -EINVAL;
	s += 5;
	n = strlen(s);
	if (n < 2 || s[n - 1] != ']')
		return -EINVAL;
	return parse_u64_line(s, n - 1, ino);
}

int pidns__is_initial(const char *proc_root)
{
	char path[PATH_MAX], target[64];
	unsigned long long ino;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/self/ns/pid", proc_root ? proc_root : "/proc");
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (pidns_parse_link(target, &ino))
		return -EINVAL;
	return ino == PIDNS_INIT_INO;
}
