// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The names of energy domains and idle sources; see energy/domain.h. */
#include "energy/domain.h"

static const char *const domain_names[ENERGY_NR_DOMAINS] = {
	[ENERGY_PACKAGE] = "package",
	[ENERGY_CORE] = "core",
	[ENERGY_UNCORE] = "uncore",
	[ENERGY_DRAM] = "dram",
	[ENERGY_PSYS] = "psys",
};

const char *energy_domain_name(enum energy_domain d)
{
	if ((unsigned int)d >= ENERGY_NR_DOMAINS)
		return "unknown";
	return domain_names[d];
}

const char *idle_source_name(enum idle_source s)
{
	switch (s) {
	case IDLE_FLAG:
		return "flag";
	case IDLE_MODEL:
		return "model";
	case IDLE_PRIOR:
		return "prior";
	case IDLE_BLEND:
		return "blend";
	case IDLE_FIT:
		return "fit";
	default:
		return "none";
	}
}
