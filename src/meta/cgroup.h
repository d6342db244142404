/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* cgroup v2 id (the inode of its directory) -> path below the cgroup2 mount, cached. */
#ifndef __CGROUP_H
#define __CGROUP_H

#include <stddef.h>

struct cgroup_cache;

/*
 * root: the cgroup2 mount point; NULL finds it in /proc/self/mountinfo (/sys/fs/cgroup on
 * pure v2 hosts, /sys/fs/cgroup/unified on hybrid ones). Without a cgroup2 mount the cache
 * is still made but every lookup returns NULL. max_entries bounds the map (> 0).
 * NULL with errno set on failure (ENOMEM, EINVAL).
 */
struct cgroup_cache *cgroup_cache__new(const char *root, size_t max_entries);

/*
 * Path relative to the mount ("/" for the root, "/system.slice/x.service"), or NULL if
 * unknown (and for id 0). A miss rescans the tree, at most once per second; a rescan
 * replaces the map, so deleted cgroups go away. When the tree has more directories than
 * max_entries, the id asked for and the ids found since the last rescan are kept first.
 * The pointer stays valid until the next call on c.
 */
const char *cgroup_cache__path(struct cgroup_cache *c, unsigned long long id);

/* Like cgroup_cache__path() but never rescans: NULL on a miss. */
const char *cgroup_cache__peek(const struct cgroup_cache *c, unsigned long long id);
/*
 * The container, pod and unit of the cgroup's path (cgpath_classify()), made
 * once per cgroup and kept with its path; NULL where the path is unknown.
 * Never rescans. Valid until the next cgroup_cache__path() that rescans.
 */
struct cg_info;
const struct cg_info *cgroup_cache__info(struct cgroup_cache *c, unsigned long long id);

/* The cgroup2 mount point in use, NULL if there is none. */
const char *cgroup_cache__root(const struct cgroup_cache *c);
/* Entries in the map (<= max_entries). */
size_t cgroup_cache__size(const struct cgroup_cache *c);
void cgroup_cache__free(struct cgroup_cache *c);

/*
 * Pure: the mount point of the cgroup2 file system in the text of a mountinfo file,
 * octal escapes ("\040") decoded. A mount of the hierarchy's root ("/" in field 4) is
 * preferred to one of a subtree. 0, -ENOENT if there is none, -ENAMETOOLONG if out is
 * too small.
 */
int mountinfo_find_cgroup2(const char *mountinfo_text, char *out, size_t outlen);

#endif /* __CGROUP_H */
