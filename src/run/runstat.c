// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The totals of `wattprobe run` and its summary; see run/runstat.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "energy/attribution.h"
#include "output/output.h"
#include "run/runstat.h"

/* --- the command's processes ------------------------------------------------------------- */

static __u32 hash_key(__u32 tgid, __u64 start_ns)
{
	__u64 h = (tgid * 0x9e3779b97f4a7c15ULL) ^ (start_ns * 0xc2b2ae3d27d4eb4fULL);

	return (__u32)(h ^ (h >> 29));
}

int runstat__init(struct runstat *r, __u64 cgroup_id, const char *cgroup_path, __u64 min_peak_ns)
{
	memset(r, 0, sizeof(*r));
	r->cgroup_id = cgroup_id;
	r->min_peak_ns = min_peak_ns;
	if (cgroup_path) {
		r->cgroup = strdup(cgroup_path);
		if (!r->cgroup)
			return -ENOMEM;
	}
	r->cap = 256;
	r->procs = calloc(r->cap, sizeof(*r->procs));
	if (!r->procs) {
		runstat__free(r);
		return -ENOMEM;
	}
	strcpy(r->beyond.comm, "[beyond]");
	return 0;
}

void runstat__free(struct runstat *r)
{
	free(r->procs);
	free(r->cgroup);
	memset(r, 0, sizeof(*r));
}

bool runstat__mine(const struct runstat *r, const struct proc *p)
{
	size_t n;

	if (proc__pseudo(p))
		return false;
	if (p->cgroup_id && p->cgroup_id == r->cgroup_id)
		return true;
	/* below it: a cgroup the command made itself */
	if (!p->cgroup || !r->cgroup)
		return false;
	n = strlen(r->cgroup);
	return n > 1 && !strncmp(p->cgroup, r->cgroup, n) && p->cgroup[n] == '/';
}

static struct runstat_proc *slot_of(struct runstat_proc *t, __u32 cap, __u32 tgid, __u64 start)
{
	__u32 i = hash_key(tgid, start) & (cap - 1);

	while (t[i].used && (t[i].tgid != tgid || t[i].start_ns != start))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static int grow(struct runstat *r)
{
	__u32 cap = r->cap * 2;
	struct runstat_proc *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (__u32 i = 0; i < r->cap; i++)
		if (r->procs[i].used)
			*slot_of(t, cap, r->procs[i].tgid, r->procs[i].start_ns) = r->procs[i];
	free(r->procs);
	r->procs = t;
	r->cap = cap;
	return 0;
}

/* The command's entry of a process: found, new, or the sum of those beyond the table. */
static struct runstat_proc *lookup(struct runstat *r, const struct proc *p)
{
	struct runstat_proc *e = slot_of(r->procs, r->cap, p->tgid, p->start_ns);

	if (e->used)
		return e;
	if (r->nr >= RUNSTAT_MAX_PROCS)
		goto beyond;
	if (2 * (r->nr + 1) > r->cap) {
		if (grow(r))
			goto beyond;
		e = slot_of(r->procs, r->cap, p->tgid, p->start_ns);
	}
	e->used = true;
	e->tgid = p->tgid;
	e->start_ns = p->start_ns;
	e->members = 1;
	r->nr++;
	return e;
beyond:
	r->beyond.members++;
	return &r->beyond;
}

/* Does window w beat the peak so far (a window with missing energy never does)? */
static bool beats(const struct runstat_window *w, bool have, double peak_w)
{
	return w->ns && !w->missing && (!have || watts(w->uj, w->ns) > peak_w);
}

/* This interval's part of the run into the filling window; a window long enough closes,
 * and the one it follows is a candidate for the peak (the last one may yet take a short
 * remainder at the end). */
static void add_window(struct runstat *r, __u64 ran_ns)
{
	r->win.uj += r->iv_uj;
	r->win.ns += ran_ns;
	r->win.missing |= r->iv_missing;
	if (!r->win.ns || r->win.ns < r->min_peak_ns)
		return;
	if (r->have_last && beats(&r->last, r->have_peak, r->peak_w)) {
		r->peak_w = watts(r->last.uj, r->last.ns);
		r->peak_interval_ns = r->last.ns;
		r->have_peak = true;
	}
	r->last = r->win;
	r->have_last = true;
	memset(&r->win, 0, sizeof(r->win));
}

bool runstat__peak(const struct runstat *r, double *w, __u64 *window_ns)
{
	struct runstat_window tail = r->win;
	bool have = r->have_peak;

	*w = r->peak_w;
	*window_ns = r->peak_interval_ns;
	/* what is left of the run goes with the last window */
	if (r->have_last) {
		tail.uj += r->last.uj;
		tail.ns += r->last.ns;
		tail.missing |= r->last.missing;
	}
	if (beats(&tail, have, *w)) {
		*w = watts(tail.uj, tail.ns);
		*window_ns = tail.ns;
		have = true;
	}
	return have;
}

/*
 * A process is named by the last program it ran. A sample may hold it twice: its live
 * entry, under its identity now, and a part under an older one (proc.h), such as a
 * child's time before its exec, under its parent's name. Whatever their order in the
 * sample, a later interval names it over an earlier one, and within an interval the
 * live entry over its parts.
 */
static void name(struct runstat *r, struct runstat_proc *e, const struct proc *p)
{
	__u32 iv = r->intervals + 1;
	bool live = !p->part;

	if (e == &r->beyond || !p->comm[0])
		return;
	if (iv > e->name_iv || live || !e->name_live) {
		memcpy(e->comm, p->comm, sizeof(e->comm));
		e->name_iv = iv;
		e->name_live = live;
	}
}

void runstat__add(struct runstat *r, const struct sample *s, __u64 ran_ns)
{
	__u64 sock_ns[WP_MAX_SOCKETS] = {}, sock_idle[WP_MAX_SOCKETS] = {};
	__u64 before[WP_MAX_SOCKETS] = {};
	int nsock = s->nr_sockets < WP_MAX_SOCKETS ? s->nr_sockets : WP_MAX_SOCKETS;
	bool gpu_missing = false;

	r->iv_ns = r->iv_uj = r->iv_idle_uj = 0;
	r->iv_procs = 0;
	r->iv_missing = false;
	r->iv_interval_ns = s->interval_ns;

	for (__u32 i = 0; i < s->nr_procs; i++) {
		const struct proc *p = s->procs[i];

		if (!runstat__mine(r, p))
			continue;
		for (int k = 0; k < nsock; k++)
			sock_ns[k] += figures__sock_ns(&p->iv, k);
	}
	/* the command's idle share per socket: the baseline times the share of the
	 * socket's CPU time (busy and idle) that the command used */
	for (int k = 0; k < nsock; k++) {
		const struct sample_socket *ss = &s->sockets[k];
		__u64 cap = ss->busy_ns + ss->idle_ns;

		if (ss->have[ENERGY_PACKAGE])
			sock_idle[k] = share_uj(ss->idle_uj, 0, sock_ns[k] < cap ? sock_ns[k] : cap,
						cap);
	}

	for (__u32 i = 0; i < s->nr_procs; i++) {
		const struct proc *p = s->procs[i];
		struct runstat_proc *e;
		__u64 idle = 0;

		if (!runstat__mine(r, p))
			continue;
		r->gpu_uj += p->iv.gpu_uj;
		gpu_missing |= p->iv.gpu_missing;
		for (int k = 0; k < nsock; k++) {
			__u64 ns = figures__sock_ns(&p->iv, k);

			if (!ns)
				continue;
			idle += share_uj(sock_idle[k], before[k], ns, sock_ns[k]);
			before[k] += ns;
		}
		e = lookup(r, p);
		name(r, e, p);
		e->ns += p->iv.ns;
		e->uj += p->iv.uj;
		e->idle_uj += idle;
		e->uj_missing |= p->iv.uj_missing;
		r->iv_ns += p->iv.ns;
		r->iv_uj += p->iv.uj;
		r->iv_idle_uj += idle;
		r->iv_missing |= p->iv.uj_missing;
		r->iv_procs++;
	}

	r->gpu |= s->gpu_sensor != NULL;
	r->gpu_missing_intervals += gpu_missing;
	r->ns += r->iv_ns;
	r->uj += r->iv_uj;
	r->idle_uj += r->iv_idle_uj;
	r->missing_intervals += r->iv_missing;
	r->intervals++;
	r->measured_ns += s->interval_ns;
	add_window(r, ran_ns);

	if (s->have_energy) {
		r->host_uj += s->energy_uj;
		r->host_idle_uj += s->idle_uj;
	} else {
		r->host_missing_intervals++;
	}
	r->host_busy_ns += s->busy_ns;
	if (r->intervals == 1) {
		r->dropped_first = s->dropped - s->dropped_delta;
		r->unseen_first = s->unseen;
	}
	r->dropped_last = s->dropped;
	r->unseen_last = s->unseen;
	r->sensor = s->sensor;
	r->sensor_source = s->sensor_source;
	r->estimated = s->estimated;
}

/* --- consumers by name ------------------------------------------------------------------- */

static int cmp_comm(const void *a, const void *b)
{
	const struct runstat_proc *x = *(struct runstat_proc *const *)a;
	const struct runstat_proc *y = *(struct runstat_proc *const *)b;

	return strncmp(x->comm, y->comm, WP_COMM_LEN);
}

static int cmp_usage(const void *a, const void *b)
{
	const struct runstat_proc *x = a, *y = b;

	if (x->uj != y->uj)
		return x->uj > y->uj ? -1 : 1;
	if (x->ns != y->ns)
		return x->ns > y->ns ? -1 : 1;
	return strncmp(x->comm, y->comm, WP_COMM_LEN);
}

static void add_to(struct runstat_proc *g, const struct runstat_proc *p)
{
	g->members += p->members;
	g->ns += p->ns;
	g->uj += p->uj;
	g->idle_uj += p->idle_uj;
	g->uj_missing |= p->uj_missing;
}

int runstat__consumers(const struct runstat *r, unsigned top, struct runstat_proc **out,
		       struct runstat_proc *others)
{
	struct runstat_proc **v, *g;
	__u32 n = 0, ng = 0;

	memset(others, 0, sizeof(*others));
	strcpy(others->comm, "others");
	*out = NULL;
	v = malloc((r->nr + 1) * sizeof(*v));
	g = calloc(r->nr + 1, sizeof(*g));
	if (!v || !g) {
		free(v);
		free(g);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < r->cap; i++)
		if (r->procs[i].used)
			v[n++] = &r->procs[i];
	qsort(v, n, sizeof(*v), cmp_comm);
	for (__u32 i = 0; i < n; i++) {
		if (!ng || strncmp(g[ng - 1].comm, v[i]->comm, WP_COMM_LEN)) {
			memcpy(g[ng].comm, v[i]->comm, WP_COMM_LEN);
			g[ng].used = true;
			ng++;
		}
		add_to(&g[ng - 1], v[i]);
	}
	if (r->beyond.members)
		g[ng++] = r->beyond;
	free(v);
	qsort(g, ng, sizeof(*g), cmp_usage);
	if (top && ng > top) {
		for (__u32 i = top; i < ng; i++)
			add_to(others, &g[i]);
		ng = top;
	}
	*out = g;
	return (int)ng;
}

/* --- formats ----------------------------------------------------------------------------- */

void runstat__printable(struct pbuf *b, const char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f) {
			pbuf_printf(b, "\\x%02x", c);
			i++;
		} else if (c < 0x80) {
			pbuf_printf(b, "%c", c);
			i++;
		} else if (!utf8_next(s + i, n - i, &len)) {
			pbuf_printf(b, "%.*s", (int)len, s + i);
			i += len;
		} else {
			for (size_t k = 0; k < len; k++)
				pbuf_printf(b, "\\x%02x", (unsigned char)s[i + k]);
			i += len;
		}
	}
}

static void printable_str(struct pbuf *b, const char *s)
{
	runstat__printable(b, s, strlen(s));
}

static void printable_comm(struct pbuf *b, const char *comm)
{
	runstat__printable(b, comm, strnlen(comm, WP_COMM_LEN));
}

/* The command line as a shell would take it: words with special characters in
 * single quotes, a single quote as '\''. */
static void command_line(struct pbuf *b, char *const *argv)
{
	for (int i = 0; argv && argv[i]; i++) {
		const char *a = argv[i], *q;
		bool quote = !a[0] || strpbrk(a, " \t\n'\"$`\\*?[]{}~#;&|<>()!");

		if (i)
			pbuf_printf(b, " ");
		if (!quote) {
			printable_str(b, a);
			continue;
		}
		pbuf_printf(b, "'");
		while ((q = strchr(a, '\''))) {
			runstat__printable(b, a, q - a);
			pbuf_printf(b, "'\\''");
			a = q + 1;
		}
		printable_str(b, a);
		pbuf_printf(b, "'");
	}
}

static double secs(__u64 ns)
{
	return ns / 1e9;
}

static double tv_secs(const struct timeval *tv)
{
	return tv->tv_sec + tv->tv_usec / 1e6;
}

static __u32 process_count(const struct runstat *r)
{
	return r->nr + r->beyond.members;
}

__u64 runstat__cpu_ns(const struct runstat *r, const struct run_info *ri)
{
	return ri->have_cgroup_cpu ? ri->cgroup_usage_us * 1000 : r->ns;
}

/* The per-process sum differs from the cgroup's account by more than 0.1%. */
static bool processes_differ(const struct runstat *r, const struct run_info *ri, double *pct)
{
	__u64 cg = runstat__cpu_ns(r, ri), d = r->ns > cg ? r->ns - cg : cg - r->ns;

	if (!ri->have_cgroup_cpu || !cg)
		return false;
	*pct = 100.0 * ((double)r->ns - (double)cg) / cg;
	return d * 1000 > cg && d > 1000000;
}

static void text_status(struct pbuf *b, const struct run_info *ri)
{
	if (ri->signal)
		pbuf_printf(b, "was killed by signal %d (%s): status %d", ri->signal,
			    strsignal(ri->signal), ri->exit_code);
	else
		pbuf_printf(b, "exited with status %d", ri->exit_code);
}

void runstat__text(struct pbuf *b, const struct runstat *r, const struct run_info *ri)
{
	struct runstat_proc *g = NULL, others;
	__u64 pk_ns = 0;
	double pk_w = 0, wall = secs(ri->wall_ns), pct;
	int ng;

	pbuf_printf(b, "wattprobe run: ");
	command_line(b, ri->argv);
	pbuf_printf(b, " ");
	text_status(b, ri);
	pbuf_printf(b, "\n");
	pbuf_printf(b, "  wall time   %12.3f s\n", wall);
	pbuf_printf(b, "  cpu time    %12.3f s   %u process%s", secs(runstat__cpu_ns(r, ri)),
		    process_count(r), process_count(r) == 1 ? "" : "es");
	if (ri->have_rusage)
		pbuf_printf(b, " (rusage: user %.3f s, sys %.3f s)", tv_secs(&ri->utime),
			    tv_secs(&ri->stime));
	pbuf_printf(b, "\n");
	if (processes_differ(r, ri, &pct))
		pbuf_printf(b, "  (per process %.3f s, %+.2f%%: some switches were not traced; "
			    "energy is split by these)\n", secs(r->ns), pct);
	pbuf_printf(b, "  energy      %12.3f J   %.3f W average, by CPU time\n", uj_to_j(r->uj),
		    wall > 0 ? uj_to_j(r->uj) / wall : 0);
	pbuf_printf(b, "  idle share  %12.3f J   %.3f W average, not in the energy above\n",
		    uj_to_j(r->idle_uj), wall > 0 ? uj_to_j(r->idle_uj) / wall : 0);
	if (r->gpu)
		pbuf_printf(b, "  gpu energy  %12.3f J   %.3f W average, by SM utilisation%s\n",
			    uj_to_j(r->gpu_uj), wall > 0 ? uj_to_j(r->gpu_uj) / wall : 0,
			    r->gpu_missing_intervals ? " (missing in some intervals)" : "");
	if (r->missing_intervals)
		pbuf_printf(b, "  (energy missing in %u of %u intervals: a lower bound)\n",
			    r->missing_intervals, r->intervals);
	if (runstat__peak(r, &pk_w, &pk_ns))
		pbuf_printf(b, "  peak power  %12.3f W   over %.3f s\n", pk_w, secs(pk_ns));
	if (ri->carbon >= 0)
		pbuf_printf(b, "  CO2e        %12.6f g   + %.6f g idle, at %g g/kWh (only as good "
			    "as that)\n", runstat__co2e_g(r->uj, ri->carbon),
			    runstat__co2e_g(r->idle_uj, ri->carbon), ri->carbon);
	pbuf_printf(b, "  sensor      %s%s\n", r->sensor ? r->sensor : "none",
		    r->estimated ? " (estimated: a power model, not a measurement)" : " (measured)");
	if (ri->left_running)
		pbuf_printf(b, "  left running  %u process%s, counted until it ended\n",
			    ri->left_running, ri->left_running == 1 ? "" : "es");
	if (r->dropped_last > r->dropped_first)
		pbuf_printf(b, "  dropped     %llu records: some CPU time is under [unrecorded]\n",
			    (unsigned long long)(r->dropped_last - r->dropped_first));
	ng = runstat__consumers(r, ri->top, &g, &others);
	if (ng > 0) {
		pbuf_printf(b, "  consumers     energy J     idle J      cpu s  procs  name\n");
		for (int i = 0; i < ng; i++) {
			pbuf_printf(b, "              %10.3f %10.3f %10.3f %6u  ", uj_to_j(g[i].uj),
				    uj_to_j(g[i].idle_uj), secs(g[i].ns), g[i].members);
			printable_comm(b, g[i].comm);
			pbuf_printf(b, "\n");
		}
		if (others.members)
			pbuf_printf(b, "              %10.3f %10.3f %10.3f %6u  (others)\n",
				    uj_to_j(others.uj), uj_to_j(others.idle_uj), secs(others.ns),
				    others.members);
	}
	free(g);
}

static void j_joules(struct jw *w, const char *key, __u64 uj)
{
	jw_key(w, key);
	jw_double(w, uj_to_j(uj), 6);
}

static void j_usage(struct jw *w, const struct runstat_proc *p, const struct run_info *ri)
{
	jw_key(w, "cpu_ns");
	jw_u64(w, p->ns);
	j_joules(w, "energy_j", p->uj);
	j_joules(w, "idle_share_j", p->idle_uj);
	jw_key(w, "energy_complete");
	jw_bool(w, !p->uj_missing);
	if (ri->carbon >= 0) {
		jw_key(w, "co2e_g");
		jw_double(w, runstat__co2e_g(p->uj, ri->carbon), 6);
	}
}

static int cmp_listed(const void *a, const void *b)
{
	return cmp_usage(*(struct runstat_proc *const *)a, *(struct runstat_proc *const *)b);
}

/* Every process (biggest first, at most RUNSTAT_MAX_LISTED) and the sum of the rest. */
static void j_processes(struct jw *w, const struct runstat *r, const struct run_info *ri)
{
	struct runstat_proc **v = malloc((r->nr + 1) * sizeof(*v)), rest = r->beyond;
	__u32 n = 0;

	jw_key(w, "processes");
	jw_arr_begin(w);
	if (v) {
		for (__u32 i = 0; i < r->cap; i++)
			if (r->procs[i].used)
				v[n++] = &r->procs[i];
		qsort(v, n, sizeof(*v), cmp_listed);
	}
	for (__u32 i = 0; i < n; i++) {
		if (i >= RUNSTAT_MAX_LISTED) {
			add_to(&rest, v[i]);
			continue;
		}
		jw_obj_begin(w);
		jw_key(w, "pid");
		jw_u64(w, v[i]->tgid);
		jw_key(w, "comm");
		jw_strn(w, v[i]->comm, strnlen(v[i]->comm, WP_COMM_LEN));
		j_usage(w, v[i], ri);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	/* what the list leaves out, so that processes + processes_omitted = the totals */
	jw_key(w, "processes_omitted");
	jw_obj_begin(w);
	jw_key(w, "members");
	jw_u64(w, rest.members);
	j_usage(w, &rest, ri);
	jw_obj_end(w);
	free(v);
}

void runstat__json(struct jw *w, const struct runstat *r, const struct run_info *ri)
{
	struct runstat_proc *g = NULL, others;
	char ts[64];
	struct tm tm;
	__u64 pk_ns = 0;
	double pk_w = 0, wall = secs(ri->wall_ns);
	int ng;

	jw_reset(w);
	jw_obj_begin(w);
	gmtime_r(&ri->end.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ri->end.tv_nsec / 1000000);
	jw_key(w, "timestamp");
	jw_str(w, ts);
	jw_key(w, "command");
	jw_arr_begin(w);
	for (int i = 0; ri->argv && ri->argv[i]; i++)
		jw_str(w, ri->argv[i]);
	jw_arr_end(w);
	jw_key(w, "exit_code");
	jw_i64(w, ri->exit_code);
	jw_key(w, "signal");
	if (ri->signal)
		jw_i64(w, ri->signal);
	else
		jw_null(w);
	jw_key(w, "wall_s");
	jw_double(w, wall, 6);
	jw_key(w, "cpu_s");
	jw_double(w, secs(runstat__cpu_ns(r, ri)), 6);
	jw_key(w, "cpu_ns");
	jw_u64(w, runstat__cpu_ns(r, ri));
	jw_key(w, "cpu_source");
	jw_str(w, ri->have_cgroup_cpu ? "cgroup" : "processes");
	jw_key(w, "processes_cpu_ns");
	jw_u64(w, r->ns);
	jw_key(w, "cgroup_cpu");
	if (ri->have_cgroup_cpu) {
		jw_obj_begin(w);
		jw_key(w, "usage_us");
		jw_u64(w, ri->cgroup_usage_us);
		jw_key(w, "user_us");
		jw_u64(w, ri->cgroup_user_us);
		jw_key(w, "system_us");
		jw_u64(w, ri->cgroup_system_us);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "rusage");
	if (ri->have_rusage) {
		jw_obj_begin(w);
		jw_key(w, "user_s");
		jw_double(w, tv_secs(&ri->utime), 6);
		jw_key(w, "sys_s");
		jw_double(w, tv_secs(&ri->stime), 6);
		jw_key(w, "max_rss_kb");
		jw_i64(w, ri->maxrss_kb);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "process_count");
	jw_u64(w, process_count(r));
	jw_key(w, "left_running");
	jw_u64(w, ri->left_running);
	j_joules(w, "energy_j", r->uj);
	jw_key(w, "power_w");
	jw_double(w, wall > 0 ? uj_to_j(r->uj) / wall : 0, 6);
	j_joules(w, "idle_share_j", r->idle_uj);
	jw_key(w, "idle_share_power_w");
	jw_double(w, wall > 0 ? uj_to_j(r->idle_uj) / wall : 0, 6);
	jw_key(w, "energy_complete");
	jw_bool(w, !r->missing_intervals);
	jw_key(w, "energy_missing_intervals");
	jw_u64(w, r->missing_intervals);
	if (r->gpu) {
		j_joules(w, "gpu_energy_j", r->gpu_uj);
		jw_key(w, "gpu_power_w");
		jw_double(w, wall > 0 ? uj_to_j(r->gpu_uj) / wall : 0, 6);
		jw_key(w, "gpu_energy_complete");
		jw_bool(w, !r->gpu_missing_intervals);
	}
	jw_key(w, "peak_power_w");
	if (runstat__peak(r, &pk_w, &pk_ns))
		jw_double(w, pk_w, 6);
	else
		jw_null(w);
	jw_key(w, "peak_interval_s");
	if (pk_ns)
		jw_double(w, secs(pk_ns), 6);
	else
		jw_null(w);
	if (ri->carbon >= 0) {
		jw_key(w, "carbon_intensity_g_per_kwh");
		jw_double(w, ri->carbon, 3);
		jw_key(w, "co2e_g");
		jw_double(w, runstat__co2e_g(r->uj, ri->carbon), 6);
		jw_key(w, "idle_share_co2e_g");
		jw_double(w, runstat__co2e_g(r->idle_uj, ri->carbon), 6);
	}
	jw_key(w, "sensor");
	jw_str(w, r->sensor ? r->sensor : "none");
	jw_key(w, "estimated");
	jw_bool(w, r->estimated);
	jw_key(w, "intervals");
	jw_u64(w, r->intervals);
	jw_key(w, "dropped");
	jw_u64(w, r->dropped_last - r->dropped_first);
	jw_key(w, "unseen_switches");	/* host-wide: docs/counting.md, "Untraced switches" */
	jw_u64(w, r->unseen_last - r->unseen_first);
	jw_key(w, "cgroup");
	if (ri->cgroup)
		jw_str(w, ri->cgroup);
	else
		jw_null(w);

	/* the whole host over the same intervals, to put the command's share in context */
	jw_key(w, "host");
	jw_obj_begin(w);
	jw_key(w, "measured_s");
	jw_double(w, secs(r->measured_ns), 6);
	jw_key(w, "energy_j");
	if (r->host_missing_intervals)
		jw_null(w);
	else
		jw_double(w, uj_to_j(r->host_uj), 6);
	jw_key(w, "idle_j");
	if (r->host_missing_intervals)
		jw_null(w);
	else
		jw_double(w, uj_to_j(r->host_idle_uj), 6);
	jw_key(w, "cpu_s");
	jw_double(w, secs(r->host_busy_ns), 6);
	jw_obj_end(w);

	jw_key(w, "consumers");
	jw_arr_begin(w);
	ng = runstat__consumers(r, ri->top, &g, &others);
	for (int i = 0; i < ng; i++) {
		jw_obj_begin(w);
		jw_key(w, "comm");
		jw_strn(w, g[i].comm, strnlen(g[i].comm, WP_COMM_LEN));
		jw_key(w, "processes");
		jw_u64(w, g[i].members);
		j_usage(w, &g[i], ri);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "consumers_others");
	jw_obj_begin(w);
	jw_key(w, "processes");
	jw_u64(w, others.members);
	j_usage(w, &others, ri);
	jw_obj_end(w);
	free(g);

	j_processes(w, r, ri);
	jw_obj_end(w);
}

void runstat__prom(struct pbuf *b, const struct runstat *r, const struct run_info *ri)
{
	struct runstat_proc *g = NULL, others;
	__u64 pk_ns = 0;
	double pk_w = 0, wall = secs(ri->wall_ns);
	int ng;

	pbuf_reset(b);
	prom_metric(b, "wattprobe_run_wall_seconds", "gauge", "Wall time of the command.",
		    NULL, wall);
	prom_metric(b, "wattprobe_run_cpu_seconds", "gauge",
		    "CPU time of the command and every process it started.",
		    NULL, secs(runstat__cpu_ns(r, ri)));
	prom_metric(b, "wattprobe_run_processes", "gauge",
		    "Processes of the command, itself included.", NULL, process_count(r));
	/* energy that could not be measured is absent, not 0 */
	if (r->gpu && !r->gpu_missing_intervals)
		prom_metric(b, "wattprobe_run_gpu_joules", "gauge",
			    "GPU energy attributed to the command by its SM utilisation.",
			    NULL, uj_to_j(r->gpu_uj));
	if (!r->missing_intervals) {
		prom_metric(b, "wattprobe_run_joules", "gauge",
			    "Energy attributed to the command by its CPU time (without the idle "
			    "share).", NULL, uj_to_j(r->uj));
		prom_metric(b, "wattprobe_run_idle_joules", "gauge",
			    "The idle baseline times the share of the CPUs' time the command used.",
			    NULL, uj_to_j(r->idle_uj));
		prom_metric(b, "wattprobe_run_watts", "gauge",
			    "Average power attributed to the command over its wall time.",
			    NULL, wall > 0 ? uj_to_j(r->uj) / wall : 0);
		if (ri->carbon >= 0) {
			prom_metric(b, "wattprobe_run_co2e_grams", "gauge",
				    "CO2e of the energy attributed to the command, at the carbon "
				    "intensity given.", NULL, runstat__co2e_g(r->uj, ri->carbon));
			prom_metric(b, "wattprobe_run_idle_co2e_grams", "gauge",
				    "CO2e of the command's idle share, at the carbon intensity "
				    "given.", NULL, runstat__co2e_g(r->idle_uj, ri->carbon));
		}
	}
	if (runstat__peak(r, &pk_w, &pk_ns)) {
		prom_metric(b, "wattprobe_run_peak_watts", "gauge",
			    "Highest power attributed to the command over one sampling interval "
			    "of its run (never below its average).",
			    NULL, pk_w);
	}
	if (ri->carbon >= 0) {
		prom_metric(b, "wattprobe_run_carbon_intensity_grams_per_kwh", "gauge",
			    "The carbon intensity the CO2e figures were computed with.",
			    NULL, ri->carbon);
	}
	prom_metric(b, "wattprobe_run_exit_code", "gauge",
		    "Exit status of the command, 128 + N if signal N ended it.",
		    NULL, ri->exit_code);
	prom__sensor_info(b, "wattprobe_run_sensor_info",
			  "Where the energy comes from; estimated=\"true\" for the power model.",
			  r->sensor, r->sensor_source, r->estimated);
	prom_metric(b, "wattprobe_run_last_completion_timestamp_seconds", "gauge",
		    "When the command ended, in seconds since the epoch.",
		    NULL, ri->end.tv_sec + ri->end.tv_nsec / 1e9);

	/* the biggest consumers by name, as many as the summary lists */
	ng = runstat__consumers(r, ri->top, &g, &others);
	if (ng > 0) {
		prom_family(b, "wattprobe_run_consumer_cpu_seconds", "gauge",
			    "CPU time of the command's processes of this name.");
		for (int i = 0; i < ng; i++) {
			char comm[WP_COMM_LEN + 1] = "";
			const char *l[] = { "comm", comm, NULL };

			memcpy(comm, g[i].comm, WP_COMM_LEN);
			prom_sample(b, "wattprobe_run_consumer_cpu_seconds", l, secs(g[i].ns));
		}
		if (!r->missing_intervals) {
			prom_family(b, "wattprobe_run_consumer_joules", "gauge",
				    "Energy attributed to the command's processes of this name.");
			for (int i = 0; i < ng; i++) {
				char comm[WP_COMM_LEN + 1] = "";
				const char *l[] = { "comm", comm, NULL };

				memcpy(comm, g[i].comm, WP_COMM_LEN);
				prom_sample(b, "wattprobe_run_consumer_joules", l, uj_to_j(g[i].uj));
			}
		}
	}
	free(g);
}

void runstat__progress_text(struct pbuf *b, const struct runstat *r, __u64 elapsed_ns)
{
	double iv = secs(r->iv_interval_ns);

	pbuf_printf(b, "wattprobe: %7.1f s  cpu %8.3f s %5.1f%%  ", secs(elapsed_ns), secs(r->ns),
		    iv > 0 ? 100.0 * secs(r->iv_ns) / iv : 0);
	if (r->iv_missing)
		pbuf_printf(b, "      - W");
	else
		pbuf_printf(b, "%7.3f W", iv > 0 ? uj_to_j(r->iv_uj) / iv : 0);
	pbuf_printf(b, "  energy %9.3f J  idle %8.3f J  %u proc%s\n", uj_to_j(r->uj),
		    uj_to_j(r->idle_uj), r->iv_procs, r->iv_procs == 1 ? "" : "s");
}

void runstat__progress_json(struct jw *w, const struct runstat *r, __u64 elapsed_ns)
{
	jw_reset(w);
	jw_obj_begin(w);
	jw_key(w, "progress");
	jw_bool(w, 1);
	jw_key(w, "elapsed_s");
	jw_double(w, secs(elapsed_ns), 6);
	jw_key(w, "interval_s");
	jw_double(w, secs(r->iv_interval_ns), 6);
	jw_key(w, "interval_cpu_ns");
	jw_u64(w, r->iv_ns);
	jw_key(w, "power_w");
	if (r->iv_missing || !r->iv_interval_ns)
		jw_null(w);
	else
		jw_double(w, watts(r->iv_uj, r->iv_interval_ns), 6);
	jw_key(w, "processes");
	jw_u64(w, r->iv_procs);
	jw_key(w, "cpu_ns");
	jw_u64(w, r->ns);
	j_joules(w, "energy_j", r->uj);
	j_joules(w, "idle_share_j", r->idle_uj);
	jw_obj_end(w);
}
