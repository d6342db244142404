// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * hwmon power meters and energy counters; see hwmon.h. The pure part
 * (names, the table, the energy of a reading) comes first and does no I/O;
 * the sysfs part follows.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "energy/hwmon.h"
#include "lib/util.h"

/*
 * What each chip measures, one line per chip and channel; the first line
 * that matches a channel wins. Each says where its behaviour is documented:
 * none of these chips has been seen on hardware by wattprobe's tests, which
 * use tests/tools/fakehwmon.c.
 */
static const struct hwmon_rule hwmon_rules[] = {
	/* ACPI 4.0 power meter: the whole system's average power
	 * (Documentation/hwmon/acpi_power_meter.rst) */
	{ "power_meter", NULL, HWMON_PLATFORM, "ACPI power meter" },
	/* AMD Zen RAPL counters, per socket "Esocket<N>" and per core "Ecore<N>"
	 * (Documentation/hwmon/amd_energy.rst): the sockets only, cores are in them */
	{ "amd_energy", "Esocket*", HWMON_CPU, "AMD socket energy (amd_energy)" },
	/* APM X-Gene arm64 SoC: power1 "CPU power", power2 "IO power"
	 * (drivers/hwmon/xgene-hwmon.c) */
	{ "apm_xgene", "CPU power", HWMON_CPU, "X-Gene CPU power" },
	/* TI INA3221 on NVIDIA Jetson modules: channel "VDD_IN" is the module's input
	 * (arch/arm64/boot/dts/nvidia/tegra194-p3668.dtsi, tegra234-p3767.dtsi) */
	{ "ina3221", "VDD_IN", HWMON_PLATFORM, "Jetson module input (INA3221)" },
};

static const char *const type_names[HWMON_T_NR] = {
	[HWMON_T_IN] = "in", [HWMON_T_CURR] = "curr", [HWMON_T_POWER] = "power",
	[HWMON_T_ENERGY] = "energy",
};

/* --- pure helpers -------------------------------------------------------------------- */

int hwmon_parse_attr(const char *name, enum hwmon_type *type, int *n, const char **item)
{
	for (int t = 0; t < HWMON_T_NR; t++) {
		size_t len = strlen(type_names[t]);
		const char *p = name + len;
		long v = 0;

		if (strncmp(name, type_names[t], len) || *p < '0' || *p > '9')
			continue;
		for (; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (*p - '0');
			if (v > INT_MAX)
				return -EINVAL;
		}
		if (*p != '_' || !p[1])
			return -EINVAL;
		*type = t;
		*n = (int)v;
		*item = p + 1;
		return 0;
	}
	return -EINVAL;
}

static bool label_matches(const char *pattern, const char *label)
{
	size_t len;

	if (!pattern)
		return true;
	len = strlen(pattern);
	if (len && pattern[len - 1] == '*')
		return !strncmp(pattern, label, len - 1);
	return !strcmp(pattern, label);
}

const struct hwmon_rule *hwmon_match(const char *chip, const char *label)
{
	for (size_t i = 0; i < sizeof(hwmon_rules) / sizeof(hwmon_rules[0]); i++)
		if (!strcmp(hwmon_rules[i].chip, chip) &&
		    label_matches(hwmon_rules[i].label, label))
			return &hwmon_rules[i];
	return NULL;
}

int hwmon_socket_of(const char *label)
{
	const char *p = strstr(label, "socket");
	long v = 0;

	if (!p || p[6] < '0' || p[6] > '9')
		return 0;
	for (p += 6; *p >= '0' && *p <= '9' && v < 1000000; p++)
		v = v * 10 + (*p - '0');
	return *p ? 0 : (int)v;
}

int hwmon_parse_value(const char *buf, size_t len, long long *out)
{
	unsigned long long v = 0;
	bool neg = false;
	size_t i = 0;

	if (len && buf[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == len || buf[i] < '0' || buf[i] > '9')
		return -EINVAL;
	for (; i < len && buf[i] != '\n'; i++) {
		unsigned int d = (unsigned char)buf[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > ((unsigned long long)LLONG_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

int hwmon_step(struct hwmon_channel *c, long long value, __u64 elapsed_ns, __u64 *uj)
{
	double uw = value > 0 ? (double)value : 0, e;
	bool had = c->have_last;

	*uj = 0;
	c->have_last = true;
	if (c->kind == HWMON_ENERGY) {
		__u64 cur = value > 0 ? (__u64)value : 0;
		__u64 last = c->last_uj;

		c->last_uj = cur;
		if (!had)
			return HWMON_FIRST;
		if (cur < last)
			return HWMON_RESET;	/* cur is the new baseline */
		*uj = cur - last;
		return HWMON_OK;
	}
	if (c->kind == HWMON_POWER_AVERAGE) {
		/* the meter's own average over (about) the interval */
		e = uw * (double)elapsed_ns / 1e9;
	} else {
		/* an instantaneous power: the trapezoid of the last and this reading */
		if (!had) {
			c->last_uw = uw;
			return HWMON_FIRST;
		}
		e = (c->last_uw + uw) / 2 * (double)elapsed_ns / 1e9;
	}
	c->last_uw = uw;
	*uj = (__u64)(e + 0.5);
	return HWMON_OK;
}

const char *hwmon_kind_name(enum hwmon_kind k)
{
	switch (k) {
	case HWMON_ENERGY:
		return "energy";
	case HWMON_POWER_AVERAGE:
		return "power average";
	case HWMON_POWER_INPUT:
		return "power input";
	case HWMON_CURR_VOLT:
		return "curr x volt";
	}
	return "unknown";
}

const char *hwmon_role_name(enum hwmon_role r)
{
	return r == HWMON_CPU ? "cpu" : r == HWMON_PLATFORM ? "platform" : "unused";
}

const char *hwmon_status_name(int status)
{
	switch (status) {
	case HWMON_FIRST:
		return "first reading";
	case HWMON_UNREADABLE:
		return "unreadable";
	case HWMON_GARBAGE:
		return "garbage";
	case HWMON_RESET:
		return "counter reset";
	default:
		return NULL;
	}
}

/* --- sysfs ----------------------------------------------------------------------- */

/* A small attribute into buf, NUL-terminated, the first newline cut. Length or -errno. */
static int read_attr(const char *dir, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX + 64];
	char *nl;
	int n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, attr) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = read_small_file(path, buf, size);
	if (n < 0)
		return n;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return (int)strlen(buf);
}

static bool has_attr(const char *dir, const char *attr)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	return !access(path, F_OK);
}

/* hwmonN entries, in the order of N. */
static int hwmon_filter(const struct dirent *d)
{
	const char *p = d->d_name + 5;

	if (strncmp(d->d_name, "hwmon", 5) || !*p)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

static int cmp_hwmon(const struct dirent **a, const struct dirent **b)
{
	long x = atol((*a)->d_name + 5), y = atol((*b)->d_name + 5);

	return x < y ? -1 : x > y;
}

/* What one chip directory holds: per type, the numbers with an _input (or _average). */
struct chip_files {
	unsigned char has[HWMON_T_NR][64];	/* bit 0 input, 1 average, 2 label */
};

static void list_files(const char *dir, struct chip_files *f)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	memset(f, 0, sizeof(*f));
	if (!d)
		return;
	while ((e = readdir(d))) {
		enum hwmon_type t;
		const char *item;
		int n;

		if (hwmon_parse_attr(e->d_name, &t, &n, &item) || n >= 64)
			continue;
		if (!strcmp(item, "input"))
			f->has[t][n] |= 1;
		else if (!strcmp(item, "average"))
			f->has[t][n] |= 2;
		else if (!strcmp(item, "label"))
			f->has[t][n] |= 4;
	}
	closedir(d);
}

static void channel_label(const char *dir, enum hwmon_type t, int n, char *label, size_t size)
{
	char attr[32];

	snprintf(attr, sizeof(attr), "%s%d_label", type_names[t], n);
	if (read_attr(dir, attr, label, size) <= 0)
		snprintf(label, size, "%s%d", type_names[t], n);
}

/* How often the chip says it updates the channel, in ms; 0 when it does not say. */
static double update_ms(const char *dir, const struct hwmon_channel *c)
{
	char attr[48], buf[32];
	long long v;
	int ret;

	snprintf(attr, sizeof(attr), "power%d_average_interval", c->n);
	if (c->kind != HWMON_POWER_AVERAGE || read_attr(dir, attr, buf, sizeof(buf)) <= 0)
		snprintf(attr, sizeof(attr), "update_interval");
	ret = read_attr(dir, attr, buf, sizeof(buf));
	if (ret <= 0 || hwmon_parse_value(buf, ret, &v) || v <= 0)
		return 0;
	return (double)v;
}

static void add_channel(struct hwmon *h, const char *dir, const char *entry, const char *chip,
			enum hwmon_kind kind, enum hwmon_type t, int n, int m)
{
	struct hwmon_channel *c;

	if (h->nr == HWMON_MAX_CHANNELS)
		return;
	c = &h->ch[h->nr++];
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->hwmon, sizeof(c->hwmon), "%s", entry);
	snprintf(c->chip, sizeof(c->chip), "%s", chip);
	c->kind = kind;
	c->n = n;
	c->m = m;
	c->fd = c->fd2 = -1;
	channel_label(dir, t, n, c->label, sizeof(c->label));
	if (t == HWMON_T_CURR && !strncmp(c->label, "curr", 4))
		channel_label(dir, HWMON_T_IN, m, c->label, sizeof(c->label));
	c->rule = hwmon_match(chip, c->label);
	c->role = c->rule ? c->rule->role : HWMON_UNUSED;
	c->socket = c->role == HWMON_CPU ? hwmon_socket_of(c->label) : 0;
	c->update_ms = update_ms(dir, c);
}

/* inM with currN's label (or, when curr has none, inN's), else inN; -1 when there is no in. */
static int matching_in(const char *dir, const struct chip_files *f, int n)
{
	char cl[64], il[64];

	if (f->has[HWMON_T_CURR][n] & 4) {
		channel_label(dir, HWMON_T_CURR, n, cl, sizeof(cl));
		for (int m = 0; m < 64; m++) {
			if (!(f->has[HWMON_T_IN][m] & 1) || !(f->has[HWMON_T_IN][m] & 4))
				continue;
			channel_label(dir, HWMON_T_IN, m, il, sizeof(il));
			if (!strcmp(cl, il))
				return m;
		}
	}
	return f->has[HWMON_T_IN][n] & 1 ? n : -1;
}

/* Every power and energy channel of one chip. */
static void scan_chip(struct hwmon *h, const char *root, const char *entry)
{
	char dir[PATH_MAX], chip[64];
	struct chip_files f;
	bool power = false;

	snprintf(dir, sizeof(dir), "%s/%s", root, entry);
	/* older drivers keep their attributes in the device's directory */
	if (!has_attr(dir, "name") && has_attr(dir, "device/name"))
		snprintf(dir, sizeof(dir), "%s/%s/device", root, entry);
	if (read_attr(dir, "name", chip, sizeof(chip)) <= 0)
		return;
	h->nr_chips++;
	list_files(dir, &f);
	for (int n = 0; n < 64; n++) {
		if (f.has[HWMON_T_ENERGY][n] & 1)
			add_channel(h, dir, entry, chip, HWMON_ENERGY, HWMON_T_ENERGY, n, 0);
		if (f.has[HWMON_T_POWER][n] & 3) {
			power = true;
			add_channel(h, dir, entry, chip,
				    f.has[HWMON_T_POWER][n] & 2 ? HWMON_POWER_AVERAGE :
								HWMON_POWER_INPUT,
				    HWMON_T_POWER, n, 0);
		}
	}
	if (power)
		return;
	/* no power file: current x voltage, channel by channel */
	for (int n = 0; n < 64; n++) {
		int m;

		if (!(f.has[HWMON_T_CURR][n] & 1))
			continue;
		m = matching_in(dir, &f, n);
		if (m >= 0)
			add_channel(h, dir, entry, chip, HWMON_CURR_VOLT, HWMON_T_CURR, n, m);
	}
}

/* Better sources first: a counter, then a meter's average, then instantaneous readings. */
static int kind_rank(enum hwmon_kind k)
{
	static const int rank[] = {
		[HWMON_ENERGY] = 0, [HWMON_POWER_AVERAGE] = 1, [HWMON_POWER_INPUT] = 2,
		[HWMON_CURR_VOLT] = 3,
	};

	return rank[k];
}

/*
 * One channel per role and socket: two that say the same thing (an energy
 * and a power file of one rail, two power meters) would count it twice. The
 * best kind counts, then the first found; the others are left unused, with
 * same_as naming the one that counts.
 */
static void one_per_role(struct hwmon *h)
{
	for (int i = 0; i < h->nr; i++) {
		struct hwmon_channel *a = &h->ch[i];

		a->same_as = -1;
		if (a->role == HWMON_UNUSED)
			continue;
		for (int j = 0; j < h->nr; j++) {
			struct hwmon_channel *b = &h->ch[j];

			if (j == i || b->role != a->role || b->socket != a->socket)
				continue;
			if (kind_rank(b->kind) < kind_rank(a->kind) ||
			    (kind_rank(b->kind) == kind_rank(a->kind) && j < i)) {
				a->same_as = j;
				break;
			}
		}
	}
	/* after the loop: a channel dropped for one that is dropped in turn still defers */
	for (int i = 0; i < h->nr; i++)
		if (h->ch[i].same_as >= 0)
			h->ch[i].role = HWMON_UNUSED;
}

static int open_file(const char *dir, const char *type, int n, const char *item)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s%d_%s", dir, type, n, item);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int open_channel(struct hwmon_channel *c)
{
	switch (c->kind) {
	case HWMON_ENERGY:
		c->fd = open_file(c->dir, "energy", c->n, "input");
		break;
	case HWMON_POWER_AVERAGE:
		c->fd = open_file(c->dir, "power", c->n, "average");
		break;
	case HWMON_POWER_INPUT:
		c->fd = open_file(c->dir, "power", c->n, "input");
		break;
	case HWMON_CURR_VOLT:
		c->fd = open_file(c->dir, "curr", c->n, "input");
		if (c->fd >= 0) {
			c->fd2 = open_file(c->dir, "in", c->m, "input");
			if (c->fd2 < 0) {
				close(c->fd);
				c->fd = c->fd2;
				c->fd2 = -1;
			}
		}
		break;
	}
	return c->fd < 0 ? c->fd : 0;
}

int hwmon__open(struct hwmon *h, const char *root, unsigned int want, char *err, size_t errlen)
{
	struct dirent **ents = NULL;
	int n, used = 0, ret = 0;

	memset(h, 0, sizeof(*h));
	n = scandir(root, &ents, hwmon_filter, cmp_hwmon);
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "no hwmon chip: failed to list %s: %s", root, strerror(-ret));
		return ret == -ENOENT || ret == -ENOTDIR ? -ENOENT : ret;
	}
	for (int i = 0; i < n; i++) {
		scan_chip(h, root, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	one_per_role(h);
	for (int i = 0; i < h->nr; i++) {
		struct hwmon_channel *c = &h->ch[i];

		if (c->role == HWMON_UNUSED || !(want & HWMON_WANT(c->role)))
			continue;
		ret = open_channel(c);
		c->opened = !ret;
		if (ret) {
			snprintf(err, errlen, "failed to open %s (%s \"%s\"): %s%s", c->dir,
				 c->chip, c->label, strerror(-ret),
				 ret == -EACCES ? "; some chips' energy is root-only (amd_energy: "
						  "CVE-2020-12912): run as root" : "");
			hwmon__close(h);
			return ret;
		}
		used++;
	}
	if (!used) {
		snprintf(err, errlen, "no %s wattprobe knows under %s (%d chip%s, %d power or "
			 "energy channel%s, none in its table)",
			 want == HWMON_WANT(HWMON_CPU) ? "CPU meter" :
			 want == HWMON_WANT(HWMON_PLATFORM) ? "platform meter" : "meter", root,
			 h->nr_chips, h->nr_chips == 1 ? "" : "s", h->nr, h->nr == 1 ? "" : "s");
		return -ENOENT;
	}
	return 0;
}

/* One value of an open file: 0, HWMON_UNREADABLE or HWMON_GARBAGE. */
static int read_value(int fd, long long *v)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	if (n < 0)
		return HWMON_UNREADABLE;
	if (n == sizeof(buf) || hwmon_parse_value(buf, n, v))
		return HWMON_GARBAGE;
	return 0;
}

int hwmon__read(struct hwmon *h, __u64 elapsed_ns, struct hwmon_reading *out)
{
	for (int i = 0; i < h->nr; i++) {
		struct hwmon_channel *c = &h->ch[i];
		long long v = 0, mv = 0;
		int ret;

		out[i] = (struct hwmon_reading){ 0 };
		if (c->role == HWMON_UNUSED || !c->opened)
			continue;
		if (c->fd < 0 && open_channel(c)) {
			/* gone (a chip unbound): try again next time, from a fresh reading */
			c->have_last = false;
			out[i].status = HWMON_UNREADABLE;
			continue;
		}
		ret = read_value(c->fd, &v);
		if (!ret && c->kind == HWMON_CURR_VOLT) {
			ret = read_value(c->fd2, &mv);
			v = v * mv;	/* mA x mV = uW */
		}
		if (ret) {
			if (ret == HWMON_UNREADABLE) {
				close(c->fd);
				if (c->fd2 >= 0)
					close(c->fd2);
				c->fd = c->fd2 = -1;
			}
			c->have_last = false;
			out[i].status = ret;
			continue;
		}
		out[i].status = hwmon_step(c, v, elapsed_ns, &out[i].uj);
		if (c->kind != HWMON_ENERGY)
			out[i].uw = v > 0 ? (double)v : 0;
	}
	return h->nr;
}

void hwmon__close(struct hwmon *h)
{
	for (int i = 0; i < h->nr; i++) {
		if (h->ch[i].fd >= 0)
			close(h->ch[i].fd);
		if (h->ch[i].fd2 >= 0)
			close(h->ch[i].fd2);
		h->ch[i].fd = h->ch[i].fd2 = -1;
	}
}
