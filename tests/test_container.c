// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cgpath_classify on the cgroup paths that runtimes, kubelet and systemd really create. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "meta/container.h"
#include "lib/util.h"

#define ID1 "4e1b2cbd6ae3a3b7c8f0d1e2f3a4b5c6d7e8f90112233445566778899aabbccd"
#define ID2 "0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0"
#define ID3 "d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22"
#define ID63 "4e1b2cbd6ae3a3b7c8f0d1e2f3a4b5c6d7e8f90112233445566778899aabbcc"
#define UID_U "2ca4a155_3599_498d_bb9d_4446693fa3ea"
#define UID_D "2ca4a155-3599-498d-bb9d-4446693fa3ea"
#define STATIC_UID "8daa50c3a64c9ff60bb9eab7b44b56fd"

struct cg_case {
	const char *path;
	enum cg_runtime runtime;
	const char *id;
	const char *pod;
	const char *unit;
};

static const struct cg_case cases[] = {
	/* docker, systemd driver; the unit is the container's scope */
	{ "/system.slice/docker-" ID1 ".scope", CG_DOCKER, ID1, "", "docker-" ID1 ".scope" },
	/* docker, cgroupfs driver */
	{ "/docker/" ID1, CG_DOCKER, ID1, "", "" },
	/* docker running systemd inside: the container keeps its id, the unit is the inner one */
	{ "/system.slice/docker-" ID1 ".scope/init.scope", CG_DOCKER, ID1, "", "init.scope" },
	{ "/docker/" ID1 "/system.slice/nginx.service", CG_DOCKER, ID1, "", "nginx.service" },
	/* containerd's own cgroup (daemon, shims): a unit, no container */
	{ "/system.slice/containerd.service", CG_NONE, "", "", "containerd.service" },
	/* runc's "slice:prefix:id" form below containerd.service */
	{ "/system.slice/containerd.service/kubepods-burstable-pod" UID_U ".slice:cri-containerd:" ID2,
	  CG_CONTAINERD, ID2, UID_D, "containerd.service" },
	/* containerd (CRI) with a plain systemd parent */
	{ "/system.slice/system-getty.slice/cri-containerd-" ID2 ".scope", CG_CONTAINERD, ID2, "",
	  "cri-containerd-" ID2 ".scope" },
	/* kubepods, systemd driver: containerd, CRI-O, docker; burstable, besteffort, guaranteed */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U
	  ".slice/cri-containerd-" ID2 ".scope",
	  CG_CONTAINERD, ID2, UID_D, "cri-containerd-" ID2 ".scope" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_U
	  ".slice/crio-" ID2 ".scope",
	  CG_CRIO, ID2, UID_D, "crio-" ID2 ".scope" },
	{ "/kubepods.slice/kubepods-pod" UID_U ".slice/docker-" ID1 ".scope", CG_DOCKER, ID1, UID_D,
	  "docker-" ID1 ".scope" },
	/* static pod: the UID is a 32-hex manifest hash */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" STATIC_UID
	  ".slice/cri-containerd-" ID2 ".scope",
	  CG_CONTAINERD, ID2, STATIC_UID, "cri-containerd-" ID2 ".scope" },
	/* a process in the pod's own cgroup: pod known, no container, runtime unknown */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U ".slice",
	  CG_KUBEPODS, "", UID_D, "" },
	/* the QoS slices alone are no pod */
	{ "/kubepods.slice/kubepods-burstable.slice", CG_NONE, "", "", "" },
	/* kind: kubelet's cgroup root is /kubelet */
	{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod" UID_U ".slice/cri-containerd-" ID2 ".scope",
	  CG_CONTAINERD, ID2, UID_D, "cri-containerd-" ID2 ".scope" },
	/* minikube: a node container holding pods; the innermost container wins */
	{ "/docker/" ID3 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_U
	  ".slice/crio-" ID2 ".scope",
	  CG_CRIO, ID2, UID_D, "crio-" ID2 ".scope" },
	{ "/docker/" ID3 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_U
	  ".slice",
	  CG_KUBEPODS, "", UID_D, "" },
	/* kubepods, cgroupfs driver: the runtime is not named */
	{ "/kubepods/burstable/pod" UID_D "/" ID2, CG_KUBEPODS, ID2, UID_D, "" },
	{ "/kubepods/besteffort/pod" UID_D "/" ID2, CG_KUBEPODS, ID2, UID_D, "" },
	{ "/kubepods/pod" UID_D "/" ID2, CG_KUBEPODS, ID2, UID_D, "" },
	{ "/kubepods/burstable/pod" UID_D, CG_KUBEPODS, "", UID_D, "" },
	/* CRI-O on cgroupfs names its cgroups too */
	{ "/kubepods/burstable/pod" UID_D "/crio-" ID2, CG_CRIO, ID2, UID_D, "" },
	/* CRI-O's conmon: classified as the container it monitors */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U
	  ".slice/crio-conmon-" ID2 ".scope",
	  CG_CRIO, ID2, UID_D, "crio-conmon-" ID2 ".scope" },
	/* crun's "container" sub-cgroup */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U
	  ".slice/crio-" ID2 ".scope/container",
	  CG_CRIO, ID2, UID_D, "crio-" ID2 ".scope" },
	/* podman rootful, its conmon, a podman pod, cgroupfs manager */
	{ "/machine.slice/libpod-" ID1 ".scope", CG_PODMAN, ID1, "", "libpod-" ID1 ".scope" },
	{ "/machine.slice/libpod-conmon-" ID1 ".scope", CG_PODMAN, ID1, "",
	  "libpod-conmon-" ID1 ".scope" },
	{ "/machine.slice/machine-libpod_pod_" ID3 ".slice/libpod-" ID1 ".scope/container", CG_PODMAN,
	  ID1, "", "libpod-" ID1 ".scope" },
	{ "/libpod_parent/libpod-" ID1, CG_PODMAN, ID1, "", "" },
	/* podman rootless, below the user's manager */
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID1 ".scope", CG_PODMAN,
	  ID1, "", "libpod-" ID1 ".scope" },
	/* systemd units */
	{ "/system.slice/nginx.service", CG_NONE, "", "", "nginx.service" },
	{ "/user.slice/user-1000.slice/session-3.scope", CG_NONE, "", "", "session-3.scope" },
	{ "/system.slice/system-getty.slice/getty@tty1.service", CG_NONE, "", "",
	  "getty@tty1.service" },
	{ "/user.slice/user-1000.slice/user@1000.service", CG_NONE, "", "", "user@1000.service" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope",
	  CG_NONE, "", "", "app-gnome-firefox-4242.scope" },
	{ "/init.scope", CG_NONE, "", "", "init.scope" },
	/* non-matches */
	{ "/", CG_NONE, "", "", "" },
	{ "", CG_NONE, "", "", "" },
	{ "/user.slice", CG_NONE, "", "", "" },
	{ "/system.slice/.service", CG_NONE, "", "", "" },
	/* 63 and 65 hex chars, an uppercase and a non-hex char: not ids */
	{ "/system.slice/docker-" ID63 ".scope", CG_NONE, "", "", "docker-" ID63 ".scope" },
	{ "/docker/" ID1 "0", CG_NONE, "", "", "" },
	{ "/docker/4E1B2CBD6AE3A3B7C8F0D1E2F3A4B5C6D7E8F90112233445566778899AABBCCD", CG_NONE, "", "",
	  "" },
	{ "/system.slice/docker-4e1b2cbd6ae3a3b7c8f0d1e2f3a4b5c6d7e8f90112233445566778899aabbccg.scope",
	  CG_NONE, "", "",
	  "docker-4e1b2cbd6ae3a3b7c8f0d1e2f3a4b5c6d7e8f90112233445566778899aabbccg.scope" },
	/* a bare id with no docker or pod above it names no runtime */
	{ "/system.slice/" ID1, CG_NONE, "", "", "" },
	/* "pod<uid>" outside kubepods, and a malformed pod UID */
	{ "/pod" UID_D "/" ID2, CG_NONE, "", "", "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2ca4a155_3599.slice",
	  CG_NONE, "", "", "" },
	/* doubled and trailing slashes */
	{ "//system.slice//docker-" ID1 ".scope/", CG_DOCKER, ID1, "", "docker-" ID1 ".scope" },
};

Test(container, real_world_paths)
{
	cr_assert_geq(ARRAY_SIZE(cases), 25);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct cg_case *t = &cases[i];
		struct cg_info ci;

		memset(&ci, 0xa5, sizeof(ci));
		cr_assert_eq(cgpath_classify(t->path, &ci), 0, "%s", t->path);
		cr_expect_eq(ci.runtime, t->runtime, "runtime %s, want %s: %s",
			     cg_runtime_name(ci.runtime), cg_runtime_name(t->runtime), t->path);
		cr_expect_str_eq(ci.container_id, t->id, "%s", t->path);
		cr_expect_str_eq(ci.pod_uid, t->pod, "%s", t->path);
		cr_expect_str_eq(ci.unit, t->unit, "%s", t->path);
		cr_expect_str_empty(ci.vm, "%s", t->path);
	}
}

/* libvirt's guests, as its cgroup code and systemd-machined name them. */
static const struct {
	const char *path, *vm, *unit;
} guests[] = {
	/* systemd, cgroup v2: the scope, then libvirt's own folders below it */
	{ "/machine.slice/machine-qemu\\x2d1\\x2dguest1.scope", "guest1",
	  "machine-qemu\\x2d1\\x2dguest1.scope" },
	{ "/machine.slice/machine-qemu\\x2d1\\x2dguest1.scope/libvirt/vcpu0", "guest1",
	  "machine-qemu\\x2d1\\x2dguest1.scope" },
	{ "/machine.slice/machine-qemu\\x2d12\\x2dweb\\x2d01.scope/libvirt/emulator", "web-01",
	  "machine-qemu\\x2d12\\x2dweb\\x2d01.scope" },
	/* cgroup v1 (/proc/PID/cgroup of the cpu controller): no "libvirt" folder */
	{ "/machine.slice/machine-qemu\\x2d3\\x2ddb.scope/emulator", "db",
	  "machine-qemu\\x2d3\\x2ddb.scope" },
	/* before libvirt 3.x the machine name had no id */
	{ "/machine.slice/machine-qemu\\x2dold.scope", "old", "machine-qemu\\x2dold.scope" },
	/* Cloud Hypervisor through libvirt's ch driver */
	{ "/machine.slice/machine-ch\\x2d4\\x2dchguest.scope", "chguest",
	  "machine-ch\\x2d4\\x2dchguest.scope" },
	/* a resource partition of its own */
	{ "/prod.slice/machine-qemu\\x2d5\\x2dapp.scope/vcpu1", "app",
	  "machine-qemu\\x2d5\\x2dapp.scope" },
	/* cgroupfs (no systemd): /machine/<machine name>.libvirt-qemu, older /machine/<name>... */
	{ "/machine/qemu-7-guest7.libvirt-qemu/emulator", "guest7", "" },
	{ "/machine/guest8.libvirt-qemu/vcpu0", "guest8", "" },
	/* escapes are undone, whatever they make: a name is matched, never trusted */
	{ "/machine.slice/machine-qemu\\x2d9\\x2d..\\x2f..\\x2fetc.scope", "../../etc",
	  "machine-qemu\\x2d9\\x2d..\\x2f..\\x2fetc.scope" },
	{ "/machine.slice/machine-qemu\\x2d9\\x2da\\x00b.scope", "a\\x00b",
	  "machine-qemu\\x2d9\\x2da\\x00b.scope" },
	/* not guests: systemd-nspawn and LXC machines, podman's pods, a bare scope */
	{ "/machine.slice/machine-debian.scope", "", "machine-debian.scope" },
	{ "/machine.slice/machine-lxc\\x2d2\\x2dct.scope", "", "machine-lxc\\x2d2\\x2dct.scope" },
	{ "/machine.slice/machine-qemu\\x2d1\\x2d.scope", "", "machine-qemu\\x2d1\\x2d.scope" },
	{ "/machine/.libvirt-qemu", "", "" },
	{ "/other/guest.libvirt-qemu", "", "" },
};

Test(container, libvirt_guests)
{
	for (size_t i = 0; i < ARRAY_SIZE(guests); i++) {
		struct cg_info ci;

		cr_assert_eq(cgpath_classify(guests[i].path, &ci), 0, "%s", guests[i].path);
		cr_expect_str_eq(ci.vm, guests[i].vm, "%s: '%s'", guests[i].path, ci.vm);
		cr_expect_str_eq(ci.unit, guests[i].unit, "%s", guests[i].path);
		cr_expect_eq(ci.runtime, CG_NONE, "%s", guests[i].path);
	}
}

Test(container, longest_guest_name_is_cut_to_the_field)
{
	char path[1000], name[300];
	struct cg_info ci;

	/* the longest scope a folder name (255 bytes) holds */
	memset(name, 'g', 228);
	name[228] = '\0';
	snprintf(path, sizeof(path), "/machine.slice/machine-qemu\\x2d1\\x2d%s.scope", name);
	cr_assert_eq(strlen(strrchr(path, '/') + 1), 255);
	cr_assert_eq(cgpath_classify(path, &ci), 0);
	cr_expect_eq(strlen(ci.vm), 228);
	snprintf(path, sizeof(path), "/machine/qemu-1-%s%s.libvirt-qemu", name, name);
	cr_assert_eq(cgpath_classify(path, &ci), 0);
	cr_expect_eq(strlen(ci.vm), CG_VM_MAX - 1 - strlen("qemu-1-"));
}

Test(container, relative_path_without_leading_slash)
{
	struct cg_info ci;

	cr_assert_eq(cgpath_classify("system.slice/docker-" ID1 ".scope", &ci), 0);
	cr_expect_eq(ci.runtime, CG_DOCKER);
	cr_expect_str_eq(ci.container_id, ID1);
}

Test(container, longest_unit_fits_longer_is_dropped)
{
	char path[600], name[300];
	struct cg_info ci;

	memset(name, 'a', 255 - strlen(".service"));
	strcpy(name + 255 - strlen(".service"), ".service");
	snprintf(path, sizeof(path), "/system.slice/%s", name);
	cr_assert_eq(cgpath_classify(path, &ci), 0);
	cr_expect_str_eq(ci.unit, name);

	/* 256 chars: more than systemd allows, and than the field holds; the outer unit stays */
	snprintf(path, sizeof(path), "/system.slice/foo.service/a%s", name);
	cr_assert_eq(cgpath_classify(path, &ci), 0);
	cr_expect_str_eq(ci.unit, "foo.service");
}

Test(container, null_arguments)
{
	struct cg_info ci;

	cr_expect_eq(cgpath_classify(NULL, &ci), -EINVAL);
	cr_expect_eq(ci.runtime, CG_NONE);
	cr_expect_str_empty(ci.unit);
	cr_expect_eq(cgpath_classify("/", NULL), -EINVAL);
}

Test(container, runtime_names)
{
	cr_expect_str_eq(cg_runtime_name(CG_NONE), "");
	cr_expect_str_eq(cg_runtime_name(CG_DOCKER), "docker");
	cr_expect_str_eq(cg_runtime_name(CG_CONTAINERD), "containerd");
	cr_expect_str_eq(cg_runtime_name(CG_CRIO), "cri-o");
	cr_expect_str_eq(cg_runtime_name(CG_PODMAN), "podman");
	cr_expect_str_eq(cg_runtime_name(CG_KUBEPODS), "kubepods");
	cr_expect_str_eq(cg_runtime_name((enum cg_runtime)42), "");
}
