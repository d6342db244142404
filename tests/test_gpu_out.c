// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The outputs with a GPU and a platform meter, from a hand-built sample: json's
 * fields (host, gpus, rows, others, idle, --flat's GPU line), Prometheus'
 * families and top's GPU column, and what `run` adds up. The sample's figures
 * are worked out here: the usual host (5 J idle, bash 2 J on the CPUs) with a
 * GPU of 100 J (30 J idle, 10 J others, 60 J bash's) and a platform meter of
 * 150 J: the remainder is 150 - 7 - 100 = 43 J, 13 J of it idle, 30 J bash's.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "fixture.h"
#include "output/output.h"
#include "output/top.h"
#include "run/runstat.h"

/* s holds sub (the whole of s on failure) */
#define HAS(s, sub) cr_assert_not_null(strstr(s, sub), "%s", s)

static struct fixture F;
static struct proc *bash;

static void with_gpu_and_platform(void)
{
	struct sample *s = &F.s;
	struct sample_gpu *g = &s->gpus[0];

	bash = fx_usual(&F);
	s->gpu_sensor = "nvml";
	s->nr_gpus = 1;
	*g = (struct sample_gpu){
		.index = 0, .name = "Fake A100", .uuid = "GPU-1234", .have = true, .uj = 100000000,
		.total_uj = 300000000, .idle_uj = 30000000, .others_uj = 10000000,
		.procs_uj = 60000000, .util = 0.7, .limit_w = 400, .mode = "shared",
		.per_process = true, .source = "energy counter",
		.baseline = { .have = true, .idle_w = 30, .src = IDLE_FIT, .intervals = 12,
			      .have_curve = true, .idle_lo_w = 27, .idle_hi_w = 33,
			      .curve_w = { 30, 120, 210, 300, 390 } },
	};
	s->have_gpu = true;
	s->gpu_uj = 100000000;
	s->gpu_idle_uj = 30000000;
	s->gpu_others_uj = 10000000;
	s->gpu_total_uj = 300000000;
	s->gpu_idle_total_uj = 90000000;
	bash->iv.gpu_uj = 60000000;
	bash->total_gpu_uj = 180000000;
	s->platform_sensor = "hwmon";
	s->platform_from = "hwmon0 power_meter power1 (power average)";
	s->have_platform = true;
	s->platform_uj = 150000000;
	s->platform_total_uj = 450000000;
	s->have_rest = true;
	s->rest_uj = 43000000;
	s->rest_idle_uj = 13000000;
	s->rest_total_uj = 129000000;
	s->rest_idle_total_uj = 39000000;
	s->rest_baseline = (struct sample_baseline){
		.have = true, .idle_w = 13, .src = IDLE_PRIOR,
	};
	bash->iv.rest_uj = 30000000;
	bash->total_rest_uj = 90000000;
}

/* v is built anew (view__free() it after); the text stays valid until the next call. */
static char *json(struct view *v, bool flat, __u32 line)
{
	struct view_opts vo = { .by = GROUP_PID };
	struct output_opts oo = {};
	static struct jw w;
	static bool used;

	if (used)
		jw_free(&w);
	used = true;
	view__init(v);
	jw_init(&w);
	cr_assert_eq(view__build(v, &F.s, &vo), 0);
	if (flat)
		json__flat(&w, &F.s, VIEWS_OF(v), &oo, line);
	else
		json__sample(&w, &F.s, VIEWS_OF(v), &oo);
	return w.buf;
}

Test(gpu_out, json_host_gpus_rows_others_idle)
{
	struct view v;
	char *j;

	with_gpu_and_platform();
	j = json(&v, false, 0);
	HAS(j, "\"cpu_util\":0.2500,\"gpu_power_w\":100.000,"
	       "\"gpu_energy_j\":100.000000,\"platform_power_w\":150.000,"
	       "\"platform_energy_j\":150.000000,\"platform_meter\":\"hwmon0 power_meter "
	       "power1 (power average)\",\"platform_missing\":null,"
	       "\"platform_rest_power_w\":43.000,\"platform_rest_energy_j\":43.000000,"
	       "\"platform_parts_above_j\":0.000000,");
	HAS(j, "\"gpus\":[{\"index\":0,\"uuid\":\"GPU-1234\",\"name\":\"Fake "
	       "A100\",\"power_w\":100.000,\"energy_j\":100.000000,"
	       "\"idle_power_w\":30.000,\"idle_energy_j\":30.000000,"
	       "\"others_power_w\":10.000,\"others_energy_j\":10.000000,"
	       "\"processes_power_w\":60.000,\"processes_energy_j\":60.000000,"
	       "\"idle_baseline_w\":30.000,");
	/* its learnt curve, as a socket's */
	HAS(j, "\"idle_range_w\":[27.000,33.000],"
	       "\"curve_w\":[30.000,120.000,210.000,300.000,390.000]},\"util\":0.7000,");
	HAS(j, "\"util\":0.7000,\"limit_w\":400.000,\"mode\":\"shared\","
	       "\"per_process\":true,\"no_per_process\":null,"
	       "\"source\":\"energy counter\",\"missing\":null}]");
	/* bash: 2 J CPU, 60 J GPU, 30 J of the remainder: 92 J of the platform */
	HAS(j, "\"power_w\":2.000,\"energy_j\":2.000000,"
	       "\"gpu_power_w\":60.000,\"gpu_energy_j\":60.000000,"
	       "\"platform_rest_power_w\":30.000,\"platform_rest_energy_j\":30.000000,"
	       "\"platform_power_w\":92.000,\"platform_energy_j\":92.000000,"
	       "\"exited\":false");
	/* idle: 5 J CPU, 30 J GPU, 13 J remainder = 48 J; others: the GPU's 10 J */
	HAS(j, "\"idle\":{\"power_w\":5.000,\"energy_j\":5.000000,"
	       "\"cpu_ns\":1500000000,\"gpu_power_w\":30.000,"
	       "\"gpu_energy_j\":30.000000,\"platform_rest_power_w\":13.000,"
	       "\"platform_rest_energy_j\":13.000000,\"platform_power_w\":48.000,"
	       "\"platform_energy_j\":48.000000}");
	HAS(j, "\"others\":{\"members\":0,\"cpu_ns\":0,\"cpu_util\":0.0000,"
	       "\"power_w\":0.000,\"energy_j\":0.000000,\"gpu_power_w\":10.000,"
	       "\"gpu_energy_j\":10.000000,");
	/* rows + others + idle = the platform: 92 + 10 + 48 = 150 */
	HAS(j, "\"platform_energy_j\":10.000000}");
	view__free(&v);
}

Test(gpu_out, json_missing_gpu_is_null_not_zero)
{
	struct view v;
	char *j;

	with_gpu_and_platform();
	F.s.gpus[0].have = false;
	F.s.gpus[0].gap = "GPU is lost";
	F.s.have_gpu = false;
	F.s.have_rest = false;
	bash->iv.gpu_uj = 0;
	bash->iv.gpu_missing = true;
	bash->iv.rest_missing = true;
	j = json(&v, false, 0);
	HAS(j, "\"gpu_power_w\":null,\"gpu_energy_j\":null,");
	HAS(j, "\"source\":\"energy counter\",\"missing\":\"GPU is lost\"}");
	HAS(j, "\"energy_j\":2.000000,\"gpu_power_w\":null,"
	       "\"gpu_energy_j\":null,\"platform_rest_power_w\":null,"
	       "\"platform_rest_energy_j\":null,\"platform_power_w\":null,");
	view__free(&v);
}

Test(gpu_out, json_flat_gives_each_gpu_a_line)
{
	struct view v;
	char *j;

	with_gpu_and_platform();
	j = json(&v, true, 0);
	cr_assert_null(strstr(j, "\"gpus\""), "the host's line has no gpus array: %s", j);
	cr_assert_eq(json__flat_lines(&F.s, VIEWS_OF(&v)), 3, "host, the GPU, bash");
	view__free(&v);
	j = json(&v, true, 1);
	HAS(j, "\"record\":\"gpu\",\"index\":0,\"uuid\":\"GPU-1234\"");
	view__free(&v);
	j = json(&v, true, 2);
	HAS(j, "\"record\":\"process\",\"pid\":42");
	view__free(&v);
}

Test(gpu_out, prometheus_families)
{
	struct view_opts vo = { .by = GROUP_PID, .steady = true, .rate_window_s = 0 };
	struct output_opts oo = {};
	struct pbuf b = {};
	struct view v;

	with_gpu_and_platform();
	view__init(&v);
	cr_assert_eq(view__build(&v, &F.s, &vo), 0);
	prom__sample(&b, &F.s, VIEWS_OF(&v), &oo);
	HAS(b.buf, "\nwattprobe_gpu_joules_total{gpu=\"0\",uuid=\"GPU-1234\"} "
	           "300\n");
	HAS(b.buf, "\nwattprobe_gpu_watts{gpu=\"0\",uuid=\"GPU-1234\"} 100\n");
	HAS(b.buf, "\nwattprobe_gpu_idle_baseline_watts{gpu=\"0\","
	           "uuid=\"GPU-1234\"} 30\n");
	HAS(b.buf, "\nwattprobe_gpu_idle_baseline_low_watts{gpu=\"0\",uuid=\"GPU-1234\"} 27\n");
	HAS(b.buf, "\nwattprobe_gpu_idle_baseline_high_watts{gpu=\"0\",uuid=\"GPU-1234\"} 33\n");
	HAS(b.buf, "\nwattprobe_gpu_power_curve_watts{gpu=\"0\",uuid=\"GPU-1234\",load=\"0\"} 30\n"
	           "wattprobe_gpu_power_curve_watts{gpu=\"0\",uuid=\"GPU-1234\",load=\"0.25\"} 120\n");
	HAS(b.buf, "\nwattprobe_gpu_power_curve_watts{gpu=\"0\",uuid=\"GPU-1234\",load=\"1\"} 390\n");
	HAS(b.buf, "\nwattprobe_gpu_idle_joules_total 90\n");
	HAS(b.buf, "\nwattprobe_platform_joules_total 450\n");
	HAS(b.buf, "\nwattprobe_platform_watts 150\n");
	HAS(b.buf, "\nwattprobe_platform_rest_idle_joules_total 39\n");
	/* bash's series: a new one, pending at 0 (docs/prometheus.md) */
	HAS(b.buf, "\nwattprobe_process_gpu_joules_total{pid=\"42\","
	           "comm=\"bash\",start=\"1000\"} ");
	HAS(b.buf, "\nwattprobe_process_gpu_watts{pid=\"42\",comm=\"bash\","
	           "start=\"1000\"} 60\n");
	HAS(b.buf, "\nwattprobe_process_platform_rest_joules_total{pid=\"42\"");
	HAS(b.buf, "\nwattprobe_others_gpu_joules_total{group_by=\"pid\"} ");
	HAS(b.buf, "\nwattprobe_others_gpu_watts{group_by=\"pid\"} 10\n");
	pbuf_free(&b);
	view__free(&v);
}

/*
 * OpenMetrics: every counter sample of the page, the host's GPU and platform ones
 * too, has its _created with the same labels (when the agent started: they start
 * at 0 then); promtool reads the text page.
 */
Test(gpu_out, openmetrics_counters_have_created)
{
	struct view_opts vo = { .by = GROUP_PID, .steady = true, .rate_window_s = 0 };
	struct output_opts oo = {};
	struct pbuf b, bt;
	struct view v;
	int totals = 0;

	with_gpu_and_platform();
	F.s.started = (struct timespec){ 1764000000, 0 };
	pbuf_init(&b);
	pbuf_init(&bt);
	b.format = PROM_OPENMETRICS;
	view__init(&v);
	cr_assert_eq(view__build(&v, &F.s, &vo), 0);
	prom__sample(&b, &F.s, VIEWS_OF(&v), &oo);
	prom__sample(&bt, &F.s, VIEWS_OF(&v), &oo);
	cr_assert_eq(b.err, 0);
	HAS(b.buf, "\nwattprobe_gpu_joules_created{gpu=\"0\",uuid=\"GPU-1234\"} 1764000000\n");
	HAS(b.buf, "\nwattprobe_gpu_idle_joules_created 1764000000\n");
	HAS(b.buf, "\nwattprobe_platform_joules_created 1764000000\n");
	HAS(b.buf, "\nwattprobe_platform_rest_joules_created 1764000000\n");
	HAS(b.buf, "\nwattprobe_platform_rest_idle_joules_created 1764000000\n");
	for (const char *l = b.buf; *l; l = strchr(l, '\n') + 1) {
		const char *tot = strstr(l, "_total"), *end = strchr(l, '\n');
		char created[512];
		size_t key;

		if (*l == '#' || !tot || tot > end || (tot[6] != '{' && tot[6] != ' '))
			continue;
		/* name_total{labels} value -> name_created{labels} (the labels' part) */
		key = strcspn(tot + 6, " ");
		snprintf(created, sizeof(created), "\n%.*s_created%.*s ", (int)(tot - l), l,
			 (int)key, tot + 6);
		cr_assert_not_null(strstr(b.buf, created), "no%s for %.*s", created,
				   (int)(end - l), l);
		totals++;
	}
	cr_assert_geq(totals, 15, "%d counter samples", totals);
	if (fx_have("promtool"))
		cr_assert_eq(fx_run_on("promtool check metrics", bt.buf), 0, "promtool: %s", bt.buf);
	pbuf_free(&b);
	pbuf_free(&bt);
	view__free(&v);
}

Test(gpu_out, prometheus_without_them_has_none)
{
	struct view_opts vo = { .by = GROUP_PID, .steady = true };
	struct output_opts oo = {};
	struct pbuf b = {};
	struct view v;

	fx_usual(&F);
	view__init(&v);
	cr_assert_eq(view__build(&v, &F.s, &vo), 0);
	prom__sample(&b, &F.s, VIEWS_OF(&v), &oo);
	cr_assert_null(strstr(b.buf, "gpu"), "%s", b.buf);
	cr_assert_null(strstr(b.buf, "platform"), "%s", b.buf);
	pbuf_free(&b);
	view__free(&v);
}

Test(gpu_out, top_has_a_gpu_column_and_a_gpu_line)
{
	struct view_opts vo = { .by = GROUP_PID };
	struct top_opts o = { .by = GROUP_PID };
	struct top_frame f = {};
	struct view v;
	bool column = false, row = false, gpu = false;

	with_gpu_and_platform();
	view__init(&v);
	cr_assert_eq(view__build(&v, &F.s, &vo), 0);
	cr_assert_eq(top__render(&f, &F.s, &v, &o), 0);
	for (int i = 0; i < f.nr; i++) {
		const char *l = top_frame__line(&f, i);

		column |= !!strstr(l, "    PID    WATTS    GPU W    JOULES   CPU%   COMMAND");
		row |= !!strstr(l, "     42     2.00    60.00");
		gpu |= !!strstr(l, "gpu 0 Fake A100") && !!strstr(l, "100.00 W");
	}
	cr_assert(column && row && gpu, "column %d, row %d, gpu line %d", column, row, gpu);
	top_frame__free(&f);
	view__free(&v);
}

Test(gpu_out, run_adds_up_the_commands_gpu_energy)
{
	char *const argv[] = { "train", NULL };
	struct run_info ri = { .argv = argv, .wall_ns = 4000000000ULL, .carbon = -1 };
	struct runstat r;
	struct pbuf b = {};
	struct jw w;

	with_gpu_and_platform();
	jw_init(&w);
	cr_assert_eq(runstat__init(&r, 77, "/wattprobe-run-1", 0), 0);
	bash->cgroup_id = 77;	/* the command's */
	runstat__add(&r, &F.s, F.s.interval_ns);
	runstat__add(&r, &F.s, F.s.interval_ns);
	/* bash's 60 J, twice */
	cr_assert(r.gpu);
	cr_assert_eq(r.gpu_uj, 120000000, "%llu", (unsigned long long)r.gpu_uj);
	/* over 4 s of wall time: 30 W */
	runstat__text(&b, &r, &ri);
	HAS(b.buf, "\n  gpu energy       120.000 J   30.000 W average, by SM utilisation\n");
	runstat__json(&w, &r, &ri);
	HAS(w.buf, "\"gpu_energy_j\":120.000000,\"gpu_power_w\":30.000000,"
		   "\"gpu_energy_complete\":true");
	pbuf_free(&b);
	jw_free(&w);
	runstat__free(&r);
}
