// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Per-interval deltas from the BPF per-CPU slots; see kernel/accounting.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/accounting.h"

int acct__init(struct acct *a, int nr_cpus, const struct acct_ops *ops, void *ctx)
{
	memset(a, 0, sizeof(*a));
	a->cpus = calloc(nr_cpus, sizeof(*a->cpus));
	if (!a->cpus)
		return -ENOMEM;
	a->nr_cpus = nr_cpus;
	a->ops = ops;
	a->ctx = ctx;
	return 0;
}

void acct__free(struct acct *a)
{
	free(a->cpus);
	a->cpus = NULL;
}

/* What of ch a debt takes back: the part of it a credit charged already. */
static void pay_debt(struct acct_debt *d, struct acct_charge *ch)
{
	__u64 pay = d->outstanding < ch->ns ? d->outstanding : ch->ns;

	d->outstanding -= pay;
	ch->ns -= pay;
}

/* Closed time: pay this CPU's debts of the same process first (of slice only, unless
 * ~0), charge the rest. */
static void closed_slice(struct acct *a, int cpu, struct acct_charge *ch, __u64 slice)
{
	struct acct_cpu *ac = &a->cpus[cpu];

	for (int i = 0; i < ac->ndebts && ch->ns; i++) {
		struct acct_debt *d = &ac->debts[i];

		if (d->tgid == ch->tgid && d->start_ns == ch->start_ns &&
		    (slice == ~0ULL || d->slice == slice))
			pay_debt(d, ch);
	}
	if (ch->ns)
		a->ops->charge(a->ctx, ch);
}

static void closed(struct acct *a, int cpu, struct acct_charge *ch)
{
	closed_slice(a, cpu, ch, ~0ULL);
}

static void id_of_slot(struct acct_id *id, const char *comm, __u64 cgroup_id, __u32 exec_id)
{
	memcpy(id->comm, comm, WP_COMM_LEN);
	id->comm[WP_COMM_LEN - 1] = '\0';
	id->cgroup_id = cgroup_id;
	id->exec_id = exec_id;
}

/* Credit the running slice as far as wp_snap saw it, remembering what was credited. */
static void credit_running(struct acct *a, int cpu, const struct wp_cpu_hdr *h)
{
	struct acct_cpu *ac = &a->cpus[cpu];
	struct acct_id id;
	struct acct_charge ch = { .tgid = h->cur_tgid, .start_ns = h->cur_start_ns, .cpu = cpu,
				  .id = &id };
	struct acct_debt *d = NULL;
	int i, n = 0;

	/* drop debts that are paid and whose slice is over, first: they hold no room */
	for (i = 0; i < ac->ndebts; i++) {
		struct acct_debt *x = &ac->debts[i];

		if (x->outstanding || x->slice == h->seq)
			ac->debts[n++] = *x;
	}
	ac->ndebts = n;

	for (i = 0; i < ac->ndebts; i++) {
		struct acct_debt *x = &ac->debts[i];

		if (x->slice == h->seq && x->tgid == h->cur_tgid && x->start_ns == h->cur_start_ns)
			d = x;
	}
	if (!d && ac->ndebts < ACCT_MAX_DEBTS) {
		d = &ac->debts[ac->ndebts++];
		*d = (struct acct_debt){ .tgid = h->cur_tgid, .start_ns = h->cur_start_ns,
					 .slice = h->seq };
	}
	id_of_slot(&id, h->snap_comm, h->snap_cgroup, h->snap_exec_id);
	if (!d) {
		a->uncredited++;	/* exact again once the slice closes */
	} else if (h->snap_run > d->credited) {
		ch.ns = h->snap_run - d->credited;
		d->credited = h->snap_run;
		d->outstanding += ch.ns;
		a->ops->charge(a->ctx, &ch);
	}
}

static void read_slot(struct acct *a, int cpu, int idx, const struct wp_slot *s)
{
	struct acct_slot *t = &a->cpus[cpu].slots[idx];
	__u64 start_ns = s->start_ns & ~WP_CLOSED;	/* closed: its owner still */
	struct acct_id id;
	struct acct_charge ch = { .tgid = s->tgid, .start_ns = start_ns, .cpu = cpu, .id = &id };

	if (!s->gen)
		return;
	if (s->gen != s->gen_end) {
		a->torn_slots++;	/* its evict record or the next read has it */
		return;
	}
	if (s->gen == t->cur.gen) {
		if (s->ns <= t->cur.seen_ns)
			return;
		ch.ns = s->ns - t->cur.seen_ns;
		ch.exited = t->cur.gone;
	} else {
		ch.ns = s->ns;	/* a new owner, never seen */
		/* the old owner's evict record is drained after this snapshot */
		if (t->cur.gen)
			t->prev = t->cur;
		t->cur = (struct acct_gen){ .gen = s->gen, .tgid = s->tgid, .start_ns = start_ns };
	}
	t->cur.seen_ns = s->ns;
	if (ch.tgid == WP_UNTRACED_TGID)
		ch.id = NULL;
	else
		id_of_slot(&id, s->comm, s->cgroup_id, s->exec_id);
	if (ch.ns)
		closed(a, cpu, &ch);
}

/*
 * ns more of the header's lost_ns: time the BPF side put in no slot (the ring buffer was
 * full for the evict record of the slot's owner). If it closed a running slice that was
 * credited (a slice of lost_slice), that slice's debt is paid from it first: the credit
 * charged that part to its process already. The rest is no known process's.
 */
static void lost_time(struct acct *a, int cpu, const struct wp_cpu_hdr *h, __u64 ns)
{
	struct acct_cpu *ac = &a->cpus[cpu];
	struct acct_charge ch = { .tgid = ACCT_LOST_TGID, .cpu = cpu, .ns = ns };

	a->lost_ns += ns;
	for (int i = 0; i < ac->ndebts && ch.ns; i++) {
		struct acct_debt *d = &ac->debts[i];

		if (d->slice == h->lost_slice[0] || d->slice == h->lost_slice[1])
			pay_debt(d, &ch);
	}
	if (ch.ns)
		a->ops->charge(a->ctx, &ch);
}

void acct__cpu(struct acct *a, int cpu, const struct wp_cpu *c)
{
	struct acct_cpu *ac;
	const struct wp_cpu_hdr *h = &c->hdr;

	if (cpu < 0 || cpu >= a->nr_cpus)
		return;
	ac = &a->cpus[cpu];
	for (int i = 0; i < WP_SLOTS; i++)
		read_slot(a, cpu, i, &c->slots[i]);

	if (h->seq != h->seq_end) {
		a->torn_headers++;	/* the running slice waits for the next read */
		return;
	}
	if (h->dropped > ac->dropped_seen) {
		a->dropped += h->dropped - ac->dropped_seen;
		ac->dropped_seen = h->dropped;
	}
	if (h->unseen > ac->unseen_seen) {
		a->unseen += h->unseen - ac->unseen_seen;
		ac->unseen_seen = h->unseen;
	}
	if (h->lost_ns > ac->lost_seen) {
		lost_time(a, cpu, h, h->lost_ns - ac->lost_seen);
		ac->lost_seen = h->lost_ns;
	}
	/* wp_snap saw the slice that is still running: credit it so far */
	if (h->cur_tgid && h->snap_seq == h->seq)
		credit_running(a, cpu, h);
}

void acct__event(struct acct *a, const struct wp_event *e)
{
	struct acct_slot *t;
	struct acct_id id;
	struct acct_charge ch = {
		.tgid = e->tgid, .start_ns = e->start_ns, .cpu = (int)e->cpu, .id = &id,
	};

	if (e->type == WP_EV_EVICT || e->type == WP_EV_SPLIT) {
		if (e->cpu >= (__u32)a->nr_cpus)
			return;
		if (e->tgid == WP_UNTRACED_TGID)
			ch.id = NULL;
		else
			id_of_slot(&id, e->comm, e->cgroup_id, e->exec_id);
	}
	switch (e->type) {
	case WP_EV_EVICT:
		if (e->slot >= WP_SLOTS)
			return;
		t = &a->cpus[e->cpu].slots[e->slot];
		if (t->cur.gen == e->gen) {
			ch.ns = e->ns > t->cur.seen_ns ? e->ns - t->cur.seen_ns : 0;
			ch.exited = t->cur.gone;
			/* this generation is over: nothing more will come of it */
			t->cur = (struct acct_gen){ 0 };
		} else if (t->prev.gen && t->prev.gen == e->gen) {
			/* seen, then replaced by the generation a snapshot already showed */
			ch.ns = e->ns > t->prev.seen_ns ? e->ns - t->prev.seen_ns : 0;
			ch.exited = t->prev.gone;
			t->prev = (struct acct_gen){ 0 };
		} else {
			ch.ns = e->ns;	/* taken and evicted between two reads */
		}
		if (ch.ns)
			closed(a, ch.cpu, &ch);
		break;
	case WP_EV_SPLIT:
		/* the part of slice e->seq before change e->change: it pays what was
		 * credited of that slice, the rest goes under the identity before */
		ch.ns = e->ns;
		ch.id = NULL;
		ch.before = e->change;
		ch.before_cgroup = e->cgroup_id;
		if (ch.ns)
			closed_slice(a, ch.cpu, &ch, e->seq);
		break;
	}
}

void acct__record(struct acct *a, const void *data, size_t size)
{
	const struct wp_change *ch = data;

	if (size < sizeof(__u32))
		return;
	if (ch->type == WP_EV_CHANGE) {
		if (size >= sizeof(*ch) && a->ops->change)
			a->ops->change(a->ctx, ch);
		return;
	}
	if (ch->type == WP_EV_EXIT) {
		const struct wp_exit *x = data;

		if (size >= sizeof(*x) && a->ops->exited)
			a->ops->exited(a->ctx, x->tgid, x->start_ns);
		return;
	}
	if (ch->type == WP_EV_EXE) {
		const struct wp_exe *e = data;

		/* the queue keeps the path's bytes only (probe.c) */
		if (size >= offsetof(struct wp_exe, path) && e->len && e->len < WP_EXE_LEN &&
		    size >= offsetof(struct wp_exe, path) + e->len + 1 && !e->path[e->len] &&
		    a->ops->exe)
			a->ops->exe(a->ctx, e);
		return;
	}
	if (size >= sizeof(struct wp_event))
		acct__event(a, data);
}

void acct__forget(struct acct *a, __u32 tgid, __u64 start_ns)
{
	for (int cpu = 0; cpu < a->nr_cpus; cpu++) {
		struct acct_slot *t = &a->cpus[cpu].slots[tgid & WP_SLOT_MASK];

		if (t->cur.gen && t->cur.tgid == tgid && t->cur.start_ns == start_ns)
			t->cur.gone = true;
		if (t->prev.gen && t->prev.tgid == tgid && t->prev.start_ns == start_ns)
			t->prev.gone = true;
	}
}
