/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Energy sensors behind one small set of operations. A sensor turns one
 * interval into energy per socket and domain (an array indexed by
 * enum energy_domain), plus what it knows of the hardware for the idle
 * baseline: each domain's long-term power limit, or its own idle power when
 * the sensor is a model. The sampler reads nothing else of a sensor.
 *
 * A new sensor is one file that defines a const struct sensor_ops and one
 * line in the table of src/sensor.c.
 */
#ifndef __SENSOR_H
#define __SENSOR_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "kernel/topology.h"	/* WP_MAX_SOCKETS */

enum energy_domain {
	ENERGY_PACKAGE,
	ENERGY_CORE,
	ENERGY_UNCORE,
	ENERGY_DRAM,
	ENERGY_PSYS,		/* the platform; the host's, never a socket's */
	ENERGY_NR_DOMAINS,
};

enum sensor_kind { SENSOR_AUTO, SENSOR_RAPL, SENSOR_MODEL };

struct sensor_config {
	const char *powercap_root;	/* rapl: default /sys/class/powercap */
	double tdp_w;			/* model: watts per socket at full load; <= 0: default */
	double idle_w;			/* model: idle watts per socket; < 0: default */
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
	struct sensor_socket sockets[WP_MAX_SOCKETS];
	bool have_psys;			/* the platform (psys) energy of the host */
	__u64 psys_uj;
	double psys_limit_w;
	const char *psys_limit_from;
};

struct sensor;

struct sensor_ops {
	const char *name;		/* "rapl", "model": what outputs show */
	bool estimated;			/* energy from a model, not measured */
	/* 0, or -errno with a one-line reason in err; -ENOENT: no such hardware */
	int (*open)(struct sensor *s, const struct sensor_config *c, char *err, size_t errlen);
	/* One interval into out (zeroed by the caller). 0 or -errno. */
	int (*read)(struct sensor *s, const struct sensor_input *in, struct sensor_reading *out);
	void (*close)(struct sensor *s);
};

struct sensor {
	const struct sensor_ops *ops;	/* NULL when closed */
	void *priv;			/* the sensor's own state */
};

extern const struct sensor_ops rapl_sensor, model_sensor;

/*
 * The model sensor (src/sensor_model.c), for machines without RAPL: per
 * online CPU of a socket, the minimum and maximum watts per vCPU that the
 * Cloud Carbon Footprint methodology gives for a cloud provider's unknown
 * hardware (from SPECpower results), averaged over its three providers:
 * AWS 0.74 / 3.5, GCP 0.71 / 4.26, Azure 0.78 / 3.76.
 */
#define MODEL_IDLE_W_PER_CPU	((0.74 + 0.71 + 0.78) / 3)	/* 0.743 W */
#define MODEL_FULL_W_PER_CPU	((3.5 + 4.26 + 3.76) / 3)	/* 3.84 W */

/* The model's power: idle + (full - idle) * util, util clamped to 0..1. */
double model_power_w(double full_w, double idle_w, double util);

/*
 * Open the sensor of that kind. SENSOR_AUTO tries RAPL, then the model; it
 * says why on stderr when RAPL is there but unusable (always) or absent
 * (with verbose). err gets a one-line reason on failure.
 */
int sensor__open(struct sensor *s, enum sensor_kind kind, const struct sensor_config *c,
		 char *err, size_t errlen);
/* Read one interval; out is zeroed first. */
int sensor__read(struct sensor *s, const struct sensor_input *in, struct sensor_reading *out);
void sensor__close(struct sensor *s);

/* "package", "core", "uncore", "dram", "psys"; "unknown" out of range. */
const char *energy_domain_name(enum energy_domain d);

#endif /* __SENSOR_H */
