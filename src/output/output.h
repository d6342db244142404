/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The outputs: each formats a sample and its view, taken const; none measures.
 *
 * An output is a command of the agent (wattprobe NAME): one file that formats
 * (pure functions, unit-tested from hand-built samples) and ends with its
 * const struct output_ops, and one line in the table of src/output/outputs.c.
 * The agent (src/cli/agent.c) opens what the table says it needs (lines to
 * stdout or --output, an HTTP server), hands it each sample and its view, and
 * makes the command, its help and its --top default from the table
 * (docs/HACKING.md shows the diff of a new one).
 */
#ifndef __OUTPUT_H
#define __OUTPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include "lib/json.h"
#include "lib/promtext.h"
#include "sample/sample.h"
#include "sample/view.h"

/* Fields of processes and groups that json leaves out (--omit). */
enum {
	OMIT_CMDLINE = 1 << 0,
	OMIT_CGROUP = 1 << 1,
	OMIT_CPUS = 1 << 2,
	OMIT_SOCKETS = 1 << 3,
};

struct output_opts {
	bool have_carbon;	/* json, prometheus: --carbon-intensity given */
	double carbon_g_per_kwh;
	unsigned omit;		/* json: OMIT_* */
	bool flat;		/* json --flat */
	size_t max_line_bytes;	/* json --flat: a line's most bytes, its newline included;
				 * 0: JSON_FLAT_MAX */
	const regex_t *no_metric;	/* prometheus --no-metric: families left out */
};

struct outfile;
struct http_server;
struct view_opts;

/* What the agent opened for an output, and what an output may change. */
struct output_env {
	struct output_opts *opts;
	struct view_opts *view;		/* of the views built from each sample: an output may
					 * change their levels (top's key g) or --top */
	bool top_set;			/* --top was given */
	struct outfile *out;		/* where lines go: stdout or --output */
	const char *out_name;		/* for messages: "stdout" or the file */
	struct http_server *http;	/* outputs with .http: the server, serving */
	const volatile sig_atomic_t *stopping;	/* set by SIGINT and SIGTERM */
};

struct output;

struct output_ops {
	const char *name;		/* the command: wattprobe NAME */
	const char *summary;		/* what it does, for --help (lines joined by '\n') */
	unsigned default_top;		/* --top when not given; 0: all */
	bool http;			/* serves pages over HTTP: --listen is bound before
					 * privileges are dropped */
	bool steady;			/* rows whose counters add up across samples (series.h) */
	bool self;			/* the agent's own use in each sample (sample.self) */
	bool first_page_soon;		/* the first sample after 0.1 s, not after a period */
	bool regroups;			/* may change the grouping while it runs (top's g):
					 * executables are followed from the start */
	/* Optional. Sets o->priv, o->cmdlines and o->waits. 0, or -errno with a reason in err. */
	int (*open)(struct output *o, char *err, size_t errlen);
	/* One sample and its views (one per level of --group-by): 0 to go on, 1 to stop
	 * quietly (the reader is gone), -errno on a failure (said on stderr). */
	int (*emit)(struct output *o, const struct sample *s, const struct views *vs);
	/* Where open set o->waits: instead of sleeping until *deadline (CLOCK_MONOTONIC
	 * ns), 0 to sample at *deadline, which it may move, 1 to stop. */
	int (*wait)(struct output *o, unsigned long long *deadline);
	/* Optional. finished: the agent ran its --count to the end. */
	void (*close)(struct output *o, bool finished);
};

struct output {
	const struct output_ops *ops;
	struct output_env *env;
	void *priv;
	bool cmdlines;			/* it shows command lines: the agent reads them first */
	bool waits;			/* it waits for the deadlines (ops->wait), keys in hand */
};

/* Every output, NULL-terminated (src/output/outputs.c). */
extern const struct output_ops *const output_table[];
/* The output of that command, or NULL. */
const struct output_ops *output__find(const char *name);

/* json --flat: the most bytes of a line, its newline included, by default
 * (--max-line-bytes), and the least it may be: a host line with every socket cut and
 * every optional figure there fits in it (tests/test_json_out.c) */
#define JSON_FLAT_MAX 4096
#define JSON_FLAT_MIN 1024

/* The table of `wattprobe top` as plain lines (not a terminal: see top.h), flushed:
 * a block per view. 0 or -errno of the write (-EPIPE: the reader is gone). */
int top__print(FILE *f, const struct sample *s, const struct views *vs,
	       const struct output_opts *o);
/* One JSON Lines record of `wattprobe json` into w (reset first), no newline:
 * with one view, its rows and others beside the host's figures; with several,
 * "levels", an object per view holding the same (docs/json.md). */
void json__sample(struct jw *w, const struct sample *s, const struct views *vs,
		  const struct output_opts *o);
/*
 * `wattprobe json --flat`: line 0 is the host's (sockets, idle, others), the
 * next ones a GPU each (with a GPU sensor), then a process or group each; with several
 * levels, line 0 names them and each level has a line of its own (its others) before
 * its rows'. json__flat_lines() says how many. Each carries the timestamp, interval
 * and sensor, and is at most o->max_line_bytes - 1 bytes (JSON_FLAT_MAX - 1 by
 * default): what does not fit is cut (cpus and sockets entries, then command line and
 * cgroup path shortened) and named in "cut". Into w (reset first), no newline.
 */
__u32 json__flat_lines(const struct sample *s, const struct views *vs);
void json__flat(struct jw *w, const struct sample *s, const struct views *vs,
		const struct output_opts *o, __u32 line);
/* The names of the OMIT_* bits, for --omit; 0 or -EINVAL on an unknown name. */
int json_omit_parse(const char *list, unsigned *omit);
/* The family NAME (a gauge of 1) that says where energy comes from: the sensor's
 * name, where it reads ("powercap", "model", "vm-export": a host's export for this
 * guest) and whether it is estimated; "none" without one. For the agent's page
 * and run's push alike. */
void prom__sensor_info(struct pbuf *b, const char *name, const char *help, const char *sensor,
		       const char *source, bool estimated);
/* The /metrics page of `wattprobe prometheus` into b (reset first; in b->format,
 * without the families o->no_metric names), from steady views (view_opts.steady):
 * the pid level's rows as wattprobe_process_*, the other levels' as
 * wattprobe_group_* with group_by, and each level's others with group_by. */
void prom__sample(struct pbuf *b, const struct sample *s, const struct views *vs,
		  const struct output_opts *o);

#endif /* __OUTPUT_H */
