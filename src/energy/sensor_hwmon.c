// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * hwmon meters as energy sensors (src/energy/hwmon.c, --hwmon-root): "hwmon"
 * measures the platform (an ACPI power meter, a module's input rail), and
 * "hwmon-cpu" the CPU packages where there is no RAPL (amd_energy's socket
 * counters, an arm64 SoC's CPU meter). Each channel's gaps are warned about
 * once per spell.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "energy/hwmon.h"
#include "energy/sensor.h"

#define DEFAULT_ROOT "/sys/class/hwmon"

struct hwsensor {
	struct hwmon h;
	struct hwmon_reading rd[HWMON_MAX_CHANNELS];
	char from[HWMON_MAX_CHANNELS][160];	/* what each channel is, for outputs */
};

static int open_role(struct sensor *s, const struct sensor_config *c, enum hwmon_role role,
		     char *err, size_t errlen)
{
	struct hwsensor *hs = calloc(1, sizeof(*hs));
	int ret;

	if (!hs) {
		snprintf(err, errlen, "failed to allocate the hwmon state: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = hwmon__open(&hs->h, c->hwmon_root ? c->hwmon_root : DEFAULT_ROOT, HWMON_WANT(role),
			  err, errlen);
	if (ret) {
		free(hs);
		return ret;
	}
	for (int i = 0; i < hs->h.nr; i++) {
		const struct hwmon_channel *ch = &hs->h.ch[i];
		char from[sizeof(hs->from[i])];

		snprintf(from, sizeof(from), "%s %s %s (%s)", ch->hwmon, ch->chip, ch->label,
			 hwmon_kind_name(ch->kind));
		memcpy(hs->from[i], from, sizeof(from));
	}
	s->priv = hs;
	return 0;
}

static int platform_open(struct sensor *s, const struct sensor_config *c, char *err,
			 size_t errlen)
{
	return open_role(s, c, HWMON_PLATFORM, err, errlen);
}

static int cpu_open(struct sensor *s, const struct sensor_config *c, char *err, size_t errlen)
{
	return open_role(s, c, HWMON_CPU, err, errlen);
}

/* Once per spell: a channel that goes bad, and when it reads again. */
static void report(struct hwsensor *hs, int i, int status)
{
	struct hwmon_channel *ch = &hs->h.ch[i];

	if (status < 0 && status != ch->reported)
		fprintf(stderr, "wattprobe: warning: %s: %s; its energy is missing until it reads "
			"again\n", hs->from[i], hwmon_status_name(status));
	else if (status >= 0 && ch->reported)
		fprintf(stderr, "wattprobe: %s reads again\n", hs->from[i]);
	if (status != HWMON_FIRST)
		ch->reported = status < 0 ? status : 0;
}

static int platform_read(struct sensor *s, const struct sensor_input *in,
			 struct sensor_reading *out)
{
	struct hwsensor *hs = s->priv;

	hwmon__read(&hs->h, in->elapsed_ns, hs->rd);
	out->platform_gap = "no platform meter";
	for (int i = 0; i < hs->h.nr; i++) {
		if (!hs->h.ch[i].opened)
			continue;
		report(hs, i, hs->rd[i].status);
		/* one channel per role (hwmon.c): the platform's */
		out->platform_from = hs->from[i];
		out->have_platform = hs->rd[i].status == HWMON_OK;
		out->platform_uj = hs->rd[i].uj;
		out->platform_gap = out->have_platform ? NULL : hwmon_status_name(hs->rd[i].status);
	}
	return 0;
}

static int socket_index(const struct sensor_input *in, int package)
{
	for (int i = 0; i < in->nr_sockets && i < WP_MAX_SOCKETS; i++)
		if (in->socket_ids[i] == package)
			return i;
	return -1;
}

static int cpu_read(struct sensor *s, const struct sensor_input *in, struct sensor_reading *out)
{
	struct hwsensor *hs = s->priv;

	hwmon__read(&hs->h, in->elapsed_ns, hs->rd);
	for (int i = 0; i < in->nr_sockets && i < WP_MAX_SOCKETS; i++)
		out->sockets[i].gap = "no hwmon CPU meter for this socket";
	for (int i = 0; i < hs->h.nr; i++) {
		const struct hwmon_channel *ch = &hs->h.ch[i];
		struct sensor_socket *ss;
		int k = socket_index(in, ch->socket);

		if (!ch->opened)
			continue;
		report(hs, i, hs->rd[i].status);
		if (k < 0)
			continue;
		ss = &out->sockets[k];
		ss->have[ENERGY_PACKAGE] = hs->rd[i].status == HWMON_OK;
		ss->uj[ENERGY_PACKAGE] = hs->rd[i].uj;
		ss->gap = ss->have[ENERGY_PACKAGE] ? NULL : hwmon_status_name(hs->rd[i].status);
	}
	return 0;
}

static void hw_close(struct sensor *s)
{
	struct hwsensor *hs = s->priv;

	if (!hs)
		return;
	hwmon__close(&hs->h);
	free(hs);
	s->priv = NULL;
}

/* Every power and energy channel found, and what it is for. */
static void hw_describe(struct sensor *s, char *buf, size_t len)
{
	struct hwsensor *hs = s->priv;
	size_t n = 0;

	for (int i = 0; i < hs->h.nr && n < len; i++) {
		const struct hwmon_channel *ch = &hs->h.ch[i];
		char every[48] = "";

		if (ch->update_ms > 0)
			snprintf(every, sizeof(every), ", updates every %g ms", ch->update_ms);
		n += snprintf(buf + n, len - n, "  %s%s: ", hs->from[i], every);
		if (ch->opened && ch->role == HWMON_CPU)
			n += snprintf(buf + n, len - n, "cpu socket %d, used (%s)\n", ch->socket,
				      ch->rule->what);
		else if (ch->opened)
			n += snprintf(buf + n, len - n, "%s, used (%s)\n",
				      hwmon_role_name(ch->role), ch->rule->what);
		else if (ch->same_as >= 0)
			n += snprintf(buf + n, len - n, "not counted, %s measures the same\n",
				      hs->from[ch->same_as]);
		else if (ch->rule)
			n += snprintf(buf + n, len - n, "%s, another sensor's\n",
				      hwmon_role_name(ch->role));
		else
			n += snprintf(buf + n, len - n, "not in wattprobe's table of meters\n");
	}
}

const struct sensor_ops hwmon_sensor = {
	.name = "hwmon",
	.title = "the hwmon platform meter",
	.help = "a platform power meter of the hwmon\n"
		"class: ACPI power_meter, a module's input (--hwmon-root)",
	.role = SENSOR_ROLE_PLATFORM,
	.open = platform_open,
	.read = platform_read,
	.close = hw_close,
	.describe = hw_describe,
};

const struct sensor_ops hwmon_cpu_sensor = {
	.name = "hwmon-cpu",
	.title = "the hwmon CPU meters",
	.help = "hwmon meters of the packages where there\n"
		"is no RAPL: amd_energy, arm64 SoCs (--hwmon-root)",
	.role = SENSOR_ROLE_CPU,
	.open = cpu_open,
	.read = cpu_read,
	.close = hw_close,
	.describe = hw_describe,
};
