/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --pid-file: the agent's PID in a file, for `kill -HUP $(cat FILE)` (logrotate)
 * and service managers. Written at start, removed at exit, and written safely in a
 * folder others may write (/run, /tmp): the PID goes to a new temporary file beside
 * it, created with O_EXCL (which never follows a symlink), then renamed over FILE
 * (rename replaces a planted symlink, it never writes through it). At exit the file
 * is removed only if it still holds our PID (another agent may have taken it over).
 */
#ifndef __PIDFILE_H
#define __PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

struct pidfile {
	const char *path;	/* NULL: none */
	pid_t pid;		/* the PID written */
};

/* path NULL: nothing to do. 0, or -errno with "failed to write --pid-file ..." in err. */
int pidfile__write(struct pidfile *pf, const char *path, char *err, size_t errlen);
/* Remove the file if it still holds our PID; a failure is a warning on stderr. */
void pidfile__remove(struct pidfile *pf);
/* Pure: does text (a pid file's content) hold exactly pid and an optional newline? */
int pidfile__holds(const char *text, size_t len, pid_t pid);

#endif /* __PIDFILE_H */
