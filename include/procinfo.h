/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A process's command line and executable, read once from /proc and cached, bounded. */
#ifndef __PROCINFO_H
#define __PROCINFO_H

#include <stddef.h>

#define PROCINFO_CMDLINE_MAX 4096	/* bytes read from /proc/PID/cmdline, and of the result */

struct procinfo;

/* proc_root: "/proc" (NULL means that); max_entries > 0. NULL with errno set on failure. */
struct procinfo *procinfo__new(const char *proc_root, size_t max_entries);

/*
 * For the process (pid, start_ns): start_ns is an opaque key of the process instance, so
 * the same pid with another start_ns is another process. The first call for a process
 * reads /proc/PID/cmdline and the link /proc/PID/exe, once; later calls answer from the
 * cache without touching /proc, until procinfo__forget() or eviction (least recently used
 * first when max_entries are held).
 *
 * cmdline: arguments separated by spaces, at most PROCINFO_CMDLINE_MAX - 1 bytes; "" for a
 * kernel thread (and a zombie). exe: the link's target. NULL when unknown: the process was
 * gone at the first call, or /proc refused (EACCES, ENOENT for kernel threads' exe).
 * The pointers stay valid until the next call on p.
 */
const char *procinfo__cmdline(struct procinfo *p, unsigned pid, unsigned long long start_ns);
const char *procinfo__exe(struct procinfo *p, unsigned pid, unsigned long long start_ns);

/* The process exited (or exec'd: its cmdline and exe changed): drop its entry. */
void procinfo__forget(struct procinfo *p, unsigned pid, unsigned long long start_ns);
size_t procinfo__size(struct procinfo *p);
void procinfo__free(struct procinfo *p);

/*
 * Pure: the raw bytes of /proc/PID/cmdline to one line. The NULs between arguments become
 * spaces, trailing NULs (also setproctitle's padding) are dropped; other bytes are kept as
 * they are (an output escapes them). Truncated to outlen - 1 bytes. Length written or
 * -EINVAL (no out buffer).
 */
int cmdline_from_raw(const char *raw, size_t n, char *out, size_t outlen);

#endif /* __PROCINFO_H */
