/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where `wattprobe json` writes: stdout, or a file opened for appending
 * (--output) and opened again on request (SIGHUP, after logrotate moved it).
 * The lines of one interval are buffered and written with one write(), so a
 * reader of the file never sees a record in pieces from two writers; but a line
 * of more than a quarter megabyte (thousands of processes in one interval) is
 * written in pieces as it is made (json_out.c), rather than held whole.
 */
#ifndef __OUTFILE_H
#define __OUTFILE_H

#include <signal.h>
#include <stddef.h>

struct outfile {
	int fd;
	const char *path;	/* NULL: stdout */
	char *buf;
	size_t len, cap;
	/* set by a signal handler (the handler without SA_RESTART, so that a blocked
	 * write returns): the reader then gets a second more, and what it has not
	 * taken is dropped; NULL: wait for the reader for ever */
	const volatile sig_atomic_t *stop;
};

/* path NULL: stdout. 0, or -errno with "failed to open ..." in err. */
int outfile__open(struct outfile *f, const char *path, char *err, size_t errlen);
/* Open the path again (a file moved away is created anew); on failure keep
 * writing to the old one and say so on stderr. 0 or -errno. */
int outfile__reopen(struct outfile *f);
/* Add a line (a newline is appended); -ENOMEM. */
int outfile__line(struct outfile *f, const char *s, size_t len);
/* Write what was added. 0, or -errno (-EPIPE: the reader went away; -EINTR: *stop
 * was set and the reader took nothing for a second: the rest is dropped). */
int outfile__flush(struct outfile *f);
/* Write what was added and then the line s and a newline in one writev(), from s: the
 * line is not copied. 0, or -errno as outfile__flush(). */
int outfile__write_line(struct outfile *f, const char *s, size_t len);
/* The same without the newline: a piece of a line too long to hold whole (the line of a
 * flood of processes is written in pieces, not in one call). */
int outfile__write(struct outfile *f, const char *s, size_t len);
void outfile__close(struct outfile *f);

#endif /* __OUTFILE_H */
