// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* NVIDIA GPUs through NVML, read once per interval; see gpu.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "energy/gpu.h"

const char *gpu_counter_step(__u64 prev_mj, __u64 cur_mj, __u64 elapsed_ns, double limit_w,
			     __u64 *uj)
{
	double max_w = limit_w > 0 ? limit_w * GPU_PLAUSIBLE_LIMIT_FACTOR : GPU_MAX_PLAUSIBLE_W;
	double max_mj = max_w * (double)(elapsed_ns + GPU_STEP_SLACK_NS) / 1e6;

	*uj = 0;
	if (cur_mj < prev_mj)
		return "counter reset";
	if ((double)(cur_mj - prev_mj) > max_mj)
		return "implausible jump";
	*uj = (cur_mj - prev_mj) * 1000;
	return NULL;
}

int gpu__open(struct gpu *g, const char *library, char *err, size_t errlen)
{
	unsigned int count = 0;
	nvmlReturn_t r;
	int ret;

	memset(g, 0, sizeof(*g));
	ret = nvml__open(&g->nvml, library, err, errlen);
	if (ret)
		return ret;
	r = g->nvml.count(&count);
	if (r != NVML_SUCCESS) {
		snprintf(err, errlen, "failed to count the GPUs (nvmlDeviceGetCount_v2): %s",
			 nvml__strerror(&g->nvml, r));
		ret = -EIO;
		goto fail;
	}
	if (!count) {
		snprintf(err, errlen, "NVML (%s) sees no GPU", g->nvml.path);
		ret = -ENOENT;
		goto fail;
	}
	if (count > WP_MAX_GPUS) {
		fprintf(stderr, "wattprobe: warning: %u GPUs; reading the first %d\n", count,
			WP_MAX_GPUS);
		count = WP_MAX_GPUS;
	}
	for (unsigned int i = 0; i < count; i++) {
		struct gpu_dev *d = &g->dev[g->nr];

		r = g->nvml.handle(i, &d->handle);
		if (r != NVML_SUCCESS) {
			/* a GPU lost before we start: not ours to read */
			fprintf(stderr, "wattprobe: warning: GPU %u: %s; leaving it out\n", i,
				nvml__strerror(&g->nvml, r));
			continue;
		}
		d->index = (int)i;
		if (!g->nvml.name || g->nvml.name(d->handle, d->name, sizeof(d->name)))
			d->name[0] = '\0';
		if (!g->nvml.uuid || g->nvml.uuid(d->handle, d->uuid, sizeof(d->uuid)))
			d->uuid[0] = '\0';
		{
			unsigned long long mj;

			/* before Volta there is no energy counter: power usage it is */
			d->power_only = !g->nvml.energy ||
					nvml_absent(g->nvml.energy(d->handle, &mj));
		}
		g->nr++;
	}
	if (!g->nr) {
		snprintf(err, errlen, "NVML (%s) has %u GPU%s and none answers", g->nvml.path,
			 count, count == 1 ? "" : "s");
		ret = -EIO;
		goto fail;
	}
	g->samples = calloc(GPU_MAX_SAMPLES, sizeof(*g->samples));
	g->conv = calloc(GPU_MAX_SAMPLES, sizeof(*g->conv));
	if (!g->samples || !g->conv) {
		snprintf(err, errlen, "failed to allocate the GPU samples: %s", strerror(ENOMEM));
		ret = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	gpu__close(g);
	return ret;
}

/* Warn once per spell: when a GPU's gap changes, and when it reads again. */
static void report(struct gpu_dev *d, const char *gap)
{
	if (gap && (!d->reported || strcmp(gap, d->reported)))
		fprintf(stderr, "wattprobe: warning: GPU %d (%s): %s; its energy is missing until "
			"it reads again\n", d->index, d->uuid[0] ? d->uuid : d->name, gap);
	else if (!gap && d->reported)
		fprintf(stderr, "wattprobe: GPU %d (%s) reads again\n", d->index,
			d->uuid[0] ? d->uuid : d->name);
	d->reported = gap;
}

/* A gap from an NVML error: the library's own words (static strings in NVML). */
static const char *gap_of(struct gpu *g, nvmlReturn_t r)
{
	return r == NVML_ERROR_GPU_IS_LOST ? "GPU is lost" : nvml__strerror(&g->nvml, r);
}

/* The interval's energy of one GPU into out; the error that made it a gap, if any. */
static nvmlReturn_t read_energy(struct gpu *g, struct gpu_dev *d, __u64 elapsed_ns,
				struct gpu_reading *out)
{
	unsigned long long mj;
	unsigned int mw;
	nvmlReturn_t r;

	if (!d->power_only) {
		r = g->nvml.energy(d->handle, &mj);
		if (nvml_absent(r)) {
			d->power_only = true;	/* before Volta: no energy counter */
			d->have_last = false;
		} else if (r != NVML_SUCCESS) {
			d->have_last = false;
			out->gap = gap_of(g, r);
			return r;
		} else {
			out->source = "energy counter";
			out->gap = d->have_last ? gpu_counter_step(d->last_mj, mj, elapsed_ns,
								   out->limit_w, &out->uj) :
						  "first reading";
			d->last_mj = mj;
			d->have_last = true;
			out->have = !out->gap;
			return NVML_SUCCESS;
		}
	}
	out->source = "power usage";
	r = g->nvml.power ? g->nvml.power(d->handle, &mw) : NVML_ERROR_FUNCTION_NOT_FOUND;
	if (r != NVML_SUCCESS) {
		d->have_last = false;
		out->gap = nvml_absent(r) ? "no energy counter and no power reading" : gap_of(g, r);
		return r;
	}
	out->power_w = mw / 1e3;
	if (d->have_last) {
		out->uj = (__u64)((d->last_w + out->power_w) / 2 * (double)elapsed_ns / 1e3 + 0.5);
		out->have = true;
	} else {
		out->gap = "first reading";
	}
	d->last_w = out->power_w;
	d->have_last = true;
	return NVML_SUCCESS;
}

/* The process holding an exclusive-process GPU's context, or 0. */
static __u32 exclusive_pid(struct gpu *g, struct gpu_dev *d)
{
	nvmlProcessInfo_t info[4];
	unsigned int n = 4;

	if (!g->nvml.compute_procs || g->nvml.compute_procs(d->handle, &n, info) != NVML_SUCCESS ||
	    !n)
		return 0;
	return info[0].pid;
}

/* The samples since the last read, by process; false when NVML has none to give. */
static bool read_samples(struct gpu *g, struct gpu_dev *d, struct gpu_reading *out)
{
	unsigned int n = GPU_MAX_SAMPLES;
	nvmlReturn_t r;

	if (!g->nvml.proc_util) {
		out->no_per_process = "this NVML has no nvmlDeviceGetProcessUtilization";
		return false;
	}
	r = g->nvml.proc_util(d->handle, g->samples, &n, d->last_seen_us);
	if (r == NVML_ERROR_NOT_FOUND) {
		n = 0;	/* nvml.h: "sample entries are not found": none since the last read */
	} else if (r == NVML_ERROR_INSUFFICIENT_SIZE) {
		/* more processes than GPU_MAX_SAMPLES: none of them, rather than some */
		out->no_per_process = "more processes than wattprobe reads";
		return false;
	} else if (r != NVML_SUCCESS) {
		out->no_per_process = nvml_absent(r) ? "not supported by this GPU" :
						       nvml__strerror(&g->nvml, r);
		return false;
	}
	if (n > GPU_MAX_SAMPLES)
		n = GPU_MAX_SAMPLES;
	for (unsigned int i = 0; i < n; i++)
		g->conv[i] = (struct gpu_sample){ .pid = g->samples[i].pid,
						  .ts_us = g->samples[i].timeStamp,
						  .sm = g->samples[i].smUtil };
	out->nr_pids = gpusplit_collect(g->conv, (int)n, &d->last_seen_us, out->pids,
					GPU_MAX_PIDS);
	return true;
}

static void read_one(struct gpu *g, struct gpu_dev *d, __u64 elapsed_ns,
		     struct gpu_reading *out)
{
	unsigned int limit_mw, cur, pend, mw;
	nvmlUtilization_t u;
	nvmlReturn_t r;
	int mode;

	*out = (struct gpu_reading){
		.index = d->index, .name = d->name, .uuid = d->uuid, .power_w = -1, .util = -1,
		.mode = GPU_SHARED,
	};
	if (g->nvml.power_limit && g->nvml.power_limit(d->handle, &limit_mw) == NVML_SUCCESS)
		out->limit_w = limit_mw / 1e3;
	r = read_energy(g, d, elapsed_ns, out);
	report(d, out->gap && strcmp(out->gap, "first reading") ? out->gap : NULL);
	if (r == NVML_ERROR_GPU_IS_LOST)
		return;
	if (out->power_w < 0 && g->nvml.power && g->nvml.power(d->handle, &mw) == NVML_SUCCESS)
		out->power_w = mw / 1e3;
	if (g->nvml.utilization && g->nvml.utilization(d->handle, &u) == NVML_SUCCESS)
		out->util = u.gpu > 100 ? 1 : u.gpu / 100.0;
	if (g->nvml.mig_mode && g->nvml.mig_mode(d->handle, &cur, &pend) == NVML_SUCCESS &&
	    cur == NVML_DEVICE_MIG_ENABLE)
		out->mode = GPU_MIG;
	else if (g->nvml.compute_mode && g->nvml.compute_mode(d->handle, &mode) == NVML_SUCCESS &&
		 mode == NVML_COMPUTEMODE_EXCLUSIVE_PROCESS)
		out->mode = GPU_EXCLUSIVE;

	if (out->mode == GPU_MIG) {
		/* nvml.h: no process utilisation on MIG-enabled GPUs */
		out->no_per_process = "MIG is enabled: NVML has no per-process utilisation";
	} else if (out->mode == GPU_EXCLUSIVE) {
		out->exclusive_pid = exclusive_pid(g, d);
		out->per_process = true;
	} else {
		out->per_process = read_samples(g, d, out);
	}
	if (!out->per_process && !d->said_no_per_process) {
		fprintf(stderr, "wattprobe: GPU %d (%s): per-process energy not available: %s; "
			"its energy goes to others and idle\n", d->index,
			d->uuid[0] ? d->uuid : d->name, out->no_per_process);
		d->said_no_per_process = true;
	}
}

int gpu__read(struct gpu *g, __u64 elapsed_ns, struct gpu_reading *out)
{
	for (int i = 0; i < g->nr; i++)
		read_one(g, &g->dev[i], elapsed_ns, &out[i]);
	return g->nr;
}

void gpu__close(struct gpu *g)
{
	nvml__close(&g->nvml);
	free(g->samples);
	free(g->conv);
	g->samples = NULL;
	g->conv = NULL;
	g->nr = 0;
}
