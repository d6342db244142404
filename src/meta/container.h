/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Classify a cgroup path (v2, or a v1 hierarchy's): container runtime and id, Kubernetes pod,
 * systemd unit, libvirt guest. Pure.
 */
#ifndef __CONTAINER_H
#define __CONTAINER_H

#define CG_CONTAINER_ID_LEN 64	/* hex chars */
#define CG_POD_UID_LEN 36	/* 8-4-4-4-12 with dashes */
#define CG_UNIT_MAX 256		/* systemd's UNIT_NAME_MAX, with the NUL */
#define CG_VM_MAX 256		/* a guest's name from a path component, with the NUL */

enum cg_runtime {
	CG_NONE,
	CG_DOCKER,
	CG_CONTAINERD,
	CG_CRIO,
	CG_PODMAN,
	CG_KUBEPODS,		/* pod known, runtime not */
};

struct cg_info {
	enum cg_runtime runtime;
	char container_id[CG_CONTAINER_ID_LEN + 1];	/* 64 hex chars, "" if none */
	char pod_uid[CG_POD_UID_LEN + 1];		/* Kubernetes pod UID, "" if none */
	char unit[CG_UNIT_MAX];				/* innermost *.service or *.scope, "" if none */
	char vm[CG_VM_MAX];		/* libvirt's guest (its machine scope), "" if none */
};

/* What outputs show of a process's container and pod. NULL: unknown or none. */
struct ctr_names {
	const char *id;		/* container id (64 hex) */
	const char *name;	/* container name: Kubernetes' or Docker's */
	const char *pod;
	const char *ns;		/* the pod's namespace */
	const char *pod_uid;
};

/*
 * Classify a path relative to the cgroup2 root, e.g. "/system.slice/docker-<64hex>.scope".
 * Fills every field of out (empty when nothing matched) and returns 0; -EINVAL if path or
 * out is NULL. Names are matched, not trusted: a process that may create cgroups can name
 * one like a container.
 */
int cgpath_classify(const char *path, struct cg_info *out);

/* "docker", "containerd", "cri-o", "podman", "kubepods"; "" for CG_NONE or out of range. */
const char *cg_runtime_name(enum cg_runtime r);

#endif /* __CONTAINER_H */
