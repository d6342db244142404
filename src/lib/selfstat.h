/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's own resource use, for the process_* metrics that Prometheus
 * client libraries export (process_cpu_seconds_total, ...). The parser is
 * pure; selfstat__read() reads /proc/self.
 */
#ifndef __SELFSTAT_H
#define __SELFSTAT_H

#include <linux/types.h>
#include <stdbool.h>

struct self_stats {
	bool have;			/* /proc/self/stat was read: the next four are set */
	double cpu_seconds;		/* user + system time */
	__u64 resident_bytes;
	__u64 virtual_bytes;
	double start_time_s;		/* since the epoch */
	bool have_fds;			/* /proc/self/fd was read */
	__u64 open_fds;
	__u64 max_fds;			/* RLIMIT_NOFILE, soft limit */
};

/*
 * Parse the contents of /proc/PID/stat (the comm in parentheses may hold
 * anything, spaces and ')' included). ticks: sysconf(_SC_CLK_TCK); boot_s:
 * the time of boot since the epoch, to turn the start time into one.
 * 0 or -EINVAL.
 */
int selfstat_parse(const char *stat, long ticks, long page_size, double boot_s,
		   struct self_stats *out);
/* Fill out from /proc/self; what cannot be read is left unset (have = false). */
void selfstat__read(struct self_stats *out);

#endif /* __SELFSTAT_H */
