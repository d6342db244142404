// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * curvefit: how close the idle baseline comes to the truth on the published
 * SPECpower_ssj2008 curves (src/energy/specpower.c), for 0.2's line
 * (bench/line02.h) and for the curve (src/energy/baseline.c), fed the same
 * intervals. No BPF and no fake tree: the intervals bench/curves.sh makes a
 * real agent see on a quiet machine, worked out here, so the figures do not
 * depend on other people's load:
 *
 *  - a package of two CPUs following the curve scaled to 30 W at full load
 *    (its limit, as fakerapl publishes it), linear between the points, at
 *    the CPUs' mean busy share;
 *  - intervals of 0.5 s; each CPU's load changes every 2.5 s (the steps of
 *    bench/curves.sh: 20% to 100%, the two CPUs five steps apart), the step
 *    in the middle of an interval (its power the mean of the two loads',
 *    below the curve at the mean load where the curve bends);
 *  - noise as fakerapl's --noise 0.3 (0.3 W held for 100 ms: 0.134 W over
 *    0.5 s), from a fixed seed;
 *  - never idle for NEVER_S, then with a dip of 3 s every 35 s (the first
 *    10 s in) for DIPS_S; the dips at DIP_LOAD busy (-b, default 0: what
 *    others' load leaves of a dip on a shared machine).
 *
 * For each curve and learner: the idle baseline at the end of each phase
 * against the curve's idle, the range the curve gives, and what processes
 * got of their dynamic energy (energy - true idle x time), as the agent
 * splits it (energy - baseline x time, never below 0): over the first phase
 * after 10 s, over the second after its first dip.
 *
 * The curve's prior is made of the same published results, each curve's
 * own among them; -l leaves each curve out of its own prior (what a server
 * unlike those published gets).
 *
 *   bench/curvefit [-l] [-n NEVER_S] [-d DIPS_S] [-b DIP_LOAD] [-s SEED] [-o RESULTS]
 */
#include <getopt.h>
#include "bench.h"
#include "line02.h"
#include "energy/baseline.h"

#define FULL_W		30.0
#define INTERVAL_S	0.5
#define STEP_S		2.5
#define NOISE_W		0.134	/* 0.3 W per 100 ms over 0.5 s */

static const double levels[] = { 0.2, 0.6, 1, 0.4, 0.8, 0.3, 0.9, 0.5, 1, 0.7, 0.25, 0.85 };

/* A normal deviate (Box-Muller) from a small LCG: the same figures every run. */
static unsigned long long seed = 1;

static double uniform(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((seed >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static double truth_at(const double *w, double u)
{
	double t = fmin(fmax(u, 0), 1) * (CURVE_KNOTS - 1);
	int k = t >= CURVE_KNOTS - 1 ? CURVE_KNOTS - 2 : (int)t;

	t -= k;
	return (w[k] * (1 - t) + w[k + 1] * t) * FULL_W / w[CURVE_KNOTS - 1];
}

/* The load, as bench/curves.sh's steps: each span's end and the CPUs' mean busy share. */
#define MAX_SPANS	1024

static double span_end[MAX_SPANS], span_load[MAX_SPANS];
static int nr_spans;

static void add_span(double len, double load)
{
	double start = nr_spans ? span_end[nr_spans - 1] : 0;

	if (nr_spans < MAX_SPANS) {
		span_end[nr_spans] = start + len;
		span_load[nr_spans++] = load;
	}
}

static void make_spans(double never_s, double dips_s, double dip_load)
{
	int i = 0, d = 0;

	for (double t = 0; t < never_s; t += STEP_S, i++)
		add_span(STEP_S, (levels[i % 12] + levels[(i + 5) % 12]) / 2);
	for (double t = 0; t < dips_s;) {
		if (t >= 10 + 35 * d) {
			add_span(3, dip_load);
			t += 3;
			d++;
			continue;
		}
		add_span(STEP_S, (levels[i % 12] + levels[(i + 5) % 12]) / 2);
		i++;
		t += STEP_S;
	}
}

static double load_at(double t)
{
	for (int k = 0; k < nr_spans; k++)
		if (t < span_end[k])
			return span_load[k];
	return 0;
}

struct phase {
	double got_j, truth_j;
};

struct result {
	double idle_w[2], lo_w[2], hi_w[2];	/* at the end of each phase */
	struct phase ph[2];
};

static void account(struct phase *ph, double e_j, double idle_w, double true_idle_w)
{
	ph->got_j += fmax(e_j - idle_w * INTERVAL_S, 0);
	ph->truth_j += e_j - true_idle_w * INTERVAL_S;
}

static double phase_err(const struct phase *ph)
{
	return ph->got_j / ph->truth_j - 1;
}

int main(int argc, char **argv)
{
	double never_s = 60, dips_s = 70, dip_load = 0;
	const char *results = NULL;
	double mean[2][2][2] = {};	/* [line, curve][phase][idle, processes] */
	bool leave_out = false;
	int c, held = 0;

	while ((c = getopt(argc, argv, "ln:d:b:s:o:")) != -1) {
		switch (c) {
		case 'l':
			leave_out = true;
			break;
		case 'n':
			never_s = atof(optarg);
			break;
		case 'd':
			dips_s = atof(optarg);
			break;
		case 'b':
			dip_load = atof(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'o':
			results = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-l] [-n NEVER_S] [-d DIPS_S] [-b DIP_LOAD] "
				"[-s SEED] [-o RESULTS]\n", argv[0]);
			return 2;
		}
	}
	if (!(never_s >= 20) || !(dips_s >= 20)) {
		fprintf(stderr, "curvefit: -n and -d take 20 seconds or more\n");
		return 2;
	}
	if (!(dip_load >= 0 && dip_load < 0.2)) {
		fprintf(stderr, "curvefit: -b takes a busy share from 0 to below 0.2 "
			"(the least load)\n");
		return 2;
	}
	make_spans(never_s, dips_s, dip_load);
	printf("| system | year | idle / max | idle, W | never idle: 0.2's line | the curve | "
	       "its range, W | with dips: 0.2's line | the curve |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int j = 0; j < specpower_nr_results; j++) {
		const struct power_shape *s = &specpower_results[j];
		const struct line_prior lp = { .full_w = FULL_W, .idle_fraction = LINE_IDLE_FRACTION,
					       .min_slope = 0.3 };
		struct baseline_prior cp = { .full_w = FULL_W, .shape = curve_prior__package(),
					     .min_slope = BASELINE_MIN_SLOPE };
		static struct power_shape others[64];
		static struct curve_prior without;
		double idle = truth_at(s->w, 0), end = span_end[nr_spans - 1];
		static struct line_fit lf;
		static struct baseline bf;
		struct result line = {}, curve = {};

		if (leave_out) {
			int n = 0;

			for (int k = 0; k < specpower_nr_results && n < 64; k++)
				if (k != j)
					others[n++] = specpower_results[k];
			if (curve_prior__init(&without, others, n)) {
				fprintf(stderr, "curvefit: failed to make a prior without %s\n",
					s->system);
				return 1;
			}
			cp.shape = &without;
		}
		line__init(&lf);
		baseline__init(&bf);
		/* intervals from 0.25 s on: a step is halfway through every fifth */
		for (double t = 0.25; t + INTERVAL_S <= end + 1e-9; t += INTERVAL_S) {
			double u = 0, p = 0, e;

			/* the interval's mean load and mean power, 10 ms at a time */
			for (int m = 0; m < 50; m++) {
				double l = load_at(t + (m + 0.5) * INTERVAL_S / 50);

				u += l / 50;
				p += truth_at(s->w, l) / 50;
			}
			e = (p + NOISE_W * gauss()) * INTERVAL_S;
			int phase = t + INTERVAL_S <= never_s ? 0 : 1;
			bool counted = phase == 0 ? t >= 10 : t >= never_s + 14;
			struct line_est le;
			struct baseline_est ce;

			line__add(&lf, u, e / INTERVAL_S, INTERVAL_S);
			line__estimate(&lf, &lp, &le);
			baseline__add(&bf, u, e / INTERVAL_S, INTERVAL_S);
			baseline__estimate(&bf, &cp, &ce);
			if (counted) {
				account(&line.ph[phase], e, le.idle_w, idle);
				account(&curve.ph[phase], e, ce.idle_w, idle);
			}
			line.idle_w[phase] = le.idle_w;
			curve.idle_w[phase] = ce.idle_w;
			curve.lo_w[phase] = ce.idle_lo_w;
			curve.hi_w[phase] = ce.idle_hi_w;
		}
		printf("| %s | %d | %.2f | %.2f | %+.0f%%, %+.1f%% | %+.0f%%, %+.1f%% | %.2f-%.2f | "
		       "%+.0f%%, %+.1f%% | %+.0f%%, %+.1f%% |\n",
		       s->system, s->year, s->w[0] / s->w[CURVE_KNOTS - 1], idle,
		       (line.idle_w[0] / idle - 1) * 100, phase_err(&line.ph[0]) * 100,
		       (curve.idle_w[0] / idle - 1) * 100, phase_err(&curve.ph[0]) * 100, curve.lo_w[0],
		       curve.hi_w[0], (line.idle_w[1] / idle - 1) * 100, phase_err(&line.ph[1]) * 100,
		       (curve.idle_w[1] / idle - 1) * 100, phase_err(&curve.ph[1]) * 100);
		for (int ph = 0; ph < 2; ph++) {
			mean[0][ph][0] += fabs(line.idle_w[ph] / idle - 1) / specpower_nr_results;
			mean[0][ph][1] += fabs(phase_err(&line.ph[ph])) / specpower_nr_results;
			mean[1][ph][0] += fabs(curve.idle_w[ph] / idle - 1) / specpower_nr_results;
			mean[1][ph][1] += fabs(phase_err(&curve.ph[ph])) / specpower_nr_results;
			held += ph == 0 && curve.lo_w[0] <= idle && idle <= curve.hi_w[0];
			if (results) {
				FILE *f = fopen(results, "a");

				if (!f) {
					fprintf(stderr, "curvefit: failed to open %s: %s\n", results,
						strerror(errno));
					return 1;
				}
				fprintf(f, "curvefit.%d.%s %.4f %.4f %.4f %.4f %.4f %.4f\n", s->year,
					ph ? "dips" : "never", idle, line.idle_w[ph], phase_err(&line.ph[ph]),
					curve.idle_w[ph], phase_err(&curve.ph[ph]),
					(curve.lo_w[ph] <= idle && idle <= curve.hi_w[ph]) ? 1.0 : 0.0);
				fclose(f);
			}
		}
	}
	printf("| mean absolute error | | | | %.0f%%, %.1f%% | %.0f%%, %.1f%% | %d of %d hold the idle | "
	       "%.0f%%, %.1f%% | %.0f%%, %.1f%% |\n",
	       mean[0][0][0] * 100, mean[0][0][1] * 100, mean[1][0][0] * 100, mean[1][0][1] * 100,
	       held, specpower_nr_results, mean[0][1][0] * 100, mean[0][1][1] * 100,
	       mean[1][1][0] * 100, mean[1][1][1] * 100);
	printf("\nEach cell: the idle baseline's error at the end of the phase, then the error of "
	       "what processes got of their dynamic energy over it.\n");
	return 0;
}
