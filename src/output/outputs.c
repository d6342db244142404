// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The table of outputs: each is a command of the agent, and the commands, their
 * help and their --top defaults are made from it. A new output is a file of its
 * own and one line here.
 */
#include <string.h>
#include "output/output.h"

extern const struct output_ops top_output, json_output, prometheus_output;

const struct output_ops *const output_table[] = {
	&top_output,		/* the default command */
	&json_output,
	&prometheus_output,
	NULL,
};

const struct output_ops *output__find(const char *name)
{
	for (int i = 0; output_table[i]; i++)
		if (!strcmp(output_table[i]->name, name))
			return output_table[i];
	return NULL;
}
