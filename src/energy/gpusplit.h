/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Splitting one GPU's energy of an interval over processes. Pure: no I/O.
 *
 * The GPU's measured energy minus its idle baseline is the dynamic part.
 * NVML's per-process samples say how busy each process kept the GPU's SMs
 * (nvmlProcessUtilizationSample_t.smUtil, percent of the driver's sample
 * period); the GPU's own utilisation says how busy it was at all. With u_p
 * the mean of a process's samples in the interval and U the larger of the
 * GPU's utilisation and the sum of the u_p, process p gets dynamic x u_p / U
 * and what no process explains, dynamic x (1 - sum u_p / U), goes to others:
 * a GPU busy with work NVML shows no process for (another PID namespace's,
 * a context that ended between samples) is not pinned on the processes that
 * are seen. With no sample at all, the whole dynamic part is others'.
 *
 * Modes:
 *  - exclusive process compute mode (NVML_COMPUTEMODE_EXCLUSIVE_PROCESS):
 *    one context per device, so the whole dynamic part is its process's
 *    (the running compute process); without one, it is others'.
 *  - MIG: NVML gives no per-process utilisation on a MIG-enabled GPU
 *    ("querying process utilization is not currently supported"): the
 *    whole-GPU figures only, its dynamic part others'.
 *
 * Shares are integer microjoules rounded cumulatively (share_uj()), so
 * processes + others + idle = the GPU's energy exactly.
 */
#ifndef __GPUSPLIT_H
#define __GPUSPLIT_H

#include <linux/types.h>
#include <stdbool.h>

#define WP_MAX_GPUS	16	/* GPUs read; the rest are left out, with a warning */
#define GPU_MAX_PIDS	64	/* processes per GPU and interval; the rest are others' */

/*
 * Idle fraction of a GPU for its power curve's prior: its idle power over its
 * enforced power limit. No GPU curves are published as SPECpower publishes
 * servers', so the prior is curve_prior__lines(GPU_IDLE_FRACTION): straight
 * lines idle at 7.5%, 15% and 22.5% of the limit, scaled by the limit. 0.15
 * is our assumption from data-centre GPUs idling at a tenth to a sixth of
 * their limit, not a published figure; the data bend the curve and move its
 * idle wherever the GPU's utilisation goes.
 */
#define GPU_IDLE_FRACTION	0.15

enum gpu_mode {
	GPU_SHARED,		/* default compute mode (or unknown): by SM samples */
	GPU_EXCLUSIVE,		/* exclusive process: all to the one process */
	GPU_MIG,		/* MIG enabled: no per-process figures */
};

/* One per-process utilisation sample, as NVML gives it. */
struct gpu_sample {
	__u32 pid;
	__u64 ts_us;		/* timeStamp: CPU time in microseconds */
	unsigned int sm;	/* smUtil, percent */
};

/* A process's SM utilisation over an interval. */
struct gpu_pid_util {
	__u32 pid;
	double sm;		/* mean of its samples, 0..1 */
	unsigned int samples;
};

/*
 * The samples of one interval, grouped by process: those newer than
 * *last_seen (what nvmlDeviceGetProcessUtilization returns for that
 * lastSeenTimeStamp; older ones a library gives anyway are dropped), each
 * process's mean smUtil (clamped to 100%). *last_seen becomes the newest
 * timestamp, the lastSeenTimeStamp of the next call. At most max processes,
 * the first seen; the rest are not counted (their share is others').
 * Returns the number of processes in out.
 */
int gpusplit_collect(const struct gpu_sample *s, int n, __u64 *last_seen, struct gpu_pid_util *out,
		     int max);

/* A process's share of the interval's GPU energy. */
struct gpu_share {
	__u32 pid;
	__u64 uj;
};

struct gpusplit {
	/* in */
	__u64 energy_uj;	/* measured this interval */
	__u64 idle_base_uj;	/* the baseline's energy (idle watts x interval); capped */
	double util;		/* the GPU's utilisation 0..1; < 0: unknown */
	enum gpu_mode mode;
	const struct gpu_pid_util *pids;	/* GPU_SHARED */
	int nr_pids;
	__u32 exclusive_pid;	/* GPU_EXCLUSIVE: the process with the context; 0: none */
	bool spread_idle;	/* the idle part goes to the processes too */
	/* out */
	__u64 idle_uj;		/* the baseline's part */
	__u64 others_uj;	/* dynamic energy no process explains */
	__u64 procs_uj;		/* sum of shares[] */
	struct gpu_share shares[GPU_MAX_PIDS];
	int nr_shares;
};

/* Fill the out fields of g from its in fields; idle + others + procs = energy. */
void gpusplit__run(struct gpusplit *g);

#endif /* __GPUSPLIT_H */
