// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * wattprobe: how many watts each process draws. The command line
 * (cli/options.c) says which command runs: the agent with one of its outputs
 * (cli/agent.c), or run (run/run.c).
 */
#include "cli/options.h"

int main(int argc, char **argv)
{
	struct config c = {};
	int ret;

	ret = options__parse(argc, argv, &c);
	if (!ret)
		ret = c.cmd->main(&c);
	else
		ret = ret == 1 ? 0 : 2;
	options__free(&c);
	return ret;
}
