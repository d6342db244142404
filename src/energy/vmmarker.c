// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The marker of an exported tree; see energy/vmmarker.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "energy/vmmarker.h"

#define FIRST_LINE "wattprobe-vm-export 1\n"

int vmmarker__format(const struct vmmarker *m, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 FIRST_LINE "guest %s\nsource %s\nvcpus %u\nsensor %s\nestimated %d\n"
			 "interval_ns %llu\nseq %llu\nupdated_ns %llu\ngaps %llu\n",
			 m->guest, m->source, m->vcpus, m->sensor, m->estimated,
			 (unsigned long long)m->interval_ns, (unsigned long long)m->seq,
			 (unsigned long long)m->updated_ns, (unsigned long long)m->gaps);

	for (int i = 0; i < m->nr_counters && n >= 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - n, "energy_uj %s %llu\n", m->counters[i].zone,
			      (unsigned long long)m->counters[i].uj);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

int vmmarker__counter(const struct vmmarker *m, const char *zone, __u64 *uj)
{
	for (int i = 0; i < m->nr_counters; i++) {
		if (!strcmp(m->counters[i].zone, zone)) {
			*uj = m->counters[i].uj;
			return 0;
		}
	}
	return -ENOENT;
}

static int u64_of(const char *v, __u64 *out)
{
	unsigned long long x;
	char *end;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = x;
	return 0;
}

int vmmarker__parse(const char *buf, size_t n, struct vmmarker *m)
{
	char text[VMMARKER_MAX + 1], *line, *save = NULL;
	__u64 v;

	memset(m, 0, sizeof(*m));
	if (n > VMMARKER_MAX || n < strlen(FIRST_LINE) || memcmp(buf, FIRST_LINE, strlen(FIRST_LINE)))
		return -EINVAL;
	memcpy(text, buf, n);
	text[n] = '\0';
	for (line = strtok_r(text + strlen(FIRST_LINE), "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');

		if (!val)
			return -EINVAL;
		*val++ = '\0';
		if (!strcmp(line, "energy_uj")) {
			struct vmmarker_counter *c = &m->counters[m->nr_counters];
			char *num = strchr(val, ' ');

			if (!num || m->nr_counters == VMMARKER_MAX_ZONES ||
			    (size_t)(num - val) >= sizeof(c->zone))
				return -EINVAL;
			*num++ = '\0';
			if (u64_of(num, &c->uj))
				return -EINVAL;
			snprintf(c->zone, sizeof(c->zone), "%s", val);
			m->nr_counters++;
		} else if (!strcmp(line, "guest")) {
			snprintf(m->guest, sizeof(m->guest), "%s", val);
		} else if (!strcmp(line, "source")) {
			snprintf(m->source, sizeof(m->source), "%s", val);
		} else if (!strcmp(line, "sensor")) {
			snprintf(m->sensor, sizeof(m->sensor), "%s", val);
		} else if (!strcmp(line, "vcpus") || !strcmp(line, "estimated") ||
			   !strcmp(line, "interval_ns") || !strcmp(line, "seq") ||
			   !strcmp(line, "updated_ns") || !strcmp(line, "gaps")) {
			if (u64_of(val, &v))
				return -EINVAL;
			if (!strcmp(line, "vcpus"))
				m->vcpus = v > 1u << 20 ? 0 : (unsigned)v;
			else if (!strcmp(line, "estimated"))
				m->estimated = v != 0;
			else if (!strcmp(line, "interval_ns"))
				m->interval_ns = v;
			else if (!strcmp(line, "seq"))
				m->seq = v;
			else if (!strcmp(line, "updated_ns"))
				m->updated_ns = v;
			else
				m->gaps = v;
		}
	}
	return 0;
}
