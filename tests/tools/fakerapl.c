// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fakerapl: a powercap tree whose RAPL counters advance in real time at the
 * given wattages, for tests and demos on machines without RAPL.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "energy/rapl.h"
#include "faketool.h"
#include "lib/util.h"
#include "kernel/topology.h"

#define DEFAULT_MAX_RANGE	262143328850ULL	/* a real package's max_energy_range_uj */
#define MAX_MAX_RANGE		(UINT64_MAX / 2)	/* start + step stays below 2^64 */
#define MAX_SOCKET		1023
#define MAX_NEAR_WRAP_S		1e6			/* W * s stays far below 2^63 uJ */
#define UJ_WIDTH		20			/* digits of every energy_uj write */
#define NOISE_SEGMENT_NS	100000000ULL		/* the noise holds for 100 ms */
#define SHORT_TERM_FACTOR	1.25			/* PL2 over PL1, as on servers */
#define MAX_CURVE_POINTS	101			/* a curve's points, 0% to 100% */
#define CURVE_SMOOTH_MS		100			/* a curve follows load averaged so (default) */
#define SMOOTH_STEPS		256			/* and over at most so many periods */

static const char usage_text[] =
"NAME\n"
"        fakerapl - a fake powercap tree whose RAPL counters advance in real time\n"
"\n"
"SYNOPSIS\n"
"        fakerapl --root DIR --package SPEC [--package SPEC]...\n"
"                 [--core SPEC]... [--dram SPEC]... [--psys POWER]\n"
"                 [--limit SOCKET:WATTS]... [--no-constraints]\n"
"                 [--busy-from stat|cpuacct] [--noise WATTS] [--seed N]\n"
"                 [--max-range UJ] [--start UJ | --near-wrap SECONDS]\n"
"                 [--period-ms MS] [--smooth-ms MS] [--once]\n"
"\n"
"        SPEC is SOCKET:POWER, POWER is WATTS[+PER_CPU[@CPULIST]]\n"
"        or a curve, P0,P1,...,PN[@CPULIST].\n"
"\n"
"DESCRIPTION\n"
"        fakerapl builds under DIR the part of /sys/class/powercap that wattprobe\n"
"        reads, then rewrites every energy_uj each period so that each counter\n"
"        grows at its power (1 W = 1 uJ per us):\n"
"\n"
"            energy_uj = (start + round(WATTS * elapsed_us + PER_CPU * busy_us\n"
"                         + noise_uj)) mod (max_range + 1)\n"
"\n"
"        elapsed_us is measured on the monotonic clock from the start of the run,\n"
"        so constant rates are exact over any interval, whatever the period or\n"
"        scheduling. With +PER_CPU the zone follows the machine's real load:\n"
"        busy_us is the busy time the kernel counts for the CPUs of CPULIST\n"
"        (default: all) since the start, read every period; so a package of\n"
"        10+15 draws 10 W idle and 15 W more per busy CPU. The busy time is\n"
"        /proc/stat's user, nice, system, irq and softirq (what the scheduler\n"
"        tick saw running: tasks that run between ticks go missing), or with\n"
"        --busy-from cpuacct the root cgroup's cpuacct.usage_percpu (cgroup\n"
"        v1; exact nanoseconds). --noise adds a power drawn from a normal\n"
"        distribution of that standard deviation every 100 ms (never taking the\n"
"        zone below 0 W).\n"
"\n"
"        A curve, N + 1 >= 2 watts separated by commas, is the zone's power at\n"
"        0%, 100/N%, ..., 100% of its CPUs busy, as SPECpower_ssj2008 publishes a\n"
"        server's (active idle, 10%, ..., 100%: 11 points), linear in between.\n"
"        Its utilisation is the busy share of the CPUs of CPULIST (default: all)\n"
"        averaged over the last 100 ms (--smooth-ms: the busy time of the\n"
"        periods that end in that window, at most 256 of them, over their\n"
"        length), and each period adds the curve's power at it:\n"
"\n"
"            energy_uj = (start + round(sum of P(u) x period_us + noise_uj))\n"
"                        mod (max_range + 1)\n"
"\n"
"        (Without the average, a period's utilisation is 0% or 100% per CPU at\n"
"        the busy time's granularity, and any curve would draw the straight line\n"
"        between its ends. Set --smooth-ms to the period of the load, when it\n"
"        has one: its utilisation is then steady, and a change of load shows\n"
"        in the power within that time, as on hardware, whose power follows\n"
"        its load in microseconds.)\n"
"\n"
"        Each value is written with one pwrite at offset 0 as 20 zero-padded\n"
"        digits and a newline, so a concurrent reader sees the old or the new\n"
"        value, never a mix. The counter wraps to 0 after max_range, like the\n"
"        hardware. Run as root, it runs at the lowest real-time priority\n"
"        (SCHED_FIFO 1; else nice -10), so that on a busy machine its counters\n"
"        still move on time, as real ones do (wattprobe takes a counter still\n"
"        for 50 ms as stuck).\n"
"\n"
"        If an energy_uj file already exists, its counter continues from the value\n"
"        in it (unless --start or --near-wrap is given) and keeps its inode, so a\n"
"        reader holding it open sees the new wattage after a restart.\n"
"        fakerapl runs until SIGTERM or SIGINT and then exits 0.\n"
"\n"
"        Package zones have the constraint files of real RAPL: constraint_0\n"
"        (long_term; power_limit_uw and max_power_uw both the package's limit)\n"
"        and constraint_1 (short_term, 1.25 times the limit). The limit is\n"
"        --limit, else the zone's power at full load: WATTS + PER_CPU x the\n"
"        number of CPUs in CPULIST, or a curve's last point.\n"
"\n"
"OPTIONS\n"
"        --root DIR             where to build the tree (created if missing)\n"
"        --package SPEC         a package zone; repeat for more sockets\n"
"        --core SPEC            a core subzone of that package\n"
"        --dram SPEC            a dram subzone of that package\n"
"        --psys POWER           a psys (platform) zone\n"
"        --limit SOCKET:WATTS   the package's long-term power limit\n"
"        --no-constraints       no constraint files (as on AMD parts)\n"
"        --busy-from SOURCE     stat (default) or cpuacct, see above\n"
"        --noise WATTS          standard deviation of the noise (default 0)\n"
"        --seed N               seed of the noise (default 1)\n"
"        --max-range UJ         max_energy_range_uj of every zone\n"
"                               (default 262143328850, up to 2^63 - 1)\n"
"        --start UJ             start every counter at UJ (default 0)\n"
"        --near-wrap SECONDS    start every counter so that it wraps after SECONDS\n"
"                               at its own wattage\n"
"        --period-ms MS         rewrite period, 1 to 60000 (default 10)\n"
"        --smooth-ms MS         a curve's utilisation window, 1 to 10000\n"
"                               (default 100)\n"
"        --once                 write the tree once and exit\n"
"        -h, --help             show this help\n"
"\n"
"FILES\n"
"        DIR/intel-rapl:S/            package S (name \"package-S\")\n"
"        DIR/intel-rapl:S:K/          its subzones: core first, then dram, K from 0\n"
"        DIR/intel-rapl:P/            psys, P = highest package socket + 1\n"
"        each with name, energy_uj and max_energy_range_uj; packages with\n"
"        constraint_{0,1}_{name,power_limit_uw,max_power_uw,time_window_us}.\n"
"\n"
"EXIT STATUS\n"
"        0 on SIGTERM, SIGINT or after --once; 1 when the tree cannot be written;\n"
"        2 on a bad command line.\n"
"\n"
"EXAMPLES\n"
"        fakerapl --root /tmp/pc --package 0:40 --dram 0:5 &\n"
"        wattprobe top --powercap-root /tmp/pc\n"
"\n"
"        fakerapl --root /tmp/pc --package 0:10+15 --noise 0.5 &\n"
"\n"
"        fakerapl --root /tmp/pc --package 0:6+12@0 --package 1:15+25@1 &\n"
"\n"
"        fakerapl --root /tmp/pc --package 0:4.32,9.05,10.75,12.65,14.35,15.75,17,\\\n"
"                 18.85,21.05,24.15,28.1 &\n"
"\n"
"        fakerapl --root /tmp/pc --package 0:100 --near-wrap 2 --once\n";

struct fzone {
	char dir[PATH_MAX];
	char name[32];
	enum energy_domain kind;	/* ENERGY_PACKAGE, _CORE, _DRAM or _PSYS */
	int socket;			/* -1 for psys */
	double watts;			/* idle power */
	double per_cpu;			/* and this much per busy CPU of cpus */
	double curve[MAX_CURVE_POINTS];	/* or power at 0, 1/(n-1), ..., 1 of cpus busy */
	int curve_n;			/* points of the curve; 0: WATTS+PER_CPU */
	double curve_busy_us;		/* busy_us at the last period */
	/* the curve's last periods, newest at (smooth_at - 1): busy and length, us */
	double smooth_busy[SMOOTH_STEPS], smooth_us[SMOOTH_STEPS];
	int smooth_at, smooth_n;
	double curve_uj;		/* the curve's energy since the start */
	bool cpus[WP_MAX_CPUS];
	int nr_cpus;
	double limit_w;			/* --limit; 0: full-load power */
	double busy_us;			/* busy time of its CPUs since the start */
	double noise_w;			/* this segment's noise */
	double noise_uj;		/* noise energy since the start */
	__u64 start;
	int fd;
};

struct fake {
	const char *root;
	struct fzone zones[RAPL_MAX_ZONES];
	int nr;
	__u64 max_range;
	__u64 start;
	int have_start;
	double near_wrap_s;
	long period_ms;
	long smooth_ms;
	int once;
	int no_constraints;
	double noise_w;
	unsigned int seed;
	bool follow;			/* some zone follows the load: read its busy time */
	const char *cpuacct;		/* --busy-from cpuacct: this file, else /proc/stat */
	unsigned long long *last_busy;	/* per CPU, in ticks or ns; ~0 unknown */
	int stat_cpus;
	__u64 noise_until;		/* end of this noise segment */
};

/* --- command line -------------------------------------------------------------- */

/* P0,P1,...,PN: a curve of at least two points, each 0 to FAKE_MAX_WATTS */
static int parse_curve(char *s, struct fzone *z)
{
	char *save = NULL;

	z->curve_n = 0;
	for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (z->curve_n == MAX_CURVE_POINTS || parse_watts(tok, &z->curve[z->curve_n]))
			return -EINVAL;
		z->curve_n++;
	}
	if (z->curve_n < 2)
		return -EINVAL;
	z->watts = z->curve[0];	/* what a wrap and the noise's floor go by */
	return 0;
}

/* WATTS[+PER_CPU[@CPULIST]] or P0,...,PN[@CPULIST] */
static int parse_power(const char *s, struct fzone *z)
{
	char buf[2048], *plus, *at;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	at = strchr(buf, '@');
	if (at) {
		*at++ = '\0';
		if (cpulist_parse(at, z->cpus, WP_MAX_CPUS))
			return -EINVAL;
	} else {
		long n = sysconf(_SC_NPROCESSORS_CONF);

		memset(z->cpus, 0, sizeof(z->cpus));
		for (long i = 0; i < n && i < WP_MAX_CPUS; i++)
			z->cpus[i] = true;
	}
	z->nr_cpus = 0;
	for (int i = 0; i < WP_MAX_CPUS; i++)
		z->nr_cpus += z->cpus[i];
	z->per_cpu = 0;
	z->curve_n = 0;
	if (strchr(buf, ','))
		return strchr(buf, '+') ? -EINVAL : parse_curve(buf, z);
	plus = strchr(buf, '+');
	if (plus) {
		*plus++ = '\0';
		if (parse_watts(plus, &z->per_cpu))
			return -EINVAL;
	} else if (at) {
		return -EINVAL;	/* CPUs without a per-CPU power */
	}
	return parse_watts(buf, &z->watts);
}

static int parse_socket(const char *s, int *socket, const char **rest)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != ':' || v > MAX_SOCKET)
		return -EINVAL;
	*socket = (int)v;
	*rest = end + 1;
	return 0;
}

static struct fzone *find_zone(struct fake *f, enum energy_domain kind, int socket)
{
	for (int i = 0; i < f->nr; i++)
		if (f->zones[i].kind == kind && f->zones[i].socket == socket)
			return &f->zones[i];
	return NULL;
}

static int add_zone(struct fake *f, enum energy_domain kind, int socket, const char *power,
		    const char *arg)
{
	struct fzone *z;

	if (find_zone(f, kind, socket))
		return kind == ENERGY_PSYS ? usage_error("--psys given twice") :
			usage_error("--%s %d:... given twice", energy_domain_name(kind), socket);
	if (f->nr == RAPL_MAX_ZONES)
		return usage_error("more than %d zones", RAPL_MAX_ZONES);
	z = &f->zones[f->nr];
	memset(z, 0, sizeof(*z));
	if (parse_power(power, z))
		return usage_error("invalid --%s '%s': expected %sWATTS[+PER_CPU[@CPULIST]] or "
				   "a curve P0,P1,...,PN[@CPULIST] (2 to %d points), watts 0-%g",
				   energy_domain_name(kind), arg, kind == ENERGY_PSYS ? "" : "SOCKET:",
				   MAX_CURVE_POINTS, FAKE_MAX_WATTS);
	f->nr++;
	z->kind = kind;
	z->socket = socket;
	z->fd = -1;
	if (z->per_cpu > 0 || z->curve_n)
		f->follow = true;
	return 0;
}

static int add_socket_zone(struct fake *f, enum energy_domain kind, const char *arg)
{
	const char *power;
	int s;

	if (parse_socket(arg, &s, &power))
		return usage_error("invalid --%s '%s': expected SOCKET:WATTS[+PER_CPU[@CPULIST]] "
				   "or SOCKET:P0,P1,...,PN[@CPULIST], socket 0-%d",
				   energy_domain_name(kind), arg, MAX_SOCKET);
	return add_zone(f, kind, s, power, arg);
}

/* --OPT MS: a whole number of milliseconds, 1 to max; 0, or 2 (said why). */
static int parse_ms(const char *opt, const char *arg, long max, long *ms)
{
	char *end;

	errno = 0;
	*ms = strtol(arg, &end, 10);
	if (errno || end == arg || *end || *ms < 1 || *ms > max)
		return usage_error("invalid --%s '%s': expected 1 to %ld", opt, arg, max);
	return 0;
}

static int set_limit(struct fake *f, const char *arg)
{
	const char *w;
	struct fzone *z;
	double v;
	int s;

	if (parse_socket(arg, &s, &w) || parse_watts(w, &v) || v <= 0)
		return usage_error("invalid --limit '%s': expected SOCKET:WATTS", arg);
	z = find_zone(f, ENERGY_PACKAGE, s);
	if (!z)
		return usage_error("--limit %s before (or without) --package %d:...", arg, s);
	z->limit_w = v;
	return 0;
}

static int parse_u64_arg(const char *opt, const char *arg, __u64 *v)
{
	if (parse_u64_line(arg, strlen(arg), v) || strchr(arg, '\n'))
		return usage_error("invalid %s '%s': expected microjoules", opt, arg);
	return 0;
}

static int parse_args(struct fake *f, int argc, char **argv)
{
	enum { O_ROOT = 256, O_PACKAGE, O_CORE, O_DRAM, O_PSYS, O_MAX_RANGE, O_START,
	       O_NEAR_WRAP, O_PERIOD, O_SMOOTH, O_ONCE, O_LIMIT, O_NO_CONSTRAINTS, O_NOISE, O_SEED,
	       O_BUSY_FROM };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "package", required_argument, NULL, O_PACKAGE },
		{ "core", required_argument, NULL, O_CORE },
		{ "dram", required_argument, NULL, O_DRAM },
		{ "psys", required_argument, NULL, O_PSYS },
		{ "max-range", required_argument, NULL, O_MAX_RANGE },
		{ "start", required_argument, NULL, O_START },
		{ "near-wrap", required_argument, NULL, O_NEAR_WRAP },
		{ "period-ms", required_argument, NULL, O_PERIOD },
		{ "smooth-ms", required_argument, NULL, O_SMOOTH },
		{ "once", no_argument, NULL, O_ONCE },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "no-constraints", no_argument, NULL, O_NO_CONSTRAINTS },
		{ "noise", required_argument, NULL, O_NOISE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "busy-from", required_argument, NULL, O_BUSY_FROM },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char *end;
	long v;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case O_ROOT:
			f->root = optarg;
			break;
		case O_PACKAGE:
			ret = add_socket_zone(f, ENERGY_PACKAGE, optarg);
			break;
		case O_CORE:
			ret = add_socket_zone(f, ENERGY_CORE, optarg);
			break;
		case O_DRAM:
			ret = add_socket_zone(f, ENERGY_DRAM, optarg);
			break;
		case O_PSYS:
			ret = add_zone(f, ENERGY_PSYS, -1, optarg, optarg);
			break;
		case O_LIMIT:
			ret = set_limit(f, optarg);
			break;
		case O_NO_CONSTRAINTS:
			f->no_constraints = 1;
			break;
		case O_NOISE:
			if (parse_watts(optarg, &f->noise_w))
				return usage_error("invalid --noise '%s': expected watts, 0-%g",
						   optarg, FAKE_MAX_WATTS);
			break;
		case O_BUSY_FROM:
			if (!strcmp(optarg, "stat")) {
				f->cpuacct = NULL;
			} else if (!strcmp(optarg, "cpuacct")) {
				static const char *const paths[] = {
					"/sys/fs/cgroup/cpuacct/cpuacct.usage_percpu",
					"/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage_percpu",
				};

				for (int k = 0; k < 2 && !f->cpuacct; k++)
					if (!access(paths[k], R_OK))
						f->cpuacct = paths[k];
				if (!f->cpuacct)
					return usage_error("--busy-from cpuacct: no cgroup v1 "
							   "cpuacct.usage_percpu under /sys/fs/cgroup");
			} else {
				return usage_error("invalid --busy-from '%s': expected stat or "
						   "cpuacct", optarg);
			}
			break;
		case O_SEED:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > UINT_MAX)
				return usage_error("invalid --seed '%s': expected 0 to %u", optarg,
						   UINT_MAX);
			f->seed = (unsigned int)v;
			break;
		case O_MAX_RANGE:
			ret = parse_u64_arg("--max-range", optarg, &f->max_range);
			if (!ret && (!f->max_range || f->max_range > MAX_MAX_RANGE))
				return usage_error("invalid --max-range '%s': expected 1 to %llu",
						   optarg, (unsigned long long)MAX_MAX_RANGE);
			break;
		case O_START:
			ret = parse_u64_arg("--start", optarg, &f->start);
			f->have_start = 1;
			break;
		case O_NEAR_WRAP:
			errno = 0;
			f->near_wrap_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(f->near_wrap_s) ||
			    f->near_wrap_s <= 0 || f->near_wrap_s > MAX_NEAR_WRAP_S)
				return usage_error("invalid --near-wrap '%s': expected seconds, "
						   "above 0 and up to %g", optarg, MAX_NEAR_WRAP_S);
			break;
		case O_PERIOD:
			ret = parse_ms("period-ms", optarg, 60000, &f->period_ms);
			if (ret)
				return ret;
			break;
		case O_SMOOTH:
			ret = parse_ms("smooth-ms", optarg, 10000, &f->smooth_ms);
			if (ret)
				return ret;
			break;
		case O_ONCE:
			f->once = 1;
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
	if (f->have_start && f->near_wrap_s > 0)
		return usage_error("--start and --near-wrap exclude each other");
	if (f->have_start && f->start > f->max_range)
		return usage_error("--start %llu is above --max-range %llu",
				   (unsigned long long)f->start, (unsigned long long)f->max_range);
	return 0;
}

/* --- layout ------------------------------------------------------------------- */

/*
 * Directory and name of every zone: package S is intel-rapl:S, its core
 * intel-rapl:S:0 and its dram the next subzone, psys follows the packages.
 */
static int lay_out(struct fake *f)
{
	int max_socket = -1;

	for (int i = 0; i < f->nr; i++)
		if (f->zones[i].kind == ENERGY_PACKAGE && f->zones[i].socket > max_socket)
			max_socket = f->zones[i].socket;
	if (max_socket < 0)
		return usage_error("at least one --package is required");
	for (int i = 0; i < f->nr; i++) {
		struct fzone *z = &f->zones[i];
		int sub = 0;

		snprintf(z->name, sizeof(z->name), "%s", energy_domain_name(z->kind));
		switch (z->kind) {
		case ENERGY_PACKAGE:
			snprintf(z->name, sizeof(z->name), "package-%d", z->socket);
			snprintf(z->dir, sizeof(z->dir), "%s/intel-rapl:%d", f->root, z->socket);
			break;
		case ENERGY_PSYS:
			snprintf(z->dir, sizeof(z->dir), "%s/intel-rapl:%d", f->root,
				 max_socket + 1);
			break;
		case ENERGY_DRAM:
			sub = find_zone(f, ENERGY_CORE, z->socket) ? 1 : 0;
			/* fall through */
		default:
			if (!find_zone(f, ENERGY_PACKAGE, z->socket))
				return usage_error("--%s %d:... without --package %d:...", z->name,
						   z->socket, z->socket);
			snprintf(z->dir, sizeof(z->dir), "%s/intel-rapl:%d:%d", f->root,
				 z->socket, sub);
			break;
		}
	}
	return 0;
}

/* --- files -------------------------------------------------------------------- */

/* Replace dir/file with text through a rename, so no reader sees it half written. */
static int write_attr(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	size_t len = strlen(text);
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(tmp, sizeof(tmp), "%s.fakerapl-tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static void format_uj(char *buf, __u64 uj)
{
	snprintf(buf, UJ_WIDTH + 2, "%0*llu\n", UJ_WIDTH, (unsigned long long)uj);
}

/* The value an existing energy_uj holds: 1 if there is one, 0 if none, -errno. */
static int existing_uj(const struct fzone *z, __u64 max_range, __u64 *uj)
{
	char path[PATH_MAX + 16], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/energy_uj", z->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	if (parse_u64_line(buf, n, uj) || *uj > max_range)
		return -EINVAL;
	return 1;
}

/* Energy over elapsed_ns at z's wattage, modulo max_range + 1. */
static __u64 energy_uj(const struct fzone *z, __u64 elapsed_ns, __u64 max_range)
{
	double uj = round(z->watts * ((double)elapsed_ns / 1e3));

	return (__u64)uj % (max_range + 1);
}

/* A package's long-term limit: --limit, else its power at full load. */
static double zone_limit(const struct fzone *z)
{
	if (z->limit_w > 0)
		return z->limit_w;
	return z->curve_n ? z->curve[z->curve_n - 1] : z->watts + z->per_cpu * z->nr_cpus;
}

/* constraint_0 (long_term) and constraint_1 (short_term), as intel_rapl_common makes them. */
static int write_constraints(const struct fzone *z)
{
	static const struct { const char *name; double factor; const char *window; } c[] = {
		{ "long_term", 1, "999424" },
		{ "short_term", SHORT_TERM_FACTOR, "2440" },
	};
	char file[64], text[64];
	int ret = 0;

	for (int i = 0; i < 2 && !ret; i++) {
		__u64 uw = (__u64)llround(zone_limit(z) * c[i].factor * 1e6);

		snprintf(file, sizeof(file), "constraint_%d_name", i);
		snprintf(text, sizeof(text), "%s\n", c[i].name);
		ret = write_attr(z->dir, file, text);
		snprintf(file, sizeof(file), "constraint_%d_power_limit_uw", i);
		snprintf(text, sizeof(text), "%llu\n", (unsigned long long)uw);
		if (!ret)
			ret = write_attr(z->dir, file, text);
		snprintf(file, sizeof(file), "constraint_%d_max_power_uw", i);
		if (!ret)
			ret = write_attr(z->dir, file, text);
		snprintf(file, sizeof(file), "constraint_%d_time_window_us", i);
		snprintf(text, sizeof(text), "%s\n", c[i].window);
		if (!ret)
			ret = write_attr(z->dir, file, text);
	}
	return ret;
}

static int zone_start(struct fake *f, struct fzone *z, char *err, size_t errlen)
{
	__u64 to_wrap;
	int ret;

	if (f->near_wrap_s > 0) {
		to_wrap = energy_uj(z, (__u64)(f->near_wrap_s * 1e9), f->max_range);
		z->start = (f->max_range + 1 - to_wrap) % (f->max_range + 1);
		return 0;
	}
	if (f->have_start) {
		z->start = f->start;
		return 0;
	}
	ret = existing_uj(z, f->max_range, &z->start);
	if (ret < 0) {
		snprintf(err, errlen, "failed to continue from %s/energy_uj: %s%s", z->dir,
			 strerror(-ret), ret == -EINVAL ? " (or above --max-range)" : "");
		return ret;
	}
	if (!ret)
		z->start = 0;
	return 0;
}

/* Directory, name, max range, first value; then keep energy_uj open for pwrite. */
static int create_zone(struct fake *f, struct fzone *z, char *err, size_t errlen)
{
	char text[64], path[PATH_MAX + 16];
	const char *what;
	int ret;

	ret = mkdir_p(z->dir);
	what = "create";
	if (ret)
		goto fail;
	ret = zone_start(f, z, err, errlen);
	if (ret)
		return ret;
	snprintf(text, sizeof(text), "%s\n", z->name);
	what = "write name in";
	ret = write_attr(z->dir, "name", text);
	if (ret)
		goto fail;
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)f->max_range);
	what = "write max_energy_range_uj in";
	ret = write_attr(z->dir, "max_energy_range_uj", text);
	if (ret)
		goto fail;
	if (z->kind == ENERGY_PACKAGE && !f->no_constraints) {
		what = "write constraint files in";
		ret = write_constraints(z);
		if (ret)
			goto fail;
	}
	/* an existing energy_uj keeps its inode: readers holding it see the new run */
	snprintf(path, sizeof(path), "%s/energy_uj", z->dir);
	if (access(path, F_OK)) {
		format_uj(text, z->start);
		what = "write energy_uj in";
		ret = write_attr(z->dir, "energy_uj", text);
		if (ret)
			goto fail;
	}
	what = "open energy_uj in";
	z->fd = open(path, O_WRONLY | O_CLOEXEC);
	if (z->fd < 0) {
		ret = -errno;
		goto fail;
	}
	return 0;

fail:
	snprintf(err, errlen, "failed to %s %s: %s", what, z->dir, strerror(-ret));
	return ret;
}

/* Add busy_us of one CPU to the zones that follow it, from a cumulative counter. */
static void add_busy(struct fake *f, int cpu, unsigned long long busy, double us_per_unit)
{
	unsigned long long prev = f->last_busy[cpu];

	f->last_busy[cpu] = busy;
	if (prev == ~0ULL || busy < prev)
		return;
	for (int i = 0; i < f->nr; i++)
		if ((f->zones[i].per_cpu > 0 || f->zones[i].curve_n) && f->zones[i].cpus[cpu])
			f->zones[i].busy_us += (double)(busy - prev) * us_per_unit;
}

static void add_ticks(void *ctx, int cpu, unsigned long long ticks)
{
	add_busy(ctx, cpu, ticks, 1e6 / stat_hz());
}

/* Busy time of every CPU from /proc/stat (faketool.h's stat_busy()). */
static int read_stat(struct fake *f, char *err, size_t errlen)
{
	int ret = stat_busy(WP_MAX_CPUS, add_ticks, f);

	if (ret)
		snprintf(err, errlen, "failed to open /proc/stat: %s", strerror(-ret));
	return ret;
}

/*
 * Busy time of every CPU from the root cgroup's cpuacct.usage_percpu (cgroup
 * v1): nanoseconds the scheduler charged to tasks on each CPU, exactly.
 */
static int read_cpuacct(struct fake *f, char *err, size_t errlen)
{
	char buf[65536], *p, *end;
	ssize_t n;
	int fd, cpu = 0;

	fd = open(f->cpuacct, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "failed to open %s: %s", f->cpuacct, strerror(errno));
		return -errno;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		snprintf(err, errlen, "failed to read %s: %s", f->cpuacct,
			 n ? strerror(errno) : "empty");
		return -EIO;
	}
	buf[n] = '\0';
	for (p = buf; cpu < WP_MAX_CPUS; cpu++, p = end) {
		unsigned long long ns = strtoull(p, &end, 10);

		if (end == p)
			break;
		add_busy(f, cpu, ns, 1e-3);
	}
	return 0;
}

static int read_busy(struct fake *f, char *err, size_t errlen)
{
	return f->cpuacct ? read_cpuacct(f, err, errlen) : read_stat(f, err, errlen);
}

/* A standard normal deviate (Box-Muller) from rand_r. */
static double normal(unsigned int *seed)
{
	double u1 = (rand_r(seed) + 1.0) / ((double)RAND_MAX + 2.0);
	double u2 = (rand_r(seed) + 1.0) / ((double)RAND_MAX + 2.0);

	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/*
 * Noise energy of the last step_ns: each zone draws its own deviate every
 * 100 ms, and never goes below 0 W.
 */
static void add_noise(struct fake *f, __u64 elapsed_ns, __u64 step_ns)
{
	bool next = elapsed_ns >= f->noise_until;

	if (f->noise_w <= 0)
		return;
	if (next)
		f->noise_until = elapsed_ns + NOISE_SEGMENT_NS;
	for (int i = 0; i < f->nr; i++) {
		struct fzone *z = &f->zones[i];
		double w;

		if (next)
			z->noise_w = f->noise_w * normal(&f->seed);
		w = z->noise_w < -z->watts ? -z->watts : z->noise_w;
		z->noise_uj += w * (double)step_ns / 1e3;
	}
}

/* A curve's power at utilisation u (0..1), linear between its points. */
static double curve_at(const struct fzone *z, double u)
{
	double t = (u < 0 ? 0 : u > 1 ? 1 : u) * (z->curve_n - 1);
	int k = (int)t;

	if (k >= z->curve_n - 1)
		return z->curve[z->curve_n - 1];
	t -= k;
	return z->curve[k] * (1 - t) + z->curve[k + 1] * t;
}

/*
 * The curve's energy of the last step: its power at the utilisation of the
 * last smooth_ms, the busy time of the steps ending in it over their length
 * (a window, not an exponential average: a change of load is fully in the
 * power smooth_ms later, not a share of it for ever after).
 */
static void advance_curve(struct fzone *z, __u64 step_ns, long smooth_ms)
{
	double step_us = step_ns / 1e3, busy = 0, us = 0;

	if (!step_us || !z->nr_cpus)
		return;
	z->smooth_busy[z->smooth_at] = z->busy_us - z->curve_busy_us;
	z->smooth_us[z->smooth_at] = step_us;
	z->smooth_at = (z->smooth_at + 1) % SMOOTH_STEPS;
	if (z->smooth_n < SMOOTH_STEPS)
		z->smooth_n++;
	z->curve_busy_us = z->busy_us;
	for (int k = 1; k <= z->smooth_n && us < smooth_ms * 1e3; k++) {
		int at = (z->smooth_at - k + SMOOTH_STEPS) % SMOOTH_STEPS;

		busy += z->smooth_busy[at];
		us += z->smooth_us[at];
	}
	z->curve_uj += curve_at(z, busy / (us * z->nr_cpus)) * step_us;
}

static int advance(struct fake *f, __u64 elapsed_ns, __u64 step_ns, char *err, size_t errlen)
{
	char text[UJ_WIDTH + 2];
	int ret;

	if (f->follow) {
		ret = read_busy(f, err, errlen);
		if (ret)
			return ret;
	}
	add_noise(f, elapsed_ns, step_ns);
	for (int i = 0; i < f->nr; i++) {
		struct fzone *z = &f->zones[i];
		__u64 v = energy_uj(z, elapsed_ns, f->max_range);

		if (z->curve_n) {
			advance_curve(z, step_ns, f->smooth_ms);
			v = (__u64)llround(z->curve_uj + z->noise_uj) % (f->max_range + 1);
		} else if (z->per_cpu > 0 || z->noise_uj) {
			v = (__u64)llround(z->watts * ((double)elapsed_ns / 1e3) +
					   z->per_cpu * z->busy_us + z->noise_uj) %
			    (f->max_range + 1);
		}
		v = (z->start + v) % (f->max_range + 1);
		format_uj(text, v);
		if (pwrite(z->fd, text, UJ_WIDTH + 1, 0) != UJ_WIDTH + 1) {
			snprintf(err, errlen, "failed to write %s/energy_uj: %s", z->dir,
				 strerror(errno));
			return -EIO;
		}
	}
	return 0;
}

static int run(struct fake *f, char *err, size_t errlen)
{
	__u64 t0 = now_ns(CLOCK_MONOTONIC), period = (__u64)f->period_ms * 1000000, next = t0, last = 0, at;
	struct timespec ts;
	int ret;

	/*
	 * Ahead of ordinary work where we may (root): real counters move every
	 * millisecond whatever the load, and the agent takes a counter that has
	 * not moved for 50 ms as stuck. Ahead of any niceness: at nice -10, while
	 * others' floods of processes kept their agents' drain threads (nice -20)
	 * and 10,000 tasks running, a fake wrote nothing for a whole 0.5 s interval
	 * ("counter stuck"), and more often wrote late (an interval's power read
	 * 16.8 W where its load drew 35.3 W, the next 77.3 W). Its work is 1.2% of a
	 * CPU. Without the privilege, as we are.
	 */
	if (sched_setscheduler(0, SCHED_FIFO, &(struct sched_param){ .sched_priority = 1 }) &&
	    getpriority(PRIO_PROCESS, 0) > -10)
		setpriority(PRIO_PROCESS, 0, -10);

	if (f->follow) {
		/* the load counts from now on */
		f->last_busy = malloc(WP_MAX_CPUS * sizeof(*f->last_busy));
		if (!f->last_busy) {
			snprintf(err, errlen, "failed to allocate: %s", strerror(ENOMEM));
			return -ENOMEM;
		}
		memset(f->last_busy, 0xff, WP_MAX_CPUS * sizeof(*f->last_busy));
		ret = read_busy(f, err, errlen);
		if (ret)
			return ret;
	}
	for (;;) {
		at = now_ns(CLOCK_MONOTONIC) - t0;
		ret = advance(f, at, at - last, err, errlen);
		last = at;
		if (ret || f->once || stop)
			return ret;
		next += period;
		if (next < now_ns(CLOCK_MONOTONIC))	/* fell behind: no burst of catch-up writes */
			next = now_ns(CLOCK_MONOTONIC) + period;
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		/* a signal ends the sleep early: the loop writes the last value and stops */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

int main(int argc, char **argv)
{
	static struct fake f = { .max_range = DEFAULT_MAX_RANGE, .period_ms = 10,
				 .smooth_ms = CURVE_SMOOTH_MS, .seed = 1 };
	char err[PATH_MAX + 256] = "";
	int ret;

	ret = parse_args(&f, argc, argv);
	if (ret)
		return ret;
	ret = lay_out(&f);
	if (ret)
		return ret;
	catch_signals();
	ret = mkdir_p(f.root);
	if (ret) {
		snprintf(err, sizeof(err), "failed to create %s: %s", f.root, strerror(-ret));
		goto cleanup;
	}
	for (int i = 0; i < f.nr && !ret; i++)
		ret = create_zone(&f, &f.zones[i], err, sizeof(err));
	if (!ret)
		ret = run(&f, err, sizeof(err));

cleanup:
	for (int i = 0; i < f.nr; i++)
		if (f.zones[i].fd >= 0)
			close(f.zones[i].fd);
	free(f.last_busy);
	if (ret) {
		fprintf(stderr, "fakerapl: %s\n", err);
		return 1;
	}
	return 0;
}
