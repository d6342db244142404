/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * NVIDIA GPUs through NVML (nvml.h), read once per interval: each GPU's
 * energy, utilisation, power limit, compute and MIG modes, and its processes'
 * SM utilisation samples since the last read. What is split over processes,
 * and how, is gpusplit.h's; this file only reads.
 *
 * Energy comes from nvmlDeviceGetTotalEnergyConsumption (mJ, Volta and
 * newer); where a GPU has no such counter (NVML_ERROR_NOT_SUPPORTED), from
 * nvmlDeviceGetPowerUsage (mW) integrated over the interval as the mean of
 * the last and this reading. A counter that goes backwards (a driver reload)
 * or jumps beyond what the GPU can draw, a GPU that is lost
 * (NVML_ERROR_GPU_IS_LOST) or another error, is a gap for that GPU in that
 * interval, warned about once per spell; the next good reading is a fresh
 * start. Every other call is optional: missing or NOT_SUPPORTED, the figure
 * is unknown (utilisation, limit) or per-process figures are not available.
 */
#ifndef __GPU_H
#define __GPU_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "energy/gpusplit.h"
#include "energy/nvml.h"

#define GPU_MAX_SAMPLES		1024	/* process utilisation samples per GPU and read */
/* A step is implausible beyond this many times the enforced limit (or GPU_MAX_PLAUSIBLE_W). */
#define GPU_PLAUSIBLE_LIMIT_FACTOR	4
#define GPU_MAX_PLAUSIBLE_W		5000
/* A counter's read may lag its last update: the slack allowed a step, in ns. */
#define GPU_STEP_SLACK_NS		100000000ULL

/* One GPU's interval. */
struct gpu_reading {
	int index;			/* NVML's index */
	const char *name;		/* nvmlDeviceGetName, "" when unknown */
	const char *uuid;		/* nvmlDeviceGetUUID, "" when unknown */
	bool have;			/* energy measured this interval */
	__u64 uj;
	const char *gap;		/* why the energy is missing, or NULL */
	const char *source;		/* "energy counter" or "power usage" */
	double power_w;			/* nvmlDeviceGetPowerUsage now; < 0 unknown */
	double util;			/* nvmlDeviceGetUtilizationRates .gpu, 0..1; < 0 unknown */
	double limit_w;			/* nvmlDeviceGetEnforcedPowerLimit; 0 unknown */
	enum gpu_mode mode;
	bool per_process;		/* per-process figures this interval (see pids) */
	const char *no_per_process;	/* why not, when not */
	int nr_pids;
	struct gpu_pid_util pids[GPU_MAX_PIDS];	/* by SM samples (GPU_SHARED) */
	__u32 exclusive_pid;		/* GPU_EXCLUSIVE: its running compute process */
};

struct gpu_dev {
	nvmlDevice_t handle;
	int index;
	char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
	bool power_only;		/* no energy counter: power usage integrated */
	bool have_last;
	__u64 last_mj;			/* the counter's last value */
	double last_w;			/* power_only: the last power reading */
	__u64 last_seen_us;		/* lastSeenTimeStamp of the next sample read */
	const char *reported;		/* the gap last warned about; NULL: none */
	bool said_no_per_process;
};

struct gpu {
	struct nvml nvml;
	struct gpu_dev dev[WP_MAX_GPUS];
	int nr;
	nvmlProcessUtilizationSample_t *samples;	/* GPU_MAX_SAMPLES */
	struct gpu_sample *conv;
};

/*
 * Load NVML (library: --nvml-library, NULL for the default) and find its
 * GPUs. 0; -ENOENT when there is no GPU here (no library, no driver, no
 * device); other -errno when there is one but NVML fails. err says why.
 */
int gpu__open(struct gpu *g, const char *library, char *err, size_t errlen);
/* Read every GPU once; out[i] for GPU i. elapsed_ns since the last read (0 first). */
int gpu__read(struct gpu *g, __u64 elapsed_ns, struct gpu_reading *out);
void gpu__close(struct gpu *g);

/* The energy of a counter's step prev -> cur (mJ) in uJ, or the gap it is. Pure. */
const char *gpu_counter_step(__u64 prev_mj, __u64 cur_mj, __u64 elapsed_ns, double limit_w,
			     __u64 *uj);

#endif /* __GPU_H */
