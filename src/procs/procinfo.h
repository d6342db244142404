/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A process's command line and executable, read once from /proc and cached, bounded. */
#ifndef __PROCINFO_H
#define __PROCINFO_H

#include <stddef.h>
#include "procs/proc.h"	/* PROCINFO_CMDLINE_MAX */


struct procinfo;

/* proc_root: "/proc" (NULL means that); max_entries > 0. NULL with errno set on failure. */
struct procinfo *procinfo__new(const char *proc_root, size_t max_entries);

/*
 * For the process (pid, start_ns): start_ns is the start time of its group leader in
 * nanoseconds since boot (the task's start_boottime), so the same pid with another
 * start_ns is another process. The first call for a process checks that /proc/PID is that
 * process (the starttime of /proc/PID/stat, in clock ticks, is start_ns's) and reads
 * /proc/PID/cmdline through that directory, once; the first procinfo__exe() checks again
 * and reads the link /proc/PID/exe, once (most callers never ask: BPF gives executables):
 * what is read belongs to that process, never to a later one that reused the PID. Later
 * calls answer from the cache without touching /proc, until procinfo__forget() or eviction
 * (least recently used first when max_entries are held).
 *
 * cmdline: arguments separated by spaces, at most PROCINFO_CMDLINE_MAX - 1 bytes; "" for a
 * kernel thread (and a zombie). exe: the link's target. NULL when unknown: the process was
 * gone at the first call (or, for exe, at the first procinfo__exe()), or /proc refused
 * (EACCES, ENOENT for kernel threads' exe).
 * The pointers stay valid until the next call on p.
 */
const char *procinfo__cmdline(struct procinfo *p, unsigned pid, unsigned long long start_ns);
const char *procinfo__exe(struct procinfo *p, unsigned pid, unsigned long long start_ns);
/* The same command line as the kernel gives it: its arguments, each ended by a NUL but the
 * last, *len bytes (not NUL-terminated; 0 for a kernel thread); NULL when unknown. From the
 * same cached read as procinfo__cmdline(); valid until the next call on p. */
const char *procinfo__argv(struct procinfo *p, unsigned pid, unsigned long long start_ns,
			  size_t *len);

/* /proc/PID/comm of the process (pid, start_ns), not cached: 0, or -ESRCH when the PID is
 * gone or belongs to another process. */
int procinfo__comm(struct procinfo *p, unsigned pid, unsigned long long start_ns, char *buf,
		   size_t len);
/* 1 if the process (pid, start_ns) still exists (a zombie does), 0 if not. */
int procinfo__alive(struct procinfo *p, unsigned pid, unsigned long long start_ns);

/* The process exited (or exec'd: its cmdline and exe changed): drop its entry. Once
 * under a quarter of the entries ever used (above PROCINFO_COMPACT_MIN) are cached, they
 * move to a new pool and the pages of the old one go back to the kernel. */
void procinfo__forget(struct procinfo *p, unsigned pid, unsigned long long start_ns);
#define PROCINFO_COMPACT_MIN 1024
size_t procinfo__size(struct procinfo *p);
/* Entries of the pool ever handed out since it was made (its pages touched). */
size_t procinfo__top(struct procinfo *p);
void procinfo__free(struct procinfo *p);

/*
 * Pure: the raw bytes of /proc/PID/cmdline to one line. The NULs between arguments become
 * spaces, trailing NULs (also setproctitle's padding) are dropped; other bytes are kept as
 * they are (an output escapes them). Truncated to outlen - 1 bytes. Length written or
 * -EINVAL (no out buffer).
 */
int cmdline_from_raw(const char *raw, size_t n, char *out, size_t outlen);

/* Pure: the starttime field (22nd, clock ticks since boot) of a /proc/PID/stat line,
 * whatever its comm holds. 0 or -EINVAL. */
int stat_starttime(const char *buf, size_t n, unsigned long long *ticks);

#endif /* __PROCINFO_H */
