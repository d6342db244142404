/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The clock of intervals, one for the agent and for `wattprobe run`: samples are
 * taken at fixed deadlines on CLOCK_MONOTONIC, one period apart, so that
 * intervals do not drift with the time a sample takes. Pure: no I/O.
 */
#ifndef __DEADLINE_H
#define __DEADLINE_H

/*
 * The deadline after the one at `at`, when its sample ended at `now`: a period
 * on; or, for a sample that ended more than a period late (a stopped process, a
 * machine that was suspended), a period from now, so that the next samples
 * skip ahead instead of bunching up to catch up.
 */
static inline unsigned long long deadline_next(unsigned long long at, unsigned long long period,
					       unsigned long long now)
{
	return (now > at + period ? now : at) + period;
}

#endif /* __DEADLINE_H */
