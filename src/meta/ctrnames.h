/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Names of the containers and pods of this node, looked up by the container id and
 * pod UID of a cgroup (struct cg_info), from kubelet's log folders (<log-root>/pods,
 * <log-root>/containers) and Docker's config (through the dockername helper). Cached
 * per container (or pod); a container with a name missing is looked for again after
 * a few seconds, the log folders are read again at most every 2 s and only on a miss.
 * A name is never guessed: what no file names stays NULL.
 */
#ifndef __CTRNAMES_H
#define __CTRNAMES_H

#include <stddef.h>
#include "meta/container.h"

struct ctrnames;

/*
 * log_root: the folder holding pods/ and containers/ (/var/log), NULL for none.
 * docker_fd: a dockername__spawn() socket (owned from now on), or -1. NULL, errno set,
 * on failure.
 */
struct ctrnames *ctrnames__new(const char *log_root, int docker_fd);
/* Start a round of lookups (one sample): drops the cache when it is full. */
void ctrnames__begin(struct ctrnames *c);
/* The names of cg's container or pod; NULL when cg has neither. Valid until the next begin. */
const struct ctr_names *ctrnames__get(struct ctrnames *c, const struct cg_info *cg);
void ctrnames__free(struct ctrnames *c);

#endif /* __CTRNAMES_H */
