// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The power model as an energy sensor, for machines without RAPL (most VMs):
 * each socket draws idle + (full - idle) x utilisation, with full = --tdp or
 * MODEL_FULL_W_PER_CPU per online CPU, and idle = --idle-watts, or the same
 * share of full that MODEL_IDLE_W_PER_CPU is of MODEL_FULL_W_PER_CPU.
 * Everything it gives is an estimate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "energy/sensor.h"

struct model {
	double tdp_w, idle_w;		/* the flags; <= 0 / < 0: default */
};

double model_power_w(double full_w, double idle_w, double util)
{
	if (util < 0)
		util = 0;
	if (util > 1)
		util = 1;
	return idle_w + (full_w - idle_w) * util;
}

static int model_open(struct sensor *s, const struct sensor_config *c, char *err, size_t errlen)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "failed to allocate the model: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	m->tdp_w = c->tdp_w;
	m->idle_w = c->idle_w;
	s->priv = m;
	return 0;
}

static __u64 uj_of(double w, __u64 ns)
{
	double uj = w * (double)ns / 1e3;

	return uj > 0 ? (__u64)(uj + 0.5) : 0;
}

static int model_read(struct sensor *s, const struct sensor_input *in, struct sensor_reading *out)
{
	const struct model *m = s->priv;

	for (int i = 0; i < in->nr_sockets && i < WP_MAX_SOCKETS; i++) {
		struct sensor_socket *ss = &out->sockets[i];
		double full, idle;

		full = m->tdp_w > 0 ? m->tdp_w : MODEL_FULL_W_PER_CPU * in->online_cpus[i];
		if (m->idle_w >= 0)
			idle = m->idle_w;
		else
			idle = full * (MODEL_IDLE_W_PER_CPU / MODEL_FULL_W_PER_CPU);
		ss->have[ENERGY_PACKAGE] = true;
		ss->uj[ENERGY_PACKAGE] = uj_of(model_power_w(full, idle, in->util[i]),
					       in->elapsed_ns);
		ss->idle_w[ENERGY_PACKAGE] = idle;
		ss->limit_w[ENERGY_PACKAGE] = full;
		ss->limit_from[ENERGY_PACKAGE] = m->tdp_w > 0 ? "--tdp" : "model";
	}
	return 0;
}

static void model_close(struct sensor *s)
{
	free(s->priv);
	s->priv = NULL;
}

const struct sensor_ops model_sensor = {
	.name = "model",
	.title = "the power model",
	.help = "an estimate from CPU time, where nothing\nmeasures (--tdp, --idle-watts)",
	.role = SENSOR_ROLE_CPU,
	.fallback = true,
	.estimated = true,
	.open = model_open,
	.read = model_read,
	.close = model_close,
};
