// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: parsers of sysfs values (powercap energy and names, cpulists, hwmon). */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "energy/hwmon.h"
#include "energy/rapl.h"
#include "kernel/topology.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	unsigned long long a, b;
	enum energy_domain dom;
	bool mask[WP_MAX_CPUS];
	__u64 v, delta, u[3];
	int socket, n;
	enum hwmon_type t;
	const char *item;
	long long sv;

	memcpy(s, data, size);
	s[size] = '\0';

	/* the two u64 line parsers agree, and a parsed value prints back */
	if (!parse_u64_line(s, size, &a)) {
		assert(!parse_u64_line(s, size, &v) && v == a);
	}
	if (!rapl_parse_zone_name(s, &dom, &socket, NULL))
		assert(dom < ENERGY_NR_DOMAINS && socket >= -1);
	/* hwmon: a value that parses unsigned parses signed alike; names split inside s */
	if (!hwmon_parse_value(s, size, &sv) && !parse_u64_line(s, size, &a))
		assert(sv >= 0 && (unsigned long long)sv == a);
	if (!hwmon_parse_attr(s, &t, &n, &item))
		assert(t < HWMON_T_NR && n >= 0 && item > s && item < s + size && *item);
	(void)hwmon_socket_of(s);
	n = cpulist_count(s);
	if (!cpulist_parse(s, mask, WP_MAX_CPUS) && n > 0) {
		/* every CPU in the mask is below the count */
		for (int i = n; i < WP_MAX_CPUS; i++)
			assert(!mask[i]);
	}
	/* energy steps: a delta is never more than the plausible ceiling */
	if (size >= sizeof(u)) {
		memcpy(u, data, sizeof(u));
		b = u[2] % 4000000000ULL;
		switch (rapl_energy_delta(u[0], u[1], u[2], b, &delta)) {
		case RAPL_OK:
			assert(delta == u[1] - u[0] && delta <= b);
			break;
		case RAPL_WRAPPED:
			assert(delta <= b);
			break;
		default:
			break;
		}
	}
	free(s);
	return 0;
}
