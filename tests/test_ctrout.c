// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Containers and pods in the outputs, from a hand-built sample: --group-by container,
 * pod and namespace, the "container" and "pod" objects of JSON, the name labels of the
 * Prometheus group series. Unknown names stay out (null, no label), never guessed.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "meta/container.h"
#include "meta/ctrnames.h"
#include "output/output.h"
#include "sample/view.h"

#define ID1 "4e1b2cbd6ae3a3b7c8f0d1e2f3a4b5c6d7e8f90112233445566778899aabbccd"
#define ID2 "0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0"
#define ID3 "d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22"
#define UID1 "2ca4a155-3599-498d-bb9d-4446693fa3ea"
#define UID2 "11111111-2222-3333-4444-555555555555"

static struct cg_info cgs[5];
static struct ctr_names names[4];
static struct proc procs[6];
static __u64 procs_socks[6][2 * WP_MAX_SOCKETS];	/* their per-socket figures */
static struct proc *order[6];
static struct sample sm;

/* 6 processes: 2 in container app of pod shop/web-0, 1 in its istio-proxy, 1 in a pod no
 * file names, 1 in a Docker container "batch", 1 on the host */
static void setup(void)
{
	static const char *const paths[] = {
		"/kubepods/burstable/pod" UID1 "/" ID1,
		"/kubepods/burstable/pod" UID1 "/" ID2,
		"/kubepods/besteffort/pod" UID2 "/" ID3 "0",	/* not an id: the pod's own */
		"/docker/" ID3,
		"/system.slice/sshd.service",
	};
	static const int cg_of[6] = { 0, 0, 1, 2, 3, 4 };
	static const int names_of[6] = { 0, 0, 1, 2, 3, -1 };

	memset(&sm, 0, sizeof(sm));
	memset(procs, 0, sizeof(procs));
	for (int i = 0; i < 5; i++)
		cr_assert_eq(cgpath_classify(paths[i], &cgs[i]), 0);
	names[0] = (struct ctr_names){ ID1, "app", "web-0", "shop", UID1 };
	names[1] = (struct ctr_names){ ID2, "istio-proxy", "web-0", "shop", UID1 };
	names[2] = (struct ctr_names){ NULL, NULL, NULL, NULL, UID2 };
	names[3] = (struct ctr_names){ ID3, "batch", NULL, NULL, NULL };
	for (int i = 0; i < 6; i++) {
		struct proc *p = &procs[i];

		figures__attach(&p->iv, procs_socks[i], WP_MAX_SOCKETS);
		p->tgid = 100 + i;
		snprintf(p->comm, sizeof(p->comm), "p%d", i);
		p->iv.ns = 1000000 * (6 - i);
		p->iv.uj = 1000 * (6 - i);
		p->iv.sock_ns[0] = p->iv.ns;
		p->iv.sock_uj[0] = p->iv.uj;
		p->cgroup = paths[cg_of[i]];
		p->cg = &cgs[cg_of[i]];
		p->names = names_of[i] >= 0 ? &names[names_of[i]] : NULL;
		order[i] = p;
	}
	sm.seq = 1;
	sm.interval_ns = 1000000000;
	sm.sensor = "model";
	sm.estimated = true;
	sm.nr_sockets = 1;
	sm.sockets[0].have[ENERGY_PACKAGE] = true;
	sm.procs = order;
	sm.nr_procs = 6;
}

static const struct view_row *row(const struct view *v, const char *key)
{
	for (__u32 i = 0; i < v->nr; i++)
		if (!strcmp(v->rows[i].key, key))
			return &v->rows[i];
	return NULL;
}

static void build(struct view *v, enum group_by by)
{
	struct view_opts o = { .by = by };

	cr_assert_eq(view__init(v), 0);
	cr_assert_eq(view__build(v, &sm, &o), 0);
}

Test(ctrout, group_by_pod_and_namespace, .init = setup)
{
	const struct view_row *r;
	struct view v;

	build(&v, GROUP_POD);
	r = row(&v, UID1);
	cr_assert_not_null(r);
	cr_assert_eq(r->members, 3);
	cr_assert_eq(r->iv.ns, 15000000);
	cr_assert_str_eq(r->names->pod, "web-0");
	cr_assert_eq(row(&v, UID2)->members, 1);
	/* the Docker container and the host are in no pod */
	cr_assert_eq(row(&v, "(none)")->members, 2);
	cr_assert_eq(v.nr, 3);
	view__free(&v);

	build(&v, GROUP_NAMESPACE);
	cr_assert_eq(row(&v, "shop")->members, 3);
	/* a pod whose namespace no file names: unknown, not guessed */
	cr_assert_eq(row(&v, "(unknown)")->members, 1);
	cr_assert_eq(row(&v, "(none)")->members, 2);
	cr_assert_eq(v.nr, 3);
	view__free(&v);
}

Test(ctrout, json_container_objects, .init = setup)
{
	struct output_opts o = {};
	struct view v;
	struct jw w;

	jw_init(&w);
	build(&v, GROUP_PID);
	json__sample(&w, &sm, VIEWS_OF(&v), &o);
	cr_assert_eq(w.err, 0);
	cr_assert(strstr(w.buf, "\"cgroup\":\"/kubepods/burstable/pod" UID1 "/" ID1 "\","
			 "\"container\":{\"id\":\"" ID1 "\",\"name\":\"app\",\"pod\":\"web-0\","
			 "\"namespace\":\"shop\"}"), "%s", w.buf);
	cr_assert(strstr(w.buf, "\"container\":{\"id\":\"" ID3 "\",\"name\":\"batch\",\"pod\":null,"
			 "\"namespace\":null}"), "%s", w.buf);
	/* the pod's own cgroup and the host: no container */
	cr_assert(strstr(w.buf, "\"cgroup\":\"/system.slice/sshd.service\",\"container\":null"),
		  "%s", w.buf);
	view__free(&v);

	build(&v, GROUP_CONTAINER);
	json__sample(&w, &sm, VIEWS_OF(&v), &o);
	cr_assert(strstr(w.buf, "{\"key\":\"" ID2 "\",\"container\":{\"id\":\"" ID2 "\","
			 "\"name\":\"istio-proxy\",\"pod\":\"web-0\",\"namespace\":\"shop\"},"
			 "\"members\":1"), "%s", w.buf);
	cr_assert(strstr(w.buf, "{\"key\":\"(host)\",\"container\":null,\"members\":2"), "%s", w.buf);
	view__free(&v);

	build(&v, GROUP_POD);
	json__sample(&w, &sm, VIEWS_OF(&v), &o);
	cr_assert(strstr(w.buf, "{\"key\":\"" UID1 "\",\"pod\":{\"uid\":\"" UID1 "\",\"name\":"
			 "\"web-0\",\"namespace\":\"shop\"},\"members\":3"), "%s", w.buf);
	cr_assert(strstr(w.buf, "{\"key\":\"" UID2 "\",\"pod\":{\"uid\":\"" UID2 "\",\"name\":null,"
			 "\"namespace\":null},\"members\":1"), "%s", w.buf);
	view__free(&v);
	jw_free(&w);
}

Test(ctrout, prometheus_names_in_an_info_family, .init = setup)
{
	struct output_opts o = {};
	struct pbuf b;
	struct view v;

	pbuf_init(&b);
	build(&v, GROUP_CONTAINER);
	prom__sample(&b, &sm, VIEWS_OF(&v), &o);
	cr_assert_eq(b.err, 0);
	/* the counters keep their labels whatever becomes known; names are an info series */
	cr_assert(strstr(b.buf, "wattprobe_group_watts{group_by=\"container\",key=\"" ID1 "\"} "),
		  "%s", b.buf);
	cr_assert(strstr(b.buf, "wattprobe_group_info{group_by=\"container\",key=\"" ID1 "\","
			 "container_name=\"app\",pod_name=\"web-0\",pod_namespace=\"shop\"} 1\n"),
		  "%s", b.buf);
	cr_assert(strstr(b.buf, "wattprobe_group_info{group_by=\"container\",key=\"" ID3
			 "\",container_name=\"batch\"} 1\n"), "%s", b.buf);
	cr_assert(strstr(b.buf, "wattprobe_group_processes{group_by=\"container\",key=\"(host)\"} 2\n"),
		  "%s", b.buf);
	cr_assert_null(strstr(b.buf, "wattprobe_group_info{group_by=\"container\",key=\"(host)\""),
		       "%s", b.buf);
	view__free(&v);

	/* pod series: the pod's names, never a container's */
	build(&v, GROUP_POD);
	prom__sample(&b, &sm, VIEWS_OF(&v), &o);
	cr_assert(strstr(b.buf, "wattprobe_group_processes{group_by=\"pod\",key=\"" UID1 "\"} 3\n"),
		  "%s", b.buf);
	cr_assert(strstr(b.buf, "wattprobe_group_info{group_by=\"pod\",key=\"" UID1 "\","
			 "pod_name=\"web-0\",pod_namespace=\"shop\"} 1\n"), "%s", b.buf);
	cr_assert(strstr(b.buf, "wattprobe_group_processes{group_by=\"pod\",key=\"" UID2 "\"} 1\n"),
		  "%s", b.buf);
	cr_assert_null(strstr(b.buf, "container_name=\""), "%s", b.buf);
	view__free(&v);
	pbuf_free(&b);
}
