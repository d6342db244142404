// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The totals and the summary of `wattprobe run`, from hand-built samples, and
 * the Pushgateway's URLs. Every expected value is worked out by hand in a
 * comment.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "run/pushgw.h"
#include "run/runstat.h"

#define CG_ID 4242
#define NP 8

static struct proc pr[NP];
static __u64 pr_socks[NP][2 * WP_MAX_SOCKETS];	/* their per-socket figures */
static struct proc *pp[NP];
static struct sample S;
static struct runstat R;
static char *const argv_make[] = { "make", "-j2", NULL };

/* One socket of 2 CPUs, an interval of 1 s, package energy known. */
static void sample_setup(void)
{
	memset(pr, 0, sizeof(pr));
	memset(&S, 0, sizeof(S));
	for (int i = 0; i < NP; i++) {
		figures__attach(&pr[i].iv, pr_socks[i], WP_MAX_SOCKETS);
		pr[i].tgid = 100 + i;
		pr[i].start_ns = 1000 + i;
		pr[i].seq = 1;
		snprintf(pr[i].comm, sizeof(pr[i].comm), "p%d", i);
		pp[i] = &pr[i];
	}
	S.interval_ns = 1000000000;
	S.nr_sockets = 1;
	S.sockets[0].have[ENERGY_PACKAGE] = true;
	S.have_energy = true;
	S.sensor = "rapl";
	S.sensor_source = "powercap";
	S.procs = pp;
	cr_assert_eq(runstat__init(&R, CG_ID, "/wattprobe-run-12", 500000000), 0);
}

static void sample_teardown(void)
{
	runstat__free(&R);
}

TestSuite(runstat, .init = sample_setup, .fini = sample_teardown);

/* proc i: ns on socket 0, energy attributed; mine: in the command's cgroup */
static void put(int i, __u64 ns, __u64 uj, bool mine)
{
	pr[i].iv.ns = ns;
	pr[i].iv.sock_ns[0] = ns;
	pr[i].iv.uj = uj;
	pr[i].iv.sock_uj[0] = uj;
	pr[i].cgroup_id = mine ? CG_ID : 1;
	S.sockets[0].busy_ns += ns;
	if ((__u32)i + 1 > S.nr_procs)
		S.nr_procs = i + 1;
}

static void finish(__u64 idle_uj)
{
	/* 2 CPUs x 1 s of capacity: the rest is idle */
	S.sockets[0].idle_ns = 2000000000 - S.sockets[0].busy_ns;
	S.sockets[0].idle_uj = idle_uj;
	S.busy_ns = S.sockets[0].busy_ns;
	S.idle_ns = S.sockets[0].idle_ns;
	S.idle_uj = idle_uj;
	S.energy_uj = idle_uj;
	for (__u32 i = 0; i < S.nr_procs; i++)
		S.energy_uj += pr[i].iv.uj;
}

Test(runstat, mine_by_id_and_below_but_not_a_sibling)
{
	struct proc p = { .tgid = 1, .cgroup_id = CG_ID };

	cr_assert(runstat__mine(&R, &p));
	p.cgroup_id = 7;
	p.cgroup = "/wattprobe-run-12/inner";
	cr_assert(runstat__mine(&R, &p), "a cgroup the command made below its own");
	p.cgroup = "/wattprobe-run-123";
	cr_assert(!runstat__mine(&R, &p), "a sibling whose name starts the same");
	p.cgroup = "/wattprobe-run-12";
	cr_assert(!runstat__mine(&R, &p), "the same path with another id: a new cgroup");
	p.cgroup = NULL;
	cr_assert(!runstat__mine(&R, &p));
	p.tgid = PT_UNRECORDED_TGID;
	p.cgroup_id = CG_ID;
	cr_assert(!runstat__mine(&R, &p), "the unrecorded row is nobody's");
}

Test(runstat, totals_and_idle_share_by_capacity)
{
	put(0, 300000000, 3000, true);
	put(1, 100000000, 1000, true);
	put(2, 600000000, 6000, false);
	finish(10000);
	runstat__add(&R, &S, S.interval_ns);
	/* the command: 400 ms of the 2000 ms of CPU capacity; idle 10000 uJ * 400/2000 = 2000,
	 * split 300:100 = 1500 and 500 */
	cr_assert_eq(R.ns, 400000000);
	cr_assert_eq(R.uj, 4000);
	cr_assert_eq(R.idle_uj, 2000);
	cr_assert_eq(R.nr, 2);
	cr_assert_eq(R.host_uj, 20000);
	cr_assert_eq(R.host_idle_uj, 10000);
	cr_assert_eq(R.host_busy_ns, 1000000000);
	cr_assert_eq(R.missing_intervals, 0);
	/* a second interval of the same adds up per process */
	runstat__add(&R, &S, S.interval_ns);
	cr_assert_eq(R.ns, 800000000);
	cr_assert_eq(R.uj, 8000);
	cr_assert_eq(R.idle_uj, 4000);
	cr_assert_eq(R.nr, 2);
	cr_assert_eq(R.intervals, 2);
	cr_assert_eq(R.measured_ns, 2000000000);
}

Test(runstat, process_shares_add_up_to_the_total_exactly)
{
	struct runstat_proc *g, others;
	__u64 idle = 0;
	int n;

	/* three processes of 1 ns each on a 3 ns socket: the idle share 10 uJ * 3/3
	 * splits 3, 3, 4 by cumulative rounding (floor(10/3)=3, floor(20/3)-3=3, 10-6=4) */
	put(0, 1, 0, true);
	put(1, 1, 0, true);
	put(2, 1, 0, true);
	S.sockets[0].idle_ns = 0;
	S.sockets[0].idle_uj = 10;
	runstat__add(&R, &S, S.interval_ns);
	cr_assert_eq(R.idle_uj, 10);
	for (__u32 i = 0; i < R.cap; i++)
		if (R.procs[i].used)
			idle += R.procs[i].idle_uj;
	cr_assert_eq(idle, 10);
	n = runstat__consumers(&R, 0, &g, &others);
	cr_assert_eq(n, 3);
	cr_assert_eq(g[0].idle_uj + g[1].idle_uj + g[2].idle_uj, 10);
	free(g);
}

Test(runstat, consumers_by_name_cut_to_top)
{
	struct runstat_proc *g, others;
	int n;

	strcpy(pr[0].comm, "cc1");
	strcpy(pr[1].comm, "cc1");
	strcpy(pr[2].comm, "ld");
	strcpy(pr[3].comm, "make");
	strcpy(pr[4].comm, "sh");
	put(0, 100, 50, true);
	put(1, 100, 60, true);
	put(2, 100, 70, true);
	put(3, 10, 5, true);
	put(4, 10, 5, true);
	finish(0);
	runstat__add(&R, &S, S.interval_ns);
	n = runstat__consumers(&R, 2, &g, &others);
	/* cc1 110 uJ (2 processes), ld 70; make and sh (5 + 5) in others */
	cr_assert_eq(n, 2);
	cr_assert_str_eq(g[0].comm, "cc1");
	cr_assert_eq(g[0].uj, 110);
	cr_assert_eq(g[0].members, 2);
	cr_assert_eq(g[0].ns, 200);
	cr_assert_str_eq(g[1].comm, "ld");
	cr_assert_eq(others.members, 2);
	cr_assert_eq(others.uj, 10);
	cr_assert_eq(others.ns, 20);
	free(g);
}

/* proc i made a part of proc live: the same process under an older identity */
static void part_of(int i, int live, const char *old_comm)
{
	pr[i].tgid = pr[live].tgid;
	pr[i].start_ns = pr[live].start_ns;
	pr[i].part = true;
	snprintf(pr[i].comm, sizeof(pr[i].comm), "%s", old_comm);
}

/*
 * Issue 24, point 2: a child forked by bash runs as "bash" until its exec of true; the
 * sample then holds its part "bash" (the time before the exec) and its live entry
 * "true", in the order of their energy. Either order, it is named true.
 */
Test(runstat, named_by_the_program_it_ran_last_whatever_the_order)
{
	struct runstat_proc *g = NULL, others;

	/* the part (more energy) first, the live entry after */
	snprintf(pr[1].comm, sizeof(pr[1].comm), "true");
	put(0, 3000, 30, true);
	put(1, 1000, 10, true);
	part_of(0, 1, "bash");
	/* the other order: the live entry first, then its part */
	snprintf(pr[2].comm, sizeof(pr[2].comm), "true");
	put(2, 3000, 30, true);
	put(3, 1000, 10, true);
	part_of(3, 2, "bash");
	finish(0);
	runstat__add(&R, &S, S.interval_ns);
	cr_assert_eq(runstat__consumers(&R, 0, &g, &others), 1, "one name: %s", g[0].comm);
	cr_assert_str_eq(g[0].comm, "true");
	cr_assert_eq(g[0].members, 2);
	cr_assert_eq(g[0].ns, 8000, "a part's time is its process's");
	free(g);
}

/* The command itself: forked by wattprobe, it is "wattprobe" in the first interval (before
 * its exec), then a part "wattprobe" and its live entry "bash" in the next. */
Test(runstat, a_later_interval_names_it_over_an_earlier_one)
{
	struct runstat_proc *g = NULL, others;

	snprintf(pr[1].comm, sizeof(pr[1].comm), "wattprobe");
	put(1, 1000, 10, true);
	finish(0);
	S.procs = &pp[1];			/* pr[1] alone */
	S.nr_procs = 1;
	runstat__add(&R, &S, S.interval_ns);
	S.procs = pp;
	snprintf(pr[1].comm, sizeof(pr[1].comm), "bash");
	put(1, 5000, 50, true);
	put(2, 2000, 20, true);
	part_of(2, 1, "wattprobe");		/* after its live entry */
	S.procs = &pp[1];
	S.nr_procs = 2;
	runstat__add(&R, &S, S.interval_ns);
	cr_assert_eq(runstat__consumers(&R, 0, &g, &others), 1);
	cr_assert_str_eq(g[0].comm, "bash");
	free(g);
	/* a third interval with only its part (the live entry not the command's any more):
	 * the part is newer than what named it before */
	S.procs = &pp[2];
	S.nr_procs = 1;
	snprintf(pr[2].comm, sizeof(pr[2].comm), "make");
	runstat__add(&R, &S, S.interval_ns);
	cr_assert_eq(runstat__consumers(&R, 0, &g, &others), 1);
	cr_assert_str_eq(g[0].comm, "make");
	free(g);
}

Test(runstat, peak_over_windows_a_short_last_interval_merged)
{
	double w;
	__u64 ns;

	put(0, 500000000, 4000000, true);
	finish(0);
	runstat__add(&R, &S, S.interval_ns);	/* 4 J in 1 s: 4 W */
	pr[0].iv.uj = pr[0].iv.sock_uj[0] = 3000000;
	runstat__add(&R, &S, S.interval_ns);	/* 3 W */
	S.interval_ns = 100000000;		/* a last interval of 0.1 s at 10 W */
	pr[0].iv.uj = pr[0].iv.sock_uj[0] = 1000000;
	runstat__add(&R, &S, S.interval_ns);
	/* windows: 4 J in 1 s, then (3 + 1) J in 1.1 s = 3.636 W */
	cr_assert(runstat__peak(&R, &w, &ns));
	cr_assert_float_eq(w, 4.0, 1e-9);
	cr_assert_eq(ns, 1000000000);
}

/*
 * Issue 24, point 3: a short last interval that draws more than the rest no longer
 * leaves the peak below the average. 1 J in 1 s, then 2 J in 0.1 s: the average over
 * the 1.1 s is 3 J / 1.1 s = 2.727 W; the old peak (full intervals only) was 1 W. The
 * short one merges into the window before: 2.727 W over 1.1 s.
 */
Test(runstat, peak_never_below_the_average)
{
	double w;
	__u64 ns;

	put(0, 500000000, 1000000, true);
	finish(0);
	runstat__add(&R, &S, S.interval_ns);
	S.interval_ns = 100000000;
	pr[0].iv.uj = pr[0].iv.sock_uj[0] = 2000000;
	runstat__add(&R, &S, S.interval_ns);
	cr_assert(runstat__peak(&R, &w, &ns));
	cr_assert_float_eq(w, 3.0 / 1.1, 1e-9);
	cr_assert_eq(ns, 1100000000);
	cr_assert_geq(w, uj_to_j(R.uj) / 1.1);
}

/*
 * `run -- true`: the energy of a 50 ms command lands in one sample whose interval is
 * longer (the first sample comes before the command starts, the last after its end and
 * the wait for its last switches): 0.05 J over an interval of 1.2 s gave a peak of
 * 0.042 W against an average of 1 W over its 50 ms. The interval is cut to the 50 ms it
 * ran; the sample before it started (ran 0) holds some of its energy too.
 */
Test(runstat, peak_over_the_time_the_command_ran)
{
	double w;
	__u64 ns;

	put(0, 1000000, 10000, true);		/* before it was let go: 10 mJ */
	finish(0);
	runstat__add(&R, &S, 0);
	S.interval_ns = 1200000000;
	pr[0].iv.uj = pr[0].iv.sock_uj[0] = 40000;
	runstat__add(&R, &S, 50000000);
	cr_assert(runstat__peak(&R, &w, &ns));
	cr_assert_float_eq(w, 0.05 / 0.05, 1e-9, "%f W", w);
	cr_assert_eq(ns, 50000000);
}

Test(runstat, missing_energy_is_said_and_absent_in_prometheus)
{
	struct run_info ri = { .argv = argv_make, .carbon = -1, .wall_ns = 1000000000 };
	struct pbuf b;
	struct jw w;

	put(0, 100, 0, true);
	pr[0].iv.uj_missing = true;
	S.sockets[0].have[ENERGY_PACKAGE] = false;
	S.have_energy = false;
	runstat__add(&R, &S, S.interval_ns);
	cr_assert_eq(R.missing_intervals, 1);
	cr_assert_eq(R.host_missing_intervals, 1);
	{
		double w;
		__u64 ns;

		cr_assert(!runstat__peak(&R, &w, &ns), "no peak from an interval without energy");
	}
	pbuf_init(&b);
	runstat__prom(&b, &R, &ri);
	cr_assert_null(strstr(b.buf, "wattprobe_run_joules"), "%s", b.buf);
	cr_assert_not_null(strstr(b.buf, "wattprobe_run_cpu_seconds 1e-07"), "%s", b.buf);
	pbuf_reset(&b);
	runstat__text(&b, &R, &ri);
	cr_assert_not_null(strstr(b.buf, "energy missing in 1 of 1 intervals"), "%s", b.buf);
	pbuf_free(&b);
	jw_init(&w);
	runstat__json(&w, &R, &ri);
	cr_assert_not_null(strstr(w.buf, "\"energy_complete\":false"), "%s", w.buf);
	cr_assert_not_null(strstr(w.buf, "\"host\":{\"measured_s\":1.000000,\"energy_j\":null"),
			   "%s", w.buf);
	jw_free(&w);
}

Test(runstat, text_says_status_and_signal_and_neutralises_names)
{
	struct run_info ri = { .argv = argv_make, .carbon = -1, .exit_code = 7,
			       .wall_ns = 2000000000, .top = 5 };
	struct pbuf b;

	strcpy(pr[0].comm, "ev\x1b]0;PWNED\x07");
	put(0, 1000000000, 5000000, true);
	finish(0);
	runstat__add(&R, &S, S.interval_ns);
	pbuf_init(&b);
	runstat__text(&b, &R, &ri);
	cr_assert_not_null(strstr(b.buf, "make -j2 exited with status 7"), "%s", b.buf);
	/* 5 J over a wall time of 2 s */
	cr_assert_not_null(strstr(b.buf, "5.000 J   2.500 W average"), "%s", b.buf);
	cr_assert_not_null(strstr(b.buf, "ev\\x1b]0;PWNED\\x07"), "%s", b.buf);
	cr_assert_null(strchr(b.buf, '\x1b'), "a raw escape reached the text");
	cr_assert_null(strchr(b.buf, '\x07'));
	pbuf_reset(&b);
	ri.exit_code = 137;
	ri.signal = 9;
	runstat__text(&b, &R, &ri);
	cr_assert_not_null(strstr(b.buf, "was killed by signal 9 (Killed): status 137"), "%s",
			   b.buf);
	pbuf_free(&b);
}

Test(runstat, cpu_time_from_the_cgroup_and_the_processes_apart)
{
	struct run_info ri = { .argv = argv_make, .carbon = -1, .wall_ns = 1000000000,
			       .have_cgroup_cpu = true, .cgroup_usage_us = 1000000,
			       .cgroup_user_us = 900000, .cgroup_system_us = 100000 };
	struct pbuf b;
	struct jw w;

	/* the processes: 1.002 s, 0.2% over the cgroup's 1 s */
	put(0, 1002000000, 0, true);
	finish(0);
	runstat__add(&R, &S, S.interval_ns);
	cr_assert_eq(runstat__cpu_ns(&R, &ri), 1000000000);
	pbuf_init(&b);
	runstat__text(&b, &R, &ri);
	cr_assert_not_null(strstr(b.buf, "cpu time           1.000 s"), "%s", b.buf);
	cr_assert_not_null(strstr(b.buf, "(per process 1.002 s, +0.20%"), "%s", b.buf);
	jw_init(&w);
	runstat__json(&w, &R, &ri);
	cr_assert_not_null(strstr(w.buf, "\"cpu_ns\":1000000000,\"cpu_source\":\"cgroup\","
				  "\"processes_cpu_ns\":1002000000,\"cgroup_cpu\":{\"usage_us\":1000000,"
				  "\"user_us\":900000,\"system_us\":100000}"), "%s", w.buf);
	/* within 0.1%: said once; without a cgroup account: the processes' sum */
	pbuf_reset(&b);
	ri.cgroup_usage_us = 1001500;
	runstat__text(&b, &R, &ri);
	cr_assert_null(strstr(b.buf, "per process"), "%s", b.buf);
	ri.have_cgroup_cpu = false;
	cr_assert_eq(runstat__cpu_ns(&R, &ri), 1002000000);
	runstat__json(&w, &R, &ri);
	cr_assert_not_null(strstr(w.buf, "\"cpu_source\":\"processes\""), "%s", w.buf);
	cr_assert_not_null(strstr(w.buf, "\"cgroup_cpu\":null"), "%s", w.buf);
	pbuf_free(&b);
	jw_free(&w);
}

Test(runstat, command_line_quoted_as_a_shell_takes_it)
{
	char *const argv[] = { "sh", "-c", "echo 'hi' $x", "", NULL };
	struct run_info ri = { .argv = argv, .carbon = -1 };
	struct pbuf b;

	runstat__add(&R, &S, S.interval_ns);
	pbuf_init(&b);
	runstat__text(&b, &R, &ri);
	cr_assert_not_null(strstr(b.buf, "run: sh -c 'echo '\\''hi'\\'' $x' '' exited"), "%s",
			   b.buf);
	pbuf_free(&b);
}

Test(runstat, carbon_in_every_format_when_given)
{
	struct run_info ri = { .argv = argv_make, .carbon = 500, .wall_ns = 1000000000 };
	struct pbuf b;
	struct jw w;

	/* 3600 J = 1 Wh = 0.001 kWh: 0.5 g at 500 g/kWh; idle 7200 J: 1 g */
	put(0, 1000000000, 3600000000ULL, true);
	finish(14400000000ULL);
	runstat__add(&R, &S, S.interval_ns);
	cr_assert_eq(R.idle_uj, 7200000000ULL);	/* 1 s of 2 CPUs: half of 14400 J */
	jw_init(&w);
	runstat__json(&w, &R, &ri);
	cr_assert_not_null(strstr(w.buf, "\"co2e_g\":0.500000,\"idle_share_co2e_g\":1.000000"),
			   "%s", w.buf);
	pbuf_init(&b);
	runstat__prom(&b, &R, &ri);
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_run_co2e_grams 0.5\n"), "%s", b.buf);
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_run_idle_co2e_grams 1\n"), "%s", b.buf);
	pbuf_reset(&b);
	runstat__text(&b, &R, &ri);
	cr_assert_not_null(strstr(b.buf, "0.500000 g   + 1.000000 g idle, at 500 g/kWh"),
			   "%s", b.buf);
	/* not given: no figure anywhere */
	ri.carbon = -1;
	runstat__json(&w, &R, &ri);
	cr_assert_null(strstr(w.buf, "co2e"), "%s", w.buf);
	pbuf_reset(&b);
	runstat__prom(&b, &R, &ri);
	cr_assert_null(strstr(b.buf, "co2e"), "%s", b.buf);
	pbuf_free(&b);
	jw_free(&w);
}

Test(runstat, prometheus_page_for_a_signal)
{
	struct run_info ri = { .argv = argv_make, .carbon = -1, .exit_code = 130, .signal = 2,
			       .wall_ns = 1500000000, .top = 5 };
	struct pbuf b;
	int help = 0, type = 0;

	strcpy(pr[0].comm, "a\"b\\c");
	put(0, 250000000, 1000000, true);
	finish(0);
	runstat__add(&R, &S, S.interval_ns);
	pbuf_init(&b);
	runstat__prom(&b, &R, &ri);
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_run_exit_code 130\n"), "%s", b.buf);
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_run_wall_seconds 1.5\n"), "%s", b.buf);
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_run_cpu_seconds 0.25\n"), "%s", b.buf);
	cr_assert_not_null(strstr(b.buf, "wattprobe_run_sensor_info{sensor=\"rapl\","
				  "source=\"powercap\",estimated=\"false\"} 1"), "%s", b.buf);
	/* label values are escaped losslessly (promtext.h): the backslash doubled, then escaped */
	cr_assert_not_null(strstr(b.buf, "wattprobe_run_consumer_joules{comm=\"a\\\"b\\\\\\\\c\"} 1\n"),
			   "%s", b.buf);
	for (const char *p = b.buf; (p = strstr(p, "# HELP ")); p++)
		help++;
	for (const char *p = b.buf; (p = strstr(p, "# TYPE ")); p++)
		type++;
	cr_assert_eq(help, type);
	cr_assert_geq(help, 10);
	pbuf_free(&b);
}

Test(runstat, progress_line)
{
	struct pbuf b;

	put(0, 500000000, 2000000, true);
	finish(0);
	runstat__add(&R, &S, S.interval_ns);
	pbuf_init(&b);
	runstat__progress_text(&b, &R, 3000000000ULL);
	/* 0.5 s of CPU in a 1 s interval: 50%; 2 J in 1 s: 2 W */
	cr_assert_not_null(strstr(b.buf, "3.0 s  cpu    0.500 s  50.0%    2.000 W"), "%s", b.buf);
	cr_assert_eq(b.buf[b.len - 1], '\n');
	pbuf_free(&b);
}

Test(runstat, many_processes_grow_the_table)
{
	/* 5000 processes of 1 ns: the table grows and keeps each apart */
	static struct proc many[5000];
	static struct proc *mp[5000];
	static __u64 many_socks[5000][2];	/* one socket's figures each */

	for (int i = 0; i < 5000; i++) {
		many[i] = (struct proc){ .tgid = 10 + i, .start_ns = i, .cgroup_id = CG_ID,
					 .seq = 1 };
		figures__attach(&many[i].iv, many_socks[i], 1);
		many[i].iv.ns = 1;
		many[i].iv.sock_ns[0] = 1;
		mp[i] = &many[i];
	}
	S.procs = mp;
	S.nr_procs = 5000;
	S.sockets[0].busy_ns = 5000;
	runstat__add(&R, &S, S.interval_ns);
	runstat__add(&R, &S, S.interval_ns);
	cr_assert_eq(R.nr, 5000);
	cr_assert_eq(R.ns, 10000);
	cr_assert_eq(R.beyond.members, 0);
}

Test(runstat, printable)
{
	struct pbuf b;

	pbuf_init(&b);
	runstat__printable(&b, "a\tb\xff" "c\xc3\xa9\x7f", 8);
	/* tab, a stray 0xff and DEL escaped; é (U+00E9) kept */
	cr_assert_str_eq(b.buf, "a\\x09b\\xffc\xc3\xa9\\x7f");
	pbuf_free(&b);
}

/* --- the Pushgateway's URLs ---------------------------------------------------------------- */

Test(pushgw, url_with_labels_base64_and_percent)
{
	const char *labels[] = { "path=b/c", "empty=", "team=x y" };
	char out[256];
	size_t n;

	/* base64url("b/c") = "Yi9j"; an empty value is "="; a space is %20 */
	n = pushgw__url(out, sizeof(out), "http://h:9091/", "make", labels, 3);
	cr_assert_str_eq(out, "http://h:9091/metrics/job/make/path@base64/Yi9j/empty@base64/="
			      "/team/x%20y");
	cr_assert_eq(n, strlen(out));
	/* base64url("x/y?") = "eC95Pw==": '+' and '/' of base64 would be '-' and '_' */
	pushgw__url(out, sizeof(out), "https://pg/prefix", "x/y?", NULL, 0);
	cr_assert_str_eq(out, "https://pg/prefix/metrics/job@base64/eC95Pw==");
	pushgw__url(out, sizeof(out), "http://h", "\xfb\xff/", NULL, 0);
	/* bytes fb ff 2f: 111110 111111 111100 101111 = "-_8v" */
	cr_assert_str_eq(out, "http://h/metrics/job@base64/-_8v");
}

Test(pushgw, url_too_small_says_how_much)
{
	char out[8];
	size_t n = pushgw__url(out, sizeof(out), "http://host", "job", NULL, 0);

	cr_assert_eq(n, strlen("http://host/metrics/job/job"));
	cr_assert_eq(strlen(out), 7);
}

Test(pushgw, labels_checked)
{
	char err[128];

	cr_assert_eq(pushgw__check_label("team=x", err, sizeof(err)), 0);
	cr_assert_eq(pushgw__check_label("_a1=", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_label("job=x", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_label("__name__=x", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_label("1a=x", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_label("a-b=x", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_label("team", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_label("=x", err, sizeof(err)), 0);
}

Test(pushgw, urls_checked_and_redacted)
{
	char err[128], out[128];

	cr_assert_eq(pushgw__check_url("http://127.0.0.1:9091", err, sizeof(err)), 0);
	cr_assert_eq(pushgw__check_url("https://u:p@pg.example/base", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_url("ftp://h", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_url("http://", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_url("http:///x", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_url("http://h/?x=1", err, sizeof(err)), 0);
	cr_assert_neq(pushgw__check_url("http://h/a b", err, sizeof(err)), 0);
	pushgw__redact(out, sizeof(out), "https://u:p@ss@pg:1/x@y");
	cr_assert_str_eq(out, "https://pg:1/x@y");
	pushgw__redact(out, sizeof(out), "http://pg:1/x@y");
	cr_assert_str_eq(out, "http://pg:1/x@y");
}
