// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The idle baselines in the outputs, from a hand-built sample: per socket
 * and domain, how sure they are, and Prometheus labels that never change
 * with the baseline's source.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "output/output.h"

static struct sample S;
static struct view V;

static void setup(void)
{
	memset(&S, 0, sizeof(S));
	cr_assert_eq(view__init(&V), 0);
	S.interval_ns = 1000000000;
	S.sensor = "rapl";
	S.nr_sockets = 2;
	S.have_energy = true;
	for (int k = 0; k < 2; k++) {
		S.sockets[k].id = k;
		S.sockets[k].have[ENERGY_PACKAGE] = true;
		S.sockets[k].uj[ENERGY_PACKAGE] = 40000000;
	}
	S.sockets[0].have[ENERGY_DRAM] = true;
	S.sockets[0].uj[ENERGY_DRAM] = 5000000;
	S.sockets[0].baseline[ENERGY_PACKAGE] = (struct sample_baseline){
		.have = true, .idle_w = 10.02, .src = IDLE_FIT, .prior_w = 7.743,
		.prior_from = "constraint_0_max_power_uw", .prior_share = 0.0312, .intervals = 120,
		.outliers = 2, .util_spread = 0.3125, .residual_w = 0.41,
		.have_curve = true, .idle_lo_w = 9.5, .idle_hi_w = 10.625,
		.curve_w = { 10.02, 22.5, 28, 33.25, 40 },
	};
	S.sockets[0].baseline[ENERGY_DRAM] = (struct sample_baseline){
		.have = true, .idle_w = 3.5, .src = IDLE_BLEND, .prior_w = 2.5,
		.prior_from = "observed power", .prior_share = 0.5, .intervals = 120,
		.util_spread = 0.3125, .residual_w = 0.1,
	};
	S.sockets[1].baseline[ENERGY_PACKAGE] = (struct sample_baseline){
		.have = true, .idle_w = 7.743, .src = IDLE_PRIOR, .prior_w = 7.743,
		.prior_from = "constraint_0_max_power_uw", .prior_share = 1, .intervals = 3,
		.util_spread = 0.001, .residual_w = 0.2,
		.have_curve = true, .idle_lo_w = 0, .idle_hi_w = 20.77,
		.curve_w = { 7.743, 15.8, 22, 29.5, 40 },
	};
}

static void teardown(void)
{
	view__free(&V);
}

TestSuite(baseline_out, .init = setup, .fini = teardown);

/* The page into b (pbuf_init'ed by the caller, pbuf_reset by prom__sample). */
static char *prom_page(struct pbuf *b)
{
	struct output_opts o = {};

	prom__sample(b, &S, VIEWS_OF(&V), &o);
	cr_assert_eq(b->err, 0);
	return b->buf;
}

Test(baseline_out, prometheus_one_series_per_socket_and_domain)
{
	struct pbuf b;
	char *page;

	pbuf_init(&b);
	page = prom_page(&b);

	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_idle_baseline_watts{socket=\"0\",domain=\"package\"} 10.02\n"),
		"%s", page);
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_idle_baseline_watts{socket=\"0\",domain=\"dram\"} 3.5\n"));
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_idle_baseline_watts{socket=\"1\",domain=\"package\"} 7.743\n"));
	cr_assert_null(strstr(page, "{socket=\"1\",domain=\"dram\"}"), "no DRAM on socket 1");
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_baseline_prior_ratio{socket=\"0\",domain=\"package\"} 0.0312\n"));
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_baseline_intervals{socket=\"0\",domain=\"package\"} 120\n"));
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_baseline_cpu_spread_ratio{socket=\"0\",domain=\"package\"} 0.3125\n"));
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_baseline_residual_watts{socket=\"0\",domain=\"package\"} 0.41\n"));
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_baseline_info{socket=\"1\",domain=\"package\",method=\"learnt\"} 1\n"));
	/* no baseline series has a source label (sensor_info's says where the sensor reads,
	 * fixed for the agent's life) */
	for (const char *l = page; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "wattprobe_socket_", 17))
			cr_assert_null(memmem(l, strcspn(l, "\n"), "source=", 7),
				       "a source label starts a new series when it flips");
	/* the curve and the range idle is in */
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_idle_baseline_low_watts{socket=\"0\",domain=\"package\"} 9.5\n"));
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_idle_baseline_high_watts{socket=\"0\",domain=\"package\"} 10.625\n"));
	cr_assert_not_null(strstr(page, "\nwattprobe_socket_power_curve_watts{socket=\"0\","
				       "domain=\"package\",load=\"0\"} 10.02\n"));
	cr_assert_not_null(strstr(page, "\nwattprobe_socket_power_curve_watts{socket=\"0\","
				       "domain=\"package\",load=\"0.25\"} 22.5\n"));
	cr_assert_not_null(strstr(page, "\nwattprobe_socket_power_curve_watts{socket=\"1\","
				       "domain=\"package\",load=\"1\"} 40\n"));
	cr_assert_not_null(strstr(page, "\n# TYPE wattprobe_socket_power_curve_watts gauge\n"));
	/* DRAM's fit here has no curve yet: no series rather than 0 */
	cr_assert_null(strstr(page, "low_watts{socket=\"0\",domain=\"dram\"}"));
	cr_assert_null(strstr(page, "curve_watts{socket=\"0\",domain=\"dram\""));
	pbuf_free(&b);
}

/* The same series whatever the source: from the prior to the fit, no label moves. */
Test(baseline_out, prometheus_labels_do_not_follow_the_source)
{
	char first[65536], *names;
	struct pbuf b;
	char *page;

	pbuf_init(&b);
	page = prom_page(&b);

	snprintf(first, sizeof(first), "%s", page);
	S.sockets[1].baseline[ENERGY_PACKAGE].src = IDLE_FIT;
	S.sockets[1].baseline[ENERGY_PACKAGE].prior_share = 0.02;
	S.sockets[1].baseline[ENERGY_PACKAGE].idle_w = 9;
	page = prom_page(&b);
	/* every series name and label set of the first page is on the second */
	names = strtok(first, "\n");
	for (; names; names = strtok(NULL, "\n")) {
		char key[512];

		if (names[0] == '#' || strncmp(names, "wattprobe_socket_", 17) ||
		    !strstr(names, "baseline"))
			continue;
		snprintf(key, sizeof(key), "\n%.*s ", (int)strcspn(names, " "), names);
		cr_assert_not_null(strstr(page, key), "%s gone", key);
	}
	pbuf_free(&b);
}

/* --idle-watts and the model: a baseline without a fit; no prior ratio, method says why. */
Test(baseline_out, prometheus_flag_and_model)
{
	struct pbuf b;
	char *page;

	S.sockets[0].baseline[ENERGY_PACKAGE] = (struct sample_baseline){
		.have = true, .idle_w = 12, .src = IDLE_FLAG, .prior_w = 12,
		.prior_from = "--idle-watts", .prior_share = 1,
	};
	S.sockets[1].baseline[ENERGY_PACKAGE].src = IDLE_MODEL;
	pbuf_init(&b);
	page = prom_page(&b);
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_baseline_info{socket=\"0\",domain=\"package\",method=\"flag\"} 1\n"));
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_baseline_info{socket=\"1\",domain=\"package\",method=\"model\"} 1\n"));
	cr_assert_null(strstr(page, "prior_ratio{socket=\"0\",domain=\"package\"}"));
	cr_assert_null(strstr(page, "curve_watts{socket=\"0\""), "no curve for a flag");
	cr_assert_null(strstr(page, "low_watts{socket=\"1\""), "no range for the model");
	cr_assert_not_null(strstr(page,
		"\nwattprobe_socket_idle_baseline_watts{socket=\"0\",domain=\"package\"} 12\n"));
	pbuf_free(&b);
}

Test(baseline_out, json_baseline_objects)
{
	struct output_opts o = {};
	struct jw w;

	S.sockets[0].idle_base_w = 10.02;
	S.sockets[0].idle_src = IDLE_FIT;
	jw_init(&w);
	json__sample(&w, &S, VIEWS_OF(&V), &o);
	cr_assert_eq(w.err, 0);
	cr_assert_not_null(strstr(w.buf,
		"\"idle_baseline_w\":10.020,\"idle_source\":\"fit\",\"baseline\":{\"package\":"
		"{\"idle_w\":10.020,\"source\":\"fit\",\"prior_w\":7.743,"
		"\"prior_from\":\"constraint_0_max_power_uw\",\"prior_share\":0.0312,"
		"\"intervals\":120,\"outliers\":2,\"cpu_spread\":0.3125,\"residual_w\":0.410,"
		"\"idle_range_w\":[9.500,10.625],"
		"\"curve_w\":[10.020,22.500,28.000,33.250,40.000]},"
		"\"dram\":{\"idle_w\":3.500,\"source\":\"blend\""), "%s", w.buf);
	/* no curve yet: null, not 0 */
	cr_assert_not_null(strstr(w.buf, "\"residual_w\":0.100,\"idle_range_w\":null,"
				       "\"curve_w\":null}"), "%s", w.buf);
	/* socket 1 has no DRAM: null, not 0 */
	cr_assert_not_null(strstr(w.buf, "\"curve_w\":[7.743,15.800,22.000,29.500,40.000]},"
				       "\"dram\":null}"), "%s", w.buf);
	/* the model: no fit to describe */
	S.sockets[1].baseline[ENERGY_PACKAGE] = (struct sample_baseline){
		.have = true, .idle_w = 1.487, .src = IDLE_MODEL, .prior_w = 1.487,
		.prior_from = "model", .prior_share = 1,
	};
	json__sample(&w, &S, VIEWS_OF(&V), &o);
	cr_assert_not_null(strstr(w.buf,
		"{\"idle_w\":1.487,\"source\":\"model\",\"prior_w\":1.487,\"prior_from\":\"model\","
		"\"prior_share\":null,\"intervals\":0,\"outliers\":0,\"cpu_spread\":null,"
		"\"residual_w\":null,\"idle_range_w\":null,\"curve_w\":null}"), "%s", w.buf);
	cr_assert_not_null(strstr(w.buf, "\"psys_baseline\":null"));
	jw_free(&w);
}
