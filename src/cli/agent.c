// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent: open what the output needs (lines to stdout or --output, an HTTP
 * server), the sampler, drop privileges, then sample at fixed deadlines and
 * hand each sample and its view to the output (output/output.h).
 *
 * Signals: SIGINT and SIGTERM end it after the current interval, or within a
 * second when it waits to write (a reader that does not read: the handlers have
 * no SA_RESTART, and the write gives up); SIGHUP never does (logrotate's
 * postrotate may send it to every agent of the host): it opens --output again,
 * and is otherwise ignored.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli/options.h"
#include "http/http.h"
#include "http/webconfig.h"
#include "lib/deadline.h"
#include "lib/outfile.h"
#include "lib/pidfile.h"
#include "lib/privs.h"
#include "lib/util.h"
#include "output/vmexport.h"

static volatile sig_atomic_t stopping, reopen;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen = 1;
	else
		stopping = 1;
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

/* The first sample of an output that wants its first page soon comes after this. */
#define FIRST_PAGE_NS (NSEC_PER_SEC / 10)

/*
 * The next deadline, moved (if need be) half-way between two moves of the sensor's
 * counters: a host's export for this guest moves once per host interval, and a read near a
 * move would see none or two. Only when the period is a whole number of the sensor's, so
 * that every deadline keeps that phase; a move of more than a tenth of the sensor's period
 * at most once per interval, so that clocks that drift apart are followed.
 */
static __u64 keep_phase(const struct sampler *s, __u64 deadline, __u64 period)
{
	__u64 mid, sp, rest, now = now_ns(CLOCK_MONOTONIC);
	long long off, half;

	if (sampler__phase(s, &mid, &sp))
		return deadline;
	rest = period % sp;
	if (rest > sp / 100 && sp - rest > sp / 100)
		return deadline;	/* not a whole number of the sensor's periods */
	half = (long long)sp / 2;
	off = (long long)(deadline - mid) % (long long)sp;	/* -sp < off < sp */
	if (off > half)
		off -= (long long)sp;
	else if (off <= -half)
		off += (long long)sp;
	if (off < (long long)sp / 10 && off > -(long long)sp / 10)
		return deadline;
	deadline -= off;
	while (deadline < now + sp / 4)
		deadline += sp;
	return deadline;
}

/* Sample until --count, a signal, the output's end or a failure. 0 or -errno. */
static int loop(struct config *c, struct sampler *s, struct output *o, struct vmexport *vmx)
{
	__u64 period = (__u64)(c->sopts.interval_s * NSEC_PER_SEC);
	__u64 deadline = now_ns(CLOCK_MONOTONIC);
	struct views vs;
	int err;

	err = views__init(&vs);
	if (err)
		return err;
	deadline += o->ops->first_page_soon && period > FIRST_PAGE_NS ? FIRST_PAGE_NS : period;
	for (long long i = 0; c->count < 0 || i < c->count; i++) {
		if (o->waits ? o->ops->wait(o, &deadline) || stopping : !sleep_until(deadline))
			break;
		/* the output may have changed the levels (top's key g) */
		s->opts.need_exe = view_opts__has(&c->vopts, GROUP_EXE);
		err = sampler__sample(s);
		if (err) {
			fprintf(stderr, "wattprobe: failed to sample: %s\n", strerror(-err));
			break;
		}
		if (reopen && o->env->out) {
			reopen = 0;
			outfile__reopen(o->env->out);
		}
		err = views__build(&vs, &s->cur, &c->vopts);
		for (unsigned l = 0; !err && o->cmdlines && l < vs.nr; l++) {
			for (__u32 r = 0; vs.v[l].by == GROUP_PID && r < vs.v[l].nr; r++) {
				struct view_row tmp;

				sampler__resolve_cmdline(s, view__row(&vs.v[l], r, &tmp)->p);
			}
		}
		if (!err)
			err = o->ops->emit(o, &s->cur, &vs);
		/* beside the output, from the same sample */
		if (vmx)
			vmexport__write(vmx, &s->cur);
		sampler__done(s);
		if (err)
			break;
		deadline = deadline_next(deadline, period, now_ns(CLOCK_MONOTONIC));
		deadline = keep_phase(s, deadline, period);
	}
	views__free(&vs);
	return err < 0 ? err : 0;
}

/*
 * --pid of no process: said once, at start, and the agent goes on (a process may yet
 * start with that PID). Not outside the host's PID namespace, whose /proc is not the
 * one the PIDs are of.
 */
static void check_pids(const struct config *c, const struct sampler *s)
{
	for (int i = 0; !s->foreign_pidns && i < c->vopts.nr_pids; i++) {
		unsigned pid = c->vopts.pids[i], tgid = pid;
		char path[64], buf[4096], *t;
		int n;

		snprintf(path, sizeof(path), "/proc/%u/status", pid);
		n = read_small_file(path, buf, sizeof(buf));
		if (n == -ENOENT) {
			fprintf(stderr, "wattprobe: warning: --pid %u: no such process (its row "
				"appears if one starts with that PID)\n", pid);
			continue;
		}
		t = n > 0 ? strstr(buf, "\nTgid:") : NULL;
		if (t && sscanf(t, "\nTgid: %u", &tgid) == 1 && tgid != pid)
			fprintf(stderr, "wattprobe: warning: --pid %u is a thread of process %u: "
				"--pid takes process IDs (--pid %u)\n", pid, tgid, tgid);
	}
}

/* The output's run, from its open to its close. */
static int run_output(struct config *c, struct sampler *s, struct output_env *env,
		      struct vmexport *vmx)
{
	struct output o = { .ops = c->cmd->out, .env = env };
	char err[256];
	int ret;

	if (o.ops->open && o.ops->open(&o, err, sizeof(err))) {
		fprintf(stderr, "wattprobe: %s\n", err);
		return -EINVAL;
	}
	ret = loop(c, s, &o, vmx);
	if (o.ops->close)
		o.ops->close(&o, c->count > 0 && !stopping && !ret);
	return ret;
}

int agent__main(struct config *c)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const struct output_ops *ops = c->cmd->out;
	struct http_server *http = NULL;
	struct web_config *web = NULL;
	struct output_env env = {
		.opts = &c->oopts, .view = &c->vopts, .top_set = c->top_set, .stopping = &stopping,
	};
	struct pidfile pid = {};
	struct vmexport *vmx = NULL;
	struct outfile out;
	struct sampler *s;
	char err[512] = "";
	int ret;

	/* no SA_RESTART: a write blocked on a full pipe returns (EINTR) and we stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* SIGHUP: reopen --output, else nothing (never the default, which ends the agent) */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* --output: opened first (a wrong path fails at once), and again on SIGHUP */
	if (outfile__open(&out, c->output, err, sizeof(err))) {
		fprintf(stderr, "wattprobe: %s\n", err);
		return 1;
	}
	out.stop = &stopping;
	env.out = &out;
	env.out_name = c->output ? c->output : "stdout";
	/* before anything is loaded, while the folder may still be written */
	if (pidfile__write(&pid, c->pid_file, err, sizeof(err))) {
		fprintf(stderr, "wattprobe: %s\n", err);
		outfile__close(&out);
		return 1;
	}

	/* before anything is loaded; the key may be root's only: before the drop too */
	if (ops->http && c->web_config) {
		ret = webcfg__load(c->web_config, &web, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "wattprobe: %s\n", err);
			pidfile__remove(&pid);
			outfile__close(&out);
			return ret == -EINVAL ? 2 : 1;
		}
	}
	s = sampler__alloc();
	ret = s ? sampler__open(s, &c->sopts, err, sizeof(err)) : -ENOMEM;
	if (ret) {
		fprintf(stderr, "wattprobe: %s\n", s ? err : "out of memory");
		sampler__release(s);
		webcfg__free(web);
		pidfile__remove(&pid);
		outfile__close(&out);
		return 1;
	}
	check_pids(c, s);
	/* a port below 1024 needs privileges too */
	if (ops->http) {
		http = http__listen(c->listen, web, err, sizeof(err));
		if (!http) {
			fprintf(stderr, "wattprobe: %s\n", err);
			ret = 1;
			goto cleanup;
		}
		env.http = http;
	}
	/* everything privileged is done: BPF attached, energy files open, port bound; but
	 * the drain thread's priority, which it takes from this thread */
	sampler__boost_drain(s);
	ret = privs__drop(c->user, privs__kernel_needs_bpf_cap(), err, sizeof(err));
	if (ret) {
		fprintf(stderr, "wattprobe: %s\n", err);
		ret = 1;
		goto cleanup;
	}
	/* as the user the agent is now: what it writes there is that user's */
	if (c->vmx.dir && vmexport__open(&vmx, &c->vmx, err, sizeof(err))) {
		fprintf(stderr, "wattprobe: %s\n", err);
		ret = 1;
		goto cleanup;
	}
	/* threads only now: each thread keeps the capabilities it was created with */
	if (sampler__start(s, err, sizeof(err))) {
		fprintf(stderr, "wattprobe: %s\n", err);
		ret = 1;
		goto cleanup;
	}
	if (http && http__serve(http, err, sizeof(err))) {
		fprintf(stderr, "wattprobe: %s\n", err);
		ret = 1;
		goto cleanup;
	}
	ret = run_output(c, s, &env, vmx) ? 1 : 0;
cleanup:
	vmexport__close(vmx);
	if (http)
		http__stop(http);
	webcfg__free(web);
	sampler__close(s);
	sampler__release(s);
	pidfile__remove(&pid);
	outfile__close(&out);
	return ret;
}
