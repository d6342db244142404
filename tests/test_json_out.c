// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `wattprobe json` as a pure function of a hand-built sample and its view:
 * the record, the --flat lines and their 4 KiB bound, --omit; checked byte by
 * byte and by jq.
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

Test(json_out, record_of_a_hand_built_sample)
{
	struct view_opts vo = { .by = GROUP_PID };
	struct output_opts oo = {};
	struct view v;
	struct jw w;

	usual();
	view__init(&v);
	jw_init(&w);
	cr_assert_eq(view__build(&v, &F.s, &vo), 0);
	json__sample(&w, &F.s, VIEWS_OF(&v), &oo);
	cr_assert_str_eq(w.buf,
		"{\"timestamp\":\"2025-11-24T16:00:01.250Z\",\"interval_s\":1.000000,"
		"\"sensor\":\"rapl\",\"sensor_source\":\"powercap\",\"estimated\":false,"
		"\"host\":{\"power_w\":7.000,\"energy_j\":7.000000,\"psys_power_w\":null,"
		"\"psys_baseline\":null,\"cpu_util\":0.2500},"
		"\"sockets\":[{\"id\":0,\"power_w\":7.000,\"package_power_w\":7.000,"
		"\"dram_power_w\":null,\"core_power_w\":null,\"uncore_power_w\":null,"
		"\"idle_power_w\":5.000,\"idle_baseline_w\":5.000,\"idle_source\":\"flag\","
		"\"baseline\":{\"package\":null,\"dram\":null},\"cpu_util\":0.2500,\"online_cpus\":2,\"missing\":null}],"
		"\"idle\":{\"power_w\":5.000,\"energy_j\":5.000000,\"cpu_ns\":1500000000},"
		"\"group_by\":\"pid\",\"processes\":[{\"pid\":42,\"comm\":\"bash\","
		"\"cmdline\":\"bash -l\",\"cgroup\":\"/user.slice\",\"container\":null,\"cpu_ns\":500000000,"
		"\"cpu_util\":0.5000,\"power_w\":2.000,\"energy_j\":2.000000,\"exited\":false,"
		"\"sockets\":[{\"id\":0,\"cpu_ns\":500000000,\"power_w\":2.000}],"
		"\"cpus\":[{\"cpu\":0,\"cpu_ns\":500000000}]}],"
		"\"others\":{\"members\":0,\"cpu_ns\":0,\"cpu_util\":0.0000,\"power_w\":0.000,"
		"\"energy_j\":0.000000},\"dropped\":0,\"dropped_interval\":0,\"sample_duration_s\":0.000000}");
	jw_free(&w);
	view__free(&v);
}

Test(json_out, missing_energy_is_null)
{
	struct view_opts vo = { .by = GROUP_PID };
	struct output_opts oo = {};
	struct view v;
	struct jw w;

	memset(&F, 0, sizeof(F));
	fx_begin(&F, SEC, 0);
	fx_proc(&F, 42, 1000, "bash", SEC / 2, 0, 0)->iv.uj_missing = true;
	F.s.have_energy = false;
	F.s.sockets[0].have[ENERGY_PACKAGE] = false;
	F.s.sockets[0].gap = "counter reset";
	fx_end(&F);
	view__init(&v);
	jw_init(&w);
	view__build(&v, &F.s, &vo);
	json__sample(&w, &F.s, VIEWS_OF(&v), &oo);
	cr_assert_not_null(strstr(w.buf, "\"host\":{\"power_w\":null,\"energy_j\":null,"));
	cr_assert_not_null(strstr(w.buf, "\"missing\":\"counter reset\""));
	cr_assert_not_null(strstr(w.buf, "\"cpu_util\":0.5000,\"power_w\":null,\"energy_j\":null,"));
	jw_free(&w);
	view__free(&v);
}

Test(json_out, omit_leaves_fields_out)
{
	struct view_opts vo = { .by = GROUP_PID };
	struct output_opts oo = {};
	struct view v;
	struct jw w;

	usual();
	cr_assert_eq(json_omit_parse("cmdline,cpus,cgroup,sockets", &oo.omit), 0);
	cr_assert_eq(oo.omit, OMIT_CMDLINE | OMIT_CPUS | OMIT_CGROUP | OMIT_SOCKETS);
	cr_assert_eq(json_omit_parse("cmdline,planet", &oo.omit), -EINVAL);
	cr_assert_eq(json_omit_parse("", &oo.omit), -EINVAL);
	cr_assert_eq(json_omit_parse("cmdline", &oo.omit), 0);
	oo.omit |= OMIT_CPUS | OMIT_SOCKETS;
	view__init(&v);
	jw_init(&w);
	view__build(&v, &F.s, &vo);
	json__sample(&w, &F.s, VIEWS_OF(&v), &oo);
	cr_assert_null(strstr(w.buf, "cmdline"));
	cr_assert_null(strstr(w.buf, "bash -l"));
	cr_assert_null(strstr(w.buf, "\"cpus\""));
	cr_assert_not_null(strstr(w.buf, "\"exited\":false}]"), "no sockets of the process");
	cr_assert_not_null(strstr(w.buf, "\"sockets\":[{\"id\":0,\"power_w\""), "the host's stay");
	cr_assert_not_null(strstr(w.buf, "\"cgroup\":\"/user.slice\""));
	json__flat(&w, &F.s, VIEWS_OF(&v), &oo, 1);
	cr_assert_null(strstr(w.buf, "bash -l"));
	jw_free(&w);
	view__free(&v);
}

Test(json_out, flat_lines_carry_time_interval_and_sensor)
{
	struct view_opts vo = { .by = GROUP_PID };
	struct output_opts oo = {};
	const char *head = "{\"timestamp\":\"2025-11-24T16:00:01.250Z\",\"interval_s\":1.000000,"
			   "\"sensor\":\"rapl\",\"sensor_source\":\"powercap\",\"estimated\":false,\"record\":";
	struct view v;
	struct jw w;

	usual();
	fx_proc(&F, 43, 2000, "sleep", 1000, 4, 1);	/* after fx_end: not in the totals, fine */
	view__init(&v);
	jw_init(&w);
	view__build(&v, &F.s, &vo);
	cr_assert_eq(json__flat_lines(&F.s, VIEWS_OF(&v)), 3);
	json__flat(&w, &F.s, VIEWS_OF(&v), &oo, 0);
	cr_assert_eq(strncmp(w.buf, head, strlen(head)), 0, "%s", w.buf);
	cr_assert_not_null(strstr(w.buf, "\"record\":\"host\",\"group_by\":\"pid\",\"host\":{"));
	cr_assert_not_null(strstr(w.buf, "\"rows\":2,\"dropped\":0"));
	cr_assert_null(strstr(w.buf, "processes"));
	json__flat(&w, &F.s, VIEWS_OF(&v), &oo, 1);
	cr_assert_str_eq(w.buf + strlen(head),
		"\"process\",\"pid\":42,\"comm\":\"bash\",\"cmdline\":\"bash -l\","
		"\"cgroup\":\"/user.slice\",\"container\":null,\"cpu_ns\":500000000,\"cpu_util\":0.5000,"
		"\"power_w\":2.000,\"energy_j\":2.000000,\"exited\":false,"
		"\"sockets\":[{\"id\":0,\"cpu_ns\":500000000,\"power_w\":2.000}],"
		"\"cpus\":[{\"cpu\":0,\"cpu_ns\":500000000}]}");
	json__flat(&w, &F.s, VIEWS_OF(&v), &oo, 2);
	cr_assert_not_null(strstr(w.buf, "\"pid\":43,\"comm\":\"sleep\",\"cmdline\":null,\"cgroup\":null"));

	/* by group */
	vo.by = GROUP_COMM;
	view__build(&v, &F.s, &vo);
	json__flat(&w, &F.s, VIEWS_OF(&v), &oo, 1);
	cr_assert_str_eq(w.buf + strlen(head),
		"\"group\",\"group_by\":\"comm\",\"key\":\"bash\",\"members\":1,"
		"\"cpu_ns\":500000000,\"cpu_util\":0.5000,\"power_w\":2.000,\"energy_j\":2.000000,"
		"\"sockets\":[{\"id\":0,\"cpu_ns\":500000000,\"power_w\":2.000}]}");
	jw_free(&w);
	view__free(&v);
}

/* Each --flat line fits in 4 KiB whatever the process looks like, is valid
 * JSON, and says what was cut. */
Test(json_out, flat_lines_are_bounded_and_say_what_was_cut)
{
	static char cmdline[4096], cgroup[4096];
	struct view_opts vo = { .by = GROUP_PID };
	struct output_opts oo = {};
	struct view v;
	struct jw w;
	struct proc *p;

	memset(cmdline, '\x01', sizeof(cmdline) - 1);	/* 6 bytes each once escaped */
	memcpy(cmdline, "java -Dpassword=", 16);
	memset(cgroup, '/', sizeof(cgroup) - 1);
	p = usual();
	view__init(&v);
	jw_init(&w);

	struct { const char *what, *cmdline, *cgroup; int cpus, sockets, line; } cases[] = {
		{ "[\"cmdline\"]", cmdline, "/", 1, 1, 1 },
		{ "[\"cpus\"]", "x", "/", FX_MAX_CHARGES, 1, 1 },
		{ "[\"cmdline\",\"cgroup\",\"cpus\"]", cmdline, cgroup, FX_MAX_CHARGES, 1, 1 },
		{ NULL, "short", "/", 40, 1, 1 },
		{ NULL, "short", "/", 40, 1, 0 },
		{ "[\"sockets\"]", "x", "/", 1, WP_MAX_SOCKETS, 0 },	/* the host's, 16 sockets */
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char want[128];

		p->cmdline = cases[c].cmdline;
		p->cgroup = cases[c].cgroup;
		F.nr_charges = 0;
		for (int i = 0; i < cases[c].cpus; i++)
			F.charges[F.nr_charges++] = (struct cpu_charge){ .cpu = i, .ns = 1000000000 + i };
		p->cpu_first = 0;
		p->nr_cpu = F.nr_charges;
		F.s.nr_charges = F.nr_charges;
		F.s.nr_sockets = cases[c].sockets;
		for (int i = 0; i < WP_MAX_SOCKETS; i++) {
			F.s.sockets[i] = F.s.sockets[0];
			F.s.sockets[i].id = i;
			F.s.sockets[i].gap = i ? "first reading" : NULL;	/* long enough */
			p->iv.sock_ns[i] = 1;
		}
		view__build(&v, &F.s, &vo);
		for (__u32 line = 0; line < json__flat_lines(&F.s, VIEWS_OF(&v)); line++) {
			json__flat(&w, &F.s, VIEWS_OF(&v), &oo, line);
			cr_assert_eq(w.err, 0);
			cr_assert_lt(w.len + 1, JSON_FLAT_MAX + 1, "case %zu line %u: %zu bytes", c, line,
				     w.len);
			if (fx_have("jq"))
				cr_assert_eq(fx_run_on("jq -e .", w.buf), 0, "case %zu: not JSON: %s", c,
					     w.buf);
		}
		json__flat(&w, &F.s, VIEWS_OF(&v), &oo, cases[c].line);
		snprintf(want, sizeof(want), "\"cut\":%s}", cases[c].what ? cases[c].what : "");
		if (cases[c].what)
			cr_assert_not_null(strstr(w.buf, want), "case %zu: ...%s", c,
					   w.buf + (w.len > 300 ? w.len - 300 : 0));
		else
			cr_assert_null(strstr(w.buf, "\"cut\""), "case %zu: nothing to cut", c);
		if (cases[c].cmdline == cmdline)
			cr_assert_not_null(strstr(w.buf, "\"cmdline\":\"java -Dpassword=\\u0001"),
					   "the start of a long command line stays");
		if (c == 1)
			cr_assert_gt(w.len, JSON_FLAT_MAX - 100, "as many CPUs as fit");
	}
	jw_free(&w);
	view__free(&v);
}

/* A host whose host line is as long as it gets: psys and its baseline, CO2e, counters
 * near 2^64, 16 sockets with both baselines and a gap each. */
static void longest_host(void)
{
	struct sample_baseline b = { .have = true, .idle_w = 12345.678, .src = IDLE_BLEND,
				     .prior_w = 12345.678, .prior_from = "constraint_0_max_power_uw",
				     .prior_share = 0.12345, .intervals = 2147483647,
				     .outliers = 2147483647, .util_spread = 0.1234,
				     .residual_w = 12345.678 };

	F.s.have_psys = true;
	F.s.psys_uj = 18446744073709ULL;
	F.s.psys_baseline = b;
	F.s.dropped = F.s.dropped_delta = 18446744073709551615ULL;
	F.s.nr_sockets = WP_MAX_SOCKETS;
	for (int i = 0; i < WP_MAX_SOCKETS; i++) {
		F.s.sockets[i] = F.s.sockets[0];
		F.s.sockets[i].id = i;
		F.s.sockets[i].gap = "implausible jump";
		F.s.sockets[i].baseline[ENERGY_PACKAGE] = b;
		F.s.sockets[i].baseline[ENERGY_DRAM] = b;
	}
}

/*
 * --max-line-bytes N: every line of --flat within N bytes with its newline, down to the
 * least N takes (logger's 1 KiB), whatever the host, the process or the group: the
 * longest host line, hostile command lines, cgroup paths and group keys of 255 control
 * bytes (6 bytes each once escaped), container names of 253 bytes.
 */
Test(json_out, flat_lines_within_max_line_bytes)
{
	static char cmdline[4096], cgroup[4096];
	struct view_opts vo = { .by = GROUP_PID };
	struct output_opts oo = { .have_carbon = true,
				  .carbon_g_per_kwh = 12345.678 };
	size_t sizes[] = { JSON_FLAT_MIN, 1500, JSON_FLAT_MAX };
	enum group_by bys[] = { GROUP_PID, GROUP_CGROUP };
	struct view v;
	struct jw w;
	struct proc *p;

	memset(cmdline, '\x01', sizeof(cmdline) - 1);
	memset(cgroup, '\x02', sizeof(cgroup) - 1);
	cgroup[0] = '/';
	static char longname[254];
	struct ctr_names names = { .id = "4e1b2cbd6ae3a3b7c8f0d1e2f3a4b5c6d7e8f90112233445566778899aabbcc",
				   .name = longname, .pod = longname, .ns = longname,
				   .pod_uid = longname };

	memset(longname, 'n', sizeof(longname) - 1);	/* a DNS subdomain's longest */
	p = usual();
	longest_host();
	p->cmdline = cmdline;
	p->cgroup = cgroup;
	p->names = &names;
	for (int i = 0; i < FX_MAX_CHARGES; i++)
		F.charges[i] = (struct cpu_charge){ .cpu = i, .ns = 1000000000 + i };
	F.nr_charges = F.s.nr_charges = FX_MAX_CHARGES;
	p->cpu_first = 0;
	p->nr_cpu = FX_MAX_CHARGES;
	for (int i = 0; i < WP_MAX_SOCKETS; i++)
		p->iv.sock_ns[i] = 1;
	view__init(&v);
	jw_init(&w);
	for (size_t b = 0; b < sizeof(bys) / sizeof(bys[0]); b++) {
		vo.by = bys[b];
		cr_assert_eq(view__build(&v, &F.s, &vo), 0);
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			oo.max_line_bytes = sizes[k];
			for (__u32 line = 0; line < json__flat_lines(&F.s, VIEWS_OF(&v)); line++) {
				json__flat(&w, &F.s, VIEWS_OF(&v), &oo, line);
				cr_assert_eq(w.err, 0);
				cr_assert_leq(w.len + 1, sizes[k], "by %s, %zu bytes: line %u is %zu: %s",
					      group_by_name(bys[b]), sizes[k], line, w.len + 1, w.buf);
				if (fx_have("jq"))
					cr_assert_eq(fx_run_on("jq -e .", w.buf), 0, "not JSON: %s", w.buf);
				/* at 1 KiB, the last resorts: the names, the group's key */
				if (sizes[k] == JSON_FLAT_MIN && line == 1)
					cr_assert_not_null(strstr(w.buf, bys[b] == GROUP_PID ?
						"\"names\"]" : "\"key\"]"), "%s", w.buf);
			}
		}
	}
	jw_free(&w);
	view__free(&v);
}
