/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The command line: the commands (the agent's outputs, from the table of
 * src/output/outputs.c, and `run`), the options (one table in options.c), and
 * the usage text made from both. A new option is one entry of the table (and
 * its line in the man page and docs, which tests/sh/cli.sh checks).
 */
#ifndef __OPTIONS_H
#define __OPTIONS_H

#include <stdbool.h>
#include "output/output.h"
#include "output/vmexport.h"
#include "run/run.h"
#include "sample/sampler.h"
#include "sample/view.h"

struct config;

struct command {
	const char *name;
	const char *synopsis;		/* what follows "wattprobe NAME" */
	const char *summary;		/* for COMMANDS: lines joined by '\n' */
	unsigned default_top;		/* --top when not given; 0: all */
	int (*main)(struct config *c);	/* the exit status */
	const struct output_ops *out;	/* an output of the agent; NULL: run */
	bool takes_command;		/* what follows the options (or --) is a command line */
	const char *manual;		/* DESCRIPTION of `wattprobe NAME --help`; NULL: the
					 * general one */
};

/* What the command line says, for the command to run. */
struct config {
	const struct command *cmd;
	bool cmd_given;			/* named on the command line (for --help) */
	bool list_sensors;		/* --sensor list: say what is found, and exit */
	struct sampler_opts sopts;
	struct output_opts oopts;
	struct view_opts vopts;
	bool top_set;
	long long count;		/* intervals, < 0: until a signal */
	const char *listen;
	const char *web_config;
	const char *user;
	bool interval_set;
	bool carbon_set;
	double carbon;			/* g CO2e per kWh, < 0: not given */
	struct run_opts run;		/* wattprobe run */
	const char *output;		/* json --output */
	const char *pid_file;		/* agents: --pid-file */
	struct vmexport_opts vmx;	/* --vm-export: dir NULL when not given */
	bool vmx_tuned;			/* --vm-export-range or --vm-export-keep given */
	char *no_metric;		/* --no-metric, each as "(REGEX)", joined by '|' */
	regex_t no_metric_re;		/* compiled once parsed: oopts.no_metric */
	bool have_no_metric;
};

/* The commands' mains: the agent (cli/agent.c) and run. */
int agent__main(struct config *c);

/* Parse argv into c: 0 to go on, 1 to exit 0 now (--help, --version), 2 after a
 * usage error (said on stderr). */
int options__parse(int argc, char **argv, struct config *c);
/* What options__parse() holds (a compiled --comm, --no-metric). */
void options__free(struct config *c);

#endif /* __OPTIONS_H */
