/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The table of `wattprobe top`, laid out as lines that fit a width and a
 * height (top__render, pure), and the terminal that shows it with keys
 * (top_ui, curses). Plain output (not a terminal) is top__print in output.h.
 */
#ifndef __TOP_H
#define __TOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include "sample/sample.h"
#include "sample/view.h"

enum top_sort { TOP_SORT_WATTS, TOP_SORT_CPU, TOP_SORT_ENERGY, TOP_SORT_PID, TOP_SORT_NAME,
		TOP_SORT_NR };

/* How the table looks: what the keys change. */
struct top_opts {
	enum group_by by;	/* of the view: the rows' kind */
	enum top_sort sort;
	bool reverse;
	bool names;		/* COMMAND: the name (comm), not the command line */
	bool host_cpu;		/* CPU%: share of all online CPUs, not of one CPU */
	bool paused;		/* shown in the title */
	bool terminal;		/* local time in the title; else a UTC timestamp */
	unsigned charset;	/* termsafe flags: TERMSAFE_UTF8 or 0 */
	int width, height;	/* 0: no limit (plain output: all rows, whole lines) */
};

enum top_attr { TOP_TEXT, TOP_TITLE, TOP_COLUMNS };

struct top_line {
	size_t off;		/* in top_frame.buf, NUL-terminated */
	enum top_attr attr;
};

/* The lines of one screen, reused from frame to frame. */
struct top_frame {
	char *buf;
	size_t len, cap;
	struct top_line *lines;
	int nr, cap_lines;
	int head;		/* lines of the header (title, host, sockets), which come first */
	const struct view_row **order;	/* rows in display order */
	__u32 cap_order;
	struct view_row *rows;		/* a view's rows made of its processes (view__row) */
	__u32 cap_rows;
	int err;		/* -ENOMEM, sticky until the next render */
};

/*
 * Lay out a sample and its view: the title (time, sensor, interval), the host
 * line, one line per socket, the column names, the rows sorted by o->sort, the
 * "others" line and the idle line. With a height, the title, host, socket,
 * column and idle lines stay and the rows take what is left; rows that do not
 * fit are added into "others". With a width, header fields that do not fit
 * move to the next line (never cut in the middle) and the command is cut to
 * the width. Every string from a process or cgroup goes through
 * termsafe_escape(). 0 or -ENOMEM.
 */
int top__render(struct top_frame *f, const struct sample *s, const struct view *v,
		const struct top_opts *o);
static inline const char *top_frame__line(const struct top_frame *f, int i)
{
	return f->buf + f->lines[i].off;
}
void top_frame__free(struct top_frame *f);

const char *top_sort_name(enum top_sort sort);

/* --- the terminal: curses, keys, resizes (src/output/top_ui.c) --- */

struct top_ui;

enum top_ui_event {
	TOP_UI_TIMEOUT,		/* the deadline came: take the next sample */
	TOP_UI_QUIT,		/* q */
	TOP_UI_REGROUP,		/* the grouping changed: sample now, with top_ui__group_by() */
	TOP_UI_STOP,		/* *stop was set (a signal), or the terminal hung up */
};

/* Take over the terminal on stdout (keys from stdin when it is a terminal), showing
 * levels[0]; g goes through levels (nr > 1), or through the usual ones. NULL and a
 * reason in err when curses cannot (unknown TERM, ...). */
struct top_ui *top_ui__open(const enum group_by *levels, unsigned nr, char *err, size_t errlen);
/* Show a sample's first view (unless paused); a copy is kept to redraw it between
 * samples. 0 or -ENOMEM. */
int top_ui__show(struct top_ui *u, const struct sample *s, const struct views *vs);
/* Handle keys and resizes until the CLOCK_MONOTONIC deadline (ns) or an event. */
enum top_ui_event top_ui__wait(struct top_ui *u, unsigned long long deadline,
			       const volatile sig_atomic_t *stop);
enum group_by top_ui__group_by(const struct top_ui *u);
/* Give the terminal back; with leave (a run of --count intervals that came to
 * its end), the last screen stays on it, as plain lines. NULL is fine. */
void top_ui__close(struct top_ui *u, bool leave);

#endif /* __TOP_H */
