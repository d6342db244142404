// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fakehwmon: a hwmon class tree whose power meters and energy counters follow
 * given wattages in real time, for tests and demos on machines without them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "faketool.h"

#define MAX_CHANNELS	32
#define MAX_CPUS	1024
#define WIDTH		20	/* digits of every value written: a pwrite never leaves a tail */
#define MAX_RING	60001	/* averaging window / period */

static const char usage_text[] =
"NAME\n"
"        fakehwmon - a fake /sys/class/hwmon whose meters follow given wattages\n"
"\n"
"SYNOPSIS\n"
"        fakehwmon --root DIR [--energy C:L=POWER]... [--power C:L=POWER]...\n"
"                  [--average C:L=POWER]... [--curr-volt C:L=POWER@MV]...\n"
"                  [--average-ms MS] [--period-ms MS] [--once]\n"
"\n"
"        C is the chip's name, L the channel's label (may be empty); POWER is\n"
"        WATTS[+PER_CPU].\n"
"\n"
"DESCRIPTION\n"
"        fakehwmon builds under DIR one hwmonN directory per chip named on the\n"
"        command line (in order of first mention), with the files of the kernel's\n"
"        hwmon sysfs ABI (Documentation/hwmon/sysfs-interface.rst), and rewrites\n"
"        their values every period. A channel draws WATTS, plus PER_CPU for every\n"
"        busy CPU (busy time from /proc/stat: user, nice, system, irq, softirq):\n"
"\n"
"          --energy     energyN_input, the energy since the start in microjoules\n"
"                       (1 W = 1 uJ per us), exact over any interval;\n"
"          --power      powerN_input, the power of the last period in microwatts;\n"
"          --average    powerN_average, the mean power over the last --average-ms\n"
"                       (default 1000), with powerN_average_interval;\n"
"          --curr-volt  no power file: inN_input at MV millivolts and currN_input\n"
"                       the current in milliamperes that makes the power, the\n"
"                       label on inN only (as ina3221 has it).\n"
"\n"
"        Every channel with a label has its label file (none for an empty one,\n"
"        as ACPI's power_meter has none). Each value is written with one pwrite\n"
"        at offset 0 as 20 zero-padded digits and a newline, so a reader sees the\n"
"        old or the new value, never a mix. fakehwmon runs until SIGTERM or\n"
"        SIGINT, then exits 0.\n"
"\n"
"OPTIONS\n"
"        --root DIR             where to build the tree (created if missing)\n"
"        --energy C:L=POWER     an energy counter\n"
"        --power C:L=POWER      an instantaneous power meter\n"
"        --average C:L=POWER    an averaging power meter\n"
"        --curr-volt C:L=POWER@MV   a current and a voltage\n"
"        --average-ms MS        averaging window of --average (default 1000)\n"
"        --period-ms MS         rewrite period, 1 to 60000 (default 10)\n"
"        --once                 write the tree once and exit\n"
"        -h, --help             show this help\n"
"\n"
"EXIT STATUS\n"
"        0 on SIGTERM, SIGINT or after --once; 1 when the tree cannot be written;\n"
"        2 on a bad command line.\n"
"\n"
"EXAMPLES\n"
"        fakehwmon --root /tmp/hw --average power_meter:=120 &\n"
"        wattprobe json --hwmon-root /tmp/hw\n"
"\n"
"        fakehwmon --root /tmp/hw --energy amd_energy:Esocket0=10+15\n"
"\n"
"        fakehwmon --root /tmp/hw --curr-volt ina3221:VDD_IN=9.6@5000\n";

enum kind { ENERGY, POWER, AVERAGE, CURR_VOLT };

struct chan {
	char chip[64], label[64];
	enum kind kind;
	double watts, per_cpu, mv;
	int hw, n;			/* hwmon<hw>, <type><n> */
	int fd, fd2;			/* the value file(s) */
	double uj;			/* energy since the start */
	double (*ring)[2];		/* --average: (time, energy) of the last periods */
	int ring_len, ring_pos, ring_fill;
};

struct fake {
	const char *root;
	struct chan ch[MAX_CHANNELS];
	int nr;
	long period_ms, average_ms;
	bool once, follow;
	unsigned long long last_busy[MAX_CPUS];	/* per CPU, clock ticks; ~0 unknown */
};

static int add_channel(struct fake *f, enum kind kind, const char *arg)
{
	char buf[256], *colon, *eq, *plus, *at;
	struct chan *c;

	if (f->nr == MAX_CHANNELS)
		return usage_error("more than %d channels", MAX_CHANNELS);
	c = &f->ch[f->nr];
	memset(c, 0, sizeof(*c));
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return usage_error("'%s' is too long", arg);
	colon = strchr(buf, ':');
	eq = colon ? strchr(colon, '=') : NULL;
	if (!colon || !eq || colon == buf)
		goto bad;
	*colon = *eq = '\0';
	at = strchr(eq + 1, '@');
	if (at) {
		*at++ = '\0';
		if (kind != CURR_VOLT || parse_watts(at, &c->mv) || c->mv <= 0)
			goto bad;
	} else if (kind == CURR_VOLT) {
		goto bad;
	}
	plus = strchr(eq + 1, '+');
	if (plus) {
		*plus++ = '\0';
		if (parse_watts(plus, &c->per_cpu))
			goto bad;
		f->follow |= c->per_cpu > 0;
	}
	if (parse_watts(eq + 1, &c->watts) || strlen(buf) >= sizeof(c->chip) ||
	    strlen(colon + 1) >= sizeof(c->label) || strchr(buf, '/'))
		goto bad;
	snprintf(c->chip, sizeof(c->chip), "%s", buf);
	snprintf(c->label, sizeof(c->label), "%s", colon + 1);
	c->kind = kind;
	c->fd = c->fd2 = -1;
	f->nr++;
	return 0;
bad:
	return usage_error("invalid channel '%s': expected CHIP:LABEL=WATTS[+PER_CPU]%s", arg,
			   kind == CURR_VOLT ? "@MILLIVOLTS" : "");
}

static int parse_ms(const char *opt, const char *arg, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || *v < 1 || *v > 60000)
		return usage_error("invalid %s '%s': expected 1 to 60000", opt, arg);
	return 0;
}

static int parse_args(struct fake *f, int argc, char **argv)
{
	enum { O_ROOT = 256, O_ENERGY, O_POWER, O_AVERAGE, O_CURR_VOLT, O_AVERAGE_MS, O_PERIOD,
	       O_ONCE };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "energy", required_argument, NULL, O_ENERGY },
		{ "power", required_argument, NULL, O_POWER },
		{ "average", required_argument, NULL, O_AVERAGE },
		{ "curr-volt", required_argument, NULL, O_CURR_VOLT },
		{ "average-ms", required_argument, NULL, O_AVERAGE_MS },
		{ "period-ms", required_argument, NULL, O_PERIOD },
		{ "once", no_argument, NULL, O_ONCE },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case O_ROOT:
			f->root = optarg;
			ret = 0;
			break;
		case O_ENERGY:
		case O_POWER:
		case O_AVERAGE:
		case O_CURR_VOLT:
			ret = add_channel(f, (enum kind)(c - O_ENERGY), optarg);
			break;
		case O_AVERAGE_MS:
			ret = parse_ms("--average-ms", optarg, &f->average_ms);
			break;
		case O_PERIOD:
			ret = parse_ms("--period-ms", optarg, &f->period_ms);
			break;
		case O_ONCE:
			f->once = true;
			ret = 0;
			break;
		default:
			return usage_error("unknown option");
		}
		if (ret)
			return ret;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!f->root)
		return usage_error("--root is required");
	if (!f->nr)
		return usage_error("at least one channel is required");
	return 0;
}

/* hwmon<k> for the k-th chip named; channel numbers per chip and type from 1. */
static void lay_out(struct fake *f)
{
	int chips = 0;

	for (int i = 0; i < f->nr; i++) {
		struct chan *c = &f->ch[i];

		c->hw = -1;
		c->n = 1;
		for (int j = 0; j < i; j++) {
			if (strcmp(f->ch[j].chip, c->chip))
				continue;
			c->hw = f->ch[j].hw;
			if ((f->ch[j].kind == ENERGY) == (c->kind == ENERGY))
				c->n = f->ch[j].n + 1;
		}
		if (c->hw < 0)
			c->hw = chips++;
	}
}

static int write_text(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fp = fopen(path, "we");
	if (!fp)
		return -errno;
	fputs(text, fp);
	return fclose(fp) ? -errno : 0;
}

static int put(int fd, long long v)
{
	char text[WIDTH + 3];
	int len = v < 0 ? snprintf(text, sizeof(text), "-%0*lld\n", WIDTH - 1, -v) :
			  snprintf(text, sizeof(text), "%0*lld\n", WIDTH, v);

	return pwrite(fd, text, len, 0) == len ? 0 : -EIO;
}

static int open_value(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	return fd < 0 ? -errno : fd;
}

static int create(struct fake *f, struct chan *c, char *err, size_t errlen)
{
	char dir[PATH_MAX], file[64], text[96];
	const char *type = c->kind == ENERGY ? "energy" : c->kind == CURR_VOLT ? "in" : "power";
	int ret;

	snprintf(dir, sizeof(dir), "%s/hwmon%d", f->root, c->hw);
	ret = mkdir_p(dir);
	if (!ret) {
		snprintf(text, sizeof(text), "%s\n", c->chip);
		ret = write_text(dir, "name", text);
	}
	if (!ret && c->label[0]) {
		snprintf(file, sizeof(file), "%s%d_label", type, c->n);
		snprintf(text, sizeof(text), "%s\n", c->label);
		ret = write_text(dir, file, text);
	}
	if (!ret && c->kind == AVERAGE) {
		snprintf(file, sizeof(file), "power%d_average_interval", c->n);
		snprintf(text, sizeof(text), "%ld\n", f->average_ms);
		ret = write_text(dir, file, text);
		c->ring_len = (int)(f->average_ms / f->period_ms) + 1;
		if (c->ring_len > MAX_RING)
			c->ring_len = MAX_RING;
		c->ring = calloc(c->ring_len, sizeof(*c->ring));
		if (!ret && !c->ring)
			ret = -ENOMEM;
	}
	if (!ret) {
		snprintf(file, sizeof(file), "%s%d_%s", c->kind == CURR_VOLT ? "curr" : type, c->n,
			 c->kind == AVERAGE ? "average" : "input");
		c->fd = open_value(dir, file);
		ret = c->fd < 0 ? c->fd : 0;
	}
	if (!ret && c->kind == CURR_VOLT) {
		snprintf(file, sizeof(file), "in%d_input", c->n);
		c->fd2 = open_value(dir, file);
		ret = c->fd2 < 0 ? c->fd2 : put(c->fd2, llround(c->mv));
	}
	if (ret)
		snprintf(err, errlen, "failed to write %s: %s", dir, strerror(-ret));
	return ret;
}

/* One CPU's busy ticks into the step's sum (ctx: struct busy_sum). */
struct busy_sum {
	struct fake *f;
	unsigned long long ticks;
};

static void add_ticks(void *ctx, int cpu, unsigned long long busy)
{
	struct busy_sum *b = ctx;

	if (b->f->last_busy[cpu] != ~0ULL && busy >= b->f->last_busy[cpu])
		b->ticks += busy - b->f->last_busy[cpu];
	b->f->last_busy[cpu] = busy;
}

/* Busy CPUs over the last step, from /proc/stat's ticks; 0 the first time. */
static double busy_cpus(struct fake *f, double step_s)
{
	struct busy_sum b = { f, 0 };

	if (stat_busy(MAX_CPUS, add_ticks, &b))
		return 0;
	return step_s > 0 ? (double)b.ticks / stat_hz() / step_s : 0;
}

static int advance(struct fake *f, double at, double step_s)
{
	double busy = f->follow ? busy_cpus(f, step_s) : 0;
	int ret = 0;

	for (int i = 0; i < f->nr && !ret; i++) {
		struct chan *c = &f->ch[i];
		double w = c->watts + c->per_cpu * busy;

		c->uj += w * step_s * 1e6;
		switch (c->kind) {
		case ENERGY:
			ret = put(c->fd, llround(c->uj));
			break;
		case POWER:
			ret = put(c->fd, llround(w * 1e6));
			break;
		case AVERAGE: {
			/* the mean over the window: energy now minus energy a window ago */
			double *old;

			c->ring[c->ring_pos][0] = at;
			c->ring[c->ring_pos][1] = c->uj;
			c->ring_pos = (c->ring_pos + 1) % c->ring_len;
			if (c->ring_fill < c->ring_len)
				c->ring_fill++;
			old = c->ring[c->ring_fill < c->ring_len ? 0 : c->ring_pos];
			ret = put(c->fd, llround(at > old[0] ? (c->uj - old[1]) / (at - old[0]) :
							       w * 1e6));
			break;
		}
		case CURR_VOLT:
			ret = put(c->fd, llround(w * 1e6 / c->mv));	/* uW / mV = mA */
			break;
		}
	}
	return ret;
}

int main(int argc, char **argv)
{
	static struct fake f = { .period_ms = 10, .average_ms = 1000 };
	char err[PATH_MAX + 128] = "";
	struct timespec ts, t0, now;
	double last = 0, at;
	int ret;

	ret = parse_args(&f, argc, argv);
	if (ret)
		return ret;
	memset(f.last_busy, 0xff, sizeof(f.last_busy));
	lay_out(&f);
	catch_signals();
	for (int i = 0; i < f.nr && !ret; i++)
		ret = create(&f, &f.ch[i], err, sizeof(err));
	if (ret)
		goto out;
	/* ahead of ordinary work where we may (root): meters move on time */
	if (getpriority(PRIO_PROCESS, 0) > -10)
		setpriority(PRIO_PROCESS, 0, -10);
	if (f.follow)
		busy_cpus(&f, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ts = t0;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		at = (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		ret = advance(&f, at, at - last);
		last = at;
		if (ret) {
			snprintf(err, sizeof(err), "failed to write a value under %s: %s", f.root,
				 strerror(-ret));
			break;
		}
		if (f.once || stop)
			break;
		ts.tv_nsec += f.period_ms * 1000000L;
		while (ts.tv_nsec >= 1000000000L) {
			ts.tv_nsec -= 1000000000L;
			ts.tv_sec++;
		}
		if (ts.tv_sec < now.tv_sec)	/* fell behind: no burst of catch-up writes */
			ts = now;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
out:
	for (int i = 0; i < f.nr; i++) {
		if (f.ch[i].fd >= 0)
			close(f.ch[i].fd);
		if (f.ch[i].fd2 >= 0)
			close(f.ch[i].fd2);
		free(f.ch[i].ring);
	}
	if (ret) {
		fprintf(stderr, "fakehwmon: %s\n", err);
		return 1;
	}
	return 0;
}
