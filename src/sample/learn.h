/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A power domain's idle baseline learnt interval by interval, for the files that
 * fill a sample: the sampler (each socket's package and DRAM, psys) and the
 * whole box (each GPU, a platform meter's remainder). Pure: no I/O.
 */
#ifndef __LEARN_H
#define __LEARN_H

#include <linux/types.h>
#include <stdbool.h>
#include "energy/baseline.h"
#include "sample/sample.h"

/*
 * Add an interval (the domain's energy uj over dt ns at utilisation util 0..1 of
 * what it serves) to its fit when its energy is known (have: gaps and stuck
 * counters never are) and so is that of the intervals on both sides of it
 * (baseline__offer: one interval later), and its utilisation is whole (whole:
 * see learn__time_whole; an interval that is not is no point, and no gap either:
 * its neighbours are), then take the baseline and its curve from the fit into sb.
 * prior says the domain's full-load power (its limit, named by limit_from) and
 * its kind (prior->shape: curve_prior__package(), ...__dram() or one of
 * curve_prior__lines()).
 */
void learn__baseline(struct baseline *fit, bool have, bool whole, __u64 uj, double util,
		     __u64 dt, const struct baseline_prior *prior, const char *limit_from,
		     struct sample_baseline *sb);
/*
 * Whether this interval's CPU time is whole, for the fits: not when records were
 * dropped in it (dropped > 0: the time of the processes whose records they were is
 * missing from it: a busy CPU seen 0.735 busy when others' flood of processes
 * filled the ring buffer), nor in the window intervals after it, in which the
 * exits of those processes are looked for in /proc and their time comes back late
 * (a CPU seen 1.00 busy where its energy said 0.64). Such an interval is a point
 * off the curve by as much; where the others have no spread (a CPU busy
 * throughout), two of them were the fit's slope, and made a 12 W idle 26.5 W.
 * *left counts the window down, 0 at first.
 */
bool learn__time_whole(__u32 *left, __u64 dropped, __u32 window);
/* w watts over ns nanoseconds, in microjoules (rounded; 0 for w <= 0). */
__u64 learn__uj_of(double w, __u64 ns);

#endif /* __LEARN_H */
