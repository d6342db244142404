// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The /metrics page as a pure function of hand-built samples and their
 * steady view: families that add up, lossless labels, no duplicate series,
 * the agent's own metrics; checked line by line and by promtool.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "output/output.h"

#define SEC 1000000000ULL

static struct fixture F;

static struct proc *usual(void)
{
	return fx_usual(&F);
}

static bool has_line(const char *page, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = page; (p = strstr(p, line)); p++)
		if ((p == page || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define expect_line(page, line) cr_expect(has_line(page, line), "no line: %s", line)

static void with_subzones(void)
{
	struct sample_socket *ss = &F.s.sockets[0];

	ss->have[ENERGY_DRAM] = true;
	ss->uj[ENERGY_DRAM] = 1000000;
	ss->have[ENERGY_CORE] = true;
	ss->uj[ENERGY_CORE] = 2000000;
	ss->have[ENERGY_UNCORE] = true;
	ss->uj[ENERGY_UNCORE] = 300000;
	ss->idle_uj += 1000000;	/* the DRAM's energy, all idle */
	F.s.idle_uj += 1000000;
	F.s.energy_uj += 1000000;
}

static void prom_interval(struct pbuf *b, struct view *v, const struct view_opts *vo)
{
	struct output_opts oo = {};

	fx_begin(&F, SEC, 5000000);
	fx_proc(&F, 42, 1000, "bash", SEC / 2, 2000000, 0);
	fx_proc(&F, 43, 2000, "dup\x01", SEC / 4, 1000000, 1);
	if (F.seq > 1)
		fx_proc(&F, 44, 3000, "new", SEC / 8, 500000, 1);
	with_subzones();
	fx_end(&F);
	cr_assert_eq(view__build(v, &F.s, vo), 0);
	prom__sample(b, &F.s, VIEWS_OF(v), &oo);
	cr_assert_eq(b->err, 0);
}

Test(prom_out, page_of_hand_built_samples_adds_up)
{
	struct view_opts vo = { .by = GROUP_PID, .top = 10, .steady = true, .rate_window_s = 1 };
	struct view v;
	struct pbuf b;

	memset(&F, 0, sizeof(F));
	view__init(&v);
	pbuf_init(&b);
	/* interval 1, the agent's first page: the members count at once, like the host */
	prom_interval(&b, &v, &vo);
	expect_line(b.buf, "wattprobe_host_joules_total 9");
	expect_line(b.buf, "wattprobe_host_watts 9");
	expect_line(b.buf, "wattprobe_idle_joules_total 6");
	expect_line(b.buf, "wattprobe_socket_joules_total{socket=\"0\",domain=\"package\"} 8");
	expect_line(b.buf, "wattprobe_socket_joules_total{socket=\"0\",domain=\"dram\"} 1");
	expect_line(b.buf, "wattprobe_socket_watts{socket=\"0\",domain=\"package\"} 8");
	expect_line(b.buf, "wattprobe_socket_subzone_joules_total{socket=\"0\",subzone=\"core\"} 2");
	expect_line(b.buf, "wattprobe_socket_subzone_watts{socket=\"0\",subzone=\"uncore\"} 0.3");
	cr_expect_null(strstr(b.buf, "domain=\"core\""), "subzones are not domains: no double count");
	expect_line(b.buf, "wattprobe_process_joules_total{pid=\"42\",comm=\"bash\",start=\"1000\"} 2");
	expect_line(b.buf, "wattprobe_process_watts{pid=\"42\",comm=\"bash\",start=\"1000\"} 2");
	expect_line(b.buf, "wattprobe_process_cpu_seconds_total{pid=\"43\",comm=\"dup\\\\x01\","
			   "start=\"2000\"} 0.25");
	expect_line(b.buf, "wattprobe_others_joules_total{group_by=\"pid\"} 0");
	expect_line(b.buf, "wattprobe_others_watts{group_by=\"pid\"} 0");
	expect_line(b.buf, "wattprobe_others_processes{group_by=\"pid\"} 0");
	/* interval 2: 4 + 2 + 0.5 + 12 = 18.5; a newcomer shows 0 and its energy goes to others */
	prom_interval(&b, &v, &vo);
	expect_line(b.buf, "wattprobe_host_joules_total 18.5");
	expect_line(b.buf, "wattprobe_idle_joules_total 12");
	expect_line(b.buf, "wattprobe_process_joules_total{pid=\"42\",comm=\"bash\",start=\"1000\"} 4");
	expect_line(b.buf, "wattprobe_process_joules_total{pid=\"43\",comm=\"dup\\\\x01\","
			   "start=\"2000\"} 2");
	expect_line(b.buf, "wattprobe_process_cpu_seconds_total{pid=\"42\",comm=\"bash\","
			   "start=\"1000\"} 1");
	expect_line(b.buf, "wattprobe_process_joules_total{pid=\"44\",comm=\"new\",start=\"3000\"} 0");
	expect_line(b.buf, "wattprobe_process_watts{pid=\"44\",comm=\"new\",start=\"3000\"} 0.5");
	expect_line(b.buf, "wattprobe_others_joules_total{group_by=\"pid\"} 0.5");
	expect_line(b.buf, "wattprobe_others_cpu_seconds_total{group_by=\"pid\"} 0.125");
	expect_line(b.buf, "wattprobe_others_watts{group_by=\"pid\"} 0");
	if (fx_have("promtool"))
		cr_assert_eq(fx_run_on("promtool check metrics", b.buf), 0, "promtool: %s", b.buf);
	pbuf_free(&b);
	view__free(&v);
}

/* Sample lines of a page: name and labels, as text, for comparing. */
static int series_of(const char *page, char (*out)[512], int max)
{
	int n = 0;

	for (const char *p = page; *p; p = strchr(p, '\n') + 1) {
		const char *end = strchr(p, '\n'), *sp = end;

		while (sp > p && sp[-1] != ' ')
			sp--;
		if (*p != '#' && n < max)
			snprintf(out[n++], 512, "%.*s", (int)(sp - p), p);
	}
	return n;
}

/* Names that used to escape alike, and a PID used twice in one page: every
 * series of the page is distinct. */
Test(prom_out, hostile_names_and_pid_reuse_make_no_duplicate_series)
{
	static const char *const names[] = { "dup\x01", "dup\x02", "dup\xff", "dup\\x01",
					     "dup\xef\xbf\xbd", "dup\"", "dup\n", "dup\\n" };
	static char lines[512][512];
	struct output_opts oo = {};
	struct view_opts vo = { .by = GROUP_PID, .top = 0, .steady = true, .rate_window_s = 1 };
	struct view v;
	struct pbuf b;
	int n;

	memset(&F, 0, sizeof(F));
	view__init(&v);
	pbuf_init(&b);
	for (int it = 0; it < 3; it++) {
		fx_begin(&F, SEC, 5000000);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			fx_proc(&F, 100 + i, 1000, names[i], SEC / 100, 10000, 0);
		/* pid 9: the first exits in the third interval, a second starts in it */
		fx_proc(&F, 9, 90, "job", SEC / 100, 10000, 0)->exited = it == 2;
		if (it == 2)
			fx_proc(&F, 9, 91, "job", SEC / 100, 10000, 1);
		fx_end(&F);
		view__build(&v, &F.s, &vo);
	}
	for (int by = 0; by < 2; by++) {
		prom__sample(&b, &F.s, VIEWS_OF(&v), &oo);
		n = series_of(b.buf, lines, 512);
		cr_assert_gt(n, 30);
		for (int i = 0; i < n; i++)
			for (int k = i + 1; k < n; k++)
				cr_assert_str_neq(lines[i], lines[k], "duplicate series %s", lines[i]);
		if (fx_have("promtool"))
			cr_assert_eq(fx_run_on("promtool check metrics", b.buf), 0, "%s", b.buf);
		if (by)
			break;
		cr_expect(strstr(b.buf, "pid=\"9\",comm=\"job\",start=\"90\""));
		cr_expect(strstr(b.buf, "pid=\"9\",comm=\"job\",start=\"91\""));
		/* and by comm: one group per distinct name */
		view__free(&v);
		view__init(&v);
		vo.by = GROUP_COMM;
		view__build(&v, &F.s, &vo);
		cr_assert_eq(v.nr, sizeof(names) / sizeof(names[0]) + 1);
	}
	pbuf_free(&b);
	view__free(&v);
}

Test(prom_out, build_info_and_the_agents_own_process_metrics)
{
	struct view_opts vo = { .by = GROUP_PID, .steady = true, .rate_window_s = 60 };
	struct output_opts oo = {};
	struct view v;
	struct pbuf b;

	usual();
	view__init(&v);
	pbuf_init(&b);
	view__build(&v, &F.s, &vo);
	prom__sample(&b, &F.s, VIEWS_OF(&v), &oo);
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_build_info{version=\"0.2.0\",libbpf=\"v"));
	cr_assert_null(strstr(b.buf, "\nprocess_cpu_seconds_total"), "not read: not shown");
	cr_assert_null(strstr(b.buf, "\nprocess_open_fds"));
	F.s.self = (struct self_stats){ .have = true, .cpu_seconds = 1.25, .resident_bytes = 4096,
					.virtual_bytes = 8192, .start_time_s = 1764000000.5,
					.have_fds = true, .open_fds = 17, .max_fds = 1024 };
	prom__sample(&b, &F.s, VIEWS_OF(&v), &oo);
	expect_line(b.buf, "process_cpu_seconds_total 1.25");
	expect_line(b.buf, "process_resident_memory_bytes 4096");
	expect_line(b.buf, "process_virtual_memory_bytes 8192");
	expect_line(b.buf, "process_start_time_seconds 1764000000.5");
	expect_line(b.buf, "process_open_fds 17");
	expect_line(b.buf, "process_max_fds 1024");
	expect_line(b.buf, "# TYPE process_cpu_seconds_total counter");
	pbuf_free(&b);
	view__free(&v);
}

Test(prom_out, gauges_that_cannot_be_measured_are_left_out)
{
	struct view_opts vo = { .by = GROUP_PID, .steady = true, .rate_window_s = 1 };
	struct output_opts oo = {};
	struct view v;
	struct pbuf b;

	memset(&F, 0, sizeof(F));
	fx_begin(&F, SEC, 0);
	fx_proc(&F, 42, 1000, "bash", SEC / 2, 0, 0)->iv.uj_missing = true;
	F.s.have_energy = false;
	F.s.sockets[0].have[ENERGY_PACKAGE] = false;
	fx_end(&F);
	view__init(&v);
	pbuf_init(&b);
	view__build(&v, &F.s, &vo);
	prom__sample(&b, &F.s, VIEWS_OF(&v), &oo);
	cr_assert_null(strstr(b.buf, "\nwattprobe_host_watts "));
	cr_assert_null(strstr(b.buf, "\nwattprobe_idle_watts "));
	cr_assert_null(strstr(b.buf, "\nwattprobe_socket_watts{"));
	cr_assert_null(strstr(b.buf, "\nwattprobe_process_watts{"));
	expect_line(b.buf, "wattprobe_host_joules_total 0");
	expect_line(b.buf, "wattprobe_host_cpu_seconds_total 0.5");
	pbuf_free(&b);
	view__free(&v);
}
