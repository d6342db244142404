/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A process's cgroup in a cgroup v1 hierarchy, for hosts where the v2 tree holds
 * nothing about it: pure v1 hosts (no cgroup2 mount, every process in the v2 root),
 * hybrid hosts whose runtime uses the v1 controllers only, and containers that see
 * no cgroup2 mount. Read from /proc/PID/cgroup, cached per process and re-read when
 * the process changes its name (exec) or after a few seconds.
 */
#ifndef __CGROUPV1_H
#define __CGROUPV1_H

#include <stdbool.h>
#include <stddef.h>

struct cg_info;
struct cgroup_v1;

/* The v1 hierarchies to read, most useful first: the ones runtimes and systemd fill. */
#define CGV1_CONTROLLERS "name=systemd", "cpu", "cpuacct", "pids", "memory"

/*
 * proc_root: "/proc". The controller is the first of CGV1_CONTROLLERS that is a v1
 * hierarchy in /proc/self/cgroup; NULL (errno ENOENT) when there is none (a pure v2
 * host: nothing to do) or on failure.
 */
struct cgroup_v1 *cgroup_v1__new(const char *proc_root, size_t max_entries);
/* The controller in use ("name=systemd", "cpu", ...). */
const char *cgroup_v1__controller(const struct cgroup_v1 *c);

/*
 * The process's path in that hierarchy ("/docker/<id>"), and its classification
 * (cgpath_classify()); NULL when unknown (gone, unreadable). comm: its current name;
 * another name than at the last read means an exec, and a new read. Pointers stay
 * valid until the next cgroup_v1__begin().
 */
const char *cgroup_v1__path(struct cgroup_v1 *c, unsigned pid, unsigned long long start_ns,
			    const char *comm, const struct cg_info **info);
/*
 * Start a round of lookups (one sample) of about round processes: drops the cache
 * when it is full, or when it holds many more processes than a round (most gone).
 */
void cgroup_v1__begin(struct cgroup_v1 *c, size_t round);
void cgroup_v1__free(struct cgroup_v1 *c);

/*
 * Pure: is this path (of /proc/PID/cgroup) outside the reader's cgroup namespace
 * ("/..", "/../docker/<id>")? The kernel shows another process's cgroup relative to the
 * reader's namespace: in a private one (docker run --cgroupns private on a v1 host), the
 * processes outside it are all "/../...", their container and pod cannot be told.
 */
bool cgroup_v1__outside_ns(const char *path);

/*
 * Pure: the path of the hierarchy holding controller (a v1 controller or "name=..."; ""
 * for the v2 line "0::") in the text of /proc/PID/cgroup. 0, -ENOENT, -ENAMETOOLONG.
 */
int proc_cgroup_path(const char *text, const char *controller, char *out, size_t outlen);

#endif /* __CGROUPV1_H */
