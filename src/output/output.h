/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The outputs: each formats a sample and its view, taken const; none measures. */
#ifndef __OUTPUT_H
#define __OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "lib/json.h"
#include "lib/promtext.h"
#include "sample/sampler.h"
#include "sample/view.h"

/* Fields of processes and groups that json leaves out (--omit). */
enum {
	OMIT_CMDLINE = 1 << 0,
	OMIT_CGROUP = 1 << 1,
	OMIT_CPUS = 1 << 2,
	OMIT_SOCKETS = 1 << 3,
};

struct output_opts {
	enum group_by by;
	bool have_carbon;	/* json, prometheus: --carbon-intensity given */
	double carbon_g_per_kwh;
	unsigned omit;		/* json: OMIT_* */
};

/* json --flat: the most bytes of a line, its newline included */
#define JSON_FLAT_MAX 4096

/* The table of `wattprobe top` as plain lines (not a terminal: see top.h), flushed.
 * 0 or -errno of the write (-EPIPE: the reader is gone). */
int top__print(FILE *f, const struct sample *s, const struct view *v,
	       const struct output_opts *o);
/* One JSON Lines record of `wattprobe json` into w (reset first), no newline. */
void json__sample(struct jw *w, const struct sample *s, const struct view *v,
		  const struct output_opts *o);
/*
 * `wattprobe json --flat`: line 0 is the host's (sockets, idle, others), the
 * next ones a process or group each; json__flat_lines() says how many. Each
 * carries the timestamp, interval and sensor, and is at most JSON_FLAT_MAX - 1
 * bytes: what does not fit is cut (cpus and sockets entries, then command
 * line and cgroup path shortened) and named in "cut". Into w (reset first),
 * no newline.
 */
__u32 json__flat_lines(const struct view *v);
void json__flat(struct jw *w, const struct sample *s, const struct view *v,
		const struct output_opts *o, __u32 line);
/* The names of the OMIT_* bits, for --omit; 0 or -EINVAL on an unknown name. */
int json_omit_parse(const char *list, unsigned *omit);
/* The /metrics page of `wattprobe prometheus` into b (reset first), from a
 * steady view (view_opts.steady). */
void prom__sample(struct pbuf *b, const struct sample *s, const struct view *v,
		  const struct output_opts *o);

#endif /* __OUTPUT_H */
