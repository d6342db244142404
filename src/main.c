// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * wattprobe: how many watts each process draws. The command line and the main loops.
 *
 * Commands and options are each one table. The usage text (--help), getopt's long
 * options and the check that an option applies to the command are all made from
 * them, so a new option or command is one entry (and its README line, which
 * tests/sh/cli.sh checks).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
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

#define WATTPROBE_VERSION "0.2.0"

enum command { CMD_TOP, CMD_JSON, CMD_PROMETHEUS, CMD_NR };

#define CMD(c)		(1u << (c))
#define ALL_CMDS	(CMD(CMD_NR) - 1)
#define AGENT_CMDS	(CMD(CMD_TOP) | CMD(CMD_JSON) | CMD(CMD_PROMETHEUS))

struct config {
	enum command cmd;
	struct sampler_opts sopts;
	struct output_opts oopts;
	struct view_opts vopts;
	bool top_set;
	long long count;
	const char *listen;
	const char *user;
};

/* --- the commands --------------------------------------------------------------------- */

struct command_def {
	const char *name;
	const char *synopsis;		/* what follows "wattprobe NAME" */
	const char *summary;		/* for COMMANDS: lines joined by '\n' */
	unsigned default_top;		/* --top when not given; 0: all */
	int (*main)(struct config *c);	/* exit status */
};

static int agent_main(struct config *c);

static const struct command_def commands[CMD_NR] = {
	[CMD_TOP] = { "top", "[OPTIONS]",
		      "a table refreshed every interval, biggest consumer first\n(the default command)",
		      20, agent_main },
	[CMD_JSON] = { "json", "[OPTIONS]", "one JSON object per interval on stdout (JSON Lines)",
		       0, agent_main },
	[CMD_PROMETHEUS] = { "prometheus", "[OPTIONS]", "serve /metrics over HTTP for Prometheus",
			     50, agent_main },
};

static const char *command_list(unsigned cmds, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < CMD_NR; i++)
		if (cmds & CMD(i))
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
				      commands[i].name);
	return buf;
}

/* --- the options ---------------------------------------------------------------------- */

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wattprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
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

/* An option's handler: 0, 1 to exit 0 now (--help, --version), 2 after a usage error. */
typedef int (*opt_set_fn)(struct config *c, const char *arg);

static int set_interval(struct config *c, const char *arg)
{
	if (parse_double(arg, 0.01, 86400, &c->sopts.interval_s))
		return usage_error("invalid --interval '%s': expected seconds between 0.01 and 86400",
				   arg);
	return 0;
}

static int set_count(struct config *c, const char *arg)
{
	if (parse_ll(arg, 1, LLONG_MAX, &c->count))
		return usage_error("invalid --count '%s': expected a positive integer", arg);
	return 0;
}

static int set_top(struct config *c, const char *arg)
{
	long long n;

	if (parse_ll(arg, 0, 1000000, &n))
		return usage_error("invalid --top '%s': expected an integer from 0 (all) to 1000000",
				   arg);
	c->vopts.top = (unsigned)n;
	c->top_set = true;
	return 0;
}

static int set_group_by(struct config *c, const char *arg)
{
	if (group_by_parse(arg, &c->vopts.by))
		return usage_error("invalid --group-by '%s': expected pid, comm, exe, cgroup, "
				   "container or unit", arg);
	return 0;
}

static int set_pid(struct config *c, const char *arg)
{
	long long n;

	if (parse_ll(arg, 1, 0x7fffffff, &n))
		return usage_error("invalid --pid '%s': expected a process id", arg);
	if (c->vopts.nr_pids == VIEW_MAX_PIDS)
		return usage_error("too many --pid options (at most %d): '%s'", VIEW_MAX_PIDS, arg);
	c->vopts.pids[c->vopts.nr_pids++] = (__u32)n;
	return 0;
}

static int set_comm(struct config *c, const char *arg)
{
	char msg[128];
	int r;

	if (c->vopts.have_comm_re) {
		regfree(&c->vopts.comm_re);
		c->vopts.have_comm_re = false;
	}
	r = regcomp(&c->vopts.comm_re, arg, REG_EXTENDED | REG_NOSUB);
	if (r) {
		regerror(r, &c->vopts.comm_re, msg, sizeof(msg));
		return usage_error("invalid --comm '%s': %s", arg, msg);
	}
	c->vopts.have_comm_re = true;
	return 0;
}

static int set_cgroup(struct config *c, const char *arg)
{
	c->vopts.cgroup_prefix = arg;
	return 0;
}

static int set_max_processes(struct config *c, const char *arg)
{
	long long n;

	if (parse_ll(arg, 2, 1 << 24, &n))
		return usage_error("invalid --max-processes '%s': expected 2 to 16777216", arg);
	c->sopts.max_procs = (__u32)n;
	return 0;
}

static int set_sensor(struct config *c, const char *arg)
{
	if (!strcmp(arg, "auto"))
		c->sopts.sensor = SENSOR_AUTO;
	else if (!strcmp(arg, "rapl"))
		c->sopts.sensor = SENSOR_RAPL;
	else if (!strcmp(arg, "model"))
		c->sopts.sensor = SENSOR_MODEL;
	else
		return usage_error("invalid --sensor '%s': expected auto, rapl or model", arg);
	return 0;
}

static int set_powercap_root(struct config *c, const char *arg)
{
	c->sopts.powercap_root = arg;
	return 0;
}

static int set_tdp(struct config *c, const char *arg)
{
	if (parse_double(arg, 0.001, 100000, &c->sopts.tdp_w))
		return usage_error("invalid --tdp '%s': expected watts above 0", arg);
	return 0;
}

static int set_idle_watts(struct config *c, const char *arg)
{
	if (parse_double(arg, 0, 100000, &c->sopts.idle_w))
		return usage_error("invalid --idle-watts '%s': expected watts, 0 or more", arg);
	return 0;
}

static int set_spread_idle(struct config *c, const char *arg)
{
	c->sopts.spread_idle = true;
	return 0;
}

static int set_listen(struct config *c, const char *arg)
{
	c->listen = arg;
	return 0;
}

static int set_user(struct config *c, const char *arg)
{
	if (privs__check_user(arg))
		return usage_error("unknown --user '%s': no such user in the passwd database", arg);
	c->user = arg;
	return 0;
}

static int set_attach(struct config *c, const char *arg)
{
	if (!strcmp(arg, "auto"))
		c->sopts.attach = PROBE_ATTACH_AUTO;
	else if (!strcmp(arg, "tp_btf"))
		c->sopts.attach = PROBE_ATTACH_TP_BTF;
	else if (!strcmp(arg, "raw_tp"))
		c->sopts.attach = PROBE_ATTACH_RAW_TP;
	else
		return usage_error("invalid --attach '%s': expected auto, tp_btf or raw_tp", arg);
	return 0;
}

static int set_verbose(struct config *c, const char *arg)
{
	c->sopts.verbose = true;
	return 0;
}

static int show_help(struct config *c, const char *arg);

static int show_version(struct config *c, const char *arg)
{
	printf("wattprobe %s\n", WATTPROBE_VERSION);
	return 1;
}

struct option_def {
	const char *name;	/* long name */
	char letter;		/* short name, 0 if none */
	const char *arg;	/* the argument's name in the usage; NULL: a flag */
	unsigned cmds;		/* the commands it applies to */
	const char *help;	/* lines joined by '\n' */
	opt_set_fn set;
};

static const struct option_def options[] = {
	{ "interval", 'i', "SECONDS", ALL_CMDS,
	  "sampling interval, fractional (default 1)", set_interval },
	{ "count", 'c', "N", ALL_CMDS,
	  "stop after N intervals (default: run until SIGINT/SIGTERM)", set_count },
	{ "top", 'n', "N", ALL_CMDS,
	  "show N rows, sum the rest into \"others\"\n(top: 20, prometheus: 50, json: 0 = all)",
	  set_top },
	{ "group-by", 'g', "KEY", ALL_CMDS,
	  "sum processes by pid (default), comm, exe, cgroup,\n"
	  "container or unit (systemd service or scope)", set_group_by },
	{ "pid", 'p', "PID", ALL_CMDS,
	  "show only this process (repeatable); the rest go to others", set_pid },
	{ "comm", 0, "REGEX", ALL_CMDS,
	  "show only processes whose command matches (POSIX ERE)", set_comm },
	{ "cgroup", 0, "PREFIX", ALL_CMDS,
	  "show only processes whose cgroup path starts with PREFIX", set_cgroup },
	{ "sensor", 0, "KIND", ALL_CMDS,
	  "auto (RAPL if readable, else model), rapl or model", set_sensor },
	{ "powercap-root", 0, "DIR", ALL_CMDS,
	  "where the RAPL zones are (default /sys/class/powercap)", set_powercap_root },
	{ "tdp", 0, "WATTS", ALL_CMDS,
	  "model: power of a socket at full load\n(default 10 W per online CPU of the socket)",
	  set_tdp },
	{ "idle-watts", 0, "WATTS", ALL_CMDS,
	  "idle baseline per socket; rapl default: learnt from the\n"
	  "low end of power at low utilisation; model default:\n30% of --tdp", set_idle_watts },
	{ "spread-idle", 0, NULL, ALL_CMDS,
	  "give the idle baseline to processes too, by CPU time", set_spread_idle },
	{ "max-processes", 0, "N", ALL_CMDS,
	  "processes tracked at once (default 32768); time of the\n"
	  "ones beyond goes to \"[unrecorded]\" and counts as dropped", set_max_processes },
	{ "listen", 0, "ADDR:PORT", CMD(CMD_PROMETHEUS),
	  "where to listen (default 127.0.0.1:9725)", set_listen },
	{ "user", 0, "NAME", ALL_CMDS,
	  "after start-up, drop every capability and run as NAME", set_user },
	{ "attach", 0, "KIND", ALL_CMDS,
	  "auto, tp_btf or raw_tp (default auto: tp_btf if the\n"
	  "kernel's BTF has the tracepoint, else raw_tp)", set_attach },
	{ "verbose", 'v', NULL, ALL_CMDS, "libbpf's messages and more warnings on stderr",
	  set_verbose },
	{ "help", 'h', NULL, ALL_CMDS, "this text", show_help },
	{ "version", 'V', NULL, ALL_CMDS, "the version", show_version },
};

#define NR_OPTIONS ARRAY_SIZE(options)
#define OPT_KEY(i) (256 + (int)(i))	/* getopt's value for options[i] */

static const char usage_head[] =
"NAME\n"
"    wattprobe - how many watts each process on this host draws\n"
"\n"
"SYNOPSIS\n";

static const char usage_description[] =
"\n"
"DESCRIPTION\n"
"    A BPF program on the sched_switch tracepoint counts the exact on-CPU time of\n"
"    every process on every CPU. Each interval, wattprobe reads it with the energy\n"
"    counters of RAPL (powercap sysfs) and splits each socket's energy over the\n"
"    processes by their on-CPU time on that socket. Without RAPL (most VMs) the\n"
"    energy comes from a power model and is marked \"sensor: model\" (estimated).\n";

static const char usage_tail[] =
"\n"
"PRIVILEGES\n"
"    Loading the BPF program needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN);\n"
"    reading RAPL's energy_uj needs root or CAP_DAC_READ_SEARCH on kernels since 5.10.\n"
"    Once loaded, every thread drops every capability (see --user).\n"
"\n"
"EXIT STATUS\n"
"    0 success, 1 runtime failure (missing privileges, no BTF, ...), 2 usage error.\n"
"\n"
"EXAMPLES\n"
"    wattprobe                        live table, one refresh per second\n"
"    wattprobe json -i 10 | jq .host.power_w\n"
"    wattprobe prometheus --listen 0.0.0.0:9725\n";

/* One entry of a two-column list: the left part, then help lines from column. */
static void print_entry(FILE *f, int column, const char *left, const char *prefix,
			const char *help)
{
	const char *line = help, *nl;
	int col = fprintf(f, "    %s", left);

	do {
		nl = strchr(line, '\n');
		if (col >= column - 1) {
			fputc('\n', f);
			col = 0;
		}
		fprintf(f, "%*s%s%.*s\n", column - col, "", line == help ? prefix : "",
			nl ? (int)(nl - line) : (int)strlen(line), line);
		col = 0;
		line = nl + 1;
	} while (nl);
}

static void print_usage(FILE *f)
{
	char left[64], cmds[128], prefix[160];

	fputs(usage_head, f);
	for (int i = 0; i < CMD_NR; i++)
		fprintf(f, "    wattprobe %s%s%s %s\n", i == CMD_TOP ? "[" : "", commands[i].name,
			i == CMD_TOP ? "]" : "", commands[i].synopsis);
	fputs(usage_description, f);
	fputs("\nCOMMANDS\n", f);
	for (int i = 0; i < CMD_NR; i++)
		print_entry(f, 16, commands[i].name, "", commands[i].summary);
	fputs("\nOPTIONS\n", f);
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		const struct option_def *o = &options[i];

		if (o->letter)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->letter, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		prefix[0] = '\0';
		if (o->cmds != ALL_CMDS)
			snprintf(prefix, sizeof(prefix), "%s: ",
				 command_list(o->cmds, cmds, sizeof(cmds)));
		print_entry(f, 29, left, prefix, o->help);
	}
	fputs(usage_tail, f);
}

static int show_help(struct config *c, const char *arg)
{
	print_usage(stdout);
	return 1;
}

/* 0 to go on, 1 to exit 0 (help, version), 2 for a usage error. */
static int parse_args(int argc, char **argv, struct config *c)
{
	struct option long_opts[NR_OPTIONS + 1] = {};
	char shorts[2 * NR_OPTIONS + 1], cmds[128];
	size_t ns = 0;
	int opt, ret;

	c->cmd = CMD_TOP;
	c->sopts = (struct sampler_opts){
		.interval_s = 1, .sensor = SENSOR_AUTO, .idle_w = -1, .max_procs = 32768,
		.attach = PROBE_ATTACH_AUTO, .load_apart = true,
	};
	c->count = -1;
	c->listen = "127.0.0.1:9725";

	for (size_t i = 0; i < NR_OPTIONS; i++) {
		long_opts[i] = (struct option){ options[i].name,
						options[i].arg ? required_argument : no_argument,
						NULL, OPT_KEY(i) };
		if (options[i].letter) {
			shorts[ns++] = options[i].letter;
			if (options[i].arg)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';

	if (argc > 1 && argv[1][0] != '-') {
		int i;

		for (i = 0; i < CMD_NR && strcmp(argv[1], commands[i].name); i++)
			;
		if (i == CMD_NR)
			return usage_error("unknown command '%s' (expected %s)", argv[1],
					   command_list(ALL_CMDS, cmds, sizeof(cmds)));
		c->cmd = i;
		argv++;
		argc--;
	}
	while ((opt = getopt_long(argc, argv, shorts, long_opts, NULL)) != -1) {
		const struct option_def *o = NULL;

		if (opt >= OPT_KEY(0) && opt < OPT_KEY(NR_OPTIONS))
			o = &options[opt - OPT_KEY(0)];
		for (size_t i = 0; !o && i < NR_OPTIONS; i++)
			if (options[i].letter && options[i].letter == opt)
				o = &options[i];
		if (!o) {
			fprintf(stderr, "Try 'wattprobe --help' for more information.\n");
			return 2;
		}
		if (!(o->cmds & CMD(c->cmd)))
			return usage_error("--%s applies to %s only, not to %s", o->name,
					   command_list(o->cmds, cmds, sizeof(cmds)),
					   commands[c->cmd].name);
		ret = o->set(c, optarg);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (c->sopts.tdp_w > 0 && c->sopts.idle_w > c->sopts.tdp_w)
		return usage_error("--idle-watts is above --tdp");
	if (!c->top_set)
		c->vopts.top = commands[c->cmd].default_top;
	c->oopts.by = c->vopts.by;
	c->sopts.need_exe = c->vopts.by == GROUP_EXE;
	return 0;
}

/* --- the agent: sample at fixed deadlines, hand each sample to an output ---------------- */

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
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
	int (*emit)(struct config *c, const struct sample *s, const struct view *v, void *ctx);
	void *ctx;
	bool cmdlines;		/* the output shows command lines: resolve them first */
};

static int emit_top(struct config *c, const struct sample *s, const struct view *v, void *ctx)
{
	c->oopts.width = c->oopts.redraw ? terminal_width() : 0;
	top__print(stdout, s, v, &c->oopts);
	return 0;
}

/* One line per sample, flushed; a reader gone away (EPIPE) ends us quietly. */
static int emit_json(struct config *c, const struct sample *s, const struct view *v, void *ctx)
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

static int emit_prom(struct config *c, const struct sample *s, const struct view *v, void *ctx)
{
	struct prom_ctx *p = ctx;

	prom__sample(&p->page, s, v, &c->oopts);
	if (p->page.err)
		return -ENOMEM;
	return http__publish(p->http, p->page.buf, p->page.len);
}

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
		err = view__build(&v, &s->cur, &c->vopts);
		if (!err && e->cmdlines)
			sampler__resolve_rows(s, &v);
		if (!err)
			err = e->emit(c, &s->cur, &v, e->ctx);
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

static int run_output(struct config *c, struct sampler *s, struct http_server *http)
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
		e = (struct emitter){ .emit = emit_json, .ctx = &w, .cmdlines = true };
		ret = run_loop(c, s, &e);
		jw_free(&w);
		return ret;
	case CMD_PROMETHEUS:
		pbuf_init(&prom.page);
		e = (struct emitter){ .emit = emit_prom, .ctx = &prom };
		ret = run_loop(c, s, &e);
		pbuf_free(&prom.page);
		return ret;
	default:
		return -EINVAL;
	}
}

static int agent_main(struct config *c)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct http_server *http = NULL;
	struct sampler s;
	char err[512] = "";
	int ret;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = sampler__open(&s, &c->sopts, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "wattprobe: %s\n", err);
		return 1;
	}
	/* a port below 1024 needs privileges too */
	if (c->cmd == CMD_PROMETHEUS) {
		http = http__listen(c->listen, err, sizeof(err));
		if (!http) {
			fprintf(stderr, "wattprobe: %s\n", err);
			ret = 1;
			goto cleanup;
		}
	}
	/* everything privileged is done: BPF attached, energy files open, port bound */
	ret = privs__drop(c->user, privs__kernel_needs_bpf_cap(), err, sizeof(err));
	if (ret) {
		fprintf(stderr, "wattprobe: %s\n", err);
		ret = 1;
		goto cleanup;
	}
	/* threads only now: each thread keeps the capabilities it was created with */
	if (sampler__start(&s, err, sizeof(err))) {
		fprintf(stderr, "wattprobe: %s\n", err);
		ret = 1;
		goto cleanup;
	}
	if (http && http__serve(http, err, sizeof(err))) {
		fprintf(stderr, "wattprobe: %s\n", err);
		ret = 1;
		goto cleanup;
	}
	ret = run_output(c, &s, http) ? 1 : 0;
cleanup:
	if (http)
		http__stop(http);
	sampler__close(&s);
	return ret;
}

int main(int argc, char **argv)
{
	struct config c = {};
	int ret;

	ret = parse_args(argc, argv, &c);
	if (!ret)
		ret = commands[c.cmd].main(&c);
	else
		ret = ret == 1 ? 0 : 2;
	if (c.vopts.have_comm_re)
		regfree(&c.vopts.comm_re);
	return ret;
}
