// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* wattprobe: how many watts each process draws. Command line and main loops. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "output.h"
#include "sampler.h"
#include "util.h"

#define WATTPROBE_VERSION "0.1.0"

static const char usage[] =
"NAME\n"
"    wattprobe - how many watts each process on this host draws\n"
"\n"
"SYNOPSIS\n"
"    wattprobe [top] [OPTIONS]\n"
"    wattprobe json [OPTIONS]\n"
"    wattprobe prometheus [OPTIONS]\n"
"\n"
"DESCRIPTION\n"
"    A BPF program on the sched_switch tracepoint counts the exact on-CPU time of\n"
"    every process on every CPU. Each interval, wattprobe reads it with the energy\n"
"    counters of RAPL (powercap sysfs) and splits each socket's energy over the\n"
"    processes by their on-CPU time on that socket. Without RAPL (most VMs) the\n"
"    energy comes from a power model and is marked \"sensor: model\" (estimated).\n"
"\n"
"COMMANDS\n"
"    top         a table refreshed every interval, biggest consumer first (default)\n"
"    json        one JSON object per interval on stdout (JSON Lines)\n"
"    prometheus  serve /metrics over HTTP for Prometheus\n"
"\n"
"OPTIONS\n"
"    -i, --interval SECONDS   sampling interval, fractional (default 1)\n"
"    -c, --count N            stop after N intervals (default: run until SIGINT/SIGTERM)\n"
"    -n, --top N              show N processes, sum the rest into \"others\" (top: 20)\n"
"        --sensor KIND        auto (RAPL if readable, else model), rapl or model\n"
"        --powercap-root DIR  where the RAPL zones are (default /sys/class/powercap)\n"
"        --tdp WATTS          model: power of a socket at full load\n"
"                             (default 10 W per online CPU of the socket)\n"
"        --idle-watts WATTS   idle baseline per socket; rapl default: learnt from the\n"
"                             low end of power at low utilisation; model default:\n"
"                             30% of --tdp\n"
"        --spread-idle        give the idle baseline to processes too, by CPU time\n"
"        --max-processes N    processes tracked at once (default 32768); time of the\n"
"                             ones beyond goes to \"[unrecorded]\" and counts as dropped\n"
"        --listen ADDR:PORT   prometheus: where to listen (default 127.0.0.1:9725)\n"
"        --attach KIND        auto, tp_btf or raw_tp (default auto: tp_btf if the\n"
"                             kernel's BTF has the tracepoint, else raw_tp)\n"
"    -v, --verbose            libbpf's messages and more warnings on stderr\n"
"    -h, --help               this text\n"
"    -V, --version            the version\n"
"\n"
"PRIVILEGES\n"
"    Loading the BPF program needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN);\n"
"    reading RAPL's energy_uj needs root or CAP_DAC_READ_SEARCH on kernels since 5.10.\n"
"\n"
"EXIT STATUS\n"
"    0 success, 1 runtime failure (missing privileges, no BTF, ...), 2 usage error.\n"
"\n"
"EXAMPLES\n"
"    wattprobe                        live table, one refresh per second\n"
"    wattprobe json -i 10 | jq .host.power_w\n"
"    wattprobe prometheus --listen 0.0.0.0:9725\n";

enum command { CMD_TOP, CMD_JSON, CMD_PROMETHEUS };

struct config {
	enum command cmd;
	struct sampler_opts sopts;
	struct output_opts oopts;
	long long count;
	const char *listen;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "wattprobe: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'wattprobe --help' for more information.\n");
	return 2;
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v != v || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

enum {
	OPT_SENSOR = 256, OPT_POWERCAP, OPT_TDP, OPT_IDLE, OPT_SPREAD, OPT_MAXPROC,
	OPT_LISTEN, OPT_ATTACH,
};

static const struct option long_opts[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'c' },
	{ "top", required_argument, NULL, 'n' },
	{ "sensor", required_argument, NULL, OPT_SENSOR },
	{ "powercap-root", required_argument, NULL, OPT_POWERCAP },
	{ "tdp", required_argument, NULL, OPT_TDP },
	{ "idle-watts", required_argument, NULL, OPT_IDLE },
	{ "spread-idle", no_argument, NULL, OPT_SPREAD },
	{ "max-processes", required_argument, NULL, OPT_MAXPROC },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{},
};

/* 0 to go on, 1 to exit 0 (help, version), 2 for a usage error. */
static int parse_args(int argc, char **argv, struct config *c)
{
	long long n;
	bool top_set = false;
	int opt;

	c->cmd = CMD_TOP;
	c->sopts = (struct sampler_opts){
		.interval_s = 1, .sensor = SENSOR_AUTO, .idle_w = -1, .max_procs = 32768,
		.attach = PROBE_ATTACH_AUTO,
	};
	c->count = -1;
	c->listen = "127.0.0.1:9725";
	c->oopts.top = 20;

	if (argc > 1 && argv[1][0] != '-') {
		if (!strcmp(argv[1], "top"))
			c->cmd = CMD_TOP;
		else if (!strcmp(argv[1], "json"))
			c->cmd = CMD_JSON;
		else if (!strcmp(argv[1], "prometheus"))
			c->cmd = CMD_PROMETHEUS;
		else
			return usage_error("unknown command '%s' (expected top, json or prometheus)",
					   argv[1]);
		argv++;
		argc--;
	}
	while ((opt = getopt_long(argc, argv, "i:c:n:vhV", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (parse_double(optarg, 0.01, 86400, &c->sopts.interval_s))
				return usage_error("invalid --interval '%s': expected seconds between "
						   "0.01 and 86400", optarg);
			break;
		case 'c':
			if (parse_ll(optarg, 1, LLONG_MAX, &c->count))
				return usage_error("invalid --count '%s': expected a positive integer",
						   optarg);
			break;
		case 'n':
			if (parse_ll(optarg, 0, 1000000, &n))
				return usage_error("invalid --top '%s': expected an integer from 0 "
						   "(all) to 1000000", optarg);
			c->oopts.top = (unsigned)n;
			top_set = true;
			break;
		case OPT_SENSOR:
			if (!strcmp(optarg, "auto"))
				c->sopts.sensor = SENSOR_AUTO;
			else if (!strcmp(optarg, "rapl"))
				c->sopts.sensor = SENSOR_RAPL;
			else if (!strcmp(optarg, "model"))
				c->sopts.sensor = SENSOR_MODEL;
			else
				return usage_error("invalid --sensor '%s': expected auto, rapl or model",
						   optarg);
			break;
		case OPT_POWERCAP:
			c->sopts.powercap_root = optarg;
			break;
		case OPT_TDP:
			if (parse_double(optarg, 0.001, 100000, &c->sopts.tdp_w))
				return usage_error("invalid --tdp '%s': expected watts above 0", optarg);
			break;
		case OPT_IDLE:
			if (parse_double(optarg, 0, 100000, &c->sopts.idle_w))
				return usage_error("invalid --idle-watts '%s': expected watts, 0 or more",
						   optarg);
			break;
		case OPT_SPREAD:
			c->sopts.spread_idle = true;
			break;
		case OPT_MAXPROC:
			if (parse_ll(optarg, 2, 1 << 24, &n))
				return usage_error("invalid --max-processes '%s': expected 2 to 16777216",
						   optarg);
			c->sopts.max_procs = (__u32)n;
			break;
		case OPT_LISTEN:
			c->listen = optarg;
			break;
		case OPT_ATTACH:
			if (!strcmp(optarg, "auto"))
				c->sopts.attach = PROBE_ATTACH_AUTO;
			else if (!strcmp(optarg, "tp_btf"))
				c->sopts.attach = PROBE_ATTACH_TP_BTF;
			else if (!strcmp(optarg, "raw_tp"))
				c->sopts.attach = PROBE_ATTACH_RAW_TP;
			else
				return usage_error("invalid --attach '%s': expected auto, tp_btf or raw_tp",
						   optarg);
			break;
		case 'v':
			c->sopts.verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("wattprobe %s\n", WATTPROBE_VERSION);
			return 1;
		default:
			fprintf(stderr, "Try 'wattprobe --help' for more information.\n");
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (c->sopts.tdp_w > 0 && c->sopts.idle_w > c->sopts.tdp_w)
		return usage_error("--idle-watts is above --tdp%s", "");
	if (!top_set && c->cmd != CMD_TOP)
		c->oopts.top = c->cmd == CMD_PROMETHEUS ? 50 : 0;
	return 0;
}

static int terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_col)
		return 0;
	return ws.ws_col;
}

/* Sleep until the absolute CLOCK_MONOTONIC time deadline; false if a signal asked us to stop. */
static bool sleep_until(__u64 deadline)
{
	struct timespec ts = { .tv_sec = deadline / NSEC_PER_SEC, .tv_nsec = deadline % NSEC_PER_SEC };

	while (!stopping) {
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

		if (!r)
			return !stopping;
		if (r != EINTR)
			return false;
	}
	return false;
}

typedef int (*emit_fn)(struct config *c, struct sampler *s, void *ctx);

static int emit_top(struct config *c, struct sampler *s, void *ctx)
{
	c->oopts.width = c->oopts.redraw ? terminal_width() : 0;
	top__print(stdout, &s->cur, &c->oopts);
	return 0;
}

/* The one loop every command runs: sample at fixed deadlines, hand each sample to emit. */
static int run_loop(struct config *c, struct sampler *s, emit_fn emit, void *ctx)
{
	__u64 period = (__u64)(c->sopts.interval_s * NSEC_PER_SEC);
	__u64 deadline = now_ns(CLOCK_MONOTONIC);
	int err = 0;

	for (long long i = 0; c->count < 0 || i < c->count; i++) {
		deadline += period;
		if (!sleep_until(deadline))
			break;
		err = sampler__sample(s);
		if (err) {
			fprintf(stderr, "wattprobe: failed to sample: %s\n", strerror(-err));
			break;
		}
		err = emit(c, s, ctx);
		sampler__done(s);
		if (err)
			break;
		/* a sample late by more than a period skips ahead instead of bunching up */
		if (now_ns(CLOCK_MONOTONIC) > deadline + period)
			deadline = now_ns(CLOCK_MONOTONIC);
	}
	return err;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct config c = {};
	struct sampler s;
	char err[512] = "";
	int ret;

	ret = parse_args(argc, argv, &c);
	if (ret)
		return ret == 1 ? 0 : 2;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = sampler__open(&s, &c.sopts, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "wattprobe: %s\n", err);
		return 1;
	}
	switch (c.cmd) {
	case CMD_TOP:
		c.oopts.redraw = isatty(STDOUT_FILENO);
		ret = run_loop(&c, &s, emit_top, NULL);
		break;
	case CMD_JSON:
	case CMD_PROMETHEUS:
		ret = -ENOSYS;
		break;
	}
	sampler__close(&s);
	return ret ? 1 : 0;
}
