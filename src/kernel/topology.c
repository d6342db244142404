// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* CPU to socket map from sysfs: cpu/possible, cpu/online, cpuN/topology/physical_package_id. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/topology.h"
#include "lib/util.h"

static const char *parse_range(const char *p, long *lo, long *hi)
{
	char *end;

	if (*p < '0' || *p > '9')
		return NULL;
	*lo = strtol(p, &end, 10);
	*hi = *lo;
	if (*end == '-') {
		p = end + 1;
		if (*p < '0' || *p > '9')
			return NULL;
		*hi = strtol(p, &end, 10);
		if (*hi < *lo)
			return NULL;
	}
	return end;
}

int cpulist_parse(const char *text, bool *mask, int n)
{
	const char *p = text;
	long lo, hi;

	memset(mask, 0, n * sizeof(*mask));
	if (*p == '\n' || !*p)
		return 0;	/* empty list: no CPU */
	for (;;) {
		p = parse_range(p, &lo, &hi);
		if (!p || hi >= n)
			return -EINVAL;
		for (long i = lo; i <= hi; i++)
			mask[i] = true;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\n')
			p++;
		return *p ? -EINVAL : 0;
	}
}

int cpulist_count(const char *text)
{
	const char *p = text;
	long lo, hi, max = -1;

	for (;;) {
		p = parse_range(p, &lo, &hi);
		if (!p || hi >= WP_MAX_CPUS)
			return -EINVAL;
		if (hi > max)
			max = hi;
		if (*p != ',')
			break;
		p++;
	}
	if (*p == '\n')
		p++;
	return *p ? -EINVAL : (int)max + 1;
}

static int read_package_id(const struct topology *t, int cpu)
{
	char path[512], buf[32];
	unsigned long long id;

	snprintf(path, sizeof(path), "%s/cpu%d/topology/physical_package_id", t->root, cpu);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return -1;
	/* parse_u64_line rejects "-1", which some platforms print for unknown */
	if (parse_u64_line(buf, strlen(buf), &id) || id > 1u << 20)
		return -1;
	return (int)id;
}

static int socket_index(struct topology *t, int package_id)
{
	int i, j;

	for (i = 0; i < t->nr_sockets; i++)
		if (t->socket_ids[i] == package_id)
			return i;
	if (t->nr_sockets == WP_MAX_SOCKETS)
		return -1;
	/* keep ids ascending; CPUs already mapped keep their ids, so remap them */
	for (i = 0; i < t->nr_sockets && t->socket_ids[i] < package_id; i++)
		;
	memmove(&t->socket_ids[i + 1], &t->socket_ids[i], (t->nr_sockets - i) * sizeof(int));
	t->socket_ids[i] = package_id;
	t->nr_sockets++;
	for (j = 0; j < t->nr_cpus; j++)
		if (t->socket_of[j] >= i)
			t->socket_of[j]++;
	return i;
}

static int load_online(struct topology *t, bool *online)
{
	char path[512], buf[4096];
	int err;

	snprintf(path, sizeof(path), "%s/online", t->root);
	err = read_small_file(path, buf, sizeof(buf));
	if (err < 0)
		return err;
	return cpulist_parse(buf, online, t->nr_cpus);
}

static void count_online(struct topology *t)
{
	memset(t->online_in_socket, 0, sizeof(t->online_in_socket));
	for (int cpu = 0; cpu < t->nr_cpus; cpu++)
		if (t->online[cpu] && t->socket_of[cpu] >= 0)
			t->online_in_socket[t->socket_of[cpu]]++;
}

int topology__refresh(struct topology *t)
{
	bool online[WP_MAX_CPUS];
	int cpu, pkg, changed = 0, err;

	err = load_online(t, online);
	if (err)
		return err;
	for (cpu = 0; cpu < t->nr_cpus; cpu++) {
		if (online[cpu] != t->online[cpu])
			changed = 1;
		t->online[cpu] = online[cpu];
		/* an offline CPU keeps the socket it had: its last slices still count there */
		if (!online[cpu] || t->socket_of[cpu] >= 0)
			continue;
		pkg = t->one_socket ? 0 : read_package_id(t, cpu);
		if (pkg >= 0)
			t->socket_of[cpu] = socket_index(t, pkg);
	}
	count_online(t);
	return changed;
}

void topology__one_socket(struct topology *t)
{
	t->one_socket = true;
	t->nr_sockets = 1;
	t->socket_ids[0] = 0;
	for (int cpu = 0; cpu < t->nr_cpus; cpu++)
		if (t->socket_of[cpu] >= 0)
			t->socket_of[cpu] = 0;
	count_online(t);
}

int topology__load(struct topology *t, const char *root)
{
	char path[512], buf[4096];
	int n, err;

	memset(t, 0, sizeof(*t));
	snprintf(t->root, sizeof(t->root), "%s", root ? root : "/sys/devices/system/cpu");
	snprintf(path, sizeof(path), "%s/possible", t->root);
	err = read_small_file(path, buf, sizeof(buf));
	if (err < 0)
		return err;
	n = cpulist_count(buf);
	if (n <= 0)
		return -EINVAL;
	t->nr_cpus = n;
	for (int cpu = 0; cpu < n; cpu++)
		t->socket_of[cpu] = -1;
	err = topology__refresh(t);
	if (err < 0)
		return err;
	return t->nr_sockets ? 0 : -ENODEV;
}
