// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Choosing and driving the energy sensors; see energy/sensor.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "energy/sensor.h"

static const char *const role_names[SENSOR_NR_ROLES] = {
	[SENSOR_ROLE_CPU] = "cpu",
	[SENSOR_ROLE_GPU] = "gpu",
	[SENSOR_ROLE_PLATFORM] = "platform",
};

const char *sensor_role_name(enum sensor_role role)
{
	if ((unsigned int)role >= SENSOR_NR_ROLES)
		return "unknown";
	return role_names[role];
}

const struct sensor_ops *sensor__find(const char *name)
{
	for (int i = 0; sensor_table[i]; i++)
		if (!strcmp(sensor_table[i]->name, name))
			return sensor_table[i];
	return NULL;
}

/* The names of the table, "a, b or c", into buf. */
static void table_names(char *buf, size_t len)
{
	size_t n = 0;
	int nr = 0;

	while (sensor_table[nr])
		nr++;
	buf[0] = '\0';
	for (int i = 0; i < nr && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i == 0 ? "" : i == nr - 1 ? " or " : ", ",
			      sensor_table[i]->name);
}

/*
 * Each name of a comma list into names[role]. 0, or -EINVAL with err saying why.
 * A name is at most 31 bytes.
 */
static int parse_list(const char *list, const struct sensor_ops *named[SENSOR_NR_ROLES],
		      char *err, size_t errlen)
{
	char known[256];

	memset(named, 0, SENSOR_NR_ROLES * sizeof(*named));
	if (!list || !strcmp(list, "auto"))
		return 0;
	table_names(known, sizeof(known));
	for (const char *p = list;;) {
		size_t n = strcspn(p, ",");
		const struct sensor_ops *ops = NULL;
		char name[32];

		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			ops = sensor__find(name);
		}
		if (!ops) {
			snprintf(err, errlen, "unknown sensor '%.*s': expected auto, or a comma list "
				 "of %s", (int)n, p, known);
			return -EINVAL;
		}
		if (named[ops->role]) {
			snprintf(err, errlen, "sensors %s and %s both measure the %s: name one",
				 named[ops->role]->name, ops->name, sensor_role_name(ops->role));
			return -EINVAL;
		}
		named[ops->role] = ops;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

int sensor__check_list(const char *list, char *err, size_t errlen)
{
	const struct sensor_ops *named[SENSOR_NR_ROLES];

	return parse_list(list, named, err, errlen);
}

void sensor__help(char *buf, size_t len)
{
	size_t n;

	n = snprintf(buf, len, "the energy sensors: auto (the default: for each part\n"
		     "of the machine, the first below that is there),\n"
		     "list (say what each finds here, and exit),\n"
		     "or a comma list of these, each of which must open:");
	for (int i = 0; sensor_table[i] && n < len; i++)
		n += snprintf(buf + n, len - n, "\n%s (%s): %s", sensor_table[i]->name,
			      sensor_role_name(sensor_table[i]->role), sensor_table[i]->help);
}

int sensor__open(struct sensor *s, const struct sensor_ops *ops, const struct sensor_config *c,
		 char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	if (!ops)
		return -EINVAL;
	s->source = ops->source ? ops->source : ops->name;
	s->estimated = ops->estimated;
	ret = ops->open(s, c, err, errlen);
	if (ret) {
		memset(s, 0, sizeof(*s));
		return ret;
	}
	s->ops = ops;
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

/*
 * Auto for one role: the table's sensors of that role in order, fallbacks last.
 * Absent ones (-ENOENT) are passed over quietly (said with verbose); one that is
 * there but unusable is worth a warning, naming the sensor taken in its place.
 */
static int open_auto(struct sensor *s, enum sensor_role role, const struct sensor_config *c,
		     char *err, size_t errlen)
{
	char why[16][512];
	int ret = -ENOENT, fails[16], nr = 0;

	for (int fallback = 0; fallback < 2; fallback++) {
		for (int i = 0; sensor_table[i]; i++) {
			const struct sensor_ops *ops = sensor_table[i];

			if (ops->role != role || ops->fallback != fallback)
				continue;
			ret = sensor__open(s, ops, c, why[nr], sizeof(why[nr]));
			if (!ret) {
				for (int k = 0; k < nr; k++)
					if (fails[k] != -ENOENT || c->verbose)
						fprintf(stderr, "wattprobe: %s%s; using %s%s\n",
							fails[k] != -ENOENT ? "warning: " : "",
							why[k], ops->title,
							ops->estimated ? " (estimates)" : "");
				return 0;
			}
			if (ret != -ENOENT && fallback) {
				snprintf(err, errlen, "--sensor %s: %s", ops->name, why[nr]);
				return ret;
			}
			if (nr < 15)
				fails[nr++] = ret;
		}
	}
	for (int k = 0; k < nr; k++)
		if (fails[k] != -ENOENT)
			fprintf(stderr, "wattprobe: warning: %s; the %s's energy is not measured\n",
				why[k], sensor_role_name(role));
		else if (c->verbose)
			fprintf(stderr, "wattprobe: no %s sensor: %s\n", sensor_role_name(role),
				why[k]);
	return -ENOENT;
}

int sensor_set__open(struct sensor_set *set, const char *list, const struct sensor_config *c,
		     char *err, size_t errlen)
{
	const struct sensor_ops *named[SENSOR_NR_ROLES];
	char why[512];
	int ret;

	memset(set, 0, sizeof(*set));
	ret = parse_list(list, named, err, errlen);
	if (ret)
		return ret;
	for (int r = 0; r < SENSOR_NR_ROLES; r++) {
		if (named[r]) {
			ret = sensor__open(&set->role[r], named[r], c, why, sizeof(why));
			if (ret)
				snprintf(err, errlen, "--sensor %s: %s", named[r]->name, why);
		} else {
			ret = open_auto(&set->role[r], r, c, err, errlen);
			if (ret == -ENOENT && r != SENSOR_ROLE_CPU)
				ret = 0;	/* no GPU, no meter: that part is not measured */
			else if (ret == -ENOENT)
				snprintf(err, errlen, "no sensor for the CPUs");
		}
		if (ret) {
			sensor_set__close(set);
			return ret;
		}
	}
	return 0;
}

int sensor_set__read(struct sensor_set *set, const struct sensor_input *in,
		     struct sensor_reading *out)
{
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < WP_MAX_SOCKETS; i++)
		for (int d = 0; d < ENERGY_NR_DOMAINS; d++)
			out->sockets[i].idle_w[d] = -1;
	for (int r = 0; r < SENSOR_NR_ROLES; r++) {
		struct sensor *s = &set->role[r];
		int err;

		if (!s->ops)
			continue;
		err = s->ops->read(s, in, out);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

void sensor_set__close(struct sensor_set *set)
{
	for (int r = 0; r < SENSOR_NR_ROLES; r++)
		sensor__close(&set->role[r]);
}

const struct sensor_ops *sensor_set__ops(const struct sensor_set *set, enum sensor_role role)
{
	if ((unsigned int)role >= SENSOR_NR_ROLES)
		return NULL;
	return set->role[role].ops;
}

const struct sensor *sensor_set__get(const struct sensor_set *set, enum sensor_role role)
{
	if ((unsigned int)role >= SENSOR_NR_ROLES || !set->role[role].ops)
		return NULL;
	return &set->role[role];
}

int sensor__list(FILE *f, const struct sensor_config *c)
{
	const struct sensor_ops *used[SENSOR_NR_ROLES] = {};
	char why[1024], found[8192];
	struct sensor s;

	fprintf(f, "sensors (the table, in the order auto tries them within a role):\n");
	for (int i = 0; sensor_table[i]; i++) {
		const struct sensor_ops *ops = sensor_table[i];
		int ret = sensor__open(&s, ops, c, why, sizeof(why));

		fprintf(f, "%-10s %-8s ", ops->name, sensor_role_name(ops->role));
		if (ret) {
			fprintf(f, "%s: %s\n", ret == -ENOENT ? "absent" : "unusable", why);
			continue;
		}
		fprintf(f, "found\n");
		if (ops->describe) {
			found[0] = '\0';
			ops->describe(&s, found, sizeof(found));
			fputs(found, f);
		}
		/* what auto takes: the first of the role that opens, a fallback last */
		if (!used[ops->role] || (used[ops->role]->fallback && !ops->fallback))
			used[ops->role] = ops;
		sensor__close(&s);
	}
	fprintf(f, "auto uses:\n");
	for (int r = 0; r < SENSOR_NR_ROLES; r++)
		fprintf(f, "%-10s %s\n", sensor_role_name(r), used[r] ? used[r]->name :
			r == SENSOR_ROLE_CPU ? "none (no sensor opens)" : "none (not measured)");
	return used[SENSOR_ROLE_CPU] ? 0 : -ENOENT;
}
