// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The files of a guest's exported tree; see output/vmtree.h. */
#include <stdio.h>
#include "output/vmtree.h"

const struct vmtree_zone vmtree_zones[VMTREE_NR_ZONES] = {
	{ "intel-rapl:0", NULL, "package-0", ENERGY_PACKAGE },
	{ "intel-rapl:0/intel-rapl:0:0", "intel-rapl:0:0", "dram", ENERGY_DRAM },
	{ "intel-rapl:1", NULL, "psys", ENERGY_PSYS },
};

static void put(struct vmtree_file *f, int *n, const char *name, const char *fmt,
		unsigned long long v)
{
	f[*n].name = name;
	snprintf(f[*n].text, sizeof(f[*n].text), fmt, v);
	(*n)++;
}

int vmtree__files(const struct vmtree_zone *z, __u64 range_uj, double limit_w,
		  __u64 window_us, struct vmtree_file *out)
{
	unsigned long long uw = limit_w > 0 ? (unsigned long long)(limit_w * 1e6 + 0.5) : 0;
	int n = 0;

	out[n].name = "name";
	snprintf(out[n].text, sizeof(out[n].text), "%s\n", z->name);
	n++;
	put(out, &n, "max_energy_range_uj", "%llu\n", range_uj);
	put(out, &n, "enabled", "%llu\n", 1);
	/* the kernel reads 1 W as 1000000: what rapl.c takes as a limit at all */
	if (uw >= 1000000) {
		out[n].name = "constraint_0_name";
		snprintf(out[n].text, sizeof(out[n].text), "long_term\n");
		n++;
		put(out, &n, "constraint_0_power_limit_uw", "%llu\n", uw);
		put(out, &n, "constraint_0_max_power_uw", "%llu\n", uw);
		put(out, &n, "constraint_0_time_window_us", "%llu\n", window_us);
	}
	return n;
}

void vmtree__energy(__u64 uj, char *buf, size_t len)
{
	snprintf(buf, len, "%llu\n", (unsigned long long)uj);
}
