// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Container and pod names from kubelet's log folders and Docker's config: the parsers
 * on real and hostile names, the cache on a fake node (log root, Docker root), and the
 * Docker name helper.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "meta/container.h"
#include "meta/ctrname.h"
#include "meta/ctrnames.h"
#include "meta/dockername.h"
#include "helpers.h"

#define ID1 "4e1b2cbd6ae3a3b7c8f0d1e2f3a4b5c6d7e8f90112233445566778899aabbccd"
#define ID2 "0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0"
#define ID3 "d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22"
#define UID1 "2ca4a155-3599-498d-bb9d-4446693fa3ea"
#define UID2 "8daa50c3a64c9ff60bb9eab7b44b56fd"

/* --- kubelet's names -------------------------------------------------------------- */

Test(ctrname, pod_dir)
{
	struct pod_ref r;

	cr_assert_eq(ctrname_parse_pod_dir("kube-system_coredns-5d78c9869d-8xq2z_" UID1, &r), 0);
	cr_assert_str_eq(r.ns, "kube-system");
	cr_assert_str_eq(r.pod, "coredns-5d78c9869d-8xq2z");
	cr_assert_str_eq(r.uid, UID1);
	/* a static pod: dots in its name (the node's), a 32-hex UID */
	cr_assert_eq(ctrname_parse_pod_dir("kube-system_etcd-node-1.example.com_" UID2, &r), 0);
	cr_assert_str_eq(r.pod, "etcd-node-1.example.com");
	cr_assert_str_eq(r.uid, UID2);
}

Test(ctrname, pod_dir_rejects_what_kubelet_never_writes)
{
	static const char *const bad[] = {
		"default_web_" UID1 "_x",		/* a fourth part */
		"default_web",				/* no UID */
		"Default_web_" UID1,			/* upper case */
		"default_-web_" UID1,			/* starts with '-' */
		"default_web-_" UID1,			/* ends with '-' */
		"default_we..b_" UID1,			/* empty label */
		"default__" UID1,			/* empty pod */
		"default_web_2CA4A155-3599-498D-BB9D-4446693FA3EA",	/* upper-case UID */
		"default_web_2ca4a155_3599_498d_bb9d_4446693fa3ea",	/* cgroup's underscores */
		"default_web_2ca4a155-3599-498d-bb9d-4446693fa3e",	/* short */
		"default_we\nb_" UID1,			/* a control character */
		"default_w\xc3\xa9" "b_" UID1,		/* not ASCII */
		"a234567890123456789012345678901234567890123456789012345678901234_web_" UID1, /* 64 */
		"",
	};
	struct pod_ref r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(ctrname_parse_pod_dir(bad[i], &r), -EINVAL, "accepted \"%s\"", bad[i]);
		cr_expect_str_empty(r.pod);
	}
}

Test(ctrname, container_log)
{
	struct ctr_ref r;

	cr_assert_eq(ctrname_parse_container_log("coredns-5d78c9869d-8xq2z_kube-system_coredns-" ID1
						 ".log", &r), 0);
	cr_assert_str_eq(r.pod, "coredns-5d78c9869d-8xq2z");
	cr_assert_str_eq(r.ns, "kube-system");
	cr_assert_str_eq(r.name, "coredns");
	cr_assert_str_eq(r.id, ID1);
	/* a container name with dashes: the id is the last 64 hex digits */
	cr_assert_eq(ctrname_parse_container_log("web-0_shop_istio-proxy-" ID2 ".log", &r), 0);
	cr_assert_str_eq(r.name, "istio-proxy");
	cr_assert_str_eq(r.id, ID2);
}

Test(ctrname, container_log_rejects)
{
	static const char *const bad[] = {
		"web-0_shop_app-" ID1,			/* no .log */
		"web-0_shop_app-" ID1 ".log.1",		/* rotated */
		"web-0_shop_app" ID1 ".log",		/* no '-' before the id */
		"web-0_shop_-" ID1 ".log",		/* no container name */
		"web-0_shop_app-" "4E1B2CBD6AE3A3B7C8F0D1E2F3A4B5C6D7E8F90112233445566778899AABBCCD"
		".log",					/* upper-case id */
		"web-0_shop_app-4e1b2cbd.log",		/* short id */
		"web-0_shop_ap_p-" ID1 ".log",		/* a fourth part */
		"web-0_sh.op_app-" ID1 ".log",		/* namespaces have no dots */
		"web-0_shop_ap\"p-" ID1 ".log",		/* a quote */
		".log",
	};
	struct ctr_ref r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(ctrname_parse_container_log(bad[i], &r), -EINVAL, "accepted \"%s\"",
			     bad[i]);
}

Test(ctrname, uid_of_link_target)
{
	char uid[CG_POD_UID_LEN + 1];

	cr_assert_eq(ctrname_uid_of_target("/var/log/pods/shop_web-0_" UID1 "/app/0.log", "shop",
					   "web-0", uid), 0);
	cr_assert_str_eq(uid, UID1);
	cr_assert_eq(ctrname_uid_of_target("../pods/shop_web-0_" UID1 "//app/12.log", "shop", "web-0",
					   uid), 0);
	/* a target of another pod, or no pod folder at all: no UID */
	cr_assert_eq(ctrname_uid_of_target("/var/log/pods/shop_web-1_" UID1 "/app/0.log", "shop",
					   "web-0", uid), -EINVAL);
	cr_assert_eq(ctrname_uid_of_target("/var/log/app/0.log", "shop", "web-0", uid), -EINVAL);
	cr_assert_eq(ctrname_uid_of_target("0.log", "shop", "web-0", uid), -EINVAL);
}

/* --- Docker's config -------------------------------------------------------------- */

static int docker_name(const char *json, char *out)
{
	return ctrname_docker_config(json, strlen(json), out, CTR_NAME_MAX);
}

Test(ctrname, docker_config_top_level_name)
{
	char out[CTR_NAME_MAX];
	/* as dockerd writes it: nested "Name"s (labels, mounts, networks) come first */
	const char *cfg =
		"{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Pid\":4242,\"Health\":null,"
		"\"StartedAt\":\"2026-11-29T21:55:00.1Z\"},\"ID\":\"" ID1 "\","
		"\"Config\":{\"Hostname\":\"4e1b2cbd6ae3\",\"Env\":[\"Name=/evil\",\"A=\\\"}\\\\\"],"
		"\"Cmd\":[\"sh\",\"-c\",\"while :; do :; done\"],\"Labels\":{\"Name\":\"/not-this\"}},"
		"\"MountPoints\":{\"/data\":{\"Name\":\"vol\",\"RW\":true}},\"Size\":-1.5e3,"
		"\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"Name\":\"x\"}}},"
		"\"Name\":\"/busy_web.1\",\"Driver\":\"overlay2\"}";

	cr_assert_eq(docker_name(cfg, out), 0);
	cr_assert_str_eq(out, "busy_web.1");
}

Test(ctrname, docker_config_rejects)
{
	char out[CTR_NAME_MAX];
	char long_name[400];

	cr_assert_eq(docker_name("{\"ID\":\"x\"}", out), -ENOENT);
	cr_assert_eq(docker_name("{\"Config\":{\"Name\":\"/nested\"}}", out), -ENOENT);
	cr_assert_eq(docker_name("{\"Name\":\"/bad name\"}", out), -EINVAL);
	cr_assert_eq(docker_name("{\"Name\":\"/a\\u0000b\"}", out), -EINVAL);
	cr_assert_eq(docker_name("{\"Name\":\"/\"}", out), -EINVAL);
	cr_assert_eq(docker_name("{\"Name\":\"/-x\"}", out), -EINVAL);
	cr_assert_eq(docker_name("{\"Name\":42}", out), -EINVAL);
	cr_assert_eq(docker_name("[\"Name\",\"/x\"]", out), -EINVAL);
	cr_assert_eq(docker_name("{\"Name\":\"/trunc", out), -EINVAL);
	cr_assert_eq(docker_name("{\"A\":{\"B\":[1,2,{\"C\":\"}\"}]", out), -EINVAL);
	cr_assert_eq(docker_name("", out), -EINVAL);
	snprintf(long_name, sizeof(long_name), "{\"Name\":\"/%0300d\"}", 0);
	cr_assert_eq(docker_name(long_name, out), -EINVAL);
	cr_assert_str_empty(out);
}

/* Every prefix of a real config: never a crash, never a name from a cut-off value. */
Test(ctrname, docker_config_truncated)
{
	const char *cfg = "{\"ID\":\"" ID1 "\",\"Config\":{\"Labels\":{\"a\":\"b\"}},"
			  "\"Name\":\"/web\",\"Driver\":\"overlay2\"}";
	char out[CTR_NAME_MAX];
	size_t n = strlen(cfg), at = strstr(cfg, "\"/web\"") - cfg + strlen("\"/web\"");

	for (size_t i = 0; i < n; i++) {
		int r = ctrname_docker_config(cfg, i, out, sizeof(out));

		if (i >= at)
			cr_expect_eq(r, 0, "prefix %zu", i);
		else
			cr_expect_neq(r, 0, "prefix %zu gave \"%s\"", i, out);
	}
}

/* --- the cache on a fake node ------------------------------------------------------ */

static char *node;

static void mk_node(void)
{
	char path[4096], target[4096];

	node = th_tmpdir();
	cr_assert_not_null(node);
	/* a pod with two containers, a pod whose containers have no log link yet */
	snprintf(path, sizeof(path), "%s/log/pods/shop_web-0_" UID1 "/app/0.log", node);
	cr_assert_eq(th_write_file(path, "log\n"), 0);
	snprintf(path, sizeof(path), "%s/log/pods/shop_web-0_" UID1 "/istio-proxy/0.log", node);
	cr_assert_eq(th_write_file(path, "log\n"), 0);
	snprintf(path, sizeof(path), "%s/log/pods/kube-system_etcd-node-1_" UID2 "/etcd/0.log", node);
	cr_assert_eq(th_write_file(path, "log\n"), 0);
	snprintf(path, sizeof(path), "%s/log/containers", node);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/log/containers/web-0_shop_app-" ID1 ".log", node);
	snprintf(target, sizeof(target), "/var/log/pods/shop_web-0_" UID1 "/app/0.log");
	cr_assert_eq(symlink(target, path), 0);
	/* a link whose target is not a pod folder: names, but no UID */
	snprintf(path, sizeof(path), "%s/log/containers/web-0_shop_istio-proxy-" ID2 ".log", node);
	cr_assert_eq(symlink("/elsewhere/0.log", path), 0);
	/* noise */
	snprintf(path, sizeof(path), "%s/log/containers/README", node);
	cr_assert_eq(th_write_file(path, "x"), 0);
	/* Docker's */
	snprintf(path, sizeof(path), "%s/docker/containers/" ID3 "/config.v2.json", node);
	cr_assert_eq(th_write_file(path, "{\"ID\":\"" ID3 "\",\"Name\":\"/batch\"}"), 0);
}

static void rm_node(void)
{
	th_rmrf(node);
	free(node);
}

static struct cg_info cg_of(const char *path)
{
	struct cg_info cg;

	cr_assert_eq(cgpath_classify(path, &cg), 0);
	return cg;
}

Test(ctrnames, kubernetes_names_from_the_log_folders, .init = mk_node, .fini = rm_node)
{
	char root[4096];
	struct ctrnames *c;
	const struct ctr_names *n;
	struct cg_info a = cg_of("/kubepods/burstable/pod" UID1 "/" ID1),
		       b = cg_of("/kubepods.slice/kubepods-pod" UID1 ".slice/cri-containerd-" ID2 ".scope"),
		       pod = cg_of("/kubepods/burstable/pod" UID1),
		       stat = cg_of("/kubepods/pod" UID2),
		       docker = cg_of("/docker/" ID3),
		       host = cg_of("/system.slice/sshd.service");

	snprintf(root, sizeof(root), "%s/log", node);
	c = ctrnames__new(root, -1);
	cr_assert_not_null(c);
	ctrnames__begin(c);
	n = ctrnames__get(c, &a);
	cr_assert_not_null(n);
	cr_assert_str_eq(n->id, ID1);
	cr_assert_str_eq(n->name, "app");
	cr_assert_str_eq(n->pod, "web-0");
	cr_assert_str_eq(n->ns, "shop");
	cr_assert_str_eq(n->pod_uid, UID1);
	n = ctrnames__get(c, &b);
	cr_assert_str_eq(n->name, "istio-proxy");
	cr_assert_str_eq(n->pod, "web-0");
	/* the pod's own cgroup: the pod, no container */
	n = ctrnames__get(c, &pod);
	cr_assert_null(n->id);
	cr_assert_null(n->name);
	cr_assert_str_eq(n->pod, "web-0");
	cr_assert_str_eq(n->ns, "shop");
	n = ctrnames__get(c, &stat);
	cr_assert_str_eq(n->pod, "etcd-node-1");
	cr_assert_str_eq(n->ns, "kube-system");
	/* no Docker root given: a Docker id stays an id; the host has no entry */
	n = ctrnames__get(c, &docker);
	cr_assert_str_eq(n->id, ID3);
	cr_assert_null(n->name);
	cr_assert_null(n->pod);
	cr_assert_null(ctrnames__get(c, &host));
	ctrnames__free(c);
}

Test(ctrnames, unknown_stays_unknown, .init = mk_node, .fini = rm_node)
{
	char root[4096];
	struct ctrnames *c;
	const struct ctr_names *n;
	/* a pod and a container no file names */
	struct cg_info x = cg_of("/kubepods/besteffort/pod11111111-2222-3333-4444-555555555555/" ID3);

	snprintf(root, sizeof(root), "%s/log", node);
	c = ctrnames__new(root, -1);
	n = ctrnames__get(c, &x);
	cr_assert_str_eq(n->id, ID3);
	cr_assert_str_eq(n->pod_uid, "11111111-2222-3333-4444-555555555555");
	cr_assert_null(n->name);
	cr_assert_null(n->pod);
	cr_assert_null(n->ns);
	ctrnames__free(c);
	/* no log root at all */
	c = ctrnames__new(NULL, -1);
	n = ctrnames__get(c, &x);
	cr_assert_null(n->name);
	ctrnames__free(c);
}

Test(ctrnames, docker_names_through_the_helper, .init = mk_node, .fini = rm_node)
{
	char root[4096], name[CTR_NAME_MAX];
	struct cg_info d = cg_of("/system.slice/docker-" ID3 ".scope");
	const struct ctr_names *n;
	struct ctrnames *c;
	int fd;

	snprintf(root, sizeof(root), "%s/docker", node);
	cr_assert_eq(dockername__read(root, ID3, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "batch");
	cr_assert_eq(dockername__read(root, ID1, name, sizeof(name)), -ENOENT);
	cr_assert_eq(dockername__read(root, "../../etc", name, sizeof(name)), -EINVAL);

	fd = dockername__spawn(root);
	cr_assert_geq(fd, 0, "spawn: %s", strerror(-fd));
	cr_assert_eq(dockername__ask(fd, ID1, name, sizeof(name)), -ENOENT);
	cr_assert_eq(dockername__ask(fd, "x/../../" ID3, name, sizeof(name)), -ENOENT);
	c = ctrnames__new(NULL, fd);
	n = ctrnames__get(c, &d);
	cr_assert_str_eq(n->name, "batch");
	cr_assert_str_eq(n->id, ID3);
	ctrnames__free(c);	/* closes the socket: the helper exits */

	snprintf(root, sizeof(root), "%s/no-docker", node);
	cr_assert_eq(dockername__spawn(root), -ENOENT);
}

#define ID4 "aaaa1ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22"
#define ID5 "bbbb1ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22"

/* A FIFO where config.v2.json should be: not a regular file, refused without waiting. */
Test(ctrnames, docker_config_fifo_refused, .init = mk_node, .fini = rm_node, .timeout = 10)
{
	char root[3000], path[4096], name[CTR_NAME_MAX];

	snprintf(root, sizeof(root), "%s/docker", node);
	snprintf(path, sizeof(path), "%s/containers/" ID4, root);
	cr_assert_eq(mkdir(path, 0755), 0);
	strcat(path, "/config.v2.json");
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(dockername__read(root, ID4, name, sizeof(name)), -EINVAL);
}

/*
 * One FIFO as a config.v2.json held the helper in open() for ever: the agent
 * gave up on it, and every container lost its name for the rest of the run.
 * Now that container has no name and the others keep theirs.
 */
Test(ctrnames, docker_helper_survives_a_fifo, .init = mk_node, .fini = rm_node, .timeout = 20)
{
	char root[3000], path[4096], name[CTR_NAME_MAX];
	struct cg_info fifo = cg_of("/docker/" ID4), batch = cg_of("/docker/" ID3);
	const struct ctr_names *n;
	struct ctrnames *c;
	int fd;

	snprintf(root, sizeof(root), "%s/docker", node);
	snprintf(path, sizeof(path), "%s/containers/" ID4, root);
	cr_assert_eq(mkdir(path, 0755), 0);
	strcat(path, "/config.v2.json");
	cr_assert_eq(mkfifo(path, 0600), 0);
	fd = dockername__spawn(root);
	cr_assert_geq(fd, 0, "spawn: %s", strerror(-fd));
	cr_assert_eq(dockername__ask(fd, ID4, name, sizeof(name)), -ENOENT);
	cr_assert_eq(dockername__ask(fd, ID3, name, sizeof(name)), 0, "the helper is stuck");
	cr_assert_str_eq(name, "batch");
	c = ctrnames__new(NULL, fd);
	n = ctrnames__get(c, &fifo);
	cr_assert_null(n->name);
	n = ctrnames__get(c, &batch);
	cr_assert_str_eq(n->name ? n->name : "(none)", "batch");
	ctrnames__free(c);
}

/* The helper's pid: the child of ours named wattprobe-names. */
static pid_t helper_pid(void)
{
	char path[300], line[256];
	struct dirent *de;
	pid_t found = 0;
	DIR *d = opendir("/proc");
	FILE *f;

	cr_assert_not_null(d);
	while (!found && (de = readdir(d))) {
		int ppid = 0;
		char comm[32] = "";

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) &&
		    sscanf(line, "%*d (%31[^)]) %*c %d", comm, &ppid) == 2 && ppid == getpid() &&
		    !strcmp(comm, "wattprobe-names"))
			found = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return found;
}

/* A helper that dies (killed here) is started again: names keep coming. */
Test(ctrnames, docker_helper_restarted, .init = mk_node, .fini = rm_node, .timeout = 60)
{
	char root[3000], path[4096];
	struct cg_info a = cg_of("/docker/" ID3), b = cg_of("/docker/" ID5);
	const struct ctr_names *n;
	struct ctrnames *c;
	pid_t pid;
	int fd;

	snprintf(root, sizeof(root), "%s/docker", node);
	snprintf(path, sizeof(path), "%s/containers/" ID5 "/config.v2.json", root);
	cr_assert_eq(th_write_file(path, "{\"Name\":\"/later\"}"), 0);
	fd = dockername__spawn(root);
	cr_assert_geq(fd, 0);
	c = ctrnames__new(NULL, fd);
	n = ctrnames__get(c, &a);
	cr_assert_str_eq(n->name, "batch");
	pid = helper_pid();
	cr_assert_gt(pid, 0, "no helper found");
	cr_assert_eq(kill(pid, SIGKILL), 0);
	usleep(100 * 1000);
	n = ctrnames__get(c, &b);
	cr_assert_str_eq(n->name ? n->name : "(none)", "later", "no name after the helper died");
	cr_assert_neq(helper_pid(), pid);
	ctrnames__free(c);
}
