// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Several levels of --group-by over one sample: the list, a view per level
 * (views__build), and what the outputs make of them: a Prometheus page on
 * which every level adds up to the host from page to page, in the text format
 * and in OpenMetrics, with families left out by --no-metric; a JSON record
 * that holds every level (and keeps today's shape for one); top's plain lines.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "output/output.h"
#include "sample/view.h"

#define SEC 1000000000ULL

static struct fixture F;

Test(levels, lists_of_levels)
{
	enum group_by l[GROUP_NR];
	unsigned nr = 0;
	const char *bad;
	size_t len;

	cr_assert_eq(group_by_parse_list("pid,container,pod", l, &nr, &bad, &len), 0);
	cr_assert_eq(nr, 3);
	cr_assert(l[0] == GROUP_PID && l[1] == GROUP_CONTAINER && l[2] == GROUP_POD);
	/* -g repeated: the list goes on */
	cr_assert_eq(group_by_parse_list("unit", l, &nr, &bad, &len), 0);
	cr_assert_eq(nr, 4);
	cr_assert_eq(l[3], GROUP_UNIT);
	/* a level twice: the second is named */
	cr_assert_eq(group_by_parse_list("comm,pod", l, &nr, &bad, &len), -EEXIST);
	cr_assert_eq(len, 3);
	cr_assert_eq(strncmp(bad, "pod", len), 0);
	nr = 0;
	cr_assert_eq(group_by_parse_list("pid,planet,comm", l, &nr, &bad, &len), -EINVAL);
	cr_assert_eq(len, 6);
	cr_assert_eq(strncmp(bad, "planet", len), 0);
	nr = 0;
	cr_assert_eq(group_by_parse_list("pid,,comm", l, &nr, &bad, &len), -EINVAL);
	cr_assert_eq(len, 0);
	nr = 0;
	cr_assert_eq(group_by_parse_list("pid,", l, &nr, &bad, &len), -EINVAL);
	nr = 0;
	cr_assert_eq(group_by_parse_list("", l, &nr, &bad, &len), -EINVAL);
	nr = 0;
	cr_assert_eq(group_by_parse_list("pidx", l, &nr, &bad, &len), -EINVAL, "whole names only");
}

/* --help and the error are made from the table: every level is named, lines fit. */
Test(levels, help_names_every_level)
{
	char help[2048], names[256];

	group_by_help(help, sizeof(help));
	group_by_names(names, sizeof(names), ", ", " or ");
	for (int i = 0; i < GROUP_NR; i++) {
		char want[64];

		snprintf(want, sizeof(want), "%s (", group_by_name(i));
		cr_expect_not_null(strstr(help, want), "%s not in: %s", want, help);
		cr_expect_not_null(strstr(names, group_by_name(i)));
	}
	for (const char *l = help; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n'))
		cr_expect_leq(strcspn(l, "\n"), 50, "a line too long: %.*s", (int)strcspn(l, "\n"), l);
	/* in the table's order, the last after " or " (whatever levels are added) */
	cr_expect_eq(strncmp(names, "pid, comm, exe, ", 16), 0, "%s", names);
	cr_expect_str_eq(strstr(names, " or ") + 4, group_by_name(GROUP_NR - 1));
}

/* --- Prometheus pages, read back -------------------------------------------------------- */

#define MAX_SERIES 4096

struct page {
	char (*key)[384];	/* name{labels} */
	double *v;
	int n;
};

static void page_read(struct page *p, const char *text)
{
	if (!p->key) {
		p->key = calloc(MAX_SERIES, sizeof(*p->key));
		p->v = calloc(MAX_SERIES, sizeof(*p->v));
	}
	p->n = 0;
	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		const char *sp = strrchr(l, '\n') ? l + strcspn(l, "\n") : NULL;

		cr_assert_not_null(sp);
		while (sp > l && sp[-1] != ' ')
			sp--;
		if (*l == '#')
			continue;
		cr_assert_lt(p->n, MAX_SERIES);
		snprintf(p->key[p->n], sizeof(p->key[0]), "%.*s", (int)(sp - 1 - l), l);
		p->v[p->n++] = strtod(sp, NULL);
	}
}

static bool page_get(const struct page *p, const char *key, double *v)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->key[i], key)) {
			*v = p->v[i];
			return true;
		}
	return false;
}

/* The change from page a to page b of the series of level by (processes for pid) that
 * are on both: a series that appears shows 0 first, one that goes was frozen. */
static double level_delta(const struct page *a, const struct page *b, const char *by)
{
	char prefix[64];
	double d = 0, was;

	if (!strcmp(by, "pid"))
		snprintf(prefix, sizeof(prefix), "wattprobe_process_joules_total{");
	else
		snprintf(prefix, sizeof(prefix), "wattprobe_group_joules_total{group_by=\"%s\",", by);
	for (int i = 0; i < b->n; i++)
		if (!strncmp(b->key[i], prefix, strlen(prefix)) && page_get(a, b->key[i], &was))
			d += b->v[i] - was;
	return d;
}

static double one(const struct page *p, const char *key)
{
	double v = NAN;

	cr_assert(page_get(p, key, &v), "no %s on the page", key);
	return v;
}

/* Every family once: HELP and TYPE lines are never repeated, and a sample's family is
 * the last TYPE line's (its name, or for OpenMetrics counters name_total/_created). */
static void assert_families_once(const char *text, bool om)
{
	char fam[128] = "", seen[256][128];
	int nr = 0;

	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		int n = (int)strcspn(l, "{ \n");

		if (!strncmp(l, "# TYPE ", 7)) {
			snprintf(fam, sizeof(fam), "%.*s", (int)strcspn(l + 7, " "), l + 7);
			for (int i = 0; i < nr; i++)
				cr_assert_str_neq(seen[i], fam, "%s twice", fam);
			cr_assert_lt(nr, 256);
			snprintf(seen[nr++], sizeof(seen[0]), "%s", fam);
		} else if (*l != '#') {
			size_t f = strlen(fam);
			bool ok = (size_t)n == f && !strncmp(l, fam, f);

			if (om && !ok && (size_t)n > f && !strncmp(l, fam, f))
				ok = !strncmp(l + f, "_total", n - f) || !strncmp(l + f, "_created", n - f);
			cr_assert(ok, "sample %.*s outside its family %s", n, l, fam);
		}
	}
}

static const enum group_by four[] = { GROUP_PID, GROUP_COMM, GROUP_CGROUP, GROUP_EXE };
static const char *const names[] = { "a", "b", "c", "dd", "e" };
static const char *const cgroups[] = { "/a.slice", "/b.slice", "/system.slice/x.service" };
static const char *const exes[] = { "/bin/a", "/usr/bin/b" };

/*
 * Random churn under four levels at --top 3: on every page, each level (its rows
 * that were on the page before) + its others + idle changes as the host does, to
 * the microjoule; in the views themselves the sum is exact in integers, the last
 * values of series that went included; OpenMetrics carries the same numbers.
 */
Test(levels, every_level_adds_up_on_every_page)
{
	struct view_opts o = { .levels = { GROUP_PID, GROUP_COMM, GROUP_CGROUP, GROUP_EXE },
			       .nr_levels = 4, .top = 3, .steady = true, .rate_window_s = 3 };
	struct output_opts oo = {};
	struct { __u32 pid; __u64 start; int name, cg, exe; bool alive; } pop[40] = {};
	struct page pages[2] = {}, om = {};
	struct pbuf b, bo;
	struct views vs;
	int checked = 0;

	memset(&F, 0, sizeof(F));
	srand(25);
	cr_assert_eq(views__init(&vs), 0);
	pbuf_init(&b);
	pbuf_init(&bo);
	bo.format = PROM_OPENMETRICS;
	for (int i = 0; i < 40; i++)
		pop[i] = (typeof(pop[0])){ 100 + rand() % 30, i, rand() % 5, rand() % 3, rand() % 2,
					   true };
	for (int it = 0; it < 300; it++) {
		struct page *cur = &pages[it % 2], *prev = &pages[(it + 1) % 2];

		fx_begin(&F, SEC / 2 + rand() % 1000, 1000000 + rand() % 1000);
		F.s.started = (struct timespec){ 1764000000, 0 };
		for (int i = 0; i < 40; i++) {
			struct proc *p;

			if (!pop[i].alive && rand() % 6 == 0)
				pop[i] = (typeof(pop[0])){ 100 + rand() % 30, 1000 + it * 40 + i,
							   rand() % 5, rand() % 3, rand() % 2, true };
			if (!pop[i].alive || rand() % 3)
				continue;
			p = fx_proc(&F, pop[i].pid, pop[i].start, names[pop[i].name],
				    rand() % (SEC / 8), rand() % 3000000, rand() % 2);
			p->cgroup = cgroups[pop[i].cg];
			p->exe = exes[pop[i].exe];
			if (rand() % 10 == 0) {
				p->exited = true;
				pop[i].alive = false;
			}
		}
		fx_end(&F);
		cr_assert_eq(views__build(&vs, &F.s, &o), 0);
		cr_assert_eq(vs.nr, 4);
		prom__sample(&b, &F.s, &vs, &oo);
		cr_assert_eq(b.err, 0);
		page_read(cur, b.buf);
		if (it == 0 || it == 299)
			assert_families_once(b.buf, false);
		for (int l = 0; it && l < 4; l++) {
			const char *by = group_by_name(four[l]);
			char others[96];
			double d;

			cr_assert_eq(vs.v[l].by, four[l]);
			snprintf(others, sizeof(others), "wattprobe_others_joules_total{group_by=\"%s\"}",
				 by);
			d = level_delta(prev, cur, by) + one(cur, others) - one(prev, others) +
			    one(cur, "wattprobe_idle_joules_total") -
			    one(prev, "wattprobe_idle_joules_total") -
			    (one(cur, "wattprobe_host_joules_total") -
			     one(prev, "wattprobe_host_joules_total"));
			cr_assert_lt(fabs(d), 5e-7, "page %d, %s: off by %g J", it, by, d);
			checked++;
		}
	}
	cr_assert_eq(checked, 299 * 4);
	/* the same page in OpenMetrics: the same samples, each counter's with its _created */
	prom__sample(&bo, &F.s, &vs, &oo);
	cr_assert_eq(bo.err, 0);
	assert_families_once(bo.buf, true);
	page_read(&om, bo.buf);
	for (int i = 0; i < pages[1].n; i++) {
		double v;

		cr_assert(page_get(&om, pages[1].key[i], &v), "%s not in OpenMetrics", pages[1].key[i]);
		cr_assert_eq(v, pages[1].v[i]);
	}
	cr_assert_not_null(strstr(bo.buf, "\n# TYPE wattprobe_others_joules counter\n"));
	cr_assert_not_null(strstr(bo.buf, "\nwattprobe_host_joules_created 1764000000\n"));
	cr_assert_not_null(strstr(bo.buf, "\nwattprobe_others_joules_created{group_by=\"exe\"} "
				  "1764000000\n"));
	cr_assert_eq(strcmp(bo.buf + bo.len - 6, "# EOF\n"), 0);
	if (fx_have("promtool"))
		cr_assert_eq(fx_run_on("promtool check metrics", b.buf), 0, "promtool: %s", b.buf);
	for (int i = 0; i < 2; i++) {
		free(pages[i].key);
		free(pages[i].v);
	}
	free(om.key);
	free(om.v);
	pbuf_free(&b);
	pbuf_free(&bo);
	views__free(&vs);
}

/* A row's _created is when its counter was 0: a member of the first page when the
 * agent started (with the host's), a later one at the page it came in on, at 0. */
Test(levels, created_is_when_the_counter_was_zero)
{
	struct view_opts o = { .levels = { GROUP_PID, GROUP_COMM }, .nr_levels = 2, .top = 5,
			       .steady = true, .rate_window_s = 2 };
	struct output_opts oo = {};
	struct pbuf b;
	struct views vs;

	memset(&F, 0, sizeof(F));
	views__init(&vs);
	pbuf_init(&b);
	b.format = PROM_OPENMETRICS;
	for (int it = 0; it < 3; it++) {
		fx_begin(&F, SEC, 1000000);
		F.s.started = (struct timespec){ 1764000000, 500000000 };
		fx_proc(&F, 42, 1000, "bash", SEC / 2, 2000000, 0);
		if (it == 1)
			fx_proc(&F, 43, 2000, "late", SEC / 4, 500000, 0);
		fx_end(&F);
		views__build(&vs, &F.s, &o);
		prom__sample(&b, &F.s, &vs, &oo);
	}
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_process_joules_created{pid=\"42\",comm=\"bash\","
				  "start=\"1000\"} 1764000000.5\n"), "%s", b.buf);
	/* fx_begin's wall of page 2: 1764000000 + 2, .25 */
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_process_joules_total{pid=\"43\",comm=\"late\","
				  "start=\"2000\"} 0\nwattprobe_process_joules_created{pid=\"43\","
				  "comm=\"late\",start=\"2000\"} 1764000002.25\n"), "%s", b.buf);
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_group_cpu_seconds_created{group_by=\"comm\","
				  "key=\"late\"} 1764000002.25\n"), "%s", b.buf);
	/* gauges have none */
	cr_assert_null(strstr(b.buf, "watts_created"));
	if (fx_have("/usr/bin/python3") &&
	    !system("/usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null"))
		cr_assert_eq(fx_run_on("/usr/bin/python3 -c 'import sys; from prometheus_client."
				       "openmetrics.parser import text_string_to_metric_families as p; "
				       "list(p(sys.stdin.read()))'", b.buf), 0,
			     "the OpenMetrics parser of prometheus_client refused: %s", b.buf);
	pbuf_free(&b);
	views__free(&vs);
}

/* --no-metric: whole families out, matched on their whole names; _created by theirs. */
Test(levels, no_metric_leaves_families_out)
{
	struct view_opts o = { .levels = { GROUP_PID, GROUP_COMM }, .nr_levels = 2, .top = 5,
			       .steady = true, .rate_window_s = 2 };
	struct output_opts oo = {};
	struct pbuf b;
	struct views vs;
	regex_t re;

	fx_usual(&F);
	F.s.started = (struct timespec){ 1764000000, 0 };
	views__init(&vs);
	views__build(&vs, &F.s, &o);
	cr_assert_eq(regcomp(&re, "(wattprobe_process_.*)|(.*_created)|(wattprobe_group_watts)",
			     REG_EXTENDED), 0);
	oo.no_metric = &re;
	pbuf_init(&b);
	b.format = PROM_OPENMETRICS;
	b.drop = &re;
	prom__sample(&b, &F.s, &vs, &oo);
	cr_assert_null(strstr(b.buf, "wattprobe_process_"), "%s", b.buf);
	cr_assert_null(strstr(b.buf, "_created"), "%s", b.buf);
	cr_assert_null(strstr(b.buf, "wattprobe_group_watts"), "%s", b.buf);
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_group_joules_total{group_by=\"comm\",key=\"bash\"} 2\n"));
	/* a part of a name is not the name */
	regfree(&re);
	cr_assert_eq(regcomp(&re, "wattprobe_host", REG_EXTENDED), 0);
	b.format = PROM_TEXT;
	prom__sample(&b, &F.s, &vs, &oo);
	cr_assert_not_null(strstr(b.buf, "\nwattprobe_host_watts 7\n"));
	regfree(&re);
	pbuf_free(&b);
	views__free(&vs);
}

/* --- JSON ------------------------------------------------------------------------------- */

/* One level through views__build: the very record of one view, today's shape. */
Test(levels, one_level_keeps_todays_json)
{
	struct view_opts vo = { .by = GROUP_COMM };
	struct view_opts lo = { .levels = { GROUP_COMM }, .nr_levels = 1 };
	struct output_opts oo = {};
	struct views vs;
	struct view v;
	struct jw a, b;

	fx_usual(&F);
	view__init(&v);
	views__init(&vs);
	jw_init(&a);
	jw_init(&b);
	view__build(&v, &F.s, &vo);
	views__build(&vs, &F.s, &lo);
	json__sample(&a, &F.s, VIEWS_OF(&v), &oo);
	json__sample(&b, &F.s, &vs, &oo);
	cr_assert_str_eq(a.buf, b.buf);
	cr_assert_not_null(strstr(a.buf, ",\"group_by\":\"comm\",\"groups\":[{\"key\":\"bash\""));
	cr_assert_null(strstr(a.buf, "levels"));
	jw_free(&a);
	jw_free(&b);
	view__free(&v);
	views__free(&vs);
}

static void two_procs(void)
{
	struct proc *p;

	memset(&F, 0, sizeof(F));
	fx_begin(&F, SEC, 5000000);
	p = fx_proc(&F, 42, 1000, "bash", SEC / 2, 2000000, 0);
	p->cgroup = "/user.slice";
	p = fx_proc(&F, 43, 2000, "make", SEC / 4, 1000000, 1);
	p->cgroup = "/user.slice";
	p = fx_proc(&F, 44, 3000, "bash", SEC / 8, 250000, 1);
	p->cgroup = "/system.slice";
	fx_end(&F);
}

Test(levels, json_record_holds_every_level)
{
	struct view_opts o = { .levels = { GROUP_PID, GROUP_COMM, GROUP_CGROUP }, .nr_levels = 3,
			       .top = 2 };
	struct output_opts oo = {};
	struct views vs;
	struct jw w;

	two_procs();
	views__init(&vs);
	jw_init(&w);
	views__build(&vs, &F.s, &o);
	json__sample(&w, &F.s, &vs, &oo);
	cr_assert_eq(w.err, 0);
	cr_assert_not_null(strstr(w.buf, "\"idle\":{\"power_w\":5.000,\"energy_j\":5.000000,"
				  "\"cpu_ns\":1125000000},\"levels\":[{\"group_by\":\"pid\","
				  "\"processes\":[{\"pid\":42,"), "%s", w.buf);
	cr_assert_not_null(strstr(w.buf, "\"others\":{\"members\":1,\"cpu_ns\":125000000,"
				  "\"cpu_util\":0.1250,\"power_w\":0.250,\"energy_j\":0.250000}},"
				  "{\"group_by\":\"comm\",\"groups\":[{\"key\":\"bash\",\"members\":2,"),
			   "%s", w.buf);
	cr_assert_not_null(strstr(w.buf, "{\"group_by\":\"cgroup\",\"groups\":[{\"key\":\"/user.slice\","
				  "\"members\":2,"), "%s", w.buf);
	cr_assert_not_null(strstr(w.buf, "}}],\"dropped\":0,"), "%s", w.buf);
	if (fx_have("jq")) {
		/* each level: rows + others + idle = host; nothing of the one-level shape left */
		cr_assert_eq(fx_run_on("jq -e '(.levels | length) == 3 and ([.levels[].group_by] == "
				       "[\"pid\", \"comm\", \"cgroup\"]) and (has(\"processes\") or "
				       "has(\"groups\") or has(\"others\") or has(\"group_by\") | not) and "
				       "all(.levels[]; ([(.processes // .groups)[].energy_j] | add) + "
				       ".others.energy_j + $idle - $host | fabs < 1e-6)' --argjson idle 5 "
				       "--argjson host 8.25", w.buf), 0, "%s", w.buf);
	}
	jw_free(&w);
	views__free(&vs);
}

/* --flat with several levels: the host's line names them, then each level's line (its
 * others, its row count) before its rows; every line within --max-line-bytes, even
 * the least, with every level given. */
Test(levels, flat_lines_of_every_level)
{
	struct view_opts o = { .levels = { GROUP_PID, GROUP_COMM }, .nr_levels = 2 };
	struct output_opts oo = { .flat = true };
	struct views vs;
	struct jw w;

	two_procs();
	views__init(&vs);
	jw_init(&w);
	views__build(&vs, &F.s, &o);
	cr_assert_eq(json__flat_lines(&F.s, &vs), 1 + 1 + 3 + 1 + 2);
	json__flat(&w, &F.s, &vs, &oo, 0);
	cr_assert_not_null(strstr(w.buf, "\"record\":\"host\",\"host\":{"), "%s", w.buf);
	cr_assert_not_null(strstr(w.buf, "\"levels\":[\"pid\",\"comm\"],\"rows\":7,\"dropped\":0"),
			   "%s", w.buf);
	cr_assert_null(strstr(w.buf, "others"), "%s", w.buf);
	json__flat(&w, &F.s, &vs, &oo, 1);
	cr_assert_not_null(strstr(w.buf, "\"record\":\"level\",\"group_by\":\"pid\",\"others\":"
				  "{\"members\":0,\"cpu_ns\":0,\"cpu_util\":0.0000,\"power_w\":0.000,"
				  "\"energy_j\":0.000000},\"rows\":3}"), "%s", w.buf);
	json__flat(&w, &F.s, &vs, &oo, 4);
	cr_assert_not_null(strstr(w.buf, "\"record\":\"process\",\"pid\":44,"), "%s", w.buf);
	json__flat(&w, &F.s, &vs, &oo, 5);
	cr_assert_not_null(strstr(w.buf, "\"record\":\"level\",\"group_by\":\"comm\","), "%s", w.buf);
	cr_assert_not_null(strstr(w.buf, "\"rows\":2}"), "%s", w.buf);
	json__flat(&w, &F.s, &vs, &oo, 6);
	cr_assert_not_null(strstr(w.buf, "\"record\":\"group\",\"group_by\":\"comm\",\"key\":\"bash\","
				  "\"members\":2"), "%s", w.buf);
	json__flat(&w, &F.s, &vs, &oo, 7);
	cr_assert_not_null(strstr(w.buf, "\"key\":\"make\""), "%s", w.buf);
	/* every level at once, at the least --max-line-bytes */
	o = (struct view_opts){ .nr_levels = GROUP_NR };
	for (int i = 0; i < GROUP_NR; i++)
		o.levels[i] = i;
	views__build(&vs, &F.s, &o);
	oo.max_line_bytes = JSON_FLAT_MIN;
	for (__u32 l = 0; l < json__flat_lines(&F.s, &vs); l++) {
		json__flat(&w, &F.s, &vs, &oo, l);
		cr_assert_leq(w.len + 1, JSON_FLAT_MIN, "line %u: %s", l, w.buf);
	}
	jw_free(&w);
	views__free(&vs);
}

/* --- top's plain lines: the header once, then each level ------------------------------ */

Test(levels, top_lines_hold_every_level)
{
	struct view_opts o = { .levels = { GROUP_PID, GROUP_CGROUP }, .nr_levels = 2 };
	struct output_opts oo = {};
	char text[8192];
	struct views vs;
	int hosts = 0;
	size_t n;
	FILE *f;

	two_procs();
	views__init(&vs);
	views__build(&vs, &F.s, &o);
	f = fmemopen(text, sizeof(text) - 1, "w");
	cr_assert_not_null(f);
	cr_assert_eq(top__print(f, &F.s, &vs, &oo), 0);
	n = ftell(f);
	fclose(f);
	text[n] = '\0';
	for (const char *l = text; *l; l += strcspn(l, "\n") + 1)
		hosts += !strncmp(l, "host ", 5);
	cr_assert_eq(hosts, 1, "the host line once: %s", text);
	cr_assert_not_null(strstr(text, "    PID    WATTS    JOULES   CPU%   COMMAND\n"), "%s", text);
	cr_assert_not_null(strstr(text, "MEMBERS    WATTS    JOULES   CPU%   CGROUP\n"), "%s", text);
	cr_assert_not_null(strstr(text, "/system.slice\n"), "%s", text);
	/* each level ends with idle */
	cr_assert_not_null(strstr(strstr(text, "[idle]") + 1, "[idle]"), "%s", text);
	views__free(&vs);
}

/* --- rows by pid ----------------------------------------------------------------------- */

/*
 * A process's row is found by its PID, start and name: its part under an older identity
 * with the same name (a cgroup move) joins it, the part under another name (an exec) is a
 * row of its own, and a PID reused with another start is another process. Enough of them
 * that the view's index is rebuilt (1,024 slots at first, half used) while rows are added.
 */
Test(levels, pid_rows_by_pid_start_and_name)
{
	struct view_opts o = { .by = GROUP_PID };
	struct view v;
	struct proc *live, *moved, *execd;
	struct view_row tmp;
	const struct view_row *r;
	__u64 sum_ns = 0;

	memset(&F, 0, sizeof(F));
	fx_begin(&F, SEC, 1000);
	live = fx_proc(&F, 7, 100, "nginx", 3000, 30, 0);
	for (__u32 i = 0; i < 700; i++)
		fx_proc(&F, 1000 + i, 5, i % 2 ? "worker" : "builder", 10 + i, 1, 0);
	/* after the index was rebuilt: they must find the row made before */
	moved = fx_proc(&F, 7, 100, "nginx", 2000, 20, 1);
	moved->part = true;
	execd = fx_proc(&F, 7, 100, "sh", 500, 5, 0);
	execd->part = true;
	fx_proc(&F, 7, 999, "nginx", 100, 1, 1);	/* the PID again, later */
	fx_end(&F);
	for (__u32 i = 0; i < F.s.nr_procs; i++)
		sum_ns += F.s.procs[i]->iv.ns;

	cr_assert_eq(view__init(&v), 0);
	cr_assert_eq(view__build(&v, &F.s, &o), 0);
	cr_assert_eq(v.nr, 703, "rows: %u", v.nr);
	/* the largest first: the live entry with its part under the same name */
	r = view__row(&v, 0, &tmp);
	cr_expect_eq(r->p, live);
	cr_expect_eq(r->pid, 7);
	cr_expect_eq(r->members, 2);
	cr_expect_eq(r->iv.ns, 5000);
	cr_expect_str_eq(r->key, "nginx");
	cr_expect_eq(r->total_ns, live->total_ns, "the live entry's totals");
	cr_expect_eq(live->iv.ns, 3000, "the table's figures are left as they were");
	r = view__row(&v, 1, &tmp);
	cr_expect_eq(r->p, execd);
	cr_expect_str_eq(r->key, "sh");
	cr_expect_eq(r->iv.ns, 500);
	for (__u32 i = 2; i < v.nr; i++) {
		r = view__row(&v, i, &tmp);
		cr_expect_eq(r->members, 1);
		cr_expect_str_eq(r->key, r->p->comm);
		sum_ns -= r->iv.ns;
	}
	cr_expect_eq(sum_ns, 5500, "every process in one row");
	/* built again (the index kept, emptied): the same rows */
	cr_assert_eq(view__build(&v, &F.s, &o), 0);
	cr_expect_eq(v.nr, 703);
	cr_expect_eq(view__row(&v, 0, &tmp)->iv.ns, 5000);
	cr_expect_eq(live->iv.ns, 3000);
	view__free(&v);
}

/*
 * A process's row when its part (older identity, same name) comes before its live entry:
 * the live entry is the row's (its totals, its exit), both entries' figures are the row's;
 * a name the kernel did not terminate is the row's key, terminated. The rows are made of
 * the table's entries, which they leave as they were; --top folds the rest into others.
 */
Test(levels, pid_row_part_first_and_unterminated_name)
{
	struct view_opts o = { .by = GROUP_PID };
	struct view v;
	struct proc *part, *live, *odd;
	struct view_row tmp;
	const struct view_row *r;

	memset(&F, 0, sizeof(F));
	fx_begin(&F, SEC, 1000);
	part = fx_proc(&F, 9, 50, "job", 200, 2, 0);
	part->part = true;
	part->total_ns = 200;
	odd = fx_proc(&F, 11, 60, "x", 100, 1, 1);
	memset(odd->comm, 'x', WP_COMM_LEN);
	live = fx_proc(&F, 9, 50, "job", 300, 3, 1);
	live->total_ns = 7000;
	live->total_uj = 70;
	live->exited = true;
	fx_proc(&F, 12, 70, "small", 10, 0, 0);
	fx_end(&F);

	cr_assert_eq(view__init(&v), 0);
	cr_assert_eq(view__build(&v, &F.s, &o), 0);
	cr_assert_eq(v.nr, 3, "rows: %u", v.nr);
	r = view__row(&v, 0, &tmp);
	cr_expect_eq(r->p, live);
	cr_expect_eq(r->members, 2);
	cr_expect_eq(r->iv.ns, 500);
	cr_expect_eq(r->iv.uj, 5);
	cr_expect_eq(figures__sock_ns(&r->iv, 0), 500);
	cr_expect_eq(r->total_ns, 7000);
	cr_expect_eq(r->total_uj, 70);
	cr_expect(r->exited);
	cr_expect_eq(part->iv.ns, 200, "the table's figures are left as they were");
	cr_expect_eq(live->iv.ns, 300);
	r = view__row(&v, 1, &tmp);
	cr_expect_eq(r->p, odd);
	cr_expect_str_eq(r->key, "xxxxxxxxxxxxxxxx");
	cr_expect_eq(r->members, 1);
	cr_expect_eq(r->iv.ns, 100);
	r = view__row(&v, 2, &tmp);
	cr_expect_str_eq(r->key, "small");

	o.top = 1;
	cr_assert_eq(view__build(&v, &F.s, &o), 0);
	cr_assert_eq(v.nr, 1);
	cr_expect_eq(view__row(&v, 0, &tmp)->p, live);
	cr_expect_eq(v.others.members, 2);
	cr_expect_eq(v.others.iv.ns, 110);
	cr_expect_eq(figures__sock_ns(&v.others.iv, 0), 110);
	view__free(&v);
}
