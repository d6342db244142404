// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* `wattprobe top`: per-socket and host totals, then processes or groups by watts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "output.h"

/* One line, cut to the terminal's width (0: no limit) rather than wrapped. */
static void line(FILE *f, int width, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(FILE *f, int width, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (width > 0 && (int)strlen(buf) > width)
		buf[width] = '\0';
	fprintf(f, "%s\n", buf);
}

static void fmt_watts(char *buf, size_t n, bool have, __u64 uj, __u64 interval_ns)
{
	if (have)
		snprintf(buf, n, "%.2f", watts(uj, interval_ns));
	else
		snprintf(buf, n, "-");
}

static void print_header(FILE *f, const struct sample *s, int width)
{
	char w[32], idle[32], dropped[48] = "";

	fmt_watts(w, sizeof(w), s->have_energy, s->energy_uj, s->interval_ns);
	fmt_watts(idle, sizeof(idle), s->have_energy, s->idle_uj, s->interval_ns);
	if (s->dropped)
		snprintf(dropped, sizeof(dropped), "  dropped %llu", (unsigned long long)s->dropped);
	line(f, width, "wattprobe  sensor: %s%s  interval %.2f s  host %s W  idle %s W  cpu %.1f%%%s",
	     s->sensor, s->estimated ? " (estimated)" : "", s->interval_ns / 1e9, w, idle, s->util * 100,
	     dropped);
	for (int i = 0; i < s->nr_sockets; i++) {
		const struct sample_socket *ss = &s->sockets[i];
		char pkg[32], dram[32];

		fmt_watts(pkg, sizeof(pkg), ss->have[RAPL_PACKAGE], ss->uj[RAPL_PACKAGE],
			  s->interval_ns);
		fmt_watts(dram, sizeof(dram), ss->have[RAPL_DRAM], ss->uj[RAPL_DRAM], s->interval_ns);
		fmt_watts(idle, sizeof(idle), ss->have[RAPL_PACKAGE], ss->idle_uj, s->interval_ns);
		line(f, width, "socket %d  package %s W  dram %s W  idle %s W (baseline %.2f W, %s)  "
		     "cpu %.1f%% of %d CPUs%s%s", ss->id, pkg, dram, idle, ss->idle_base_w,
		     idle_source_name(ss->idle_src), ss->util * 100, ss->online_cpus,
		     ss->gap ? "  energy missing: " : "", ss->gap ? ss->gap : "");
	}
	fputc('\n', f);
}

static void print_row(FILE *f, const struct sample *s, int width, const char *id,
		      const char *name, const struct view_row *r, const char *flag)
{
	char w[32], j[32];

	fmt_watts(w, sizeof(w), !r->uj_missing, r->uj, s->interval_ns);
	if (!r->uj_missing)
		snprintf(j, sizeof(j), "%.3f", uj_to_j(r->uj));
	else
		snprintf(j, sizeof(j), "-");
	line(f, width, "%8s %9s %10s %7.1f %10.3f %1s %s", id, w, j,
	     s->interval_ns ? r->ns * 100.0 / s->interval_ns : 0, r->ns / 1e6, flag, name);
}

void top__print(FILE *f, const struct sample *sm, const struct view *v,
		const struct output_opts *o)
{
	bool by_pid = o->by == GROUP_PID;
	struct view_row idle = { .ns = sm->idle_ns, .uj = sm->idle_uj, .uj_missing = !sm->have_energy };
	char id[32], label[64];

	if (o->redraw)
		fputs("\033[H\033[2J", f);
	print_header(f, sm, o->width);
	line(f, o->width, "%8s %9s %10s %7s %10s %1s %s", by_pid ? "PID" : "MEMBERS", "WATTS",
	     "JOULES", "CPU%", "CPU_MS", "", by_pid ? "COMMAND" : group_by_name(o->by));
	for (__u32 i = 0; i < v->nr; i++) {
		const struct view_row *r = &v->rows[i];

		if (!by_pid)
			snprintf(id, sizeof(id), "%u", r->members);
		else if (proc__pseudo(r->p))
			snprintf(id, sizeof(id), "-");
		else
			snprintf(id, sizeof(id), "%u", r->p->tgid);
		print_row(f, sm, o->width, id, r->key, r, r->exited ? "x" : "");
	}
	if (v->others.members) {
		snprintf(label, sizeof(label), "[others: %u processes]", v->others.members);
		print_row(f, sm, o->width, "-", label, &v->others, "");
	}
	print_row(f, sm, o->width, "-", "[idle]", &idle, "");
	fflush(f);
}
