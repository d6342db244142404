// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * cgroup v2 id -> path. On cgroup v2, bpf_get_current_cgroup_id() is the kernfs node id,
 * which is the inode number of the cgroup's directory in the cgroup2 mount: a walk of the
 * tree that maps st_ino to the relative path answers it. The walk is done on a miss, at
 * most once per second, and builds a new map that replaces the old one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "meta/cgroup.h"
#include "meta/container.h"
#include "lib/util.h"

#define CG_NONE_IDX UINT_MAX
#define CG_MAX_DEPTH 64		/* real trees are < 20 deep; each level holds a DIR open */
#define CG_RESCAN_NS NSEC_PER_SEC

struct cg_ent {
	unsigned long long id;
	char *path;
	struct cg_info *info;	/* its classification, made on first use */
	unsigned next;		/* hash chain */
	bool hot;		/* looked up since the map was built */
};

struct cg_map {
	struct cg_ent *ents;
	unsigned *buckets;
	size_t nr, cap, nbuckets;
};

struct cgroup_cache {
	char *root;		/* NULL: no cgroup2 mount */
	size_t max_entries;
	struct cg_map map;
	bool scanned;
	unsigned long long last_scan_ns;
};

/* State of one walk of the tree. */
struct cg_scan {
	struct cg_map *map;		/* being built */
	const struct cg_map *old;	/* its hot entries are kept first */
	unsigned long long want;	/* the id that missed: kept first */
	unsigned *victims[2];		/* entries that may give way: [0] unused, [1] hot */
	size_t nr_victims[2];
	char path[PATH_MAX];
};

/* --- mountinfo ----------------------------------------------------------------- */

/* Next space-separated field of [*p, end). */
static bool next_field(const char **p, const char *end, const char **f, size_t *n)
{
	const char *s = *p;

	while (s < end && *s == ' ')
		s++;
	if (s == end)
		return false;
	*f = s;
	while (s < end && *s != ' ')
		s++;
	*n = s - *f;
	*p = s;
	return true;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* Copy a mountinfo field, decoding the kernel's "\ooo" escapes (space, tab, \n, \\). */
static int unescape(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i = 0, o = 0;

	if (!outlen)
		return -ENAMETOOLONG;
	while (i < n) {
		char ch = s[i++];

		if (ch == '\\' && n - i >= 3 && is_octal(s[i]) && is_octal(s[i + 1]) &&
		    is_octal(s[i + 2])) {
			ch = (char)((s[i] - '0') << 6 | (s[i + 1] - '0') << 3 | (s[i + 2] - '0'));
			i += 3;
		}
		if (o + 1 >= outlen)
			return -ENAMETOOLONG;
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

/*
 * A line: "36 35 98:0 /root /mnt/point rw,noatime master:1 - fstype source rw,opts";
 * the optional fields before "-" vary in number.
 */
static bool parse_line(const char *s, const char *end, const char **root, size_t *root_n,
		       const char **mnt, size_t *mnt_n)
{
	const char *f = NULL;
	size_t n = 0;
	int i;

	for (i = 0; i < 5; i++) {
		if (!next_field(&s, end, &f, &n))
			return false;
		if (i == 3) {
			*root = f;
			*root_n = n;
		}
	}
	*mnt = f;
	*mnt_n = n;
	do {
		if (!next_field(&s, end, &f, &n))
			return false;
	} while (n != 1 || *f != '-');
	if (!next_field(&s, end, &f, &n))
		return false;
	return n == strlen("cgroup2") && !memcmp(f, "cgroup2", n);
}

int mountinfo_find_cgroup2(const char *text, char *out, size_t outlen)
{
	const char *line, *eol, *root = NULL, *mnt = NULL, *sub = NULL;
	size_t root_n = 0, mnt_n = 0, sub_n = 0;

	if (!text)
		return -ENOENT;
	for (line = text; *line; line = *eol ? eol + 1 : eol) {
		eol = strchrnul(line, '\n');
		if (!parse_line(line, eol, &root, &root_n, &mnt, &mnt_n))
			continue;
		if (root_n == 1 && *root == '/')
			return unescape(mnt, mnt_n, out, outlen);
		if (!sub) {
			sub = mnt;
			sub_n = mnt_n;
		}
	}
	/* only a subtree is mounted (a container's view): paths are relative to it */
	if (sub)
		return unescape(sub, sub_n, out, outlen);
	return -ENOENT;
}

/* Read all of a (proc) file, NUL-terminated; the caller frees. NULL with errno set. */
static char *read_whole(const char *path)
{
	size_t len = 0, cap = 16384;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (!buf || cap - len < 2) {
			cap = buf ? cap * 2 : cap;
			nb = realloc(buf, cap);
			if (!nb) {
				err = ENOMEM;
				goto cleanup;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto cleanup;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
cleanup:
	close(fd);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	return buf;
}

/* --- the map ------------------------------------------------------------------- */

static size_t bucket_of(const struct cg_map *m, unsigned long long id)
{
	unsigned long long h = id * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 32)) & (m->nbuckets - 1);
}

static int map_init(struct cg_map *m, size_t cap)
{
	memset(m, 0, sizeof(*m));
	for (m->nbuckets = 64; m->nbuckets < cap; m->nbuckets <<= 1)
		;
	m->cap = cap;
	m->ents = calloc(cap, sizeof(*m->ents));
	m->buckets = malloc(m->nbuckets * sizeof(*m->buckets));
	if (!m->ents || !m->buckets) {
		free(m->ents);
		free(m->buckets);
		memset(m, 0, sizeof(*m));
		return -ENOMEM;
	}
	memset(m->buckets, 0xff, m->nbuckets * sizeof(*m->buckets));
	return 0;
}

static void map_free(struct cg_map *m)
{
	for (size_t i = 0; i < m->nr; i++) {
		free(m->ents[i].path);
		free(m->ents[i].info);
	}
	free(m->ents);
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

static struct cg_ent *map_find(const struct cg_map *m, unsigned long long id)
{
	unsigned i;

	if (!m->nbuckets)
		return NULL;
	for (i = m->buckets[bucket_of(m, id)]; i != CG_NONE_IDX; i = m->ents[i].next)
		if (m->ents[i].id == id)
			return &m->ents[i];
	return NULL;
}

static void map_link(struct cg_map *m, unsigned i)
{
	size_t b = bucket_of(m, m->ents[i].id);

	m->ents[i].next = m->buckets[b];
	m->buckets[b] = i;
}

static void map_unlink(struct cg_map *m, unsigned i)
{
	unsigned *pp = &m->buckets[bucket_of(m, m->ents[i].id)];

	while (*pp != i)
		pp = &m->ents[*pp].next;
	*pp = m->ents[i].next;
}

/* --- the walk ------------------------------------------------------------------ */

/*
 * Add a directory to the map being built. When it is full, the id asked for displaces
 * any other entry, an id in use displaces one that is not, the rest are left out.
 */
static int scan_add(struct cg_scan *s, unsigned long long id, const char *path)
{
	const struct cg_ent *o = map_find(s->old, id);
	int prio = id == s->want ? 2 : o && o->hot ? 1 : 0;
	struct cg_map *m = s->map;
	char *dup;
	unsigned i;

	if (map_find(m, id))
		return 0;
	if (m->nr < m->cap) {
		i = m->nr;
	} else if (prio && s->nr_victims[0]) {
		i = s->victims[0][--s->nr_victims[0]];
	} else if (prio == 2 && s->nr_victims[1]) {
		i = s->victims[1][--s->nr_victims[1]];
	} else {
		return 0;	/* full: this one is left out */
	}
	dup = strdup(path);
	if (!dup)
		return -ENOMEM;
	if (i == m->nr) {
		m->nr++;
	} else {
		map_unlink(m, i);
		free(m->ents[i].path);
		free(m->ents[i].info);
	}
	m->ents[i] = (struct cg_ent){ .id = id, .path = dup };
	map_link(m, i);
	if (prio < 2)
		s->victims[prio][s->nr_victims[prio]++] = i;
	return 0;
}

/* Walk the directories below dfd (consumed), whose path is s->path[0..len). */
static int scan_dir(struct cg_scan *s, int dfd, size_t len, int depth)
{
	struct dirent *de;
	struct stat st;
	size_t n;
	DIR *d;
	int fd, err = 0;

	d = fdopendir(dfd);
	if (!d) {
		err = -errno;
		close(dfd);
		return err == -ENOMEM ? err : 0;
	}
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n = strlen(de->d_name);
		if (len + 1 + n >= sizeof(s->path))
			continue;
		/* a cgroup may go away while we walk: skip what cannot be opened */
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st)) {
			close(fd);
			continue;
		}
		s->path[len] = '/';
		memcpy(s->path + len + 1, de->d_name, n + 1);
		err = scan_add(s, st.st_ino, s->path);
		if (err) {
			close(fd);
			break;
		}
		if (depth + 1 >= CG_MAX_DEPTH) {
			close(fd);
			continue;
		}
		err = scan_dir(s, fd, len + 1 + n, depth + 1);
		if (err)
			break;
	}
	closedir(d);
	s->path[len] = '\0';
	return err;
}

/* Build a new map from the tree; the old one stays if the root cannot be read. */
static int rescan(struct cgroup_cache *c, unsigned long long want)
{
	struct cg_scan *s;
	struct cg_map m;
	struct stat st;
	int fd, err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	err = map_init(&m, c->max_entries);
	if (err)
		goto cleanup;
	s->victims[0] = malloc(c->max_entries * sizeof(*s->victims[0]));
	s->victims[1] = malloc(c->max_entries * sizeof(*s->victims[1]));
	if (!s->victims[0] || !s->victims[1]) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->map = &m;
	s->old = &c->map;
	s->want = want;

	fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		goto cleanup;
	}
	err = scan_add(s, st.st_ino, "/");
	if (err) {
		close(fd);
		goto cleanup;
	}
	err = scan_dir(s, fd, 0, 0);
	if (err)
		goto cleanup;

	map_free(&c->map);
	c->map = m;
	m.nr = 0;
	m.ents = NULL;
	m.buckets = NULL;
cleanup:
	map_free(&m);
	free(s->victims[0]);
	free(s->victims[1]);
	free(s);
	return err;
}

/* --- the cache ----------------------------------------------------------------- */

struct cgroup_cache *cgroup_cache__new(const char *root, size_t max_entries)
{
	struct cgroup_cache *c;
	char mnt[PATH_MAX], *text;
	size_t n;

	if (!max_entries || max_entries >= UINT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->max_entries = max_entries;
	if (!root) {
		text = read_whole("/proc/self/mountinfo");
		if (text && !mountinfo_find_cgroup2(text, mnt, sizeof(mnt)))
			root = mnt;
		free(text);
	}
	if (!root)
		return c;	/* no cgroup2: lookups return NULL */

	c->root = strdup(root);
	if (!c->root) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	for (n = strlen(c->root); n > 1 && c->root[n - 1] == '/'; n--)
		c->root[n - 1] = '\0';
	return c;
}

const char *cgroup_cache__path(struct cgroup_cache *c, unsigned long long id)
{
	unsigned long long now;
	struct cg_ent *e;

	if (!c || !c->root || !id)
		return NULL;
	e = map_find(&c->map, id);
	if (e)
		goto found;
	now = now_ns(CLOCK_MONOTONIC);
	if (c->scanned && now - c->last_scan_ns < CG_RESCAN_NS)
		return NULL;
	c->scanned = true;
	c->last_scan_ns = now;
	if (rescan(c, id))
		return NULL;
	e = map_find(&c->map, id);
	if (!e)
		return NULL;
found:
	e->hot = true;
	return e->path;
}

const char *cgroup_cache__peek(const struct cgroup_cache *c, unsigned long long id)
{
	const struct cg_ent *e;

	if (!c || !c->root || !id)
		return NULL;
	e = map_find(&c->map, id);
	return e ? e->path : NULL;
}

const struct cg_info *cgroup_cache__info(struct cgroup_cache *c, unsigned long long id)
{
	struct cg_ent *e;

	if (!c || !c->root || !id)
		return NULL;
	e = map_find(&c->map, id);
	if (!e)
		return NULL;
	if (!e->info) {
		e->info = malloc(sizeof(*e->info));
		if (!e->info)
			return NULL;
		if (cgpath_classify(e->path, e->info)) {
			free(e->info);
			e->info = NULL;
		}
	}
	return e->info;
}

const char *cgroup_cache__root(const struct cgroup_cache *c)
{
	return c ? c->root : NULL;
}

size_t cgroup_cache__size(const struct cgroup_cache *c)
{
	return c ? c->map.nr : 0;
}

void cgroup_cache__free(struct cgroup_cache *c)
{
	if (!c)
		return;
	map_free(&c->map);
	free(c->root);
	free(c);
}
