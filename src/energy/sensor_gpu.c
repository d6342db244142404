// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * NVIDIA GPUs as an energy sensor of the GPU role: src/energy/gpu.c's reading
 * of every GPU, through NVML loaded at run time (--nvml-library).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "energy/gpu.h"
#include "energy/sensor.h"

static int nvml_open(struct sensor *s, const struct sensor_config *c, char *err, size_t errlen)
{
	struct gpu *g = calloc(1, sizeof(*g));
	int ret;

	if (!g) {
		snprintf(err, errlen, "failed to allocate the GPU state: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = gpu__open(g, c->nvml_library, err, errlen);
	if (ret) {
		free(g);
		return ret;
	}
	s->priv = g;
	return 0;
}

static int nvml_read(struct sensor *s, const struct sensor_input *in, struct sensor_reading *out)
{
	out->nr_gpus = gpu__read(s->priv, in->elapsed_ns, out->gpus);
	return 0;
}

static void nvml_close(struct sensor *s)
{
	struct gpu *g = s->priv;

	if (!g)
		return;
	gpu__close(g);
	free(g);
	s->priv = NULL;
}

static void nvml_describe(struct sensor *s, char *buf, size_t len)
{
	struct gpu *g = s->priv;
	size_t n = 0;

	n += snprintf(buf + n, len - n, "  %s: %d GPU%s\n", g->nvml.path, g->nr,
		      g->nr == 1 ? "" : "s");
	for (int i = 0; i < g->nr && n < len; i++) {
		const struct gpu_dev *d = &g->dev[i];

		n += snprintf(buf + n, len - n, "  GPU %d %s %s: %s\n", d->index,
			      d->name[0] ? d->name : "(no name)",
			      d->uuid[0] ? d->uuid : "(no uuid)",
			      d->power_only ? "power usage (no energy counter)" : "energy counter");
	}
}

const struct sensor_ops nvml_sensor = {
	.name = "nvml",
	.title = "NVML",
	.help = "NVIDIA GPUs through NVML, loaded at run time\n(--nvml-library)",
	.role = SENSOR_ROLE_GPU,
	.open = nvml_open,
	.read = nvml_read,
	.close = nvml_close,
	.describe = nvml_describe,
};
