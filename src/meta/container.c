// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Classify a cgroup v2 path by the names runtimes and systemd give to its components.
 * Pure: no I/O.
 *
 * The path is walked from the root down, one component at a time:
 *
 * - Container: "<prefix><64 hex>" with an optional ".scope" (docker-, cri-containerd-,
 *   crio-, crio-conmon-, libpod-, libpod-conmon-), runc's "slice:prefix:id" form (seen
 *   under /system.slice/containerd.service), or a bare 64-hex name under "docker"
 *   (docker's cgroupfs driver) or under a Kubernetes pod (cgroupfs driver: the runtime is
 *   not named, so the runtime is CG_KUBEPODS). The innermost container wins: on kind,
 *   minikube or docker-in-docker the outer one is the node, the inner one the workload.
 *   Components below the container (a nested "init.scope", crun's "container") keep it.
 * - conmon: "crio-conmon-<id>" and "libpod-conmon-<id>" are the monitor of container <id>,
 *   not the container. They are classified as that container (runtime and id) on purpose:
 *   conmon's energy belongs to the container it watches, and grouping by id puts it there.
 * - Pod: "...kubepods...-pod<uid>.slice" (systemd driver, underscores for dashes) or
 *   "pod<uid>" below a "kubepods" component (cgroupfs driver). A pod resets any container
 *   found above it (that one is the node). The UID is a UUID, or 32 hex chars for static
 *   pods (kubelet hashes their manifest).
 * - Unit: the innermost "*.service" or "*.scope" component, literally. So a process of a
 *   docker container on the systemd driver has unit "docker-<id>.scope": that is the
 *   scope systemd knows it by, and it is fine. Below a container with its own systemd the
 *   unit is the inner one ("init.scope"). Both a container id and a unit may be set; the
 *   container id is what identifies the container.
 * - Guest: libvirt puts each QEMU (or Cloud Hypervisor) guest in a cgroup of its own, named
 *   after its machine name "qemu-<id>-<name>" ("ch-<id>-<name>"; before libvirt 3.x
 *   "qemu-<name>"): with systemd the scope "machine-qemu\x2d<id>\x2d<name>.scope" (the
 *   machine name escaped as systemd escapes unit names), without it the folder
 *   "qemu-<id>-<name>.libvirt-qemu" (or "<name>.libvirt-qemu") below "machine". vCPU,
 *   emulator and I/O thread folders below keep the guest. The innermost one wins. The name
 *   is unescaped (\xNN to its byte, except NUL) and may hold any byte: a user of it
 *   escapes it for its own purpose (a file name, a label).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "meta/container.h"
#include "lib/util.h"

/* A component of the path: not NUL-terminated. */
struct comp {
	const char *s;
	size_t n;
};

static const struct {
	const char *prefix;	/* with its trailing '-' */
	enum cg_runtime rt;
} container_prefixes[] = {
	{ "docker-", CG_DOCKER },
	{ "cri-containerd-", CG_CONTAINERD },
	{ "crio-conmon-", CG_CRIO },
	{ "crio-", CG_CRIO },
	{ "libpod-conmon-", CG_PODMAN },
	{ "libpod-", CG_PODMAN },
};

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

static bool is_container_id(const char *s, size_t n)
{
	return n == CG_CONTAINER_ID_LEN && all_hex(s, n);
}

static bool starts_with(struct comp c, const char *p)
{
	size_t n = strlen(p);

	return c.n >= n && !memcmp(c.s, p, n);
}

static bool ends_with(struct comp c, const char *p)
{
	size_t n = strlen(p);

	return c.n >= n && !memcmp(c.s + c.n - n, p, n);
}

static bool equals(struct comp c, const char *p)
{
	return c.n == strlen(p) && !memcmp(c.s, p, c.n);
}

static bool contains(struct comp c, const char *p)
{
	return memmem(c.s, c.n, p, strlen(p)) != NULL;
}

static void copy(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Validate a pod UID and store it with dashes: 8-4-4-4-12 hex ('-' or '_'), or 32 hex. */
static bool parse_pod_uid(const char *s, size_t n, char *out)
{
	if (n == 32 && all_hex(s, n)) {
		copy(out, s, n);
		return true;
	}
	if (n != CG_POD_UID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;

		if (sep ? s[i] != '-' && s[i] != '_' : !is_lower_hex(s[i]))
			return false;
		out[i] = sep ? '-' : s[i];
	}
	out[n] = '\0';
	return true;
}

/* Systemd driver: "kubepods-burstable-pod<uid>.slice", "kubelet-kubepods-pod<uid>.slice". */
static bool match_pod_slice(struct comp c, char *uid)
{
	const char *p = NULL, *q;
	size_t stem;

	if (!ends_with(c, ".slice") || !contains(c, "kubepods"))
		return false;
	stem = c.n - strlen(".slice");
	for (q = c.s; (q = memmem(q, stem - (q - c.s), "-pod", 4)); q++)
		p = q + 4;
	if (!p)
		return false;
	return parse_pod_uid(p, stem - (p - c.s), uid);
}

static bool match_pod(struct comp c, bool under_kubepods, char *uid)
{
	if (match_pod_slice(c, uid))
		return true;
	/* cgroupfs driver: /kubepods[/burstable|/besteffort]/pod<uid> */
	return under_kubepods && starts_with(c, "pod") && parse_pod_uid(c.s + 3, c.n - 3, uid);
}

static bool match_prefixed(struct comp c, enum cg_runtime *rt, char *id)
{
	if (ends_with(c, ".scope"))
		c.n -= strlen(".scope");
	for (size_t i = 0; i < ARRAY_SIZE(container_prefixes); i++) {
		const char *p = container_prefixes[i].prefix;
		size_t pn = strlen(p);

		if (!starts_with(c, p) || !is_container_id(c.s + pn, c.n - pn))
			continue;
		*rt = container_prefixes[i].rt;
		copy(id, c.s + pn, c.n - pn);
		return true;
	}
	return false;
}

/* runc's systemd form "<slice>:<prefix>:<id>", e.g. "kubepods-...slice:cri-containerd:<id>". */
static bool match_colon(struct comp c, enum cg_runtime *rt, char *id, char *uid, bool *pod)
{
	const char *a = memchr(c.s, ':', c.n), *b;
	struct comp slice, prefix;

	if (!a)
		return false;
	b = memchr(a + 1, ':', c.n - (a + 1 - c.s));
	if (!b || !is_container_id(b + 1, c.n - (b + 1 - c.s)))
		return false;
	prefix = (struct comp){ a + 1, b - (a + 1) };
	for (size_t i = 0; i < ARRAY_SIZE(container_prefixes); i++) {
		const char *p = container_prefixes[i].prefix;

		if (prefix.n + 1 != strlen(p) || memcmp(prefix.s, p, prefix.n))
			continue;
		*rt = container_prefixes[i].rt;
		copy(id, b + 1, CG_CONTAINER_ID_LEN);
		slice = (struct comp){ c.s, a - c.s };
		*pod = match_pod_slice(slice, uid);
		return true;
	}
	return false;
}

/* Is c a container? Its parent prev tells what a bare id is; in_pod: below a pod. */
static bool match_container(struct comp c, struct comp prev, bool in_pod, enum cg_runtime *rt,
			    char *id, char *uid, bool *pod)
{
	*pod = false;
	if (match_colon(c, rt, id, uid, pod) || match_prefixed(c, rt, id))
		return true;
	if (!is_container_id(c.s, c.n))
		return false;
	if (equals(prev, "docker"))
		*rt = CG_DOCKER;	/* docker's cgroupfs driver: /docker/<id> */
	else if (in_pod)
		*rt = CG_KUBEPODS;	/* cgroupfs driver: any runtime, /kubepods/.../pod<uid>/<id> */
	else
		return false;
	copy(id, c.s, c.n);
	return true;
}

/* systemd's unit name escaping undone: "\xNN" is the byte NN (not NUL), the rest as is. */
static size_t unescape_unit(const char *s, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		const char *hi, *lo;

		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    (hi = memchr(hex, s[i + 2] | 0x20, 16)) && (lo = memchr(hex, s[i + 3] | 0x20, 16)) &&
		    (hi != hex || lo != hex)) {
			out[o++] = (char)((hi - hex) << 4 | (lo - hex));
			i += 3;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

/* libvirt's machine name "<driver>-<id>-<name>" (or "<driver>-<name>") to the name. */
static bool machine_guest(const char *m, size_t n, char *vm)
{
	static const char *const drivers[] = { "qemu-", "ch-" };
	size_t i, d;

	for (i = 0; i < ARRAY_SIZE(drivers); i++)
		if (!strncmp(m, drivers[i], strlen(drivers[i])))
			break;
	if (i == ARRAY_SIZE(drivers))
		return false;
	m += strlen(drivers[i]);
	n -= strlen(drivers[i]);
	for (d = 0; d < n && m[d] >= '0' && m[d] <= '9'; d++)
		;
	if (d && d < n && m[d] == '-') {
		m += d + 1;
		n -= d + 1;
	}
	if (!n)
		return false;
	copy(vm, m, n < CG_VM_MAX ? n : CG_VM_MAX - 1);
	return true;
}

/* A libvirt guest's cgroup: "machine-<escaped machine name>.scope" (systemd) or
 * "<machine name>.libvirt-qemu" below "machine" (cgroupfs). */
static bool match_guest(struct comp c, struct comp prev, char *vm)
{
	char m[CG_VM_MAX];
	size_t n;

	if (starts_with(c, "machine-") && ends_with(c, ".scope")) {
		n = unescape_unit(c.s + strlen("machine-"), c.n - strlen("machine-.scope"), m,
				  sizeof(m));
		return machine_guest(m, n, vm);
	}
	if (!equals(prev, "machine") || !ends_with(c, ".libvirt-qemu") ||
	    c.n == strlen(".libvirt-qemu"))
		return false;
	n = c.n - strlen(".libvirt-qemu");
	copy(m, c.s, n < sizeof(m) ? n : sizeof(m) - 1);
	if (machine_guest(m, strlen(m), vm))
		return true;
	copy(vm, m, strlen(m));	/* before libvirt 5.x: "<name>.libvirt-qemu" */
	return true;
}

static void match_unit(struct comp c, char *unit)
{
	size_t stem;

	if (ends_with(c, ".service"))
		stem = c.n - strlen(".service");
	else if (ends_with(c, ".scope"))
		stem = c.n - strlen(".scope");
	else
		return;
	if (!stem || c.n >= CG_UNIT_MAX)
		return;
	copy(unit, c.s, c.n);
}

int cgpath_classify(const char *path, struct cg_info *out)
{
	struct comp c, prev = { "", 0 };
	bool under_kubepods = false, pod;
	enum cg_runtime rt = CG_NONE;
	char id[CG_CONTAINER_ID_LEN + 1], uid[CG_POD_UID_LEN + 1];
	const char *p, *end;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!path || !out)
		return -EINVAL;

	for (p = path; *p; p = end) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		c = (struct comp){ p, end - p };

		match_unit(c, out->unit);
		match_guest(c, prev, out->vm);
		if (contains(c, "kubepods"))
			under_kubepods = true;

		if (match_container(c, prev, out->pod_uid[0], &rt, id, uid, &pod)) {
			out->runtime = rt;
			strcpy(out->container_id, id);
			if (pod)
				strcpy(out->pod_uid, uid);
		} else if (match_pod(c, under_kubepods, uid)) {
			/* a container above the pod is the node, not the pod's container */
			out->runtime = CG_KUBEPODS;
			out->container_id[0] = '\0';
			strcpy(out->pod_uid, uid);
		}
		prev = c;
	}
	return 0;
}

const char *cg_runtime_name(enum cg_runtime r)
{
	switch (r) {
	case CG_DOCKER:
		return "docker";
	case CG_CONTAINERD:
		return "containerd";
	case CG_CRIO:
		return "cri-o";
	case CG_PODMAN:
		return "podman";
	case CG_KUBEPODS:
		return "kubepods";
	default:
		return "";
	}
}
