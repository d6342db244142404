// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The agent's own resource use; see lib/selfstat.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "lib/selfstat.h"
#include "lib/util.h"

int selfstat_parse(const char *stat, long ticks, long page_size, double boot_s,
		   struct self_stats *out)
{
	unsigned long long utime, stime, start, vsize;
	long long rss;
	const char *p = strrchr(stat, ')');

	/* after the comm: state (3) ... utime (14) stime (15) ... starttime (22) vsize rss */
	if (!p || ticks <= 0 || page_size <= 0 ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
		   "%*d %*d %llu %llu %lld", &utime, &stime, &start, &vsize, &rss) != 5)
		return -EINVAL;
	out->have = true;
	out->cpu_seconds = (double)(utime + stime) / ticks;
	out->start_time_s = boot_s + (double)start / ticks;
	out->virtual_bytes = vsize;
	out->resident_bytes = rss > 0 ? (__u64)rss * page_size : 0;
	return 0;
}

static int count_fds(__u64 *n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return -errno;
	*n = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			(*n)++;
	closedir(d);
	if (*n)
		(*n)--;	/* the directory's own descriptor */
	return 0;
}

void selfstat__read(struct self_stats *out)
{
	static double boot_s;
	char buf[1024];
	struct rlimit rl;

	memset(out, 0, sizeof(*out));
	/* boot time since the epoch, as /proc/stat's btime but finer; taken once,
	 * so that the start time does not move with the clock's adjustments */
	if (!boot_s)
		boot_s = (now_ns(CLOCK_REALTIME) - now_ns(CLOCK_BOOTTIME)) / 1e9;
	if (read_small_file("/proc/self/stat", buf, sizeof(buf)) > 0)
		selfstat_parse(buf, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot_s, out);
	if (!count_fds(&out->open_fds) && !getrlimit(RLIMIT_NOFILE, &rl)) {
		out->have_fds = true;
		out->max_fds = rl.rlim_cur;
	}
}
