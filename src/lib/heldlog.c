// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Messages held while top's screen is up, bounded (heldlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/heldlog.h"

#define CHUNK	4096

/* Newlines in [from, to) of fd. */
static unsigned long long count_lines(int fd, off_t from, off_t to)
{
	unsigned long long n = 0;
	char buf[CHUNK];
	ssize_t got;

	while (from < to) {
		got = pread(fd, buf, to - from < CHUNK ? to - from : CHUNK, from);
		if (got <= 0)
			break;
		for (ssize_t i = 0; i < got; i++)
			n += buf[i] == '\n';
		from += got;
	}
	return n;
}

int heldlog__trim(int fd, struct heldlog *h, off_t keep)
{
	long page = sysconf(_SC_PAGESIZE);
	off_t from, to;
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return fd < 0 ? -EBADF : -errno;
	from = h->hole_to ? h->hole_to : (keep + page - 1) / page * page;
	if (st.st_size - from < 3 * keep)
		return 0;
	to = (st.st_size - keep) / page * page;
	/* counted before the bytes go: a hole reads as zeros */
	h->lines_out += count_lines(fd, from, to);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from, to - from))
		return -errno;
	if (!h->hole_to)
		h->hole_from = from;
	h->hole_to = to;
	return 0;
}

static int copy(int fd, off_t from, off_t to, int out)
{
	char buf[CHUNK];
	ssize_t got;

	while (from < to) {
		got = pread(fd, buf, to - from < CHUNK ? to - from : CHUNK, from);
		if (got < 0)
			return -errno;
		if (!got)
			break;
		if (write(out, buf, got) != got)
			return -EIO;
		from += got;
	}
	return 0;
}

/* The offset just past the last newline in [from, to), or from. */
static off_t last_line_end(int fd, off_t from, off_t to)
{
	char buf[CHUNK];
	off_t at = to > from + CHUNK ? to - CHUNK : from;
	ssize_t got = pread(fd, buf, to - at, at);

	for (ssize_t i = got - 1; i >= 0; i--)
		if (buf[i] == '\n')
			return at + i + 1;
	return from;
}

/* The offset just past the first newline in [from, to), or to. */
static off_t first_line_start(int fd, off_t from, off_t to)
{
	char buf[CHUNK];
	ssize_t got = pread(fd, buf, to - from < CHUNK ? to - from : CHUNK, from);

	for (ssize_t i = 0; i < got; i++)
		if (buf[i] == '\n')
			return from + i + 1;
	return to;
}

int heldlog__replay(int fd, const struct heldlog *h, int out)
{
	off_t head, tail;
	struct stat st;
	char note[128];
	int len, err;

	if (fstat(fd, &st))
		return -errno;
	if (!h->hole_to)
		return copy(fd, 0, st.st_size, out);
	head = last_line_end(fd, 0, h->hole_from);
	tail = first_line_start(fd, h->hole_to, st.st_size);
	err = copy(fd, 0, head, out);
	if (err)
		return err;
	len = snprintf(note, sizeof(note), "wattprobe: ... %llu more lines of messages left out ...\n",
		       h->lines_out + count_lines(fd, head, h->hole_from) +
		       count_lines(fd, h->hole_to, tail));
	if (write(out, note, len) != len)
		return -EIO;
	return copy(fd, tail, st.st_size, out);
}
