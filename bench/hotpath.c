// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * hotpath: what each sched_switch handler design costs, one at a time.
 *
 * Loads every program of a candidates object (build/bench/hotpath.bpf.o) and
 * the agent's real handler (wp_switch_btf, and wp_switch_raw, from
 * build/wattprobe.bpf.o), then for several rounds attaches ONE of them, runs
 * the same workload (perf bench sched pipe), and detaches it, in an order
 * rotated every round.
 *
 *  - by default, with BPF run-time statistics on (bpf_enable_stats, for as
 *    long as we run), the program's own run_time_ns / run_cnt over the
 *    workload, next to the empty program's (the floor) of the same round;
 *  - with -W, the workload's time (printed beside -m MARKER, in -u UNIT; else
 *    wall, in s) with each candidate attached, next to nothing attached and to
 *    the floor attached in the same round.
 *
 * Prints a Markdown table; with -o, appends "key value" lines for run.sh.
 * With -c OTHER.bpf.o, the agent's handler of another build (before a change,
 * say) runs beside the one as built, loaded the same way: "other.wp_switch_btf".
 */
#include <getopt.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

#define MAX_CANDS	32
#define MAX_ROUNDS	256
#define FLOOR_NAME	"hp_empty"

struct cand {
	char id[48];		/* key in the results file */
	const char *name;	/* as printed */
	const char *what;
	struct bpf_program *prog;
	double ns[MAX_ROUNDS];	/* per call, stats phase */
	double ratio[MAX_ROUNDS];	/* to the floor of the same round */
	double extra[MAX_ROUNDS];	/* ns over the floor of the same round */
	double calls[MAX_ROUNDS];
	double wall[MAX_ROUNDS];	/* wall phase: workload seconds */
	double slow[MAX_ROUNDS];	/* to nothing attached, same round */
	double over[MAX_ROUNDS];	/* to the floor attached, same round */
};

static struct cand cands[MAX_CANDS];
static int ncands;

/* How each object is loaded: which programs, and what becomes of its per-CPU state map. */
enum variant { V_AS_IS, V_HASH_BY_CPU, V_ARRAY_BY_CPU };

static const struct {
	const char *id, *name, *what;
} known[] = {
	{ "hp_empty", "empty (floor)", "`return 0`" },
	{ "wp_switch_btf", "**wattprobe, as built** (tp_btf)",
	  "the agent's handler, loaded from build/wattprobe.bpf.o; state in an ARRAY by CPU" },
	{ "wp_switch_raw", "wattprobe, as built (raw_tp)", "the same handler, raw_tp variant" },
	{ "other.wp_switch_btf", "wattprobe, other build (-c)",
	  "the agent's handler from another build of bpf/wattprobe.bpf.c, loaded as the one as built" },
	{ "cpukey_hash.wp_switch_btf", "wattprobe, state in HASH by CPU",
	  "the same source; `cpus` a HASH (no prealloc) keyed by CPU number" },
	{ "cpukey_array.wp_switch_btf", "wattprobe, state in ARRAY by CPU",
	  "the same source; `cpus` a plain ARRAY indexed by CPU number" },
	{ "aom.wp_switch_btf", "wattprobe, state in one ARRAY per CPU",
	  "the same source; each CPU's state in its own 1-element ARRAY, via ARRAY_OF_MAPS" },
	{ "hp_pcpu_add", "per-CPU array add", "1 PERCPU_ARRAY lookup + add" },
	{ "hp_array_add", "array-by-CPU add", "1 ARRAY lookup (key: CPU) + add" },
	{ "hp_hash_add", "hash-by-CPU add", "1 HASH (no prealloc) lookup (key: CPU) + add" },
	{ "hp_aom_add", "array-of-arrays add",
	  "ARRAY_OF_MAPS lookup (key: CPU), then that CPU's small ARRAY + add" },
	{ "hp_clock", "clock", "1 PERCPU_ARRAY lookup + bpf_ktime_get_ns() + store" },
	{ "hp_hash_clock", "per-CPU hash + clock",
	  "classic design: clock per switch, PERCPU_HASH keyed by tgid" },
	{ "hp_task_stor", "task storage",
	  "per-thread TASK_STORAGE, sum_exec_runtime delta (per-thread totals only)" },
	{ "hp_pcpu_near", "per-CPU, 2 lines, 1 page", "1 PERCPU_ARRAY lookup, adds 1 KiB apart" },
	{ "hp_pcpu_far", "per-CPU, 2 pages", "1 PERCPU_ARRAY lookup, adds 12 KiB apart" },
	{ "hp_task_reads", "per-CPU add + task reads",
	  "per-CPU add of the prev/next fields the agent reads (sum, tgid, pid, leader start)" },
	{ "hp_wp_hdr", "agent's hot path: header only",
	  "its state's ARRAY lookup, seq, the running task and the stamp (prev's exec_start)" },
	{ "hp_wp_charge", "agent's hot path: + the charge",
	  "and the slice added to prev's slot (no cap)" },
	{ "hp_wp_cap", "agent's hot path: + the cap",
	  "and the slice capped by prev's sum_exec_runtime growth (next's sum kept)" },
	{ "hp_wp_next", "agent's hot path: + next's fields",
	  "and next's leader start, css_set and pcount kept: all the agent's hot path does" },
};

static void describe(struct cand *c)
{
	c->name = c->id;
	c->what = "";
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].id, c->id)) {
			c->name = known[i].name;
			c->what = known[i].what;
		}
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, args);
	return 0;
}

static const char *only_ids;	/* -p: comma-separated candidate ids, the floor is always in */

static bool wanted(const char *id)
{
	size_t n = strlen(id);

	if (!only_ids || !strcmp(id, FLOOR_NAME))
		return true;
	for (const char *p = only_ids; (p = strstr(p, id)); p += n)
		if ((p == only_ids || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static int add_cand(const char *prefix, struct bpf_program *prog)
{
	struct cand *c;

	if (ncands >= MAX_CANDS)
		return -E2BIG;
	c = &cands[ncands];
	snprintf(c->id, sizeof(c->id), "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
		 bpf_program__name(prog));
	if (!wanted(c->id))
		return 0;
	ncands++;
	c->prog = prog;
	describe(c);
	return 0;
}

static int prog_stats(struct bpf_program *prog, __u64 *run_ns, __u64 *cnt)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int err;

	err = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
	if (err)
		return err;
	*run_ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

static bool by_cpu_map(const struct bpf_map *m, enum variant v)
{
	const char *name = bpf_map__name(m);
	size_t n = strlen(name);

	if (v != V_AS_IS)
		return !strcmp(name, "cpus");
	return n > 6 && !strcmp(name + n - 6, "_bycpu");
}

/* One inner ARRAY per possible CPU in a keyed-by-CPU ARRAY_OF_MAPS. */
static int fill_inner(struct bpf_map *outer, int ncpus, __u32 inner_value_size)
{
	if (!inner_value_size)
		return -EINVAL;
	for (__u32 cpu = 0; cpu < (__u32)ncpus; cpu++) {
		int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, inner_value_size, 1, NULL);
		int err;

		if (fd < 0)
			return -errno;
		err = bpf_map_update_elem(bpf_map__fd(outer), &cpu, &fd, BPF_ANY);
		close(fd);
		if (err)
			return -errno;
	}
	return 0;
}

/* One element per possible CPU in each keyed-by-CPU hash map or map of maps. */
static int fill_by_cpu(struct bpf_object *obj, enum variant v, int ncpus, __u32 inner_vsz)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		void *zero;
		int err = 0;

		if (by_cpu_map(m, v) && bpf_map__type(m) == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
			err = fill_inner(m, ncpus, inner_vsz);
			if (err)
				return err;
			continue;
		}
		if (!by_cpu_map(m, v) || bpf_map__type(m) != BPF_MAP_TYPE_HASH)
			continue;
		zero = calloc(1, bpf_map__value_size(m));
		if (!zero)
			return -ENOMEM;
		for (__u32 cpu = 0; cpu < (__u32)ncpus && !err; cpu++)
			err = bpf_map_update_elem(bpf_map__fd(m), &cpu, zero, BPF_ANY);
		free(zero);
		if (err)
			return -errno;
	}
	return 0;
}

static struct bpf_object *open_load(const char *path, const char *const *only, enum variant v)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int ncpus = libbpf_num_possible_cpus();
	struct bpf_program *prog;
	struct bpf_map *m;
	__u32 inner_vsz = 0;	/* libbpf frees the inner map template at load */
	int err;

	if (!obj) {
		fprintf(stderr, "failed to open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	bpf_object__for_each_program(prog, obj) {
		bool keep = !only;

		for (int i = 0; only && only[i]; i++)
			keep |= !strcmp(bpf_program__name(prog), only[i]);
		bpf_program__set_autoload(prog, keep);
	}
	bpf_object__for_each_map(m, obj) {
		/* the agent's own state, an ARRAY by CPU: one element per possible CPU */
		if (v == V_AS_IS && !strcmp(bpf_map__name(m), "cpus") &&
		    bpf_map__type(m) == BPF_MAP_TYPE_ARRAY)
			bpf_map__set_max_entries(m, ncpus);
		if (!by_cpu_map(m, v))
			continue;
		if (bpf_map__type(m) == BPF_MAP_TYPE_ARRAY_OF_MAPS && bpf_map__inner_map(m))
			inner_vsz = bpf_map__value_size(bpf_map__inner_map(m));
		if (v == V_HASH_BY_CPU) {
			bpf_map__set_type(m, BPF_MAP_TYPE_HASH);
			bpf_map__set_map_flags(m, BPF_F_NO_PREALLOC);
		} else if (v == V_ARRAY_BY_CPU) {
			bpf_map__set_type(m, BPF_MAP_TYPE_ARRAY);
		}
		bpf_map__set_max_entries(m, ncpus);
	}
	err = bpf_object__load(obj);
	if (!err)
		err = fill_by_cpu(obj, v, ncpus, inner_vsz);
	if (err) {
		fprintf(stderr, "failed to load %s: %s\n", path, strerror(-err));
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-r ROUNDS] [-W [-m MARKER] [-u UNIT]] [-o RESULTS] -b CANDIDATES.bpf.o -w WATTPROBE.bpf.o "
		"[-k WP_CPUKEY.bpf.o] [-a WP_AOM.bpf.o] [-c OTHER_WATTPROBE.bpf.o] [-p ID,...] "
		"-- WORKLOAD...\n", argv0);
}

int main(int argc, char **argv)
{
	const char *bench_obj = NULL, *wp_obj = NULL, *cpukey_obj = NULL, *aom_obj = NULL;
	const char *other_obj = NULL;
	const char *results = NULL;
	const char *marker = NULL, *unit = "s";
	static const char *const wp_progs[] = { "wp_switch_btf", "wp_switch_raw", NULL };
	static const char *const btf_only[] = { "wp_switch_btf", NULL };
	struct bpf_object *bobj = NULL, *wobj = NULL, *hobj = NULL, *aobj = NULL, *mobj = NULL;
	struct bpf_object *oobj = NULL;
	struct bpf_program *prog;
	double none_wall[MAX_ROUNDS];
	int rounds = 5, wall_phase = 0, stats_fd = -1, floor = -1, opt, err = 0;
	char **work;

	while ((opt = getopt(argc, argv, "r:Wm:u:o:b:w:k:a:c:p:h")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'W':
			wall_phase = 1;
			break;
		case 'm':
			marker = optarg;
			break;
		case 'u':
			unit = optarg;
			break;
		case 'o':
			results = optarg;
			break;
		case 'b':
			bench_obj = optarg;
			break;
		case 'w':
			wp_obj = optarg;
			break;
		case 'k':
			cpukey_obj = optarg;
			break;
		case 'a':
			aom_obj = optarg;
			break;
		case 'c':
			other_obj = optarg;
			break;
		case 'p':
			only_ids = optarg;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (!bench_obj || !wp_obj || optind >= argc || rounds < 1 || rounds > MAX_ROUNDS) {
		usage(argv[0]);
		return 2;
	}
	work = argv + optind;
	if (bench_results_open(results))
		return 1;
	libbpf_set_print(libbpf_quiet);

	bobj = open_load(bench_obj, NULL, V_AS_IS);
	wobj = open_load(wp_obj, wp_progs, V_AS_IS);
	if (!bobj || !wobj) {
		err = -EINVAL;
		goto cleanup;
	}
	if (cpukey_obj) {
		hobj = open_load(cpukey_obj, btf_only, V_HASH_BY_CPU);
		aobj = open_load(cpukey_obj, btf_only, V_ARRAY_BY_CPU);
		if (!hobj || !aobj)
			fprintf(stderr, "hotpath: %s did not load; its variants are left out\n",
				cpukey_obj);
	}
	if (aom_obj) {
		mobj = open_load(aom_obj, btf_only, V_AS_IS);
		if (!mobj)
			fprintf(stderr, "hotpath: %s did not load; its variant is left out\n", aom_obj);
	}
	if (other_obj) {
		oobj = open_load(other_obj, btf_only, V_AS_IS);
		if (!oobj) {
			err = -EINVAL;
			goto cleanup;
		}
	}
	/* the floor first, then the agent's handler and its variants, then the other designs */
	bpf_object__for_each_program(prog, bobj)
		if (!strcmp(bpf_program__name(prog), FLOOR_NAME))
			add_cand(NULL, prog);
	bpf_object__for_each_program(prog, wobj)
		if (bpf_program__fd(prog) >= 0)
			add_cand(NULL, prog);
	if (oobj)
		bpf_object__for_each_program(prog, oobj)
			if (bpf_program__fd(prog) >= 0)
				add_cand("other", prog);
	if (hobj)
		bpf_object__for_each_program(prog, hobj)
			if (bpf_program__fd(prog) >= 0)
				add_cand("cpukey_hash", prog);
	if (aobj)
		bpf_object__for_each_program(prog, aobj)
			if (bpf_program__fd(prog) >= 0)
				add_cand("cpukey_array", prog);
	if (mobj)
		bpf_object__for_each_program(prog, mobj)
			if (bpf_program__fd(prog) >= 0)
				add_cand("aom", prog);
	bpf_object__for_each_program(prog, bobj)
		if (strcmp(bpf_program__name(prog), FLOOR_NAME))
			add_cand(NULL, prog);
	floor = 0;

	if (wall_phase)
		goto wall;
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		err = -errno;
		fprintf(stderr, "failed to enable BPF run-time statistics: %s\n", strerror(errno));
		goto cleanup;
	}
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < ncands; k++) {
			struct cand *c = &cands[(k + r) % ncands];
			__u64 t0, n0, t1, n1;
			struct bpf_link *link = bpf_program__attach(c->prog);

			if (!link) {
				err = -errno;
				fprintf(stderr, "failed to attach %s: %s\n", c->name, strerror(errno));
				goto cleanup;
			}
			prog_stats(c->prog, &t0, &n0);
			if (bench_run_wall(work, 0) < 0) {
				err = -ECHILD;
				fprintf(stderr, "failed to run the workload %s\n", work[0]);
				bpf_link__destroy(link);
				goto cleanup;
			}
			prog_stats(c->prog, &t1, &n1);
			bpf_link__destroy(link);
			c->calls[r] = n1 - n0;
			c->ns[r] = n1 > n0 ? (double)(t1 - t0) / (n1 - n0) : 0;
		}
		for (int k = 0; k < ncands; k++) {
			cands[k].ratio[r] = cands[floor].ns[r] ? cands[k].ns[r] / cands[floor].ns[r] : 0;
			cands[k].extra[r] = cands[k].ns[r] - cands[floor].ns[r];
		}
	}
	close(stats_fd);
	stats_fd = -1;

	printf("| candidate | what it does | ns/call (median) | min..max | ns over the floor (median of rounds) | x floor (median of rounds) |\n");
	printf("|---|---|---:|---:|---:|---:|\n");
	for (int k = 0; k < ncands; k++) {
		struct cand *c = &cands[k];
		double ns[MAX_ROUNDS], ratio[MAX_ROUNDS], calls[MAX_ROUNDS], extra[MAX_ROUNDS];
		double mns, mratio, mcalls, mextra;

		memcpy(ns, c->ns, sizeof(ns));
		memcpy(ratio, c->ratio, sizeof(ratio));
		memcpy(calls, c->calls, sizeof(calls));
		memcpy(extra, c->extra, sizeof(extra));
		mns = bench_median(ns, rounds);
		mratio = bench_median(ratio, rounds);
		mcalls = bench_median(calls, rounds);
		mextra = bench_median(extra, rounds);
		printf("| %s | %s | %.0f | %.0f..%.0f | %+.0f | %.2f |\n", c->name, c->what, mns,
		       bench_min(c->ns, rounds), bench_max(c->ns, rounds), mextra, mratio);
		bench_result("hotpath.extra_ns", "%s %.1f", c->id, mextra);
		bench_result("hotpath.ns", "%s %.1f", c->id, mns);
		bench_result("hotpath.ratio", "%s %.3f", c->id, mratio);
		bench_result("hotpath.calls", "%s %.0f", c->id, mcalls);
	}
	printf("\n%d rounds, order rotated each round; calls per run (floor): %.0f; workload:",
	       rounds, bench_median(cands[floor].calls, rounds));
	for (char **a = work; *a; a++)
		printf(" %s", *a);
	printf("\n");
	bench_result("hotpath.rounds", "%d", rounds);
	goto cleanup;

wall:
	for (int r = 0; r < rounds; r++) {
		/* nothing attached, then each candidate, rotated */
		for (int k = -1; k < ncands; k++) {
			struct cand *c = k < 0 ? NULL : &cands[(k + r) % ncands];
			struct bpf_link *link = c ? bpf_program__attach(c->prog) : NULL;
			double w;

			if (c && !link) {
				err = -errno;
				goto cleanup;
			}
			w = bench_run_time(work, marker);
			bpf_link__destroy(link);
			if (w <= 0) {
				err = -ECHILD;
				fprintf(stderr, "the workload failed or printed no time\n");
				goto cleanup;
			}
			if (c)
				c->wall[r] = w;
			else
				none_wall[r] = w;
		}
		for (int k = 0; k < ncands; k++) {
			cands[k].slow[r] = cands[k].wall[r] / none_wall[r] - 1;
			cands[k].over[r] = cands[k].wall[r] / cands[floor].wall[r] - 1;
		}
	}
	printf("| candidate attached alone | workload time, %s (median) | slowdown vs nothing attached (median of rounds) | min..max | vs the empty program (median of rounds) | its 95%% interval |\n", unit);
	printf("|---|---:|---:|---:|---:|---:|\n");
	printf("| nothing | %.3f | | | | |\n", bench_median(none_wall, rounds));
	for (int k = 0; k < ncands; k++) {
		struct cand *c = &cands[k];
		double slow[MAX_ROUNDS], wall[MAX_ROUNDS], over[MAX_ROUNDS], ms, mo, lo, hi;

		memcpy(slow, c->slow, sizeof(slow));
		memcpy(wall, c->wall, sizeof(wall));
		memcpy(over, c->over, sizeof(over));
		ms = bench_median(slow, rounds);
		mo = bench_median(over, rounds);
		bench_median_ci(over, rounds, &lo, &hi);
		printf("| %s | %.3f | %+.1f%% | %+.1f%%..%+.1f%% |", c->name, bench_median(wall, rounds),
		       ms * 100, bench_min(c->slow, rounds) * 100, bench_max(c->slow, rounds) * 100);
		if (k == floor)
			printf(" | |\n");
		else
			printf(" %+.1f%% | %+.1f%%..%+.1f%% |\n", mo * 100, lo * 100, hi * 100);
		bench_result("hotpath.wall_slowdown", "%s %.4f", c->id, ms);
		bench_result("hotpath.wall_over_floor", "%s %.4f %.4f %.4f", c->id, mo, lo, hi);
	}
	printf("\n%d rounds, order rotated each round; workload:", rounds);
	for (char **a = work; *a; a++)
		printf(" %s", *a);
	printf("\n");

cleanup:
	if (stats_fd >= 0)
		close(stats_fd);
	bpf_object__close(bobj);
	bpf_object__close(wobj);
	bpf_object__close(hobj);
	bpf_object__close(aobj);
	bpf_object__close(mobj);
	bpf_object__close(oobj);
	return err ? 1 : 0;
}
