/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* `wattprobe run -- COMMAND`: the energy of one command and everything it starts. */
#ifndef __RUN_H
#define __RUN_H

#include <stdbool.h>
#include "run/pushgw.h"
#include "sample/sampler.h"

struct run_opts {
	char *const *argv;		/* COMMAND [ARGS...], NULL-terminated */
	bool json;			/* --json: the summary as one JSON object */
	const char *output;		/* -o FILE: the summary there; NULL: stderr */
	bool progress;			/* -i given: a progress line per interval on stderr */
	const char *push_url;		/* --push URL of a Pushgateway */
	const char *job;		/* --job; NULL: the command's name */
	const char *labels[PUSHGW_MAX_LABELS];	/* --label NAME=VALUE */
	int nr_labels;
	double carbon;			/* --carbon-intensity g CO2e per kWh; < 0: not given */
	const char *user;		/* --user: run COMMAND as this user */
	unsigned top;			/* consumers listed */
};

/* What `wattprobe run --help` says about the command, after its options. */
extern const char run__manual[];

/*
 * Load the BPF program, put COMMAND in a cgroup of its own, run it, forward
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT to it, and when it ends write the summary.
 * Returns the exit status: the command's (128 + N for signal N), 127/126 when
 * it cannot be run, 1 when wattprobe fails before it starts.
 */
int run__main(const struct run_opts *o, const struct sampler_opts *so);

#endif /* __RUN_H */
