// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --vm-export: each guest's powercap tree, written atomically below a descriptor of DIR;
 * see output/vmexport.h. The layout and the files' text are output/vmtree.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "energy/rapl.h"
#include "energy/vmmarker.h"
#include "lib/fsname.h"
#include "lib/util.h"
#include "output/vmexport.h"
#include "output/vmtree.h"

#define DIR_MODE 0755		/* the guest's reader (virtiofsd, QEMU's 9p) is another user */
#define FILE_MODE 0644

struct vguest {
	char dir[FSNAME_MAX + 1];	/* its folder: its name escaped */
	bool loaded;			/* counters read back from the folder (or started) */
	__u64 counter[ENERGY_NR_DOMAINS];
	bool zone[VMTREE_NR_ZONES];	/* made, with its files */
	double limit_w[VMTREE_NR_ZONES];	/* as written in its constraint */
	__u64 seq, gaps;
	__u64 gone_ns;			/* CLOCK_MONOTONIC since it is gone; 0: running */
	bool seen;			/* in this sample */
	bool failing;			/* warned about, until it writes again */
};

struct vmexport {
	struct vmexport_opts o;
	char *dir;
	int dirfd;
	struct vguest *g;
	size_t nr, cap;
};

/* --- files below a descriptor, never through a link ------------------------------------ */

/* Open (making it if asked) the folder at path below dfd, component by component, never
 * through a link. The descriptor, or -errno. */
static int open_path(int dfd, const char *path, bool make)
{
	char comp[NAME_MAX + 1];
	int fd = dup(dfd);

	if (fd < 0)
		return -errno;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		bool made;
		int next, err;

		snprintf(comp, sizeof(comp), "%.*s", (int)n, p);
		p += n + (p[n] == '/');
		made = make && !mkdirat(fd, comp, DIR_MODE);
		if (make && !made && errno != EEXIST) {
			err = -errno;
			close(fd);
			return err;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = -errno;
		close(fd);
		if (next < 0)
			return err;
		fd = next;
		/* the umask (the unit's is 0077) must not hide it from the guest's reader */
		if (made)
			fchmod(fd, DIR_MODE);
	}
	return fd;
}

/* name's text, written whole into ".name.tmp" and renamed over name. 0 or -errno. */
static int put_file(int dfd, const char *name, const char *text)
{
	char tmp[NAME_MAX + 1];
	size_t n = strlen(text);
	ssize_t w;
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	/* one left by a crash, or put there by someone: never written through */
	if (unlinkat(dfd, tmp, 0) && errno != ENOENT)
		return -errno;
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
	if (fd < 0)
		return -errno;
	fchmod(fd, FILE_MODE);
	w = write(fd, text, n);
	if (w != (ssize_t)n)
		ret = w < 0 ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(dfd, tmp, dfd, name))
		ret = -errno;
	if (ret)
		unlinkat(dfd, tmp, 0);
	return ret;
}

/* A zone's counter as its file says, below the guest's folder; 0 if it cannot be read. */
static __u64 read_counter(int gfd, const struct vmtree_zone *z, __u64 range)
{
	unsigned long long v;
	char buf[32];
	ssize_t n;
	int zfd = open_path(gfd, z->path, false), fd;

	if (zfd < 0)
		return 0;
	fd = openat(zfd, "energy_uj", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(zfd);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || parse_u64_line(buf, n, &v) || v > range)
		return 0;
	return v;
}

/* --- one guest --------------------------------------------------------------------------- */

static bool warn(struct vmexport *x, struct vguest *g, const char *what, int err)
{
	if (!g->failing)
		fprintf(stderr, "wattprobe: warning: --vm-export: failed to %s %s/%s: %s; the guest's "
			"counters stand still until it can%s\n", what, x->dir, g->dir, strerror(-err),
			err == -EACCES || err == -EPERM || err == -EROFS ?
			" (the folder must be writable by the agent's user)" :
			err == -ELOOP || err == -ENOTDIR ? " (a link or a file is in the way: "
			"nothing is written through one)" : "");
	g->failing = true;
	return false;
}

/* The files wattprobe writes in a zone (and their temporary ones), unlinked. */
static void clear_zone(int zfd)
{
	static const char *const names[] = {
		"energy_uj", "name", "max_energy_range_uj", "enabled", "constraint_0_name",
		"constraint_0_power_limit_uw", "constraint_0_max_power_uw",
		"constraint_0_time_window_us",
	};
	char tmp[NAME_MAX + 1];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(tmp, sizeof(tmp), ".%s.tmp", names[i]);
		unlinkat(zfd, names[i], 0);
		unlinkat(zfd, tmp, 0);
	}
}

/* The folder of a zone's parent (the guest's, or the package's for a subzone), and the
 * zone's own name in it. */
static int open_parent(int gfd, const struct vmtree_zone *z, const char **last)
{
	const char *slash = strrchr(z->path, '/');
	char parent[NAME_MAX + 1];

	*last = slash ? slash + 1 : z->path;
	if (!slash)
		return open_path(gfd, "", false);
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - z->path), z->path);
	return open_path(gfd, parent, false);
}

/* The zone's files into zfd: the static ones, and the counter when asked. */
static int zone_files(struct vmexport *x, int zfd, const struct vmtree_zone *z, double limit_w,
		      const __u64 *counter)
{
	struct vmtree_file files[VMTREE_MAX_FILES];
	char text[32];
	int n, ret = 0;

	n = vmtree__files(z, x->o.range_uj, limit_w, x->o.interval_ns / 1000, files);
	for (int i = 0; i < n && !ret; i++)
		ret = put_file(zfd, files[i].name, files[i].text);
	if (!ret && counter) {
		vmtree__energy(*counter, text, sizeof(text));
		ret = put_file(zfd, "energy_uj", text);
	}
	return ret;
}

/*
 * The zone with its files (again when its limit changed), and its link. A zone not there
 * yet is made whole in ".NAME.new" beside it, counter included, and renamed into place: a
 * reader never sees a zone without its name or its counter.
 */
static int make_zone(struct vmexport *x, struct vguest *g, int gfd, int k,
		     const struct sample_guest *sg)
{
	const struct vmtree_zone *z = &vmtree_zones[k];
	double limit_w = sg->limit_w[z->domain];
	char tmp[NAME_MAX + 1];
	const char *last;
	int pfd, zfd, ret;

	if (g->zone[k] && g->limit_w[k] == limit_w)
		return 0;
	pfd = open_parent(gfd, z, &last);
	if (pfd < 0)
		return pfd;
	zfd = openat(pfd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (zfd >= 0) {
		ret = zone_files(x, zfd, z, limit_w, NULL);
		close(zfd);
	} else if (errno != ENOENT) {
		ret = -errno;
	} else {
		snprintf(tmp, sizeof(tmp), ".%s.new", last);
		/* one left by a crash: what is wattprobe's in it goes */
		zfd = openat(pfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (zfd >= 0) {
			clear_zone(zfd);
			close(zfd);
			unlinkat(pfd, tmp, AT_REMOVEDIR);
		}
		zfd = open_path(pfd, tmp, true);
		ret = zfd < 0 ? zfd : zone_files(x, zfd, z, limit_w, &g->counter[z->domain]);
		if (zfd >= 0)
			close(zfd);
		if (!ret && renameat(pfd, tmp, pfd, last))
			ret = -errno;
	}
	close(pfd);
	if (!ret && z->link && symlinkat(z->path, gfd, z->link) && errno != EEXIST)
		ret = -errno;
	if (!ret) {
		g->zone[k] = true;
		g->limit_w[k] = limit_w;
	}
	return ret;
}

/* Is the zone of domain d in the host's energy: the package always, DRAM and psys where
 * the host has them (once made, a zone stays). */
static bool wanted(const struct vguest *g, int k, const struct sample *s)
{
	enum energy_domain d = vmtree_zones[k].domain;

	if (g->zone[k] || d == ENERGY_PACKAGE)
		return true;
	if (d == ENERGY_PSYS)
		return s->have_psys;
	for (int i = 0; i < s->nr_sockets; i++)
		if (s->sockets[i].have[d])
			return true;
	return false;
}

/*
 * A guest's interval: each zone's counter moved by the guest's share (unless the host's
 * energy is missing), then the marker with all of them (so that a reader that sees a zone
 * knows it for an export, and reads every counter as of one interval), then each zone's
 * energy_uj.
 */
static void write_guest(struct vmexport *x, struct vguest *g, const struct sample_guest *sg,
			const struct sample *s)
{
	struct vmmarker m = { .vcpus = sg->id.vcpus, .estimated = s->estimated,
			      .interval_ns = x->o.interval_ns };
	char text[VMMARKER_MAX];
	int gfd, ret;

	gfd = open_path(x->dirfd, g->dir, true);
	if (gfd < 0) {
		warn(x, g, "open", gfd);
		return;
	}
	if (!g->loaded) {	/* an earlier run's counters go on */
		for (int k = 0; k < VMTREE_NR_ZONES; k++)
			g->counter[vmtree_zones[k].domain] =
				read_counter(gfd, &vmtree_zones[k], x->o.range_uj);
		g->loaded = true;
	}
	g->seq++;
	g->gaps += !sg->have;
	for (int k = 0; k < VMTREE_NR_ZONES; k++) {
		enum energy_domain d = vmtree_zones[k].domain;
		const char *slash = strrchr(vmtree_zones[k].path, '/');

		if (!wanted(g, k, s))
			continue;
		if (sg->have)
			g->counter[d] = rapl_counter_add(g->counter[d], sample_guest__uj(sg, d),
							 x->o.range_uj);
		snprintf(m.counters[m.nr_counters].zone, sizeof(m.counters[0].zone), "%s",
			 slash ? slash + 1 : vmtree_zones[k].path);
		m.counters[m.nr_counters++].uj = g->counter[d];
	}
	snprintf(m.guest, sizeof(m.guest), "%s", g->dir);
	snprintf(m.source, sizeof(m.source), "%s", vm_source_name(sg->id.source));
	snprintf(m.sensor, sizeof(m.sensor), "%s", s->sensor ? s->sensor : "");
	m.seq = g->seq;
	m.gaps = g->gaps;
	m.updated_ns = now_ns(CLOCK_REALTIME);
	ret = vmmarker__format(&m, text, sizeof(text));
	if (ret > 0)
		ret = put_file(gfd, VMMARKER_FILE, text);
	for (int k = 0; k < VMTREE_NR_ZONES && !ret; k++) {
		int zfd;

		if (!wanted(g, k, s))
			continue;
		ret = make_zone(x, g, gfd, k, sg);
		if (ret)
			break;
		vmtree__energy(g->counter[vmtree_zones[k].domain], text, sizeof(text));
		zfd = open_path(gfd, vmtree_zones[k].path, false);
		ret = zfd < 0 ? zfd : put_file(zfd, "energy_uj", text);
		if (zfd >= 0)
			close(zfd);
	}
	close(gfd);
	if (ret)
		warn(x, g, "write", ret);
	else if (g->failing)
		fprintf(stderr, "wattprobe: --vm-export: %s/%s is written again\n", x->dir, g->dir);
	g->failing = ret != 0;
}

/* What the tree of a guest gone holds, removed: the files it writes and nothing else. */
static void remove_guest(struct vmexport *x, struct vguest *g)
{
	int gfd = open_path(x->dirfd, g->dir, false);

	if (gfd < 0)
		return;
	/* subzones before their package */
	for (int k = VMTREE_NR_ZONES - 1; k >= 0; k--) {
		const struct vmtree_zone *z = &vmtree_zones[k];
		int zfd = open_path(gfd, z->path, false), pfd;
		const char *last;

		if (z->link)
			unlinkat(gfd, z->link, 0);
		if (zfd < 0)
			continue;
		clear_zone(zfd);
		close(zfd);
		pfd = open_parent(gfd, z, &last);
		if (pfd >= 0) {
			unlinkat(pfd, last, AT_REMOVEDIR);
			close(pfd);
		}
	}
	unlinkat(gfd, VMMARKER_FILE, 0);
	unlinkat(gfd, "." VMMARKER_FILE ".tmp", 0);
	close(gfd);
	if (unlinkat(x->dirfd, g->dir, AT_REMOVEDIR) && errno != ENOENT)
		fprintf(stderr, "wattprobe: warning: --vm-export: %s/%s is left, with what is not "
			"wattprobe's in it: %s\n", x->dir, g->dir, strerror(errno));
}

/* --- the guests --------------------------------------------------------------------------- */

static struct vguest *find(struct vmexport *x, const char *dir)
{
	for (size_t i = 0; i < x->nr; i++)
		if (!strcmp(x->g[i].dir, dir))
			return &x->g[i];
	return NULL;
}

static struct vguest *add(struct vmexport *x, const char *dir)
{
	if (x->nr == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		struct vguest *g = realloc(x->g, cap * sizeof(*g));

		if (!g)
			return NULL;
		x->g = g;
		x->cap = cap;
	}
	memset(&x->g[x->nr], 0, sizeof(x->g[0]));
	snprintf(x->g[x->nr].dir, sizeof(x->g[0].dir), "%s", dir);
	return &x->g[x->nr++];
}

void vmexport__write(struct vmexport *x, const struct sample *s)
{
	__u64 now = now_ns(CLOCK_MONOTONIC), keep = (__u64)(x->o.keep_s * 1e9);
	char dir[FSNAME_MAX + 1];
	size_t n = 0;

	for (size_t i = 0; i < x->nr; i++)
		x->g[i].seen = false;
	for (__u32 i = 0; i < s->nr_guests; i++) {
		const struct sample_guest *sg = s->guests[i];
		struct vguest *g;

		if (fsname_escape(sg->id.name, strlen(sg->id.name), dir, sizeof(dir)) < 0)
			continue;
		g = find(x, dir);
		if (!g && !(g = add(x, dir)))
			continue;	/* no memory: the next sample tries again */
		if (g->seen)
			continue;	/* two guests of one name: the first (docs/vms.md) */
		g->seen = true;
		g->gone_ns = 0;
		write_guest(x, g, sg, s);
	}
	for (size_t i = 0; i < x->nr; i++) {
		struct vguest *g = &x->g[i];

		if (!g->seen && !g->gone_ns)
			g->gone_ns = now;
		if (!g->seen && now - g->gone_ns >= keep) {
			remove_guest(x, g);
			continue;
		}
		x->g[n++] = *g;
	}
	x->nr = n;
}

/* Folders of an earlier run (with a marker): gone until their guest shows up again. */
static void take_over(struct vmexport *x)
{
	__u64 now = now_ns(CLOCK_MONOTONIC);
	int fd = dup(x->dirfd);
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		int gfd;

		if (e->d_name[0] == '.' || strlen(e->d_name) > FSNAME_MAX)
			continue;
		gfd = openat(x->dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (gfd < 0)
			continue;
		if (!faccessat(gfd, VMMARKER_FILE, F_OK, AT_SYMLINK_NOFOLLOW) && !find(x, e->d_name)) {
			struct vguest *g = add(x, e->d_name);

			if (g)
				g->gone_ns = now;
		}
		close(gfd);
	}
	closedir(d);
}

int vmexport__open(struct vmexport **xp, const struct vmexport_opts *o, char *err, size_t errlen)
{
	struct vmexport *x = calloc(1, sizeof(*x));
	int ret, probe;

	*xp = NULL;
	if (!x || !(x->dir = strdup(o->dir))) {
		free(x);
		snprintf(err, errlen, "--vm-export: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	x->o = *o;
	x->o.dir = x->dir;
	if (mkdir(o->dir, DIR_MODE) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "--vm-export: failed to make %s: %s%s", o->dir, strerror(-ret),
			 ret == -ENOENT ? " (its parent must exist)" : "");
		goto fail;
	}
	x->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->dirfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "--vm-export: failed to open %s: %s", o->dir, strerror(-ret));
		goto fail;
	}
	/* a file written and gone: the folder takes what the agent writes, as its user */
	probe = openat(x->dirfd, ".wattprobe-probe", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		       FILE_MODE);
	if (probe < 0) {
		ret = -errno;
		snprintf(err, errlen, "--vm-export: failed to write in %s: %s; make it writable by "
			 "the agent's user (--user; the systemd unit's RuntimeDirectory)", o->dir,
			 strerror(-ret));
		close(x->dirfd);
		goto fail;
	}
	close(probe);
	unlinkat(x->dirfd, ".wattprobe-probe", 0);
	take_over(x);
	*xp = x;
	return 0;
fail:
	free(x->dir);
	free(x);
	return ret;
}

void vmexport__close(struct vmexport *x)
{
	if (!x)
		return;
	close(x->dirfd);
	free(x->g);
	free(x->dir);
	free(x);
}
