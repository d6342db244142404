/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The names of what is measured, shared by the sensors, the baselines and the
 * outputs: the energy domains of a socket and the platform, and where an idle
 * baseline comes from. Pure: no I/O.
 */
#ifndef __DOMAIN_H
#define __DOMAIN_H

enum energy_domain {
	ENERGY_PACKAGE,
	ENERGY_CORE,
	ENERGY_UNCORE,
	ENERGY_DRAM,
	ENERGY_PSYS,		/* the platform; the host's, never a socket's */
	ENERGY_NR_DOMAINS,
};

/* "package", "core", "uncore", "dram", "psys"; "unknown" out of range. */
const char *energy_domain_name(enum energy_domain d);

/* Where a baseline comes from; idle_source_name() gives the name outputs show. */
enum idle_source {
	IDLE_NONE,		/* nothing known yet */
	IDLE_FLAG,		/* --idle-watts */
	IDLE_MODEL,		/* the power model's own idle */
	IDLE_PRIOR,		/* the prior alone (prior share >= BASELINE_PRIOR_SHARE) */
	IDLE_BLEND,		/* prior and fit */
	IDLE_FIT,		/* the fit alone (prior share <= BASELINE_FIT_SHARE) */
};

/* "none", "flag", "model", "prior", "blend", "fit" */
const char *idle_source_name(enum idle_source s);

#endif /* __DOMAIN_H */
