/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --vm-export DIR: for each guest of the host (sample.guests), a powercap tree in
 * DIR/<name>/ that the guest mounts (virtiofs, 9p) and its own agent reads with
 * --powercap-root as if it were RAPL (docs/vms.md). The counters are the guest's share of
 * the host's energy (sample/guests.h), advanced every interval, wrapping as RAPL's do.
 *
 * Not an output of its own: a side effect of the agent beside whatever output it runs
 * (top, json or prometheus), fed the same sample after it (cli/agent.c), so that one agent
 * and one BPF program serve both. Like an output it reads the sample and nothing else.
 *
 * Every file is written whole into a temporary file of the same folder and renamed over
 * the old one: a reader sees the old value or the new one, never a part. Every path is
 * opened below a descriptor of DIR, one component at a time and never through a link
 * (O_NOFOLLOW): a guest's name is escaped into one file name (lib/fsname.h), and nothing a
 * guest or anyone else puts in DIR can make the agent write outside it.
 */
#ifndef __VMEXPORT_H
#define __VMEXPORT_H

#include <linux/types.h>
#include <stddef.h>
#include "sample/sample.h"

#define VMEXPORT_DEFAULT_RANGE_UJ 262143328850ULL	/* a real package's max_energy_range_uj */
#define VMEXPORT_DEFAULT_KEEP_S 600

struct vmexport_opts {
	const char *dir;
	__u64 range_uj;			/* max_energy_range_uj of the counters */
	double keep_s;			/* a guest gone keeps its folder this long */
	__u64 interval_ns;		/* the agent's interval: how often the counters move */
};

struct vmexport;

/*
 * Open DIR (made if missing: its parent must exist) and check that a file can be written
 * in it, as whoever the agent is by then (call it after the privilege drop). Folders of an
 * earlier run are taken over: a guest's counters go on from their files; those of guests
 * that do not come back go after keep_s. 0, or -errno with err naming the remedy.
 */
int vmexport__open(struct vmexport **x, const struct vmexport_opts *o, char *err, size_t errlen);
/*
 * One sample: each guest's counters move by its share of the interval and are written, and
 * the marker says when (energy/vmmarker.h); an interval whose energy is missing moves
 * nothing and is counted in the marker's gaps. Guests gone for keep_s lose their folder.
 * Never fails the agent: a folder that cannot be written is warned about once per spell.
 */
void vmexport__write(struct vmexport *x, const struct sample *s);
void vmexport__close(struct vmexport *x);

#endif /* __VMEXPORT_H */
