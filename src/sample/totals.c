// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Groups' totals since they first had a row; see sample/totals.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sample/totals.h"
#include "lib/util.h"

#define NONE 0xffffffffu

struct total {
	char key[VIEW_KEY_LEN];
	__u64 ns, uj;
	__u64 seen;		/* the view that last had its row */
};

struct totals {
	struct total *e;
	__u32 nr, cap;
	__u32 *index;		/* open addressing on the key: entry, or NONE */
	__u32 nr_index;
	enum group_by by;
	__u64 views;		/* views added so far */
};

struct totals *totals__new(void)
{
	return calloc(1, sizeof(struct totals));
}

void totals__free(struct totals *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->index);
	free(t);
}

static __u32 hash_key(const char *s)
{
	return fnv1a32_str(FNV1A32_INIT, s);
}

static __u32 *slot(struct totals *t, const char *key)
{
	__u32 mask = t->nr_index - 1, i = hash_key(key) & mask;

	while (t->index[i] != NONE && strcmp(t->e[t->index[i]].key, key))
		i = (i + 1) & mask;
	return &t->index[i];
}

/* Room for one more entry, the index at most half full. */
static int room(struct totals *t)
{
	__u32 n = t->nr_index ? t->nr_index : 64;

	if (t->nr == t->cap) {
		__u32 cap = t->cap ? t->cap * 2 : 64;
		struct total *e = realloc(t->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		t->e = e;
		t->cap = cap;
	}
	while (n < 2 * (t->nr + 1))
		n *= 2;
	if (n == t->nr_index)
		return 0;
	free(t->index);
	t->index = malloc(n * sizeof(*t->index));
	if (!t->index) {
		t->nr_index = 0;
		return -ENOMEM;
	}
	t->nr_index = n;
	memset(t->index, 0xff, n * sizeof(*t->index));
	for (__u32 i = 0; i < t->nr; i++)
		*slot(t, t->e[i].key) = i;
	return 0;
}

/* Full: keep the groups that have a row in this view, forget the others. */
static void forget_absent(struct totals *t)
{
	__u32 n = 0;

	for (__u32 i = 0; i < t->nr; i++)
		if (t->e[i].seen == t->views)
			t->e[n++] = t->e[i];
	t->nr = n;
	memset(t->index, 0xff, t->nr_index * sizeof(*t->index));
	for (__u32 i = 0; i < t->nr; i++)
		*slot(t, t->e[i].key) = i;
}

/* The entry of a key, or NULL. */
static struct total *find(struct totals *t, const char *key)
{
	__u32 *s = t->nr_index ? slot(t, key) : NULL;

	return s && *s != NONE ? &t->e[*s] : NULL;
}

/* A new entry for key; NULL if none can be had (-ENOMEM in *err, or the table full of
 * groups that all have a row). */
static struct total *add(struct totals *t, const char *key, int *err)
{
	struct total *e;
	int ret;

	if (t->nr >= TOTALS_MAX)
		forget_absent(t);
	if (t->nr >= TOTALS_MAX)
		return NULL;
	ret = room(t);
	if (ret) {
		*err = ret;
		return NULL;
	}
	e = &t->e[t->nr];
	memset(e, 0, sizeof(*e));
	snprintf(e->key, sizeof(e->key), "%s", key);
	*slot(t, e->key) = t->nr++;
	return e;
}

int totals__add(struct totals *t, struct view *v, enum group_by by)
{
	int err = 0;

	if (t->by != by || !t->views) {
		t->nr = 0;
		if (t->index)
			memset(t->index, 0xff, t->nr_index * sizeof(*t->index));
		t->by = by;
	}
	t->views++;
	/* first the groups this view has: they are kept if the table must make room */
	for (__u32 i = 0; i < v->nr; i++) {
		struct total *e = find(t, v->rows[i].key);

		if (e)
			e->seen = t->views;
	}
	for (__u32 i = 0; i < v->nr; i++) {
		struct view_row *r = &v->rows[i];
		struct total *e = find(t, r->key);

		if (!e)
			e = add(t, r->key, &err);
		if (!e) {
			r->total_ns = r->iv.ns;
			r->total_uj = r->iv.uj;
			continue;
		}
		e->ns += r->iv.ns;
		e->uj += r->iv.uj;
		e->seen = t->views;
		r->total_ns = e->ns;
		r->total_uj = e->uj;
	}
	return err;
}
