// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Process table: a pool with stable indices, chained hash on (tgid, start time). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "proctable.h"

static __u32 hash_key(__u32 tgid, __u64 start_ns)
{
	__u64 h = (tgid * 0x9e3779b97f4a7c15ULL) ^ (start_ns * 0xc2b2ae3d27d4eb4fULL);

	return (__u32)(h ^ (h >> 29));
}

int proctable__init(struct proctable *t, __u32 max_procs)
{
	memset(t, 0, sizeof(*t));
	if (max_procs < 2)
		return -EINVAL;
	t->cap = max_procs + 1;	/* one more for the unrecorded pseudo process */
	for (t->nbuckets = 64; t->nbuckets < t->cap; t->nbuckets <<= 1)
		;
	t->pool = calloc(t->cap, sizeof(*t->pool));
	t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
	t->active = malloc(t->cap * sizeof(*t->active));
	if (!t->pool || !t->buckets || !t->active) {
		proctable__free(t);
		return -ENOMEM;
	}
	memset(t->buckets, 0xff, t->nbuckets * sizeof(*t->buckets));
	/* entries are handed out from the top of the pool, then from the free
	 * list: pages of the pool are touched only when that many processes ran */
	t->free_head = PT_NONE;
	t->seq = 1;
	t->unrecorded = PT_NONE;
	return 0;
}

void proctable__free(struct proctable *t)
{
	free(t->pool);
	free(t->buckets);
	free(t->active);
	free(t->charges);
	memset(t, 0, sizeof(*t));
}

struct proc *proctable__find(struct proctable *t, __u32 tgid, __u64 start_ns)
{
	__u32 i = t->buckets[hash_key(tgid, start_ns) & (t->nbuckets - 1)];

	for (; i != PT_NONE; i = t->pool[i].next)
		if (t->pool[i].tgid == tgid && t->pool[i].start_ns == start_ns)
			return &t->pool[i];
	return NULL;
}

static struct proc *alloc(struct proctable *t, __u32 tgid, __u64 start_ns)
{
	__u32 i = t->free_head, b;
	struct proc *p;

	if (i != PT_NONE)
		t->free_head = t->pool[i].next;
	else if (t->top < t->cap)
		i = t->top++;
	else
		return NULL;
	p = &t->pool[i];
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->tgid = tgid;
	p->start_ns = start_ns;
	p->last_seq = t->seq;
	b = hash_key(tgid, start_ns) & (t->nbuckets - 1);
	p->next = t->buckets[b];
	t->buckets[b] = i;
	t->nr++;
	return p;
}

struct proc *proctable__get(struct proctable *t, __u32 tgid, __u64 start_ns)
{
	struct proc *p = proctable__find(t, tgid, start_ns);

	if (p)
		return p;
	/* keep the last free entry for the unrecorded pseudo process */
	if (t->nr + 1 < t->cap || t->unrecorded != PT_NONE) {
		p = alloc(t, tgid, start_ns);
		if (p)
			return p;
	}
	t->full++;
	if (t->unrecorded == PT_NONE) {
		p = alloc(t, PT_UNRECORDED_TGID, 0);
		strcpy(p->comm, "[unrecorded]");
		t->unrecorded = proctable__index(t, p);
	}
	return &t->pool[t->unrecorded];
}

void proctable__touch(struct proctable *t, struct proc *p)
{
	if (p->seq == t->seq)
		return;
	p->seq = t->seq;
	p->iv_ns = 0;
	p->iv_uj = 0;
	p->iv_uj_missing = false;
	memset(p->iv_sock_ns, 0, sizeof(p->iv_sock_ns));
	memset(p->iv_sock_uj, 0, sizeof(p->iv_sock_uj));
	t->active[t->nr_active++] = proctable__index(t, p);
}

void proctable__charge(struct proctable *t, struct proc *p, int cpu, int socket, __u64 ns)
{
	struct cpu_charge *c;

	proctable__touch(t, p);
	p->iv_ns += ns;
	p->total_ns += ns;
	p->last_seq = t->seq;
	if (socket >= 0 && socket < WP_MAX_SOCKETS)
		p->iv_sock_ns[socket] += ns;
	if (t->nr_charges == t->cap_charges) {
		__u32 cap = t->cap_charges ? t->cap_charges * 2 : 1024;

		c = realloc(t->charges, cap * sizeof(*c));
		if (!c)
			return;	/* per-CPU detail only; the totals above are kept */
		t->charges = c;
		t->cap_charges = cap;
	}
	t->charges[t->nr_charges++] = (struct cpu_charge){
		.proc = proctable__index(t, p), .cpu = (__u32)cpu, .ns = ns };
}

void proctable__remove(struct proctable *t, struct proc *p)
{
	__u32 i = proctable__index(t, p);
	__u32 *link = &t->buckets[hash_key(p->tgid, p->start_ns) & (t->nbuckets - 1)];

	while (*link != PT_NONE && *link != i)
		link = &t->pool[*link].next;
	if (*link == i)
		*link = p->next;
	if (t->unrecorded == i)
		t->unrecorded = PT_NONE;
	p->used = false;
	p->next = t->free_head;
	t->free_head = i;
	t->nr--;
}

static bool pseudo(const struct proctable *t, const struct proc *p)
{
	return proctable__index(t, p) == t->unrecorded;
}

static void drop(struct proctable *t, struct proc *p, const struct pt_hooks *h)
{
	if (h && h->removed)
		h->removed(h->ctx, p);
	proctable__remove(t, p);
}

void proctable__end(struct proctable *t, const struct pt_hooks *h)
{
	__u64 idle_intervals = h ? h->idle_intervals : 0;

	/* exited: reported in the interval of the exit, then gone (time of it that comes
	 * later, its last slice, is the sink's to report: see acct__forget) */
	for (__u32 k = 0; k < t->nr_active; k++) {
		struct proc *p = &t->pool[t->active[k]];

		if (p->used && p->exited && p->exit_seq == t->seq)
			drop(t, p, h);
	}
	/* a lost exit record must not leak: sweep a slice of the pool each interval */
	if (idle_intervals) {
		for (__u32 k = 0; k < 256 && k < t->top; k++) {
			struct proc *p = &t->pool[t->sweep_cursor++ % t->top];

			if (p->used && t->seq > p->last_seq + idle_intervals && !pseudo(t, p))
				drop(t, p, h);
		}
	}
	/* nor linger until then: ask whether a process idle for a while still exists */
	if (h && h->gone && h->checks) {
		for (__u32 k = 0, asked = 0; k < 4 * h->checks && k < t->top && asked < h->checks;
		     k++) {
			struct proc *p = &t->pool[t->check_cursor++ % t->top];

			if (!p->used || p->exited || pseudo(t, p) ||
			    t->seq < p->last_seq + h->check_after)
				continue;
			asked++;
			if (h->gone(h->ctx, p))
				drop(t, p, h);
		}
	}
	t->seq++;
	t->nr_active = 0;
	t->nr_charges = 0;
}

void proctable__next(struct proctable *t, __u64 idle_intervals)
{
	struct pt_hooks h = { .idle_intervals = idle_intervals };

	proctable__end(t, &h);
}

static int cmp_charge(const void *a, const void *b)
{
	const struct cpu_charge *x = a, *y = b;

	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

void proctable__merge_charges(struct proctable *t)
{
	__u32 n = 0;

	if (!t->nr_charges)
		return;
	qsort(t->charges, t->nr_charges, sizeof(*t->charges), cmp_charge);
	for (__u32 i = 1; i < t->nr_charges; i++) {
		if (t->charges[i].proc == t->charges[n].proc && t->charges[i].cpu == t->charges[n].cpu)
			t->charges[n].ns += t->charges[i].ns;
		else
			t->charges[++n] = t->charges[i];
	}
	t->nr_charges = n + 1;
}
