// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Steady rows and counters that add up, for Prometheus; see sample/series.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sample/series.h"
#include "lib/util.h"

#define NONE		0xffffffffu
#define MIN_SCORE	1000.0	/* 1 mJ: an outsider scoring less is forgotten */

enum state { OUT, PENDING, LIVE, HELD };

/* One per identity seen (a flood of 10,000 processes: 10,000 of them): its key is
 * allocated to its length (a comm, mostly), not VIEW_KEY_LEN bytes. */
struct entry {
	char *key;
	__u32 pid;
	__u64 start_ns;
	enum state state;
	bool gone;		/* exited, or by pid an exec to another name */
	__u32 gone_age;		/* intervals since it was seen gone */
	double score;		/* microjoules, decayed */
	__u64 since_ns;		/* clock when it became pending, or held */
	__u64 total_ns, total_uj, total_gpu_uj, total_rest_uj;
	struct timespec created;	/* when its counters were 0 */
	__u32 row;		/* its row in the view this interval, or NONE */
};

struct series_set {
	struct entry *e;
	__u32 nr, cap;
	__u32 *by_id;		/* open addressing: identity -> entry */
	__u32 *by_pid;		/* by pid: (pid, start) -> entry not gone */
	__u32 nr_index;
	__u64 clock_ns;		/* sum of the intervals seen */
	__u64 others_ns, others_uj, others_gpu_uj, others_rest_uj;
	struct timespec started;	/* others' counters were 0: the first sample's start */
	struct view_row *rows;	/* the rows being built, swapped with the view's */
	__u32 cap_rows;
	__u32 *order;		/* scratch: members and outsiders by score; rows' owners */
	__u32 cap_order;
};

struct series_set *series__new(void)
{
	return calloc(1, sizeof(struct series_set));
}

void series__free(struct series_set *s)
{
	if (!s)
		return;
	for (__u32 i = 0; i < s->nr; i++)
		free(s->e[i].key);
	free(s->e);
	free(s->by_id);
	free(s->by_pid);
	free(s->rows);
	free(s->order);
	free(s);
}

static __u32 hash_id(__u32 pid, __u64 start_ns, const char *key)
{
	__u64 h = FNV1A64_INIT ^ pid ^ (start_ns * 0x9e3779b97f4a7c15ULL);

	if (key)
		h = fnv1a64_str(h, key);
	return (__u32)(h ^ (h >> 32));
}

static bool same_id(const struct entry *e, __u32 pid, __u64 start_ns, const char *key)
{
	return e->pid == pid && e->start_ns == start_ns && !strcmp(e->key, key);
}

/* The slot of an identity in by_id: its entry's, or the empty one to fill. */
static __u32 *slot_id(struct series_set *s, __u32 pid, __u64 start_ns, const char *key)
{
	__u32 mask = s->nr_index - 1, i = hash_id(pid, start_ns, key) & mask;

	while (s->by_id[i] != NONE && !same_id(&s->e[s->by_id[i]], pid, start_ns, key))
		i = (i + 1) & mask;
	return &s->by_id[i];
}

static __u32 *slot_pid(struct series_set *s, __u32 pid, __u64 start_ns)
{
	__u32 mask = s->nr_index - 1, i = hash_id(pid, start_ns, NULL) & mask;

	while (s->by_pid[i] != NONE &&
	       (s->e[s->by_pid[i]].pid != pid || s->e[s->by_pid[i]].start_ns != start_ns))
		i = (i + 1) & mask;
	return &s->by_pid[i];
}

#define SERIES_KEEP 1024	/* entries kept whatever their use */

/* Room for more entries and an index at most half full; rebuilt from scratch. */
static int reindex(struct series_set *s, __u32 more)
{
	__u32 want = s->nr + more, n = 64;

	/* entries of a flood of processes forgotten: their memory goes back */
	if (s->cap > SERIES_KEEP && 4 * want < s->cap) {
		__u32 cap = 256;
		struct entry *e;

		while (cap < 2 * want)
			cap *= 2;
		e = realloc(s->e, cap * sizeof(*e));
		if (e) {
			s->e = e;
			s->cap = cap;
		}
	}
	if (s->cap_order > 2 * SERIES_KEEP && 4 * (want + 1) < s->cap_order) {
		free(s->order);
		s->order = NULL;
		s->cap_order = 0;
	}
	if (want > s->cap) {
		__u32 cap = s->cap ? s->cap : 256;
		struct entry *e;

		while (cap < want)
			cap *= 2;
		e = realloc(s->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		s->e = e;
		s->cap = cap;
	}
	while (n < 2 * want)
		n *= 2;
	if (n != s->nr_index) {
		__u32 *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));

		if (!a || !b) {
			free(a);
			free(b);
			return -ENOMEM;
		}
		free(s->by_id);
		free(s->by_pid);
		s->by_id = a;
		s->by_pid = b;
		s->nr_index = n;
	}
	memset(s->by_id, 0xff, n * sizeof(*s->by_id));
	memset(s->by_pid, 0xff, n * sizeof(*s->by_pid));
	for (__u32 i = 0; i < s->nr; i++) {
		struct entry *e = &s->e[i];

		*slot_id(s, e->pid, e->start_ns, e->key) = i;
		if (!e->gone)
			*slot_pid(s, e->pid, e->start_ns) = i;
	}
	return 0;
}

static bool member(const struct entry *e)
{
	return e->state == PENDING || e->state == LIVE;
}

/* now: the time of this page; first: of the agent's first page, when it started */
static void enter(struct series_set *s, struct entry *e, bool first, struct timespec now)
{
	if (e->state == HELD) {
		e->state = LIVE;	/* its series is still on the page */
		return;
	}
	/* on the first page every counter starts, the host's too: nothing to wait for */
	e->state = first ? LIVE : PENDING;
	e->since_ns = s->clock_ns;
	e->total_ns = e->total_uj = e->total_gpu_uj = e->total_rest_uj = 0;
	e->created = now;
}

static void leave(struct series_set *s, struct entry *e)
{
	if (e->state == LIVE) {
		e->state = HELD;
		e->since_ns = s->clock_ns;
	} else {
		e->state = OUT;		/* a pending series never moved: it just goes */
	}
}

/* Find or add the entry of each row and add the row's energy to its score. */
static void match_rows(struct series_set *s, const struct view *v, enum group_by by)
{
	for (__u32 i = 0; i < v->nr; i++) {
		struct view_row tmp;
		const struct view_row *r = view__row(v, i, &tmp);
		__u32 pid = by == GROUP_PID ? r->pid : 0;
		__u64 start = by == GROUP_PID ? r->start_ns : 0;
		__u32 *slot = slot_id(s, pid, start, r->key);
		struct entry *e;

		if (*slot == NONE) {
			__u32 *ps = by == GROUP_PID ? slot_pid(s, pid, start) : NULL;

			if (s->nr >= SERIES_MAX || s->nr == s->cap)
				continue;	/* not tracked: its usage goes to others */
			if (ps && *ps != NONE) {
				/* the process exec'd to a new name: the old series ends */
				s->e[*ps].gone = true;
				s->e[*ps].gone_age = 2;
			}
			e = &s->e[s->nr];
			memset(e, 0, sizeof(*e));
			e->key = strdup(r->key);
			if (!e->key)
				continue;	/* the same */
			e->pid = pid;
			e->start_ns = start;
			e->row = NONE;
			*slot = s->nr;
			if (ps)
				*ps = s->nr;
			s->nr++;
		}
		e = &s->e[*slot];
		e->row = i;
		e->score += (r->iv.uj_missing ? r->iv.ns / 1e3 : (double)r->iv.uj) + r->iv.gpu_uj +
			    r->iv.rest_uj;
		if (r->exited && !e->gone) {
			e->gone = true;
			e->gone_age = 0;
		}
	}
}

static int by_score_desc(const void *a, const void *b, void *base)
{
	const struct entry *e = base, *x = &e[*(const __u32 *)a], *y = &e[*(const __u32 *)b];

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Members leave when gone; the best outsiders fill free places and take the
 * place of members they outscore by SERIES_HYSTERESIS. */
static void choose(struct series_set *s, unsigned top, bool first, struct timespec now)
{
	__u32 nr_in = 0, nr_out = 0, *in, *out, o = 0, w = 0;

	for (__u32 i = 0; i < s->nr; i++) {
		struct entry *e = &s->e[i];

		/* an exited process may still be charged in the interval after its exit */
		if (member(e) && e->gone && e->gone_age >= 2)
			leave(s, e);
	}
	for (__u32 i = 0; i < s->nr; i++)
		if (member(&s->e[i]))
			nr_in++;
	/* order[] holds the members first (weakest first), then the outsiders (best first) */
	in = s->order;
	out = s->order + nr_in;
	nr_in = 0;
	for (__u32 i = 0; i < s->nr; i++) {
		const struct entry *e = &s->e[i];

		if (member(e))
			in[nr_in++] = i;
		else if (!e->gone && e->score > 0)
			out[nr_out++] = i;
	}
	qsort_r(out, nr_out, sizeof(*out), by_score_desc, s->e);
	qsort_r(in, nr_in, sizeof(*in), by_score_desc, s->e);
	/* weakest member first */
	for (__u32 i = 0; i < nr_in / 2; i++) {
		__u32 t = in[i];

		in[i] = in[nr_in - 1 - i];
		in[nr_in - 1 - i] = t;
	}
	for (; o < nr_out && (!top || nr_in + o < top); o++)
		enter(s, &s->e[out[o]], first, now);
	for (; o < nr_out && w < nr_in; o++, w++) {
		if (s->e[out[o]].score <= SERIES_HYSTERESIS * s->e[in[w]].score)
			break;
		leave(s, &s->e[in[w]]);
		enter(s, &s->e[out[o]], first, now);
	}
}

static struct view_row *add_row(struct series_set *s, __u32 *nr)
{
	if (*nr == s->cap_rows) {
		__u32 cap = s->cap_rows ? s->cap_rows * 2 : 64;
		struct view_row *rows = realloc(s->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		s->rows = rows;
		s->cap_rows = cap;
	}
	return &s->rows[(*nr)++];
}

static int cmp_shown(const void *a, const void *b)
{
	const struct view_row *x = a, *y = b;

	if ((x->state == ROW_HELD) != (y->state == ROW_HELD))
		return x->state == ROW_HELD ? 1 : -1;
	if (figures__all_uj(&x->iv) != figures__all_uj(&y->iv))
		return figures__all_uj(&x->iv) > figures__all_uj(&y->iv) ? -1 : 1;
	if (x->iv.ns != y->iv.ns)
		return x->iv.ns > y->iv.ns ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Forget what is neither shown nor likely to be; keeps the entries' order. */
static void forget(struct series_set *s, __u64 hold_ns)
{
	__u32 n = 0;

	for (__u32 i = 0; i < s->nr; i++) {
		struct entry *e = &s->e[i];

		if (e->state == HELD && s->clock_ns - e->since_ns >= hold_ns)
			e->state = OUT;
		if (e->state == OUT && ((e->gone && e->gone_age >= 2) || e->score < MIN_SCORE)) {
			free(e->key);
			continue;
		}
		s->e[n++] = *e;
	}
	s->nr = n;
}

int series__select(struct series_set *s, struct view *v, const struct sample *sm,
		   enum group_by by, unsigned top, double rate_window_s)
{
	__u64 pending_ns = (__u64)(rate_window_s * 1e9), all_ns, all_uj, live_ns = 0,
	      live_uj = 0, all_gpu, all_rest, live_gpu = 0, live_rest = 0;
	double decay = exp(-(sm->interval_ns / 1e9) / SERIES_TAU_S);
	__u32 nr = 0, cap = v->cap;
	struct view_row *r, *rows, tmp;
	int err;

	bool first = !s->clock_ns;

	s->clock_ns += sm->interval_ns;
	forget(s, 2 * pending_ns);
	err = reindex(s, v->nr < SERIES_MAX ? v->nr : SERIES_MAX);
	if (err)
		return err;
	if (s->nr + v->nr + 1 > s->cap_order) {
		__u32 cap = 2 * (s->nr + v->nr + 1), *order = realloc(s->order, cap * sizeof(*order));

		if (!order)
			return -ENOMEM;
		s->order = order;
		s->cap_order = cap;
	}
	for (__u32 i = 0; i < s->nr; i++) {
		s->e[i].score *= decay;
		s->e[i].row = NONE;
		if (s->e[i].gone)
			s->e[i].gone_age++;
	}
	if (first)
		s->started = sm->started;
	match_rows(s, v, by);
	choose(s, top, first, first ? sm->started : sm->wall);

	/* what every process did this interval: the rows and the filtered-out ones */
	all_ns = v->others.iv.ns;
	all_uj = v->others.iv.uj;
	all_gpu = v->others.iv.gpu_uj;
	all_rest = v->others.iv.rest_uj;
	for (__u32 i = 0; i < v->nr; i++) {
		const struct view_row *r = view__row(v, i, &tmp);

		all_ns += r->iv.ns;
		all_uj += r->iv.uj;
		all_gpu += r->iv.gpu_uj;
		all_rest += r->iv.rest_uj;
	}
	for (__u32 i = 0; i < s->nr; i++) {
		struct entry *e = &s->e[i];
		const struct view_row *src = e->row != NONE ? view__row(v, e->row, &tmp) : NULL;

		if (e->state == OUT)
			continue;
		if (e->state == PENDING && s->clock_ns - e->since_ns >= pending_ns)
			e->state = LIVE;
		if (e->state == LIVE && src) {
			e->total_ns += src->iv.ns;
			live_ns += src->iv.ns;
			if (sm->have_energy) {
				e->total_uj += src->iv.uj;
				live_uj += src->iv.uj;
			}
			if (sm->have_gpu) {
				e->total_gpu_uj += src->iv.gpu_uj;
				live_gpu += src->iv.gpu_uj;
			}
			if (sm->have_rest) {
				e->total_rest_uj += src->iv.rest_uj;
				live_rest += src->iv.rest_uj;
			}
		}
		r = add_row(s, &nr);
		if (!r)
			return -ENOMEM;
		if (src && e->state != HELD) {
			*r = *src;
		} else {
			memset(r, 0, sizeof(*r));
			r->key = e->key;	/* until the next series__select() */
			r->pid = e->pid;
			r->start_ns = e->start_ns;
			r->exited = e->gone;
		}
		r->state = e->state == LIVE ? ROW_LIVE : e->state == PENDING ? ROW_PENDING : ROW_HELD;
		r->total_ns = e->total_ns;
		r->total_uj = e->total_uj;
		r->created = e->created;
		r->total_gpu_uj = e->total_gpu_uj;
		r->total_rest_uj = e->total_rest_uj;
	}
	/* rows of non-members go to others, for this interval's figures */
	for (__u32 i = 0; i < v->nr; i++)
		s->order[i] = 0;
	for (__u32 i = 0; i < s->nr; i++)
		if (s->e[i].row != NONE && member(&s->e[i]))
			s->order[s->e[i].row] = 1;
	for (__u32 i = 0; i < v->nr; i++)
		if (!s->order[i])
			view_row__fold(&v->others, view__row(v, i, &tmp));
	s->others_ns += all_ns - live_ns;
	if (sm->have_energy)
		s->others_uj += all_uj - live_uj;
	if (sm->have_gpu)
		s->others_gpu_uj += all_gpu - live_gpu;
	if (sm->have_rest)
		s->others_rest_uj += all_rest - live_rest;
	v->others.total_ns = s->others_ns;
	v->others.total_uj = s->others_uj;
	v->others.created = s->started;
	v->others.total_gpu_uj = s->others_gpu_uj;
	v->others.total_rest_uj = s->others_rest_uj;

	if (nr)
		qsort(s->rows, nr, sizeof(*s->rows), cmp_shown);
	rows = v->rows;
	v->rows = s->rows;
	v->nr = nr;
	v->cap = s->cap_rows;
	v->of_procs = false;	/* by pid too: the rows are the series' now */
	s->rows = rows;
	s->cap_rows = cap;
	return 0;
}
