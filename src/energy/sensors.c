// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The table of energy sensors: --sensor's names and help, and the order in which
 * auto tries them within a role, are made from it. A new sensor is a file of its
 * own and one line here.
 */
#include <stddef.h>
#include "energy/sensor.h"

extern const struct sensor_ops rapl_sensor, model_sensor;

const struct sensor_ops *const sensor_table[] = {
	&rapl_sensor,		/* cpu: RAPL through the powercap sysfs */
	&model_sensor,		/* cpu: the power model, where nothing measures */
	NULL,
};
