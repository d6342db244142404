/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Power meters and energy counters of the kernel's hwmon class
 * (/sys/class/hwmon/hwmonN), following its sysfs ABI
 * (Documentation/hwmon/sysfs-interface.rst): files <type><N>_<item>, one
 * fixed-point number each, `name` the chip's name, `<type><N>_label` a
 * channel's name.
 *
 *  - energyN_input: cumulative energy, microjoules;
 *  - powerN_average (average power, microwatts, over powerN_average_interval
 *    ms) or else powerN_input (instantaneous power, microwatts);
 *  - currN_input (milliamperes) x inM_input (millivolts) where a chip has no
 *    power file for the channel: M is the in channel with currN's label (or,
 *    when curr has no label of its own, inN's), else N.
 *
 * Which channels count, and for what, is a table (hwmon_rules in hwmon.c):
 * one line per chip (and label), so a new meter is one line. A platform meter
 * measures the whole machine; a CPU meter a socket's package, for machines
 * without RAPL (arm64 SoCs, AMD's amd_energy). Channels no line names are
 * listed (--sensor) but not read.
 *
 * The pure part (parsing names, matching the table, the energy of a reading)
 * comes first in hwmon.c; the sysfs part after it.
 */
#ifndef __HWMON_H
#define __HWMON_H

#include <limits.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#define HWMON_MAX_CHANNELS	64

/* What a channel measures for wattprobe. */
enum hwmon_role {
	HWMON_UNUSED,		/* a power or energy channel no rule names */
	HWMON_CPU,		/* a socket's package */
	HWMON_PLATFORM,		/* the whole machine */
};

/* How its energy is read. */
enum hwmon_kind {
	HWMON_ENERGY,		/* energyN_input, uJ */
	HWMON_POWER_AVERAGE,	/* powerN_average, uW */
	HWMON_POWER_INPUT,	/* powerN_input, uW */
	HWMON_CURR_VOLT,	/* currN_input mA x inM_input mV = uW */
};

/* One line of the table: a chip (and a channel label) and what it measures. */
struct hwmon_rule {
	const char *chip;	/* the chip's name file, exactly */
	const char *label;	/* the channel's label (a prefix if it ends in '*'); NULL: any */
	enum hwmon_role role;
	const char *what;	/* what it is, for --sensor and the docs */
};

enum hwmon_status {
	HWMON_OK = 0,
	HWMON_FIRST = 1,	/* first reading of a counter or a trapezoid: no energy yet */
	HWMON_UNREADABLE = -1,	/* the read failed (the chip went away, -ENODATA: disabled) */
	HWMON_GARBAGE = -2,	/* not a number */
	HWMON_RESET = -3,	/* an energy counter went backwards */
};

struct hwmon_channel {
	char dir[PATH_MAX];	/* where its files are: hwmonN, or hwmonN/device */
	char hwmon[32];		/* "hwmonN" */
	char chip[64];		/* the chip's name */
	char label[64];		/* the channel's label, or "<type>N" without one */
	enum hwmon_role role;
	enum hwmon_kind kind;
	const struct hwmon_rule *rule;
	int socket;		/* HWMON_CPU: the socket it measures (from "Esocket<N>"), else 0 */
	int n, m;		/* the file numbers: <type>N, and inM for HWMON_CURR_VOLT */
	int fd, fd2;		/* open files (fd2: inM_input); -1 when not open */
	double update_ms;	/* how often the chip updates it, from sysfs; 0 unknown */
	bool have_last;
	__u64 last_uj;		/* energy counters */
	double last_uw;		/* power readings, for the trapezoid */
	int reported;		/* last status warned about (0: none) */
	int same_as;		/* unused: the channel of the same role that counts, or -1 */
	bool opened;		/* its role is wanted: opened and read */
};

struct hwmon {
	struct hwmon_channel ch[HWMON_MAX_CHANNELS];
	int nr;
	int nr_chips;		/* chips under the root, counted or not */
};

struct hwmon_reading {
	int status;		/* enum hwmon_status */
	__u64 uj;		/* energy of the interval for HWMON_OK, else 0 */
	double uw;		/* power read now (power and curr x volt channels), else 0 */
};

/* --- pure helpers, no I/O ------------------------------------------------------ */

/* The types of attribute wattprobe reads. */
enum hwmon_type { HWMON_T_IN, HWMON_T_CURR, HWMON_T_POWER, HWMON_T_ENERGY, HWMON_T_NR };

/*
 * Split an attribute file name "<type><N>_<item>" (type one of in, curr,
 * power, energy; N digits): *item points into name, after the '_'. 0, or
 * -EINVAL for any other name.
 */
int hwmon_parse_attr(const char *name, enum hwmon_type *type, int *n, const char **item);

/* The first rule of the table for this chip and channel label, or NULL. */
const struct hwmon_rule *hwmon_match(const char *chip, const char *label);

/* The socket a CPU channel measures: N of a label ending in "socket<N>", else 0. */
int hwmon_socket_of(const char *label);

/*
 * Parse a sysfs value: an optionally signed decimal, optionally ended by a
 * newline. 0, -EINVAL or -ERANGE.
 */
int hwmon_parse_value(const char *buf, size_t len, long long *out);

/*
 * A channel's energy over elapsed_ns from its reading now, given the
 * previous one: an energy counter's step (backwards: HWMON_RESET); an
 * average power's reading x elapsed (the meter's own average); an
 * instantaneous power's trapezoid (the mean of the last and this reading).
 * Updates c->last_*; returns the status and sets *uj.
 */
int hwmon_step(struct hwmon_channel *c, long long value, __u64 elapsed_ns, __u64 *uj);

/* "energy", "power average", "power input", "curr x volt" */
const char *hwmon_kind_name(enum hwmon_kind k);
/* "cpu", "platform", "unused" */
const char *hwmon_role_name(enum hwmon_role r);
/* Why a status is a gap: "unreadable", ...; NULL for good ones. */
const char *hwmon_status_name(int status);

/* --- sysfs ----------------------------------------------------------------------- */

#define HWMON_WANT(role)	(1u << (role))

/*
 * Find every power and energy channel under root ("/sys/class/hwmon") and the
 * table's role of each, and open those of the roles want has
 * (HWMON_WANT(HWMON_PLATFORM) | ...). 0 when some channel of those roles is
 * there; -ENOENT when none is (no root, no chip, no chip the table names; err
 * says which); other -errno when such a channel cannot be read (err names it
 * and the remedy). No reading is taken.
 */
int hwmon__open(struct hwmon *h, const char *root, unsigned int want, char *err,
		size_t errlen);
/* Read every opened channel; out[i] for ch[i]. Returns h->nr. */
int hwmon__read(struct hwmon *h, __u64 elapsed_ns, struct hwmon_reading *out);
void hwmon__close(struct hwmon *h);

#endif /* __HWMON_H */
