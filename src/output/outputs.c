// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The table of outputs: each is a command of the agent, and the commands, their
 * help and their --top defaults are made from it. A new output is a file of its
 * own that defines `const struct output_ops NAME_output`, and one line here.
 */
#include <string.h>
#include "output/output.h"

/* In the order of --help; the first is the default command. */
#define OUTPUTS(X)	\
	X(top)		\
	X(json)		\
	X(prometheus)	\
	/* a new one goes above this line */

#define DECLARE(name) extern const struct output_ops name##_output;
#define ENTRY(name) &name##_output,
OUTPUTS(DECLARE)

const struct output_ops *const output_table[] = { OUTPUTS(ENTRY) NULL };

const struct output_ops *output__find(const char *name)
{
	for (int i = 0; output_table[i]; i++)
		if (!strcmp(output_table[i]->name, name))
			return output_table[i];
	return NULL;
}
