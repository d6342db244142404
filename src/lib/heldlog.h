/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Messages held back while a full-screen table owns the terminal (top), in a
 * file (a memfd) that stderr points to, and written out when the screen goes.
 * Bounded: a top left running for weeks with a warning each interval keeps the
 * first and the last HELDLOG_KEEP bytes; the middle is punched out of the file
 * (its memory freed) and replaced, when written out, by a line that says how
 * many lines were left out.
 */
#ifndef WATTPROBE_HELDLOG_H
#define WATTPROBE_HELDLOG_H

#include <sys/types.h>

#define HELDLOG_KEEP	(64 * 1024)

struct heldlog {
	off_t hole_from;	/* [hole_from, hole_to): punched out; 0, 0: nothing */
	off_t hole_to;
	unsigned long long lines_out;	/* lines (whole or cut) of the hole */
};

/* Punch out all but the first and last keep bytes of fd once it holds more
 * than 4 * keep. 0, or a negative errno (the file then just grows). */
int heldlog__trim(int fd, struct heldlog *h, off_t keep);

/* Write what fd holds to out: the head up to its last whole line, a line
 * naming what was left out, the tail from its first whole line. 0 or -errno. */
int heldlog__replay(int fd, const struct heldlog *h, int out);

#endif
