// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * scale: the cost of one sample as the host grows, wattprobe's sampling core
 * next to the /proc method, in one process, the same intervals.
 *
 * For each host size N it starts child processes until /proc lists N (one
 * spins, 1% wake every 100 ms to burn 200 us, the rest sleep; the sleepers
 * share our memory, see population.h, the others are forked), opens the
 * sampler (BPF loaded and attached, as the agent does), and for every
 * interval takes one wattprobe sample (sampler__sample + sampler__done) and
 * one /proc scan (bench/procscan.h), in alternating order, each timed with
 * CLOCK_PROCESS_CPUTIME_ID: the CPU time this process spends, user and
 * kernel (syscalls, the kernel's map copy, reading /proc). Not counted for
 * wattprobe: the few microseconds wp_snap runs in an IPI on the other CPUs.
 *
 * Levels (--group-by): in each interval's wattprobe sample, the views and
 * pages of `wattprobe prometheus` (views__build, then the page in text and in
 * OpenMetrics, --top 50) for 1, 2, 4 and 7 levels, each set of views with its
 * own steady series, all from that one sample, in rotated order: the cost a
 * level adds. After the rounds, each level's share of the page alone (lines of
 * samples, bytes of text and OpenMetrics) from the 7-level views.
 *
 * With -x CMD, runs CMD (sh -c) at each size, with the population still up
 * and the sampler closed, with WP_BENCH_PROCS set to the live process count.
 */
#include <getopt.h>
#include <sys/resource.h>
#include "bench.h"
#include "output/output.h"
#include "population.h"
#include "procscan.h"
#include "sample/sampler.h"
#include "taskiter.h"

/* The sets of levels compared: the first is one level, the others add to it (no exe:
 * its executables are read by the sampler, which would differ between sets). */
#define NR_SETS 4
static const struct level_set {
	unsigned nr;
	enum group_by by[8];
} sets[NR_SETS] = {
	{ 1, { GROUP_PID } },
	{ 2, { GROUP_PID, GROUP_CONTAINER } },
	{ 4, { GROUP_PID, GROUP_CONTAINER, GROUP_POD, GROUP_UNIT } },
	{ 7, { GROUP_PID, GROUP_CONTAINER, GROUP_POD, GROUP_UNIT, GROUP_COMM, GROUP_CGROUP,
	       GROUP_NAMESPACE } },
};

struct set_state {
	struct view_opts o;
	struct views vs;
	struct pbuf page[2];		/* text, OpenMetrics */
};

/* The views of a set and its pages, as `wattprobe prometheus` makes them each sample. */
static int set_emit(struct set_state *st, const struct sample *sm)
{
	struct output_opts oo = {};
	int err = views__build(&st->vs, sm, &st->o);

	for (int f = 0; !err && f < 2; f++) {
		prom__sample(&st->page[f], sm, &st->vs, &oo);
		err = st->page[f].err;
	}
	return err;
}

static int set_open(struct set_state *st, const struct level_set *ls)
{
	memset(st, 0, sizeof(*st));
	st->o = (struct view_opts){ .top = 50, .steady = true, .rate_window_s = 60,
				    .nr_levels = ls->nr };
	memcpy(st->o.levels, ls->by, ls->nr * sizeof(ls->by[0]));
	for (int f = 0; f < 2; f++) {
		pbuf_init(&st->page[f]);
		st->page[f].format = f ? PROM_OPENMETRICS : PROM_TEXT;
	}
	return views__init(&st->vs);
}

static void set_close(struct set_state *st)
{
	views__free(&st->vs);
	for (int f = 0; f < 2; f++)
		pbuf_free(&st->page[f]);
}

/* The tables of levels, printed after the table of sizes. */
static char *levels_text;
static size_t levels_len;
static FILE *lv_out;

static int sample_lines(const struct pbuf *b)
{
	int n = 0;

	for (const char *l = b->buf; l && *l; l = strchr(l, '\n') + 1)
		n += *l != '#';
	return n;
}

/* Each level's part of the page: the page of its view alone less the page of none. */
static void level_pages(const struct set_state *st, const struct sample *sm, int size)
{
	struct output_opts oo = {};
	struct pbuf b[2];
	size_t base[2];
	int base_lines = 0;

	for (int f = 0; f < 2; f++) {
		pbuf_init(&b[f]);
		b[f].format = f ? PROM_OPENMETRICS : PROM_TEXT;
		prom__sample(&b[f], sm, &(struct views){ .v = st->vs.v, .nr = 0 }, &oo);
		base[f] = b[f].len;
		if (!f)
			base_lines = sample_lines(&b[f]);
	}
	fprintf(lv_out, "\nThe page of `wattprobe prometheus -g %s` (--top 50) at %d processes, level by "
		"level (each level's families alone, from the last interval):\n\n"
		"| level | rows with series | series (sample lines) | text bytes | OpenMetrics bytes |\n"
		"|---|---:|---:|---:|---:|\n", "pid,container,pod,unit,comm,cgroup,namespace", size);
	for (unsigned i = 0; i < st->vs.nr; i++) {
		const struct view *v = &st->vs.v[i];
		size_t len[2];
		int lines = 0;

		for (int f = 0; f < 2; f++) {
			prom__sample(&b[f], sm, VIEWS_OF((struct view *)v), &oo);
			len[f] = b[f].len - base[f];
			if (!f)
				lines = sample_lines(&b[f]) - base_lines;
		}
		fprintf(lv_out, "| %s | %u | %d | %zu | %zu |\n", group_by_name(v->by), v->nr, lines,
			len[0], len[1]);
		bench_result("levels.page", "%d %s %u %d %zu %zu", size, group_by_name(v->by), v->nr,
			     lines, len[0], len[1]);
	}
	fprintf(lv_out, "| (host, sockets, agent: on every page) | | %d | %zu | %zu |\n", base_lines,
		base[0], base[1]);
	fprintf(lv_out, "| **the page, all %u levels** | | %d | %zu | %zu |\n", st->vs.nr,
		sample_lines(&st->page[0]), st->page[0].len, st->page[1].len);
	bench_result("levels.page_base", "%d %d %zu %zu", size, base_lines, base[0], base[1]);
	bench_result("levels.page_all", "%d %d %zu %zu", size, sample_lines(&st->page[0]),
		     st->page[0].len, st->page[1].len);
	for (int f = 0; f < 2; f++)
		pbuf_free(&b[f]);
}

#define MAX_SIZES	8
#define MAX_ROUNDS	256
#define MAX_KIDS	40000

static pid_t kids[MAX_KIDS];
static int nkids, nticks, nspin;

static const struct pop_spec sleeper = { POP_SLEEP, "wpb-sleep", 0, 0 };
static const struct pop_spec spinner = { POP_SPIN, "wpb-spin", 0, 0 };
static const struct pop_spec ticker = { POP_TICK, "wpb-tick", 200, 100 };

/* Grow the population until /proc lists n processes. */
static int grow_to(int n)
{
	int host = pop_count_host(), want = n - host;

	for (int i = 0; i < want && nkids < MAX_KIDS; i++) {
		const struct pop_spec *s = &sleeper;
		struct pop_spec named = ticker;
		char name[24];
		pid_t pid;

		if (!nspin) {
			s = &spinner;
			nspin++;
		} else if (nticks < n / 100) {
			/* a name each, so that the comm level has rows of its own */
			snprintf(name, sizeof(name), "wpb-tick%d", nticks);
			named.comm = name;
			s = &named;
			nticks++;
		}
		pid = s == &sleeper ? pop_spawn_sleeper(s->comm) : pop_spawn(s);
		if (pid < 0) {
			fprintf(stderr, "scale: fork failed after %d children: %s\n", nkids,
				strerror(errno));
			return -errno;
		}
		kids[nkids++] = pid;
	}
	/* let the children reach their first sleep */
	bench_sleep(0.5 + nkids / 20000.0);
	return pop_count_host();
}

static double cpu_now(void)
{
	return bench_now(CLOCK_PROCESS_CPUTIME_ID);
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-n N,N,...] [-r ROUNDS] [-w WARMUP] [-i SECONDS] [-o RESULTS] "
		"[-x CMD] [-t TASKITER.bpf.o]\n", argv0);
}

int main(int argc, char **argv)
{
	int sizes[MAX_SIZES] = { 100, 1000, 10000 }, nsizes = 3, rounds = 10, warmup = 2, opt;
	const char *results = NULL, *hook = NULL, *iter_obj = NULL;
	double interval = 1.0;
	int err = 0;

	while ((opt = getopt(argc, argv, "n:r:w:i:o:x:t:h")) != -1) {
		switch (opt) {
		case 'n':
			nsizes = 0;
			for (char *t = strtok(optarg, ","); t && nsizes < MAX_SIZES; t = strtok(NULL, ","))
				sizes[nsizes++] = atoi(t);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'i':
			interval = atof(optarg);
			break;
		case 'o':
			results = optarg;
			break;
		case 'x':
			hook = optarg;
			break;
		case 't':
			iter_obj = optarg;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || interval <= 0 || !nsizes) {
		usage(argv[0]);
		return 2;
	}
	if (bench_results_open(results))
		return 1;
	lv_out = open_memstream(&levels_text, &levels_len);
	if (!lv_out)
		return 1;

	printf("| live processes | wattprobe sample, CPU us (median) | min..max | /proc scan, CPU us (median) | min..max | /proc / wattprobe (median of intervals) | processes charged by wattprobe per interval |%s\n",
	       iter_obj ? " prototype without sched_switch: task iterator, CPU us (median) |" : "");
	printf("|---:|---:|---:|---:|---:|---:|---:|%s\n", iter_obj ? "---:|" : "");
	fflush(stdout);
	for (int k = 0; k < nsizes && !err; k++) {
		struct sampler_opts o = {
			.interval_s = interval, .sensors = "model", .idle_w = -1,
			.max_procs = 32768,
		};
		double a[MAX_ROUNDS], p[MAX_ROUNDS], ratio[MAX_ROUNDS], active[MAX_ROUNDS], it[MAX_ROUNDS];
		double lv[NR_SETS][MAX_ROUNDS], growth[NR_SETS][MAX_ROUNDS];
		static struct set_state st[NR_SETS];
		static struct sampler s;
		struct taskiter ti = {};
		struct procscan ps;
		char errbuf[512];
		int live = grow_to(sizes[k]), size = sizes[k];

		if (live < 0) {
			err = live;
			break;
		}
		if (procscan__init(&ps, 65536)) {
			err = -ENOMEM;
			break;
		}
		err = sampler__open(&s, &o, errbuf, sizeof(errbuf));
		if (err) {
			fprintf(stderr, "scale: %s\n", errbuf);
			procscan__free(&ps);
			break;
		}
		if (iter_obj) {
			err = taskiter__open(&ti, iter_obj, 65536);
			if (err) {
				fprintf(stderr, "scale: failed to load %s: %s\n", iter_obj, strerror(-err));
				sampler__close(&s);
				procscan__free(&ps);
				break;
			}
			taskiter__sample(&ti);
		}
		for (int q = 0; q < NR_SETS && !err; q++)
			err = set_open(&st[q], &sets[q]);
		procscan__scan(&ps);
		for (int r = -warmup; r < rounds && !err; r++) {
			double t[3] = {}, tl[NR_SETS] = {};

			bench_sleep(interval);
			/* rotate which goes first */
			for (int k = 0; k < 3 && !err; k++) {
				int m = (k + (r + warmup)) % 3;
				double t0 = cpu_now();

				if (m == 0) {
					err = sampler__sample(&s);
					/* the sets of views of this one sample, in rotated order,
					 * timed apart from the sample itself */
					for (int j = 0; j < NR_SETS && !err; j++) {
						int q = (j + r + warmup) % NR_SETS;
						double l0 = cpu_now();

						err = set_emit(&st[q], &s.cur);
						tl[q] = cpu_now() - l0;
					}
					if (!err && r == rounds - 1)
						level_pages(&st[NR_SETS - 1], &s.cur, size);
					sampler__done(&s);
				} else if (m == 1) {
					procscan__scan(&ps);
				} else if (iter_obj) {
					int n = taskiter__sample(&ti);

					err = n < 0 ? n : 0;
				}
				t[m] = cpu_now() - t0;
			}
			for (int q = 0; q < NR_SETS; q++)
				t[0] -= tl[q];	/* the sample alone */
			if (err) {
				fprintf(stderr, "scale: sample failed: %s\n", strerror(-err));
				break;
			}
			if (r < 0)
				continue;
			a[r] = t[0] * 1e6;
			p[r] = t[1] * 1e6;
			it[r] = t[2] * 1e6;
			ratio[r] = t[1] / t[0];
			active[r] = s.cur.nr_procs;
			/* a sample with its views and pages; per added level, over the one-level one */
			for (int q = 0; q < NR_SETS; q++) {
				lv[q][r] = tl[q] * 1e6;
				growth[q][r] = q ? (tl[q] - tl[0]) / (sets[q].nr - 1) / (t[0] + tl[0]) : 0;
			}
		}
		sampler__close(&s);
		procscan__free(&ps);
		for (int q = 0; q < NR_SETS; q++)
			set_close(&st[q]);
		if (iter_obj)
			taskiter__close(&ti);
		if (err)
			break;
		{
			double ma = bench_median(a, rounds);

			fprintf(lv_out, "\nAt %d processes, each interval: the views and pages of "
				"`wattprobe prometheus` (text and OpenMetrics, --top 50) for these levels, "
				"all from the interval's one sample (its own cost: %.0f us, median), in "
				"rotated order:\n\n"
				"| levels (--group-by) | views + pages, CPU us (median) | sample + views + pages, us | growth per added level over one level (median of intervals) |\n"
				"|---|---:|---:|---:|\n", sizes[k], ma);
			for (int q = 0; q < NR_SETS; q++) {
				double mt = bench_median(lv[q], rounds), mg = bench_median(growth[q], rounds);
				char names[128] = "";

				for (unsigned i = 0; i < sets[q].nr; i++)
					snprintf(names + strlen(names), sizeof(names) - strlen(names),
						 "%s%s", i ? "," : "", group_by_name(sets[q].by[i]));
				if (q)
					fprintf(lv_out, "| %s | %.0f | %.0f | %+.1f%% |\n", names, mt,
						ma + mt, mg * 100);
				else
					fprintf(lv_out, "| %s | %.0f | %.0f | |\n", names, mt, ma + mt);
				bench_result("levels.us", "%d %u %.1f", sizes[k], sets[q].nr, mt);
				if (q)
					bench_result("levels.growth", "%d %u %.4f", sizes[k], sets[q].nr, mg);
			}
			fflush(stdout);
		}
		{
			double ma, mp, mr, mact, amin = bench_min(a, rounds), amax = bench_max(a, rounds);
			double pmin = bench_min(p, rounds), pmax = bench_max(p, rounds);

			ma = bench_median(a, rounds);
			mp = bench_median(p, rounds);
			mr = bench_median(ratio, rounds);
			mact = bench_median(active, rounds);
			printf("| %d | %.0f | %.0f..%.0f | %.0f | %.0f..%.0f | %.1f | %.0f |", live, ma,
			       amin, amax, mp, pmin, pmax, mr, mact);
			if (iter_obj) {
				double mit = bench_median(it, rounds);

				printf(" %.0f |", mit);
				bench_result("scale.iter_us", "%d %.1f", sizes[k], mit);
			}
			putchar('\n');
			fflush(stdout);
			bench_result("scale.procs", "%d %d", sizes[k], live);
			bench_result("scale.agent_us", "%d %.1f", sizes[k], ma);
			bench_result("scale.proc_us", "%d %.1f", sizes[k], mp);
			bench_result("scale.ratio", "%d %.2f", sizes[k], mr);
			bench_result("scale.active", "%d %.0f", sizes[k], mact);
		}
		if (hook) {
			char env[32];

			snprintf(env, sizeof(env), "%d", pop_count_host());
			setenv("WP_BENCH_PROCS", env, 1);
			setenv("WP_BENCH_SIZE", "", 1);
			snprintf(env, sizeof(env), "%d", sizes[k]);
			setenv("WP_BENCH_SIZE", env, 1);
			fflush(stdout);
			if (system(hook) != 0)
				fprintf(stderr, "scale: %s failed\n", hook);
		}
	}
	printf("\n%d intervals of %.2f s after %d of warm-up, order rotated; population: 1 spinning, "
	       "1%% waking every 100 ms for 200 us of CPU (each with a name of its own), the rest "
	       "asleep, all in the benchmark's cgroup\n", rounds, interval, warmup);
	fclose(lv_out);
	printf("\n#### Levels\n%s", levels_text);
	free(levels_text);
	bench_result("scale.rounds", "%d", rounds);
	bench_result("scale.interval", "%.2f", interval);
	pop_kill_all(kids, nkids);
	return err ? 1 : 0;
}
