/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the tree --vm-export keeps for one guest holds: its zones laid out as
 * /sys/class/powercap lays out RAPL's (a folder per zone, a subzone inside its package's
 * with a link to it at the top), and the text of each file. Pure: no I/O
 * (output/vmexport.c writes it).
 */
#ifndef __VMTREE_H
#define __VMTREE_H

#include <linux/types.h>
#include "energy/domain.h"

struct vmtree_zone {
	const char *path;	/* below the guest's folder */
	const char *link;	/* a link at the top to path, or NULL */
	const char *name;	/* its name file: what rapl_parse_zone_name reads */
	enum energy_domain domain;
};

#define VMTREE_NR_ZONES 3
/* package-0 (intel-rapl:0), dram (intel-rapl:0:0, inside it), psys (intel-rapl:1) */
extern const struct vmtree_zone vmtree_zones[VMTREE_NR_ZONES];

/* Files of a zone but energy_uj, each written once (and when the limit changes). */
#define VMTREE_MAX_FILES 7
struct vmtree_file {
	const char *name;
	char text[32];
};

/*
 * The zone's files into out: name, max_energy_range_uj, enabled and, with a limit (watts,
 * > 0), the long-term constraint a guest's agent takes its prior from:
 * constraint_0_{name,power_limit_uw,max_power_uw,time_window_us}. How many.
 */
int vmtree__files(const struct vmtree_zone *z, __u64 range_uj, double limit_w,
		  __u64 window_us, struct vmtree_file *out);

/* The text of an energy_uj file. */
void vmtree__energy(__u64 uj, char *buf, size_t len);

#endif /* __VMTREE_H */
