// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* One GPU's energy over processes; see gpusplit.h. */
#include <math.h>
#include <string.h>
#include "energy/attribution.h"
#include "energy/gpusplit.h"

#define WEIGHT_SCALE	1000000.0	/* utilisation 0..1 as integer weights for share_uj */

int gpusplit_collect(const struct gpu_sample *s, int n, __u64 *last_seen,
		     struct gpu_pid_util *out, int max)
{
	__u64 since = *last_seen, newest = *last_seen;
	int nr = 0, j;

	for (int i = 0; i < n; i++) {
		unsigned int sm = s[i].sm > 100 ? 100 : s[i].sm;

		if (s[i].ts_us <= since)
			continue;
		if (s[i].ts_us > newest)
			newest = s[i].ts_us;
		for (j = 0; j < nr && out[j].pid != s[i].pid; j++)
			;
		if (j == nr) {
			if (nr == max)
				continue;
			out[nr++] = (struct gpu_pid_util){ .pid = s[i].pid };
		}
		/* a running mean: the samples are percentages of equal periods */
		out[j].samples++;
		out[j].sm += (sm / 100.0 - out[j].sm) / out[j].samples;
	}
	*last_seen = newest;
	return nr;
}

static __u64 weight(double u)
{
	if (!(u > 0))
		return 0;
	return (__u64)llround(fmin(u, 1e6) * WEIGHT_SCALE);
}

/* pool over the processes by weight w[i] of total, cumulatively rounded; returns what they got. */
static __u64 deal(struct gpusplit *g, __u64 pool, const __u64 *w, __u64 total)
{
	__u64 before = 0, got = 0;

	for (int i = 0; i < g->nr_shares; i++) {
		g->shares[i].uj = share_uj(pool, before, w[i], total);
		before += w[i];
		got += g->shares[i].uj;
	}
	return got;
}

void gpusplit__run(struct gpusplit *g)
{
	__u64 w[GPU_MAX_PIDS], sum = 0, total, dyn, pool;

	g->idle_uj = g->idle_base_uj < g->energy_uj ? g->idle_base_uj : g->energy_uj;
	g->others_uj = g->procs_uj = 0;
	g->nr_shares = 0;
	dyn = g->energy_uj - g->idle_uj;

	if (g->mode == GPU_EXCLUSIVE && g->exclusive_pid) {
		g->shares[0] = (struct gpu_share){ .pid = g->exclusive_pid };
		g->nr_shares = 1;
		w[0] = sum = 1;
	} else if (g->mode == GPU_SHARED) {
		for (int i = 0; i < g->nr_pids && g->nr_shares < GPU_MAX_PIDS; i++) {
			__u64 wi = weight(g->pids[i].sm);

			if (!wi)
				continue;
			g->shares[g->nr_shares] = (struct gpu_share){ .pid = g->pids[i].pid };
			w[g->nr_shares++] = wi;
			sum += wi;
		}
	}
	if (!sum) {
		/* nothing explains the dynamic part: it is others' */
		g->nr_shares = 0;
		g->others_uj = dyn;
		return;
	}
	/* the GPU busier than its processes say: the rest is others' */
	total = g->mode == GPU_SHARED && weight(g->util) > sum ? weight(g->util) : sum;
	pool = dyn;
	if (g->spread_idle) {
		pool += g->idle_uj;
		g->idle_uj = 0;
	}
	g->procs_uj = deal(g, pool, w, total);
	g->others_uj = pool - g->procs_uj;
}
