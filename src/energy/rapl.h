/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * RAPL energy counters through the powercap sysfs tree (/sys/class/powercap).
 *
 * Zones are the kernel's intel-rapl:N (package or psys) and intel-rapl:N:M
 * (core, uncore, dram of package N). AMD CPUs use the same driver and names
 * (package-N, core) without dram or uncore. intel-rapl-mmio:* zones repeat
 * the package zones through MMIO and are skipped.
 */
#ifndef __RAPL_H
#define __RAPL_H

#include <stddef.h>
#include <linux/types.h>	/* __u64 */
#include "energy/sensor.h"		/* enum energy_domain */
#include "energy/vmmarker.h"

#define RAPL_MAX_ZONES	64
#define RAPL_MAX_CONSTRAINTS	8	/* constraint_0_* .. constraint_7_* are read */

/*
 * Ceiling of a plausible power per zone when judging a step, for zones that
 * publish no power limit: rapl__sample() accepts a step (forwards, or
 * backwards through a wrap) only if the energy it implies is at most this
 * many watts over the elapsed time (2 kW = 2 uJ per ns). No CPU package or
 * DRAM domain sold today has a limit near it (the largest TDPs are about
 * 500 W).
 */
#define RAPL_MAX_PLAUSIBLE_WATTS	2000
/*
 * A zone that publishes limits (constraint_N_max_power_uw,
 * constraint_N_power_limit_uw) is held to this many times the largest of
 * them: above PL1 a package may draw PL2 for seconds and PL4 for
 * milliseconds, and an interval's step includes a few milliseconds of
 * timing error.
 */
#define RAPL_PLAUSIBLE_LIMIT_FACTOR	4
/*
 * Real RAPL counters move about every millisecond. One that has not moved
 * for this long (over one interval or several short ones) is stuck.
 */
#define RAPL_STUCK_NS	50000000ULL

struct rapl_zone {
	char path[512];			/* zone directory */
	char name[64];			/* contents of its "name" file, without the newline */
	enum energy_domain domain;
	int socket;			/* package id; -1 for psys */
	int die;			/* die of its package ("package-N-die-D"); 0 if none */
	int fd;				/* energy_uj, opened once, re-read with pread; -1 when lost */
	__u64 max_range_uj;		/* max_energy_range_uj; 0 if unknown (no wrap detection) */
	__u64 last_uj;
	int have_last;
	__u64 unchanged_ns;		/* how long the counter has not moved */
	double limit_w;			/* long-term limit (about the TDP); 0 unknown */
	char limit_from[40];		/* the constraint file limit_w comes from */
	double max_w;			/* plausible ceiling of a step, in watts */
	int reported;			/* last status warned about (0: none) */
	/* an exported tree's (vm_export): its file is replaced, not rewritten, so it is
	 * opened afresh at each read and the counter goes on; it moves once per lag_ns */
	bool replaced;
	const char *entry;		/* its folder's name: the marker's counters are by it */
	__u64 lag_ns;			/* a step may hold this much more than elapsed */
	__u64 stuck_ns;			/* not moving for this long is stuck */
};

struct rapl {
	struct rapl_zone zones[RAPL_MAX_ZONES];
	int nr;
	int nr_unnamed;			/* zones skipped: no readable name (warned) */
	int nr_duplicates;		/* zones skipped: a name already counted (warned) */
	/* A host's export for its guest (--vm-export on the host; energy/vmmarker.h): the
	 * counters are the guest's share, moved once per host interval, and the marker says
	 * when the host's energy was missing. */
	bool vm_export;
	char marker_path[512];
	struct vmmarker marker;		/* as last read */
	bool host_gap;			/* the last sample: the host missed energy since the one
					 * before */
};

enum rapl_status {
	RAPL_OK = 0,
	RAPL_FIRST = 1,		/* first reading: no delta yet */
	RAPL_WRAPPED = 2,	/* ok, counter wrapped once */
	RAPL_RESET = -1,	/* went backwards without a plausible wrap */
	RAPL_UNREADABLE = -2,
	RAPL_GARBAGE = -3,
	RAPL_JUMP = -4,		/* forwards by more than the zone can draw */
	RAPL_STUCK = -5,	/* has not moved for RAPL_STUCK_NS */
	RAPL_HOST_GAP = -6,	/* an exported tree: the host's energy was missing */
};

struct rapl_reading {
	int status;		/* enum rapl_status */
	__u64 delta_uj;		/* valid only for RAPL_OK / RAPL_WRAPPED, 0 otherwise */
};

/*
 * Discover and open zones under root (e.g. "/sys/class/powercap"), sorted by
 * socket, then domain; psys (socket -1) comes last. A package of several dies
 * ("package-1-die-0", "package-1-die-1") gives one ENERGY_PACKAGE zone per die,
 * all with the same socket: sum them. A name that two zones give (two
 * "package-0", or "package-0" and "package-0-die-0"; subzones per die) counts
 * once, for the zone with the lowest number, with a warning on stderr; so does
 * a zone whose name cannot be read.
 * 0 on success; -ENOENT when there is no RAPL zone at all; -ENODATA when
 * there are zones but none has a readable name; -EACCES when zones exist but
 * energy_uj cannot be read (root-only since Linux 5.10, CVE-2020-8694); other
 * negative errno otherwise. err always gets a one-line message on failure. No
 * reading is taken: the first rapl__sample() gives RAPL_FIRST for every zone.
 * A tree with a marker file (VMMARKER_FILE) is a host's export for its guest: vm_export is
 * set, and its zones are read as its files are written (replaced at each host interval).
 */
int rapl__open(struct rapl *r, const char *root, char *err, size_t errlen);

/*
 * Read every zone once (pread at offset 0 on the open fd); out[i] for zones[i].
 * elapsed_ns is the time since the previous call: a step, forwards or
 * backwards through a wrap, must imply at most the zone's max_w over
 * elapsed_ns + RAPL_STUCK_NS (a counter read may lag its last update by that
 * much), else it is RAPL_JUMP or RAPL_RESET and the new value is the
 * next baseline. A counter that has not moved for RAPL_STUCK_NS is
 * RAPL_STUCK (a shorter still spell is RAPL_OK with a zero step).
 * A zone whose read fails (or whose file was removed) is RAPL_UNREADABLE and
 * is reopened on the next call; after RAPL_UNREADABLE or RAPL_GARBAGE the next
 * good value is a fresh baseline (RAPL_FIRST). Returns the number of zones.
 * An exported tree's marker is read first: it holds every zone's counter (one snapshot,
 * where the zones' files may be caught between two updates), and when the host missed
 * energy since the last call, every zone is RAPL_HOST_GAP (its value still the next
 * baseline); its counters may move by a host interval more than elapsed_ns, and are stuck
 * only after not moving for more than three.
 */
int rapl__sample(struct rapl *r, __u64 elapsed_ns, struct rapl_reading *out);

/* Close every zone. Safe to call twice. */
void rapl__close(struct rapl *r);

/* --- pure helpers, no I/O ------------------------------------------------ */

/*
 * Map a zone's name (without newline) to its domain: "package-N" and
 * "package-N-die-D" give ENERGY_PACKAGE and socket N; "core", "uncore", "dram",
 * "psys" give socket -1 (a subzone takes its parent's socket). -EINVAL
 * otherwise. die (may be NULL) gets D, or 0 for "package-N".
 */
int rapl_parse_zone_name(const char *name, enum energy_domain *dom, int *socket, int *die);

/*
 * Energy step from prev to cur of a counter that counts modulo max_range + 1
 * (it takes every value 0..max_range, as max_energy_range_uj is documented,
 * so the step from max_range to 0 is 1 uJ).
 *   cur >= prev:  *delta = cur - prev, RAPL_OK, unless that is more than
 *                 max_plausible_uj: RAPL_JUMP.
 *   cur < prev:   a wrap iff max_range > 0 and (max_range - prev) + cur + 1 is
 *                 at most max_plausible_uj: *delta is that, RAPL_WRAPPED;
 *                 otherwise RAPL_RESET.
 *   prev or cur above a non-zero max_range: RAPL_GARBAGE.
 * *delta is 0 unless the result is RAPL_OK or RAPL_WRAPPED.
 */
int rapl_energy_delta(__u64 prev, __u64 cur, __u64 max_range, __u64 max_plausible_uj,
		      __u64 *delta);

/*
 * The counter after adding uj: modulo max_range + 1, as RAPL's counters wrap (the inverse of
 * rapl_energy_delta: a step of uj from prev reads back as uj). max_range 0: no wrap.
 */
__u64 rapl_counter_add(__u64 prev, __u64 uj, __u64 max_range);

/* Why a status is a gap: "counter reset", "implausible jump", ...; NULL for good ones. */
const char *rapl_status_name(int status);

#endif /* __RAPL_H */
