// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The sensor interface: the model's figures worked out by hand, RAPL zones
 * summed per socket with their limits, and what --sensor auto says when it
 * falls back to the model.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include "helpers.h"
#include "energy/sensor.h"

#define SEC 1000000000ULL

static char *tmp;

static void tree_setup(void)
{
	tmp = th_tmpdir();
	cr_assert_not_null(tmp);
	cr_redirect_stderr();
}

static void tree_teardown(void)
{
	th_rmrf(tmp);
	free(tmp);
}

TestSuite(sensor, .init = tree_setup, .fini = tree_teardown);

static void put(const char *zone, const char *file, const char *text)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s/%s", tmp, zone, file);
	cr_assert_eq(th_write_file(path, text), 0, "write %s", path);
}

static void put_uj(const char *zone, unsigned long long uj)
{
	char text[32];

	snprintf(text, sizeof(text), "%020llu\n", uj);
	put(zone, "energy_uj", text);
}

/* Everything the sampler's code wrote to stderr so far. */
static void stderr_text(char *buf, size_t size)
{
	FILE *f = cr_get_redirected_stderr();
	size_t n;

	fflush(stderr);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
}

static const int ids1[] = { 0 }, cpus2[] = { 2 };

Test(sensor, model_uses_the_cloud_averages_per_cpu)
{
	struct sensor_config c = { .tdp_w = 0, .idle_w = -1 };
	double util[] = { 0.5 };
	struct sensor_input in = {
		.elapsed_ns = SEC, .nr_sockets = 1, .socket_ids = ids1, .online_cpus = cpus2,
		.util = util,
	};
	struct sensor_reading rd;
	struct sensor s;
	char err[256];

	cr_assert_eq(sensor__open(&s, sensor__find("model"), &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s.ops->name, "model");
	cr_assert(s.ops->estimated);
	cr_assert_eq(sensor__read(&s, &in, &rd), 0);
	/*
	 * 2 CPUs: full 2 x (3.5 + 4.26 + 3.76) / 3 = 7.68 W, idle 2 x (0.74 + 0.71 +
	 * 0.78) / 3 = 1.486667 W; at half load 1.486667 + 6.193333 / 2 = 4.583333 W,
	 * 4583333 uJ in one second.
	 */
	cr_assert(rd.sockets[0].have[ENERGY_PACKAGE]);
	cr_assert_eq(rd.sockets[0].uj[ENERGY_PACKAGE], 4583333);
	cr_assert_float_eq(rd.sockets[0].idle_w[ENERGY_PACKAGE], 1.486667, 1e-6);
	cr_assert_float_eq(rd.sockets[0].limit_w[ENERGY_PACKAGE], 7.68, 1e-9);
	cr_assert(!rd.sockets[0].have[ENERGY_DRAM]);
	sensor__close(&s);
	cr_assert_null(s.ops);
}

Test(sensor, model_flags_override_the_coefficients)
{
	struct sensor_config c = { .tdp_w = 100, .idle_w = 20 };
	double util[] = { 0.25 };
	struct sensor_input in = {
		.elapsed_ns = SEC / 2, .nr_sockets = 1, .socket_ids = ids1, .online_cpus = cpus2,
		.util = util,
	};
	struct sensor_reading rd;
	struct sensor s;
	char err[256];

	cr_assert_eq(sensor__open(&s, sensor__find("model"), &c, err, sizeof(err)), 0);
	sensor__read(&s, &in, &rd);
	/* 20 + 80 x 0.25 = 40 W for 0.5 s */
	cr_assert_eq(rd.sockets[0].uj[ENERGY_PACKAGE], 20000000);
	cr_assert_float_eq(rd.sockets[0].idle_w[ENERGY_PACKAGE], 20, 1e-12);

	/* --tdp alone: idle keeps the cloud averages' share, 0.74333 / 3.84 of it */
	sensor__close(&s);
	c.idle_w = -1;
	sensor__open(&s, sensor__find("model"), &c, err, sizeof(err));
	sensor__read(&s, &in, &rd);
	cr_assert_float_eq(rd.sockets[0].idle_w[ENERGY_PACKAGE], 100 * 2.23 / 11.52, 1e-9);
	sensor__close(&s);
}

Test(sensor, model_power_clamps_util)
{
	cr_assert_float_eq(model_power_w(100, 20, 0.5), 60.0, 1e-9);
	cr_assert_float_eq(model_power_w(100, 20, 0.0), 20.0, 1e-9);
	cr_assert_float_eq(model_power_w(100, 20, 1.7), 100.0, 1e-9, "util above 1 is 1");
	cr_assert_float_eq(model_power_w(100, 20, -0.3), 20.0, 1e-9, "util below 0 is 0");
}

/*
 * A two-die package (limits 100 W each) and its DRAM, numbered against the
 * topology's order: the dies add up, energy and limit.
 */
Test(sensor, rapl_sums_dies_and_hands_on_limits)
{
	struct sensor_config c = { .powercap_root = tmp, .idle_w = -1 };
	const int ids[] = { 3 }, cpus[] = { 8 };
	double util[] = { 0.5 };
	struct sensor_input in = {
		.elapsed_ns = 0, .nr_sockets = 1, .socket_ids = ids, .online_cpus = cpus,
		.util = util,
	};
	struct sensor_reading rd;
	struct sensor s;
	char err[256];

	put("intel-rapl:0", "name", "package-3-die-0\n");
	put("intel-rapl:0", "constraint_0_name", "long_term\n");
	put("intel-rapl:0", "constraint_0_max_power_uw", "100000000\n");
	put_uj("intel-rapl:0", 1000);
	put("intel-rapl:1", "name", "package-3-die-1\n");
	put("intel-rapl:1", "constraint_0_name", "long_term\n");
	put("intel-rapl:1", "constraint_0_power_limit_uw", "100000000\n");
	put_uj("intel-rapl:1", 1000);
	put("intel-rapl:0:0", "name", "dram\n");
	put_uj("intel-rapl:0:0", 10);
	cr_assert_eq(sensor__open(&s, sensor__find("rapl"), &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s.ops->name, "rapl");
	cr_assert(!s.ops->estimated);
	sensor__read(&s, &in, &rd);
	cr_assert(!rd.sockets[0].have[ENERGY_PACKAGE], "the first reading is no interval");
	cr_assert_str_eq(rd.sockets[0].gap, "first reading");

	put_uj("intel-rapl:0", 1000 + 30000000);
	put_uj("intel-rapl:1", 1000 + 20000000);
	put_uj("intel-rapl:0:0", 10 + 5000000);
	in.elapsed_ns = SEC;
	sensor__read(&s, &in, &rd);
	cr_assert(rd.sockets[0].have[ENERGY_PACKAGE]);
	cr_assert_eq(rd.sockets[0].uj[ENERGY_PACKAGE], 50000000);
	cr_assert_eq(rd.sockets[0].uj[ENERGY_DRAM], 5000000);
	cr_assert_null(rd.sockets[0].gap);
	cr_assert_float_eq(rd.sockets[0].limit_w[ENERGY_PACKAGE], 200, 1e-9);
	cr_assert_float_eq(rd.sockets[0].limit_w[ENERGY_DRAM], 0, 1e-9, "no DRAM limit");
	cr_assert_float_eq(rd.sockets[0].idle_w[ENERGY_PACKAGE], -1, 1e-9, "RAPL has no idle");
	sensor__close(&s);
}

Test(sensor, auto_without_rapl_is_the_model_quietly)
{
	struct sensor_config c = { .powercap_root = tmp, .idle_w = -1 };
	char err[256], text[4096];
	struct sensor_set set;

	cr_assert_eq(sensor_set__open(&set, NULL, &c, err, sizeof(err)), 0);
	cr_assert_str_eq(sensor_set__ops(&set, SENSOR_ROLE_CPU)->name, "model");
	sensor_set__close(&set);
	stderr_text(text, sizeof(text));
	cr_assert_str_eq(text, "", "said: %s", text);
}

/* Zones that are there but have no name: the fallback is no longer silent. */
Test(sensor, auto_with_nameless_zones_warns)
{
	struct sensor_config c = { .powercap_root = tmp, .idle_w = -1 };
	char err[256], text[4096];
	struct sensor_set set;
	struct sensor s;

	put_uj("intel-rapl:0", 5);
	put_uj("intel-rapl:1", 5);
	cr_assert_eq(sensor_set__open(&set, "auto", &c, err, sizeof(err)), 0);
	cr_assert_str_eq(sensor_set__ops(&set, SENSOR_ROLE_CPU)->name, "model");
	sensor_set__close(&set);
	stderr_text(text, sizeof(text));
	cr_assert_not_null(strstr(text, "intel-rapl:0 has no readable name"), "said: %s", text);
	cr_assert_not_null(strstr(text, "none with a readable name"), "said: %s", text);
	cr_assert_not_null(strstr(text, "using the power model"), "said: %s", text);

	/* --sensor rapl fails with the reason */
	cr_assert_eq(sensor__open(&s, sensor__find("rapl"), &c, err, sizeof(err)), -ENODATA);
	cr_assert_not_null(strstr(err, "readable name"), "%s", err);
	cr_assert_eq(sensor_set__open(&set, "rapl", &c, err, sizeof(err)), -ENODATA);
	cr_assert_not_null(strstr(err, "--sensor rapl: "), "%s", err);
	cr_assert_null(sensor_set__ops(&set, SENSOR_ROLE_CPU), "nothing left open");
}

/* The table makes --sensor: every name is found, checked, and in the help. */
Test(sensor, the_table_makes_the_option)
{
	char err[256], help[2048];
	int nr = 0;

	sensor__help(help, sizeof(help));
	for (; sensor_table[nr]; nr++) {
		const struct sensor_ops *ops = sensor_table[nr];
		char line[64];

		cr_assert_eq(sensor__find(ops->name), ops);
		cr_assert_eq(sensor__check_list(ops->name, err, sizeof(err)), 0, "%s", err);
		snprintf(line, sizeof(line), "\n%s (%s): ", ops->name, sensor_role_name(ops->role));
		cr_assert_not_null(strstr(help, line), "%s not in: %s", line, help);
		cr_assert(ops->title && ops->help && ops->open && ops->read && ops->close);
	}
	cr_assert_geq(nr, 2);
	cr_assert_eq(sensor__check_list("auto", err, sizeof(err)), 0);
	cr_assert_eq(sensor__check_list("rapl,model", err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "both measure the cpu"), "%s", err);
	cr_assert_eq(sensor__check_list("rapl,", err, sizeof(err)), -EINVAL);
	cr_assert_eq(sensor__check_list("nosuch", err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "unknown sensor 'nosuch'"), "%s", err);
	cr_assert_not_null(strstr(err, "rapl"), "the known ones are named: %s", err);
}

/* A set reads every role it holds into one reading: the model fills the sockets. */
Test(sensor, a_set_reads_its_sensors)
{
	struct sensor_config c = { .powercap_root = tmp, .idle_w = -1, .tdp_w = 10 };
	int ids[1] = { 0 }, cpus[1] = { 2 };
	double util[1] = { 0.5 };
	struct sensor_input in = { .elapsed_ns = 1000000000, .nr_sockets = 1, .socket_ids = ids,
				   .online_cpus = cpus, .util = util };
	struct sensor_reading rd;
	struct sensor_set set;
	char err[256];

	cr_assert_eq(sensor_set__open(&set, "model", &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(sensor_set__ops(&set, SENSOR_ROLE_GPU));
	cr_assert_eq(sensor_set__read(&set, &in, &rd), 0);
	cr_assert(rd.sockets[0].have[ENERGY_PACKAGE]);
	/* 10 W full, idle 2.23 / 11.52 of it (0.743 of 3.84 W per CPU) = 1.9357638 W, half
	 * load: 1.9357638 + (10 - 1.9357638) / 2 = 5.9678819 W over 1 s */
	cr_assert_eq(rd.sockets[0].uj[ENERGY_PACKAGE], 5967882);
	cr_assert_float_eq(rd.sockets[1].idle_w[ENERGY_PACKAGE], -1, 1e-9, "unread: unknown");
	sensor_set__close(&set);
}
