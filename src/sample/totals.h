/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What each group has used since it first had a row, for views that are not steady
 * (top's JOULES column when grouped: a process has its own totals, a group has none
 * but these). Keyed by the group's key, for one grouping at a time: another grouping
 * starts them again. At most TOTALS_MAX groups are remembered; when a new one finds the
 * table full, the groups without a row in this view are forgotten (they start again
 * from 0 if they come back). Pure: no I/O.
 */
#ifndef __TOTALS_H
#define __TOTALS_H

#include <linux/types.h>
#include "sample/rows.h"

#define TOTALS_MAX 16384

struct totals;

struct totals *totals__new(void);
void totals__free(struct totals *t);
/*
 * Add the interval's usage of each row of v (v->rows[0..v->nr), grouped by by) to its
 * group's totals, and set each row's total_ns and total_uj to them. A grouping other
 * than the last one's starts every total again. 0 or -ENOMEM (the rows' totals are
 * then this interval's only).
 */
int totals__add(struct totals *t, struct view *v, enum group_by by);

#endif /* __TOTALS_H */
