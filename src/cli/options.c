// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The command line: commands and options are each one table. The usage text
 * (--help), getopt's long options and the check that an option applies to the
 * command are all made from them, so a new option or command is one entry. The
 * agent's commands are its outputs (src/output/outputs.c); --sensor's help is
 * made from the table of sensors (src/energy/sensors.c).
 */
#include <errno.h>
#include <unistd.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/options.h"
#include "energy/sensor.h"
#include "http/http.h"
#include "lib/privs.h"
#include "lib/util.h"
#include "lib/version.h"
#include "run/pushgw.h"

/* --- the commands --------------------------------------------------------------------- */

static int run_main(struct config *c)
{
	return run__main(&c->run, &c->sopts);
}

#define MAX_COMMANDS 16
#define CMD(i) (1u << (i))

static struct command commands[MAX_COMMANDS];
static int nr_commands;

/* The agent's outputs in the order of their table, then run. */
static void make_commands(void)
{
	if (nr_commands)
		return;
	for (int i = 0; output_table[i] && nr_commands < MAX_COMMANDS - 1; i++) {
		const struct output_ops *out = output_table[i];

		commands[nr_commands++] = (struct command){
			.name = out->name, .synopsis = "[OPTIONS]", .summary = out->summary,
			.default_top = out->default_top, .main = agent__main, .out = out,
		};
	}
	commands[nr_commands++] = (struct command){
		.name = "run", .synopsis = "[OPTIONS] [--] COMMAND [ARGS...]",
		.summary = "run COMMAND, then print the energy and CPU\n"
			   "time of it and all it started, like time(1)",
		.default_top = 5, .main = run_main, .takes_command = true, .manual = run__manual,
	};
}

static unsigned all_cmds(void)
{
	return CMD(nr_commands) - 1;
}

/*
 * The commands a set of words names: "all", "agent" (every output), "http" (the
 * outputs that serve HTTP), "steady" (the outputs whose counters add up), or
 * names of commands.
 */
static unsigned cmds_of(const char *words)
{
	unsigned set = 0;

	for (const char *w = words; *w;) {
		size_t n = strcspn(w, " ");

		for (int i = 0; i < nr_commands; i++) {
			const struct command *c = &commands[i];

			if ((n == 3 && !strncmp(w, "all", n)) ||
			    (n == 5 && !strncmp(w, "agent", n) && c->out) ||
			    (n == 4 && !strncmp(w, "http", n) && c->out && c->out->http) ||
			    (n == 6 && !strncmp(w, "steady", n) && c->out && c->out->steady) ||
			    (strlen(c->name) == n && !strncmp(w, c->name, n)))
				set |= CMD(i);
		}
		w += n;
		w += *w == ' ';
	}
	return set;
}

static const char *command_list(unsigned cmds, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < nr_commands; i++)
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

/* Numbers are decimal (parse_decimal()): "0x10" is not 16 s, nor "1e1" 10. */
static int parse_double(const char *s, double min, double max, double *out)
{
	double v;

	if (parse_decimal(s, &v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_ll(const char *s, long long min, long long max, long long *out)
{
	long long v;

	if (parse_decimal_ll(s, &v) || v < min || v > max)
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
	c->interval_set = true;
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
	struct view_opts *v = &c->vopts;
	const char *bad;
	char names[256];
	size_t n;
	int r;

	r = group_by_parse_list(arg, v->levels, &v->nr_levels, &bad, &n);
	if (r == -EEXIST)
		return usage_error("invalid --group-by '%s': %.*s is given twice (a level is one "
				   "view; name each once)", arg, (int)n, bad);
	if (r) {
		group_by_names(names, sizeof(names), ", ", " or ");
		return usage_error("invalid --group-by '%s': %s'%.*s' is not a level (expected a "
				   "comma list of %s)", arg, n ? "" : "an empty name ", (int)n, bad,
				   names);
	}
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
	char why[512];

	if (!strcmp(arg, "list")) {
		c->list_sensors = true;
		return 0;
	}
	if (sensor__check_list(arg, why, sizeof(why)))
		return usage_error("invalid --sensor '%s': %s", arg, why);
	c->sopts.sensors = arg;
	return 0;
}

static int set_nvml_library(struct config *c, const char *arg)
{
	/* a path is checked now; a bare name is for the loader's search path */
	if (!*arg || (strchr(arg, '/') && access(arg, R_OK)))
		return usage_error("invalid --nvml-library '%s': %s: expected the path of "
				   "libnvidia-ml.so.1", arg, *arg ? strerror(errno) : "empty");
	c->sopts.nvml_library = arg;
	return 0;
}

static int set_hwmon_root(struct config *c, const char *arg)
{
	c->sopts.hwmon_root = arg;
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

static int set_log_root(struct config *c, const char *arg)
{
	c->sopts.log_root = *arg ? arg : NULL;
	return 0;
}

static int set_docker_root(struct config *c, const char *arg)
{
	c->sopts.docker_root = *arg ? arg : NULL;
	return 0;
}

static int set_state_file(struct config *c, const char *arg)
{
	if (!*arg)
		return usage_error("invalid --state-file '': expected a path");
	c->sopts.state_file = arg;
	return 0;
}

static int set_vm_export(struct config *c, const char *arg)
{
	if (!*arg)
		return usage_error("invalid --vm-export '': expected a folder");
	c->vmx.dir = arg;
	return 0;
}

static int set_vm_export_range(struct config *c, const char *arg)
{
	long long n;

	/* at least a few intervals of a busy guest, at most what a u64 step can wrap */
	if (parse_ll(arg, 1000, (long long)(UINT64_MAX / 4 > LLONG_MAX ? LLONG_MAX : UINT64_MAX / 4),
		     &n))
		return usage_error("invalid --vm-export-range '%s': expected microjoules from 1000",
				   arg);
	c->vmx.range_uj = (__u64)n;
	c->vmx_tuned = true;
	return 0;
}

static int set_vm_export_keep(struct config *c, const char *arg)
{
	if (parse_double(arg, 0, 30 * 86400, &c->vmx.keep_s))
		return usage_error("invalid --vm-export-keep '%s': expected seconds from 0 to 2592000",
				   arg);
	c->vmx_tuned = true;
	return 0;
}

static int set_listen(struct config *c, const char *arg)
{
	struct sockaddr_storage ss;
	char err[256];
	socklen_t len;

	if (http_resolve_listen(arg, &ss, &len, err, sizeof(err)))
		return usage_error("%s", err);
	c->listen = arg;
	return 0;
}

static int set_rate_window(struct config *c, const char *arg)
{
	if (parse_double(arg, 1, 86400, &c->vopts.rate_window_s))
		return usage_error("invalid --rate-window '%s': expected seconds between 1 and 86400",
				   arg);
	return 0;
}

/* Each is checked alone, for its message, and they are compiled together at the end. */
static int set_no_metric(struct config *c, const char *arg)
{
	size_t had = c->no_metric ? strlen(c->no_metric) : 0;
	char msg[128], *all;
	regex_t re;
	int r;

	r = regcomp(&re, arg, REG_EXTENDED);
	if (r) {
		regerror(r, &re, msg, sizeof(msg));
		return usage_error("invalid --no-metric '%s': %s", arg, msg);
	}
	regfree(&re);
	all = realloc(c->no_metric, had + strlen(arg) + 4);
	if (!all)
		return usage_error("--no-metric: %s", strerror(ENOMEM));
	sprintf(all + had, "%s(%s)", had ? "|" : "", arg);
	c->no_metric = all;
	return 0;
}

static int set_flat(struct config *c, const char *arg)
{
	c->oopts.flat = true;
	return 0;
}

static int set_max_line_bytes(struct config *c, const char *arg)
{
	long long n;

	if (parse_ll(arg, JSON_FLAT_MIN, 1 << 20, &n))
		return usage_error("invalid --max-line-bytes '%s': expected bytes from %d to "
				   "1048576", arg, JSON_FLAT_MIN);
	c->oopts.max_line_bytes = (size_t)n;
	return 0;
}

static int set_omit(struct config *c, const char *arg)
{
	if (json_omit_parse(arg, &c->oopts.omit))
		return usage_error("invalid --omit '%s': expected a comma-separated list of "
				   "cmdline, cgroup, cpus and sockets", arg);
	return 0;
}

static int set_output(struct config *c, const char *arg)
{
	if (!*arg)
		return usage_error("invalid --output '': expected a file name");
	c->output = arg;
	return 0;
}

static int set_pid_file(struct config *c, const char *arg)
{
	if (!*arg)
		return usage_error("invalid --pid-file '': expected a file name");
	c->pid_file = arg;
	return 0;
}

static int set_web_config(struct config *c, const char *arg)
{
	c->web_config = arg;
	return 0;
}

static int set_user(struct config *c, const char *arg)
{
	if (privs__check_user(arg))
		return usage_error("unknown --user '%s': no such user in the passwd database", arg);
	c->user = arg;
	return 0;
}

static int set_run_user(struct config *c, const char *arg)
{
	if (privs__check_user(arg))
		return usage_error("unknown --user '%s': no such user in the passwd database", arg);
	c->run.user = arg;
	return 0;
}

static int set_json(struct config *c, const char *arg)
{
	c->run.json = true;
	return 0;
}

static int set_run_output(struct config *c, const char *arg)
{
	if (!*arg)
		return usage_error("invalid --output '': expected a file name");
	c->run.output = arg;
	return 0;
}

static int set_push(struct config *c, const char *arg)
{
	char why[128];

	if (pushgw__check_url(arg, why, sizeof(why)))
		return usage_error("invalid --push '%s': %s", arg, why);
	c->run.push_url = arg;
	return 0;
}

static int set_job(struct config *c, const char *arg)
{
	if (!*arg)
		return usage_error("invalid --job '': expected a name");
	c->run.job = arg;
	return 0;
}

static int set_label(struct config *c, const char *arg)
{
	size_t n = strcspn(arg, "=");
	char why[128];

	if (pushgw__check_label(arg, why, sizeof(why)))
		return usage_error("invalid --label '%s': %s", arg, why);
	for (int i = 0; i < c->run.nr_labels; i++)
		if (!strncmp(c->run.labels[i], arg, n + 1))
			return usage_error("--label '%.*s' given twice", (int)n, arg);
	if (c->run.nr_labels == PUSHGW_MAX_LABELS)
		return usage_error("too many --label options (at most %d)", PUSHGW_MAX_LABELS);
	c->run.labels[c->run.nr_labels++] = arg;
	return 0;
}

static int parse_carbon(struct config *c, const char *arg, const char *what)
{
	if (parse_double(arg, 0, 100000, &c->carbon))
		return usage_error("invalid %s '%s': expected grams of CO2e per kWh, 0 to 100000",
				   what, arg);
	c->carbon_set = true;
	return 0;
}

static int set_carbon(struct config *c, const char *arg)
{
	return parse_carbon(c, arg, "--carbon-intensity");
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
	const char *cmds;	/* the commands it applies to: see cmds_of() */
	const char *help;	/* lines joined by '\n' */
	opt_set_fn set;
	void (*make_help)(char *buf, size_t len);	/* help made from a table, not help */
};

static const struct option_def options[] = {
	{ "interval", 'i', "SECONDS", "all",
	  "sampling interval, fractional (default 1)", set_interval },
	{ "count", 'c', "N", "agent",
	  "stop after N intervals (default: run until SIGINT/SIGTERM)", set_count },
	{ "top", 'n', "N", "all",
	  "show N rows, sum the rest into \"others\"\n"
	  "(top: what the terminal holds, or 20 in plain lines;\n"
	  "prometheus: 50; json: 0 = all; run: 5)",
	  set_top },
	{ "group-by", 'g', "LEVELS", "agent", NULL, set_group_by, group_by_help },
	{ "pid", 'p', "PID", "agent",
	  "show only this process (repeatable); the rest go to others", set_pid },
	{ "comm", 0, "REGEX", "agent",
	  "show only processes whose command matches (POSIX ERE)", set_comm },
	{ "cgroup", 0, "PREFIX", "agent",
	  "show only processes whose cgroup path starts with PREFIX", set_cgroup },
	{ "sensor", 0, "LIST", "all", NULL, set_sensor, sensor__help },
	{ "powercap-root", 0, "DIR", "all",
	  "where the RAPL zones are (default /sys/class/powercap)", set_powercap_root },
	{ "hwmon-root", 0, "DIR", "all",
	  "where the hwmon chips are (default /sys/class/hwmon)", set_hwmon_root },
	{ "nvml-library", 0, "PATH", "all",
	  "NVIDIA's NVML library to load (default\nlibnvidia-ml.so.1 from the library path)",
	  set_nvml_library },
	{ "tdp", 0, "WATTS", "all",
	  "model: power of a socket at full load (default\n3.84 W per online CPU, a cloud average)",
	  set_tdp },
	{ "idle-watts", 0, "WATTS", "all",
	  "idle baseline of a socket's package; rapl default:\n"
	  "learnt from how power follows load; model default:\n0.74 W per online CPU (19% of --tdp)",
	  set_idle_watts },
	{ "spread-idle", 0, NULL, "all",
	  "give the idle baseline to processes too, by CPU time", set_spread_idle },
	{ "log-root", 0, "DIR", "all",
	  "where kubelet's pods/ and containers/ log folders are,\n"
	  "which name pods and containers (default /var/log;\n"
	  "\"\" for none)", set_log_root },
	{ "docker-root", 0, "DIR", "all",
	  "Docker's data root, whose containers/ name Docker's\n"
	  "containers (default /var/lib/docker; \"\" for none)", set_docker_root },
	{ "state-file", 0, "PATH", "all",
	  "keep what the baselines learnt here across restarts\n(written every minute and at exit)",
	  set_state_file },
	{ "max-processes", 0, "N", "all",
	  "processes tracked at once (default 32768); time of the\n"
	  "ones beyond goes to \"[unrecorded]\" and counts as dropped", set_max_processes },
	{ "vm-export", 0, "DIR", "agent",
	  "for each KVM guest, a powercap tree in DIR/NAME/ that\n"
	  "the guest's agent reads as RAPL (--powercap-root):\n"
	  "its share of the host's energy (docs/vms.md)", set_vm_export },
	{ "vm-export-range", 0, "UJ", "agent",
	  "--vm-export: where the counters wrap, their\n"
	  "max_energy_range_uj (default 262143328850)", set_vm_export_range },
	{ "vm-export-keep", 0, "SECONDS", "agent",
	  "--vm-export: how long a guest gone keeps its\n"
	  "folder (default 600)", set_vm_export_keep },
	{ "listen", 0, "HOST:PORT", "http",
	  "where to listen (default 127.0.0.1:9725);\n"
	  ":PORT is every address, [::1]:PORT an IPv6 one,\n"
	  "a host name its first address", set_listen },
	{ "web.config.file", 0, "FILE", "http",
	  "TLS and basic authentication from FILE,\n"
	  "in the Prometheus exporter toolkit's format", set_web_config },
	{ "rate-window", 0, "SECONDS", "steady",
	  "the longest window given to rate() or\n"
	  "increase() on the counters, at least the scrape\n"
	  "interval (default 60): a new series shows 0 this\n"
	  "long before it counts; one that left the top\n"
	  "stays, frozen, twice as long", set_rate_window },
	{ "no-metric", 0, "REGEX", "prometheus",
	  "leave out the families whose whole name matches\n"
	  "REGEX (POSIX ERE; repeatable), as on the text\n"
	  "page (wattprobe_process_joules_total); OpenMetrics\n"
	  "_created samples by their own name", set_no_metric },
	{ "flat", 0, NULL, "json",
	  "one line for the host and one per process\n"
	  "or group, each at most 4 KiB (for log shippers;\n"
	  "--max-line-bytes)", set_flat },
	{ "max-line-bytes", 0, "N", "json",
	  "--flat: at most N bytes a line, its newline\n"
	  "included (default 4096, at least 1024: logger's\n"
	  "default message size)", set_max_line_bytes },
	{ "omit", 0, "FIELDS", "json",
	  "leave out these fields of processes and\n"
	  "groups: cmdline, cgroup, cpus, sockets\n"
	  "(comma-separated)", set_omit },
	{ "output", 'o', "FILE", "json",
	  "append to FILE instead of stdout; reopen it\n"
	  "on SIGHUP (after logrotate moved it)", set_output },
	{ "user", 0, "NAME", "agent",
	  "after start-up, drop every capability and run as NAME", set_user },
	{ "pid-file", 0, "FILE", "agent",
	  "write the agent's PID to FILE at start, remove it at\n"
	  "exit (kill -HUP $(cat FILE): reopen --output)", set_pid_file },
	{ "user", 0, "NAME", "run",
	  "run COMMAND as NAME, with its groups (like runuser -u);\n"
	  "wattprobe itself drops every capability", set_run_user },
	{ "json", 0, NULL, "run", "the summary as one JSON object", set_json },
	{ "output", 'o', "FILE", "run", "write the summary to FILE, not stderr",
	  set_run_output },
	{ "push", 0, "URL", "run",
	  "also put the summary in the Prometheus Pushgateway at URL", set_push },
	{ "job", 0, "NAME", "run", "--push: the job label (default: COMMAND's name)",
	  set_job },
	{ "label", 0, "NAME=VALUE", "run", "--push: a grouping label (repeatable)",
	  set_label },
	{ "carbon-intensity", 0, "G", "json prometheus run",
	  "grams of CO2e per kWh: add CO2e figures (default:\n"
	  "$WATTPROBE_CARBON_INTENSITY); only as good as G", set_carbon },
	{ "attach", 0, "KIND", "all",
	  "auto, tp_btf or raw_tp (default auto: tp_btf if the\n"
	  "kernel's BTF has the tracepoint, else raw_tp)", set_attach },
	{ "verbose", 'v', NULL, "all", "libbpf's messages and more warnings on stderr",
	  set_verbose },
	{ "help", 'h', NULL, "all", "this text", show_help },
	{ "version", 'V', NULL, "all", "the version", show_version },
};

#define NR_OPTIONS ARRAY_SIZE(options)
#define OPT_KEY(i) (256 + (int)(i))	/* getopt's value for options[i] */

static const char usage_name[] = "how many watts each process on this host draws";

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
"    run: the command keeps exactly the identity and privileges it would have\n"
"    without wattprobe (see wattprobe run --help).\n"
"\n"
"EXIT STATUS\n"
"    0 success, 1 runtime failure (missing privileges, no BTF, ...), 2 usage error.\n"
"    run: the command's own status (128 + N for signal N), 127 or 126 if it cannot\n"
"    be run, 1 or 2 if wattprobe fails before it starts.\n"
"\n"
"EXAMPLES\n"
"    wattprobe                        live table, one refresh per second\n"
"    wattprobe json -i 10 | jq .host.power_w\n"
"    wattprobe prometheus --listen 0.0.0.0:9725\n"
"    wattprobe run -- make -j8        energy of a build, like time(1)\n";

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

static void print_option(FILE *f, const struct option_def *o)
{
	char left[64];

	if (o->letter)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", o->letter, o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
	if (o->make_help) {
		char help[2048];

		o->make_help(help, sizeof(help));
		print_entry(f, 29, left, "", help);
		return;
	}
	print_entry(f, 29, left, "", o->help);
}

/*
 * The manual: of every command (cmd < 0), or of one (`wattprobe NAME --help`).
 * In the first, options come in one section per set of commands they apply to,
 * in the order of the table: those of every command first.
 */
static void print_usage(FILE *f, int cmd)
{
	unsigned shown = cmd < 0 ? all_cmds() : CMD(cmd), done[NR_OPTIONS];
	size_t nr_done = 0;
	char cmds[128];

	fputs("NAME\n    wattprobe", f);
	if (cmd < 0) {
		fprintf(f, " - %s\n", usage_name);
	} else {
		fprintf(f, " %s - ", commands[cmd].name);
		for (const char *p = commands[cmd].summary; *p; p++)
			fputc(*p == '\n' ? ' ' : *p, f);
		fputc('\n', f);
	}
	fputs("\nSYNOPSIS\n", f);
	for (int i = 0; i < nr_commands; i++)
		if (shown & CMD(i))
			fprintf(f, "    wattprobe %s%s%s %s\n", i == 0 ? "[" : "",
				commands[i].name, i == 0 ? "]" : "", commands[i].synopsis);
	if (cmd >= 0 && commands[cmd].manual) {
		fprintf(f, "\nDESCRIPTION\n%s", commands[cmd].manual);
	} else {
		fputs(usage_description, f);
		fputs("\nCOMMANDS\n", f);
		for (int i = 0; i < nr_commands; i++)
			if (shown & CMD(i))
				print_entry(f, 16, commands[i].name, "", commands[i].summary);
	}
	if (cmd >= 0) {
		fputs("\nOPTIONS\n", f);
		for (size_t i = 0; i < NR_OPTIONS; i++)
			if (cmds_of(options[i].cmds) & shown)
				print_option(f, &options[i]);
	}
	for (size_t i = 0; cmd < 0 && i < NR_OPTIONS; i++) {
		unsigned set = i ? cmds_of(options[i].cmds) : all_cmds();
		size_t k;

		for (k = 0; k < nr_done && done[k] != set; k++)
			;
		if (k < nr_done)
			continue;
		done[nr_done++] = set;
		if (set == all_cmds())
			fputs("\nOPTIONS\n", f);
		else
			fprintf(f, "\nOPTIONS OF %s\n", command_list(set, cmds, sizeof(cmds)));
		for (size_t j = i; j < NR_OPTIONS; j++)
			if (cmds_of(options[j].cmds) == set)
				print_option(f, &options[j]);
	}
	if (cmd < 0 || !commands[cmd].manual)
		fputs(usage_tail, f);
}

static int show_help(struct config *c, const char *arg)
{
	print_usage(stdout, c->cmd_given ? (int)(c->cmd - commands) : -1);
	return 1;
}

/* The entry of the option getopt found that applies to the command: an option may
 * have one entry per command with a meaning of its own (--user). */
static const struct option_def *option_for(int opt, int cmd)
{
	const struct option_def *o = NULL;

	if (opt >= OPT_KEY(0) && opt < OPT_KEY(NR_OPTIONS))
		o = &options[opt - OPT_KEY(0)];
	for (size_t i = 0; !o && i < NR_OPTIONS; i++)
		if (options[i].letter && options[i].letter == opt)
			o = &options[i];
	for (size_t i = 0; o && !(cmds_of(o->cmds) & CMD(cmd)) && i < NR_OPTIONS; i++)
		if (!strcmp(options[i].name, o->name) && (cmds_of(options[i].cmds) & CMD(cmd)))
			return &options[i];
	return o;
}

/* Does the option of that name apply to the command? */
static bool takes(const struct command *cmd, const char *name)
{
	for (size_t i = 0; i < NR_OPTIONS; i++)
		if (!strcmp(options[i].name, name) && (cmds_of(options[i].cmds) & CMD(cmd - commands)))
			return true;
	return false;
}

int options__parse(int argc, char **argv, struct config *c)
{
	struct option long_opts[NR_OPTIONS + 1] = {};
	char shorts[2 * NR_OPTIONS + 2], cmds[128];
	const struct output_ops *out;
	size_t ns = 0;
	int opt, ret;
	const char *env;

	make_commands();
	c->cmd = &commands[0];
	c->sopts = (struct sampler_opts){
		.interval_s = 1, .idle_w = -1, .max_procs = 32768, .attach = PROBE_ATTACH_AUTO,
		.log_root = "/var/log", .docker_root = "/var/lib/docker", .load_apart = true,
	};
	c->count = -1;
	c->listen = "127.0.0.1:9725";
	c->carbon = -1;
	c->vopts.rate_window_s = 60;
	c->vmx = (struct vmexport_opts){ .range_uj = VMEXPORT_DEFAULT_RANGE_UJ,
					 .keep_s = VMEXPORT_DEFAULT_KEEP_S };

	/* "+": options end at the first word that is not one (or at --), so that a
	 * command's line (wattprobe run make -j2) keeps its own options */
	shorts[ns++] = '+';

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

		for (i = 0; i < nr_commands && strcmp(argv[1], commands[i].name); i++)
			;
		if (i == nr_commands)
			return usage_error("unknown command '%s' (expected %s)", argv[1],
					   command_list(all_cmds(), cmds, sizeof(cmds)));
		c->cmd = &commands[i];
		c->cmd_given = true;
		optind = 2;	/* getopt's messages keep argv[0]'s name */
	}
	while ((opt = getopt_long(argc, argv, shorts, long_opts, NULL)) != -1) {
		const struct option_def *o = option_for(opt, (int)(c->cmd - commands));

		if (!o) {
			fprintf(stderr, "Try 'wattprobe --help' for more information.\n");
			return 2;
		}
		if (!(cmds_of(o->cmds) & CMD(c->cmd - commands)))
			return usage_error("--%s applies to %s only, not to %s", o->name,
					   command_list(cmds_of(o->cmds), cmds, sizeof(cmds)),
					   c->cmd->name);
		ret = o->set(c, optarg);
		if (ret)
			return ret;
	}
	if (c->cmd->takes_command) {
		if (optind == argc)
			return usage_error("%s: no COMMAND to run (wattprobe %s %s)", c->cmd->name,
					   c->cmd->name, c->cmd->synopsis);
		c->run.argv = &argv[optind];
		if ((c->run.job || c->run.nr_labels) && !c->run.push_url)
			return usage_error("--job and --label name the Pushgateway's group: "
					   "they need --push URL");
	} else if (optind < argc) {
		return usage_error("unexpected argument '%s'", argv[optind]);
	}
	if (c->oopts.max_line_bytes && !c->oopts.flat)
		return usage_error("--max-line-bytes bounds the lines of --flat: add --flat");
	env = getenv("WATTPROBE_CARBON_INTENSITY");
	if (!c->carbon_set && env && *env && takes(c->cmd, "carbon-intensity")) {
		ret = parse_carbon(c, env, "WATTPROBE_CARBON_INTENSITY");
		if (ret)
			return ret;
	}
	if (c->sopts.tdp_w > 0 && c->sopts.idle_w > c->sopts.tdp_w)
		return usage_error("--idle-watts is above --tdp");
	if (c->vmx_tuned && !c->vmx.dir)
		return usage_error("--vm-export-range and --vm-export-keep tune --vm-export: "
				   "give --vm-export DIR");
	c->vmx.interval_ns = (__u64)(c->sopts.interval_s * 1e9);
	if (c->list_sensors) {
		struct sensor_config sc = {
			.powercap_root = c->sopts.powercap_root, .tdp_w = c->sopts.tdp_w,
			.idle_w = c->sopts.idle_w, .nvml_library = c->sopts.nvml_library,
			.hwmon_root = c->sopts.hwmon_root, .verbose = c->sopts.verbose,
		};

		sensor__list(stdout, &sc);
		return 1;
	}
	if (!c->top_set)
		c->vopts.top = c->cmd->default_top;
	if (c->no_metric) {
		if (regcomp(&c->no_metric_re, c->no_metric, REG_EXTENDED))
			return usage_error("invalid --no-metric: the patterns do not combine");
		c->have_no_metric = true;
		c->oopts.no_metric = &c->no_metric_re;
	}
	if (!c->vopts.nr_levels)
		c->vopts.levels[c->vopts.nr_levels++] = GROUP_PID;
	c->vopts.by = c->vopts.levels[0];
	c->oopts.have_carbon = c->carbon >= 0;
	c->oopts.carbon_g_per_kwh = c->carbon;
	c->sopts.need_exe = view_opts__has(&c->vopts, GROUP_EXE);
	c->run.carbon = c->carbon;
	c->run.top = c->vopts.top;
	c->run.progress = c->interval_set;
	/* what the output needs of the view and the sampler */
	out = c->cmd->out;
	c->vopts.steady = out && out->steady;
	c->sopts.need_self = out && out->self;
	c->sopts.may_need_exe = out && out->regroups;
	return 0;
}

void options__free(struct config *c)
{
	if (c->have_no_metric)
		regfree(&c->no_metric_re);
	c->have_no_metric = false;
	free(c->no_metric);
	c->no_metric = NULL;
	if (c->vopts.have_comm_re)
		regfree(&c->vopts.comm_re);
	c->vopts.have_comm_re = false;
}
