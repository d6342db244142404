// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The guests of this host and their shares of its energy; see sample/guests.h.
 *
 * Per guest and interval, in integer microjoules:
 *   dynamic: what attribution gave its processes on each socket (the same figures as its
 *            row of --group-by vm), split into the package's and DRAM's parts in the
 *            proportion of the socket's two dynamic pools; psys (the platform, reported and
 *            not attributed on the host) gives it the same share of its dynamic part as its
 *            on-CPU time is of the host's.
 *   idle:    each domain's idle energy x its vCPUs / max(the host's online CPUs, all guests'
 *            vCPUs): a guest of 2 vCPUs on a host of 16 CPUs gets 1/8 of the idle power,
 *            busy or not, and overcommitted guests never get more than the host's idle.
 * Its share of a power limit is the limit x its vCPUs / the host's online CPUs.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "sample/guests.h"

struct guest_member {
	__u32 tgid;
	__u64 start_ns;
	struct sample_guest *guest;
	unsigned vcpus;			/* what its command line says; 0 unknown */
	bool dead;			/* exited or left the table: goes at the next begin */
};

void guests__init(struct guests *g)
{
	memset(g, 0, sizeof(*g));
}

void guests__free(struct guests *g)
{
	for (__u32 i = 0; i < g->nr; i++)
		free(g->list[i]);
	free(g->list);
	free(g->members);
	memset(g, 0, sizeof(*g));
}

void guests__begin(struct guests *g)
{
	__u32 n = 0;

	for (__u32 i = 0; i < g->nr_members; i++)
		if (!g->members[i].dead)
			g->members[n++] = g->members[i];
	g->nr_members = n;
	n = 0;
	for (__u32 i = 0; i < g->nr; i++) {
		struct sample_guest *q = g->list[i];
		bool live = false;

		for (__u32 k = 0; k < g->nr_members && !live; k++)
			live = g->members[k].guest == q;
		if (!live) {
			free(q);
			continue;
		}
		memset((char *)q + offsetof(struct sample_guest, vcpus), 0,
		       sizeof(*q) - offsetof(struct sample_guest, vcpus));
		figures__attach(&q->iv, q->sock, WP_MAX_SOCKETS);
		g->list[n++] = q;
	}
	g->nr = n;
}

static struct sample_guest *find_guest(struct guests *g, const char *name)
{
	for (__u32 i = 0; i < g->nr; i++)
		if (!strcmp(g->list[i]->id.name, name))
			return g->list[i];
	return NULL;
}

static struct guest_member *find_member(struct guests *g, __u32 tgid, __u64 start_ns)
{
	for (__u32 i = 0; i < g->nr_members; i++)
		if (g->members[i].tgid == tgid && g->members[i].start_ns == start_ns)
			return &g->members[i];
	return NULL;
}

static void *grow(void *p, __u32 *cap, size_t size)
{
	__u32 n = *cap ? 2 * *cap : 16;
	void *q = realloc(p, n * size);

	if (q)
		*cap = n;
	return q;
}

int guests__add(struct guests *g, struct proc *p, const struct vm_id *id)
{
	struct sample_guest *q = find_guest(g, id->name);
	struct guest_member *m;

	if (!q) {
		if (g->nr == g->cap) {
			struct sample_guest **l = grow(g->list, &g->cap, sizeof(*l));

			if (!l)
				return -ENOMEM;
			g->list = l;
		}
		q = calloc(1, sizeof(*q));
		if (!q)
			return -ENOMEM;
		figures__attach(&q->iv, q->sock, WP_MAX_SOCKETS);
		g->list[g->nr++] = q;
	}
	/* the source that found it last: a process moved into libvirt's scope says cgroup */
	q->id = *id;
	m = p->part ? NULL : find_member(g, p->tgid, p->start_ns);
	if (!m && !p->part) {
		if (g->nr_members == g->cap_members) {
			struct guest_member *l = grow(g->members, &g->cap_members, sizeof(*l));

			if (!l)
				return -ENOMEM;
			g->members = l;
		}
		m = &g->members[g->nr_members++];
		*m = (struct guest_member){ .tgid = p->tgid, .start_ns = p->start_ns };
	}
	if (m) {
		m->guest = q;
		m->vcpus = id->vcpus;
		m->dead = p->exited;
	}
	q->members++;
	figures__fold(&q->iv, &p->iv);
	p->vm = &q->id;
	return 0;
}

void guests__forget(struct guests *g, __u32 tgid, __u64 start_ns)
{
	struct guest_member *m = g->nr_members ? find_member(g, tgid, start_ns) : NULL;

	if (m)
		m->dead = true;
}

/* a * b / c without overflow, rounded down; 0 when c is. */
static __u64 muldiv(__u64 a, __u64 b, __u64 c)
{
	return c ? (__u64)((unsigned __int128)a * b / c) : 0;
}

/* Each guest's vCPUs: the most any of its processes' command lines says, else 1. */
static __u64 count_vcpus(struct guests *g)
{
	__u64 all = 0;

	for (__u32 i = 0; i < g->nr; i++) {
		struct sample_guest *q = g->list[i];

		q->id.vcpus = 0;
		for (__u32 k = 0; k < g->nr_members; k++)
			if (g->members[k].guest == q && g->members[k].vcpus > q->id.vcpus)
				q->id.vcpus = g->members[k].vcpus;
		q->vcpus = q->id.vcpus ? q->id.vcpus : 1;
		all += q->vcpus;
	}
	return all;
}

/* A domain's limit summed over the sockets, or 0 when a socket does not say. */
static double host_limit(const struct sample *s, int d)
{
	double sum = 0;

	for (int k = 0; k < s->nr_sockets; k++) {
		if (s->sockets[k].limit_w[d] <= 0)
			return 0;
		sum += s->sockets[k].limit_w[d];
	}
	return sum;
}

static void shares(struct sample_guest *q, const struct sample *s, __u64 whole)
{
	for (int k = 0; k < s->nr_sockets && k < WP_MAX_SOCKETS; k++) {
		const struct sample_socket *ss = &s->sockets[k];
		__u64 pool_pkg = ss->uj[ENERGY_PACKAGE] - ss->idle_dom_uj[ENERGY_PACKAGE];
		__u64 pool_dram = ss->have[ENERGY_DRAM] ?
				  ss->uj[ENERGY_DRAM] - ss->idle_dom_uj[ENERGY_DRAM] : 0;
		__u64 uj = figures__sock_uj(&q->iv, k);
		__u64 dram = muldiv(uj, pool_dram, pool_pkg + pool_dram);

		q->dyn_uj[ENERGY_PACKAGE] += uj - dram;
		q->dyn_uj[ENERGY_DRAM] += dram;
		q->idle_uj[ENERGY_PACKAGE] += muldiv(ss->idle_dom_uj[ENERGY_PACKAGE], q->vcpus, whole);
		if (ss->have[ENERGY_DRAM])
			q->idle_uj[ENERGY_DRAM] += muldiv(ss->idle_dom_uj[ENERGY_DRAM], q->vcpus, whole);
	}
	if (s->have_psys) {
		q->dyn_uj[ENERGY_PSYS] = muldiv(s->psys_uj - s->psys_idle_uj, q->iv.ns, s->busy_ns);
		q->idle_uj[ENERGY_PSYS] = muldiv(s->psys_idle_uj, q->vcpus, whole);
	}
}

void guests__end(struct guests *g, struct sample *s)
{
	__u64 host_cpus = 0, all_vcpus = count_vcpus(g), whole;

	for (int k = 0; k < s->nr_sockets; k++)
		host_cpus += s->sockets[k].online_cpus;
	whole = host_cpus > all_vcpus ? host_cpus : all_vcpus;
	for (__u32 i = 0; i < g->nr; i++) {
		struct sample_guest *q = g->list[i];

		for (int d = 0; d < ENERGY_NR_DOMAINS; d++) {
			double l = d == ENERGY_PSYS ? s->psys_limit_w : host_limit(s, d);

			q->limit_w[d] = host_cpus ? l * q->vcpus / host_cpus : 0;
		}
		q->have = s->have_energy;
		if (q->have)
			shares(q, s, whole);
	}
	s->guests = g->list;
	s->nr_guests = g->nr;
}
