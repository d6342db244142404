// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Choosing and driving an energy sensor; see include/sensor.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "energy/sensor.h"

static const char *const domain_names[ENERGY_NR_DOMAINS] = {
	[ENERGY_PACKAGE] = "package",
	[ENERGY_CORE] = "core",
	[ENERGY_UNCORE] = "uncore",
	[ENERGY_DRAM] = "dram",
	[ENERGY_PSYS] = "psys",
};

const char *energy_domain_name(enum energy_domain d)
{
	if ((unsigned int)d >= ENERGY_NR_DOMAINS)
		return "unknown";
	return domain_names[d];
}

/* Each kind's sensor; auto tries them in this order. */
static const struct sensor_ops *const sensors[] = {
	[SENSOR_RAPL] = &rapl_sensor,
	[SENSOR_MODEL] = &model_sensor,
};

int sensor__open(struct sensor *s, enum sensor_kind kind, const struct sensor_config *c,
		 char *err, size_t errlen)
{
	char why[512] = "";
	int ret;

	memset(s, 0, sizeof(*s));
	if (kind != SENSOR_AUTO) {
		if ((unsigned int)kind >= sizeof(sensors) / sizeof(sensors[0]) || !sensors[kind])
			return -EINVAL;
		ret = sensors[kind]->open(s, c, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "--sensor %s: %s", sensors[kind]->name, why);
			return ret;
		}
		s->ops = sensors[kind];
		return 0;
	}
	ret = rapl_sensor.open(s, c, why, sizeof(why));
	if (!ret) {
		s->ops = &rapl_sensor;
		return 0;
	}
	/* RAPL zones that exist but cannot be used are worth a word; no RAPL at all is not */
	if (ret != -ENOENT)
		fprintf(stderr, "wattprobe: warning: %s; using the power model (estimates)\n", why);
	else if (c->verbose)
		fprintf(stderr, "wattprobe: %s; using the power model (estimates)\n", why);
	ret = model_sensor.open(s, c, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "--sensor model: %s", why);
		return ret;
	}
	s->ops = &model_sensor;
	return 0;
}

int sensor__read(struct sensor *s, const struct sensor_input *in, struct sensor_reading *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < WP_MAX_SOCKETS; i++)
		for (int d = 0; d < ENERGY_NR_DOMAINS; d++)
			out->sockets[i].idle_w[d] = -1;
	if (!s->ops)
		return -EBADF;
	return s->ops->read(s, in, out);
}

void sensor__close(struct sensor *s)
{
	if (s->ops)
		s->ops->close(s);
	s->ops = NULL;
	s->priv = NULL;
}
