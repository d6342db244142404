/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Energy sensors behind one small set of operations. A sensor turns one
 * interval into energy for its part of the machine (its role): the CPU
 * packages and DRAM per socket and domain (an array indexed by enum
 * energy_domain), the GPUs, the platform. It also says what it knows of the
 * hardware for the idle baselines: each domain's long-term power limit, or its
 * own idle power when the sensor is a model. The sampler reads nothing else of
 * a sensor.
 *
 * A new sensor is one file that defines a const struct sensor_ops and one
 * line in the table of src/energy/sensors.c, which makes --sensor, its help
 * and the order in which auto tries them (docs/HACKING.md shows the diff).
 */
#ifndef __SENSOR_H
#define __SENSOR_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "energy/domain.h"
#include "energy/gpu.h"		/* struct gpu_reading, WP_MAX_GPUS */
#include "kernel/topology.h"	/* WP_MAX_SOCKETS */

/* What part of the machine a sensor measures; at most one sensor per role is open. */
enum sensor_role {
	SENSOR_ROLE_CPU,	/* CPU packages and DRAM, per socket (struct sensor_socket) */
	SENSOR_ROLE_GPU,	/* accelerators */
	SENSOR_ROLE_PLATFORM,	/* the whole platform (a power meter) */
	SENSOR_NR_ROLES,
};

/* Every sensor's settings (from the command line); each reads its own. */
struct sensor_config {
	const char *powercap_root;	/* rapl: default /sys/class/powercap */
	double tdp_w;			/* model: watts per socket at full load; <= 0: default */
	double idle_w;			/* model: idle watts per socket; < 0: default */
	const char *nvml_library;	/* nvml: the library; NULL: libnvidia-ml.so.1 */
	const char *hwmon_root;		/* hwmon: default /sys/class/hwmon */
	bool verbose;
};

/* What the sampler knows of the interval when it reads a sensor. */
struct sensor_input {
	__u64 elapsed_ns;		/* since the previous read; 0 for the first */
	int nr_sockets;
	const int *socket_ids;		/* physical package id of each socket index */
	const int *online_cpus;		/* per socket index */
	const double *util;		/* per socket index: busy share of its CPUs, 0..1 */
};

struct sensor_socket {
	bool have[ENERGY_NR_DOMAINS];	/* energy of the domain is known this interval */
	__u64 uj[ENERGY_NR_DOMAINS];
	const char *gap;		/* why the package energy is missing, or NULL */
	/* a domain's long-term power limit (about its TDP); 0 when unknown */
	double limit_w[ENERGY_NR_DOMAINS];
	const char *limit_from[ENERGY_NR_DOMAINS];	/* the file it comes from */
	/* the sensor's own idle power (a model knows it); < 0 when unknown */
	double idle_w[ENERGY_NR_DOMAINS];
};

struct sensor_reading {
	/* the CPU role's */
	struct sensor_socket sockets[WP_MAX_SOCKETS];
	/* a sensor whose counters move at fixed times (an exported tree): the CLOCK_REALTIME
	 * of the last move and the time between two; 0 when unknown */
	__u64 updated_ns, update_period_ns;
	bool have_psys;			/* the platform (psys) energy of the host */
	__u64 psys_uj;
	double psys_limit_w;
	const char *psys_limit_from;
	/* the GPU role's: one entry per GPU */
	int nr_gpus;
	struct gpu_reading gpus[WP_MAX_GPUS];
	/* the platform role's: a meter of the whole machine */
	bool have_platform;		/* its energy is known this interval */
	__u64 platform_uj;
	const char *platform_from;	/* what measures it ("hwmon0 power_meter power1") */
	const char *platform_gap;	/* why its energy is missing, or NULL */
};

struct sensor;

struct sensor_ops {
	const char *name;		/* "rapl", "model": what --sensor and outputs say */
	const char *title;		/* for messages: "RAPL", "the power model" */
	const char *help;		/* what it reads, for --help (lines joined by '\n') */
	const char *source;		/* where its energy comes from: "powercap", "model" */
	enum sensor_role role;
	bool estimated;			/* energy from a model, not measured */
	bool fallback;			/* auto opens it only when no other sensor of its
					 * role opened (the model) */
	/* 0, or -errno with a one-line reason in err; -ENOENT: no such hardware */
	int (*open)(struct sensor *s, const struct sensor_config *c, char *err, size_t errlen);
	/* One interval into out (zeroed by the caller). 0 or -errno. */
	int (*read)(struct sensor *s, const struct sensor_input *in, struct sensor_reading *out);
	void (*close)(struct sensor *s);
	/* Optional: what it found, one line per device or channel ("  " indented),
	 * for --sensor list. */
	void (*describe)(struct sensor *s, char *buf, size_t len);
};

struct sensor {
	const struct sensor_ops *ops;	/* NULL when closed */
	void *priv;			/* the sensor's own state */
	/* set from ops by sensor__open, changed by ops->open for what it found: */
	const char *source;		/* ops->source, or e.g. "vm-export": a host's export */
	bool estimated;			/* ops->estimated, or what its source says */
	bool one_socket;		/* its energy is the machine's as one socket */
};

/*
 * The table (src/energy/sensors.c): every sensor, in the order auto tries them
 * within a role, NULL-terminated.
 */
extern const struct sensor_ops *const sensor_table[];

/* The sensors in use: one per role at most. */
struct sensor_set {
	struct sensor role[SENSOR_NR_ROLES];	/* .ops NULL: none for that role */
};

/*
 * The model sensor (src/energy/sensor_model.c), for machines without RAPL: per
 * online CPU of a socket, the minimum and maximum watts per vCPU that the
 * Cloud Carbon Footprint methodology gives for a cloud provider's unknown
 * hardware (from SPECpower results), averaged over its three providers:
 * AWS 0.74 / 3.5, GCP 0.71 / 4.26, Azure 0.78 / 3.76.
 */
#define MODEL_IDLE_W_PER_CPU	((0.74 + 0.71 + 0.78) / 3)	/* 0.743 W */
#define MODEL_FULL_W_PER_CPU	((3.5 + 4.26 + 3.76) / 3)	/* 3.84 W */

/* The model's power: idle + (full - idle) * util, util clamped to 0..1. */
double model_power_w(double full_w, double idle_w, double util);

/* The sensor of the table with that name, or NULL. */
const struct sensor_ops *sensor__find(const char *name);
/* Open one sensor (ops->open); err gets its reason. Read it with sensor__read. */
int sensor__open(struct sensor *s, const struct sensor_ops *ops, const struct sensor_config *c,
		 char *err, size_t errlen);
/* Read one interval; out is zeroed first (idle_w -1: unknown). */
int sensor__read(struct sensor *s, const struct sensor_input *in, struct sensor_reading *out);
void sensor__close(struct sensor *s);
/*
 * Check a --sensor list: "auto" or a comma list of the table's names, at most one
 * per role. 0, or -EINVAL with err saying what is wrong and what is known.
 */
int sensor__check_list(const char *list, char *err, size_t errlen);
/* --sensor's help, made from the table, into buf (lines joined by '\n'). */
void sensor__help(char *buf, size_t len);

/*
 * Open the sensors: each one list names (NULL or "auto": none) must open, or err
 * gets the reason and it fails; each role it does not name gets the first sensor
 * of the table of that role that opens, trying a fallback sensor last. A sensor
 * that is absent (-ENOENT) is passed over quietly (with verbose, in a word on
 * stderr); one that is there but unusable is worth a warning when auto goes on
 * to the next. A role without any sensor is left empty, except the CPU's, which
 * the fallback always fills.
 */
int sensor_set__open(struct sensor_set *set, const char *list, const struct sensor_config *c,
		     char *err, size_t errlen);
/* Read one interval of every open sensor into out, zeroed first. 0 or the first -errno. */
int sensor_set__read(struct sensor_set *set, const struct sensor_input *in,
		     struct sensor_reading *out);
void sensor_set__close(struct sensor_set *set);
/*
 * --sensor list: every sensor of the table, whether it opens here and what it
 * found, then what auto uses for each role, into f. 0, or -errno if none opens
 * for the CPUs.
 */
int sensor__list(FILE *f, const struct sensor_config *c);
/* The sensor of a role, NULL if none. */
const struct sensor_ops *sensor_set__ops(const struct sensor_set *set, enum sensor_role role);
/* The open sensor of a role (its source, estimated, one_socket), NULL if none. */
const struct sensor *sensor_set__get(const struct sensor_set *set, enum sensor_role role);
/* A role's name: "cpu", "gpu", "platform". */
const char *sensor_role_name(enum sensor_role role);

#endif /* __SENSOR_H */
