// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The table of energy sensors: --sensor's names and help, and the order in which
 * auto tries them within a role, are made from it. A new sensor is a file of its
 * own that defines `const struct sensor_ops NAME_sensor`, and one line here.
 */
#include <stddef.h>
#include "energy/sensor.h"

/* In the order auto tries them within a role (fallbacks are tried last). */
#define SENSORS(X)	\
	X(rapl)		\
	X(hwmon_cpu)	\
	X(nvml)		\
	X(hwmon)	\
	X(model)	\
	/* a new one goes above this line */

#define DECLARE(name) extern const struct sensor_ops name##_sensor;
#define ENTRY(name) &name##_sensor,
SENSORS(DECLARE)

const struct sensor_ops *const sensor_table[] = { SENSORS(ENTRY) NULL };
