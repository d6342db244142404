/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The baseline wattprobe is compared with: the /proc method of top, htop and
 * the exporters that scan /proc. Each interval it reads /proc/stat and every
 * /proc/PID/stat, and takes each process's utime + stime (clock ticks) minus
 * what it had at the previous scan. A process seen for the first time is
 * charged all its ticks since it started (the most generous choice: a tool
 * that charges only growth between two scans misses even more). Only the stat
 * file is read per process, the least any such tool reads.
 */
#ifndef __PROCSCAN_H
#define __PROCSCAN_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ps_entry {
	uint32_t pid;		/* 0: free */
	uint32_t seen;		/* scan number it was last seen in */
	uint64_t start;		/* starttime, ticks since boot: (pid, start) is the key */
	uint64_t ticks;		/* utime + stime at the last scan */
	uint64_t delta;		/* ticks of the last interval */
	uint64_t total;		/* ticks charged since the baseline first saw it */
	uint32_t next;		/* hash chain, or free list */
	char comm[16];
};

#define PS_NONE 0xffffffffu

struct procscan {
	struct ps_entry *pool;
	uint32_t *buckets;
	uint32_t cap, nbuckets, free_head, nr;
	uint32_t scan;
	uint32_t nr_seen;	/* processes read in the last scan */
	uint64_t cpu_ticks[8];	/* /proc/stat "cpu" line: user nice system idle iowait irq softirq steal */
	long hz;
};

static inline int procscan__init(struct procscan *ps, uint32_t max_procs)
{
	memset(ps, 0, sizeof(*ps));
	ps->cap = max_procs;
	for (ps->nbuckets = 1024; ps->nbuckets < max_procs; ps->nbuckets <<= 1)
		;
	ps->pool = calloc(ps->cap, sizeof(*ps->pool));
	ps->buckets = malloc(ps->nbuckets * sizeof(*ps->buckets));
	ps->hz = sysconf(_SC_CLK_TCK);
	if (!ps->pool || !ps->buckets)
		return -1;
	memset(ps->buckets, 0xff, ps->nbuckets * sizeof(*ps->buckets));
	for (uint32_t i = 0; i < ps->cap; i++)
		ps->pool[i].next = i + 1 < ps->cap ? i + 1 : PS_NONE;
	return 0;
}

static inline void procscan__free(struct procscan *ps)
{
	free(ps->pool);
	free(ps->buckets);
	ps->pool = NULL;
	ps->buckets = NULL;
}

static inline uint32_t ps_hash(uint32_t pid, uint64_t start)
{
	uint64_t h = pid * 0x9e3779b97f4a7c15ULL ^ start * 0xc2b2ae3d27d4eb4fULL;

	return (uint32_t)(h ^ h >> 31);
}

static inline struct ps_entry *procscan__find(struct procscan *ps, uint32_t pid, uint64_t start,
					      bool create)
{
	uint32_t b = ps_hash(pid, start) & (ps->nbuckets - 1), i;
	struct ps_entry *e;

	for (i = ps->buckets[b]; i != PS_NONE; i = ps->pool[i].next)
		if (ps->pool[i].pid == pid && ps->pool[i].start == start)
			return &ps->pool[i];
	if (!create || ps->free_head == PS_NONE)
		return NULL;
	i = ps->free_head;
	e = &ps->pool[i];
	ps->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->start = start;
	e->next = ps->buckets[b];
	ps->buckets[b] = i;
	ps->nr++;
	return e;
}

/* Forget what the last scan did not see (exited). */
static inline void procscan__sweep(struct procscan *ps)
{
	for (uint32_t b = 0; b < ps->nbuckets; b++) {
		uint32_t *link = &ps->buckets[b];

		while (*link != PS_NONE) {
			struct ps_entry *e = &ps->pool[*link];
			uint32_t i = *link;

			if (e->seen == ps->scan) {
				link = &e->next;
				continue;
			}
			*link = e->next;
			e->pid = 0;
			e->next = ps->free_head;
			ps->free_head = i;
			ps->nr--;
		}
	}
}

static inline int ps_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* Parse /proc/PID/stat: comm, utime (14), stime (15), starttime (22). */
static inline int ps_parse_stat(char *buf, char *comm, uint64_t *ticks, uint64_t *start)
{
	char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')'), *p;
	unsigned long long v[20];
	size_t n;

	if (!open_paren || !close_paren || close_paren < open_paren)
		return -1;
	n = close_paren - open_paren - 1;
	if (n > 15)
		n = 15;
	memcpy(comm, open_paren + 1, n);
	comm[n] = '\0';
	p = close_paren + 2;	/* state */
	if (!*p)
		return -1;
	p += 2;
	/* fields 4..22: ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime */
	for (int i = 0; i < 19; i++) {
		char *end;

		v[i] = strtoull(p, &end, 10);
		if (end == p && i < 18)
			return -1;
		p = end;
	}
	*ticks = v[10] + v[11];
	*start = v[18];
	return 0;
}

/* One scan: /proc/stat, then every /proc/PID/stat. Returns processes read, or -1. */
static inline int procscan__scan(struct procscan *ps)
{
	char path[64], buf[1024];
	struct dirent *de;
	DIR *d;

	if (ps_read("/proc/stat", buf, sizeof(buf)) > 0)
		sscanf(buf, "cpu %lu %lu %lu %lu %lu %lu %lu %lu", &ps->cpu_ticks[0],
		       &ps->cpu_ticks[1], &ps->cpu_ticks[2], &ps->cpu_ticks[3], &ps->cpu_ticks[4],
		       &ps->cpu_ticks[5], &ps->cpu_ticks[6], &ps->cpu_ticks[7]);
	d = opendir("/proc");
	if (!d)
		return -1;
	ps->scan++;
	ps->nr_seen = 0;
	while ((de = readdir(d))) {
		uint64_t ticks, start;
		struct ps_entry *e;
		char comm[16];
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (!pid || *end)
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/stat", pid);
		if (ps_read(path, buf, sizeof(buf)) <= 0 || ps_parse_stat(buf, comm, &ticks, &start))
			continue;	/* exited meanwhile */
		e = procscan__find(ps, (uint32_t)pid, start, true);
		if (!e)
			continue;
		memcpy(e->comm, comm, sizeof(e->comm));
		/* first sight: everything since it started */
		e->delta = ticks >= e->ticks ? ticks - e->ticks : 0;
		e->ticks = ticks;
		e->total += e->delta;
		e->seen = ps->scan;
		ps->nr_seen++;
	}
	closedir(d);
	procscan__sweep(ps);
	return (int)ps->nr_seen;
}

/* The entry of a live process by pid, or NULL. */
static inline struct ps_entry *procscan__by_pid(struct procscan *ps, uint32_t pid)
{
	for (uint32_t i = 0; i < ps->cap; i++)
		if (ps->pool[i].pid == pid)
			return &ps->pool[i];
	return NULL;
}

static inline double procscan__ns(const struct procscan *ps, uint64_t ticks)
{
	return ticks * 1e9 / ps->hz;
}

#endif /* __PROCSCAN_H */
