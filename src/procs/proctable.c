// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Process table: a pool with stable indices, chained hash on (tgid, start time). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "procs/proctable.h"

static __u32 hash_key(__u32 tgid, __u64 start_ns)
{
	__u64 h = (tgid * 0x9e3779b97f4a7c15ULL) ^ (start_ns * 0xc2b2ae3d27d4eb4fULL);

	return (__u32)(h ^ (h >> 29));
}

static size_t pool_bytes(const struct proctable *t)
{
	return (size_t)t->cap * sizeof(*t->pool);
}

static size_t sock_bytes(const struct proctable *t)
{
	return figures__sock_bytes(t->nr_sockets);
}

/* mapped, not malloc'd: proctable__trim gives pages back to the kernel */
static void *map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int proctable__init(struct proctable *t, __u32 max_procs, int nr_sockets)
{
	memset(t, 0, sizeof(*t));
	if (max_procs < 2 || nr_sockets < 1 || nr_sockets > WP_MAX_SOCKETS)
		return -EINVAL;
	t->cap = max_procs + 1;	/* one more for the unrecorded pseudo process */
	t->nr_sockets = nr_sockets;
	t->nbuckets = 64;	/* grows with nr: memory follows the processes tracked */
	t->pool = map(pool_bytes(t));
	t->socks = map(t->cap * sock_bytes(t));
	t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
	t->active = malloc(t->cap * sizeof(*t->active));
	t->free = malloc(t->cap * sizeof(*t->free));
	if (!t->pool || !t->socks || !t->buckets || !t->active || !t->free) {
		proctable__free(t);
		return -ENOMEM;
	}
	memset(t->buckets, 0xff, t->nbuckets * sizeof(*t->buckets));
	/* entries are handed out from the free stack, then from the top of the pool:
	 * pages of the pool are touched only when that many processes ran */
	t->seq = 1;
	t->unrecorded = PT_NONE;
	return 0;
}

void proctable__free(struct proctable *t)
{
	if (t->pool)
		munmap(t->pool, pool_bytes(t));
	if (t->socks)
		munmap(t->socks, t->cap * sock_bytes(t));
	free(t->buckets);
	free(t->active);
	free(t->free);
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

/* Twice the buckets, every hashed entry (parts are not) hashed again. */
static void grow_buckets(struct proctable *t)
{
	__u32 n = 2 * t->nbuckets, *b = malloc(n * sizeof(*b));

	if (!b)
		return;	/* longer chains, nothing worse */
	memset(b, 0xff, n * sizeof(*b));
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	for (__u32 i = 0; i < t->top; i++) {
		struct proc *p = &t->pool[i];
		__u32 k;

		if (!p->used || p->part)
			continue;
		k = hash_key(p->tgid, p->start_ns) & (n - 1);
		p->next = t->buckets[k];
		t->buckets[k] = i;
	}
}

static struct proc *alloc(struct proctable *t, __u32 tgid, __u64 start_ns)
{
	__u32 i, b;
	struct proc *p;

	if (t->nr_free)
		i = t->free[--t->nr_free];
	else if (t->top < t->cap)
		i = t->top++;
	else
		return NULL;
	if (t->nr + 1 > t->nbuckets && t->nbuckets < (1u << 31))
		grow_buckets(t);
	p = &t->pool[i];
	memset(p, 0, sizeof(*p));
	figures__attach(&p->iv, t->socks + (size_t)i * 2 * t->nr_sockets, t->nr_sockets);
	p->used = true;
	p->tgid = tgid;
	p->start_ns = start_ns;
	p->last_seq = t->seq;
	p->parts = PT_NONE;
	p->next_part = PT_NONE;
	b = hash_key(tgid, start_ns) & (t->nbuckets - 1);
	p->next = t->buckets[b];
	t->buckets[b] = i;
	t->nr++;
	return p;
}

static void unhash(struct proctable *t, struct proc *p)
{
	__u32 i = proctable__index(t, p);
	__u32 *link = &t->buckets[hash_key(p->tgid, p->start_ns) & (t->nbuckets - 1)];

	while (*link != PT_NONE && *link != i)
		link = &t->pool[*link].next;
	if (*link == i)
		*link = p->next;
	p->next = PT_NONE;
}

static void rehash(struct proctable *t, struct proc *p)
{
	__u32 b = hash_key(p->tgid, p->start_ns) & (t->nbuckets - 1);

	p->next = t->buckets[b];
	t->buckets[b] = proctable__index(t, p);
}

/* An entry for a process, or NULL when only the last one, kept for [unrecorded], is left. */
static struct proc *alloc_room(struct proctable *t, __u32 tgid, __u64 start_ns)
{
	if (t->nr + 1 < t->cap || t->unrecorded != PT_NONE)
		return alloc(t, tgid, start_ns);
	return NULL;
}

struct proc *proctable__unrecorded(struct proctable *t)
{
	struct proc *p;

	if (t->unrecorded == PT_NONE) {
		p = alloc(t, PT_UNRECORDED_TGID, 0);
		strcpy(p->comm, "[unrecorded]");
		p->id_known = true;
		t->unrecorded = proctable__index(t, p);
	}
	return &t->pool[t->unrecorded];
}

/* The pseudo process of the time the table had no room for: counted in full. */
static struct proc *unrecorded(struct proctable *t)
{
	t->full++;
	return proctable__unrecorded(t);
}

struct proc *proctable__get(struct proctable *t, __u32 tgid, __u64 start_ns)
{
	struct proc *p = proctable__find(t, tgid, start_ns);

	if (p)
		return p;
	p = alloc_room(t, tgid, start_ns);
	return p ? p : unrecorded(t);
}

void proctable__touch(struct proctable *t, struct proc *p)
{
	if (p->seq == t->seq)
		return;
	p->seq = t->seq;
	figures__clear(&p->iv);
	t->active[t->nr_active++] = proctable__index(t, p);
}

void proctable__charge(struct proctable *t, struct proc *p, int cpu, int socket, __u64 ns)
{
	struct cpu_charge *c;

	proctable__touch(t, p);
	p->iv.ns += ns;
	p->total_ns += ns;
	if (p->part)
		t->pool[p->owner].total_ns += ns;
	p->last_seq = t->seq;
	if (socket >= 0 && socket < p->iv.nr_sockets)
		p->iv.sock_ns[socket] += ns;
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

bool pt_id_eq(const struct pt_id *a, const struct pt_id *b)
{
	return !strncmp(a->comm, b->comm, WP_COMM_LEN) && a->exec_id == b->exec_id &&
	       (a->cgroup_id == b->cgroup_id || !a->cgroup_id || !b->cgroup_id);
}

void proc__id(const struct proc *p, struct pt_id *id)
{
	memcpy(id->comm, p->comm, WP_COMM_LEN);
	id->cgroup_id = p->cgroup_id;
	id->exec_id = p->exec_id;
}

static void set_id(struct proc *p, const struct pt_id *id)
{
	memcpy(p->comm, id->comm, WP_COMM_LEN);
	p->comm[WP_COMM_LEN - 1] = '\0';
	if (id->cgroup_id || !p->id_known)
		p->cgroup_id = id->cgroup_id;
	p->exec_id = id->exec_id;
	p->id_known = true;
}

static bool has_id(const struct proc *p, const struct pt_id *id)
{
	struct pt_id mine;

	proc__id(p, &mine);
	return pt_id_eq(&mine, id);
}

struct proc *proctable__part(struct proctable *t, struct proc *p, const struct pt_id *id)
{
	struct proc *q;
	__u32 i;

	if (!id || proctable__index(t, p) == t->unrecorded || p->part)
		return p;
	if (!p->id_known) {
		set_id(p, id);
		return p;
	}
	if (has_id(p, id))
		return p;
	for (i = p->parts; i != PT_NONE; i = t->pool[i].next_part)
		if (has_id(&t->pool[i], id))
			return &t->pool[i];
	q = alloc_room(t, p->tgid, p->start_ns);
	if (!q)
		return unrecorded(t);
	unhash(t, q);
	q->part = true;
	set_id(q, id);
	q->exe_path = id->exec_id == p->exec_id ? p->exe_path :
		      id->exec_id == p->before.exec_id && p->change ? p->before_exe : NULL;
	q->exe_asked = true;
	q->exited = false;
	q->total_ns = p->total_ns;
	q->total_uj = p->total_uj;
	q->next_part = p->parts;
	q->owner = proctable__index(t, p);
	p->parts = proctable__index(t, q);
	proctable__touch(t, p);		/* so that its parts are let go at the end */
	return q;
}

struct proc *proctable__change(struct proctable *t, struct proc *p, const struct pt_id *id,
			       __u64 n)
{
	struct pt_id old;
	struct proc *live = NULL, *q;
	__u32 *link;

	if (proctable__index(t, p) == t->unrecorded || p->part)
		return p;
	if (!p->id_known) {
		set_id(p, id);
		p->before = *id;
		p->change = n;
		return p;
	}
	proc__id(p, &old);
	/* exactly the same: nothing changes (an unknown old cgroup is a change) */
	if (!strncmp(old.comm, id->comm, WP_COMM_LEN) && old.exec_id == id->exec_id &&
	    old.cgroup_id == id->cgroup_id)
		return p;
	/* a part with the new identity (time that came before the record) takes over */
	for (link = &p->parts; *link != PT_NONE; link = &t->pool[*link].next_part) {
		if (has_id(&t->pool[*link], id)) {
			live = &t->pool[*link];
			*link = live->next_part;
			break;
		}
	}
	if (!live && !(p->seq == t->seq && p->iv.ns)) {
		/* nothing ran under the old identity this interval: change in place */
		p->before_exe = p->exe_path;
		if (id->exec_id != old.exec_id) {
			p->exe_path = NULL;
			p->exe_asked = false;
		}
		set_id(p, id);
		p->before = old;
		p->change = n;
		return p;
	}
	if (!live) {
		live = alloc_room(t, p->tgid, p->start_ns);
		if (!live) {
			t->full++;
			return p;	/* full: the old identity goes on */
		}
		unhash(t, live);
	}
	/* live becomes the process, p a part of it */
	q = live;
	q->part = false;
	q->tgid = p->tgid;
	q->start_ns = p->start_ns;
	set_id(q, id);
	q->exited = p->exited;
	q->exit_seq = p->exit_seq;
	q->reread_info = p->reread_info;
	q->last_seq = p->last_seq > q->last_seq ? p->last_seq : q->last_seq;
	q->total_ns = p->total_ns;
	q->total_uj = p->total_uj;
	q->total_uj_partial = p->total_uj_partial;
	q->before = old;
	q->before_exe = p->exe_path;
	q->change = n;
	/* the same program goes on, unless this is an exec */
	q->exe_path = id->exec_id == old.exec_id ? p->exe_path : NULL;
	q->exe_asked = id->exec_id == old.exec_id && p->exe_asked;
	q->parts = p->parts;
	q->next_part = PT_NONE;
	unhash(t, p);
	rehash(t, q);
	p->part = true;
	p->exited = false;
	p->parts = PT_NONE;
	p->next_part = q->parts;
	q->parts = proctable__index(t, p);
	for (__u32 i = q->parts; i != PT_NONE; i = t->pool[i].next_part)
		t->pool[i].owner = proctable__index(t, q);
	proctable__touch(t, q);
	return q;
}

void proctable__remove(struct proctable *t, struct proc *p)
{
	__u32 i = proctable__index(t, p);

	if (!p->part)
		unhash(t, p);
	if (t->unrecorded == i)
		t->unrecorded = PT_NONE;
	p->used = false;
	t->free[t->nr_free++] = i;
	t->freed++;
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

	/* parts: reported in this interval only; exited processes: reported in the
	 * interval of the exit, then gone (time of them that comes later, their last
	 * slice, is the sink's to report: see acct__forget) */
	for (__u32 k = 0; k < t->nr_active; k++) {
		struct proc *p = &t->pool[t->active[k]];

		if (!p->used)
			continue;
		if (p->part) {
			proctable__remove(t, p);
			continue;
		}
		p->parts = PT_NONE;
		if (p->exited && p->exit_seq == t->seq)
			drop(t, p, h);
	}
	/* a lost exit record must not leak: sweep a slice of the pool each interval */
	if (idle_intervals) {
		for (__u32 k = 0; k < 256 && k < t->top; k++) {
			struct proc *p = &t->pool[t->sweep_cursor++ % t->top];

			if (p->used && !p->part && t->seq > p->last_seq + idle_intervals &&
			    !pseudo(t, p))
				drop(t, p, h);
		}
	}
	/* nor linger until then: ask whether a process idle for a while still exists */
	if (h && h->gone && h->checks) {
		for (__u32 k = 0, asked = 0; k < 4 * h->checks && k < t->top && asked < h->checks;
		     k++) {
			struct proc *p = &t->pool[t->check_cursor++ % t->top];

			if (!p->used || p->exited || p->part || pseudo(t, p) ||
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

void proctable__uncharge_cpu(struct proctable *t, int cpu, int socket, __u64 ns,
			     void (*cut)(void *ctx, const struct proc *p, int cpu, __u64 ns),
			     void *ctx)
{
	while (ns) {
		struct cpu_charge *big = NULL;
		struct proc *p;
		__u64 take;

		for (__u32 i = 0; i < t->nr_charges; i++)
			if (t->charges[i].cpu == (__u32)cpu && t->charges[i].ns &&
			    (!big || t->charges[i].ns > big->ns))
				big = &t->charges[i];
		if (!big)
			return;
		p = &t->pool[big->proc];
		take = big->ns < ns ? big->ns : ns;
		big->ns -= take;
		p->iv.ns -= take;
		p->total_ns -= take;
		if (p->part)
			t->pool[p->owner].total_ns -= take;
		if (socket >= 0 && socket < p->iv.nr_sockets)
			p->iv.sock_ns[socket] -= take;
		ns -= take;
		if (cut)
			cut(ctx, p, cpu, take);
	}
}

static int cmp_desc(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Give back the pages of an array of size-byte elements, one per entry of the pool, that
 * hold none in use below hi (the entries from hi to top are free: the tail is one run). */
static void trim_pages(const struct proctable *t, const void *array, size_t size, __u32 hi)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), base = (uintptr_t)array, a, run = 0;

	for (a = base & ~(page - 1); a < base + (uintptr_t)t->top * size; a += page) {
		__u32 first = a > base ? (a - base) / size : 0;
		__u32 end = (a + page - base + size - 1) / size;
		bool busy = a < base;	/* the page the array starts in may hold more */

		for (__u32 i = first; !busy && i < end && i < hi; i++)
			busy = t->pool[i].used;
		if (!busy && !run)
			run = a;
		if (busy && run) {
			madvise((void *)run, a - run, MADV_DONTNEED);	/* read as zeros again */
			run = 0;
		}
	}
	if (run)
		madvise((void *)run, a - run, MADV_DONTNEED);
}

bool proctable__trim(struct proctable *t)
{
	__u32 hi = t->top, kept = 0;

	/* the charges of a flood: a few pages, regrown as needed */
	if (t->cap_charges > PT_TRIM_CHARGES && t->nr_charges == 0) {
		free(t->charges);
		t->charges = NULL;
		t->cap_charges = 0;
	}
	if (t->freed < PT_TRIM_MIN)
		return false;
	t->freed = 0;
	while (hi && !t->pool[hi - 1].used)
		hi--;
	/* the pages with no entry in use, in runs: of the per-socket figures, then of the
	 * pool (whose entries say which are in use: not read again once given back, which
	 * would map them) */
	trim_pages(t, t->socks, sock_bytes(t), hi);
	trim_pages(t, t->pool, sizeof(*t->pool), hi);
	t->top = hi;
	/* the free stack again, lowest on top (from the stack: the pool's free pages are not
	 * read again, which would map them) */
	for (__u32 k = 0, n = t->nr_free; k < n; k++)
		if (t->free[k] < hi)
			t->free[kept++] = t->free[k];
	t->nr_free = kept;
	qsort(t->free, t->nr_free, sizeof(*t->free), cmp_desc);
	if (t->sweep_cursor >= hi)
		t->sweep_cursor = 0;
	if (t->check_cursor >= hi)
		t->check_cursor = 0;
	return true;
}
