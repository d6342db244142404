// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * untraced: for SECONDS, count per process how often sched_switch shows one of
 * its tasks coming in (next) and going out (prev), and how often the next
 * switch on that CPU had another prev (the switch-out went by untraced). Then
 * ask BPF (bpf_task_from_pid, where the kernel has it) whether it can find a
 * task of each process that was never seen going out. Evidence for docs/counting.md,
 * "Untraced switches"; prints a Markdown table, with -o "key value" lines.
 *
 *   untraced [-s SECONDS] [-o RESULTS] build/bench/untraced.bpf.o
 */
#include <getopt.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

struct counts {
	__u64 as_next, as_prev, unseen_after;
	__u32 pid, _pad;
	char comm[16];
};

struct wp_lookup_args {
	__s32 pid;
	__s32 found;
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

/* 1 found, 0 not found, -1 the kernel cannot tell (no bpf_task_from_pid) */
static int lookup(struct bpf_program *prog, __u32 pid)
{
	struct wp_lookup_args a = { .pid = (__s32)pid };
	/* a syscall program's context is copied back into ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &a, .ctx_size_in = sizeof(a));

	if (!prog || bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		return -1;
	return a.found;
}

int main(int argc, char **argv)
{
	const char *results = NULL;
	struct bpf_program *sw, *lk;
	struct bpf_object *obj;
	struct bpf_link *link;
	__u64 total_unseen = 0, hidden = 0;
	__u32 key, next_key, *prev_key = NULL, ctl_key = 0;
	struct counts ctl = { 0 };
	double secs = 5;
	int opt, fd, err;

	while ((opt = getopt(argc, argv, "s:o:")) != -1) {
		if (opt == 's')
			secs = atof(optarg);
		else if (opt == 'o')
			results = optarg;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: %s [-s SECONDS] [-o RESULTS] untraced.bpf.o\n", argv[0]);
		return 2;
	}
	if (bench_results_open(results))
		return 1;
	libbpf_set_print(libbpf_quiet);
	obj = bpf_object__open_file(argv[optind], NULL);
	if (!obj)
		return 1;
	sw = bpf_object__find_program_by_name(obj, "untraced_switch");
	lk = bpf_object__find_program_by_name(obj, "task_lookup");
	err = bpf_object__load(obj);
	if (err) {
		/* no bpf_task_from_pid (before 6.2): count switches only */
		bpf_object__close(obj);
		obj = bpf_object__open_file(argv[optind], NULL);
		if (!obj)
			return 1;
		sw = bpf_object__find_program_by_name(obj, "untraced_switch");
		bpf_program__set_autoload(bpf_object__find_program_by_name(obj, "task_lookup"), false);
		lk = NULL;
		err = bpf_object__load(obj);
	}
	if (err || !(link = bpf_program__attach(sw))) {
		fprintf(stderr, "untraced: failed to load or attach: %s\n", strerror(errno));
		return 1;
	}
	bench_sleep(secs);
	bpf_link__destroy(link);

	printf("| process (tgid comm) | switched in | switched out | next switch had another prev | BPF finds its task by pid |\n");
	printf("|---|---:|---:|---:|---|\n");
	fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "by_tgid"));
	while (!bpf_map_get_next_key(fd, prev_key, &next_key)) {
		struct counts c;

		key = next_key;
		prev_key = &key;
		if (bpf_map_lookup_elem(fd, &key, &c))
			continue;
		total_unseen += c.unseen_after;
		if (!c.unseen_after && c.as_prev > ctl.as_prev) {
			ctl = c;	/* the busiest fully traced process, for contrast */
			ctl_key = key;
		}
		if (!c.unseen_after)
			continue;
		hidden += c.as_prev == 0;
		printf("| %u %.16s | %llu | %llu | %llu | %s |\n", key, c.comm,
		       (unsigned long long)c.as_next, (unsigned long long)c.as_prev,
		       (unsigned long long)c.unseen_after,
		       lookup(lk, c.pid) < 0 ? "(cannot tell)" : lookup(lk, c.pid) ? "yes" : "**no**");
	}
	if (ctl_key)
		printf("| %u %.16s (busiest fully traced, for contrast) | %llu | %llu | 0 | %s |\n",
		       ctl_key, ctl.comm, (unsigned long long)ctl.as_next,
		       (unsigned long long)ctl.as_prev,
		       lookup(lk, ctl.pid) < 0 ? "(cannot tell)" : lookup(lk, ctl.pid) ? "yes" : "**no**");
	printf("\nOver %.0f s: %llu switches went by untraced; %llu process(es) were never seen "
	       "switched out. Processes with no untraced switch are not listed.\n", secs,
	       (unsigned long long)total_unseen, (unsigned long long)hidden);
	bench_result("untraced.switches", "%llu", (unsigned long long)total_unseen);
	bench_result("untraced.hidden_processes", "%llu", (unsigned long long)hidden);
	bpf_object__close(obj);
	return 0;
}
