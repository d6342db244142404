// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cpulist parsing and the CPU -> socket map, on a fake sysfs tree in a tmpdir. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/topology.h"
#include "helpers.h"

TestSuite(topology_cpulist);

Test(topology_cpulist, parse_single)
{
	bool m[8];

	cr_assert_eq(cpulist_parse("0", m, 8), 0);
	cr_assert(m[0]);
	for (int i = 1; i < 8; i++)
		cr_assert(!m[i], "cpu %d", i);
}

Test(topology_cpulist, parse_range)
{
	bool m[8];

	memset(m, 1, sizeof(m));	/* stale contents must be cleared */
	cr_assert_eq(cpulist_parse("0-3", m, 8), 0);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(m[i], i <= 3, "cpu %d", i);
}

Test(topology_cpulist, parse_mixed_with_newline)
{
	static const bool want[12] = { [0] = 1, [1] = 1, [2] = 1, [3] = 1, [5] = 1, [8] = 1,
				       [9] = 1 };
	bool m[12];

	cr_assert_eq(cpulist_parse("0-3,5,8-9\n", m, 12), 0);
	for (int i = 0; i < 12; i++)
		cr_assert_eq(m[i], want[i], "cpu %d", i);
	/* exactly fitting: the highest CPU 9 needs n = 10 */
	cr_assert_eq(cpulist_parse("0-3,5,8-9\n", m, 10), 0);
	cr_assert(m[9]);
}

Test(topology_cpulist, parse_empty_is_no_cpu)
{
	bool m[4];

	memset(m, 1, sizeof(m));
	cr_assert_eq(cpulist_parse("", m, 4), 0);
	for (int i = 0; i < 4; i++)
		cr_assert(!m[i]);
	memset(m, 1, sizeof(m));
	cr_assert_eq(cpulist_parse("\n", m, 4), 0);
	for (int i = 0; i < 4; i++)
		cr_assert(!m[i]);
}

Test(topology_cpulist, parse_invalid)
{
	bool m[16];

	cr_assert_eq(cpulist_parse("3-1", m, 16), -EINVAL, "descending range");
	cr_assert_eq(cpulist_parse("a", m, 16), -EINVAL);
	cr_assert_eq(cpulist_parse("0-", m, 16), -EINVAL);
	cr_assert_eq(cpulist_parse("-1", m, 16), -EINVAL);
	cr_assert_eq(cpulist_parse("0,", m, 16), -EINVAL);
	cr_assert_eq(cpulist_parse("0,,1", m, 16), -EINVAL);
	cr_assert_eq(cpulist_parse("1-2-3", m, 16), -EINVAL);
	cr_assert_eq(cpulist_parse("0-3x", m, 16), -EINVAL);
	cr_assert_eq(cpulist_parse("0\n1", m, 16), -EINVAL, "text after the newline");
	cr_assert_eq(cpulist_parse(" 0", m, 16), -EINVAL);
}

Test(topology_cpulist, parse_out_of_range)
{
	bool m[4];

	/* n = 4 holds CPUs 0..3 */
	cr_assert_eq(cpulist_parse("0-3", m, 4), 0);
	cr_assert_eq(cpulist_parse("4", m, 4), -EINVAL);
	cr_assert_eq(cpulist_parse("0-4", m, 4), -EINVAL);
	cr_assert_eq(cpulist_parse("0,99999999999999999999", m, 4), -EINVAL);
}

Test(topology_cpulist, count)
{
	/* highest CPU + 1 */
	cr_assert_eq(cpulist_count("0"), 1);
	cr_assert_eq(cpulist_count("0-3"), 4);
	cr_assert_eq(cpulist_count("0-3\n"), 4);
	cr_assert_eq(cpulist_count("0-3,5,8-9\n"), 10);
	cr_assert_eq(cpulist_count("8-9,0-3"), 10, "not the last range's end but the highest");
	cr_assert_eq(cpulist_count("7"), 8, "holes count: CPU 7 needs 8 values");
	cr_assert_eq(cpulist_count("0-4095"), WP_MAX_CPUS);
}

Test(topology_cpulist, count_invalid)
{
	cr_assert_eq(cpulist_count(""), -EINVAL, "no CPU: no count");
	cr_assert_eq(cpulist_count("\n"), -EINVAL);
	cr_assert_eq(cpulist_count("3-1"), -EINVAL);
	cr_assert_eq(cpulist_count("a"), -EINVAL);
	cr_assert_eq(cpulist_count("0,"), -EINVAL);
	cr_assert_eq(cpulist_count("0-3 "), -EINVAL);
	cr_assert_eq(cpulist_count("0-4096"), -EINVAL, "beyond WP_MAX_CPUS");
	cr_assert_eq(cpulist_count("4096"), -EINVAL);
}

/* --- a fake /sys/devices/system/cpu ------------------------------------------ */

static char *root;
static struct topology *topo;	/* large (WP_MAX_CPUS entries): on the heap */

static void tree_setup(void)
{
	root = th_tmpdir();
	cr_assert_not_null(root);
	topo = calloc(1, sizeof(*topo));
	cr_assert_not_null(topo);
}

static void tree_teardown(void)
{
	th_rmrf(root);
	free(root);
	free(topo);
}

static void put(const char *rel, const char *text)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_eq(th_write_file(path, text), 0, "write %s", path);
}

static void put_pkg(int cpu, const char *id)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "cpu%d/topology/physical_package_id", cpu);
	put(rel, id);
}

/* possible 0-3, online 0-2; cpu0..2 on packages 0, 1, 0; cpu3 offline, no topology dir */
static void base_tree(void)
{
	put("possible", "0-3\n");
	put("online", "0-2\n");
	put_pkg(0, "0\n");
	put_pkg(1, "1\n");
	put_pkg(2, "0\n");
	put("cpu3/online", "0\n");
}

TestSuite(topology, .init = tree_setup, .fini = tree_teardown);

Test(topology, load)
{
	base_tree();
	cr_assert_eq(topology__load(topo, root), 0);
	cr_assert_eq(topo->nr_cpus, 4);
	cr_assert_eq(topo->nr_sockets, 2);
	cr_assert_eq(topo->socket_ids[0], 0);
	cr_assert_eq(topo->socket_ids[1], 1);
	cr_assert_eq(topology__socket_of(topo, 0), 0);
	cr_assert_eq(topology__socket_of(topo, 1), 1);
	cr_assert_eq(topology__socket_of(topo, 2), 0);
	cr_assert_eq(topology__socket_of(topo, 3), -1, "offline, never seen");
	cr_assert_eq(topology__socket_of(topo, 4), -1, "not a possible CPU");
	cr_assert_eq(topology__socket_of(topo, -1), -1);
	cr_assert(topo->online[0] && topo->online[1] && topo->online[2]);
	cr_assert(!topo->online[3]);
	/* socket 0: cpu0 and cpu2; socket 1: cpu1 */
	cr_assert_eq(topo->online_in_socket[0], 2);
	cr_assert_eq(topo->online_in_socket[1], 1);
	cr_assert_str_eq(topo->root, root);
}

Test(topology, refresh_after_a_cpu_comes_online)
{
	base_tree();
	cr_assert_eq(topology__load(topo, root), 0);
	cr_assert_eq(topology__refresh(topo), 0, "nothing changed");

	put("online", "0-3\n");
	put_pkg(3, "1\n");
	cr_assert_eq(topology__refresh(topo), 1);
	cr_assert(topo->online[3]);
	cr_assert_eq(topology__socket_of(topo, 3), 1);
	cr_assert_eq(topo->nr_sockets, 2);
	/* socket 0: cpu0, cpu2; socket 1: cpu1, cpu3 */
	cr_assert_eq(topo->online_in_socket[0], 2);
	cr_assert_eq(topo->online_in_socket[1], 2);
	cr_assert_eq(topology__refresh(topo), 0);

	/* cpu1 goes offline: it keeps its socket, the count drops to 1 */
	put("online", "0,2-3\n");
	cr_assert_eq(topology__refresh(topo), 1);
	cr_assert(!topo->online[1]);
	cr_assert_eq(topology__socket_of(topo, 1), 1);
	cr_assert_eq(topo->online_in_socket[0], 2);
	cr_assert_eq(topo->online_in_socket[1], 1);
}

Test(topology, a_new_package_comes_online)
{
	base_tree();
	cr_assert_eq(topology__load(topo, root), 0);
	/* cpu3 on a third package, id 5 */
	put("online", "0-3\n");
	put_pkg(3, "5\n");
	cr_assert_eq(topology__refresh(topo), 1);
	cr_assert_eq(topo->nr_sockets, 3);
	cr_assert_eq(topo->socket_ids[2], 5);
	cr_assert_eq(topology__socket_of(topo, 3), 2);
	cr_assert_eq(topo->online_in_socket[2], 1);
}

Test(topology, unknown_package_id)
{
	put("possible", "0-1\n");
	put("online", "0-1\n");
	put_pkg(0, "0\n");
	put_pkg(1, "-1\n");
	cr_assert_eq(topology__load(topo, root), 0);
	cr_assert_eq(topo->nr_sockets, 1);
	cr_assert_eq(topology__socket_of(topo, 0), 0);
	cr_assert_eq(topology__socket_of(topo, 1), -1);
	cr_assert(topo->online[1]);
	cr_assert_eq(topo->online_in_socket[0], 1, "cpu1 counts nowhere");
}

Test(topology, no_known_package_is_enodev)
{
	put("possible", "0\n");
	put("online", "0\n");
	put_pkg(0, "-1\n");
	cr_assert_eq(topology__load(topo, root), -ENODEV);
}

Test(topology, online_cpu_without_topology_dir)
{
	put("possible", "0-1\n");
	put("online", "0-1\n");
	put_pkg(0, "3\n");
	cr_assert_eq(topology__load(topo, root), 0);
	cr_assert_eq(topo->socket_ids[0], 3);
	cr_assert_eq(topology__socket_of(topo, 0), 0);
	cr_assert_eq(topology__socket_of(topo, 1), -1);
	/* the directory shows up later: picked up by the next refresh */
	put_pkg(1, "3\n");
	cr_assert_eq(topology__refresh(topo), 0, "the online mask did not change");
	cr_assert_eq(topology__socket_of(topo, 1), 0);
	cr_assert_eq(topo->online_in_socket[0], 2);
}

Test(topology, socket_ids_ascending_whatever_the_cpu_order)
{
	put("possible", "0-2\n");
	put("online", "0-2\n");
	put_pkg(0, "7\n");
	put_pkg(1, "2\n");
	put_pkg(2, "4\n");
	cr_assert_eq(topology__load(topo, root), 0);
	/* ids 2, 4, 7 -> socket indices 0, 1, 2 */
	cr_assert_eq(topo->nr_sockets, 3);
	cr_assert_eq(topo->socket_ids[0], 2);
	cr_assert_eq(topo->socket_ids[1], 4);
	cr_assert_eq(topo->socket_ids[2], 7);
	cr_assert_eq(topology__socket_of(topo, 0), 2);
	cr_assert_eq(topology__socket_of(topo, 1), 0);
	cr_assert_eq(topology__socket_of(topo, 2), 1);
}

Test(topology, missing_or_bad_files)
{
	cr_assert_eq(topology__load(topo, root), -ENOENT, "no possible file");
	put("possible", "zz\n");
	cr_assert_eq(topology__load(topo, root), -EINVAL);
	put("possible", "0-1\n");
	cr_assert_eq(topology__load(topo, root), -ENOENT, "no online file");
	put("online", "0-5\n");
	cr_assert_eq(topology__load(topo, root), -EINVAL, "online beyond possible");
}

Test(topology, malformed_package_ids_are_unknown)
{
	put("possible", "0-5\n");
	put("online", "0-5\n");
	put_pkg(0, "1\n");
	put_pkg(1, "12abc\n");
	put_pkg(2, "\n");
	put_pkg(3, "99999999999999999999999\n");	/* beyond 64 bits */
	put_pkg(4, "2000000\n");			/* above 1 << 20 */
	put_pkg(5, "1048576");				/* 1 << 20, no newline: valid */
	cr_assert_eq(topology__load(topo, root), 0);
	for (int cpu = 1; cpu <= 4; cpu++)
		cr_assert_eq(topology__socket_of(topo, cpu), -1, "cpu %d", cpu);
	cr_assert_eq(topo->nr_sockets, 2);
	cr_assert_eq(topo->socket_ids[0], 1);
	cr_assert_eq(topo->socket_ids[1], 1048576);
	cr_assert_eq(topology__socket_of(topo, 0), 0);
	cr_assert_eq(topology__socket_of(topo, 5), 1);
}
