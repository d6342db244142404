// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --vm-export's trees from hand-built samples, and the same trees read back by the RAPL
 * reader as a guest's agent reads them: counters that move by each guest's share and wrap
 * like RAPL's, go on after a restart, stand still when the host's energy is missing (and
 * the reader says so), folders that go with their guest, and names or links that would
 * lead the agent out of its folder.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "energy/rapl.h"
#include "helpers.h"
#include "lib/fsname.h"
#include "lib/util.h"
#include "output/vmexport.h"

#define RAW_MARKER(s) s, sizeof(s) - 1

static char *tmp, dir[256];
static struct sample sm;
static struct sample_guest guests[4], *list[4];

static void setup(void)
{
	tmp = th_tmpdir();
	cr_assert(tmp);
	snprintf(dir, sizeof(dir), "%s/vms", tmp);
	memset(&sm, 0, sizeof(sm));
	memset(guests, 0, sizeof(guests));
	sm.interval_ns = 1000000000;
	sm.sensor = "rapl";
	sm.nr_sockets = 1;
	sm.sockets[0].have[ENERGY_PACKAGE] = true;
	sm.sockets[0].have[ENERGY_DRAM] = true;
	sm.have_energy = true;
	sm.guests = list;
}

static void teardown(void)
{
	th_rmrf(tmp);
	free(tmp);
}

TestSuite(vmexport, .init = setup, .fini = teardown);

/* Guest i of the sample: name, its package and DRAM energy this interval. */
static void guest(int i, const char *name, __u64 pkg, __u64 dram)
{
	struct sample_guest *g = &guests[i];

	memset(g, 0, sizeof(*g));
	snprintf(g->id.name, sizeof(g->id.name), "%s", name);
	g->id.source = VM_SOURCE_CMDLINE;
	g->id.vcpus = 2;
	g->vcpus = 2;
	g->have = sm.have_energy;
	g->dyn_uj[ENERGY_PACKAGE] = pkg / 2;
	g->idle_uj[ENERGY_PACKAGE] = pkg - pkg / 2;
	g->dyn_uj[ENERGY_DRAM] = dram;
	g->limit_w[ENERGY_PACKAGE] = 25;
	list[i] = g;
	if ((__u32)i >= sm.nr_guests)
		sm.nr_guests = i + 1;
}

static struct vmexport *open_x(__u64 range, double keep)
{
	struct vmexport_opts o = { .dir = dir, .range_uj = range, .keep_s = keep,
				   .interval_ns = 1000000000 };
	struct vmexport *x;
	char err[256];

	cr_assert_eq(vmexport__open(&x, &o, err, sizeof(err)), 0, "%s", err);
	return x;
}

static unsigned long long value(const char *rel)
{
	char path[PATH_MAX], buf[64];
	unsigned long long v;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	cr_assert_gt(read_small_file(path, buf, sizeof(buf)), 0, "%s", path);
	cr_assert_eq(parse_u64_line(buf, strlen(buf), &v), 0, "%s: %s", path, buf);
	return v;
}

static bool exists(const char *rel)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return !lstat(path, &st);
}

Test(vmexport, a_tree_like_sysfs_whose_counters_wrap)
{
	struct vmexport *x = open_x(1000000, 600);
	char buf[256], path[PATH_MAX];

	guest(0, "g1", 300000, 40000);
	vmexport__write(x, &sm);
	cr_expect_eq(value("g1/intel-rapl:0/energy_uj"), 300000);
	cr_expect_eq(value("g1/intel-rapl:0/intel-rapl:0:0/energy_uj"), 40000);
	cr_expect_eq(value("g1/intel-rapl:0:0/energy_uj"), 40000, "the subzone at the top too");
	cr_expect_eq(value("g1/intel-rapl:0/max_energy_range_uj"), 1000000);
	cr_expect_eq(value("g1/intel-rapl:0/constraint_0_power_limit_uw"), 25000000);
	cr_expect_eq(value("g1/intel-rapl:0/enabled"), 1);
	snprintf(path, sizeof(path), "%s/g1/intel-rapl:0/name", dir);
	read_small_file(path, buf, sizeof(buf));
	cr_expect_str_eq(buf, "package-0\n");
	cr_expect_not(exists("g1/intel-rapl:1"), "no psys on the host: none for the guest");
	cr_expect_not(exists("g1/intel-rapl:0/.energy_uj.tmp"), "no temporary file left");
	/* 3 x 300000 more: 1200000 wraps past 1000000 (the counter takes 1000001 values) */
	for (int i = 0; i < 3; i++)
		vmexport__write(x, &sm);
	cr_expect_eq(value("g1/intel-rapl:0/energy_uj"), 199999);
	snprintf(path, sizeof(path), "%s/g1/" VMMARKER_FILE, dir);
	cr_assert_gt(read_small_file(path, buf, sizeof(buf)), 0);
	cr_expect(strstr(buf, "wattprobe-vm-export 1\nguest g1\nsource cmdline\nvcpus 2\n"
			 "sensor rapl\nestimated 0\ninterval_ns 1000000000\nseq 4\n"), "%s", buf);
	vmexport__close(x);
}

/* The guest's side: the RAPL reader on the tree, interval after interval. */
Test(vmexport, the_guest_reads_what_the_host_gives_it)
{
	struct vmexport *x = open_x(1000000, 600);
	struct rapl_reading rd[RAPL_MAX_ZONES];
	char path[PATH_MAX], err[256];
	struct rapl r;

	guest(0, "g1", 300000, 40000);
	vmexport__write(x, &sm);
	snprintf(path, sizeof(path), "%s/g1", dir);
	cr_assert_eq(rapl__open(&r, path, err, sizeof(err)), 0, "%s", err);
	cr_expect(r.vm_export, "the marker says it is an export");
	cr_assert_eq(r.nr, 2, "package-0 and dram");
	cr_expect_eq(r.zones[0].domain, ENERGY_PACKAGE);
	cr_expect_eq(r.zones[1].domain, ENERGY_DRAM);
	cr_expect_float_eq(r.zones[0].limit_w, 25, 1e-9);
	cr_assert_eq(rapl__sample(&r, 1000000000, rd), 2);
	cr_expect_eq(rd[0].status, RAPL_FIRST);
	for (int i = 0; i < 5; i++) {
		guest(0, "g1", 300000 + 1000 * i, 40000);
		vmexport__write(x, &sm);
		cr_assert_eq(rapl__sample(&r, 1000000000, rd), 2);
		/* files replaced, not rewritten: read afresh, the counter goes on; wrapped once */
		cr_expect(rd[0].status == RAPL_OK || rd[0].status == RAPL_WRAPPED,
			  "interval %d: %s", i, rapl_status_name(rd[0].status));
		cr_expect_eq(rd[0].delta_uj, 300000 + 1000 * i, "interval %d", i);
		cr_expect_eq(rd[1].delta_uj, 40000);
	}
	/* the host's energy is missing for an interval: no move, and the reader says why */
	sm.have_energy = false;
	guest(0, "g1", 300000, 40000);
	vmexport__write(x, &sm);
	cr_assert_eq(rapl__sample(&r, 1000000000, rd), 2);
	cr_expect_eq(rd[0].status, RAPL_HOST_GAP, "%d", rd[0].status);
	cr_expect_str_eq(rapl_status_name(rd[0].status), "missing on the host");
	sm.have_energy = true;
	guest(0, "g1", 300000, 40000);
	vmexport__write(x, &sm);
	cr_assert_eq(rapl__sample(&r, 1000000000, rd), 2);
	cr_expect(rd[0].status == RAPL_OK || rd[0].status == RAPL_WRAPPED);
	cr_expect_eq(rd[0].delta_uj, 300000, "the counter goes on after a gap");
	/* a step may hold one host interval more than the guest's: not a jump */
	vmexport__write(x, &sm);
	vmexport__write(x, &sm);
	cr_assert_eq(rapl__sample(&r, 1000000000, rd), 2);
	cr_expect_eq(rd[0].delta_uj, 600000);
	/* more than three host intervals without a move: stuck (the host's agent is gone) */
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(rapl__sample(&r, 1000000000, rd), 2);
		cr_expect_eq(rd[0].status, RAPL_OK, "a still interval is 0 W for a while");
	}
	cr_assert_eq(rapl__sample(&r, 1000000000, rd), 2);
	cr_expect_eq(rd[0].status, RAPL_STUCK);
	rapl__close(&r);
	vmexport__close(x);
}

/* Put text in a file of the tree the way the host does: a new file renamed over the old. */
static void replace(const char *rel, const char *text)
{
	char path[1024], tmp[1100];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	cr_assert_eq(th_write_file(tmp, text), 0);
	cr_assert_eq(rename(tmp, path), 0);
}

Test(vmexport, the_reader_takes_every_counter_from_one_snapshot)
{
	struct vmexport *x = open_x(1000000000, 600);
	struct rapl_reading rd[RAPL_MAX_ZONES];
	char path[PATH_MAX], err[256];
	struct rapl r;

	guest(0, "g1", 300000, 40000);
	vmexport__write(x, &sm);
	snprintf(path, sizeof(path), "%s/g1", dir);
	cr_assert_eq(rapl__open(&r, path, err, sizeof(err)), 0, "%s", err);
	rapl__sample(&r, 1000000000, rd);
	vmexport__write(x, &sm);
	/* a zone's file caught between two updates: what the marker says counts */
	replace("g1/intel-rapl:0/energy_uj", "5\n");
	cr_assert_eq(rapl__sample(&r, 1000000000, rd), 2);
	cr_expect_eq(rd[0].delta_uj, 300000);
	cr_expect_eq(rd[1].delta_uj, 40000);
	rapl__close(&r);
	vmexport__close(x);
}

Test(vmexport, without_counters_in_the_marker_the_files_are_read_afresh)
{
	struct vmexport *x = open_x(1000000000, 600);
	struct rapl_reading rd[RAPL_MAX_ZONES];
	char path[PATH_MAX], err[256];
	struct rapl r;

	guest(0, "g1", 300000, 40000);
	vmexport__write(x, &sm);
	vmexport__close(x);
	replace("g1/" VMMARKER_FILE, "wattprobe-vm-export 1\ninterval_ns 1000000000\n");
	snprintf(path, sizeof(path), "%s/g1", dir);
	cr_assert_eq(rapl__open(&r, path, err, sizeof(err)), 0, "%s", err);
	cr_expect(r.vm_export);
	rapl__sample(&r, 1000000000, rd);
	/* replaced, not rewritten: a file held open would still say 300000 */
	replace("g1/intel-rapl:0/energy_uj", "700000\n");
	cr_assert_eq(rapl__sample(&r, 1000000000, rd), 2);
	cr_expect_eq(rd[0].status, RAPL_OK);
	cr_expect_eq(rd[0].delta_uj, 400000);
	rapl__close(&r);
}

Test(vmexport, counters_go_on_after_a_restart)
{
	struct vmexport *x = open_x(1000000000, 600);

	guest(0, "g1", 300000, 40000);
	vmexport__write(x, &sm);
	vmexport__write(x, &sm);
	vmexport__close(x);
	x = open_x(1000000000, 600);
	vmexport__write(x, &sm);
	cr_expect_eq(value("g1/intel-rapl:0/energy_uj"), 900000);
	cr_expect_eq(value("g1/intel-rapl:0:0/energy_uj"), 120000);
	vmexport__close(x);
}

Test(vmexport, a_guest_gone_keeps_its_folder_then_it_goes)
{
	struct vmexport *x = open_x(1000000, 0.3);
	char path[PATH_MAX];

	guest(0, "g1", 1000, 10);
	guest(1, "g2", 1000, 10);
	vmexport__write(x, &sm);
	cr_assert(exists("g2/intel-rapl:0/energy_uj"));
	sm.nr_guests = 1;
	vmexport__write(x, &sm);
	cr_expect(exists("g2/intel-rapl:0/energy_uj"), "kept for a while");
	usleep(350000);
	vmexport__write(x, &sm);
	cr_expect_not(exists("g2"), "then gone, all of it");
	cr_expect(exists("g1/intel-rapl:0/energy_uj"));
	/* what is not wattprobe's stays, and so does its folder */
	snprintf(path, sizeof(path), "%s/g1/notes", dir);
	cr_assert_eq(th_write_file(path, "mine\n"), 0);
	sm.nr_guests = 0;
	vmexport__write(x, &sm);
	usleep(350000);
	vmexport__write(x, &sm);
	cr_expect(exists("g1/notes"));
	cr_expect_not(exists("g1/intel-rapl:0"));
	cr_expect_not(exists("g1/" VMMARKER_FILE));
	vmexport__close(x);
}

Test(vmexport, an_earlier_runs_folder_of_a_guest_gone_goes_too)
{
	struct vmexport *x = open_x(1000000, 0);

	guest(0, "old", 1000, 10);
	vmexport__write(x, &sm);
	vmexport__close(x);
	x = open_x(1000000, 0);
	guest(0, "new", 1000, 10);
	vmexport__write(x, &sm);
	cr_expect_not(exists("old"));
	cr_expect(exists("new/intel-rapl:0/energy_uj"));
	vmexport__close(x);
}

/* No name and no link makes the agent write outside DIR. */
Test(vmexport, hostile_names_and_links_stay_inside)
{
	static const char *const names[] = { "..", ".", "../../escape", "/etc/evil", "a/b",
					     "x\x1b[2Jy", ".hidden" };
	static const char *const dirs[] = { "%2E.", "%2E", "%2E.%2F..%2Fescape", "%2Fetc%2Fevil",
					    "a%2Fb", "x%1B%5B2Jy", "%2Ehidden" };
	char path[512], out[300], longname[400];
	struct vmexport *x;
	struct dirent *e;
	bool hashed = false;
	struct stat st;
	DIR *d;

	/* links made in DIR by someone (a guest with a writable share): to a folder outside,
	 * and a zone folder that is a link */
	snprintf(out, sizeof(out), "%s/outside", tmp);
	cr_assert_eq(mkdir(out, 0755), 0);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/trap", dir);
	cr_assert_eq(symlink(out, path), 0);
	snprintf(path, sizeof(path), "%s/zone", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/zone/intel-rapl:0", dir);
	cr_assert_eq(symlink(out, path), 0);
	x = open_x(1000000, 600);
	for (int i = 0; i < 7; i += 4) {
		for (int k = 0; k < 4 && i + k < 7; k++)
			guest(k, names[i + k], 1000, 10);
		sm.nr_guests = 7 - i < 4 ? 7 - i : 4;
		vmexport__write(x, &sm);
	}
	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof(path), "%s/intel-rapl:0/energy_uj", dirs[i]);
		cr_expect(exists(path), "%s as %s", names[i], dirs[i]);
	}
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	guest(0, longname, 1000, 10);
	guest(1, "trap", 1000, 10);
	guest(2, "zone", 1000, 10);
	sm.nr_guests = 3;
	vmexport__write(x, &sm);
	vmexport__write(x, &sm);
	/* nothing went through the links */
	snprintf(path, sizeof(path), "%s/energy_uj", out);
	cr_expect(stat(path, &st) && stat(out, &st) == 0 && st.st_nlink == 2,
		  "the folder outside is as it was");
	snprintf(path, sizeof(path), "%s/intel-rapl:0", out);
	cr_expect(stat(path, &st), "no zone made outside");
	snprintf(path, sizeof(path), "%s/escape", tmp);
	cr_expect(stat(path, &st), "nothing above DIR");
	snprintf(path, sizeof(path), "%s/evil", tmp);
	cr_expect(stat(path, &st));
	/* the long name: one folder of FSNAME_MAX bytes, its first 183 then '~' and its hash */
	d = opendir(dir);
	cr_assert(d);
	while ((e = readdir(d)))
		hashed |= strlen(e->d_name) == FSNAME_MAX && !strncmp(e->d_name, longname, 183) &&
			  e->d_name[183] == '~';
	closedir(d);
	cr_expect(hashed);
	vmexport__close(x);
}

Test(vmexport, a_folder_that_cannot_be_written_fails_at_open)
{
	struct vmexport_opts o = { .dir = "/proc/none/vms", .range_uj = 1000000, .keep_s = 1 };
	struct vmexport *x;
	char err[256];

	cr_expect_lt(vmexport__open(&x, &o, err, sizeof(err)), 0);
	cr_expect(strstr(err, "--vm-export: failed to make /proc/none/vms"), "%s", err);
	cr_expect_null(x);
	o.dir = "/proc/self";
	cr_expect_lt(vmexport__open(&x, &o, err, sizeof(err)), 0);
	cr_expect(strstr(err, "failed to write in /proc/self"), "%s", err);
}

Test(vmexport, counter_arithmetic)
{
	__u64 d;

	cr_expect_eq(rapl_counter_add(10, 5, 100), 15);
	cr_expect_eq(rapl_counter_add(95, 5, 100), 100);
	cr_expect_eq(rapl_counter_add(95, 6, 100), 0);
	cr_expect_eq(rapl_counter_add(95, 10, 100), 4);
	cr_expect_eq(rapl_counter_add(7, 0, 100), 7);
	cr_expect_eq(rapl_counter_add(7, 5, 0), 12);
	/* what it adds, rapl_energy_delta reads back, at every place of the range */
	for (__u64 prev = 0; prev <= 100; prev++) {
		for (__u64 add = 0; add <= 100; add += 7) {
			__u64 cur = rapl_counter_add(prev, add, 100);
			int st = rapl_energy_delta(prev, cur, 100, 1000, &d);

			cr_assert(st == RAPL_OK || st == RAPL_WRAPPED);
			cr_assert_eq(d, add, "prev %llu add %llu", prev, add);
		}
	}
	cr_expect_eq(rapl_counter_add(UINT64_MAX - 1, 5, 0), 3, "no range: u64 wraps");
}

Test(vmexport, the_marker_reads_back)
{
	struct vmmarker m = { .guest = "g%2F1", .source = "cgroup", .vcpus = 4, .sensor = "rapl",
			      .estimated = true, .interval_ns = 500000000, .seq = 7,
			      .updated_ns = 1764000000123456789ULL, .gaps = 2 }, r;
	char buf[VMMARKER_MAX];
	int n = vmmarker__format(&m, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	cr_assert_eq(vmmarker__parse(buf, n, &r), 0);
	cr_expect_str_eq(r.guest, "g%2F1");
	cr_expect_str_eq(r.source, "cgroup");
	cr_expect_eq(r.vcpus, 4);
	cr_expect(r.estimated);
	cr_expect_eq(r.interval_ns, 500000000);
	cr_expect_eq(r.seq, 7);
	cr_expect_eq(r.updated_ns, 1764000000123456789ULL);
	cr_expect_eq(r.gaps, 2);
	cr_expect_eq(r.nr_counters, 0);
	/* every zone's counter, in one snapshot */
	m.nr_counters = 2;
	snprintf(m.counters[0].zone, sizeof(m.counters[0].zone), "intel-rapl:0");
	m.counters[0].uj = 123456789;
	snprintf(m.counters[1].zone, sizeof(m.counters[1].zone), "intel-rapl:0:0");
	m.counters[1].uj = 42;
	n = vmmarker__format(&m, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert(strstr(buf, "\nenergy_uj intel-rapl:0 123456789\nenergy_uj intel-rapl:0:0 42\n"),
		  "%s", buf);
	cr_assert_eq(vmmarker__parse(buf, n, &r), 0);
	{
		__u64 uj;

		cr_expect_eq(vmmarker__counter(&r, "intel-rapl:0:0", &uj), 0);
		cr_expect_eq(uj, 42);
		cr_expect_eq(vmmarker__counter(&r, "intel-rapl:0", &uj), 0);
		cr_expect_eq(uj, 123456789);
		cr_expect_eq(vmmarker__counter(&r, "intel-rapl:1", &uj), -ENOENT);
	}
	cr_expect_eq(vmmarker__parse(RAW_MARKER("wattprobe-vm-export 1\nenergy_uj intel-rapl:0\n"),
				     &r), -EINVAL);
	/* a later version's keys are skipped */
	cr_expect_eq(vmmarker__parse(RAW_MARKER("wattprobe-vm-export 1\nfuture x y\ngaps 3\n"), &r), 0);
	cr_expect_eq(r.gaps, 3);
	/* not a marker, a garbled value, a line without a value */
	cr_expect_eq(vmmarker__parse(RAW_MARKER("wattprobe-vm-export 2\n"), &r), -EINVAL);
	cr_expect_eq(vmmarker__parse(RAW_MARKER("package-0\n"), &r), -EINVAL);
	cr_expect_eq(vmmarker__parse(RAW_MARKER("wattprobe-vm-export 1\ngaps -1\n"), &r), -EINVAL);
	cr_expect_eq(vmmarker__parse(RAW_MARKER("wattprobe-vm-export 1\ngaps\n"), &r), -EINVAL);
	cr_expect_eq(vmmarker__format(&m, buf, 16), -ENOSPC);
}
