/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What an output shows of a sample: processes or groups of them (--group-by),
 * filtered (--pid, --comm, --cgroup) and cut to --top, with everything left
 * out summed into "others", so that rows + others + idle still add up to the
 * host's energy. Shared by top, json and prometheus. --group-by may name
 * several levels: each is a view of its own over the same sample (views).
 */
#ifndef __VIEW_H
#define __VIEW_H

#include <regex.h>
#include <stdbool.h>
#include "sample/rows.h"
#include "sample/sample.h"

#define VIEW_MAX_PIDS 64

struct view_opts {
	enum group_by by;		/* view__build(): the view's level */
	enum group_by levels[GROUP_NR];	/* views__build(): a view per level, in this order */
	unsigned nr_levels;		/* 0: one view, of by */
	unsigned top;			/* rows to show, 0: all */
	__u32 pids[VIEW_MAX_PIDS];	/* --pid, repeatable */
	int nr_pids;
	regex_t comm_re;		/* --comm */
	bool have_comm_re;
	const char *cgroup_prefix;	/* --cgroup */
	/*
	 * Steady rows, for counters that add up (prometheus, see series.h): the
	 * top rows by energy over about the last minute rather than this
	 * interval's, each with counters of its own that start at 0, and rows
	 * that left kept for a while. Otherwise rows are this interval's top.
	 */
	bool steady;
	double rate_window_s;		/* steady: the longest window of rate() on the counters */
};

/* The views of one sample, one per level, in the order of view_opts.levels. */
struct views {
	struct view *v;
	unsigned nr;
};

/* Is by one of the levels o builds? */
static inline bool view_opts__has(const struct view_opts *o, enum group_by by)
{
	for (unsigned i = 0; i < o->nr_levels; i++)
		if (o->levels[i] == by)
			return true;
	return !o->nr_levels && o->by == by;
}

/* The views of one view alone, for its callers (tests, one-level outputs). */
#define VIEWS_OF(view) (&(struct views){ .v = (view), .nr = 1 })

int view__init(struct view *v);
void view__free(struct view *v);
/* Build the rows of the current sample, grouped by o->by. 0 or -ENOMEM. */
int view__build(struct view *v, const struct sample *s, const struct view_opts *o);

int views__init(struct views *vs);
void views__free(struct views *vs);
/*
 * Build a view of the current sample for each of o->levels (one of o->by
 * without levels). A view keeps what it remembers across samples (steady
 * rows) while its level stays the same. 0 or -ENOMEM.
 */
int views__build(struct views *vs, const struct sample *s, const struct view_opts *o);

const char *group_by_name(enum group_by by);
int group_by_parse(const char *name, enum group_by *by);
/*
 * A comma-separated list of levels ("pid,container,pod") into levels[] (room
 * for GROUP_NR), in its order. 0; -EINVAL and the bad name's first byte and
 * length in *bad and *len for an unknown or empty name; -EEXIST for a level
 * named twice (*bad, *len: the second).
 */
int group_by_parse_list(const char *list, enum group_by *levels, unsigned *nr,
			const char **bad, size_t *len);
/* The levels' names and what each groups by, for --help: lines joined by '\n'. */
void group_by_help(char *buf, size_t len);
/* The levels' names joined by sep ("pid, comm, ... or namespace" with last " or "). */
void group_by_names(char *buf, size_t len, const char *sep, const char *last);

#endif /* __VIEW_H */
