// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* RAPL: parsers, wrap arithmetic, and discovery/sampling on fake powercap trees. */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <sys/wait.h>
#include "helpers.h"
#include "energy/rapl.h"
#include "lib/util.h"

#define REAL_MAX_RANGE	262143328850ULL
#define SEC		1000000000ULL

/* --- rapl_parse_u64 ---------------------------------------------------------- */

static int parse(const char *s, __u64 *v)
{
	return parse_u64_line(s, strlen(s), v);
}

Test(rapl_parse, leading_zeros_of_the_fixed_width_format)
{
	__u64 v = 0;

	cr_assert_eq(parse("00000000000000000042\n", &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(parse("00000000000000000000\n", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(parse("0000000000000000000000000000007", &v), 0, "zeros do not count towards overflow");
	cr_assert_eq(v, 7);
}

Test(rapl_parse, trailing_newline_optional)
{
	__u64 v = 0;

	cr_assert_eq(parse("123456789\n", &v), 0);
	cr_assert_eq(v, 123456789);
	cr_assert_eq(parse("987", &v), 0);
	cr_assert_eq(v, 987);
}

Test(rapl_parse, only_the_first_line_counts)
{
	__u64 v = 0;

	cr_assert_eq(parse("7\n8", &v), 0);
	cr_assert_eq(v, 7);
	cr_assert_eq(parse("15\ngarbage\n", &v), 0);
	cr_assert_eq(v, 15);
	/* len bounds the buffer: no NUL needed */
	cr_assert_eq(parse_u64_line("123456", 3, &v), 0);
	cr_assert_eq(v, 123);
}

Test(rapl_parse, garbage_is_einval_and_leaves_out_alone)
{
	static const char *const bad[] = { "12a", "", "\n", "-5", " 5", "5 ", "+5", "0x10",
					   "1.5", "\n5" };
	__u64 v = 0xdeadbeef;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i], &v), -EINVAL, "\"%s\"", bad[i]);
		cr_assert_eq(v, 0xdeadbeef, "\"%s\" wrote the output", bad[i]);
	}
	cr_assert_eq(parse_u64_line("5\0", 2, &v), -EINVAL, "NUL byte");
}

Test(rapl_parse, u64_bounds)
{
	__u64 v = 1;

	cr_assert_eq(parse("18446744073709551615\n", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	v = 1;
	cr_assert_eq(parse("18446744073709551616", &v), -ERANGE, "2^64");
	cr_assert_eq(v, 1);
	cr_assert_eq(parse("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(parse("100000000000000000000", &v), -ERANGE);
}

/* --- rapl_parse_zone_name ------------------------------------------------------ */

Test(rapl_names, packages_and_dies)
{
	enum energy_domain d = ENERGY_PSYS;
	int s = -7, die = -7;

	cr_assert_eq(rapl_parse_zone_name("package-0", &d, &s, &die), 0);
	cr_assert_eq(d, ENERGY_PACKAGE);
	cr_assert_eq(s, 0);
	cr_assert_eq(die, 0);
	cr_assert_eq(rapl_parse_zone_name("package-13", &d, &s, NULL), 0);
	cr_assert_eq(s, 13);
	/* multi-die: the socket is the package, not the die */
	cr_assert_eq(rapl_parse_zone_name("package-1-die-0", &d, &s, &die), 0);
	cr_assert_eq(d, ENERGY_PACKAGE);
	cr_assert_eq(s, 1);
	cr_assert_eq(die, 0);
	cr_assert_eq(rapl_parse_zone_name("package-0-die-3", &d, &s, &die), 0);
	cr_assert_eq(s, 0);
	cr_assert_eq(die, 3);
}

Test(rapl_names, subzones_and_psys)
{
	static const struct {
		const char *name;
		enum energy_domain dom;
	} ok[] = {
		{ "core", ENERGY_CORE }, { "uncore", ENERGY_UNCORE },
		{ "dram", ENERGY_DRAM }, { "psys", ENERGY_PSYS },
	};
	enum energy_domain d;
	int s;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		d = ENERGY_PACKAGE;
		s = 5;
		cr_assert_eq(rapl_parse_zone_name(ok[i].name, &d, &s, NULL), 0, "%s", ok[i].name);
		cr_assert_eq(d, ok[i].dom, "%s", ok[i].name);
		cr_assert_eq(s, -1, "%s", ok[i].name);
		cr_assert_str_eq(energy_domain_name(ok[i].dom), ok[i].name);
	}
	cr_assert_str_eq(energy_domain_name(ENERGY_PACKAGE), "package");
	cr_assert_str_eq(energy_domain_name(ENERGY_NR_DOMAINS), "unknown");
}

Test(rapl_names, rejects_the_rest)
{
	static const char *const bad[] = {
		"package", "package-", "package-x", "package--1", "package-1-", "package-1-die-",
		"package-1-die-x", "package-1-die-2-", "package-1x", "Package-0", "core\n",
		"dram0", "", "cores", "package-99999999999", "gpu",
	};
	enum energy_domain d;
	int s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(rapl_parse_zone_name(bad[i], &d, &s, NULL), -EINVAL, "\"%s\"", bad[i]);
}

/* --- rapl_energy_delta ----------------------------------------------------------- */

Test(rapl_delta, forward)
{
	__u64 d = 99;

	cr_assert_eq(rapl_energy_delta(100, 350, REAL_MAX_RANGE, 250, &d), RAPL_OK);
	cr_assert_eq(d, 250);
	cr_assert_eq(rapl_energy_delta(350, 350, REAL_MAX_RANGE, 0, &d), RAPL_OK);
	cr_assert_eq(d, 0);
	cr_assert_eq(rapl_energy_delta(0, REAL_MAX_RANGE, REAL_MAX_RANGE, UINT64_MAX, &d), RAPL_OK);
	cr_assert_eq(d, REAL_MAX_RANGE);
}

/* Forwards by more than the zone can draw: a gap, like a reset (issue 11). */
Test(rapl_delta, implausible_forward_jump)
{
	__u64 d = 99;

	/* the bound is inclusive: 250 uJ allowed, 251 not */
	cr_assert_eq(rapl_energy_delta(100, 351, REAL_MAX_RANGE, 250, &d), RAPL_JUMP);
	cr_assert_eq(d, 0);
	/* 2e11 uJ within max_energy_range_uj in 0.5 s at most 2 kW (1e9 uJ): 400 kW believed no more */
	cr_assert_eq(rapl_energy_delta(1000000, 200001000000ULL, REAL_MAX_RANGE, 1000000000ULL, &d),
		     RAPL_JUMP);
	/* and with a garbage max range */
	cr_assert_eq(rapl_energy_delta(5, 10000000000000ULL, UINT64_MAX / 2, 1000000000ULL, &d),
		     RAPL_JUMP);
	cr_assert_str_eq(rapl_status_name(RAPL_JUMP), "implausible jump");
	cr_assert_str_eq(rapl_status_name(RAPL_STUCK), "counter stuck");
	cr_assert_null(rapl_status_name(RAPL_OK));
}

Test(rapl_delta, exact_wrap)
{
	__u64 d = 0;

	/* 50 uJ to the top, 1 to reach 0, then 30: 81 */
	cr_assert_eq(rapl_energy_delta(REAL_MAX_RANGE - 50, 30, REAL_MAX_RANGE, 1000, &d),
		     RAPL_WRAPPED);
	cr_assert_eq(d, 81);
	/* the step from the top to 0 is 1 uJ */
	cr_assert_eq(rapl_energy_delta(REAL_MAX_RANGE, 0, REAL_MAX_RANGE, 1000, &d), RAPL_WRAPPED);
	cr_assert_eq(d, 1);
	/* plausibility bound is inclusive */
	cr_assert_eq(rapl_energy_delta(REAL_MAX_RANGE - 50, 30, REAL_MAX_RANGE, 81, &d),
		     RAPL_WRAPPED);
	cr_assert_eq(d, 81);
	cr_assert_eq(rapl_energy_delta(REAL_MAX_RANGE - 50, 30, REAL_MAX_RANGE, 80, &d), RAPL_RESET);
	cr_assert_eq(d, 0);
}

Test(rapl_delta, backwards_without_plausible_wrap_is_reset)
{
	__u64 d = 5;

	/* would be a 258 GJ... step: a reset, not a wrap */
	cr_assert_eq(rapl_energy_delta(5000000000ULL, 1000000000ULL, REAL_MAX_RANGE,
				       2000000000ULL, &d), RAPL_RESET);
	cr_assert_eq(d, 0);
	/* no max range known: never a wrap */
	cr_assert_eq(rapl_energy_delta(10, 5, 0, UINT64_MAX, &d), RAPL_RESET);
	/* nothing is plausible in no time */
	cr_assert_eq(rapl_energy_delta(REAL_MAX_RANGE, 0, REAL_MAX_RANGE, 0, &d), RAPL_RESET);
}

Test(rapl_delta, above_max_range_is_garbage)
{
	__u64 d = 5;

	cr_assert_eq(rapl_energy_delta(10, REAL_MAX_RANGE + 1, REAL_MAX_RANGE, UINT64_MAX, &d),
		     RAPL_GARBAGE);
	cr_assert_eq(d, 0);
	cr_assert_eq(rapl_energy_delta(REAL_MAX_RANGE + 1, 10, REAL_MAX_RANGE, UINT64_MAX, &d),
		     RAPL_GARBAGE);
	/* no max range known: no ceiling but the plausible step */
	cr_assert_eq(rapl_energy_delta(10, UINT64_MAX, 0, UINT64_MAX, &d), RAPL_OK);
	cr_assert_eq(d, UINT64_MAX - 10);
}

Test(rapl_delta, no_overflow_at_u64_range)
{
	__u64 d = 0;

	cr_assert_eq(rapl_energy_delta(UINT64_MAX - 1, 0, UINT64_MAX, 10, &d), RAPL_WRAPPED);
	cr_assert_eq(d, 2);
	cr_assert_eq(rapl_energy_delta(1, 0, UINT64_MAX, UINT64_MAX, &d), RAPL_WRAPPED);
	cr_assert_eq(d, UINT64_MAX);
	/* one step short of a full turn */
	cr_assert_eq(rapl_energy_delta(UINT64_MAX, UINT64_MAX - 1, UINT64_MAX, UINT64_MAX, &d),
		     RAPL_WRAPPED);
	cr_assert_eq(d, UINT64_MAX);
	cr_assert_eq(rapl_energy_delta(UINT64_MAX, UINT64_MAX - 1, UINT64_MAX, UINT64_MAX - 1, &d),
		     RAPL_RESET);
}

/* --- fake powercap trees ------------------------------------------------------------ */

static char *tmp;

static void tree_setup(void)
{
	tmp = th_tmpdir();
	cr_assert_not_null(tmp);
	chmod(tmp, 0755);	/* the setuid test reads it as nobody */
}

static void tree_teardown(void)
{
	th_rmrf(tmp);
	free(tmp);
}

TestSuite(rapl_sysfs, .init = tree_setup, .fini = tree_teardown);

static void put(const char *zone, const char *file, const char *text)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s/%s", tmp, zone, file);
	cr_assert_eq(th_write_file(path, text), 0, "write %s", path);
}

/* Rewrite energy_uj in place, in fakerapl's fixed-width format. */
static void put_uj(const char *zone, __u64 uj)
{
	char text[32];

	snprintf(text, sizeof(text), "%020llu\n", (unsigned long long)uj);
	put(zone, "energy_uj", text);
}

static void zone(const char *entry, const char *name, __u64 max_range, __u64 uj)
{
	char text[32];

	snprintf(text, sizeof(text), "%s\n", name);
	put(entry, "name", text);
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)max_range);
	put(entry, "max_energy_range_uj", text);
	put_uj(entry, uj);
}

static void path_of(char *buf, size_t size, const char *entry)
{
	snprintf(buf, size, "%s/%s", tmp, entry);
}

static void assert_zone(const struct rapl_zone *z, const char *entry, enum energy_domain dom,
			int socket, __u64 max_range)
{
	char path[1024];

	path_of(path, sizeof(path), entry);
	cr_assert_str_eq(z->path, path);
	cr_assert_eq(z->domain, dom, "%s", entry);
	cr_assert_eq(z->socket, socket, "%s", entry);
	cr_assert_eq(z->max_range_uj, max_range, "%s", entry);
	cr_assert_geq(z->fd, 0, "%s", entry);
	cr_assert_eq(z->have_last, 0, "%s", entry);
}

/*
 * Two packages numbered against their ids (intel-rapl:0 is package-1), each
 * with core and dram; a psys zone; the MMIO duplicate and the control-type
 * directory that must be ignored; a zone with a name nobody knows; stray
 * entries.
 */
static void server_tree(void)
{
	zone("intel-rapl:0", "package-1", 1001, 0);
	zone("intel-rapl:0:0", "dram", 1002, 0);
	zone("intel-rapl:0:1", "core", 1003, 0);
	zone("intel-rapl:1", "package-0", 2001, 0);
	zone("intel-rapl:1:0", "core", 2002, 0);
	zone("intel-rapl:1:1", "dram", 2003, 0);
	zone("intel-rapl:2", "psys", 3001, 0);
	zone("intel-rapl-mmio:0", "package-0", 4001, 0);
	zone("intel-rapl:3", "gpu", 5001, 0);
	put("intel-rapl", "enabled", "1\n");
	/* entries that are not zones, and zones of the wrong kind for their level */
	zone("intel-rapl:7.bak", "package-7", 6001, 0);
	zone("intel-rapl:1:2", "package-5", 6002, 0);
	zone("intel-rapl:5", "dram", 6003, 0);
}

Test(rapl_sysfs, discovers_and_sorts_a_two_socket_tree)
{
	struct rapl r;
	char err[256] = "";

	server_tree();
	cr_assert_eq(rapl__open(&r, tmp, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.nr, 7);
	assert_zone(&r.zones[0], "intel-rapl:1", ENERGY_PACKAGE, 0, 2001);
	assert_zone(&r.zones[1], "intel-rapl:1:0", ENERGY_CORE, 0, 2002);
	assert_zone(&r.zones[2], "intel-rapl:1:1", ENERGY_DRAM, 0, 2003);
	assert_zone(&r.zones[3], "intel-rapl:0", ENERGY_PACKAGE, 1, 1001);
	assert_zone(&r.zones[4], "intel-rapl:0:1", ENERGY_CORE, 1, 1003);
	assert_zone(&r.zones[5], "intel-rapl:0:0", ENERGY_DRAM, 1, 1002);
	assert_zone(&r.zones[6], "intel-rapl:2", ENERGY_PSYS, -1, 3001);
	cr_assert_str_eq(r.zones[0].name, "package-0");
	cr_assert_str_eq(r.zones[5].name, "dram");
	for (int i = 0; i < r.nr; i++)
		cr_assert_null(strstr(r.zones[i].path, "mmio"), "%s", r.zones[i].path);
	rapl__close(&r);
	cr_assert_eq(r.nr, 0);
	rapl__close(&r);
}

Test(rapl_sysfs, amd_tree_has_package_and_core_only)
{
	struct rapl r;
	char err[256] = "";

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 5);
	zone("intel-rapl:0:0", "core", REAL_MAX_RANGE, 6);
	cr_assert_eq(rapl__open(&r, tmp, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.nr, 2);
	assert_zone(&r.zones[0], "intel-rapl:0", ENERGY_PACKAGE, 0, REAL_MAX_RANGE);
	assert_zone(&r.zones[1], "intel-rapl:0:0", ENERGY_CORE, 0, REAL_MAX_RANGE);
	rapl__close(&r);
}

Test(rapl_sysfs, no_zone_is_enoent_with_a_message)
{
	struct rapl r;
	char err[256] = "", missing[1024];

	cr_assert_eq(rapl__open(&r, tmp, err, sizeof(err)), -ENOENT);
	cr_assert_neq(err[0], '\0');
	cr_assert_eq(r.nr, 0);

	/* only MMIO duplicates and orphans: still nothing to read */
	zone("intel-rapl-mmio:0", "package-0", 1, 0);
	zone("intel-rapl:4:0", "dram", 1, 0);
	err[0] = '\0';
	cr_assert_eq(rapl__open(&r, tmp, err, sizeof(err)), -ENOENT);
	cr_assert_neq(err[0], '\0');

	snprintf(missing, sizeof(missing), "%s/nope", tmp);
	err[0] = '\0';
	cr_assert_eq(rapl__open(&r, missing, err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, missing), "%s", err);
}

Test(rapl_sysfs, unreadable_energy_fails_open_naming_the_file)
{
	struct rapl r;
	char err[256] = "", path[1024];

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 0);
	zone("intel-rapl:1", "package-1", REAL_MAX_RANGE, 0);
	/* a directory opens, even for root, but read() fails with EISDIR */
	snprintf(path, sizeof(path), "%s/intel-rapl:1/energy_uj", tmp);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mkdir(path, 0755), 0);
	cr_assert_eq(rapl__open(&r, tmp, err, sizeof(err)), -EISDIR);
	cr_assert_not_null(strstr(err, path), "%s", err);
	cr_assert_eq(r.nr, 0);
}

/* rapl__open as nobody on a root-only energy_uj: ret and message back over a pipe. */
Test(rapl_sysfs, root_only_energy_is_eacces_with_the_remedy)
{
	char err[256] = "", path[1024];
	int fds[2], status, ret = 0;
	pid_t pid;

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 0);
	snprintf(path, sizeof(path), "%s/intel-rapl:0/energy_uj", tmp);
	cr_assert_eq(chmod(path, 0000), 0);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		struct rapl r;

		close(fds[0]);
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
			_exit(3);
		ret = rapl__open(&r, tmp, err, sizeof(err));
		if (write(fds[1], &ret, sizeof(ret)) != sizeof(ret) ||
		    write(fds[1], err, sizeof(err)) != sizeof(err))
			_exit(4);
		_exit(0);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &ret, sizeof(ret)), sizeof(ret));
	cr_assert_eq(read(fds[0], err, sizeof(err)), sizeof(err));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && !WEXITSTATUS(status), "child status %d", status);
	cr_assert_eq(ret, -EACCES, "%d: %s", ret, err);
	cr_assert_not_null(strstr(err, "energy_uj"), "%s", err);
	cr_assert_not_null(strstr(err, "CAP_DAC_READ_SEARCH"), "%s", err);
	cr_assert_not_null(strstr(err, "chmod o+r"), "%s", err);
	cr_assert_not_null(strstr(err, "CVE-2020-8694"), "%s", err);
}

static void open_tree(struct rapl *r)
{
	char err[256] = "";

	cr_assert_eq(rapl__open(r, tmp, err, sizeof(err)), 0, "%s", err);
}

Test(rapl_sysfs, sample_deltas_after_rewrites)
{
	struct rapl_reading out[RAPL_MAX_ZONES];
	struct rapl r;

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 1000);
	zone("intel-rapl:0:0", "dram", REAL_MAX_RANGE, 50);
	open_tree(&r);

	cr_assert_eq(rapl__sample(&r, 0, out), 2);
	cr_assert_eq(out[0].status, RAPL_FIRST);
	cr_assert_eq(out[1].status, RAPL_FIRST);
	cr_assert_eq(out[0].delta_uj, 0);

	/* 40 W and 5 W for one second */
	put_uj("intel-rapl:0", 1000 + 40000000);
	put_uj("intel-rapl:0:0", 50 + 5000000);
	cr_assert_eq(rapl__sample(&r, SEC, out), 2);
	cr_assert_eq(out[0].status, RAPL_OK);
	cr_assert_eq(out[0].delta_uj, 40000000);
	cr_assert_eq(out[1].status, RAPL_OK);
	cr_assert_eq(out[1].delta_uj, 5000000);

	/* unchanged for 20 ms: zero, not a repeat of the last delta */
	cr_assert_eq(rapl__sample(&r, SEC / 50, out), 2);
	cr_assert_eq(out[0].status, RAPL_OK);
	cr_assert_eq(out[0].delta_uj, 0);
	rapl__close(&r);
}

/*
 * Real counters move every millisecond: one that does not move for 50 ms,
 * over one interval or several short ones, is stuck (a gap, never 0 W), and
 * the next step counts from where it stuck.
 */
Test(rapl_sysfs, a_counter_that_does_not_move_is_stuck)
{
	struct rapl_reading out[RAPL_MAX_ZONES];
	struct rapl r;

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 1000);
	open_tree(&r);
	rapl__sample(&r, 0, out);
	put_uj("intel-rapl:0", 2000);
	rapl__sample(&r, SEC / 10, out);
	cr_assert_eq(out[0].status, RAPL_OK);

	/* one interval of 100 ms without a move */
	rapl__sample(&r, SEC / 10, out);
	cr_assert_eq(out[0].status, RAPL_STUCK);
	cr_assert_eq(out[0].delta_uj, 0);
	rapl__sample(&r, SEC / 10, out);
	cr_assert_eq(out[0].status, RAPL_STUCK, "stays stuck");
	put_uj("intel-rapl:0", 2500);
	rapl__sample(&r, SEC / 10, out);
	cr_assert_eq(out[0].status, RAPL_OK);
	cr_assert_eq(out[0].delta_uj, 500);

	/* 20 ms intervals: 40 ms still is fine, 60 ms is stuck */
	rapl__sample(&r, SEC / 50, out);
	cr_assert_eq(out[0].status, RAPL_OK);
	rapl__sample(&r, SEC / 50, out);
	cr_assert_eq(out[0].status, RAPL_OK);
	rapl__sample(&r, SEC / 50, out);
	cr_assert_eq(out[0].status, RAPL_STUCK);
	rapl__close(&r);
}

/* A forward jump beyond the zone's limits is a gap, and the next step counts from it. */
Test(rapl_sysfs, a_jump_beyond_the_limits_is_a_gap)
{
	struct rapl_reading out[RAPL_MAX_ZONES];
	struct rapl r;

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 1000);
	put("intel-rapl:0", "constraint_0_name", "long_term\n");
	put("intel-rapl:0", "constraint_0_power_limit_uw", "35000000\n");
	put("intel-rapl:0", "constraint_0_max_power_uw", "40000000\n");
	put("intel-rapl:0", "constraint_1_name", "short_term\n");
	put("intel-rapl:0", "constraint_1_power_limit_uw", "50000000\n");
	open_tree(&r);
	/* the largest limit is 50 W: 4 x 50 = 200 W; the long-term one is the TDP, 40 W */
	cr_assert_float_eq(r.zones[0].max_w, 200, 1e-9);
	cr_assert_float_eq(r.zones[0].limit_w, 40, 1e-9);
	cr_assert_str_eq(r.zones[0].limit_from, "constraint_0_max_power_uw");
	rapl__sample(&r, 0, out);

	/* 200 W over 1 s and the 50 ms a read may lag the counter's update
	 * (RAPL_STUCK_NS) is the ceiling: 210 J, believed */
	put_uj("intel-rapl:0", 1000 + 210000000);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_OK);
	/* 1 uJ more is not, nor is 2e11 uJ (the 399,965 W) */
	put_uj("intel-rapl:0", 1000 + 210000000 + 210000001);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_JUMP);
	cr_assert_eq(out[0].delta_uj, 0);
	put_uj("intel-rapl:0", 420001001 + 30000000);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_OK, "the next step counts from the jump");
	cr_assert_eq(out[0].delta_uj, 30000000);
	put_uj("intel-rapl:0", 200431001000ULL);
	rapl__sample(&r, SEC / 2, out);
	cr_assert_eq(out[0].status, RAPL_JUMP);
	rapl__close(&r);
}

/* Without constraint files, the documented ceiling: 2 kW; limit unknown. */
Test(rapl_sysfs, without_limits_the_ceiling_is_2kw)
{
	struct rapl_reading out[RAPL_MAX_ZONES];
	struct rapl r;

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 0);
	/* constraint_0 without names is the long-term one; power_limit when max_power is 0 */
	put("intel-rapl:0:0", "name", "dram\n");
	put("intel-rapl:0:0", "energy_uj", "0\n");
	put("intel-rapl:0:0", "constraint_0_max_power_uw", "0\n");
	put("intel-rapl:0:0", "constraint_0_power_limit_uw", "12000000\n");
	open_tree(&r);
	cr_assert_float_eq(r.zones[0].max_w, RAPL_MAX_PLAUSIBLE_WATTS, 1e-9);
	cr_assert_float_eq(r.zones[0].limit_w, 0, 1e-9);
	cr_assert_float_eq(r.zones[1].limit_w, 12, 1e-9);
	cr_assert_str_eq(r.zones[1].limit_from, "constraint_0_power_limit_uw");
	rapl__sample(&r, 0, out);
	put_uj("intel-rapl:0", 2100000000);	/* 2 kW over 1.05 s */
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_OK);
	put_uj("intel-rapl:0", 4200000001ULL);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_JUMP);
	rapl__close(&r);
}

/*
 * Two zones that both say package-0 are one package, not two: the lowest
 * number counts, with a warning, and its twin's subzones go with it. Two dies
 * of one package are two zones, and a die named twice is one.
 */
Test(rapl_sysfs, duplicate_zones_count_once)
{
	struct rapl r;

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 0);
	zone("intel-rapl:3", "package-0", REAL_MAX_RANGE, 0);
	zone("intel-rapl:3:0", "dram", REAL_MAX_RANGE, 0);
	zone("intel-rapl:1", "package-1-die-0", REAL_MAX_RANGE, 0);
	zone("intel-rapl:2", "package-1-die-1", REAL_MAX_RANGE, 0);
	zone("intel-rapl:2:0", "dram", REAL_MAX_RANGE, 0);
	zone("intel-rapl:2:1", "dram", REAL_MAX_RANGE, 0);
	zone("intel-rapl:4", "package-1-die-1", REAL_MAX_RANGE, 0);
	open_tree(&r);
	cr_assert_eq(r.nr_duplicates, 3, "%d", r.nr_duplicates);
	cr_assert_eq(r.nr, 4);
	assert_zone(&r.zones[0], "intel-rapl:0", ENERGY_PACKAGE, 0, REAL_MAX_RANGE);
	assert_zone(&r.zones[1], "intel-rapl:1", ENERGY_PACKAGE, 1, REAL_MAX_RANGE);
	assert_zone(&r.zones[2], "intel-rapl:2", ENERGY_PACKAGE, 1, REAL_MAX_RANGE);
	assert_zone(&r.zones[3], "intel-rapl:2:0", ENERGY_DRAM, 1, REAL_MAX_RANGE);
	cr_assert_eq(r.zones[1].die, 0);
	cr_assert_eq(r.zones[2].die, 1);
	cr_assert_eq(r.zones[3].die, 1);
	rapl__close(&r);

	/* the order of discovery does not matter: the lowest number counts */
	th_rmrf(tmp);
	cr_assert_eq(mkdir(tmp, 0755), 0);
	zone("intel-rapl:5", "package-0", REAL_MAX_RANGE, 0);
	zone("intel-rapl:10", "package-0", REAL_MAX_RANGE, 0);
	zone("intel-rapl:7", "package-0-die-0", REAL_MAX_RANGE, 0);
	open_tree(&r);
	cr_assert_eq(r.nr, 1);
	assert_zone(&r.zones[0], "intel-rapl:5", ENERGY_PACKAGE, 0, REAL_MAX_RANGE);
	cr_assert_eq(r.nr_duplicates, 2);
	rapl__close(&r);
}

/* A zone without a name is skipped with a warning, not silently; others still count. */
Test(rapl_sysfs, nameless_zones_are_counted_and_skipped)
{
	struct rapl r;
	char err[256] = "";

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 0);
	put("intel-rapl:1", "energy_uj", "5\n");
	put("intel-rapl:2", "name", "");
	put("intel-rapl:2", "energy_uj", "5\n");
	open_tree(&r);
	cr_assert_eq(r.nr, 1);
	cr_assert_eq(r.nr_unnamed, 2);
	rapl__close(&r);

	th_rmrf(tmp);
	cr_assert_eq(mkdir(tmp, 0755), 0);
	put("intel-rapl:1", "energy_uj", "5\n");
	cr_assert_eq(rapl__open(&r, tmp, err, sizeof(err)), -ENODATA);
	cr_assert_not_null(strstr(err, "readable name"), "%s", err);
}

Test(rapl_sysfs, sample_wrap_and_reset_against_2kw_over_elapsed)
{
	struct rapl_reading out[RAPL_MAX_ZONES];
	struct rapl r;

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, REAL_MAX_RANGE - 1000);
	open_tree(&r);
	cr_assert_eq(rapl__sample(&r, 0, out), 1);
	cr_assert_eq(out[0].status, RAPL_FIRST);

	put_uj("intel-rapl:0", 499);
	cr_assert_eq(rapl__sample(&r, SEC, out), 1);
	cr_assert_eq(out[0].status, RAPL_WRAPPED);
	cr_assert_eq(out[0].delta_uj, 1000 + 1 + 499);

	/* 1 s at 2 kW is 2e9 uJ: a wrap implying 1.9e9 is plausible (the forward
	 * step before it is not: 2.6e11 uJ in a second is a jump, a new baseline) ... */
	put_uj("intel-rapl:0", REAL_MAX_RANGE - 1900000000ULL + 1);
	cr_assert_eq(rapl__sample(&r, SEC, out), 1);
	cr_assert_eq(out[0].status, RAPL_JUMP);
	put_uj("intel-rapl:0", 0);
	cr_assert_eq(rapl__sample(&r, SEC, out), 1);
	cr_assert_eq(out[0].status, RAPL_WRAPPED);
	cr_assert_eq(out[0].delta_uj, 1900000000ULL);

	/* ... one implying 2.2e9 is not (2 kW over 1 s and the 50 ms a read may
	 * lag, RAPL_STUCK_NS, is 2.1e9): a reset, and the new value is the baseline */
	put_uj("intel-rapl:0", REAL_MAX_RANGE - 2200000000ULL + 1);
	rapl__sample(&r, SEC, out);
	put_uj("intel-rapl:0", 0);
	cr_assert_eq(rapl__sample(&r, SEC, out), 1);
	cr_assert_eq(out[0].status, RAPL_RESET);
	cr_assert_eq(out[0].delta_uj, 0);
	put_uj("intel-rapl:0", 777);
	cr_assert_eq(rapl__sample(&r, SEC, out), 1);
	cr_assert_eq(out[0].status, RAPL_OK);
	cr_assert_eq(out[0].delta_uj, 777);

	/* the same 1.9e9 wrap after only 0.5 s is a reset */
	put_uj("intel-rapl:0", REAL_MAX_RANGE - 1900000000ULL + 1);
	rapl__sample(&r, SEC, out);
	put_uj("intel-rapl:0", 0);
	cr_assert_eq(rapl__sample(&r, SEC / 2, out), 1);
	cr_assert_eq(out[0].status, RAPL_RESET);
	rapl__close(&r);
}

Test(rapl_sysfs, garbage_is_reported_and_rebaselined)
{
	struct rapl_reading out[RAPL_MAX_ZONES];
	struct rapl r;

	/* even a first reading above max_energy_range_uj is no baseline */
	zone("intel-rapl:0", "package-0", 1000000, 1000001);
	open_tree(&r);
	cr_assert_eq(rapl__sample(&r, 0, out), 1);
	cr_assert_eq(out[0].status, RAPL_GARBAGE);
	put_uj("intel-rapl:0", 100);
	rapl__sample(&r, 0, out);
	cr_assert_eq(out[0].status, RAPL_FIRST);

	put("intel-rapl:0", "energy_uj", "12a\n");
	cr_assert_eq(rapl__sample(&r, SEC, out), 1);
	cr_assert_eq(out[0].status, RAPL_GARBAGE);
	cr_assert_eq(out[0].delta_uj, 0);
	put_uj("intel-rapl:0", 300);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_FIRST, "garbage must not stay a baseline");

	/* above max_energy_range_uj */
	put_uj("intel-rapl:0", 1000001);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_GARBAGE);
	put_uj("intel-rapl:0", 400);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_FIRST);
	put_uj("intel-rapl:0", 450);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_OK);
	cr_assert_eq(out[0].delta_uj, 50);

	/* longer than any counter: not silently cut to its first digits */
	put("intel-rapl:0", "energy_uj",
	    "000000000000000000000000000000000000000000000000000000000000000000000005\n");
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_GARBAGE);

	/* empty file */
	put("intel-rapl:0", "energy_uj", "");
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_GARBAGE);
	rapl__close(&r);
}

Test(rapl_sysfs, deleted_energy_file_is_unreadable_then_recovers)
{
	struct rapl_reading out[RAPL_MAX_ZONES];
	struct rapl r;
	char path[1024];

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 100);
	zone("intel-rapl:1", "package-1", REAL_MAX_RANGE, 100);
	open_tree(&r);
	rapl__sample(&r, 0, out);

	snprintf(path, sizeof(path), "%s/intel-rapl:1/energy_uj", tmp);
	cr_assert_eq(unlink(path), 0);
	put_uj("intel-rapl:0", 200);
	cr_assert_eq(rapl__sample(&r, SEC, out), 2, "a lost zone is not fatal");
	cr_assert_eq(out[0].status, RAPL_OK);
	cr_assert_eq(out[0].delta_uj, 100);
	cr_assert_eq(out[1].status, RAPL_UNREADABLE);
	cr_assert_eq(out[1].delta_uj, 0);
	cr_assert_eq(rapl__sample(&r, SEC, out), 2);
	cr_assert_eq(out[1].status, RAPL_UNREADABLE);

	/* back, with a new counter: a fresh baseline, then deltas again */
	put_uj("intel-rapl:1", 5000);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[1].status, RAPL_FIRST);
	put_uj("intel-rapl:1", 5600);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[1].status, RAPL_OK);
	cr_assert_eq(out[1].delta_uj, 600);
	rapl__close(&r);
}

Test(rapl_sysfs, first_sample_after_open_is_first_even_if_counters_moved)
{
	struct rapl_reading out[RAPL_MAX_ZONES];
	struct rapl r;

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 100);
	open_tree(&r);
	put_uj("intel-rapl:0", 900);
	rapl__sample(&r, SEC, out);
	cr_assert_eq(out[0].status, RAPL_FIRST);
	cr_assert_eq(r.zones[0].last_uj, 900);
	rapl__close(&r);
}

/*
 * A short interval's step holds the counter's update lag as well: 40 W read
 * 5 ms apart, the first read 10 ms after an update and the second just after
 * one, is 15 ms of energy in 5 ms (120 W) and believed under a 50 W part
 * (200 W ceiling); a step of more than the ceiling over 55 ms is not.
 */
Test(rapl_sysfs, a_short_interval_allows_for_the_update_lag)
{
	struct rapl_reading out[RAPL_MAX_ZONES];
	struct rapl r;

	zone("intel-rapl:0", "package-0", REAL_MAX_RANGE, 1000);
	put("intel-rapl:0", "constraint_0_max_power_uw", "50000000\n");
	open_tree(&r);
	cr_assert_float_eq(r.zones[0].max_w, 200, 1e-9);
	rapl__sample(&r, 0, out);
	put_uj("intel-rapl:0", 1000 + 600000);	/* 40 W x 15 ms */
	rapl__sample(&r, 5000000, out);
	cr_assert_eq(out[0].status, RAPL_OK);
	cr_assert_eq(out[0].delta_uj, 600000);
	put_uj("intel-rapl:0", 601000 + 11000001);	/* 200 W x 55 ms + 1 uJ */
	rapl__sample(&r, 5000000, out);
	cr_assert_eq(out[0].status, RAPL_JUMP, "status %d, step %llu uJ", out[0].status,
		     (unsigned long long)out[0].delta_uj);
	rapl__close(&r);
}
