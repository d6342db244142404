// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Grouping, filtering and --top for every output; see sample/view.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meta/container.h"
#include "meta/ctrnames.h"
#include "procs/hypervisor.h"
#include "sample/series.h"
#include "sample/totals.h"
#include "sample/view.h"

static const char *const group_names[] = {
	[GROUP_PID] = "pid", [GROUP_COMM] = "comm", [GROUP_EXE] = "exe",
	[GROUP_CGROUP] = "cgroup", [GROUP_CONTAINER] = "container", [GROUP_UNIT] = "unit",
	[GROUP_POD] = "pod", [GROUP_NAMESPACE] = "namespace", [GROUP_VM] = "vm",
};

const char *group_by_name(enum group_by by)
{
	return group_names[by];
}

int group_by_parse(const char *name, enum group_by *by)
{
	for (unsigned i = 0; i < sizeof(group_names) / sizeof(group_names[0]); i++) {
		if (!strcmp(name, group_names[i])) {
			*by = i;
			return 0;
		}
	}
	return -EINVAL;
}

int view__init(struct view *v)
{
	memset(v, 0, sizeof(*v));
	return 0;
}

void view__free(struct view *v)
{
	free(v->rows);
	free(v->index);
	series__free(v->series);
	totals__free(v->totals);
	memset(v, 0, sizeof(*v));
}

static bool selected(const struct proc *p, const struct view_opts *o)
{
	if (o->nr_pids) {
		bool found = false;

		for (int i = 0; i < o->nr_pids && !found; i++)
			found = o->pids[i] == p->tgid;
		if (!found)
			return false;
	}
	if (o->have_comm_re && regexec(&o->comm_re, p->comm, 0, NULL, 0))
		return false;
	if (o->cgroup_prefix &&
	    (!p->cgroup || strncmp(p->cgroup, o->cgroup_prefix, strlen(o->cgroup_prefix))))
		return false;
	return true;
}

static void group_key(const struct proc *p, enum group_by by, char *key)
{
	const char *v = NULL, *none = "(unknown)";

	switch (by) {
	case GROUP_PID:
	case GROUP_COMM:
		v = p->comm;
		break;
	case GROUP_EXE:
		v = p->exe;
		if (!v && p->cmdline && !*p->cmdline)
			none = "(kernel)";
		break;
	case GROUP_CGROUP:
		v = p->cgroup;
		break;
	case GROUP_CONTAINER:
		if (p->cg) {
			v = p->cg->container_id[0] ? p->cg->container_id : NULL;
			none = "(host)";
		}
		break;
	case GROUP_UNIT:
		if (p->cg) {
			v = p->cg->unit[0] ? p->cg->unit : NULL;
			none = "(none)";
		}
		break;
	case GROUP_POD:		/* the pod UID; "(none)": in no pod */
		if (p->cg) {
			v = p->cg->pod_uid[0] ? p->cg->pod_uid : NULL;
			none = "(none)";
		}
		break;
	case GROUP_NAMESPACE:	/* a pod whose namespace no file names stays unknown */
		if (p->cg && p->cg->pod_uid[0])
			v = p->names ? p->names->ns : NULL;
		else if (p->cg)
			none = "(none)";
		break;
	case GROUP_VM:		/* the guest a hypervisor runs (sample/guests.h) */
		v = p->vm ? p->vm->name : NULL;
		none = "(host)";
		break;
	}
	snprintf(key, VIEW_KEY_LEN, "%s", v ? v : none);
}

static __u32 hash_str(const char *s)
{
	__u32 h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void add(struct view_row *r, const struct proc *p)
{
	r->members++;
	figures__fold(&r->iv, &p->iv);
}

static struct view_row *new_row(struct view *v)
{
	if (v->nr == v->cap) {
		__u32 cap = v->cap ? v->cap * 2 : 256;
		struct view_row *rows = realloc(v->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		v->rows = rows;
		v->cap = cap;
	}
	memset(&v->rows[v->nr], 0, sizeof(v->rows[0]));
	return &v->rows[v->nr++];
}

/* The row of a group key, through an index rebuilt when the rows grow. */
static struct view_row *find_or_add(struct view *v, const char *key)
{
	__u32 h = hash_str(key), i;
	struct view_row *r;

	if (v->nr * 2 >= v->nr_index) {
		__u32 n = v->nr_index ? v->nr_index * 2 : 1024;
		__u32 *index = malloc(n * sizeof(*index));

		if (!index)
			return NULL;
		memset(index, 0xff, n * sizeof(*index));
		for (__u32 k = 0; k < v->nr; k++) {
			for (i = hash_str(v->rows[k].key) & (n - 1); index[i] != ~0u; i = (i + 1) & (n - 1))
				;
			index[i] = k;
		}
		free(v->index);
		v->index = index;
		v->nr_index = n;
	}
	for (i = h & (v->nr_index - 1); v->index[i] != ~0u; i = (i + 1) & (v->nr_index - 1))
		if (!strcmp(v->rows[v->index[i]].key, key))
			return &v->rows[v->index[i]];
	r = new_row(v);
	if (!r)
		return NULL;
	snprintf(r->key, sizeof(r->key), "%s", key);
	v->index[i] = v->nr - 1;
	return r;
}

static int cmp_row(const void *a, const void *b)
{
	const struct view_row *x = a, *y = b;

	if (x->iv.uj != y->iv.uj)
		return x->iv.uj > y->iv.uj ? -1 : 1;
	if (x->iv.ns != y->iv.ns)
		return x->iv.ns > y->iv.ns ? -1 : 1;
	return strcmp(x->key, y->key);
}

int view__build(struct view *v, const struct sample *sm, const struct view_opts *o)
{
	struct view_row *r;

	v->nr = 0;
	if (v->index)
		memset(v->index, 0xff, v->nr_index * sizeof(*v->index));
	memset(&v->others, 0, sizeof(v->others));
	snprintf(v->others.key, sizeof(v->others.key), "others");

	for (__u32 i = 0; i < sm->nr_procs; i++) {
		const struct proc *p = sm->procs[i];
		char key[VIEW_KEY_LEN];

		if (!selected(p, o)) {
			add(&v->others, p);
			continue;
		}
		if (o->by == GROUP_PID) {
			/* one row per process and name: a process's parts under an older
			 * identity with the same name (a cgroup move) join its row */
			snprintf(key, sizeof(key), "%u/%llu/%.*s", p->tgid,
				 (unsigned long long)p->start_ns, WP_COMM_LEN, p->comm);
			r = find_or_add(v, key);
			if (!r)
				return -ENOMEM;
			if (!r->p || (r->p->part && !p->part)) {
				r->p = p;
				r->pid = p->tgid;
				r->start_ns = p->start_ns;
				r->exited = p->exited;
				r->total_ns = p->total_ns;
				r->total_uj = p->total_uj;
			}
			add(r, p);
			continue;
		}
		group_key(p, o->by, key);
		r = find_or_add(v, key);
		if (!r)
			return -ENOMEM;
		if (!r->names && (o->by == GROUP_CONTAINER || o->by == GROUP_POD) && p->cg &&
		    (o->by == GROUP_POD ? p->cg->pod_uid[0] : p->cg->container_id[0]))
			r->names = p->names;
		if (!r->vm && o->by == GROUP_VM)
			r->vm = p->vm;
		add(r, p);
	}
	if (o->by == GROUP_PID)
		for (__u32 i = 0; i < v->nr; i++)
			snprintf(v->rows[i].key, sizeof(v->rows[i].key), "%s", v->rows[i].p->comm);
	/* a group's JOULES in top: since it first had a row (a failure: this interval's) */
	if (!o->steady && o->by != GROUP_PID && (v->totals || (v->totals = totals__new())))
		totals__add(v->totals, v, o->by);
	if (v->nr)
		qsort(v->rows, v->nr, sizeof(*v->rows), cmp_row);
	if (o->steady) {
		if (!v->series && !(v->series = series__new()))
			return -ENOMEM;
		return series__select(v->series, v, sm, o->by, o->top, o->rate_window_s);
	}
	if (o->top && v->nr > o->top) {
		for (__u32 i = o->top; i < v->nr; i++)
			view_row__fold(&v->others, &v->rows[i]);
		v->nr = o->top;
	}
	return 0;
}
