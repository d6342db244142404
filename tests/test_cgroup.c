// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cgroup id -> path: the mountinfo parser, a fake tree in a tmpdir, and the live cgroup2. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "meta/cgroup.h"
#include "helpers.h"

/* --- mountinfo_find_cgroup2 ------------------------------------------------------ */

#define MI_ROOTFS "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
#define MI_PROC "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
#define MI_SYS "24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n"

Test(mountinfo, pure_v2)
{
	const char *text = MI_ROOTFS MI_PROC MI_SYS
		"25 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
		"cgroup2 rw,nsdelegate,memory_recursiveprot\n";
	char out[PATH_MAX];

	cr_assert_eq(mountinfo_find_cgroup2(text, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "/sys/fs/cgroup");
}

Test(mountinfo, hybrid_v1_controllers_and_unified)
{
	/* the shape of this machine: a tmpfs, v1 hierarchies ("cgroup"), then cgroup2 */
	const char *text = MI_ROOTFS MI_SYS
		"30 24 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
		"39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime shared:9 master:2 - cgroup cgroup "
		"rw,xattr,name=systemd\n"
		"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw\n";
	char out[PATH_MAX];

	cr_assert_eq(mountinfo_find_cgroup2(text, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "/sys/fs/cgroup/unified");
}

Test(mountinfo, none)
{
	const char *v1 = MI_ROOTFS
		"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		/* "cgroup2" as a source, an option and a mount point: none is the type */
		"32 30 0:29 / /mnt/cgroup2 rw - tmpfs cgroup2 rw,cgroup2\n";
	char out[64] = "untouched";

	cr_expect_eq(mountinfo_find_cgroup2(v1, out, sizeof(out)), -ENOENT);
	cr_expect_eq(mountinfo_find_cgroup2("", out, sizeof(out)), -ENOENT);
	cr_expect_eq(mountinfo_find_cgroup2(NULL, out, sizeof(out)), -ENOENT);
	/* truncated lines are skipped, not read past */
	cr_expect_eq(mountinfo_find_cgroup2("40 30 0:37 / /x rw - cgroup2", out, sizeof(out)), 0);
	cr_expect_str_eq(out, "/x");
	cr_expect_eq(mountinfo_find_cgroup2("40 30 0:37 / /x rw -", out, sizeof(out)), -ENOENT);
	cr_expect_eq(mountinfo_find_cgroup2("40 30 0:37 /", out, sizeof(out)), -ENOENT);
}

Test(mountinfo, escaped_mount_point)
{
	const char *text = MI_ROOTFS
		"40 22 0:37 / /mnt/my\\040cgroup\\011tab\\134back rw,relatime - cgroup2 none rw\n";
	char out[PATH_MAX];

	cr_assert_eq(mountinfo_find_cgroup2(text, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "/mnt/my cgroup\ttab\\back");
}

Test(mountinfo, root_of_hierarchy_preferred_to_subtree)
{
	/* a container's view mounts a subtree; the host's mount of "/" is the one to walk */
	const char *both = MI_ROOTFS
		"50 22 0:37 /kubepods/pod1 /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n"
		"51 22 0:37 / /host/cgroup rw - cgroup2 cgroup2 rw\n";
	const char *sub = MI_ROOTFS "50 22 0:37 /kubepods/pod1 /sys/fs/cgroup ro - cgroup2 c rw\n";
	char out[PATH_MAX];

	cr_assert_eq(mountinfo_find_cgroup2(both, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "/host/cgroup");
	cr_assert_eq(mountinfo_find_cgroup2(sub, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "/sys/fs/cgroup");
}

Test(mountinfo, buffer_too_small)
{
	const char *text = "40 22 0:37 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
	char out[15];	/* exactly "/sys/fs/cgroup" and its NUL */

	cr_expect_eq(mountinfo_find_cgroup2(text, out, sizeof(out) - 1), -ENAMETOOLONG);
	cr_expect_eq(mountinfo_find_cgroup2(text, out, 0), -ENAMETOOLONG);
	cr_expect_eq(mountinfo_find_cgroup2(text, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "/sys/fs/cgroup");
}

/* --- a fake tree in a tmpdir ----------------------------------------------------- */

static unsigned long long ino_of(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	cr_assert_eq(stat(path, &st), 0, "stat %s: %s", path, strerror(errno));
	return st.st_ino;
}

static void mkdirs(const char *dir, const char *const *rels, size_t n)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, rels[i]);
		cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %s", path, strerror(errno));
	}
}

Test(cgroup_cache, fake_tree)
{
	static const char *const dirs[] = { "system.slice", "system.slice/nginx.service",
					    "system.slice/a b.scope", "user.slice",
					    "user.slice/user-1000.slice" };
	struct cgroup_cache *c;
	char *tmp = th_tmpdir(), link[PATH_MAX], root[PATH_MAX];

	cr_assert(tmp);
	mkdirs(tmp, dirs, 5);
	/* a file and a symlink to a directory are no cgroups */
	cr_assert_eq(th_write_file(strcat(strcpy(link, tmp), "/system.slice/cgroup.procs"), ""), 0);
	cr_assert_eq(symlink("system.slice", strcat(strcpy(link, tmp), "/link")), 0);

	snprintf(root, sizeof(root), "%s/", tmp);	/* a trailing slash is fine */
	c = cgroup_cache__new(root, 64);
	cr_assert(c);
	cr_expect_str_eq(cgroup_cache__root(c), tmp);
	/* first lookup is of the file: the walk runs and does not find it */
	cr_expect_null(cgroup_cache__path(c, ino_of(tmp, "system.slice/cgroup.procs")));
	cr_expect_eq(cgroup_cache__size(c), 6);
	cr_expect_str_eq(cgroup_cache__path(c, ino_of(tmp, "")), "/");
	cr_expect_str_eq(cgroup_cache__path(c, ino_of(tmp, "system.slice")), "/system.slice");
	cr_expect_str_eq(cgroup_cache__path(c, ino_of(tmp, "system.slice/nginx.service")),
			 "/system.slice/nginx.service");
	cr_expect_str_eq(cgroup_cache__path(c, ino_of(tmp, "system.slice/a b.scope")),
			 "/system.slice/a b.scope");
	cr_expect_str_eq(cgroup_cache__path(c, ino_of(tmp, "user.slice/user-1000.slice")),
			 "/user.slice/user-1000.slice");
	cr_expect_null(cgroup_cache__path(c, 0));
	cgroup_cache__free(c);
	th_rmrf(tmp);
	free(tmp);
}

Test(cgroup_cache, miss_rescans_once_a_second_and_replaces_the_map)
{
	static const char *const dirs[] = { "old.service", "keep.service" };
	unsigned long long old_id, keep_id, new_id;
	struct cgroup_cache *c;
	char *tmp = th_tmpdir(), path[PATH_MAX];

	cr_assert(tmp);
	mkdirs(tmp, dirs, 2);
	old_id = ino_of(tmp, "old.service");
	keep_id = ino_of(tmp, "keep.service");
	c = cgroup_cache__new(tmp, 64);
	cr_assert(c);
	cr_expect_str_eq(cgroup_cache__path(c, old_id), "/old.service");

	snprintf(path, sizeof(path), "%s/new.service", tmp);
	cr_assert_eq(mkdir(path, 0755), 0);
	new_id = ino_of(tmp, "new.service");
	snprintf(path, sizeof(path), "%s/old.service", tmp);
	cr_assert_eq(rmdir(path), 0);

	/* a miss right after a walk does not walk again */
	cr_expect_null(cgroup_cache__path(c, new_id));
	/* and the map still holds the deleted one */
	cr_expect_str_eq(cgroup_cache__path(c, old_id), "/old.service");

	usleep(1100 * 1000);
	cr_expect_str_eq(cgroup_cache__path(c, new_id), "/new.service");
	cr_expect_str_eq(cgroup_cache__path(c, keep_id), "/keep.service");
	/* the new map replaced the old one: the deleted cgroup is gone */
	cr_expect_null(cgroup_cache__path(c, old_id));
	cr_expect_eq(cgroup_cache__size(c), 3);
	cgroup_cache__free(c);
	th_rmrf(tmp);
	free(tmp);
}

static unsigned long long mkdir_ino(const char *dir, const char *rel)
{
	mkdirs(dir, &rel, 1);
	return ino_of(dir, rel);
}

Test(cgroup_cache, bounded_and_keeps_the_ids_in_use)
{
	char *tmp = th_tmpdir(), rel[32];
	unsigned long long d07 = 0, late;
	struct cgroup_cache *c;

	cr_assert(tmp);
	for (int i = 0; i < 12; i++) {
		snprintf(rel, sizeof(rel), "d%02d.scope", i);
		if (i == 7)
			d07 = mkdir_ino(tmp, rel);
		else
			mkdir_ino(tmp, rel);
	}
	c = cgroup_cache__new(tmp, 4);
	cr_assert(c);
	/* whichever 4 the walk met first, the one asked for is among them */
	cr_expect_str_eq(cgroup_cache__path(c, d07), "/d07.scope");
	cr_expect_eq(cgroup_cache__size(c), 4);

	/* made after the walk, so surely not in the map: the next lookup walks again */
	late = mkdir_ino(tmp, "late.scope");
	usleep(1100 * 1000);
	cr_expect_str_eq(cgroup_cache__path(c, late), "/late.scope");
	/* d07 was in use: that walk kept it too */
	cr_expect_str_eq(cgroup_cache__path(c, d07), "/d07.scope");
	cr_expect_eq(cgroup_cache__size(c), 4);
	cgroup_cache__free(c);
	th_rmrf(tmp);
	free(tmp);
}

Test(cgroup_cache, the_id_asked_for_displaces_ids_in_use)
{
	unsigned long long a, b;
	struct cgroup_cache *c;
	char *tmp = th_tmpdir();

	cr_assert(tmp);
	a = mkdir_ino(tmp, "a.scope");
	c = cgroup_cache__new(tmp, 1);
	cr_assert(c);
	cr_expect_str_eq(cgroup_cache__path(c, a), "/a.scope");
	cr_expect_eq(cgroup_cache__size(c), 1);

	b = mkdir_ino(tmp, "b.scope");
	usleep(1100 * 1000);
	cr_expect_str_eq(cgroup_cache__path(c, b), "/b.scope");
	cr_expect_eq(cgroup_cache__size(c), 1);
	cr_expect_null(cgroup_cache__path(c, a));	/* displaced; no walk within the second */
	cgroup_cache__free(c);
	th_rmrf(tmp);
	free(tmp);
}

Test(cgroup_cache, bad_arguments_and_missing_root)
{
	struct cgroup_cache *c;

	errno = 0;
	cr_expect_null(cgroup_cache__new("/tmp", 0));
	cr_expect_eq(errno, EINVAL);

	c = cgroup_cache__new("/nonexistent/wattprobe-cgroup", 16);
	cr_assert(c);
	cr_expect_null(cgroup_cache__path(c, 1));
	cr_expect_eq(cgroup_cache__size(c), 0);
	cgroup_cache__free(c);

	cr_expect_null(cgroup_cache__path(NULL, 1));
	cgroup_cache__free(NULL);
}

/* --- the live cgroup2 mount ------------------------------------------------------ */

Test(cgroup_cache, live_cgroup2_mkdir_lookup_rmdir)
{
	char name[64], dir[PATH_MAX], sub[PATH_MAX + 8], want[PATH_MAX];
	const char *root, *got;
	struct cgroup_cache *c;
	struct stat st, sst, rst;

	c = cgroup_cache__new(NULL, 65536);
	cr_assert(c);
	root = cgroup_cache__root(c);
	if (!root) {
		cgroup_cache__free(c);
		cr_skip_test("no cgroup2 mount on this machine");
	}
	snprintf(name, sizeof(name), "wattprobe-test-%d", getpid());
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	snprintf(sub, sizeof(sub), "%s/inner", dir);
	if (mkdir(dir, 0755)) {
		int err = errno;

		cgroup_cache__free(c);
		cr_skip_test("cannot mkdir %s: %s (needs root)", dir, strerror(err));
	}
	/* checks below only expect, so that the cgroups are always removed */
	cr_expect_eq(mkdir(sub, 0755), 0, "mkdir %s: %s", sub, strerror(errno));
	cr_expect_eq(stat(dir, &st), 0);
	cr_expect_eq(stat(sub, &sst), 0);
	cr_expect_eq(stat(root, &rst), 0);

	got = cgroup_cache__path(c, st.st_ino);
	snprintf(want, sizeof(want), "/%s", name);
	cr_expect(got && !strcmp(got, want), "id %llu: got %s, want %s",
		  (unsigned long long)st.st_ino, got ? got : "NULL", want);
	got = cgroup_cache__path(c, sst.st_ino);
	snprintf(want, sizeof(want), "/%s/inner", name);
	cr_expect(got && !strcmp(got, want), "got %s, want %s", got ? got : "NULL", want);
	got = cgroup_cache__path(c, rst.st_ino);
	cr_expect(got && !strcmp(got, "/"), "root: got %s", got ? got : "NULL");

	cr_expect_eq(rmdir(sub), 0, "rmdir %s: %s", sub, strerror(errno));
	cr_expect_eq(rmdir(dir), 0, "rmdir %s: %s", dir, strerror(errno));
	cgroup_cache__free(c);
}
