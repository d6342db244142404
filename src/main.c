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
#include "http.h"
#include "output.h"
#include "privs.h"
#include "sampler.h"
#include "util.h"
#include "view.h"

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
"    -g, --group-by KEY       sum processes by pid (default), comm, exe, cgroup,\n"
"                             container or unit (systemd service or scope)\n"
"    -p, --pid PID            show only this process (repeatable); the rest go to others\n"
"        --comm REGEX         show only processes whose command matches (POSIX ERE)\n"
"        --cgroup PREFIX      show only processes whose cgroup path starts with PREFIX\n"
"        --max-processes N    processes tracked at once (default 32768); time of the\n"
"                             ones beyond goes to \"[unrecorded]\" and counts as dropped\n"
"        --listen ADDR:PORT   prometheus: where to listen (default 127.0.0.1:9725)\n"
"        --user NAME          after start-up, drop every capability and run as NAME\n"
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
	struct view_opts vopts;
	long long count;
	const char *listen;
	const char *user;
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
	OPT_LISTEN, OPT_ATTACH, OPT_COMM, OPT_CGROUP, OPT_USER,
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
	{ "group-by", required_argument, NULL, 'g' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "user", required_argument, NULL, OPT_USER },
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
	c->vopts.top = 20;

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
	while ((opt = getopt_long(argc, argv, "i:c:n:g:p:vhV", long_opts, NULL)) != -1) {
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
			c->vopts.top = (unsigned)n;
			top_set = true;
			break;
		case 'g':
			if (group_by_parse(optarg, &c->vopts.by))
				return usage_error("invalid --group-by '%s': expected pid, comm, exe, "
						   "cgroup, container or unit", optarg);
			break;
		case 'p':
			if (parse_ll(optarg, 1, 0x7fffffff, &n))
				return usage_error("invalid --pid '%s': expected a process id", optarg);
			if (c->vopts.nr_pids == VIEW_MAX_PIDS)
				return usage_error("too many --pid options (at most 64): '%s'", optarg);
			c->vopts.pids[c->vopts.nr_pids++] = (__u32)n;
			break;
		case OPT_COMM: {
			int r = regcomp(&c->vopts.comm_re, optarg, REG_EXTENDED | REG_NOSUB);

			if (r) {
				char msg[128];

				regerror(r, &c->vopts.comm_re, msg, sizeof(msg));
				fprintf(stderr, "wattprobe: invalid --comm '%s': %s\n", optarg, msg);
				fprintf(stderr, "Try 'wattprobe --help' for more information.\n");
				return 2;
			}
			c->vopts.have_comm_re = true;
			break;
		}
		case OPT_CGROUP:
			c->vopts.cgroup_prefix = optarg;
			break;
		case OPT_USER:
			c->user = optarg;
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
		c->vopts.top = c->cmd == CMD_PROMETHEUS ? 50 : 0;
	if (c->user && privs__check_user(c->user))
		return usage_error("unknown --user '%s': no such user in the passwd database",
				   c->user);
	c->oopts.by = c->vopts.by;
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

/* What the loop hands each sample to. 0 to go on, 1 to stop quietly, -errno on failure. */
struct emitter {
	int (*emit)(struct config *c, struct sampler *s, struct view *v, void *ctx);
	void *ctx;
};

static int emit_top(struct config *c, struct sampler *s, struct view *v, void *ctx)
{
	c->oopts.width = c->oopts.redraw ? terminal_width() : 0;
	top__print(stdout, s, v, &c->oopts);
	return 0;
}

/* One line per sample, flushed; a reader gone away (EPIPE) ends us quietly. */
static int emit_json(struct config *c, struct sampler *s, struct view *v, void *ctx)
{
	struct jw *w = ctx;

	json__sample(w, s, v, &c->oopts);
	if (w->err)
		return -ENOMEM;
	if (fwrite(w->buf, 1, w->len, stdout) != w->len || fputc('\n', stdout) == EOF ||
	    fflush(stdout)) {
		if (errno == EPIPE)
			return 1;
		fprintf(stderr, "wattprobe: failed to write to stdout: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

struct prom_ctx {
	struct pbuf page;
	struct http_server *http;
};

static int emit_prom(struct config *c, struct sampler *s, struct view *v, void *ctx)
{
	struct prom_ctx *p = ctx;

	prom__sample(&p->page, s, v, &c->oopts);
	if (p->page.err)
		return -ENOMEM;
	return http__publish(p->http, p->page.buf, p->page.len);
}

/* The one loop every command runs: sample at fixed deadlines, hand each sample on. */
static int run_loop(struct config *c, struct sampler *s, const struct emitter *e)
{
	__u64 period = (__u64)(c->sopts.interval_s * NSEC_PER_SEC);
	__u64 deadline = now_ns(CLOCK_MONOTONIC);
	struct view v;
	int err;

	err = view__init(&v);
	if (err)
		return err;
	for (long long i = 0; c->count < 0 || i < c->count; i++) {
		deadline += period;
		if (!sleep_until(deadline))
			break;
		err = sampler__sample(s);
		if (err) {
			fprintf(stderr, "wattprobe: failed to sample: %s\n", strerror(-err));
			break;
		}
		err = view__build(&v, s, &c->vopts);
		if (!err)
			err = e->emit(c, s, &v, e->ctx);
		sampler__done(s);
		if (err)
			break;
		/* a sample late by more than a period skips ahead instead of bunching up */
		if (now_ns(CLOCK_MONOTONIC) > deadline + period)
			deadline = now_ns(CLOCK_MONOTONIC);
	}
	view__free(&v);
	return err < 0 ? err : 0;
}

static int run(struct config *c, struct sampler *s, struct http_server *http)
{
	struct prom_ctx prom = { .http = http };
	struct emitter e = {};
	struct jw w;
	int ret;

	switch (c->cmd) {
	case CMD_TOP:
		c->oopts.redraw = isatty(STDOUT_FILENO);
		e.emit = emit_top;
		return run_loop(c, s, &e);
	case CMD_JSON:
		jw_init(&w);
		e = (struct emitter){ .emit = emit_json, .ctx = &w };
		ret = run_loop(c, s, &e);
		jw_free(&w);
		return ret;
	case CMD_PROMETHEUS:
		pbuf_init(&prom.page);
		e = (struct emitter){ .emit = emit_prom, .ctx = &prom };
		ret = run_loop(c, s, &e);
		pbuf_free(&prom.page);
		return ret;
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct http_server *http = NULL;
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
	/* a port below 1024 needs privileges too */
	if (c.cmd == CMD_PROMETHEUS) {
		http = http__start(c.listen, err, sizeof(err));
		if (!http) {
			fprintf(stderr, "wattprobe: %s\n", err);
			ret = 1;
			goto cleanup;
		}
	}
	/* everything privileged is done: BPF attached, energy files open, port bound */
	ret = privs__drop(c.user, privs__kernel_needs_bpf_cap(), err, sizeof(err));
	if (ret) {
		fprintf(stderr, "wattprobe: %s\n", err);
		ret = 1;
		goto cleanup;
	}
	ret = run(&c, &s, http) ? 1 : 0;
cleanup:
	if (http)
		http__stop(http);
	sampler__close(&s);
	if (c.vopts.have_comm_re)
		regfree(&c.vopts.comm_re);
	return ret;
}
