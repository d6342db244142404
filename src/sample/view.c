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
#include "lib/util.h"

/* The levels of --group-by: name and what a row of it is (for --help). */
static const struct level {
	const char *name, *what;
} levels[GROUP_NR] = {
	[GROUP_PID] = { "pid", "a process; the default" },
	[GROUP_COMM] = { "comm", "its name" },
	[GROUP_EXE] = { "exe", "its executable" },
	[GROUP_CGROUP] = { "cgroup", "its cgroup" },
	[GROUP_CONTAINER] = { "container", "its container" },
	[GROUP_UNIT] = { "unit", "its systemd service or scope" },
	[GROUP_POD] = { "pod", "its Kubernetes pod, by UID" },
	[GROUP_NAMESPACE] = { "namespace", "its pod's namespace" },
	[GROUP_VM] = { "vm", "the KVM guest a QEMU process runs, or (host)" },
};

const char *group_by_name(enum group_by by)
{
	return by < GROUP_NR ? levels[by].name : "?";
}

static int parse_n(const char *name, size_t n, enum group_by *by)
{
	for (unsigned i = 0; i < GROUP_NR; i++) {
		if (strlen(levels[i].name) == n && !strncmp(name, levels[i].name, n)) {
			*by = i;
			return 0;
		}
	}
	return -EINVAL;
}

int group_by_parse(const char *name, enum group_by *by)
{
	return parse_n(name, strlen(name), by);
}

int group_by_parse_list(const char *list, enum group_by *out, unsigned *nr, const char **bad,
			size_t *len)
{
	const char *p = list;

	do {
		size_t n = strcspn(p, ",");
		enum group_by by;

		*bad = p;
		*len = n;
		if (parse_n(p, n, &by))
			return -EINVAL;
		for (unsigned i = 0; i < *nr; i++)
			if (out[i] == by)
				return -EEXIST;
		out[(*nr)++] = by;	/* at most GROUP_NR: a level is never there twice */
		p += n;
	} while (*p++ == ',');
	return 0;
}

void group_by_help(char *buf, size_t len)
{
	char text[1024];
	size_t n = 0, col = 0, t;

	/* the paragraph, a level's name bound to the next word by a \1, then wrapped */
	t = snprintf(text, sizeof(text), "a row per LEVEL; a comma list (or -g repeated) "
		     "is a view each, of the same sample:");
	for (unsigned i = 0; i < GROUP_NR && t < sizeof(text); i++)
		t += snprintf(text + t, sizeof(text) - t, " %s\1(%s)%s", levels[i].name,
			      levels[i].what, i + 1 < GROUP_NR ? "," : "");
	buf[0] = '\0';
	for (const char *w = text; *w && n < len;) {
		size_t k = strcspn(w, " ");

		if (col && n + 1 < len) {
			buf[n++] = col + 1 + k > 50 ? '\n' : ' ';
			col = buf[n - 1] == ' ' ? col + 1 : 0;
		}
		for (size_t i = 0; i < k && n + 1 < len; i++)
			buf[n++] = w[i] == '\1' ? ' ' : w[i];
		buf[n] = '\0';
		col += k;
		w += k + (w[k] == ' ');
	}
}

void group_by_names(char *buf, size_t len, const char *sep, const char *last)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < GROUP_NR; i++)
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
			      !i ? "" : i + 1 < GROUP_NR ? sep : last, levels[i].name);
}

int view__init(struct view *v)
{
	memset(v, 0, sizeof(*v));
	return 0;
}

/*
 * The rows' keys, each allocated to its length (a row of 10,000 processes' view had 256
 * bytes for a comm), and their per-socket figures, in blocks that never move: a key
 * stays where it is until the view is built again, and so do the figures.
 */
#define VIEW_STRS_BLOCK (16 << 10)

struct view_strs {
	struct view_strs *next;
	size_t len, cap;
	char s[];
};

/* n bytes from the view's blocks, aligned to align (a power of 2, at most 16) */
static void *view_alloc(struct view *v, size_t n, size_t align)
{
	struct view_strs *b = v->strs;
	size_t at = b ? (b->len + align - 1) & ~(align - 1) : 0;

	if (!b || at > b->cap || b->cap - at < n) {
		size_t cap = n > VIEW_STRS_BLOCK ? n : VIEW_STRS_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = v->strs;
		b->len = 0;
		b->cap = cap;
		v->strs = b;
		at = 0;
	}
	b->len = at + n;
	return b->s + at;
}

static const char *view_str(struct view *v, const char *s)
{
	size_t n = strlen(s);	/* (a C string: a key, a comm) */
	char *d;

	if (n > VIEW_KEY_LEN - 1)
		n = VIEW_KEY_LEN - 1;
	d = view_alloc(v, n + 1, 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Zero f, with per-socket storage for the view's sockets (false: no memory). */
static bool view_figures(struct view *v, struct figures *f)
{
	__u64 *store = view_alloc(v, figures__sock_bytes(v->nr_sockets), sizeof(__u64));

	figures__attach(f, store, v->nr_sockets);
	return store;
}

/* Before a build: the last block made is kept, emptied; the others (a flood's) go. */
static void view_strs__reset(struct view *v, bool all)
{
	struct view_strs *b = v->strs, *n;

	if (!b)
		return;
	for (b = all ? b : b->next; b; b = n) {
		n = b->next;
		free(b);
	}
	if (all) {
		v->strs = NULL;
	} else {
		v->strs->next = NULL;
		v->strs->len = 0;
	}
}

void view__free(struct view *v)
{
	view_strs__reset(v, true);
	free(v->rows);
	free(v->procs);
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
	case GROUP_NR:		/* not a level: -Wswitch names a level without its case */
		break;
	}
	snprintf(key, VIEW_KEY_LEN, "%s", v ? v : none);
}

static __u32 hash_str(const char *s)
{
	return fnv1a32_str(FNV1A32_INIT, s);
}

/* Rows kept between intervals whatever their use; above, a quarter used gives them back. */
#define VIEW_KEEP_ROWS 1024

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
	if (!view_figures(v, &v->rows[v->nr].iv))
		return NULL;
	return &v->rows[v->nr++];
}

/* A process's row is its PID, start and name (hash_str's FNV-1a over the three). */
static __u32 hash_proc(const struct proc *p)
{
	__u32 h = fnv1a32(FNV1A32_INIT, &p->tgid, sizeof(p->tgid));

	h = fnv1a32(h, &p->start_ns, sizeof(p->start_ns));
	return fnv1a32(h, p->comm, strnlen(p->comm, WP_COMM_LEN));
}

static bool same_proc(const struct proc *a, const struct proc *b)
{
	return a->tgid == b->tgid && a->start_ns == b->start_ns &&
	       !strncmp(a->comm, b->comm, WP_COMM_LEN);
}

static __u32 row_hash(const struct view *v, __u32 k)
{
	return v->of_procs ? hash_proc(v->procs[k].p) : hash_str(v->rows[k].key);
}

/*
 * Room in the row index for one more: twice the slots, made again from the rows, when half
 * are used; made from the rows too when they were added without it (by pid, until a part).
 */
static bool index_room(struct view *v)
{
	__u32 n = v->nr_index ? v->nr_index : 1024, i, *index = v->index;

	if (v->indexed && v->nr * 2 < v->nr_index)
		return true;
	while (v->nr * 2 >= n)
		n *= 2;
	if (n != v->nr_index) {
		index = malloc(n * sizeof(*index));
		if (!index)
			return false;
		free(v->index);
		v->index = index;
		v->nr_index = n;
	}
	memset(index, 0xff, n * sizeof(*index));
	for (__u32 k = 0; k < v->nr; k++) {
		for (i = row_hash(v, k) & (n - 1); index[i] != ~0u; i = (i + 1) & (n - 1))
			;
		index[i] = k;
	}
	v->indexed = true;
	return true;
}

/* The row of a group key, through an index rebuilt when the rows grow. */
static struct view_row *find_or_add(struct view *v, const char *key)
{
	struct view_row *r;
	__u32 i;

	if (!index_room(v))
		return NULL;
	for (i = hash_str(key) & (v->nr_index - 1); v->index[i] != ~0u; i = (i + 1) & (v->nr_index - 1))
		if (!strcmp(v->rows[v->index[i]].key, key))
			return &v->rows[v->index[i]];
	r = new_row(v);
	if (!r)
		return NULL;
	r->key = view_str(v, key);
	if (!r->key) {
		v->nr--;
		return NULL;
	}
	v->index[i] = v->nr - 1;
	return r;
}

/*
 * The row of process p when grouping by pid, found by p's PID, start and name, not by a
 * key made of them (40 bytes a row of a flood, for nothing): a part of the process under
 * an older identity with the same name (a cgroup move) finds the same row. A live entry
 * is the only one of its process in the table: until the build's first part (rare), each
 * is a row of its own, with no index (128 KiB of it for 10,000 processes). A new row has
 * no process yet: the caller sets it, at once (the index is made from it).
 */
static struct view_proc *find_or_add_proc(struct view *v, const struct proc *p)
{
	__u32 i = 0;

	if (v->indexed || p->part) {
		if (!index_room(v))
			return NULL;
		for (i = hash_proc(p) & (v->nr_index - 1); v->index[i] != ~0u;
		     i = (i + 1) & (v->nr_index - 1))
			if (same_proc(v->procs[v->index[i]].p, p))
				return &v->procs[v->index[i]];
	}
	if (v->nr == v->cap_procs) {
		__u32 cap = v->cap_procs ? v->cap_procs * 2 : 256;
		struct view_proc *procs = realloc(v->procs, cap * sizeof(*procs));

		if (!procs)
			return NULL;
		v->procs = procs;
		v->cap_procs = cap;
	}
	v->procs[v->nr] = (struct view_proc){ 0 };
	if (v->indexed)
		v->index[i] = v->nr;
	return &v->procs[v->nr++];
}

/* What r has beyond its process, made of the process alone when it had nothing (NULL: no
 * memory). */
static struct view_proc_more *proc_more(struct view *v, struct view_proc *r)
{
	if (r->more)
		return r->more;
	r->more = view_alloc(v, sizeof(*r->more), sizeof(__u64));
	if (!r->more || !view_figures(v, &r->more->iv))
		return r->more = NULL;
	r->more->key = NULL;
	r->more->members = 1;
	figures__fold(&r->more->iv, &r->p->iv);
	return r->more;
}

/* Add p to its row by pid: one row per process and name; the live entry is the row's. */
static int add_proc(struct view *v, const struct proc *p)
{
	struct view_proc *r = find_or_add_proc(v, p);

	if (!r)
		return -ENOMEM;
	if (!r->p) {
		r->p = p;
		return 0;
	}
	/* a part of the same name: the row's figures are more's, the fold of its entries */
	if (!proc_more(v, r))
		return -ENOMEM;
	r->more->members++;
	figures__fold(&r->more->iv, &p->iv);
	if (r->p->part && !p->part)
		r->p = p;
	return 0;
}

/* A process's row is known by its name: its own (until the next sample), copied only if
 * the kernel's was not terminated. */
static int proc_keys(struct view *v)
{
	for (__u32 i = 0; i < v->nr; i++) {
		const struct proc *p = v->procs[i].p;
		char comm[WP_COMM_LEN + 1];

		if (memchr(p->comm, '\0', WP_COMM_LEN))
			continue;
		snprintf(comm, sizeof(comm), "%.*s", WP_COMM_LEN, p->comm);
		if (!proc_more(v, &v->procs[i]) || !(v->procs[i].more->key = view_str(v, comm)))
			return -ENOMEM;
	}
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const struct view_row *x = a, *y = b;
	__u64 ex = figures__all_uj(&x->iv), ey = figures__all_uj(&y->iv);

	if (ex != ey)
		return ex > ey ? -1 : 1;
	if (x->iv.ns != y->iv.ns)
		return x->iv.ns > y->iv.ns ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* cmp_row's order, of processes' rows */
static int cmp_proc(const void *a, const void *b)
{
	const struct view_proc *x = a, *y = b;
	const struct figures *fx = x->more ? &x->more->iv : &x->p->iv;
	const struct figures *fy = y->more ? &y->more->iv : &y->p->iv;
	__u64 ex = figures__all_uj(fx), ey = figures__all_uj(fy);

	if (ex != ey)
		return ex > ey ? -1 : 1;
	if (fx->ns != fy->ns)
		return fx->ns > fy->ns ? -1 : 1;
	return strcmp(x->more && x->more->key ? x->more->key : x->p->comm,
		      y->more && y->more->key ? y->more->key : y->p->comm);
}

/* The view of one level. */
static int build(struct view *v, const struct sample *sm, const struct view_opts *o,
		 enum group_by by)
{
	struct view_row *r, tmp;

	if (v->by != by) {	/* what it remembers is of another level */
		series__free(v->series);
		v->series = NULL;
		v->by = by;
	}
	/* rows of a flood of processes that are gone: their memory goes back */
	if (v->cap > VIEW_KEEP_ROWS && 4 * v->nr < v->cap) {
		free(v->rows);
		v->rows = NULL;
		v->cap = 0;
	}
	if (v->cap_procs > VIEW_KEEP_ROWS && 4 * v->nr < v->cap_procs) {
		free(v->procs);
		v->procs = NULL;
		v->cap_procs = 0;
	}
	if (v->nr_index > 2 * VIEW_KEEP_ROWS && 8 * v->nr < v->nr_index) {
		free(v->index);
		v->index = NULL;
		v->nr_index = 0;
	}
	v->nr = 0;
	v->of_procs = by == GROUP_PID;
	view_strs__reset(v, false);
	if (v->index)
		memset(v->index, 0xff, v->nr_index * sizeof(*v->index));
	v->indexed = !v->of_procs;
	v->nr_sockets = sm->nr_sockets < WP_MAX_SOCKETS ? sm->nr_sockets : WP_MAX_SOCKETS;
	memset(&v->others, 0, sizeof(v->others));
	if (!view_figures(v, &v->others.iv))
		return -ENOMEM;
	v->others.key = "others";
	/* GPU energy no process explains is others' */
	v->others.iv.gpu_uj = sm->gpu_others_uj;

	for (__u32 i = 0; i < sm->nr_procs; i++) {
		const struct proc *p = sm->procs[i];
		char key[VIEW_KEY_LEN];

		if (!selected(p, o)) {
			add(&v->others, p);
			continue;
		}
		if (by == GROUP_PID) {
			if (add_proc(v, p))
				return -ENOMEM;
			continue;
		}
		group_key(p, by, key);
		r = find_or_add(v, key);
		if (!r)
			return -ENOMEM;
		if (!r->names && (by == GROUP_CONTAINER || by == GROUP_POD) && p->cg &&
		    (by == GROUP_POD ? p->cg->pod_uid[0] : p->cg->container_id[0]))
			r->names = p->names;
		if (!r->vm && by == GROUP_VM)
			r->vm = p->vm;
		add(r, p);
	}
	if (v->of_procs && proc_keys(v))
		return -ENOMEM;
	/* a group's JOULES in top: since it first had a row (a failure: this interval's) */
	if (!o->steady && by != GROUP_PID && (v->totals || (v->totals = totals__new())))
		totals__add(v->totals, v, by);
	if (v->nr && v->of_procs)
		qsort(v->procs, v->nr, sizeof(*v->procs), cmp_proc);
	else if (v->nr)
		qsort(v->rows, v->nr, sizeof(*v->rows), cmp_row);
	if (o->steady) {
		if (!v->series && !(v->series = series__new()))
			return -ENOMEM;
		return series__select(v->series, v, sm, by, o->top, o->rate_window_s);
	}
	if (o->top && v->nr > o->top) {
		for (__u32 i = o->top; i < v->nr; i++)
			view_row__fold(&v->others, view__row(v, i, &tmp));
		v->nr = o->top;
	}
	return 0;
}

int view__build(struct view *v, const struct sample *sm, const struct view_opts *o)
{
	return build(v, sm, o, o->by);
}

int views__init(struct views *vs)
{
	vs->nr = 0;
	vs->v = calloc(GROUP_NR, sizeof(*vs->v));
	return vs->v ? 0 : -ENOMEM;
}

void views__free(struct views *vs)
{
	for (unsigned i = 0; vs->v && i < GROUP_NR; i++)
		view__free(&vs->v[i]);
	free(vs->v);
	vs->v = NULL;
	vs->nr = 0;
}

int views__build(struct views *vs, const struct sample *sm, const struct view_opts *o)
{
	unsigned nr = o->nr_levels ? o->nr_levels : 1;
	int err;

	for (unsigned i = 0; i < nr; i++) {
		err = build(&vs->v[i], sm, o, o->nr_levels ? o->levels[i] : o->by);
		if (err)
			return err;
	}
	vs->nr = nr;
	return 0;
}
