// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Output of `wattprobe json`; see lib/outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
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

/* Write the two pieces with writev() (one call when the reader takes it all); 0 or -errno. */
static int write_all(struct outfile *f, struct iovec *iov, int n)
{
	unsigned long long deadline_ms = 0;

	while (n && !iov[n - 1].iov_len)
		n--;
	while (n) {
		ssize_t done;

		if (f->stop && *f->stop && stop_waiting(f, &deadline_ms))
			return -EINTR;
		done = writev(f->fd, iov, n);
		if (done < 0 && errno == EINTR)
			continue;	/* stopping, or not: said at the top */
		if (done < 0)
			return -errno;
		for (; n && (size_t)done >= iov[0].iov_len; iov++, n--)
			done -= iov[0].iov_len;
		if (n) {
			iov[0].iov_base = (char *)iov[0].iov_base + done;
			iov[0].iov_len -= done;
		}
	}
	return 0;
}

/* What the buffer keeps after a write: the lines of a flood of processes go back. */
static void written(struct outfile *f)
{
	if (f->cap > OUTFILE_KEEP_BYTES && 4 * f->len < f->cap) {
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
	f->len = 0;
}

int outfile__flush(struct outfile *f)
{
	struct iovec iov[1] = { { f->buf, f->len } };
	int err = write_all(f, iov, 1);

	written(f);
	return err;
}

static int write_with(struct outfile *f, const char *s, size_t len, bool newline)
{
	struct iovec iov[3] = { { f->buf, f->len }, { (char *)s, len }, { "\n", newline } };
	int err = write_all(f, iov, 3);

	written(f);
	return err;
}

int outfile__write(struct outfile *f, const char *s, size_t len)
{
	return write_with(f, s, len, false);
}

int outfile__write_line(struct outfile *f, const char *s, size_t len)
{
	return write_with(f, s, len, true);
}

void outfile__close(struct outfile *f)
{
	if (f->path && f->fd >= 0)
		close(f->fd);
	free(f->buf);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}
