/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Which processes (or groups) get Prometheus series, and counters that add up
 * in Prometheus whatever the churn. Pure: no I/O.
 *
 * Choice: a row's score is its energy over about the last minute
 * (exponentially weighted, SERIES_TAU_S; CPU time where energy is missing).
 * The --top N rows with the best scores are the members. A member keeps its
 * place until it exits or an outsider scores SERIES_HYSTERESIS times more, so
 * one busy interval does not make a series and a quiet one does not end it.
 *
 * Counters: each of a member's counters counts only while it is live, and
 * others counts every process's energy and time that no live counter does.
 * So at every interval live counters + others + idle = host, to the
 * microjoule, and no counter ever goes down. With T = --rate-window (at
 * least the scrape interval):
 *   - a new member is pending for T: its counters are shown at 0 and its
 *     energy still goes to others, so that scrapes see the 0 before they
 *     move (increase() ignores what a series holds at its first sample);
 *     the members of the agent's first page count at once, as the host's
 *     counters do;
 *   - a member that leaves the top or exits is held for 2T: its counters
 *     are shown frozen, so that scrapes see their last value, then the
 *     series goes; if it comes back meanwhile, it goes on counting.
 * Within any window of T or less, every series that moves was on the page
 * before the window and stays after it, so Prometheus extrapolates all of
 * them alike and sum(increase()) of the parts is increase() of the host;
 * over longer windows, only series that start inside it are off, by their
 * share of the extrapolation.
 * A row is the same series while its identity stays: pid, start time and
 * comm when grouping by pid (an exec to a new name is a new series), the
 * group key otherwise.
 */
#ifndef __SERIES_H
#define __SERIES_H

#include "sample/rows.h"
#include "sample/sample.h"

#define SERIES_TAU_S		60.0	/* time constant of the scores */
#define SERIES_HYSTERESIS	2.0	/* an outsider takes a member's place above this ratio */
#define SERIES_MAX		16384	/* identities remembered; beyond, new ones go to others */

struct series_set;

struct series_set *series__new(void);
void series__free(struct series_set *s);
/*
 * Called by view__build() with every row of the interval (not cut to --top)
 * in v->rows and the filtered-out processes in v->others: replaces v->rows
 * with the members (ROW_LIVE or ROW_PENDING, by this interval's energy) and
 * then the held rows (ROW_HELD), folds the rest into v->others, and sets the
 * counters (total_ns, total_uj) of every row and of others: by is the
 * grouping, top the number of members, rate_window_s T above. 0 or -ENOMEM.
 */
int series__select(struct series_set *s, struct view *v, const struct sample *sm,
		   enum group_by by, unsigned top, double rate_window_s);

#endif /* __SERIES_H */
