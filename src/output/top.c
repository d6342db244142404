// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `wattprobe top`: the title, host and socket lines, then processes or groups,
 * laid out to fit a terminal (top__render) or printed as plain lines
 * (top__print). Pure but for top__print's writes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "output/output.h"
#include "lib/termsafe.h"
#include "output/top.h"

/* The longest text of a row: a command line and a name, each escaped (4 bytes a byte at most). */
#define TEXT_MAX (4 * (PROCINFO_CMDLINE_MAX + WP_COMM_LEN) + 16)
#define HEAD_MAX 512

static const char *const sort_names[TOP_SORT_NR] = {
	[TOP_SORT_WATTS] = "watts", [TOP_SORT_CPU] = "cpu", [TOP_SORT_ENERGY] = "energy",
	[TOP_SORT_PID] = "pid", [TOP_SORT_NAME] = "name",
};

const char *top_sort_name(enum top_sort sort)
{
	return sort < TOP_SORT_NR ? sort_names[sort] : "?";
}

void top_frame__free(struct top_frame *f)
{
	free(f->buf);
	free(f->lines);
	free(f->order);
	free(f->rows);
	memset(f, 0, sizeof(*f));
}

/* Append a line of len bytes (plus a NUL) to the frame. */
static void add_line(struct top_frame *f, enum top_attr attr, const char *text, size_t len)
{
	if (f->err)
		return;
	if (f->nr == f->cap_lines) {
		int cap = f->cap_lines ? f->cap_lines * 2 : 64;
		struct top_line *l = realloc(f->lines, cap * sizeof(*l));

		if (!l) {
			f->err = -ENOMEM;
			return;
		}
		f->lines = l;
		f->cap_lines = cap;
	}
	if (f->len + len + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 8192;
		char *b;

		while (cap < f->len + len + 1)
			cap *= 2;
		b = realloc(f->buf, cap);
		if (!b) {
			f->err = -ENOMEM;
			return;
		}
		f->buf = b;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, text, len);
	f->buf[f->len + len] = '\0';
	f->lines[f->nr++] = (struct top_line){ .off = f->len, .attr = attr };
	f->len += len + 1;
}

/*
 * Header lines are made of fields, ASCII only, two spaces apart. With a width,
 * a field that does not fit goes to the next line (indented), or is left out
 * if it is optional; a field wider than the whole width is cut.
 */
struct flow {
	struct top_frame *f;
	int width;
	enum top_attr attr;
	char buf[HEAD_MAX];
	int len;
};

static void flow_begin(struct flow *w, struct top_frame *f, int width, enum top_attr attr)
{
	w->f = f;
	w->width = width;
	w->attr = attr;
	w->len = 0;
}

static void flow_end(struct flow *w)
{
	if (w->len)
		add_line(w->f, w->attr, w->buf, w->len);
	w->len = 0;
}

static void field(struct flow *w, bool optional, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void field(struct flow *w, bool optional, const char *fmt, ...)
{
	char text[HEAD_MAX];
	va_list ap;
	int n, sep;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(text))
		n = sizeof(text) - 1;
	sep = w->len ? 2 : 0;
	if (w->width > 0 && w->len + sep + n > w->width) {
		if (optional)
			return;
		if (w->len) {
			flow_end(w);
			memcpy(w->buf, "  ", 2);	/* a continued line */
			w->len = 2;
			sep = 0;
		}
		if (w->len + n > w->width)
			n = w->width > w->len ? w->width - w->len : 0;
	}
	if (w->len + sep + n >= (int)sizeof(w->buf))
		return;
	memcpy(w->buf + w->len, "  ", sep);
	memcpy(w->buf + w->len + sep, text, n);
	w->len += sep + n;
}

static void fmt_watts(char *buf, size_t n, bool have, __u64 uj, __u64 interval_ns)
{
	if (have)
		snprintf(buf, n, "%.2f", watts(uj, interval_ns));
	else
		snprintf(buf, n, "-");
}

/* Joules in at most 9 characters. */
static void fmt_joules(char *buf, size_t n, __u64 uj)
{
	double j = uj_to_j(uj);

	if (j < 1e6)
		snprintf(buf, n, "%.2f", j);
	else if (j < 1e9)
		snprintf(buf, n, "%.0f", j);
	else
		snprintf(buf, n, "%.2e", j);
}

static int online_cpus(const struct sample *s)
{
	int n = 0;

	for (int i = 0; i < s->nr_sockets; i++)
		n += s->sockets[i].online_cpus;
	return n;
}

/* Where header() put its lines: the title's, the host's, then the sockets'. */
struct head {
	int title_end;		/* the title: lines [0, title_end) */
	int sensor;		/* the title's line that says the sensor (estimated or not) */
	int host_end;		/* the host: [title_end, host_end); sockets: [host_end, nr) */
};

/*
 * CPU figures are in the unit of the CPU% column: one CPU is 100% (the sum
 * over N CPUs is N x 100%), or with o->host_cpu all of them are 100%.
 */
static void header(struct top_frame *f, const struct sample *s, const struct top_opts *o,
		   double cpu_div, struct head *h)
{

	char when[64], w[32], idle[32];
	struct flow fl;
	struct tm tm;
	time_t t = s->wall.tv_sec;
	int ncpu = online_cpus(s);

	flow_begin(&fl, f, o->width, TOP_TITLE);
	if (o->terminal) {
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		field(&fl, false, "wattprobe %s", when);
	} else {
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		field(&fl, false, "%s.%03ldZ", when, s->wall.tv_nsec / 1000000);
	}
	field(&fl, false, "sensor %s%s%s", s->sensor ? s->sensor : "-",
	      s->sensor_source && !strcmp(s->sensor_source, "vm-export") ? " (vm-export)" : "",
	      s->estimated ? " (estimated)" : "");
	h->sensor = f->nr;	/* the line the flow is filling */
	field(&fl, false, "interval %.2f s", s->interval_ns / 1e9);
	if (o->paused)
		field(&fl, false, "[paused]");
	if (s->dropped)
		field(&fl, false, "dropped %llu", (unsigned long long)s->dropped);
	if (o->terminal) {
		field(&fl, true, "sort %s%s", top_sort_name(o->sort), o->reverse ? " (reversed)" : "");
		field(&fl, true, "h: help");
	}
	flow_end(&fl);
	h->title_end = f->nr;

	flow_begin(&fl, f, o->width, TOP_TEXT);
	fmt_watts(w, sizeof(w), s->have_energy, s->energy_uj, s->interval_ns);
	fmt_watts(idle, sizeof(idle), s->have_energy, s->idle_uj, s->interval_ns);
	field(&fl, false, "host %s W", w);
	field(&fl, false, "idle %s W", idle);
	if (s->have_psys) {
		fmt_watts(w, sizeof(w), true, s->psys_uj, s->interval_ns);
		field(&fl, false, "psys %s W", w);
	}
	if (s->gpu_sensor) {
		fmt_watts(w, sizeof(w), s->have_gpu, s->gpu_uj, s->interval_ns);
		field(&fl, false, "gpu %s W", w);
	}
	if (s->platform_sensor) {
		fmt_watts(w, sizeof(w), s->have_platform, s->platform_uj, s->interval_ns);
		field(&fl, false, "platform %s W", w);
	}
	field(&fl, false, "cpu %.1f%% of %.0f%% (%d CPU%s)", s->util * ncpu * 100 / cpu_div,
	      ncpu * 100 / cpu_div, ncpu, ncpu == 1 ? "" : "s");
	flow_end(&fl);
	h->host_end = f->nr;

	for (int i = 0; i < s->nr_sockets; i++) {
		const struct sample_socket *ss = &s->sockets[i];

		flow_begin(&fl, f, o->width, TOP_TEXT);
		field(&fl, false, "socket %d", ss->id);
		fmt_watts(w, sizeof(w), ss->have[ENERGY_PACKAGE], ss->uj[ENERGY_PACKAGE], s->interval_ns);
		field(&fl, false, "package %s W", w);
		/* a socket without DRAM energy has no dram field */
		if (ss->have[ENERGY_DRAM] || ss->total_uj[ENERGY_DRAM]) {
			fmt_watts(w, sizeof(w), ss->have[ENERGY_DRAM], ss->uj[ENERGY_DRAM],
				  s->interval_ns);
			field(&fl, false, "dram %s W", w);
		}
		/* the idle baseline, and where it came from; idle differs with
		 * --spread-idle or when the package draws less than the baseline */
		fmt_watts(idle, sizeof(idle), ss->have[ENERGY_PACKAGE], ss->idle_uj, s->interval_ns);
		snprintf(w, sizeof(w), "%.2f", ss->idle_base_w);
		if (strcmp(w, idle))
			field(&fl, false, "idle %s W  baseline %s W (%s)", idle, w,
			      idle_source_name(ss->idle_src));
		else
			field(&fl, false, "idle %s W (%s baseline)", idle,
			      idle_source_name(ss->idle_src));
		field(&fl, false, "cpu %.1f%% of %.0f%%", ss->util * ss->online_cpus * 100 / cpu_div,
		      ss->online_cpus * 100 / cpu_div);
		if (ss->gap)
			field(&fl, false, "energy missing: %s", ss->gap);
		flow_end(&fl);
	}
	for (int i = 0; i < s->nr_gpus; i++) {
		const struct sample_gpu *g = &s->gpus[i];
		char name[64];

		flow_begin(&fl, f, o->width, TOP_TEXT);
		termsafe_escape(name, sizeof(name), g->name, strlen(g->name), o->charset);
		field(&fl, false, "gpu %d %s", g->index, name);
		fmt_watts(w, sizeof(w), g->have, g->uj, s->interval_ns);
		field(&fl, false, "%s W", w);
		fmt_watts(idle, sizeof(idle), g->have, g->idle_uj, s->interval_ns);
		field(&fl, false, "idle %s W (%s baseline)", idle,
		      idle_source_name(g->baseline.src));
		if (g->util >= 0)
			field(&fl, false, "util %.0f%%", g->util * 100);
		if (!g->per_process && g->no_per_process)
			field(&fl, false, "per-process not available: %s", g->no_per_process);
		if (!g->have && g->gap)
			field(&fl, false, "energy missing: %s", g->gap);
		flow_end(&fl);
	}
}

/* --- rows ------------------------------------------------------------------------------- */

static int cmp_u64_desc(__u64 a, __u64 b)
{
	return a == b ? 0 : a > b ? -1 : 1;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct view_row *x = *(const struct view_row *const *)a;
	const struct view_row *y = *(const struct view_row *const *)b;
	const struct top_opts *o = arg;
	int r = 0;

	switch (o->sort) {
	case TOP_SORT_WATTS:
		r = cmp_u64_desc(x->iv.uj, y->iv.uj);
		break;
	case TOP_SORT_CPU:
		r = cmp_u64_desc(x->iv.ns, y->iv.ns);
		break;
	case TOP_SORT_ENERGY:
		r = cmp_u64_desc(x->total_uj, y->total_uj);
		break;
	case TOP_SORT_PID:
		if (x->p && y->p)	/* ascending; groups: most members first */
			r = x->p->tgid == y->p->tgid ? 0 : x->p->tgid < y->p->tgid ? -1 : 1;
		else
			r = cmp_u64_desc(x->members, y->members);
		break;
	case TOP_SORT_NAME:
		r = strcmp(x->key, y->key);
		break;
	default:
		break;
	}
	if (o->reverse)
		r = -r;
	if (!r)
		r = cmp_u64_desc(x->iv.uj, y->iv.uj);
	if (!r)
		r = cmp_u64_desc(x->iv.ns, y->iv.ns);
	if (!r)
		r = strcmp(x->key, y->key);
	if (!r && x->p && y->p)
		r = x->p->tgid < y->p->tgid ? -1 : x->p->tgid > y->p->tgid;
	return r;
}

/* Does the command line start with the name, as its program's base name? */
static bool cmdline_shows_comm(const char *cmdline, const char *comm)
{
	size_t argv0 = strcspn(cmdline, " "), n = strlen(comm);
	const char *base = cmdline;

	for (size_t i = 0; i < argv0; i++)
		if (cmdline[i] == '/')
			base = cmdline + i + 1;
	return !strncmp(base, comm, n) || !strncmp(cmdline, comm, n);
}

/*
 * The text of a container or pod group whose names are known: what operators
 * call it ("name", "namespace/pod/name", "namespace/pod"), then its id cut as
 * `docker ps` and `crictl ps` cut it. False: the key alone, as for other groups.
 */
static bool group_text(char *out, size_t cap, const struct view_row *r,
		       const struct top_opts *o)
{
	const struct ctr_names *n = r->names;
	char text[TEXT_MAX];
	int len;

	if (!n || (o->by != GROUP_CONTAINER && o->by != GROUP_POD))
		return false;
	if (o->by == GROUP_CONTAINER && n->name && n->pod)
		len = snprintf(text, sizeof(text), "%s/%s/%s (%.12s)", n->ns ? n->ns : "?",
			       n->pod, n->name, r->key);
	else if (o->by == GROUP_CONTAINER && n->name)
		len = snprintf(text, sizeof(text), "%s (%.12s)", n->name, r->key);
	else if (n->pod)
		len = snprintf(text, sizeof(text), "%s/%s (%.12s)", n->ns ? n->ns : "?", n->pod,
			       r->key);
	else
		return false;
	if (len < 0)
		return false;
	termsafe_escape(out, cap, text, strnlen(text, sizeof(text)), o->charset);
	return true;
}

/*
 * The COMMAND of a process: its command line; "[name]" for a kernel thread
 * (an empty command line); "name: command line" when the name is not the
 * program's (a process renamed itself); the name when the command line is
 * unknown or names were asked for. Escaped into out.
 */
static void command_text(char *out, size_t cap, const struct view_row *r,
			 const struct top_opts *o)
{
	const struct proc *p = r->p;
	size_t n = 0;

	if (!p && group_text(out, cap, r, o))
		return;
	if (!p || o->names || !p->cmdline) {
		termsafe_escape(out, cap, r->key, strlen(r->key), o->charset);
		return;
	}
	if (!*p->cmdline) {
		out[0] = '[';
		termsafe_escape(out + 1, cap - 2, r->key, strlen(r->key), o->charset);
		n = strlen(out);
		snprintf(out + n, cap - n, "]");
		return;
	}
	if (!cmdline_shows_comm(p->cmdline, r->key)) {
		termsafe_escape(out, cap, r->key, strlen(r->key), o->charset);
		n = strlen(out);
		n += snprintf(out + n, cap - n, ": ");
	}
	termsafe_escape(out + n, cap - n, p->cmdline, strlen(p->cmdline), o->charset);
}

/* A row: the numbers, then text cut to the width. */
static void row_line(struct top_frame *f, const struct top_opts *o, const char *id,
		     const char *w, const char *gpu, const char *j, double cpu, char flag,
		     const char *text)
{
	char line[TEXT_MAX + 64];
	int n = gpu ? snprintf(line, sizeof(line), "%7s %8s %8s %9s %6.1f %c ", id, w, gpu, j,
			       cpu, flag) :
		      snprintf(line, sizeof(line), "%7s %8s %9s %6.1f %c ", id, w, j, cpu, flag);
	size_t len = strlen(text);

	if (o->width > 0) {
		if (n > o->width)
			n = o->width;
		len = termsafe_fit(text, len, o->width - n, o->charset, NULL);
	}
	if (len > sizeof(line) - n - 1)
		len = sizeof(line) - n - 1;
	memcpy(line + n, text, len);
	add_line(f, TOP_TEXT, line, n + len);
}

static void process_row(struct top_frame *f, const struct sample *s, const struct view_row *r,
			const struct top_opts *o, double cpu_div)
{
	char id[32], w[32], g[32], j[32], text[TEXT_MAX];

	if (!r->p)
		snprintf(id, sizeof(id), "%u", r->members);
	else if (proc__pseudo(r->p))
		snprintf(id, sizeof(id), "-");
	else
		snprintf(id, sizeof(id), "%u", r->p->tgid);
	fmt_watts(w, sizeof(w), !r->iv.uj_missing, r->iv.uj, s->interval_ns);
	fmt_watts(g, sizeof(g), !r->iv.gpu_missing, r->iv.gpu_uj, s->interval_ns);
	fmt_joules(j, sizeof(j), r->total_uj);
	command_text(text, sizeof(text), r, o);
	row_line(f, o, id, w, s->gpu_sensor ? g : NULL, j,
		 s->interval_ns ? r->iv.ns * 100.0 / s->interval_ns / cpu_div : 0,
		 r->exited ? 'x' : ' ', text);
}

static void add_into(struct view_row *sum, const struct view_row *r)
{
	sum->members += r->members;
	sum->iv.ns += r->iv.ns;
	sum->iv.uj += r->iv.uj;
	sum->iv.uj_missing |= r->iv.uj_missing;
	sum->iv.gpu_uj += r->iv.gpu_uj;
	sum->iv.gpu_missing |= r->iv.gpu_missing;
}

static int sort_rows(struct top_frame *f, const struct view *v, const struct top_opts *o)
{
	if (v->nr > f->cap_order) {
		const struct view_row **order = realloc(f->order, v->nr * sizeof(*order));

		if (!order)
			return -ENOMEM;
		f->order = order;
		f->cap_order = v->nr;
	}
	if (v->of_procs && v->nr > f->cap_rows) {
		struct view_row *rows = realloc(f->rows, v->nr * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		f->rows = rows;
		f->cap_rows = v->nr;
	}
	/* rows made of processes are made in the frame's */
	for (__u32 i = 0; i < v->nr; i++)
		f->order[i] = v->of_procs ? view__row(v, i, &f->rows[i]) : &v->rows[i];
	qsort_r(f->order, v->nr, sizeof(*f->order), cmp_rows, (void *)o);
	return 0;
}

/* Remove lines [from, from + n) of the frame. */
static void drop_lines(struct top_frame *f, int from, int n)
{
	memmove(f->lines + from, f->lines + from + n, (f->nr - from - n) * sizeof(*f->lines));
	f->nr -= n;
}

int top__render(struct top_frame *f, const struct sample *s, const struct view *v,
		const struct top_opts *o)
{
	bool by_pid = o->by == GROUP_PID;
	struct view_row others = v->others;
	double cpu_div = 1;
	char names[64], w[32], g[32], j[32], label[80];
	int head_end, rows, blank = 1, n;
	struct head h;
	bool columns = true;
	__u32 shown = v->nr;

	f->len = 0;
	f->nr = 0;
	f->err = 0;
	if (o->host_cpu && online_cpus(s) > 0)
		cpu_div = online_cpus(s);
	if (sort_rows(f, v, o))
		return -ENOMEM;

	header(f, s, o, cpu_div, &h);
	head_end = f->nr;

	/* the height: header, column names and idle stay, rows take the rest */
	if (o->height > 0) {
		int fixed = head_end + 2;	/* + column names + idle */
		int over = fixed - o->height, k;

		blank = o->height - fixed >= 4;
		rows = o->height - fixed - blank;
		if (rows < 0)
			rows = 0;
		/* a tiny terminal loses, in this order: the title but its line that says
		 * the sensor (the figures may be estimated), the column names, the
		 * sockets, the host's second lines, the sensor; the host and idle stay */
		for (k = h.title_end - 1; over > 0 && k >= 0; k--) {
			if (k == h.sensor)
				continue;
			drop_lines(f, k, 1);
			h.sensor -= k < h.sensor;
			h.title_end--;
			h.host_end--;
			head_end--;
			over--;
		}
		if (over > 0) {
			columns = false;
			over--;
		}
		for (k = head_end - 1; over > 0 && k >= h.host_end; k--, over--)
			drop_lines(f, k, 1);
		head_end = f->nr;
		for (k = h.host_end - 1; over > 0 && k > h.title_end; k--, over--)
			drop_lines(f, k, 1);
		if (over > 0) {
			drop_lines(f, h.sensor, 1);
			h.sensor = -1;
		}
		head_end = f->nr;
		if (!h.sensor && !strncmp(top_frame__line(f, 0), "  ", 2))
			f->lines[0].off += 2;	/* it begins the screen now */
		if (shown + (others.members ? 1 : 0) > (__u32)rows) {
			shown = rows > 0 ? rows - 1 : 0;	/* one line for others */
			for (__u32 i = shown; i < v->nr; i++)
				add_into(&others, f->order[i]);
			if (!rows)
				others.members = 0;	/* no room for it: idle only */
		}
	}
	f->head = f->nr;
	if (blank)
		add_line(f, TOP_TEXT, "", 0);

	snprintf(names, sizeof(names), "%s", by_pid ? "COMMAND" : group_by_name(o->by));
	for (char *c = names; *c; c++)
		*c = *c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c;
	if (s->gpu_sensor)
		n = snprintf(label, sizeof(label), "%7s %8s %8s %9s %6s   %s",
			     by_pid ? "PID" : "MEMBERS", "WATTS", "GPU W", "JOULES", "CPU%", names);
	else
		n = snprintf(label, sizeof(label), "%7s %8s %9s %6s   %s",
			     by_pid ? "PID" : "MEMBERS", "WATTS", "JOULES", "CPU%", names);
	if (o->width > 0 && n > o->width)
		n = o->width;
	if (columns)
		add_line(f, TOP_COLUMNS, label, n);

	for (__u32 i = 0; i < shown; i++)
		process_row(f, s, f->order[i], o, cpu_div);
	if (others.members) {
		fmt_watts(w, sizeof(w), !others.iv.uj_missing, others.iv.uj, s->interval_ns);
		fmt_watts(g, sizeof(g), !others.iv.gpu_missing, others.iv.gpu_uj, s->interval_ns);
		snprintf(label, sizeof(label), "[others: %u process%s]", others.members,
			 others.members == 1 ? "" : "es");
		row_line(f, o, "-", w, s->gpu_sensor ? g : NULL, "-",
			 s->interval_ns ? others.iv.ns * 100.0 / s->interval_ns / cpu_div : 0, ' ',
			 label);
	}
	fmt_watts(w, sizeof(w), s->have_energy, s->idle_uj, s->interval_ns);
	fmt_watts(g, sizeof(g), s->have_gpu, s->gpu_idle_uj, s->interval_ns);
	fmt_joules(j, sizeof(j), s->idle_total_uj);
	row_line(f, o, "-", w, s->gpu_sensor ? g : NULL, j,
		 s->interval_ns ? s->idle_ns * 100.0 / s->interval_ns / cpu_div : 0, ' ', "[idle]");
	if (o->height > 0 && f->nr > o->height)	/* 1 or 2 lines: the idle line last */
		drop_lines(f, 0, f->nr - o->height);
	return f->err;
}

/* --- plain output ------------------------------------------------------------------------ */

int top__print(FILE *out, const struct sample *s, const struct views *vs,
	       const struct output_opts *oo)
{
	struct top_opts o = { .charset = termsafe_locale_flags() };
	struct top_frame f = {};
	int err = 0;

	errno = 0;
	/* the header once, then each level's rows, others and idle */
	for (unsigned k = 0; !err && k < vs->nr; k++) {
		o.by = vs->v[k].by;
		err = top__render(&f, s, &vs->v[k], &o);
		for (int i = k ? f.head : 0; !err && i < f.nr; i++) {
			fputs(top_frame__line(&f, i), out);
			fputc('\n', out);
		}
	}
	fputc('\n', out);
	if (!err && (fflush(out) == EOF || ferror(out)))
		err = errno ? -errno : -EIO;
	top_frame__free(&f);
	return err;
}
