/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* CPU to socket map, from /sys/devices/system/cpu. */
#ifndef __TOPOLOGY_H
#define __TOPOLOGY_H

#include <stdbool.h>

#define WP_MAX_CPUS	4096
#define WP_MAX_SOCKETS	16

struct topology {
	char root[256];			/* normally /sys/devices/system/cpu */
	int nr_cpus;			/* possible CPUs: the per-CPU map has this many values */
	int nr_sockets;			/* distinct package ids among CPUs seen online */
	int socket_ids[WP_MAX_SOCKETS];	/* package id of each socket index, ascending */
	short socket_of[WP_MAX_CPUS];	/* socket index of each CPU, -1 unknown */
	bool online[WP_MAX_CPUS];
	int online_in_socket[WP_MAX_SOCKETS];
	bool one_socket;		/* every CPU counts in socket 0 (topology__one_socket) */
};

/* Parse a kernel cpulist ("0-3,5,8-9\n") into mask[0..n). 0 or -EINVAL. */
int cpulist_parse(const char *text, bool *mask, int n);
/* Highest CPU number in a cpulist plus one, or -EINVAL. */
int cpulist_count(const char *text);

/* Read possible/online CPUs and each online CPU's physical_package_id. */
int topology__load(struct topology *t, const char *root);
/* Re-read the online mask and the package of CPUs that came online. 1 if changed, 0, or -errno. */
int topology__refresh(struct topology *t);
/* Count every CPU, now and later, in one socket (id 0): for energy measured for the machine
 * as a whole (a guest's export). */
void topology__one_socket(struct topology *t);

static inline int topology__socket_of(const struct topology *t, int cpu)
{
	return cpu >= 0 && cpu < t->nr_cpus ? t->socket_of[cpu] : -1;
}

#endif /* __TOPOLOGY_H */
