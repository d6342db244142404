// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * hwmon power meters and energy counters (hwmon.c): the names of the sysfs
 * ABI, the table of chips, the energy of a reading, and discovery in trees
 * written here by hand. Expected energies are worked out in the comments.
 */
#include <criterion/criterion.h>
#include "energy/hwmon.h"
#include "helpers.h"

#define ALL (HWMON_WANT(HWMON_CPU) | HWMON_WANT(HWMON_PLATFORM))

static char *root;

static void hw_setup(void)
{
	root = th_tmpdir();
	cr_assert(root);
}

static void hw_teardown(void)
{
	th_rmrf(root);
	free(root);
}

TestSuite(hwmon, .init = hw_setup, .fini = hw_teardown);

static void put(const char *rel, const char *text)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_eq(th_write_file(path, text), 0, "%s", path);
}

Test(hwmon, parse_attr)
{
	enum hwmon_type t;
	const char *item;
	int n;

	cr_assert_eq(hwmon_parse_attr("power1_average", &t, &n, &item), 0);
	cr_assert_eq(t, HWMON_T_POWER);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(item, "average");
	cr_assert_eq(hwmon_parse_attr("in0_input", &t, &n, &item), 0);
	cr_assert_eq(t, HWMON_T_IN);
	cr_assert_eq(n, 0);
	cr_assert_eq(hwmon_parse_attr("energy12_input", &t, &n, &item), 0);
	cr_assert_eq(t, HWMON_T_ENERGY);
	cr_assert_eq(n, 12);
	cr_assert_eq(hwmon_parse_attr("curr3_label", &t, &n, &item), 0);
	cr_assert_eq(t, HWMON_T_CURR);
	cr_assert_str_eq(item, "label");
	cr_assert_eq(hwmon_parse_attr("temp1_input", &t, &n, &item), -EINVAL);
	cr_assert_eq(hwmon_parse_attr("power_input", &t, &n, &item), -EINVAL);
	cr_assert_eq(hwmon_parse_attr("power1", &t, &n, &item), -EINVAL);
	cr_assert_eq(hwmon_parse_attr("power1_", &t, &n, &item), -EINVAL);
	cr_assert_eq(hwmon_parse_attr("name", &t, &n, &item), -EINVAL);
	cr_assert_eq(hwmon_parse_attr("in99999999999_input", &t, &n, &item), -EINVAL);
}

Test(hwmon, the_table)
{
	const struct hwmon_rule *r;

	r = hwmon_match("power_meter", "power1");
	cr_assert(r && r->role == HWMON_PLATFORM);
	r = hwmon_match("amd_energy", "Esocket1");
	cr_assert(r && r->role == HWMON_CPU);
	cr_assert_null(hwmon_match("amd_energy", "Ecore017"), "cores are in their socket");
	cr_assert(hwmon_match("apm_xgene", "CPU power"));
	cr_assert_null(hwmon_match("apm_xgene", "IO power"));
	cr_assert_eq(hwmon_match("ina3221", "VDD_IN")->role, HWMON_PLATFORM);
	cr_assert_null(hwmon_match("ina3221", "VDD_SOC"));
	cr_assert_null(hwmon_match("nct6775", "power1"));
	cr_assert_eq(hwmon_socket_of("Esocket1"), 1);
	cr_assert_eq(hwmon_socket_of("Esocket12"), 12);
	cr_assert_eq(hwmon_socket_of("CPU power"), 0);
	cr_assert_eq(hwmon_socket_of("Esocket"), 0);
}

Test(hwmon, parse_value)
{
	long long v;

	cr_assert_eq(hwmon_parse_value("123\n", 4, &v), 0);
	cr_assert_eq(v, 123);
	cr_assert_eq(hwmon_parse_value("-45", 3, &v), 0);
	cr_assert_eq(v, -45);
	cr_assert_eq(hwmon_parse_value("000000000000000120000000\n", 25, &v), 0);
	cr_assert_eq(v, 120000000);
	cr_assert_eq(hwmon_parse_value("", 0, &v), -EINVAL);
	cr_assert_eq(hwmon_parse_value("-", 1, &v), -EINVAL);
	cr_assert_eq(hwmon_parse_value("12a", 3, &v), -EINVAL);
	cr_assert_eq(hwmon_parse_value(" 1", 2, &v), -EINVAL);
	cr_assert_eq(hwmon_parse_value("99999999999999999999", 20, &v), -ERANGE);
}

Test(hwmon, step_energy_counter)
{
	struct hwmon_channel c = { .kind = HWMON_ENERGY };
	__u64 uj;

	cr_assert_eq(hwmon_step(&c, 1000, 0, &uj), HWMON_FIRST);
	cr_assert_eq(hwmon_step(&c, 51000, 1000000000, &uj), HWMON_OK);
	cr_assert_eq(uj, 50000);
	cr_assert_eq(hwmon_step(&c, 20, 1000000000, &uj), HWMON_RESET, "backwards");
	cr_assert_eq(uj, 0);
	cr_assert_eq(hwmon_step(&c, 120, 1000000000, &uj), HWMON_OK, "from the new baseline");
	cr_assert_eq(uj, 100);
}

Test(hwmon, step_average_and_trapezoid)
{
	struct hwmon_channel a = { .kind = HWMON_POWER_AVERAGE };
	struct hwmon_channel p = { .kind = HWMON_POWER_INPUT };
	__u64 uj;

	/* an average meter: 120 W x 0.5 s = 60 J, from the first reading on */
	cr_assert_eq(hwmon_step(&a, 120000000, 500000000, &uj), HWMON_OK);
	cr_assert_eq(uj, 60000000);
	/* instantaneous: first a reading, then (10 W + 30 W) / 2 x 2 s = 40 J */
	cr_assert_eq(hwmon_step(&p, 10000000, 0, &uj), HWMON_FIRST);
	cr_assert_eq(hwmon_step(&p, 30000000, 2000000000, &uj), HWMON_OK);
	cr_assert_eq(uj, 40000000);
	/* a negative reading (a current sensor's noise near 0 A) counts as 0 W: 15 J */
	cr_assert_eq(hwmon_step(&p, -5000, 1000000000, &uj), HWMON_OK);
	cr_assert_eq(uj, 15000000);
}

static const struct hwmon_channel *find(const struct hwmon *h, const char *chip,
					const char *label)
{
	for (int i = 0; i < h->nr; i++)
		if (!strcmp(h->ch[i].chip, chip) && !strcmp(h->ch[i].label, label))
			return &h->ch[i];
	return NULL;
}

Test(hwmon, discovery_roles_and_readings)
{
	struct hwmon_reading rd[HWMON_MAX_CHANNELS];
	const struct hwmon_channel *pm, *so, *co, *vin, *soc, *nct;
	struct hwmon h;
	char err[512];

	/* hwmon0: an ACPI power meter, no label, 1 s averaging */
	put("hwmon0/name", "power_meter\n");
	put("hwmon0/power1_average", "250000000\n");
	put("hwmon0/power1_average_interval", "1000\n");
	/* hwmon2 (listed before hwmon10): amd_energy, a socket and a core */
	put("hwmon2/name", "amd_energy\n");
	put("hwmon2/energy1_input", "5000\n");
	put("hwmon2/energy1_label", "Ecore000\n");
	put("hwmon2/energy2_input", "1000000\n");
	put("hwmon2/energy2_label", "Esocket0\n");
	/* hwmon10: ina3221, labels on in only; curr2 has its own label that names in3 */
	put("hwmon10/name", "ina3221\n");
	put("hwmon10/in1_input", "5000\n");
	put("hwmon10/in1_label", "VDD_IN\n");
	put("hwmon10/curr1_input", "2000\n");
	put("hwmon10/in3_input", "1000\n");
	put("hwmon10/in3_label", "VDD_SOC\n");
	put("hwmon10/curr2_input", "700\n");
	put("hwmon10/curr2_label", "VDD_SOC\n");
	/* hwmon11: a chip the table does not know, its files under device/ */
	put("hwmon11/device/name", "nct6775\n");
	put("hwmon11/device/power1_input", "5000000\n");

	cr_assert_eq(hwmon__open(&h, root, ALL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h.nr_chips, 4);
	pm = find(&h, "power_meter", "power1");
	so = find(&h, "amd_energy", "Esocket0");
	co = find(&h, "amd_energy", "Ecore000");
	vin = find(&h, "ina3221", "VDD_IN");
	soc = find(&h, "ina3221", "VDD_SOC");
	nct = find(&h, "nct6775", "power1");
	cr_assert(pm && so && co && vin && soc && nct);
	cr_assert_eq(pm->kind, HWMON_POWER_AVERAGE);
	cr_assert_float_eq(pm->update_ms, 1000, 1e-9);
	cr_assert_eq(so->role, HWMON_CPU);
	cr_assert_eq(so->socket, 0);
	cr_assert_eq(co->role, HWMON_UNUSED);
	cr_assert_eq(vin->kind, HWMON_CURR_VOLT);
	cr_assert_eq(vin->m, 1);
	cr_assert_eq(soc->n, 2);
	cr_assert_eq(soc->m, 3, "curr2 goes with the in of its label");
	cr_assert_eq(nct->role, HWMON_UNUSED);
	/* two platform meters: the power meter's average outranks INA's readings */
	cr_assert_eq(pm->role, HWMON_PLATFORM);
	cr_assert_eq(vin->role, HWMON_UNUSED);
	cr_assert_eq(vin->same_as, pm - h.ch);
	cr_assert(strstr(nct->dir, "hwmon11/device"));

	cr_assert_eq(hwmon__read(&h, 0, rd), h.nr);
	cr_assert_eq(rd[pm - h.ch].status, HWMON_OK);
	cr_assert_eq(rd[so - h.ch].status, HWMON_FIRST);
	put("hwmon0/power1_average", "200000000\n");
	put("hwmon2/energy2_input", "31000000\n");
	cr_assert_eq(hwmon__read(&h, 500000000, rd), h.nr);
	/* 200 W x 0.5 s = 100 J; the socket counted 30 J */
	cr_assert_eq(rd[pm - h.ch].uj, 100000000);
	cr_assert_eq(rd[so - h.ch].status, HWMON_OK);
	cr_assert_eq(rd[so - h.ch].uj, 30000000);
	cr_assert_eq(rd[nct - h.ch].status, HWMON_OK, "unused channels are not read");
	cr_assert_eq(rd[nct - h.ch].uj, 0);
	hwmon__close(&h);
}

Test(hwmon, curr_times_volt)
{
	struct hwmon_reading rd[HWMON_MAX_CHANNELS];
	struct hwmon h;
	char err[512];

	put("hwmon0/name", "ina3221\n");
	put("hwmon0/in1_input", "5000\n");
	put("hwmon0/in1_label", "VDD_IN\n");
	put("hwmon0/curr1_input", "2000\n");
	cr_assert_eq(hwmon__open(&h, root, ALL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(h.ch[0].role, HWMON_PLATFORM);
	cr_assert_eq(hwmon__read(&h, 0, rd), 1);
	cr_assert_eq(rd[0].status, HWMON_FIRST);
	/* 2000 mA x 5000 mV = 10 W, then 3 A x 5 V = 15 W: 12.5 W over 2 s = 25 J */
	cr_assert_float_eq(rd[0].uw, 10e6, 1e-6);
	put("hwmon0/curr1_input", "3000\n");
	cr_assert_eq(hwmon__read(&h, 2000000000, rd), 1);
	cr_assert_eq(rd[0].status, HWMON_OK);
	cr_assert_eq(rd[0].uj, 25000000);
	hwmon__close(&h);
}

Test(hwmon, nothing_known_is_enoent)
{
	struct hwmon h;
	char err[512], path[4200];

	put("hwmon0/name", "nct6775\n");
	put("hwmon0/power1_input", "5000000\n");
	put("hwmon1/name", "coretemp\n");
	put("hwmon1/temp1_input", "40000\n");
	cr_assert_eq(hwmon__open(&h, root, ALL, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "2 chips, 1 power or energy channel"), "%s", err);
	/* a CPU meter is not a platform meter */
	put("hwmon2/name", "amd_energy\n");
	put("hwmon2/energy1_input", "1\n");
	put("hwmon2/energy1_label", "Esocket0\n");
	cr_assert_eq(hwmon__open(&h, root, HWMON_WANT(HWMON_PLATFORM), err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "no platform meter"), "%s", err);
	cr_assert_eq(hwmon__open(&h, root, HWMON_WANT(HWMON_CPU), err, sizeof(err)), 0, "%s", err);
	hwmon__close(&h);
	snprintf(path, sizeof(path), "%s/none", root);
	cr_assert_eq(hwmon__open(&h, path, ALL, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "failed to list"), "%s", err);
}

Test(hwmon, a_chip_that_goes_away_is_a_gap_then_reads_again)
{
	struct hwmon_reading rd[HWMON_MAX_CHANNELS];
	struct hwmon h;
	char err[512], path[4200];

	put("hwmon0/name", "amd_energy\n");
	put("hwmon0/energy1_input", "1000\n");
	put("hwmon0/energy1_label", "Esocket0\n");
	cr_assert_eq(hwmon__open(&h, root, ALL, err, sizeof(err)), 0, "%s", err);
	hwmon__read(&h, 0, rd);
	snprintf(path, sizeof(path), "%s/hwmon0/energy1_input", root);
	cr_assert_eq(unlink(path), 0);
	put("hwmon0/energy1_input", "garbage\n");
	/* the open file is the old one (unlinked), still 1000: a step of 0 */
	hwmon__read(&h, 100000000, rd);
	close(h.ch[0].fd);
	h.ch[0].fd = -1;
	cr_assert_eq(hwmon__read(&h, 100000000, rd), 1);
	cr_assert_eq(rd[0].status, HWMON_GARBAGE);
	put("hwmon0/energy1_input", "9000\n");
	hwmon__read(&h, 100000000, rd);
	cr_assert_eq(rd[0].status, HWMON_FIRST, "a fresh baseline after a gap");
	put("hwmon0/energy1_input", "9500\n");
	hwmon__read(&h, 100000000, rd);
	cr_assert_eq(rd[0].status, HWMON_OK);
	cr_assert_eq(rd[0].uj, 500);
	hwmon__close(&h);
}
