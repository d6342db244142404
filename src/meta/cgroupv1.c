// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * cgroup v1 paths per process from /proc/PID/cgroup; see meta/cgroupv1.h. Two
 * tables: processes (pid, start) -> path, and the paths themselves with their
 * classification, shared by the processes of a cgroup. Both are dropped together when
 * the process table fills, at the start of a round, so pointers handed out during a
 * round stay valid. Both grow as they fill, from V1_MIN_SLOTS: hashed entries land on
 * any page of a table, so a table sized for max_entries from the start would soon be
 * resident whole under process churn; and both are dropped, back to their first size,
 * once they hold far more processes than a round asks for (most of them gone).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meta/cgroupv1.h"
#include "meta/container.h"
#include "lib/util.h"

#define V1_TTL_NS (5 * NSEC_PER_SEC)	/* a process may be moved without exec */
#define V1_COMM_LEN 16
#define V1_MIN_SLOTS 64
/* Dropped at a round's start when holding more than this many times its processes, + slack */
#define V1_STALE_FACTOR 4
#define V1_STALE_SLACK 1024

struct v1_path {
	char *path;
	struct cg_info info;
	struct v1_path *next;		/* hash chain */
};

struct v1_proc {
	unsigned pid;
	unsigned comm_hash;		/* of its name at the read (a name, 16 bytes, was half
					 * again of a slot: 16,384 slots in a flood) */
	unsigned long long start_ns;
	unsigned long long read_ns;	/* 0: free slot */
	struct v1_path *path;		/* NULL: unknown */
};

struct cgroup_v1 {
	char *proc_root;
	char controller[64];
	size_t max, nr;
	struct v1_proc *procs;		/* open addressing, 2 * max slots */
	size_t nslots;
	struct v1_path **paths;		/* chained, nslots buckets */
	size_t nr_paths;
};

/* --- parsing ---------------------------------------------------------------------- */

static bool has_controller(const char *list, size_t n, const char *want)
{
	size_t wn = strlen(want);
	const char *p = list, *end = list + n, *c;

	if (!wn)
		return n == 0;
	while (p < end) {
		c = memchr(p, ',', end - p);
		if (!c)
			c = end;
		if ((size_t)(c - p) == wn && !memcmp(p, want, wn))
			return true;
		p = c + 1;
	}
	return false;
}

int proc_cgroup_path(const char *text, const char *controller, char *out, size_t outlen)
{
	const char *line, *eol, *a, *b;

	if (!text || !controller || !out || !outlen)
		return -EINVAL;
	for (line = text; *line; line = *eol ? eol + 1 : eol) {
		eol = strchrnul(line, '\n');
		/* "hierarchy-id:controller-list:path"; the path may hold ':' */
		a = memchr(line, ':', eol - line);
		if (!a)
			continue;
		b = memchr(a + 1, ':', eol - (a + 1));
		if (!b || !has_controller(a + 1, b - (a + 1), controller))
			continue;
		if (!*controller && (a - line != 1 || *line != '0'))
			continue;
		if ((size_t)(eol - (b + 1)) >= outlen)
			return -ENAMETOOLONG;
		memcpy(out, b + 1, eol - (b + 1));
		out[eol - (b + 1)] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* --- tables ----------------------------------------------------------------------- */

static size_t hash_proc(const struct cgroup_v1 *c, unsigned pid, unsigned long long start)
{
	unsigned long long h = (pid * 0x9e3779b97f4a7c15ULL) ^ (start * 0xc2b2ae3d27d4eb4fULL);

	return (size_t)(h ^ (h >> 31)) & (c->nslots - 1);
}

static size_t hash_str(const struct cgroup_v1 *c, const char *s)
{
	return fnv1a32_str(FNV1A32_INIT, s) & (c->nslots - 1);
}

/* Empty tables of n slots in place of the old ones (freed). 0 or -ENOMEM (nothing changed). */
static int new_tables(struct cgroup_v1 *c, size_t n)
{
	struct v1_proc *procs = calloc(n, sizeof(*procs));
	struct v1_path **paths = calloc(n, sizeof(*paths));

	if (!procs || !paths) {
		free(procs);
		free(paths);
		return -ENOMEM;
	}
	free(c->procs);
	free(c->paths);
	c->procs = procs;
	c->paths = paths;
	c->nslots = n;
	return 0;
}

static void drop_all(struct cgroup_v1 *c)
{
	for (size_t i = 0; i < c->nslots; i++) {
		struct v1_path *p = c->paths[i], *n;

		for (; p; p = n) {
			n = p->next;
			free(p->path);
			free(p);
		}
		c->paths[i] = NULL;
	}
	c->nr = c->nr_paths = 0;
	if (c->nslots == V1_MIN_SLOTS || new_tables(c, V1_MIN_SLOTS))
		memset(c->procs, 0, c->nslots * sizeof(*c->procs));
}

/* Twice the slots, every process and path hashed again. Paths keep their addresses. */
static void grow(struct cgroup_v1 *c)
{
	struct v1_proc *procs = c->procs;
	struct v1_path **paths = c->paths;
	size_t old = c->nslots;

	c->procs = NULL;
	c->paths = NULL;
	if (new_tables(c, 2 * old)) {
		c->procs = procs;	/* longer probes, nothing worse */
		c->paths = paths;
		return;
	}
	for (size_t i = 0; i < old; i++) {
		struct v1_path *p = paths[i], *next;
		size_t k;

		if (procs[i].read_ns) {
			for (k = hash_proc(c, procs[i].pid, procs[i].start_ns); c->procs[k].read_ns;
			     k = (k + 1) & (c->nslots - 1))
				;
			c->procs[k] = procs[i];
		}
		for (; p; p = next) {
			next = p->next;
			k = hash_str(c, p->path);
			p->next = c->paths[k];
			c->paths[k] = p;
		}
	}
	free(procs);
	free(paths);
}

static struct v1_path *intern(struct cgroup_v1 *c, const char *path)
{
	size_t b = hash_str(c, path);
	struct v1_path *p;

	for (p = c->paths[b]; p; p = p->next)
		if (!strcmp(p->path, path))
			return p;
	if (c->nr_paths >= c->max)
		return NULL;	/* dropped at the next round */
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->path = strdup(path);
	if (!p->path || cgpath_classify(path, &p->info)) {
		free(p->path);
		free(p);
		return NULL;
	}
	p->next = c->paths[b];
	c->paths[b] = p;
	c->nr_paths++;
	return p;
}

/* --- the cache -------------------------------------------------------------------- */

struct cgroup_v1 *cgroup_v1__new(const char *proc_root, size_t max_entries)
{
	static const char *const prefs[] = { CGV1_CONTROLLERS };
	char path[PATH_MAX], text[4096], out[PATH_MAX];
	struct cgroup_v1 *c;
	size_t i;

	if (!max_entries || max_entries > (1u << 26)) {
		errno = EINVAL;
		return NULL;
	}
	proc_root = proc_root ? proc_root : "/proc";
	snprintf(path, sizeof(path), "%s/self/cgroup", proc_root);
	if (read_small_file(path, text, sizeof(text)) <= 0) {
		errno = ENOENT;
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(prefs); i++)
		if (!proc_cgroup_path(text, prefs[i], out, sizeof(out)))
			break;
	if (i == ARRAY_SIZE(prefs)) {
		errno = ENOENT;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(c->controller, sizeof(c->controller), "%s", prefs[i]);
	c->max = max_entries;
	c->proc_root = strdup(proc_root);
	if (!c->proc_root || new_tables(c, V1_MIN_SLOTS)) {
		cgroup_v1__free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

const char *cgroup_v1__controller(const struct cgroup_v1 *c)
{
	return c ? c->controller : NULL;
}

bool cgroup_v1__outside_ns(const char *path)
{
	return path && !strncmp(path, "/..", 3) && (path[3] == '/' || !path[3]);
}

void cgroup_v1__begin(struct cgroup_v1 *c, size_t round)
{
	if (c && (c->nr >= c->max || c->nr_paths >= c->max ||
		  c->nr > V1_STALE_FACTOR * round + V1_STALE_SLACK))
		drop_all(c);
}

static struct v1_path *read_path(struct cgroup_v1 *c, unsigned pid)
{
	char path[PATH_MAX], text[4096], out[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%u/cgroup", c->proc_root, pid);
	if (read_small_file(path, text, sizeof(text)) <= 0 ||
	    proc_cgroup_path(text, c->controller, out, sizeof(out)))
		return NULL;
	return intern(c, out);
}

const char *cgroup_v1__path(struct cgroup_v1 *c, unsigned pid, unsigned long long start_ns,
			    const char *comm, const struct cg_info **info)
{
	unsigned long long now;
	struct v1_proc *e;
	unsigned comm_hash;
	size_t i, n;

	*info = NULL;
	if (!c || !pid)
		return NULL;
	comm_hash = fnv1a32(FNV1A32_INIT, comm, comm ? strnlen(comm, V1_COMM_LEN - 1) : 0);
	now = now_ns(CLOCK_MONOTONIC) | 1;	/* never 0: 0 marks a free slot */
	for (i = hash_proc(c, pid, start_ns), n = 0; n < c->nslots; i = (i + 1) & (c->nslots - 1), n++) {
		e = &c->procs[i];
		if (!e->read_ns || (e->pid == pid && e->start_ns == start_ns))
			break;
	}
	if (n == c->nslots)
		return NULL;
	if (!e->read_ns) {
		if (c->nr >= c->max)
			return NULL;	/* full until the next round */
		/* at most three quarters full (linear probing stays short): a flood of 10,000
		 * processes takes 16,384 slots of 32 bytes, not 32,768 */
		if (4 * (c->nr + 1) > 3 * c->nslots && c->nslots < 2 * c->max) {
			grow(c);
			return cgroup_v1__path(c, pid, start_ns, comm, info);
		}
		c->nr++;
		e->pid = pid;
		e->start_ns = start_ns;
	} else if (now - e->read_ns < V1_TTL_NS && e->comm_hash == comm_hash) {
		goto found;	/* (a new name of the same hash waits for the TTL) */
	}
	e->read_ns = now;
	e->comm_hash = comm_hash;
	e->path = read_path(c, pid);
found:
	if (!e->path)
		return NULL;
	*info = &e->path->info;
	return e->path->path;
}

void cgroup_v1__free(struct cgroup_v1 *c)
{
	if (!c)
		return;
	if (c->paths && c->procs)
		drop_all(c);
	free(c->procs);
	free(c->paths);
	free(c->proc_root);
	free(c);
}
