// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* `wattprobe top`: per-socket and host totals, then processes by watts. */
#include <stdio.h>
#include <string.h>
#include "output.h"

static void fmt_watts(char *buf, size_t n, bool have, __u64 uj, __u64 interval_ns)
{
	if (have)
		snprintf(buf, n, "%.2f", watts(uj, interval_ns));
	else
		snprintf(buf, n, "-");
}

static void print_header(FILE *f, const struct sample *s)
{
	bool model = !strcmp(s->sensor, "model");
	char w[32];

	fmt_watts(w, sizeof(w), s->have_energy, s->energy_uj, s->interval_ns);
	fprintf(f, "wattprobe  sensor: %s%s  interval %.2f s  host %s W  cpu %.1f%%  dropped %llu\n",
		s->sensor, model ? " (estimated)" : "", s->interval_ns / 1e9, w, s->util * 100,
		(unsigned long long)s->dropped);
	for (int i = 0; i < s->nr_sockets; i++) {
		const struct sample_socket *ss = &s->sockets[i];
		char pkg[32], dram[32], idle[32];

		fmt_watts(pkg, sizeof(pkg), ss->have_pkg, ss->pkg_uj, s->interval_ns);
		fmt_watts(dram, sizeof(dram), ss->have_dram, ss->dram_uj, s->interval_ns);
		fmt_watts(idle, sizeof(idle), ss->have_pkg, ss->idle_uj, s->interval_ns);
		fprintf(f, "socket %d  package %s W  dram %s W  idle %s W (baseline %.2f W, %s)  "
			"cpu %.1f%% of %d CPUs%s%s\n", ss->id, pkg, dram, idle, ss->idle_base_w,
			idle_source_name(ss->idle_src), ss->util * 100, ss->online_cpus,
			ss->gap ? "  energy missing: " : "", ss->gap ? ss->gap : "");
	}
	fputc('\n', f);
}

static void print_row(FILE *f, const struct sample *s, const char *pid, const char *cmd,
		      __u64 ns, bool have_uj, __u64 uj, const char *flag, int cmd_width)
{
	char w[32], j[32];

	fmt_watts(w, sizeof(w), have_uj, uj, s->interval_ns);
	if (have_uj)
		snprintf(j, sizeof(j), "%.3f", uj_to_j(uj));
	else
		snprintf(j, sizeof(j), "-");
	fprintf(f, "%8s %9s %10s %7.1f %10.3f  %-1s %.*s\n", pid, w, j,
		s->interval_ns ? ns * 100.0 / s->interval_ns : 0, ns / 1e6, flag,
		cmd_width, cmd);
}

void top__print(FILE *f, const struct sample *s, const struct output_opts *o)
{
	__u64 rest_ns = 0, rest_uj = 0;
	bool rest_have = true;
	unsigned shown = 0, rest = 0;
	/* fixed columns take 53 characters; the command gets what is left */
	int cmd_width = o->width > 53 + 8 ? o->width - 53 : (o->width ? 8 : 1 << 20);
	char pid[16];

	if (o->redraw)
		fputs("\033[H\033[2J", f);
	print_header(f, s);
	fprintf(f, "%8s %9s %10s %7s %10s  %-1s %s\n", "PID", "WATTS", "JOULES", "CPU%",
		"CPU_MS", "", "COMMAND");
	for (__u32 i = 0; i < s->nr_procs; i++) {
		const struct proc *p = s->procs[i];

		if (o->top && shown >= o->top) {
			rest++;
			rest_ns += p->iv_ns;
			rest_uj += p->iv_uj;
			rest_have &= !p->iv_uj_missing;
			continue;
		}
		shown++;
		if (p->tgid == PT_UNRECORDED_TGID)
			snprintf(pid, sizeof(pid), "-");
		else
			snprintf(pid, sizeof(pid), "%u", p->tgid);
		print_row(f, s, pid, p->comm, p->iv_ns, !p->iv_uj_missing, p->iv_uj,
			  p->exited ? "x" : "", cmd_width);
	}
	if (rest) {
		char label[64];

		snprintf(label, sizeof(label), "[%u others]", rest);
		print_row(f, s, "-", label, rest_ns, rest_have, rest_uj, "", cmd_width);
	}
	print_row(f, s, "-", "[idle]", s->idle_ns, s->have_energy, s->idle_uj, "", cmd_width);
	fflush(f);
}
