/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The platform's remainder: what a platform meter (ACPI power_meter, RAPL
 * psys) measures beyond the packages, DRAM and GPUs: fans, disks, network,
 * voltage regulators, the power supply's losses. Pure: no I/O.
 *
 * Per interval: the remainder is the platform's energy minus the parts
 * measured in the same interval. Its idle baseline (learnt like a package's,
 * on the host's CPU utilisation) goes to idle; the rest to processes in
 * proportion to their CPU time on the whole host, or to idle when nothing
 * ran. So that processes + others + idle = the platform, interval by interval.
 *
 * When the parts add up to more than the platform (meters that average over
 * other windows, or a platform meter that does not see every rail), the
 * remainder is 0 and short_uj says by how much: that interval's platform is
 * reported, but its parts are what is split.
 */
#ifndef __PLATFORM_H
#define __PLATFORM_H

#include <linux/types.h>
#include <stdbool.h>

/*
 * Idle fraction of the remainder for its power curve's prior:
 * curve_prior__lines(PLATFORM_IDLE_FRACTION), straight lines idle at 25%, 50%
 * and 75% of the remainder's power at full load (no limit is known: scaled
 * to the data). Fans at their floor, disks spinning and the power supply's
 * fixed losses draw most of it whatever the CPUs do: 0.5 is our assumption,
 * not a published figure; the data bend the curve and move its idle as soon
 * as utilisation varies.
 */
#define PLATFORM_IDLE_FRACTION	0.5

struct platform_split {
	/* in */
	__u64 platform_uj;	/* the platform meter's energy this interval */
	__u64 parts_uj;		/* packages + DRAM + GPUs measured this interval */
	__u64 idle_base_uj;	/* the remainder's baseline energy; capped at the remainder */
	__u64 busy_ns;		/* the processes' CPU time this interval, all sockets */
	bool spread_idle;	/* the idle part goes to processes too (when some ran) */
	/* out */
	__u64 rest_uj;		/* platform - parts, or 0 */
	__u64 short_uj;		/* parts - platform when they are more, else 0 */
	__u64 idle_uj;		/* the remainder's idle part */
	__u64 procs_uj;		/* the rest, to processes by CPU time */
};

void platform__split(struct platform_split *p);

/* A process's share of p->procs_uj for ns of CPU time, cumulatively: see share_uj(). */
__u64 platform__share(const struct platform_split *p, __u64 before_ns, __u64 ns);

#endif /* __PLATFORM_H */
