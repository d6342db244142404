// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Output of `wattprobe json`; see lib/outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/outfile.h"
#include "lib/util.h"

#define OUTFILE_MODE 0640	/* command lines may hold secrets */
#define OUTFILE_KEEP_BYTES (256 << 10)	/* kept between intervals; more goes back */

static int open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, OUTFILE_MODE);

	return fd < 0 ? -errno : fd;
}

int outfile__open(struct outfile *f, const char *path, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->fd = STDOUT_FILENO;
	f->path = path;
	if (!path)
		return 0;
	f->fd = open_append(path);
	if (f->fd < 0) {
		snprintf(err, errlen, "failed to open --output %s: %s%s", path, strerror(-f->fd),
			 f->fd == -EACCES ? " (choose a file the agent may write, or run it as "
					    "its owner)" : "");
		return f->fd;
	}
	return 0;
}

int outfile__reopen(struct outfile *f)
{
	int fd;

	if (!f->path)
		return 0;
	fd = open_append(f->path);
	if (fd < 0) {
		fprintf(stderr, "wattprobe: warning: failed to reopen --output %s: %s; still "
			"writing to the file opened before\n", f->path, strerror(-fd));
		return fd;
	}
	close(f->fd);
	f->fd = fd;
	return 0;
}

int outfile__line(struct outfile *f, const char *s, size_t len)
{
	if (f->len + len + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 65536;
		char *buf;

		while (cap < f->len + len + 1)
			cap *= 2;
		buf = realloc(f->buf, cap);
		if (!buf)
			return -ENOMEM;
		f->buf = buf;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, s, len);
	f->len += len;
	f->buf[f->len++] = '\n';
	return 0;
}

/* After *stop: a reader gets OUTFILE_STOP_MS more to take the rest, then we give up. */
#define OUTFILE_STOP_MS 1000

/* Stopping: true once the rest cannot be written by the deadline (a reader that does
 * not read); the deadline is set at the first call. */
static bool stop_waiting(struct outfile *f, unsigned long long *deadline_ms)
{
	struct pollfd pfd = { .fd = f->fd, .events = POLLOUT };
	unsigned long long now = now_ns(CLOCK_MONOTONIC) / 1000000;

	if (!*deadline_ms)
		*deadline_ms = now + OUTFILE_STOP_MS;
	if (now >= *deadline_ms)
		return true;
	return poll(&pfd, 1, (int)(*deadline_ms - now)) == 0;
}

int outfile__flush(struct outfile *f)
{
	unsigned long long deadline_ms = 0;
	size_t off = 0;

	while (off < f->len) {
		ssize_t n;

		if (f->stop && *f->stop && stop_waiting(f, &deadline_ms)) {
			f->len = 0;
			return -EINTR;
		}
		n = write(f->fd, f->buf + off, f->len - off);
		if (n < 0 && errno == EINTR)
			continue;	/* stopping, or not: said at the top */
		if (n < 0) {
			f->len = 0;
			return -errno;
		}
		off += n;
	}
	/* the lines of a flood of processes: their memory goes back */
	if (f->cap > OUTFILE_KEEP_BYTES && 4 * f->len < f->cap) {
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
	f->len = 0;
	return 0;
}

void outfile__close(struct outfile *f)
{
	if (f->path && f->fd >= 0)
		close(f->fd);
	free(f->buf);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}
