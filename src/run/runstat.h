/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What `wattprobe run` reports about one command: the totals of its processes
 * over the samples of the run, and the summary made of them (text, JSON,
 * Prometheus text for a Pushgateway, progress lines). Pure: no I/O, so it is
 * tested from hand-built samples.
 *
 * A process is the command's when it is in the command's cgroup or below it.
 * Energy is what the sampler attributed to those processes (the dynamic part,
 * by CPU time). The idle share is the idle baseline times the share of the
 * CPUs the command used: per socket and interval, idle energy * (the command's
 * CPU time there) / (the socket's online CPU time, busy and idle). A command
 * that keeps every CPU busy gets all of it, a single-threaded one on an
 * otherwise idle 8-CPU socket an eighth, whatever else runs. Shares are
 * integer microjoules rounded cumulatively, so the processes' shares add up
 * to the command's totals exactly.
 */
#ifndef __RUNSTAT_H
#define __RUNSTAT_H

#include <linux/types.h>
#include <stdbool.h>
#include <sys/time.h>
#include "lib/json.h"
#include "lib/promtext.h"
#include "sample/sample.h"

#define RUNSTAT_MAX_PROCS	65536	/* processes kept apart; the rest are summed */
#define RUNSTAT_MAX_LISTED	1000	/* processes listed in the JSON summary */

/* One process of the command, or a group of them (by name, or "others"). */
struct runstat_proc {
	__u32 tgid;
	__u64 start_ns;
	char comm[WP_COMM_LEN];		/* its last name: of the last program it ran */
	__u32 name_iv;			/* the interval that named it (runstat.intervals + 1) */
	bool name_live;			/* named by the process's live entry then, not a part */
	__u32 members;			/* processes (groups) */
	__u64 ns;			/* on-CPU time */
	__u64 uj;			/* energy attributed (dynamic) */
	__u64 idle_uj;			/* idle share */
	bool uj_missing;		/* some of its energy could not be measured */
	bool used;
};

struct runstat {
	__u64 cgroup_id;		/* the command's cgroup */
	char *cgroup;			/* its path below the cgroup2 mount; NULL: by id only */
	__u64 min_peak_ns;		/* shorter intervals do not count for the peak */

	struct runstat_proc *procs;	/* open addressing on (tgid, start_ns) */
	__u32 nr, cap;
	struct runstat_proc beyond;	/* processes past RUNSTAT_MAX_PROCS, summed; members
					 * counts each once per interval it ran in (an upper
					 * bound: they cannot be told apart any more) */

	__u64 ns, uj, idle_uj;		/* the command's totals */
	__u32 intervals;
	__u32 missing_intervals;	/* with some of the command's energy missing */
	__u64 measured_ns;		/* sum of the intervals' lengths */

	/*
	 * The peak: the highest power over one window. Windows are the intervals cut to
	 * the command's run (what runstat__add() is given), a short one merged into the
	 * next, and at the end a short remainder into the last: they cover the run's
	 * wall time exactly and hold all its energy, so the highest window is never
	 * below the average over the wall time (when no energy is missing).
	 */
	struct runstat_window {
		__u64 uj, ns;
		bool missing;
	} win, last;			/* the one filling up; the last closed one */
	bool have_last;
	bool have_peak;			/* over the closed windows before last */
	double peak_w;
	__u64 peak_interval_ns;

	/* the last interval, for progress lines */
	__u64 iv_ns, iv_interval_ns, iv_uj, iv_idle_uj;
	__u32 iv_procs;
	bool iv_missing;

	/* the host over the same intervals */
	__u64 host_uj, host_idle_uj, host_busy_ns;
	__u32 host_missing_intervals;
	__u64 dropped_first, dropped_last;	/* the sampler's cumulative count */
	__u64 unseen_first, unseen_last;	/* switches the tracepoint did not show */

	/* GPUs (a GPU sensor): the command's GPU energy, by SM utilisation */
	bool gpu;			/* the samples had a GPU sensor */
	__u64 gpu_uj;
	__u32 gpu_missing_intervals;	/* with some of the command's GPU energy missing */

	const char *sensor;		/* of the last sample */
	const char *sensor_source;	/* where it reads: "powercap", "model", "vm-export" */
	bool estimated;
};

/* How the run went, from the parent's side. */
struct run_info {
	char *const *argv;		/* the command */
	int exit_code;			/* what wattprobe exits with: status, or 128 + signal */
	int signal;			/* the signal that ended it, 0 if it exited */
	__u64 wall_ns;
	bool have_rusage;
	struct timeval utime, stime;	/* wait4() of the command: it and its waited-for children */
	long maxrss_kb;
	__u32 left_running;		/* processes still in its cgroup when it ended */
	bool have_cgroup_cpu;		/* the kernel's account of the cgroup (cpu.stat) */
	__u64 cgroup_usage_us, cgroup_user_us, cgroup_system_us;
	double carbon;			/* g CO2e per kWh; < 0: not given */
	unsigned top;			/* consumers to list; 0: all */
	struct timespec end;		/* CLOCK_REALTIME when it ended */
	const char *cgroup;		/* where it ran, for the record */
};

/* cgroup_path may be NULL; windows of the peak are at least min_peak_ns (but the only
 * one of a shorter run). -ENOMEM or 0. */
int runstat__init(struct runstat *r, __u64 cgroup_id, const char *cgroup_path, __u64 min_peak_ns);
void runstat__free(struct runstat *r);
/* Whether a process of a sample is the command's. */
bool runstat__mine(const struct runstat *r, const struct proc *p);
/*
 * Add one sample: the command's processes and the host's totals. ran_ns: how much of
 * the sample's interval the command ran (the interval cut to the command's start and
 * end; 0 for one before it started), the same wall time the average is taken over.
 */
void runstat__add(struct runstat *r, const struct sample *s, __u64 ran_ns);
/* The highest power over one window of the run, and the window's length; false if
 * none (no window with its energy complete). */
bool runstat__peak(const struct runstat *r, double *w, __u64 *window_ns);

/*
 * The command's processes grouped by name, biggest energy first (CPU time
 * when energy ties), cut to top (0: all) with the rest summed in *others
 * (members 0 when nothing was left out). *out is malloc'd; -ENOMEM or the
 * number of groups.
 */
int runstat__consumers(const struct runstat *r, unsigned top, struct runstat_proc **out,
		       struct runstat_proc *others);

/*
 * The command's CPU time: the kernel's account of its cgroup (cpu.stat) when
 * there is one, exact whatever the tracepoint saw; else the sum over its
 * processes, which is what energy is split by.
 */
__u64 runstat__cpu_ns(const struct runstat *r, const struct run_info *ri);

/* Grams of CO2e for uj at g_per_kwh. */
static inline double runstat__co2e_g(__u64 uj, double g_per_kwh)
{
	return uj / 3.6e12 * g_per_kwh;
}

/* The summary as time(1) prints it: a few aligned lines, strings made printable. */
void runstat__text(struct pbuf *b, const struct runstat *r, const struct run_info *ri);
/* The summary as one JSON object (no newline). */
void runstat__json(struct jw *w, const struct runstat *r, const struct run_info *ri);
/* The summary as Prometheus text for a Pushgateway. */
void runstat__prom(struct pbuf *b, const struct runstat *r, const struct run_info *ri);
/* One progress line of the last interval (with a newline / as one JSON object). */
void runstat__progress_text(struct pbuf *b, const struct runstat *r, __u64 elapsed_ns);
void runstat__progress_json(struct jw *w, const struct runstat *r, __u64 elapsed_ns);

/* Append n bytes of s made printable for a terminal: well-formed UTF-8 passes,
 * control bytes (below 0x20, 0x7f) and ill-formed sequences become \xNN. */
void runstat__printable(struct pbuf *b, const char *s, size_t n);

#endif /* __RUNSTAT_H */
