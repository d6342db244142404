// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The guests of a host and their shares of its energy, on hand-computed samples. */
#include <criterion/criterion.h>
#include <string.h>
#include "fixture.h"
#include "sample/guests.h"

static struct fixture F;
static struct guests G;

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	guests__init(&G);
}

static void teardown(void)
{
	guests__free(&G);
}

TestSuite(guests, .init = setup, .fini = teardown);

static struct vm_id vm(const char *name, enum vm_source src, unsigned vcpus)
{
	struct vm_id id = { .source = src, .vcpus = vcpus };

	snprintf(id.name, sizeof(id.name), "%s", name);
	return id;
}

static const struct sample_guest *guest(const char *name)
{
	for (__u32 i = 0; i < F.s.nr_guests; i++)
		if (!strcmp(F.s.guests[i]->id.name, name))
			return F.s.guests[i];
	return NULL;
}

/* One interval of 1 s on a host of online CPUs: idle_uj of idle (the package's). */
static void begin(int cpus, __u64 idle_uj)
{
	fx_begin(&F, 1000000000ULL, idle_uj);
	F.s.sockets[0].online_cpus = cpus;
	guests__begin(&G);
}

static void add(struct proc *p, struct vm_id id)
{
	cr_assert_eq(guests__add(&G, p, &id), 0);
}

static void end(void)
{
	fx_end(&F);
	guests__end(&G, &F.s);
}

Test(guests, dynamic_split_by_domain_idle_by_vcpus)
{
	struct proc *q;
	const struct sample_guest *g;

	/* 8 CPUs; package 10 J of which 4 J idle, DRAM 2 J of which 1 J idle: pools 6 J and 1 J;
	 * the guest's processes got 3.5 J of the 7 J, so 0.5 J of it is DRAM's */
	begin(8, 4000000);
	q = fx_proc(&F, 100, 1, "qemu-kvm", 500000000, 3500000, 0);
	fx_proc(&F, 200, 1, "bash", 500000000, 3500000, 0);
	F.s.sockets[0].uj[ENERGY_PACKAGE] = 10000000;
	F.s.sockets[0].have[ENERGY_DRAM] = true;
	F.s.sockets[0].uj[ENERGY_DRAM] = 2000000;
	F.s.sockets[0].idle_dom_uj[ENERGY_DRAM] = 1000000;
	F.s.sockets[0].limit_w[ENERGY_PACKAGE] = 80;
	add(q, vm("guest1", VM_SOURCE_CGROUP, 2));
	end();
	cr_assert_eq(F.s.nr_guests, 1);
	g = guest("guest1");
	cr_assert(g);
	cr_expect(q->vm == &g->id, "the process points at its guest");
	cr_expect_eq(g->members, 1);
	cr_expect_eq(g->iv.uj, 3500000);
	cr_expect(g->have);
	cr_expect_eq(g->dyn_uj[ENERGY_PACKAGE], 3000000, "%llu", g->dyn_uj[ENERGY_PACKAGE]);
	cr_expect_eq(g->dyn_uj[ENERGY_DRAM], 500000);
	/* 2 vCPUs of 8 CPUs: a quarter of each idle */
	cr_expect_eq(g->idle_uj[ENERGY_PACKAGE], 1000000);
	cr_expect_eq(g->idle_uj[ENERGY_DRAM], 250000);
	cr_expect_eq(sample_guest__uj(g, ENERGY_PACKAGE), 4000000);
	cr_expect_float_eq(g->limit_w[ENERGY_PACKAGE], 20, 1e-9);
	cr_expect_float_eq(g->limit_w[ENERGY_DRAM], 0, 1e-9, "no DRAM limit: unknown");
}

Test(guests, overcommitted_guests_never_get_more_than_idle)
{
	struct proc *p[3];
	__u64 sum = 0;

	/* 3 guests of 4 vCPUs on 8 CPUs: 12 vCPUs, each gets 4/12 of the 6 J of idle */
	begin(8, 6000000);
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "g%d", i);
		p[i] = fx_proc(&F, 100 + i, 1, "qemu-kvm", 100000000, 1000000, 0);
		add(p[i], vm(name, VM_SOURCE_CMDLINE, 4));
	}
	end();
	cr_assert_eq(F.s.nr_guests, 3);
	for (__u32 i = 0; i < 3; i++) {
		cr_expect_eq(F.s.guests[i]->idle_uj[ENERGY_PACKAGE], 2000000);
		sum += F.s.guests[i]->idle_uj[ENERGY_PACKAGE];
	}
	cr_expect_leq(sum, F.s.sockets[0].idle_uj);
}

Test(guests, a_guest_lives_while_its_process_does_even_idle)
{
	struct proc *q;
	const struct sample_guest *g;

	begin(4, 4000000);
	q = fx_proc(&F, 100, 1, "qemu-kvm", 500000000, 2000000, 0);
	add(q, vm("web", VM_SOURCE_CMDLINE, 1));
	end();
	/* the next interval its process did not run: still there, its share of idle only */
	begin(4, 4000000);
	end();
	g = guest("web");
	cr_assert(g, "an idle guest goes on");
	cr_expect_eq(g->members, 0);
	cr_expect_eq(g->iv.uj, 0);
	cr_expect_eq(g->idle_uj[ENERGY_PACKAGE], 1000000);
	/* its process leaves the table: the guest goes at the next interval */
	guests__forget(&G, 100, 1);
	begin(4, 4000000);
	end();
	cr_expect_null(guest("web"));
	cr_expect_eq(F.s.nr_guests, 0);
}

Test(guests, an_exited_process_counts_its_last_interval)
{
	struct proc *q;

	begin(4, 4000000);
	q = fx_proc(&F, 100, 1, "qemu-kvm", 500000000, 2000000, 0);
	q->exited = true;
	/* the table let it go before the sample's guests were made: still counted */
	guests__forget(&G, 100, 1);
	add(q, vm("web", VM_SOURCE_CMDLINE, 1));
	end();
	cr_assert(guest("web"));
	cr_expect_eq(guest("web")->iv.uj, 2000000);
	begin(4, 4000000);
	end();
	cr_expect_null(guest("web"), "gone with its last process");
}

Test(guests, processes_of_one_name_are_one_guest)
{
	struct proc *a, *b;
	const struct sample_guest *g;

	/* QEMU and a helper in libvirt's scope: one guest, QEMU's vCPUs */
	begin(8, 8000000);
	a = fx_proc(&F, 100, 1, "qemu-kvm", 400000000, 2000000, 0);
	b = fx_proc(&F, 101, 1, "virtiofsd", 100000000, 500000, 0);
	add(a, vm("db", VM_SOURCE_CGROUP, 4));
	add(b, vm("db", VM_SOURCE_CGROUP, 0));
	end();
	cr_assert_eq(F.s.nr_guests, 1);
	g = guest("db");
	cr_expect_eq(g->members, 2);
	cr_expect_eq(g->iv.ns, 500000000);
	cr_expect_eq(g->iv.uj, 2500000);
	cr_expect_eq(g->id.vcpus, 4);
	cr_expect_eq(g->idle_uj[ENERGY_PACKAGE], 4000000);
	cr_expect(a->vm == b->vm);
}

Test(guests, unknown_vcpus_count_as_one)
{
	struct proc *q;

	begin(4, 4000000);
	q = fx_proc(&F, 100, 1, "firecracker", 100000000, 1000000, 0);
	add(q, vm("fc", VM_SOURCE_CMDLINE, 0));
	end();
	cr_expect_eq(guest("fc")->id.vcpus, 0);
	cr_expect_eq(guest("fc")->vcpus, 1);
	cr_expect_eq(guest("fc")->idle_uj[ENERGY_PACKAGE], 1000000);
}

Test(guests, missing_energy_is_missing)
{
	struct proc *q;

	begin(4, 4000000);
	q = fx_proc(&F, 100, 1, "qemu-kvm", 100000000, 1000000, 0);
	F.s.have_energy = false;
	add(q, vm("x", VM_SOURCE_CMDLINE, 1));
	end();
	cr_expect_not(guest("x")->have);
	cr_expect_eq(sample_guest__uj(guest("x"), ENERGY_PACKAGE), 0);
}

Test(guests, psys_dynamic_by_time_idle_by_vcpus)
{
	struct proc *q;
	const struct sample_guest *g;

	/* psys 30 J of which 10 J baseline: 20 J dynamic; the guest ran a quarter of the
	 * processes' time and has 1 vCPU of 4 */
	begin(4, 4000000);
	q = fx_proc(&F, 100, 1, "qemu-kvm", 250000000, 1000000, 0);
	fx_proc(&F, 101, 1, "bash", 750000000, 3000000, 0);
	F.s.have_psys = true;
	F.s.psys_uj = 30000000;
	F.s.psys_idle_uj = 10000000;
	F.s.psys_limit_w = 120;
	add(q, vm("p", VM_SOURCE_CMDLINE, 1));
	end();
	g = guest("p");
	cr_expect_eq(g->dyn_uj[ENERGY_PSYS], 5000000);
	cr_expect_eq(g->idle_uj[ENERGY_PSYS], 2500000);
	cr_expect_float_eq(g->limit_w[ENERGY_PSYS], 30, 1e-9);
}
