// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Guests in the outputs, from a hand-built sample: --group-by vm sums a guest's processes
 * under its name, JSON says how it was found and what --vm-export hands it, Prometheus has
 * the usual group series, top escapes a hostile name.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "fixture.h"
#include "output/output.h"
#include "sample/guests.h"
#include "sample/view.h"

static struct fixture F;
static struct guests G;

/* 4 CPUs, 4 J idle: guest1 (libvirt, 2 vCPUs: QEMU and a helper), 4242 (a QEMU without a
 * name), a hostile name from a command line, and bash on the host. */
static void setup(void)
{
	static const struct vm_id ids[] = {
		{ "guest1", VM_SOURCE_CGROUP, 2 }, { "guest1", VM_SOURCE_CGROUP, 0 },
		{ "4242", VM_SOURCE_PID, 1 }, { "../x\x1b[2J", VM_SOURCE_CMDLINE, 1 },
	};
	struct proc *p;

	memset(&F, 0, sizeof(F));
	guests__init(&G);
	fx_begin(&F, 1000000000ULL, 4000000);
	F.s.sockets[0].online_cpus = 4;
	guests__begin(&G);
	for (int i = 0; i < 4; i++) {
		p = fx_proc(&F, 100 + i, 1, i == 1 ? "virtiofsd" : "qemu-kvm", 100000000,
			    1000000 * (4 - i), 0);
		cr_assert_eq(guests__add(&G, p, &ids[i]), 0);
	}
	fx_proc(&F, 200, 1, "bash", 100000000, 500000, 0);
	fx_end(&F);
	guests__end(&G, &F.s);
}

static void teardown(void)
{
	guests__free(&G);
}

TestSuite(vmout, .init = setup, .fini = teardown);

static const struct view_row *row(const struct view *v, const char *key)
{
	for (__u32 i = 0; i < v->nr; i++)
		if (!strcmp(v->rows[i].key, key))
			return &v->rows[i];
	return NULL;
}

static void build(struct view *v)
{
	struct view_opts o = { .by = GROUP_VM };

	cr_assert_eq(view__init(v), 0);
	cr_assert_eq(view__build(v, &F.s, &o), 0);
}

Test(vmout, group_by_vm)
{
	struct view v;

	cr_assert_eq(group_by_parse("vm", &(enum group_by){ 0 }), 0);
	cr_assert_str_eq(group_by_name(GROUP_VM), "vm");
	build(&v);
	cr_assert_eq(v.nr, 4);
	cr_assert_eq(row(&v, "guest1")->members, 2);
	cr_assert_eq(row(&v, "guest1")->iv.uj, 7000000);
	cr_assert_eq(row(&v, "4242")->members, 1);
	cr_assert_eq(row(&v, "(host)")->members, 1);
	cr_assert_null(row(&v, "(host)")->vm);
	cr_assert_str_eq(row(&v, "guest1")->vm->name, "guest1");
	view__free(&v);
}

Test(vmout, json_says_how_it_was_found_and_what_is_exported)
{
	struct output_opts o = {};
	struct view v;
	struct jw w;

	jw_init(&w);
	build(&v);
	json__sample(&w, &F.s, VIEWS_OF(&v), &o);
	cr_assert_eq(w.err, 0);
	/* 7 J of its processes and 2/4 of 4 J of idle: 9 J exported */
	cr_assert(strstr(w.buf, "{\"key\":\"guest1\",\"vm\":{\"source\":\"cgroup\",\"vcpus\":2,"
			 "\"idle_power_w\":2.000,\"export_power_w\":9.000,\"export_energy_j\":9.000000,"
			 "\"export_psys_power_w\":null},\"members\":2,"), "%s", w.buf);
	cr_assert(strstr(w.buf, "{\"key\":\"4242\",\"vm\":{\"source\":\"pid\",\"vcpus\":1,"),
		  "%s", w.buf);
	cr_assert(strstr(w.buf, "{\"key\":\"../x\\u001b[2J\",\"vm\":{\"source\":\"cmdline\","),
		  "%s", w.buf);
	cr_assert(strstr(w.buf, "{\"key\":\"(host)\",\"vm\":null,\"members\":1"), "%s", w.buf);
	view__free(&v);
	jw_free(&w);
}

Test(vmout, prometheus_group_series)
{
	struct output_opts o = {};
	struct pbuf b;
	struct view v;

	pbuf_init(&b);
	build(&v);
	prom__sample(&b, &F.s, VIEWS_OF(&v), &o);
	cr_assert_eq(b.err, 0);
	cr_assert(strstr(b.buf, "wattprobe_group_watts{group_by=\"vm\",key=\"guest1\"} 7\n"),
		  "%s", b.buf);
	cr_assert(strstr(b.buf, "wattprobe_group_processes{group_by=\"vm\",key=\"guest1\"} 2\n"),
		  "%s", b.buf);
	cr_assert(strstr(b.buf, "wattprobe_group_processes{group_by=\"vm\",key=\"(host)\"} 1\n"),
		  "%s", b.buf);
	view__free(&v);
	pbuf_free(&b);
}

Test(vmout, top_shows_guests_escaped)
{
	struct output_opts o = {};
	char buf[8192] = "";
	struct view v;
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	cr_assert(f);
	build(&v);
	cr_assert_eq(top__print(f, &F.s, VIEWS_OF(&v), &o), 0);
	fclose(f);
	cr_assert(strstr(buf, "guest1"), "%s", buf);
	cr_assert(strstr(buf, "../x\\e[2J"), "%s", buf);
	cr_assert_null(strchr(buf, '\x1b'), "%s", buf);
	view__free(&v);
}
