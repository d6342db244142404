// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Energy attribution; see energy/attribution.h. */
#include <stdlib.h>
#include <string.h>
#include "energy/attribution.h"

__u64 share_uj(__u64 total, __u64 before, __u64 part, __u64 whole)
{
	unsigned __int128 hi, lo;

	if (!whole)
		return 0;
	hi = (unsigned __int128)total * (before + part) / whole;
	lo = (unsigned __int128)total * before / whole;
	return (__u64)(hi - lo);
}

static void attribute_socket(struct attr_socket *s, int sock, struct proc **procs, __u32 n,
			     bool spread_idle)
{
	__u64 base, dram_base = 0, pool, before = 0, got;
	__u32 i;

	s->busy_ns = 0;
	s->idle_uj = 0;
	s->idle_pkg_uj = 0;
	s->idle_dram_uj = 0;
	s->procs_uj = 0;
	for (i = 0; i < n; i++)
		s->busy_ns += figures__sock_ns(&procs[i]->iv, sock);

	if (!s->have_pkg) {
		/* nothing to split: whoever ran here has an unknown share */
		for (i = 0; i < n; i++)
			if (figures__sock_ns(&procs[i]->iv, sock))
				procs[i]->iv.uj_missing = true;
		return;
	}
	pool = s->pkg_uj + (s->have_dram ? s->dram_uj : 0);
	if (!s->busy_ns) {
		s->idle_uj = pool;
		s->idle_pkg_uj = s->pkg_uj;
		s->idle_dram_uj = s->have_dram ? s->dram_uj : 0;
		return;
	}
	base = s->idle_base_uj < s->pkg_uj ? s->idle_base_uj : s->pkg_uj;
	if (s->have_dram)
		dram_base = s->dram_base_uj < s->dram_uj ? s->dram_base_uj : s->dram_uj;
	if (!spread_idle) {
		s->idle_pkg_uj = base;
		s->idle_dram_uj = dram_base;
		s->idle_uj = base + dram_base;
		pool -= base + dram_base;
	}
	for (i = 0; i < n; i++) {
		__u64 ns = figures__sock_ns(&procs[i]->iv, sock);

		if (!ns)	/* (then sock is one of its sockets) */
			continue;
		got = share_uj(pool, before, ns, s->busy_ns);
		before += ns;
		procs[i]->iv.sock_uj[sock] = got;
		procs[i]->iv.uj += got;
		s->procs_uj += got;
	}
}

void attribute(struct attr_socket *socks, int nr_sockets, struct proc **procs, __u32 nr_procs,
	       bool spread_idle)
{
	for (__u32 i = 0; i < nr_procs; i++) {
		procs[i]->iv.uj = 0;
		procs[i]->iv.uj_missing = false;
		for (int k = 0; k < procs[i]->iv.nr_sockets; k++)
			procs[i]->iv.sock_uj[k] = 0;
	}
	for (int s = 0; s < nr_sockets && s < WP_MAX_SOCKETS; s++)
		attribute_socket(&socks[s], s, procs, nr_procs, spread_idle);
}
