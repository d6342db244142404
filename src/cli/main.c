// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * wattprobe: how many watts each process draws. The command line
 * (cli/options.c) says which command runs: the agent with one of its outputs
 * (cli/agent.c), or run (run/run.c).
 */
#include <malloc.h>
#include "cli/options.h"

int main(int argc, char **argv)
{
	struct config c = {};
	int ret;

	/*
	 * Arrays of 128 KiB and more (what a flood of processes grows) are mappings of their
	 * own, given back to the kernel when freed. Left to glibc, the threshold rises to the
	 * largest array ever freed (up to 32 MiB) and they come from the heap after that,
	 * where a free keeps their pages.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	ret = options__parse(argc, argv, &c);
	if (!ret)
		ret = c.cmd->main(&c);
	else
		ret = ret == 1 ? 0 : 2;
	options__free(&c);
	return ret;
}
