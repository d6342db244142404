/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Names of containers and pods from the files a node already has, without an API
 * server. Pure: no I/O.
 *
 * - kubelet: <log-root>/pods/<namespace>_<pod>_<pod-uid>/<container>/N.log, and
 *   <log-root>/containers/<pod>_<namespace>_<container>-<container-id>.log, a link to
 *   the former. Kubernetes names hold no '_' (DNS-1123), so '_' splits them.
 * - Docker: <docker-root>/containers/<id>/config.v2.json, whose top-level "Name" is
 *   "/<name>".
 *
 * Every name is checked against what its owner allows (Kubernetes: DNS-1123; Docker:
 * [a-zA-Z0-9][a-zA-Z0-9_.-]*): anything else is not a name and stays unknown.
 */
#ifndef __CTRNAME_H
#define __CTRNAME_H

#include <stddef.h>
#include "meta/container.h"

#define CTR_NAME_MAX 256	/* longest name kept, with the NUL (pod names: 253) */

struct pod_ref {
	char ns[64];			/* namespace: DNS-1123 label, <= 63 */
	char pod[CTR_NAME_MAX];		/* pod: DNS-1123 subdomain, <= 253 */
	char uid[CG_POD_UID_LEN + 1];	/* with dashes, or 32 hex (static pods) */
};

struct ctr_ref {
	char ns[64];
	char pod[CTR_NAME_MAX];
	char name[64];			/* container: DNS-1123 label */
	char id[CG_CONTAINER_ID_LEN + 1];
};

/* A folder of <log-root>/pods: "<namespace>_<pod>_<uid>". 0 or -EINVAL. */
int ctrname_parse_pod_dir(const char *s, struct pod_ref *out);
/* A link of <log-root>/containers: "<pod>_<namespace>_<container>-<64 hex>.log". 0 or -EINVAL. */
int ctrname_parse_container_log(const char *s, struct ctr_ref *out);
/*
 * The pod UID in the target of such a link ("/var/log/pods/<ns>_<pod>_<uid>/<ctr>/0.log",
 * or relative): the last component before "<container>/<file>" that parses as a pod
 * folder whose namespace and pod are the ones given. 0 or -EINVAL.
 */
int ctrname_uid_of_target(const char *target, const char *ns, const char *pod, char *uid);
/*
 * The container name in the text of Docker's config.v2.json: the top-level "Name",
 * without its leading '/'. Nested "Name" keys (Config.Labels, ...) are skipped. 0,
 * -ENOENT if there is none, -EINVAL if it is not a Docker name (or the text is not
 * an object), -ENAMETOOLONG if out is too small.
 */
int ctrname_docker_config(const char *json, size_t n, char *out, size_t outlen);

/* The checks themselves, for the parsers of other sources. */
int ctrname_valid_k8s(const char *s, size_t n, size_t max, int dots);
int ctrname_valid_docker(const char *s, size_t n);

#endif /* __CTRNAME_H */
