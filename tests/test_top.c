// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The table of `wattprobe top` from hand-built samples: fit, order, columns, hostile names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meta/ctrnames.h"
#include "output/output.h"
#include "lib/termsafe.h"
#include "output/top.h"

#define MAX_ROWS 64

static struct sample sm;
static struct view vw;
static struct view_row rows[MAX_ROWS];
static struct proc procs[MAX_ROWS];
static struct top_frame fr;

/* One socket of 2 CPUs, 1 s, 10 W of which 4 W idle; 1.5 CPU-seconds idle. */
static void setup(void)
{
	memset(&sm, 0, sizeof(sm));
	memset(&vw, 0, sizeof(vw));
	memset(rows, 0, sizeof(rows));
	memset(procs, 0, sizeof(procs));
	memset(&fr, 0, sizeof(fr));
	sm.wall = (struct timespec){ .tv_sec = 1764450000, .tv_nsec = 123456789 };
	sm.interval_ns = 1000000000ull;
	sm.sensor = "model";
	sm.estimated = true;
	sm.nr_sockets = 1;
	sm.sockets[0] = (struct sample_socket){ .id = 0, .online_cpus = 2, .util = 0.25,
						.idle_uj = 4000000, .idle_base_w = 4,
						.idle_src = IDLE_MODEL };
	sm.sockets[0].have[ENERGY_PACKAGE] = true;
	sm.sockets[0].uj[ENERGY_PACKAGE] = 10000000;
	sm.have_energy = true;
	sm.energy_uj = 10000000;
	sm.idle_uj = 4000000;
	sm.idle_total_uj = 40000000;
	sm.idle_ns = 1500000000ull;
	sm.busy_ns = 500000000ull;
	sm.util = 0.25;
	vw.rows = rows;
	vw.cap = MAX_ROWS;
}

static void teardown(void)
{
	top_frame__free(&fr);
}

/* A process row: pid, comm, command line (NULL: unknown), ns and uj this interval, uj since start. */
static struct view_row *add_proc(unsigned pid, const char *comm, const char *cmdline,
				 unsigned long long ns, unsigned long long uj,
				 unsigned long long total_uj)
{
	struct view_row *r = &rows[vw.nr];
	struct proc *p = &procs[vw.nr++];

	p->tgid = pid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->cmdline = cmdline;
	r->key = comm;	/* the caller's: literals and fields that outlive the test */
	r->p = p;
	r->members = 1;
	r->iv.ns = ns;
	r->iv.uj = uj;
	r->total_uj = total_uj;
	return r;
}

static void render(const struct top_opts *o)
{
	cr_assert_eq(top__render(&fr, &sm, &vw, o), 0);
}

static const char *line(int i)
{
	cr_assert(i >= 0 && i < fr.nr, "line %d of %d", i, fr.nr);
	return top_frame__line(&fr, i);
}

/* The index of the first line containing s, or -1. */
static int find(const char *s)
{
	for (int i = 0; i < fr.nr; i++)
		if (strstr(top_frame__line(&fr, i), s))
			return i;
	return -1;
}

static void dump(void)
{
	for (int i = 0; i < fr.nr; i++)
		fprintf(stderr, "%2d|%s|\n", i, top_frame__line(&fr, i));
}

TestSuite(top, .init = setup, .fini = teardown);

Test(top, plain_has_a_timestamp_and_no_dram_without_dram)
{
	struct top_opts o = { .by = GROUP_PID };

	add_proc(100, "burn", "burn --cpu 1", 500000000, 6000000, 12000000);
	render(&o);
	cr_expect_str_eq(line(0),
			 "2025-11-29T21:00:00.123Z  sensor model (estimated)  interval 1.00 s");
	cr_expect_eq(find("dram"), -1, "no dram field without DRAM");
	cr_expect_neq(find("host 10.00 W  idle 4.00 W"), -1);
	sm.sockets[0].have[ENERGY_DRAM] = true;
	sm.sockets[0].uj[ENERGY_DRAM] = 1500000;
	render(&o);
	cr_expect_neq(find("dram 1.50 W"), -1);
	/* DRAM seen before and missing now: shown as missing, not dropped */
	sm.sockets[0].have[ENERGY_DRAM] = false;
	sm.sockets[0].total_uj[ENERGY_DRAM] = 1500000;
	render(&o);
	cr_expect_neq(find("dram - W"), -1);
}

Test(top, columns_watts_energy_since_start_and_cpu_of_one_cpu)
{
	struct top_opts o = { .by = GROUP_PID };
	int i;

	/* 0.5 s of CPU in 1 s is 50% of one CPU; idle 1.5 CPU-seconds is 150% */
	add_proc(100, "burn", "burn --cpu 1", 500000000, 6000000, 12345678);
	render(&o);
	i = find("burn --cpu 1");
	cr_assert_neq(i, -1);
	cr_expect_str_eq(line(i), "    100     6.00     12.35   50.0   burn --cpu 1");
	i = find("[idle]");
	cr_expect_str_eq(line(i), "      -     4.00     40.00  150.0   [idle]");
	cr_expect_eq(i, fr.nr - 1, "idle is the last line");
	cr_expect_neq(find("cpu 50.0% of 200% (2 CPUs)"), -1);
	/* of all CPUs: halved, and the header in the same unit */
	o.host_cpu = true;
	render(&o);
	cr_expect_str_eq(line(find("burn --cpu 1")),
			 "    100     6.00     12.35   25.0   burn --cpu 1");
	cr_expect_str_eq(line(find("[idle]")), "      -     4.00     40.00   75.0   [idle]");
	cr_expect_neq(find("cpu 25.0% of 100% (2 CPUs)"), -1);
}

Test(top, the_command_column)
{
	struct top_opts o = { .by = GROUP_PID };

	add_proc(1, "node", "/usr/bin/node /srv/a.js", 3, 3, 3);
	add_proc(2, "kworker/0:1", "", 2, 2, 2);		/* a kernel thread */
	add_proc(3, "worker", "/usr/bin/python3 w.py", 1, 1, 1);	/* renamed itself */
	add_proc(4, "gone", NULL, 0, 0, 0);			/* command line unknown */
	add_proc(5, "systemd-journal", "/lib/systemd/systemd-journald", 0, 0, 0);
	render(&o);
	cr_expect(strstr(line(find("node")), "   /usr/bin/node /srv/a.js"));
	cr_expect(strstr(line(find("kworker")), "   [kworker/0:1]"));
	cr_expect(strstr(line(find("w.py")), "   worker: /usr/bin/python3 w.py"));
	cr_expect(strstr(line(find("gone")), "   gone"));
	cr_expect(!strstr(line(find("journald")), "systemd-journal:"),
		  "a name cut to 15 bytes is still the program's");
	o.names = true;
	render(&o);
	cr_expect_eq(find("/srv/a.js"), -1);
	cr_expect_neq(find("   worker"), -1);
}

Test(top, hostile_names_are_escaped)
{
	struct top_opts o = { .by = GROUP_PID };

	add_proc(66, "ev\033]0;PWNED\a", "x\033[2J\r\nfake_metric 1\t\x9b" "31m", 9, 9, 9);
	add_proc(67, "\033[2J", NULL, 8, 8, 8);
	render(&o);
	for (int i = 0; i < fr.nr; i++)
		for (const unsigned char *c = (const unsigned char *)line(i); *c; c++)
			cr_assert(*c >= 0x20 && *c < 0x7f, "line %d holds byte 0x%02x", i, *c);
	cr_expect_neq(find("   ev\\e]0;PWNED\\a: x\\e[2J\\r\\nfake_metric 1\\t\\x9b31m"), -1);
	cr_expect_neq(find("   \\e[2J"), -1);
	/* grouped: the key is escaped too */
	vw.nr = 0;
	add_proc(0, "\033]0;x\a", NULL, 1, 1, 1)->p = NULL;
	o.by = GROUP_CGROUP;
	render(&o);
	cr_expect_neq(find("CGROUP"), -1);
	cr_expect_neq(find("   \\e]0;x\\a"), -1);
}

Test(top, container_and_pod_groups_by_their_names)
{
	static const char id[] = "3f2a9c81b0d4e5f60718293a4b5c6d7e8f9031a2b3c4d5e6f708192a3b4c5d6e";
	struct ctr_names docker = { .id = id, .name = "web" };
	struct ctr_names k8s = { .id = id, .name = "app", .pod = "api-7d9f", .ns = "shop",
				 .pod_uid = "0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7" };
	struct ctr_names hostile = { .id = id, .name = "\033[2Jx" };
	struct top_opts o = { .by = GROUP_CONTAINER };
	struct view_row *r;

	r = add_proc(0, id, NULL, 3, 3, 3);
	r->p = NULL;
	r->names = &docker;
	r = add_proc(0, "4e5f60718293a4b5c6d7e8f9031a2b3c4d5e6f708192a3b4c5d6e3f2a9c81b0d", NULL, 2, 2,
		     2);
	r->p = NULL;
	r->names = &k8s;
	r = add_proc(0, "5f60718293a4b5c6d7e8f9031a2b3c4d5e6f708192a3b4c5d6e3f2a9c81b0d4e", NULL, 1, 1,
		     1);
	r->p = NULL;	/* no file names it */
	r = add_proc(0, "60718293a4b5c6d7e8f9031a2b3c4d5e6f708192a3b4c5d6e3f2a9c81b0d4e5f", NULL, 1, 1,
		     1);
	r->p = NULL;
	r->names = &hostile;
	render(&o);
	cr_expect_neq(find("   web (3f2a9c81b0d4)"), -1);
	cr_expect_neq(find("   shop/api-7d9f/app (4e5f60718293)"), -1);
	cr_expect_neq(find("   5f60718293a4b5c6d7e8f9031a2b3c4d5e6f708192a3b4c5d6e3f2a9c81b0d4e"), -1,
		      "a container no file names keeps its whole id");
	cr_expect_neq(find("   \\e[2Jx (60718293a4b5)"), -1);
	/* by pod: namespace/pod, and its key cut */
	vw.nr = 0;
	r = add_proc(0, k8s.pod_uid, NULL, 2, 2, 2);
	r->p = NULL;
	r->names = &k8s;
	o.by = GROUP_POD;
	render(&o);
	cr_expect_neq(find("   shop/api-7d9f (0e1f2a3b-4c5)"), -1);
	/* other groups never take names */
	o.by = GROUP_CGROUP;
	render(&o);
	cr_expect_neq(find("   0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"), -1);
}

Test(top, utf8_names_kept_and_cut_by_columns)
{
	struct top_opts o = { .by = GROUP_PID, .charset = TERMSAFE_UTF8, .width = 40 };

	cr_assert_not_null(setlocale(LC_CTYPE, "C.UTF-8"));
	/* 36 columns of numbers, then 4 columns: two wide characters */
	add_proc(7, "\xe6\xbc\xa2", "\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2", 1, 1, 1);
	add_proc(8, "y", "a\xc2\x9b" "b", 0, 0, 0);	/* U+009B, CSI */
	render(&o);
	cr_expect(strstr(line(find("      7 ")), "   \xe6\xbc\xa2\xe5\xad\x97"));
	cr_expect(!strstr(line(find("      7 ")), "\xe6\xbc\xa2\xe5\xad\x97\xe6"),
		  "the third wide character does not fit");
	o.width = 60;
	render(&o);
	cr_expect_neq(find("   y: a\\u009bb"), -1);
}

Test(top, rows_fill_the_height_and_the_rest_goes_to_others)
{
	struct top_opts o = { .by = GROUP_PID, .terminal = true, .width = 80, .height = 24 };
	char want[64];
	int i;

	for (unsigned k = 0; k < 50; k++)
		add_proc(1000 + k, "p", "p", 1000 + k, 100 + k, 0);
	vw.others.members = 3;	/* left out by a filter */
	vw.others.iv.ns = 7;
	render(&o);
	cr_assert_eq(fr.nr, 24);
	cr_expect(!strncmp(line(0), "wattprobe ", 10));
	cr_expect(!strncmp(line(1), "host ", 5));
	cr_expect(!strncmp(line(2), "socket 0 ", 9));
	cr_expect_str_eq(line(3), "");
	cr_expect(strstr(line(4), "PID"));
	cr_expect_eq(fr.lines[4].attr, TOP_COLUMNS);
	/* 24 - 5 header lines - others - idle = 17 rows, the biggest first */
	for (i = 0; i < 17; i++) {
		snprintf(want, sizeof(want), "   %u ", 1049 - i);
		cr_expect(!strncmp(line(5 + i), want, strlen(want)), "row %d: %s", i, line(5 + i));
	}
	snprintf(want, sizeof(want), "[others: %d processes]", 50 - 17 + 3);
	cr_expect(strstr(line(22), want), "%s", line(22));
	cr_expect(strstr(line(23), "[idle]"));
	for (i = 0; i < fr.nr; i++)
		cr_expect(strlen(line(i)) <= 80, "line %d is %zu wide", i, strlen(line(i)));
	/* all of them when there is room, and no others line when nothing is left out */
	vw.others.members = 0;
	vw.nr = 10;
	render(&o);
	cr_expect_eq(fr.nr, 5 + 10 + 1);
	cr_expect_eq(find("[others"), -1);
}

Test(top, narrow_terminal_moves_fields_never_cuts_them)
{
	struct top_opts o = { .by = GROUP_PID, .terminal = true, .width = 30, .height = 40 };

	sm.sockets[0].uj[ENERGY_PACKAGE] = 123456789;
	add_proc(1, "a", "a", 1, 1, 1);
	render(&o);
	cr_expect_neq(find("package 123.46 W"), -1);
	cr_expect_neq(find("cpu 50.0% of 200%"), -1);
	cr_expect_neq(find("interval 1.00 s"), -1);
	cr_expect_eq(find("h: help"), -1, "an optional field that does not fit is left out");
	for (int i = 0; i < fr.nr; i++)
		cr_expect(strlen(line(i)) <= 30, "line %d is %zu wide: %s", i, strlen(line(i)),
			  line(i));
}

Test(top, tiny_terminal_keeps_host_and_idle)
{
	struct top_opts o = { .by = GROUP_PID, .terminal = true, .width = 80, .height = 3 };

	for (unsigned k = 0; k < 5; k++)
		add_proc(10 + k, "p", "p", 1, 1, 1);
	render(&o);
	if (fr.nr != 3)
		dump();
	cr_assert_eq(fr.nr, 3);
	cr_expect(strstr(line(0), "sensor model (estimated)"), "the figures are estimated");
	cr_expect(!strncmp(line(1), "host ", 5));
	cr_expect(strstr(line(2), "[idle]"));
	o.height = 2;
	render(&o);
	cr_assert_eq(fr.nr, 2);
	cr_expect(!strncmp(line(0), "host ", 5));
	cr_expect(strstr(line(1), "[idle]"));
}

/*
 * Issue 24, point 4: at 30x8 the title takes three lines (time, sensor, interval) and
 * the header more than the height; the title was dropped first, "(estimated)" with it.
 * The line that says the sensor stays, at the top, unindented.
 */
Test(top, tiny_narrow_terminal_keeps_the_sensor_line)
{
	struct top_opts o = { .by = GROUP_PID, .terminal = true, .width = 30, .height = 8 };

	add_proc(10, "p", "p", 1, 1, 1);
	render(&o);
	if (fr.nr != 8 || find("(estimated)") != 0)
		dump();
	cr_assert_eq(fr.nr, 8);
	cr_expect_str_eq(line(0), "sensor model (estimated)");
	cr_expect_neq(find("host "), -1);
	cr_expect(!strncmp(line(7), "      -     4.00", 15), "idle last: %s", line(7));
	for (int i = 0; i < fr.nr; i++)
		cr_expect(strlen(line(i)) <= 30, "line %d: %s", i, line(i));
}

/* The PIDs of the rows, in order, as "a,b,c". */
static void order(char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < fr.nr; i++) {
		unsigned pid;
		char rest[8];

		if (sscanf(line(i), "%u %7s", &pid, rest) == 2 && strstr(line(i), " p"))
			len += snprintf(out + len, n - len, "%s%u", len ? "," : "", pid);
	}
}

Test(top, sort_keys)
{
	struct top_opts o = { .by = GROUP_PID };
	char got[128];

	/* pid, name, cpu ns, watts uj, energy since start */
	add_proc(30, "pb", "pb", 100, 5, 900);
	add_proc(10, "pc", "pc", 300, 3, 100);
	add_proc(20, "pa", "pa", 200, 9, 500);
	render(&o);
	order(got, sizeof(got));
	cr_expect_str_eq(got, "20,30,10", "watts");
	o.sort = TOP_SORT_CPU;
	render(&o);
	order(got, sizeof(got));
	cr_expect_str_eq(got, "10,20,30", "cpu");
	o.sort = TOP_SORT_ENERGY;
	render(&o);
	order(got, sizeof(got));
	cr_expect_str_eq(got, "30,20,10", "energy since start");
	o.sort = TOP_SORT_PID;
	render(&o);
	order(got, sizeof(got));
	cr_expect_str_eq(got, "10,20,30", "pid");
	o.sort = TOP_SORT_NAME;
	render(&o);
	order(got, sizeof(got));
	cr_expect_str_eq(got, "20,30,10", "name");
	o.reverse = true;
	render(&o);
	order(got, sizeof(got));
	cr_expect_str_eq(got, "10,30,20", "name, reversed");
}

Test(top, print_reports_write_errors)
{
	struct output_opts oo = {};
	FILE *f = fopen("/dev/full", "w");

	cr_assert_not_null(f);
	add_proc(1, "a", "a", 1, 1, 1);
	cr_expect_eq(top__print(f, &sm, VIEWS_OF(&vw), &oo), -ENOSPC);
	fclose(f);
	f = fopen("/dev/null", "w");
	cr_expect_eq(top__print(f, &sm, VIEWS_OF(&vw), &oo), 0);
	fclose(f);
}
