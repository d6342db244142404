/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The marker of a powercap tree that a host's agent exports for one of its guests
 * (--vm-export, docs/vms.md): a file beside the zones that says the tree is not the
 * hardware's, and how the host keeps it. The host writes it (output/vmexport.c), a guest's
 * agent reads it (energy/rapl.c) and then reports its energy as source "vm-export",
 * estimated if the host's was. Text, a "key value" line each, the first one
 * "wattprobe-vm-export 1", and "energy_uj ZONE UJ" for each zone; unknown keys are for
 * later versions and skipped. Pure: no I/O.
 */
#ifndef __VMMARKER_H
#define __VMMARKER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#define VMMARKER_FILE "wattprobe-vm-export"
#define VMMARKER_MAX 1024		/* bytes of a marker, at most */
#define VMMARKER_MAX_ZONES 4

struct vmmarker {
	char guest[256];		/* the guest's name, as a file name (lib/fsname.h) */
	char source[16];		/* how the host found it: "cgroup", "cmdline", "pid" */
	unsigned vcpus;			/* 0: unknown */
	char sensor[16];		/* the host's sensor: "rapl", "model" */
	bool estimated;			/* the host's energy is a model's */
	__u64 interval_ns;		/* the counters move once per host interval */
	__u64 seq;			/* host intervals written */
	__u64 updated_ns;		/* CLOCK_REALTIME of the last one */
	__u64 gaps;			/* host intervals whose energy was missing: the counters
					 * did not move for them */
	/* every zone's counter as of this interval, in one file: a reader of several zones'
	 * energy_uj files could see one zone moved and another not yet */
	struct vmmarker_counter {
		char zone[32];		/* its folder's name: "intel-rapl:0" */
		__u64 uj;
	} counters[VMMARKER_MAX_ZONES];
	int nr_counters;
};

/* The marker's text into buf. Its length, or -ENOSPC. */
int vmmarker__format(const struct vmmarker *m, char *buf, size_t len);
/* buf[0..n) into m. 0, or -EINVAL when it is no marker (first line) or a value is garbled. */
int vmmarker__parse(const char *buf, size_t n, struct vmmarker *m);
/* The counter of the zone whose folder is named zone: 0, or -ENOENT when the marker has none. */
int vmmarker__counter(const struct vmmarker *m, const char *zone, __u64 *uj);

#endif /* __VMMARKER_H */
