// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Grouping, filtering and --top for every output; see include/view.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container.h"
#include "view.h"

#define TOTALS_CAP 4096		/* group keys remembered for counters */

struct group_total {
	char key[VIEW_KEY_LEN];
	__u64 ns, uj;
	__u64 seq;		/* last interval the group had a row */
};

static const char *const group_names[] = {
	[GROUP_PID] = "pid", [GROUP_COMM] = "comm", [GROUP_EXE] = "exe",
	[GROUP_CGROUP] = "cgroup", [GROUP_CONTAINER] = "container", [GROUP_UNIT] = "unit",
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
	v->totals = calloc(TOTALS_CAP, sizeof(*v->totals));
	return v->totals ? 0 : -ENOMEM;
}

void view__free(struct view *v)
{
	free(v->rows);
	free(v->index);
	free(v->totals);
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
	r->ns += p->iv_ns;
	r->uj += p->iv_uj;
	r->uj_missing |= p->iv_uj_missing;
	for (int i = 0; i < WP_MAX_SOCKETS; i++) {
		r->sock_ns[i] += p->iv_sock_ns[i];
		r->sock_uj[i] += p->iv_sock_uj[i];
	}
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

	if (x->uj != y->uj)
		return x->uj > y->uj ? -1 : 1;
	if (x->ns != y->ns)
		return x->ns > y->ns ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Cumulative totals per group key: open addressing, and when it fills up,
 * the groups not seen for the longest time are forgotten (their counters
 * start again from zero if they come back, which Prometheus reads as a reset). */
static struct group_total *total_of(struct view *v, const char *key)
{
	__u32 i = hash_str(key) & (TOTALS_CAP - 1);

	for (__u32 n = 0; n < TOTALS_CAP; n++, i = (i + 1) & (TOTALS_CAP - 1)) {
		struct group_total *t = &v->totals[i];

		if (!t->key[0]) {
			if (v->nr_totals >= TOTALS_CAP * 3 / 4)
				return NULL;
			snprintf(t->key, sizeof(t->key), "%s", key);
			v->nr_totals++;
			return t;
		}
		if (!strcmp(t->key, key))
			return t;
	}
	return NULL;
}

static void forget_old_totals(struct view *v, __u64 seq)
{
	struct group_total *old = v->totals;
	__u64 oldest = seq;

	for (__u32 i = 0; i < TOTALS_CAP; i++)
		if (old[i].key[0] && old[i].seq < oldest)
			oldest = old[i].seq;
	v->totals = calloc(TOTALS_CAP, sizeof(*v->totals));
	if (!v->totals) {
		v->totals = old;
		return;
	}
	v->nr_totals = 0;
	/* keep what was seen after the midpoint between the oldest and now */
	for (__u32 i = 0; i < TOTALS_CAP; i++) {
		struct group_total *t;

		if (!old[i].key[0] || old[i].seq <= oldest + (seq - oldest) / 2)
			continue;
		t = total_of(v, old[i].key);
		if (t)
			*t = old[i];
	}
	free(old);
}

static void group_totals(struct view *v, __u64 seq)
{
	for (__u32 i = 0; i < v->nr; i++) {
		struct view_row *r = &v->rows[i];
		struct group_total *t = total_of(v, r->key);

		if (!t) {
			forget_old_totals(v, seq);
			t = total_of(v, r->key);
		}
		if (!t)
			continue;
		t->ns += r->ns;
		t->uj += r->uj;
		t->seq = seq;
		r->total_ns = t->ns;
		r->total_uj = t->uj;
	}
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
		add(r, p);
	}
	if (o->by == GROUP_PID)
		for (__u32 i = 0; i < v->nr; i++)
			snprintf(v->rows[i].key, sizeof(v->rows[i].key), "%s", v->rows[i].p->comm);
	qsort(v->rows, v->nr, sizeof(*v->rows), cmp_row);
	if (o->by != GROUP_PID)
		group_totals(v, sm->seq);
	if (o->top && v->nr > o->top) {
		for (__u32 i = o->top; i < v->nr; i++) {
			struct view_row *x = &v->rows[i];

			v->others.members += x->members;
			v->others.ns += x->ns;
			v->others.uj += x->uj;
			v->others.uj_missing |= x->uj_missing;
			for (int k = 0; k < WP_MAX_SOCKETS; k++) {
				v->others.sock_ns[k] += x->sock_ns[k];
				v->others.sock_uj[k] += x->sock_uj[k];
			}
		}
		v->nr = o->top;
	}
	return 0;
}
